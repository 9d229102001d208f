//! Safe file access below the repository root, and the transaction that
//! writes a whole plan or nothing.
//!
//! Every path scaffold touches is relative, stays inside the root, and never
//! passes through a symbolic link (a link could point anywhere, so scaffold
//! refuses rather than follow it). Directories already checked are
//! remembered, so a run over hundreds of files does not `lstat` the same
//! folders again and again, and a folder known to be absent answers for
//! every file below it without a system call.
//!
//! Writes go through a [`Transaction`]. Every file is first written in full
//! to a temporary file in `.scaffold/tmp/` (by two threads at once, with its
//! final mode: a rewritten file keeps its mode, a new one gets 0644, or 0755
//! when it starts with `#!`), and only when every file is staged does any
//! target change. A file for a folder that exists waits in one of sixteen
//! flat folders there and is renamed into place; a file for a folder that
//! does not exist yet is staged at its own path in the transaction's tree,
//! and its topmost new folder is renamed into place whole, with every file
//! in it (a `new` creates nearly every folder: a handful of renames instead
//! of hundreds). A rename is atomic, so a run stopped at any point leaves
//! each file either old or new, and a run that fails while staging changes
//! nothing at all. The staging folders are removed when the run ends (see
//! [`clean_staging`]); what a killed run left there is removed by the next.
//!
//! Durability (see ARCHITECTURE's performance note for the measurements):
//! a staged file that replaces an existing file is flushed before the
//! rename, all of them in parallel, because the user's content is at stake
//! there; a newly created file is not flushed (flushing 309 new files one by
//! one took two seconds here), the folders whose entries changed are flushed
//! after the renames, and the lock and journal are flushed. After a power
//! failure a file created by the last run can therefore be empty; sync
//! treats an empty generated file as not written and writes it again.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs::{self, File};
use std::io::{ErrorKind, Write as _};
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result, bail};
use scaffold_render::sync::OnDisk;

/// Where staged files wait before they are renamed into place.
pub const STAGING_DIR: &str = ".scaffold/tmp";

/// The directory scaffold works in.
#[derive(Debug)]
pub struct Root {
    path: PathBuf,
    /// Folders below the root (relative) known to be real folders, not links.
    dirs: RefCell<HashSet<PathBuf>>,
    /// Folders below the root (relative) known not to exist.
    absent: RefCell<HashSet<PathBuf>>,
    /// How many files were staged so far, for unique temporary names.
    staged: std::cell::Cell<usize>,
    /// How many of them were staged in [`STAGING_DIR`]'s flat folders.
    flat: std::cell::Cell<usize>,
}

/// What [`Root::locate`] found at a path.
struct Located {
    /// The absolute path.
    path: PathBuf,
    /// The file's metadata, or `None` when it does not exist.
    meta: Option<fs::Metadata>,
}

impl Root {
    /// Opens (creating it if needed) the root directory.
    pub fn open(dir: &Path) -> Result<Root> {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let path = dir
            .canonicalize()
            .with_context(|| format!("resolving {}", dir.display()))?;
        Ok(Root {
            path,
            dirs: RefCell::default(),
            absent: RefCell::default(),
            staged: std::cell::Cell::new(0),
            flat: std::cell::Cell::new(0),
        })
    }

    /// The root's absolute path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The absolute path of `relative`, after checking it stays inside and crosses no symlink.
    pub fn resolve(&self, relative: &str) -> Result<PathBuf> {
        self.locate(relative).map(|located| located.path)
    }

