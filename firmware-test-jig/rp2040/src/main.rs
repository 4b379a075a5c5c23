//! Hashbench test jig firmware for the RP2040 (Raspberry Pi Pico class boards).
//!
//! A superloop: USB CDC-ACM bytes from the app go to the `jig-logic` firmware, which drives the
//! hashboard's power, reset, ASIC UART, tap multiplexer, ADC and I2C; its answers go back over
//! USB. The ASIC UART's receive interrupt timestamps bytes into a ring buffer, so 3.125 Mbaud
//! never overruns the 32-byte FIFO. A watchdog resets a hung loop, and a panic cuts board power
//! before anything else: the board is never left powered without a working host link.
//! Pin map and wiring: README.md.

#![no_std]
#![no_main]

use core::cell::RefCell;

use critical_section::Mutex;
use embedded_hal::digital::{InputPin, OutputPin};
use embedded_hal::i2c::I2c;
use heapless::Deque;
use jig_logic::{Firmware, Hal, Limits};
use rp2040_hal::clocks::{Clock, init_clocks_and_plls};
use rp2040_hal::fugit::{ExtU32, RateExtU32};
use rp2040_hal::gpio::{
    DynPinId, FunctionI2C, FunctionSioInput, FunctionSioOutput, FunctionUart, Pin, PullDown,
    PullUp, bank0,
};
use rp2040_hal::pac::{self, interrupt};
use rp2040_hal::uart::{DataBits, Enabled, StopBits, UartConfig, UartPeripheral};
use rp2040_hal::usb::UsbBus;
use rp2040_hal::{I2C, Sio, Timer, Watchdog};
use usb_device::class_prelude::UsbBusAllocator;
use usb_device::prelude::{StringDescriptors, UsbDeviceBuilder, UsbVidPid};
use usbd_serial::SerialPort;

/// Second-stage bootloader for the Pico's W25Q080 flash.
#[unsafe(link_section = ".boot2")]
#[used]
pub static BOOT2_FIRMWARE: [u8; 256] = rp2040_boot2::BOOT_LOADER_GENERIC_03H;

/// Crystal frequency of the Pico.
const XOSC_HZ: u32 = 12_000_000;
/// USB identity (see `link::JIG_VID`, `JIG_PID`, `JIG_PRODUCT`): pid.codes VID, test PID.
const USB_VID: u16 = 0x1209;
const USB_PID: u16 = 0x0001;
/// GPIO of the board power enable, cut by the panic handler.
const PSU_EN_GPIO: u32 = 3;
/// ADS1115 on the jig's own I2C bus.
const ADS1115: u8 = 0x48;
/// Firmware name reported in the handshake.
const NAME: &str = concat!("hashbench-jig ", env!("CARGO_PKG_VERSION"));
/// The image's identity, read by the app from the ELF/UF2 before flashing (`flash` crate):
/// firmware name and version as in the handshake, and the protocol it speaks.
static IMAGE_TAG: &str = concat!(
    "HASHBENCH-JIG-IMAGE firmware=hashbench-jig ",
    env!("CARGO_PKG_VERSION"),
    " protocol=1\0"
);
// The tag's protocol number is a literal (concat! takes no consts): keep it the wire's.
const _: () = assert!(
    jig_wire::PROTOCOL_VERSION == 1,
    "update IMAGE_TAG's protocol"
);

type UartPins = (
    Pin<bank0::Gpio0, FunctionUart, PullDown>,
    Pin<bank0::Gpio1, FunctionUart, PullDown>,
);
type Uart = UartPeripheral<Enabled, pac::UART0, UartPins>;
type BoardI2c = I2C<
    pac::I2C0,
    (
        Pin<bank0::Gpio16, FunctionI2C, PullUp>,
        Pin<bank0::Gpio17, FunctionI2C, PullUp>,
    ),
>;
type JigI2c = I2C<
    pac::I2C1,
    (
        Pin<bank0::Gpio18, FunctionI2C, PullUp>,
        Pin<bank0::Gpio19, FunctionI2C, PullUp>,
    ),
