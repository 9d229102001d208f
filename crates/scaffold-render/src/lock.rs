//! `.scaffold/lock.toml`: what scaffold last wrote, so `scaffold sync` can find the merge base.
//!
//! For every generated file the lock records its path and the git blob id of
//! the content scaffold wrote. The content itself is kept by id in
//! `.scaffold/bases/` (and usually in git's object database too), so the lock
//! stays small and the base of a three-way merge can be read back by id.
//!
//! The lock is input like any other: a lock that names a path scaffold could
//! never have generated (absolute, with `..`, inside `.git/` or `.scaffold/`)
//! or that comes from a newer format is refused with the entry it names,
//! before anything is planned, so a crafted lock cannot make sync write or
//! delete anything outside the generated files.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// The lock file's path, relative to the repository root.
pub const LOCK_PATH: &str = ".scaffold/lock.toml";

/// The lock format this scaffold reads and writes.
pub const LOCK_VERSION: u32 = 1;

/// The longest path a lock may name, in bytes.
const MAX_PATH_LEN: usize = 1024;

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
    /// What is wrong, naming the entry.
    pub message: String,
}

impl Lock {
    /// A lock for the current scaffold version with no files.
    pub fn new() -> Self {
        Lock {
            version: LOCK_VERSION,
            scaffold: crate::VERSION.to_owned(),
            ..Lock::default()
        }
    }

    /// Parses and checks the lock's text (see [`Lock::check`]).
    pub fn parse(text: &str) -> Result<Self, LockError> {
        let lock: Lock = toml::from_str(text).map_err(|err| LockError {
            path: LOCK_PATH.to_owned(),
            message: err.to_string().trim_end().to_owned(),
        })?;
        lock.check().map_err(|message| LockError {
            path: LOCK_PATH.to_owned(),
            message,
        })?;
        Ok(lock)
    }

    /// Checks the format version, every path (see [`check_path`]) and every
    /// blob id, and that the lists agree with each other.
    pub fn check(&self) -> Result<(), String> {
        if self.version > LOCK_VERSION {
            return Err(format!(
                "it has format version {}, written by a newer scaffold ({}) than this one ({}, format {LOCK_VERSION}); upgrade scaffold",
                self.version,
                self.scaffold,
                crate::VERSION
            ));
        }
        if self.version != LOCK_VERSION {
            return Err(format!(
                "`version = {}` is not a lock format; this scaffold reads format {LOCK_VERSION}",
                self.version
            ));
        }
        let mut seen = BTreeSet::new();
        let lists = [
            ("files", self.files.keys().collect::<Vec<_>>()),
            ("deleted", self.deleted.iter().collect()),
            ("user_owned", self.user_owned.iter().collect()),
        ];
        for (list, paths) in lists {
            for path in paths {
                check_path(path).map_err(|why| format!("`{list}` names `{path}`: {why}"))?;
                if !seen.insert(path) {
                    return Err(format!("`{path}` is listed twice"));
                }
            }
        }
        for path in &self.starters {
            check_path(path).map_err(|why| format!("`starters` names `{path}`: {why}"))?;
        }
        for (path, id) in &self.files {
            if !is_blob_id(id) {
                return Err(format!(
                    "`files` records `{id}` for `{path}`, which is not a git blob id"
                ));
            }
        }
        for path in &self.blocks {
            if !self.files.contains_key(path) {
                return Err(format!("`blocks` names `{path}`, which `files` does not"));
            }
        }
        Ok(())
    }

    /// Whether the lock records nothing at all.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty() && self.deleted.is_empty() && self.user_owned.is_empty()
    }

    /// Copies what `from` records for `path` into this lock.
    pub fn copy_entry(&mut self, from: &Lock, path: &str) {
        if let Some(id) = from.files.get(path) {
            self.files.insert(path.to_owned(), id.clone());
        }
        for (mine, theirs) in [
            (&mut self.blocks, &from.blocks),
            (&mut self.deleted, &from.deleted),
            (&mut self.user_owned, &from.user_owned),
        ] {
            if theirs.iter().any(|p| p == path) && !mine.iter().any(|p| p == path) {
                mine.push(path.to_owned());
                mine.sort();
            }
        }
    }

    /// Every path the lock names.
    pub fn paths(&self) -> BTreeSet<&String> {
        let mut paths: BTreeSet<&String> = self.files.keys().collect();
        paths.extend(&self.deleted);
        paths.extend(&self.user_owned);
        paths
    }

    /// The lock's text, with a header saying what it is for.
    pub fn to_text(&self) -> String {
        let body = toml::to_string(self).expect("a lock always serializes");
        format!(
            "# Written by scaffold. Records what `scaffold sync` last generated, to merge your edits.\n# Commit it; do not edit it by hand.\n\n{body}"
        )
    }
}