    /// Checks `relative` and finds what is there.
    ///
    /// Every folder on the way must be a real folder (or absent); the path
    /// itself must not be a link. A file where a folder should be is an
    /// error naming both, because nothing can be written below it.
    fn locate(&self, relative: &str) -> Result<Located> {
        let rel = Path::new(relative);
        if relative.is_empty()
            || rel.is_absolute()
            || rel.components().any(|c| !matches!(c, Component::Normal(_)))
        {
            bail!("refusing path `{relative}`: it must be relative and stay inside the repository");
        }
        let parts: Vec<Component> = rel.components().collect();
        let mut sofar = PathBuf::new();
        for (i, part) in parts.iter().enumerate() {
            sofar.push(part);
            let last = i + 1 == parts.len();
            if !last {
                if self.dirs.borrow().contains(&sofar) {
                    continue;
                }
                if self.absent.borrow().contains(&sofar) {
                    return Ok(Located {
                        path: self.path.join(rel),
                        meta: None,
                    });
                }
            }
            let full = self.path.join(&sofar);
            match fs::symlink_metadata(&full) {
                Ok(meta) if meta.file_type().is_symlink() => bail!(
                    "refusing to touch `{relative}`: `{}` is a symbolic link, and scaffold never follows links",
                    full.display()
                ),
                Ok(meta) if last => {
                    return Ok(Located {
                        path: full,
                        meta: Some(meta),
                    });
                }
                Ok(meta) if meta.is_dir() => {
                    self.dirs.borrow_mut().insert(sofar.clone());
                }
                Ok(_) => bail!(
                    "cannot use `{relative}`: `{}` is a file, not a folder",
                    sofar.display()
                ),
                Err(err) if err.kind() == ErrorKind::NotFound => {
                    if !last {
                        self.absent.borrow_mut().insert(sofar.clone());
                    }
                    return Ok(Located {
                        path: self.path.join(rel),
                        meta: None,
                    });
                }
                Err(err) => {
                    return Err(err).with_context(|| format!("reading {}", full.display()));
                }
            }
        }
        unreachable!("a relative path has at least one component")
    }

    /// The bytes of `relative`, or `None` when it does not exist.
    pub fn read_bytes(&self, relative: &str) -> Result<Option<Vec<u8>>> {
        let located = self.locate(relative)?;
        let Some(meta) = located.meta else {
            return Ok(None);
        };
        if !meta.is_file() {
            bail!(
                "cannot read `{relative}`: it is not a regular file ({})",
                located.path.display()
            );
        }
        match fs::read(&located.path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(err) if err.kind() == ErrorKind::NotFound => Ok(None),
            Err(err) => Err(err).with_context(|| format!("reading {}", located.path.display())),
        }
    }

    /// The text of `relative`, or `None` when it does not exist; bytes that
    /// are not UTF-8 are an error naming the line.
    pub fn read(&self, relative: &str) -> Result<Option<String>> {
        let Some(bytes) = self.read_bytes(relative)? else {
            return Ok(None);
        };
        String::from_utf8(bytes).map(Some).map_err(|err| {
            let valid = err.utf8_error().valid_up_to();
            let line = err.as_bytes()[..valid].iter().filter(|&&b| b == b'\n').count() + 1;
            crate::exit::invalid(format!(
                "{relative} is not UTF-8 text: line {line} holds a byte that is not UTF-8\n  help: save the file as UTF-8"
            ))
        })
    }

    /// `relative` as the sync planner sees it: text, bytes that are not
    /// text, or absent (`None`).
    pub fn read_disk(&self, relative: &str) -> Result<Option<OnDisk>> {
        Ok(self
            .read_bytes(relative)?
            .map(|bytes| match String::from_utf8(bytes) {
                Ok(text) => OnDisk::Text(text),
                Err(_) => OnDisk::NotText,
            }))
    }

    /// Writes `content` to `relative` atomically and flushes it and its
    /// folder before returning (unless `durability` is [`Durability::None`]):
    /// for the lock and the journal, which must be on disk before what
    /// follows them.
    pub fn write_durable(
        &self,
        relative: &str,
        content: &str,
        durability: Durability,
    ) -> Result<()> {
        let durability = match durability {
            Durability::None => Durability::None,
            Durability::Flush | Durability::EachFile => Durability::EachFile,
        };
        let mut transaction = Transaction::new(self, durability)?;
        transaction.write(relative, content.as_bytes())?;
        transaction.commit()
    }

    /// Removes `relative` if it exists (and folders it leaves empty).
    pub fn remove(&self, relative: &str) -> Result<()> {
        let mut transaction = Transaction::new(self, Durability::None)?;
        transaction.remove(relative)?;
        transaction.commit()
    }

    /// The topmost folder of `relative` (a path just located) known not to exist, if any.
    fn absent_top(&self, relative: &str) -> Option<String> {
        let absent = self.absent.borrow();
        Path::new(relative)
            .ancestors()
            .skip(1)
            .filter(|dir| absent.contains(*dir))
            .last()
            .map(|dir| dir.to_string_lossy().into_owned())
    }

