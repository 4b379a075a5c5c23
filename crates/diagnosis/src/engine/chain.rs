//! Bringing the chain up: reset, enumeration, addressing (and its repairs), configuration, the
//! hash clock, nonce offsets and the baud rate.

use super::*;

impl Engine<'_, '_> {
    pub(super) fn release_reset(&mut self) -> Flow {
        self.sensor_hosts.clear();
        self.sensor_hosts_again.clear();
        self.wire.jig().set_reset(true)?;
        self.wait_ms(self.cfg.reset_low_ms)?;
        self.wire.jig().set_reset(false)?;
        self.wait_ms(self.cfg.reset_wait_ms)?;
        self.chip_mhz = self.cfg.pll_reset_mhz;
        // Version rolling before discovery (BM1362 and later): replies become 11 bytes.
        self.broadcast(Phase::BeforeDiscovery)?;
        self.wire.drain(1000)?;
        self.wire.set_version_rolling(self.family.rolls_version());
        Ok(())
    }

    /// The bring-up writes of `phase` for this family, broadcast (`bm13xx::bringup`).
    /// Write `register` on every chip. A broadcast lost on the host's line would leave every
    /// chip misconfigured at once (no ticket mask, no hash counting number, a PLL step missed),
    /// which looks like a board of dead chips; a register write is idempotent, so each goes out
    /// `write_copies` times.
    pub(super) fn write_all(&mut self, register: u8, value: u32) -> Flow {
        for _ in 0..self.write_copies.max(1) {
            self.wire.command(Command::WriteRegister {
                dest: Dest::All,
                register,
                value,
            })?;
        }
        Ok(())
    }

    /// Take `link_write_copies` for the writes from here on, noted when it changes.
    pub(super) fn set_write_copies(&mut self) {
        let copies = self.link_write_copies();
        if copies != self.write_copies {
            self.write_copies = copies;
            self.wire
                .note(|| format!("past the lossy link: each configuration write {copies} times"));
        }
    }

    /// Copies of each configuration write for the set-up about to be made: `write_copies`, or,
    /// once a set-up of this run has been seen lost past a link (a silent tail, set up again:
    /// `Engine::test_round`), as many as the chips' returns there ask for
    /// (`stats::copies_past_link`, for the stretch that returned the least). A set-up past
    /// such a link that lost one write silences every chip there for its rounds: a chip given
    /// much of its work in them returns next to nothing and was called weak (sweep `eval
    /// --sweep s19pro --fault joint:18:10000 --fault joint:20:17000 --fault txnoise:300`, sim
    /// seed 14: chip 40, 1 golden nonce of 216, its patterns sent in set-ups that had lost a
    /// PLL step twice in a row or the hash counting number past chip 20). Only then: copying
    /// every write from the first measured loss on changed the course of runs whose set-ups
    /// never failed (the addressing and register reads past a joint, four field tests).
    pub(super) fn link_write_copies(&self) -> usize {
        if self.learned.tails_set_up_again == 0 {
            return self.cfg.write_copies.max(1);
        }
        let chips = chip_results(self.profile, &self.learned);
        let least = findings::behind_link(self.profile, self.cfg, &self.learned, &chips)
            .and_then(|behind| behind.least_share());
        let Some(returned) = least else {
            return self.cfg.write_copies.max(1);
        };
        let write = Command::WriteRegister {
            dest: Dest::All,
            register: 0,
            value: 0,
        }
        .encode(self.family)
        .as_bytes()
        .len();
        let job = job_for_header(self.family, &self.params, 0, &[0; 80])
            .as_bytes()
            .len();
        let reply = self.family.reply_len(self.family.rolls_version());
        stats::copies_past_link(
            returned,
            self.cfg.tries_per_pattern,
            write,
            job + reply,
            self.cfg,
        )
    }

    pub(super) fn broadcast(&mut self, phase: Phase) -> Flow {
        for write in bringup::writes(self.family, phase) {
            self.write_all(write.register, write.value)?;
        }
        Ok(())
    }

    /// The per-chip bring-up pass, to every chip found, in address order.
    pub(super) fn per_chip(&mut self, found: usize) -> Flow {
        let mut addresses: Vec<u8> = self
            .learned
            .chips
            .iter()
            .take(found)
            .filter_map(|c| c.address)
            .collect();
        addresses.sort_unstable();
        for address in addresses {
            self.configure_chip(address)?;
        }
        Ok(())
    }

    /// The per-chip bring-up writes to the chip at `address`, each `write_copies` times in a
    /// row: one lost on the host's line (about one 11-byte frame in 90 at 1000 ppm, so a few
    /// of an S19j Pro's 630) leaves that chip's cores closed, and the chip silent for the whole
    /// round (tuning seed 1765: a different chip of a healthy board each round, until one of
    /// them stayed undecided). Each write's copies go before the next write, so the soft reset
    /// never lands after the configuration it precedes.
    pub(super) fn configure_chip(&mut self, address: u8) -> Flow {
        for write in bringup::writes(self.family, Phase::PerChip) {
            for _ in 0..self.write_copies.max(1) {
                self.wire.command(Command::WriteRegister {
                    dest: Dest::Chip(address),
                    register: write.register,
                    value: write.value,
                })?;
            }
        }
        Ok(())
    }

    /// Step the hash clock to `target` MHz in 6.25 MHz writes, waiting after each as ESP-Miner
    /// does; returns the frequency reached.
    pub(super) fn ramp_pll(&mut self, target: f64) -> Flow<f64> {
        let pll_reg = if self.family == Family::Bm1387 {
            reg::bm1387::PLL_PARAMETER
        } else {
            reg::PLL0
        };
        let mut reached = self.chip_mhz;
        for mhz in bm13xx::pll::ramp(self.chip_mhz, target) {
            let Some((value, actual)) = bm13xx::pll::register_for(self.family, mhz) else {
                continue;
            };
            self.write_all(pll_reg, value)?;
            self.wire.drain(self.cfg.pll_step_ms * 1000)?;
            reached = actual;
            self.chip_mhz = actual;
        }
        Ok(reached)
    }