>;
type Out = Pin<DynPinId, FunctionSioOutput, PullDown>;

/// Bytes from the ASIC chain, filled by the UART interrupt: the bytes, and where each run of
/// back-to-back bytes starts with the time its first byte arrived.
struct Rx {
    bytes: Deque<u8, 4096>,
    runs: Deque<(u32, u64), 64>,
    pushed: u32,
    popped: u32,
    last_us: u64,
}

static UART: Mutex<RefCell<Option<Uart>>> = Mutex::new(RefCell::new(None));
static TIMER: Mutex<RefCell<Option<Timer>>> = Mutex::new(RefCell::new(None));
static RX: Mutex<RefCell<Rx>> = Mutex::new(RefCell::new(Rx {
    bytes: Deque::new(),
    runs: Deque::new(),
    pushed: 0,
    popped: 0,
    last_us: 0,
}));

/// A gap this long on the line starts a new run.
const RUN_GAP_US: u64 = 200;

#[interrupt]
fn UART0_IRQ() {
    critical_section::with(|cs| {
        let now = TIMER
            .borrow_ref(cs)
            .as_ref()
            .map_or(0, |t| t.get_counter().ticks());
        let uart = UART.borrow_ref(cs);
        let Some(uart) = uart.as_ref() else { return };
        let mut rx = RX.borrow_ref_mut(cs);
        let mut chunk = [0u8; 32];
        while let Ok(n) = uart.read_raw(&mut chunk) {
            for &b in chunk.get(..n).unwrap_or_default() {
                if rx.bytes.is_empty() || now.saturating_sub(rx.last_us) >= RUN_GAP_US {
                    let start = rx.pushed;
                    // With no room for another mark the run simply goes on.
                    let _ = rx.runs.push_back((start, now));
                }
                if rx.bytes.push_back(b).is_ok() {
                    rx.pushed = rx.pushed.wrapping_add(1);
                }
                rx.last_us = now;
            }
            if n == 0 {
                break;
            }
        }
    });
}

/// The jig hardware as `jig-logic` sees it.
struct JigHal {
    timer: Timer,
    nrst: Out,
    psu_en: Out,
    plug: Pin<DynPinId, FunctionSioInput, PullUp>,
    mux: [Out; 6],
    led: Out,
    fan: Out,
    adc: JigI2c,
    peripheral_hz: u32,
    baud: u32,
}

impl JigHal {
    fn busy_wait_us(&self, us: u64) {
        let end = self.timer.get_counter().ticks() + us;
        while self.timer.get_counter().ticks() < end {}
    }
}

fn set(pin: &mut Out, high: bool) {
    // Setting a SIO output cannot fail on the RP2040.
    let _ = if high { pin.set_high() } else { pin.set_low() };
}

impl Hal for JigHal {
    fn now_us(&mut self) -> u64 {
        self.timer.get_counter().ticks()
    }

    fn set_power(&mut self, on: bool) {
        set(&mut self.psu_en, on);
    }

    fn set_reset(&mut self, asserted: bool) {
        // NRST is active low.
        set(&mut self.nrst, !asserted);
    }

    fn set_baud(&mut self, baud: u32) -> bool {
        let config = UartConfig::new(baud.Hz(), DataBits::Eight, None, StopBits::One);
        let hz = self.peripheral_hz;
        let ok = critical_section::with(|cs| {
            let mut slot = UART.borrow_ref_mut(cs);
            let Some(uart) = slot.take() else {
                return false;
            };
            match uart.disable().enable(config, hz.Hz()) {
                Ok(mut uart) => {
                    uart.enable_rx_interrupt();
                    *slot = Some(uart);
                    true
                }
                Err(_) => false,
            }
        });
        if ok {
            self.baud = baud;
        }
        ok
    }

    fn uart_write(&mut self, bytes: &[u8]) -> usize {
        critical_section::with(|cs| match UART.borrow_ref(cs).as_ref() {
            Some(uart) => match uart.write_raw(bytes) {
                Ok(rest) => bytes.len() - rest.len(),
                Err(_) => 0,
            },
            None => 0,
        })
    }

