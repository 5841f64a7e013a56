//! Core benchmarks: recording latency, the weekly lägesbild, store size.

use std::path::Path;
use std::time::{Duration, Instant};

use lagesbild_core::demo::{self, DemoWorkspace};
use lagesbild_core::store::{STORE_FILE, StoreKey};
use lagesbild_core::views;
use lagesbild_core::{Grade, ObservationFilter, Store};

use crate::{Result, bench_dir, ms, now, percentile};

pub fn run(large: bool) -> Result<()> {
    println!("# Core benchmarks\n");
    recording_latency()?;
    effect_estimate();
    lagesbild_over(100_000)?;
    if large {
        lagesbild_over(1_000_000)?;
    } else {
        println!("(1 000 000 observations: run with --large)\n");
    }
    efforts(large)?;
    ledger()
}

/// The publication ledger: a new version for politicians protected against 36 months
/// already published (with their quarters and years) over 200 places, each its own row;
/// and the share of counts published on the demo's data.
pub fn ledger() -> Result<()> {
    use chrono::{Datelike, Months};
    const COUNT: usize = 100_000;
    let dir = bench_dir("ledger")?;
    let mut demo = two_hundred_places();
    let reports = spread_reports(&demo, COUNT, 160, now());
    // Every place its own row: the hardest table to protect.
    demo.places.retain(|p| p.area.is_some());
    for place in &mut demo.places {
        place.area = None;
    }
    let mut store = Store::open(&dir.join(STORE_FILE), &StoreKey::random()?)?;
    let identity = demo.install(&mut store, 0)?;
    for chunk in reports.chunks(10_000) {
        let batch: Vec<_> = chunk
            .iter()
            .map(|(_, r, d)| (r.clone(), d.clone()))
            .collect();
        store.record_many(identity.workspace, &batch, now())?;
    }
    let this_month = now().local_date().with_day(1).ok_or("no first day")?;
    let month = |back: u32| this_month.checked_sub_months(Months::new(back));
    let publish = |store: &mut Store,
                   from: chrono::NaiveDate,
                   until: chrono::NaiveDate|
     -> Result<(Duration, u32, u32)> {
        let start = Instant::now();
        let report =
            views::politicians_report(store, &from.to_string(), &until.to_string(), now())?;
        let html = report.html(lagesbild_core::Lang::Sv);
        store.publish(&report, html.as_bytes(), now())?;
        Ok((start.elapsed(), report.share.shown, report.share.all))
    };
    println!("## The publication ledger ({COUNT} observations, 200 places each its own row)");
    // Three years of months, each quarter and each year as they end, but the last month.
    let mut published = 0;
    let mut months = Vec::new();
    for back in (2..=36).rev() {
        let (from, until) = (month(back).ok_or("month")?, month(back - 1).ok_or("month")?);
        months.push(publish(&mut store, from, until)?);
        published += 1;
        if until.month0() % 3 == 0 {
            publish(
                &mut store,
                until.checked_sub_months(Months::new(3)).ok_or("q")?,
                until,
            )?;
            published += 1;
        }
        if until.month0() == 0 {
            publish(
                &mut store,
                until.checked_sub_months(Months::new(12)).ok_or("y")?,
                until,
            )?;
            published += 1;
        }
    }
    let mut times: Vec<Duration> = months.iter().map(|m| m.0).collect();
    times.sort();
    let (shown, all) = months.iter().fold((0, 0), |(s, a), m| (s + m.1, a + m.2));
    println!(
        "  {published} reports published; each month against the ledger so far: median {}, slowest {}; {:.0} % of the months' counts shown",
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 1.0)),
        f64::from(shown) / f64::from(all.max(1)) * 100.0
    );
    // A new report against all of it: last month (a new part), then the last twelve
    // months (published parts).
    let (new, ..) = publish(&mut store, month(1).ok_or("m")?, this_month)?;
    let (year, shown, all) = publish(&mut store, month(12).ok_or("m")?, this_month)?;
    println!(
        "  against a ledger of {published} reports: last month {}, the last twelve months {}   (goal: under 1 s); the twelve months show {shown} of {all} counts",
        ms(new),
        ms(year)
    );
    // The demo's data, as the app's demo holds it.
    let demo = demo::workspace("Salem (demo)");
    let mut store = Store::open(&dir.join("demo.sqlite3"), &StoreKey::random()?)?;
    let identity = demo.install(&mut store, 0)?;
    store.record_many(identity.workspace, &demo.reports(300, 6, now(), 48), now())?;
    let last = month(1).ok_or("m")?;
    let report =
        views::politicians_report(&store, &last.to_string(), &this_month.to_string(), now())?;
    let pct = |s: lagesbild_core::report::politicians::Share| s.ratio() * 100.0;
    // Reports that stand in an area row whose count is shown (a row of others counts).
    let placed: u32 = report.areas.iter().filter_map(|r| r.reports).sum();
    println!(
        "  the demo's last month (300 reports over six weeks): {:.0} % of counts shown (areas {:.0} %, categories {:.0} %); {:.0} % of its reports in an area row shown\n",
        pct(report.share),
        pct(report.share_areas),
        pct(report.share_categories),
        f64::from(placed) / f64::from(report.reports.unwrap_or(0).max(1)) * 100.0
    );
    Ok(())
}