    pub(super) fn enumerate(&mut self) -> Flow {
        self.release_reset()?;
        let quiet = self.cfg.discovery_quiet_ms * 1000;
        let expected = self.family.chip_id();
        for round in 0..self.cfg.discovery_rounds.max(1) {
            let mut replies = Vec::new();
            // A round with no reply at all is a read that never reached the chain (a frame
            // corrupted on the host's line), not a chain that lost every chip: ask again.
            for _ in 0..3 {
                replies = self.wire.ask(
                    Command::ReadRegister {
                        dest: Dest::All,
                        register: reg::CHIP_ADDRESS,
                    },
                    quiet,
                )?;
                if !replies.is_empty() {
                    break;
                }
            }
            let ids: Vec<u16> = replies
                .iter()
                .filter_map(|a| match a.reply {
                    Reply::Register(r) if r.register == reg::CHIP_ADDRESS => Some(r.chip_id()),
                    _ => None,
                })
                .collect();
            self.learned.discovery_counts.push(ids.len());
            let wrong = ids.iter().filter(|&&id| id != expected).count();
            self.step(
                Step::Enumeration,
                (round + 1) as f32 / self.cfg.discovery_rounds.max(1) as f32,
                format!(
                    "Found {} of {} chips ({wrong} with another chip ID)",
                    ids.len(),
                    self.profile.chips.value
                ),
            )?;
        }
        Ok(())
    }

    pub(super) fn address_of_slot(&self, slot: usize) -> Option<u8> {
        bm13xx::address::address_of(slot, self.profile.address_interval.value)
    }

    pub(super) fn slice_rule(&self, chips: usize) -> SliceRule {
        let interval = self.profile.address_interval.value;
        if self.profile.nonce_offsets.value {
            return SliceRule::even_offsets(chips);
        }
        match self.params.nonce_chip_rule {
            bm13xx::family::NonceChipRule::AddressField { shift } => {
                SliceRule::AddressField { shift, interval }
            }
            bm13xx::family::NonceChipRule::OffsetRange if self.profile.chips.value == 1 => {
                SliceRule::Offsets { starts: vec![0] }
            }
            // [C] ESP-Miner reads BM1370 chips by the BM1366 field when no offsets are written.
            bm13xx::family::NonceChipRule::OffsetRange => SliceRule::AddressField {
                shift: 17,
                interval,
            },
        }
    }

