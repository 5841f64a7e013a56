//! Did an effort work? The effect of an activity (or one deployment) on its places,
//! estimated as a difference-in-differences against comparable places over the same
//! weeks, with an interval from a placebo test over untreated places, and a verdict that
//! claims an effect only where the data can carry it (ARCHITECTURE.md, invariant 16).
//!
//! Pure functions over weekly series: no store, no clock, no I/O. The store fetches the
//! series (reports per place and week, already filtered to the indicator's categories
//! and organisations); everything here is decided from them.
//!
//! The method, in short:
//! - **Estimate.** θ = log(T₁/T₀) − log(C₁/C₀), the change at the treated places against
//!   the change at the comparison places (sums over places; T₀, C₀ before the start, T₁,
//!   C₁ from it). A common shock (a holiday, the season) moves both and cancels. The
//!   effect is reported as a relative change, e^θ − 1.
//! - **Comparison places.** Proposed automatically: the untreated places most like the
//!   treated ones in the weeks before (level and trend of the indicator), never a
//!   neighbour of a treated place (a comparison the effort may have touched is no
//!   comparison). The coordinator may choose them instead.
//! - **Interval.** Weekly counts of reports are overdispersed and places differ in their
//!   trends, so a Poisson interval is too narrow. The estimate is studentised by a
//!   quasi-Poisson standard error, and the quantiles of the same statistic computed for
//!   placebo "treatments" of untreated places (each with comparisons chosen by the same
//!   rule) give the interval; never narrower than the normal one.
//! - **Verdict.** *tydlig minskning* or *tydlig ökning* only when the 95 % interval lies
//!   on one side of zero; *ingen säker skillnad än* otherwise, with how many more weeks
//!   would be needed to tell the present estimate from zero; *för lite underlag* when the
//!   counts are too small to say anything, without a number.
//! - **Neighbours.** The places round the corner get their own estimate against the same
//!   comparisons: *förflyttning?* when they rose while the treated places fell.
//! - **The floor:** the weighted displacement difference (Wheeler and Ratcliffe 2018) is
//!   computed beside it from the same pre/post counts.

pub mod follow_up;
pub mod indicator;
pub mod synthetic;

use serde::{Deserialize, Serialize};

use crate::PlaceId;

/// Fewest reports at the treated places before the start, and after it, for any number.
pub const MIN_TREATED_REPORTS: u32 = 20;
/// Fewest comparison places.
pub const MIN_COMPARISONS: usize = 4;
/// Fewest weeks before the start (the baseline) and after it.
pub const MIN_WEEKS_BEFORE: usize = 4;
pub const MIN_WEEKS_AFTER: usize = 2;
/// Comparison places proposed when the coordinator chooses none.
pub const PROPOSED_COMPARISONS: usize = 10;
/// Placebo treatments drawn when there are more possible ones than this.
const MAX_PLACEBOS: usize = 1000;
/// Fewest placebo treatments for their quantiles to be used.
const MIN_PLACEBOS: usize = 19;
/// The normal quantile of a two-sided 95 % interval.
const Z95: f64 = 1.959_964;
/// "More weeks" beyond this is said as "not within two years".
const MAX_MORE_WEEKS: u32 = 104;

/// One place's indicator, week by week (the same weeks for every place).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlaceSeries {
    pub place: PlaceId,
    pub weekly: Vec<u32>,
}

/// What the estimate is asked about.
#[derive(Debug, Clone, PartialEq)]
pub struct EffectInput<'a> {
    /// The places the effort worked at.
    pub treated: &'a [PlaceSeries],
    /// Places near them (within the coordinator's distance, or the rest of their area):
    /// their own estimate, and never comparisons.
    pub neighbours: &'a [PlaceSeries],
    /// Every other place: the candidates for comparison.
    pub untreated: &'a [PlaceSeries],
    /// The index of the first week of the effort; weeks before it are the baseline.
    pub start: usize,
    /// The comparison places the coordinator chose; `None` proposes them.
    pub comparison: Option<&'a [PlaceId]>,
}

