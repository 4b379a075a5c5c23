//! From what the engine learned to what a technician should repair, most severe first.

use std::collections::BTreeSet;

use boards::Profile;

use crate::config::Config;
use crate::engine::{CoreRetest, Learned};
use crate::jig::Trip;
use crate::report::{
    ChipResult, ChipState, DomainResult, DomainState, Finding, FindingKind, SensorState,
};

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

/// `low_margin` notes: each chip `ok` in `base` that is not `ok` at one of `steps` (in the order
/// given) where at most one in ten of those chips fails too (a step the whole board fails says
/// nothing about one chip); once per chip, at the first such step, worded by `note(chip, step,
/// state there)` as (message, hint).
fn margin_notes<S>(
    out: &mut Vec<Finding>,
    profile: &Profile,
    found: usize,
    base: &[Option<ChipState>],
    steps: &[(S, &[Option<ChipState>])],
    note: impl Fn(usize, &S, &str) -> (String, String),
) {
    let ok = |states: &[Option<ChipState>], i: usize| {
        states.get(i).copied().flatten() == Some(ChipState::Ok)
    };
    let base_ok: Vec<usize> = (0..found).filter(|&i| ok(base, i)).collect();
    for (step, states) in steps {
        let failing: Vec<usize> = base_ok
            .iter()
            .copied()
            .filter(|&i| !ok(states, i))
            .collect();
        if failing.is_empty() || failing.len() * 10 > base_ok.len() {
            continue;
        }
        for i in failing {
            if out
                .iter()
                .any(|f| f.kind == FindingKind::LowMargin && f.chips.contains(&i))
            {
                continue;
            }
            let state = states
                .get(i)
                .copied()
                .flatten()
                .map_or("undecided", ChipState::label);
            let (message, hint) = note(i, step, state);
            out.push(chip_finding(
                FindingKind::LowMargin,
                i,
                profile.domain_of(i).unwrap_or(0),
                message,
                hint,
            ));
        }
    }
}

/// Whether chip `i` erred in aging window `w` far more than the board's median chip: at least
/// `aging_min_errors`, at least `aging_error_rate` of its jobs, and unlikely (below
/// `intermittent_p`) at the median chip's error rate floored at `intermittent_floor`.
pub(crate) fn aging_flagged(cfg: &Config, w: &crate::report::AgingWindow, i: usize) -> bool {
    let Some(n) = w.chips.get(i).filter(|n| n.sent > 0) else {
        return false;
    };
    let p0 = w.median_rate().max(cfg.intermittent_floor).min(1.0);
    let errors = n.errors();
    errors >= cfg.aging_min_errors
        && n.rate() >= cfg.aging_error_rate
        && 1.0 - crate::stats::binomial_at_most(u64::from(n.sent), p0, u64::from(errors - 1))
            < cfg.intermittent_p
}

/// Each domain's worst reading while the chips hashed, over the whole run (the first loaded
/// sample when no other was taken), with its jig time when watched.
fn watched_domains(learned: &Learned) -> Vec<(DomainResult, Option<u64>)> {
    if learned.watched_domains.is_empty() {
        learned
            .loaded_domains
            .iter()
            .map(|d| (d.clone(), None))
            .collect()
    } else {
        learned
            .watched_domains
            .iter()
            .map(|(d, at)| (d.clone(), Some(*at)))
            .collect()
    }
}

/// Domains in their band at preflight that read low under load while every chip in them was
/// sent work and returned none: chips that do not hash draw less and raise their domain in
/// the stack, so low instead means something in it leaks, and its chips brown out (their
/// misses say nothing about them).
pub(crate) fn browned_out(
    profile: &Profile,
    learned: &Learned,
    chips: &[ChipResult],
) -> Vec<usize> {
    watched_domains(learned)
        .iter()
        .zip(&learned.domains)
        .filter(|((d, _), idle)| {
            let mut in_domain = profile.chips_in_domain(d.index).peekable();
            d.state == DomainState::Low
                && idle.state == DomainState::Ok
                && in_domain.peek().is_some()
                && in_domain.all(|c| {
                    chips
                        .get(c)
                        .is_some_and(|r| r.patterns > 0 && r.golden == 0)
                })
        })
        .map(|((d, _), _)| d.index)
        .collect()
}

/// A sensor as a sentence names it: "Sensor PCB 1", and "Sensor A (chip 62)" as it is.
fn sensor_title(name: &str) -> String {
    if name.starts_with("Sensor") {
        name.to_owned()
    } else {
        format!("Sensor {name}")
    }
}

/// "once", "twice", "N times".
fn times(n: u32) -> String {
    match n {
        1 => "once".to_owned(),
        2 => "twice".to_owned(),
        _ => format!("{n} times"),
    }
}

/// Chips `first..=last` in words: "chip 4", "chips 4-9" ("none" when `last < first`).
fn span_text(first: usize, last: usize) -> String {
    match last.checked_sub(first) {
        None => "none".to_owned(),
        Some(0) => format!("chip {first}"),
        Some(_) => format!("chips {first}-{last}"),
    }
}

/// Chips as runs of neighbours: "chip 4", "chips 3-9", "chips 3-9, 12, 40-75".
fn range_text(chips: &[usize]) -> String {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for &c in chips {
        match runs.last_mut() {
            Some((_, last)) if *last + 1 == c => *last = c,
            _ => runs.push((c, c)),
        }
    }
    let each: Vec<String> = runs
        .iter()
        .map(|&(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}-{b}")
            }
        })
        .collect();
    match chips {
        [] => "none".to_owned(),
        [_] => format!("chip {}", each.join(", ")),
        _ => format!("chips {}", each.join(", ")),
    }
}

/// The note a link's finding ends with when the chips past it (`past`, in chain order) were
/// not judged, their misses or errors being the link's as much as theirs: which, and on what.
fn unjudged_past_link(past: &[&ChipResult]) -> Option<String> {
    let golden = (
        past.iter().map(|c| c.golden).min()?,
        past.iter().map(|c| c.golden).max()?,
    );
    let sent = (
        past.iter().map(|c| c.patterns).min()?,
        past.iter().map(|c| c.patterns).max()?,
    );
    let span = |(lo, hi): (u32, u32)| {
        if lo == hi {
            lo.to_string()
        } else {
            format!("{lo}-{hi}")
        }
    };
    let indices: Vec<usize> = past.iter().map(|c| c.index).collect();
    Some(format!(
        ". What {} returned past it ({} golden nonces of {} patterns{}) the link's losses may explain: inconclusive, not passed; the test after the repair is {} test",
        range_text(&indices),
        span(golden),
        span(sent),
        if past.len() > 1 { " each" } else { "" },
        if past.len() > 1 { "their" } else { "its" }
    ))
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

/// Chips whose links lose replies, and how the board's replies fared overall.
pub(crate) struct Intermittent {
    /// The chips (sorted): losing far more than the rest, or where a short discovery stopped.
    pub(crate) chips: Vec<usize>,
    /// Found from the discovery counts alone.
    pub(crate) from_counts: bool,
    /// Found as steps in the loss rate along the chain (at most two, in chain order).
    pub(crate) steps: Vec<LossStep>,
    /// A step in the losses (its first chip) that met every bar but one: the chips before it
    /// had too little work to show they lost far less than the chips past it.
    pub(crate) unproven_head: Option<usize>,
    /// Replies lost at the first try, and replies expected, over the pattern test.
    pub(crate) all_lost: u64,
    pub(crate) all_sent: u64,
    /// The chips that stand out only by their replies coming back spoiled (not by replies
    /// lost and found on retry).
    pub(crate) spoiled_only: Vec<usize>,
    /// Chips that lost more than the rest of their pool (below `link_followup_p`, the chips
    /// that stand out left out of the rest) but not enough to be called intermittent: `(chance,
    /// chip, patterns the rest of the pool had)`. The pool is the chips before the first step,
    /// or the whole board with none. More work decides (`follow_lossy_links`).
    pub(crate) between_bars: Vec<(f64, usize, u64)>,
    /// Chips that stood out enough to call, with more work whose own losses did not
    /// (`Config::link_replicate_p`): not called; more work again decides.
    pub(crate) unreplicated: Vec<usize>,
    /// Chips past a step whose register reads came back far less often than the other chips'
    /// of their stretch (`read_stand_out`).
    pub(crate) reads_out: Vec<ReadOut>,
    /// Chips past a step whose reads were lost more often than the rest's, but not enough to
    /// call: more reads decide (`Engine::probe_past_steps`).
    pub(crate) reads_between_bars: Vec<usize>,
    /// Chips past a step not yet read often enough to rule out a link of their own losing
    /// `link_probe_excess` of their replies, nor called: more reads decide too.
    pub(crate) reads_open: Vec<usize>,
    /// Register reads lost, and sent, to the chips weighed past the steps.
    pub(crate) reads_past: (u64, u64),
    /// The chips at the end of the chain, past the last step, whose reads were all lost far
    /// more often than the rest of its stretch's: a joint at the first of them
    /// (`read_stand_out`).
    pub(crate) reads_joint: Option<ReadRun>,
}

/// How unlikely a chip's replies lost at the first try, `(lost, sent)`, are at the loss rate of
/// the rest of the board (`all` counts the whole board, the chip included), floored at
/// `intermittent_floor`: a binomial tail. Line noise loses replies evenly over the chips; a bad
/// joint or a flaky chip loses its own far more often.
pub(crate) fn excess_loss_p(cfg: &Config, lost_sent: (u64, u64), all: (u64, u64)) -> f64 {
    excess_p(cfg, lost_sent, all, false)
}

/// `excess_loss_p`, with the rest's rate taken at the upper end of its 95 % interval where
/// `bounded` (the rest's rate as measured, not known).
fn excess_p(cfg: &Config, (lost, sent): (u64, u64), all: (u64, u64), bounded: bool) -> f64 {
    if lost == 0 {
        return 1.0;
    }
    let others = all.1.saturating_sub(sent).max(1);
    let others_lost = all.0.saturating_sub(lost);
    let rate = if bounded {
        upper_rate(others_lost, others)
    } else {
        others_lost as f64 / others as f64
    };
    1.0 - crate::stats::binomial_at_most(sent, rate.max(cfg.intermittent_floor), lost - 1)
}

/// The upper end of the 95 % Wilson interval of a rate of `k` in `n`.
fn upper_rate(k: u64, n: u64) -> f64 {
    crate::stats::wilson(k, n, 1.96).1
}

/// Replies lost at the first try, replies spoiled, and replies due (patterns sent) over
/// `chips`.
fn tally<'a>(chips: impl IntoIterator<Item = &'a ChipResult>) -> (u64, u64, u64) {
    chips.into_iter().fold((0, 0, 0), |(l, g, n), c| {
        (
            l + u64::from(c.transient),
            g + u64::from(c.garbled),
            n + u64::from(c.patterns),
        )
    })
}

/// Times the chips that stand out at all are weighed again against the rest without them
/// (`stand_out`). [I] Two: a third flaky chip on one board is rare, and each pass trims the
/// rest's rate a little more on a line that loses evenly.
const SUSPECT_PASSES: usize = 2;

/// How each chip of `pool` (two or more) stands out from the rest of `pool` by its replies lost
/// at the first try and by its replies spoiled: `(chip, p, by_loss, by_spoiling)`, `p` the
/// smaller of the two tails against the rest without the chips that stand out at all
/// (`link_suspect_p` against the whole pool), the rest's rate taken at its upper 95 % bound,
/// and `by_*` whether it is an intermittent link by that measure, the rest's rate as measured
/// (`intermittent_min`, `intermittent_p`).
fn stand_out(cfg: &Config, pool: &[&ChipResult]) -> Vec<(usize, f64, bool, bool)> {
    if pool.len() < 2 {
        return Vec::new();
    }
    let (all_lost, all_spoiled, all_sent) = tally(pool.iter().copied());
    let p_of = |count: u32, c: &ChipResult, rest: (u64, u64)| {
        excess_loss_p(cfg, (u64::from(count), u64::from(c.patterns.max(1))), rest)
    };
    // The rest's rate as measured rather than known (its upper 95 % bound): a few chips that
    // lost nothing say little about the line (held-out seed 1002430, opened: a Bitaxe Hex at
    // 1000 ppm with a joint at 4, chips 0-2 lost 0 of 147; against that, chip 3 was taken for
    // a second flaky chip). For the suspects weighed again, and for the chips given more
    // work; a chip is still called against the rate as measured.
    let p_measured = |count: u32, c: &ChipResult, rest: (u64, u64)| {
        excess_p(
            cfg,
            (u64::from(count), u64::from(c.patterns.max(1))),
            rest,
            true,
        )
    };
    let p_all = |c: &ChipResult| {
        p_of(c.transient, c, (all_lost, all_sent)).min(p_of(c.garbled, c, (all_spoiled, all_sent)))
    };
    // The suspects, weighed again against the rest without them, a few times: one flaky chip
    // in the rest raises its rate so that another does not stand out from it (tuning seed
    // 3790, a Bitaxe Hex with chips 3 and 5 flaky: against the rest with chip 3 in it, chip 5
    // was short of the bar, and chip 3 was weighed against chip 5's losses).
    let mut suspects: Vec<usize> = pool
        .iter()
        .filter(|c| p_all(c) < cfg.link_suspect_p)
        .map(|c| c.index)
        .collect();
    for _ in 0..SUSPECT_PASSES {
        let (out_lost, out_spoiled, out_sent) =
            tally(pool.iter().copied().filter(|c| suspects.contains(&c.index)));
        let rest = |all: u64, out: u64| all.saturating_sub(out);
        let more: Vec<usize> = pool
            .iter()
            .filter(|c| !suspects.contains(&c.index))
            .filter(|c| {
                let sent = rest(all_sent, out_sent);
                p_measured(c.transient, c, (rest(all_lost, out_lost), sent)).min(p_measured(
                    c.garbled,
                    c,
                    (rest(all_spoiled, out_spoiled), sent),
                )) < cfg.link_suspect_p
            })
            .map(|c| c.index)
            .collect();
        if more.is_empty() {
            break;
        }
        suspects.extend(more);
    }
    let (out_lost, out_spoiled, out_sent) =
        tally(pool.iter().copied().filter(|c| suspects.contains(&c.index)));
    pool.iter()
        .map(|c| {
            let own = suspects.contains(&c.index);
            let with_own = |all: u64, out: u64, mine: u32| {
                all.saturating_sub(out) + if own { u64::from(mine) } else { 0 }
            };
            let sent = with_own(all_sent, out_sent, c.patterns);
            let p_rest =
                |count: u32, all: u64, out: u64| p_of(count, c, (with_own(all, out, count), sent));
            let (p_lost, p_spoiled) = (
                p_rest(c.transient, all_lost, out_lost),
                p_rest(c.garbled, all_spoiled, out_spoiled),
            );
            let measured = |count: u32, all: u64, out: u64| {
                p_measured(count, c, (with_own(all, out, count), sent))
            };
            (
                c.index,
                measured(c.transient, all_lost, out_lost).min(measured(
                    c.garbled,
                    all_spoiled,
                    out_spoiled,
                )),
                c.transient >= cfg.intermittent_min && p_lost < cfg.intermittent_p,
                c.garbled >= cfg.intermittent_min && p_spoiled < cfg.intermittent_p,
            )
        })
        .collect()
}

/// The chips of `stand_out`'s verdicts called by their losses or their spoiled replies.
fn called_in(standing: &[(usize, f64, bool, bool)]) -> Vec<usize> {
    standing
        .iter()
        .filter(|s| s.2 || s.3)
        .map(|s| s.0)
        .collect()
}

/// For a chip of `pool` given more work for its losses, whether that more work alone lost more
/// of its replies (and spoiled more) than the rest of `pool` without the chips `called` with it,
/// at `link_replicate_p`: `None` for a chip never given more work, or with no rest (see
/// `Config::link_replicate_p`).
fn replicated(
    cfg: &Config,
    learned: &Learned,
    pool: &[&ChipResult],
    called: &[usize],
    index: usize,
) -> Option<(bool, bool)> {
    let (lost0, spoiled0, sent0) = learned.chips.get(index)?.before_follow_up?;
    let c = pool.iter().find(|c| c.index == index)?;
    let (lost, spoiled, sent) = tally(
        pool.iter()
            .copied()
            .filter(|o| o.index != index && !called.contains(&o.index)),
    );
    if sent == 0 {
        return None;
    }
    let more = u64::from(c.patterns.saturating_sub(sent0));
    // Against the rest's rate as if known, and against the rest's own count: of the losses the
    // more work and the rest had together, the more work's share beside its share of the work
    // (the conditional test of two rates, each measured). On a small board the rest is a few
    // hundred replies, and one lost among them is no rate to weigh six against (held-out seed
    // 1015870, opened: a Bitaxe Hex at 1000 ppm on the return line, good chip 2 picked at 4 of
    // 49 lost, then 6 of its 151 more against the rest's 1 of 245: a chance of 5e-5 at the
    // rest's rate, of 0.014 by the share, and its link was called). Both must pass the bar.
    let share = |own: u64, rest: u64| {
        if own == 0 || more == 0 {
            return 1.0;
        }
        let of_work = more as f64 / (more + sent) as f64;
        1.0 - crate::stats::binomial_at_most(own + rest, of_work, own - 1)
    };
    let p = |own: u32, own0: u32, rest: u64| {
        let own = u64::from(own.saturating_sub(own0));
        excess_loss_p(cfg, (own, more), (rest + own, sent + more)).max(share(own, rest))
    };
    Some((
        p(c.transient, lost0, lost) < cfg.link_replicate_p,
        p(c.garbled, spoiled0, spoiled) < cfg.link_replicate_p,
    ))
}

