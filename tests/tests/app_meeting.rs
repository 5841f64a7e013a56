//! The weekly meeting, driven through the real app: the agenda from the lägesbild, a
//! report arriving during the meeting, two decisions, last week's decision marked
//! carried out with its before/after, an official assessment, and two meeting laptops
//! editing the same meeting offline until they converge. Screenshots under
//! `target/screenshots`.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use chrono::Datelike;

use lagesbild_core::{DecisionDraft, Deployee, ObservationDraft, Timestamp};
use lagesbild_tests::app::{Demo, Person};
use lagesbild_tests::{Device, now};

fn days_ago(days: i64) -> Timestamp {
    Timestamp::from_millis(now().millis() - days * 86_400_000).unwrap()
}

fn report(device: &Device, place: &str, grade: i64, at: Timestamp) {
    let draft = ObservationDraft {
        category: Some("brak".into()),
        place: Some(place.into()),
        grade: Some(grade),
        observed_at: Some(at.to_string()),
        description: Some(format!("grad {grade} vid {place}")),
        ..Default::default()
    };
    device.store().record(&draft, at).unwrap();
}

lagesbild_tests::app_test! {
async fn a_meeting_decides_follows_up_and_two_laptops_converge() {
    let mut demo = Demo::start("Möte", 0).await;

    // Another member's device: reports of the last weeks, and last week's decision.
    let field = Device::enroll(&demo.server.url(), demo.code(Person::SocialWorker), "fält").await;
    for _ in 0..2 {
        report(&field, "Rönninge station", 3, days_ago(14));
    }
    for _ in 0..3 {
        report(&field, "Rönninge station", 4, days_ago(7));
    }
    report(&field, "Rönninge station", 2, now());
    report(&field, "Salemhallen", 5, now());
    let station = demo
        .workspace
        .places
        .iter()
        .find(|p| p.name == "Rönninge station")
        .unwrap();
    let last_week = field
        .store()
        .decide(
            &DecisionDraft {
                place: Some(station.id),
                deployees: vec![Deployee::Faltare],
                days: vec![days_ago(5).0.date_naive().to_string()],
                from: Some("18:00".into()),
                to: Some("22:00".into()),
                why: "Oro vid stationen kvällstid".into(),
                responsible: Some(demo.workspace.organisations[0].id),
                ..Default::default()
            },
            days_ago(7),
        )
        .unwrap();
    field.sync().await;

    let a = demo.app(Person::Coordinator).data("a").open().await;
    let minutes = demo.path("minutes");
    let b = demo
        .app(Person::FieldWorker)
        .data("b")
        .env("LAGESBILD_EXPORT_DIR", minutes.display().to_string())
        .open()
        .await;

    // The agenda: Salemhallen is new this week, with its one report of grade 5.
    a.click("[data-testid=tab-meeting]").await;
    let hall = "[data-testid=agenda-item][data-place='Salemhallen']";
    a.wait_for(hall).await;
    assert_eq!(
        a.wait_for_text(&format!("{hall} .reason"), |t| !t.is_empty())
            .await,
        "Ny",
        "Salemhallen's reason to be on the agenda"
    );
    assert_eq!(
        a.wait_for_text(&format!("{hall} .badge"), |t| !t.is_empty())
            .await,
        "5",
        "Salemhallen's highest grade"
    );
    assert_eq!(
        a.wait_for_text(&format!("{hall} .reports"), |t| !t.is_empty())
            .await,
        "1",
        "Salemhallen's reports"
    );
    a.click("[data-testid=start-meeting]").await;
    a.wait_for("[data-testid=meeting-notes]").await;

    // A report arrives during the meeting: it appears without reloading.
    report(&field, "Säby gård", 4, now());
    field.sync().await;
    a.wait_for_text("[data-testid=agenda]", |t| t.contains("Säby gård"))
        .await;

    // Two decisions.
    a.click("[data-testid=agenda-item][data-place='Salemhallen']")
        .await;
    a.click("[data-testid=decide-here]").await;
    a.click("[data-testid=deployee-faltare]").await;
    a.click("[data-testid=deployee-vaktare]").await;
    a.click("[data-testid=day]").await;
    a.type_into("[data-testid=decision-why]", "Skadegörelse vid hallen")
        .await;
    a.click("[data-testid=save-decision]").await;
    a.wait_for_text("[data-testid=decisions]", |t| t.contains("Salemhallen"))
        .await;
    a.click("[data-testid=new-decision]").await;
    a.select("[data-testid=decision-place]", "Säby gård").await;
    a.click("[data-testid=deployee-nattvandrare]").await;
    a.click_text("[data-testid=day]", "lör").await;
    a.type_into("[data-testid=decision-why]", "Ny oro vid gården")
        .await;
    a.click("[data-testid=save-decision]").await;
    a.wait_for_text("[data-testid=decisions]", |t| t.contains("Säby gård"))
        .await;
    assert_eq!(a.count("[data-testid=decision]").await, 2);

    // Last week's decision: carried out, with its before and after.
    let follow_up = "[data-testid=follow-up][data-place='Rönninge station']";
    a.type_into(
        &format!("{follow_up} [data-testid=status-note]"),
        "Två kvällar genomförda",
    )
    .await;
    a.click(&format!("{follow_up} [data-testid=status-genomford]"))
        .await;
    a.wait_for_text(&format!("{follow_up} [data-testid=status]"), |t| {
        t.starts_with("Genomförd") && t.contains("Två kvällar genomförda")
    })
    .await;
    // Before: weeks −4…−1 held 0, 0, 2, 3 reports (1.25 a week), highest 4; after: this
    // week's one report, grade 2.
    let before = a
        .wait_for_text(&format!("{follow_up} [data-testid=before]"), |t| {
            !t.is_empty()
        })
        .await;
    let after = a
        .wait_for_text(&format!("{follow_up} [data-testid=after]"), |t| {
            !t.is_empty()
        })
        .await;
    assert_eq!((before.as_str(), after.as_str()), ("1.3", "1"));
    let ba = a
        .wait_for_text(&format!("{follow_up} [data-testid=before-after]"), |t| {
            !t.is_empty()
        })
        .await;
    assert!(ba.contains("högsta 4") && ba.contains("högsta 2"), "{ba}");

    // An official assessment of the area.
    let area = "[data-testid=area][data-area='Rönninge']";
    a.click(&format!("{area} [data-testid=assess-3]")).await;
    a.type_into(
        &format!("{area} [data-testid=motivation]"),
        "Lugnare efter insatsen",
    )
    .await;
    a.click(&format!("{area} [data-testid=set-official]")).await;
    a.wait_for_text(&format!("{area} [data-testid=official]"), |t| {
        t.contains("Lugnare efter insatsen")
    })
    .await;
    // On the projector: no app chrome, the agenda first, type read from the back of the
    // room, the week named with its dates and year, and the areas × weeks grid.
    a.click("[data-testid=projector]").await;
    a.wait_for("[data-testid=grade-grid]").await;
    let seen = a.evaluate(PROJECTOR_FACTS).await;
    assert_eq!(
        seen["chrome"],
        serde_json::json!([]),
        "chrome on the projector: {seen}"
    );
    assert!(seen["body"].as_f64().unwrap() >= 24.0, "{seen}");
    assert!(
        seen["smallest"].as_f64().unwrap() >= 20.0,
        "text too small to read from the back: {seen}"
    );
    // Both shown, the agenda's first item above the meeting card.
    let (agenda, card) = (seen["agendaTop"].as_f64(), seen["cardTop"].as_f64());
    assert!(
        matches!((agenda, card), (Some(agenda), Some(card)) if agenda < card),
        "the agenda comes before the meeting card: {seen}"
    );
    assert_eq!(
        seen["agenda"],
        serde_json::json!(["Salemhallen", "Säby gård"]),
        "{seen}"
    );
    let week = now()
        .0
        .with_timezone(&chrono_tz::Europe::Stockholm)
        .iso_week();
    let title = seen["week"].as_str().unwrap();
    assert!(
        title.contains(&format!("v. {}, ", week.week()))
            && title.contains(&week.year().to_string())
            && title.contains('–'),
        "{title}"
    );
    // Rönninge: six weeks, this week's official 3 without the asterisk of an implied grade.
    let row = "[data-testid=grid-row][data-area='Rönninge'] td";
    assert_eq!(a.count(row).await, 6);
    let cells = a
        .evaluate(&format!(
            "return [...document.querySelectorAll(\"{row}\")].map((c) => c.textContent.trim());"
        ))
        .await;
    assert_eq!(cells[5], "3", "{cells}");
    // Each agenda row says what was reported, and the symbols are explained; a place's
    // reports opened on the shared screen name organisations, never people.
    let categories = a
        .wait_for_text("[data-testid=agenda-categories]", |t| !t.is_empty())
        .await;
    assert!(categories.chars().any(|c| c.is_ascii_digit()), "{categories}");
    let legend = a
        .wait_for_text("[data-testid=agenda-legend]", |t| !t.is_empty())
        .await;
    assert!(legend.contains("högsta läge") && legend.contains('↑'), "{legend}");
    let was_open = a.count("[data-testid=agenda] .rows").await > 0;
    if !was_open {
        a.click("[data-testid=agenda-item]").await;
    }
    let opened = a
        .wait_for_text("[data-testid=agenda] .rows", |t| !t.is_empty())
        .await;
    for person in &demo.workspace.people {
        assert!(
            !opened.contains(&person.name),
            "{} on the projector: {opened}",
            person.name
        );
    }
    if !was_open {
        a.click("[data-testid=agenda-item]").await;
    }
    a.screenshot("meeting-projector", (1366, 768)).await;
    a.click("[data-testid=projector-off]").await;
    a.wait_for("[data-testid=tab-meeting]").await;
    let normal = a.evaluate(PROJECTOR_FACTS).await;
    assert_eq!(normal["chrome"].as_array().unwrap().len(), 3);
    // In the normal view too the agenda comes first, above the meeting's card.
    let (agenda, card) = (normal["agendaTop"].as_f64(), normal["cardTop"].as_f64());
    assert!(
        matches!((agenda, card), (Some(agenda), Some(card)) if agenda < card),
        "the agenda comes before the meeting card: {normal}"
    );

    for size in [(1366, 768), (820, 1180), (390, 844)] {
        a.screenshot("meeting", size).await;
        a.assert_fits(&format!("meeting at {size:?}")).await;
    }

    // The second laptop has the meeting; then both go offline and edit it.
    a.click("[data-testid=sync-now]").await;
    b.click("[data-testid=tab-meeting]").await;
    b.wait_for("[data-testid=meeting-notes]").await;
    b.wait_for_text("[data-testid=decisions]", |t| t.contains("Säby gård"))
        .await;
    demo.server.stop().await;
    a.type_into(
        "[data-testid=meeting-notes]",
        "Beslut: fältare och väktare till hallen.",
    )
    .await;
    a.click("[data-testid=attendee]").await; // leaving the notes saves them
    b.type_into(
        "[data-testid=meeting-notes]",
        "Läget: oroligt vid stationen.",
    )
    .await;
    b.type_into("[data-testid=attendee]", "Jonas Berg").await;
    b.click_text("[data-testid=meeting] button", "Lägg till")
        .await;
    b.wait_for_text("[data-testid=attendees]", |t| t.contains("Jonas Berg"))
        .await;
    demo.server.resume().await;
    for app in [&a, &b] {
        app.click("[data-testid=sync-now]").await;
    }
    for app in [&a, &b] {
        app.wait_for_text("[data-testid=attendees]", |t| t.contains("Jonas Berg"))
            .await;
    }
    // Both texts are kept, in the same order on both laptops.
    let mut notes = Vec::new();
    for app in [&a, &b] {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let value = app.attribute("[data-testid=meeting-notes]", "value").await;
            if value.contains("fältare och väktare") && value.contains("oroligt vid stationen") {
                notes.push(value);
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the notes never merged: {value:?}"
            );
            app.click("[data-testid=sync-now]").await;
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
    assert_eq!(notes[0], notes[1], "both laptops hold the same notes");
    b.screenshot("meeting-merged", (1366, 768)).await;
    // The minutes: when the meeting started, who was there, the agenda, the decisions
    // and a line to sign.
    b.click("[data-testid=preview-sheet]").await;
    let sheet = b
        .wait_for_text("[data-testid=minutes-sheet]", |t| t.contains("Justeras"))
        .await;
    for said in [
        "Mötet startade",
        "Närvarande",
        "Jonas Berg",
        "Salemhallen",
        "Säby gård",
        "Namnförtydligande",
    ] {
        assert!(sheet.contains(said), "{said} in the minutes: {sheet}");
    }
    b.screenshot_of("minutes", (1366, 768), "[data-testid=sheet-signature]")
        .await;
    // Saved as a PDF, printed by the web view itself, and read back as text: the same
    // minutes, on paper.
    b.click("[data-testid=save-pdf]").await;
    let saved = b
        .wait_for_text("[data-testid=pdf-saved]", |t| t.contains(".pdf"))
        .await;
    let file = minutes.join(format!(
        "protokoll-{}.pdf",
        saved.rsplit("protokoll-").next().unwrap().trim_end_matches(".pdf")
    ));
    let text = std::process::Command::new("pdftotext")
        .args(["-layout"])
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) reads the PDF");
    assert!(text.status.success(), "{}: {text:?}", file.display());
    let paper = String::from_utf8_lossy(&text.stdout);
    let week = now()
        .0
        .with_timezone(&chrono_tz::Europe::Stockholm)
        .iso_week();
    for said in [
        format!("v. {}", week.week()),
        "Mötet startade".into(),
        "Närvarande".into(),
        "Jonas Berg".into(),
        "Salemhallen".into(),
        "Säby gård".into(),
        "Justeras".into(),
        "Namnförtydligande".into(),
    ] {
        assert!(paper.contains(&said), "{said} in the printed minutes: {paper}");
    }
    // The first page beside the screenshots, to look at.
    let _ = std::process::Command::new("pdftoppm")
        .args(["-png", "-r", "70", "-singlefile"])
        .arg(&file)
        .arg(lagesbild_tests::app::screenshots_dir().join("minutes-pdf"))
        .status();
    for chrome in ["Rapportera", "Projektorläge", "Spara som PDF"] {
        assert!(
            !paper.contains(chrome),
            "the app's {chrome} on the printed minutes: {paper}"
        );
    }

    // The follow-up reached the member who made last week's decision, through the server.
    field.sync().await;
    let held = field.store().decision(last_week.id).unwrap();
    assert_eq!(held.status, lagesbild_core::DecisionStatus::Genomford);
    assert_eq!(held.history[0].note, "Två kvällar genomförda");
    a.quit().await;
    b.quit().await;
}
}

