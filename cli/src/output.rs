//! Printing for people. `--json` output uses serde instead. Everything people typed
//! (names, descriptions, notes) is printed through `terminal_line` or `terminal_block`,
//! so its control characters are shown escaped and cannot move the cursor, clear the
//! screen or fake a line of output.

use std::collections::HashMap;
use std::io::Write;

use anyhow::Result;
use lagesbild_core::inert::{terminal_block, terminal_line};
use lagesbild_core::lagesbild::{Lagesbild, Summary, Trend};
use lagesbild_core::{Category, Lang, Observation, ObservationRow, Place, Store};
use serde::Serialize;

pub fn json(out: &mut impl Write, value: &impl Serialize) -> Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)?;
    Ok(())
}

fn category_names(
    store: &Store,
    workspace: lagesbild_core::WorkspaceId,
    lang: Lang,
) -> Result<HashMap<String, String>> {
    Ok(store
        .categories(workspace)?
        .into_iter()
        .map(|c| (c.key.clone(), c.name(lang).to_string()))
        .collect())
}

/// Where the continuation lines of a field in `observation` start: under its value.
const FIELD_INDENT: &str = "               ";

/// Cuts text to `width` characters, marking the cut; its control characters escaped
/// (`terminal_line`) before it is measured.
fn fit(text: &str, width: usize) -> String {
    let text = terminal_line(text).to_string();
    if text.chars().count() <= width {
        return text;
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

pub fn observation(out: &mut impl Write, store: &Store, o: &Observation, lang: Lang) -> Result<()> {
    let categories = category_names(store, o.workspace, lang)?;
    let place = store
        .place(o.place)
        .map(|p| p.name)
        .unwrap_or_else(|_| o.place.to_string());
    let organisation = store
        .organisation(o.reporter.organisation)
        .map(|o| o.name)
        .unwrap_or_default();
    let label = |sv: &str, en: &str| {
        if lang == Lang::Sv {
            sv.to_string()
        } else {
            en.to_string()
        }
    };
    writeln!(out, "{}", o.id)?;
    writeln!(
        out,
        "  {:<12} {}",
        label("Vad", "What"),
        terminal_line(categories.get(&o.category).unwrap_or(&o.category))
    )?;
    writeln!(
        out,
        "  {:<12} {}{}",
        label("Var", "Where"),
        terminal_line(&place),
        o.place_detail
            .as_ref()
            .map(|d| format!(" ({})", terminal_line(d)))
            .unwrap_or_default()
    )?;
    let until = o
        .observed_until
        .map(|u| format!(" – {}", u.local_display()))
        .unwrap_or_default();
    writeln!(
        out,
        "  {:<12} {}{}",
        label("När", "When"),
        o.observed_at.local_display(),
        until
    )?;
    writeln!(
        out,
        "  {:<12} {} {}",
        label("Bedömning", "Grade"),
        o.grade.value(),
        o.grade.label(lang)
    )?;
    if let Some(people) = o.people {
        let age = o
            .age_group
            .map(|a| format!(", {}", a.label(lang).to_lowercase()))
            .unwrap_or_default();
        writeln!(out, "  {:<12} {people}{age}", label("Antal", "People"))?;
    }
    if let Some(source) = o.source {
        writeln!(
            out,
            "  {:<12} {}",
            label("Källa", "Source"),
            source.label(lang)
        )?;
    }
    if !o.description().is_empty() {
        writeln!(
            out,
            "  {:<12} {}",
            label("Beskrivning", "Description"),
            terminal_block(o.description(), FIELD_INDENT)
        )?;
    }
    writeln!(
        out,
        "  {:<12} {} ({}, {})",
        label("Rapportör", "Reporter"),
        terminal_line(&o.reporter.name),
        o.reporter.role.label(lang),
        terminal_line(&organisation)
    )?;
    writeln!(
        out,
        "  {:<12} {}, {}",
        label("Status", "Status"),
        o.status.label(lang),
        o.visibility.label(lang).to_lowercase()
    )?;
    for c in &o.corrections {
        writeln!(
            out,
            "  {:<12} {} {} → {} ({}, {})",
            label("Rättad", "Corrected"),
            terminal_line(&c.field),
            terminal_line(&c.from),
            terminal_line(&c.to),
            terminal_line(&c.by.name),
            c.at.local_display()
        )?;
    }
    for note in &o.notes {
        writeln!(
            out,
            "  {:<12} {} {}: {}",
            label("Anteckning", "Note"),
            note.at.local_display(),
            terminal_line(&note.author.name),
            terminal_block(&note.text, FIELD_INDENT)
        )?;
    }
    Ok(())
}

pub fn rows(
    out: &mut impl Write,
    store: &Store,
    rows: &[ObservationRow],
    lang: Lang,
) -> Result<()> {
    let Some(first) = rows.first() else {
        writeln!(
            out,
            "{}",
            if lang == Lang::Sv {
                "Inga rapporter."
            } else {
                "No reports."
            }
        )?;
        return Ok(());
    };
    let categories = category_names(store, first.workspace, lang)?;
    for r in rows {
        writeln!(
            out,
            "{}  {}  {} {:<13}  {:<28}  {:<24}  {}",
            r.id,
            r.observed_at.local_display(),
            r.grade.value(),
            fit(r.grade.label(lang), 13),
            fit(&r.place_name, 28),
            fit(categories.get(&r.category).unwrap_or(&r.category), 24),
            fit(&r.description, 40),
        )?;
    }
    Ok(())
}

fn trend(t: Trend, lang: Lang) -> &'static str {
    match (t, lang) {
        (Trend::New, Lang::Sv) => "ny",
        (Trend::New, Lang::En) => "new",
        (Trend::Rising, _) => "↑",
        (Trend::Steady, _) => "→",
        (Trend::Falling, _) => "↓",
    }
}

fn summary_line(
    out: &mut impl Write,
    s: &Summary,
    categories: &HashMap<String, String>,
    lang: Lang,
) -> Result<()> {
    let highest = s
        .highest
        .map(|g| format!("{} {}", g.value(), g.label(lang)))
        .unwrap_or_else(|| "–".into());
    let median = s
        .median
        .map(|m| format!("{m:.1}"))
        .unwrap_or_else(|| "–".into());
    let mut top: Vec<(&String, &u32)> = s.categories.iter().collect();
    top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let top: Vec<String> = top
        .iter()
        .take(3)
        .map(|(k, n)| format!("{} {n}", categories.get(*k).unwrap_or(k)))
        .collect();
    let previous: Vec<String> = s.previous.iter().rev().map(u32::to_string).collect();
    writeln!(
        out,
        "  {:<30} {:>4}  {:<17} {:>6}  {:<3} {:<11}  {:>3} org  {}",
        fit(&s.name, 30),
        s.reports,
        highest,
        median,
        trend(s.trend, lang),
        previous.join(" "),
        s.organisations.len(),
        fit(&top.join(", "), 60),
    )?;
    Ok(())
}

pub fn lagesbild(out: &mut impl Write, store: &Store, l: &Lagesbild, lang: Lang) -> Result<()> {
    let categories = category_names(store, l.workspace, lang)?;
    let sv = lang == Lang::Sv;
    let (title, areas, places) = if sv {
        ("Lägesbild", "Områden", "Platser")
    } else {
        ("Situation picture", "Areas", "Places")
    };
    writeln!(
        out,
        "{title} {} ({} {})",
        l.week,
        l.total_reports,
        if sv { "rapporter" } else { "reports" }
    )?;
    let header = if sv {
        "antal  högsta            median  trend (v-4…v-1) organisationer, vanligaste kategorier"
    } else {
        "count  highest           median  trend (w-4…w-1) organisations, top categories"
    };
    for (heading, list) in [(areas, &l.areas), (places, &l.places)] {
        writeln!(out, "\n{heading:<32} {header}")?;
        for s in list {
            summary_line(out, s, &categories, lang)?;
        }
    }
    Ok(())
}

pub fn places(out: &mut impl Write, places: &[Place]) -> Result<()> {
    let names: HashMap<_, _> = places.iter().map(|p| (p.id, p.name.as_str())).collect();
    for p in places {
        let area = p
            .area
            .and_then(|a| names.get(&a))
            .map(|a| format!("  ({})", terminal_line(a)))
            .unwrap_or_default();
        let retired = if p.retired { "  [retired]" } else { "" };
        writeln!(
            out,
            "{}  {:<7} {:.5},{:.5}  {}{area}{retired}",
            p.id,
            p.kind.code(),
            p.lat,
            p.lon,
            terminal_line(&p.name)
        )?;
    }
    Ok(())
}

pub fn categories(out: &mut impl Write, categories: &[Category], lang: Lang) -> Result<()> {
    for c in categories {
        let indent = if c.parent.is_some() { "  " } else { "" };
        let retired = if c.retired { "  [retired]" } else { "" };
        writeln!(
            out,
            "{indent}{:<20} {}{retired}",
            terminal_line(&c.key).to_string(),
            terminal_line(c.name(lang))
        )?;
    }
    Ok(())
}
