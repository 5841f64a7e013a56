//! What each command does: parse, call core, print.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use lagesbild_core::demo;
use lagesbild_core::exchange;
use lagesbild_core::exchange::read_csv;
use lagesbild_core::inert::terminal_line;
use lagesbild_core::report::Period;
use lagesbild_core::store::STORE_FILE;
use lagesbild_core::sync::link::EnrolmentLink;
use lagesbild_core::views;
use lagesbild_core::{
    DeviceId, Grade, Identity, IsoWeek, Lang, ListQuery, ObservationDraft, ObservationFilter,
    ObservationId, ObservationPatch, Organisation, OrganisationId, Place, Position, Store,
    Timestamp, UserId, Workspace, WorkspaceId, default_categories,
};

use crate::args::{
    Cli, Command, DemoArgs, EditArgs, ExportArgs, ExportFormat, FilterArgs, ImportArgs, InitArgs,
    LangArg, ListArgs, ObservationFields, PlacesCommand, RecordArgs, ReportArgs, ReportFormat,
    WeekArgs,
};
use crate::lookup::organisation;
use crate::stores::{self, open, open_path};
use crate::{efforts, output};

pub fn run(cli: Cli) -> Result<()> {
    let now = match &cli.now {
        Some(text) => lagesbild_core::time::parse_time(text, Timestamp::from(chrono::Utc::now()))
            .ok_or_else(|| anyhow!("--now '{text}' is not a time"))?,
        None => Timestamp::from(chrono::Utc::now()),
    };
    let lang = match cli.lang {
        LangArg::Sv => Lang::Sv,
        LangArg::En => Lang::En,
    };
    let store_dir = cli.store.clone().unwrap_or_else(stores::default_dir);
    match cli.command {
        Command::Init(args) => init(args, &store_dir, now),
        Command::Enroll {
            server,
            code,
            device_name,
        } => {
            let (server, code, ca) = match (EnrolmentLink::parse(&server), code) {
                (Some(link), None) => (link.server, link.code, link.ca),
                (None, Some(code)) => (server, code, None),
                (Some(_), Some(_)) => {
                    bail!("an enrolment link already holds the code; give the link alone")
                }
                (None, None) => {
                    bail!("give the server's address and the code, or the enrolment link")
                }
            };
            crate::sync::enroll(
                &store_dir,
                &server,
                &code,
                ca.as_deref(),
                &device_name,
                lang,
            )
        }
        Command::Sync { json } => crate::sync::sync(open(&store_dir)?, json, lang),
        Command::Erase { id } => crate::sync::erase(open(&store_dir)?, observation_id(&id)?),
        Command::Admin(command) => crate::admin::run(open(&store_dir)?, command),
        Command::Demo(args) => run_demo(args, lang, now),
        Command::Record(args) => record(&mut open(&store_dir)?, &args, now),
        Command::Edit(args) => edit(&mut open(&store_dir)?, &args, lang, now),
        Command::Note {
            id,
            text,
            confirm_personnummer,
        } => {
            let mut store = open(&store_dir)?;
            let observation =
                store.add_note(observation_id(&id)?, &text, confirm_personnummer, now)?;
            let notes = observation.notes.len();
            writeln!(stdout(), "{} now has {notes} notes", observation.id)?;
            Ok(())
        }
        Command::Show { id, json } => {
            let store = open(&store_dir)?;
            let observation = store.observation(observation_id(&id)?)?;
            match json {
                true => output::json(&mut stdout(), &observation),
                false => output::observation(&mut stdout(), &store, &observation, lang),
            }
        }
        Command::List(args) => list(&open(&store_dir)?, &args, lang),
        Command::Week(args) => lagesbild(&open(&store_dir)?, &args, lang, now),
        Command::Places {
            command: Some(add), ..
        } => add_place(&mut open(&store_dir)?, add),
        Command::Places {
            command: None,
            json,
        } => {
            let store = open(&store_dir)?;
            let places = store.places(store.require_identity()?.workspace)?;
            match json {
                true => output::json(&mut stdout(), &places),
                false => output::places(&mut stdout(), &places),
            }
        }
        Command::Categories { json } => {
            let store = open(&store_dir)?;
            let categories = store.categories(store.require_identity()?.workspace)?;
            match json {
                true => output::json(&mut stdout(), &categories),
                false => output::categories(&mut stdout(), &categories, lang),
            }
        }
        Command::Organisations { json } => organisations(&open(&store_dir)?, json, lang),
        Command::Effect { effort, json } => effect(&open(&store_dir)?, &effort, json, lang, now),
        Command::Activity { command } => {
            efforts::activity(&mut open(&store_dir)?, command, lang, now)
        }
        Command::Promise { command } => efforts::promise(&mut open(&store_dir)?, command, now),
        Command::Export(args) => export_command(&open(&store_dir)?, &args, now),
        Command::Report(args) => report(&mut open(&store_dir)?, &args, lang, now, &mut stdout()),
        Command::Publications { json } => publications(&open(&store_dir)?, json, &mut stdout()),
        Command::Import(args) => import(&mut open(&store_dir)?, &args, now),
    }
}

