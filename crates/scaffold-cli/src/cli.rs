//! The command line, declared with clap.
//!
//! This file depends only on clap and [`crate::exit`], so `cargo xtask man`
//! can include it (with `#[path]`) and write the man pages from the very
//! definitions the binary parses with.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::exit;

/// A production-grade DevOps setup for your application, kept current.
#[derive(Debug, Parser)]
#[command(
    name = "scaffold",
    version,
    about,
    long_about = None,
    after_help = exit::help(&[exit::SUCCESS, exit::ERROR, exit::INVALID, exit::CONFLICTS, exit::DRIFT, exit::CANCELLED]),
)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
    /// When to use colours: `auto` uses them on a terminal unless NO_COLOR is set.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = Color::Auto, global = true)]
    pub color: Color,
    /// Print only warnings and errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more: what was detected and why each file is left alone (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    /// Colours on a terminal, unless the NO_COLOR environment variable is set (and not empty).
    Auto,
    /// Always, even into a pipe or with NO_COLOR set.
    Always,
    /// Never.
    Never,
}

/// `--format` of the commands that print a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people: one line per file and unified diffs.
    Text,
    /// For tools: one JSON document with every file's action, reason and diff.
    Json,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Answer a few questions (or take defaults) and generate every file.
    #[command(after_help = exit::help(&[exit::SUCCESS, exit::ERROR, exit::INVALID, exit::CANCELLED]))]
    New(NewArgs),
    /// Re-render from scaffold.toml and merge into the repository, keeping every edit
    ///
    /// Each generated file is compared with what scaffold generated last time
    /// (recorded in .scaffold/lock.toml, stored in .scaffold/bases/) and with
    /// what is on disk: files you did not edit are replaced, your edits are
    /// merged with scaffold's changes (overlaps get standard conflict markers),
    /// files you deleted stay deleted, and your own files are never overwritten.
    ///
    /// Guarantees:
    ///   - no edit is lost: it is kept, merged, or between conflict markers;
    ///   - nothing is written when anything fails before the first file changes
    ///     (invalid answers or lock, an unwritable path);
    ///   - every file is old or new at every moment; a run that is killed or
    ///     loses power is finished by the next sync, with no manual step;
    ///   - one run at a time: a second run waits (an OS lock, released when a
    ///     run ends however it ends);
    ///   - only files scaffold generates are written or deleted, never in .git/,
    ///     outside the repository or through a symbolic link;
    ///   - CRLF line endings and file modes are kept.
    ///
    /// Refuses, reporting the file and changing nothing in it:
    ///   - a file that still has conflict markers, or is not UTF-8 text: it is
    ///     "unmerged" (exit 3, and --check fails) until you resolve it;
    ///   - a lock naming paths scaffold does not generate, from a newer scaffold,
    ///     or missing (exit 2, with the way out).
    #[command(
        verbatim_doc_comment,
        after_help = exit::help(&[exit::SUCCESS, exit::ERROR, exit::INVALID, exit::CONFLICTS, exit::DRIFT])
    )]
    Sync(SyncArgs),
    /// Show how the generated files differ from what scaffold.toml renders now.
    #[command(after_help = exit::help(&[exit::SUCCESS, exit::ERROR, exit::INVALID]))]
    Diff(DiffArgs),
    /// Add a service, datastore or environment to scaffold.toml, then regenerate.
    #[command(after_help = exit::help(&[exit::SUCCESS, exit::ERROR, exit::INVALID, exit::CONFLICTS, exit::CANCELLED]))]
    Add(AddArgs),
    /// Print a shell completion script, such as `scaffold completions bash > ~/.local/share/bash-completion/completions/scaffold`.
    ///
    /// bash: `scaffold completions bash > ~/.local/share/bash-completion/completions/scaffold`
    /// zsh: `scaffold completions zsh > ~/.zfunc/_scaffold` (with `fpath+=~/.zfunc` before `compinit`)
    /// fish: `scaffold completions fish > ~/.config/fish/completions/scaffold.fish`
    /// PowerShell: `scaffold completions powershell >> $PROFILE`
    /// elvish: `scaffold completions elvish >> ~/.config/elvish/rc.elv`
    #[command(
        verbatim_doc_comment,
        after_help = exit::help(&[exit::SUCCESS, exit::INVALID])
    )]
    Completions(CompletionsArgs),
}

