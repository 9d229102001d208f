//! The `scaffold` command: parses arguments, runs one command, maps the outcome to an exit code.
//!
//! Everything that touches the outside world (files, git, the terminal) lives
//! in this crate; the model and the rendering are pure and live in
//! `scaffold-core` and `scaffold-render`.

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};
use dialoguer::console::Style;

mod add;
mod cli;
mod detect;
mod exit;
#[cfg(debug_assertions)]
mod fixture;
mod new;
mod next_steps;
mod plan_json;
mod repo;
mod set;
mod starters;
mod sync;
mod ui;
mod wizard;
mod write;

use cli::{Cli, Command};
use exit::Failure;

/// A render allocates and frees millions of small values (Tera's contexts and
/// nodes, the rendered strings); mimalloc does that in about a third of the
/// instructions of the system allocator, from several threads without
/// contention (figures in docs/ARCHITECTURE.md, "Performance").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // `--color` is read first so clap's own help and errors follow it.
    let color = match ui::color_from_args(&args) {
        cli::Color::Always => clap::ColorChoice::Always,
        cli::Color::Never => clap::ColorChoice::Never,
        cli::Color::Auto => clap::ColorChoice::Auto,
    };
    let cli = match Cli::command()
        .color(color)
        .try_get_matches_from(&args)
        .and_then(|matches| Cli::from_arg_matches(&matches))
    {
        Ok(cli) => cli,
        // Help and version exit 0; usage errors exit 2, as `invalid` does.
        Err(err) => err.exit(),
    };
    ui::init(cli.color, cli.quiet, cli.verbose);
    let result = match cli.command {
        Command::New(args) => new::run(&args),
        Command::Sync(args) => sync::run(&args),
        Command::Diff(args) => sync::diff(&args),
        Command::Add(args) => add::run(&args),
        Command::Completions(args) => completions(args.shell),
    };
    // Output that could not be written is a failure of a command that otherwise succeeded
    // (its reader closing standard output is not: see `ui::write_out`).
    let result = result.and_then(|code| match ui::stdout_failure() {
        Some(failure) => Err(anyhow::anyhow!("writing to standard output: {failure}")),
        None => Ok(code),
    });
    match result {
        Ok(code) => code.into(),
        Err(err) => {
            let code = err
                .downcast_ref::<Failure>()
                .map_or(exit::ERROR, |failure| failure.code);
            eprintln!(
                "{} {err:#}",
                ui::paint_err("error:", &Style::new().red().bold())
            );
            ExitCode::from(code)
        }
    }
}

/// `scaffold completions SHELL`: the completion script on standard output.
fn completions(shell: clap_complete::Shell) -> anyhow::Result<exit::Code> {
    let mut command = Cli::command();
    // Generated in memory: clap_complete panics when it cannot write.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "scaffold", &mut script);
    out!("{}", String::from_utf8_lossy(&script));
    Ok(exit::Code(exit::SUCCESS))
}
