//! Protection across every report that has left: the publication ledger.
//!
//! The board reads its reports together — a quarter's total is its months' totals
//! added, a week inside one month is the same count in both — so protecting each report
//! on its own is not enough. Lägesbild protects the ledger by *coarsening*: time is cut
//! into parts that never overlap, each part's counts are protected on their own
//! (`disclosure`) the first time they are published and kept in the ledger, and every
//! later report is built from those parts as published. A report of several parts shows
//! one column per part, and a sum only where every count it adds is published, so it
//! tells a reader nothing the parts did not. Parts never overlap, so nothing links the
//! counts of two parts, and what protects each part protects them all.
//!
//! New time is cut at the turn of each month, so that the monthly, quarterly and yearly
//! reports fit together. A period that would cut a part already published (November 2–30
//! after November) is refused, naming the report and the period to publish instead.
//! A count once published is never changed: a report that arrives late is counted in
//! parts not yet published only.

use chrono::{Datelike, Months, NaiveDate};
use serde::Serialize;

use crate::error::{Field, Overlap, Problem, Result, ValidationError};
use crate::model::{Publication, PublishedPart};
use crate::time::{Timestamp, parse_day};

/// The publications of a workspace, oldest first.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    publications: Vec<Publication>,
}

/// A publication as the ledger lists it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LedgerEntry {
    pub publication: Publication,
    /// The earlier publication it published some of the same days as.
    pub clash: Option<Clash>,
}

/// An earlier publication of some of the same days, made on another device while both
/// were offline.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Clash {
    pub title: String,
    pub published_at: Timestamp,
    pub published_by: String,
    /// The first days both published, as `2026-11-01 – 2026-11-30`.
    pub days: String,
}

/// A stretch of days of a new report: published before, or new.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece<'a> {
    Published(&'a PublishedPart),
    New { first: NaiveDate, end: NaiveDate },
}

impl Ledger {
    pub fn new(mut publications: Vec<Publication>) -> Ledger {
        publications.sort_by(|a, b| {
            a.published_at
                .cmp(&b.published_at)
                .then_with(|| a.id.0.cmp(&b.id.0))
        });
        Ledger { publications }
    }

    /// Oldest first.
    pub fn publications(&self) -> &[Publication] {
        &self.publications
    }

    /// Each published stretch of days once, with the publication that first published
    /// it, oldest part first. A part overlapping one published before it — two devices
    /// that published offline at once — is left out: the earlier stands.
    pub fn parts(&self) -> Vec<(&PublishedPart, &Publication)> {
        self.parts_and_clashes().0
    }

    /// Every publication, newest first, each with the earlier publication it clashes
    /// with, if any: one that published some of the same days first, which can only
    /// happen when two devices published offline at once. Both files have left, each
    /// protected on its own; read together they are not.
    pub fn entries(&self) -> Vec<LedgerEntry> {
        let clashes = self.parts_and_clashes().1;
        self.publications
            .iter()
            .rev()
            .map(|publication| LedgerEntry {
                publication: publication.clone(),
                clash: clashes
                    .iter()
                    .find(|(later, ..)| later.id == publication.id)
                    .map(|(_, earlier, part)| Clash {
                        title: earlier.title.clone(),
                        published_at: earlier.published_at,
                        published_by: earlier.published_by.name.clone(),
                        days: match (parse_day(&part.from), parse_day(&part.until)) {
                            (Ok(from), Ok(until)) => days(from, until),
                            _ => part.span(),
                        },
                    }),
            })
            .collect()
    }

