//! The profile schema and its validation.

use bm13xx::{Family, FamilyParams};
use serde::Deserialize;

use crate::ProfileError;
use crate::fact::Fact;
use crate::layout::{BoardLayout, ChipPosition, LayoutSpec, serpentine};
use crate::testpoints::{RawTestPads, TestPads};

/// Temperature sensor parts seen on hashboards (facts §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SensorKind {
    /// LM75A (S19-generation PIC sensors).
    Lm75a,
    /// TMP75.
    Tmp75,
    /// TMP451 (local + remote diode).
    Tmp451,
    /// NCT218 (local + remote diode; S9 through the ASIC's I2C).
    Nct218,
    /// EMC2101 (Bitaxe fan controller with a temperature channel).
    Emc2101,
    /// TMP1075.
    Tmp1075,
    /// A diode read through the host ASIC's own ADC (BM1370 ANALOG_MUX = 2); no I2C address.
    AsicDiode,
}

impl SensorKind {
    /// Lower-case part name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Lm75a => "lm75a",
            Self::Tmp75 => "tmp75",
            Self::Tmp451 => "tmp451",
            Self::Nct218 => "nct218",
            Self::Emc2101 => "emc2101",
            Self::Tmp1075 => "tmp1075",
            Self::AsicDiode => "asic_diode",
        }
    }
}

/// A temperature sensor on the board.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sensor {
    /// Name shown to the technician, e.g. `PCB 1`.
    pub name: String,
    /// Part.
    pub kind: SensorKind,
    /// 7-bit I2C address; none for a diode read by the host ASIC.
    #[serde(default)]
    pub i2c_address: Option<u8>,
    /// Chain index of the ASIC whose I2C master reaches this sensor (S9), or none when the jig
    /// reaches it directly.
    #[serde(default)]
    pub host_chip: Option<usize>,
    /// Chain index of the chip the sensor sits next to (for the board map and thermal model).
    pub near_chip: usize,
    /// Where this comes from.
    pub source: String,
    /// Whether a source states it.
    #[serde(default = "yes")]
    pub verified: bool,
}

fn yes() -> bool {
    true
}

/// Nominal domain voltage and the band a healthy domain stays in.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoltageBand {
    /// Nominal voltage of one domain, mV.
    pub nominal_mv: Fact<u32>,
    /// Allowed deviation either side, mV.
    pub tolerance_mv: Fact<u32>,
}

impl VoltageBand {
    /// Lowest healthy domain voltage, mV.
    #[must_use]
    pub fn low_mv(&self) -> u32 {
        self.nominal_mv
            .value
            .saturating_sub(self.tolerance_mv.value)
    }

    /// Highest healthy domain voltage, mV.
    #[must_use]
    pub fn high_mv(&self) -> u32 {
        self.nominal_mv.value + self.tolerance_mv.value
    }
}

/// Overrides for the family's disputed parameters (see [`bm13xx::FamilyParams`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct ParamsOverride {
    cores: Option<u16>,
    small_cores: Option<u16>,
    job_length_byte: Option<u8>,
    full_header_midstates_byte: Option<u8>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    id: String,
    name: String,
    version: u32,
    board_codes: Fact<Vec<String>>,
    family: Fact<String>,
    chips: Fact<usize>,
    domains: Fact<usize>,
    chips_per_domain: Fact<usize>,
    address_interval: Fact<u16>,
    frequency_mhz: Fact<f64>,
    high_baud: Fact<u32>,
    nonce_offsets: Fact<bool>,
    voltage: VoltageBand,
    #[serde(default)]
    eeprom_address: Option<Fact<u8>>,
    #[serde(default)]
    pic: Option<PicSpec>,
    #[serde(default)]
    family_params: ParamsOverride,
    #[serde(default)]
    sensors: Vec<Sensor>,
    layout: LayoutSpec,
    #[serde(default)]
    test_pads: Option<RawTestPads>,
}

