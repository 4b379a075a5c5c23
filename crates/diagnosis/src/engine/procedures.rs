//! The procedures beyond the pattern test: a retest from a fresh reset, the frequency ladder,
//! the supply steps, the soak and the aging test.

use super::*;

impl Engine<'_, '_> {
    /// Run the pattern test again from nothing (the chips keep their addresses and IDs), from
    /// the first round's slots, whose patterns the pool covers best.
    pub(super) fn test_afresh(&mut self) -> Flow {
        let Some(setup) = self.setup.clone() else {
            return Ok(());
        };
        let found = self.learned.found;
        for c in self.learned.chips.iter_mut().take(found) {
            *c = ChipTrack {
                address: c.address,
                slot: c.slot,
                chip_id: c.chip_id,
                ..ChipTrack::default()
            };
        }
        if (0..found).any(|i| self.learned.chips[i].slot != i) {
            self.rotate(0, &setup)?;
        }
        self.pattern_test()
    }

    /// The frequency ladder: the pattern test again at each of `steps` (percent of the
    /// profile's clock), then back to the profile's clock. The chips' states stay the first
    /// test's; each step's are kept for `margin_mhz` and `low_margin`.
    pub(super) fn ladder(&mut self, steps: &[f64], supply_steps: &[u32]) -> Flow {
        let found = self.learned.found;
        let nominal = self.profile.frequency_mhz.value;
        let first: Vec<ChipTrack> = self.learned.chips.clone();
        let states = |chips: &[ChipTrack]| chips.iter().map(|c| c.state).collect::<Vec<_>>();
        self.learned.ladder = vec![(self.chip_mhz, states(&first))];
        for (n, &pct) in steps.iter().enumerate() {
            let target = nominal * pct / 100.0;
            self.step(
                Step::Ladder,
                n as f32 / steps.len().max(1) as f32,
                format!("Pattern test at {target:.0} MHz ({pct:.0} % of {nominal:.0})"),
            )?;
            self.clock_mhz = target;
            self.set_hash_clock(target, found)?;
            self.test_afresh()?;
            let at = (self.chip_mhz, states(&self.learned.chips));
            self.learned.ladder.push(at);
        }
        if !steps.is_empty() {
            self.step(Step::Ladder, 1.0, format!("Back to {nominal:.0} MHz"))?;
            self.clock_mhz = nominal;
            self.set_hash_clock(nominal, found)?;
        }
        self.supply_ladder(supply_steps)?;
        // The first test's evidence stands, on the chips' present addresses and slots.
        for (c, before) in self.learned.chips.iter_mut().zip(first) {
            *c = ChipTrack {
                address: c.address,
                slot: c.slot,
                ..before
            };
        }
        Ok(())
    }

    /// The supply steps of the ladder: the pattern test again at the profile's clock with the
    /// board supply at each of `steps` (mV), then the supply back at the profile's stack
    /// voltage (domains × nominal). Each step's states are kept for `margin_mv`.
    pub(super) fn supply_ladder(&mut self, steps: &[u32]) -> Flow {
        if steps.is_empty() {
            return Ok(());
        }
        let domains = self.profile.domains.value;
        let home = self.profile.voltage.nominal_mv.value * domains as u32;
        if domains < 2 {
            self.wire.note(|| {
                "ladder: no supply steps on a board of one domain (its core rail is its own)"
                    .to_owned()
            });
            return Ok(());
        }
        let states = |chips: &[ChipTrack]| chips.iter().map(|c| c.state).collect::<Vec<_>>();
        let first: Vec<ChipTrack> = self.learned.chips.clone();
        self.learned.supply_ladder = vec![(home, states(&first))];
        for (n, &mv) in steps.iter().enumerate() {
            self.step(
                Step::Ladder,
                n as f32 / steps.len() as f32,
                format!("Pattern test with the supply at {mv} mV"),
            )?;
            self.wire.jig().set_supply_mv(mv)?;
            self.wire.drain(self.cfg.power_settle_ms * 1000)?;
            self.sample()?;
            self.test_afresh()?;
            let at = (mv, states(&self.learned.chips));
            self.learned.supply_ladder.push(at);
        }
        self.step(Step::Ladder, 1.0, format!("Supply back to {home} mV"))?;
        self.wire.jig().set_supply_mv(home)?;
        self.wire.drain(self.cfg.power_settle_ms * 1000)?;
        for (c, before) in self.learned.chips.iter_mut().zip(first) {
            *c = ChipTrack {
                address: c.address,
                slot: c.slot,
                ..before
            };
        }
        Ok(())
    }

