//! The coordinator's review through the real app: the queue of unreviewed reports, a
//! correction the reporter sees with who made it, two reports linked as one event in the
//! lägesbild, marking reviewed, and erasing a report everywhere.
#![allow(clippy::unwrap_used)]

use lagesbild_tests::app::{Demo, Person};

lagesbild_tests::app_test! {
async fn the_coordinator_reviews_corrects_links_and_erases() {
    let demo = Demo::start("Granskning", 0).await;
    let server = &demo.server;
    let field = demo.app(Person::FieldWorker).open().await;
    field
        .record(
            "Salemhallen",
            "Ordningsstörning",
            4,
            Some("Bråk vid entrén"),
        )
        .await;
    field
        .record(
            "Salemhallen",
            "Ordningsstörning",
            4,
            Some("Samma bråk, sett från parkeringen"),
        )
        .await;
    field
        .record(
            "Rönninge station",
            "Skadegörelse",
            2,
            Some("Klotter på väggen"),
        )
        .await;
    field
        .record("Säby gård", "Ordningsstörning", 3, Some("Felaktig rapport"))
        .await;
    field
        .wait_for_text("[data-testid=waiting]", |t| t.starts_with("0 "))
        .await;

    let coordinator = demo.app(Person::Coordinator).open().await;
    coordinator.click("[data-testid=tab-review]").await;
    coordinator
        .wait_for_text("[data-testid=queue-count]", |t| t.starts_with("4 "))
        .await;
    coordinator.screenshot("review", (1366, 768)).await;
    coordinator.assert_fits("the review queue").await;

    // Two reports of one event: linked, they count once.
    let salemhallen = "[data-testid=queued][data-place='Salemhallen'] [data-testid=select]";
    coordinator.click_nth(salemhallen, 0).await;
    coordinator.click_nth(salemhallen, 1).await;
    coordinator.click("[data-testid=link-selected]").await;
    coordinator
        .wait_for_text("[data-testid=review-done]", |t| t.contains("Länkade"))
        .await;
    coordinator.click("[data-testid=tab-picture]").await;
    coordinator
        .wait_for_text("[data-testid=summary][data-place='Salemhallen']", |t| {
            t.contains("(1 händelser)")
        })
        .await;

    // The table sorts: by place, then by grade, highest first.
    coordinator.click("[data-testid=tab-review]").await;
    coordinator.click("[data-testid=sort-place]").await;
    let first = "[data-testid=review-table] tbody tr[data-testid=queued]";
    assert_eq!(
        coordinator.attribute(first, "data-place").await,
        "Rönninge station"
    );
    coordinator.click("[data-testid=sort-grade]").await;
    assert_eq!(coordinator.attribute(first, "data-place").await, "Salemhallen");
    coordinator.click("[data-testid=sort-grade]").await;
    assert_eq!(
        coordinator.attribute(first, "data-place").await,
        "Rönninge station",
        "lowest first on a second click"
    );

    // A correction: the place was Rönninge centrum, not the station.
    let station = "[data-testid=queued][data-place='Rönninge station']";
    coordinator
        .click(&format!("{station} [data-testid=open]"))
        .await;
    let detail = "[data-testid=detail][data-place='Rönninge station']";
    coordinator
        .click(&format!("{detail} [data-testid=correct]"))
        .await;
    coordinator
        .select(
            &format!("{detail} [data-testid=correct-place]"),
            "Rönninge centrum",
        )
        .await;
    coordinator
        .click(&format!("{detail} [data-testid=save-correction]"))
        .await;
    coordinator
        .wait_for("[data-testid=queued][data-place='Rönninge centrum']")
        .await;

    // At volume: filtered to one place, every row shown selected at once and marked
    // reviewed in one go; the others stay in the queue.
    coordinator
        .select("[data-testid=filter-place]", "Salemhallen")
        .await;
    coordinator
        .wait_for_text("[data-testid=queue-count]", |t| t.starts_with("2 "))
        .await;
    coordinator.click("[data-testid=select-all]").await;
    coordinator
        .wait_for_text("[data-testid=mark-selected]", |t| t.ends_with("(2)"))
        .await;
    coordinator.screenshot("review-filtered", (1366, 768)).await;
    coordinator.click("[data-testid=mark-selected]").await;
    coordinator
        .wait_for_text("[data-testid=none-match]", |t| !t.is_empty())
        .await;
    coordinator.select("[data-testid=filter-place]", "Alla").await;
    coordinator
        .wait_for_text("[data-testid=queue-count]", |t| t.starts_with("2 "))
        .await;
    // Reviewed reports are still there for whoever asks for all of them.
    coordinator.click("[data-testid=filter-unreviewed]").await;
    coordinator
        .wait_for_text("[data-testid=queue-count]", |t| t.starts_with("4 "))
        .await;
    coordinator.click("[data-testid=filter-unreviewed]").await;

    // Erasing: apart from the rest and confirmed; gone from the server, then from the
    // reporter's device.
    let sacked = "[data-testid=queued][data-place='Säby gård']";
    coordinator
        .click(&format!("{sacked} [data-testid=open]"))
        .await;
    let detail = "[data-testid=detail][data-place='Säby gård']";
    coordinator
        .click(&format!("{detail} [data-testid=erase]"))
        .await;
    let warning = coordinator
        .wait_for_text(&format!("{detail} [role=alertdialog]"), |t| {
            t.contains("för gott")
        })
        .await;
    assert!(warning.contains("går inte att ångra"), "{warning}");
    coordinator
        .click(&format!("{detail} [data-testid=confirm-erase]"))
        .await;
    coordinator
        .wait_for_text("[data-testid=queue-count]", |t| t.starts_with("1 "))
        .await;
    let held = server.observations();
    assert_eq!(held.len(), 3, "the erased report is gone from the server");
    assert!(held.iter().all(|o| o.description() != "Felaktig rapport"));
    coordinator.click("[data-testid=sync-now]").await;

    // The reporter sees the correction and who made it; the erased report is gone.
    field.click("[data-testid=sync-now]").await;
    field.click("[data-testid=tab-picture]").await;
    field.click("[data-testid=tab-mine]").await;
    let mine = field
        .wait_for_text("[data-testid=my-reports]", |t| {
            t.contains("Rönninge centrum") && !t.contains("Säby gård")
        })
        .await;
    assert!(!mine.contains("Rönninge station"), "{mine}");
    field
        .click_text("[data-testid=my-report]", "Rönninge centrum")
        .await;
    let correction = field
        .wait_for_text("[data-testid=correction]", |t| !t.is_empty())
        .await;
    assert!(
        correction
            .starts_with("Plats: Rönninge station → Rönninge centrum (ändrad av Samira Lind, "),
        "{correction}"
    );
    field
        .screenshot("corrected-by-coordinator", (390, 844))
        .await;
    let held = server.observations();
    let corrected = held
        .iter()
        .find(|o| o.description() == "Klotter på väggen")
        .unwrap();
    assert_eq!(corrected.corrections.len(), 1);
    assert_eq!(
        held.iter().filter(|o| o.review.is_some()).count(),
        2,
        "the two linked reports are reviewed"
    );
    assert_eq!(
        held.iter().filter(|o| o.links.len() == 1).count(),
        2,
        "the two reports of one event link each other"
    );
    field.quit().await;
    coordinator.quit().await;
}
}