/// The effects part alone.
pub fn efforts(large: bool) -> Result<()> {
    efforts_over(if large { 1_000_000 } else { 100_000 })
}

/// The demo's organisations and categories with 200 places in 10 areas, 400 m apart
/// on a grid, so that each place has neighbours and most are far from one another.
fn two_hundred_places() -> DemoWorkspace {
    use lagesbild_core::{Place, PlaceId, PlaceKind};
    let mut demo = demo::workspace("Bench");
    let workspace = demo.workspace.id;
    let mut places = Vec::new();
    for a in 0..10 {
        let area = Place::new(
            workspace,
            &format!("Område {a}"),
            true,
            None,
            59.1 + 0.02 * f64::from(a),
            17.7,
        );
        for p in 0..20 {
            let (row, column) = (f64::from(a * 2 + p / 10), f64::from(p % 10));
            places.push(Place {
                id: PlaceId::new(),
                name: format!("Plats {a}-{p}"),
                kind: PlaceKind::Plats,
                area: Some(area.id),
                lat: 59.1 + row * 0.0036,
                lon: 17.7 + column * 0.007,
                ..area.clone()
            });
        }
        places.push(area);
    }
    demo.places = places;
    demo
}

/// `count` reports spread over every place and the `weeks` weeks before `now`: each
/// place at its own level (a tenth to twice the mean), by every organisation, in every
/// category and grade, oldest first.
fn spread_reports(
    demo: &DemoWorkspace,
    count: usize,
    weeks: u32,
    now: lagesbild_core::Timestamp,
) -> Vec<(
    lagesbild_core::Timestamp,
    lagesbild_core::Reporter,
    lagesbild_core::ObservationDraft,
)> {
    let mut rng = fastrand::Rng::with_seed(29);
    let places: Vec<_> = demo.places.iter().filter(|p| p.area.is_some()).collect();
    let levels: Vec<f64> = places.iter().map(|_| 0.1 + 1.9 * rng.f64()).collect();
    let total: f64 = levels.iter().sum();
    let week_ms = 7 * 24 * 3600 * 1000;
    let first = now.millis() - i64::from(weeks) * week_ms;
    let mut out = Vec::with_capacity(count);
    while out.len() < count {
        // A place by its level.
        let mut pick = rng.f64() * total;
        let mut place = places.len() - 1;
        for (i, level) in levels.iter().enumerate() {
            if pick < *level {
                place = i;
                break;
            }
            pick -= level;
        }
        let at =
            lagesbild_core::Timestamp::from_millis(rng.i64(first..now.millis())).unwrap_or(now);
        let reporter = demo.people[1 + rng.usize(..demo.people.len() - 1)].clone();
        let category = &demo.categories[rng.usize(..demo.categories.len())];
        let draft = lagesbild_core::ObservationDraft {
            category: Some(category.key.clone()),
            place: Some(places[place].id.to_string()),
            grade: Some(1 + rng.i64(0..5)),
            observed_at: Some(at.to_string()),
            description: Some("Bänk".into()),
            ..lagesbild_core::ObservationDraft::default()
        };
        out.push((at, reporter, draft));
    }
    out.sort_by_key(|(at, _, _)| *at);
    out
}