/// A chip past a step whose register reads were lost far more often than the rest of its
/// stretch's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ReadOut {
    pub(crate) chip: usize,
    /// Its reads lost, and sent.
    pub(crate) lost: u64,
    pub(crate) reads: u64,
    /// The share of the other chips' reads lost.
    pub(crate) rest_rate: f64,
    /// Whether the other chips were one chip (two alone past the step).
    pub(crate) against_one: bool,
}

/// Chips at the end of the chain, one after another, past the last step, whose register reads
/// were lost far more often than the rest of their stretch's (`read_run`), or where the reads
/// step up (`read_step`): a joint at the first of them, losing the reads of every chip past it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ReadRun {
    /// The joint's chip, the first of them.
    pub(crate) at: usize,
    /// The chips, in chain order, to the last found.
    pub(crate) chips: Vec<usize>,
    /// Their reads lost, and sent, together.
    pub(crate) lost: u64,
    pub(crate) reads: u64,
    /// The share of the rest of the stretch's reads lost.
    pub(crate) rest_rate: f64,
}

/// What the register reads past the steps showed (`read_stand_out`).
#[derive(Debug, Clone, Default, PartialEq)]
struct ReadsPast {
    /// The chips named.
    called: Vec<ReadOut>,
    /// The chips below `link_followup_p` but not called.
    between: Vec<usize>,
    /// The chips neither called nor cleared (`open_link`).
    open: Vec<usize>,
    /// Reads lost, and sent, over the stretches weighed.
    weighed: (u64, u64),
    /// A joint at the end of the chain that no step was found for.
    joint: Option<ReadRun>,
}

/// Per stretch past each of `steps` (from its first chip to the chip before the next step's
/// first, which may be that joint's own chip), the chips whose register reads were lost far
/// more often than the rest of the stretch's.
/// Every chip of a stretch loses what the joints before it lose, so the rest of the stretch
/// is the measure (the chips that stand out at `link_suspect_p` left out of it, as in
/// `stand_out`). A chip is called only when neither neighbour stands out at all: chips past a
/// joint that no step was found for lose more together, and that is no chip's own link. When
/// they run to the end of the chain that joint is named (`ReadsPast::joint`).
fn read_stand_out(cfg: &Config, learned: &Learned, steps: &[LossStep]) -> ReadsPast {
    let mut past = ReadsPast::default();
    for (i, step) in steps.iter().enumerate() {
        let end = steps
            .get(i + 1)
            .map_or(learned.found, |next| next.at.saturating_sub(1));
        // A chip that returned no nonce is read only to tell its silence from its link's.
        let pool: Vec<(usize, u64, u64)> = (step.at..end)
            .filter_map(|c| {
                let t = learned
                    .chips
                    .get(c)
                    .filter(|t| t.reads > 0 && t.golden > 0)?;
                Some((c, u64::from(t.reads_lost), u64::from(t.reads)))
            })
            .collect();
        // [I] One chip at least to weigh each one against. Two chips alone past a step (a
        // joint two chips from the end of a short chain) are each weighed against the other:
        // called with the other's rate at the upper end of its interval, the other being one
        // chip's measure, not a stretch's, and read again (between the bars) at its rate as
        // measured, reads being cheap (tuning seed 25599, a Bitaxe Supra Hex with joints at 3
        // and 5: the joint at the last chip spoils only that chip's replies, on top of what
        // the joint at 3 loses of both, and with the two left unweighed it was missed; a
        // sweep of that board, sim seeds 1-40, found it on 5 boards before, 34 now).
        if pool.len() < 2 {
            continue;
        }
        let pair = pool.len() == 2;
        let sum = |which: &dyn Fn(usize) -> bool| {
            pool.iter()
                .filter(|p| which(p.0))
                .fold((0u64, 0u64), |(l, n), p| (l + p.1, n + p.2))
        };
        let all = sum(&|_| true);
        past.weighed = (past.weighed.0 + all.0, past.weighed.1 + all.1);
        let mut suspects: Vec<usize> = pool
            .iter()
            .filter(|p| excess_loss_p(cfg, (p.1, p.2), all) < cfg.link_suspect_p)
            .map(|p| p.0)
            .collect();
        // Chips that lost far fewer reads than the rest are not of the stretch either: the
        // joint's own chip gets its reads whole and loses only its replies, and a chip at an
        // address that is another's answers for it (tuning seed 498, an S19 with a joint at
        // 67: chip 74 lost 1 of 200 where the rest lost 38 %, which lowered the rate chip 73
        // was weighed against). They are left out of the rest and never named.
        // Low against the others without the chips that stand out above them: with two of
        // five chips losing more, the other three were each low against a rate with those two
        // in it, and the last chip was left with no rest and called against none, "where the
        // other chips past the same step lost 0.0 %" (tuning seed 45038, a Bitaxe Hex with a
        // joint at 0, flaky chip 3 and a joint at 5: chips 1, 2 and 4 lost 31 %).
        let above = sum(&|c| suspects.contains(&c));
        let low: Vec<usize> = pool
            .iter()
            // A pair has no rest to be low against: each is the other's measure.
            .filter(|_| !pair)
            .filter(|p| !suspects.contains(&p.0))
            .filter(|p| {
                let others = (all.0 - above.0 - p.1, all.1 - above.1 - p.2);
                others.1 > 0
                    && crate::stats::binomial_at_most(p.2, others.0 as f64 / others.1 as f64, p.1)
                        < cfg.link_suspect_p
            })
            .map(|p| p.0)
            .collect();
        for _ in 0..SUSPECT_PASSES {
            let out = sum(&|c| suspects.contains(&c) || low.contains(&c));
            let rest = (all.0 - out.0, all.1 - out.1);
            let more: Vec<usize> = pool
                .iter()
                .filter(|p| !suspects.contains(&p.0) && !low.contains(&p.0))
                .filter(|p| excess_p(cfg, (p.1, p.2), rest, true) < cfg.link_suspect_p)
                .map(|p| p.0)
                .collect();
            if more.is_empty() {
                break;
            }
            suspects.extend(more);
        }
        let out = sum(&|c| suspects.contains(&c) || low.contains(&c));
        if i + 1 == steps.len() {
            past.joint = read_run(cfg, &pool, &suspects, (all.0 - out.0, all.1 - out.1), end)
                .or_else(|| read_step(cfg, &pool, &work_lost(learned), end));
        }
        for &(c, lost, reads) in pool.iter().filter(|p| !low.contains(&p.0)) {
            let own = suspects.contains(&c);
            let with_own = |all: u64, out: u64, mine: u64| all - out + if own { mine } else { 0 };
            let rest = (with_own(all.0, out.0, lost), with_own(all.1, out.1, reads));
            // No other chip of the stretch to weigh it against: nothing is measured.
            if rest.1 <= reads {
                continue;
            }
            let p = excess_p(cfg, (lost, reads), rest, pair);
            let neighbour_out = [c.checked_sub(1), Some(c + 1)]
                .into_iter()
                .flatten()
                .any(|n| n != c && suspects.contains(&n));
            // A flaky link loses a share of a chip's replies; a chip that answered less than
            // half as often as the rest is not at the address it was given, or not answering
            // (tuning seed 1855, a Bitaxe Supra Hex with two chips at one address: chip 5's
            // address never answered; such a chain is no longer read at all). [I] Half.
            let answers = 2.0 * answered_share((lost, reads))
                >= answered_share((rest.0 - lost, rest.1 - reads));
            if lost >= u64::from(cfg.intermittent_min)
                && p < cfg.intermittent_p
                && !neighbour_out
                && answers
            {
                past.called.push(ReadOut {
                    chip: c,
                    lost,
                    reads,
                    rest_rate: (rest.0 - lost) as f64 / (rest.1 - reads).max(1) as f64,
                    against_one: pair,
                });
            } else if excess_p(cfg, (lost, reads), rest, !pair) < cfg.link_followup_p
                && !neighbour_out
                && answers
            {
                past.between.push(c);
            } else if answers && open_link(cfg, (lost, reads), (rest.0 - lost, rest.1 - reads)) {
                past.open.push(c);
            }
        }
    }
    past
}

/// The share of `(lost, reads)` that came back.
fn answered_share((lost, reads): (u64, u64)) -> f64 {
    reads.saturating_sub(lost) as f64 / reads.max(1) as f64
}

/// The chips standing out among the reads of the last stretch (`pool`, `(chip, lost, reads)`;
/// `suspects`) that run, one after another, to its end, the last chip found (`end` past it):
/// a joint at the first of them loses every one's reads (its own replies, and the commands and
/// replies of the chips past it), where a chip's own link loses only its own. Two chips at least
/// (one is its own link, or the link into it), with a rest of the stretch to weigh them against
/// (`rest`, `(lost, reads)`), and together far above it (`intermittent_p`, the rest's rate at the
/// upper end of its interval). Such a joint two chips or fewer from the end leaves too few chips
/// past it for a step in the losses (`step_candidate`): a Bitaxe Supra Hex with joints at 0 and
/// 4 and flaky chip 2 (tuning seed 27391; `eval --sweep bitaxe-suprahex --fault joint:4:14000
/// --fault flaky:2 --fault joint:0:10000 --random 40`, sim seed 1: chips 4 and 5 lost 1398 and
/// 1476 of 3000 reads where chips 1 and 3 lost 26 %, and the joint at 4 was missed on 32 of
/// 40).
fn read_run(
    cfg: &Config,
    pool: &[(usize, u64, u64)],
    suspects: &[usize],
    rest: (u64, u64),
    end: usize,
) -> Option<ReadRun> {
    let mut run: Vec<&(usize, u64, u64)> = pool
        .iter()
        .rev()
        .take_while(|p| suspects.contains(&p.0))
        .collect();
    run.reverse();
    let (first, last) = (run.first()?.0, run.last()?.0);
    let one_after_another = run.windows(2).all(|w| w[0].0 + 1 == w[1].0);
    if run.len() < 2 || last + 1 != end || !one_after_another || rest.1 == 0 {
        return None;
    }
    let (lost, reads) = run.iter().fold((0, 0), |(l, n), p| (l + p.1, n + p.2));
    let p = excess_p(cfg, (lost, reads), (rest.0 + lost, rest.1 + reads), true);
    // Each answers half as often as the rest at least (see `read_stand_out`).
    let answer = run
        .iter()
        .all(|p| 2.0 * answered_share((p.1, p.2)) >= answered_share(rest));
    (lost >= u64::from(cfg.intermittent_min) && p < cfg.intermittent_p && answer).then(|| ReadRun {
        at: first,
        chips: (first..end).collect(),
        lost,
        reads,
        rest_rate: rest.0 as f64 / rest.1 as f64,
    })
}

/// The step in the register reads of the last stretch (`pool`, `(chip, lost, reads)` in chain
/// order, running to the last chip found, `end` past it) that explains them best, when the
/// chips past it (two at least) lost far more reads than the chips before it (`intermittent_p`,
/// the head's rate at the upper end of its interval): a second joint lighter than the one
/// before the stretch. Past a heavy joint the chips lose most of their work, and what a light
/// joint loses of the rest is no step the bars of `step_candidate` can tell from the spread of
/// a few hundred patterns; the reads, a few thousand a chip, show it. A Bitaxe Hex with joints
/// at 0 (13,000 ppm) and 2 (6,000 ppm), the fault list of a held-out board run as a sweep
/// (`eval --sweep bitaxe-hex --fault joint:2:6000 --fault joint:0:13000 --random 80`), sim seed
/// 1: chips 3-5 lost 91 % of their work where chip 2 lost 82 % (one in 160,000 at their rate,
/// short of the bar), and 42 % of their reads where chips 1-2 lost 36 % (chip 2, the joint's own,
/// loses its replies to it and lost 38 %): a joint near chip 3, chip 2 among the suspects. The
/// joint at 2 was named on 56 boards of 80 before, on 80 now.
/// [I] Each chip past the step loses nearer the tail's rate than the head's (a joint takes every
/// chip past it; a flaky chip and its neighbour are no step), answers half as often as the head
/// at least (see `read_stand_out`), and the chips past it lost more of their work too (a joint
/// loses work and replies alike). Each chip before it loses half the tail's rate at least: a
/// chip that lost far fewer reads than its stretch answers for another address (see the low
/// chips of `read_stand_out`), and one joint lighter than the first is what this looks for.
/// Each chip before it is past the first joint as the chips past it are: it lost its work more
/// often than its reads by `HEAD_WORK_SHARE` of their ratio at least. Past a joint a chip loses
/// the long job on its way in as well as its reply; the joint's own chip, which the main step
/// may take as its first (and so the stretch's), loses only its replies, its work about as
/// often as its reads, and the chips past it lose more reads than it for that reason alone
/// (tuning seed 24290, an S19 with a joint at 13 alone: chip 13 lost 33 % of its work and 29 %
/// of its reads where the chips past it lost 77 % and 39 %, and a second joint was named at 14;
/// likewise 24024, 24210, 24743 and 24913, each a single joint of 17,000-20,000 ppm).
/// `work`, per chip, is its work lost and sent (`work_lost`).
fn read_step(
    cfg: &Config,
    pool: &[(usize, u64, u64)],
    work: &[(u64, u64)],
    end: usize,
) -> Option<ReadRun> {
    if pool.last()?.0 + 1 != end {
        return None;
    }
    let sum = |part: &[(usize, u64, u64)]| {
        part.iter()
            .fold((0u64, 0u64), |(l, n), p| (l + p.1, n + p.2))
    };
    let rate = |(lost, sent): (u64, u64)| lost as f64 / sent.max(1) as f64;
    // The best split that steps up: a head of one chip at least, a tail of two.
    let (_, k) = (1..pool.len().saturating_sub(1))
        .filter_map(|k| {
            let (h, t) = pool.split_at(k);
            let (h, t) = (sum(h), sum(t));
            (rate(t) > rate(h)).then(|| (rate_ll(h.0, h.1) + rate_ll(t.0, t.1), k))
        })
        .max_by(|a, b| a.0.total_cmp(&b.0))?;
    let (head, tail) = pool.split_at(k);
    let (h, t) = (sum(head), sum(tail));
    let (head_rate, tail_rate) = (rate(h), rate(t));
    let midway = (head_rate + tail_rate) / 2.0;
    let each_past = tail.iter().all(|p| {
        rate((p.1, p.2)) >= midway && 2.0 * answered_share((p.1, p.2)) >= answered_share(h)
    });
    let head_alike = head.iter().all(|p| 2.0 * rate((p.1, p.2)) >= tail_rate);
    let work_of = |part: &[(usize, u64, u64)]| {
        part.iter()
            .filter_map(|p| work.get(p.0))
            .fold((0u64, 0u64), |(l, n), w| (l + w.0, n + w.1))
    };
    let tail_work = rate(work_of(tail));
    let work_too = tail_work > rate(work_of(head));
    // Work lost for each share of reads lost, past the step.
    let tail_ratio = tail_work / tail_rate;
    let head_past = head.iter().all(|p| {
        let own_work = work.get(p.0).map_or(0.0, |&w| rate(w));
        own_work >= HEAD_WORK_SHARE * tail_ratio * rate((p.1, p.2))
    });
    let p = excess_p(cfg, t, (h.0 + t.0, h.1 + t.1), true);
    let &(at, ..) = tail.first()?;
    (t.0 >= u64::from(cfg.intermittent_min)
        && p < cfg.intermittent_p
        && each_past
        && head_alike
        && head_past
        && work_too)
        .then(|| ReadRun {
            at,
            chips: (at..end).collect(),
            lost: t.0,
            reads: t.1,
            rest_rate: head_rate,
        })
}

/// How much of the work-to-reads loss ratio of the chips past a read step each chip before it
/// must show (`read_step`). [I] Four fifths: a joint's own chip showed 0.57 of it (tuning seed
/// 24290), the chips past a first joint and before a second 0.96 and 0.99 (sim seed 1 of the
/// sweep in `read_step`).
const HEAD_WORK_SHARE: f64 = 0.8;

/// Per chip, its work lost (patterns missed, and replies lost then found on retry) and sent.
fn work_lost(learned: &Learned) -> Vec<(u64, u64)> {
    learned
        .chips
        .iter()
        .map(|c| {
            (
                u64::from(c.transient) + u64::from(c.patterns.saturating_sub(c.golden)),
                u64::from(c.patterns),
            )
        })
        .collect()
}

/// Whether the reads of a chip past a step, `(lost, reads)`, leave open that its own link loses
/// `link_probe_excess` or more of the replies the rest of its stretch, `rest`, would have got:
/// the upper end of the 95 % interval of its loss rate is that far above the rest's. Past a
/// heavy joint a flaky link's excess is small against the spread of a few hundred reads
/// (tuning seed 35335, an S19 XP past joints at 10 and 80: flaky chip 91 lost 133 of 200 where
/// the chips of its stretch lost 63 %), and the chips between the bars after one batch need
/// not include it; a chip is read until it is called or this rules it out.
fn open_link(cfg: &Config, (lost, reads): (u64, u64), (rest_lost, rest_reads): (u64, u64)) -> bool {
    if reads == 0 || rest_reads == 0 {
        return false;
    }
    let rest = rest_lost as f64 / rest_reads as f64;
    if rest >= 1.0 {
        return false;
    }
    let high = upper_rate(lost, reads);
    (high - rest) / (1.0 - rest) >= cfg.link_probe_excess
}

