//! What the device's screens and reports show, read from its store: each view fetches
//! rows from the store and hands them to the domain's pure function (`lagesbild`,
//! `agenda`, `report`), which is tested without SQLite (ARCHITECTURE.md, "The rooms").

use crate::agenda::{self, Agenda, AgendaInput};
use crate::error::Result;
use crate::ids::WorkspaceId;
use crate::lagesbild::{self, Lagesbild, TREND_WEEKS};
use crate::model::ObservationFilter;
use crate::report::politicians::PoliticiansReport;
use crate::report::{self, PeriodInput, PeriodReport, Span};
use crate::store::Store;
use crate::time::{IsoWeek, Timestamp};

/// The lägesbild of a week.
pub fn lagesbild(
    store: &Store,
    workspace: WorkspaceId,
    week: IsoWeek,
    filter: &ObservationFilter,
) -> Result<Lagesbild> {
    let counts = store.week_counts(workspace, week, filter)?;
    let oldest = lagesbild::previous_weeks(week)[TREND_WEEKS - 1];
    Ok(lagesbild::build(
        workspace,
        week,
        filter,
        (&store.places(workspace)?, &store.organisations(workspace)?),
        &counts,
        store.covers(workspace, oldest.bounds().0)?,
    ))
}

/// The agenda of the meeting about `week`, in the workspace the device records in.
pub fn agenda(store: &Store, week: IsoWeek) -> Result<Agenda> {
    let workspace = store.require_identity()?.workspace;
    let picture = lagesbild(store, workspace, week, &ObservationFilter::default())?;
    let input = AgendaInput {
        week,
        picture: &picture,
        places: &store.places(workspace)?,
        organisations: &store.organisations(workspace)?,
        decisions: store.decisions()?,
        assessments: store.assessments(week)?,
        meetings: store.meetings(Some(week))?,
    };
    agenda::build(input, &mut |place, first, last| {
        store.place_weeks(place, first, last)
    })
}

/// The lägesrapport from `from` up to (not including) `until`, dates in Swedish time.
pub fn period_report(
    store: &Store,
    from: &str,
    until: &str,
    now: Timestamp,
) -> Result<PeriodReport> {
    period(store, &Span::of(from, until)?, now)
}

/// The lägesrapport's version for politicians from `from` up to (not including)
/// `until`: protected against the period before (`report::politicians`).
pub fn politicians_report(
    store: &Store,
    from: &str,
    until: &str,
    now: Timestamp,
) -> Result<PoliticiansReport> {
    let span = Span::of(from, until)?;
    let report = period(store, &span, now)?;
    let before = period(store, &span.previous(), now)?;
    Ok(report.for_politicians(&before))
}

fn period(store: &Store, span: &Span, now: Timestamp) -> Result<PeriodReport> {
    let workspace = store.require_identity()?.workspace;
    let input = PeriodInput {
        workspace_name: store.workspace(workspace)?.name,
        places: &store.places(workspace)?,
        categories: &store.categories(workspace)?,
        organisations: &store.organisations(workspace)?,
        decisions: store.decisions()?,
        reports: store.period_rows(workspace, span.previous_start, span.start, span.stop)?,
    };
    report::build(
        span,
        input,
        &mut |place, first, last| store.place_weeks(place, first, last),
        now,
    )
}