fn stdout() -> std::io::StdoutLock<'static> {
    std::io::stdout().lock()
}

fn record(store: &mut Store, args: &RecordArgs, now: Timestamp) -> Result<()> {
    let observation = store.record(&draft(&args.fields), now)?;
    match args.json {
        true => output::json(&mut stdout(), &observation),
        false => Ok(writeln!(stdout(), "{}", observation.id)?),
    }
}

fn edit(store: &mut Store, args: &EditArgs, lang: Lang, now: Timestamp) -> Result<()> {
    let id = observation_id(&args.id)?;
    let mut patch = patch(&args.fields);
    patch.status = args.status.clone();
    if patch.is_empty() {
        bail!("nothing to change: name at least one field, such as --grade 3");
    }
    let observation = store.edit(id, &patch, now)?;
    match args.json {
        true => output::json(&mut stdout(), &observation),
        false => output::observation(&mut stdout(), store, &observation, lang),
    }
}

fn list(store: &Store, args: &ListArgs, lang: Lang) -> Result<()> {
    let identity = store.require_identity()?;
    let query = ListQuery {
        week: args.week.as_deref().map(week).transpose()?,
        reporter: args.mine.then_some(identity.user),
        filter: filter(store, identity.workspace, &args.filter)?,
        limit: Some(args.limit),
        ..ListQuery::default()
    };
    let rows = store.list(&query)?;
    match args.json {
        true => output::json(&mut stdout(), &rows),
        false => output::rows(&mut stdout(), store, &rows, lang),
    }
}

/// The week's lägesbild (this week unless the arguments name one).
fn lagesbild(store: &Store, args: &WeekArgs, lang: Lang, now: Timestamp) -> Result<()> {
    let workspace = store.require_identity()?.workspace;
    let week = args
        .week
        .as_deref()
        .map(week)
        .transpose()?
        .unwrap_or_else(|| now.week());
    let picture = views::lagesbild(
        store,
        workspace,
        week,
        &filter(store, workspace, &args.filter)?,
    )?;
    match args.json {
        true => output::json(&mut stdout(), &picture),
        false => output::lagesbild(&mut stdout(), store, &picture, lang),
    }
}

fn add_place(store: &mut Store, add: PlacesCommand) -> Result<()> {
    let PlacesCommand::Add {
        name,
        lat,
        lon,
        area,
        is_area,
    } = add;
    let workspace = store.require_identity()?.workspace;
    let area = area.map(|a| store.find_place(workspace, &a)).transpose()?;
    let place = Place::new(workspace, &name, is_area, area.map(|a| a.id), lat, lon);
    store.save_place(&place)?;
    writeln!(stdout(), "{}", place.id)?;
    Ok(())
}

/// A decision's effect: the verdict, the change with its interval, and what it was
/// measured on.
/// The effect of an activity (by id or title) or of one decision (by id).
fn effect(store: &Store, effort: &str, json: bool, lang: Lang, now: Timestamp) -> Result<()> {
    let sv = lang == Lang::Sv;
    let id = effort.trim().parse::<lagesbild_core::DecisionId>().ok();
    if let Some(id) = id
        && store.decision(id).is_err()
        && store.activity(lagesbild_core::ActivityId(id.0)).is_err()
    {
        bail!("no activity or decision has the id {id}; see `lagesbild activity list`");
    }
    if let Some(id) = id
        && store.decision(id).is_ok()
    {
        let found = views::decision_effect(store, id, now)?;
        let out = &mut stdout();
        if json {
            return output::json(out, &found);
        }
        writeln!(out, "{}", terminal_line(&found.place))?;
        return efforts::write_effect(
            out,
            &found.effect,
            &found.weeks,
            found.start,
            (&found.comparison, &found.neighbours, &found.excluded),
            sv,
        );
    }
    let id = efforts::find_activity(store, effort)?;
    let view = views::activity(store, id, now)?;
    let out = &mut stdout();
    if json {
        return output::json(out, &view);
    }
    writeln!(out, "{}", terminal_line(&view.activity.title))?;
    efforts::write_activity_effect(out, &view, sv)
}

