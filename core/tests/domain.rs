//! The weekly lägesbild, the agenda, the period report and the politicians' version as
//! functions of plain rows: no store, no SQLite. What the store counts is written here
//! by hand, so each rule is seen with the numbers it works on.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;

use common::at;
use lagesbild_core::agenda::{self, AgendaInput, AgendaReason, WeekPoint};
use lagesbild_core::lagesbild::{self, CurrentCount, LinkedCount, PreviousCount, WeekCounts};
use lagesbild_core::report::{self, PeriodInput, Reported, Span};
use lagesbild_core::{
    Decision, DecisionStatus, Grade, IsoWeek, ObservationFilter, Organisation, OrganisationId,
    OrganisationKind, Place, PlaceId, Timestamp, WorkspaceId,
};

struct Register {
    workspace: WorkspaceId,
    area: Place,
    station: Place,
    hall: Place,
    /// Merged into the station.
    platform: Place,
    police: Organisation,
    guards: Organisation,
}

fn register() -> Register {
    let workspace = WorkspaceId::new();
    let area = Place::new(workspace, "Centrum", true, None, 59.2, 17.7);
    let station = Place::new(workspace, "Stationen", false, Some(area.id), 59.2, 17.7);
    let hall = Place::new(workspace, "Sporthallen", false, None, 59.1, 17.6);
    let mut platform = Place::new(workspace, "Perrongen", false, Some(area.id), 59.2, 17.7);
    platform.merged_into = Some(station.id);
    let organisation = |name: &str, kind| Organisation {
        id: OrganisationId::new(),
        workspace,
        name: name.into(),
        kind,
    };
    Register {
        workspace,
        police: organisation("Polisen", OrganisationKind::Polis),
        guards: organisation("Väktarbolaget", OrganisationKind::Vaktbolag),
        area,
        station,
        hall,
        platform,
    }
}

impl Register {
    fn places(&self) -> Vec<Place> {
        [&self.area, &self.station, &self.hall, &self.platform]
            .into_iter()
            .cloned()
            .collect()
    }

    fn organisations(&self) -> Vec<Organisation> {
        vec![self.police.clone(), self.guards.clone()]
    }
}

fn week(key: i64) -> IsoWeek {
    IsoWeek::from_key(key).unwrap()
}

fn current(place: PlaceId, grade: i64, category: &str, by: &Organisation, n: u32) -> CurrentCount {
    CurrentCount {
        place,
        grade: Grade::new(grade).unwrap(),
        category: category.into(),
        organisation: by.id,
        reports: n,
    }
}

#[test]
fn the_lagesbild_counts_merged_places_where_they_went_rolls_up_areas_and_counts_events_once() {
    let r = register();
    let this = week(202648);
    let counts = WeekCounts {
        current: vec![
            current(r.station.id, 3, "ordning", &r.police, 2),
            current(r.platform.id, 5, "vald", &r.guards, 1),
            current(r.hall.id, 1, "skadegorelse", &r.guards, 4),
        ],
        // Three of the hall's reports are one event.
        linked: vec![LinkedCount {
            place: r.hall.id,
            linked: 3,
            events: 1,
        }],
        previous: vec![
            PreviousCount {
                place: r.station.id,
                week: week(202647),
                reports: 1,
                highest: Grade::new(2).unwrap(),
            },
            // A week the trend does not look at.
            PreviousCount {
                place: r.station.id,
                week: week(202640),
                reports: 9,
                highest: Grade::new(5).unwrap(),
            },
        ],
    };
    let picture = lagesbild::build(
        r.workspace,
        this,
        &ObservationFilter::default(),
        (&r.places(), &r.organisations()),
        &counts,
        true,
    );
    let by_name: HashMap<&str, &lagesbild::Summary> = picture
        .places
        .iter()
        .map(|s| (s.name.as_str(), s))
        .collect();
    assert_eq!(by_name.len(), 2, "the platform is counted at the station");
    let station = by_name["Stationen"];
    assert_eq!(station.reports, 3);
    assert_eq!(station.highest, Grade::new(5).ok());
    assert_eq!(station.previous, [1, 0, 0, 0]);
    assert_eq!(station.grades, [0, 0, 2, 0, 1]);
    assert_eq!(station.categories["vald"], 1);
    let hall = by_name["Sporthallen"];
    assert_eq!(
        (hall.reports, hall.events),
        (4, 2),
        "three linked are one event"
    );
    assert_eq!(picture.areas.len(), 1);
    assert_eq!(picture.areas[0].name, "Centrum");
    assert_eq!(picture.areas[0].reports, 3);
    assert_eq!(
        picture.total_reports, 7,
        "the area's and the hall's, outside every area"
    );
    assert_eq!(
        picture.places[0].name, "Stationen",
        "the most serious place first"
    );
    assert!(picture.complete);
}