    /// Creates the folders above `full` (absolute, below the root), checking
    /// that none of them turned out to be a link.
    fn create_parents(
        &self,
        relative: &str,
        full: &Path,
        created: &mut BTreeSet<PathBuf>,
    ) -> Result<()> {
        let parent = full.parent().expect("a file below the root has a parent");
        let rel_parent = Path::new(relative).parent().unwrap_or(Path::new(""));
        if rel_parent.as_os_str().is_empty() || self.dirs.borrow().contains(rel_parent) {
            return Ok(());
        }
        // Remember which folders this creates, so they can be flushed.
        let mut missing = Vec::new();
        let mut dir = parent;
        while !dir.exists() && dir != self.path {
            missing.push(dir.to_path_buf());
            dir = dir.parent().expect("below the root");
        }
        fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        for dir in missing {
            if let Some(up) = dir.parent() {
                created.insert(up.to_path_buf());
            }
        }
        // Check again that no folder on the way is a link.
        self.absent.borrow_mut().clear();
        self.locate(relative)?;
        Ok(())
    }
}

/// How hard a transaction works to survive a power failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Flush replaced files (in parallel), folders and the journal; new
    /// files are not flushed. The default.
    Flush,
    /// Flush every file, one after another: what scaffold did before it
    /// measured (kept for the benchmark, `SCAFFOLD_FSYNC=each`).
    EachFile,
    /// Flush nothing (`SCAFFOLD_FSYNC=none`, for the benchmark).
    None,
}

impl Durability {
    /// The durability chosen by `SCAFFOLD_FSYNC` (`each`, `none`), else [`Durability::Flush`].
    pub fn from_env() -> Durability {
        match std::env::var("SCAFFOLD_FSYNC").as_deref() {
            Ok("each") => Durability::EachFile,
            Ok("none") => Durability::None,
            _ => Durability::Flush,
        }
    }
}

/// One file staged for a rename into place.
struct Staged {
    /// The temporary file in [`STAGING_DIR`].
    temp: PathBuf,
    /// The repository-relative target.
    target: String,
    /// The folder (repository-relative) that does not exist yet and holds the target, when the
    /// file is staged in the transaction's tree: the folder is then renamed into place whole,
    /// with every file below it (see [`Transaction::write`]).
    new_folder: Option<String>,
}

/// A file checked by [`Transaction::write`], to be written to its temporary file by
/// [`Transaction::stage`].
struct Pending<'c> {
    temp: PathBuf,
    content: &'c [u8],
    /// The mode at creation.
    mode: u32,
    /// The exact mode of the file it replaces, set after creation.
    keep_mode: Option<u32>,
}

/// Folders of [`STAGING_DIR`] files are staged in, and threads that write them (see
/// [`Transaction::stage`]).
const STAGING_FOLDERS: usize = 16;
const STAGING_THREADS: usize = 2;
/// Files staged in one flat folder before the next is taken: a run that stages a few there (a
/// `new` stages only the files at the root and the lock, the journal and the cache: the rest are
/// in new folders) makes and removes one folder, not one per file (a third of a millisecond
/// each to remove here).
const FILES_PER_FOLDER: usize = 32;

/// A set of writes and removals that happen together: all staged first,
/// then renamed into place. The contents are borrowed until they are staged.
pub struct Transaction<'r> {
    root: &'r Root,
    durability: Durability,
    staging: PathBuf,
    /// Where files of folders that do not exist yet are staged, at their own paths; made
    /// unique per transaction on first use.
    tree: Option<PathBuf>,
    /// Files checked, not yet written to their temporary files.
    pending: Vec<Pending<'r>>,
    staged: Vec<Staged>,
    removals: Vec<String>,
    /// Staged files still to be flushed (by path: holding thousands of
    /// handles open would run into the limit on open files).
    unflushed: Vec<PathBuf>,
    /// Set once every change is in place, so dropping does not clean up.
    done: bool,
}

