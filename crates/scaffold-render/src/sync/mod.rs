//! Sync planning: what `scaffold sync` would do to each file, decided without
//! touching the filesystem.
//!
//! For every path it compares three versions: the **base** (what scaffold
//! last generated, read back from git by the blob id in the lock), **ours**
//! (what is on disk) and **theirs** (the new render), and chooses one
//! [`Action`]. The plan is pure data, so the CLI can print it (`--dry-run`,
//! `diff`), check it (`--check`) or apply it, and tests can exercise every
//! rule without a repository. The rules, in short:
//!
//! - unchanged on disk: replaced by the new render;
//! - edited, render unchanged: kept;
//! - both changed: three-way merge, written clean or with conflict markers;
//! - deleted by the user: stays deleted, remembered in the lock;
//! - no longer generated: deleted if unchanged, kept (and reported) if edited;
//! - newly generated where the user has a file: kept and reported;
//! - base unknown: a whole-file conflict, unless disk already equals the render.
//!
//! A rendered file that contains a delimited block ([`block`]), such as the
//! root `README.md`, is generated whole where there is no file, but where the
//! user already has one only the block is inserted (or updated) in it. The
//! lock then marks the path as a block, and later syncs plan just the block,
//! leaving the rest of the user's file alone.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::{Files, Lock};

pub mod block;
pub mod merge;

#[cfg(test)]
mod tests;

/// What sync does to one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    /// Write a file that does not exist yet.
    Create,
    /// Replace a file the user has not edited with the new render.
    Update,
    /// Write the clean three-way merge of the user's edits and the new render.
    Merge,
    /// Write the merge with conflict markers where the edits overlap.
    Conflict,
    /// Remove a file that is no longer generated and was not edited.
    Delete,
    /// Leave the file as it is, for a reason worth reporting.
    Keep,
    /// Nothing to do.
    Unchanged,
}

impl Action {
    /// The word printed in plans, padded to one width.
    pub fn label(self) -> &'static str {
        match self {
            Action::Create => "create  ",
            Action::Update => "update  ",
            Action::Merge => "merge   ",
            Action::Conflict => "conflict",
            Action::Delete => "delete  ",
            Action::Keep => "keep    ",
            Action::Unchanged => "ok      ",
        }
    }

    /// Whether the action changes the file on disk.
    pub fn changes_disk(self) -> bool {
        !matches!(self, Action::Keep | Action::Unchanged)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label().trim_end())
    }
}

/// What the lock records for a path once the plan is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// A generated file: the lock records the blob id of this content (the
    /// render, which becomes the next sync's base).
    Generated(String),
    /// Scaffold manages only the delimited block in the user's file: the
    /// lock records the blob id of this block and marks the path as a block.
    Block(String),
    /// The user deleted the generated file; sync does not recreate it.
    Deleted,
    /// The user's own file stands where scaffold would generate one.
    UserOwned,
    /// The lock forgets the path.
    Forget,
}

/// The plan for one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The repository-relative path.
    pub path: String,
    /// What happens to it.
    pub action: Action,
    /// Why, in words for the user (lowercase, no final period).
    pub reason: String,
    /// The file's new content, for actions that write it.
    pub content: Option<String>,
    /// What the lock records afterwards.
    pub record: Record,
    /// A unified diff from the file on disk to its new content (empty when
    /// the file does not change).
    pub diff: String,
}

/// Every step, in path order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// One step per path that is rendered or known to the lock.
    pub steps: Vec<Step>,
}

impl Plan {
    /// Steps that change a file on disk.
    pub fn changes(&self) -> impl Iterator<Item = &Step> {
        self.steps.iter().filter(|s| s.action.changes_disk())
    }

    /// Steps that write conflict markers.
    pub fn conflicts(&self) -> impl Iterator<Item = &Step> {
        self.steps.iter().filter(|s| s.action == Action::Conflict)
    }

    /// Steps worth showing the user: everything but [`Action::Unchanged`].
    pub fn reported(&self) -> impl Iterator<Item = &Step> {
        self.steps.iter().filter(|s| s.action != Action::Unchanged)
    }

    /// The lock after applying the plan, with `blob_id` giving the git blob id
    /// of a content.
    ///
    /// When the plan records exactly what `previous` records, `previous` is
    /// returned as is (scaffold version included), so a sync with nothing to
    /// do does not touch the lock.
    pub fn next_lock<E>(
        &self,
        previous: &Lock,
        mut blob_id: impl FnMut(&str) -> Result<String, E>,
    ) -> Result<Lock, E> {
        let mut next = Lock::new();
        for step in &self.steps {
            match &step.record {
                Record::Generated(content) => {
                    next.files.insert(step.path.clone(), blob_id(content)?);
                }
                Record::Block(content) => {
                    next.files.insert(step.path.clone(), blob_id(content)?);
                    next.blocks.push(step.path.clone());
                }
                Record::Deleted => next.deleted.push(step.path.clone()),
                Record::UserOwned => next.user_owned.push(step.path.clone()),
                Record::Forget => {}
            }
        }
        next.deleted.sort();
        next.user_owned.sort();
        next.blocks.sort();
        // Starters are the user's files: the plan never touches them, the lock remembers them.
        next.starters = previous.starters.clone();
        let same = next.files == previous.files
            && next.blocks == previous.blocks
            && next.deleted == previous.deleted
            && next.user_owned == previous.user_owned;
        Ok(if same { previous.clone() } else { next })
    }
}