/// Checks that `path` could be a generated file: relative, normalised
/// (`/`-separated, no empty, `.` or `..` segment), free of control
/// characters, and outside `.git/`, `.scaffold/` and `scaffold.toml`.
///
/// Symbolic links are the CLI's concern: it never follows one.
pub fn check_path(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err("the path is empty".to_owned());
    }
    if path.len() > MAX_PATH_LEN {
        return Err(format!("the path is longer than {MAX_PATH_LEN} bytes"));
    }
    if path.starts_with('/') || path.get(1..2) == Some(":") {
        return Err("the path is absolute".to_owned());
    }
    if path.contains('\\') {
        return Err("the path contains `\\`".to_owned());
    }
    if path.chars().any(char::is_control) {
        return Err("the path contains a control character".to_owned());
    }
    for segment in path.split('/') {
        if segment.is_empty() || segment == "." || segment == ".." {
            return Err("the path is not normalised (an empty, `.` or `..` segment)".to_owned());
        }
        // Windows ignores trailing dots and spaces, so `.git.` is `.git` there.
        if segment
            .trim_end_matches(['.', ' '])
            .eq_ignore_ascii_case(".git")
        {
            return Err("the path is inside git's own folder".to_owned());
        }
    }
    let first = path.split('/').next().unwrap_or_default();
    if first.eq_ignore_ascii_case(".scaffold") || path.eq_ignore_ascii_case("scaffold.toml") {
        return Err("the path is scaffold's own bookkeeping, never a generated file".to_owned());
    }
    Ok(())
}

/// Whether `id` is a git object id (SHA-1 or SHA-256, lowercase hex).
pub fn is_blob_id(id: &str) -> bool {
    matches!(id.len(), 40 | 64)
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn lock_round_trips() {
        let mut lock = Lock::new();
        lock.files.insert("compose.yaml".into(), ID.into());
        lock.files.insert("README.md".into(), ID.into());
        lock.deleted.push(".env.example".into());
        lock.blocks.push("README.md".into());
        assert_eq!(Lock::parse(&lock.to_text()).unwrap(), lock);
    }

    fn check(path: &str, ok: bool) {
        assert_eq!(
            check_path(path).is_ok(),
            ok,
            "{path}: {:?}",
            check_path(path)
        );
    }

    #[test]
    fn only_paths_scaffold_could_generate_are_accepted() {
        for good in [
            "compose.yaml",
            ".github/workflows/ci.yml",
            "infra/envs/staging/main.tf",
            ".dockerignore",
            "docs/übersicht.md",
        ] {
            check(good, true);
        }
        for bad in [
            "",
            "/etc/passwd",
            "C:/x",
            "../x",
            "a/../../x",
            "./a",
            "a//b",
            "a/",
            "a\\b",
            ".git/HEAD",
            "sub/.git/config",
            ".GIT/hooks/pre-commit",
            ".git./HEAD",
            ".scaffold/lock.toml",
            "scaffold.toml",
            "a\nb",
        ] {
            check(bad, false);
        }
    }

    fn parse_err(text: &str) -> String {
        Lock::parse(text).unwrap_err().to_string()
    }

    #[test]
    fn a_crafted_lock_is_refused_with_the_entry_it_names() {
        let err = parse_err(&format!(
            "version = 1\nscaffold = \"0.1.0\"\n[files]\n\".git/HEAD\" = \"{ID}\"\n"
        ));
        assert!(
            err.contains("`files` names `.git/HEAD`: the path is inside git's own folder"),
            "{err}"
        );
        let err = parse_err("version = 1\nscaffold = \"0.1.0\"\ndeleted = [\"../outside\"]\n");
        assert!(err.contains("`deleted` names `../outside`"), "{err}");
        let err = parse_err("version = 1\nscaffold = \"0.1.0\"\n[files]\n\"a\" = \"HEAD\"\n");
        assert!(err.contains("not a git blob id"), "{err}");
    }

    #[test]
    fn the_lock_format_version_is_checked() {
        let err = parse_err("version = 2\nscaffold = \"9.0.0\"\n");
        assert!(err.contains("written by a newer scaffold (9.0.0)"), "{err}");
        assert!(parse_err("version = 0\nscaffold = \"0.1.0\"\n").contains("not a lock format"));
    }
}