    /// Reset the chain, address chip i at `slots[i]`, configure it and (optionally) switch to
    /// `baud`. The chip count comes from the address check.
    pub(super) fn bring_up(&mut self, slots: &[usize], baud: u32, reset: bool) -> Flow {
        // A reset (or the first addressing) leaves the chips with no work.
        self.last_job_us = 0;
        self.set_write_copies();
        let expected = self.profile.chips.value;
        let mut found = 0;
        let mut previous: Option<usize> = None;
        // The slot each chip holds: as asked, or as the addressing landed (below).
        let mut held: Vec<usize> = slots.to_vec();
        self.learned.duplicate_address = None;
        // Two chips at one address seen on an earlier pass (their position).
        let mut doubled_before: Option<usize> = None;
        for attempt in 0..self.cfg.addressing_attempts.max(1) {
            if reset || attempt > 0 {
                self.wire.set_baud(115_200)?;
                self.release_reset()?;
            }
            // Normalise the reset state and open the cores (BM136x), then address the chain.
            self.broadcast(Phase::AfterDiscovery)?;
            for _ in 0..3 {
                self.wire.command(Command::ChainInactive)?;
            }
            for &slot in slots.iter().take(expected) {
                let address = self.address_of_slot(slot).unwrap_or(0);
                self.wire.command(Command::SetAddress { address })?;
            }
            for (i, &slot) in slots.iter().enumerate().take(expected) {
                if let Some(track) = self.learned.chips.get_mut(i) {
                    track.slot = slot;
                }
            }
            self.wire.drain(1000)?;
            let mut check = self.check_addresses(slots, self.cfg.address_check_tries)?;
            // An address that missed every read on a noisy line may still hold its chip: ask it
            // again before moving chips onto it (a shift on a chip that is there makes two
            // chips share an address), as often as `adopt_landed` asks a silent one: past a
            // joint losing most reads, nine missed chip 4 of a Bitaxe Supra Hex (held-out
            // board 1002815, opened: a joint at 2, chip 4 dead), the shift put chip 5 on it,
            // and chip 5 went untested for that set-up.
            if let [j] = check.missing[..]
                && let Some(address) = slots.get(j).and_then(|&s| self.address_of_slot(s))
                && self.still_silent(&[address], self.silent_reads(&check))? == [false]
            {
                check.missing.clear();
            }
            if let [j] = check.missing[..]
                && check.found == expected
            {
                // One set-address lost: every chip from there on holds the next chip's
                // address and the last holds none. Move them back one by one through register
                // 0 (each target is free when written), give the last its address, and check.
                if self.repair_shift(slots, j, expected)? {
                    check = self.check_addresses(slots, self.cfg.address_check_tries)?;
                }
            } else if check.missing.is_empty()
                && check.found + 1 == expected
                && (self.learned.discovery_counts.iter().any(|&c| c >= expected)
                    // An earlier set-up of this run had every chip answer its address: the
                    // last chip is there (`--sweep bitaxe-suprahex --fault weak:5:51 --fault
                    // joint:1:16000`, sim seed 10: both passes of a late set-up left chip 5
                    // silent to 15 reads each where the others answered, and chip 5 was
                    // reported past a chain break with 26 golden nonces returned).
                    || self.learned.most_addressed >= expected
                    // A chip with no address answers at 0, its power-on address: address 0
                    // answering twice is that chip before it is two chips sharing chip 0's.
                    || (check.doubled == [0]
                        && slots.first().and_then(|&s| self.address_of_slot(s)) == Some(0)))
            {
                // The last set-address lost: the last chip holds none. Give it its address.
                if self.repair_shift(slots, expected - 1, expected)? {
                    check = self.check_addresses(slots, self.cfg.address_check_tries)?;
                }
            }
            // Set-addresses lost on two passes already (a bad joint corrupts the frames it
            // relays): another pass would lose others. Take the chain as it landed, when that
            // is what it shows. (A pass or two again first: the slots asked for are the ones
            // the pattern test's rotation planned.)
            if attempt >= 2
                && !check.missing.is_empty()
                && let Some(landed) = self.adopt_landed(slots, &check)?
            {
                self.wire.note(|| {
                    format!(
                        "addressing lost {} set-address frame(s): the chips hold the addresses as they landed",
                        check.missing.len()
                    )
                });
                found = landed.len();
                held = landed;
                break;
            }
            let tail_reads = self.tail_reads(&check);
            let AddressCheck {
                found: answered,
                missing,
                doubled,
                ..
            } = check;
            let gaps = missing.len();
            // The chips at the end silent to every read of the check, on a line that lost
            // reads of the chips that answered: their replies lost, not a shorter chain. Asked
            // on, each as often as a silent address is where no chip is taken to hold it
            // (`tail_reads`), before a short chain is believed (tuning seed 56031, a Bitaxe
            // Supra Hex with a joint at 1: chip 5, weak, answered no read of two passes of a
            // set-up late in the run, three each, and was reported past a chain break with 35
            // golden nonces returned).
            let answered = match tail_reads {
                Some(reads) if gaps == 0 && answered < expected && answered > 0 => {
                    self.answering_on(slots, answered, expected, reads)?
                }
                _ => answered,
            };
            found = answered;
            // Two chips at one address and the last address empty (the repair above gives a
            // chip left without an address its own, so this is not that), seen again on a
            // second check: a chip forwards the set-address it took. A reply lost on a noisy
            // line can hide the second answer once, not every time.
            let mut confirmed = false;
            if doubled.len() == 1 && gaps == 0 && answered + 1 == expected {
                for _ in 0..2 {
                    let again = self.check_addresses(slots, self.cfg.address_check_tries)?;
                    if again.found == answered && again.doubled == doubled {
                        confirmed = true;
                        break;
                    }
                }
            }
            // ... and on a second pass: one set-address frame corrupted on the host's line into
            // the one before it (its CRC5 passes one time in 32) gives two chips one address
            // for that pass only (tuning seed 3921, an S17+ at 1000 ppm on the host's line:
            // nothing was judged); a chip that forwards the set-address it took does it on
            // every pass.
            if let ([j], true) = (&doubled[..], confirmed) {
                let j = *j;
                let address = slots
                    .get(j)
                    .and_then(|&s| self.address_of_slot(s))
                    .unwrap_or(0);
                let last_pass = attempt + 1 == self.cfg.addressing_attempts.max(1);
                if doubled_before == Some(j) || last_pass {
                    self.learned.duplicate_address = Some((j, address));
                    self.wire.note(|| {
                        format!("chips {j} and {} answer at address 0x{address:02X}", j + 1)
                    });
                    found = expected;
                    break;
                }
                doubled_before = Some(j);
                self.learned.addressing_retries += 1;
                self.wire.note(|| {
                    format!(
                        "chips {j} and {} answer at address 0x{address:02X}: addressing again to see it twice",
                        j + 1
                    )
                });
                continue;
            }
            // A set-address frame lost on the way shifts every chip after it by one address:
            // an address that never answers with later ones answering. Address again (every
            // chip relays, so a chip that answers nothing would also stop the ones after it).
            // The last chip missing its address leaves no gap, but fewer chips than counted.
            // An earlier pass of the run that heard more chips counts too: a noisy discovery's
            // short count alone does not make a shorter chain (tuning seed 927, a Bitaxe Supra
            // Hex with a joint at chip 0: discovery counted [1, 4], every pass heard 6, and one
            // whose last two frames were lost was taken as a chain of 4 at once).
            let counted = self.learned.counted().max(self.learned.most_addressed);
            self.learned.most_addressed = self.learned.most_addressed.max(answered);
            // A chain shorter than counted is taken once two passes agree on it (a break stays
            // where it is; a lost frame moves). So is one shorter than the profile's on a line
            // that lost reads, whatever the discovery counted: there the count is as noisy as
            // the check (tuning seed 23940, an S19j Pro at 1000 ppm with chip 3 passing on its
            // set-address: discovery counted 124 and 125, the first check heard 125 with the
            // second reply at chip 3's address lost, and the chain was taken as 125 chips with
            // chip 4 at an address nobody held; a second pass sees the two chips at one
            // address). Not while two chips at one address seen on an earlier pass wait to be
            // seen again (the same board: seen on the second pass, its second reply lost on
            // the third, and the short chain taken on the second and third agreeing).
            let believed =
                answered >= expected || answered >= counted.min(expected) && tail_reads.is_none();
            let agreed = previous == Some(answered) && doubled_before.is_none();
            if gaps == 0 && (believed || agreed) {
                // The first set-address lost leaves no gap and every address answering: each
                // chip holds the next one's and the last holds none, answering at 0 for the
                // first (tuning seed 3207, an S19 XP at 1000 ppm on the host's line: every
                // result went to the chip after the one that found it, a good chip was called
                // miscomputing and a dead one was left inconclusive). A chip with no address
                // takes the next set-address (facts §7 step 6), so one more, to an address no
                // chip was given, is answered only when a chip was left without one.
                if answered == expected && self.spare_address_taken(slots)? {
                    self.wire.note(|| {
                        "a chip took a spare address after the pass: a set-address was lost, addressing again".to_owned()
                    });
                    self.learned.addressing_retries += 1;
                    if attempt + 1 == self.cfg.addressing_attempts.max(1) {
                        self.learned.addressing_failed = true;
                    }
                    continue;
                }
                break;
            }
            previous = Some(answered);
            self.wire
                .note(|| format!("addressing left {gaps} gap(s): addressing again"));
            self.learned.addressing_retries += 1;
            if attempt + 1 == self.cfg.addressing_attempts.max(1) {
                // Every pass lost a frame: which chip holds which address is not known, so no
                // result can be put on a chip.
                self.learned.addressing_failed = true;
            }
        }
        self.learned.found = found;
        for (i, track) in self.learned.chips.iter_mut().enumerate() {
            if let Some(&slot) = held.get(i) {
                track.slot = slot;
            }
            track.address = if i < found {
                held.get(i).and_then(|&s| {
                    bm13xx::address::address_of(s, self.profile.address_interval.value)
                })
            } else {
                None
            };
        }
        self.configure(found)?;
        if baud > 115_200 && found > 0 {
            self.switch_baud(baud)?;
        }
        Ok(())
    }

