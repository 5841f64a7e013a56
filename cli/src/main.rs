//! `lagesbild`: the command line over Lägesbild's core, for scripting, tests and power
//! users. It works on a local store, like the app does.

mod args;
mod commands;
mod output;

use std::process::ExitCode;

use clap::Parser;
use lagesbild_core::{Error, ErrorCode};

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let code = match err.downcast_ref::<Error>().map(Error::code) {
                Some(ErrorCode::Invalid) => 2,
                Some(ErrorCode::NeedsConfirmation) => {
                    eprintln!("error: {err:#}");
                    eprintln!(
                        "hint: check the text, or add --confirm-personnummer to store it as it is"
                    );
                    return ExitCode::from(3);
                }
                Some(ErrorCode::NotFound) => 4,
                _ => 1,
            };
            eprintln!("error: {err:#}");
            ExitCode::from(code)
        }
    }
}