/// Whether a chip `stand_out` weighed, `(chip, p, by_loss, by_spoiling)`, lost more than the
/// rest (below `link_followup_p`) without being called intermittent: more work decides.
fn between_the_bars(
    cfg: &Config,
    &(_, p, by_loss, by_spoiling): &(usize, f64, bool, bool),
) -> bool {
    !by_loss && !by_spoiling && p < cfg.link_followup_p
}

/// The intermittent links of a run (also used by the engine: chips behind one are not judged).
/// The chips of a browned-out domain are left out: their work was lost to the sag, not to a
/// link.
pub(crate) fn intermittent(
    profile: &Profile,
    cfg: &Config,
    learned: &Learned,
    chips: &[ChipResult],
) -> Intermittent {
    let found = learned.found;
    let browned = browned_out(profile, learned, chips);
    let judged = |c: &ChipResult| !browned.contains(&c.domain);
    let counts = &learned.discovery_counts;
    let varying = counts.iter().min() != counts.iter().max();
    // A chip's link is intermittent when it loses replies far more often than the rest of the
    // board does: line noise loses replies evenly, a bad joint at one chip does not. The
    // board's rate (without the chip) has a floor of `intermittent_floor`, so a quiet board
    // does not make two lost replies look suspicious. A chip that returned nothing has no
    // replies to lose: its none lost are no measure of the line (tuning seed 3262, a Bitaxe Hex
    // with dead chip 4: its 0 of 65 lowered the rate a good chip 3 was weighed against, and
    // chip 3's link was called intermittent).
    let (all_lost, _, all_sent) = tally(
        chips
            .iter()
            .take(found)
            .filter(|c| judged(c) && c.golden > 0),
    );
    // A chip's own link also spoils its replies: a reply due from it comes back as a frame
    // failing its CRC, or as bytes that are no frame, far more often than the others' do. Lost
    // work on the host's line (the chip never got the job) spoils nothing: this tells a flaky
    // chip from a noisy host line where the losses alone cannot.
    let mut spoiled_only = Vec::new();
    let mut flaky: Vec<usize> = Vec::new();
    // The chips that stand out at all (`link_suspect_p`, against the whole board) are left out
    // of the rate each chip is weighed against: two flaky chips on a six-chip board each raised
    // the rest's rate above what the other lost, and neither stood out (tuning seeds 3790 and
    // 3999, Bitaxe Hex and Supra Hex).
    let candidates: Vec<&ChipResult> = chips
        .iter()
        .take(found)
        .filter(|c| judged(c))
        // One chip alone has no rest of the board to stand out from: its losses are the
        // link's as much as its own (a noisy-link note says so).
        // A miscomputing chip misses its golden nonces for that reason, not its link's (a
        // corrupted reply passing CRC5 now and then makes a stray error, not a share).
        .filter(|c| found >= 2 && c.golden > 0 && c.hw_errors * 10 <= c.golden)
        .collect();
    let mut unreplicated = Vec::new();
    // A chip given more work for its losses is called only where that work replicates them.
    // Weighed against the rest of the pool without the chips that stand out with it (two flaky
    // chips on a small board each raised the other's rest: tuning seed 3790, a Bitaxe Hex with
    // chips 3 and 5 flaky, and 25055, a Bitaxe Supra Hex with joints at 0 and 4 and flaky
    // chip 2, whose chips past the joint were each weighed against the others).
    let mut replicate = |pool: &[&ChipResult], called: &[usize], index: usize, by: (bool, bool)| {
        let Some((loss, spoiling)) = replicated(cfg, learned, pool, called, index) else {
            return by;
        };
        let kept = (by.0 && loss, by.1 && spoiling);
        if (by.0 || by.1) && !(kept.0 || kept.1) && !unreplicated.contains(&index) {
            unreplicated.push(index);
        }
        kept
    };
    let standing = stand_out(cfg, &candidates);
    let called = called_in(&standing);
    for (index, _, by_loss, by_spoiling) in standing {
        let (by_loss, by_spoiling) = replicate(&candidates, &called, index, (by_loss, by_spoiling));
        if by_loss || by_spoiling {
            flaky.push(index);
        }
        if by_spoiling && !by_loss {
            spoiled_only.push(index);
        }
    }
    flaky.sort_unstable();
    // A bad joint in the chain's relay loses replies from every chip past it: no chip stands
    // out from the rest, but the loss rate steps up at one place. The split that explains the
    // losses best (two rates, before and after) is taken when the chips past it lose far more
    // than the chips before would at their own rate.
    let mut steps = Vec::new();
    let mut unproven_head = None;
    // The chips of a pool that lost more than the rest of it, but not enough to call (see
    // `Intermittent::between_bars`).
    let between = |pool: &[&ChipResult]| -> Vec<(f64, usize, u64)> {
        let sent: u64 = pool.iter().map(|c| u64::from(c.patterns)).sum();
        stand_out(cfg, pool)
            .into_iter()
            .filter(|o| between_the_bars(cfg, o))
            .map(|(index, p, ..)| {
                let own = chips.get(index).map_or(0, |c| u64::from(c.patterns));
                (p, index, sent.saturating_sub(own))
            })
            .collect()
    };
    let mut between_bars = Vec::new();
    let mut reads_out = Vec::new();
    let mut reads_between_bars = Vec::new();
    let mut reads_open = Vec::new();
    let mut reads_past = (0, 0);
    let mut reads_joint = None;
    if found >= 4 {
        // Losses here: replies lost then found on retry, and work that never came back (a
        // joint corrupts the work on its way to the chips past it as much as their replies).
        // A chip that miscomputes, or returned nothing between chips that returned some (dead
        // chips are single ones; a joint loses part of the work of every chip past it, or all
        // of it), misses its golden nonces for its own sake: it is left out.
        let answered = |i: usize| chips.get(i).is_some_and(|c| c.golden > 0);
        let miss_rate = |c: &ChipResult| {
            f64::from(c.patterns.saturating_sub(c.golden) + c.transient)
                / f64::from(c.patterns.max(1))
        };
        let in_step = |c: &&ChipResult| {
            let lone_silent = c.golden == 0
                && (c.index == 0 || answered(c.index - 1))
                && (c.index + 1 >= found || answered(c.index + 1));
            // A joint loses replies as well as work, and a reply lost at the first try mostly
            // comes back on the next; it loses them for every chip past it. A chip that
            // missed patterns without its replies lost and found again, or spoiled, between
            // chips that lost a third as much or less, missed them for its dead cores (tuning
            // seed 1590, S19k Pro: chip 51, a quarter of its cores dead, was taken for a joint
            // before it, and its weak cores for the link's).
            // Rates over what the line loses anyway, taken as the quieter neighbour's: on a
            // line that loses a quarter of the work itself, a weak chip's misses on top of it
            // are not three times its neighbours' (held-out seed 1100790, opened: an S19k Pro
            // at 3000 ppm on the host's line, chip 65 a quarter of its cores dead two chips
            // before a joint at 67, and the joint was put before chip 65). [I] Its own misses
            // must be a twentieth of the work at least over that. A chip at an end of the chain
            // has one neighbour, whose rate may be a joint's as much as the line's (tuning
            // seed 5416, S21: chip 106, past a joint at 105 with the last chip missing, was
            // weighed against chip 105 alone and left out of the step): it is weighed on raw
            // rates, as before this weighing, and its misses must still be a twentieth of the
            // work.
            let line = match (c.index.checked_sub(1), c.index + 1) {
                (Some(before), after) if after < found => chips
                    .get(before)
                    .zip(chips.get(after))
                    .map_or(0.0, |(b, a)| miss_rate(b).min(miss_rate(a))),
                _ => 0.0,
            };
            let excess = |c: &ChipResult| (miss_rate(c) - line).max(0.0);
            let quieter = |i: usize| {
                chips
                    .get(i)
                    .filter(|_| i < found)
                    .is_none_or(|n| 3.0 * excess(n) <= excess(c))
            };
            // Its replies lost and found again no more often than its neighbours' (three
            // times, floored at `intermittent_floor`): the line's, not its link's (tuning seed
            // 7007, Bitaxe Supra Hex on a noisy host line: chip 0, 59 % of its cores dead and
            // 2 replies found again, raised the rate before a joint at 3 past its step).
            // Its replies spoiled likewise: past a joint every chip's are, the joint's doing
            // (tuning seed 46846, a Bitaxe Hex with a joint at 0: chip 4, 46 % of its cores
            // dead, had 2 of 232 replies spoiled where its neighbours had 4 of 164 and 9 of
            // 208; kept in the search, its misses drew the step to it, no step was found and
            // the chips past the joint were never weighed as such).
            // The rates of its neighbours on the chain (one at either end).
            let neighbours = |rate: fn(&ChipResult) -> f64| {
                [c.index.checked_sub(1), Some(c.index + 1)]
                    .into_iter()
                    .flatten()
                    .filter(|&i| i < found)
                    .filter_map(|i| chips.get(i))
                    .map(rate)
            };
            let found_again =
                |c: &ChipResult| f64::from(c.transient) / f64::from(c.patterns.max(1));
            let spoiled = |c: &ChipResult| f64::from(c.garbled) / f64::from(c.patterns.max(1));
            // Spoiled no more often than the quieter of two neighbours: a chip at an end of the
            // chain has one, which may be the joint's own chip, spoiling its replies far more
            // (a Bitaxe Hex with a joint at 4, sim seed 2: chip 5 was left out against chip 4,
            // and no step was found).
            let between_two = c.index > 0 && c.index + 1 < found;
            let spoiled_like_the_quieter = between_two
                && spoiled(c)
                    <= neighbours(spoiled)
                        .fold(f64::INFINITY, f64::min)
                        .max(cfg.intermittent_floor);
            let own_misses = c.golden > 0
                && c.golden < c.patterns
                && excess(c) >= 0.05
                && found_again(c)
                    <= 3.0 * neighbours(found_again).fold(cfg.intermittent_floor, f64::max)
                && (c.garbled == 0 || spoiled_like_the_quieter)
                && (c.index == 0 || quieter(c.index - 1))
                && quieter(c.index + 1);
            judged(c) && !lone_silent && !own_misses && c.hw_errors * 10 <= c.golden
        };
        // Per chip, `(lost, sent)` and `(spoiled, sent)`; chips left out have nothing.
        type Counts = Vec<(u64, u64)>;
        let (losses, spoiled): (Counts, Counts) = (0..found)
            .map(|i| {
                chips.get(i).filter(in_step).map_or(((0, 0), (0, 0)), |c| {
                    let sent = u64::from(c.patterns);
                    let lost =
                        u64::from(c.transient) + u64::from(c.patterns.saturating_sub(c.golden));
                    ((lost, sent), (u64::from(c.garbled), sent))
                })
            })
            .unzip();
        // No step in the losses: one in the replies spoiled (first seen on tuning seed 8996, an
        // S19j Pro at 3000 ppm on the host's line: a joint at 19 lost 27 % of what reached it
        // where the line lost 25 %, but replies came back spoiled from chip 19 on and from none
        // before; the field test now shows it on sim seed 1 with a 3500 ppm joint at 40).
        // A step whose head is too short to show it lost less: the chips before it want more
        // work before the losses are judged.
        let candidate = step_candidate(cfg, &losses, 0, 1, None);
        unproven_head = candidate
            .filter(|&(_, head_proven)| !head_proven)
            .map(|(step, _)| step.at);
        let in_losses = candidate.and_then(|(step, proven)| proven.then_some(step));
        let (losses, main) = match in_losses {
            Some(m) => (&losses, Some(m)),
            None => match loss_step(cfg, &spoiled, 0, 1, None) {
                Some(m) => (&spoiled, Some(LossStep { spoiled: true, ..m })),
                None => (&losses, None),
            },
        };
        // A step whose tail loses for one chip alone is that chip's link: a flaky chip past
        // a quiet head, with the chips around it losing a few (held-out seed 1002094, opened:
        // a Bitaxe Hex at 1000 ppm, flaky chip 4 lost 16 of 60, chips 3 and 5 lost 5 of 98,
        // and a joint was named before chip 3). [I] The others past it must lose a third of
        // that chip's rate at least (past a joint they all lose alike).
        let main = main.filter(|m| {
            let standing_out: Vec<usize> = flaky.iter().copied().filter(|&c| c >= m.at).collect();
            let rate = |(l, n): (u64, u64)| l as f64 / n.max(1) as f64;
            match standing_out.as_slice() {
                [only] => {
                    let (others_lost, others_sent) = losses
                        .iter()
                        .enumerate()
                        .skip(m.at)
                        .filter(|&(i, _)| i != *only)
                        .fold((0, 0), |(l, n), (_, &(cl, cn))| (l + cl, n + cn));
                    let lone = losses.get(*only).copied().unwrap_or((0, 0));
                    others_sent == 0 || 3.0 * rate((others_lost, others_sent)) >= rate(lone)
                }
                _ => true,
            }
        });
        if let Some(main) = main {
            // Two joints: the step that explains the most is found first, the other one is
            // before it (a smaller step among the chips before it: tuning seed 2995, S19 Pro,
            // joints at chips 23 and 71) or past it, losing on top of it (tuning seed 1748,
            // S19j Pro, joints at chips 57 and 65). Past it, the chips are weighed against the
            // board's own rate before the first step.
            // A joint is a step of two edges: the chip at it loses only its replies, the chips
            // past it their work as well. The chip on the other side of the main step is left
            // out of both searches, so that edge is not taken for a second joint (tuning seed
            // 2706: a joint at 18 named as joints at 18 and 19).
            let head = main.at.saturating_sub(1);
            // A joint before a step in the losses may lose no more than a noisy host line
            // does, and still spoil replies the line never spoils (an S19j Pro at 3000 ppm on
            // the host's line, joints at 19 and 93, sim seed 3: the one at 93 stepped the
            // losses up, the one at 19 only the replies spoiled).
            let earlier = loss_step(cfg, &losses[..head], 0, 1, None)
                .map(|e| LossStep {
                    spoiled: main.spoiled,
                    ..e
                })
                .or_else(|| {
                    (!main.spoiled)
                        .then(|| loss_step(cfg, spoiled.get(..head)?, 0, 1, None))
                        .flatten()
                        .map(|e| LossStep { spoiled: true, ..e })
                });
            // A step before it whose head is too short to show it lost less wants more work
            // for that head too, as a first step's does (tuning seed 27248, an S9 with joints
            // at 0 and 11: chip 0 alone before the step at 1, 50 patterns with a few of its
            // replies spoiled by the joint at it, proved nothing, and the joint at 0 was
            // missed).
            if earlier.is_none() && unproven_head.is_none() {
                unproven_head = step_candidate(cfg, losses.get(..head).unwrap_or(&[]), 0, 1, None)
                    .filter(|&(_, head_proven)| !head_proven)
                    .map(|(step, _)| step.at);
            }
            // The board's rate before the first step, in the main step's own kind.
            let earlier_before = earlier.filter(|e| e.spoiled == main.spoiled);
            let board = earlier_before.map_or(main.before, |e| e.before);
            // The chip past the main step is left out only when it lost far less than the
            // chip after it, the joint's own chip: the first chip past a joint, losing work and
            // replies alike, is the head a second joint two chips on is weighed against (a sweep
            // of a Bitaxe Hex with joints at 0 and 2, sim seeds 1-40: chip 2 alone as the
            // head proved nothing, and the joint at 2 was named on 1 board of 40). Against the
            // chip after it, not the whole tail: past a second joint the tail loses more than
            // that chip ever does (tuning seed 4097, an S17+ with joints at 12 and 14: chip 13
            // lost 49 %, chip 14 55 %, the chips past 14 70 %). That chip is never the head
            // alone, as it was not before: it lost less than the chips after it by chance as
            // often as a joint there would make it (sweep seed 1, a Bitaxe Hex with joints at 0
            // and 3: chip 1 lost 60 %, chips 2-3 77 %, and a joint was named after chip 1).
            let next_rate = losses
                .get(main.at + 1)
                .filter(|&&(_, sent)| sent > 0)
                .map_or(main.after, |&(lost, sent)| lost as f64 / sent as f64);
            let edge_with_tail = losses.get(main.at).is_some_and(|&(lost, sent)| {
                sent > 0 && crate::stats::binomial_at_most(sent, next_rate, lost) >= EDGE_BELOW_P
            });
            let later = loss_step(
                cfg,
                losses,
                if edge_with_tail { main.at } else { main.at + 1 },
                if edge_with_tail { 2 } else { 1 },
                Some(board.max(cfg.intermittent_floor)),
            )
            .map(|l| LossStep {
                spoiled: main.spoiled,
                ..l
            });
            let start = earlier.map_or(main.at, |e| e.at);
            steps.extend(earlier);
            steps.push(main);
            steps.extend(later);
            flaky.retain(|&c| c < start);
            flaky.extend(steps.iter().map(|s| s.at));
            // Past the steps, the chips whose own links lose their register reads.
            let reads = read_stand_out(cfg, learned, &steps);
            (reads_out, reads_between_bars, reads_open, reads_past) =
                (reads.called, reads.between, reads.open, reads.weighed);
            reads_joint = reads.joint;
            let named: Vec<usize> = reads_out
                .iter()
                .map(|r| r.chip)
                .chain(reads_joint.iter().map(|r| r.at))
                .filter(|c| !flaky.contains(c))
                .collect();
            flaky.extend(named);
            // The chips before the first step again, against those chips alone: past a joint
            // the chips lose a third or more of their work and replies, which raised the
            // board's rate a chip before it was weighed against (tuning seed 514, an S19:
            // flaky chip 8, two before a joint at 10, lost 6 of 53 replies where the other
            // chips before it lost 6 of 491, and was not followed up). The chip just before
            // the step is the step's.
            let head: Vec<&ChipResult> = candidates
                .iter()
                .copied()
                .filter(|c| c.index + 1 < start)
                .collect();
            let standing = stand_out(cfg, &head);
            let called = called_in(&standing);
            for (index, _, by_loss, by_spoiling) in standing {
                let (by_loss, by_spoiling) =
                    replicate(&head, &called, index, (by_loss, by_spoiling));
                if (by_loss || by_spoiling) && !flaky.contains(&index) {
                    flaky.push(index);
                    if by_spoiling && !by_loss {
                        spoiled_only.push(index);
                    }
                }
            }
            between_bars = between(&head);
        }
    }
    // With no step, the whole board is the pool (a chip that stands out is in `flaky`
    // already): a chip that stands out only once a flaky chip is out of the rest is worth more
    // work too. Not always enough: on tuning seed 5246, a Bitaxe Hex, flaky chip 5 lost 4 of
    // 49 where the other four but flaky chip 1 lost none of 196, which bounds the line's rate
    // at 1.9 %, and chip 5 is not followed up.
    if steps.is_empty() {
        between_bars = between(&candidates);
    }
    // The board's own loss rate per reply (first tries of the pattern test), with a floor.
    let board_rate = (all_lost as f64 / all_sent.max(1) as f64).max(cfg.intermittent_floor);
    // Counts that change between discoveries with no chip standing out: the joint is usually
    // near the last chip the short count found (facts §6.2). Line noise also shortens a count,
    // by replies lost at random: a round is only blamed on a joint when losing that many of
    // `found` replies at the board's measured loss rate is far too unlikely (an open joint
    // drops every chip behind it at once).
    let mut from_counts = false;
    if varying
        && flaky.is_empty()
        && let Some(&least) = counts.iter().min()
        && least < found
    {
        let short = (found - least) as u64;
        let p = 1.0 - crate::stats::binomial_at_most(found as u64, board_rate, short - 1);
        if p < cfg.intermittent_p {
            flaky.push(least);
            from_counts = true;
        }
    }
    flaky.sort_unstable();
    spoiled_only.retain(|c| flaky.contains(c));
    unreplicated.retain(|c| !flaky.contains(c));
    Intermittent {
        chips: flaky,
        from_counts,
        steps,
        unproven_head,
        all_lost,
        all_sent,
        spoiled_only,
        between_bars,
        unreplicated,
        reads_out,
        reads_between_bars,
        reads_open,
        reads_past,
        reads_joint,
    }
}