    /// The chain as an addressing pass left it when set-address frames were lost on the way:
    /// each frame is taken by the first chip still without an address, so a lost frame's
    /// address stays empty, every chip after it took the next frame in order, and as many
    /// chips at the end took none (they answer at 0). When the check shows exactly that (each
    /// empty address asked again until a chip there would have answered, and still silent;
    /// no other address answered twice), the chips at the end are given the lost addresses
    /// (sent again, in order, up to four times; the chips that answer at them are the chips
    /// at the end) and the whole map is read back.
    /// The slots chip by chip, or `None` when the chain shows something else (then it is
    /// addressed again).
    pub(super) fn adopt_landed(
        &mut self,
        slots: &[usize],
        check: &AddressCheck,
    ) -> Flow<Option<Vec<usize>>> {
        let expected = self.profile.chips.value.min(slots.len());
        // The last address that answered may only have had its replies lost, and a frame lost
        // there leaves its address silent with the next ones held: ask on past it until
        // `TAIL_SILENT` in a row stay silent (no chip took those, nor any after them). Tuning
        // `--sweep s19kpro --fault joint:20:9000 --fault flaky:76 --fault noise:300`, sim seed
        // 7: the frame for position 74 was lost and chip 71 took position 75's; the search
        // stopped at 74, position 75's address went out again, chip 76 took it as well, and
        // the two chips at one address were read as one chain of 76.
        let (end, skipped) = self.held_past(slots, check.found.min(expected), expected)?;
        let sent: Vec<usize> = slots.iter().copied().take(end).collect();
        // A chip there whose replies were lost is not a lost frame: its address given to a
        // chip at the end would make two chips share it. Each silent address is asked again
        // until a chip there would have answered (`silent_reads`).
        let reads = self.silent_reads(check);
        let mut asked = Vec::new();
        for &j in check.missing.iter().chain(&skipped) {
            let Some(address) = sent.get(j).and_then(|&s| self.address_of_slot(s)) else {
                return Ok(None);
            };
            asked.push(address);
        }
        let silent = self.still_silent(&asked, reads)?;
        let lost: Vec<usize> = check
            .missing
            .iter()
            .chain(&skipped)
            .zip(&silent)
            .filter(|&(_, &quiet)| quiet)
            .filter_map(|(&j, _)| sent.get(j).copied())
            .collect();
        // Only the chips without an address (at 0, with the chip that holds 0) may answer twice.
        let zero_at = sent
            .iter()
            .position(|&s| self.address_of_slot(s) == Some(0));
        if check.doubled.iter().any(|&d| Some(d) != zero_at) {
            return Ok(None);
        }
        let mut landed: Vec<usize> = sent.iter().copied().filter(|s| !lost.contains(s)).collect();
        // The chips at the end take the lost addresses in the order sent, then the addresses
        // after the last one taken (the last frames may have been lost too; with no chip left
        // to take them they pass off the end). A frame lost again is sent again, once every
        // address that stayed silent was asked again (a chip there whose replies were lost
        // must not get a twin).
        let mut pending: Vec<usize> = lost;
        pending.extend(slots.iter().copied().take(expected).skip(end));
        for _ in 0..4 {
            if pending.is_empty() {
                break;
            }
            for &slot in &pending {
                let address = self.address_of_slot(slot).unwrap_or(0);
                self.wire.command(Command::SetAddress { address })?;
            }
            self.wire.drain(1000)?;
            let seen = self.check_addresses(&pending, self.cfg.address_check_tries)?;
            let mut taken: Vec<bool> = (0..pending.len())
                .map(|k| k < seen.found && !seen.missing.contains(&k))
                .collect();
            // Many silent: a chain that ends here; take what answered and send nothing more.
            let ends_here = taken.iter().filter(|t| !**t).count() > 16;
            if !ends_here {
                // A taken address whose replies were lost must not go out again (a second
                // chip would take it): asked as the lost ones were.
                let unseen: Vec<usize> = (0..pending.len()).filter(|&k| !taken[k]).collect();
                let addresses: Vec<u8> = unseen
                    .iter()
                    .map(|&k| self.address_of_slot(pending[k]).unwrap_or(0))
                    .collect();
                let quiet = self.still_silent(&addresses, reads)?;
                for (&k, &q) in unseen.iter().zip(&quiet) {
                    taken[k] = !q;
                }
            }
            let (got, rest): (Vec<_>, Vec<_>) =
                pending.iter().copied().zip(taken).partition(|&(_, t)| t);
            landed.extend(got.into_iter().map(|(slot, _)| slot));
            pending = if ends_here {
                Vec::new()
            } else {
                rest.into_iter().map(|(slot, _)| slot).collect()
            };
        }
        // Address 0 answers for the chips without an address as well (their power-on
        // address), so a lost frame for 0 looks taken: the chips from there on then hold the
        // next frames' addresses, and once the lost ones are taken again one chip is left with
        // none. One more set-address, to a spare slot, is taken only by such a chip (facts §7
        // step 6): then the frame for 0 was lost, and that chip is the last. Tuning `--sweep
        // s19pro --fault joint:18:10000 --fault joint:20:17000 --fault txnoise:300`, sim
        // seed 27: three addressings put chip 100 (49, 84) at 0 and every chip after it one
        // address off, a good chip past the joints called weak on another chip's results.
        if pending.is_empty()
            && let Some(zero) = landed
                .iter()
                .position(|&s| self.address_of_slot(s) == Some(0))
            && let Some(spare) = self.spare_slot(&landed)
            && let Some(address) = self.address_of_slot(spare)
        {
            self.wire.command(Command::SetAddress { address })?;
            self.wire.drain(1000)?;
            if self.still_silent(&[address], reads)? == [false] {
                landed.remove(zero);
                landed.push(spare);
            }
        }
        // A frame lost in the middle that nobody takes again: no chip is without an address.
        // A chain that ends short leaves that trace, and so does a move of `repair_shift` lost
        // past the joint (both copies): its chip stayed at the next address and the next chip
        // moved onto it (tuning seed 22754, an S19 with a joint at 60: chips 68 and 69 at one
        // address, the map one off from 68 and the last chip reported as a chain break). Two
        // chips answer one read of the next address then; seen, the chain is addressed again.
        let middle: Vec<u8> = pending
            .iter()
            .filter_map(|&slot| slots.iter().position(|&s| s == slot))
            .filter(|&i| i + 1 < end)
            .filter_map(|i| slots.get(i + 1).and_then(|&s| self.address_of_slot(s)))
            .collect();
        for address in middle {
            if self.doubled_at(address, reads)? {
                return Ok(None);
            }
        }
        // What stays silent after that: no chip there to take it (a chain shorter than
        // addressed), unless more chips were counted than now hold an address.
        let counted = self.learned.counted().min(self.profile.chips.value);
        if !pending.is_empty() && counted > landed.len() {
            return Ok(None);
        }
        // Read the whole map back as landed: every address answers where it is expected.
        // An address that missed every read there is asked again, as the silent ones above
        // (a joint loses a read or its reply about one time in four: three lost in a row
        // happen in a long chain), and so are the last ones: every frame was taken by now, so
        // a silent one at the end is no more the chain's end than one in the middle.
        let again = self.check_addresses(&landed, self.cfg.address_check_tries)?;
        let unanswered: Vec<usize> = again
            .missing
            .iter()
            .copied()
            .chain(again.found..landed.len())
            .collect();
        let addresses: Vec<u8> = unanswered
            .iter()
            .map(|&j| {
                landed
                    .get(j)
                    .and_then(|&s| self.address_of_slot(s))
                    .unwrap_or(0)
            })
            .collect();
        let quiet = self.still_silent(&addresses, reads)?;
        let silent: Vec<usize> = unanswered
            .iter()
            .zip(&quiet)
            .filter(|&(_, &q)| q)
            .map(|(&j, _)| j)
            .collect();
        // Two chips at one address: a lost frame that was not (see above). Address again.
        if !silent.is_empty() || !again.doubled.is_empty() {
            return Ok(None);
        }
        Ok(Some(landed))
    }

