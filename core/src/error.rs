//! Errors callers match on. Every error has a stable `code()`, which the app sends to
//! its UI as `{code, message}`; the UI never matches on message text.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A field of a record, named in validation errors.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Category,
    Place,
    Grade,
    ObservedAt,
    ObservedUntil,
    People,
    AgeGroup,
    Source,
    Description,
    PlaceDetail,
    Position,
    Visibility,
    Status,
    Note,
    Name,
    Organisation,
    Role,
    Week,
    Deployees,
    Schedule,
    Attendees,
    Motivation,
    Links,
    Corrections,
    Title,
    Places,
    Period,
    Indicators,
    Baseline,
    Target,
    Comparison,
    Promise,
    Activity,
    Reconsideration,
    Outline,
    Tiles,
}

impl Field {
    pub fn name(self) -> &'static str {
        match self {
            Field::Category => "category",
            Field::Place => "place",
            Field::Grade => "grade",
            Field::ObservedAt => "observed_at",
            Field::ObservedUntil => "observed_until",
            Field::People => "people",
            Field::AgeGroup => "age_group",
            Field::Source => "source",
            Field::Description => "description",
            Field::PlaceDetail => "place_detail",
            Field::Position => "position",
            Field::Visibility => "visibility",
            Field::Status => "status",
            Field::Note => "note",
            Field::Name => "name",
            Field::Organisation => "organisation",
            Field::Role => "role",
            Field::Week => "week",
            Field::Deployees => "deployees",
            Field::Schedule => "schedule",
            Field::Attendees => "attendees",
            Field::Motivation => "motivation",
            Field::Links => "links",
            Field::Corrections => "corrections",
            Field::Title => "title",
            Field::Places => "places",
            Field::Period => "period",
            Field::Indicators => "indicators",
            Field::Outline => "outline",
            Field::Tiles => "tiles",
            Field::Baseline => "baseline",
            Field::Target => "target",
            Field::Comparison => "comparison",
            Field::Promise => "promise",
            Field::Activity => "activity",
            Field::Reconsideration => "reconsideration",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What is wrong with a field's value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum Problem {
    Missing,
    /// A value outside its allowed range, for example grade 6.
    OutOfRange {
        value: String,
        allowed: String,
    },
    /// A reference to something that does not exist, such as an unknown place.
    Unknown {
        value: String,
        hint: String,
    },
    /// A reference to something retired: it keeps old reports but takes no new ones.
    Retired {
        value: String,
    },
    TooLong {
        length: usize,
        max: usize,
    },
    /// More entries than a record may hold (notes, attendees, days, …).
    TooMany {
        count: usize,
        max: usize,
    },
    /// Control characters (or text-direction overrides) where people read text: they
    /// could move a terminal's cursor or forge a log line.
    ControlCharacter,
    Unparseable {
        value: String,
        expected: String,
    },
    /// A period that would cut one already published: read together, the two would
    /// disclose what each protects.
    Overlaps(Box<Overlap>),
    /// Ambiguous: the text matches several things.
    Ambiguous {
        value: String,
        candidates: Vec<String>,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Missing => f.write_str("is required"),
            Problem::OutOfRange { value, allowed } => {
                write!(f, "'{value}' is not allowed; {allowed}")
            }
            Problem::Unknown { value, hint } => write!(f, "'{value}' does not exist; {hint}"),
            Problem::Retired { value } => {
                write!(
                    f,
                    "'{value}' is retired and takes no new reports; choose another"
                )
            }
            Problem::TooLong { length, max } => {
                write!(f, "is {length} characters; at most {max} are allowed")
            }
            Problem::TooMany { count, max } => {
                write!(f, "has {count} entries; at most {max} are allowed")
            }
            Problem::ControlCharacter => f.write_str("holds control characters; use plain text"),
            Problem::Unparseable { value, expected } => {
                write!(f, "'{value}' cannot be read; expected {expected}")
            }
            Problem::Overlaps(o) => write!(
                f,
                "'{}' splits the days {} that “{}” published on {}; read together the two would disclose counts that each protects. Publish {} instead, or a period that does not overlap them",
                o.value, o.days, o.title, o.published, o.instead
            ),
            Problem::Ambiguous { value, candidates } => {
                write!(
                    f,
                    "'{value}' matches several: {}; be more precise",
                    candidates.join(", ")
                )
            }
        }
    }
}

