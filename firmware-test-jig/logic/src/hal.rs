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
    /// Select a channel of the domain-tap multiplexer.
    fn mux_select(&mut self, channel: u8);
    /// Read the ADC at the multiplexer output, µV at the ADC pin. The taps sit behind a divider
    /// (`Limits::tap_ratio_milli`), so the ADC needs µV resolution: a 16-bit converter such as
    /// an ADS1115 gives 125 µV at the pin, under 4 mV at a tap behind 30:1.
    fn adc_uv(&mut self) -> u32;
    /// Board plug detect.
    fn plug_present(&mut self) -> bool;
    /// Status LED.
    fn set_led(&mut self, on: bool);
    /// Fan PWM duty, percent.
    fn set_fan(&mut self, percent: u8);
    /// Read a sensor reached through an ASIC (I2C passthrough or diode input), hundredths of
    /// °C, or `None` if the hardware cannot. The RP2040 firmware does not implement ASIC
    /// passthrough yet; the simulated jig answers from its board.
    fn asic_sensor(&mut self, via_chip: u8, kind: u8) -> Option<i32>;
}