/// A store with `count` observations over two years at 200 places and 50 activities at
/// two places each, started over the last year: one activity followed up (its effect
/// with proposed comparisons and placebo interval, indicators and målvisare), and the
/// whole *Insatser* view.
fn efforts_over(count: usize) -> Result<()> {
    use lagesbild_core::IndicatorKind;
    use lagesbild_core::store::{ActivityDraft, IndicatorDraft};
    const WEEKS: u32 = 104;
    const BATCH: usize = 10_000;
    let dir = bench_dir(&format!("efforts-{count}"))?;
    let demo = two_hundred_places();
    let mut store = Store::open(&dir.join(STORE_FILE), &StoreKey::random()?)?;
    let identity = demo.install(&mut store, 0)?;
    let now = now();
    let start = Instant::now();
    let mut batch = Vec::with_capacity(BATCH);
    for (at, reporter, draft) in spread_reports(&demo, count, WEEKS, now) {
        let _ = at;
        batch.push((reporter, draft));
        if batch.len() == BATCH {
            store.record_many(identity.workspace, &batch, now)?;
            batch.clear();
        }
    }
    store.record_many(identity.workspace, &batch, now)?;
    println!("## Effects over {count} observations (200 places, {WEEKS} weeks, 50 activities)");
    println!("  filled in {:.1} s", start.elapsed().as_secs_f64());
    let places: Vec<_> = demo.places.iter().filter(|p| p.area.is_some()).collect();
    let mut ids = Vec::new();
    for i in 0..50usize {
        let weeks_ago = 4 + (i as i64 * 48) / 50;
        let from = now.week().minus(weeks_ago).monday().to_string();
        let activity = store.add_activity(
            &ActivityDraft {
                title: format!("Insats {i}"),
                places: vec![
                    places[i * 4].id.to_string(),
                    places[i * 4 + 1].id.to_string(),
                ],
                from,
                responsible: Some(demo.organisations[4 + i % 3].id),
                indicators: vec![
                    IndicatorDraft::new(IndicatorKind::Reports, "-25 %"),
                    IndicatorDraft::new(IndicatorKind::SevereWeeks, "-50 %"),
                ],
                ..ActivityDraft::default()
            },
            now,
        )?;
        ids.push(activity.id);
    }
    let time = |runs: usize, f: &dyn Fn() -> Result<String>| -> Result<(Duration, String)> {
        let mut times = Vec::new();
        let mut said = String::new();
        for _ in 0..runs {
            let start = Instant::now();
            said = f()?;
            times.push(start.elapsed());
        }
        times.sort();
        Ok((percentile(&times, 0.5), said))
    };
    let (one, verdict) = time(10, &|| {
        let view = views::activity(&store, ids[25], now)?;
        Ok(view
            .follow_up
            .effect
            .map_or_else(String::new, |e| e.treated.verdict.label()))
    })?;
    println!(
        "  one activity followed up (store query, effect, indicators): median {}   (goal: under 50 ms at 1 000 000; verdict: {verdict})",
        ms(one)
    );
    let (all, n) = time(5, &|| {
        Ok(views::efforts(&store, now)?.activities.len().to_string())
    })?;
    println!(
        "  the Insatser view, {n} activities: median {}   (goal: under 200 ms)\n",
        ms(all)
    );
    Ok(())
}

