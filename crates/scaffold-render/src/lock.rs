//! `.scaffold/lock.toml`: what scaffold last wrote, so `scaffold sync` can find the merge base.
//!
//! For every generated file the lock records its path and the git blob id of
//! the content scaffold wrote. The content itself lives in the repository's
//! git object database (the CLI writes it there), so the lock stays small and
//! the base of a three-way merge can be read back by id.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The lock file's path, relative to the repository root.
pub const LOCK_PATH: &str = ".scaffold/lock.toml";

/// The lock's contents.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lock {
    /// The lock format version.
    pub version: u32,
    /// The scaffold version that last wrote files.
    pub scaffold: String,
    /// Generated files: path to the git blob id of what scaffold wrote.
    #[serde(default)]
    pub files: BTreeMap<String, String>,
    /// Paths where scaffold manages only its delimited block inside the
    /// user's file (such as a README the user wrote); their blob ids in
    /// `files` are the block's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blocks: Vec<String>,
    /// Generated paths the user deleted; sync does not recreate them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deleted: Vec<String>,
    /// Paths where the user's own file stood before scaffold generated one; sync never overwrites them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub user_owned: Vec<String>,
    /// Starter app files scaffold wrote once into an empty service folder. They belong to
    /// the user from the moment they are written: sync never updates, recreates or deletes them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub starters: Vec<String>,
}

/// Why a lock could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{path} is not a valid scaffold lock: {message}")]
pub struct LockError {
    /// The lock's path.
    pub path: String,
    /// What the TOML parser said.
    pub message: String,
}

impl Lock {
    /// A lock for the current scaffold version with no files.
    pub fn new() -> Self {
        Lock {
            version: 1,
            scaffold: crate::VERSION.to_owned(),
            ..Lock::default()
        }
    }

    /// Parses the lock's text.
    pub fn parse(text: &str) -> Result<Self, LockError> {
        toml::from_str(text).map_err(|err| LockError {
            path: LOCK_PATH.to_owned(),
            message: err.to_string().trim_end().to_owned(),
        })
    }

    /// The lock's text, with a header saying what it is for.
    pub fn to_text(&self) -> String {
        let body = toml::to_string(self).expect("a lock always serializes");
        format!(
            "# Written by scaffold. Records what `scaffold sync` last generated, to merge your edits.\n# Commit it; do not edit it by hand.\n\n{body}"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_round_trips() {
        let mut lock = Lock::new();
        lock.files.insert("compose.yaml".into(), "0123abcd".into());
        lock.deleted.push(".env.example".into());
        lock.blocks.push("README.md".into());
        assert_eq!(Lock::parse(&lock.to_text()).unwrap(), lock);
    }
}