    /// The parts kept, oldest first, and each left out: (its publication, the earlier
    /// one it clashes with, the part).
    #[allow(clippy::type_complexity)]
    fn parts_and_clashes(
        &self,
    ) -> (
        Vec<(&PublishedPart, &Publication)>,
        Vec<(&Publication, &Publication, &PublishedPart)>,
    ) {
        let mut kept: Vec<(&PublishedPart, &Publication)> = Vec::new();
        let mut clashes = Vec::new();
        for publication in &self.publications {
            for part in &publication.parts {
                let earlier = kept
                    .iter()
                    .find(|(k, _)| k.from < part.until && part.from < k.until)
                    .map(|(_, p)| *p);
                match earlier {
                    Some(earlier) => clashes.push((publication, earlier, part)),
                    None => kept.push((part, publication)),
                }
            }
        }
        kept.sort_by(|a, b| a.0.from.cmp(&b.0.from));
        (kept, clashes)
    }

    /// The stretches of days a report from `first` up to (not including) `end` is made
    /// of, in order: the parts published before that lie inside it, and the new time
    /// between them cut at the turn of each month. Refused when the period would cut a
    /// published part.
    pub fn pieces(&self, first: NaiveDate, end: NaiveDate) -> Result<Vec<Piece<'_>>> {
        let parts: Vec<(NaiveDate, NaiveDate, &PublishedPart, &Publication)> = self
            .parts()
            .into_iter()
            .filter_map(|(part, publication)| {
                Some((
                    parse_day(&part.from).ok()?,
                    parse_day(&part.until).ok()?,
                    part,
                    publication,
                ))
            })
            .collect();
        // Grow the period over every part it cuts, to say what would fit.
        let (mut lo, mut hi) = (first, end);
        let mut cut: Option<(NaiveDate, NaiveDate, &Publication)> = None;
        loop {
            let grown = parts.iter().find(|(from, until, _, _)| {
                *from < hi && lo < *until && (*from < lo || *until > hi)
            });
            match grown {
                Some((from, until, _, publication)) => {
                    cut.get_or_insert((*from, *until, publication));
                    lo = lo.min(*from);
                    hi = hi.max(*until);
                }
                None => break,
            }
        }
        if let Some((from, until, earlier)) = cut {
            return Err(ValidationError::new(
                Field::Period,
                Problem::Overlaps(Box::new(Overlap {
                    value: days(first, end),
                    title: earlier.title.clone(),
                    days: days(from, until),
                    published: earlier.published_at.local_date().to_string(),
                    instead: days(lo, hi),
                })),
            )
            .into());
        }
        let mut pieces = Vec::new();
        let mut at = first;
        for (from, until, part, _) in &parts {
            if *from >= first && *until <= end {
                new_time(at, *from, &mut pieces);
                pieces.push(Piece::Published(part));
                at = *until;
            }
        }
        new_time(at, end, &mut pieces);
        Ok(pieces)
    }
}

/// New time from `first` up to `end`, cut at the turn of each month.
fn new_time(first: NaiveDate, end: NaiveDate, pieces: &mut Vec<Piece<'_>>) {
    let mut at = first;
    while at < end {
        let month = at.with_day(1).unwrap_or(at);
        let next = month
            .checked_add_months(Months::new(1))
            .map_or(end, |n| n.min(end));
        pieces.push(Piece::New {
            first: at,
            end: next,
        });
        at = next;
    }
}

