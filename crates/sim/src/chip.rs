//! One simulated ASIC: its registers from power-on, what opens it for work, its PLL, and when
//! its sweep reaches a nonce. Written from the sources, not from the engine's tables.

use bm13xx::Family;

use crate::asic::takes_full_headers;

/// How far a sweep runs past its HASH_COUNTING_NUMBER deadline, in 25 MHz ticks (MUJ-REF).
const HCN_OVERRUN_TICKS: f64 = 130.0;
/// The hash clock out of reset, MHz. [I] ESP-Miner assumes 50 MHz before its first ramp
/// (`power_management_task.c`); no source measured it.
pub const RESET_MHZ: f64 = 50.0;
/// The largest PLL step a chip follows, MHz. [I] Every source ramps in 6.25 MHz steps (ESP-Miner
/// `do_frequency_transition`, the S19j Pro factory capture in mujina REFERENCE.md); a jump of more
/// than two steps makes the simulated PLL lose lock and the chip stop hashing until reset.
pub const MAX_PLL_STEP_MHZ: f64 = 12.5;

/// Register addresses the simulation reads (skot `registers.md`, mujina REFERENCE.md register
/// map; BM1387: bmminer-mix `driver-btm-c5.h`).
pub mod regs {
    pub const CHIP_ADDRESS: u8 = 0x00;
    pub const PLL0: u8 = 0x08;
    pub const NONCE_OFFSET: u8 = 0x0C;
    pub const HCN: u8 = 0x10;
    pub const TICKET_MASK: u8 = 0x14;
    pub const MISC_CONTROL: u8 = 0x18;
    pub const FAST_UART: u8 = 0x28;
    pub const CORE_MAILBOX: u8 = 0x3C;
    pub const MIDSTATE_CONFIG: u8 = 0xA4;
    pub const SOFT_RESET: u8 = 0xA8;
    pub const BM1387_PLL: u8 = 0x0C;
    pub const BM1387_HCN: u8 = 0x14;
    pub const BM1387_TICKET_MASK: u8 = 0x18;
    pub const BM1387_MISC_CONTROL: u8 = 0x1C;
    /// The I2C command register: GENERAL_I2C_COMMAND 0x20 on the BM1387 (bmminer-mix
    /// `driver-btm-c5.h`), I2CControl 0x1C on BM1397 and later (bm13xx-rs `I2CControl::ADDR`).
    pub const BM1387_I2C_COMMAND: u8 = 0x20;
    pub const I2C_CONTROL: u8 = 0x1C;
}

/// Where this family keeps the registers the simulation reads.
#[derive(Debug, Clone, Copy)]
pub struct RegMap {
    pub pll: u8,
    pub hcn: u8,
    pub ticket: u8,
    pub offset: Option<u8>,
    pub baud: u8,
}

impl RegMap {
    pub fn of(family: Family) -> Self {
        match family {
            Family::Bm1387 => Self {
                pll: regs::BM1387_PLL,
                hcn: regs::BM1387_HCN,
                ticket: regs::BM1387_TICKET_MASK,
                offset: None,
                baud: regs::BM1387_MISC_CONTROL,
            },
            Family::Bm1397 | Family::Bm1398 => Self {
                pll: regs::PLL0,
                hcn: regs::HCN,
                ticket: regs::TICKET_MASK,
                offset: None,
                baud: regs::MISC_CONTROL,
            },
            _ => Self {
                pll: regs::PLL0,
                hcn: regs::HCN,
                ticket: regs::TICKET_MASK,
                offset: (family == Family::Bm1370).then_some(regs::NONCE_OFFSET),
                baud: regs::FAST_UART,
            },
        }
    }
}

/// The UART divider a baud-register value holds: BM1397/98 BT8D in bits 12-8 of MISC_CONTROL
/// (skot `bm1397.md`: 0x7A31 → 26, 0x6031 → 0); BM136x FAST_UART and BM1387 MISC_CONTROL bits
/// 15-8 (mujina 0x28; gekko `58 09 00 1C 00 20 <div> 00`).
pub fn baud_divider(family: Family, value: u32) -> u32 {
    match family {
        Family::Bm1397 | Family::Bm1398 => (value >> 8) & 0x1F,
        _ => (value >> 8) & 0xFF,
    }
}

