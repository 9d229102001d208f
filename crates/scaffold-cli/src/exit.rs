//! Exit codes, so scripts and CI can tell outcomes apart.
//!
//! | code | meaning |
//! | --- | --- |
//! | 0 | success |
//! | 1 | an operational error (a file could not be read or written, git failed) |
//! | 2 | invalid input: bad answers, a bad `--set`, bad arguments (clap uses 2 too) |
//! | 3 | `scaffold sync` wrote conflicts that need resolving |
//! | 4 | `scaffold sync --check`: generated files are out of date |
//! | 130 | the user cancelled the wizard (Ctrl-C); nothing was written |
//!
//! Each command's `--help` lists the codes it can end with, from [`MEANINGS`].

use std::fmt;

/// Success.
pub const SUCCESS: u8 = 0;
/// An operational error.
pub const ERROR: u8 = 1;
/// Invalid input.
pub const INVALID: u8 = 2;
/// `scaffold sync` wrote conflicts that need resolving.
pub const CONFLICTS: u8 = 3;
/// `scaffold sync --check`: generated files are out of date.
pub const DRIFT: u8 = 4;
/// The user cancelled the wizard; 128 + SIGINT, as shells report an interrupted command.
pub const CANCELLED: u8 = 130;

/// What each exit code means, as `--help` and the man pages say it.
pub const MEANINGS: &[(u8, &str)] = &[
    (SUCCESS, "success"),
    (
        ERROR,
        "an operational error: a file could not be read or written, git failed",
    ),
    (
        INVALID,
        "invalid input: bad answers, a bad `--set`, bad arguments; nothing was written",
    ),
    (
        CONFLICTS,
        "conflicts were written; resolve the `<<<<<<<` markers",
    ),
    (
        DRIFT,
        "with `--check`: generated files are out of date with scaffold.toml",
    ),
    (
        CANCELLED,
        "the wizard was interrupted (Ctrl-C); nothing was written",
    ),
];

/// The "Exit codes:" section of a command's `--help`, for the codes it can end with.
pub fn help(codes: &[u8]) -> String {
    let mut text = "Exit codes:".to_owned();
    for code in codes {
        let meaning = MEANINGS
            .iter()
            .find(|(c, _)| c == code)
            .map_or("", |(_, m)| m);
        text.push_str(&format!("\n  {code:<4} {meaning}"));
    }
    text
}

/// An error that carries its exit code, for `main` to find in the chain.
#[derive(Debug)]
pub struct Failure {
    /// The exit code.
    pub code: u8,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// An invalid-input failure with `message`.
pub fn invalid(message: impl Into<String>) -> anyhow::Error {
    Failure {
        code: INVALID,
        message: message.into(),
    }
    .into()
}

/// The outcome of a command that did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code(pub u8);

impl From<Code> for std::process::ExitCode {
    fn from(code: Code) -> Self {
        std::process::ExitCode::from(code.0)
    }
}