/// The answer a meeting reads.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// The whole 95 % interval is a decrease.
    TydligMinskning,
    /// The whole 95 % interval is an increase.
    TydligOkning,
    /// The interval holds zero. `more_weeks`: about how many more weeks at today's rate
    /// would tell the present estimate from zero; `None` when not within two years.
    IngenSakerSkillnad { more_weeks: Option<u32> },
    /// Too few reports, weeks or comparison places to say anything; `why` in Swedish.
    ForLiteUnderlag { why: String },
}

impl Verdict {
    /// The verdict as the meeting reads it, in Swedish.
    pub fn label(&self) -> String {
        match self {
            Verdict::TydligMinskning => "tydlig minskning".into(),
            Verdict::TydligOkning => "tydlig ökning".into(),
            Verdict::IngenSakerSkillnad {
                more_weeks: Some(n),
            } => format!("ingen säker skillnad än (behöver ungefär {n} veckor till)"),
            Verdict::IngenSakerSkillnad { more_weeks: None } => {
                "ingen säker skillnad än (inte heller inom två år i den här takten)".into()
            }
            Verdict::ForLiteUnderlag { why } => format!("för lite underlag: {why}"),
        }
    }

    pub fn is_clear(&self) -> bool {
        matches!(self, Verdict::TydligMinskning | Verdict::TydligOkning)
    }
}

/// A relative change with its 95 % interval: −0.4 is 40 % fewer.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub estimate: f64,
    pub low: f64,
    pub high: f64,
}

/// Sums before and after the start.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Counts {
    pub before: u32,
    pub after: u32,
}

/// The weighted displacement difference: pre/post counts with a Poisson standard error,
/// as crime analysts compute it (periods scaled to the same length, the control weighted
/// to the treated places' baseline).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Wdd {
    /// Reports over the after period, positive for more: treated change minus the
    /// weighted control change (plus the neighbours' weighted change).
    pub wdd: f64,
    pub standard_error: f64,
    pub z: f64,
    /// As a share of the treated places' baseline over the same length, with the 95 %
    /// interval from the Poisson standard error.
    pub relative: Change,
}

/// One group of places against the comparisons.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupEffect {
    pub counts: Counts,
    /// `None` when the verdict is *för lite underlag*: no number is given then.
    pub change: Option<Change>,
    pub verdict: Verdict,
}

/// The neighbours' reading.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NeighbourReading {
    /// They rose while the treated places fell: the problem may have moved.
    Forflyttning,
    /// They fell with the treated places: the calm may have spread.
    SpriddEffekt,
    /// Neither.
    IngenTydligPaverkan,
    /// Nothing to say.
    ForLiteUnderlag,
}

impl NeighbourReading {
    pub fn label(self) -> &'static str {
        match self {
            NeighbourReading::Forflyttning => "förflyttning?",
            NeighbourReading::SpriddEffekt => "spridd effekt?",
            NeighbourReading::IngenTydligPaverkan => "ingen tydlig påverkan",
            NeighbourReading::ForLiteUnderlag => "för lite underlag",
        }
    }
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Neighbours {
    pub effect: GroupEffect,
    pub reading: NeighbourReading,
}

/// How the interval was found.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntervalMethod {
    /// Quantiles of placebo treatments of untreated places (never narrower than normal).
    Placebo { placebos: usize },
    /// Too few possible placebos: the normal quantiles of the quasi-Poisson error.
    Normal,
}

/// The effect of an effort.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Effect {
    pub treated: GroupEffect,
    pub comparison_places: Vec<PlaceId>,
    pub comparison_counts: Counts,
    pub neighbours: Option<Neighbours>,
    pub weeks_before: usize,
    pub weeks_after: usize,
    /// Overdispersion of the weekly counts (1 is Poisson).
    pub dispersion: f64,
    pub interval: IntervalMethod,
    /// The floor to beat; `None` where the counts are too small for it too.
    pub wdd: Option<Wdd>,
}

/// Input that cannot be estimated at all, naming the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct EffectError {
    pub field: &'static str,
    pub message: String,
}

fn bad(field: &'static str, message: impl Into<String>) -> EffectError {
    EffectError {
        field,
        message: message.into(),
    }
}