/// Baud of a divider: 25 MHz / (8 × (divider + 1)).
pub fn baud_of_divider(divider: u32) -> u32 {
    (25_000_000.0 / (8.0 * f64::from(divider + 1))).round() as u32
}

/// Register 0 after reset: chip ID, the family's third byte (facts §2.2), address 0.
fn reset_id_register(family: Family, chip_id: u16) -> u32 {
    let third: u32 = match family {
        Family::Bm1397 => 0x18,
        Family::Bm1362 => 0x03,
        _ => 0x00,
    };
    u32::from(chip_id) << 16 | third << 8
}

/// A chip's state.
#[derive(Debug, Clone)]
pub struct Chip {
    /// Chain index.
    pub index: usize,
    /// Current address.
    pub address: u8,
    /// Took an address since reset.
    pub addressed: bool,
    /// Register file.
    pub regs: [u32; 256],
    /// Cores that hash (index = core id).
    pub alive: Vec<bool>,
    /// The chip ID it reports (wrong under `wrongid`).
    pub chip_id: u16,
    /// Version rolling enabled (11-byte replies on BM136x).
    pub version_rolling: bool,
    /// Hash clock, MHz.
    pub clock_mhz: f64,
    /// The PLL follows its writes (lost on a jump it would not take, until reset).
    pub pll_locked: bool,
    /// The core enable was posted through the core mailbox since reset.
    pub cores_enabled: bool,
    /// The I2C master is busy until this time, ns (its command register reads busy till then).
    pub i2c_done_at: u64,
}

/// The register a family's chips take I2C commands in.
pub fn i2c_register(family: Family) -> u8 {
    if family == Family::Bm1387 {
        regs::BM1387_I2C_COMMAND
    } else {
        regs::I2C_CONTROL
    }
}

impl Chip {
    /// A chip fresh out of reset.
    pub fn new(index: usize, family: Family, chip_id: u16, cores: usize) -> Self {
        let mut chip = Self {
            index,
            address: 0,
            addressed: false,
            regs: [0; 256],
            alive: vec![true; cores],
            chip_id,
            version_rolling: false,
            clock_mhz: RESET_MHZ,
            pll_locked: true,
            cores_enabled: false,
            i2c_done_at: 0,
        };
        chip.reset(family);
        chip
    }

    /// NRST: registers to their power-on values, no address, PLL back at its reset clock.
    pub fn reset(&mut self, family: Family) {
        self.regs = [0; 256];
        self.regs[usize::from(regs::CHIP_ADDRESS)] = reset_id_register(family, self.chip_id);
        match family {
            // mujina REFERENCE.md: MISC_CONTROL powers on as 0x0000C100 (report enables clear),
            // UART_BAUD 0x01301A00 (divider 26), SOFT_RESET_CONTROL 0x00070000 (BM1366/68/70)
            // or 0 (BM1362).
            Family::Bm1362 | Family::Bm1366 | Family::Bm1368 | Family::Bm1370 => {
                self.regs[usize::from(regs::MISC_CONTROL)] = 0x0000_C100;
                self.regs[usize::from(regs::FAST_UART)] = 0x0130_1A00;
                if family != Family::Bm1362 {
                    self.regs[usize::from(regs::SOFT_RESET)] = 0x0007_0000;
                }
            }
            // skot `registers.md`: MISC_CONTROL resets to 0x00003A01 (BT8D 26).
            Family::Bm1397 | Family::Bm1398 => {
                self.regs[usize::from(regs::MISC_CONTROL)] = 0x0000_3A01;
                // bm13xx-rs `bm1397/src/lib.rs`: I2CControl resets to 0x01000000.
                self.regs[usize::from(regs::I2C_CONTROL)] = 0x0100_0000;
            }
            // [I] Divider 26 (bmminer DEFAULT_BAUD_DIVIDER) in bits 15-8.
            Family::Bm1387 => {
                self.regs[usize::from(regs::BM1387_MISC_CONTROL)] = 0x0000_1A00;
            }
        }
        self.address = 0;
        self.addressed = false;
        self.version_rolling = false;
        self.clock_mhz = RESET_MHZ;
        self.pll_locked = true;
        self.cores_enabled = false;
        self.i2c_done_at = 0;
    }

