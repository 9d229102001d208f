//! Sync planning: what `scaffold sync` would do to each file, decided without
//! touching the filesystem.
//!
//! For every path it compares three versions: the **base** (what scaffold
//! last generated, found by the blob id in the lock), **ours** (what is on
//! disk) and **theirs** (the new render), and chooses one [`Action`]. The
//! plan is pure data, so the CLI can print it (`--dry-run`, `diff`), check it
//! (`--check`) or apply it, and tests can exercise every rule without a
//! repository. The rules, in short:
//!
//! - unchanged on disk: replaced by the new render;
//! - edited, render unchanged: kept;
//! - both changed: three-way merge, written clean or with conflict markers;
//! - still holding conflict markers from an earlier sync: left alone and
//!   reported as unmerged until the user resolves them (never merged into,
//!   which would nest markers);
//! - not UTF-8 text: never merged into, overwritten or deleted, and reported;
//! - deleted by the user: stays deleted, remembered in the lock;
//! - no longer generated: deleted if unchanged, kept (and reported) if edited;
//! - newly generated where the user has a file: kept and reported;
//! - base unknown: a whole-file conflict, unless disk already equals the render.
//!
//! Files are compared and merged with `\n` line endings. A file whose every
//! line ends in `\r\n` (a Windows checkout with `core.autocrlf`) is read as
//! if it had `\n`, and whatever sync writes into it gets `\r\n` back.
//!
//! A rendered file that contains a delimited block ([`block`]), such as the
//! root `README.md`, is generated whole where there is no file, but where the
//! user already has one only the block is inserted (or updated) in it. The
//! lock then marks the path as a block, and later syncs plan just the block,
//! leaving the rest of the user's file alone.
//!
//! Planning costs one pass over the paths: map look-ups, a comparison per
//! file and a merge per file both sides changed. Diffs for display are
//! computed only when asked for ([`Step::diff`]).

use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use crate::{Files, Lock};

pub mod block;
pub mod journal;
pub mod merge;

#[cfg(test)]
mod tests;

/// A file on disk, as the planner sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OnDisk {
    /// UTF-8 text, with its line endings as they are.
    Text(String),
    /// Bytes that are not UTF-8. Scaffold never merges into, overwrites or
    /// deletes such a file (unless `--restore` asks for it).
    NotText,
}

/// Every path's file on disk; a path that is not in the map does not exist.
pub type Disk = BTreeMap<String, OnDisk>;

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
    /// Leave the file as it is because scaffold cannot merge into it: it
    /// still holds conflict markers, or it is not UTF-8 text. Reported as a
    /// conflict until the user resolves it.
    Unmerged,
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
            Action::Unmerged => "unmerged",
            Action::Unchanged => "ok      ",
        }
    }

    /// Whether the action changes the file on disk.
    pub fn changes_disk(self) -> bool {
        !matches!(self, Action::Keep | Action::Unmerged | Action::Unchanged)
    }

    /// Whether the file needs the user before it is up to date: conflict
    /// markers written now, or left from before, or a file scaffold cannot
    /// merge into.
    pub fn needs_user(self) -> bool {
        matches!(self, Action::Conflict | Action::Unmerged)
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
    /// render, which becomes the next sync's base). Shared with the step's
    /// content when that is the same text.
    Generated(Arc<str>),
    /// Scaffold manages only the delimited block in the user's file: the
    /// lock records the blob id of this block and marks the path as a block.
    Block(Arc<str>),
    /// The user deleted the generated file; sync does not recreate it.
    Deleted,
    /// The user's own file stands where scaffold would generate one.
    UserOwned,
    /// The lock keeps exactly what it recorded before (the base of a file
    /// that is waiting for the user).
    Keep,
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
    /// The file's new content, for actions that write it, with the line
    /// endings of the file it replaces.
    pub content: Option<Arc<str>>,
    /// What the lock records afterwards.
    pub record: Record,
    /// The file on disk with `\n` line endings, for steps that change it
    /// (what [`Step::diff`] compares with).
    pub before: Option<String>,
}

impl Step {
    /// A unified diff from the file on disk to its new content (empty when
    /// the step does not change the file). Line endings are compared as
    /// `\n`, so a `\r\n` file shows only the lines that change.
    pub fn diff(&self) -> String {
        match (&self.content, self.action) {
            (Some(new), _) => unified_diff(&self.path, self.before.as_deref(), Some(&to_lf(new).0)),
            (None, Action::Delete) => unified_diff(&self.path, self.before.as_deref(), None),
            (None, _) => String::new(),
        }
    }
}

