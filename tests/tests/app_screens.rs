//! Every screen of the real app, checked by a machine and saved for eyes: at a small and
//! a common phone's, a tablet's and a laptop's size, in the light and the dark theme, each screen is saved
//! under `target/screenshots/screens/`, axe-core looks for serious and critical
//! accessibility violations, and no text may be cut off or stick out of its box, nor
//! anything scroll sideways. And the phone's common report — place, category, grade,
//! save — is tapped through with its taps and scrolls counted.
#![allow(clippy::unwrap_used)]

use lagesbild_tests::app::{App, Demo, Person};

const SIZES: [(u32, u32); 4] = [(360, 640), (390, 844), (820, 1180), (1366, 768)];
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
async fn every_screen_at_four_sizes_in_both_themes_passes_axe_and_nothing_overflows() {
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
                for o in app.overflows().await {
                    violations.push(format!("{screen} {theme} {size:?}: {o}"));
                }
            }
            new.screenshot(&format!("screens/enrol-{theme}"), size)
                .await;
            saved += 1;
            for v in new.accessibility_violations().await {
                violations.push(format!("enrol {theme} {size:?}: {v}"));
            }
            for o in new.overflows().await {
                violations.push(format!("enrol {theme} {size:?}: {o}"));
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
async fn on_a_phone_report_after_report_is_four_taps_and_no_scroll() {
    let demo = Demo::start("Telefon", 0).await;
    // A field worker's phone, and a guard's smaller one.
    for (person, size) in [(Person::FieldWorker, (390, 844)), (Person::Guard, (360, 640))] {
        let phone = demo.app(person).size(size).open().await;
        phone.screenshot("phone-report-start", size).await;
        let offered = phone
            .evaluate("return [...document.querySelectorAll('[data-testid=place-chips] [data-testid=place]')].map((b) => b.dataset.name);")
            .await;
        // A place that is not among the first chips.
        let target = demo
            .workspace
            .places
            .iter()
            .filter(|p| p.kind == lagesbild_core::PlaceKind::Plats)
            .map(|p| p.name.clone())
            .rfind(|name| !offered.to_string().contains(&format!("\"{name}\"")))
            .expect("more places than chips");
        let typed: String = target.to_lowercase().chars().take(5).collect();
        let chip = format!("[data-testid=place][data-name='{target}']");
        let more = phone
            .wait_for_text("[data-testid=more-places]", |t| t.starts_with("Fler platser ("))
            .await;
        // Five reports in a row: at a place found by typing a few letters; again there
        // (the place kept); at another offered place; again there; and back at the first,
        // now offered among the places used last.
        let rounds: [(&str, Option<&str>, Option<&str>); 5] = [
            (&typed, Some(&chip), None),
            ("", None, Some(&target)),
            ("", Some("[data-testid=place-chips] [data-testid=place][aria-pressed=false]"), None),
            ("", None, Some("")),
            ("", Some(&chip), None),
        ];
        let mut places = Vec::new();
        for (round, (typed, place, kept)) in rounds.into_iter().enumerate() {
            let round = round + 1;
            if !typed.is_empty() {
                phone.type_into("[data-testid=place-search]", typed).await;
            }
            if let Some(kept) = kept {
                let said = phone
                    .wait_for_text("[data-testid=kept-place]", |t| t.contains("samma som förra"))
                    .await;
                assert!(said.starts_with("Plats: "), "{said}");
                assert!(said.contains(kept), "report {round}: {said}");
            }
            let (mut taps, mut scrolls) = (0, Vec::new());
            let mut targets = Vec::from_iter(place);
            targets.extend(["[data-testid=category]", "[data-testid=grade-3]", "[data-testid=save]"]);
            for target in targets {
                if target.contains("place") {
                    places.push(phone.wait_for_text(target, |t| !t.is_empty()).await);
                }
                taps += 1;
                if phone.tap(target).await {
                    scrolls.push(target);
                }
            }
            let saved = phone
                .wait_for_text("[data-testid=saved]", |t| t.contains("Sparad"))
                .await;
            phone
                .screenshot(&format!("phone-report-saved-{round}"), size)
                .await;
            assert!(
                taps <= 4 && scrolls.is_empty(),
                "{size:?}, report {round}: {taps} taps, scrolled to {scrolls:?} ({saved})"
            );
            if place.is_some() && kept.is_none() && round > 1 {
                assert_eq!(
                    phone.count("[data-testid=kept-place]").await,
                    1,
                    "the new place is kept for the next report"
                );
            }
        }
        assert_eq!(places[0], target);
        assert_ne!(places[1], target, "report 3 is at another place");
        assert_eq!(places[2], target);
        // "Fler platser" opens the rest.
        phone.tap("[data-testid=more-places]").await;
        let all = phone.count("[data-testid=all-places] [data-testid=place]").await;
        let counted: usize = more
            .trim_start_matches("Fler platser (")
            .trim_end_matches(')')
            .parse()
            .unwrap();
        assert!(all > 0 && counted > 0, "{more}: {all}");
        phone.quit().await;
    }
}
}