/// Plans a sync.
///
/// - `render`: the new render.
/// - `lock`: the lock as it is now.
/// - `disk`: for every path in `render` or the lock, its content on disk
///   (`None` when absent). Paths missing from the map count as absent.
/// - `bases`: for every path in `lock.files`, the content of its recorded
///   blob, or `None` when the blob is not in the repository.
/// - `restore`: paths to generate again even though the user deleted them
///   or owns a file there (`--restore`, and `new --force`).
pub fn plan(
    render: &Files,
    lock: &Lock,
    disk: &BTreeMap<String, Option<String>>,
    bases: &BTreeMap<String, Option<String>>,
    restore: &BTreeSet<String>,
) -> Plan {
    let mut paths: BTreeSet<&String> = render.keys().collect();
    paths.extend(lock.files.keys());
    paths.extend(&lock.deleted);
    paths.extend(&lock.user_owned);

    let steps = paths
        .into_iter()
        .map(|path| {
            let on_disk = disk.get(path).and_then(Option::as_deref);
            let base = lock
                .files
                .contains_key(path)
                .then(|| bases.get(path).and_then(Option::as_deref));
            let (action, reason, content, record) = match render.get(path) {
                Some(theirs) => {
                    let known = Known {
                        deleted: lock.deleted.contains(path),
                        owned: lock.user_owned.contains(path),
                        restore: restore.contains(path),
                        block: lock.blocks.contains(path),
                    };
                    plan_rendered(path, theirs, on_disk, base, known)
                }
                None => plan_gone(on_disk, base, lock.blocks.contains(path)),
            };
            let diff = match (&content, action) {
                (Some(new), _) => unified_diff(path, on_disk, Some(new)),
                (None, Action::Delete) => unified_diff(path, on_disk, None),
                (None, _) => String::new(),
            };
            Step {
                path: path.clone(),
                action,
                reason,
                content,
                record,
                diff,
            }
        })
        .collect();
    Plan { steps }
}

/// A unified diff from `old` to `new`, with git-style `a/` and `b/` headers
/// (`/dev/null` for a side that does not exist).
pub fn unified_diff(path: &str, old: Option<&str>, new: Option<&str>) -> String {
    if old == new {
        return String::new();
    }
    let name = |prefix: &str, side: Option<&str>| match side {
        Some(_) => format!("{prefix}/{path}"),
        None => "/dev/null".to_owned(),
    };
    diffy::DiffOptions::new()
        .set_original_filename(name("a", old))
        .set_modified_filename(name("b", new))
        .create_patch(old.unwrap_or(""), new.unwrap_or(""))
        .to_string()
}

/// What the lock knew about a rendered path besides its base.
struct Known {
    deleted: bool,
    owned: bool,
    restore: bool,
    /// Scaffold manages only the delimited block of this path.
    block: bool,
}

type Decision = (Action, String, Option<String>, Record);

