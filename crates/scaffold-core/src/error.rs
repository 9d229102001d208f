//! Errors in `scaffold.toml`, written for the person who has to fix them.
//!
//! Every problem names the key path (`services[1].uses[0]`), the line where
//! it can be found, what is wrong, and what would be accepted instead. All
//! problems are collected before reporting, so one run shows every mistake.

use std::fmt;

/// One thing wrong in the answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The key path, such as `services[1].port`.
    pub path: String,
    /// The 1-based line in `scaffold.toml`, when the key is present there.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
    /// What would be accepted, or how to fix it.
    pub help: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: `{}`: {}", self.path, self.message)?,
            None => write!(f, "`{}`: {}", self.path, self.message)?,
        }
        if !self.help.is_empty() {
            write!(f, "\n  help: {}", self.help)?;
        }
        Ok(())
    }
}

/// Why a `scaffold.toml` could not become a [`crate::Project`].
#[derive(Debug, thiserror::Error)]
pub enum AnswersError {
    /// The file is not valid TOML, or a value has the wrong type.
    #[error("{0}")]
    Syntax(String),
    /// The file parsed, but some keys are unknown or some values are not allowed.
    #[error("{}", problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid {
        /// Every problem found, in file order.
        problems: Vec<Problem>,
    },
}

impl AnswersError {
    /// The problems, for callers that want to inspect them one by one.
    pub fn problems(&self) -> &[Problem] {
        match self {
            AnswersError::Syntax(_) => &[],
            AnswersError::Invalid { problems } => problems,
        }
    }
}