fn organisations(store: &Store, json: bool, lang: Lang) -> Result<()> {
    let organisations = store.organisations(store.require_identity()?.workspace)?;
    let out = &mut stdout();
    if json {
        return output::json(out, &organisations);
    }
    for o in &organisations {
        let kind = o.kind.label(lang);
        writeln!(out, "{}  {kind:<16} {}", o.id, terminal_line(&o.name))?;
    }
    Ok(())
}

/// Writes the reports the arguments select, to their file or the standard output.
fn export_command(store: &Store, args: &ExportArgs, now: Timestamp) -> Result<()> {
    let workspace = store.require_identity()?.workspace;
    let time = |t: &Option<String>, flag: &str| {
        t.as_deref()
            .map(|t| {
                lagesbild_core::time::parse_time(t, now)
                    .ok_or_else(|| anyhow!("--{flag} '{t}' is not a time"))
            })
            .transpose()
    };
    let query = ListQuery {
        week: args.week.as_deref().map(week).transpose()?,
        from: time(&args.from, "from")?,
        until: time(&args.to, "to")?,
        filter: filter(store, workspace, &args.filter)?,
        ..ListQuery::default()
    };
    match &args.out {
        Some(path) => {
            let file = BufWriter::new(
                File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
            );
            let n = export(store, &query, args.format, file)?;
            eprintln!("wrote {n} observations to {}", path.display());
        }
        None => {
            export(store, &query, args.format, &mut stdout())?;
        }
    }
    Ok(())
}

/// Imports a CSV file whole, or nothing when a line is bad.
fn import(store: &mut Store, args: &ImportArgs, now: Timestamp) -> Result<()> {
    let identity = store.require_identity()?;
    let mut reporter = identity.reporter();
    if let Some(org) = &args.organisation {
        reporter.organisation = organisation(store, identity.workspace, org)?;
    }
    let file =
        File::open(&args.file).with_context(|| format!("cannot open {}", args.file.display()))?;
    let drafts = read_csv(file)?;
    match store.import(&drafts, &reporter, now)? {
        Ok(n) => Ok(writeln!(stdout(), "imported {n} observations")?),
        Err(problems) => {
            for p in &problems {
                eprintln!("{}:{}: {}", args.file.display(), p.line, p.error);
            }
            bail!(
                "{} of {} lines are bad; nothing was imported",
                problems.len(),
                drafts.len()
            );
        }
    }
}