/// The three-way decision on one managed text (a whole file or a block).
enum Outcome {
    Unchanged,
    Update,
    Keep(&'static str),
    Merge(String),
    Conflict(String, &'static str),
}

/// Decides between `base` (`None` when it cannot be found), `ours` and `theirs`.
fn three_way(base: Option<&str>, ours: &str, theirs: &str) -> Outcome {
    if ours == theirs {
        return Outcome::Unchanged;
    }
    let Some(base) = base else {
        return Outcome::Conflict(
            merge::whole_file_conflict(ours, theirs),
            "the version scaffold generated last is not in this repository's git objects, so both whole versions are kept; commit the files with .scaffold/lock.toml to avoid this",
        );
    };
    if ours == base {
        return Outcome::Update;
    }
    if theirs == base {
        return Outcome::Keep("your edits are kept; scaffold's version has not changed");
    }
    match merge::merge3(base, ours, theirs) {
        merge::Merged::Clean(merged) if merged == ours => {
            Outcome::Keep("your edits already include scaffold's changes")
        }
        merge::Merged::Clean(merged) => Outcome::Merge(merged),
        merge::Merged::Conflict(merged) => Outcome::Conflict(
            merged,
            "your edits and scaffold's changes overlap; resolve the conflict markers",
        ),
    }
}

/// Plans a path the new render contains.
fn plan_rendered(
    path: &str,
    theirs: &str,
    disk: Option<&str>,
    base: Option<Option<&str>>,
    known: Known,
) -> Decision {
    let theirs_block = block::extract(theirs);
    // Scaffold owns the whole file once it generated it whole; otherwise a
    // rendered file with a delimited block goes into the user's file as just
    // that block.
    let tracked_whole = base.is_some() && !known.block;
    let block_mode = match (theirs_block, disk) {
        (Some(_), _) if known.block => true,
        (Some(_), Some(disk)) if disk != theirs => {
            !tracked_whole && (!known.deleted || known.restore)
        }
        _ => false,
    };

    // What scaffold manages in this path, and how the file looks once that
    // part is `managed`.
    let theirs_view = if block_mode {
        theirs_block.unwrap_or(theirs)
    } else {
        theirs
    };
    let ours = if block_mode {
        disk.and_then(block::extract)
    } else {
        disk
    };
    let materialize = |managed: &str| match (block_mode, disk) {
        (true, Some(disk)) => block::splice(disk, managed),
        _ => managed.to_owned(),
    };
    let record = || {
        if block_mode {
            Record::Block(theirs_view.to_owned())
        } else {
            Record::Generated(theirs.to_owned())
        }
    };
    let write = |action: Action, reason: &str, managed: &str| -> Decision {
        let content = materialize(managed);
        if disk == Some(content.as_str()) {
            (Action::Unchanged, reason.to_owned(), None, record())
        } else if disk.is_none() {
            // With no file there, scaffold's file is created whole, even for
            // a path that was a block in the user's (since deleted) file.
            (
                Action::Create,
                reason.to_owned(),
                Some(theirs.to_owned()),
                Record::Generated(theirs.to_owned()),
            )
        } else {
            (action, reason.to_owned(), Some(content), record())
        }
    };
    let unchanged = || (Action::Unchanged, "up to date".to_owned(), None, record());
    let user_deleted = || {
        let what = if disk.is_none() {
            "you deleted it"
        } else if theirs_block.is_some() {
            "you removed scaffold's block from it"
        } else {
            "you deleted scaffold's version"
        };
        (
            Action::Keep,
            format!(
                "{what}, so it stays that way; `scaffold sync --restore {path}` brings it back"
            ),
            None,
            Record::Deleted,
        )
    };
    let user_owned = |why: &str| {
        (
            Action::Keep,
            format!(
                "{why}; scaffold never overwrites it (`scaffold sync --restore {path}` replaces it)"
            ),
            None,
            Record::UserOwned,
        )
    };

    if known.restore {
        return write(Action::Update, "restored as requested", theirs_view);
    }
    if block_mode && !known.block {
        // The user's own file: add or refresh scaffold's block in it.
        let reason = if ours.is_some() {
            "scaffold's block in your file updated"
        } else {
            "scaffold's block added to your file"
        };
        return write(Action::Update, reason, theirs_view);
    }
    if known.deleted {
        return match ours {
            Some(ours) if ours == theirs_view => unchanged(),
            _ => user_deleted(),
        };
    }
    if known.owned {
        return match ours {
            Some(ours) if ours == theirs_view => unchanged(),
            None if disk.is_none() => user_deleted(),
            _ => user_owned("your own file is there"),
        };
    }
    let Some(base) = base else {
        return match disk {
            None => write(Action::Create, "newly generated", theirs),
            Some(disk) if disk == theirs => unchanged(),
            Some(_) => user_owned("a file of yours is already there"),
        };
    };
    let Some(ours) = ours else {
        return user_deleted();
    };
    match three_way(base, ours, theirs_view) {
        Outcome::Unchanged => unchanged(),
        Outcome::Update => write(
            Action::Update,
            "not edited since scaffold generated it",
            theirs_view,
        ),
        Outcome::Keep(reason) => (Action::Keep, reason.to_owned(), None, record()),
        Outcome::Merge(merged) => write(
            Action::Merge,
            "your edits merged with scaffold's changes",
            &merged,
        ),
        Outcome::Conflict(merged, reason) => write(Action::Conflict, reason, &merged),
    }
}

/// Plans a path the new render no longer contains.
fn plan_gone(disk: Option<&str>, base: Option<Option<&str>>, block_managed: bool) -> Decision {
    let forget = |action, reason: &str| (action, reason.to_owned(), None, Record::Forget);
    let Some(base) = base else {
        // Only remembered as deleted or the user's: nothing left to remember.
        return forget(Action::Unchanged, "no longer generated");
    };
    let Some(disk) = disk else {
        return forget(Action::Unchanged, "no longer generated, and already gone");
    };
    match base {
        Some(base) if block_managed || block::is_block(base) => match block::extract(disk) {
            None => forget(Action::Unchanged, "no longer generated"),
            Some(ours) if ours == base => {
                let rest = block::remove(disk);
                if rest.trim().is_empty() {
                    forget(Action::Delete, "no longer generated, and not edited")
                } else {
                    (
                        Action::Update,
                        "scaffold's block is no longer generated, so it is removed".to_owned(),
                        Some(rest),
                        Record::Forget,
                    )
                }
            }
            Some(_) => forget(
                Action::Keep,
                "no longer generated; scaffold's block is kept because you edited it",
            ),
        },
        Some(base) if base == disk => forget(Action::Delete, "no longer generated, and not edited"),
        Some(_) => forget(
            Action::Keep,
            "no longer generated; kept because you edited it, and it is yours now",
        ),
        None => forget(
            Action::Keep,
            "no longer generated; kept because scaffold cannot tell whether you edited it, and it is yours now",
        ),
    }
}