/// Every step, in path order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// One step per path that is rendered or known to the lock.
    pub steps: Vec<Step>,
}

impl Plan {
    /// Every content the next lock records by blob id, the ones [`Plan::next_lock`] asks the
    /// id of (so they can be hashed beforehand, all at once).
    pub fn recorded(&self) -> impl Iterator<Item = &str> {
        self.steps.iter().filter_map(|step| match &step.record {
            Record::Generated(content) | Record::Block(content) => Some(&**content),
            _ => None,
        })
    }

    /// Steps that change a file on disk.
    pub fn changes(&self) -> impl Iterator<Item = &Step> {
        self.steps.iter().filter(|s| s.action.changes_disk())
    }

    /// Steps that write conflict markers.
    pub fn conflicts(&self) -> impl Iterator<Item = &Step> {
        self.steps.iter().filter(|s| s.action == Action::Conflict)
    }

    /// Steps that need the user: conflicts written now and files still
    /// unmerged from before.
    pub fn unresolved(&self) -> impl Iterator<Item = &Step> {
        self.steps.iter().filter(|s| s.action.needs_user())
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
    pub fn next_lock<'p, E>(
        &'p self,
        previous: &Lock,
        mut blob_id: impl FnMut(&'p str) -> Result<String, E>,
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
                Record::Keep => next.copy_entry(previous, &step.path),
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
/// - `disk`: for every path in `render` or the lock, its file on disk (a
///   path missing from the map does not exist).
/// - `bases`: for every path in `lock.files`, the content of its recorded
///   blob, or `None` when it cannot be found.
/// - `restore`: paths to generate again even though the user deleted them
///   or owns a file there (`--restore`, and `new --force`).
pub fn plan(
    render: &Files,
    lock: &Lock,
    disk: &Disk,
    bases: &BTreeMap<String, Option<String>>,
    restore: &BTreeSet<String>,
) -> Plan {
    let mut paths: BTreeSet<&String> = render.keys().collect();
    paths.extend(lock.files.keys());
    paths.extend(&lock.deleted);
    paths.extend(&lock.user_owned);
    let blocks: BTreeSet<&String> = lock.blocks.iter().collect();
    let deleted: BTreeSet<&String> = lock.deleted.iter().collect();
    let owned: BTreeSet<&String> = lock.user_owned.iter().collect();

    let steps = paths
        .into_iter()
        .map(|path| {
            let (text, crlf) = match disk.get(path) {
                Some(OnDisk::Text(text)) => {
                    let (lf, crlf) = to_lf(text);
                    (Some(lf), crlf)
                }
                _ => (None, false),
            };
            let not_text = matches!(disk.get(path), Some(OnDisk::NotText));
            let on_disk = text.as_deref();
            let base = lock
                .files
                .contains_key(path)
                .then(|| bases.get(path).and_then(Option::as_deref));
            let is_block = blocks.contains(path);
            let (action, reason, content, record) = match render.get(path) {
                Some(theirs) => {
                    let known = Known {
                        deleted: deleted.contains(path),
                        owned: owned.contains(path),
                        restore: restore.contains(path),
                        block: is_block,
                    };
                    if not_text && !known.restore {
                        plan_not_text_rendered(path, theirs, base, &known)
                    } else {
                        plan_rendered(path, theirs, on_disk, base, known)
                    }
                }
                None if not_text => plan_not_text_gone(base),
                None => plan_gone(on_disk, base, is_block),
            };
            // Restoring over a file that is not text replaces it.
            let action = match action {
                Action::Create if not_text => Action::Update,
                action => action,
            };
            let before = (action.changes_disk() && !not_text)
                .then(|| text.as_deref().map(str::to_owned))
                .flatten();
            // A file that had `\r\n` endings gets them back.
            let content = match content {
                Some(content) if crlf && on_disk.is_some() => Some(to_crlf(&content).into()),
                content => content,
            };
            Step {
                path: path.clone(),
                action,
                reason,
                content,
                record,
                before,
            }
        })
        .collect();
    Plan { steps }
}

/// What a cache knows about a path the lock records as deleted or the
/// user's: the blob id of the render there, or `None` when the render has a
/// delimited block there (which the full planner may insert).
pub type KnownRender = BTreeMap<String, Option<String>>;

/// Plans a sync without the render, when the render is known to be exactly
/// the one the lock records (the same answers, facts and scaffold as the
/// sync that wrote the lock, and every path of that render in the lock).
///
/// `others` gives the render's blob id at each path the lock records as
/// deleted or the user's, and `blob_id` hashes content. The plan has the
/// actions and reasons [`plan`] would give, with [`Record::Keep`] for every
/// path, since the lock does not change. `None` means the full planner is
/// needed: a file would be written, a record would change, or a file holds
/// conflict markers or is not text.
pub fn plan_known_render(
    lock: &Lock,
    disk: &Disk,
    others: &KnownRender,
    blob_id: impl Fn(&str) -> String,
) -> Option<Plan> {
    let blocks: BTreeSet<&String> = lock.blocks.iter().collect();
    let deleted: BTreeSet<&String> = lock.deleted.iter().collect();
    let mut steps = Vec::new();
    for path in lock.paths() {
        let text = match disk.get(path) {
            Some(OnDisk::Text(text)) => Some(to_lf(text).0),
            Some(OnDisk::NotText) => return None,
            None => None,
        };
        let (action, reason) = if let Some(id) = lock.files.get(path) {
            let ours = match (&text, blocks.contains(path)) {
                (Some(text), true) => block::extract(text)?,
                (Some(text), false) => text.as_ref(),
                (None, _) => return None,
            };
            if ours.is_empty() || merge::has_conflict_markers(ours) {
                return None;
            }
            if blob_id(ours) == *id {
                (Action::Unchanged, UP_TO_DATE.to_owned())
            } else {
                (Action::Keep, EDITS_KEPT.to_owned())
            }
        } else {
            let render_id = others.get(path)?.as_ref()?;
            match &text {
                Some(text) if blob_id(text) == *render_id => return None,
                Some(_) if deleted.contains(path) => (
                    Action::Keep,
                    deleted_reason(path, "you deleted scaffold's version"),
                ),
                Some(_) => (Action::Keep, owned_reason(path, "your own file is there")),
                None if deleted.contains(path) => {
                    (Action::Keep, deleted_reason(path, "you deleted it"))
                }
                None => return None,
            }
        };
        steps.push(Step {
            path: path.clone(),
            action,
            reason,
            content: None,
            record: Record::Keep,
            before: None,
        });
    }
    Some(Plan { steps })
}

/// The reason of an unchanged file.
const UP_TO_DATE: &str = "up to date";
/// The reason of an edited file whose render did not change.
const EDITS_KEPT: &str = "your edits are kept; scaffold's version has not changed";

/// Why a path the user deleted stays deleted.
fn deleted_reason(path: &str, what: &str) -> String {
    format!("{what}, so it stays that way; `scaffold sync --restore {path}` brings it back")
}

/// Why the user's own file is kept.
fn owned_reason(path: &str, why: &str) -> String {
    format!("{why}; scaffold never overwrites it (`scaffold sync --restore {path}` replaces it)")
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

/// Paths of `files` that would have to be both a file and a folder, such as
/// `compose.yaml` and `compose.yaml/Dockerfile`: the first is the file, the
/// second the path below it. Such a render cannot be written.
pub fn path_clashes(files: &Files) -> Vec<(&str, &str)> {
    let mut clashes = Vec::new();
    for path in files.keys() {
        let folder = format!("{path}/");
        if let Some((below, _)) = files.range(folder.clone()..).next()
            && below.starts_with(&folder)
        {
            clashes.push((path.as_str(), below.as_str()));
        }
    }
    clashes
}

/// `text` with `\n` line endings, and whether it had `\r\n` ones.
///
/// Only a file whose every line break is `\r\n` counts as a `\r\n` file; in
/// a file that mixes both, a `\r` is content, as git sees it.
pub fn to_lf(text: &str) -> (Cow<'_, str>, bool) {
    if !text.contains('\r') {
        return (Cow::Borrowed(text), false);
    }
    let breaks = text.matches('\n').count();
    if breaks == 0 || text.matches("\r\n").count() != breaks {
        return (Cow::Borrowed(text), false);
    }
    (Cow::Owned(text.replace("\r\n", "\n")), true)
}

/// `text` (with `\n` line endings) with `\r\n` ones.
fn to_crlf(text: &str) -> String {
    text.replace('\n', "\r\n")
}

/// What the lock knew about a rendered path besides its base.
struct Known {
    deleted: bool,
    owned: bool,
    restore: bool,
    /// Scaffold manages only the delimited block of this path.
    block: bool,
}

type Decision = (Action, String, Option<Arc<str>>, Record);

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
            "the version scaffold generated last is neither in .scaffold/bases/ nor in git, so both whole versions are kept; keep .scaffold/ committed to avoid this",
        );
    };
    if ours == base {
        return Outcome::Update;
    }
    if theirs == base {
        return Outcome::Keep(EDITS_KEPT);
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
    // The render is copied once, however many of the step's fields hold it.
    let whole = OnceCell::new();
    let whole = || Arc::clone(whole.get_or_init(|| Arc::<str>::from(theirs)));
    let materialize = |managed: &str| -> Arc<str> {
        match (block_mode, disk) {
            (true, Some(disk)) => block::splice(disk, managed).into(),
            // The render itself (not a merge of it): share its one copy.
            _ if std::ptr::eq(managed, theirs) => whole(),
            _ => managed.into(),
        }
    };
    let record = || {
        if block_mode {
            Record::Block(theirs_view.into())
        } else {
            Record::Generated(whole())
        }
    };
    let write = |action: Action, reason: &str, managed: &str| -> Decision {
        if disk.is_none() {
            // With no file there, scaffold's file is created whole, even for
            // a path that was a block in the user's (since deleted) file.
            return (
                Action::Create,
                reason.to_owned(),
                Some(whole()),
                Record::Generated(whole()),
            );
        }
        let content = materialize(managed);
        if disk == Some(&*content) {
            (Action::Unchanged, reason.to_owned(), None, record())
        } else {
            (action, reason.to_owned(), Some(content), record())
        }
    };
    let unchanged = || (Action::Unchanged, UP_TO_DATE.to_owned(), None, record());
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
            deleted_reason(path, what),
            None,
            Record::Deleted,
        )
    };
    let user_owned = |why: &str| {
        (
            Action::Keep,
            owned_reason(path, why),
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
    if !block_mode && ours.is_empty() && !theirs.is_empty() {
        // A generated file is never empty, but one that was being created
        // when the machine lost power can be (the CLI does not flush new
        // files; see its durability note). It was never written, so it is
        // written now; to get rid of a generated file, delete it.
        return write(
            Action::Update,
            "it is empty, as a file left half-written by a power failure is; written again",
            theirs,
        );
    }
    if ours != theirs_view && merge::has_conflict_markers(ours) {
        return unmerged_markers();
    }
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

/// A tracked file that still holds conflict markers: merging into it would
/// nest markers, so it waits for the user, and the lock keeps its base.
fn unmerged_markers() -> Decision {
    (
        Action::Unmerged,
        "it still has conflict markers from an earlier sync; resolve them (keep what you want, remove the `<<<<<<<`, `|||||||`, `=======` and `>>>>>>>` lines), then sync again".to_owned(),
        None,
        Record::Keep,
    )
}

/// Plans a rendered path whose file is not UTF-8 text: scaffold cannot
/// merge into it, so it is never written (unless restored), and the lock
/// keeps its base for when the file is text again.
fn plan_not_text_rendered(
    path: &str,
    theirs: &str,
    base: Option<Option<&str>>,
    known: &Known,
) -> Decision {
    let keep = |action, reason: String, record| (action, reason, None, record);
    if known.deleted {
        return keep(
            Action::Keep,
            deleted_reason(path, "you deleted scaffold's version"),
            Record::Deleted,
        );
    }
    let Some(base) = base else {
        return keep(
            Action::Keep,
            owned_reason(path, "a file of yours is already there"),
            Record::UserOwned,
        );
    };
    let theirs_view = if known.block {
        block::extract(theirs).unwrap_or(theirs)
    } else {
        theirs
    };
    if base == Some(theirs_view) {
        return keep(Action::Keep, EDITS_KEPT.to_owned(), Record::Keep);
    }
    keep(
        Action::Unmerged,
        format!(
            "it is not UTF-8 text, so scaffold cannot merge its changes into it; save it as UTF-8 and sync again, or `scaffold sync --restore {path}` replaces it"
        ),
        Record::Keep,
    )
}

/// Plans a path no longer rendered whose file is not UTF-8 text: it cannot
/// be what scaffold generated, so it is the user's now and never deleted.
fn plan_not_text_gone(base: Option<Option<&str>>) -> Decision {
    match base {
        Some(_) => (
            Action::Keep,
            "no longer generated; kept because it is not the text scaffold generated, and it is yours now".to_owned(),
            None,
            Record::Forget,
        ),
        None => (
            Action::Unchanged,
            "no longer generated".to_owned(),
            None,
            Record::Forget,
        ),
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
    let managed = if block_managed {
        block::extract(disk)
    } else {
        Some(disk)
    };
    if managed.is_some_and(merge::has_conflict_markers) {
        return unmerged_markers();
    }
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
                        Some(rest.into()),
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
