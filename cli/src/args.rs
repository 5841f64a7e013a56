//! The command line's shape.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use lagesbild_core::{OrganisationKind, Role};

#[derive(Debug, Parser)]
#[command(
    name = "lagesbild",
    version,
    about = "Record observations and read the weekly lägesbild from a local store"
)]
pub struct Cli {
    /// The store's directory.
    #[arg(long, global = true, env = "LAGESBILD_STORE")]
    pub store: Option<PathBuf>,
    /// Language of labels in the output.
    #[arg(long, global = true, value_enum, default_value_t = LangArg::Sv, env = "LAGESBILD_LANG")]
    pub lang: LangArg,
    /// Use this instant as "now" (RFC 3339); for reproducible scripts and tests.
    #[arg(long, global = true, hide = true, env = "LAGESBILD_NOW")]
    pub now: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LangArg {
    Sv,
    En,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a store with a workspace and this device's user.
    Init(InitArgs),
    /// Record an observation. Prints its id once it is on disk.
    Record(RecordArgs),
    /// Change fields of an observation.
    Edit(EditArgs),
    /// Add a follow-up note to an observation.
    Note {
        id: String,
        text: String,
        #[arg(long)]
        confirm_personnummer: bool,
    },
    /// Show one observation with its notes.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// List observations, newest first.
    List(ListArgs),
    /// The week's lägesbild: per place and area, with the trend.
    Week(WeekArgs),
    /// The place register.
    Places {
        #[command(subcommand)]
        command: Option<PlacesCommand>,
        #[arg(long)]
        json: bool,
    },
    /// The category catalogue.
    Categories {
        #[arg(long)]
        json: bool,
    },
    /// The workspace's organisations.
    Organisations {
        #[arg(long)]
        json: bool,
    },
    /// Did an activity (or one decision) work? Its places' reports per week against
    /// comparable places, the deployed organisations' own reports left out, with the
    /// interval, the verdict, the neighbours and the weighted displacement difference.
    Effect {
        /// The activity's id or title, or a decision's id.
        effort: String,
        #[arg(long)]
        json: bool,
    },
    /// The activity plan: activities (insatser) with their indicators and effect.
    Activity {
        #[command(subcommand)]
        command: ActivityCommand,
    },
    /// Citizen promises (medborgarlöften).
    Promise {
        #[command(subcommand)]
        command: PromiseCommand,
    },
    /// The lägesrapport for a period (default: last month), as HTML, CSV or JSON.
    /// With --politicians it is published: the ledger records it.
    Report(ReportArgs),
    /// The publication ledger: every version for politicians published, oldest first.
    Publications {
        #[arg(long)]
        json: bool,
    },
    /// Write observations as CSV or GeoJSON.
    Export(ExportArgs),
    /// Record observations from a CSV file (all lines, or none if any is bad).
    Import(ImportArgs),
    /// Create a demo workspace with some weeks of reports and show its lägesbild.
    Demo(DemoArgs),
    /// Enrol this device with a sync server, using a one-time code from the coordinator
    /// (or the enrolment link that carries both: lagesbild://enroll?server=…&code=…).
    Enroll {
        /// The server's address, such as https://lagesbild.salem.se, or an enrolment link.
        server: String,
        /// The enrolment code, such as K7QX-M2PA-9RTW (not with a link).
        code: Option<String>,
        /// A name people recognise this device by.
        #[arg(long, default_value = "lagesbild-cli")]
        device_name: String,
    },
    /// Erase a report from the server and every device (coordinator; needs a connection).
    Erase { id: String },
    /// Send this device's changes and fetch everyone else's, then print the status.
    Sync {
        #[arg(long)]
        json: bool,
    },
    /// Administer the workspace as its coordinator, against the server (people,
    /// devices, enrolment codes, the audit log).
    #[command(subcommand)]
    Admin(AdminCommand),
}

#[derive(Debug, clap::Subcommand)]
pub enum AdminCommand {
    /// Organisations and people, each with their devices.
    People {
        #[arg(long)]
        json: bool,
    },
    /// A one-time enrolment code for one of a person's devices.
    IssueCode {
        user: String,
        #[arg(long, default_value_t = 60)]
        ttl_minutes: u32,
    },
    /// Revoke a device: its next request is refused.
    Revoke { device: String },
    /// Any administrative act, as the API takes it, for example
    /// '{"op": "add_person", "name": "Nora Ek", "organisation": "<id>", "role": "vaktare"}'.
    Apply { change: String },
    /// The audit log as CSV, oldest first: each entry's facts as the server keeps them
    /// (`detail`) and, beside them, the same said in Swedish (`text`).
    Audit,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Directory of the new store (default: --store).
    pub dir: Option<PathBuf>,
    /// The workspace (municipality).
    #[arg(long, default_value = "Salem")]
    pub workspace: String,
    /// Your name, as reports will show it.
    #[arg(long, required_unless_present = "demo")]
    pub name: Option<String>,
    #[arg(long, required_unless_present = "demo")]
    pub organisation: Option<String>,
    #[arg(long, default_value = "kommun")]
    pub organisation_kind: OrganisationKind,
    #[arg(long, default_value = "fritidsfaltare")]
    pub role: Role,
    /// Create the demo workspace instead (places, partners, and reports).
    #[arg(long)]
    pub demo: bool,
    /// With --demo: how many reports to create.
    #[arg(long, default_value_t = 300)]
    pub demo_reports: usize,
}

#[derive(Debug, Args)]
pub struct ObservationFields {
    /// Category key, such as `klotter` (see `lagesbild categories`).
    #[arg(long, short = 'c')]
    pub category: Option<String>,
    /// Place name or id (see `lagesbild places`).
    #[arg(long, short = 'p')]
    pub place: Option<String>,
    /// 1 normalt, 2 något förhöjt, 3 förhöjt, 4 allvarligt, 5 kritiskt läge.
    #[arg(long, short = 'g', allow_negative_numbers = true)]
    pub grade: Option<i64>,
    /// When it was observed: `2026-11-24 21:30` (Swedish time), `21:30` or RFC 3339.
    #[arg(long)]
    pub at: Option<String>,
    /// The end, when it went on for a while.
    #[arg(long)]
    pub until: Option<String>,
    /// About how many people.
    #[arg(long, allow_negative_numbers = true)]
    pub people: Option<i64>,
    /// barn, unga, vuxna or blandat.
    #[arg(long)]
    pub age: Option<String>,
    /// sjalv-sett, uppgift-fran-annan or rykte.
    #[arg(long)]
    pub source: Option<String>,
    #[arg(long, short = 'd')]
    pub description: Option<String>,
    /// Where exactly, in words.
    #[arg(long)]
    pub detail: Option<String>,
    #[arg(long, requires = "lon", allow_negative_numbers = true)]
    pub lat: Option<f64>,
    #[arg(long, requires = "lat", allow_negative_numbers = true)]
    pub lon: Option<f64>,
    /// GPS accuracy in metres.
    #[arg(long, requires = "lat")]
    pub accuracy: Option<f64>,
    /// alla, kommun-polis or egen-organisation.
    #[arg(long)]
    pub visibility: Option<String>,
    /// Store text that looks like a personnummer anyway.
    #[arg(long)]
    pub confirm_personnummer: bool,
}

#[derive(Debug, Args)]
pub struct RecordArgs {
    #[command(flatten)]
    pub fields: ObservationFields,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct EditArgs {
    pub id: String,
    #[command(flatten)]
    pub fields: ObservationFields,
    /// ny, bedomd, atgard-beslutad or avslutad.
    #[arg(long)]
    pub status: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct FilterArgs {
    /// Only these categories (a main category includes its subcategories).
    #[arg(long = "category", short = 'c')]
    pub categories: Vec<String>,
    /// Only reports from these organisations (name or id).
    #[arg(long = "organisation", short = 'o')]
    pub organisations: Vec<String>,
    /// Only these grades.
    #[arg(long = "grade", short = 'g')]
    pub grades: Vec<i64>,
    /// Only grades at or above this.
    #[arg(long)]
    pub min_grade: Option<i64>,
    /// Only this place, or every place in this area.
    #[arg(long, short = 'p')]
    pub place: Option<String>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this ISO week, as 2026-W48.
    #[arg(long)]
    pub week: Option<String>,
    /// Only my own reports.
    #[arg(long)]
    pub mine: bool,
    #[arg(long, default_value_t = 50)]
    pub limit: u32,
    #[command(flatten)]
    pub filter: FilterArgs,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct WeekArgs {
    /// The ISO week, as 2026-W48 (default: this week).
    pub week: Option<String>,
    #[command(flatten)]
    pub filter: FilterArgs,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum PlacesCommand {
    /// Add a place or an area to the register.
    Add {
        name: String,
        #[arg(long, allow_negative_numbers = true)]
        lat: f64,
        #[arg(long, allow_negative_numbers = true)]
        lon: f64,
        /// The area it lies in (name or id).
        #[arg(long)]
        area: Option<String>,
        /// Make it an area.
        #[arg(long)]
        is_area: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ActivityCommand {
    /// Add an activity to the activity plan (the coordinator).
    Add(Box<ActivityArgs>),
    /// Every activity with its status, målvisare and verdict.
    List {
        #[arg(long)]
        json: bool,
    },
    /// One activity followed up: indicators week by week, målvisare, effect,
    /// reconsiderations.
    Show {
        /// The activity's id or title.
        activity: String,
        #[arg(long)]
        json: bool,
    },
    /// Record the deployment group's reconsideration: continue, change or stop.
    Reconsider {
        activity: String,
        /// fortsatt, andras or avslutas.
        #[arg(long)]
        outcome: lagesbild_core::Reconsideration,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Args)]
pub struct ActivityArgs {
    /// What is done, in a line.
    #[arg(long)]
    pub title: String,
    #[arg(long, default_value = "")]
    pub purpose: String,
    /// The measurable goal in words.
    #[arg(long, default_value = "")]
    pub goal: String,
    /// A place or area it works at (name or id); repeat for several.
    #[arg(long = "place", required = true)]
    pub places: Vec<String>,
    /// First day, as 2026-06-01.
    #[arg(long)]
    pub from: String,
    /// Planned last day.
    #[arg(long)]
    pub to: Option<String>,
    /// Weekdays it recurs on, 1 Monday … 7 Sunday, as 5,6; none for every day.
    #[arg(long, value_delimiter = ',')]
    pub weekdays: Vec<u32>,
    /// Hours, as 19:00-23:00.
    #[arg(long)]
    pub hours: Option<String>,
    /// The organisation that answers for it (name or id).
    #[arg(long)]
    pub responsible: String,
    /// The person there who answers for it.
    #[arg(long, default_value = "")]
    pub person: String,
    /// The citizen promise it serves (id or title).
    #[arg(long)]
    pub promise: Option<String>,
    /// An indicator: reports, severe-weeks or mean-grade; repeat for several.
    #[arg(long = "indicator", default_value = "reports")]
    pub indicators: Vec<lagesbild_core::IndicatorKind>,
    /// Only these categories count (codes); none counts every category.
    #[arg(long = "category")]
    pub categories: Vec<String>,
    /// The target against the baseline, as "-25 %".
    #[arg(long, default_value = "-25 %", allow_hyphen_values = true)]
    pub target: String,
    /// The baseline's first and last ISO week (default: the 12 weeks before the start).
    #[arg(long)]
    pub baseline_from: Option<String>,
    #[arg(long)]
    pub baseline_to: Option<String>,
    /// Count the reports of the organisations it deploys too (by default they are not:
    /// deployed people report what they see where they are sent).
    #[arg(long)]
    pub counts_deployed: bool,
    /// A comparison place (name or id); none: proposed from the data.
    #[arg(long = "comparison")]
    pub comparison: Vec<String>,
    /// Places within this many metres of its places are its neighbours.
    #[arg(long)]
    pub neighbour_metres: Option<u32>,
}

#[derive(Debug, Subcommand)]
pub enum PromiseCommand {
    /// Add a citizen promise (the coordinator).
    Add {
        #[arg(long)]
        title: String,
        /// What is promised.
        #[arg(long)]
        text: String,
        /// First day, as 2026-01-01; it holds two years unless --to says otherwise.
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: Option<String>,
        /// Who signed; repeat for several.
        #[arg(long = "signed-by")]
        signed_by: Vec<String>,
        /// An area (or place) it covers; repeat for several.
        #[arg(long = "area", required = true)]
        areas: Vec<String>,
    },
    /// Every promise with its activities.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    Csv,
    Geojson,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[arg(value_enum)]
    pub format: ExportFormat,
    /// Only this ISO week.
    #[arg(long)]
    pub week: Option<String>,
    /// From this time (inclusive).
    #[arg(long)]
    pub from: Option<String>,
    /// Up to this time (exclusive).
    #[arg(long)]
    pub to: Option<String>,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Write to this file instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Html,
    Csv,
    Json,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("period").args(["month", "quarter", "year", "from"]))]
pub struct ReportArgs {
    /// A month, as 2026-11 (alone: last month).
    #[arg(long, num_args = 0..=1, default_missing_value = "")]
    pub month: Option<String>,
    /// A quarter, as 2026-Q4 (alone: last quarter).
    #[arg(long, num_args = 0..=1, default_missing_value = "")]
    pub quarter: Option<String>,
    /// A year, as 2026.
    #[arg(long)]
    pub year: Option<i32>,
    /// The first day, as 2026-11-01.
    #[arg(long, requires = "to")]
    pub from: Option<String>,
    /// The last day, included, as 2026-11-30.
    #[arg(long, requires = "from")]
    pub to: Option<String>,
    /// The version for politicians: counts protected, so no one can be singled out,
    /// also across every report published before. Writing it publishes it: the
    /// coordinator's, recorded in the ledger (`lagesbild publications`).
    #[arg(long)]
    pub politicians: bool,
    #[arg(long, value_enum, default_value_t = ReportFormat::Html)]
    pub format: ReportFormat,
    /// The same as --format json.
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// Write to this file instead of standard output.
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    pub file: PathBuf,
    /// Record the lines on behalf of this organisation (name or id), e.g. a guard company.
    #[arg(long)]
    pub organisation: Option<String>,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to create the demo store (replaced if it exists).
    #[arg(default_value = "target/demo")]
    pub dir: PathBuf,
    #[arg(long, default_value_t = 300)]
    pub reports: usize,
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_definition_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
