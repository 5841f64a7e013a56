//! Every screen of the real app, checked by a machine and saved for eyes: at a phone's,
//! a tablet's and a laptop's size, in the light and the dark theme, each screen is saved
//! under `target/screenshots/screens/` and axe-core looks for serious and critical
//! accessibility violations. And the phone's common report — place, category, grade,
//! save — is tapped through with its taps and scrolls counted.
#![allow(clippy::unwrap_used)]

use lagesbild_tests::app::{App, Demo, Person};

const SIZES: [(u32, u32); 3] = [(390, 844), (820, 1180), (1366, 768)];
const THEMES: [&str; 2] = ["light", "dark"];

/// Opens a screen from the tabs and waits until it shows what it is for.
async fn open(app: &App, screen: &str) {
    let (tab, ready) = match screen {
        "report" => ("report", "[data-testid=grade-3]"),
        "lagesbild" => ("picture", "[data-testid=summary]"),
        "map" => ("picture", "[data-testid=map-place]"),
        "mine" => ("mine", "[data-testid=tab-mine][aria-current=page]"),
        "meeting" => ("meeting", "[data-testid=agenda]"),
        "efforts" => (
            "efforts",
            "[data-testid=activity] [data-testid=effort-chart]",
        ),
        "review" => ("review", "[data-testid=tab-review][aria-current=page]"),
        "reports" => ("reports", "[data-testid=tab-reports][aria-current=page]"),
        "register" => ("register", "[data-testid=register-place]"),
        "admin" => ("admin", "[data-testid=tab-admin][aria-current=page]"),
        other => panic!("no screen {other}"),
    };
    app.click(&format!("[data-testid=tab-{tab}]")).await;
    match screen {
        "map" => app.click("[data-testid=view-map]").await,
        "lagesbild" => app.click("[data-testid=view-list]").await,
        _ => {}
    }
    app.wait_for(ready).await;
}

lagesbild_tests::app_test! {
async fn every_screen_at_three_sizes_in_both_themes_passes_axe() {
    let demo = Demo::start_with_efforts("Skärmar", 300).await;
    // The coordinator sees every screen.
    let app = demo.app(Person::Coordinator).open().await;
    // A device before enrolment shows the enrolment screen.
    let new = demo.new_app("new").await;
    new.wait_for("[data-testid=code]").await;

    let screens = [
        "report",
        "lagesbild",
        "map",
        "mine",
        "meeting",
        "efforts",
        "review",
        "reports",
        "register",
        "admin",
    ];
    let mut violations = Vec::new();
    let mut saved = 0;
    for theme in THEMES {
        app.set_theme(theme).await;
        new.set_theme(theme).await;
        for size in SIZES {
            for screen in screens {
                open(&app, screen).await;
                app.screenshot(&format!("screens/{screen}-{theme}"), size)
                    .await;
                saved += 1;
                for v in app.accessibility_violations().await {
                    violations.push(format!("{screen} {theme} {size:?}: {v}"));
                }
                if app.scrolls_sideways().await {
                    violations.push(format!("{screen} {theme} {size:?}: scrolls sideways"));
                }
            }
            new.screenshot(&format!("screens/enrol-{theme}"), size)
                .await;
            saved += 1;
            for v in new.accessibility_violations().await {
                violations.push(format!("enrol {theme} {size:?}: {v}"));
            }
        }
    }
    assert_eq!(saved, (screens.len() + 1) * SIZES.len() * THEMES.len());
    assert!(
        violations.is_empty(),
        "{} problems:\n{}",
        violations.len(),
        violations.join("\n")
    );
    new.quit().await;
    app.quit().await;
}
}

lagesbild_tests::app_test! {
async fn on_a_phone_the_common_report_is_four_taps_and_no_scroll() {
    let demo = Demo::start("Telefon", 0).await;
    // A field worker's phone.
    let phone = demo.app(Person::FieldWorker).size((390, 844)).open().await;
    phone.screenshot("phone-report-start", (390, 844)).await;

    // Twice: the first report picks the place from the list, the second from the places
    // used last, which the form now offers first.
    let mut reported_at = Vec::new();
    for (round, place) in [
        "[data-testid=place-group-other] [data-testid=place]",
        "[data-testid=place-group-recent] [data-testid=place]",
    ]
    .into_iter()
    .enumerate()
    {
        reported_at.push(phone.wait_for_text(place, |t| !t.is_empty()).await);
        let (mut taps, mut scrolls) = (0, Vec::new());
        for target in [
            place,
            "[data-testid=category]",
            "[data-testid=grade-3]",
            "[data-testid=save]",
        ] {
            taps += 1;
            if phone.tap(target).await {
                scrolls.push(target);
            }
        }
        let saved = phone
            .wait_for_text("[data-testid=saved]", |t| t.contains("Sparad"))
            .await;
        phone
            .screenshot(&format!("phone-report-saved-{}", round + 1), (390, 844))
            .await;
        assert_eq!(
            (taps, scrolls.len()),
            (4, 0),
            "report {}: four taps and no scroll ({saved}); scrolled to {scrolls:?}",
            round + 1
        );
    }
    assert_eq!(
        reported_at[1], reported_at[0],
        "the place reported from is offered first"
    );
    let groups = phone
        .evaluate(
            "return [...document.querySelectorAll('[data-testid^=place-group-]')].map((g) => g.dataset.testid);",
        )
        .await;
    assert_eq!(
        groups[0], "place-group-recent",
        "the places used last come first: {groups}"
    );
    phone.quit().await;
}
}