    /// Keep the chips hashing (one known-nonce job every `soak_job_ms`, sensors read every
    /// `soak_read_s`) until the hottest sensor reaches the soak target or `limit_s` pass, then
    /// run the pattern test again from nothing. The cold states are kept for `fails_hot`.
    pub(super) fn soak(&mut self, limit_s: u64) -> Flow {
        let Some(setup) = self.setup.clone() else {
            return Ok(());
        };
        let target = self.cfg.soak_target_c;
        self.step(
            Step::Soak,
            0.0,
            format!("Hashing until a sensor reads {target:.0} °C (at most {limit_s} s)"),
        )?;
        let cold_c = self.hottest();
        let cold: Vec<Option<ChipState>> = self.learned.chips.iter().map(|c| c.state).collect();
        let pool = PatternPool::build(HeaderSet::mainnet(), &setup);
        let start = self.wire.now();
        let limit_us = limit_s.saturating_mul(1_000_000);
        let read_every_us = self.cfg.soak_read_s * 1_000_000;
        let mut next_read = start + read_every_us;
        let found = self.learned.found;
        let mut reached = false;
        for k in 0usize.. {
            let elapsed = self.wire.now().saturating_sub(start);
            if elapsed >= limit_us {
                break;
            }
            if (self.cancel)() {
                return Err(Stop::Cancelled);
            }
            // Work for each chip in turn, from its own slot (the results are not evidence).
            let chip = k % found.max(1);
            let slot = pool.slot(self.learned.chips[chip].slot);
            if let Some(p) = slot.get((k / found.max(1)) % slot.len().max(1)) {
                self.send_jobs(&setup, &[(chip, *p)])?;
            }
            self.wait_ms(self.cfg.soak_job_ms)?;
            if self.wire.now() >= next_read {
                next_read = self.wire.now() + read_every_us;
                self.read_sensors()?;
                self.sample()?;
                let hot = self.hottest();
                let warmth = match (hot, cold_c) {
                    (Some(h), Some(c)) if target > c => ((h - c) / (target - c)).clamp(0.0, 1.0),
                    _ => 0.0,
                };
                let time = elapsed as f32 / limit_us.max(1) as f32;
                self.step(
                    Step::Soak,
                    warmth.max(time) * 0.5,
                    format!(
                        "Soaking: {:.0} of {limit_s} s, hottest sensor {}",
                        elapsed as f64 / 1e6,
                        hot.map_or("unread".to_owned(), |t| format!("{t:.1} °C"))
                    ),
                )?;
                if hot.is_some_and(|t| t >= target) {
                    reached = true;
                    break;
                }
            }
        }
        let seconds = self.wire.now().saturating_sub(start) as f64 / 1e6;
        let hot_c = self.hottest();
        self.wire
            .note(|| format!("soaked {seconds:.0} s: hottest sensor {cold_c:?} -> {hot_c:?} °C"));
        // Test again, warm, from nothing: the cold evidence says nothing about a warm chip.
        self.step(Step::Soak, 0.5, "Testing again, warm")?;
        self.test_afresh()?;
        self.learned.soak = Some(SoakRun {
            seconds,
            cold_c,
            hot_c: self.hottest(),
            reached,
            cold,
        });
        Ok(())
    }

