//! The `lagesbild` binary, driven as a script would drive it.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

const NOW: &str = "2026-11-25T11:00:00Z";

fn lagesbild(store: &Path, args: &[&str]) -> Output {
    lagesbild_at(store, NOW, args)
}

/// As `lagesbild`, at another moment.
fn lagesbild_at(store: &Path, now: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lagesbild"))
        .arg("--store")
        .arg(store)
        .args(args)
        .env("LAGESBILD_NOW", now)
        .env_remove("LAGESBILD_LANG")
        .output()
        .unwrap()
}

fn ok(store: &Path, args: &[&str]) -> String {
    let out = lagesbild(store, args);
    assert!(
        out.status.success(),
        "lagesbild {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn json(store: &Path, args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&ok(store, args)).unwrap()
}

fn new_store() -> tempfile::TempDir {
    new_store_as("Jonas Berg", "fritidsfaltare")
}

fn new_store_as(name: &str, role: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    ok(
        dir.path(),
        &[
            "init",
            "--name",
            name,
            "--organisation",
            "Fältgruppen",
            "--role",
            role,
        ],
    );
    ok(
        dir.path(),
        &[
            "places",
            "add",
            "Rönninge",
            "--lat",
            "59.193",
            "--lon",
            "17.750",
            "--is-area",
        ],
    );
    ok(
        dir.path(),
        &[
            "places",
            "add",
            "Rönninge station",
            "--lat",
            "59.1934",
            "--lon",
            "17.7508",
            "--area",
            "Rönninge",
        ],
    );
    dir
}

#[test]
fn record_list_note_and_show_from_the_command_line() {
    let dir = new_store();
    let store = dir.path();
    let id = ok(
        store,
        &[
            "record",
            "-c",
            "grupperingar",
            "-p",
            "Rönninge station",
            "-g",
            "3",
            "--at",
            "2026-11-24 21:30",
            "--people",
            "12",
            "-d",
            "Grupp vid perrongen",
        ],
    );
    let id = id.trim();
    let listed = json(store, &["list", "--json"]);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["id"], id);
    assert_eq!(listed[0]["grade"], 3);
    assert_eq!(listed[0]["place_name"], "Rönninge station");

    ok(store, &["note", id, "Lugnt igen 22:15"]);
    ok(store, &["edit", id, "--grade", "4"]);
    let shown = json(store, &["show", id, "--json"]);
    assert_eq!(shown["grade"], 4);
    assert_eq!(shown["notes"][0]["text"], "Lugnt igen 22:15");
    let text = ok(store, &["show", id]);
    assert!(
        text.contains("4 allvarligt") && text.contains("Lugnt igen 22:15"),
        "{text}"
    );
    let english = ok(store, &["--lang", "en", "show", id]);
    assert!(english.contains("4 serious"), "{english}");
}

#[test]
fn the_week_shows_the_lagesbild_as_text_and_json() {
    let dir = new_store();
    let store = dir.path();
    for grade in ["2", "5"] {
        ok(
            store,
            &[
                "record",
                "-c",
                "klotter",
                "-p",
                "Rönninge station",
                "-g",
                grade,
                "--at",
                "2026-11-24 20:00",
            ],
        );
    }
    let picture = json(store, &["week", "2026-W48", "--json"]);
    assert_eq!(picture["total_reports"], 2);
    assert_eq!(picture["places"][0]["name"], "Rönninge station");
    assert_eq!(picture["places"][0]["highest"], 5);
    assert_eq!(picture["areas"][0]["name"], "Rönninge");
    let filtered = json(store, &["week", "2026-W48", "--min-grade", "4", "--json"]);
    assert_eq!(filtered["total_reports"], 1);
    let text = ok(store, &["week"]);
    assert!(
        text.contains("Lägesbild 2026-W48") && text.contains("5 kritiskt läge"),
        "{text}"
    );
}

