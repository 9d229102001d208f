//! The `scaffold` command: parses arguments, runs one command, maps the outcome to an exit code.
//!
//! Everything that touches the outside world (files, git, the terminal) lives
//! in this crate; the model and the rendering are pure and live in
//! `scaffold-core` and `scaffold-render`.

use std::process::ExitCode;

use clap::Parser;

mod add;
mod cli;
mod detect;
mod exit;
#[cfg(debug_assertions)]
mod fixture;
mod new;
mod repo;
mod set;
mod sync;
mod wizard;
mod write;

use cli::{Cli, Command};
use exit::Failure;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::New(args) => new::run(&args),
        Command::Sync(args) => sync::run(&args),
        Command::Diff(args) => sync::diff(&args),
        Command::Add(args) => add::run(&args),
    };
    match result {
        Ok(code) => code.into(),
        Err(err) => {
            let code = err
                .downcast_ref::<Failure>()
                .map_or(exit::ERROR, |failure| failure.code);
            eprintln!("error: {err:#}");
            ExitCode::from(code)
        }
    }
}