/// A place's sums and features, computed once.
#[derive(Debug, Clone, Copy)]
struct Summary {
    before: f64,
    after: f64,
    /// ln(mean weekly count before the start + 0.5), for the distance.
    log_level: f64,
    /// Log ratio of the second half of the baseline to the first.
    trend: f64,
    /// Pearson χ² of the weekly baseline counts around their mean, and its degrees of
    /// freedom.
    chi2: f64,
    df: f64,
}

fn summarise(weekly: &[u32], start: usize) -> Summary {
    let (pre, post) = weekly.split_at(start);
    let sum = |w: &[u32]| w.iter().map(|&c| f64::from(c)).sum::<f64>();
    let before = sum(pre);
    let level = before / pre.len() as f64;
    let half = pre.len() / 2;
    let first = sum(&pre[..half]) / half.max(1) as f64;
    let second = sum(&pre[half..]) / (pre.len() - half).max(1) as f64;
    let chi2 = if level > 0.0 {
        pre.iter()
            .map(|&c| (f64::from(c) - level).powi(2) / level)
            .sum()
    } else {
        0.0
    };
    Summary {
        before,
        after: sum(post),
        log_level: (level + 0.5).ln(),
        trend: ((second + 0.5) / (first + 0.5)).ln(),
        chi2,
        df: if level > 0.0 {
            pre.len() as f64 - 1.0
        } else {
            0.0
        },
    }
}

/// A group of places summed: its sums and the features of its mean place.
#[derive(Debug, Clone, Copy)]
struct Group {
    before: f64,
    after: f64,
    level: f64,
    trend: f64,
}

fn group(members: impl IntoIterator<Item = Summary>, weeks_before: usize) -> Group {
    let (mut before, mut after, mut trend, mut n) = (0.0, 0.0, 0.0, 0.0);
    for s in members {
        before += s.before;
        after += s.after;
        trend += s.trend;
        n += 1.0;
    }
    let n = f64::max(n, 1.0);
    Group {
        before,
        after,
        level: before / n / weeks_before as f64,
        trend: trend / n,
    }
}

/// How unlike a group's mean place a candidate is: |log ratio of their levels| plus the
/// difference of their trends. `log_level` is ln(`target.level` + 0.5), computed once.
fn distance(target: &Group, log_level: f64, b: &Summary) -> f64 {
    (b.log_level - log_level).abs() + (b.trend - target.trend).abs()
}

/// The `k` candidates most like `target` in the baseline, by index into `candidates`,
/// skipping those `excluded` says.
fn closest(
    target: &Group,
    candidates: &[Summary],
    k: usize,
    excluded: impl Fn(usize) -> bool,
) -> Vec<usize> {
    let log_level = (target.level + 0.5).ln();
    let mut ranked: Vec<(f64, usize)> = candidates
        .iter()
        .enumerate()
        .filter(|(i, _)| !excluded(*i))
        .map(|(i, s)| (distance(target, log_level, s), i))
        .collect();
    let order = |a: &(f64, usize), b: &(f64, usize)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
    // The k nearest first, then only those in order: this runs once per placebo.
    if k < ranked.len() {
        ranked.select_nth_unstable_by(k, order);
        ranked.truncate(k);
    }
    ranked.sort_by(order);
    ranked.into_iter().map(|(_, i)| i).collect()
}

/// The difference-in-differences on the log scale, with its quasi-Poisson error.
fn did(treated: &Group, comparison: &Group, dispersion: f64) -> (f64, f64) {
    let (t0, t1) = (treated.before + 0.5, treated.after + 0.5);
    let (c0, c1) = (comparison.before + 0.5, comparison.after + 0.5);
    let theta = (t1 / t0).ln() - (c1 / c0).ln();
    let se = (dispersion * (1.0 / t0 + 1.0 / t1 + 1.0 / c0 + 1.0 / c1)).sqrt();
    (theta, se)
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    let at = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (at.floor() as usize, at.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo as f64)
}