impl<'r> Transaction<'r> {
    /// Starts a transaction (the staging folder is created on first use).
    pub fn new(root: &'r Root, durability: Durability) -> Result<Transaction<'r>> {
        let staging = root.resolve(STAGING_DIR)?;
        Ok(Transaction {
            root,
            durability,
            staging,
            tree: None,
            pending: Vec::new(),
            staged: Vec::new(),
            removals: Vec::new(),
            unflushed: Vec::new(),
            done: false,
        })
    }

    /// Stages `content` for `relative`.
    ///
    /// Fails (and the transaction with it) when the path is unsafe or when a
    /// file stands where one of its folders should be; nothing has changed on
    /// disk then. The content is written to its temporary file by
    /// [`Transaction::stage`], with every other, before anything is renamed.
    pub fn write(&mut self, relative: &str, content: &'r [u8]) -> Result<()> {
        if self.staged.is_empty() && self.pending.is_empty() {
            // Before anything is located: creating it may create `.scaffold`.
            fs::create_dir_all(&self.staging)
                .with_context(|| format!("creating {}", self.staging.display()))?;
            self.root.absent.borrow_mut().clear();
        }
        let located = self.root.locate(relative)?;
        if let Some(meta) = &located.meta
            && !meta.is_file()
        {
            bail!(
                "cannot write `{relative}`: a folder or special file is there ({})",
                located.path.display()
            );
        }
        let n = self.root.staged.get();
        self.root.staged.set(n + 1);
        // A file whose folder does not exist is staged at its own path below the transaction's
        // tree, and the topmost missing folder is later renamed into place with everything in
        // it: one rename instead of one per file (a `new` creates nearly every folder).
        let new_folder = match located.meta {
            Some(_) => None,
            None => self.root.absent_top(relative),
        };
        let temp = match &new_folder {
            Some(_) => self
                .tree
                .get_or_insert_with(|| self.staging.join(format!("tree{n}")))
                .join(relative),
            None => {
                let flat = self.root.flat.get();
                self.root.flat.set(flat + 1);
                self.staging
                    .join(format!("{}", flat / FILES_PER_FOLDER % STAGING_FOLDERS))
                    .join(format!("{n}"))
            }
        };
        #[cfg(unix)]
        let keep_mode = {
            use std::os::unix::fs::PermissionsExt as _;
            located.meta.as_ref().map(|meta| meta.permissions().mode())
        };
        #[cfg(not(unix))]
        let keep_mode = None;
        let replaces = located.meta.is_some();
        if self.durability == Durability::Flush && replaces {
            self.unflushed.push(temp.clone());
        }
        self.pending.push(Pending {
            temp: temp.clone(),
            content,
            mode: mode_for(content),
            keep_mode,
        });
        self.staged.push(Staged {
            temp,
            target: relative.to_owned(),
            new_folder,
        });
        Ok(())
    }

    /// Writes every pending file to its temporary file.
    ///
    /// Creating a file is mostly the file system's work on the folder it is
    /// created in: finding a free inode (three quarters of a `new` of 24
    /// services here when much was just deleted, in ext4's `find_inode_bit`),
    /// which it does under the folder's lock, and scanning the folder's
    /// entries for the name (again when the file is renamed out). So files
    /// for folders that exist are spread over [`STAGING_FOLDERS`] folders, and
    /// [`STAGING_THREADS`] threads write them, each folder by one thread (two
    /// threads creating files in one folder spend their time waiting on its
    /// lock), the folders shared so that each thread has as many files (a
    /// `new` stages 40% of its files in one folder, the merge bases').
    fn stage(&mut self) -> Result<()> {
        let pending = std::mem::take(&mut self.pending);
        if pending.is_empty() {
            return Ok(());
        }
        let durability = self.durability;
        let lanes = if pending.len() < 32 {
            1
        } else {
            STAGING_THREADS
        };
        // Each folder is written by one thread (two creating files in one folder wait on its
        // lock), the largest folders first, each to the thread with the fewest files so far.
        let mut folders: BTreeMap<PathBuf, Vec<Pending>> = BTreeMap::new();
        for file in pending {
            let folder = file.temp.parent().expect("a staged file is in a folder");
            folders.entry(folder.to_path_buf()).or_default().push(file);
        }
        let mut folders: Vec<Vec<Pending>> = folders.into_values().collect();
        folders.sort_by_key(|files| std::cmp::Reverse(files.len()));
        let mut by_lane: Vec<Vec<Pending>> = (0..lanes).map(|_| Vec::new()).collect();
        for files in folders {
            let lane = by_lane
                .iter_mut()
                .min_by_key(|lane| lane.len())
                .expect("at least one lane");
            lane.extend(files);
        }
        let stage_lane = |files: Vec<Pending>| -> Result<()> {
            let mut folders = BTreeSet::new();
            for file in files {
                checkpoint();
                let folder = file.temp.parent().expect("a staged file is in a lane");
                if folders.insert(folder.to_path_buf()) {
                    fs::create_dir_all(folder)
                        .with_context(|| format!("creating {}", folder.display()))?;
                }
                stage_one(&file, durability)?;
            }
            Ok(())
        };
        if lanes == 1 {
            return by_lane.into_iter().try_for_each(stage_lane);
        }
        std::thread::scope(|scope| {
            let handles: Vec<_> = by_lane
                .into_iter()
                .map(|files| scope.spawn(|| stage_lane(files)))
                .collect();
            handles
                .into_iter()
                .try_for_each(|h| h.join().expect("a staging thread does not panic"))
        })
    }

    /// Stages the removal of `relative` (and of folders it leaves empty).
    pub fn remove(&mut self, relative: &str) -> Result<()> {
        self.root.locate(relative)?;
        self.removals.push(relative.to_owned());
        Ok(())
    }

    /// Flushes every staged file that replaces an existing one, in parallel.
    ///
    /// Called after [`Transaction::stage`] and before the first rename, so a
    /// replaced file's new content is on disk before its name points at it.
    fn flush(&mut self) -> Result<()> {
        let files = std::mem::take(&mut self.unflushed);
        flush_all(files.iter().map(|path| move || flush(path)))
    }

    /// Renames every staged file into place, then removes what is to be
    /// removed, in the order they were staged.
    ///
    /// `before_first_rename` runs once everything is staged and flushed,
    /// before anything changes; sync writes its journal there.
    pub fn commit_with(mut self, before_first_rename: impl FnOnce() -> Result<()>) -> Result<()> {
        self.stage()?;
        self.flush()?;
        before_first_rename()?;
        let mut touched = BTreeSet::new();
        let mut created = BTreeSet::new();
        let staged = std::mem::take(&mut self.staged);
        // New folders are renamed whole, when their first file's turn comes; a folder that
        // cannot be (it appeared meanwhile, or is on another file system) is filled file by file.
        let mut folders: BTreeMap<&str, bool> = BTreeMap::new();
        for staged in &staged {
            if let Some(folder) = &staged.new_folder {
                let whole = match folders.get(folder.as_str()) {
                    Some(&whole) => whole,
                    None => {
                        let whole = self.rename_folder(folder)?;
                        folders.insert(folder, whole);
                        whole
                    }
                };
                if whole {
                    let target = self.root.path.join(&staged.target);
                    let top = self.root.path.join(folder);
                    // Every folder from the file's up to the one the new folder was renamed into
                    // has new entries.
                    for dir in target.ancestors().skip(1) {
                        touched.insert(dir.to_path_buf());
                        if dir == top {
                            if let Some(parent) = top.parent() {
                                touched.insert(parent.to_path_buf());
                            }
                            break;
                        }
                    }
                    continue;
                }
            }
            let target = self.root.resolve(&staged.target)?;
            self.root
                .create_parents(&staged.target, &target, &mut created)?;
            checkpoint();
            rename(&staged.temp, &target)?;
            // A new name, or a name pointing at a new file: either way the
            // folder's entries changed.
            if let Some(parent) = target.parent() {
                touched.insert(parent.to_path_buf());
            }
        }
        for relative in std::mem::take(&mut self.removals) {
            checkpoint();
            if let Some(parent) = self.remove_now(&relative)? {
                touched.insert(parent);
            }
        }
        touched.extend(created);
        // A folder emptied by a later removal is gone; its parent changed.
        let touched: BTreeSet<PathBuf> = touched
            .into_iter()
            .filter_map(|dir| dir.ancestors().find(|d| d.is_dir()).map(Path::to_path_buf))
            .collect();
        if self.durability != Durability::None {
            // New names and removed ones are durable once their folders are.
            flush_all(touched.iter().map(|dir| move || flush(dir)))?;
        }
        self.done = true;
        self.remove_tree();
        Ok(())
    }

    /// Renames the staged new folder `relative` into place whole; `false` when it must be
    /// filled file by file instead, because something is there now or the rename would cross
    /// file systems.
    fn rename_folder(&self, relative: &str) -> Result<bool> {
        let tree = self
            .tree
            .as_ref()
            .expect("a new folder is staged in the tree");
        let located = self.root.locate(relative)?;
        if located.meta.is_some() {
            return Ok(false);
        }
        checkpoint();
        match fs::rename(tree.join(relative), &located.path) {
            Ok(()) => {
                self.root.absent.borrow_mut().clear();
                Ok(true)
            }
            // The parent went away, or an empty folder stood in the way on a system that does
            // not replace it, or the rename would cross into another file system.
            Err(err)
                if matches!(
                    err.kind(),
                    ErrorKind::NotFound
                        | ErrorKind::AlreadyExists
                        | ErrorKind::DirectoryNotEmpty
                        | ErrorKind::CrossesDevices
                ) =>
            {
                self.root.absent.borrow_mut().clear();
                Ok(false)
            }
            Err(err) => Err(err).with_context(|| format!("creating {}", located.path.display())),
        }
    }

    /// Removes the transaction's tree: after a commit only empty folders are left there
    /// (of new folders filled file by file); after a failure, files never renamed into place.
    fn remove_tree(&self) {
        if let Some(tree) = &self.tree {
            let _ = fs::remove_dir_all(tree);
        }
    }

    /// [`Transaction::commit_with`] with nothing to do before the renames.
    pub fn commit(self) -> Result<()> {
        self.commit_with(|| Ok(()))
    }

    /// Removes `relative` and the folders it leaves empty; returns the
    /// folder whose entries changed.
    fn remove_now(&self, relative: &str) -> Result<Option<PathBuf>> {
        let path = self.root.resolve(relative)?;
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(err) if err.kind() == ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(err).with_context(|| format!("removing {}", path.display())),
        }
        let mut dir = path.parent();
        let mut changed = dir.map(Path::to_path_buf);
        while let Some(d) = dir {
            if d == self.root.path || fs::remove_dir(d).is_err() {
                break;
            }
            dir = d.parent();
            changed = dir.map(Path::to_path_buf);
        }
        Ok(changed)
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if !self.done {
            // Staging failed or the commit stopped early: what is staged was
            // never renamed into place, so removing it changes nothing.
            for staged in &self.staged {
                let _ = fs::remove_file(&staged.temp);
            }
            self.remove_tree();
        }
    }
}

