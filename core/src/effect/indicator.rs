//! An activity's indicators, computed from the lägesbild, never typed: reports of chosen
//! categories at its places per week, the share of weeks whose highest grade is 4 or
//! more, the mean grade; a baseline, a target against it, and the målvisare (red,
//! yellow, green) with its rule written out, as the municipality's own goal follow-up
//! has it.
//!
//! Pure functions over rows the store aggregates (reports per place, week, organisation,
//! category and grade).

use serde::{Deserialize, Serialize};

use super::{EffectError, PlaceSeries, bad};
pub use crate::codes::IndicatorKind;
use crate::{OrganisationId, PlaceId};

/// Reports of one place, week and organisation, in one category or (`None`) in every
/// category: how many, the sum of their grades, and how many are graded 4 or 5. `week`
/// is an index into the weeks the caller asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeeklyRow {
    pub place: PlaceId,
    pub week: usize,
    pub organisation: OrganisationId,
    pub category: Option<String>,
    pub count: u32,
    pub grade_sum: u32,
    pub severe: u32,
}

/// What an indicator counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Indicator {
    pub kind: IndicatorKind,
    /// Categories counted; empty counts every category.
    pub categories: Vec<String>,
    /// Organisations whose reports are not counted: by default those the activity
    /// deploys, since deployed people report what they see where they are sent.
    pub excluded_organisations: Vec<OrganisationId>,
}

impl Indicator {
    /// Whether a row counts: rows of every category for an indicator of every category,
    /// rows of one of its categories otherwise (so no report counts twice).
    fn counts(&self, row: &WeeklyRow) -> bool {
        let category = match &row.category {
            None => self.categories.is_empty(),
            Some(c) => self.categories.contains(c),
        };
        category && !self.excluded_organisations.contains(&row.organisation)
    }

    /// The indicator week by week over `places` (`None` for a week with no report, for
    /// the grade-based kinds), for the rows' weeks `span` (its first is the result's 0).
    pub fn weekly(
        &self,
        rows: &[WeeklyRow],
        places: &[PlaceId],
        span: std::ops::Range<usize>,
    ) -> Vec<Option<f64>> {
        let weeks = span.len();
        let mut count = vec![0u32; weeks];
        let mut grade_sum = vec![0u64; weeks];
        // Per place and week: whether any report is graded 4 or more.
        let mut severe = vec![vec![false; weeks]; places.len()];
        for row in rows
            .iter()
            .filter(|r| span.contains(&r.week) && self.counts(r))
        {
            let Some(p) = places.iter().position(|p| *p == row.place) else {
                continue;
            };
            let week = row.week - span.start;
            count[week] += row.count;
            grade_sum[week] += u64::from(row.grade_sum);
            severe[p][week] |= row.severe > 0;
        }
        (0..weeks)
            .map(|w| match self.kind {
                IndicatorKind::Reports => Some(f64::from(count[w])),
                IndicatorKind::MeanGrade => {
                    (count[w] > 0).then(|| grade_sum[w] as f64 / f64::from(count[w]))
                }
                IndicatorKind::SevereWeeks => (!places.is_empty())
                    .then(|| severe.iter().filter(|s| s[w]).count() as f64 / places.len() as f64),
            })
            .collect()
    }

    /// Reports per place and week, for the effect estimate, over the rows' weeks `span`.
    pub fn series(
        &self,
        rows: &[WeeklyRow],
        places: &[PlaceId],
        span: std::ops::Range<usize>,
    ) -> Vec<PlaceSeries> {
        let weeks = span.len();
        let index: std::collections::HashMap<PlaceId, usize> =
            places.iter().enumerate().map(|(i, p)| (*p, i)).collect();
        let mut series: Vec<PlaceSeries> = places
            .iter()
            .map(|&place| PlaceSeries {
                place,
                weekly: vec![0; weeks],
            })
            .collect();
        for row in rows
            .iter()
            .filter(|r| span.contains(&r.week) && self.counts(r))
        {
            if let Some(&i) = index.get(&row.place) {
                series[i].weekly[row.week - span.start] += row.count;
            }
        }
        series
    }
}

/// A target as a relative change against the baseline: −0.25 is "25 % under".
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Target(pub f64);

impl Target {
    /// Reads "−25 %", "-25%", "-0.25" or "−25" (a whole number is a percentage).
    pub fn parse(text: &str) -> Result<Target, EffectError> {
        let cleaned: String = text
            .trim()
            .replace(['−', '–'], "-")
            .replace(',', ".")
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let (number, percent) = match cleaned.strip_suffix('%') {
            Some(n) => (n, true),
            None => (cleaned.as_str(), false),
        };
        let value: f64 = number.parse().map_err(|_| {
            bad(
                "target",
                format!("{text:?} is not a number; write for example \"-25 %\""),
            )
        })?;
        let share = if percent || value.abs() > 1.0 {
            value / 100.0
        } else {
            value
        };
        if !share.is_finite() || share <= -1.0 || share > 10.0 {
            return Err(bad(
                "target",
                format!("{text:?} is not a change a place can have (between -100 % and +1000 %)"),
            ));
        }
        Ok(Target(share))
    }
}

/// The målvisare's colour.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Colour {
    Gron,
    Gul,
    Rod,
}

impl Colour {
    pub fn label(self) -> &'static str {
        match self {
            Colour::Gron => "grön",
            Colour::Gul => "gul",
            Colour::Rod => "röd",
        }
    }
}

