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
//! to a temporary file in `.scaffold/tmp/` (in sixteen folders there, by
//! two threads at once; with its final mode: a
//! rewritten file keeps its mode, a new one gets 0644, or 0755 when it
//! starts with `#!`), and only when every file is staged does any target
//! change: each is then renamed into place, which is atomic, so a run
//! stopped at any point leaves each file either old or new, and a run that
//! fails while staging changes nothing at all. What was left in
//! `.scaffold/tmp/` by a killed run is removed by the next one.
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
use std::collections::{BTreeSet, HashSet};
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
}

/// A file checked by [`Transaction::write`], to be written to its temporary file by
/// [`Transaction::stage`].
struct Pending {
    /// Which of the [`STAGING_FOLDERS`] it is staged in.
    folder: usize,
    temp: PathBuf,
    content: Vec<u8>,
    /// The mode at creation.
    mode: u32,
    /// The exact mode of the file it replaces, set after creation.
    keep_mode: Option<u32>,
}

/// Folders of [`STAGING_DIR`] files are staged in, and threads that write them (see
/// [`Transaction::stage`]).
const STAGING_FOLDERS: usize = 16;
const STAGING_THREADS: usize = 2;

/// A set of writes and removals that happen together: all staged first,
/// then renamed into place.
pub struct Transaction<'r> {
    root: &'r Root,
    durability: Durability,
    staging: PathBuf,
    /// Files checked, not yet written to their temporary files.
    pending: Vec<Pending>,
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
    pub fn write(&mut self, relative: &str, content: &[u8]) -> Result<()> {
        let located = self.root.locate(relative)?;
        if let Some(meta) = &located.meta
            && !meta.is_file()
        {
            bail!(
                "cannot write `{relative}`: a folder or special file is there ({})",
                located.path.display()
            );
        }
        if self.staged.is_empty() && self.pending.is_empty() {
            fs::create_dir_all(&self.staging)
                .with_context(|| format!("creating {}", self.staging.display()))?;
            self.root.absent.borrow_mut().clear();
        }
        let n = self.root.staged.get();
        self.root.staged.set(n + 1);
        let folder = n % STAGING_FOLDERS;
        let temp = self.staging.join(format!("{folder}")).join(format!("{n}"));
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
            folder,
            temp: temp.clone(),
            content: content.to_vec(),
            mode: mode_for(content),
            keep_mode,
        });
        self.staged.push(Staged {
            temp,
            target: relative.to_owned(),
        });
        Ok(())
    }

    /// Writes every pending file to its temporary file.
    ///
    /// Creating a file is mostly the file system's work on the folder it is
    /// created in: finding a free inode (three quarters of a `new` of 24
    /// services here when much was just deleted, in ext4's `find_inode_bit`),
    /// which it does under the folder's lock, and scanning the folder's
    /// entries for the name (again when the file is renamed out). So files are
    /// staged into [`STAGING_FOLDERS`] folders, by [`STAGING_THREADS`] threads.
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
        // A folder is written by one thread only: its lock is what the threads would contend on.
        let mut by_lane: Vec<Vec<Pending>> = (0..lanes).map(|_| Vec::new()).collect();
        for file in pending {
            by_lane[file.folder % lanes].push(file);
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
        for staged in &staged {
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
        remove_staging(&self.staging);
        Ok(())
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
            remove_staging(&self.staging);
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

/// Removes what an interrupted run left in [`STAGING_DIR`].
pub fn clean_staging(root: &Root) -> Result<()> {
    let staging = root.resolve(STAGING_DIR)?;
    match fs::remove_dir_all(&staging) {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == ErrorKind::NotFound => Ok(()),
        Err(err) => Err(err).with_context(|| format!("removing {}", staging.display())),
    }
}

/// Removes the staging folder and its lanes, when they are empty (another
/// transaction of the same run may still have files there).
fn remove_staging(staging: &Path) {
    for folder in 0..STAGING_FOLDERS {
        let _ = fs::remove_dir(staging.join(format!("{folder}")));
    }
    let _ = fs::remove_dir(staging);
}

/// Writes `file` to its temporary file with its mode, flushing it when
/// `durability` asks for every file.
fn stage_one(file: &Pending, durability: Durability) -> Result<()> {
    let temp = &file.temp;
    let mut out = create_new(temp, file.mode)
        .with_context(|| format!("creating the temporary file {}", temp.display()))?;
    out.write_all(&file.content)
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
        assert!(!dir.path().join(STAGING_DIR).exists());
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
        assert!(!dir.path().join(STAGING_DIR).exists(), "{left:?}");
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
