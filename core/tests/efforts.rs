//! Citizen promises and activities on the device: the coordinator keeps them, bad input
//! is refused naming its field and stores nothing, the deployment group records its
//! reconsiderations, and the demo's six months follow up the way they were made: the
//! guards at the terminal worked, the night walks did nothing, the guards at Säby gård
//! only raised their own company's reports, the station grew worse, and the dialogue at
//! the beach is too new to tell.
#![allow(clippy::unwrap_used)]

mod common;

use common::{demo_store, now};
use lagesbild_core::effect::Verdict;
use lagesbild_core::store::{ActivityDraft, IndicatorDraft, PromiseDraft};
use lagesbild_core::{Error, IndicatorKind, Reconsideration, views};

fn draft(org: lagesbild_core::OrganisationId) -> ActivityDraft {
    ActivityDraft {
        title: "Väktare vid stationen".into(),
        purpose: "Färre grupperingar".into(),
        goal: "25 % färre rapporter".into(),
        places: vec!["Rönninge station".into()],
        from: "2026-10-05".into(),
        to: Some("2026-12-31".into()),
        weekdays: vec![5, 6],
        from_time: Some("19:00".into()),
        to_time: Some("23:00".into()),
        responsible: Some(org),
        responsible_person: "Lisa Ek".into(),
        promise: None,
        indicators: vec![IndicatorDraft::new(IndicatorKind::Reports, "−25 %")],
        comparison: vec![],
        neighbour_metres: None,
    }
}