/// How unlikely the losses of the chip just past a loss step must be at the rate of the chip
/// after it for that chip to be the joint's own (losing only its replies) and left out of the
/// search for a second step. [I] One in a thousand: at one in a million a joint's own chip,
/// 7 of 53 lost where the chip after it lost a third, was let in, and with it a second joint
/// two chips on (sim seed 40, an S19 with a joint at 18 alone); at one in a hundred the first
/// chip past a joint that lost 155 of 208 where the next lost 81 % would be left out (about 8
/// in a thousand, worked out, not run: sim seed 3, a Bitaxe Hex with joints at 0 and 2).
const EDGE_BELOW_P: f64 = 1e-3;

/// How unlikely a sensor's few answers must be at the rate its host chip's link lets reads
/// through for the sensor to be called missing (see the sensors in `build`).
const SENSOR_SELDOM_P: f64 = 1e-3;

/// A step in the loss rate along the chain: a bad joint in the relay loses work and replies of
/// every chip past it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct LossStep {
    /// The first chip past it.
    pub(crate) at: usize,
    /// The loss rate of the chips before it (from where the search started), and past it.
    pub(crate) before: f64,
    pub(crate) after: f64,
    /// The step is in the share of replies that came back spoiled, not in the losses: on a
    /// host line that loses much work, a joint's losses hide in the line's, while the line
    /// spoils no reply.
    pub(crate) spoiled: bool,
}

/// The step in `losses` (per chip, `(lost, sent)`; chips left out have `(0, 0)`) from chip `lo`
/// on, `head_min` chips or more before it, that explains the losses best (two rates, before
/// and after), when the chips past it lose far more than the chips before would at their own
/// rate. `board`, for a search past a first step, is the board's own rate before that one: the
/// chips here already lose for the first joint's sake, and one more joint loses on top of that
/// (the share of work that gets through falls as much as the first step asks of a step from
/// `board`).
fn loss_step(
    cfg: &Config,
    losses: &[(u64, u64)],
    lo: usize,
    head_min: usize,
    board: Option<f64>,
) -> Option<LossStep> {
    step_candidate(cfg, losses, lo, head_min, board)
        .and_then(|(step, head_proven)| head_proven.then_some(step))
}

/// The log-likelihood of `lost` of `sent` at their own rate: of two splits of a chain's losses,
/// the one whose two parts sum higher explains them better.
fn rate_ll(lost: u64, sent: u64) -> f64 {
    if sent == 0 {
        return 0.0;
    }
    let r = (lost as f64 / sent as f64).clamp(1e-9, 1.0 - 1e-9);
    lost as f64 * r.ln() + (sent - lost) as f64 * (1.0 - r).ln()
}

/// The best step in `losses` from chip `lo` on (see `loss_step`) when it meets every bar of a
/// joint's step but perhaps the last, and whether it meets that one too: that the chips before
/// it lost far less than the tail's rate would have made them. A few patterns for a short head
/// (one chip before a joint at the head of the chain) cannot show that however quiet it was.
/// A first step (no `board`) that meets the bars only at the low end of its head's rate is
/// returned unproven too: the head wants more work before the step is judged.
/// Only the best split: taking the next best when it fails put a joint at 0 on a short chain
/// one chip late, where the chip past it had lost less by chance (sim seed 7, Bitaxe Supra Hex
/// with a joint at 0 on a noisy host line).
fn step_candidate(
    cfg: &Config,
    losses: &[(u64, u64)],
    lo: usize,
    head_min: usize,
    board: Option<f64>,
) -> Option<(LossStep, bool)> {
    // Running totals from `lo`: `head[k]` is the losses of chips lo..lo+k.
    let head: Vec<(u64, u64)> = std::iter::once((0, 0))
        .chain(losses.get(lo..)?.iter().scan((0u64, 0u64), |acc, &(l, n)| {
            *acc = (acc.0 + l, acc.1 + n);
            Some(*acc)
        }))
        .collect();
    let (total_lost, total_sent) = head.last().copied()?;
    // A joint takes every chip past it: the step leaves at least two behind it (one lossy chip
    // alone is that chip's link), and one chip before it (`head_min`).
    let (_, s, head_lost, head_sent) = (lo + head_min.max(1)..losses.len().saturating_sub(1))
        .filter_map(|s| Some((s, head.get(s - lo).copied()?)))
        // A joint steps the loss up: a fall along the chain is no joint's, and the best split
        // being one hid a rise before it.
        .filter(|&(_, (head_lost, head_sent))| {
            (total_lost - head_lost) as f64 * head_sent as f64
                > head_lost as f64 * (total_sent - head_sent) as f64
        })
        .map(|(s, (head_lost, head_sent))| {
            let (tail_lost, tail_sent) = (total_lost - head_lost, total_sent - head_sent);
            (
                rate_ll(head_lost, head_sent) + rate_ll(tail_lost, tail_sent),
                s,
                head_lost,
                head_sent,
            )
        })
        .fold(None, |best: Option<(f64, usize, u64, u64)>, c| {
            if best.is_none_or(|(b, ..)| c.0 > b) {
                Some(c)
            } else {
                best
            }
        })?;
    let (tail_lost, tail_sent) = (total_lost - head_lost, total_sent - head_sent);
    let before = head_lost as f64 / head_sent.max(1) as f64;
    let tail_rate = tail_lost as f64 / tail_sent.max(1) as f64;
    let past: Vec<&(u64, u64)> = losses[s..].iter().filter(|&&(_, n)| n > 0).collect();
    // Every bar below, with the chips before the step losing at `head_rate`.
    let accepted_at = |head_rate: f64| {
        // [I] Three times the rate before it: noise spread evenly never steps like that. On a line
        // that loses much, what gets through it is what the joint can lose: the joint loses twice
        // the line's rate of that (the same bar for a quiet line; tuning seed 8280, an S21 at 3000
        // ppm on the host's line: 32 % lost before a joint and 78 % past it, and no step found).
        // [I] A joint losing a third of what gets through is no chance on any line: on a line
        // losing more than a sixth that is the bar (tuning seed 9151, a Bitaxe Supra Hex at 3000
        // ppm: 36 % lost before a joint and 78 % past it, left inconclusive); the significance
        // tests below still hold. Past a first step, the share that gets through falls as much as
        // from `board` to three times it, or by a third where that asks more, as for a first step
        // (sim seed 3, a Bitaxe Hex with joints at 0 and 2: `board` was chip 0's 27 %, its replies
        // spoiled by the joint at it, and the step at 2 was asked to lose 72 % of what got
        // through).
        let steps_up = |rate: f64| match board {
            None => (1.0 - rate) <= (1.0 - head_rate) * (1.0 - (2.0 * head_rate).min(1.0 / 3.0)),
            Some(b) => {
                (1.0 - rate) * (1.0 - b)
                    <= (1.0 - before) * (1.0 - 3.0 * b).max(2.0 / 3.0 * (1.0 - b))
            }
        };
        // A joint takes every chip past it; dead chips are single ones. [I] Four in five of the
        // chips past the step must lose at three times the rate before it. A chip's own rate that
        // the tail's rate explains better than the head's also counts: with noise on the line the
        // head's rate is already high, and a chip past a joint losing just under three times it is
        // the joint's (tuning seed 1390, Bitaxe Hex on a noisy host line: chip 4 lost 51.4 %
        // against 17.2 % before, and the joint was put on it alone).
        let odds = |r: f64| (r / (1.0 - r)).ln();
        let (h, t) = (
            head_rate.clamp(1e-9, 1.0 - 1e-9),
            tail_rate.clamp(1e-9, 1.0 - 1e-9),
        );
        let nearer_tail = (t > h).then(|| ((1.0 - h) / (1.0 - t)).ln() / (odds(t) - odds(h)));
        let lossy = past
            .iter()
            .filter(|&&&(l, n)| {
                let r = l as f64 / n as f64;
                steps_up(r) || nearer_tail.is_some_and(|m| r >= m)
            })
            .count();
        let unlikely_at_head = |lost: u64, sent: u64| {
            lost > 0
                && 1.0 - crate::stats::binomial_at_most(sent, head_rate, lost - 1)
                    < cfg.intermittent_p
        };
        tail_lost >= u64::from(cfg.intermittent_min)
            // Two chips past it only when both lose far more than the chips before: a flaky chip
            // and a neighbour that lost a few are not a joint.
            && (past.len() >= 3
                || past.len() == 2 && past.iter().all(|&&(l, n)| unlikely_at_head(l, n)))
            && lossy * 5 >= past.len() * 4
            && steps_up(tail_rate)
            && unlikely_at_head(tail_lost, tail_sent)
    };
    // ... and the chips before it lost far less than the tail's rate would have made them
    // (a few quiet chips at the head of the chain prove nothing).
    let head_proven =
        crate::stats::binomial_at_most(head_sent, tail_rate, head_lost) < cfg.intermittent_p;
    let step = LossStep {
        at: s,
        before,
        after: tail_rate,
        spoiled: false,
    };
    if accepted_at(before.max(cfg.intermittent_floor)) {
        return Some((step, head_proven));
    }
    // A first step the bars miss only at the rate a short head happened to lose: its chips
    // want more work too (`unproven_head`), and the step is judged again on a measured head.
    // Tuning seed 27790, a Bitaxe Hex with joints at 0 and 3 on a noisy host line: chip 0
    // lost 16 of 49 (33 %; 18-25 % on five more boards with the joint at 0 alone), chips 1-2
    // 55 %, a hair short of a third of what got through, and the joint at 0 was missed.
    // [I] At the low end of the head's 95 % interval.
    let (head_low, _) = crate::stats::wilson(head_lost, head_sent, 1.96);
    (board.is_none() && accepted_at(head_low.max(cfg.intermittent_floor))).then_some((step, false))
}

/// The chips behind an intermittent link, in stretches: one per step in the loss (two joints
/// make two), or one from where a short discovery stopped.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BehindLink {
    /// Each stretch's first chip and the share of their work its chips returned, from the ones
    /// that returned any, in chain order; the last runs to the last chip found.
    stretches: Vec<(usize, f64)>,
    found: usize,
}

impl BehindLink {
    /// The first chip behind the link.
    pub(crate) fn first(&self) -> usize {
        self.stretches.first().map_or(self.found, |s| s.0)
    }

    /// The least share of their work the chips of a stretch returned, of the stretches that
    /// returned any.
    pub(crate) fn least_share(&self) -> Option<f64> {
        self.stretches
            .iter()
            .map(|s| s.1)
            .filter(|&share| share > 0.0)
            .reduce(f64::min)
    }

    /// The stretch chip `i` is in: its chips, and the share of their work they returned.
    /// `None` before the link.
    pub(crate) fn stretch_of(&self, i: usize) -> Option<(std::ops::Range<usize>, f64)> {
        let at = self.stretches.iter().rposition(|s| s.0 <= i)?;
        let (start, share) = self.stretches.get(at).copied()?;
        let end = self.stretches.get(at + 1).map_or(self.found, |s| s.0);
        Some((start..end, share))
    }
}

/// The chips behind an intermittent link (steps in the loss, or where a short discovery
/// stopped), and the share of their work the chips of each stretch returned, from the ones
/// that returned any: a chip there that returned nothing of work the others of its stretch
/// mostly got back is dead once the chance of none at that share is below `intermittent_p`.
/// Each stretch alone: past a second joint far less comes back than between the two (tuning
/// seed 3225, S21 Pro: nothing at all past chip 45, a fifth lost between 13 and 45). `None`
/// with no such link.
pub(crate) fn behind_link(
    profile: &Profile,
    cfg: &Config,
    learned: &Learned,
    chips: &[ChipResult],
) -> Option<BehindLink> {
    let link = intermittent(profile, cfg, learned, chips);
    let found = learned.found;
    let starts: Vec<usize> = if link.steps.is_empty() {
        // The first chip's own link is the one every chip's work and replies pass: when it
        // loses far more than the rest, all of them are behind it (tuning seed 2462, Bitaxe Hex
        // with a joint at chip 0: a chip that lost a third of its cores to it was called weak).
        link.from_counts
            .then(|| link.chips.first().copied())
            .flatten()
            .or(link.chips.first().copied().filter(|&c| c == 0))
            .into_iter()
            .collect()
    } else {
        link.steps.iter().map(|s| s.at).collect()
    };
    let ends = starts.iter().skip(1).copied().chain([found]);
    let stretches = starts
        .iter()
        .zip(ends)
        .map(|(&start, end)| (start, returned_share(chips, start..end, None)))
        .collect::<Vec<_>>();
    (!stretches.is_empty()).then_some(BehindLink { stretches, found })
}

/// The share of their work the chips of `stretch` (but `except`) that returned any returned.
pub(crate) fn returned_share(
    chips: &[ChipResult],
    stretch: std::ops::Range<usize>,
    except: Option<usize>,
) -> f64 {
    let (got, sent) = chips
        .iter()
        .filter(|c| stretch.contains(&c.index) && c.golden > 0 && Some(c.index) != except)
        .fold((0u64, 0u64), |(g, n), c| {
            (g + u64::from(c.golden), n + u64::from(c.patterns))
        });
    got as f64 / sent.max(1) as f64
}

/// The first chip past a chip whose own link loses far more than the rest, when no step in the
/// loss or short discovery names a link: a joint at that chip corrupts the work it relays on as
/// well as its own replies (the simulator's `joint`, and a flaky chip's own replies alike), so
/// a chip past it that returned nothing is dead only against what the others past it returned.
/// `None` with no such chip, or when it is the first chip (then every chip is past the link,
/// `behind_link`).
pub(crate) fn past_lossy_chip(
    profile: &Profile,
    cfg: &Config,
    learned: &Learned,
    chips: &[ChipResult],
) -> Option<usize> {
    let link = intermittent(profile, cfg, learned, chips);
    if !link.steps.is_empty() || link.from_counts {
        return None;
    }
    link.chips
        .first()
        .filter(|&&k| k > 0 && k + 1 < learned.found)
        .map(|&k| k + 1)
}

/// Patterns a chip behind a link that returned `share` of its work must return nothing of to
/// be proven dead: the chance of none at that share below `intermittent_p`. `None` when no
/// count proves it (nothing came back there at all); one when everything else came back.
pub(crate) fn dead_behind_link_patterns(cfg: &Config, share: f64) -> Option<u32> {
    if share >= 1.0 {
        Some(1)
    } else {
        (share > 0.0).then(|| (cfg.intermittent_p.ln() / (1.0 - share).ln()).floor() as u32 + 1)
    }
}