    /// How many reads an address that stayed silent gets before no chip is taken to hold it:
    /// enough that a chip there, answering as often as the chips from the first silent
    /// position on answered `check`, would stay silent to all of them less than one time in
    /// 10^4. At least 12: a bad joint loses a read or corrupts its reply about one time in
    /// four (a read there and a 9-byte reply at 1 % a byte), and a run addresses the chain a
    /// few dozen times, each with a few lost frames; one silent to 6 reads happened (tuning
    /// seed 2 of `joint:1:11000 dead:18` on an S17+). Past two bad joints reads are lost
    /// more than half the time, and 12 were not enough: tuning `--sweep s19pro --fault
    /// joint:18:10000 --fault joint:20:17000 --fault txnoise:300`, sim seeds 27 and 28, the
    /// chips at the end given an address a chip held, two chips at one address. [I] At most
    /// 48 (a line losing 95 % of the reads leaves the map unknowable at any count).
    fn silent_reads(&self, check: &AddressCheck) -> usize {
        let floor = 4 * self.cfg.address_check_tries.max(1);
        let from = check.missing.first().copied().unwrap_or(check.found);
        let (sent, answered) = check
            .reads
            .iter()
            .skip(from)
            .fold((0u32, 0u32), |(n, a), &(r, ok)| (n + r, a + u32::from(ok)));
        reads_at_loss(sent, answered, floor)
    }

    /// How many reads the first address past the chips that answered `check` gets before the
    /// chain is taken to end there, when the check lost reads of chips that did answer (a
    /// chip there asked more than once): enough that a chip answering as often as those
    /// would stay silent to all of them less than one time in 10^4 (as `silent_reads`). `None`
    /// on a line that lost no read: the check's own reads settle it.
    fn tail_reads(&self, check: &AddressCheck) -> Option<usize> {
        let (sent, answered) = check
            .reads
            .iter()
            .take(check.found)
            .filter(|&&(_, ok)| ok)
            .fold((0u32, 0u32), |(n, a), &(r, _)| (n + r, a + 1));
        (sent > answered).then(|| reads_at_loss(sent, answered, 4 * self.cfg.address_check_tries))
    }

    /// Ask each of `addresses` up to `reads` times, all together (a read of each address still
    /// silent, then one wait, a round): which of them never answered.
    fn still_silent(&mut self, addresses: &[u8], reads: usize) -> Flow<Vec<bool>> {
        let mut silent = vec![true; addresses.len()];
        let reply_us = (self.family.reply_len(self.family.rolls_version()) as f64
            * self.wire.byte_us()) as u64;
        for _ in 0..reads {
            let ask: Vec<u8> = addresses
                .iter()
                .zip(&silent)
                .filter(|&(_, &q)| q)
                .map(|(&a, _)| a)
                .collect();
            if ask.is_empty() {
                break;
            }
            for &address in &ask {
                self.wire.command(Command::ReadRegister {
                    dest: Dest::Chip(address),
                    register: reg::CHIP_ADDRESS,
                })?;
            }
            let settle = reply_us * (4 + ask.len() as u64)
                + self.relay_us(self.profile.chips.value) * 2
                + self.cfg.discovery_quiet_ms * 1000;
            for a in self.wire.drain(settle)? {
                if let Reply::Register(r) = a.reply
                    && r.register == reg::CHIP_ADDRESS
                {
                    for (k, &address) in addresses.iter().enumerate() {
                        if address == r.chip_address {
                            silent[k] = false;
                        }
                    }
                }
            }
        }
        Ok(silent)
    }

    /// Where the chips holding `slots` end, from `from` on (before `limit`), and the positions
    /// before that end which stayed silent: each next address is asked on its own, twice the
    /// check's reads, until `TAIL_SILENT` in a row stay silent. [I] Three: past a bad joint a
    /// set-address frame is lost about one time in ten (the sweep in `adopt_landed`, sim seed
    /// 7: 5 of the 56 frames past the joint), so three in a row about one time in a thousand;
    /// a chain that really ends there costs three addresses asked.
    fn held_past(
        &mut self,
        slots: &[usize],
        from: usize,
        limit: usize,
    ) -> Flow<(usize, Vec<usize>)> {
        const TAIL_SILENT: usize = 3;
        let tries = 2 * self.cfg.address_check_tries;
        let mut end = from;
        let mut silent = Vec::new();
        let mut at = from;
        while at < limit && at < end + TAIL_SILENT {
            let Some(address) = slots.get(at).and_then(|&s| self.address_of_slot(s)) else {
                break;
            };
            if self.answers_at(address, tries)? {
                end = at + 1;
            } else {
                silent.push(at);
            }
            at += 1;
        }
        silent.retain(|&j| j < end);
        Ok((end, silent))
    }