    /// Whether the I2C master drives its pins. The BM1387 only once MISC_CONTROL has bit 14 set
    /// (bmminer-mix sets `divider | 0x40` in that byte, with 0x60 below it, only for I2C; [I]
    /// which of those bits gates the master is not documented); later families always.
    pub fn i2c_enabled(&self, family: Family) -> bool {
        family != Family::Bm1387 || self.regs[usize::from(regs::BM1387_MISC_CONTROL)] & 0x4000 != 0
    }

    /// Apply a register write.
    pub fn write(&mut self, family: Family, register: u8, value: u32) {
        if register == regs::CHIP_ADDRESS {
            // [I] Writing the address into register 0 re-addresses the chip (the S9k factory
            // firmware does this, facts §2.1); the ID bits are read-only.
            self.address = value as u8;
            self.addressed = true;
            return;
        }
        let map = RegMap::of(family);
        if register == map.pll {
            self.set_pll(family, value);
        }
        if register == regs::MIDSTATE_CONFIG && takes_full_headers(family) {
            self.version_rolling = value & 0x8000_0000 != 0;
        }
        if register == regs::CORE_MAILBOX && value & 0x8000 != 0 {
            // mujina REFERENCE.md 0x3C: wr bit 15, core register in bits 12-8; core register
            // 0x02 = 0xAA is the core enable (BM136x). [I] The BM1397 is taken to need its
            // one core-register write (0x80008074, ESP-Miner and gekko) before it hashes.
            let enable = (value >> 8) & 0x1F == 0x02 && value & 0xFF == 0xAA;
            if enable || matches!(family, Family::Bm1397 | Family::Bm1398) {
                self.cores_enabled = true;
            }
        }
        self.regs[usize::from(register)] = value;
    }

    fn set_pll(&mut self, family: Family, value: u32) {
        let fb = f64::from((value >> 16) & 0xFFF);
        let refdiv = f64::from((value >> 8) & 0x3F);
        let (pd1, pd2) = match family {
            // Post dividers stored as they are (ESP-Miner `BM1397_send_hash_frequency`; gekko's
            // BM1387 word `{00, fb, 02, 21}`).
            Family::Bm1387 | Family::Bm1397 | Family::Bm1398 => {
                (f64::from((value >> 4) & 0xF), f64::from(value & 0xF))
            }
            // Stored minus one (mujina 0x08).
            _ => (
                f64::from(((value >> 4) & 0x7) + 1),
                f64::from((value & 0x7) + 1),
            ),
        };
        if fb == 0.0 || refdiv == 0.0 || pd1 == 0.0 || pd2 == 0.0 {
            self.pll_locked = false;
            return;
        }
        let mhz = 25.0 * fb / (refdiv * pd1 * pd2);
        if (mhz - self.clock_mhz).abs() > MAX_PLL_STEP_MHZ + 1e-6 {
            self.pll_locked = false;
        }
        self.clock_mhz = mhz;
    }

    /// Read a register (register 0 shows the current address).
    pub fn read(&self, register: u8) -> u32 {
        if register == regs::CHIP_ADDRESS {
            return self.regs[0] & 0xFFFF_FF00 | u32::from(self.address);
        }
        self.regs[usize::from(register)]
    }

    /// Hash clock in Hz, or 0 when the PLL lost lock.
    pub fn freq_hz(&self) -> f64 {
        if self.pll_locked {
            self.clock_mhz * 1e6
        } else {
            0.0
        }
    }

    /// Zero bits beyond the hard-wired 32 the ticket mask asks for.
    pub fn ticket_bits(&self, family: Family) -> u32 {
        crate::asic::ticket_bits(self.regs[usize::from(RegMap::of(family).ticket)])
    }

    /// The rolled version bits (header bits 28-13) the midstate config enables.
    pub fn rolled_bits(&self) -> u32 {
        if self.version_rolling {
            (self.regs[usize::from(regs::MIDSTATE_CONFIG)] & 0xFFFF) << 13
        } else {
            0
        }
    }

    /// The core field of a nonce: BM1387 `nonce & 0x7F` (bmminer `which_core_nonce`), later
    /// families bits 31-25 of the field view (ESP-Miner; mujina).
    pub fn core_of(family: Family, nonce: u32) -> usize {
        let nonce_h = nonce.swap_bytes();
        if family == Family::Bm1387 {
            (nonce_h & 0x7F) as usize
        } else {
            (nonce_h >> 25) as usize
        }
    }

