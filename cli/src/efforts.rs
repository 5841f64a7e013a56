//! The activity plan and citizen promises on the command line: add, list, show,
//! reconsider, and the effect of an activity or a decision.

use std::io::Write;

use anyhow::{Result, anyhow, bail};
use lagesbild_core::effect::follow_up::ActivityFollowUp;
use lagesbild_core::effect::{Effect, GroupEffect};
use lagesbild_core::inert::terminal_line;
use lagesbild_core::report::render::decimal;
use lagesbild_core::store::{ActivityDraft, IndicatorDraft, PromiseDraft};
use lagesbild_core::views::{self, ActivityView};
use lagesbild_core::{ActivityId, IsoWeek, Lang, PromiseId, Store, Timestamp};

use crate::args::{ActivityArgs, ActivityCommand, PromiseCommand};
use crate::output;

fn stdout() -> std::io::StdoutLock<'static> {
    std::io::stdout().lock()
}

/// An activity by id or by its title (exactly, ignoring case, or a unique beginning).
pub(crate) fn find_activity(store: &Store, text: &str) -> Result<ActivityId> {
    if let Ok(id) = text.trim().parse::<ActivityId>() {
        return Ok(id);
    }
    let wanted = text.trim().to_lowercase();
    let all = store.activities()?;
    if let Some(exact) = all.iter().find(|a| a.title.to_lowercase() == wanted) {
        return Ok(exact.id);
    }
    let starting: Vec<_> = all
        .iter()
        .filter(|a| a.title.to_lowercase().starts_with(&wanted))
        .collect();
    match starting.as_slice() {
        [one] => Ok(one.id),
        [] => bail!(
            "no activity is called '{text}' (an activity is named by its id or title, a decision by its id); see `lagesbild activity list`"
        ),
        many => bail!(
            "'{text}' begins several activities: {}",
            many.iter()
                .map(|a| terminal_line(&a.title).to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn find_promise(store: &Store, text: &str) -> Result<PromiseId> {
    if let Ok(id) = text.trim().parse::<PromiseId>() {
        return Ok(id);
    }
    let wanted = text.trim().to_lowercase();
    store
        .promises()?
        .into_iter()
        .find(|p| p.title.to_lowercase() == wanted)
        .map(|p| p.id)
        .ok_or_else(|| {
            anyhow!("no citizen promise is called '{text}'; see `lagesbild promise list`")
        })
}

pub fn activity(
    store: &mut Store,
    command: ActivityCommand,
    lang: Lang,
    now: Timestamp,
) -> Result<()> {
    match command {
        ActivityCommand::Add(args) => {
            let draft = activity_draft(store, &args)?;
            let made = store.add_activity(&draft, now)?;
            writeln!(stdout(), "{}", made.id)?;
            Ok(())
        }
        ActivityCommand::List { json } => {
            let efforts = views::efforts(store, now)?;
            let out = &mut stdout();
            if json {
                return output::json(out, &efforts.activities);
            }
            for view in &efforts.activities {
                let f = &view.follow_up;
                let colour = f
                    .indicators
                    .first()
                    .and_then(|i| i.malvisare.as_ref())
                    .map_or("–", |m| m.colour.label());
                writeln!(
                    out,
                    "{}  {:<16} {:<5} {:<24} {}",
                    view.activity.id,
                    f.status.label(),
                    colour,
                    verdict_word(f),
                    terminal_line(&view.activity.title)
                )?;
            }
            Ok(())
        }
        ActivityCommand::Show { activity, json } => {
            let id = find_activity(store, &activity)?;
            let view = views::activity(store, id, now)?;
            if json {
                return output::json(&mut stdout(), &view);
            }
            show(&view, lang)
        }
        ActivityCommand::Reconsider {
            activity,
            outcome,
            reason,
        } => {
            let id = find_activity(store, &activity)?;
            let done = store.reconsider(id, outcome, &reason, None, now)?;
            writeln!(
                stdout(),
                "{}: {}",
                terminal_line(&done.title),
                outcome.label(lang)
            )?;
            Ok(())
        }
    }
}

pub fn promise(store: &mut Store, command: PromiseCommand, now: Timestamp) -> Result<()> {
    match command {
        PromiseCommand::Add {
            title,
            text,
            from,
            to,
            signed_by,
            areas,
        } => {
            let made = store.add_promise(
                &PromiseDraft {
                    title,
                    text,
                    from,
                    to,
                    signed_by,
                    areas,
                },
                now,
            )?;
            writeln!(stdout(), "{}", made.id)?;
            Ok(())
        }
        PromiseCommand::List { json } => {
            let out = &mut stdout();
            if json {
                // The promises alone: no activity needs following up for them.
                return output::json(out, &store.promises()?);
            }
            let efforts = views::efforts(store, now)?;
            for p in &efforts.promises {
                writeln!(
                    out,
                    "{}  {} – {}  {}",
                    p.id,
                    p.from,
                    p.to,
                    terminal_line(&p.title)
                )?;
                for a in efforts
                    .activities
                    .iter()
                    .filter(|a| a.activity.promise == Some(p.id))
                {
                    writeln!(
                        out,
                        "    {:<24} {}",
                        verdict_word(&a.follow_up),
                        terminal_line(&a.activity.title)
                    )?;
                }
            }
            Ok(())
        }
    }
}

fn activity_draft(store: &Store, args: &ActivityArgs) -> Result<ActivityDraft> {
    let workspace = store.require_identity()?.workspace;
    let (from_time, to_time) = match &args.hours {
        Some(hours) => {
            let (a, b) = hours
                .split_once(['-', '–'])
                .ok_or_else(|| anyhow!("--hours is written as 19:00-23:00"))?;
            (Some(a.trim().to_string()), Some(b.trim().to_string()))
        }
        None => (None, None),
    };
    let promise = args
        .promise
        .as_deref()
        .map(|p| find_promise(store, p))
        .transpose()?;
    Ok(ActivityDraft {
        title: args.title.clone(),
        purpose: args.purpose.clone(),
        goal: args.goal.clone(),
        places: args.places.clone(),
        from: args.from.clone(),
        to: args.to.clone(),
        weekdays: args.weekdays.clone(),
        from_time,
        to_time,
        responsible: Some(crate::lookup::organisation(
            store,
            workspace,
            &args.responsible,
        )?),
        responsible_person: args.person.clone(),
        promise,
        indicators: args
            .indicators
            .iter()
            .map(|kind| IndicatorDraft {
                kind: *kind,
                categories: args.categories.clone(),
                baseline_from: args.baseline_from.clone(),
                baseline_to: args.baseline_to.clone(),
                target: args.target.clone(),
                counts_deployed: args.counts_deployed,
            })
            .collect(),
        comparison: args.comparison.clone(),
        neighbour_metres: args.neighbour_metres,
    })
}

fn verdict_word(f: &ActivityFollowUp) -> String {
    match (&f.effect, &f.not_measured) {
        (Some(e), _) => match &e.treated.verdict {
            lagesbild_core::effect::Verdict::TydligMinskning => "tydlig minskning".into(),
            lagesbild_core::effect::Verdict::TydligOkning => "tydlig ökning".into(),
            lagesbild_core::effect::Verdict::IngenSakerSkillnad { .. } => {
                "ingen säker skillnad än".into()
            }
            lagesbild_core::effect::Verdict::ForLiteUnderlag { .. } => "för lite underlag".into(),
        },
        (None, Some(why)) => why.clone(),
        (None, None) => String::new(),
    }
}

fn percent(x: f64) -> String {
    format!("{:+.0} %", x * 100.0).replace('-', "−")
}

fn span(weeks: &[IsoWeek]) -> String {
    match (weeks.first(), weeks.last()) {
        (Some(a), Some(b)) => format!("{a} – {b}"),
        _ => "–".into(),
    }
}

/// An activity's effect, or why it is not measured yet.
pub fn write_activity_effect(out: &mut impl Write, view: &ActivityView, sv: bool) -> Result<()> {
    let f = &view.follow_up;
    match (&f.effect, &f.not_measured) {
        (Some(effect), _) => write_effect(
            out,
            effect,
            &f.weeks,
            f.start,
            (&view.comparison, &view.neighbours, &view.excluded),
            sv,
        ),
        (None, why) => {
            let why = why.as_deref().unwrap_or("–");
            writeln!(out, "{}: {why}", if sv { "Effekt" } else { "Effect" })?;
            Ok(())
        }
    }
}

/// The estimate's lines, shared by an activity and a decision.
pub fn write_effect(
    out: &mut impl Write,
    effect: &Effect,
    weeks: &[IsoWeek],
    start: usize,
    names: (&[String], &[String], &[String]),
    sv: bool,
) -> Result<()> {
    let (comparison, neighbours, excluded) = names;
    let treated: &GroupEffect = &effect.treated;
    let label = |sv_text: &'static str, en: &'static str| if sv { sv_text } else { en };
    writeln!(
        out,
        "{}: {}",
        label("Bedömning", "Verdict"),
        treated.verdict.label()
    )?;
    if let Some(change) = treated.change {
        writeln!(
            out,
            "{}: {} (95 %: {} … {})",
            label(
                "Förändring mot jämförelseplatserna",
                "Change against comparison places"
            ),
            percent(change.estimate),
            percent(change.low),
            percent(change.high)
        )?;
    }
    let (before, after) = weeks.split_at(start.min(weeks.len()));
    writeln!(
        out,
        "{}: {} {} ({}), {} {} ({})",
        label("Rapporter", "Reports"),
        treated.counts.before,
        label("före", "before"),
        span(before),
        treated.counts.after,
        label("efter", "after"),
        span(after)
    )?;
    let list = |names: &[String]| terminal_line(&names.join(", ")).to_string();
    writeln!(
        out,
        "{}: {} ({} {} / {} {})",
        label("Jämförelseplatser", "Comparison places"),
        list(comparison),
        effect.comparison_counts.before,
        label("före", "before"),
        effect.comparison_counts.after,
        label("efter", "after"),
    )?;
    if let Some(n) = &effect.neighbours {
        writeln!(
            out,
            "{}: {} — {}",
            label("Grannplatser", "Neighbouring places"),
            list(neighbours),
            n.reading.clone().label()
        )?;
    }
    writeln!(
        out,
        "{}: {}",
        label("Räknas inte (utsända)", "Not counted (deployed)"),
        list(excluded)
    )?;
    if let Some(w) = &effect.wdd {
        writeln!(
            out,
            "WDD: {:+.1} {} (SE {:.1}, z {:+.2}; {} {} … {})",
            w.wdd,
            label("rapporter", "reports"),
            w.standard_error,
            w.z,
            label("relativt", "relative"),
            percent(w.relative.low),
            percent(w.relative.high)
        )?;
    }
    Ok(())
}

fn show(view: &ActivityView, lang: Lang) -> Result<()> {
    let sv = lang == Lang::Sv;
    let out = &mut stdout();
    let a = &view.activity;
    let f = &view.follow_up;
    writeln!(out, "{}", terminal_line(&a.title))?;
    if let Some(p) = &view.promise {
        writeln!(
            out,
            "{}: {}",
            if sv {
                "Medborgarlöfte"
            } else {
                "Citizen promise"
            },
            terminal_line(p)
        )?;
    }
    writeln!(
        out,
        "Period: {} – {} ({})",
        a.period.from,
        a.period.to.as_deref().unwrap_or("…"),
        f.status.label()
    )?;
    writeln!(
        out,
        "{}: {} ({})",
        if sv { "Ansvarig" } else { "Responsible" },
        terminal_line(&view.responsible),
        terminal_line(&a.responsible_person)
    )?;
    writeln!(
        out,
        "{}: {}",
        if sv { "Platser" } else { "Places" },
        terminal_line(&view.places.join(", "))
    )?;
    if !a.goal.is_empty() {
        writeln!(
            out,
            "{}: {}",
            if sv { "Mål" } else { "Goal" },
            terminal_line(&a.goal)
        )?;
    }
    for i in &f.indicators {
        let values: Vec<String> = i
            .weekly
            .iter()
            .map(|v| v.map_or("–".into(), |x| decimal(x, lang)))
            .collect();
        writeln!(
            out,
            "\n{} ({} {}, {} {})",
            i.spec.kind.label(lang),
            if sv { "mål" } else { "target" },
            percent(i.spec.target),
            if sv { "baslinje" } else { "baseline" },
            format_args!("{} – {}", i.spec.baseline_from, i.spec.baseline_to)
        )?;
        writeln!(out, "  {}", values.join(" "))?;
        match &i.malvisare {
            Some(m) => writeln!(
                out,
                "  {}: {} ({} {} {} {}); {}",
                if sv { "Målvisare" } else { "Goal indicator" },
                m.colour.label(),
                if sv { "nu" } else { "now" },
                decimal(m.current, lang),
                if sv {
                    "mot baslinjen"
                } else {
                    "against baseline"
                },
                decimal(m.baseline, lang),
                m.rule
            )?,
            None => writeln!(
                out,
                "  {}: –",
                if sv { "Målvisare" } else { "Goal indicator" }
            )?,
        }
    }
    writeln!(out)?;
    write_activity_effect(out, view, sv)?;
    if !f.reconsider.is_empty() {
        writeln!(
            out,
            "{}: {}",
            if sv { "Att ompröva" } else { "To reconsider" },
            f.reconsider.join("; ")
        )?;
    }
    for r in &a.reconsiderations {
        writeln!(
            out,
            "{} {} ({}): {}",
            r.at.local_display(),
            r.outcome.label(lang),
            terminal_line(&r.by.name),
            terminal_line(&r.reason)
        )?;
    }
    Ok(())
}