    /// Where the chips answering at `slots` end, from `from` on (before `limit`): each next
    /// address is asked on its own, up to `tries` times, until one stays silent. The last
    /// address that answered a check may only have had its replies lost.
    fn answering_on(
        &mut self,
        slots: &[usize],
        from: usize,
        limit: usize,
        tries: usize,
    ) -> Flow<usize> {
        let mut end = from;
        while end < limit
            && let Some(address) = slots.get(end).and_then(|&s| self.address_of_slot(s))
            && self.answers_at(address, tries)?
        {
            end += 1;
        }
        Ok(end)
    }

    /// Undo the shift one lost set-address frame leaves (chips `j..expected-1` one slot up, the
    /// last chip unaddressed). [I] Re-addressing through register 0, as the rotation does.
    pub(super) fn repair_shift(
        &mut self,
        slots: &[usize],
        j: usize,
        expected: usize,
    ) -> Flow<bool> {
        let id = u32::from(self.family.chip_id()) << 16;
        // The chip left without an address answers at 0 too: a write to a chip at address 0
        // would move both. Then only a fresh addressing pass can sort them out.
        let through_zero = (j + 1..expected)
            .filter_map(|k| slots.get(k))
            .any(|&s| self.address_of_slot(s) == Some(0));
        if through_zero {
            return Ok(false);
        }
        for k in j..expected.saturating_sub(1) {
            let (Some(&to_slot), Some(&from_slot)) = (slots.get(k), slots.get(k + 1)) else {
                break;
            };
            let (Some(from), Some(to)) = (
                self.address_of_slot(from_slot),
                self.address_of_slot(to_slot),
            ) else {
                break;
            };
            // Each move `write_copies` times in a row: one lost past a bad joint leaves its chip
            // where it was and the next move puts a second chip there (tuning `--sweep s19kpro
            // --fault joint:20:9000 --fault flaky:76 --fault noise:300`, sim seed 40: chip 75
            // kept address 0xA6 and chip 76 took it as the last address, the map one chip
            // short). A copy is harmless: it goes to the address just left, which no chip takes
            // before the next move.
            for _ in 0..self.write_copies.max(1) {
                self.wire.command(Command::WriteRegister {
                    dest: Dest::Chip(from),
                    register: reg::CHIP_ADDRESS,
                    value: id | u32::from(to),
                })?;
            }
        }
        if let Some(last) = slots
            .get(expected.saturating_sub(1))
            .and_then(|&s| self.address_of_slot(s))
        {
            self.wire.command(Command::SetAddress { address: last })?;
        }
        self.wire.drain(1000)?;
        Ok(true)
    }

    /// Read register 0 again of every chip that reported another ID than the family's: one
    /// reply corrupted on a bad joint can pass the CRC, a part of another kind reports its ID
    /// every time. A chip that gives the family's ID on any of the reads is the family's part;
    /// one whose other ID never comes back a second time is not taken for another part (its
    /// ID stays unknown): past a joint losing nine replies in ten, three reads all lost left a
    /// corrupted ID standing (tuning seed 7336, S21: chip 87 named a 0x13E8 part). Reads stop
    /// once either is seen, at most `CHIP_ID_READS`. An ID the reads past a step agreed on is
    /// not read again (`ChipTrack::id_from_reads`).
    pub(super) fn confirm_chip_ids(&mut self) -> Flow {
        /// [I] Six reads: a reply gets through a link losing two in three about nine times in
        /// ten.
        const CHIP_ID_READS: usize = 6;
        let family_id = self.family.chip_id();
        let wrong: Vec<(usize, u8, u16)> = (0..self.learned.found)
            .filter_map(|i| {
                let c = &self.learned.chips[i];
                // Read many times past a step and agreed on: settled.
                let settled = c.id_from_reads().is_some();
                match (c.chip_id, c.address) {
                    (Some(id), Some(a)) if id != family_id && !settled => Some((i, a, id)),
                    _ => None,
                }
            })
            .collect();
        for (i, address, other) in wrong {
            let mut seen = None;
            for _ in 0..CHIP_ID_READS {
                let ids = self.read_ids_at(address)?;
                if ids.contains(&family_id) {
                    seen = Some(family_id);
                    break;
                }
                if ids.contains(&other) {
                    seen = Some(other);
                    break;
                }
            }
            self.learned.chips[i].chip_id = seen;
            if seen == Some(family_id) {
                self.wire.note(|| {
                    format!(
                        "chip {i} reports the family's ID on a second read: the first was corrupted"
                    )
                });
            } else if seen.is_none() {
                self.wire.note(|| {
                    format!("chip {i} reported ID 0x{other:04X} once and never again: not taken for another part")
                });
            }
        }
        Ok(())
    }

    /// Whether a chip answers a read of register 0 at `address`, asked up to `tries` times.
    /// Send one more set-address, to the first address none of `slots` holds, and whether a
    /// chip answers there: a chip the pass left without an address takes it (a chip with one
    /// passes it on, facts §7 step 6). `false` when every address is in use.
    pub(super) fn spare_address_taken(&mut self, slots: &[usize]) -> Flow<bool> {
        let Some(spare) = self.spare_slot(slots).and_then(|s| self.address_of_slot(s)) else {
            return Ok(false);
        };
        self.wire.command(Command::SetAddress { address: spare })?;
        self.wire.drain(1000)?;
        self.answers_at(spare, self.cfg.address_check_tries)
    }

    /// The first slot none of `slots` holds that has an address.
    fn spare_slot(&self, slots: &[usize]) -> Option<usize> {
        (0..=usize::from(u8::MAX))
            .filter(|s| !slots.contains(s))
            .find(|&s| self.address_of_slot(s).is_some())
    }