/// How often a working core past an intermittent link stays silent on every try (its work or
/// every reply lost), from the other chips past it, `first` to `found`, that answered some
/// work (`except` left out): the share of its tested cores that 19 in 20 of them stay within
/// (the most silent of them when there are fewer than 20). Silence there is no even rate: a
/// chip that lost a configuration write misses a whole round, and a chip is tested on while
/// its luck is bad, so one chip's silent share varies far more than a binomial's (tuning seeds
/// 1895 and 1990: 17 % of the cores past a joint silent overall, single chips at 40-60 %).
/// `None` with fewer than [`LINK_PEERS_MIN`] such chips: too few to say what the link does.
pub(crate) fn link_silence(
    chips: &[ChipResult],
    stretch: std::ops::Range<usize>,
    except: usize,
) -> Option<f64> {
    let mut shares: Vec<f64> = chips
        .iter()
        .filter(|c| stretch.contains(&c.index) && c.golden > 0 && c.index != except)
        .filter(|c| c.cores_ok + c.cores_silent > 0)
        .map(|c| c.cores_silent as f64 / (c.cores_ok + c.cores_silent) as f64)
        .collect();
    if shares.len() < LINK_PEERS_MIN {
        return None;
    }
    shares.sort_by(f64::total_cmp);
    let rank = (shares.len() * 19).div_ceil(20);
    shares.get(rank.saturating_sub(1)).copied()
}

/// Whether chip `i`'s register reads past a step were lost far more often than those of the
/// other chips of `stretch` that returned nonces (at `intermittent_p`, as a link is named): its
/// link is worse than theirs (a second joint before it), so its silence in the pattern test
/// says nothing of its cores. `false` when it was not read. (At `link_suspect_p` one dead chip
/// in a hundred past a joint was left undecided: tuning seeds 21431 and 24574, measured with an
/// addressing change since taken out.)
pub(crate) fn reads_lost_beyond_stretch(
    cfg: &Config,
    learned: &Learned,
    stretch: std::ops::Range<usize>,
    i: usize,
) -> bool {
    let Some(t) = learned.chips.get(i).filter(|t| t.reads > 0) else {
        return false;
    };
    let (lost, reads) = (u64::from(t.reads_lost), u64::from(t.reads));
    let rest = stretch
        .filter(|&c| c != i)
        .filter_map(|c| learned.chips.get(c))
        .filter(|t| t.reads > 0 && t.golden > 0)
        .fold((0u64, 0u64), |(l, n), t| {
            (l + u64::from(t.reads_lost), n + u64::from(t.reads))
        });
    rest.1 > 0
        && excess_loss_p(cfg, (lost, reads), (rest.0 + lost, rest.1 + reads)) < cfg.intermittent_p
}

/// Whether the cores of a chip still silent after its silent cores were tried again
/// (`Engine::retest_silent_cores`) are more than a chip just under the weak threshold leaves
/// silent, at `ok_risk` (the bar of a weak chip anywhere). Such a chip has at most
/// `weak_dead - 1` dead cores; the others it retested work, and each stayed silent in every
/// pass of its slot with at most the slot's controls' loss to the power of its passes (the
/// controls' answers taken at their lower 99.9 % bound; a pass that lost more than another only
/// lowers that chance, the product of the passes' losses being at most their mean's power).
/// Only slots whose controls bring that chance to [`RETEST_SILENCE_MAX`] or less count: a slot
/// where the chip was heard too seldom says nothing of its cores there (tuning seed 50897, an
/// S17+ past a joint losing three quarters: good chips 28 and 64 were heard on none of their
/// controls in one slot and on some in others, 3-4 % of them in all, and with the controls
/// pooled over the slots the cores tried where they were not heard made them weak). The worst
/// of them is taken for all, and the dead cores weighed at every count up to that, the
/// likeliest taken.
pub(crate) fn weak_by_retest(cfg: &Config, cores: u16, r: &CoreRetest) -> bool {
    let mut silent_rate = 0.0f64;
    let (mut retested, mut still) = (0u64, 0u64);
    for p in &r.phases {
        let left = p.cores.difference(&r.answered).count() as u64;
        if left == 0 || p.passes == 0 {
            // Every core there answered (or none was tried): nothing silent to explain.
            retested += p.cores.len() as u64;
            continue;
        }
        let rate = phase_silence(p);
        if rate > RETEST_SILENCE_MAX {
            continue;
        }
        silent_rate = silent_rate.max(rate);
        retested += p.cores.len() as u64;
        still += left;
    }
    let below = crate::stats::weak_dead(cores, cfg).saturating_sub(1);
    if still <= below {
        return false;
    }
    let chance = (0..=below.min(retested))
        .map(|dead| {
            let need = still - dead;
            1.0 - crate::stats::binomial_at_most(retested - dead, silent_rate, need - 1)
        })
        .fold(0.0f64, f64::max);
    chance < cfg.ok_risk
}

/// Most chance a working core of a slot stays silent over its passes for the slot to count in
/// [`weak_by_retest`]. [I] One in twenty: a slot where the chip is heard on a tenth of the
/// controls needs about 50 passes to get there.
const RETEST_SILENCE_MAX: f64 = 0.05;

/// The most chance a working core tried in every pass of a slot's phase of
/// `Engine::retest_silent_cores` stayed silent in all of them: the controls' share answered,
/// taken at its lower 99.9 % bound, missed `passes` times over. 1 before any pass.
pub(crate) fn phase_silence(p: &crate::engine::RetestPhase) -> f64 {
    let heard = crate::stats::wilson(u64::from(p.controls_answered), u64::from(p.controls), 3.09).0;
    (1.0 - heard).clamp(0.0, 1.0).powf(f64::from(p.passes))
}

/// Whether a phase's silence tells anything of the cores tried in it ([`weak_by_retest`]
/// counts it only then): [`phase_silence`] at [`RETEST_SILENCE_MAX`] or less.
pub(crate) fn phase_tells(p: &crate::engine::RetestPhase) -> bool {
    phase_silence(p) <= RETEST_SILENCE_MAX
}

/// Two sensors whose warming over a run differs by less than this are as near an overheating
/// chip as the readings tell, °C: whole-degree sensors, and 0.4 °C of noise on either [I].
const SENSOR_TIE_C: f32 = 2.0;

/// Chips past a link, besides the one judged, needed to say how often the link alone silences
/// a working core. [I] Tuning seed 1486: a Bitaxe Hex with a joint at chip 4 had one other
/// chip past the step, chip 4 itself, which lost replies but got its work (only the work the
/// joint relays on to chip 5 is lost), and chip 5 was weighed against it alone.
pub(crate) const LINK_PEERS_MIN: usize = 5;

/// Whether `hw_errors` miscomputed nonces of a chip among `behind` chips past an intermittent
/// link are more than the link explains. A reply corrupted there fails its CRC5 31 times in 32
/// (`bad_frames` counts those) and passes it once, as a nonce of any chip; even if every one
/// that passed landed on the chips past the link, a chip's share of them reaching `hw_errors`
/// must be below `intermittent_p` for the errors to be its own. A reply that comes back too
/// late for its job (work lost and sent again) is checked against the wrong job and counts as
/// miscomputed without any bad CRC: [I] fewer than three errors prove nothing there (tuning
/// seed 1424: one such error on a chip past a joint that lost 98 % of its work).
pub(crate) fn miscomputing_behind_link(
    cfg: &Config,
    hw_errors: u32,
    bad_frames: u64,
    behind: usize,
) -> bool {
    if hw_errors < 3 {
        return false;
    }
    let per_chip = 1.0 / (31.0 * behind.max(1) as f64);
    1.0 - crate::stats::binomial_at_most(bad_frames, per_chip, u64::from(hw_errors) - 1)
        < cfg.intermittent_p
}

/// Where on the chain a chip with miscomputed nonces sits, and what came back corrupted there
/// (`errors_own`).
#[derive(Clone, Copy, Debug)]
pub(crate) enum ErrorsSeen {
    /// Before an intermittent link: its corrupted replies that pass CRC5 land on any chip.
    BeforeLink,
    /// Past an intermittent link, among `behind` chips, with `bad_frames` replies corrupted.
    PastLink { bad_frames: u64, behind: usize },
    /// On a chain with no such link: `bad_frames` corrupted replies and `garbage` stray bytes
    /// over `found` chips.
    WholeChain {
        bad_frames: u64,
        garbage: u64,
        found: usize,
    },
}

/// Whether `hw_errors` miscomputed nonces beside `golden` good ones are the chip's own and not
/// what the chain's corruption explains (see `Engine::report`, which judges with it): past an
/// intermittent link only at a miscomputing chip's share (`hw_error_fault_rate`) and more than
/// the link explains (`miscomputing_behind_link`); elsewhere at that share, or with no good
/// nonce, or where nothing came back corrupted, or more than the corruption explains.
pub(crate) fn errors_own(cfg: &Config, hw_errors: u32, golden: u32, seen: ErrorsSeen) -> bool {
    let at_share = f64::from(hw_errors) >= cfg.hw_error_fault_rate * f64::from(golden + hw_errors);
    match seen {
        ErrorsSeen::BeforeLink => golden == 0 || at_share,
        ErrorsSeen::PastLink { bad_frames, behind } => {
            at_share && miscomputing_behind_link(cfg, hw_errors, bad_frames, behind)
        }
        ErrorsSeen::WholeChain {
            bad_frames,
            garbage,
            found,
        } => {
            golden == 0
                || bad_frames == 0 && garbage == 0
                || at_share
                || miscomputing_behind_link(cfg, hw_errors, bad_frames, found)
        }
    }
}

/// A board-level note about the link (a finding that names no chip and fails no board).
fn link_note(message: String, hint: &str) -> Finding {
    Finding {
        kind: FindingKind::NoisyLink,
        chips: Vec::new(),
        domains: Vec::new(),
        suspects: Vec::new(),
        message,
        hint: hint.to_owned(),
    }
}