    /// The aging test: a round of known-nonce work, one job per chip from its own slot, every
    /// `aging_round_ms` for `limit_s` of jig time, the sensors read every `soak_read_s`; per
    /// chip and window of `aging_window_s`, the jobs sent, the golden nonces back and the
    /// miscomputed ones. The chips' evidence and states stay the pattern test's.
    pub(super) fn aging(&mut self, limit_s: u64) -> Flow {
        let Some(setup) = self.setup.clone() else {
            return Ok(());
        };
        let found = self.learned.found;
        let chips: Vec<usize> = (0..found)
            .filter(|i| self.only_chips.as_ref().is_none_or(|only| only.contains(i)))
            .filter(|&i| self.learned.chips[i].address.is_some())
            .collect();
        let window_s = self.cfg.aging_window_s.max(1);
        self.step(
            Step::Aging,
            0.0,
            format!(
                "Hashing known-nonce work on {} chips for {limit_s} s, errors counted every {window_s} s",
                chips.len()
            ),
        )?;
        let before: Vec<ChipTrack> = self.learned.chips.clone();
        let wrong_before = self.learned.wrong_chip_nonces;
        // Hours of jobs would fill memory with frames: the log and capture keep none of them.
        self.wire.note(|| {
            "aging: the frame log and capture pause here (the windows' counts are in the report)"
                .to_owned()
        });
        let paused = self.wire.pause_recording();
        let pool = PatternPool::build(HeaderSet::mainnet(), &setup);
        let start = self.wire.now();
        let limit_us = limit_s.saturating_mul(1_000_000);
        let window_us = window_s * 1_000_000;
        let round_us = self.cfg.aging_round_ms.max(1) * 1000;
        let read_every_us = self.cfg.soak_read_s.max(1) * 1_000_000;
        let mut next_read = start + read_every_us;
        let mut window_start = start;
        let mut counts = vec![AgingCount::default(); found];
        self.learned.aging = Some(AgingSummary {
            seconds: 0.0,
            windows: Vec::new(),
        });
        let mut round = 0u64;
        let result = loop {
            let now = self.wire.now();
            let window_done = now.saturating_sub(window_start) >= window_us;
            let over = now.saturating_sub(start) >= limit_us;
            if window_done || (over && counts.iter().any(|c| c.sent > 0)) {
                self.close_window(start, window_start, &mut counts)?;
                window_start = self.wire.now();
                let fraction = (now.saturating_sub(start) as f32 / limit_us.max(1) as f32).min(1.0);
                let last = self.learned.aging.as_ref().and_then(|a| a.windows.last());
                let said = last.map_or(String::new(), |w| {
                    let worst = w.worst().map_or(String::new(), |(i, r)| {
                        format!(", worst chip {i} at {:.1} %", r * 100.0)
                    });
                    format!(
                        ": board median {:.1} % errors{worst}",
                        w.median_rate() * 100.0
                    )
                });
                self.step(
                    Step::Aging,
                    fraction,
                    format!(
                        "Aging: {:.0} of {limit_s} s{said}",
                        now.saturating_sub(start) as f64 / 1e6
                    ),
                )?;
            }
            if over {
                break Ok(());
            }
            if (self.cancel)() {
                break Err(Stop::Cancelled);
            }
            let k = usize::try_from(round).unwrap_or(usize::MAX);
            let jobs: Vec<(usize, Pattern)> = chips
                .iter()
                .filter_map(|&i| {
                    let slot = pool.slot(self.learned.chips[i].slot);
                    slot.get(k % slot.len().max(1)).map(|p| (i, *p))
                })
                .collect();
            let outcomes = match self.send_jobs(&setup, &jobs) {
                Ok(o) => o,
                Err(e) => break Err(e),
            };
            for ((i, _), o) in jobs.iter().zip(&outcomes) {
                let c = &mut counts[*i];
                c.sent += 1;
                c.golden += u32::from(o.golden);
                self.aging_golden += u32::from(o.golden);
                c.hw_errors += u32::from(o.hw);
            }
            round += 1;
            let next = start + round * round_us;
            if self.wire.now() < next
                && let Err(e) = self.wire.wait_until(next)
            {
                break Err(e.into());
            }
            if self.wire.now() >= next_read {
                next_read = self.wire.now() + read_every_us;
                if let Err(e) = self.read_sensors().and_then(|()| self.sample().map(|_| ())) {
                    break Err(e);
                }
            }
        };
        self.wire.resume_recording(paused);
        self.wire
            .note(|| format!("aging: {round} rounds of work sent"));
        // The pattern test's evidence stands; aging's errors are in its own counts.
        for (c, b) in self.learned.chips.iter_mut().zip(before) {
            *c = ChipTrack {
                address: c.address,
                slot: c.slot,
                ..b
            };
        }
        self.learned.wrong_chip_nonces = wrong_before;
        let seconds = self.wire.now().saturating_sub(start) as f64 / 1e6;
        if let Some(a) = self.learned.aging.as_mut() {
            a.seconds = seconds;
        }
        result
    }

    /// Close an aging window: keep its counts (and the hottest sensor now), show it.
    pub(super) fn close_window(
        &mut self,
        start: u64,
        window_start: u64,
        counts: &mut [AgingCount],
    ) -> Flow {
        let window = AgingWindow {
            start_s: window_start.saturating_sub(start) as f64 / 1e6,
            seconds: self.wire.now().saturating_sub(window_start) as f64 / 1e6,
            hottest_c: self.hottest(),
            chips: counts.to_vec(),
        };
        counts.fill(AgingCount::default());
        let p = Progress {
            step: Step::Aging,
            fraction: 0.0,
            message: String::new(),
            chips: Vec::new(),
            telemetry: None,
            frames: self.wire.take_log(),
            temperatures: None,
            golden: self.golden_total(),
            aging: Some(window.clone()),
        };
        // A chip that erred far more than the board is configured again: a register write lost
        // on a noisy line then costs it one window (the finding needs two, or a clean line).
        let flagged: Vec<u8> = (0..window.chips.len())
            .filter(|&i| findings::aging_flagged(self.cfg, &window, i))
            .filter_map(|i| self.learned.chips.get(i).and_then(|c| c.address))
            .collect();
        if let Some(a) = self.learned.aging.as_mut() {
            a.windows.push(window);
        }
        (self.progress)(&p);
        if !flagged.is_empty() {
            for &address in &flagged {
                self.configure_chip(address)?;
            }
            self.write_offsets(self.learned.found)?;
            self.wire.drain(1000)?;
        }
        Ok(())
    }
}