/// One week's målvisare: the colour, the values it compares and the rule, in Swedish.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Malvisare {
    pub colour: Colour,
    pub baseline: f64,
    pub current: f64,
    pub rule: String,
}

/// Weeks the current value is averaged over, so one week's chance does not flip it.
pub const CURRENT_WEEKS: usize = 4;

fn mean(values: &[Option<f64>]) -> Option<f64> {
    let known: Vec<f64> = values.iter().flatten().copied().collect();
    (!known.is_empty()).then(|| known.iter().sum::<f64>() / known.len() as f64)
}

/// The målvisare at week `at` (an index into `weekly`): the mean of the last
/// `CURRENT_WEEKS` weeks up to it against the baseline weeks' mean. Green when the target
/// is reached, yellow when moving towards it, red when on or past the baseline the wrong
/// way. `None` when either mean has no value.
pub fn malvisare(
    weekly: &[Option<f64>],
    baseline: std::ops::Range<usize>,
    at: usize,
    target: Target,
) -> Option<Malvisare> {
    let base = mean(weekly.get(baseline)?)?;
    let from = (at + 1).saturating_sub(CURRENT_WEEKS);
    let current = mean(weekly.get(from..=at)?)?;
    let goal = base * (1.0 + target.0);
    let percent = (target.0 * 100.0).round();
    let (colour, rule) = if target.0 <= 0.0 {
        let colour = if current <= goal {
            Colour::Gron
        } else if current < base {
            Colour::Gul
        } else {
            Colour::Rod
        };
        (
            colour,
            format!(
                "grön: minst {} % under baslinjen; gul: under baslinjen men inte målet; röd: på eller över baslinjen",
                -percent
            ),
        )
    } else {
        let colour = if current >= goal {
            Colour::Gron
        } else if current > base {
            Colour::Gul
        } else {
            Colour::Rod
        };
        (
            colour,
            format!(
                "grön: minst {percent} % över baslinjen; gul: över baslinjen men inte målet; röd: på eller under baslinjen"
            ),
        )
    };
    Some(Malvisare {
        colour,
        baseline: base,
        current,
        rule,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(
        place: PlaceId,
        week: usize,
        org: OrganisationId,
        category: &str,
        grade: u8,
        count: u32,
    ) -> WeeklyRow {
        WeeklyRow {
            place,
            week,
            organisation: org,
            category: Some(category.into()),
            count,
            grade_sum: u32::from(grade) * count,
            severe: if grade >= 4 { count } else { 0 },
        }
    }

    #[test]
    fn indicators_count_the_chosen_categories_without_the_deployed_organisation() {
        let (a, b, elsewhere) = (PlaceId::new(), PlaceId::new(), PlaceId::new());
        let (guards, police) = (OrganisationId::new(), OrganisationId::new());
        let rows = vec![
            row(a, 0, police, "klotter", 2, 3),
            row(a, 0, guards, "klotter", 5, 10),
            row(b, 0, police, "brak", 4, 1),
            row(b, 1, police, "alkohol", 1, 2),
            row(elsewhere, 1, police, "klotter", 5, 9),
        ];
        let indicator = Indicator {
            kind: IndicatorKind::Reports,
            categories: vec!["klotter".into(), "brak".into()],
            excluded_organisations: vec![guards],
        };
        let places = [a, b];
        assert_eq!(
            indicator.weekly(&rows, &places, 0..2),
            vec![Some(4.0), Some(0.0)]
        );
        let series = indicator.series(&rows, &places, 0..2);
        assert_eq!(series[0].weekly, vec![3, 0]);
        assert_eq!(series[1].weekly, vec![1, 0]);
        let severe = Indicator {
            kind: IndicatorKind::SevereWeeks,
            ..indicator.clone()
        };
        assert_eq!(
            severe.weekly(&rows, &places, 0..2),
            vec![Some(0.5), Some(0.0)]
        );
        let grade = Indicator {
            kind: IndicatorKind::MeanGrade,
            ..indicator
        };
        assert_eq!(grade.weekly(&rows, &places, 0..2), vec![Some(2.5), None]);
    }

    #[test]
    fn targets_are_read_the_swedish_way_and_nonsense_is_refused_naming_the_field() {
        assert_eq!(Target::parse("−25 %").unwrap(), Target(-0.25));
        assert_eq!(Target::parse("-25%").unwrap(), Target(-0.25));
        assert_eq!(Target::parse("-0,25").unwrap(), Target(-0.25));
        assert_eq!(Target::parse("+10 %").unwrap(), Target(0.10));
        for nonsense in ["mycket färre", "", "-100 %", "NaN"] {
            assert_eq!(
                Target::parse(nonsense).unwrap_err().field,
                "target",
                "{nonsense}"
            );
        }
    }

    #[test]
    fn the_malvisare_is_green_at_the_target_yellow_on_the_way_and_red_otherwise() {
        let target = Target(-0.25);
        let base = vec![Some(10.0); 8];
        let with = |recent: f64| {
            let mut w = base.clone();
            w.extend(std::iter::repeat_n(Some(recent), 4));
            malvisare(&w, 0..8, 11, target).unwrap()
        };
        assert_eq!(with(7.0).colour, Colour::Gron);
        assert_eq!(with(9.0).colour, Colour::Gul);
        assert_eq!(with(10.0).colour, Colour::Rod);
        assert_eq!(with(12.0).colour, Colour::Rod);
        assert!(with(7.0).rule.contains("minst 25 % under baslinjen"));
        assert_eq!(malvisare(&[None; 6], 0..3, 5, target), None);
    }
}