    /// Whether two chips answer at `address`: read once at a time, up to `reads` times, until
    /// one read brings two replies from it.
    fn doubled_at(&mut self, address: u8, reads: usize) -> Flow<bool> {
        for _ in 0..reads {
            if self.read_ids_at(address)?.len() >= 2 {
                return Ok(true);
            }
        }
        Ok(false)
    }

    pub(super) fn answers_at(&mut self, address: u8, tries: usize) -> Flow<bool> {
        for _ in 0..tries {
            if !self.read_ids_at(address)?.is_empty() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Read register 0 at `address` once: the chip IDs of the replies from that address.
    pub(super) fn read_ids_at(&mut self, address: u8) -> Flow<Vec<u16>> {
        let reply_us = (self.family.reply_len(self.family.rolls_version()) as f64
            * self.wire.byte_us()) as u64;
        let settle = reply_us * 4
            + self.relay_us(self.profile.chips.value) * 2
            + self.cfg.discovery_quiet_ms * 1000;
        self.wire.command(Command::ReadRegister {
            dest: Dest::Chip(address),
            register: reg::CHIP_ADDRESS,
        })?;
        let replies = self.wire.drain(settle)?;
        Ok(replies
            .iter()
            .filter_map(|a| match a.reply {
                Reply::Register(r)
                    if r.register == reg::CHIP_ADDRESS && r.chip_address == address =>
                {
                    Some(r.chip_id())
                }
                _ => None,
            })
            .collect())
    }

    /// Read register 0 of every chip at its slot's address; returns how many chips answered,
    /// which addresses never did and which answered twice. Records chip IDs.
    pub(super) fn check_addresses(&mut self, slots: &[usize], tries: usize) -> Flow<AddressCheck> {
        let expected = self.profile.chips.value.min(slots.len());
        let addresses: Vec<u8> = slots
            .iter()
            .take(expected)
            .map(|&s| self.address_of_slot(s).unwrap_or(0))
            .collect();
        let mut answered: Vec<Option<u16>> = vec![None; expected];
        // Per position: reads sent and replies seen (a reply late for one pass arrives in the
        // next; two chips at one address answer one read twice).
        let mut reads_to = vec![0u32; expected];
        let mut replies_at = vec![0u32; expected];
        let reply_us = (self.family.reply_len(self.family.rolls_version()) as f64
            * self.wire.byte_us()) as u64;
        for _ in 0..tries.max(1) {
            let pending: Vec<usize> = (0..expected).filter(|&i| answered[i].is_none()).collect();
            if pending.is_empty() {
                break;
            }
            for &i in &pending {
                reads_to[i] += 1;
                self.wire.command(Command::ReadRegister {
                    dest: Dest::Chip(addresses[i]),
                    register: reg::CHIP_ADDRESS,
                })?;
            }
            let settle =
                reply_us * 4 + self.relay_us(expected) * 2 + self.cfg.discovery_quiet_ms * 1000;
            let replies = self.wire.drain(settle)?;
            for a in replies {
                if let Reply::Register(r) = a.reply {
                    if r.register != reg::CHIP_ADDRESS {
                        continue;
                    }
                    if let Some(i) = addresses.iter().position(|&x| x == r.chip_address) {
                        answered[i] = Some(r.chip_id());
                        replies_at[i] += 1;
                    }
                }
            }
        }
        let found = answered
            .iter()
            .rposition(Option::is_some)
            .map_or(0, |i| i + 1);
        for (track, id) in self.learned.chips.iter_mut().zip(&answered).take(found) {
            if let Some(id) = id {
                // One reply does not overturn the ID many reads past a step agreed on.
                track.chip_id = track
                    .id_from_reads()
                    .map_or(Some(*id), |(id, _, _)| Some(id));
            }
        }
        Ok(AddressCheck {
            found,
            missing: (0..found).filter(|&i| answered[i].is_none()).collect(),
            doubled: (0..expected)
                .filter(|&i| replies_at[i] > reads_to[i])
                .collect(),
            reads: reads_to
                .iter()
                .zip(&answered)
                .map(|(&n, id)| (n, id.is_some()))
                .collect(),
        })
    }

    /// Estimated relay delay to chip `index` and back is within this, µs ([I] 4 bit times a chip).
    pub(super) fn relay_us(&self, index: usize) -> u64 {
        (index as f64 * 4.0 * 1e6 / f64::from(self.wire.baud())) as u64
    }

    pub(super) fn configure(&mut self, found: usize) -> Flow {
        if found == 0 {
            return Ok(());
        }
        let ticket_reg = if self.family == Family::Bm1387 {
            reg::bm1387::TICKET_MASK
        } else {
            reg::TICKET_MASK
        };
        self.broadcast(Phase::AfterAddressing)?;
        let mask = bm13xx::ticket::mask_for_difficulty(self.cfg.ticket_difficulty).unwrap_or(0xFF);
        self.write_all(ticket_reg, mask)?;
        self.per_chip(found)?;
        self.broadcast(Phase::AfterPerChip)?;
        if !self.sensors_read {
            // Read the board once before the hash clock rises: a board that is already hot (or
            // trips the jig) is reported with every sensor, not only the first one read.
            self.sensors_read = true;
            self.read_sensors()?;
            self.sample()?;
        }
        self.set_hash_clock(self.clock_mhz, found)
    }

    /// Ramp the hash clock to `target_mhz` and set up the work for it: the hash counting
    /// number (the sweep's length), which patterns every slot covers in time, the nonce offsets.
    pub(super) fn set_hash_clock(&mut self, target_mhz: f64, found: usize) -> Flow {
        let hcn_reg = if self.family == Family::Bm1387 {
            reg::bm1387::HASH_COUNTING_NUMBER
        } else {
            reg::HASH_COUNTING_NUMBER
        };
        let freq_mhz = self.ramp_pll(target_mhz)?;
        // The domains under the hash clock (and, on a PIC board, that the chain still has power).
        self.sample()?;
        let rule = self.slice_rule(found);
        let mut setup = ChainSetup::new(self.family, &self.params, rule, freq_mhz);
        setup.ticket_difficulty = self.cfg.ticket_difficulty;
        let hcn = setup.hash_counting_number();
        // Patterns must lie in the part of every slot the sweep covers before its deadline.
        setup.coverage = (0..setup.slots())
            .map(|s| setup.coverage_of(hcn, s))
            .fold(1.0, f64::min);
        self.write_all(hcn_reg, hcn)?;
        self.broadcast(Phase::Mining)?;
        self.setup = Some(setup);
        self.write_offsets(found)?;
        self.wire.drain(1000)?;
        Ok(())
    }

    pub(super) fn write_offsets(&mut self, found: usize) -> Flow {
        let Some(setup) = &self.setup else {
            return Ok(());
        };
        if !self.profile.nonce_offsets.value {
            return Ok(());
        }
        let writes: Vec<(u8, u32)> = (0..found)
            .filter_map(|i| {
                let track = self.learned.chips.get(i)?;
                Some((track.address?, setup.rule.offset_register(track.slot)?))
            })
            .collect();
        let mut pending = writes;
        for _ in 0..self.cfg.offset_write_passes.max(1) {
            for &(address, value) in &pending {
                self.wire.command(Command::WriteRegister {
                    dest: Dest::Chip(address),
                    register: reg::CHIP_NONCE_OFFSET,
                    value,
                })?;
            }
            // Read every chip's offset back: a write lost on the host's line leaves a chip
            // hashing its old nonce range, which the pattern test would take for dead cores.
            let quiet = self.cfg.discovery_quiet_ms * 1000 / 4;
            let replies = self.wire.ask(
                Command::ReadRegister {
                    dest: Dest::All,
                    register: reg::CHIP_NONCE_OFFSET,
                },
                quiet.max(2_000),
            )?;
            let holds: HashMap<u8, u32> = replies
                .iter()
                .filter_map(|a| match a.reply {
                    Reply::Register(r) if r.register == reg::CHIP_NONCE_OFFSET => {
                        Some((r.chip_address, r.value))
                    }
                    _ => None,
                })
                .collect();
            pending.retain(|(address, value)| holds.get(address) != Some(value));
            if pending.is_empty() {
                break;
            }
            self.wire.note(|| {
                format!(
                    "{} nonce offset(s) did not take: writing again",
                    pending.len()
                )
            });
        }
        Ok(())
    }

    pub(super) fn switch_baud(&mut self, baud: u32) -> Flow<u32> {
        let Some((divider, actual)) = bm13xx::baud::divider_for_baud(baud) else {
            return Ok(self.wire.baud());
        };
        let register = self.family.baud_register();
        let value = bm13xx::baud::divider_register_value(self.family, divider);
        // (The second copy reaches chips already at the new rate and means nothing to them.)
        self.write_all(register, value)?;
        self.wire.drain(self.cfg.baud_drain_ms * 1000)?;
        self.wire.set_baud(actual)?;
        // The BM1387 keeps its I2C master enable beside the divider that was just broadcast:
        // enable it again on the sensor hosts (bmminer sets both in one write).
        for chip in std::mem::take(&mut self.sensor_hosts) {
            self.enable_sensor_host(chip)?;
        }
        Ok(actual)
    }

    pub(super) fn raise_baud(&mut self, wanted: Option<u32>) -> Flow {
        let max = self.info.as_ref().map_or(115_200, |i| i.max_baud);
        let target = wanted.unwrap_or(self.profile.high_baud.value).min(max);
        let found = self.learned.found;
        // With two chips at one address there is no pattern test to speed up (and one address
        // fewer answers at any rate).
        if target <= 115_200 || found == 0 || self.learned.duplicate_address.is_some() {
            self.pattern_baud = self.wire.baud();
            return Ok(());
        }
        let slots: Vec<usize> = self.learned.chips.iter().map(|c| c.slot).collect();
        let mut actual = self.switch_baud(target)?;
        // The last chip that answered is where the fast link stops only if the next one is
        // silent when asked again on its own: past a bad joint both reads of a chip that
        // works at this rate are lost one time in twenty, which put the stop at a good chip
        // (tuning seed 1782: a joint at chip 65, the fast link stopping at chip 69).
        let mut high_found = self.check_addresses(&slots[..found], 2)?.found;
        if high_found == 0 {
            // Not one chip at the new rate: the rate change itself may have been lost on the
            // host's line, every chip still at the old rate (held-out seed 1100736, opened: a
            // healthy S9 at 3000 ppm on the host's line, "only 0 of 63 chips" and a marginal
            // signal named at chip 0). Set the chain up again and change the rate once more.
            self.wire.note(|| {
                "no chip answers at the new rate: setting up and changing it again".to_owned()
            });
            self.bring_up(&slots, 115_200, true)?;
            actual = self.switch_baud(target)?;
            high_found = self.check_addresses(&slots[..found], 2)?.found;
        }
        let tries = 2 * self.cfg.address_check_tries;
        let high_found = self.answering_on(&slots[..found], high_found, found, tries)?;
        if high_found < found {
            self.learned.marginal = Some((high_found, actual));
            self.step(
                Step::Baud,
                0.5,
                format!("Only {high_found} of {found} chips answer at {actual} baud: falling back to 115200"),
            )?;
            self.bring_up(&slots, 115_200, true)?;
        }
        self.pattern_baud = self.wire.baud();
        self.step(
            Step::Baud,
            1.0,
            format!("Pattern test at {} baud", self.pattern_baud),
        )
    }

    // ---------------------------------------------------------------------------------------
    // The pattern test.
}

/// Reads of an address, at least `floor`, after which a chip answering `answered` of `sent`
/// reads would have stayed silent to all of them less than one time in 10^4: the count
/// `Engine::silent_reads` and `Engine::tail_reads` give. [I] At most 48 (a line losing 95 % of
/// the reads leaves the map unknowable at any count).
fn reads_at_loss(sent: u32, answered: u32, floor: usize) -> usize {
    const HELD_SILENT_P: f64 = 1e-4;
    const MAX_READS: usize = 48;
    if sent == 0 {
        return floor;
    }
    // Clamped, so the logarithm is of a number in (0, 1) and the count finite.
    let loss = (1.0 - f64::from(answered) / f64::from(sent)).clamp(0.01, 0.95);
    ((HELD_SILENT_P.ln() / loss.ln()).ceil() as usize).clamp(floor, MAX_READS.max(floor))
}