/// The board's PIC: the DC-DC controller that must be started and kept alive with heartbeats
/// before the chain has power (S9, S17+, S19, S19 Pro; bmminer-mix `enable_pic_dac`,
/// `pic_heart_beat_each_chain`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PicSpec {
    /// 7-bit I2C address on the board bus.
    pub address: Fact<u8>,
    /// The SET_VOLTAGE code to send, where a source gives the formula.
    #[serde(default)]
    pub voltage_code: Option<Fact<u8>>,
}

/// A validated board profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// Id used on the command line, e.g. `s19jpro`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Profile version, recorded with every run.
    pub version: u32,
    /// Board codes printed on the PCB or stored in the EEPROM.
    pub board_codes: Fact<Vec<String>>,
    /// ASIC family.
    pub family: Fact<Family>,
    /// Family parameters (defaults, with the profile's overrides).
    pub params: FamilyParams,
    /// Chips on the chain.
    pub chips: Fact<usize>,
    /// Voltage domains (stacked in series).
    pub domains: Fact<usize>,
    /// Chips per domain (in parallel within a domain).
    pub chips_per_domain: Fact<usize>,
    /// Address interval between neighbouring chips.
    pub address_interval: Fact<u16>,
    /// Hashing frequency for the test, MHz.
    pub frequency_mhz: Fact<f64>,
    /// Fastest UART rate the board's chips are run at (enumeration always starts at 115200).
    pub high_baud: Fact<u32>,
    /// Whether chips get explicit nonce offsets (BM1370 CHIP_NONCE_OFFSET) instead of sweeping
    /// from their address.
    pub nonce_offsets: Fact<bool>,
    /// Domain voltage band.
    pub voltage: VoltageBand,
    /// EEPROM I2C address, where the board has one.
    pub eeprom_address: Option<Fact<u8>>,
    /// The board's PIC, if it has one.
    pub pic: Option<PicSpec>,
    /// Temperature sensors.
    pub sensors: Vec<Sensor>,
    /// Where each chip sits.
    pub layout: BoardLayout,
    /// The test pads of the board's design, where a public design gives them.
    pub test_pads: Option<TestPads>,
}

fn invalid(file: &str, field: &str, problem: impl Into<String>) -> ProfileError {
    ProfileError::Invalid {
        file: file.to_owned(),
        field: field.to_owned(),
        problem: problem.into(),
    }
}

impl Profile {
    /// Parse and validate a profile. `file` names the source in errors.
    pub fn from_toml(file: &str, text: &str) -> Result<Self, ProfileError> {
        let raw: RawProfile = toml::from_str(text).map_err(|e| ProfileError::Parse {
            file: file.to_owned(),
            message: e.to_string().trim_end().to_owned(),
        })?;
        Self::validate(file, raw)
    }