/// Days as people read them: the first and the last, both included.
pub fn days(first: NaiveDate, end: NaiveDate) -> String {
    let last = end.pred_opt().unwrap_or(end);
    if last == first {
        first.to_string()
    } else {
        format!("{first} – {last}")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::codes::{DocKind, Role};
    use crate::ids::{OrganisationId, PublicationId, UserId, WorkspaceId};
    use crate::model::Reporter;
    use crate::time::Timestamp;

    fn day(text: &str) -> NaiveDate {
        parse_day(text).unwrap()
    }

    fn part(from: &str, until: &str) -> PublishedPart {
        PublishedPart {
            from: from.into(),
            until: until.into(),
            columns: Vec::new(),
            reports: Some(0),
            areas: Vec::new(),
            categories: Vec::new(),
        }
    }

    fn published(title: &str, parts: Vec<PublishedPart>, at: i64) -> Publication {
        Publication {
            kind: DocKind::Publication,
            id: PublicationId::new(),
            workspace: WorkspaceId::new(),
            title: title.into(),
            from: parts[0].from.clone(),
            until: parts[parts.len() - 1].until.clone(),
            sha256: String::new(),
            counts: 0,
            shown: 0,
            uses: parts.iter().map(PublishedPart::span).collect(),
            parts,
            published_by: Reporter {
                user: UserId::new(),
                name: "Samordnaren".into(),
                role: Role::Samordnare,
                organisation: OrganisationId::new(),
            },
            published_at: Timestamp::from_millis(at).unwrap(),
        }
    }

    fn spans(pieces: &[Piece<'_>]) -> Vec<String> {
        pieces
            .iter()
            .map(|p| match p {
                Piece::Published(p) => format!("published {}..{}", p.from, p.until),
                Piece::New { first, end } => format!("new {first}..{end}"),
            })
            .collect()
    }

    #[test]
    fn new_time_is_cut_at_the_turn_of_each_month() {
        let ledger = Ledger::default();
        let pieces = ledger.pieces(day("2026-10-15"), day("2026-12-10")).unwrap();
        assert_eq!(
            spans(&pieces),
            [
                "new 2026-10-15..2026-11-01",
                "new 2026-11-01..2026-12-01",
                "new 2026-12-01..2026-12-10"
            ]
        );
    }

    #[test]
    fn a_quarter_is_made_of_its_published_months_and_the_new_one() {
        let ledger = Ledger::new(vec![
            published("okt", vec![part("2026-10-01", "2026-11-01")], 1),
            published("nov", vec![part("2026-11-01", "2026-12-01")], 2),
        ]);
        let pieces = ledger.pieces(day("2026-10-01"), day("2027-01-01")).unwrap();
        assert_eq!(
            spans(&pieces),
            [
                "published 2026-10-01..2026-11-01",
                "published 2026-11-01..2026-12-01",
                "new 2026-12-01..2027-01-01"
            ]
        );
    }

    #[test]
    fn a_period_that_cuts_a_published_part_is_refused_with_what_to_publish_instead() {
        let ledger = Ledger::new(vec![published(
            "Lägesrapport november 2026",
            vec![part("2026-11-01", "2026-12-01")],
            1,
        )]);
        let refused = ledger
            .pieces(day("2026-11-02"), day("2026-12-01"))
            .unwrap_err()
            .to_string();
        assert!(refused.contains("Lägesrapport november 2026"), "{refused}");
        assert!(refused.contains("2026-11-01 – 2026-11-30"), "{refused}");
        // Across the turn of the month as well.
        let refused = ledger
            .pieces(day("2026-10-20"), day("2026-11-20"))
            .unwrap_err()
            .to_string();
        assert!(refused.contains("2026-10-20 – 2026-11-30"), "{refused}");
    }

    #[test]
    fn a_refusal_names_the_days_it_would_split_not_the_whole_earlier_report() {
        // Ten days of November published, with the end of October before them.
        let ledger = Ledger::new(vec![published(
            "Lägesrapport 2026-11-10 – 2026-11-19",
            vec![
                part("2026-10-31", "2026-11-01"),
                part("2026-11-01", "2026-11-10"),
                part("2026-11-10", "2026-11-20"),
            ],
            1,
        )]);
        let refused = ledger
            .pieces(day("2026-11-02"), day("2026-11-09"))
            .unwrap_err()
            .to_string();
        assert!(
            refused.contains("splits the days 2026-11-01 – 2026-11-09"),
            "{refused}"
        );
        assert!(
            refused.contains("Publish 2026-11-01 – 2026-11-09 instead"),
            "{refused}"
        );
    }

    #[test]
    fn of_two_overlapping_publications_the_earlier_stands() {
        let ledger = Ledger::new(vec![
            published("b", vec![part("2026-11-01", "2026-11-15")], 2),
            published("a", vec![part("2026-11-01", "2026-12-01")], 1),
        ]);
        let parts = ledger.parts();
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].1.title, "a");
    }
}
