//! Hashbench test jig firmware for the RP2040 (Raspberry Pi Pico class boards).
//!
//! A superloop: USB CDC-ACM bytes from the app go to the `jig-logic` firmware, which drives the
//! hashboard's power, reset, ASIC UART, tap multiplexer, ADC and I2C; its answers go back over
//! USB. The ASIC UART's receive interrupt timestamps bytes into a ring buffer (each byte's time
//! taken back from the interrupt's to when it arrived), so 3.125 Mbaud never overruns the
//! 32-byte FIFO; bytes read before a receive error are kept, and every loss is counted. Nothing
//! in the loop blocks: a telemetry scan is a step per pass (`jig-logic`), so USB is polled and the
//! watchdog fed well within 10 ms. A watchdog resets a hung loop, and a panic or a HardFault cuts
//! board power before anything else: the board is never left powered without a working host
//! link. The supply enable is active low (an APW12's enable is pulled to ground to switch on,
//! bitcrane), with a pull-up on the jig so a jig in reset or unflashed keeps it off.
//! Pin map and wiring: README.md.

#![no_std]
#![no_main]

use core::cell::{Cell, RefCell};

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
/// GPIO of the board power enable (active low), cut by the panic and HardFault handlers.
const PSU_EN_GPIO: u32 = 3;
/// ADS1115 on the jig's own I2C bus.
const ADS1115: u8 = 0x48;
/// The jig's own EEPROM (AT24C02) on the same bus: the tap corrections, 4 bytes a tap.
const JIG_EEPROM: u8 = 0x50;
/// Firmware name reported in the handshake.
const NAME: &str = concat!("hashbench-jig ", env!("CARGO_PKG_VERSION"));
/// The image's identity, read by the app from the ELF/UF2 before flashing (`flash` crate):
/// firmware name and version as in the handshake, and the protocol it speaks.
static IMAGE_TAG: &str = concat!(
    "HASHBENCH-JIG-IMAGE firmware=hashbench-jig ",
    env!("CARGO_PKG_VERSION"),
    " protocol=5\0"
);
// The tag's protocol number is a literal (concat! takes no consts): keep it the wire's.
const _: () = assert!(
    jig_wire::PROTOCOL_VERSION == 5,
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
    /// Bytes lost to a full ring.
    lost: u32,
    /// Receive errors (framing, parity, break, overrun).
    errors: u32,
}

static UART: Mutex<RefCell<Option<Uart>>> = Mutex::new(RefCell::new(None));
static TIMER: Mutex<RefCell<Option<Timer>>> = Mutex::new(RefCell::new(None));
static RX: Mutex<RefCell<Rx>> = Mutex::new(RefCell::new(Rx {
    bytes: Deque::new(),
    runs: Deque::new(),
    pushed: 0,
    popped: 0,
    last_us: 0,
    lost: 0,
    errors: 0,
}));
/// The chain UART's rate, for the time one byte takes on the line.
static BAUD: Mutex<Cell<u32>> = Mutex::new(Cell::new(115_200));

/// A gap this long on the line starts a new run.
const RUN_GAP_US: u64 = 200;

/// Keep `bytes` read from the FIFO at `now`: the last of them arrived about `now`, each one
/// before it a byte time earlier (at 115200 a full FIFO is 2.8 ms of line time, so the
/// interrupt's own time would be late by that much for the first byte).
fn keep(rx: &mut Rx, bytes: &[u8], now: u64, byte_us: u64) {
    let n = bytes.len() as u64;
    for (i, &b) in bytes.iter().enumerate() {
        let at = now.saturating_sub((n - 1 - i as u64) * byte_us);
        if rx.bytes.is_empty() || at.saturating_sub(rx.last_us) >= RUN_GAP_US {
            let start = rx.pushed;
            // With no room for another mark the run simply goes on.
            let _ = rx.runs.push_back((start, at));
        }
        if rx.bytes.push_back(b).is_ok() {
            rx.pushed = rx.pushed.wrapping_add(1);
        } else {
            rx.lost = rx.lost.wrapping_add(1);
        }
        rx.last_us = at;
    }
}