fn decision(r: &Register, place: &Place, at: Timestamp, status: DecisionStatus) -> Decision {
    serde_json::from_value(serde_json::json!({
        "kind": "decision",
        "id": uuid::Uuid::now_v7(),
        "workspace": r.workspace,
        "meeting": null,
        "place": place.id,
        "deployees": ["vaktare"],
        "schedule": { "days": ["fre", "lor"], "from": "21:00", "to": "02:00" },
        "why": "Oro vid stationen kvällstid",
        "responsible": r.guards.id,
        "status": status,
        "history": [],
        "created_by": {
            "user": uuid::Uuid::now_v7(),
            "name": "Samira Lind",
            "role": "samordnare",
            "organisation": r.police.id
        },
        "created_at": at
    }))
    .unwrap()
}

/// A place's weeks as the store would count them, from a table of week → reports.
fn series(
    table: HashMap<(PlaceId, i64), u32>,
) -> impl FnMut(PlaceId, IsoWeek, IsoWeek) -> lagesbild_core::Result<Vec<WeekPoint>> {
    move |place, first, last| {
        let mut out = Vec::new();
        let mut w = first;
        while w.key() <= last.key() {
            let reports = table.get(&(place, w.key())).copied().unwrap_or(0);
            out.push(WeekPoint {
                week: w,
                reports,
                highest: (reports > 0).then(|| Grade::new(3).unwrap()),
            });
            w = w.minus(-1);
        }
        Ok(out)
    }
}

#[test]
fn the_agenda_lists_new_places_and_follows_decisions_up_with_their_before_and_after() {
    let r = register();
    let this = week(202648);
    let counts = WeekCounts {
        current: vec![current(r.hall.id, 4, "vald", &r.police, 2)],
        ..WeekCounts::default()
    };
    let places = r.places();
    let organisations = r.organisations();
    let picture = lagesbild::build(
        r.workspace,
        this,
        &ObservationFilter::default(),
        (&places, &organisations),
        &counts,
        true,
    );
    // Decided in week 46 at the station; one followed up in week 45 is done with.
    let decided = decision(
        &r,
        &r.station,
        at("2026-11-11T10:00:00Z"),
        DecisionStatus::Genomford,
    );
    let mut done = decision(
        &r,
        &r.hall,
        at("2026-10-28T10:00:00Z"),
        DecisionStatus::Uppfoljd,
    );
    done.history = vec![
        serde_json::from_value(serde_json::json!({
            "id": uuid::Uuid::now_v7(),
            "status": "uppfoljd",
            "note": "Lugnt",
            "by": serde_json::to_value(&decided.created_by).unwrap(),
            "at": at("2026-11-04T10:00:00Z"),
        }))
        .unwrap(),
    ];
    let table = HashMap::from([
        ((r.station.id, 202645), 6),
        ((r.station.id, 202646), 4),
        ((r.station.id, 202647), 1),
        ((r.station.id, 202648), 0),
    ]);
    let agenda = agenda::build(
        AgendaInput {
            week: this,
            picture: &picture,
            places: &places,
            organisations: &organisations,
            decisions: vec![decided.clone(), done],
            assessments: vec![],
            meetings: vec![],
        },
        &mut series(table),
    )
    .unwrap();
    assert_eq!(agenda.items.len(), 1);
    assert_eq!(agenda.items[0].reason, AgendaReason::New);
    assert_eq!(agenda.items[0].summary.name, "Sporthallen");
    assert_eq!(
        agenda.follow_ups.len(),
        1,
        "the one followed up earlier is done"
    );
    let follow_up = &agenda.follow_ups[0];
    assert_eq!(follow_up.place_name, "Stationen");
    assert_eq!(follow_up.responsible_name, "Väktarbolaget");
    let before: Vec<u32> = follow_up.before.iter().map(|p| p.reports).collect();
    let after: Vec<u32> = follow_up.after.iter().map(|p| p.reports).collect();
    assert_eq!(before, [0, 0, 6, 4], "four weeks up to the decision's");
    assert_eq!(after, [1, 0], "and the weeks after, up to this one");
    assert!(agenda.decisions.is_empty(), "none was made this week");
    let areas: Vec<&str> = agenda.areas.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(areas, ["Centrum"]);
}