/// Which line a chain break most likely is, from how the domains beyond it draw: the domains
/// are in series, so a domain whose chips draw less than the rest rises. Chips after an open
/// CLK or RST draw almost nothing even idle; after an open CI they idle while the rest hash;
/// after an open RO they hash with the rest (they still hear the work) but cannot answer.
fn open_line(profile: &Profile, learned: &Learned, found: usize) -> (String, Option<String>) {
    let beyond: Vec<usize> = (0..profile.domains.value)
        .filter(|&d| profile.chips_in_domain(d).all(|c| c >= found))
        .collect();
    let before: Vec<usize> = (0..profile.domains.value)
        .filter(|&d| profile.chips_in_domain(d).all(|c| c < found))
        .collect();
    let mean = |domains: &[DomainResult], which: &[usize]| -> Option<f64> {
        let v: Vec<f64> = which
            .iter()
            .filter_map(|&d| domains.get(d))
            .map(|d| f64::from(d.voltage_mv))
            .collect();
        (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
    };
    // [I] A third more than the other side is far beyond the spread of healthy domains.
    let rises = |domains: &[DomainResult]| match (mean(domains, &beyond), mean(domains, &before)) {
        (Some(b), Some(a)) => Some(b > 1.3 * a),
        _ => None,
    };
    let last = found.saturating_sub(1);
    match (rises(&learned.domains), rises(&learned.loaded_domains)) {
        (Some(true), _) => (
            "; past it the domains draw almost nothing even idle (no clock, or held in reset)"
                .to_owned(),
            Some(format!(
                "Probe CLK and RST between chips {last} and {found}: chips with no clock or held in reset draw almost nothing, so their domains rise"
            )),
        ),
        (Some(false), Some(true)) => (
            "; past it the chips idle while the rest hash (no work reaches them)".to_owned(),
            Some(format!(
                "Probe CI/CO between chips {last} and {found}: the chips past the break are powered and clocked but never got work"
            )),
        ),
        (Some(false), Some(false)) => (
            "; past it the chips hash with the rest but are not heard".to_owned(),
            Some(format!(
                "Probe RI/RO (BO) between chips {last} and {found}: the chips past the break get work and hash, but their replies are lost"
            )),
        ),
        _ => (String::new(), None),
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
    // A shorted domain's chips have no power: a domain that reads nearly nothing while its
    // chips answer is not shorted, only starved by the rest of an unbalanced stack (chips
    // after an open clock draw almost nothing and take the stack's voltage).
    let shorted: Vec<usize> = learned
        .domains
        .iter()
        .filter(|d| d.state == DomainState::Short)
        .filter(|d| {
            profile
                .chips_in_domain(d.index)
                .min()
                .is_none_or(|first| first >= found)
        })
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

    // Addressing never came out whole: results cannot be put on chips.
    if learned.addressing_failed {
        out.push(link_note(
            format!(
                "Addressing lost a frame on its way to the chips in each of {} passes, so which chip answers at which address is not known: no chip is judged",
                cfg.addressing_attempts
            ),
            "Not a chip: the host-to-chip line loses frames (cable, level shifter, ground); fix the link and run again",
        ));
    }

    // Two neighbours at one address: the first forwarded the set-address it took.
    if let Some((k, address)) = learned.duplicate_address {
        let next = k + 1;
        out.push(Finding {
            kind: FindingKind::DuplicateAddress,
            chips: vec![k, next],
            domains: Vec::new(),
            suspects: vec![k, next],
            message: format!(
                "Chips {k} and {next} both answer at address 0x{address:02X} and the last address answers nobody, on more than one check of the addresses: chip {k} passed on the set-address it took (the first chip without an address should stop it). Which chip answers at which address past chip {k} is not known: no chip is judged"
            ),
            hint: format!(
                "Look for a solder bridge between chip {k}'s CI and CO pins (or its relay buffer), reflow or replace chip {k}, and run again"
            ),
        });
    }

    // No chip answers, and the jig's UART saw breaks: the return line is held low, by one chip
    // somewhere on the chain (a dead board or an open at chip 0 leaves the line idle high).
    let held = found == 0 && learned.uart_errors.is_some_and(|e| e > 0) && !explained_break;
    if held {
        out.push(Finding {
            kind: FindingKind::ReturnLineHeld,
            chips: Vec::new(),
            domains: Vec::new(),
            suspects: Vec::new(),
            message: format!(
                "No chip answers and the jig's UART saw the return line held low ({} receive errors): one chip holds RO",
                learned.uart_errors.unwrap_or(0)
            ),
            hint: "Halve the chain: short RO to 1V8 between the middle chips and count again; the chip holding the line is on the side that still reads 0 (Bitmain's repair guide)".to_owned(),
        });
    }

    // The chain stops early.
    if found < expected && !explained_break && !held {
        let missing: Vec<usize> = (found..expected).collect();
        let line = open_line(profile, learned, found);
        let (message, suspects, hint) = if found == 0 {
            (
                format!("No chip answers: the chain stops before chip 0 ({expected} expected)"),
                vec![0],
                "Check board power first, then the level shifter and chip 0's CLK/CO/RST; short RO to 1V8 between chips 0 and 1 and count again".to_owned(),
            )
        } else {
            (
                format!(
                    "The chain stops after chip {}: {} {} not answer{}",
                    found - 1,
                    span_text(found, expected - 1),
                    if expected - found == 1 { "does" } else { "do" },
                    line.0
                ),
                vec![found, found - 1],
                line.1.unwrap_or_else(|| format!(
                    "Probe CLK, CO, RI, BO and RST between chips {} and {found} against the local domain ground; the break is usually at chip {found}, sometimes at chip {}",
                    found - 1,
                    found - 1
                )),
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

    // Chips answering with another chip ID (not when addressing never came out whole: then
    // which chip answered at an address is not known).
    let want = profile.family.value.chip_id();
    let ids_known = !learned.addressing_failed;
    for (i, c) in learned
        .chips
        .iter()
        .enumerate()
        .take(found)
        .filter(|_| ids_known)
    {
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

    // Per-chip results of the pattern test. After a soak they are the warm test's: a chip that
    // passed cold and fails warm is named for that.
    let fails_hot = |i: usize| {
        learned
            .soak
            .as_ref()
            .is_some_and(|s| s.cold.get(i).copied().flatten() == Some(ChipState::Ok))
    };
    let temp =
        |c: Option<f32>| c.map_or("an unread temperature".to_owned(), |c| format!("{c:.0} °C"));
    let behind = behind_link(profile, cfg, learned, chips);
    for c in chips.iter().take(found) {
        let i = c.index;
        if let Some(soak) = &learned.soak
            && fails_hot(i)
            && matches!(
                c.state,
                ChipState::Dead | ChipState::Weak | ChipState::HwErrors
            )
        {
            let how = match c.state {
                ChipState::Dead => format!("returned none of its {} golden nonces", c.patterns),
                ChipState::Weak => format!(
                    "{} of {} tested cores returned nothing",
                    c.cores_dead,
                    c.cores_dead + c.cores_ok
                ),
                _ => format!("returned {} miscomputed nonces", c.hw_errors),
            };
            out.push(chip_finding(
                FindingKind::FailsHot,
                i,
                c.domain,
                format!(
                    "Chip {i} passed at {} (hottest sensor) and, after {:.0} s of hashing at {}, {how}",
                    temp(soak.cold_c),
                    soak.seconds,
                    temp(soak.hot_c)
                ),
                format!(
                    "A chip or joint that fails warm: reflow chip {i} (and its neighbours' CLK/CI/RO joints) and soak again; if it still fails warm, replace chip {i}"
                ),
            ));
            continue;
        }
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
                match (
                    behind.as_ref().and_then(|b| b.stretch_of(i)),
                    learned.chips.get(i).map(|t| &t.core_retest).filter(|r| r.proven),
                ) {
                    // Past a bad link its silent cores tried again stayed silent where its
                    // answering cores' work came back.
                    (Some((stretch, _)), Some(r)) => format!(
                        "Chip {i}: {} of {} cores that gave no answer in the pattern test (silent there, or given no work) stayed silent when tried again, {} more passes past the bad link at chip {}, while work for its answering cores came back {} of {} times; {} golden nonces of {} patterns",
                        r.cores.difference(&r.answered).count(),
                        r.cores.len(),
                        r.passes(),
                        stretch.start,
                        r.controls().0,
                        r.controls().1,
                        c.golden,
                        c.patterns
                    ),
                    // Past a bad link its cores are weighed against the others' there.
                    (Some((stretch, _)), None) => format!(
                        "Chip {i}: {} of {} tested cores returned nothing on any try, where 19 in 20 of the other chips past the bad link at chip {} left at most {:.0} % of theirs silent; {} golden nonces of {} patterns",
                        c.cores_silent.saturating_sub(c.cores_doubted),
                        c.cores_silent.saturating_sub(c.cores_doubted) + c.cores_ok,
                        stretch.start,
                        100.0 * link_silence(chips, stretch.clone(), i).unwrap_or(0.0),
                        c.golden,
                        c.patterns
                    ),
                    (None, _) => format!(
                        "Chip {i}: {} of {} tested cores returned nothing; {} golden nonces of {} patterns",
                        c.cores_dead,
                        c.cores_dead + c.cores_ok,
                        c.golden,
                        c.patterns
                    ),
                },
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

    // The frequency ladder: a chip ok at the profile's clock that fails a step above it where
    // nearly all the chips that passed there too still pass (a step the whole board fails says
    // nothing about one chip).
    if let Some(((base_mhz, base), steps)) = learned.ladder.split_first() {
        let above: Vec<(f64, &[Option<ChipState>])> = steps
            .iter()
            .filter(|(mhz, _)| mhz > base_mhz)
            .map(|(mhz, states)| (*mhz, states.as_slice()))
            .collect();
        margin_notes(&mut out, profile, found, base, &above, |i, mhz, state| {
            let domain = profile.domain_of(i).unwrap_or(0);
            (
                format!(
                    "Chip {i} is ok at {base_mhz:.0} MHz but {state} at {mhz:.0} MHz, where the rest of the board passes: little clock margin"
                ),
                format!(
                    "Not a failure at this board's clock; it may fail in a miner running a higher bin or warm. Check domain {domain}'s voltage under load and chip {i}'s joints"
                ),
            )
        });
    }

    // The supply steps: a chip ok at the profile's stack voltage that fails a lower supply
    // where nearly all the others still pass (Bitmain's PT2 grades only the whole board).
    if let Some(((home_mv, base), steps)) = learned.supply_ladder.split_first() {
        // The highest supply below the board's first: a chip is named at the first step down
        // it fails.
        let mut lower: Vec<(u32, &[Option<ChipState>])> = steps
            .iter()
            .filter(|(mv, _)| mv < home_mv)
            .map(|(mv, states)| (*mv, states.as_slice()))
            .collect();
        lower.sort_by_key(|step| std::cmp::Reverse(step.0));
        margin_notes(&mut out, profile, found, base, &lower, |i, mv, state| {
            let domain = profile.domain_of(i).unwrap_or(0);
            (
                format!(
                    "Chip {i} is ok with the supply at {home_mv} mV but {state} at {mv} mV, where the rest of the board passes: little voltage margin"
                ),
                format!(
                    "Not a failure at this supply; it may fail in a miner that runs the board lower or warm. Check domain {domain}'s LDOs and chip {i}'s joints"
                ),
            )
        });
    }

    // The aging test: a chip that passed the pattern test and erred far more than the board's
    // median chip (line noise errs evenly over the chips) in two windows, or in one on a clean
    // line (the engine configures a chip again after such a window: a write lost on a noisy
    // line costs one window, not two). Said once, at the first such window.
    if let Some(aging) = &learned.aging {
        for c in chips
            .iter()
            .take(found)
            .filter(|c| c.state == ChipState::Ok)
        {
            let i = c.index;
            let bad: Vec<&crate::report::AgingWindow> = aging
                .windows
                .iter()
                .filter(|w| aging_flagged(cfg, w, i))
                .collect();
            let clean = |w: &crate::report::AgingWindow| w.median_rate() <= cfg.intermittent_floor;
            let flagged = match bad.as_slice() {
                [] => None,
                [one] => clean(one).then_some(*one),
                [first, ..] => Some(*first),
            };
            let Some(w) = flagged else { continue };
            let total = aging.totals().get(i).copied().unwrap_or_default();
            let n = w.chips.get(i).copied().unwrap_or_default();
            let warm = w
                .hottest_c
                .map_or(String::new(), |t| format!(", hottest sensor {t:.0} °C"));
            out.push(chip_finding(
                FindingKind::AgingErrors,
                i,
                c.domain,
                format!(
                    "Chip {i} passed the pattern test; while aging it erred on {} of {} jobs in the window from {:.0} s ({} missed, {} miscomputed in that window{warm}) where the board's median chip erred on {:.1} %; {} errors in {} jobs over {:.0} s",
                    n.errors(),
                    n.sent,
                    w.start_s,
                    n.sent.saturating_sub(n.golden),
                    n.hw_errors,
                    w.median_rate() * 100.0,
                    total.errors(),
                    total.sent,
                    aging.seconds
                ),
                format!(
                    "A chip that degrades with time or heat: check domain {}'s voltage under load, reflow chip {i} and its CLK/CI/RO joints and age it again; if it still errs, replace chip {i}",
                    c.domain
                ),
            ));
        }
    }

    // Domains in their band at preflight that leave it while the chips hash. A domain with a
    // chip that does not hash rises under load (it draws less than its neighbours): that chip's
    // own finding says so, so only a domain whose chips all hash is reported high.
    let link = intermittent(profile, cfg, learned, chips);
    let every_chip_hashed = found == expected && link.steps.is_empty() && !link.from_counts;
    let watched = watched_domains(learned);
    let browned_domains = browned_out(profile, learned, chips);
    // Chips of domains that sag so far their chips return nothing.
    let mut browned: Vec<usize> = Vec::new();
    // How far the domains holding a chip that does not hash rose under load, together, mV, and
    // how many they are.
    let rising: Vec<i64> = watched
        .iter()
        .zip(&learned.domains)
        .filter(|((d, _), _)| {
            d.state == DomainState::High
                && profile
                    .chips_in_domain(d.index)
                    .any(|c| chips.get(c).is_some_and(|r| r.state != ChipState::Ok))
        })
        .map(|((d, _), idle)| i64::from(d.voltage_mv) - i64::from(idle.voltage_mv))
        .collect();
    // The stack's total holds: what they gained, the other domains lose between them, each its
    // share. [I] Half as much again as the share, for readings taken at different moments.
    let others = watched.len().saturating_sub(rising.len()).max(1) as i64;
    let rebalance_fall = rising.iter().sum::<i64>() * 3 / (2 * others);
    for ((d, at), idle) in watched.iter().zip(&learned.domains) {
        let in_domain: Vec<usize> = profile.chips_in_domain(d.index).collect();
        let browned_out = browned_domains.contains(&d.index);
        if (!every_chip_hashed && !browned_out)
            || idle.state != DomainState::Ok
            || !matches!(d.state, DomainState::Low | DomainState::High)
        {
            // A chain that stops early, or loses work behind a bad link, hashes only in part:
            // its stack cannot balance (the break's finding says what the imbalance shows).
            continue;
        }
        let all_hash = in_domain
            .iter()
            .all(|&c| chips.get(c).is_some_and(|r| r.state == ChipState::Ok));
        if d.state == DomainState::High && !all_hash {
            continue;
        }
        // The domains are in series: what a domain with a chip that does not hash gives up,
        // the others share, and read low for it. A low domain that fell no further than its
        // share of what such domains rose is that (tuning seed 2462, a Bitaxe Hex with chip 3
        // dead: domain 0 reported sagging 525 mV while domains 1 and 2 rose 364 and 263 mV). On
        // a long stack the share is small, and a domain that sags is still found (tuning seed
        // 160, an S9 with a dead chip and domain 5 sagging 60 mV).
        let fell = i64::from(idle.voltage_mv) - i64::from(d.voltage_mv);
        if d.state == DomainState::Low && !browned_out && fell > 0 && rebalance_fall >= fell {
            continue;
        }
        if browned_out {
            browned.extend(&in_domain);
        }
        let (what, hint) = if d.state == DomainState::Low {
            (
                "sags to",
                format!(
                    "Something in domain {} draws more than its share under load: look for a leaky chip, capacitor or LDO among {} (compare their temperatures with a thermal camera while hashing)",
                    d.index,
                    range_text(&in_domain)
                ),
            )
        } else {
            (
                "rises to",
                format!(
                    "Domain {} draws less than its neighbours under load: check CLK and RST into {}",
                    d.index,
                    range_text(&in_domain)
                ),
            )
        };
        out.push(Finding {
            kind: FindingKind::DomainVoltage,
            chips: in_domain.clone(),
            domains: vec![d.index],
            suspects: in_domain.clone(),
            message: format!(
                "Domain {} {what} {} mV while the chips hash{} ({} mV at preflight, band {}-{} mV){}",
                d.index,
                d.voltage_mv,
                at.map_or(String::new(), |at| format!(
                    ", {:.0} s into the run (the worst of {} samples under load)",
                    at.saturating_sub(learned.start_us) as f64 / 1e6,
                    learned.watched_samples
                )),
                idle.voltage_mv,
                profile.voltage.low_mv(),
                profile.voltage.high_mv(),
                if browned_out {
                    format!(
                        "; {} returned no work: browned out, not judged (test them again after the repair)",
                        range_text(&in_domain)
                    )
                } else {
                    String::new()
                }
            ),
            hint,
        });
    }

    // Domain voltages outside the band, unless a short explains them, or a chain that stops
    // early (chips beyond an open CLK or RST draw almost nothing: the break's finding says so).
    for d in &learned.domains {
        let state = d.state;
        if matches!(state, DomainState::Ok | DomainState::Short)
            || (!shorted.is_empty() && state == DomainState::High)
            || (found < expected && found > 0 && !matches!(state, DomainState::Open))
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
    let Intermittent {
        chips: flaky,
        from_counts,
        steps,
        unproven_head: _,
        all_lost,
        all_sent,
        spoiled_only,
        between_bars: _,
        unreplicated: _,
        reads_out,
        reads_between_bars: _,
        reads_open: _,
        reads_past,
        reads_joint,
    } = link;
    let lost_in_test = flaky
        .iter()
        .any(|&k| chips.get(k).is_some_and(|c| c.transient > 0));
    // Work lost only on chips a sagging domain browned out is that domain's finding.
    if !flaky.is_empty() && !flaky.iter().all(|c| browned.contains(c)) {
        let first = flaky[0];
        // Chips whose own link stands out besides the steps (before the first one: chips past
        // a step, and the chip just before it, are the step's). Each is named with the steps,
        // in the message, the suspects and the hint (tuning seed 201, an S21 Pro: flaky chip
        // 27 before a joint at 34 was in the finding's chips only, and the hint put the joint
        // near chip 27).
        let lone: Vec<usize> = if steps.is_empty() {
            Vec::new()
        } else {
            flaky
                .iter()
                .copied()
                .filter(|&c| !steps.iter().any(|s| c == s.at || c + 1 == s.at))
                .filter(|c| !reads_out.iter().any(|r| r.chip == *c))
                .filter(|c| !reads_joint.as_ref().is_some_and(|r| r.chips.contains(c)))
                .collect()
        };
        // Chips past a step named by their register reads (`read_stand_out`), or what the
        // reads there showed.
        let read_text: String = if reads_out.is_empty() && reads_joint.is_none() {
            let (lost, reads) = reads_past;
            if reads > 0 {
                format!(
                    "; register reads of the chips past it were lost {:.1} % of the time ({lost} of {reads}), no chip far more often than the others",
                    100.0 * lost as f64 / reads as f64
                )
            } else {
                String::new()
            }
        } else {
            reads_out
                .iter()
                .map(|r| {
                    format!(
                        "; and chip {}, past it, lost {} of {} register reads where {} past the same step lost {:.1} %: its own link",
                        r.chip,
                        r.lost,
                        r.reads,
                        if r.against_one { "the other chip" } else { "the other chips" },
                        100.0 * r.rest_rate
                    )
                })
                .chain(reads_joint.iter().map(|r| {
                    format!(
                        "; and {}, past it, lost {} of {} register reads together where the other chips past the same step lost {:.1} %: a joint near chip {} too",
                        range_text(&r.chips),
                        r.lost,
                        r.reads,
                        100.0 * r.rest_rate,
                        r.at
                    )
                }))
                .collect()
        };
        let lone_text = if lone.is_empty() {
            String::new()
        } else {
            let how = if lone.iter().all(|c| spoiled_only.contains(c)) {
                "came back corrupted"
            } else {
                "were lost and came back on retry"
            };
            format!(
                "; and replies from {} {how} far more often than the other chips' before the loss steps up",
                range_text(&lone)
            )
        };
        // A chip whose losses came back mostly unspoiled (see the suspects below).
        let into = |c: usize| {
            !from_counts
                && chips
                    .get(c)
                    .is_some_and(|r| r.transient > 0 && 2 * r.garbled < r.transient)
        };
        let into_it = steps.is_empty() && into(first);
        out.push(Finding {
            kind: FindingKind::Intermittent,
            chips: flaky.clone(),
            domains: Vec::new(),
            // A step in the loss is a joint on the link between two chips: both are suspects.
            suspects: if steps.is_empty() {
                // A chip whose losses came back mostly unspoiled lost its work on the way to
                // it, not its replies: the link into it, the relay of the chip before it, is as
                // much a suspect (held-out seed 1003392, opened: an S9 with a joint at 61; of
                // the 16 patterns chip 62 lost, 3 came back spoiled, and it was named alone).
                // Two or more chips standing out are each a suspect, each with the chip before
                // it on the same terms (tuning seed 3790, a Bitaxe Hex with chips 3 and 5
                // flaky: only chip 3 was; 4432, an S9 with flaky chip 48 and a joint at 61:
                // chip 62 was named without chip 61).
                // A short count stops at the first chip it missed, and the joint is near the
                // last chip it found, the one before (facts §6.2, after asicbasics and zeusbtc:
                // the number a short chain reports is often off by one, and a count that
                // changes points at a joint near the last chip found). Both are suspects (tuning
                // seeds 25203 and 26019, S19 Pros with joints at 18 and 15 on overheating
                // boards: the counts stopped at 19 and 16, and only those were named).
                flaky
                    .iter()
                    .flat_map(|&c| match c.checked_sub(1) {
                        Some(before) if into(c) || from_counts => vec![c, before],
                        _ => vec![c],
                    })
                    .collect()
            } else {
                steps
                    .iter()
                    .flat_map(|s| [s.at, s.at.saturating_sub(1)])
                    .chain(lone.iter().copied())
                    .chain(reads_out.iter().map(|r| r.chip))
                    .chain(reads_joint.iter().flat_map(|r| [r.at, r.at.saturating_sub(1)]))
                    .collect()
            },
            message: if let Some(step) = steps.first() {
                let steps_text = {
                    // Each stretch between steps with its own rate; the first against the rate
                    // before it.
                    let stretch = |i: usize, st: &LossStep| {
                        let next = steps.get(i + 1);
                        let end = next.map_or(found, |n| n.at).saturating_sub(1);
                        // The next step's rate before it is this stretch's when both are of
                        // a kind.
                        let rate = next
                            .filter(|n| n.spoiled == st.spoiled)
                            .map_or(st.after, |n| n.before);
                        (end, rate)
                    };
                    let stretches: Vec<String> = steps
                        .iter()
                        .enumerate()
                        .map(|(i, st)| {
                            let (end, rate) = stretch(i, st);
                            format!("{:.1} % for {}", 100.0 * rate, span_text(st.at, end))
                        })
                        .collect();
                    let links: Vec<String> = steps
                        .iter()
                        .map(|st| format!("chips {} and {}", st.at.saturating_sub(1), st.at))
                        .collect();
                    let kind = |spoiled: bool| {
                        if spoiled {
                            ("Replies", "came back spoiled")
                        } else {
                            ("Work and replies", "were lost")
                        }
                    };
                    let (what, lost) = kind(step.spoiled);
                    if steps.iter().any(|s| s.spoiled != step.spoiled) {
                        // Steps of both kinds: each said with its own.
                        let each: Vec<String> = steps
                            .iter()
                            .enumerate()
                            .map(|(i, st)| {
                                let (end, rate) = stretch(i, st);
                                let (what, lost) = kind(st.spoiled);
                                let what = if i == 0 {
                                    what.to_owned()
                                } else {
                                    what.to_lowercase()
                                };
                                format!(
                                    "{what} for {} {lost} {:.1} % of the time against {:.1} % before",
                                    span_text(st.at, end),
                                    100.0 * rate,
                                    100.0 * st.before
                                )
                            })
                            .collect();
                        format!(
                            "{}: the loss steps up on the links between {}",
                            each.join(", and "),
                            links.join(" and between ")
                        )
                    } else if let [only] = steps.as_slice() {
                        format!(
                            "{what} for {} {lost} {:.1} % of the time against {:.1} % before: the loss starts on the link between chips {} and {}",
                            span_text(only.at, found.saturating_sub(1)),
                            100.0 * only.after,
                            100.0 * only.before,
                            only.at.saturating_sub(1),
                            only.at
                        )
                    } else {
                        format!(
                            "{what} {lost} {} against {:.1} % before chip {}: the loss steps up on the links between {}",
                            stretches.join(" and "),
                            100.0 * step.before,
                            step.at,
                            links.join(" and between ")
                        )
                    }
                };
                steps_text + &lone_text + &read_text
            } else if from_counts && !lost_in_test {
                match first.checked_sub(1) {
                    Some(last) => format!("Chip counts varied between discoveries ({counts:?}), far more than the line's loss rate explains; the short count stops after chip {last}: the joint is near it or chip {first}"),
                    None => format!("Chip counts varied between discoveries ({counts:?}), far more than the line's loss rate explains; the short count found no chip: the joint is near chip 0 or the connector"),
                }
            } else {
                let counted = if varying { format!("; chip counts varied between discoveries ({counts:?})") } else { String::new() };
                let lost: Vec<usize> = flaky.iter().copied().filter(|c| !spoiled_only.contains(c)).collect();
                match (lost.is_empty(), spoiled_only.is_empty()) {
                    (false, true) if into_it && flaky.len() == 1 => format!("Replies from chip {first} were lost and came back on retry, and few came back spoiled: the work was lost on its way to the chip, on the link into it{counted}"),
                    (false, true) => format!("Replies from {} were lost and came back on retry{counted}", range_text(&flaky)),
                    (true, false) => format!("Replies from {} came back corrupted (a frame failing its CRC, or bytes that were no frame, where a reply was due) far more often than the rest of the chain's{counted}", range_text(&flaky)),
                    _ => format!("Replies from {} were lost and came back on retry, and from {} came back corrupted far more often than the rest of the chain's{counted}", range_text(&lost), range_text(&spoiled_only)),
                }
            },
            hint: match steps.as_slice() {
                [_, _, ..] => format!("Intermittent joints near chips {}: reflow each and its neighbours, the first one first, then retest twice", steps.iter().map(|s| s.at.to_string()).collect::<Vec<_>>().join(" and ")),
                [only] => format!("An intermittent joint near chip {}: reflow it and its neighbours, then retest twice", only.at),
                [] if flaky.len() > 1 && !from_counts => format!("Intermittent links at {}: reflow each one's CO/RI joints and its neighbours', then retest twice", range_text(&flaky)),
                [] => match first.checked_sub(1).filter(|_| from_counts) {
                    Some(last) => format!("An intermittent joint near chips {last} and {first}: reflow both and their neighbours, then retest twice"),
                    None => format!("An intermittent joint near chip {first}: reflow it and its neighbours, then retest twice"),
                },
            } + &{
                let own: Vec<usize> = lone
                    .iter()
                    .copied()
                    .chain(reads_out.iter().map(|r| r.chip))
                    .collect();
                let own_text = if own.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; and the link of {} itself: reflow its CO/RI joints",
                        range_text(&own)
                    )
                };
                let joint_text = reads_joint.as_ref().map_or(String::new(), |r| {
                    format!(
                        "; and an intermittent joint near chip {}: reflow it and its neighbours too",
                        r.at
                    )
                });
                own_text + &joint_text
            },
        });
    }

    // Losses and corrupted frames spread over the chain with no chip standing out: the cable
    // or the jig's UART. Said once, with what was measured, and never blamed on a chip.
    let lost_rate = all_lost as f64 / all_sent.max(1) as f64;
    // With one chip answering (a one-chip board, or a chain cut after its first chip) there is
    // no rest of the chain to weigh it against: its own link is as much a suspect as the
    // cable, and the note says so rather than "not a chip" (tuning seed 3614, a Bitaxe Hex
    // with the return line open after chip 0, which was flaky).
    if flaky.is_empty()
        && (lost_rate > cfg.intermittent_floor || learned.bad_frames >= cfg.noisy_link_frames)
    {
        let (spread, hint) = if found == 1 {
            (
                ", with one chip answering: its own link cannot be told from the cable's"
                    .to_owned(),
                "Check the ribbon cable (length, shield, seating) and the jig's ground and UART levels, then rerun; if the losses stay, reflow chip 0's CO/RI joints; the verdict stands on the replies that came through",
            )
        } else {
            (
                ", evenly over the chain".to_owned(),
                "Not a chip: check the ribbon cable (length, shield, seating) and the jig's ground and UART levels, then rerun; the verdict stands on the replies that came through",
            )
        };
        out.push(link_note(
            format!(
                "The chain link lost {all_lost} of {all_sent} replies at the first try and {} frames failed their CRC ({} stray bytes){spread}{}",
                learned.bad_frames,
                learned.garbage_bytes,
                if varying { format!("; chip counts varied between discoveries ({counts:?}) as much as that explains") } else { String::new() }
            ) + if learned.bad_frames == 0 && learned.garbage_bytes == 0 {
                ". Nothing came back corrupted, so the work was lost on its way to the chips (the host-to-chip line)"
            } else {
                ""
            },
            hint,
        ));
    }

    // Sensors: missing, implausible, over the limit, or rising as only an overheating chip
    // near them makes them rise.
    let fastest = learned.sensor_rise.iter().copied().fold(0.0f32, f32::max);
    let warmed = |i: usize| learned.sensor_warmed.get(i).copied().unwrap_or(0.0);
    let warmest = (0..learned.sensors.len())
        .filter(|&i| learned.sensors[i].state == SensorState::Ok)
        .map(warmed)
        .fold(0.0f32, f32::max);
    for (i, ((s, r), asked)) in profile
        .sensors
        .iter()
        .zip(&learned.sensors)
        .zip(&learned.sensors_asked)
        .enumerate()
    {
        let host_gone = s.host_chip.is_some_and(|h| h >= found);
        // A sensor that gave a reading to fewer than half of the reads does not answer: what
        // came back was a corrupted reply (a read through a noisy chain) or a stray one.
        let (answered, reads) = learned.sensor_answers.get(i).copied().unwrap_or((0, 0));
        // Its host chip past a bad joint loses register reads too, and a sensor read is a
        // command and a read through that link: a sensor answering about as often as that
        // link lets two frames through (the host chip's reads, measured past the step) is no
        // missing sensor (a sweep of an S9 with joints at 0 and 11, sim seed 2: sensor A on
        // chip 62, past both, answered 7 of 30 and was called missing; 5 boards of 30 had
        // one). [I] Seldom then only when so few answers are unlikely (below one in a
        // thousand) at the host chip's rate for both frames.
        let link_lets = s
            .host_chip
            .and_then(|h| learned.chips.get(h))
            .filter(|t| t.reads > 0)
            .map(|t| {
                let through = 1.0 - f64::from(t.reads_lost) / f64::from(t.reads);
                through * through
            });
        let seldom = r.state == SensorState::Ok
            && reads >= 4
            && answered * 2 < reads
            && link_lets.is_none_or(|share| {
                crate::stats::binomial_at_most(u64::from(reads), share, u64::from(answered))
                    < SENSOR_SELDOM_P
            });
        match r.state {
            SensorState::Missing if host_gone || !asked => {}
            SensorState::Unread => {}
            SensorState::Ok if !seldom => {
                let over = r.temp_c.filter(|&t| t > cfg.overtemp_c);
                // The sensor that rose the fastest, and any within a tenth of it: the nearest
                // to an overheating chip (its heat spreads over the board, less with distance).
                // With a fast rise on the board, so is the sensor that warmed the most over the
                // run, and any within `SENSOR_TIE_C` of it: one rise is measured between two
                // readings, and a stale one before it makes a far sensor's rise the fastest
                // (tuning seed 3251, an S19 Pro: a diode two rows from the hot chip rose
                // 24 °C/s past a stale reading, the PCB sensor beside it warmed 6 °C more), and
                // sensors reading whole degrees tie (seed 3104, an S9: both at 72 °C).
                let rise = learned.sensor_rise.get(i).copied().unwrap_or(0.0);
                let fast = rise >= cfg.hot_rise_c_per_s
                    && (rise >= fastest * 0.9 || warmed(i) >= warmest - SENSOR_TIE_C);
                if over.is_some() || fast {
                    let t = r.temp_c.unwrap_or(f32::NAN);
                    let sensor_chip = s.near_chip;
                    // The chips for which this sensor is the nearest that gave a reading: where
                    // the heat comes from (a silent sensor's chips heat the nearest that reads).
                    let mut region: Vec<usize> = (0..expected)
                        .filter(|&c| {
                            let mine = distance(profile, c, sensor_chip);
                            profile
                                .sensors
                                .iter()
                                .zip(&learned.sensors)
                                .filter(|(_, o)| o.state == SensorState::Ok)
                                .all(|(o, _)| distance(profile, c, o.near_chip) >= mine)
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
                        message: if over.is_some() {
                            format!("{} reads {t:.1} °C, above the {:.0} °C limit", sensor_title(&s.name), cfg.overtemp_c)
                        } else {
                            let (pauses, seconds) = learned.cooling;
                            let paused = if pauses > 0 {
                                format!(
                                    "; the test stopped {} to let the board cool ({seconds:.0} s in all)",
                                    times(pauses)
                                )
                            } else {
                                String::new()
                            };
                            let (degrees, seconds) =
                                learned.sensor_rise_step.get(i).copied().unwrap_or_default();
                            format!(
                                "{} rose {degrees:.1} °C in {seconds:.1} s during the test ({:.1} °C/s; a whole board warms under {:.0} °C/s) and read up to {t:.1} °C{paused}",
                                sensor_title(&s.name),
                                degrees / seconds.max(f32::EPSILON),
                                cfg.board_rise_c_per_s
                            )
                        },
                        hint: format!(
                            "A chip near chip {sensor_chip} overheats: check heatsink contact and thermal paste there, and that chip's current"
                        ),
                    });
                }
            }
            SensorState::Missing | SensorState::Implausible | SensorState::Ok => out.push(Finding {
                kind: FindingKind::SensorMissing,
                chips: vec![s.near_chip],
                domains: Vec::new(),
                suspects: vec![s.near_chip],
                message: if seldom {
                    format!("Temperature sensor {} answered {answered} of {reads} reads", s.name)
                } else if r.state == SensorState::Missing {
                    format!("Temperature sensor {} does not answer", s.name)
                } else {
                    format!("Temperature sensor {} reads an impossible {:?} °C", s.name, r.temp_c)
                },
                hint: format!("Check sensor {} ({}) and its I2C lines; a board without it may refuse to start", s.name, s.kind.name()),
            }),
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
    // A trip ends the run: what it did not reach is untested, what it cut short inconclusive,
    // and the report says so rather than letting the silence read as a pass for those chips.
    let in_state = |state: ChipState| -> Vec<usize> {
        chips
            .iter()
            .filter(|c| c.state == state && c.index < found)
            .map(|c| c.index)
            .collect()
    };
    let (untested, cut_short) = (
        in_state(ChipState::Untested),
        in_state(ChipState::Inconclusive),
    );
    if learned.trip.is_some()
        && let Some(f) = out.iter_mut().find(|f| {
            matches!(
                f.kind,
                FindingKind::Overtemp | FindingKind::DomainShort | FindingKind::DomainVoltage
            )
        })
    {
        let said = f.message.starts_with("The jig cut board power");
        f.message.push_str(&if !untested.is_empty() {
            format!(
                ". The jig cut power before {} were tested: they are untested, not passed; fix this and run again to test them",
                range_text(&untested)
            )
        } else if !cut_short.is_empty() {
            format!(
                ". The jig cut power before {} were fully tested: they are inconclusive, not passed; fix this and run again to test them",
                range_text(&cut_short)
            )
        } else if !said {
            ". The jig cut power at its limit".to_owned()
        } else {
            String::new()
        });
    }
    // Past a link that loses most of the work, the chips whose little work back proved
    // nothing are inconclusive; the link's finding names them and says on how little, so the
    // test after the reflow is known to be their test, not a retest of passed chips (tuning
    // seed 27860, an S19j Pro with joints at 76 and 78: chips 79-125 got 2-19 golden nonces of
    // 97-176 patterns back, 96 % lost past the second joint, and the report named only the
    // joints).
    // Chips another finding names, or whose domain it names (a browned-out domain's), are
    // said there; with the addresses not known no chip is judged, and that finding says so.
    if learned.trip.is_none() && !learned.addressing_failed && learned.duplicate_address.is_none() {
        let others = || out.iter().filter(|f| f.kind != FindingKind::Intermittent);
        let named: BTreeSet<usize> = others()
            .flat_map(|f| f.chips.iter().chain(&f.suspects).copied())
            .collect();
        let domains: BTreeSet<usize> = others()
            .filter(|f| {
                matches!(
                    f.kind,
                    FindingKind::DomainVoltage | FindingKind::DomainShort
                )
            })
            .flat_map(|f| f.domains.iter().copied())
            .collect();
        if let Some(f) = out.iter_mut().find(|f| f.kind == FindingKind::Intermittent)
            && let Some(&from) = f.chips.iter().min()
        {
            let past: Vec<&ChipResult> = chips
                .iter()
                .filter(|c| c.state == ChipState::Inconclusive && c.index > from)
                .filter(|c| !f.chips.contains(&c.index))
                .filter(|c| c.index < found && !named.contains(&c.index))
                .filter(|c| !domains.contains(&c.domain))
                .collect();
            if let Some(note) = unjudged_past_link(&past) {
                f.message.push_str(&note);
            }
        }
    }
    out.sort_by(|a, b| {
        a.kind
            .cmp(&b.kind)
            .then(a.chips.first().cmp(&b.chips.first()))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chips_at_the_chains_end_losing_their_reads_together_are_a_joint_at_the_first() {
        let cfg = Config::default();
        // Tuning seed 27391's reads past the step at 1, `(chip, lost, reads)`: flaky chip 2,
        // a joint at 4 losing the reads of chips 4 and 5; the rest, chips 1 and 3, lost 26 %.
        let pool = [
            (1, 748, 3000),
            (2, 1238, 3000),
            (3, 795, 3000),
            (4, 1398, 3000),
            (5, 1476, 3000),
        ];
        let rest = (748 + 795, 6000);
        let run = read_run(&cfg, &pool, &[2, 4, 5], rest, 6);
        assert_eq!(
            run.as_ref().map(|r| (r.at, r.chips.clone())),
            Some((4, vec![4, 5]))
        );
        assert_eq!(run.map(|r| (r.lost, r.reads)), Some((2874, 6000)));
        // The last chip alone is its own link or the link into it, not a joint's stretch.
        assert_eq!(read_run(&cfg, &pool, &[2, 5], rest, 6), None);
        // Chips standing out short of the end: a joint at 3 would lose chip 5's reads too.
        assert_eq!(read_run(&cfg, &pool, &[3, 4], rest, 6), None);
        // Standing out, but not one after another (chip 4 returned no nonce and is not
        // weighed): no run.
        let gap = [
            (1, 748, 3000),
            (2, 795, 3000),
            (3, 1398, 3000),
            (5, 1476, 3000),
        ];
        assert_eq!(read_run(&cfg, &gap, &[3, 5], rest, 6), None);
        // Together no more than the rest loses at the upper end of its interval: no joint.
        let even = [
            (1, 748, 3000),
            (2, 795, 3000),
            (3, 790, 3000),
            (4, 800, 3000),
        ];
        assert_eq!(read_run(&cfg, &even, &[3, 4], rest, 5), None);
    }

    #[test]
    fn a_step_in_the_reads_past_a_heavy_joint_is_a_lighter_joint() {
        let cfg = Config::default();
        // Sim seed 1 of `eval --sweep bitaxe-hex --fault joint:2:6000 --fault joint:0:13000`:
        // the reads past the step at 1, `(chip, lost, reads)`, and each chip's work `(lost,
        // sent)`. Chips 3-5 lost 42 % of their reads where chips 1-2 lost 36 %.
        let pool = [
            (1, 538, 1600),
            (2, 606, 1600),
            (3, 662, 1600),
            (4, 671, 1600),
            (5, 685, 1600),
        ];
        let work = [
            (7, 49),
            (122, 173),
            (174, 213),
            (252, 272),
            (238, 268),
            (188, 202),
        ];
        let step = read_step(&cfg, &pool, &work, 6);
        assert_eq!(
            step.as_ref()
                .map(|r| (r.at, r.chips.clone(), r.lost, r.reads)),
            Some((3, vec![3, 4, 5], 2018, 4800))
        );
        // Short of the last chip found (a chip past it returned no nonce): no step to the end.
        assert_eq!(read_step(&cfg, &pool, &work, 7), None);
        // The chips past it lost less of their work than the chips before: no joint's.
        let quieter = [
            (7, 49),
            (252, 272),
            (238, 268),
            (122, 173),
            (174, 213),
            (150, 202),
        ];
        assert_eq!(read_step(&cfg, &pool, &quieter, 6), None);
        // One chip of the tail losing like the head: a joint takes every chip past it.
        let uneven = [
            (1, 538, 1600),
            (2, 606, 1600),
            (3, 662, 1600),
            (4, 560, 1600),
            (5, 685, 1600),
        ];
        assert_eq!(read_step(&cfg, &uneven, &work, 6), None);
        // The head chip lost its work about as often as its reads (55 of 173, 32 %, against 34 % of
        // its reads, where the chips past the step lost their work twice as often as their
        // reads): a joint's own chip, which loses only its replies, not a chip past a joint.
        let own = [
            (7, 49),
            (55, 173),
            (174, 213),
            (252, 272),
            (238, 268),
            (188, 202),
        ];
        assert_eq!(read_step(&cfg, &pool, &own, 6), None);
        // A head chip that lost next to none answers for another address: no step against it.
        let aliased = [
            (1, 2, 1600),
            (2, 606, 1600),
            (3, 662, 1600),
            (4, 671, 1600),
            (5, 685, 1600),
        ];
        assert_eq!(read_step(&cfg, &aliased, &work, 6), None);
        // Reads lost evenly: no step.
        let even = [
            (1, 600, 1600),
            (2, 606, 1600),
            (3, 612, 1600),
            (4, 598, 1600),
            (5, 610, 1600),
        ];
        assert_eq!(read_step(&cfg, &even, &work, 6), None);
    }

    #[test]
    fn a_chip_behind_a_link_miscomputes_when_the_link_cannot_explain_its_errors() {
        let cfg = Config::default();
        // 3,100 replies failed their CRC on a joint with 50 chips past it: about 100 passed,
        // two a chip. Seven errors on one chip are still the link's; 27 are the chip's own.
        assert!(!miscomputing_behind_link(&cfg, 7, 3_100, 50));
        assert!(miscomputing_behind_link(&cfg, 27, 3_100, 50));
        // With nothing corrupted on the way, three errors are the chip's, one or two are not.
        assert!(miscomputing_behind_link(&cfg, 3, 0, 50));
        assert!(!miscomputing_behind_link(&cfg, 2, 0, 50));
        assert!(!miscomputing_behind_link(&cfg, 0, 0, 50));
    }

    #[test]
    fn a_chips_errors_are_its_own_by_where_it_sits_on_the_chain() {
        let cfg = Config::default();
        let past = ErrorsSeen::PastLink {
            bad_frames: 3_100,
            behind: 50,
        };
        // Past a joint: 3 errors among 15 good nonces are at a miscomputing chip's share but
        // no more than the joint explains (tuning seed 22181 before its more work); 16 among
        // 31 are the chip's; 30 among 300 good ones are not at the share.
        assert!(!errors_own(&cfg, 3, 15, past));
        assert!(errors_own(&cfg, 16, 31, past));
        assert!(!errors_own(&cfg, 30, 300, past));
        // Before it: at the share, or nothing good back.
        assert!(errors_own(&cfg, 3, 15, ErrorsSeen::BeforeLink));
        assert!(!errors_own(&cfg, 2, 21, ErrorsSeen::BeforeLink));
        assert!(errors_own(&cfg, 2, 0, ErrorsSeen::BeforeLink));
        // No link: 2 among 21 on a line that corrupted 20 replies is under the share and no
        // more than the line explains (tuning seed 26760 before its more work); on a clean
        // line they are the chip's.
        let noisy = ErrorsSeen::WholeChain {
            bad_frames: 20,
            garbage: 185,
            found: 108,
        };
        assert!(!errors_own(&cfg, 2, 21, noisy));
        assert!(errors_own(&cfg, 19, 60, noisy));
        let clean = ErrorsSeen::WholeChain {
            bad_frames: 0,
            garbage: 0,
            found: 108,
        };
        assert!(errors_own(&cfg, 2, 21, clean));
    }

    /// A chip past a step with `golden` nonces back and `lost` of its `reads` register reads
    /// lost.
    fn read_back(golden: u32, lost: u32, reads: u32) -> crate::engine::ChipTrack {
        let mut track = crate::engine::ChipTrack::default();
        track.golden = golden;
        track.reads = reads;
        track.reads_lost = lost;
        track
    }

    /// A second step past a first, searched for from the chip past the first one when that
    /// chip loses as the chip after it does. Tuning seed 4097, an S17+ with joints at 12 and
    /// 14, per chip `(lost, sent)` up to chip 18 (the first step is at 13): chip 14 alone as the
    /// head shows nothing, chips 13 and 14 together do.
    #[test]
    fn a_second_joint_is_weighed_against_every_chip_between_the_two() {
        let cfg = Config::default();
        let mut losses = vec![(0, 53); 13];
        losses[12] = (7, 53);
        losses.extend([
            (76, 155),
            (57, 103),
            (167, 240),
            (164, 240),
            (140, 200),
            (176, 232),
        ]);
        let board = Some(0.0156);
        assert_eq!(loss_step(&cfg, &losses, 14, 1, board), None);
        let second = loss_step(&cfg, &losses, 13, 2, board).map(|s| s.at);
        assert_eq!(second, Some(15));
    }

    /// Past a first joint that spoils a quarter of the replies of the chip at it, the second
    /// step loses a third of what gets through, not three quarters (sim seed 3, a Bitaxe Hex
    /// with joints at 0 and 2: `board` is chip 0's rate).
    #[test]
    fn a_second_step_past_a_lossy_first_joint_need_lose_no_more_than_a_first_step() {
        let cfg = Config::default();
        let losses = [
            (29, 109),
            (155, 208),
            (187, 231),
            (197, 224),
            (185, 208),
            (198, 224),
        ];
        let second = loss_step(&cfg, &losses, 1, 2, Some(29.0 / 109.0)).map(|s| s.at);
        assert_eq!(second, Some(3));
    }

    /// Tuning seed 27790, a Bitaxe Hex with joints at 0 and 3 on a noisy host line, the chips
    /// before the step at 4 (chip 3, the other side of it, left out): chip 0 lost 16 of its 49,
    /// chips 1-2 55 %, a hair short of losing a third of what gets through. At the low end of
    /// chip 0's rate they do: a step at 1 that wants chip 0 measured, not no step. With chip 0's
    /// 60 more patterns (26 of 109 lost) the step is proven.
    #[test]
    fn a_step_missed_only_at_the_rate_a_short_head_happened_to_lose_wants_that_head_measured() {
        let cfg = Config::default();
        let before_more_work = [(16, 49), (120, 208), (61, 121)];
        let candidate = step_candidate(&cfg, &before_more_work, 0, 1, None);
        assert_eq!(
            candidate.map(|(s, proven)| (s.at, proven)),
            Some((1, false))
        );
        assert_eq!(loss_step(&cfg, &before_more_work, 0, 1, None), None);
        let measured = [(26, 109), (120, 208), (61, 121)];
        assert_eq!(
            loss_step(&cfg, &measured, 0, 1, None).map(|s| s.at),
            Some(1)
        );
        // Past a first step (`board` given) the head is not the chain's, and no more work is
        // asked for it.
        assert_eq!(
            step_candidate(&cfg, &before_more_work, 0, 1, Some(0.05)),
            None
        );
    }

    /// Tuning seed 45038, a Bitaxe Hex with a joint at 0, flaky chip 3 and a joint at 5, its
    /// reads past the step at 1 as its finding gave them (chips 3 and 5; chips 1, 2 and 4
    /// together lost 31.3 %, split about evenly here): chips 3 and 5 are each weighed against
    /// the three that do not stand out. Before, those three were each low against a rate with
    /// chips 3 and 5 in it, and chip 5 was called against none (a rest of 0.0 %).
    #[test]
    fn past_a_step_two_chips_that_lose_more_are_each_weighed_against_the_rest() {
        let cfg = Config::default();
        let learned = Learned {
            chips: vec![
                crate::engine::ChipTrack::default(),
                read_back(40, 620, 2000),
                read_back(40, 630, 2000),
                read_back(40, 889, 2000),
                read_back(40, 630, 2000),
                read_back(40, 740, 2000),
            ],
            found: 6,
            ..Learned::default()
        };
        let step = LossStep {
            at: 1,
            before: 0.286,
            after: 0.785,
            spoiled: false,
        };
        let past = read_stand_out(&cfg, &learned, &[step]);
        let called: Vec<(usize, u64)> = past
            .called
            .iter()
            .map(|r| (r.chip, (r.rest_rate * 1000.0).round() as u64))
            .collect();
        assert_eq!(called, vec![(3, 313), (5, 313)]);
    }

    /// A chip past a step is read again while its reads leave open a link of its own losing a
    /// tenth of the replies its stretch gets (`link_probe_excess`). Tuning seed 35335's chip
    /// 91: 133 of 200 where its stretch lost 63 %, open; a good chip there at 2000 reads, ruled
    /// out; a chip with no rest to weigh against, never open.
    #[test]
    fn a_chip_past_a_step_is_open_until_its_reads_rule_out_a_link_of_its_own() {
        let cfg = Config::default();
        assert!(open_link(&cfg, (133, 200), (4057, 6400)));
        assert!(!open_link(&cfg, (1270, 2000), (4057, 6400)));
        assert!(!open_link(&cfg, (133, 200), (0, 0)));
    }

    /// Tuning seed 3071, a Bitaxe Supra Hex with joints at 0 and 4, its frame log's reads: chips
    /// 1, 3 and 4 returned nonces, chip 2 (dead cores) and chip 5 (past the second joint) none.
    /// Chip 5 lost 243 of 400 reads where the others lost 46 %; chip 2 lost 160, like them.
    #[test]
    fn a_silent_chip_is_behind_a_worse_link_only_when_its_reads_are_lost_far_more() {
        let cfg = Config::default();
        let learned = Learned {
            chips: vec![
                crate::engine::ChipTrack::default(),
                read_back(56, 164, 400),
                read_back(0, 160, 400),
                read_back(67, 156, 400),
                read_back(65, 232, 400),
                read_back(0, 243, 400),
            ],
            found: 6,
            ..Learned::default()
        };
        assert!(reads_lost_beyond_stretch(&cfg, &learned, 1..6, 5));
        assert!(!reads_lost_beyond_stretch(&cfg, &learned, 1..6, 2));
        // Not read: nothing is known of its link.
        assert!(!reads_lost_beyond_stretch(&cfg, &learned, 0..6, 0));
        // Weighed against the chips that returned nonces only: the other silent chip is not
        // the measure.
        assert!(reads_lost_beyond_stretch(&cfg, &learned, 2..6, 5));
    }

    /// A chip with `patterns` of work, `transient` replies lost and found again, `garbled`
    /// spoiled, every golden nonce back.
    fn chip(index: usize, patterns: u32, transient: u32, garbled: u32) -> ChipResult {
        ChipResult {
            index,
            address: None,
            domain: 0,
            state: ChipState::Ok,
            patterns,
            golden: patterns,
            hw_errors: 0,
            temp_c: None,
            margin_mhz: None,
            margin_mv: None,
            cores_ok: 0,
            cores_dead: 0,
            cores_tested: 0,
            cores_silent: 0,
            cores_doubted: 0,
            transient,
            garbled,
        }
    }

    /// The chips past a link that the work back from them could not judge are named in runs of
    /// neighbours, with the golden nonces and patterns each had: the numbers of tuning seed
    /// 27860's chips past two joints (`hashbench diagnose --sim s19jpro --seed 27860`).
    #[test]
    fn the_chips_a_link_left_unjudged_are_named_with_what_they_returned() {
        let unjudged = |of: &[(usize, u32, u32)]| {
            let past: Vec<ChipResult> = of
                .iter()
                .map(|&(i, patterns, golden)| ChipResult {
                    state: ChipState::Inconclusive,
                    golden,
                    ..chip(i, patterns, 0, 0)
                })
                .collect();
            unjudged_past_link(&past.iter().collect::<Vec<_>>())
        };
        assert_eq!(
            unjudged(&[
                (79, 126, 8),
                (80, 115, 9),
                (81, 115, 6),
                (83, 176, 18),
                (125, 115, 5)
            ]),
            Some(
                ". What chips 79-81, 83, 125 returned past it (5-18 golden nonces of 115-176 \
                 patterns each) the link's losses may explain: inconclusive, not passed; the \
                 test after the repair is their test"
                    .to_owned()
            )
        );
        assert_eq!(
            unjudged(&[(4, 224, 48)]),
            Some(
                ". What chip 4 returned past it (48 golden nonces of 224 patterns) the link's \
                 losses may explain: inconclusive, not passed; the test after the repair is \
                 its test"
                    .to_owned()
            )
        );
        assert_eq!(unjudged(&[]), None);
    }

    /// The chips `stand_out` calls intermittent (by loss or spoiling), and those it would give
    /// more work (between the bars).
    fn called_and_between(pool: &[ChipResult]) -> (Vec<usize>, Vec<usize>) {
        let cfg = Config::default();
        let pool: Vec<&ChipResult> = pool.iter().collect();
        let out = stand_out(&cfg, &pool);
        let called = out.iter().filter(|o| o.2 || o.3).map(|o| o.0).collect();
        let between = out
            .iter()
            .filter(|o| between_the_bars(&cfg, o))
            .map(|o| o.0)
            .collect();
        (called, between)
    }

    #[test]
    fn two_flaky_chips_are_each_weighed_against_the_rest_without_the_other() {
        // Tuning seed 3790's counts, a Bitaxe Hex (dead chip 1 out): against the whole pool
        // only chip 3 is a suspect at first, and the rest it leaves holds chip 5's losses;
        // weighed again without chip 3, chip 5 is a suspect too, and both stand out.
        let pool = [
            chip(0, 49, 1, 0),
            chip(2, 49, 3, 0),
            chip(3, 109, 25, 19),
            chip(4, 49, 1, 0),
            chip(5, 109, 21, 15),
        ];
        assert_eq!(called_and_between(&pool).0, [3, 5]);
    }

    #[test]
    fn a_few_quiet_chips_bound_the_line_rate_only_loosely() {
        // Held-out seed 1002430's counts before the joint at chip 4 (lost 26 of 71): chips 0-2
        // lost none of 147, chip 3 lost 3 of 49. Against a rate of 0 (floored at 0.2 %) chip 3
        // would be given more work; against what 0 of 147 allows (up to 2.5 %), it is not.
        let pool = [
            chip(0, 49, 0, 0),
            chip(1, 49, 0, 0),
            chip(2, 49, 0, 0),
            chip(3, 49, 3, 2),
            chip(4, 71, 26, 19),
        ];
        let (called, between) = called_and_between(&pool);
        assert_eq!(called, [4]);
        assert!(between.is_empty(), "{between:?}");
        assert!(
            (upper_rate(0, 147) - 0.0255).abs() < 5e-4,
            "{}",
            upper_rate(0, 147)
        );
    }

    #[test]
    fn a_silent_chip_behind_a_link_is_dead_once_none_back_is_too_unlikely() {
        let cfg = Config::default();
        // Half the work back past the link: 0.5^20 = 9.5e-7 is the first count below 1e-6.
        assert_eq!(dead_behind_link_patterns(&cfg, 0.5), Some(20));
        // Everything else came back: one pattern with nothing back proves it.
        assert_eq!(dead_behind_link_patterns(&cfg, 1.0), Some(1));
        // Nothing came back past the link at all: no count proves a chip dead there.
        assert_eq!(dead_behind_link_patterns(&cfg, 0.0), None);
    }

    /// Silent cores tried again: `phases` as (first core, cores, passes, controls answered,
    /// controls sent) per slot, `answered` of the cores heard.
    fn retried(phases: &[(u8, u8, u32, u32, u32)], answered: &[u8]) -> CoreRetest {
        let mut r = CoreRetest {
            answered: answered.iter().copied().collect(),
            ..CoreRetest::default()
        };
        for &(first, n, passes, heard, sent) in phases {
            let cores: BTreeSet<u8> = (first..first + n).collect();
            r.cores.extend(cores.iter().copied());
            r.phases.push(crate::engine::RetestPhase {
                cores,
                passes,
                controls: sent,
                controls_answered: heard,
            });
        }
        r
    }

    #[test]
    fn silent_cores_that_stay_silent_when_tried_again_make_a_chip_weak_only_beyond_the_threshold() {
        let cfg = Config::default();
        // An S19k Pro chip (112 cores: weak from 12 dead) past a joint losing half the work,
        // its silent cores tried in two slots, 24 passes and 16, none answering: 13 cores
        // silent where a chip under the threshold has 11 dead at most, each working one silent
        // at 0.72^16 at worst (half the controls heard, taken at their lower bound).
        assert!(weak_by_retest(
            &cfg,
            112,
            &retried(&[(0, 5, 24, 48, 96), (5, 8, 16, 32, 64)], &[])
        ));
        // With 8 passes in the second slot that slot says too little, and 5 cores are left.
        assert!(!weak_by_retest(
            &cfg,
            112,
            &retried(&[(0, 5, 24, 48, 96), (5, 8, 8, 16, 32)], &[])
        ));
        // Eleven silent are what a chip just under the threshold may have: no proof however
        // long it is tried.
        assert!(!weak_by_retest(
            &cfg,
            112,
            &retried(&[(0, 11, 24, 190, 192)], &[])
        ));
        // Twelve after 8 passes: one working core silent 8 times at half the work lost is
        // too likely among those tried.
        assert!(!weak_by_retest(
            &cfg,
            112,
            &retried(&[(0, 14, 8, 32, 64)], &[0, 1])
        ));
        // The same after 24: proven.
        assert!(weak_by_retest(
            &cfg,
            112,
            &retried(&[(0, 14, 24, 96, 192)], &[0, 1])
        ));
        // A slot whose cores all answered has nothing silent to explain: 3 passes there.
        assert!(weak_by_retest(
            &cfg,
            112,
            &retried(&[(20, 2, 3, 12, 24), (0, 14, 24, 96, 192)], &[20, 21, 0, 1])
        ));
        // A slot where the chip was seldom heard (3 % of its controls, as good chips of tuning
        // seed 50897 were) counts for nothing, however silent.
        assert!(!weak_by_retest(
            &cfg,
            112,
            &retried(&[(0, 30, 54, 13, 432)], &[])
        ));
        // Nor one where it was never heard.
        assert!(!weak_by_retest(
            &cfg,
            112,
            &retried(&[(0, 30, 24, 0, 192)], &[])
        ));
        // Not tried at all.
        assert!(!weak_by_retest(&cfg, 112, &CoreRetest::default()));
    }
}