/// Marks one step of writing (a file staged, renamed or removed, the
/// journal, the lock).
///
/// In debug builds, `SCAFFOLD_TEST_ABORT_AFTER=N` aborts the process at the
/// N-th step, as a kill would: no destructor runs, nothing is cleaned up.
/// The kill test stops a run at every step this way.
pub fn checkpoint() {
    #[cfg(debug_assertions)]
    {
        use std::sync::OnceLock;
        use std::sync::atomic::{AtomicUsize, Ordering};
        static LIMIT: OnceLock<Option<usize>> = OnceLock::new();
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let limit = LIMIT.get_or_init(|| {
            std::env::var("SCAFFOLD_TEST_ABORT_AFTER")
                .ok()
                .and_then(|n| n.parse().ok())
        });
        if let Some(limit) = limit
            && COUNT.fetch_add(1, Ordering::SeqCst) + 1 == *limit
        {
            std::process::abort();
        }
    }
}

/// Removes [`STAGING_DIR`]: what an interrupted run left there, or, when a run ends, the
/// folders its transactions staged in (kept for the run's next transaction: making and removing
/// them for each of the four a `new` or `sync` commits cost more than writing its lock).
pub fn clean_staging(root: &Root) -> Result<()> {
    let staging = root.resolve(STAGING_DIR)?;
    match fs::remove_dir_all(&staging) {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == ErrorKind::NotFound => Ok(()),
        Err(err) => Err(err).with_context(|| format!("removing {}", staging.display())),
    }
}