/// Every subset of `0..n` of size `k`, or `MAX_PLACEBOS` drawn with a seed when there
/// are more.
fn placebo_sets(n: usize, k: usize, seed: u64) -> Vec<Vec<usize>> {
    let mut count = 1.0f64;
    for i in 0..k {
        count = count * (n - i) as f64 / (i + 1) as f64;
    }
    if k == 0 || k > n {
        return Vec::new();
    }
    if count <= MAX_PLACEBOS as f64 {
        let mut sets = Vec::new();
        let mut set: Vec<usize> = (0..k).collect();
        loop {
            sets.push(set.clone());
            // The next combination in lexicographic order.
            let Some(i) = (0..k).rev().find(|&i| set[i] < n - k + i) else {
                return sets;
            };
            set[i] += 1;
            for j in i + 1..k {
                set[j] = set[j - 1] + 1;
            }
        }
    }
    let mut rng = fastrand::Rng::with_seed(seed);
    // A partial shuffle of 0..n, undone after each draw so every draw starts from 0..n.
    let mut pool: Vec<usize> = (0..n).collect();
    let mut swaps = Vec::with_capacity(k);
    (0..MAX_PLACEBOS)
        .map(|_| {
            for i in 0..k {
                let j = rng.usize(i..n);
                pool.swap(i, j);
                swaps.push((i, j));
            }
            let set = pool[..k].to_vec();
            while let Some((i, j)) = swaps.pop() {
                pool.swap(i, j);
            }
            set
        })
        .collect()
}

/// The placebo quantiles (2.5 %, 97.5 %) of the studentised estimate for groups of
/// `size` untreated places, each against its own closest comparisons.
fn placebo_quantiles(
    untreated: &[Summary],
    size: usize,
    comparisons: usize,
    weeks_before: usize,
    dispersion: f64,
    seed: u64,
) -> Option<(f64, f64, usize)> {
    // A placebo group needs room for its comparisons among the rest.
    if untreated.len() < size + MIN_COMPARISONS {
        return None;
    }
    let k = comparisons.min(untreated.len() - size);
    let mut stats: Vec<f64> = placebo_sets(untreated.len(), size, seed)
        .into_iter()
        .map(|set| {
            let treated = group(set.iter().map(|&i| untreated[i]), weeks_before);
            let chosen = closest(&treated, untreated, k, |i| set.contains(&i));
            let comparison = group(chosen.iter().map(|&i| untreated[i]), weeks_before);
            let (theta, se) = did(&treated, &comparison, dispersion);
            theta / se
        })
        .collect();
    if stats.len() < MIN_PLACEBOS {
        return None;
    }
    stats.sort_by(f64::total_cmp);
    Some((
        quantile(&stats, 0.025),
        quantile(&stats, 0.975),
        stats.len(),
    ))
}

fn change(theta: f64, low: f64, high: f64) -> Change {
    Change {
        estimate: theta.exp() - 1.0,
        low: low.exp() - 1.0,
        high: high.exp() - 1.0,
    }
}

/// Too few reports, in words, or `None` when there are enough.
fn too_little(counts: Counts, what: &str) -> Option<String> {
    (counts.before < MIN_TREATED_REPORTS || counts.after + counts.before < 2 * MIN_TREATED_REPORTS)
        .then(|| {
            format!(
                "{what} har {} rapporter före och {} efter; minst {MIN_TREATED_REPORTS} före och {} sammanlagt behövs",
                counts.before,
                counts.after,
                2 * MIN_TREATED_REPORTS
            )
        })
}

/// One group's estimate and verdict against the comparisons, with the placebo
/// quantiles `q` of the studentised statistic.
fn judge(
    treated: &Group,
    comparison: &Group,
    dispersion: f64,
    (q_low, q_high): (f64, f64),
    weeks_after: usize,
    what: &str,
) -> GroupEffect {
    let counts = Counts {
        before: treated.before as u32,
        after: treated.after as u32,
    };
    if let Some(why) = too_little(counts, what) {
        return GroupEffect {
            counts,
            change: None,
            verdict: Verdict::ForLiteUnderlag { why },
        };
    }
    let (theta, se) = did(treated, comparison, dispersion);
    let (low, high) = (theta - q_high * se, theta - q_low * se);
    let verdict = if high < 0.0 {
        Verdict::TydligMinskning
    } else if low > 0.0 {
        Verdict::TydligOkning
    } else {
        Verdict::IngenSakerSkillnad {
            more_weeks: more_weeks(
                treated,
                comparison,
                dispersion,
                theta,
                q_high.max(-q_low),
                weeks_after,
            ),
        }
    };
    GroupEffect {
        counts,
        change: Some(change(theta, low, high)),
        verdict,
    }
}

