//! The coordinator's lägesrapport through the real app: last month's numbers checked
//! against the reports that went in, the version for politicians with its counts
//! protected, the file saved to send, a CSV export, and the meeting's one-page sheet.
#![allow(clippy::unwrap_used)]

use chrono::{Datelike, Duration, NaiveDate};
use lagesbild_core::{ObservationDraft, Timestamp};
use lagesbild_tests::app::{Demo, Person};
use lagesbild_tests::{Device, now};

fn at_noon(day: NaiveDate) -> Timestamp {
    Timestamp::from_millis(lagesbild_core::time::local_midnight(day).millis() + 12 * 3_600_000)
        .unwrap()
}

lagesbild_tests::app_test! {
async fn the_period_report_counts_what_went_in() {
    let demo = Demo::start("Rapport", 0).await;

    // Last month: 5 at Rönninge station, 2 at Salemhallen; the month before: 3.
    let today = now().0.date_naive();
    let this_month = today.with_day(1).unwrap();
    let last_month = (this_month - Duration::days(1)).with_day(1).unwrap();
    let month_before = (last_month - Duration::days(1)).with_day(1).unwrap();
    let field = Device::enroll(&demo.server.url(), demo.code(Person::FieldWorker), "fält").await;
    let seed = [
        (
            "Rönninge station",
            "klotter",
            3,
            last_month + Duration::days(3),
            5,
        ),
        ("Salemhallen", "brak", 4, last_month + Duration::days(10), 2),
        (
            "Rönninge station",
            "klotter",
            2,
            month_before + Duration::days(10),
            3,
        ),
    ];
    for (place, category, grade, day, count) in seed {
        for _ in 0..count {
            let when = at_noon(day);
            field
                .store()
                .record(
                    &ObservationDraft {
                        category: Some(category.into()),
                        place: Some(place.into()),
                        grade: Some(grade),
                        observed_at: Some(when.to_string()),
                        description: Some("hemlig detalj om en person".into()),
                        ..Default::default()
                    },
                    now(),
                )
                .unwrap();
        }
    }
    field.sync().await;
    // The coordinator's laptop, offline, publishes last month ten minutes before the
    // app does: both files leave, each protected on its own.
    let user = demo.workspace.people[Person::Coordinator as usize].user;
    let code = demo
        .server
        .call(|s| s.enrolment_code(user, Duration::hours(1), now()))
        .unwrap();
    let laptop = Device::enroll(&demo.server.url(), &code, "laptopen").await;
    laptop.sync().await;
    let laptops = {
        let mut store = laptop.store();
        let earlier = Timestamp::from_millis(now().millis() - 600_000).unwrap();
        let (from, until) = (last_month.to_string(), this_month.to_string());
        let report =
            lagesbild_core::views::politicians_report(&store, &from, &until, earlier).unwrap();
        let html = report.html(lagesbild_core::Lang::Sv);
        store.publish(&report, html.as_bytes(), earlier).unwrap()
    };

    let exports = demo.path("exports");
    let app = demo
        .app(Person::Coordinator)
        .env("LAGESBILD_EXPORT_DIR", exports.display().to_string())
        .open()
        .await;
    app.click("[data-testid=tab-reports]").await;
    app.click("[data-testid=period-last-month]").await;
    let total = "[data-testid=period-report] .total[data-measure=reports] strong";
    app.wait_for_text(total, |t| t == "7").await;
    let previous = "[data-testid=period-report] .total[data-measure=previous_reports]";
    let previous = app.wait_for_text(previous, |t| !t.is_empty()).await;
    assert_eq!(previous.replace('\u{a0}', " "), "Föregående period: 3");
    let row = |name: &str| {
        format!("[data-testid=period-report] tr[data-name='{name}'] td[data-measure=reports]")
    };
    for (name, count) in [
        ("Rönninge", "5"),
        ("Salems centrum", "2"),
        ("Skadegörelse", "5"),
        ("Ordningsstörning", "2"),
    ] {
        assert_eq!(
            app.wait_for_text(&row(name), |t| !t.is_empty()).await,
            count,
            "{name}"
        );
    }
    for size in [(1366, 768), (390, 844)] {
        app.screenshot("period-report", size).await;
        app.assert_fits(&format!("the period report at {size:?}"))
            .await;
    }

    // A period typed the Swedish way: the first ten days of last month hold the five.
    app.paste("[data-testid=period-from]", &last_month.to_string())
        .await;
    app.paste(
        "[data-testid=period-until]",
        &(last_month + Duration::days(9)).to_string(),
    )
    .await;
    app.wait_for_text(total, |t| t == "5").await;
    app.click("[data-testid=period-last-month]").await;
    app.wait_for_text(total, |t| t == "7").await;

    // The version for politicians: Salems centrum's 2 withheld with its grade, and so
    // is what would give it away by subtraction (7 − 5).
    app.click("[data-testid=politician]").await;
    app.wait_for_text(&row("Salems centrum"), |t| t == "..")
        .await;
    let highest =
        "[data-testid=period-report] tr[data-name='Salems centrum'] td[data-measure=highest]";
    assert_eq!(app.wait_for_text(highest, |t| !t.is_empty()).await, "–");
    let ronninge = app.wait_for_text(&row("Rönninge"), |t| !t.is_empty()).await;
    let sum = app.wait_for_text(total, |t| !t.is_empty()).await;
    assert!(
        ronninge == ".." || sum == "..",
        "Rönninge {ronninge} of {sum}"
    );
    let footnote = app
        .wait_for_text("[data-testid=period-report] .footnote", |t| !t.is_empty())
        .await;
    assert!(
        footnote.contains("Antal på 1 eller 2 visas inte"),
        "{footnote}"
    );
    app.screenshot("period-report-politicians", (820, 1180))
        .await;
    app.assert_fits("the version for politicians").await;

    // Saved as a file to send: the numbers, never what a report says.
    app.click("[data-testid=save-report]").await;
    let path = app
        .wait_for_text("[data-testid=saved-path]", |t| t.contains(".html"))
        .await;
    let file = std::fs::read_dir(&exports)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "html"))
        .unwrap_or_else(|| panic!("no report file; the app said {path}"));
    assert!(
        file.file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .ends_with("-politiker.html")
    );
    let html = std::fs::read_to_string(&file).unwrap();
    assert!(html.starts_with("<!doctype html>"));
    assert!(
        html.contains("Salems centrum") && html.contains(">..</td>"),
        "{html}"
    );
    assert!(
        !html.contains("hemlig detalj"),
        "no report's text in the report"
    );
    // Saving it published it: the ledger lists it.
    let ledger = app
        .wait_for_text("[data-testid=ledger]", |t| t.contains("version för politiker"))
        .await;
    assert!(ledger.contains("Samira Lind"), "{ledger}");
    // The laptop comes online: the app's ledger shows both, its own flagged as the
    // later, saying which to hand out.
    laptop.sync().await;
    let clash = app
        .wait_for_text("[data-testid=clash]", |t| t.contains("publicerade"))
        .await;
    assert!(clash.contains(&laptops.title), "{clash}");
    assert!(clash.contains("lämna bara ut den tidigare"), "{clash}");
    app.screenshot_of("ledger-clash", (390, 844), "[data-testid=clash]")
        .await;
    app.assert_fits("the ledger with a clash").await;
    // Last month but its first day would disclose that day by difference: refused,
    // saying which report and what to publish instead; nothing more is published.
    let second = last_month + Duration::days(1);
    app.paste("[data-testid=period-from]", &second.to_string())
        .await;
    app.paste(
        "[data-testid=period-until]",
        &(this_month - Duration::days(1)).to_string(),
    )
    .await;
    let refused = app
        .wait_for_text("[data-testid=publish-refused]", |t| !t.is_empty())
        .await;
    let whole = format!("{last_month} – {}", this_month - Duration::days(1));
    assert!(
        refused.contains(&format!("Publicera {whole} i stället")),
        "{refused}"
    );
    app.screenshot("publish-refused", (390, 844)).await;
    app.assert_fits("the refused publication").await;
    assert_eq!(
        app.count("[data-testid=publication]").await,
        2,
        "nothing more published"
    );
    // This month has not ended: not published, and saying why.
    app.click("[data-testid=period-this-month]").await;
    app.wait_for_text("[data-testid=publish-running]", |t| t.contains("inte tagit slut"))
        .await;
    assert_eq!(app.count("[data-testid=save-report]").await, 0);
    // Twelve months up to this one: a column per month, the published ones as they
    // were published, and no table wider than the page.
    let year_start = this_month.checked_sub_months(chrono::Months::new(12)).unwrap();
    app.paste("[data-testid=period-from]", &year_start.to_string())
        .await;
    app.paste(
        "[data-testid=period-until]",
        &(this_month - Duration::days(1)).to_string(),
    )
    .await;
    let months = "[data-testid=period-report] table.area thead th.n[data-column]";
    app.wait_for_count(months, 12).await;
    app.screenshot("period-report-politicians-year", (1000, 800))
        .await;
    app.set_theme("dark").await;
    app.screenshot("period-report-politicians-year-dark", (390, 844))
        .await;
    app.screenshot("period-report-politicians-year-dark", (1366, 768))
        .await;
    app.set_theme("light").await;
    let wide = app
        .evaluate(
            "return [...document.querySelectorAll('[data-testid=period-report] .scroll')]\
             .filter(e => e.scrollWidth > e.clientWidth + 1).length",
        )
        .await;
    assert_eq!(wide, serde_json::json!(0), "a table scrolls sideways");
    app.click("[data-testid=period-last-month]").await;

    app.click("[data-testid=export-csv]").await;
    app.wait_for_text("[data-testid=saved-path]", |t| t.contains(".csv"))
        .await;
    let csv = std::fs::read_dir(&exports)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "csv"))
        .unwrap();
    let lines = std::fs::read_to_string(csv).unwrap().lines().count();
    assert_eq!(lines, 1 + 7, "a header and last month's seven reports");

    // The meeting's one-page sheet, previewed.
    app.click("[data-testid=tab-meeting]").await;
    app.click("[data-testid=preview-sheet]").await;
    app.wait_for_text("[data-testid=minutes-sheet]", |t| {
        t.contains("Lägesbild för protokollet")
    })
    .await;
    app.screenshot("minutes-sheet", (1366, 768)).await;
    app.quit().await;
}
}