#[interrupt]
fn UART0_IRQ() {
    critical_section::with(|cs| {
        let now = TIMER
            .borrow_ref(cs)
            .as_ref()
            .map_or(0, |t| t.get_counter().ticks());
        // 10 bits a byte (8N1), in µs, rounded up.
        let byte_us = u64::from(10_000_000u32.div_ceil(BAUD.borrow(cs).get().max(1)));
        let uart = UART.borrow_ref(cs);
        let Some(uart) = uart.as_ref() else { return };
        let mut rx = RX.borrow_ref_mut(cs);
        let mut chunk = [0u8; 32];
        loop {
            match uart.read_raw(&mut chunk) {
                Ok(0) | Err(nb::Error::WouldBlock) => break,
                Ok(n) => keep(&mut rx, chunk.get(..n).unwrap_or_default(), now, byte_us),
                Err(nb::Error::Other(e)) => {
                    // The bytes read before the error are good: keep them, count the error.
                    rx.errors = rx.errors.wrapping_add(1);
                    keep(&mut rx, e.discarded, now, byte_us);
                }
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

fn set(pin: &mut Out, high: bool) {
    // Setting a SIO output cannot fail on the RP2040.
    let _ = if high { pin.set_high() } else { pin.set_low() };
}

impl Hal for JigHal {
    fn now_us(&mut self) -> u64 {
        self.timer.get_counter().ticks()
    }

    fn set_power(&mut self, on: bool) {
        // Active low: the supply runs while its enable is pulled down.
        set(&mut self.psu_en, !on);
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
            critical_section::with(|cs| BAUD.borrow(cs).set(baud));
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

    fn rx_faults(&mut self) -> (u32, u32) {
        critical_section::with(|cs| {
            let rx = RX.borrow_ref(cs);
            (rx.lost, rx.errors)
        })
    }

    fn cal_load(&mut self, tap: u8) -> Option<i32> {
        let mut raw = [0u8; 4];
        self.adc
            .write_read(JIG_EEPROM, &[tap.wrapping_mul(4)], &mut raw)
            .ok()?;
        // An erased EEPROM reads all ones: never calibrated.
        (raw != [0xFF; 4]).then(|| i32::from_le_bytes(raw))
    }

    fn cal_store(&mut self, tap: u8, ppm: i32) -> bool {
        // One 4-byte write inside an 8-byte page; the firmware waits out the write cycle.
        let b = ppm.to_le_bytes();
        self.adc
            .write(JIG_EEPROM, &[tap.wrapping_mul(4), b[0], b[1], b[2], b[3]])
            .is_ok()
    }

    fn mux_select(&mut self, channel: u8) {
        // The firmware waits for the CD74HC4067 and the divider's RC to settle.
        for (bit, pin) in self.mux.iter_mut().enumerate() {
            set(pin, channel & (1 << bit) != 0);
        }
    }

    fn adc_start(&mut self) -> bool {
        // Single-shot: AIN0 against ground, ±4.096 V (125 µV per bit), 860 samples/s.
        self.adc.write(ADS1115, &[0x01, 0xC3, 0xE3]).is_ok()
    }

    fn adc_read_uv(&mut self) -> Option<u32> {
        let mut raw = [0u8; 2];
        self.adc.write_read(ADS1115, &[0x00], &mut raw).ok()?;
        Some((i32::from(i16::from_be_bytes(raw)).max(0) as u32) * 125)
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

    // Everything off first: power disabled (enable high: active low), chain held in reset.
    let mut psu_en: Out = pins.gpio3.into_push_pull_output().into_dyn_pin();
    set(&mut psu_en, true);
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
        let mut dropped = 0u32;
        let mut queue = |frame: &[u8]| {
            for &b in frame {
                if to_host.push_back(b).is_err() {
                    dropped = dropped.wrapping_add(1);
                }
            }
        };
        if usb.poll(&mut [&mut serial])
            && let Ok(n) = serial.read(&mut buf)
        {
            firmware.on_host_bytes(buf.get(..n).unwrap_or_default(), &mut queue);
        }
        firmware.poll(&mut queue);
        if dropped > 0 {
            firmware.note_usb_dropped(dropped);
        }
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

/// Drive the (active-low) power enable high through the SIO registers, whatever state the
/// firmware is in.
fn cut_power() {
    #[allow(unsafe_code)]
    // SAFETY: a single write to the SIO "set output" register for one pin; it cannot break
    // memory safety, and it is what the safety rule requires when anything goes wrong.
    unsafe {
        (*pac::SIO::ptr())
            .gpio_out_set()
            .write(|w| w.bits(1 << PSU_EN_GPIO));
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    halt()
}

/// A bus fault, a bad instruction, a stack overflow into a guard: power off first, then stop
/// (the watchdog restarts the jig into its all-off state).
#[allow(unsafe_code)]
#[cortex_m_rt::exception]
unsafe fn HardFault(_frame: &cortex_m_rt::ExceptionFrame) -> ! {
    halt()
}