/// About how many more weeks at today's rates would make an interval around `theta`
/// exclude zero: the after-period terms of the variance shrink with its length.
fn more_weeks(
    treated: &Group,
    comparison: &Group,
    dispersion: f64,
    theta: f64,
    q: f64,
    weeks_after: usize,
) -> Option<u32> {
    let fixed = dispersion * (1.0 / (treated.before + 0.5) + 1.0 / (comparison.before + 0.5));
    let shrinking = dispersion * (1.0 / (treated.after + 0.5) + 1.0 / (comparison.after + 0.5));
    let room = (theta / q).powi(2) - fixed;
    if room <= 0.0 {
        return None;
    }
    let needed = shrinking * weeks_after as f64 / room;
    let more = (needed - weeks_after as f64).ceil().max(1.0);
    (more <= f64::from(MAX_MORE_WEEKS)).then_some(more as u32)
}

/// The weighted displacement difference over the same counts.
fn wdd(
    treated: &Group,
    comparison: &Group,
    neighbours: Option<&Group>,
    weeks_before: usize,
    weeks_after: usize,
) -> Option<Wdd> {
    let r = weeks_after as f64 / weeks_before as f64;
    let t0 = treated.before * r;
    let c0 = comparison.before * r;
    if t0 <= 0.0 || c0 <= 0.0 {
        return None;
    }
    let w = t0 / c0;
    let mut value = (treated.after - t0) - w * (comparison.after - c0);
    let mut variance = treated.after
        + treated.before * r * r
        + w * w * (comparison.after + comparison.before * r * r);
    if let Some(d) = neighbours {
        let d0 = d.before * r;
        let wd = d0 / c0;
        value += (d.after - d0) - wd * (comparison.after - c0);
        variance +=
            d.after + d.before * r * r + wd * wd * (comparison.after + comparison.before * r * r);
    }
    let se = variance.sqrt();
    Some(Wdd {
        wdd: value,
        standard_error: se,
        z: value / se,
        relative: Change {
            estimate: value / t0,
            low: (value - Z95 * se) / t0,
            high: (value + Z95 * se) / t0,
        },
    })
}

fn check_series(all: &[&PlaceSeries], weeks: usize) -> Result<(), EffectError> {
    for s in all {
        if s.weekly.len() != weeks {
            return Err(bad(
                "weeks",
                format!(
                    "place {} has {} weeks, the others {weeks}",
                    s.place,
                    s.weekly.len()
                ),
            ));
        }
    }
    Ok(())
}

