//! Project automation, run as `cargo xtask <command>`.
//!
//! `conformance` renders every example answers file in `tests/examples/` and
//! runs real third-party validators over the output. It owns its validators:
//! it installs pinned versions into a venv under `target/` from PyPI, so a
//! fresh clone needs nothing but Python.
//!
//! `man` writes the man pages from the CLI's clap definitions (`--check`
//! only compares them with `docs/man/`).

use std::path::PathBuf;

use anyhow::{Context, Result, bail};

mod bench;
#[allow(
    dead_code,
    reason = "the binary's clap definitions, shared by path for the man pages; only they are used here"
)]
#[path = "../../crates/scaffold-cli/src/cli.rs"]
mod cli;
mod conformance;
#[allow(
    dead_code,
    reason = "the binary's exit codes, which its clap definitions list in every --help"
)]
#[path = "../../crates/scaffold-cli/src/exit.rs"]
mod exit;
mod man;
mod own;
mod tidy;

fn main() -> std::process::ExitCode {
    match run() {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::FAILURE,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::from(2)
        }
    }
}

const USAGE: &str = "usage: cargo xtask conformance [--example NAME]... [--only VALIDATOR]... [--shared DIR] [--venv DIR]
       cargo xtask man [--check]

  --example NAME   only this example (file stem in tests/examples/); repeatable
  --only NAME      only this validator; repeatable
  --shared DIR     where the third-party schemas live (default: $SCAFFOLD_SHARED or the copies
                   vendored in xtask/vendor, see its README)
  --venv DIR       the validators' venv (default: $SCAFFOLD_VALIDATORS_VENV or target/validators)

usage: cargo xtask bench [--runs N] [--scale-to N] [--no-copier] [--no-callgrind]

  --runs N         runs per wall-time median (default 7)
  --scale-to N     services of the sync scale test (default 1000)
  --no-copier      skip the comparison with copier (installed from PyPI into target/bench)
  --no-callgrind   skip instruction counts (valgrind)";

fn run() -> Result<bool> {
    let mut args = std::env::args().skip(1);
    let Some(command) = args.next() else {
        bail!("{USAGE}");
    };
    match command.as_str() {
        "conformance" => {
            let root = workspace_root();
            let mut options = conformance::Options {
                shared: std::env::var_os("SCAFFOLD_SHARED")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| root.join(conformance::VENDOR_DIR)),
                venv: std::env::var_os("SCAFFOLD_VALIDATORS_VENV")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| root.join("target/validators")),
                examples: Vec::new(),
                only: Vec::new(),
                root,
            };
            while let Some(arg) = args.next() {
                let mut value = || {
                    args.next()
                        .with_context(|| format!("{arg} needs a value\n{USAGE}"))
                };
                match arg.as_str() {
                    "--example" => options.examples.push(value()?),
                    "--only" => options.only.push(value()?),
                    "--shared" => options.shared = PathBuf::from(value()?),
                    "--venv" => options.venv = PathBuf::from(value()?),
                    other => bail!("unknown argument `{other}`\n{USAGE}"),
                }
            }
            conformance::run(&options)
        }
        "man" => {
            let check = match args.next().as_deref() {
                None => false,
                Some("--check") => true,
                Some(other) => bail!("unknown argument `{other}`\n{USAGE}"),
            };
            man::run(&workspace_root(), check)?;
            Ok(true)
        }
        "bench" => {
            let mut options = bench::Options {
                root: workspace_root(),
                runs: 7,
                scale_to: 1000,
                no_copier: false,
                no_callgrind: false,
            };
            while let Some(arg) = args.next() {
                let mut number = || -> Result<usize> {
                    args.next()
                        .and_then(|v| v.parse().ok())
                        .with_context(|| format!("{arg} needs a number\n{USAGE}"))
                };
                match arg.as_str() {
                    "--runs" => options.runs = number()?,
                    "--scale-to" => options.scale_to = number()?,
                    "--no-copier" => options.no_copier = true,
                    "--no-callgrind" => options.no_callgrind = true,
                    other => bail!("unknown argument `{other}`\n{USAGE}"),
                }
            }
            bench::run(&options)
        }
        other => bail!("unknown command `{other}`\n{USAGE}"),
    }
}

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}
