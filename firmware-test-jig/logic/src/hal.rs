//! What the logic needs from the board it runs on: small traits the RP2040 binary implements with
//! its peripherals, the simulator with its model, and the tests with mocks.

/// The jig's hardware, apart from I2C (an [`embedded_hal::i2c::I2c`] bus).
pub trait Hal {
    /// Monotonic time, µs.
    fn now_us(&mut self) -> u64;
    /// Board power enable (relay or PSU enable).
    fn set_power(&mut self, on: bool);
    /// Chain reset line (NRST), true = held in reset.
    fn set_reset(&mut self, asserted: bool);
    /// Set the ASIC UART rate; false if the hardware cannot do it.
    fn set_baud(&mut self, baud: u32) -> bool;
    /// Queue bytes for the ASIC UART; returns how many were taken.
    fn uart_write(&mut self, bytes: &[u8]) -> usize;
    /// Take bytes the ASIC UART received back to back; returns how many, and the jig time the
    /// first of them arrived (the UART interrupt timestamps them). Bytes after a gap in the line
    /// may come in the next call.
    fn uart_read(&mut self, buf: &mut [u8]) -> (usize, u64);
    /// Receive faults so far: (bytes lost because the receive ring was full, receive errors:
    /// framing, parity, break, overrun). Cumulative since power-on.
    fn rx_faults(&mut self) -> (u32, u32);
    /// Select a channel of the domain-tap multiplexer. Returns at once: the firmware waits
    /// `Limits::mux_settle_us` before it starts a conversion.
    fn mux_select(&mut self, channel: u8);
    /// Start one ADC conversion at the multiplexer output; false when the converter did not
    /// take the command. Returns at once: the firmware reads the result
    /// `Limits::adc_conversion_us` later.
    fn adc_start(&mut self) -> bool;
    /// The finished conversion, µV at the ADC pin, or `None` when the converter did not answer.
    /// The taps sit behind a divider (`Limits::tap_ratio_milli`), so the ADC needs µV
    /// resolution: a 16-bit converter such as an ADS1115 gives 125 µV at the pin, under 4 mV at
    /// a tap behind 30:1.
    fn adc_read_uv(&mut self) -> Option<u32>;
    /// The stored correction of tap `tap`, parts per million of its reading, or `None` when the
    /// jig was never calibrated (the jig's own EEPROM, read at start).
    fn cal_load(&mut self, tap: u8) -> Option<i32>;
    /// Store the correction of tap `tap` (one short EEPROM write; the firmware spaces them by the
    /// EEPROM's write time); false when the EEPROM did not take it.
    fn cal_store(&mut self, tap: u8, ppm: i32) -> bool;
    /// Board plug detect.
    fn plug_present(&mut self) -> bool;
    /// Status LED.
    fn set_led(&mut self, on: bool);
    /// Fan PWM duty, percent.
    fn set_fan(&mut self, percent: u8);
}