/// Writes `file` to its temporary file with its mode, flushing it when
/// `durability` asks for every file.
fn stage_one(file: &Pending, durability: Durability) -> Result<()> {
    let temp = &file.temp;
    let mut out = create_new(temp, file.mode)
        .with_context(|| format!("creating the temporary file {}", temp.display()))?;
    out.write_all(file.content)
        .with_context(|| format!("writing {}", temp.display()))?;
    #[cfg(unix)]
    if let Some(mode) = file.keep_mode {
        // The mode was given at creation, where the umask applies; a
        // replaced file keeps exactly the mode it had.
        use std::os::unix::fs::PermissionsExt as _;
        out.set_permissions(fs::Permissions::from_mode(mode))
            .with_context(|| format!("setting the mode of {}", temp.display()))?;
    }
    if durability == Durability::EachFile {
        out.sync_all()
            .with_context(|| format!("flushing {}", temp.display()))?;
    }
    Ok(())
}

/// The mode of a new file: 0755 for a script (`#!`), else 0644. A replaced
/// file's mode is copied after creation.
fn mode_for(content: &[u8]) -> u32 {
    if content.starts_with(b"#!") {
        0o755
    } else {
        0o644
    }
}

/// Creates `path`, which must not exist, with `mode` (less the umask).
fn create_new(path: &Path, mode: u32) -> std::io::Result<File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    options.open(path)
}

