//! Errors as the UI receives them: `{code, message, field?}`. The UI matches on `code`
//! and shows its own Swedish or English text; `message` is the English detail for logs.

use lagesbild_core::{Error, ErrorCode, Field};
use serde::Serialize;

#[derive(Debug, Serialize, ts_rs::TS)]
pub struct CommandError {
    pub code: ErrorCode,
    pub message: String,
    /// The field a validation error or warning is about.
    pub field: Option<Field>,
    /// A period refused because it would cut one already published for politicians.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub overlap: Option<Box<Overlap>>,
}

/// What the UI says of a refused publication, in its own words.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct Overlap {
    /// The earlier report's title, its days, and when it was published.
    pub title: String,
    pub days: String,
    pub published: String,
    /// What to publish instead, first and last day.
    pub instead: String,
}

impl From<Error> for CommandError {
    fn from(e: Error) -> Self {
        let field = match &e {
            Error::Invalid(v) => Some(v.field),
            Error::NeedsConfirmation(lagesbild_core::Warning::PossiblePersonnummer { field }) => {
                Some(*field)
            }
            _ => None,
        };
        let overlap = match &e {
            Error::Invalid(lagesbild_core::ValidationError {
                problem: lagesbild_core::Problem::Overlaps(o),
                ..
            }) => Some(Box::new(Overlap {
                title: o.title.clone(),
                days: o.days.clone(),
                published: o.published.clone(),
                instead: o.instead.clone(),
            })),
            _ => None,
        };
        let code = e.code();
        if matches!(code, ErrorCode::Internal | ErrorCode::Corrupt) {
            tracing::error!(error = %e, "command failed");
        }
        CommandError {
            code,
            message: e.to_string(),
            field,
            overlap,
        }
    }
}

impl CommandError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> CommandError {
        CommandError {
            code,
            message: message.into(),
            field: None,
            overlap: None,
        }
    }
}

pub type CommandResult<T> = Result<T, CommandError>;
