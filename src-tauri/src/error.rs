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
        let code = e.code();
        if matches!(code, ErrorCode::Internal | ErrorCode::Corrupt) {
            tracing::error!(error = %e, "command failed");
        }
        CommandError {
            code,
            message: e.to_string(),
            field,
        }
    }
}

impl CommandError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> CommandError {
        CommandError {
            code,
            message: message.into(),
            field: None,
        }
    }
}

pub type CommandResult<T> = Result<T, CommandError>;