fn reported(place: PlaceId, category: &str, week: i64, grade: i64, current: bool) -> Reported {
    Reported {
        place,
        category: category.into(),
        week,
        grade: Grade::new(grade).unwrap(),
        event: uuid::Uuid::now_v7().as_bytes().to_vec(),
        current,
    }
}

#[test]
fn the_period_report_counts_areas_and_categories_against_the_period_before() {
    let r = register();
    let span = Span::of("2026-11-01", "2026-12-01").unwrap();
    assert_eq!(
        span.previous(),
        Span::of("2026-10-01", "2026-11-01").unwrap()
    );
    let mut reports = vec![
        reported(r.station.id, "ordning", 202645, 2, true),
        reported(r.platform.id, "vald", 202646, 5, true),
        reported(r.hall.id, "ordning", 202646, 1, true),
        reported(r.hall.id, "ordning", 202642, 1, false),
    ];
    // Two reports of one event.
    let mut linked = reported(r.hall.id, "ordning", 202646, 1, true);
    linked.event = reports[2].event.clone();
    reports.push(linked);
    let decided = decision(
        &r,
        &r.station,
        at("2026-11-11T10:00:00Z"),
        DecisionStatus::Planerad,
    );
    let outside = decision(
        &r,
        &r.hall,
        at("2026-10-11T10:00:00Z"),
        DecisionStatus::Planerad,
    );
    let table = HashMap::from([((r.station.id, 202646), 2), ((r.station.id, 202647), 1)]);
    let input = PeriodInput {
        workspace_name: "Salem".into(),
        places: &r.places(),
        categories: &[],
        organisations: &r.organisations(),
        decisions: vec![decided, outside],
        reports,
    };
    let now = at("2026-12-02T08:00:00Z");
    let period = report::build(&span, input, &mut series(table), now).unwrap();
    assert_eq!(
        (period.reports, period.events, period.previous_reports),
        (4, 3, 1)
    );
    let areas: Vec<(&str, u32, u32)> = period
        .areas
        .iter()
        .map(|a| (a.name.as_str(), a.reports, a.previous_reports))
        .collect();
    assert_eq!(areas, [("Centrum", 2, 0), ("Sporthallen", 2, 1)]);
    let ordning = period
        .categories
        .iter()
        .find(|c| c.key == "ordning")
        .unwrap();
    assert_eq!(ordning.reports, 3);
    assert_eq!(period.weeks.first().map(|w| w.key()), Some(202644));
    assert_eq!(period.decisions.len(), 1, "only the period's decisions");
    let after: Vec<u32> = period.decisions[0]
        .after
        .iter()
        .map(|p| p.reports)
        .collect();
    assert_eq!(
        after,
        [1, 0, 0],
        "weeks 47 to 49, the last the period touches"
    );

    // The politicians' version hides the small counts, here and in the period before.
    let before = report::build(
        &span.previous(),
        PeriodInput {
            workspace_name: "Salem".into(),
            places: &r.places(),
            categories: &[],
            organisations: &r.organisations(),
            decisions: vec![],
            reports: vec![],
        },
        &mut series(HashMap::new()),
        now,
    )
    .unwrap();
    let unprotected = serde_json::to_string(&period).unwrap();
    assert!(unprotected.contains("\"reports\":2,"), "{unprotected}");
    let published = report::politicians::assemble(
        &period,
        vec![period.published_part()],
        Some(vec![before.published_part()]),
        (before.from.clone(), before.until.clone()),
    );
    let published = serde_json::to_string(&published).unwrap();
    for small in ["\"reports\":1,", "\"reports\":2,"] {
        assert!(!published.contains(small), "{small} published: {published}");
    }
}