    fn validate(file: &str, raw: RawProfile) -> Result<Self, ProfileError> {
        if raw.id.is_empty()
            || !raw
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(invalid(
                file,
                "id",
                format!("`{}` must be lower-case letters, digits and '-'", raw.id),
            ));
        }
        let family =
            raw.family.value.parse::<Family>().map_err(|e| {
                invalid(file, "family.value", format!("`{}`: {e}", raw.family.value))
            })?;
        let chips = raw.chips.value;
        let domains = raw.domains.value;
        let per_domain = raw.chips_per_domain.value;
        if chips == 0 {
            return Err(invalid(
                file,
                "chips.value",
                "a board has at least one chip",
            ));
        }
        if domains == 0 || per_domain == 0 || domains * per_domain != chips {
            return Err(invalid(
                file,
                "chips_per_domain.value",
                format!(
                    "{domains} domains x {per_domain} chips = {} but the board has {chips} chips",
                    domains * per_domain
                ),
            ));
        }
        let interval = raw.address_interval.value;
        if interval == 0 || chips * usize::from(interval) > 256 {
            return Err(invalid(
                file,
                "address_interval.value",
                format!("{chips} chips at interval {interval} do not fit the 8-bit address space"),
            ));
        }
        if !(raw.frequency_mhz.value > 0.0 && raw.frequency_mhz.value < 2000.0) {
            return Err(invalid(
                file,
                "frequency_mhz.value",
                format!("{} MHz is not a hashing frequency", raw.frequency_mhz.value),
            ));
        }
        if raw.high_baud.value < 115_200 {
            return Err(invalid(
                file,
                "high_baud.value",
                format!("{} is below the 115200 reset rate", raw.high_baud.value),
            ));
        }
        if raw.voltage.nominal_mv.value == 0
            || raw.voltage.tolerance_mv.value >= raw.voltage.nominal_mv.value
        {
            return Err(invalid(
                file,
                "voltage.tolerance_mv.value",
                format!(
                    "tolerance {} mV must be below the nominal {} mV",
                    raw.voltage.tolerance_mv.value, raw.voltage.nominal_mv.value
                ),
            ));
        }
        for (i, sensor) in raw.sensors.iter().enumerate() {
            match (sensor.kind, sensor.i2c_address, sensor.host_chip) {
                (SensorKind::AsicDiode, Some(_), _) => {
                    return Err(invalid(
                        file,
                        &format!("sensors[{i}].i2c_address"),
                        "an asic_diode sensor has no I2C address",
                    ));
                }
                (SensorKind::AsicDiode, None, None) => {
                    return Err(invalid(
                        file,
                        &format!("sensors[{i}].host_chip"),
                        "an asic_diode sensor needs the chip that reads it",
                    ));
                }
                (SensorKind::AsicDiode, None, Some(_)) => {}
                (_, None, _) => {
                    return Err(invalid(
                        file,
                        &format!("sensors[{i}].i2c_address"),
                        "missing",
                    ));
                }
                (_, Some(address), _) if address > 0x7F => {
                    return Err(invalid(
                        file,
                        &format!("sensors[{i}].i2c_address"),
                        format!("0x{address:02X} is not a 7-bit address"),
                    ));
                }
                _ => {}
            }
            if sensor.near_chip >= chips {
                return Err(invalid(
                    file,
                    &format!("sensors[{i}].near_chip"),
                    format!("chip {} does not exist ({chips} chips)", sensor.near_chip),
                ));
            }
            if sensor.host_chip.is_some_and(|h| h >= chips) {
                return Err(invalid(
                    file,
                    &format!("sensors[{i}].host_chip"),
                    format!("chip {:?} does not exist ({chips} chips)", sensor.host_chip),
                ));
            }
        }
        let layout = resolve_layout(file, &raw.layout, domains, per_domain)?;
        let test_pads = raw
            .test_pads
            .map(|pads| pads.validate(chips, domains))
            .transpose()
            .map_err(|(field, problem)| invalid(file, &field, problem))?;
        let mut params = family.default_params();
        let o = &raw.family_params;
        params.cores = o.cores.unwrap_or(params.cores);
        params.small_cores = o.small_cores.unwrap_or(params.small_cores);
        params.job_length_byte = o.job_length_byte.unwrap_or(params.job_length_byte);
        params.full_header_midstates_byte = o
            .full_header_midstates_byte
            .unwrap_or(params.full_header_midstates_byte);
        // BM1397/1398 have more cores (168/156) than the 7-bit core field of a nonce can name
        // (facts §3.2, §3.6), so only zero is rejected here.
        if params.cores == 0 || params.small_cores == 0 {
            return Err(invalid(
                file,
                "family_params.cores",
                "a chip has at least one core",
            ));
        }
        Ok(Self {
            id: raw.id,
            name: raw.name,
            version: raw.version,
            board_codes: raw.board_codes,
            family: Fact {
                value: family,
                source: raw.family.source,
                verified: raw.family.verified,
            },
            params,
            chips: raw.chips,
            domains: raw.domains,
            chips_per_domain: raw.chips_per_domain,
            address_interval: raw.address_interval,
            frequency_mhz: raw.frequency_mhz,
            high_baud: raw.high_baud,
            nonce_offsets: raw.nonce_offsets,
            voltage: raw.voltage,
            eeprom_address: raw.eeprom_address,
            pic: raw.pic,
            sensors: raw.sensors,
            layout,
            test_pads,
        })
    }

    /// Voltage domain of chain index `index` (the chain runs domain by domain [I]).
    #[must_use]
    pub fn domain_of(&self, index: usize) -> Option<usize> {
        self.layout.chips.get(index).map(|c| c.domain)
    }

    /// Chain indices in domain `domain`.
    pub fn chips_in_domain(&self, domain: usize) -> impl Iterator<Item = usize> + '_ {
        self.layout
            .chips
            .iter()
            .filter(move |c| c.domain == domain)
            .map(|c| c.index)
    }

    /// Chip address of chain index `index`.
    #[must_use]
    pub fn address_of(&self, index: usize) -> Option<u8> {
        (index < self.chips.value)
            .then(|| bm13xx::address::address_of(index, self.address_interval.value))
            .flatten()
    }

    /// The facts in this profile that no source states, as (field, source) pairs.
    #[must_use]
    pub fn unverified(&self) -> Vec<(&'static str, String)> {
        let facts: [(&'static str, bool, &str); 11] = [
            (
                "board_codes",
                self.board_codes.verified,
                &self.board_codes.source,
            ),
            ("family", self.family.verified, &self.family.source),
            ("chips", self.chips.verified, &self.chips.source),
            ("domains", self.domains.verified, &self.domains.source),
            (
                "chips_per_domain",
                self.chips_per_domain.verified,
                &self.chips_per_domain.source,
            ),
            (
                "address_interval",
                self.address_interval.verified,
                &self.address_interval.source,
            ),
            (
                "frequency_mhz",
                self.frequency_mhz.verified,
                &self.frequency_mhz.source,
            ),
            ("high_baud", self.high_baud.verified, &self.high_baud.source),
            (
                "nonce_offsets",
                self.nonce_offsets.verified,
                &self.nonce_offsets.source,
            ),
            (
                "voltage.nominal_mv",
                self.voltage.nominal_mv.verified,
                &self.voltage.nominal_mv.source,
            ),
            (
                "voltage.tolerance_mv",
                self.voltage.tolerance_mv.verified,
                &self.voltage.tolerance_mv.source,
            ),
        ];
        let mut out: Vec<(&'static str, String)> = facts
            .iter()
            .filter(|(_, verified, _)| !verified)
            .map(|(name, _, source)| (*name, (*source).to_owned()))
            .collect();
        out.extend(
            self.sensors
                .iter()
                .filter(|s| !s.verified)
                .map(|s| ("sensors", format!("{}: {}", s.name, s.source))),
        );
        if self.layout.generic {
            out.push(("layout", self.layout.note.clone()));
        }
        out
    }
}

fn resolve_layout(
    file: &str,
    spec: &LayoutSpec,
    domains: usize,
    per_domain: usize,
) -> Result<BoardLayout, ProfileError> {
    match spec {
        LayoutSpec::Serpentine {
            domains_per_row,
            note,
        } => {
            if *domains_per_row == 0 {
                return Err(invalid(
                    file,
                    "layout.domains_per_row",
                    "must be at least 1",
                ));
            }
            Ok(serpentine(domains, per_domain, *domains_per_row, note))
        }
        LayoutSpec::Explicit { source, chips } => {
            if chips.len() != domains * per_domain {
                return Err(invalid(
                    file,
                    "layout.chips",
                    format!("{} entries for {} chips", chips.len(), domains * per_domain),
                ));
            }
            let mut seen = std::collections::HashSet::new();
            let mut positions = Vec::with_capacity(chips.len());
            for (index, chip) in chips.iter().enumerate() {
                if !seen.insert((chip.row, chip.col)) {
                    return Err(invalid(
                        file,
                        &format!("layout.chips[{index}]"),
                        format!("row {} col {} is taken by another chip", chip.row, chip.col),
                    ));
                }
                positions.push(ChipPosition {
                    index,
                    domain: index / per_domain,
                    row: chip.row,
                    col: chip.col,
                    uref: chip.uref.clone(),
                });
            }
            let rows = positions.iter().map(|c| c.row + 1).max().unwrap_or(0);
            let cols = positions.iter().map(|c| c.col + 1).max().unwrap_or(0);
            Ok(BoardLayout {
                chips: positions,
                generic: false,
                note: source.clone(),
                rows,
                cols,
            })
        }
    }
}