/// Recording durably vs a bare SQLite insert of a row the same size, in WAL mode with
/// synchronous=FULL, one transaction each, interleaved so both see the same disk.
pub fn recording_latency() -> Result<()> {
    const SAMPLES: usize = 1000;
    let dir = bench_dir("record")?;
    let demo = demo::workspace("Bench");
    let mut store = Store::open(&dir.join(STORE_FILE), &StoreKey::random()?)?;
    demo.install(&mut store, 1)?;
    let drafts: Vec<_> = demo
        .reports(SAMPLES, 4, now(), 7)
        .into_iter()
        .map(|(_, d)| d)
        .collect();

    // Two baselines: plain SQLite, and SQLite encrypted as the store is (SQLCipher, a raw
    // key), which is the fair one for the goal.
    let bare = bare_table(&dir.join("bare.sqlite3"), None)?;
    let key = StoreKey::random()?
        .to_hex()
        .map(|hex| format!("x'{}'", hex.as_str()));
    let encrypted = bare_table(&dir.join("bare-encrypted.sqlite3"), key.as_deref())?;
    let sample = store.record(&drafts[0], now())?;
    let body = vec![7u8; serde_json::to_vec(&sample)?.len()];
    // Where the time goes: the same insert without waiting for the disk, and the
    // report's Automerge change alone.
    let unsynced = bare_table(&dir.join("bare-unsynced.sqlite3"), key.as_deref())?;
    unsynced.execute_batch("PRAGMA synchronous = OFF")?;
    let actor = automerge::ActorId::random();
    let mut inserted_unsynced = Vec::with_capacity(SAMPLES);
    let mut changes = Vec::with_capacity(SAMPLES);

    let mut recorded = Vec::with_capacity(SAMPLES);
    let mut inserted = Vec::with_capacity(SAMPLES);
    let mut inserted_encrypted = Vec::with_capacity(SAMPLES);
    for draft in &drafts {
        let start = Instant::now();
        let observation = store.record(draft, now())?;
        recorded.push(start.elapsed());

        let start = Instant::now();
        lagesbild_core::doc::Document::create(&actor, &observation, now())?;
        changes.push(start.elapsed());

        let start = Instant::now();
        unsynced.execute(
            "INSERT INTO rows (id, body) VALUES (?1, ?2)",
            rusqlite::params![uuid_bytes(), body],
        )?;
        inserted_unsynced.push(start.elapsed());

        let start = Instant::now();
        bare.execute(
            "INSERT INTO rows (id, body) VALUES (?1, ?2)",
            rusqlite::params![uuid_bytes(), body],
        )?;
        inserted.push(start.elapsed());

        let start = Instant::now();
        encrypted.execute(
            "INSERT INTO rows (id, body) VALUES (?1, ?2)",
            rusqlite::params![uuid_bytes(), body],
        )?;
        inserted_encrypted.push(start.elapsed());
    }
    for samples in [
        &mut recorded,
        &mut inserted,
        &mut inserted_encrypted,
        &mut inserted_unsynced,
        &mut changes,
    ] {
        samples.sort();
    }
    let (rm, rp) = (percentile(&recorded, 0.5), percentile(&recorded, 0.99));
    let (bm, bp) = (percentile(&inserted, 0.5), percentile(&inserted, 0.99));
    let (em, ep) = (
        percentile(&inserted_encrypted, 0.5),
        percentile(&inserted_encrypted, 0.99),
    );
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
    println!(
        "## Recording an observation durably ({SAMPLES} samples, {} B row for the bare insert)",
        body.len()
    );
    println!(
        "  record():                     median {}  p99 {}",
        ms(rm),
        ms(rp)
    );
    println!(
        "  bare SQLite insert:           median {}  p99 {}",
        ms(bm),
        ms(bp)
    );
    println!(
        "  bare encrypted insert:        median {}  p99 {}",
        ms(em),
        ms(ep)
    );
    println!(
        "  ratio to the encrypted insert: median {:.2}×  p99 {:.2}×   (goal: within 1.5×)",
        ratio(rm, em),
        ratio(rp, ep)
    );
    let (change, unsynced_insert) = (
        percentile(&changes, 0.5),
        percentile(&inserted_unsynced, 0.5),
    );
    let disk = em.saturating_sub(unsynced_insert);
    println!(
        "  where record()'s time goes (medians): the Automerge change {}, waiting for the disk ~{} (the bare insert's wait), the rest {} (lookups, validation, five B-trees written and their pages encrypted, a longer wait for the larger commit)",
        ms(change),
        ms(disk),
        ms(rm.saturating_sub(change).saturating_sub(disk))
    );
    println!(
        "  encryption's own cost:        median {:.2}×  p99 {:.2}× (encrypted over plain insert)\n",
        ratio(em, bm),
        ratio(ep, bp)
    );
    Ok(())
}

/// A table in its own file in WAL mode with synchronous=FULL, encrypted when `key` is
/// given (SQLCipher's `x'…'` form).
fn bare_table(path: &Path, key: Option<&str>) -> Result<rusqlite::Connection> {
    let conn = rusqlite::Connection::open(path)?;
    if let Some(key) = key {
        conn.pragma_update(None, "key", key)?;
    }
    conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
    conn.execute_batch(
        "PRAGMA synchronous = FULL;
         CREATE TABLE rows (id BLOB PRIMARY KEY, body BLOB NOT NULL);",
    )?;
    Ok(conn)
}

fn uuid_bytes() -> Vec<u8> {
    lagesbild_core::ObservationId::new()
        .as_uuid()
        .as_bytes()
        .to_vec()
}