/// On the meeting screen: which of the app's chrome shows, the meeting's and the smallest
/// visible text's font size in px, where the agenda's first item and the meeting card
/// begin (null when not shown), the agenda's places, and the week's title.
const PROJECTOR_FACTS: &str = r#"
    const shown = (e) => e && e.getBoundingClientRect().height > 0 && getComputedStyle(e).visibility !== "hidden";
    const chrome = [".top", ".tabs", ".status"].filter((s) => shown(document.querySelector(s)));
    const meeting = document.querySelector("[data-testid=meeting]");
    const sizes = [...meeting.querySelectorAll("*")]
        .filter((e) => shown(e) && [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim()))
        .map((e) => {
            // Text in a drawing is as large as the drawing is scaled.
            const svg = e.closest("svg");
            const scale = svg && svg.viewBox.baseVal.width ? svg.getBoundingClientRect().width / svg.viewBox.baseVal.width : 1;
            return [parseFloat(getComputedStyle(e).fontSize) * scale, e.textContent.trim().slice(0, 30)];
        });
    sizes.sort((x, y) => x[0] - y[0]);
    const top = (s) => { const e = document.querySelector(s); return shown(e) ? e.getBoundingClientRect().top : null; };
    return {
        chrome,
        body: parseFloat(getComputedStyle(meeting).fontSize),
        smallest: sizes.length ? sizes[0][0] : 0,
        smallestText: sizes.length ? sizes[0][1] : "",
        agendaTop: top("[data-testid=agenda-item]"),
        cardTop: top(".meeting-card"),
        agenda: [...document.querySelectorAll("[data-testid=agenda-item]")].map((e) => e.dataset.place),
        week: document.querySelector("[data-testid=meeting-week]").textContent.trim(),
    };
