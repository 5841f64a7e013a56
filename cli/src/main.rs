//! `lagesbild`: the command line over Lägesbild's core, for scripting, tests and power
//! users. It works on a local store, like the app does.

mod admin;
mod args;
mod commands;
mod efforts;
mod lookup;
mod output;
mod stores;
mod sync;

use std::process::ExitCode;

use clap::Parser;
use lagesbild_core::inert::terminal_block;
use lagesbild_core::{Error, ErrorCode};

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            let code = match err.downcast_ref::<Error>().map(Error::code) {
                Some(ErrorCode::Invalid) => 2,
                Some(ErrorCode::NeedsConfirmation) => {
                    eprintln!("error: {}", terminal_block(&format!("{err:#}"), "  "));
                    eprintln!(
                        "hint: check the text, or add --confirm-personnummer to store it as it is"
                    );
                    return ExitCode::from(3);
                }
                Some(ErrorCode::NotFound) => 4,
                _ => 1,
            };
            eprintln!("error: {}", terminal_block(&format!("{err:#}"), "  "));
            ExitCode::from(code)
        }
    }
}

/// Output piped into `head` and the like: stop quietly, as Unix tools do.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            || matches!(cause.downcast_ref::<Error>(), Some(Error::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