/// Renames `from` over `to`; across file systems (a mount inside the
/// repository), copies to a sibling temporary file first so the final step
/// is still a rename.
fn rename(from: &Path, to: &Path) -> Result<()> {
    match fs::rename(from, to) {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == ErrorKind::CrossesDevices => {
            let name = to.file_name().unwrap_or_default().to_string_lossy();
            let sibling = to.with_file_name(format!(".{name}.scaffold-tmp"));
            fs::copy(from, &sibling)
                .and_then(|_| File::open(&sibling)?.sync_all())
                .and_then(|()| fs::rename(&sibling, to))
                .with_context(|| format!("replacing {}", to.display()))?;
            let _ = fs::remove_file(from);
            Ok(())
        }
        Err(err) => Err(err).with_context(|| format!("replacing {}", to.display())),
    }
}

/// Runs every flush, several at a time: the file system commits concurrent
/// flushes together, which is what makes many of them cheap.
fn flush_all<F>(flushes: impl Iterator<Item = F>) -> Result<()>
where
    F: FnOnce() -> Result<()> + Send,
{
    let flushes: Vec<F> = flushes.collect();
    if flushes.is_empty() {
        return Ok(());
    }
    const THREADS: usize = 16;
    let chunk = flushes.len().div_ceil(THREADS);
    let mut chunks: Vec<Vec<F>> = Vec::new();
    let mut flushes = flushes.into_iter().peekable();
    while flushes.peek().is_some() {
        chunks.push(flushes.by_ref().take(chunk).collect());
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| scope.spawn(move || chunk.into_iter().try_for_each(|flush| flush())))
            .collect();
        handles
            .into_iter()
            .try_for_each(|h| h.join().expect("a flush thread does not panic"))
    })
}

