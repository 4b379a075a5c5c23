//! Every threshold the engine uses, in one place, with where each default comes from.

/// Engine settings. `Config::default()` is what `hashbench diagnose` uses.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Ticket difficulty for the pattern test. Factory S19j Pro / S21 Pro chains and ESP-Miner
    /// use 256 (facts §3.4); at 256 about 11,500 of the set's headers are usable.
    pub ticket_difficulty: u64,
    /// Reset pulse and the wait after it, ms (ESP-Miner: 100 ms low, 100 ms after; facts §1.1).
    pub reset_low_ms: u64,
    /// See `reset_low_ms`.
    pub reset_wait_ms: u64,
    /// Wait after power on before measuring, ms. [I]
    pub power_settle_ms: u64,
    /// Discovery ends when no reply came for this long, ms. [I] BMM polls 3 × 300 ms; the jig's
    /// timestamps let us stop sooner.
    pub discovery_quiet_ms: u64,
    /// Discovery rounds; counts that differ between rounds far more than the board's measured
    /// loss rate explains are an intermittent link (`intermittent_p`).
    pub discovery_rounds: usize,
    /// Frames failing their CRC in one run that make a noisy-link note even when few replies
    /// were lost. [I]
    pub noisy_link_frames: u64,
    /// Reads per chip when checking addressing; a chip must answer one of them.
    pub address_check_tries: usize,
    /// Addressing passes a bring-up makes while an address in the middle does not answer (a
    /// set-address frame lost on a noisy line shifts every chip after it). [I]
    pub addressing_attempts: usize,
    /// Wait after the baud-change write before switching the jig, ms (factory ≈ 60 ms, facts §2.3).
    pub baud_drain_ms: u64,
    /// The hash clock a chip runs at out of reset, where the PLL ramp starts, MHz (ESP-Miner
    /// `power_management_task.c` sets `actual_frequency = 50.0` before its first ramp).
    pub pll_reset_mhz: f64,
    /// Wait after each 6.25 MHz step of the PLL ramp, ms (ESP-Miner `do_frequency_transition`:
    /// `vTaskDelay(100 ms)` per step).
    pub pll_step_ms: u64,
    /// A chip is weak when at least this fraction of its cores is dead (the repair threshold).
    pub weak_fraction: f64,
    /// A chip is `ok` once the chance that a chip with `weak_fraction` dead cores would have shown
    /// what this one showed is below this; and `weak` once the chance that a chip with fewer
    /// dead cores than that would have shown as many dead is below it.
    pub ok_risk: f64,
    /// A chip that returned no golden nonce from this many patterns is dead.
    pub dead_min_patterns: u32,
    /// Tries of one pattern before its core counts as dead (the retries absorb lost bytes).
    /// [I] Four: at 1000 ppm on the host's line an S19j Pro loses about 8 % of its jobs, and
    /// three tries all lost (5e-4) is above `noise_miss_risk`, so no miss there proved a dead
    /// core and good chips stayed undecided; four (4e-5) is below it.
    pub tries_per_pattern: u8,
    /// A pattern missed on every try, some on a noisy line, still proves a dead core when line
    /// noise at the board's measured loss rate would lose every try with less than this
    /// chance. [I]
    pub noise_miss_risk: f64,
    /// Unresolved misses that get an undecided chip the same retest. [I]
    pub confirm_unresolved: u32,
    /// Copies of every configuration register write, broadcast or to one chip (idempotent; a
    /// broadcast lost on the host's line would misconfigure every chip at once, a chip's own
    /// write lost leaves that chip silent for a whole round). [I]
    pub write_copies: usize,
    /// Past a link the run has found losing work, once a set-up there has been seen lost (a
    /// silent tail set up again), a configuration write goes out as many times
    /// as make the chance that every copy is lost there below this, up to
    /// `write_copies_max` (`Engine::link_write_copies`). [I] About one set-up in a hundred
    /// then misses a write past the link (a set-up makes ten or so writes a lost copy spoils
    /// alone, and its PLL ramp needs two steps in a row lost).
    pub write_loss_risk: f64,
    /// See `write_loss_risk`. [I]
    pub write_copies_max: usize,
    /// Passes of writing the chips' nonce offsets and reading them back until every chip holds
    /// its own. [I]
    pub offset_write_passes: usize,
    /// Patterns a chip about to be called dead or weak is given again, after its per-chip
    /// configuration is sent again. [I]
    pub confirm_patterns: usize,
    /// Hardware errors that mark a chip, and the share of its results they must be.
    pub hw_error_min: u32,
    /// See `hw_error_min`.
    pub hw_error_rate: f64,
    /// The error rate a chip with hardware errors must not hide: once a chip showed any error,
    /// it is only `ok` when a chip erring this often would very unlikely have shown so few.
    pub hw_error_fault_rate: f64,
    /// Address rotations of the pattern test (each gives every chip a new nonce slice).
    pub max_rounds: usize,
    /// Moves of a chip still undecided after the rounds to the slot with work for most of its
    /// untested cores (see `finish_untested`). [I]
    pub finish_rounds: usize,
    /// Most patterns one chip gets before it is called inconclusive.
    pub max_patterns_per_chip: usize,
    /// Extra wait for a reply beyond its expected time: fixed µs, plus reply frames' time.
    pub reply_margin_us: u64,
    /// Domain states: below this fraction of nominal a domain is shorted; above this, open.
    pub short_fraction: f64,
    /// See `short_fraction`.
    pub open_fraction: f64,
    /// Board sensors above this are an over-temperature, °C. [I] Bitmain boards protect at
    /// about 90-95 °C PCB temperature.
    pub overtemp_c: f32,
    /// Readings outside this range, or exactly -1 or 127, are implausible (ESP-Miner's "TEMP:FAIL"
    /// values, facts §4.2). [I] The upper bound leaves room for a die that really is overheating.
    pub plausible_c: (f32, f32),
    /// Transient misses (lost, then found on retry) a chip needs before its link can be called
    /// intermittent.
    pub intermittent_min: u32,
    /// ... and how unlikely its losses must be at the rest of the board's loss rate (binomial
    /// tail): line noise loses replies evenly over the chips, a bad joint at one chip.
    pub intermittent_p: f64,
    /// Floor of the board's per-reply loss rate in that test. [I] About 100 ppm of lost or
    /// corrupted bytes on the chain (a long ribbon cable) loses 0.2 % of 11-byte replies.
    pub intermittent_floor: f64,
    /// A chip whose losses are this unlikely at the rest of the board's rate stands out: it is
    /// left out of the rate the other chips are weighed against (a second flaky chip hides in
    /// a rate with the first in it). [I] One in a hundred.
    pub link_suspect_p: f64,
    /// A chip whose losses are unlikely at the rest of the board's rate (below this) but not
    /// unlikely enough to call its link intermittent (`intermittent_p`) is given
    /// `link_followup_patterns` more work after the pattern test, the most suspicious first,
    /// so that the measurement, not the threshold, decides. [I] At 53 patterns a chip losing
    /// 17 % of its replies on a line that loses 2 % often lands between the two: flaky chips
    /// lost 3 and 4 of 53 on such lines (chances of 7 % and 2 %: tuning seeds 24418 and 24515,
    /// an S19 and an S19 Pro) and were never looked at again at one in a hundred, as one that
    /// lost 3 of 50 on a line losing 0.6 % was at one in a thousand (tuning seed 448). One in
    /// ten follows up about one good chip in ten, at most `link_followup_chips`.
    pub link_followup_p: f64,
    /// A chip given more work that way is called on everything it lost only where that more work,
    /// on its own, lost more than the rest of the board at this chance or less (by its replies
    /// lost, or by its replies spoiled; against the rest's rate, and by its share of the losses
    /// it and the rest had together, `findings::replicated`): the work that picked it was
    /// picked for its losses, and a good chip picked as the unluckiest of a noisy board came
    /// out of its more work with its pick's losses in its count (held-out seed 1006102,
    /// opened: an S19k Pro at 300 ppm on the
    /// return line, chip 57 picked at 5 of 65 lost, then 3 of 66, a chance of about 0.005 on their
    /// own, and its link called on the 8 of 131). [I] One in ten thousand: at one in a thousand, a
    /// good chip picked that way replicated by chance on one of the 3950 healthy boards of tuning
    /// 28001-44,000 (seed 34193, an S17+ at 300 ppm on the host's line: in the run's last 322 jobs
    /// the simulator flipped bits in 9 of the 135 sent chip 24 and in 1 of the 187 sent the others,
    /// where a 56-byte job loses 1.7 % on average); a flaky chip replicates past this bar in the
    /// rounds it is given for that (`REPLICATE_ROUNDS`).
    pub link_replicate_p: f64,
    /// See `link_followup_p`. Also the more work a chip gets whose miscomputed nonces the line
    /// may still explain (`Engine::follow_unproven_errors`).
    pub link_followup_patterns: usize,
    /// Most chips followed up that way in one run (the most suspicious first): a line that
    /// loses evenly and heavily is a link finding, not a reason to retest the whole board. [I]
    /// The same for the chips whose errors are followed up.
    pub link_followup_chips: usize,
    /// The pattern test stops sending work when a sensor reads this, °C, and waits for the
    /// board to cool (`cool_to_c`) before it goes on, so an overheating chip does not trip the
    /// jig (`overtemp_c` and above) before the rest of the board is tested. [I] Below the
    /// limit by what a sensor near a chip that lost its heatsink rises in the time between two
    /// reads (`sensor_rise_max_c_per_s`).
    pub cool_at_c: f32,
    /// See `cool_at_c`: work resumes once every sensor reads this or less, or has stopped
    /// cooling (an idle chip that overheats keeps its patch warm).
    pub cool_to_c: f32,
    /// Most jig time one run spends cooling, s; past it the test goes on and the jig's limit
    /// protects the board.
    pub cool_max_s: u64,
    /// The fastest a board sensor can rise, °C/s: the sensors are read again before they could
    /// climb from their last reading to `cool_at_c`. [I] The patch around a chip that lost its
    /// heatsink rises at most about 20 °C/s at first, and less at the sensors around it.
    pub sensor_rise_max_c_per_s: f32,
    /// A sensor that rises this fast or faster, °C/s over half a second or more (the next
    /// reading holding the rise), has a chip near it that overheats. [I] A whole board warms
    /// under 1 °C/s (its mass on a bench fan: minutes to settle); the patch around one chip
    /// without its heatsink heats several °C/s.
    pub hot_rise_c_per_s: f32,
    /// The fastest a whole board warms, °C/s: a sensor rising faster has a hot patch near it,
    /// and its rise between two readings is weighed over `hot_settle_s` at most. [I] The
    /// board's mass on a bench fan takes minutes to settle (see `hot_rise_c_per_s`).
    pub board_rise_c_per_s: f32,
    /// How long the patch around a chip that lost its heatsink takes to do most of its
    /// heating, s. [I] A few grams of copper, FR4 and aluminium around a 10 W chip: seconds.
    pub hot_settle_s: f32,
    /// A soak ends once the hottest sensor reads this, °C. [I] The PCB sensors of a hashing
    /// Antminer board sit around 55-75 °C in a miner; 60 °C is inside that band on a bench.
    pub soak_target_c: f32,
    /// A soak sends one known-nonce job this often, ms (chips keep hashing between jobs).
    pub soak_job_ms: u64,
    /// A soak reads the sensors this often, s of jig time.
    pub soak_read_s: u64,
    /// The aging test sends every chip one known-nonce job this often (or as soon as the last
    /// round's golden nonces are due, when that is later), ms: the chips keep hashing, as in a
    /// miner that keeps them fed. [I]
    pub aging_round_ms: u64,
    /// The aging test counts each chip's errors over windows this long, s of jig time.
    pub aging_window_s: u64,
    /// In an aging window a chip that passed the pattern test is named when its errors (missed
    /// golden nonces plus miscomputed ones) are at least `aging_min_errors`, at least this share
    /// of its jobs, and unlikely (below `intermittent_p`) at the board's median error rate
    /// (floored at `intermittent_floor`): line noise errs evenly over the chips.
    pub aging_error_rate: f64,
    /// See `aging_error_rate`.
    pub aging_min_errors: u32,
    /// A telemetry sample within this long of the last job is taken under load (domains
    /// watched the whole run), ms. [I] The chips hash a job for longer than that; a pause in
    /// the work (a reset, the sensors read between soak jobs) is not load.
    pub hashing_window_ms: u64,
    /// Times a run sets the chain up again and sends a round once more when the chips at its
    /// end return nothing of it after answering before. [I] Each costs a set-up (the PLL ramp:
    /// about 12 s on an S17+); a board that loses them every time is judged on what it did.
    pub silent_tail_set_ups: u32,
    /// Times the chips that lost more replies than the line (`link_followup_p`) but not so many
    /// more that it decides (`intermittent_p`) are given `link_followup_patterns` more work.
    /// [I] Two: a chip still between the bars after one more batch is given one more. The same
    /// for a chip whose miscomputed nonces the line may still explain, and for the chips before
    /// a step in the losses that have not yet shown they lose far less than the chips past it.
    pub link_followup_rounds: u32,
    /// Register reads sent to each chip past a step in the losses (a bad joint), to weigh its
    /// own link against the other chips past the same step (`Engine::probe_past_steps`). [I]
    /// A chip whose link loses a fifth of its replies, past a joint losing two fifths of the
    /// reads, stands out at `intermittent_p` from about 400 reads (a fifth more lost, at a
    /// binomial's spread); 200 first, and as many again for the chips between the bars.
    pub link_probe_reads: u32,
    /// Most batches of `link_probe_reads`: the first for every chip past the step, the others
    /// for the chips still between the bars (`link_followup_p`, `intermittent_p`) or not yet
    /// ruled out (`link_probe_excess`), with a few chips of their stretch (every chip where a
    /// few are past the step; `Engine::probe_past_steps`). [I] Fifteen, 3000 reads: past a
    /// joint losing three fifths of the reads a flaky link's excess stands out at
    /// `intermittent_p` from about 1200 (tuning seed 35335, an S19 XP with joints at 10 and 80:
    /// flaky chip 91 lost 133 of 200 where its stretch lost 63 %), and a pair alone past a step
    /// is weighed against the other's rate at the upper end of its interval (tuning seed 30270,
    /// a Bitaxe Hex with a joint at 3: flaky chip 5 lost 489 of 1000 where chip 4 lost 395, a
    /// chance of 3e-5, when five batches were the most). Five were the most before, and a
    /// flaky BM1397 past a joint lost 37 % of 600 reads where the others lost 28 % (tuning seed
    /// 26289, an S17+): its short replies lose less to a flaky link.
    pub link_probe_rounds: u32,
    /// A chip past a step is read again until the upper end of the 95 % interval of its loss
    /// rate is less than this share of the replies its stretch got above the stretch's rate
    /// (or it is called): a link of its own losing that much is ruled out. [I] A tenth, half
    /// what a flaky link dropping 2 % of its bytes loses of an 11-byte reply.
    pub link_probe_excess: f64,
    /// Most passes in which the silent cores of a chip past a step in the losses are tried
    /// again in one slot, with cores of it that answered as controls
    /// (`Engine::retest_silent_cores`): past a joint a working core is silent over the pattern
    /// test's few tries as often as a third of the time, and a chip with a tenth of its cores
    /// dead does not stand out from that. Each pass that leaves a working core silent
    /// multiplies its chance of staying so by what the controls lost. [I] 144: at four fifths
    /// of the work lost, a working core silent over 48 more tries is a chance of 2e-5, but past
    /// a heavy joint the controls come back a few times in a hundred, and 48 passes left chips
    /// with 15 % of their cores dead short of proof (`--sweep s17plus --fault
    /// joint:10:18000 --fault weak:40:15`, sim seeds 2 and 6). The passes stop once a chip is
    /// proven or its tried cores answered, and a pass is a few jobs a chip (measured: 24
    /// passes for up to eight chips took 0.3 s of an S19j Pro 120's test at 3.125 Mbaud;
    /// moving the chips to another slot took 16 s, a set-up): runs of boards with a joint took
    /// from 15 s less to 2 s more in all with 144 (sim seed 1 of seven such boards, six with a
    /// weak chip past the joint, 2-3.5 min each; two more of the weak chips proven).
    pub core_retest_passes: u32,
    /// Controls per chip and pass (see `core_retest_passes`): enough to measure the pass's
    /// losses within a tenth over a few passes, few beside the silent cores. [I]
    pub core_retest_controls: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            ticket_difficulty: 256,
            reset_low_ms: 100,
            reset_wait_ms: 100,
            power_settle_ms: 200,
            discovery_quiet_ms: 30,
            discovery_rounds: 2,
            noisy_link_frames: 3,
            address_check_tries: 3,
            addressing_attempts: 6,
            baud_drain_ms: 60,
            pll_reset_mhz: 50.0,
            pll_step_ms: 100,
            weak_fraction: 0.10,
            ok_risk: 1e-3,
            dead_min_patterns: 8,
            tries_per_pattern: 4,
            confirm_patterns: 8,
            confirm_unresolved: 3,
            noise_miss_risk: 1e-4,
            offset_write_passes: 3,
            write_copies: 2,
            write_loss_risk: 1e-3,
            write_copies_max: 8,
            hw_error_min: 2,
            hw_error_rate: 0.02,
            hw_error_fault_rate: 0.10,
            max_rounds: 8,
            finish_rounds: 3,
            max_patterns_per_chip: 200,
            reply_margin_us: 500,
            short_fraction: 0.2,
            open_fraction: 2.5,
            overtemp_c: 90.0,
            plausible_c: (-20.0, 150.0),
            intermittent_min: 3,
            intermittent_p: 1e-6,
            intermittent_floor: 0.002,
            link_suspect_p: 1e-2,
            link_followup_p: 0.1,
            link_replicate_p: 1e-4,
            link_followup_patterns: 60,
            link_followup_chips: 4,
            cool_at_c: 82.0,
            cool_to_c: 70.0,
            cool_max_s: 240,
            sensor_rise_max_c_per_s: 15.0,
            hot_rise_c_per_s: 3.0,
            board_rise_c_per_s: 1.0,
            hot_settle_s: 5.0,
            soak_target_c: 60.0,
            soak_job_ms: 50,
            soak_read_s: 5,
            aging_round_ms: 50,
            aging_window_s: 30,
            aging_error_rate: 0.05,
            aging_min_errors: 3,
            hashing_window_ms: 100,
            silent_tail_set_ups: 2,
            link_followup_rounds: 2,
            link_probe_reads: 200,
            link_probe_rounds: 15,
            link_probe_excess: 0.1,
            core_retest_passes: 144,
            core_retest_controls: 8,
        }
    }
}
