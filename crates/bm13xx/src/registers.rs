//! Register addresses (facts §1.7 for BM1397 and later, §1.2 for BM1387).

/// CHIP_ADDRESS / CHIP_ID: `[id_hi id_lo X addr]`.
pub const CHIP_ADDRESS: u8 = 0x00;
/// HASHRATE (BM1397). [C] unit 2^20 (ESP-Miner) or 2^24 (skot) hashes.
pub const HASHRATE: u8 = 0x04;
/// PLL0 / PLL divider: f = 25 MHz × FB_DIV / (REF_DIV × PD1 × PD2).
pub const PLL0: u8 = 0x08;
/// CHIP_NONCE_OFFSET: bit 31 enable, bits 15-0 offset (BM1370 sweeps from offset << 9).
pub const CHIP_NONCE_OFFSET: u8 = 0x0C;
/// HASH_COUNTING_NUMBER: sweep deadline in 25 MHz ticks; 0 halts hashing.
pub const HASH_COUNTING_NUMBER: u8 = 0x10;
/// TICKET_MASK: see [`crate::ticket`].
pub const TICKET_MASK: u8 = 0x14;
/// MISC_CONTROL: BM1397 baud divider (BT8D); BM136x open-core bits.
pub const MISC_CONTROL: u8 = 0x18;
/// I2C control (BM1397 I2C master passthrough).
pub const I2C_CONTROL: u8 = 0x1C;
/// FAST_UART / UART_BAUD (BM136x): divider in bits 15-8.
pub const FAST_UART: u8 = 0x28;
/// UART_RELAY: gap count 31-16, rsp bit 1, cmd bit 0.
pub const UART_RELAY: u8 = 0x2C;
/// CORE_MAILBOX: indirect per-core registers.
pub const CORE_REGISTER_CONTROL: u8 = 0x3C;
/// Error counter (polled by ESP-Miner on every family).
pub const ERROR_COUNT: u8 = 0x4C;
/// ANALOG_MUX: 3 default, 2 temperature diode (BM1370).
pub const ANALOG_MUX: u8 = 0x54;
/// IO_DRIVER_STRENGTH.
pub const IO_DRIVER_STRENGTH: u8 = 0x58;
/// PLL3 (BM1397) / RING_OSC_PAD_DISABLE (BM1368/70).
pub const PLL3: u8 = 0x68;
/// First per-domain hash counter (BM1366/68/70), 0x88..=0x8B.
pub const DOMAIN_COUNTER_0: u8 = 0x88;
/// Total hash counter (BM1366/68/70): one count = 2^32 hashes.
pub const TOTAL_COUNTER: u8 = 0x8C;
/// MIDSTATE_CONFIG / version rolling enable (BM1362 and later).
pub const VERSION_ROLLING: u8 = 0xA4;
/// SOFT_RESET_CONTROL.
pub const SOFT_RESET_CONTROL: u8 = 0xA8;

/// Version-rolling value written before discovery: auto midstate, 8 midstates, mask 0xFFFF.
pub const VERSION_ROLLING_FULL_MASK: u32 = 0x9000_FFFF;

/// BM1387 register map and command codes (BMM `driver-btm-c5.h`).
pub mod bm1387 {
    /// CHIP_ADDRESS.
    pub const CHIP_ADDRESS: u8 = 0x00;
    /// GOLDEN_NONCE_COUNTER.
    pub const GOLDEN_NONCE_COUNTER: u8 = 0x08;
    /// PLL_PARAMETER.
    pub const PLL_PARAMETER: u8 = 0x0C;
    /// START_NONCE_OFFSET.
    pub const START_NONCE_OFFSET: u8 = 0x10;
    /// HASH_COUNTING_NUMBER.
    pub const HASH_COUNTING_NUMBER: u8 = 0x14;
    /// TICKET_MASK.
    pub const TICKET_MASK: u8 = 0x18;
    /// MISC_CONTROL (holds the baud divider).
    pub const MISC_CONTROL: u8 = 0x1C;
    /// GENERAL_I2C_COMMAND (temperature sensor passthrough on the S9).
    pub const GENERAL_I2C_COMMAND: u8 = 0x20;

    /// Command code: set address.
    pub const CMD_SET_ADDRESS: u8 = 1;
    /// Command code: set PLL divider 2.
    pub const CMD_SET_PLL_DIVIDER2: u8 = 2;
    /// Command code: pattern control.
    pub const CMD_PATTERN_CONTROL: u8 = 3;
    /// Command code: get status (register read).
    pub const CMD_GET_STATUS: u8 = 4;
    /// Command code: chain inactive.
    pub const CMD_CHAIN_INACTIVE: u8 = 5;
    /// Command code: set baud ops.
    pub const CMD_SET_BAUD_OPS: u8 = 6;
    /// Command code: set PLL divider 1.
    pub const CMD_SET_PLL_DIVIDER1: u8 = 7;
    /// Command code: set config (register write).
    pub const CMD_SET_CONFIG: u8 = 8;
}