lagesbild_tests::app_test! {
async fn an_export_goes_where_the_user_chooses_in_the_save_dialog() {
    let demo = Demo::start("Spara", 0).await;
    let field = Device::enroll(&demo.server.url(), demo.code(Person::FieldWorker), "fält").await;
    let draft = ObservationDraft {
        category: Some("klotter".into()),
        place: Some("Rönninge station".into()),
        grade: Some(2),
        ..Default::default()
    };
    field.store().record(&draft, now()).unwrap();
    field.sync().await;
    // No export folder set: the app asks, as it does for its users.
    let app = demo.app(Person::Coordinator).open().await;
    app.click("[data-testid=tab-reports]").await;
    app.click("[data-testid=period-this-month]").await;
    app.wait_for_text(
        "[data-testid=period-report] .total[data-measure=reports] strong",
        |t| t == "1",
    )
    .await;
    app.click("[data-testid=export-csv]").await;
    let chosen = demo.path("valt").join("rapporter-till-polisen.csv");
    std::fs::create_dir_all(chosen.parent().unwrap()).unwrap();
    // The system's save dialog, answered as a person would: a path typed, then Enter.
    let xdotool = |args: &[&str]| {
        let out = std::process::Command::new("xdotool")
            .args(args)
            .env("DISPLAY", &demo.display.name)
            .output()
            .expect("xdotool (Debian's xdotool)");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let dialog = tokio::task::spawn_blocking({
        let display = demo.display.name.clone();
        move || {
            std::process::Command::new("timeout")
                .args(["20", "xdotool", "search", "--sync", "--onlyvisible", "--name", "Save|Spara"])
                .env("DISPLAY", display)
                .output()
                .expect("xdotool")
        }
    })
    .await
    .unwrap();
    let window = String::from_utf8_lossy(&dialog.stdout)
        .lines()
        .next()
        .expect("a save dialog opened")
        .to_string();
    xdotool(&["windowfocus", "--sync", &window]);
    xdotool(&["key", "--clearmodifiers", "ctrl+a"]);
    xdotool(&["type", "--delay", "5", &chosen.display().to_string()]);
    xdotool(&["key", "Return"]);
    let said = app
        .wait_for_text("[data-testid=saved-path]", |t| t.contains(".csv"))
        .await;
    assert!(said.contains("rapporter-till-polisen.csv"), "{said}");
    let csv = std::fs::read_to_string(&chosen).expect("the file where it was chosen");
    assert!(csv.contains("Rönninge station"), "{csv}");
}
}