/// Flushes the file or folder at `path` to disk.
fn flush(path: &Path) -> Result<()> {
    File::open(path)
        .and_then(|file| file.sync_all())
        .with_context(|| format!("flushing {} to disk", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The files (not folders) below the staging folder, which a run removes when it ends.
    fn staged_files(root: &Path) -> Vec<PathBuf> {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                if entry.file_type().unwrap().is_dir() {
                    walk(&entry.path(), out);
                } else {
                    out.push(entry.path());
                }
            }
        }
        let mut out = Vec::new();
        walk(&root.join(STAGING_DIR), &mut out);
        out
    }

    #[test]
    fn paths_must_stay_inside() {
        let dir = tempfile::tempdir().unwrap();
        let root = Root::open(dir.path()).unwrap();
        for bad in ["/etc/passwd", "../x", "a/../../x", "./a", ""] {
            assert!(root.resolve(bad).is_err(), "{bad}");
        }
        root.write_durable("a/b.txt", "hi\n", Durability::Flush)
            .unwrap();
        assert_eq!(root.read("a/b.txt").unwrap().as_deref(), Some("hi\n"));
        let mut transaction = Transaction::new(&root, Durability::Flush).unwrap();
        transaction.remove("a/b.txt").unwrap();
        transaction.commit().unwrap();
        assert!(!dir.path().join("a").exists());
        assert_eq!(staged_files(dir.path()), Vec::<PathBuf>::new());
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_never_followed() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("link")).unwrap();
        let root = Root::open(dir.path()).unwrap();
        let err = root
            .write_durable("link/x.txt", "x", Durability::Flush)
            .unwrap_err()
            .to_string();
        assert!(err.contains("symbolic link"), "{err}");
        assert!(!outside.path().join("x.txt").exists());
    }

    #[test]
    fn a_failed_transaction_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("compose.yaml"), "mine\n").unwrap();
        let root = Root::open(dir.path()).unwrap();
        let mut transaction = Transaction::new(&root, Durability::Flush).unwrap();
        transaction.write("a.txt", b"a\n").unwrap();
        let err = transaction
            .write("compose.yaml/Dockerfile", b"FROM x\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`compose.yaml` is a file, not a folder"),
            "{err}"
        );
        drop(transaction);
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(!dir.path().join("a.txt").exists(), "{left:?}");
        assert_eq!(staged_files(dir.path()), Vec::<PathBuf>::new(), "{left:?}");
    }

    /// Files below new folders arrive with their folder, in one rename: the staged tree holds
    /// them at their own paths, and nothing of it is left after the commit.
    #[test]
    fn a_new_folder_is_renamed_into_place_whole() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("deploy")).unwrap();
        let root = Root::open(dir.path()).unwrap();
        let mut transaction = Transaction::new(&root, Durability::Flush).unwrap();
        transaction.write("deploy/base/a.yaml", b"a\n").unwrap();
        transaction.write("deploy/base/x/b.yaml", b"b\n").unwrap();
        transaction.write("deploy/c.yaml", b"c\n").unwrap();
        transaction.write("docs/d.md", b"d\n").unwrap();
        let folders: Vec<_> = transaction
            .staged
            .iter()
            .map(|s| s.new_folder.as_deref())
            .collect();
        assert_eq!(
            folders,
            [Some("deploy/base"), Some("deploy/base"), None, Some("docs")]
        );
        transaction.commit().unwrap();
        for (path, content) in [
            ("deploy/base/a.yaml", "a\n"),
            ("deploy/base/x/b.yaml", "b\n"),
            ("deploy/c.yaml", "c\n"),
            ("docs/d.md", "d\n"),
        ] {
            assert_eq!(
                std::fs::read_to_string(dir.path().join(path)).unwrap(),
                content
            );
        }
        assert_eq!(staged_files(dir.path()), Vec::<PathBuf>::new());
        let left: Vec<_> = std::fs::read_dir(dir.path().join(STAGING_DIR))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(
            !left
                .iter()
                .any(|name| name.to_string_lossy().starts_with("tree")),
            "{left:?}"
        );
    }

    /// A new folder that appears between staging and the commit (made by another program) is
    /// filled file by file, keeping what is in it; a failed transaction leaves no tree behind.
    #[test]
    fn a_folder_that_appeared_meanwhile_is_filled_file_by_file() {
        let dir = tempfile::tempdir().unwrap();
        let root = Root::open(dir.path()).unwrap();
        let mut transaction = Transaction::new(&root, Durability::Flush).unwrap();
        transaction.write("docs/a.md", b"a\n").unwrap();
        transaction.write("docs/sub/b.md", b"b\n").unwrap();
        std::fs::create_dir_all(dir.path().join("docs")).unwrap();
        std::fs::write(dir.path().join("docs/theirs.md"), "theirs\n").unwrap();
        transaction.commit().unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("docs/theirs.md")).unwrap(),
            "theirs\n"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("docs/sub/b.md")).unwrap(),
            "b\n"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("docs/a.md")).unwrap(),
            "a\n"
        );
        assert_eq!(staged_files(dir.path()), Vec::<PathBuf>::new());

        let mut transaction = Transaction::new(&root, Durability::Flush).unwrap();
        transaction.write("new/c.md", b"c\n").unwrap();
        transaction.stage().unwrap();
        drop(transaction);
        assert!(!dir.path().join("new").exists());
        assert_eq!(staged_files(dir.path()), Vec::<PathBuf>::new());
    }

    #[test]
    fn non_utf8_text_is_an_error_naming_the_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("scaffold.toml"),
            b"[app]\nname = \"\xff\"\n",
        )
        .unwrap();
        let root = Root::open(dir.path()).unwrap();
        let err = root.read("scaffold.toml").unwrap_err().to_string();
        assert!(
            err.contains("scaffold.toml is not UTF-8 text: line 2"),
            "{err}"
        );
        assert_eq!(
            root.read_disk("scaffold.toml").unwrap(),
            Some(OnDisk::NotText)
        );
    }

    #[cfg(unix)]
    #[test]
    fn new_files_are_0644_scripts_0755_and_rewritten_files_keep_their_mode() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let mode = |p: &str| {
            std::fs::metadata(dir.path().join(p))
                .unwrap()
                .permissions()
                .mode()
                & 0o7777
        };
        std::fs::write(dir.path().join("kept.sh"), "old\n").unwrap();
        std::fs::set_permissions(
            dir.path().join("kept.sh"),
            fs::Permissions::from_mode(0o750),
        )
        .unwrap();
        let root = Root::open(dir.path()).unwrap();
        let mut transaction = Transaction::new(&root, Durability::Flush).unwrap();
        transaction.write("a/plain.txt", b"text\n").unwrap();
        transaction
            .write("a/run.sh", b"#!/bin/sh\necho hi\n")
            .unwrap();
        transaction.write("kept.sh", b"new\n").unwrap();
        transaction.commit().unwrap();
        // The umask may take bits away from a new file, never add them.
        let umask = 0o644 & !mode("a/plain.txt");
        assert_eq!(mode("a/plain.txt"), 0o644 & !umask);
        assert_eq!(mode("a/run.sh"), 0o755 & !umask);
        assert_eq!(mode("kept.sh"), 0o750);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("kept.sh")).unwrap(),
            "new\n"
        );
    }
}