"#;

lagesbild_tests::app_test! {
async fn on_the_projector_at_least_five_agenda_rows_fit_on_a_laptop_screen() {
    let demo = Demo::start("Projektor", 0).await;
    let field = Device::enroll(&demo.server.url(), demo.code(Person::SocialWorker), "fält").await;
    // A busy week: seven places on the agenda.
    let places = [
        "Rönninge station",
        "Salemhallen",
        "Säby gård",
        "Söderby torg",
        "Nytorps centrum",
        "Skogsängsskolan",
        "Rönninge centrum",
    ];
    for (i, place) in places.iter().enumerate() {
        report(&field, place, 5 - i64::try_from(i % 3).unwrap(), now());
    }
    field.sync().await;
    let a = demo.app(Person::Coordinator).open().await;
    a.click("[data-testid=tab-meeting]").await;
    a.wait_for_count("[data-testid=agenda-item]", places.len())
        .await;
    a.click("[data-testid=projector]").await;
    a.wait_for("[data-testid=projector-off]").await;
    let mut fitted = serde_json::Value::Null;
    for size in [(1366, 768), (1280, 720)] {
        a.resize(size.0, size.1).await;
        fitted = a
            .evaluate(
                "return [...document.querySelectorAll('[data-testid=agenda-item]')]
                   .filter((e) => e.getBoundingClientRect().bottom <= window.innerHeight)
                   .map((e) => e.dataset.place);",
            )
            .await;
        let whole = fitted.as_array().unwrap().len();
        assert!(
            whole >= 5,
            "{whole} agenda rows whole on a {size:?} projector screen: {fitted}"
        );
    }
    a.screenshot("meeting-projector-busy", (1366, 768)).await;
    // Fewer rows once one is opened is fine; none of the agenda is lost, only scrolled.
    assert!(fitted.as_array().unwrap().iter().all(|p| p.is_string()));
}
}