    fn uart_read(&mut self, buf: &mut [u8]) -> (usize, u64) {
        let now = self.now_us();
        critical_section::with(|cs| {
            let mut rx = RX.borrow_ref_mut(cs);
            let Some(&(_, at)) = rx.runs.front() else {
                return (0, now);
            };
            let end = rx.runs.get(1).map_or(rx.pushed, |r| r.0);
            let available = end.wrapping_sub(rx.popped) as usize;
            let mut n = 0;
            while n < buf.len().min(available) {
                let Some(b) = rx.bytes.pop_front() else { break };
                if let Some(slot) = buf.get_mut(n) {
                    *slot = b;
                }
                n += 1;
            }
            rx.popped = rx.popped.wrapping_add(n as u32);
            if rx.popped == end {
                rx.runs.pop_front();
            }
            (n, at)
        })
    }

    fn mux_select(&mut self, channel: u8) {
        for (bit, pin) in self.mux.iter_mut().enumerate() {
            set(pin, channel & (1 << bit) != 0);
        }
        // CD74HC4067 switching plus the RC of the divider.
        self.busy_wait_us(20);
    }

    fn adc_uv(&mut self) -> u32 {
        // Single-shot: AIN0 against ground, ±4.096 V (125 µV per bit), 860 samples/s.
        if self.adc.write(ADS1115, &[0x01, 0xC3, 0xE3]).is_err() {
            return 0;
        }
        self.busy_wait_us(1300);
        let mut raw = [0u8; 2];
        if self.adc.write_read(ADS1115, &[0x00], &mut raw).is_err() {
            return 0;
        }
        (i32::from(i16::from_be_bytes(raw)).max(0) as u32) * 125
    }

    fn plug_present(&mut self) -> bool {
        // The plug pulls the line low.
        self.plug.is_low().unwrap_or(false)
    }

    fn set_led(&mut self, on: bool) {
        set(&mut self.led, on);
    }

    fn set_fan(&mut self, percent: u8) {
        set(&mut self.fan, percent > 0);
    }

    fn asic_sensor(&mut self, _via_chip: u8, _kind: u8) -> Option<i32> {
        // ASIC I2C passthrough is not implemented in this firmware yet.
        None
    }
}

