//! The command line, declared with clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// A production-grade DevOps setup for your application, kept current.
#[derive(Debug, Parser)]
#[command(name = "scaffold", version, about, long_about = None)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Answer a few questions (or take defaults) and generate every file.
    New(NewArgs),
    /// Re-render from scaffold.toml and merge into the repository, keeping every edit.
    ///
    /// Each generated file is compared with what scaffold generated last time
    /// (recorded in .scaffold/lock.toml) and with what is on disk: files you did
    /// not edit are replaced, your edits are merged with scaffold's changes
    /// (overlaps get standard conflict markers), files you deleted stay
    /// deleted, and your own files are never overwritten.
    ///
    /// Exit codes: 0 done, 1 error, 2 invalid scaffold.toml or arguments,
    /// 3 conflicts written, 4 out of date (with --check).
    #[command(verbatim_doc_comment)]
    Sync(SyncArgs),
    /// Show how the generated files differ from what scaffold.toml renders now.
    Diff(DiffArgs),
}

/// Arguments of `scaffold new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// Take every default (and what detection finds) without asking.
    #[arg(long, conflicts_with = "answers")]
    pub defaults: bool,
    /// Read the answers from this TOML file instead of asking.
    #[arg(long, value_name = "FILE")]
    pub answers: Option<PathBuf>,
    /// Set one answer, such as `app.name=shop` or `services[0].port=8080` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// The repository to generate into.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// Overwrite files that already exist (by default they are kept and reported).
    #[arg(long)]
    pub force: bool,
}

/// Arguments of `scaffold sync`.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Print the plan, with a diff per file, and change nothing.
    #[arg(long, conflicts_with = "check")]
    pub dry_run: bool,
    /// Change nothing; exit with code 4 and print the diff when generated files are out of date (for CI).
    #[arg(long)]
    pub check: bool,
    /// Generate this path again even though you deleted it or have your own file there (repeatable).
    #[arg(long = "restore", value_name = "PATH")]
    pub restore: Vec<String>,
    /// The repository to sync.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
}

/// Arguments of `scaffold diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The repository to compare.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
}