#[test]
fn bad_input_exits_with_the_field_named_and_stores_nothing() {
    let dir = new_store();
    let store = dir.path();
    let out = lagesbild(
        store,
        &[
            "record",
            "-c",
            "klotter",
            "-p",
            "Rönninge station",
            "-g",
            "6",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let message = String::from_utf8_lossy(&out.stderr);
    assert!(message.contains("grade"), "{message}");

    let out = lagesbild(
        store,
        &[
            "record",
            "-c",
            "klotter",
            "-p",
            "Rönninge station",
            "-g",
            "2",
            "-d",
            "Kille 050612-1234",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(3),
        "a personnummer needs confirmation"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("--confirm-personnummer"));
    assert_eq!(
        json(store, &["list", "--json"]).as_array().unwrap().len(),
        0
    );
}

#[test]
fn csv_export_and_import_round_trip() {
    let dir = new_store();
    let store = dir.path();
    ok(
        store,
        &[
            "record",
            "-c",
            "alkohol",
            "-p",
            "Rönninge station",
            "-g",
            "2",
            "--at",
            "2026-11-23 22:00",
            "-d",
            "Flaskor, glas; skräp",
        ],
    );
    let csv_path = dir.path().join("export.csv");
    ok(
        store,
        &["export", "csv", "--out", csv_path.to_str().unwrap()],
    );
    let geojson = json(store, &["export", "geojson"]);
    assert_eq!(geojson["features"].as_array().unwrap().len(), 1);

    let other = new_store();
    let imported = ok(other.path(), &["import", csv_path.to_str().unwrap()]);
    assert!(imported.contains("imported 1"), "{imported}");
    let rows = json(other.path(), &["list", "--json"]);
    assert_eq!(rows[0]["description"], "Flaskor, glas; skräp");
    assert_eq!(rows[0]["observed_at"], "2026-11-23T21:00:00.000Z");
}

#[test]
fn commands_without_a_store_say_how_to_make_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = lagesbild(dir.path(), &["list"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("lagesbild init"));
}

#[test]
fn the_period_report_for_the_board_and_for_politicians() {
    // The coordinator publishes the version for politicians.
    let dir = new_store_as("Samira Lind", "samordnare");
    let store = dir.path();
    ok(
        store,
        &[
            "places",
            "add",
            "Salems centrum",
            "--lat",
            "59.201",
            "--lon",
            "17.770",
            "--is-area",
        ],
    );
    ok(
        store,
        &[
            "places",
            "add",
            "Salems centrum, torget",
            "--lat",
            "59.2012",
            "--lon",
            "17.7705",
            "--area",
            "Salems centrum",
        ],
    );
    let record = |place: &str, grade: &str, at: &str| {
        ok(
            store,
            &[
                "record", "-c", "klotter", "-p", place, "-g", grade, "--at", at,
            ],
        );
    };
    // November: Rönninge 5, Salems centrum 2; October: 4 at Rönninge.
    for day in 2..7 {
        record("Rönninge station", "2", &format!("2026-11-0{day} 20:00"));
    }
    record("Salems centrum, torget", "4", "2026-11-10 21:00");
    record("Salems centrum, torget", "4", "2026-11-11 21:00");
    for day in 10..14 {
        record("Rönninge station", "3", &format!("2026-10-{day} 20:00"));
    }

    let full = json(store, &["report", "--month", "2026-11", "--json"]);
    assert_eq!(full["from"], "2026-11-01");
    assert_eq!(full["until"], "2026-12-01");
    assert_eq!(full["reports"], 7);
    assert_eq!(full["previous_reports"], 4);
    let salem = full["areas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "Salems centrum")
        .unwrap();
    assert_eq!(salem["reports"], 2);
    assert_eq!(salem["highest"], 4);

    // The same period named by its days, and by default (the month before --now's).
    let csv = ok(store, &["report", "--month", "2026-11", "--format", "csv"]);
    assert_eq!(
        ok(
            store,
            &[
                "report",
                "--from",
                "2026-11-01",
                "--to",
                "2026-11-30",
                "--format",
                "csv"
            ]
        ),
        csv
    );
    assert!(
        csv.starts_with(
            "table,key,name,reports,events,previous_reports,change_percent,highest,2026-W44"
        ),
        "{csv}"
    );
    assert!(csv.contains("total,,november 2026,7,7,4,75,"), "{csv}");
    let october = json(store, &["report", "--json"]);
    assert_eq!(october["from"], "2026-10-01");
    assert_eq!(october["reports"], 4);
    let quarter = json(store, &["report", "--quarter", "2026-Q4", "--json"]);
    assert_eq!(
        (quarter["from"].as_str(), quarter["until"].as_str()),
        (Some("2026-10-01"), Some("2027-01-01"))
    );
    assert_eq!(quarter["reports"], 11);

    // For politicians, once November has ended: Salems centrum's 2 is withheld, and so
    // is what would give it away.
    let later = "2026-12-02T10:00:00Z";
    let run = |args: &[&str]| lagesbild_at(store, later, args);
    let ok_later = |args: &[&str]| {
        let out = run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let json_later =
        |args: &[&str]| -> serde_json::Value { serde_json::from_str(&ok_later(args)).unwrap() };
    // Not before: counts published are never changed, so a month still running is not.
    let early = lagesbild(store, &["report", "--month", "2026-11", "--politicians"]);
    assert!(!early.status.success());
    assert!(String::from_utf8_lossy(&early.stderr).contains("days that have ended"));
    let politicians = json_later(&["report", "--month", "2026-11", "--politicians", "--json"]);
    let rows = politicians["areas"].as_array().unwrap();
    let salem = rows.iter().find(|a| a["name"] == "Salems centrum").unwrap();
    assert!(
        salem["reports"].is_null() && salem["highest"].is_null(),
        "{salem}"
    );
    let ronninge = rows.iter().find(|a| a["name"] == "Rönninge").unwrap();
    assert!(
        ronninge["reports"].is_null() || politicians["reports"].is_null(),
        "7 − 5 = 2: {politicians}"
    );
    assert!(politicians.get("events").is_none());

    let page = dir.path().join("lagesrapport.html");
    ok_later(&[
        "report",
        "--month",
        "2026-11",
        "--politicians",
        "-o",
        page.to_str().unwrap(),
    ]);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!doctype html>"));
    assert!(html.contains("Lägesrapport") && html.contains("november 2026"));
    assert!(
        html.contains("Antal på 1 eller 2 visas inte"),
        "no footnote"
    );
    assert!(html.contains("Lägesrapport november 2026 – "));
    assert!(html.contains("(version för politiker)"));
    assert!(html.contains(">..</td>"));
    let english = ok_later(&[
        "--lang",
        "en",
        "report",
        "--month",
        "2026-11",
        "--politicians",
    ]);
    assert!(english.contains("Situation report") && english.contains("Counts of 1 or 2"));

    // Each of the three was published, and the ledger lists them.
    let ledger = json(store, &["publications", "--json"]);
    let ledger = ledger.as_array().unwrap();
    assert_eq!(ledger.len(), 3);
    assert!(ledger.iter().all(|p| p["from"] == "2026-11-01"));
    let listed = ok(store, &["publications"]);
    assert!(listed.contains("Lägesrapport november 2026"), "{listed}");
    // A period that cuts November would disclose by difference: refused, nothing
    // recorded, and the message says which report and what to publish instead.
    let out = run(&[
        "report",
        "--from",
        "2026-11-02",
        "--to",
        "2026-11-30",
        "--politicians",
    ]);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("Lägesrapport november 2026"), "{said}");
    assert!(
        said.contains("Publish 2026-11-01 – 2026-11-30 instead"),
        "{said}"
    );
    assert!(out.stdout.is_empty());
    assert_eq!(
        json(store, &["publications", "--json"])
            .as_array()
            .unwrap()
            .len(),
        3
    );
    // The internal report of the same days is not a publication.
    ok(
        store,
        &["report", "--from", "2026-11-02", "--to", "2026-11-30"],
    );

    // Periods that do not exist are refused, naming what was expected.
    for args in [
        &["report", "--month", "2026-13"][..],
        &["report", "--quarter", "2026-Q5"],
        &["report", "--from", "2026-11-30", "--to", "2026-11-01"],
    ] {
        let out = lagesbild(store, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    assert!(
        !lagesbild(
            store,
            &["report", "--month", "2026-11", "--quarter", "2026-Q4"]
        )
        .status
        .success()
    );
}

#[test]
fn the_effect_of_a_decision_names_what_is_wrong_with_the_id() {
    let dir = new_store();
    let store = dir.path();
    let bad = lagesbild(store, &["effect", "igår"]);
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("no activity is called 'igår'"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    let unknown = lagesbild(store, &["effect", "0193a4e2-7c1d-7000-8000-000000000001"]);
    assert!(!unknown.status.success());
    let said = String::from_utf8_lossy(&unknown.stderr);
    assert!(said.contains("decision"), "{said}");
    assert!(
        unknown.stdout.is_empty(),
        "nothing printed as if it were an answer"
    );
}

/// The coordinator's activity plan from the command line: a promise, an activity (bad
/// input refused naming the field), the list, one activity followed up, and its effect
/// with interval, comparison places and the weighted displacement difference.
#[test]
fn the_activity_plan_and_an_activitys_effect_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path();
    ok(
        store,
        &[
            "init",
            "--name",
            "Samira Lind",
            "--organisation",
            "Salems kommun",
            "--role",
            "samordnare",
        ],
    );
    // Six places a kilometre or more apart: one treated, five to compare with.
    let places = [
        "Torget",
        "Stationen",
        "Skolan",
        "Hallen",
        "Parken",
        "Stranden",
    ];
    for (i, name) in places.iter().enumerate() {
        let lat = format!("{:.4}", 59.10 + 0.01 * i as f64);
        ok(
            store,
            &["places", "add", name, "--lat", &lat, "--lon", "17.70"],
        );
    }
    // Weeks 28–47 of 2026: eight reports a week everywhere (seven to nine), two a week
    // at the torget from week 40.
    let mut csv = String::from("tid;plats;kategori;bedömning\n");
    let first = chrono::NaiveDate::from_isoywd_opt(2026, 28, chrono::Weekday::Mon).unwrap();
    for week in 0..20u32 {
        for (p, name) in places.iter().enumerate() {
            let n = if p == 0 && week >= 12 {
                2
            } else {
                7 + (week + p as u32) % 3
            };
            for k in 0..n {
                let day = first + chrono::Duration::days(i64::from(week * 7 + k % 7));
                csv.push_str(&format!("{day} 20:{:02};{name};brak;2\n", k * 5));
            }
        }
    }
    let path = store.join("rapporter.csv");
    std::fs::write(&path, csv).unwrap();
    ok(store, &["import", path.to_str().unwrap()]);
    let promise = ok(
        store,
        &[
            "promise",
            "add",
            "--title",
            "Tryggt torg",
            "--text",
            "Vi lovar ett lugnare torg",
            "--from",
            "2026-01-01",
            "--signed-by",
            "Polischefen",
            "--area",
            "Torget",
        ],
    );
    assert!(!promise.trim().is_empty());
    let add = |extra: &[&str]| {
        let mut args = vec![
            "activity",
            "add",
            "--title",
            "Väktare på torget",
            "--place",
            "Torget",
            "--from",
            "2026-09-28",
            "--responsible",
            "Salems kommun",
            "--promise",
            "Tryggt torg",
            "--counts-deployed",
        ];
        args.extend_from_slice(extra);
        lagesbild(store, &args)
    };
    for (extra, field) in [
        (&["--target", "mycket"][..], "target"),
        (&["--comparison", "Torget"][..], "comparison"),
        (
            &["--baseline-from", "2026-W45", "--baseline-to", "2026-W46"][..],
            "baseline",
        ),
    ] {
        let refused = add(extra);
        assert_eq!(refused.status.code(), Some(2), "{extra:?}");
        let said = String::from_utf8_lossy(&refused.stderr);
        assert!(said.contains(field), "{extra:?}: {said}");
    }
    assert_eq!(
        json(store, &["activity", "list", "--json"]),
        serde_json::json!([])
    );
    let made = add(&[
        "--target",
        "-25 %",
        "--weekdays",
        "5,6",
        "--hours",
        "19:00-23:00",
    ]);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );

    let listed = ok(store, &["activity", "list"]);
    assert!(
        listed.contains("tydlig minskning") && listed.contains("grön"),
        "{listed}"
    );
    let shown = ok(store, &["activity", "show", "Väktare"]);
    assert!(shown.contains("Medborgarlöfte: Tryggt torg"), "{shown}");
    assert!(shown.contains("Målvisare: grön"), "{shown}");
    let effect = json(store, &["effect", "Väktare på torget", "--json"]);
    let treated = &effect["follow_up"]["effect"]["treated"];
    assert_eq!(
        treated["verdict"]["verdict"], "tydlig_minskning",
        "{effect:#}"
    );
    let change = &treated["change"];
    assert!(change["high"].as_f64().unwrap() < 0.0);
    assert!(change["low"].as_f64().unwrap() < -0.6);
    assert_eq!(
        effect["comparison"].as_array().unwrap().len(),
        5,
        "every other place compares: {effect:#}"
    );
    assert!(
        effect["follow_up"]["effect"]["wdd"]["wdd"]
            .as_f64()
            .unwrap()
            < 0.0
    );
    let text = ok(store, &["effect", "Väktare på torget"]);
    assert!(text.contains("Bedömning: tydlig minskning"), "{text}");
    assert!(text.contains("WDD"), "{text}");
    let reconsidered = ok(
        store,
        &[
            "activity",
            "reconsider",
            "Väktare",
            "--outcome",
            "fortsatt",
            "--reason",
            "Det fungerar",
        ],
    );
    assert!(reconsidered.contains("Fortsätt"), "{reconsidered}");
}
