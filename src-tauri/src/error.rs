//! Errors as the UI receives them: `{code, message, field?}`. The UI matches on `code`
//! and shows its own Swedish or English text; `message` is the English detail for logs.

use lagesbild_core::{Error, ErrorCode, Field};
use serde::Serialize;

/// The stable codes of the commands' errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    Invalid,
    NeedsConfirmation,
    NotFound,
    NoIdentity,
    Forbidden,
    StoreTooNew,
    Corrupt,
    Internal,
    /// The server did not accept the enrolment code.
    EnrolmentRefused,
    /// The server could not be reached.
    Unreachable,
}

#[derive(Debug, Serialize, ts_rs::TS)]
pub struct CommandError {
    pub code: Code,
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
        let code = match e.code() {
            ErrorCode::Invalid => Code::Invalid,
            ErrorCode::NeedsConfirmation => Code::NeedsConfirmation,
            ErrorCode::NotFound => Code::NotFound,
            ErrorCode::NoIdentity => Code::NoIdentity,
            ErrorCode::Forbidden => Code::Forbidden,
            ErrorCode::StoreTooNew => Code::StoreTooNew,
            ErrorCode::Corrupt => Code::Corrupt,
            ErrorCode::Internal => Code::Internal,
        };
        if matches!(code, Code::Internal | Code::Corrupt) {
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
    pub fn new(code: Code, message: impl Into<String>) -> CommandError {
        CommandError {
            code,
            message: message.into(),
            field: None,
        }
    }
}

pub type CommandResult<T> = Result<T, CommandError>;