/// Arguments of `scaffold completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Which `--set` key answers each question, for `scaffold new --help`.
pub const QUESTIONS_HELP: &str = "\
Questions the wizard asks, and the flag or `--set` key that answers each in a scripted run:
  app name                          --set app.name=shop
  GitHub repository (no origin)     --set app.repository=acme/shop
  services (confirm, edit, add)     --set services[0].language=go, services[0].path=..., services[0].port=8080,
                                    services[0].public=true (or `scaffold add service --name ... --language ...`)
  datastores                        --set datastores[0].engine=mysql (or `scaffold add datastore`)
  environments, branch, approval    --set environments[1].approval=true (or `scaffold add environment`)
  availability target               --set reliability.availability=99.95
  cloud, region, DR region          --set cloud.provider=gcp --set cloud.region=europe-west1 --set cloud.dr_region=...
  delivery strategy                 --set delivery.strategy=canary
  registry                          --set delivery.registry=gar
  GitOps                            --set delivery.gitops=true
  owners, team size                 --set app.owners='[\"@acme/platform\"]' --set app.team_size=6
A key given with --set is not asked. Without a terminal, use --defaults or --answers FILE.";

/// Arguments of `scaffold new`.
#[derive(Debug, Args)]
#[command(after_long_help = format!("{QUESTIONS_HELP}\n\n{}", exit::help(&[exit::SUCCESS, exit::ERROR, exit::INVALID, exit::CANCELLED])))]
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
    /// Overwrite files that already exist (by default they are kept and reported);
    /// the wizard starts from the existing scaffold.toml.
    #[arg(long)]
    pub force: bool,
    /// Print what would be written, file by file, and write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Arguments of `scaffold sync`.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Print the plan, with a diff per file, and change nothing.
    #[arg(long, conflicts_with = "check")]
    pub dry_run: bool,
    /// Change nothing; exit with code 4 and print the diff when generated files are out of date, 3 while conflicts remain (for CI).
    #[arg(long)]
    pub check: bool,
    /// Generate this path again even though you deleted it or have your own file there (repeatable).
    #[arg(long = "restore", value_name = "PATH")]
    pub restore: Vec<String>,
    /// The repository to sync.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// How `--dry-run` and `--check` print the plan.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Arguments of `scaffold diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The repository to compare.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// How to print the plan.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Arguments of `scaffold add`.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// What to add.
    #[command(subcommand)]
    pub what: AddWhat,
    /// The repository holding scaffold.toml.
    #[arg(long, value_name = "DIR", default_value = ".", global = true)]
    pub dir: PathBuf,
}

/// What `scaffold add` adds. On a terminal, missing values are asked; otherwise
/// the flags marked required must be given.
#[derive(Debug, Subcommand)]
pub enum AddWhat {
    /// A service (`--name` and `--language` required without a terminal, unless
    /// detection recognises the folder given with `--path`).
    Service(AddService),
    /// A datastore (`--name` and `--engine` required without a terminal).
    Datastore(AddDatastore),
    /// An environment (`--name` required without a terminal).
    Environment(AddEnvironment),
}

/// `scaffold add service`.
#[derive(Debug, Args)]
pub struct AddService {
    /// The service's name, such as `api`.
    #[arg(long)]
    pub name: Option<String>,
    /// node | python | go | rust | java | static.
    #[arg(long)]
    pub language: Option<String>,
    /// npm | pnpm | yarn | pip | poetry | uv | go | cargo | maven | gradle.
    #[arg(long)]
    pub package_manager: Option<String>,
    /// The folder that holds its code, relative to the repository root; it must exist (default
    /// `services/<name>`, created with a starter app when new).
    #[arg(long)]
    pub path: Option<String>,
    /// The port it listens on (default per language).
    #[arg(long)]
    pub port: Option<u16>,
    /// Reachable from outside the cluster through the ingress.
    #[arg(long, conflicts_with = "internal")]
    pub public: bool,
    /// Reachable only inside the cluster (the default without a terminal).
    #[arg(long)]
    pub internal: bool,
    /// Datastores it connects to, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub uses: Vec<String>,
}

/// `scaffold add datastore`.
#[derive(Debug, Args)]
pub struct AddDatastore {
    /// The datastore's name, such as `cache`.
    #[arg(long)]
    pub name: Option<String>,
    /// postgres | mysql | redis.
    #[arg(long)]
    pub engine: Option<String>,
    /// The engine version (default per engine).
    #[arg(long)]
    pub version: Option<String>,
    /// Services that connect to it, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub used_by: Vec<String>,
}

/// `scaffold add environment`.
#[derive(Debug, Args)]
pub struct AddEnvironment {
    /// The environment's name, such as `uat`.
    #[arg(long)]
    pub name: Option<String>,
    /// Deploy automatically on a push to this branch.
    #[arg(long)]
    pub branch: Option<String>,
    /// Deployments wait for a reviewer's approval.
    #[arg(long)]
    pub approval: bool,
    /// The ingress host, such as `uat.example.com`.
    #[arg(long)]
    pub domain: Option<String>,
    /// Insert after this environment in promotion order (default: before production, else last).
    #[arg(long, value_name = "ENV")]
    pub after: Option<String>,
}
