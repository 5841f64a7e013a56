//! *Insatser* and "Att ompröva", driven through the real app on the demo's six months:
//! the five activities with their verdicts, charts and målvisare; a reconsideration
//! recorded at the meeting and kept in the minutes and on the activity; a new decision
//! linked to an activity in the same step; a new activity added by the coordinator.
//! Screenshots under `target/screenshots/efforts/`.
#![allow(clippy::unwrap_used)]

use lagesbild_tests::app::{Demo, Person};

const SIZES: [(u32, u32); 3] = [(390, 844), (820, 1180), (1366, 768)];

lagesbild_tests::app_test! {
async fn the_meeting_sees_which_efforts_worked_and_records_its_reconsideration() {
    let demo = Demo::start_with_efforts("Insatser", 300).await;
    let app = demo.app(Person::Coordinator).open().await;
    app.click("[data-testid=tab-efforts]").await;
    app.wait_for_count("[data-testid=activity]", 5).await;
    let verdict = |title: &'static str| {
        format!("[data-testid=activity][data-title^='{title}'] [data-testid=verdict]")
    };
    for (title, expected) in [
        ("Väktare vid bussterminalen", "tydlig_minskning"),
        ("Nattvandring", "ingen_saker_skillnad"),
        ("Kommunvakt", "ingen_saker_skillnad"),
        ("Fältare vid Rönninge", "tydlig_okning"),
        ("Dialog", "for_lite_underlag"),
    ] {
        assert_eq!(app.attribute(&verdict(title), "data-verdict").await, expected, "{title}");
    }
    assert_eq!(
        app.wait_for_text(&verdict("Väktare vid bussterminalen"), |t| !t.is_empty()).await,
        "Tydlig minskning"
    );
    assert_eq!(app.count("[data-testid=promise]").await, 2);
    assert_eq!(app.count("[data-testid=effort-chart]").await, 5);
    let station = "[data-testid=activity][data-title^='Fältare vid Rönninge']";
    assert_eq!(
        app.attribute(&format!("{station} [data-testid=malvisare]"), "data-colour").await,
        "rod"
    );
    let excluded = app
        .wait_for_text("[data-testid=activity][data-title^='Kommunvakt'] details", |t| !t.is_empty())
        .await;
    assert!(excluded.contains("Kommunvakt Syd AB"), "{excluded}");
    for size in SIZES {
        for theme in ["light", "dark"] {
            app.set_theme(theme).await;
            app.screenshot(&format!("efforts/insatser-{theme}"), size).await;
            let violations = app.accessibility_violations().await;
            assert!(violations.is_empty(), "{size:?} {theme}: {violations:?}");
            assert!(!app.scrolls_sideways().await, "{size:?} {theme} scrolls sideways");
        }
    }
    app.set_theme("light").await;
    app.click("[data-testid=efforts-projector]").await;
    app.screenshot("efforts/insatser-projector", (1366, 768)).await;
    app.click("[data-testid=efforts-projector-off]").await;

    // The meeting: "Att ompröva" lists the station and the night walks; the station is
    // stopped, with why, and the minutes keep it.
    app.click("[data-testid=tab-meeting]").await;
    app.wait_for("[data-testid=agenda]").await;
    if app.count("[data-testid=start-meeting]").await > 0 {
        app.click("[data-testid=start-meeting]").await;
    }
    let item = "[data-testid=reconsider-item][data-title^='Fältare vid Rönninge']";
    app.wait_for(item).await;
    assert!(app.count("[data-testid=reconsider-item][data-title^='Nattvandring']").await == 1);
    assert_eq!(
        app.count("[data-testid=reconsider-item][data-title^='Väktare vid bussterminalen']").await,
        0,
        "what works is not brought up"
    );
    app.click(&format!("{item} [data-testid=outcome-avslutas]")).await;
    app.type_into(&format!("{item} [data-testid=reconsider-reason]"), "Fler rapporter trots fältarna").await;
    app.click(&format!("{item} [data-testid=save-reconsideration]")).await;
    let done = app.wait_for_text(&format!("{item} [data-testid=reconsidered]"), |t| !t.is_empty()).await;
    assert!(done.contains("Avsluta") && done.contains("Fler rapporter trots fältarna"), "{done}");
    app.click("[data-testid=preview-sheet]").await;
    let sheet = app
        .wait_for_text(
            "[data-testid=sheet-reconsideration][data-title^='Fältare vid Rönninge']",
            |t| t.contains("Avsluta"),
        )
        .await;
    assert!(sheet.contains("Fältare vid Rönninge station"), "{sheet}");
    app.screenshot("efforts/minutes-reconsidered", (1366, 768)).await;
    app.click("[data-testid=preview-sheet]").await;

    // A decision at the terminal, linked to its activity in the same step.
    app.click("[data-testid=new-decision]").await;
    app.select("[data-testid=decision-place]", "Salems centrum, bussterminalen").await;
    app.select("[data-testid=decision-activity]", "Väktare vid bussterminalen fre–lör").await;
    app.click("[data-testid=deployee-vaktare]").await;
    app.click_nth("[data-testid=day]", 4).await;
    app.type_into("[data-testid=decision-why]", "Fortsatt närvaro").await;
    app.click("[data-testid=save-decision]").await;
    app.wait_for("[data-testid=decision]").await;

    // Back at Insatser: the station is stopped, with the reason; the terminal has two decisions.
    app.click("[data-testid=tab-efforts]").await;
    app.wait_for(station).await;
    assert_eq!(
        app.wait_for_text(&format!("{station} [data-testid=activity-status]"), |t| t == "Avslutad").await,
        "Avslutad"
    );
    let history = app.wait_for_text(&format!("{station} [data-testid=reconsiderations]"), |t| !t.is_empty()).await;
    assert!(history.contains("Fler rapporter trots fältarna"), "{history}");
    let terminal = "[data-testid=activity][data-title^='Väktare vid bussterminalen']";
    app.wait_for_count(&format!("{terminal} [data-testid=activity-decision]"), 2).await;

    // The coordinator chooses the terminal's comparison places and a narrower
    // neighbourhood; the estimate uses exactly those.
    app.click(&format!("{terminal} details summary")).await;
    app.click(&format!("{terminal} [data-testid=tune]")).await;
    for place in ["Söderby torg", "Söderbyskolan", "Nytorps centrum", "Nytorps idrottsplats"] {
        app.click(&format!("{terminal} [data-testid=comparison-place][data-place='{place}']")).await;
    }
    app.type_into(&format!("{terminal} [data-testid=neighbour-metres]"), "300").await;
    app.click(&format!("{terminal} [data-testid=save-tuning]")).await;
    let compared = app
        .wait_for_text(&format!("{terminal} [data-testid=comparison]"), |t| {
            t.contains("Nytorps idrottsplats") && !t.contains("Rönninge")
        })
        .await;
    assert_eq!(compared.matches(", ").count(), 3, "{compared}");

    // The coordinator adds an activity; a target that is not a number is refused.
    app.click("[data-testid=new-activity]").await;
    app.type_into("[data-testid=activity-title]", "Belysning vid Söderby park").await;
    app.click("[data-testid=activity-place][data-place='Söderby park']").await;
    app.type_into("[data-testid=activity-target]", "många").await;
    app.click("[data-testid=save-activity]").await;
    let refused = app.wait_for_text("[data-testid=efforts-error]", |t| !t.is_empty()).await;
    assert!(refused.contains("target"), "{refused}");
    app.type_into("[data-testid=activity-target]", "-30 %").await;
    app.click("[data-testid=save-activity]").await;
    app.wait_for_count("[data-testid=activity]", 6).await;
    app.screenshot("efforts/insatser-added", (1366, 768)).await;
    app.quit().await;
}
}