/// The effect of an effort at `input.treated`. Bad input is an error naming the field;
/// too little data is a verdict, never a number.
pub fn estimate(input: &EffectInput<'_>) -> Result<Effect, EffectError> {
    if input.treated.is_empty() {
        return Err(bad("places", "the effort has no places to measure"));
    }
    let weeks = input.treated[0].weekly.len();
    let all: Vec<&PlaceSeries> = input
        .treated
        .iter()
        .chain(input.neighbours)
        .chain(input.untreated)
        .collect();
    check_series(&all, weeks)?;
    if input.start == 0 || input.start > weeks {
        return Err(bad(
            "baseline",
            "the baseline must be weeks before the effort's start, within the series",
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for s in &all {
        if !seen.insert(s.place) {
            return Err(bad(
                "places",
                format!("place {} is both treated, neighbour or comparison", s.place),
            ));
        }
    }
    let (weeks_before, weeks_after) = (input.start, weeks - input.start);
    let summaries = |list: &[PlaceSeries]| -> Vec<Summary> {
        list.iter()
            .map(|s| summarise(&s.weekly, input.start))
            .collect()
    };
    let (treated_s, neighbour_s, untreated_s) = (
        summaries(input.treated),
        summaries(input.neighbours),
        summaries(input.untreated),
    );
    let treated = group(treated_s.iter().copied(), weeks_before);

    let chosen: Vec<usize> = match input.comparison {
        Some(places) => places
            .iter()
            .map(|p| {
                if input.treated.iter().chain(input.neighbours).any(|s| s.place == *p) {
                    return Err(bad(
                        "comparison",
                        format!("place {p} is treated or a neighbour of the effort, so it cannot be a comparison"),
                    ));
                }
                input
                    .untreated
                    .iter()
                    .position(|s| s.place == *p)
                    .ok_or_else(|| bad("comparison", format!("place {p} has no series")))
            })
            .collect::<Result<_, _>>()?,
        None => closest(&treated, &untreated_s, PROPOSED_COMPARISONS, |_| false),
    };
    let comparison = group(chosen.iter().map(|&i| untreated_s[i]), weeks_before);
    let comparison_places: Vec<PlaceId> =
        chosen.iter().map(|&i| input.untreated[i].place).collect();
    let comparison_counts = Counts {
        before: comparison.before as u32,
        after: comparison.after as u32,
    };

    // Overdispersion from the baseline of every place used, never below Poisson.
    let (chi2, df) = treated_s
        .iter()
        .chain(chosen.iter().map(|&i| &untreated_s[i]))
        .fold((0.0, 0.0), |(c, d), s| (c + s.chi2, d + s.df));
    let dispersion = if df > 0.0 { (chi2 / df).max(1.0) } else { 1.0 };

    let short = if weeks_before < MIN_WEEKS_BEFORE {
        Some(format!(
            "bara {weeks_before} veckor före starten; minst {MIN_WEEKS_BEFORE} behövs"
        ))
    } else if weeks_after < MIN_WEEKS_AFTER {
        Some(format!(
            "bara {weeks_after} veckor sedan starten; minst {MIN_WEEKS_AFTER} behövs"
        ))
    } else if chosen.len() < MIN_COMPARISONS {
        Some(format!(
            "bara {} jämförelseplatser; minst {MIN_COMPARISONS} behövs",
            chosen.len()
        ))
    } else {
        None
    };
    let seed = input.treated.iter().fold(0u64, |h, s| {
        h.rotate_left(7) ^ s.place.as_uuid().as_u64_pair().1
    });
    let quantiles = |size: usize| {
        placebo_quantiles(
            &untreated_s,
            size,
            chosen.len(),
            weeks_before,
            dispersion,
            seed ^ size as u64,
        )
    };
    let (q, interval) = match quantiles(input.treated.len()) {
        Some((low, high, n)) => (
            (low.min(-Z95), high.max(Z95)),
            IntervalMethod::Placebo { placebos: n },
        ),
        None => ((-Z95, Z95), IntervalMethod::Normal),
    };
    let judged = |g: &Group, q, what: &str| match &short {
        Some(why) => GroupEffect {
            counts: Counts {
                before: g.before as u32,
                after: g.after as u32,
            },
            change: None,
            verdict: Verdict::ForLiteUnderlag { why: why.clone() },
        },
        None => judge(g, &comparison, dispersion, q, weeks_after, what),
    };
    let treated_effect = judged(&treated, q, "Insatsens platser");

    let neighbour_group =
        (!input.neighbours.is_empty()).then(|| group(neighbour_s.iter().copied(), weeks_before));
    let neighbours = neighbour_group.as_ref().map(|g| {
        let q = quantiles(input.neighbours.len())
            .map_or((-Z95, Z95), |(low, high, _)| (low.min(-Z95), high.max(Z95)));
        let effect = judged(g, q, "Grannplatserna");
        let treated_fell = treated_effect.change.is_some_and(|c| c.estimate < 0.0);
        let reading = match (&effect.verdict, treated_fell) {
            (Verdict::ForLiteUnderlag { .. }, _) => NeighbourReading::ForLiteUnderlag,
            (Verdict::TydligOkning, true) => NeighbourReading::Forflyttning,
            (Verdict::TydligMinskning, true) => NeighbourReading::SpriddEffekt,
            _ => NeighbourReading::IngenTydligPaverkan,
        };
        Neighbours { effect, reading }
    });
    let wdd = match treated_effect.verdict {
        Verdict::ForLiteUnderlag { .. } => None,
        _ => wdd(
            &treated,
            &comparison,
            neighbour_group.as_ref(),
            weeks_before,
            weeks_after,
        ),
    };
    Ok(Effect {
        treated: treated_effect,
        comparison_places,
        comparison_counts,
        neighbours,
        weeks_before,
        weeks_after,
        dispersion,
        interval,
        wdd,
    })
}
