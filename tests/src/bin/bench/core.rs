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
    Ok(())
}

/// Recording durably vs a bare SQLite insert of a row the same size, in WAL mode with
/// synchronous=FULL, one transaction each, interleaved so both see the same disk.
fn recording_latency() -> Result<()> {
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

    let mut recorded = Vec::with_capacity(SAMPLES);
    let mut inserted = Vec::with_capacity(SAMPLES);
    let mut inserted_encrypted = Vec::with_capacity(SAMPLES);
    for draft in &drafts {
        let start = Instant::now();
        store.record(draft, now())?;
        recorded.push(start.elapsed());

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
    for samples in [&mut recorded, &mut inserted, &mut inserted_encrypted] {
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
        "  ratio to the encrypted insert: median {:.2}×  p99 {:.2}×   (goal: within 2×)",
        ratio(rm, em),
        ratio(rp, ep)
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
