//! From what the engine learned to what a technician should repair, most severe first.

use boards::Profile;

use crate::config::Config;
use crate::engine::Learned;
use crate::jig::Trip;
use crate::report::{ChipResult, ChipState, DomainState, Finding, FindingKind, SensorState};

/// A finding about one chip in one domain: the chip is its own suspect.
fn chip_finding(
    kind: FindingKind,
    chip: usize,
    domain: usize,
    message: String,
    hint: String,
) -> Finding {
    Finding {
        kind,
        chips: vec![chip],
        domains: vec![domain],
        suspects: vec![chip],
        message,
        hint,
    }
}

fn range_text(chips: &[usize]) -> String {
    match chips {
        [] => "none".to_owned(),
        [one] => format!("chip {one}"),
        [first, .., last] if last - first + 1 == chips.len() => format!("chips {first}-{last}"),
        many => format!(
            "chips {}",
            many.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Grid distance between two chips on the board layout.
fn distance(profile: &Profile, a: usize, b: usize) -> f64 {
    match (profile.layout.chips.get(a), profile.layout.chips.get(b)) {
        (Some(p), Some(q)) => {
            let dr = f64::from(p.row) - f64::from(q.row);
            let dc = f64::from(p.col) - f64::from(q.col);
            (dr * dr + dc * dc).sqrt()
        }
        _ => f64::INFINITY,
    }
}

/// Every finding of a run, sorted by severity then chip.
pub(crate) fn build(
    profile: &Profile,
    cfg: &Config,
    learned: &Learned,
    chips: &[ChipResult],
) -> Vec<Finding> {
    let mut out = Vec::new();
    let expected = profile.chips.value;
    let found = learned.found;
    let nominal = profile.voltage.nominal_mv.value;

    // Shorted domains, and the chips they take down.
    let shorted: Vec<usize> = learned
        .domains
        .iter()
        .filter(|d| d.state == DomainState::Short)
        .map(|d| d.index)
        .collect();
    let mut explained_break = false;
    for &d in &shorted {
        let in_domain: Vec<usize> = profile.chips_in_domain(d).collect();
        let first = in_domain.iter().copied().min().unwrap_or(0);
        let mut taken: Vec<usize> = in_domain.clone();
        if found == first {
            explained_break = true;
            taken.extend((first..expected).filter(|i| !in_domain.contains(i)));
        }
        taken.sort_unstable();
        taken.dedup();
        let mv = learned.domains.get(d).map_or(0, |x| x.voltage_mv);
        let beyond = if found == first && first + in_domain.len() < expected {
            format!(
                ", and without them the chain cannot reach chips {}-{}",
                first + in_domain.len(),
                expected - 1
            )
        } else {
            String::new()
        };
        out.push(Finding {
            kind: FindingKind::DomainShort,
            chips: taken,
            domains: vec![d],
            suspects: in_domain.clone(),
            message: format!(
                "Domain {d} is shorted: {mv} mV instead of {nominal} mV. Its {} have no power{beyond}; the other domains share its voltage",
                range_text(&in_domain)
            ),
            hint: format!(
                "Power off and measure domain {d}'s resistance against its neighbours; look for a shorted chip or capacitor among {}",
                range_text(&in_domain)
            ),
        });
    }

    // The chain stops early.
    if found < expected && !explained_break {
        let missing: Vec<usize> = (found..expected).collect();
        let (message, suspects, hint) = if found == 0 {
            (
                format!("No chip answers: the chain stops before chip 0 ({expected} expected)"),
                vec![0],
                "Check board power first, then the level shifter and chip 0's CLK/CO/RST; short RO to 1V8 between chips 0 and 1 and count again".to_owned(),
            )
        } else {
            (
                format!(
                    "The chain stops after chip {}: chips {found}-{} do not answer",
                    found - 1,
                    expected - 1
                ),
                vec![found, found - 1],
                format!(
                    "Probe CLK, CO, RI, BO and RST between chips {} and {found} against the local domain ground; the break is usually at chip {found}, sometimes at chip {}",
                    found - 1,
                    found - 1
                ),
            )
        };
        out.push(Finding {
            kind: FindingKind::ChainBreak,
            chips: missing,
            domains: Vec::new(),
            suspects,
            message,
            hint,
        });
    }

    // Chips answering with another chip ID.
    let want = profile.family.value.chip_id();
    for (i, c) in learned.chips.iter().enumerate().take(found) {
        if let Some(id) = c.chip_id.filter(|&id| id != want) {
            out.push(chip_finding(
                FindingKind::WrongChipId,
                i,
                profile.domain_of(i).unwrap_or(0),
                format!("Chip {i} reports chip ID 0x{id:04X}, not 0x{want:04X}"),
                format!(
                    "A different part is fitted at chip {i}: replace it with a {}",
                    profile.family.value.name().to_uppercase()
                ),
            ));
        }
    }

    // Per-chip results of the pattern test.
    for c in chips.iter().take(found) {
        let i = c.index;
        match c.state {
            ChipState::Dead => out.push(chip_finding(
                FindingKind::DeadChip,
                i,
                c.domain,
                format!("Chip {i} answers but returned none of its {} golden nonces", c.patterns),
                format!("Check chip {i}'s core supply (its domain's LDOs) and clock; if they are right, replace chip {i}"),
            )),
            ChipState::Weak => out.push(chip_finding(
                FindingKind::WeakChip,
                i,
                c.domain,
                format!(
                    "Chip {i}: {} of {} tested cores returned nothing; {} golden nonces of {} patterns",
                    c.cores_dead,
                    c.cores_dead + c.cores_ok,
                    c.golden,
                    c.patterns
                ),
                format!("Reflow chip {i}; if it stays weak, replace it"),
            )),
            ChipState::HwErrors => out.push(chip_finding(
                FindingKind::HwErrors,
                i,
                c.domain,
                format!("Chip {i} returned {} miscomputed nonces and {} good ones", c.hw_errors, c.golden),
                format!(
                    "Check domain {}'s voltage under load; errors that stay on chip {i} point at the chip (replace it), errors that move between chips point at the supply",
                    c.domain
                ),
            )),
            _ => {}
        }
    }

    // Domain voltages outside the band, unless a short explains them.
    for d in &learned.domains {
        let state = d.state;
        if matches!(state, DomainState::Ok | DomainState::Short)
            || (!shorted.is_empty() && state == DomainState::High)
        {
            continue;
        }
        let in_domain: Vec<usize> = profile.chips_in_domain(d.index).collect();
        let what = match state {
            DomainState::Low => "below",
            DomainState::High => "above",
            _ => "far above (open)",
        };
        out.push(Finding {
            kind: FindingKind::DomainVoltage,
            chips: in_domain.clone(),
            domains: vec![d.index],
            suspects: in_domain.clone(),
            message: format!(
                "Domain {} is at {} mV, {what} its band {}-{} mV",
                d.index,
                d.voltage_mv,
                profile.voltage.low_mv(),
                profile.voltage.high_mv()
            ),
            hint: format!(
                "A domain that draws less than its neighbours rises: check CLK and RST into {} and their solder joints",
                range_text(&in_domain)
            ),
        });
    }

    // Chips lost at the high baud rate.
    if let Some((high, baud)) = learned.marginal {
        let suspects = if high == 0 {
            vec![0]
        } else {
            vec![high, high - 1]
        };
        out.push(Finding {
            kind: FindingKind::MarginalHighBaud,
            chips: vec![high],
            domains: Vec::new(),
            suspects,
            message: format!("All {found} chips answer at 115200 baud but only {high} at {baud} baud; the test ran at 115200"),
            hint: format!("A marginal chip or signal near chip {high}: check its CO/RI solder joints and the signal path, bisect as for a chain break"),
        });
    }

    // Links that lose bytes now and then.
    let counts = &learned.discovery_counts;
    let varying = counts.iter().min() != counts.iter().max();
    // A chip's link is intermittent when it loses replies far more often than the rest of the
    // board does: line noise loses replies evenly, a bad joint at one chip does not. The
    // board's rate (without the chip) has a floor of `intermittent_floor`, so a quiet board
    // does not make two lost replies look suspicious.
    let (all_lost, all_sent) = chips.iter().take(found).fold((0u64, 0u64), |(l, n), c| {
        (l + u64::from(c.transient), n + u64::from(c.patterns))
    });
    let mut flaky: Vec<usize> = chips
        .iter()
        .take(found)
        .filter(|c| {
            let (lost, sent) = (u64::from(c.transient), u64::from(c.patterns.max(1)));
            let others = all_sent.saturating_sub(sent).max(1);
            let rate =
                (all_lost.saturating_sub(lost) as f64 / others as f64).max(cfg.intermittent_floor);
            c.transient >= cfg.intermittent_min
                && 1.0 - crate::stats::binomial_at_most(sent, rate, lost.saturating_sub(1))
                    < cfg.intermittent_p
        })
        .map(|c| c.index)
        .collect();
    // Counts that change between discoveries with no chip standing out: the joint is usually
    // near the last chip the short count found (facts §6.2).
    // A round short by only a chip or two, with no chip's replies going missing in the pattern
    // test, is a reply lost to line noise: blaming the chip at that count would send the
    // technician to a good neighbour.
    if varying
        && flaky.is_empty()
        && let Some(&least) = counts.iter().min()
        && least < found
        && found - least > cfg.discovery_noise_chips
    {
        flaky.push(least);
    }
    flaky.sort_unstable();
    if !flaky.is_empty() {
        let first = flaky[0];
        out.push(Finding {
            kind: FindingKind::Intermittent,
            chips: flaky.clone(),
            domains: Vec::new(),
            suspects: vec![first],
            message: format!(
                "Replies from {} were lost and came back on retry{}",
                range_text(&flaky),
                if varying { format!("; chip counts varied between discoveries ({counts:?})") } else { String::new() }
            ),
            hint: format!("An intermittent joint near chip {first}: reflow it and its neighbours, then retest twice"),
        });
    }

    // Sensors: missing, implausible, or over the limit.
    for ((s, r), asked) in profile
        .sensors
        .iter()
        .zip(&learned.sensors)
        .zip(&learned.sensors_asked)
    {
        let host_gone = s.host_chip.is_some_and(|h| h >= found);
        match r.state {
            SensorState::Missing if host_gone || !asked => {}
            SensorState::Unread => {}
            SensorState::Missing | SensorState::Implausible => out.push(Finding {
                kind: FindingKind::SensorMissing,
                chips: vec![s.near_chip],
                domains: Vec::new(),
                suspects: vec![s.near_chip],
                message: if r.state == SensorState::Missing {
                    format!("Temperature sensor {} does not answer", s.name)
                } else {
                    format!("Temperature sensor {} reads an impossible {:?} °C", s.name, r.temp_c)
                },
                hint: format!("Check sensor {} ({}) and its I2C lines; a board without it may refuse to start", s.name, s.kind.name()),
            }),
            SensorState::Ok => {
                if let Some(t) = r.temp_c.filter(|&t| t > cfg.overtemp_c) {
                    let sensor_chip = s.near_chip;
                    // The chips for which this sensor is the nearest: where the heat comes from.
                    let mut region: Vec<usize> = (0..expected)
                        .filter(|&c| {
                            let mine = distance(profile, c, sensor_chip);
                            profile.sensors.iter().all(|o| distance(profile, c, o.near_chip) >= mine)
                        })
                        .collect();
                    region.sort_by(|&a, &b| distance(profile, a, sensor_chip).total_cmp(&distance(profile, b, sensor_chip)));
                    let suspects = region.iter().copied().take(5).collect();
                    let mut chips_sorted = region.clone();
                    chips_sorted.sort_unstable();
                    out.push(Finding {
                        kind: FindingKind::Overtemp,
                        chips: chips_sorted,
                        domains: Vec::new(),
                        suspects,
                        message: format!("Sensor {} reads {t:.1} °C, above the {:.0} °C limit", s.name, cfg.overtemp_c),
                        hint: format!(
                            "A chip near chip {sensor_chip} overheats: check heatsink contact and thermal paste there, and that chip's current"
                        ),
                    });
                }
            }
        }
    }

    // The board's PIC: it did not answer, or it dropped the chain's power.
    let pic_version = match learned.pic {
        Some(Some(v)) => format!("PIC version 0x{v:02X}"),
        _ => "the PIC did not answer".to_owned(),
    };
    if learned.chain_power_lost {
        out.push(Finding {
            kind: FindingKind::ChainPower,
            chips: Vec::new(),
            domains: (0..profile.domains.value).collect(),
            suspects: Vec::new(),
            message: format!(
                "The chain lost power while the supply was on: the PIC switched its DC-DC off ({pic_version}; the jig sent heartbeats every second). Chips were not tested"
            ),
            hint: "Check the PIC: its 3.3 V, its crystal and its firmware (reflash it); then the DC-DC stage it drives".to_owned(),
        });
    } else if learned.pic == Some(None) {
        out.push(Finding {
            kind: FindingKind::ChainPower,
            chips: Vec::new(),
            domains: Vec::new(),
            suspects: Vec::new(),
            message: "The board's PIC does not answer on I2C: its DC-DC cannot be switched on"
                .to_owned(),
            hint: "Check the signal cable's SDA/SCL, the PIC's 3.3 V supply and its solder joints"
                .to_owned(),
        });
    }

    // A safety trip the board caused.
    match learned.trip {
        Some(Trip::OverCurrent) => out.push(Finding {
            kind: FindingKind::DomainShort,
            chips: Vec::new(),
            domains: (0..profile.domains.value).collect(),
            suspects: Vec::new(),
            message: "The jig cut board power: the input current went above its limit, as a short on the board does".to_owned(),
            hint: "Power off and measure every domain's resistance and the input rail's; look for a shorted chip, capacitor or MOSFET".to_owned(),
        }),
        Some(Trip::UnderVoltage) => out.push(Finding {
            kind: FindingKind::DomainVoltage,
            chips: Vec::new(),
            domains: Vec::new(),
            suspects: Vec::new(),
            message: "The jig cut board power: the input voltage sagged below its limit".to_owned(),
            hint: "Check the supply and its cable under load, then the board's input connector".to_owned(),
        }),
        Some(Trip::OverTemperature) if !out.iter().any(|f| f.kind == FindingKind::Overtemp) => out.push(Finding {
            kind: FindingKind::Overtemp,
            chips: Vec::new(),
            domains: Vec::new(),
            suspects: Vec::new(),
            message: "The jig cut board power: a temperature went above its limit".to_owned(),
            hint: "Check heatsink contact and airflow before powering the board again".to_owned(),
        }),
        _ => {}
    }
    out.sort_by(|a, b| {
        a.kind
            .cmp(&b.kind)
            .then(a.chips.first().cmp(&b.chips.first()))
    });
    out
}