    /// Whether the chip would report a nonce of `core`: the PLL locked, the core alive, and the
    /// reporting path open. BM136x: the core enable posted and MISC_CONTROL's report enables set
    /// (BM1370: bit 28 + core / 32, one bit a quarter; the others any of bits 31-28, as the
    /// BM1362 reports core 64 with bit 30 clear) (mujina REFERENCE.md 0x18).
    pub fn reports(&self, family: Family, core: usize) -> bool {
        if !self.pll_locked || !self.alive.get(core).copied().unwrap_or(false) {
            return false;
        }
        let misc = self.regs[usize::from(regs::MISC_CONTROL)];
        match family {
            Family::Bm1370 => self.cores_enabled && misc & (1 << (28 + (core / 32).min(3))) != 0,
            Family::Bm1362 | Family::Bm1366 | Family::Bm1368 => {
                self.cores_enabled && misc & 0xF000_0000 != 0
            }
            Family::Bm1397 | Family::Bm1398 => self.cores_enabled,
            Family::Bm1387 => true,
        }
    }

    /// Seconds one sweep (one version batch) takes: the HASH_COUNTING_NUMBER deadline, overrun
    /// by about 130 ticks (MUJ-REF), or `None` when the chip does not hash.
    pub fn batch_seconds(&self, family: Family) -> Option<f64> {
        let hcn = self.regs[usize::from(RegMap::of(family).hcn)];
        (hcn != 0 && self.freq_hz() > 0.0).then(|| (f64::from(hcn) + HCN_OVERRUN_TICKS) / 25e6)
    }

    /// When, from the start of a version batch, this chip's sweep reaches `nonce`, in seconds;
    /// `None` when the nonce is outside what it sweeps.
    pub fn time_to_nonce(&self, family: Family, nonce: u32) -> Option<f64> {
        let nonce_h = nonce.swap_bytes();
        let map = RegMap::of(family);
        // The counter space each core sweeps and where this chip starts in it.
        let (x, start) = match (family, map.offset) {
            (Family::Bm1370, Some(offset_reg)) => {
                let offset = self.regs[usize::from(offset_reg)];
                let start = if offset & 0x8000_0000 != 0 {
                    (offset & 0xFFFF) << 9
                } else {
                    0
                };
                (nonce_h & 0x1FF_FFFF, start)
            }
            (Family::Bm1387, _) => {
                // Chip field in the top byte, core in the low 7 bits, counter between.
                (
                    (nonce_h >> 24) << 17 | (nonce_h & 0xFF_FFFF) >> 7,
                    u32::from(self.address) << 17,
                )
            }
            _ => (nonce_h & 0x1FF_FFFF, u32::from(self.address) << 17),
        };
        let freq = self.freq_hz();
        let batch = self.batch_seconds(family)?;
        if freq <= 0.0 || x < start {
            return None;
        }
        // Each core advances 2 nonces per hash clock until the deadline (MUJ-REF).
        let swept = batch * 2.0 * freq;
        let distance = f64::from(x - start);
        (distance < swept).then(|| distance / (2.0 * freq))
    }

    /// Version slots a core hashes at once: 8 sub-cores on BM1362/66, 16 on BM1368/70 (mujina
    /// "The Parallel Hierarchy").
    pub fn version_slots(family: Family) -> u32 {
        match family {
            Family::Bm1368 | Family::Bm1370 => 16,
            _ => 8,
        }
    }

    /// The reply byte that carries `job_id` and the sub-core or midstate `slot`: BM1362/66 id in
    /// bits 7-3, sub-core in 2-0; BM1368/70 id = (byte & 0xF0) >> 1, sub-core in 3-0 (ESP-Miner
    /// `bm1366.c`, `bm1370.c`); BM1397/98 id in bits 7-2, midstate in 1-0 (ESP-Miner `bm1397.c`);
    /// BM1387 the id alone.
    pub fn job_byte(family: Family, job_id: u8, slot: u8) -> u8 {
        match family {
            Family::Bm1387 => job_id,
            Family::Bm1397 | Family::Bm1398 => (job_id & 0xFC) | (slot & 0x03),
            Family::Bm1362 | Family::Bm1366 => (job_id & 0xF8) | (slot & 0x07),
            Family::Bm1368 | Family::Bm1370 => ((job_id << 1) & 0xF0) | (slot & 0x0F),
        }
    }
}
