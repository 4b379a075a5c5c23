//! One simulated ASIC: its registers and how it hashes a job.

use bm13xx::family::JobByteLayout;
use bm13xx::{Family, registers as reg};

/// How far a sweep runs past its HASH_COUNTING_NUMBER deadline, in 25 MHz ticks (MUJ-REF).
const HCN_OVERRUN_TICKS: f64 = 130.0;

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
}

/// Where this family keeps the registers the simulation reads. BM1387 has its own map.
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
                pll: reg::bm1387::PLL_PARAMETER,
                hcn: reg::bm1387::HASH_COUNTING_NUMBER,
                ticket: reg::bm1387::TICKET_MASK,
                offset: None,
                baud: reg::bm1387::MISC_CONTROL,
            },
            Family::Bm1370 => Self {
                pll: reg::PLL0,
                hcn: reg::HASH_COUNTING_NUMBER,
                ticket: reg::TICKET_MASK,
                offset: Some(reg::CHIP_NONCE_OFFSET),
                baud: reg::FAST_UART,
            },
            _ => Self {
                pll: reg::PLL0,
                hcn: reg::HASH_COUNTING_NUMBER,
                ticket: reg::TICKET_MASK,
                offset: None,
                baud: family.baud_register(),
            },
        }
    }
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
        };
        chip.reset(family);
        chip
    }

    /// NRST: registers to their reset values, no address.
    pub fn reset(&mut self, family: Family) {
        self.regs = [0; 256];
        self.regs[usize::from(reg::CHIP_ADDRESS)] = reset_id_register(family, self.chip_id);
        let map = RegMap::of(family);
        // Reset baud divider 26 (115,740 baud) in the family's register layout.
        self.regs[usize::from(map.baud)] = bm13xx::baud::divider_register_value(family, 26);
        self.address = 0;
        self.addressed = false;
        self.version_rolling = false;
    }

    /// Apply a register write.
    pub fn write(&mut self, family: Family, register: u8, value: u32) {
        if register == reg::CHIP_ADDRESS {
            // [I] Writing the address into register 0 re-addresses the chip (the S9k factory
            // firmware does this, facts §2.1); the ID bits are read-only.
            self.address = value as u8;
            self.addressed = true;
            return;
        }
        if register == reg::VERSION_ROLLING && family.rolls_version() {
            self.version_rolling = value & 0x8000_0000 != 0;
        }
        self.regs[usize::from(register)] = value;
    }

    /// Read a register (register 0 shows the current address).
    pub fn read(&self, register: u8) -> u32 {
        if register == reg::CHIP_ADDRESS {
            return self.regs[0] & 0xFFFF_FF00 | u32::from(self.address);
        }
        self.regs[usize::from(register)]
    }

    /// Hash clock in Hz from the PLL register, or 0 when the PLL was never set up.
    pub fn freq_hz(&self, family: Family) -> f64 {
        let v = self.regs[usize::from(RegMap::of(family).pll)];
        let fb = f64::from((v >> 16) & 0xFF);
        let refdiv = f64::from((v >> 8) & 0xFF);
        let post = v & 0xFF;
        let (pd1, pd2) = match family {
            Family::Bm1387 | Family::Bm1397 | Family::Bm1398 => {
                (f64::from((post >> 4) & 0xF), f64::from(post & 0xF))
            }
            _ => (
                f64::from(((post >> 4) & 0x7) + 1),
                f64::from((post & 0x7) + 1),
            ),
        };
        if fb == 0.0 || refdiv == 0.0 || pd1 == 0.0 || pd2 == 0.0 {
            return 0.0;
        }
        25e6 * fb / (refdiv * pd1 * pd2)
    }

    /// Ticket difficulty the chip was given.
    pub fn ticket_difficulty(&self, family: Family) -> u64 {
        bm13xx::ticket::difficulty_for_mask(self.regs[usize::from(RegMap::of(family).ticket)])
            .unwrap_or(1)
    }

    /// Where this chip's sweep starts and how far it goes, in the family's counter space, and
    /// when it would reach `nonce` on `core`: `Some(seconds)` if it sweeps `nonce`.
    pub fn time_to_nonce(&self, family: Family, nonce: u32) -> Option<f64> {
        let nonce_h = nonce.swap_bytes();
        let (core_shift, core_mask) = family.core_field();
        let core = ((nonce_h >> core_shift) & core_mask) as usize;
        if !*self.alive.get(core)? {
            return None;
        }
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
        let freq = self.freq_hz(family);
        let hcn = self.regs[usize::from(map.hcn)];
        if freq <= 0.0 || hcn == 0 || x < start {
            return None;
        }
        // Each core advances 2 nonces per hash clock until the HCN deadline, which it overruns
        // by about 130 ticks (MUJ-REF).
        let swept = (f64::from(hcn) + HCN_OVERRUN_TICKS) / 25e6 * 2.0 * freq;
        let distance = f64::from(x - start);
        (distance < swept).then(|| distance / (2.0 * freq))
    }

    /// The reply byte that carries `job_id` for this family (sub-core / midstate 0).
    pub fn job_byte(family: Family, job_id: u8) -> u8 {
        match family.job_byte_layout() {
            JobByteLayout::Whole => job_id,
            JobByteLayout::MidstateLow2 => job_id & 0xFC,
            JobByteLayout::SubcoreLow3 => job_id & 0xF8,
            JobByteLayout::SubcoreLow4 => (job_id << 1) & 0xF0,
        }
    }
}
