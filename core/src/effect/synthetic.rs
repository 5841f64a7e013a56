//! Seeded synthetic weekly counts with a known effect, to check the estimator as a
//! statistician would: places whose counts are overdispersed (gamma–Poisson), seasonal
//! and trending (a common season and trend, and a trend of each place's own), with
//! shocks that hit every place, an effect at the treated places, an effect moved to their
//! neighbours, and an organisation that reports more where it is deployed.

use crate::PlaceId;

use super::PlaceSeries;

/// What to generate. `Scenario::default()` is the case: 3 treated places at
/// about 10 reports a week, 20 untreated, 12 weeks before and 8 after, no effect.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    pub treated: usize,
    pub neighbours: usize,
    pub untreated: usize,
    pub weeks_before: usize,
    pub weeks_after: usize,
    /// Mean weekly reports at a treated place (others vary round it).
    pub level: f64,
    /// Gamma shape of the weekly noise: smaller is more overdispersed.
    pub shape: f64,
    /// The true relative effect at the treated places from the start: −0.4 is 40 % fewer.
    pub effect: f64,
    /// The relative change at the neighbours from the start (displacement when > 0).
    pub neighbour_effect: f64,
    /// Every place's counts multiplied by this in the first two weeks from the start.
    pub shock: f64,
    /// Share of a place's reports that come from the organisation the effort deploys.
    pub deployed_share: f64,
    /// That organisation's reports at the treated places multiplied by this from the
    /// start (it reports what it sees where it is sent).
    pub deployed_boost: f64,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            treated: 3,
            neighbours: 3,
            untreated: 20,
            weeks_before: 12,
            weeks_after: 8,
            level: 10.0,
            shape: 8.0,
            effect: 0.0,
            neighbour_effect: 0.0,
            shock: 1.0,
            deployed_share: 0.3,
            deployed_boost: 1.0,
        }
    }
}

/// Generated series. `*_others` count only the organisations the effort does not
/// deploy; the plain ones count everyone.
#[derive(Debug, Clone, PartialEq)]
pub struct Generated {
    pub start: usize,
    pub treated: Vec<PlaceSeries>,
    pub neighbours: Vec<PlaceSeries>,
    pub untreated: Vec<PlaceSeries>,
    pub treated_others: Vec<PlaceSeries>,
    pub neighbours_others: Vec<PlaceSeries>,
    pub untreated_others: Vec<PlaceSeries>,
}

fn normal(rng: &mut fastrand::Rng) -> f64 {
    // Box–Muller.
    let u = 1.0 - rng.f64();
    let v = rng.f64();
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// Gamma(shape, 1) by Marsaglia and Tsang.
fn gamma(rng: &mut fastrand::Rng, shape: f64) -> f64 {
    if shape < 1.0 {
        return gamma(rng, shape + 1.0) * rng.f64().powf(1.0 / shape);
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = normal(rng);
        let v = (1.0 + c * x).powi(3);
        if v <= 0.0 {
            continue;
        }
        let u = rng.f64();
        if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
            return d * v;
        }
    }
}

/// Poisson(λ) by Knuth's method, in pieces of at most 30 so it stays exact.
fn poisson(rng: &mut fastrand::Rng, mut lambda: f64) -> u32 {
    let mut total = 0;
    while lambda > 0.0 {
        let piece = lambda.min(30.0);
        lambda -= piece;
        let limit = (-piece).exp();
        let mut product = rng.f64();
        while product > limit {
            total += 1;
            product *= rng.f64();
        }
    }
    total
}

/// A weekly count with mean `mean`, overdispersed by `shape`.
pub fn count(rng: &mut fastrand::Rng, mean: f64, shape: f64) -> u32 {
    let spread = gamma(rng, shape) / shape;
    poisson(rng, mean * spread)
}

#[derive(Clone, Copy)]
enum Role {
    Treated,
    Neighbour,
    Untreated,
}

/// Counts for `scenario`, the same for the same `seed`.
pub fn generate(scenario: &Scenario, seed: u64) -> Generated {
    let mut rng = fastrand::Rng::with_seed(seed);
    let s = scenario;
    let weeks = s.weeks_before + s.weeks_after;
    let start = s.weeks_before;
    let phase = rng.f64() * 52.0;
    let common_trend = 0.005;
    // One factor per week for every place (weather, events in the town): what a
    // comparison exists to cancel.
    let week_factor: Vec<f64> = (0..weeks)
        .map(|w| {
            let season = 1.0 + 0.2 * (std::f64::consts::TAU * (w as f64 + phase) / 52.0).sin();
            let shock = if (start..start + 2).contains(&w) {
                s.shock
            } else {
                1.0
            };
            season * (common_trend * w as f64).exp() * (0.1 * normal(&mut rng)).exp() * shock
        })
        .collect();
    let mut out = Generated {
        start,
        treated: Vec::new(),
        neighbours: Vec::new(),
        untreated: Vec::new(),
        treated_others: Vec::new(),
        neighbours_others: Vec::new(),
        untreated_others: Vec::new(),
    };
    let roles = std::iter::repeat_n(Role::Treated, s.treated)
        .chain(std::iter::repeat_n(Role::Neighbour, s.neighbours))
        .chain(std::iter::repeat_n(Role::Untreated, s.untreated));
    for role in roles {
        let spread = match role {
            Role::Treated | Role::Neighbour => 0.2,
            Role::Untreated => 0.5,
        };
        let level = s.level * (spread * normal(&mut rng)).exp();
        let own_trend = 0.004 * normal(&mut rng);
        let mut all = Vec::with_capacity(weeks);
        let mut others = Vec::with_capacity(weeks);
        for (w, factor) in week_factor.iter().enumerate() {
            let after = w >= start;
            let effect = match (role, after) {
                (Role::Treated, true) => 1.0 + s.effect,
                (Role::Neighbour, true) => 1.0 + s.neighbour_effect,
                _ => 1.0,
            };
            let mean = level * factor * (own_trend * w as f64).exp() * effect;
            let boost = match (role, after) {
                (Role::Treated, true) => s.deployed_boost,
                _ => 1.0,
            };
            let other = count(&mut rng, mean * (1.0 - s.deployed_share), s.shape);
            let deployed = count(&mut rng, mean * s.deployed_share * boost, s.shape);
            others.push(other);
            all.push(other + deployed);
        }
        let place = PlaceId(uuid::Uuid::from_u64_pair(seed, rng.u64(..)));
        let (plain, filtered) = match role {
            Role::Treated => (&mut out.treated, &mut out.treated_others),
            Role::Neighbour => (&mut out.neighbours, &mut out.neighbours_others),
            Role::Untreated => (&mut out.untreated, &mut out.untreated_others),
        };
        plain.push(PlaceSeries { place, weekly: all });
        filtered.push(PlaceSeries {
            place,
            weekly: others,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_counts_and_the_noise_is_overdispersed() {
        let scenario = Scenario::default();
        assert_eq!(generate(&scenario, 7), generate(&scenario, 7));
        assert_ne!(generate(&scenario, 7), generate(&scenario, 8));
        let mut rng = fastrand::Rng::with_seed(1);
        let draws: Vec<f64> = (0..20_000)
            .map(|_| f64::from(count(&mut rng, 10.0, 8.0)))
            .collect();
        let mean = draws.iter().sum::<f64>() / draws.len() as f64;
        let var = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / draws.len() as f64;
        assert!((mean - 10.0).abs() < 0.2, "mean {mean}");
        // Gamma–Poisson: variance μ + μ²/k = 22.5.
        assert!((var - 22.5).abs() < 1.5, "variance {var}");
    }
}
