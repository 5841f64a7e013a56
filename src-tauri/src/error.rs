//! Errors as the UI receives them: `{code, message, field?}`. The UI matches on `code`
//! (mirrored in `ui/src/lib/api.ts`) and shows its own Swedish or English text; `message`
//! is the English detail for logs.

use lagesbild_core::{Error, Field};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct CommandError {
    pub code: &'static str,
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
            lagesbild_core::ErrorCode::Invalid => "invalid",
            lagesbild_core::ErrorCode::NeedsConfirmation => "needs_confirmation",
            lagesbild_core::ErrorCode::NotFound => "not_found",
            lagesbild_core::ErrorCode::NoIdentity => "no_identity",
            lagesbild_core::ErrorCode::Forbidden => "forbidden",
            lagesbild_core::ErrorCode::StoreTooNew => "store_too_new",
            lagesbild_core::ErrorCode::Corrupt => "corrupt",
            lagesbild_core::ErrorCode::Internal => "internal",
        };
        if code == "internal" || code == "corrupt" {
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
    pub fn new(code: &'static str, message: impl Into<String>) -> CommandError {
        CommandError {
            code,
            message: message.into(),
            field: None,
        }
    }
}

pub type CommandResult<T> = Result<T, CommandError>;