fn field_of(e: Error) -> String {
    match e {
        Error::Invalid(v) => v.field.name().to_string(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[test]
fn bad_activities_are_refused_naming_the_field_and_nothing_is_stored() {
    let (mut store, demo, _) = demo_store(0);
    let org = demo.organisations[4].id;
    let cases: Vec<(&str, ActivityDraft)> = vec![
        (
            "places",
            ActivityDraft {
                places: vec![],
                ..draft(org)
            },
        ),
        ("baseline", {
            let mut d = draft(org);
            d.indicators[0].baseline_from = Some("2026-W40".into());
            d.indicators[0].baseline_to = Some("2026-W45".into());
            d
        }),
        ("target", {
            let mut d = draft(org);
            d.indicators[0].target = "mycket färre".into();
            d
        }),
        (
            "comparison",
            ActivityDraft {
                comparison: vec!["Rönninge station".into()],
                ..draft(org)
            },
        ),
        (
            "comparison",
            ActivityDraft {
                places: vec!["Rönninge".into()],
                comparison: vec!["Rönninge centrum".into()],
                ..draft(org)
            },
        ),
        (
            "period",
            ActivityDraft {
                from: "5 oktober".into(),
                ..draft(org)
            },
        ),
        (
            "indicators",
            ActivityDraft {
                indicators: vec![],
                ..draft(org)
            },
        ),
        (
            "places",
            ActivityDraft {
                places: vec!["Månbasen".into()],
                ..draft(org)
            },
        ),
    ];
    for (field, bad) in cases {
        let refused = store.add_activity(&bad, now()).unwrap_err();
        assert_eq!(field_of(refused), field, "{bad:?}");
    }
    assert!(store.activities().unwrap().is_empty(), "nothing was stored");
    let made = store.add_activity(&draft(org), now()).unwrap();
    assert_eq!(made.indicators[0].target, -0.25);
    assert_eq!(
        made.indicators[0].baseline_from, "2026-W29",
        "12 weeks before W41"
    );
    assert_eq!(made.indicators[0].baseline_to, "2026-W40");
    assert_eq!(store.activities().unwrap(), vec![made]);
}

#[test]
fn only_the_coordinator_keeps_promises_and_activities_and_the_group_reconsiders() {
    let (mut coordinator, demo, _) = demo_store(0);
    let org = demo.organisations[4].id;
    let promise = coordinator
        .add_promise(
            &PromiseDraft {
                title: "Trygg station".into(),
                text: "Vi lovar".into(),
                from: "2026-01-01".into(),
                to: None,
                signed_by: vec!["Polischefen".into()],
                areas: vec!["Rönninge".into()],
            },
            now(),
        )
        .unwrap();
    assert_eq!(promise.to, "2027-12-31", "two years by default");
    let activity = coordinator
        .add_activity(
            &ActivityDraft {
                promise: Some(promise.id),
                ..draft(org)
            },
            now(),
        )
        .unwrap();
    for person in [1, 3, 4] {
        let mut other = common::second_store(&demo, person);
        assert!(matches!(
            other.add_activity(&draft(org), now()),
            Err(Error::Forbidden(_))
        ));
    }
    let reconsidered = coordinator
        .reconsider(
            activity.id,
            Reconsideration::Andras,
            "Flytta till lördagar",
            None,
            now(),
        )
        .unwrap();
    assert_eq!(reconsidered.reconsiderations.len(), 1);
    assert_eq!(
        reconsidered.reconsiderations[0].reason,
        "Flytta till lördagar"
    );
    assert_eq!(
        field_of(
            coordinator
                .reconsider(activity.id, Reconsideration::Fortsatt, "  ", None, now())
                .unwrap_err()
        ),
        "reconsideration"
    );
    let edited = coordinator
        .edit_activity(
            activity.id,
            &ActivityDraft {
                title: "Väktare vid stationen, lördagar".into(),
                ..draft(org)
            },
            now(),
        )
        .unwrap();
    assert_eq!(edited.title, "Väktare vid stationen, lördagar");
    assert_eq!(
        edited.reconsiderations, reconsidered.reconsiderations,
        "history stays"
    );
}

#[test]
fn the_demo_shows_an_effort_that_worked_one_that_did_nothing_and_the_reporting_trap() {
    // Whatever the day and hour the demo is made.
    for hours in [0, 30, 61, 100, 131, 150, 170, 24 * 7 * 5 + 13] {
        let now =
            lagesbild_core::Timestamp::from_millis(now().millis() + hours * 3_600_000).unwrap();
        the_demo_at(now);
    }
}

fn the_demo_at(now: lagesbild_core::Timestamp) {
    let (mut store, demo, identity) = demo_store(0);
    // As the server's demo has it: six weeks of the lägesbild's reports on top.
    store
        .record_many(identity.workspace, &demo.reports(300, 6, now, 48), now)
        .unwrap();
    demo.efforts(&mut store, now).unwrap();
    let efforts = views::efforts(&store, now).unwrap();
    assert_eq!(efforts.promises.len(), 2);
    assert_eq!(efforts.activities.len(), 5);
    let verdict = |title: &str| {
        let a = efforts
            .activities
            .iter()
            .find(|a| a.activity.title.starts_with(title))
            .unwrap();
        let effect = a.follow_up.effect.as_ref().unwrap();
        (effect.treated.verdict.clone(), a)
    };
    let (terminal, view) = verdict("Väktare vid bussterminalen");
    assert_eq!(terminal, Verdict::TydligMinskning, "{now}: {view:#?}");
    assert!(view.excluded.iter().any(|o| o.contains("Centrumvakterna")));
    let (walks, view) = verdict("Nattvandring");
    assert!(
        matches!(walks, Verdict::IngenSakerSkillnad { .. }),
        "{now}: {view:#?}"
    );
    assert!(
        view.follow_up
            .reconsider
            .iter()
            .any(|r| r.contains("perioden är slut")),
        "{:?}",
        view.follow_up.reconsider
    );
    let (saby, view) = verdict("Kommunvakt");
    assert!(
        matches!(saby, Verdict::IngenSakerSkillnad { .. }),
        "{now}: {view:#?}"
    );
    let (station, view) = verdict("Fältare vid Rönninge");
    assert_eq!(station, Verdict::TydligOkning, "{now}: {view:#?}");
    assert!(!view.follow_up.reconsider.is_empty());
    let (beach, view) = verdict("Dialog");
    assert!(
        matches!(beach, Verdict::ForLiteUnderlag { .. }),
        "{now}: {view:#?}"
    );
}

/// "Att ompröva" on the meeting's agenda: the activities whose målvisare is red, whose
/// effect is a clear increase, or that still show no clear difference after their
/// period; once the meeting decides, the decision stays on the week's agenda with its
/// reason and the activity keeps it.
#[test]
fn the_agenda_brings_up_what_to_reconsider_and_keeps_what_the_meeting_decided() {
    let (mut store, demo, _) = demo_store(0);
    demo.efforts(&mut store, now()).unwrap();
    let week = now().week();
    let agenda = views::agenda(&store, week, now()).unwrap();
    let titles: Vec<&str> = agenda
        .to_reconsider
        .iter()
        .map(|r| r.title.as_str())
        .collect();
    assert!(
        titles.iter().any(|t| t.starts_with("Fältare vid Rönninge")),
        "{titles:?}"
    );
    assert!(
        titles.iter().any(|t| t.starts_with("Nattvandring")),
        "{titles:?}"
    );
    assert!(
        !titles
            .iter()
            .any(|t| t.starts_with("Väktare vid bussterminalen")),
        "{titles:?}"
    );
    let station = agenda
        .to_reconsider
        .iter()
        .find(|r| r.title.starts_with("Fältare"))
        .unwrap();
    assert!(
        station.reasons.iter().any(|r| r.contains("tydlig ökning")),
        "{station:?}"
    );
    store
        .reconsider(
            station.activity,
            Reconsideration::Avslutas,
            "Fler rapporter trots fältarna; polisen tar över fredagarna",
            None,
            now(),
        )
        .unwrap();
    let after = views::agenda(&store, week, now()).unwrap();
    let decided = after
        .to_reconsider
        .iter()
        .find(|r| r.activity == station.activity)
        .unwrap();
    assert!(decided.reasons.is_empty(), "decided: {decided:?}");
    assert_eq!(decided.reconsidered[0].outcome, Reconsideration::Avslutas);
    assert!(decided.reconsidered[0].reason.contains("polisen tar över"));
    let view = views::activity(&store, station.activity, now()).unwrap();
    assert_eq!(
        view.follow_up.status,
        lagesbild_core::effect::follow_up::ActivityStatus::Avslutad
    );
}

/// The lägesrapport carries every activity: status, målvisare, the verdict with its
/// interval and the period's reconsiderations; the politicians' version the same
/// without counts or names, and without the reason a verdict of too little data gives
/// (it names counts).
#[test]
fn the_report_and_the_politicians_version_carry_the_activities() {
    let (mut store, demo, identity) = demo_store(0);
    store
        .record_many(identity.workspace, &demo.reports(300, 6, now(), 48), now())
        .unwrap();
    demo.efforts(&mut store, now()).unwrap();
    let terminal = store
        .activities()
        .unwrap()
        .into_iter()
        .find(|a| a.title.starts_with("Väktare vid bussterminalen"))
        .unwrap();
    store
        .reconsider(
            terminal.id,
            Reconsideration::Fortsatt,
            "Det fungerar",
            None,
            now(),
        )
        .unwrap();
    let (from, until) = ("2026-11-01", "2026-12-01");
    let report = views::period_report(&store, from, until, now()).unwrap();
    assert_eq!(report.efforts.len(), 5);
    let line = report
        .efforts
        .iter()
        .find(|e| e.activity == terminal.title)
        .unwrap();
    assert_eq!(line.verdict, Some(Verdict::TydligMinskning));
    assert!(line.counts.is_some());
    assert_eq!(line.reconsiderations.len(), 1, "only the period's");
    let html = report.html(lagesbild_core::Lang::Sv);
    assert!(html.contains("Medborgarlöften och insatser"), "{html}");
    assert!(html.contains("tydlig minskning"));
    assert!(html.contains("Det fungerar"));
    let csv = report.csv(lagesbild_core::Lang::Sv);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let widths: std::collections::BTreeSet<usize> =
        reader.records().map(|r| r.unwrap().len()).collect();
    assert_eq!(widths.len(), 1, "every row as wide as the header");
    assert_eq!(csv.lines().filter(|l| l.starts_with("effort,")).count(), 5);

    // Published once the month has ended.
    let politicians =
        views::politicians_report(&store, from, until, common::at("2026-12-02T12:00:00Z")).unwrap();
    let published = politicians
        .efforts
        .iter()
        .find(|e| e.activity == terminal.title)
        .unwrap();
    assert_eq!(published.verdict, Some(Verdict::TydligMinskning));
    assert!(published.change.unwrap().high < 0.0);
    let beach = politicians
        .efforts
        .iter()
        .find(|e| e.activity.starts_with("Dialog"))
        .unwrap();
    assert_eq!(
        beach.verdict,
        Some(Verdict::ForLiteUnderlag { why: String::new() })
    );
    let json = serde_json::to_string(&politicians).unwrap();
    assert!(!json.contains("\"counts\""), "no counts of an activity");
    let coordinator = &demo.people[0].name;
    let html = politicians.html(lagesbild_core::Lang::Sv);
    assert!(!html.contains(coordinator.as_str()), "no names of people");
    assert!(html.contains("tydlig minskning"));
}

/// Weeks are counted across a new year: an activity that starts in January has its
/// baseline in the autumn before, week after week with none skipped, and its first
/// week is where the effect starts.
#[test]
fn an_activity_over_a_new_year_counts_its_weeks_without_a_gap() {
    let (mut store, demo, identity) = demo_store(0);
    let treated = "Salems centrum, bussterminalen";
    let others: Vec<String> = demo
        .places
        .iter()
        .filter(|p| {
            p.area.is_some() && !p.name.contains("Salems centrum") && p.name != "Salemhallen"
        })
        .map(|p| p.name.clone())
        .collect();
    let police = demo.people[3].clone();
    let first = chrono::NaiveDate::from_isoywd_opt(2026, 40, chrono::Weekday::Wed).unwrap();
    let mut batch = Vec::new();
    for week in 0..22i64 {
        let day = first + chrono::Duration::weeks(week);
        let at = lagesbild_core::time::local_midnight(day);
        let at = lagesbild_core::Timestamp::from_millis(at.millis() + 20 * 3_600_000).unwrap();
        // Six a week at the terminal, two from 2027-W02; five a week elsewhere.
        let here = if day >= chrono::NaiveDate::from_ymd_opt(2027, 1, 11).unwrap() {
            2
        } else {
            6
        };
        for (place, n) in std::iter::once((treated.to_string(), here))
            .chain(others.iter().map(|o| (o.clone(), 5)))
        {
            for _ in 0..n {
                let draft = lagesbild_core::ObservationDraft {
                    observed_at: Some(at.0.to_rfc3339()),
                    ..common::draft(&place, "brak", 2)
                };
                batch.push((police.clone(), draft));
            }
        }
    }
    let later = common::at("2027-02-25T12:00:00Z");
    store
        .record_many(identity.workspace, &batch, later)
        .unwrap();
    let activity = store
        .add_activity(
            &ActivityDraft {
                places: vec![treated.into()],
                from: "2027-01-11".into(),
                to: None,
                ..draft(demo.organisations[4].id)
            },
            later,
        )
        .unwrap();
    // 2026 has 53 ISO weeks.
    assert_eq!(activity.indicators[0].baseline_from, "2026-W43");
    let view = views::activity(&store, activity.id, later).unwrap();
    let f = &view.follow_up;
    assert_eq!(f.weeks.len(), 19, "2026-W43 … 2027-W08: {:?}", f.weeks);
    assert_eq!(f.start, 12, "2027-W02 is the 13th week");
    let weekly: Vec<f64> = f.indicators[0].weekly.iter().map(|v| v.unwrap()).collect();
    assert_eq!(&weekly[..12], &[6.0; 12]);
    assert_eq!(&weekly[12..], &[2.0; 7]);
    let effect = f.effect.as_ref().unwrap();
    assert_eq!(effect.treated.counts.before, 72);
    assert_eq!(
        effect.treated.verdict,
        Verdict::TydligMinskning,
        "{effect:?}"
    );
}

/// The weekly counts the effects read are kept by the store as reports come, change
/// and go: an indicator over every category (read from the counts) and one naming every
/// category (read from the reports) agree after edits of grade and place and an
/// erasure.
#[test]
fn the_weekly_counts_follow_every_change_of_the_reports() {
    let (mut store, demo, identity) = demo_store(0);
    store
        .record_many(identity.workspace, &demo.reports(400, 20, now(), 3), now())
        .unwrap();
    let rows = store.list(&lagesbild_core::ListQuery::default()).unwrap();
    for (i, row) in rows.iter().take(30).enumerate() {
        let patch = lagesbild_core::ObservationPatch {
            grade: Some(1 + (i as i64 % 5)),
            place: (i % 3 == 0).then(|| "Säby gård".to_string()),
            ..Default::default()
        };
        store.edit(row.id, &patch, now()).unwrap();
    }
    for row in rows.iter().skip(30).take(5) {
        store.erase_local(row.id.as_uuid()).unwrap();
    }
    let every_key: Vec<String> = store
        .categories(identity.workspace)
        .unwrap()
        .into_iter()
        .map(|c| c.key)
        .collect();
    let mut plain = draft(demo.organisations[4].id);
    plain.places = vec!["Säby".into()];
    plain.from = "2026-11-02".into();
    plain.indicators[0].counts_deployed = true;
    for kind in [
        IndicatorKind::Reports,
        IndicatorKind::SevereWeeks,
        IndicatorKind::MeanGrade,
    ] {
        plain.indicators.push(IndicatorDraft {
            kind,
            ..plain.indicators[0].clone()
        });
    }
    let mut named = plain.clone();
    for i in &mut named.indicators {
        i.categories = every_key.clone();
    }
    let a = store.add_activity(&plain, now()).unwrap();
    let b = store.add_activity(&named, now()).unwrap();
    let (a, b) = (
        views::activity(&store, a.id, now()).unwrap(),
        views::activity(&store, b.id, now()).unwrap(),
    );
    for (x, y) in a.follow_up.indicators.iter().zip(&b.follow_up.indicators) {
        assert_eq!(x.weekly, y.weekly, "{:?}", x.spec.kind);
    }
    assert!(
        a.follow_up.indicators[0]
            .weekly
            .iter()
            .flatten()
            .sum::<f64>()
            > 0.0
    );
}

/// A comparison place the coordinator chose that has since become another activity's
/// place is no comparison any more; with fewer than four left, the estimate says so.
#[test]
fn chosen_comparisons_that_another_activity_took_are_dropped() {
    let (mut store, demo, _) = demo_store(0);
    demo.efforts(&mut store, now()).unwrap();
    let org = demo.organisations[4].id;
    let mut chosen = draft(org);
    chosen.places = vec!["Söderby torg".into()];
    chosen.from = "2026-10-05".into();
    chosen.comparison = vec![
        "Nytorps centrum".into(),
        "Rönninge station".into(),
        "Säby gård".into(),
        "Söderby park".into(),
    ];
    let made = store.add_activity(&chosen, now()).unwrap();
    let view = views::activity(&store, made.id, now()).unwrap();
    assert!(
        !view
            .comparison
            .iter()
            .any(|c| c == "Rönninge station" || c == "Säby gård"),
        "{:?}",
        view.comparison
    );
    let effect = view.follow_up.effect.unwrap();
    assert!(
        matches!(&effect.treated.verdict, Verdict::ForLiteUnderlag { why } if why.contains("jämförelseplatser")),
        "{:?}",
        effect.treated.verdict
    );
}