lagesbild_tests::app_test! {
async fn the_coordinator_keeps_places_and_categories_and_devices_follow() {
    let demo = Demo::start("Register", 0).await;
    let server = &demo.server;
    let coordinator = demo.app(Person::Coordinator).open().await;
    coordinator.click("[data-testid=tab-register]").await;

    // A new place in an area.
    coordinator
        .type_into("[data-testid=new-place-name]", "Lekplatsen Ekbacken")
        .await;
    coordinator
        .select("[data-testid=new-place-area]", "Säby")
        .await;
    coordinator.click("[data-testid=add-register-place]").await;
    coordinator
        .wait_for("[data-testid=register-place][data-place='Lekplatsen Ekbacken']")
        .await;
    // Renamed.
    let gard = "[data-testid=register-place][data-place='Säby gård']";
    coordinator
        .click(&format!("{gard} [data-testid=rename]"))
        .await;
    coordinator
        .type_into("[data-testid=new-name]", "Säby gård, parkeringen")
        .await;
    coordinator.click("[data-testid=save-name]").await;
    coordinator
        .wait_for("[data-testid=register-place][data-place='Säby gård, parkeringen']")
        .await;
    // Moved: the car park is across the road from the farm.
    let parking = "[data-testid=register-place][data-place='Säby gård, parkeringen']";
    coordinator
        .click(&format!("{parking} [data-testid=move]"))
        .await;
    // A tap on the map north-east of the place moves it there...
    let before: f64 = coordinator
        .value("[data-testid=place-lat]")
        .await
        .parse()
        .expect("a latitude");
    let before_lon: f64 = coordinator
        .value("[data-testid=place-lon]")
        .await
        .parse()
        .expect("a longitude");
    coordinator
        .wait_for("[data-testid=position-map] canvas")
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    coordinator
        .click_at("[data-testid=position-map]", 80.0, -50.0)
        .await;
    let moved = coordinator
        .wait_for_value("[data-testid=place-lat]", |v| {
            v.parse::<f64>().is_ok_and(|lat| lat > before)
        })
        .await;
    let lon: f64 = coordinator
        .value("[data-testid=place-lon]")
        .await
        .parse()
        .expect("a longitude");
    assert!(lon > before_lon, "east: {lon} after {before_lon}");
    // At zoom 15, 50 px is about 70 m: the tap lands near the place, not across town.
    let lat: f64 = moved.parse().unwrap();
    assert!(lat - before < 0.005, "{lat} after {before}");
    // ...and typed coordinates correct it exactly.
    coordinator
        .type_into("[data-testid=place-lat]", "59.2051")
        .await;
    coordinator
        .type_into("[data-testid=place-lon]", "17.7702")
        .await;
    coordinator.click("[data-testid=save-position]").await;
    coordinator
        .wait_for_text("[data-testid=register-done]", |t| t.contains("Positionen"))
        .await;
    assert_eq!(coordinator.attribute(parking, "data-lat").await, "59.2051");
    assert_eq!(coordinator.attribute(parking, "data-lon").await, "17.7702");
    // Merged.
    let school = "[data-testid=register-place][data-place='Skogsängsskolan']";
    coordinator
        .click(&format!("{school} [data-testid=merge]"))
        .await;
    coordinator
        .select("[data-testid=merge-into]", "Skogsängens fritidsgård")
        .await;
    coordinator.click("[data-testid=save-merge]").await;
    coordinator
        .wait_for_text("[data-testid=register-done]", |t| {
            t.contains("sammanslagna")
        })
        .await;
    assert_eq!(coordinator.count(school).await, 0);
    // A category added, one retired.
    coordinator
        .type_into("[data-testid=new-category-sv]", "Buskörning")
        .await;
    coordinator
        .type_into("[data-testid=new-category-en]", "Reckless driving")
        .await;
    coordinator.click("[data-testid=add-category]").await;
    coordinator
        .wait_for("[data-testid=register-category][data-key='buskorning']")
        .await;
    coordinator
        .click("[data-testid=register-category][data-key='klotter'] [data-testid=retire]")
        .await;
    coordinator
        .wait_for("[data-testid=register-category][data-key='klotter'] [data-testid=retired]")
        .await;
    // Säby's outline, drawn anew: the demo's is there to start from, cleared, then a
    // triangle tapped in; one corner too many taken back. A crossed outline is refused.
    let saby = "[data-testid=register-place][data-place='Säby']";
    coordinator
        .wait_for_text(&format!("{saby} [data-testid=outline-state]"), |t| {
            t == "(ritad gräns)"
        })
        .await;
    coordinator
        .click(&format!("{saby} [data-testid=draw-outline]"))
        .await;
    coordinator.wait_for("[data-testid=outline-map] canvas").await;
    coordinator
        .wait_for_text("[data-testid=outline-count]", |t| t.starts_with("7 hörn"))
        .await;
    coordinator.click("[data-testid=outline-clear]").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let map = "[data-testid=outline-map]";
    for (x, y) in [(-100.0, -70.0), (100.0, 70.0), (100.0, -70.0), (-100.0, 70.0)] {
        coordinator.click_at(map, x, y).await;
    }
    coordinator
        .wait_for_text("[data-testid=outline-count]", |t| t.starts_with("4 hörn"))
        .await;
    coordinator.click("[data-testid=outline-save]").await;
    let refused = coordinator
        .wait_for_text("[data-testid=outline-error]", |t| !t.is_empty())
        .await;
    assert!(refused.contains("får inte korsa"), "{refused}");
    coordinator.click("[data-testid=outline-clear]").await;
    for (x, y) in [(0.0, -90.0), (110.0, 70.0), (-110.0, 70.0), (0.0, 0.0)] {
        coordinator.click_at(map, x, y).await;
    }
    coordinator
        .wait_for_text("[data-testid=outline-count]", |t| t.starts_with("4 hörn"))
        .await;
    coordinator.click("[data-testid=outline-undo]").await;
    coordinator
        .wait_for_text("[data-testid=outline-count]", |t| t.starts_with("3 hörn"))
        .await;
    for size in [(390, 844), (1366, 768)] {
        coordinator
            .screenshot_of("outline-editor", size, "[data-testid=outline-editor]")
            .await;
    }
    coordinator.click("[data-testid=outline-save]").await;
    coordinator
        .wait_for_text("[data-testid=register-done]", |t| t.contains("gräns sparad"))
        .await;
    // The workspace's map address, as a WMTS service writes it.
    coordinator
        .type_into(
            "[data-testid=workspace-tile-url]",
            "https://maps.example.se/wmts/topowebb/default/3857/{TileMatrix}/{TileRow}/{TileCol}.png",
        )
        .await;
    coordinator
        .click("[data-testid=workspace-tiles-save]")
        .await;
    coordinator
        .wait_for_text("[data-testid=register-done]", |t| t.contains("Kartans adress sparad"))
        .await;
    coordinator
        .wait_for("[data-testid=workspace-tiles-remove]")
        .await;
    for size in [(1366, 768), (390, 844)] {
        coordinator.screenshot("register", size).await;
        coordinator
            .assert_fits(&format!("register at {size:?}"))
            .await;
    }

    // A field worker's app follows: Säby as drawn, the map address from the workspace.
    let field = demo.app(Person::FieldWorker).open().await;
    field.click("[data-testid=tab-picture]").await;
    field.click("[data-testid=view-map]").await;
    field
        .wait_for("[data-testid=map-area][data-area='Säby'][data-drawn=true]")
        .await;
    field.click(".tiles summary").await;
    let address = field
        .wait_for_text("[data-testid=workspace-tiles-info]", |t| !t.is_empty())
        .await;
    assert!(
        address.contains("/3857/{z}/{y}/{x}.png"),
        "WMTS's names read as the tile's numbers: {address}"
    );
    field.click("[data-testid=tab-report]").await;
    field
        .type_into("[data-testid=place-search]", "Lekplatsen")
        .await;
    field
        .click_text("[data-testid=place]", "Lekplatsen Ekbacken")
        .await;
    field
        .type_into("[data-testid=place-search]", "Skogsäng")
        .await;
    let offered = field
        .wait_for_text(".places", |t| t.contains("Skogsängens fritidsgård"))
        .await;
    assert!(
        !offered.contains("Skogsängsskolan"),
        "a merged place takes no new reports"
    );
    field
        .type_into("[data-testid=place-search]", "Säby gård")
        .await;
    field
        .wait_for_text(".places", |t| t.contains("Säby gård, parkeringen"))
        .await;
    field
        .type_into("[data-testid=place-search]", "Lekplatsen")
        .await;
    field
        .click_text("[data-testid=place]", "Lekplatsen Ekbacken")
        .await;
    field
        .click_text("[data-testid=category]", "Skadegörelse")
        .await;
    let subs = field.wait_for_text(".choices.sub", |t| !t.is_empty()).await;
    assert!(
        !subs.contains("Klotter"),
        "a retired category takes no new reports: {subs}"
    );
    // Another category: the chosen one opens the grid again.
    field.click("[data-testid=change-category]").await;
    field
        .click_text("[data-testid=category]", "Buskörning")
        .await;
    field.click("[data-testid=grade-2]").await;
    field.click("[data-testid=save]").await;
    field.wait_for("[data-testid=saved]").await;
    field
        .wait_for_text("[data-testid=waiting]", |t| t.starts_with("0 "))
        .await;
    let held = server.observations();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].category, "buskorning");
    field.quit().await;
    coordinator.quit().await;
}
}
