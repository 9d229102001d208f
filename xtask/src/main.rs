//! Project automation, run as `cargo xtask <command>`.
//!
//! `conformance` renders every example answers file in `tests/examples/` and
//! runs real third-party validators over the output. It owns its validators:
//! it installs pinned versions into a venv under `target/` from PyPI, so a
//! fresh clone needs nothing but Python.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};

mod bench;
mod conformance;
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

  --example NAME   only this example (file stem in tests/examples/); repeatable
  --only NAME      only this validator; repeatable
  --shared DIR     where the third-party schemas live (default: $SCAFFOLD_SHARED or ../shared)
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
                    .unwrap_or_else(|| root.join("../shared")),
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
