//! The real app binary under Xvfb, driven through tauri-driver and WebKitWebDriver, as a
//! user would use it: recording with no server and finding the report after a restart;
//! two apps and a real server, where one's report reaches the other's lägesbild. Saves
//! screenshots of the main screens at phone, tablet and laptop sizes under
//! `target/screenshots`.
#![allow(clippy::unwrap_used)]

use lagesbild_core::sync::link::EnrolmentLink;
use lagesbild_tests::TestServer;
use lagesbild_tests::app::{App, Demo, Person, TileServer, make_mbtiles, share_of_colour};

const SIZES: [(u32, u32); 3] = [(390, 844), (820, 1180), (1366, 768)];

/// Waits until the server holds `n` reports; returns them.
async fn on_server(server: &TestServer, n: usize) -> Vec<lagesbild_core::Observation> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let held = server.observations();
        if held.len() >= n {
            return held;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the server holds {} reports, not {n}",
            held.len()
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// The share of the map in `colour` at the laptop size, once it is over 0.3 or after
/// ten seconds, whichever comes first: the map draws its tiles a moment after they
/// arrive. The last screenshot is saved as `name`.
async fn map_shows(app: &App, name: &str, colour: [u8; 3]) -> f64 {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let shot = app.screenshot(name, (1366, 768)).await;
        let map_box = app
            .evaluate(
                "const r = document.querySelector('[data-testid=map]').getBoundingClientRect();
                 return [r.left, r.top, r.width, r.height].map(Math.round);",
            )
            .await;
        let map_box: [usize; 4] = serde_json::from_value(map_box).expect("the map's box");
        let share = share_of_colour(&shot, map_box, colour);
        if share > 0.3 || std::time::Instant::now() > deadline {
            return share;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

lagesbild_tests::app_test! {
async fn a_report_recorded_with_no_server_survives_a_restart() {
    let mut demo = Demo::start("E2E", 0).await;
    let app = demo.app(Person::FieldWorker).open().await;
    demo.server.stop().await;

    app.record("Rönninge station", "Ordningsstörning", 4, None)
        .await;
    app.wait_for_text("[data-testid=waiting]", |t| t.starts_with("1 "))
        .await;
    app.wait_for_text("[data-testid=offline-hint]", |t| {
        t.contains("sparade på enheten")
    })
    .await;
    app.quit().await;

    // Started again, with the server still down.
    let app = demo
        .app(Person::FieldWorker)
        .no_wait_for_sync()
        .open()
        .await;
    app.click("[data-testid=tab-mine]").await;
    let mine = app
        .wait_for_text("[data-testid=my-reports]", |t| {
            t.contains("Rönninge station")
        })
        .await;
    assert_eq!(app.count("[data-testid=my-report]").await, 1, "{mine}");
    assert_eq!(
        app.wait_for_text("[data-testid=my-report] .badge", |t| !t.is_empty())
            .await,
        "4",
        "the report keeps its grade: {mine}"
    );
    assert!(
        mine.contains("Rönninge station · Ordningsstörning"),
        "{mine}"
    );
    app.wait_for_text("[data-testid=waiting]", |t| t.starts_with("1 "))
        .await;

    // The server comes back: the report is sent.
    demo.server.resume().await;
    app.click("[data-testid=sync-now]").await;
    app.wait_for_text("[data-testid=waiting]", |t| t.starts_with("0 "))
        .await;
    assert_eq!(demo.server.observations().len(), 1);

    // The coordinator switches the device off: the user is told, in Swedish, what now.
    for device in demo.server.service.devices().unwrap() {
        demo.server
            .service
            .revoke_device(device.id, lagesbild_tests::now())
            .unwrap();
    }
    app.click("[data-testid=sync-now]").await;
    app.wait_for_text("[data-testid=sync-state]", |t| t == "Avstängd")
        .await;
    app.wait_for_text("[data-testid=revoked]", |t| t.contains("ny kod"))
        .await;
    app.quit().await;
}
}

lagesbild_tests::app_test! {
async fn a_report_on_one_app_reaches_the_other_apps_lagesbild() {
    let demo = Demo::start("E2E", 40).await;
    let server = &demo.server;
    let field = demo.app(Person::FieldWorker).open().await;
    let guard = demo.app(Person::Guard).open().await;

    field.record("Salemhallen", "Skadegörelse", 5, None).await;
    // A second report, for the field workers' own organisation only, with the details
    // a report can carry.
    field.click_text("[data-testid=place]", "Salemhallen").await;
    field.click_text("[data-testid=category]", "Alkohol").await;
    field.click("[data-testid=grade-3]").await;
    field.click("[data-testid=more]").await;
    field.type_into("[data-testid=people]", "6").await;
    field.select("[data-testid=age-group]", "Unga").await;
    field.select("[data-testid=source]", "Själv sett").await;
    field
        .type_into("[data-testid=place-detail]", "vid entrén")
        .await;
    field
        .type_into(
            "[data-testid=description]",
            "Känd grupp, uppgifter under sekretess",
        )
        .await;
    field
        .select("[data-testid=visibility]", "Egen organisation")
        .await;
    // From 50 to 10 minutes ago, within this Swedish week (the week the guard's
    // lägesbild shows), entered in Swedish time to the minute.
    let week_start = lagesbild_tests::now().week().bounds().0.0;
    while chrono::Utc::now() - week_start < chrono::Duration::minutes(3) {
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    }
    let now = chrono::Utc::now();
    let minute =
        |t: chrono::DateTime<chrono::Utc>| lagesbild_core::Timestamp::from(t).local_display();
    let from = (now - chrono::Duration::minutes(50)).max(week_start + chrono::Duration::minutes(1));
    let until = (now - chrono::Duration::minutes(10)).max(from + chrono::Duration::minutes(1));
    let (started, ended) = (minute(from), minute(until));
    let as_entered =
        |text: &str| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap();
    let minutes = (as_entered(&ended) - as_entered(&started)).num_minutes();
    field.paste("[data-testid=when]", &started).await;
    field.paste("[data-testid=until]", &ended).await;
    field.screenshot("report-details", (390, 844)).await;
    field.assert_fits("the open report form on a phone").await;
    field.click("[data-testid=save]").await;
    field.wait_for("[data-testid=saved]").await;
    let stored = on_server(server, 42).await;
    let narrowed = stored
        .iter()
        .find(|o| o.description() == "Känd grupp, uppgifter under sekretess")
        .expect("the narrowed report reached the server");
    assert_eq!(
        narrowed.visibility,
        lagesbild_core::Visibility::EgenOrganisation
    );
    assert_eq!(narrowed.place_detail.as_deref(), Some("vid entrén"));
    assert_eq!(narrowed.people, Some(6));
    let span = narrowed.observed_until.expect("the span's end").0 - narrowed.observed_at.0;
    assert_eq!(span.num_minutes(), minutes, "the span as entered");
    // The field worker's own list shows the details back.
    field.click("[data-testid=tab-mine]").await;
    field.click_text("[data-testid=my-report]", "Alkohol").await;
    let handling = field
        .wait_for_text("[data-testid=detail-handling]", |t| {
            t.contains("Egen organisation")
        })
        .await;
    assert!(handling.contains("Ny"), "{handling}");
    field
        .wait_for_text("[data-testid=detail-what]", |t| t.contains("vid entrén"))
        .await;

    guard.click("[data-testid=tab-picture]").await;
    let highest = "[data-testid=summary][data-place='Salemhallen'] [data-testid=highest]";
    guard.wait_for_text(highest, |t| t == "5").await;
    guard
        .click("[data-testid=summary][data-place='Salemhallen']")
        .await;
    // The guard company counts the narrowed report but cannot read it: its row, the
    // only restricted one (the demo's reports are for everyone), says when and what,
    // and no more. The other report is shown as recorded.
    let rows = guard
        .wait_for_text(".rows", |t| {
            t.contains("Skadegörelse") && t.contains("Begränsad")
        })
        .await;
    assert!(
        !rows.contains("sekretess"),
        "the narrowed text is not shown: {rows}"
    );
    let rows = guard
        .evaluate(
            "return [...document.querySelectorAll('.rows [data-testid=place-row]')].map((r) =>
               [r.classList.contains('restricted'), r.textContent.replace(/\\s+/g, ' ').trim()]);",
        )
        .await;
    let rows: Vec<(bool, String)> = serde_json::from_value(rows).unwrap();
    let restricted: Vec<&str> = rows
        .iter()
        .filter(|(restricted, _)| *restricted)
        .map(|(_, text)| text.as_str())
        .collect();
    assert_eq!(
        restricted,
        [format!(
            "3 {started} · Alkohol Begränsad – detaljer visas inte för din organisation"
        )],
        "{rows:?}"
    );
    let highest_rows: Vec<&(bool, String)> = rows
        .iter()
        .filter(|(_, text)| text.starts_with("5 ") && text.contains(" · Skadegörelse"))
        .collect();
    assert_eq!(highest_rows.len(), 1, "the report of grade 5: {rows:?}");
    assert!(!highest_rows[0].0, "{rows:?}");

    for (screen, tab) in [
        ("report", "tab-report"),
        ("lagesbild", "tab-picture"),
        ("mine", "tab-mine"),
    ] {
        guard.click(&format!("[data-testid={tab}]")).await;
        for size in SIZES {
            let path = guard.screenshot(screen, size).await;
            assert!(
                std::fs::metadata(&path).unwrap().len() > 1000,
                "{} holds a picture",
                path.display()
            );
            guard.assert_fits(&format!("{screen} at {size:?}")).await;
        }
        for theme in ["light", "dark"] {
            guard.set_theme(theme).await;
            let failures = guard.contrast_failures().await;
            assert!(
                failures.is_empty(),
                "{screen} in the {theme} theme: text below WCAG AA contrast: {failures:?}"
            );
        }
        guard.set_theme("light").await;
    }
    // The demo's last weeks of meetings: three decisions to follow up.
    guard.click("[data-testid=tab-meeting]").await;
    guard
        .wait_for_text("[data-testid=follow-ups]", |t| {
            t.contains("Rönninge station") && t.contains("Genomförd") && t.contains("Planerad")
        })
        .await;
    assert_eq!(guard.count("[data-testid=follow-up]").await, 3);
    guard.screenshot("meeting-demo", (1366, 768)).await;
    guard.click("[data-testid=tab-picture]").await;
    guard.click("[data-testid=view-map]").await;
    let hall = "[data-testid=map-place][data-place='Salemhallen']";
    guard.wait_for(hall).await;
    // Each marker shows its grade as a number as well as a colour — Salemhallen's the 5
    // recorded, the highest there this week (the demo's reports there are 1 to 3) —
    // and the legend says what the numbers and colours mean.
    let grade = guard.wait_for_text(hall, |t| !t.is_empty()).await;
    assert_eq!(grade.trim(), "5", "the marker shows the grade recorded");
    let named = guard.attribute(hall, "aria-label").await;
    assert!(named.starts_with("Salemhallen: 5 "), "{named}");
    assert_eq!(
        guard.count("[data-testid=map-legend] .badge").await,
        5,
        "the legend has the five grades"
    );
    // No label covers another place's marker, nor another label.
    let covered = guard
        .evaluate(
            "const box = (e) => e.getBoundingClientRect();
             const over = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
             const pins = [...document.querySelectorAll('[data-testid=map-place]')];
             const labels = [...document.querySelectorAll('[data-testid=map-label], [data-testid=map-area]')];
             const out = [];
             for (const l of labels) {
               for (const p of pins) if (over(box(l), box(p))) out.push(l.textContent + ' covers ' + p.dataset.place);
               for (const m of labels) if (m !== l && over(box(l), box(m))) out.push(l.textContent + ' covers ' + m.textContent);
             }
             return { covered: out, labels: labels.length, areas: document.querySelectorAll('[data-testid=map-area]').length };",
        )
        .await;
    assert_eq!(covered["covered"], serde_json::json!([]), "{covered}");
    assert!(covered["labels"].as_u64().unwrap() >= 3, "{covered}");
    assert!(
        covered["areas"].as_u64().unwrap() >= 1,
        "areas are outlined and named: {covered}"
    );
    // Without a basemap the map says how to add one; it has a scale.
    let note = guard
        .wait_for_text("[data-testid=no-basemap]", |t| !t.is_empty())
        .await;
    assert!(note.contains("Kartbakgrund"), "{note}");
    assert_eq!(guard.count(".maplibregl-ctrl-scale").await, 1, "a scale bar");
    // Zoomed out, places that would hide one another are gathered into one marker with
    // their number; no marker covers another; a tap on it zooms back in on them.
    let markers = "[data-testid=map-place], [data-testid=map-cluster]";
    for _ in 0..4 {
        guard.click(".maplibregl-ctrl-zoom-out").await;
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    }
    let cluster = "[data-testid=map-cluster]";
    guard.wait_for(cluster).await;
    let count: usize = guard.attribute(cluster, "data-count").await.parse().unwrap();
    assert!(count >= 2, "{count}");
    let overlapping = guard
        .evaluate(&format!(
            "const pins = [...document.querySelectorAll('{markers}')].map((e) => e.getBoundingClientRect());
             let n = 0;
             for (const a of pins) for (const b of pins) if (a !== b) {{
               const d = Math.hypot(a.x + a.width / 2 - b.x - b.width / 2, a.y + a.height / 2 - b.y - b.height / 2);
               if (d < (a.width + b.width) / 2 - 1) n++;
             }}
             return n;"
        ))
        .await;
    assert_eq!(overlapping, serde_json::json!(0), "markers cover one another");
    let before = guard.count(markers).await;
    guard.click(cluster).await;
    let start = std::time::Instant::now();
    while guard.count(markers).await <= before && guard.count("[data-testid=cluster-list]").await == 0 {
        assert!(start.elapsed().as_secs() < 10, "the cluster never opened");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    guard.screenshot("map-clustered", (1366, 768)).await;
    guard.click("[data-testid=view-list]").await;
    guard.click("[data-testid=view-map]").await;
    guard.wait_for(hall).await;

    // A tap on a marker opens the place's reports under the map.
    guard.click(hall).await;
    guard
        .wait_for_text("[data-testid=map-rows] h3", |t| t.contains("Salemhallen"))
        .await;
    guard
        .wait_for("[data-testid=map-rows] [data-testid=place-row]")
        .await;
    guard.screenshot("map", (1366, 768)).await;
    assert_eq!(
        guard.attribute("[data-testid=map]", "data-tiles").await,
        "0",
        "no tiles unless a basemap or a tile URL is configured"
    );

    // With a tile URL, the places sit on tiles fetched from it — by the app, which
    // hands them to the map on its own scheme.
    let tile_server = TileServer::start().await;
    guard.click(".tiles summary").await;
    guard
        .type_into("[data-testid=tile-url]", &tile_server.url)
        .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while tile_server.requested().is_empty() {
        assert!(std::time::Instant::now() < deadline, "no tile was fetched");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let fetched = tile_server.requested();
    assert!(
        fetched
            .iter()
            .all(|p| p.split('/').next().unwrap().parse::<u32>().unwrap() >= 12),
        "zoomed in on the municipality: {fetched:?}"
    );
    // The tile server's grey (200, 200, 200) fills the map: the page, which may not
    // reach the tile server itself (below), drew the tiles the app fetched.
    let share = map_shows(&guard, "map-tiles", [200, 200, 200]).await;
    assert!(
        share > 0.3,
        "the online tiles fill the map: {share:.2} of it is their grey"
    );
    // The page itself reaches nothing outside the app: not an image, not a request,
    // not a navigation, not a new window — here to a server on this machine that the
    // app was never told of.
    let elsewhere = TileServer::start().await;
    let away = |path: &str| elsewhere.url.replace("{z}/{x}/{y}.png", path);
    let outside = guard
        .client
        .execute(
            "const [image, request] = arguments;
             window.outside = { image: null, request: null, refused: [] };
             document.addEventListener('securitypolicyviolation', (e) =>
               window.outside.refused.push(e.effectiveDirective || e.violatedDirective));
             const img = new Image();
             img.onload = () => { window.outside.image = 'loaded'; img.remove(); };
             img.onerror = () => { window.outside.image = 'refused'; img.remove(); };
             img.src = image;
             document.body.append(img);
             fetch(request).then(() => { window.outside.request = 'answered'; },
                                 () => { window.outside.request = 'refused'; });
             return location.href;",
            vec![away("1/1/1.png").into(), away("2/2/2.png").into()],
        )
        .await
        .expect("a script in the page");
    let page = outside.as_str().unwrap().to_string();
    assert!(page.starts_with("tauri://localhost"), "{page}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let outcome = loop {
        let outcome = guard.evaluate("return window.outside;").await;
        if !outcome["image"].is_null() && !outcome["request"].is_null() {
            break outcome;
        }
        assert!(std::time::Instant::now() < deadline, "{outcome}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(outcome["image"], "refused", "{outcome}");
    assert_eq!(outcome["request"], "refused", "{outcome}");
    let refused = outcome["refused"].to_string();
    assert!(
        refused.contains("img-src") && refused.contains("connect-src"),
        "the content security policy refused them: {outcome}"
    );
    guard
        .client
        .execute(
            "const [page, popup] = arguments;
             setTimeout(() => { location.href = page; }, 0);
             setTimeout(() => { window.open(popup); }, 0);",
            vec![away("3/3/away.html").into(), away("4/4/popup.html").into()],
        )
        .await
        .expect("a script in the page");
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(
        guard.evaluate("return location.href;").await,
        serde_json::Value::from(page.clone()),
        "the window stays on the app"
    );
    assert_eq!(
        guard.count("[data-testid=map]").await,
        1,
        "the app is still shown"
    );
    let windows = guard.client.windows().await.expect("the windows");
    assert_eq!(windows.len(), 1, "no new window");
    assert_eq!(
        elsewhere.requested(),
        Vec::<String>::new(),
        "nothing reached the other server"
    );
    guard.type_into("[data-testid=tile-url]", "").await;

    // The offline basemap: one MBTiles file, loaded once, drawn with no server at all.
    let map_file = demo.path("salem.mbtiles");
    let tile_colour = [0xb0, 0x40, 0x90];
    make_mbtiles(
        &map_file,
        "Salem testkarta",
        [17.70, 59.17, 17.86, 59.25],
        8..=15,
        tile_colour,
    );
    guard
        .choose_file("[data-testid=basemap-file]", &map_file)
        .await;
    guard
        .wait_for_text("[data-testid=basemap-info]", |t| {
            t.contains("Salem testkarta") && t.contains("8–15")
        })
        .await;
    // The map counts the tiles of the source it shows: from 0 again for the file.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while guard.attribute("[data-testid=map]", "data-tiles").await == "0" {
        assert!(
            std::time::Instant::now() < deadline,
            "no tile came from the basemap file"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let share = map_shows(&guard, "map-basemap", tile_colour).await;
    assert!(
        share > 0.3,
        "the basemap's tiles fill the map: {share:.2} of it has their colour"
    );
    guard.click("[data-testid=basemap-remove]").await;
    // Removing the basemap is answered once the app has deleted the file.
    guard.wait_for_count("[data-testid=basemap-info]", 0).await;
    guard.click("[data-testid=theme]").await;
    guard.screenshot("lagesbild-dark", (390, 844)).await;
    field.quit().await;
    guard.quit().await;
}
}

lagesbild_tests::app_test! {
async fn reports_made_before_enrolment_are_sent_after_it_and_can_be_edited() {
    let demo = Demo::start("E2E", 0).await;
    let server = &demo.server;
    let app = demo.new_app("app").await;

    // First start asks for the server and code.
    for size in [(390, 844), (1366, 768)] {
        app.screenshot("enrol", size).await;
        app.assert_fits(&format!("the enrolment form at {size:?}"))
            .await;
    }
    // No connection: record anyway, naming the places.
    app.type_into("[data-testid=local-name]", "Sam").await;
    app.click("[data-testid=record-locally]").await;
    app.wait_for_text("[data-testid=sync-status]", |t| t.contains("Ej ansluten"))
        .await;
    for (place, grade) in [("Rönninge station", 3), ("Bakgården", 2)] {
        app.type_into("[data-testid=place-search]", place).await;
        app.click("[data-testid=add-place]").await;
        app.type_into("[data-testid=place-search]", "").await;
        app.click_text("[data-testid=category]", "Ordningsstörning")
            .await;
        app.click(&format!("[data-testid=grade-{grade}]")).await;
        app.click("[data-testid=save]").await;
        app.wait_for("[data-testid=saved]").await;
    }
    // Both wait, counted as soon as they are saved, and each says so in Mina rapporter.
    app.wait_for_text("[data-testid=waiting]", |t| t == "2 rapporter väntar")
        .await;
    app.screenshot("local-report", (390, 844)).await;
    app.click("[data-testid=tab-mine]").await;
    app.wait_for_text("[data-testid=my-reports]", |t| {
        t.matches("väntar på anslutning").count() == 2
    })
    .await;
    app.click("[data-testid=tab-report]").await;

    // Connect. A mistyped code is refused in Swedish, with what to do.
    app.click("[data-testid=connect]").await;
    app.type_into("[data-testid=server]", &server.url()).await;
    app.type_into("[data-testid=code]", "AAAA-BBBB-CCCC").await;
    app.click("[data-testid=enrol]").await;
    app.wait_for_text("[role=alert]", |t| {
        t.contains("Koden godtogs inte") && t.contains("be samordnaren om en ny")
    })
    .await;
    // The link from the coordinator's QR code, pasted into the code field, fills both
    // (the address too, typed wrong meanwhile).
    app.type_into("[data-testid=server]", "http://lagesbild.example")
        .await;
    let link = EnrolmentLink {
        server: server.url(),
        code: demo.code(Person::FieldWorker).to_string(),
        ca: None,
    };
    app.paste("[data-testid=code]", &link.to_string()).await;
    assert_eq!(app.value("[data-testid=server]").await, server.url());
    assert_eq!(
        app.value("[data-testid=code]").await,
        demo.code(Person::FieldWorker)
    );
    // The report at a place the workspace knows is sent by itself.
    app.click("[data-testid=enrol]").await;
    app.wait_for_text("[data-testid=sync-state]", |t| t.starts_with("Synkad"))
        .await;
    let sent = on_server(server, 1).await;
    assert_eq!(sent.len(), 1, "the report at Rönninge station was sent");
    // The other still waits to be sent.
    app.wait_for_text("[data-testid=waiting]", |t| t.starts_with("1 "))
        .await;
    assert_eq!(sent[0].grade.value(), 3);

    // The other waits for a place; picking one sends it.
    app.click("[data-testid=tab-mine]").await;
    app.wait_for_text("[data-testid=waiting-for-place]", |t| {
        t.contains("Bakgården")
    })
    .await;
    app.screenshot("waiting-for-place", (390, 844)).await;
    app.select("[data-testid=pick-place]", "Salemhallen").await;
    app.wait_for_text("[data-testid=my-reports]", |t| t.contains("Salemhallen"))
        .await;
    app.wait_for_text("[data-testid=waiting]", |t| t == "0 rapporter väntar")
        .await;
    on_server(server, 2).await;
    // Each report now says when the server had it.
    app.wait_for_text("[data-testid=my-reports]", |t| {
        t.matches("skickad ").count() == 2
    })
    .await;

    // Edit: the grade of the report at Rönninge station goes up, and the server has it.
    app.click_text("[data-testid=my-report]", "Rönninge station")
        .await;
    app.click("[data-testid=edit]").await;
    app.click("[data-testid=grade-5]").await;
    app.type_into("[data-testid=description]", "Större grupp än först sagt")
        .await;
    app.click("[data-testid=save]").await;
    app.wait_for_text("[data-testid=detail]", |t| t.contains("Större grupp"))
        .await;
    app.screenshot("edited", (390, 844)).await;
    app.click("[data-testid=sync-now]").await;
    let id = sent[0].id;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let now_on_server = server.observations();
        let edited = now_on_server.iter().find(|o| o.id == id).unwrap();
        if edited.grade.value() == 5 {
            assert_eq!(edited.description(), "Större grupp än först sagt");
            assert_eq!(edited.category, sent[0].category, "untouched fields stay");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the edit never reached the server"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    app.quit().await;
}
}