#[rp2040_hal::entry]
fn main() -> ! {
    let Some(mut pac) = pac::Peripherals::take() else {
        halt()
    };
    let mut watchdog = Watchdog::new(pac.WATCHDOG);
    let Ok(clocks) = init_clocks_and_plls(
        XOSC_HZ,
        pac.XOSC,
        pac.CLOCKS,
        pac.PLL_SYS,
        pac.PLL_USB,
        &mut pac.RESETS,
        &mut watchdog,
    ) else {
        halt()
    };
    let sio = Sio::new(pac.SIO);
    let pins = rp2040_hal::gpio::Pins::new(
        pac.IO_BANK0,
        pac.PADS_BANK0,
        sio.gpio_bank0,
        &mut pac.RESETS,
    );

    // Everything off first: power disabled, chain held in reset.
    let mut psu_en: Out = pins.gpio3.into_push_pull_output().into_dyn_pin();
    set(&mut psu_en, false);
    let mut nrst: Out = pins.gpio2.into_push_pull_output().into_dyn_pin();
    set(&mut nrst, false);

    let timer = Timer::new(pac.TIMER, &mut pac.RESETS, &clocks);
    critical_section::with(|cs| *TIMER.borrow_ref_mut(cs) = Some(timer));

    let uart_pins: UartPins = (pins.gpio0.into_function(), pins.gpio1.into_function());
    let peripheral_hz = clocks.peripheral_clock.freq().to_Hz();
    let config = UartConfig::new(115_200.Hz(), DataBits::Eight, None, StopBits::One);
    let Ok(mut uart) = UartPeripheral::new(pac.UART0, uart_pins, &mut pac.RESETS)
        .enable(config, clocks.peripheral_clock.freq())
    else {
        halt()
    };
    uart.enable_rx_interrupt();
    critical_section::with(|cs| *UART.borrow_ref_mut(cs) = Some(uart));
    // The interrupt only reads the UART through the critical-section mutex above.
    #[allow(unsafe_code)]
    unsafe {
        pac::NVIC::unmask(pac::Interrupt::UART0_IRQ);
    }

    let board_i2c: BoardI2c = I2C::i2c0(
        pac.I2C0,
        pins.gpio16.reconfigure(),
        pins.gpio17.reconfigure(),
        100.kHz(),
        &mut pac.RESETS,
        &clocks.system_clock,
    );
    let adc_i2c: JigI2c = I2C::i2c1(
        pac.I2C1,
        pins.gpio18.reconfigure(),
        pins.gpio19.reconfigure(),
        400.kHz(),
        &mut pac.RESETS,
        &clocks.system_clock,
    );

    let hal = JigHal {
        timer,
        nrst,
        psu_en,
        plug: pins.gpio4.into_pull_up_input().into_dyn_pin(),
        mux: [
            pins.gpio5.into_push_pull_output().into_dyn_pin(),
            pins.gpio6.into_push_pull_output().into_dyn_pin(),
            pins.gpio7.into_push_pull_output().into_dyn_pin(),
            pins.gpio8.into_push_pull_output().into_dyn_pin(),
            pins.gpio9.into_push_pull_output().into_dyn_pin(),
            pins.gpio10.into_push_pull_output().into_dyn_pin(),
        ],
        led: pins.gpio25.into_push_pull_output().into_dyn_pin(),
        fan: pins.gpio11.into_push_pull_output().into_dyn_pin(),
        adc: adc_i2c,
        peripheral_hz,
        baud: 115_200,
    };
    // Keep the identity tag in the image: the linker drops what nothing reads.
    core::hint::black_box(IMAGE_TAG.as_ptr());
    let mut firmware = Firmware::new(hal, board_i2c, Limits::default(), NAME, false);

    let Some(usb_bus) = cortex_m::singleton!(: UsbBusAllocator<UsbBus> = UsbBusAllocator::new(UsbBus::new(
        pac.USBCTRL_REGS,
        pac.USBCTRL_DPRAM,
        clocks.usb_clock,
        true,
        &mut pac.RESETS,
    ))) else {
        halt()
    };
    let mut serial = SerialPort::new(usb_bus);
    let strings = StringDescriptors::default()
        .manufacturer("Hashbench")
        .product("Hashbench jig")
        .serial_number("HBJIG");
    let Ok(builder) =
        UsbDeviceBuilder::new(usb_bus, UsbVidPid(USB_VID, USB_PID)).strings(&[strings])
    else {
        halt()
    };
    let mut usb = builder.device_class(usbd_serial::USB_CLASS_CDC).build();

    watchdog.start(100.millis());
    let mut to_host: Deque<u8, 8192> = Deque::new();
    let mut buf = [0u8; 256];
    loop {
        watchdog.feed();
        if usb.poll(&mut [&mut serial])
            && let Ok(n) = serial.read(&mut buf)
        {
            firmware.on_host_bytes(buf.get(..n).unwrap_or_default(), &mut |frame: &[u8]| {
                for &b in frame {
                    let _ = to_host.push_back(b);
                }
            });
        }
        firmware.poll(&mut |frame: &[u8]| {
            for &b in frame {
                let _ = to_host.push_back(b);
            }
        });
        let (front, _) = to_host.as_slices();
        if !front.is_empty()
            && let Ok(n) = serial.write(front)
        {
            for _ in 0..n {
                to_host.pop_front();
            }
        }
    }
}

/// Stop with board power off.
fn halt() -> ! {
    cut_power();
    loop {
        cortex_m::asm::wfi();
    }
}

/// Drive the power enable low through the SIO registers, whatever state the firmware is in.
fn cut_power() {
    #[allow(unsafe_code)]
    // SAFETY: a single write to the SIO "clear output" register for one pin; it cannot break
    // memory safety, and it is what the safety rule requires when anything goes wrong.
    unsafe {
        (*pac::SIO::ptr())
            .gpio_out_clr()
            .write(|w| w.bits(1 << PSU_EN_GPIO));
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    halt()
}