/// The lägesrapport of the period the arguments name, in their format.
fn report(
    store: &mut Store,
    args: &ReportArgs,
    lang: Lang,
    now: Timestamp,
    out: &mut impl Write,
) -> Result<()> {
    // `--month` alone is given as "": last month.
    fn named(text: &str) -> Option<&str> {
        Some(text).filter(|t| !t.is_empty())
    }
    let period = match (&args.quarter, &args.from, &args.to) {
        _ if args.year.is_some() => {
            let year = args.year.unwrap_or_default();
            Period::days(&format!("{year}-01-01"), &format!("{year}-12-31"))?
        }
        (Some(quarter), _, _) => Period::quarter(named(quarter), now)?,
        (_, Some(from), Some(to)) => Period::days(from, to)?,
        _ => Period::month(args.month.as_deref().and_then(named), now)?,
    };
    let (from, until) = (period.from.to_string(), period.until.to_string());
    let format = if args.json {
        ReportFormat::Json
    } else {
        args.format
    };
    let text = if args.politicians {
        let report = views::politicians_report(store, &from, &until, now)?;
        let text = match format {
            ReportFormat::Html => report.html(lang),
            ReportFormat::Csv => report.csv(lang),
            ReportFormat::Json => serde_json::to_string_pretty(&report)? + "\n",
        };
        // Recorded before it is written: a file that leaves is in the ledger.
        let published = store.publish(&report, text.as_bytes(), now)?;
        eprintln!(
            "published “{}”: {} of {} counts shown; recorded in the ledger (sha256 {}), sent to the server at the next sync",
            published.title,
            report.share.shown,
            report.share.all,
            &published.sha256[..12]
        );
        text
    } else {
        let report = views::period_report(store, &from, &until, now)?;
        match format {
            ReportFormat::Html => report.html(lang),
            ReportFormat::Csv => report.csv(lang),
            ReportFormat::Json => serde_json::to_string_pretty(&report)? + "\n",
        }
    };
    match &args.out {
        Some(path) => {
            std::fs::write(path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!(
                "wrote the lägesrapport {} – {} to {}",
                period.from,
                period.last(),
                path.display()
            );
        }
        None => out.write_all(text.as_bytes())?,
    }
    Ok(())
}

fn publications(store: &Store, json: bool, out: &mut impl Write) -> Result<()> {
    // Oldest first, as a history reads.
    let mut all = store.ledger()?;
    all.reverse();
    if json {
        // Each publication as it is kept, with the earlier one it clashes with.
        let list: Vec<serde_json::Value> = all
            .iter()
            .map(|e| {
                let mut value = serde_json::to_value(&e.publication)?;
                if let Some(object) = value.as_object_mut() {
                    object.insert("clash".into(), serde_json::to_value(&e.clash)?);
                }
                Ok(value)
            })
            .collect::<serde_json::Result<_>>()?;
        writeln!(out, "{}", serde_json::to_string_pretty(&list)?)?;
        return Ok(());
    }
    if all.is_empty() {
        writeln!(out, "Nothing has been published for politicians yet.")?;
    }
    for entry in &all {
        let p = &entry.publication;
        writeln!(
            out,
            "{}  {}  by {}\n    {}, {} of {} counts shown, sha256 {}",
            p.published_at.local_display(),
            p.title,
            p.published_by.name,
            lagesbild_core::report::ledger::days(
                lagesbild_core::time::parse_day(&p.from)?,
                lagesbild_core::time::parse_day(&p.until)?
            ),
            p.shown,
            p.counts,
            p.sha256
        )?;
        if let Some(clash) = &entry.clash {
            writeln!(
                out,
                "    WARNING: published while offline at the same time as \"{}\" ({}, by {}), \
                 which published {} first. Each file is protected on its own, not together: \
                 hand out only the earlier one, and ask for this one back if it has left.",
                clash.title,
                clash.published_at.local_display(),
                clash.published_by,
                clash.days
            )?;
        }
    }
    Ok(())
}

fn export(
    store: &Store,
    query: &ListQuery,
    format: ExportFormat,
    out: impl Write,
) -> Result<usize> {
    Ok(match format {
        ExportFormat::Csv => exchange::export_csv(store, query, out)?,
        ExportFormat::Geojson => exchange::export_geojson(store, query, out)?,
    })
}

fn init(args: InitArgs, default_dir: &Path, now: Timestamp) -> Result<()> {
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| default_dir.to_path_buf());
    let path = dir.join(STORE_FILE);
    if path.exists() {
        bail!("{} already holds a store", dir.display());
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut store = open_path(&path)?;
    if args.demo {
        let demo = demo::workspace(&args.workspace);
        let identity = demo.install(&mut store, 1)?;
        store.record_many(
            identity.workspace,
            &demo.reports(args.demo_reports, 6, now, 48),
            now,
        )?;
        println!(
            "created the demo workspace {} in {}, as {}",
            demo.workspace.name,
            dir.display(),
            identity.name
        );
        return Ok(());
    }
    let workspace = Workspace {
        id: WorkspaceId::new(),
        name: args.workspace.clone(),
        grade_labels: None,
        tiles: None,
    };
    let organisation = Organisation {
        id: OrganisationId::new(),
        workspace: workspace.id,
        name: args.organisation.clone().unwrap_or_default(),
        kind: args.organisation_kind,
    };
    store.create_workspace(
        &workspace,
        std::slice::from_ref(&organisation),
        &default_categories(),
        &[],
    )?;
    store.set_identity(&Identity {
        workspace: workspace.id,
        device: DeviceId::new(),
        user: UserId::new(),
        name: args.name.clone().unwrap_or_default(),
        role: args.role,
        organisation: organisation.id,
    })?;
    println!(
        "created workspace {} in {}; add places with `lagesbild places add`",
        workspace.name,
        dir.display()
    );
    Ok(())
}

fn run_demo(args: DemoArgs, lang: Lang, now: Timestamp) -> Result<()> {
    if args.dir.join(STORE_FILE).exists() {
        std::fs::remove_dir_all(&args.dir)
            .with_context(|| format!("cannot replace {}", args.dir.display()))?;
    }
    std::fs::create_dir_all(&args.dir)?;
    let mut store = open_path(&args.dir.join(STORE_FILE))?;
    let demo = demo::workspace("Salem (demo)");
    let identity = demo.install(&mut store, 1)?;
    store.record_many(
        identity.workspace,
        &demo.reports(args.reports, 6, now, 48),
        now,
    )?;
    let out = &mut std::io::stdout().lock();
    writeln!(
        out,
        "Demo workspace {} in {}, {} reports over six weeks.",
        demo.workspace.name,
        args.dir.display(),
        args.reports
    )?;
    writeln!(
        out,
        "\nA new report from {} ({}):",
        identity.name,
        identity.role.label(lang)
    )?;
    let recorded = store.record(
        &ObservationDraft {
            category: Some("grupperingar".into()),
            place: Some("Rönninge station".into()),
            grade: Some(3),
            people: Some(12),
            age_group: Some("unga".into()),
            source: Some("sjalv-sett".into()),
            description: Some("Grupp vid perrongen, stökigt när tåget kom".into()),
            ..ObservationDraft::default()
        },
        now,
    )?;
    output::observation(out, &store, &recorded, lang)?;
    writeln!(out, "\nThe latest reports:")?;
    let rows = store.list(&ListQuery {
        limit: Some(8),
        ..ListQuery::default()
    })?;
    output::rows(out, &store, &rows, lang)?;
    writeln!(out)?;
    let picture = views::lagesbild(
        &store,
        identity.workspace,
        now.week(),
        &ObservationFilter::default(),
    )?;
    output::lagesbild(out, &store, &picture, lang)?;
    writeln!(
        out,
        "\nTry: lagesbild --store {} week --min-grade 4",
        args.dir.display()
    )?;
    Ok(())
}

fn observation_id(text: &str) -> Result<ObservationId> {
    text.parse()
        .map_err(|_| anyhow!("'{text}' is not an observation id"))
}

fn week(text: &str) -> Result<IsoWeek> {
    text.parse().map_err(|e: String| anyhow!(e))
}

fn filter(store: &Store, workspace: WorkspaceId, args: &FilterArgs) -> Result<ObservationFilter> {
    let grade = |g: i64| Grade::new(g).map_err(|e| anyhow!(e));
    let mut grades = args
        .grades
        .iter()
        .map(|g| grade(*g))
        .collect::<Result<Vec<_>>>()?;
    if let Some(min) = args.min_grade {
        let min = grade(min)?;
        grades.extend(Grade::ALL.into_iter().filter(|g| *g >= min));
    }
    Ok(ObservationFilter {
        categories: args.categories.clone(),
        organisations: args
            .organisations
            .iter()
            .map(|o| organisation(store, workspace, o))
            .collect::<Result<_>>()?,
        grades,
        place: args
            .place
            .as_deref()
            .map(|p| store.find_place(workspace, p))
            .transpose()?
            .map(|p| p.id),
    })
}

fn draft(f: &ObservationFields) -> ObservationDraft {
    ObservationDraft {
        category: f.category.clone(),
        place: f.place.clone(),
        grade: f.grade,
        observed_at: f.at.clone(),
        observed_until: f.until.clone(),
        people: f.people,
        age_group: f.age.clone(),
        source: f.source.clone(),
        description: f.description.clone(),
        place_detail: f.detail.clone(),
        position: position(f),
        visibility: f.visibility.clone(),
        acknowledge_personnummer: f.confirm_personnummer,
    }
}

fn position(f: &ObservationFields) -> Option<Position> {
    f.lat.zip(f.lon).map(|(lat, lon)| Position {
        lat,
        lon,
        accuracy_m: f.accuracy,
    })
}

fn patch(f: &ObservationFields) -> ObservationPatch {
    ObservationPatch {
        category: f.category.clone(),
        place: f.place.clone(),
        grade: f.grade,
        observed_at: f.at.clone(),
        observed_until: f.until.clone().map(|u| Some(u).filter(|u| !u.is_empty())),
        people: f.people.map(Some),
        age_group: f.age.clone().map(|a| Some(a).filter(|a| !a.is_empty())),
        source: f.source.clone().map(|s| Some(s).filter(|s| !s.is_empty())),
        description: f.description.clone(),
        place_detail: f.detail.clone().map(|d| Some(d).filter(|d| !d.is_empty())),
        position: position(f).map(Some),
        visibility: f.visibility.clone(),
        status: None,
        acknowledge_personnummer: f.confirm_personnummer,
    }
}