/// A period refused for the version for politicians (`Problem::Overlaps`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overlap {
    /// The period asked for, first and last day.
    pub value: String,
    /// The days already published that it would split, and the report that published
    /// them first: its title and the day it was published.
    pub title: String,
    pub days: String,
    pub published: String,
    /// The period that would fit, first and last day.
    pub instead: String,
}

/// Bad input, naming the field. Nothing was stored.
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize, Deserialize)]
#[error("{field} {problem}")]
pub struct ValidationError {
    pub field: Field,
    #[serde(flatten)]
    pub problem: Problem,
}

impl ValidationError {
    pub fn new(field: Field, problem: Problem) -> ValidationError {
        ValidationError { field, problem }
    }
}

/// Something the caller must acknowledge before the input is stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "warning", rename_all = "snake_case")]
pub enum Warning {
    /// The text contains what looks like a Swedish personal identity number. Lägesbild
    /// records places and situations, not people.
    #[error(
        "{field} contains what looks like a personnummer; reports are about places, not people. Remove it, or confirm that it must be stored"
    )]
    PossiblePersonnummer { field: Field },
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error(transparent)]
    NeedsConfirmation(#[from] Warning),
    #[error("no {what} with id {id}")]
    NotFound { what: &'static str, id: String },
    #[error("this store has no identity yet; run `lagesbild init` or enrol the device")]
    NoIdentity,
    #[error("{0}")]
    Forbidden(String),
    #[error(
        "the store at {path} was written by a newer version of Lägesbild (schema {found}, this version knows {supported}); update Lägesbild to open it"
    )]
    StoreTooNew {
        path: String,
        found: i64,
        supported: i64,
    },
    #[error("the store at {path} does not open with this key or passphrase")]
    WrongKey { path: String },
    #[error("a passphrase needs at least {min} characters")]
    WeakPassphrase { min: usize },
    #[error(
        "this build of Lägesbild has no encryption (SQLite without SQLCipher) and will not write a store in plain text"
    )]
    NoEncryption,
    #[error("the store is damaged: {0}")]
    Corrupt(String),
    /// Erased text was deleted, but readers held the write-ahead log the whole time.
    #[error(
        "the erased text may remain in the database's write-ahead log until the next checkpoint: readers held the log for {waited_ms} ms"
    )]
    LogNotEmptied { waited_ms: u64 },
    #[error("document error: {0}")]
    Document(#[from] automerge::AutomergeError),
    #[error("storage error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("file error: {0}")]
    Io(#[from] std::io::Error),
}

/// The stable codes of `Error`, and of a device's failures to reach its server; the app's
/// UI matches on them.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    Invalid,
    NeedsConfirmation,
    NotFound,
    NoIdentity,
    Forbidden,
    StoreTooNew,
    /// The store did not open with the key or passphrase given.
    WrongKey,
    /// A passphrase too short to protect the store.
    WeakPassphrase,
    Corrupt,
    Internal,
    /// The server did not accept an enrolment code.
    EnrolmentRefused,
    /// The server could not be reached.
    Unreachable,
    /// The server's certificate is not trusted.
    Untrusted,
    /// The server's address is plain `http://` to another machine: the device will not
    /// send its credential and reports in the clear.
    PlainHttp,
}

impl Error {
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Invalid(_) => ErrorCode::Invalid,
            Error::NeedsConfirmation(_) => ErrorCode::NeedsConfirmation,
            Error::NotFound { .. } => ErrorCode::NotFound,
            Error::NoIdentity => ErrorCode::NoIdentity,
            Error::Forbidden(_) => ErrorCode::Forbidden,
            Error::StoreTooNew { .. } => ErrorCode::StoreTooNew,
            Error::WrongKey { .. } => ErrorCode::WrongKey,
            Error::WeakPassphrase { .. } => ErrorCode::WeakPassphrase,
            Error::Corrupt(_) => ErrorCode::Corrupt,
            Error::NoEncryption
            | Error::LogNotEmptied { .. }
            | Error::Document(_)
            | Error::Sqlite(_)
            | Error::Io(_) => ErrorCode::Internal,
        }
    }

    pub(crate) fn corrupt(what: impl fmt::Display) -> Error {
        Error::Corrupt(what.to_string())
    }
}

impl From<autosurgeon::HydrateError> for Error {
    fn from(e: autosurgeon::HydrateError) -> Error {
        Error::corrupt(format!("a document does not hold a valid record: {e}"))
    }
}

impl From<autosurgeon::ReconcileError> for Error {
    fn from(e: autosurgeon::ReconcileError) -> Error {
        Error::corrupt(format!(
            "a record could not be written into its document: {e}"
        ))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