/// Fills a store with `count` observations over two years, then times the week's
/// lägesbild (median of 20 runs) unfiltered and filtered.
fn lagesbild_over(count: usize) -> Result<()> {
    const WEEKS: u32 = 104;
    const BATCH: usize = 10_000;
    let dir = bench_dir(&format!("lagesbild-{count}"))?;
    let path = dir.join(STORE_FILE);
    let demo = demo::workspace("Bench");
    let mut store = Store::open(&path, &StoreKey::random()?)?;
    let identity = demo.install(&mut store, 0)?;
    let now = now();
    let start = Instant::now();
    let mut seed = 0;
    while (seed as usize) * BATCH < count {
        let batch = demo.reports(BATCH.min(count - seed as usize * BATCH), WEEKS, now, seed);
        store.record_many(identity.workspace, &batch, now)?;
        seed += 1;
    }
    let fill = start.elapsed();
    println!("## The weekly lägesbild over {count} observations ({WEEKS} weeks)");
    println!(
        "  filled in {:.1} s ({:.0} observations/s, documents and projections, {BATCH} per transaction)",
        fill.as_secs_f64(),
        count as f64 / fill.as_secs_f64()
    );
    store_size(&store, &path, count)?;

    let week = now.week();
    let time = |filter: &ObservationFilter| -> Result<(Duration, u32)> {
        let mut runs = Vec::new();
        let mut reports = 0;
        for _ in 0..20 {
            let start = Instant::now();
            let picture = views::lagesbild(&store, identity.workspace, week, filter)?;
            runs.push(start.elapsed());
            reports = picture.total_reports;
        }
        runs.sort();
        Ok((percentile(&runs, 0.5), reports))
    };
    let (all, reports) = time(&ObservationFilter::default())?;
    println!(
        "  week {week}: {reports} reports, lägesbild median {}   (goal: under 50 ms at 1 000 000)",
        ms(all)
    );
    let filter = filtered(&demo);
    let (some, reports) = time(&filter)?;
    println!(
        "  filtered (category, grade ≥ 3, area): {reports} reports, median {}\n",
        ms(some)
    );
    Ok(())
}

fn filtered(demo: &DemoWorkspace) -> ObservationFilter {
    ObservationFilter {
        categories: vec!["ordningsstorning".into(), "skadegorelse".into()],
        grades: Grade::ALL.into_iter().filter(|g| g.value() >= 3).collect(),
        place: demo
            .places
            .iter()
            .find(|p| p.name == "Rönninge")
            .map(|p| p.id),
        ..ObservationFilter::default()
    }
}

fn store_size(store: &Store, path: &Path, count: usize) -> Result<()> {
    store.checkpoint()?;
    let stats = store.size_stats()?;
    let file = std::fs::metadata(path)?.len()
        + std::fs::metadata(path.with_extension("sqlite3-wal"))
            .map(|m| m.len())
            .unwrap_or(0);
    let per = |bytes: u64| bytes as f64 / count as f64;
    println!(
        "  store size: {:.0} B per observation on disk ({:.1} MB); of that documents {:.0} B and unsent changes {:.0} B (gone once synced)",
        per(file),
        file as f64 / 1e6,
        per(stats.document_bytes),
        per(stats.pending_bytes),
    );
    Ok(())
}

/// The effect of one activity over two years of 200 places' weekly counts (about
/// 1 000 000 reports): the estimator alone, comparisons proposed, placebos drawn.
fn effect_estimate() {
    use lagesbild_core::effect::synthetic::{Scenario, generate};
    use lagesbild_core::effect::{EffectInput, estimate};
    let scenario = Scenario {
        treated: 3,
        neighbours: 4,
        untreated: 193,
        weeks_before: 78,
        weeks_after: 26,
        level: 48.0,
        effect: -0.3,
        ..Scenario::default()
    };
    let g = generate(&scenario, 1);
    let reports: u64 = [&g.treated, &g.neighbours, &g.untreated]
        .iter()
        .flat_map(|list| list.iter())
        .flat_map(|s| s.weekly.iter())
        .map(|&c| u64::from(c))
        .sum();
    let mut runs = Vec::new();
    let mut verdict = String::new();
    for _ in 0..20 {
        let start = Instant::now();
        let effect = estimate(&EffectInput {
            treated: &g.treated_others,
            neighbours: &g.neighbours_others,
            untreated: &g.untreated_others,
            start: g.start,
            comparison: None,
        });
        runs.push(start.elapsed());
        verdict = effect.map_or_else(|e| e.to_string(), |e| e.treated.verdict.label());
    }
    runs.sort();
    println!("## An activity's effect: 200 places × 104 weeks ({reports} reports)");
    println!(
        "  estimate with proposed comparisons and placebo interval: median {}, p99 {}   (goal: under 50 ms with the store's query)",
        ms(percentile(&runs, 0.5)),
        ms(percentile(&runs, 0.99))
    );
    println!("  verdict on a true −30 %: {verdict}\n");
}
