//! `scaffold sync` and `scaffold diff`: re-render from `scaffold.toml` and
//! bring the repository up to date without losing an edit.
//!
//! The decisions are made by the pure planner in `scaffold_render::sync`;
//! this module gathers its inputs (the render, the lock, every file on disk,
//! the merge bases read from git by blob id), prints the plan and applies it.
//! Applying follows one order so an interruption is harmless: the files are
//! written atomically one by one, and the lock, which records what was
//! written, goes last. A second sync after an interrupted one sees the files
//! already written as up to date and finishes the rest.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::ErrorKind;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use git2::{ObjectType, Oid, Repository, Status, StatusOptions};
use scaffold_core::Project;
use scaffold_render::lock::LOCK_PATH;
use scaffold_render::sync::{self, Action, Plan};
use scaffold_render::{Files, Lock};

use crate::cli::{DiffArgs, Format, SyncArgs};
use crate::exit::{self, Code, invalid};
use crate::new::ANSWERS_PATH;
use crate::repo;
use crate::write::Root;
use crate::{plan_json, say, ui};

/// The mutex that keeps two scaffold runs from writing the same repository at once.
pub const MUTEX_PATH: &str = ".scaffold/sync.lock";

/// Runs `scaffold sync`.
pub fn run(args: &SyncArgs) -> Result<Code> {
    let root = Root::open(&args.dir)?;
    let _mutex = if args.check || args.dry_run {
        None
    } else {
        Some(Mutex::acquire(&root)?)
    };
    let state = State::load(&root)?;
    let restore = restore_paths(&args.restore, &state.render)?;
    let plan = state.plan(&restore);
    let uncommitted = uncommitted(state.git.as_ref(), &root);

    if args.format == Format::Json && (args.check || args.dry_run) {
        let lock_stale = state.next_lock_text(&plan, None)? != state.lock_text;
        let command = if args.check {
            "sync --check"
        } else {
            "sync --dry-run"
        };
        print!("{}", plan_json::render(command, &plan, lock_stale));
        let drift = args.check && (plan.changes().next().is_some() || lock_stale);
        return Ok(Code(if drift { exit::DRIFT } else { exit::SUCCESS }));
    }
    if args.check {
        return check(&state, &plan);
    }
    if args.dry_run {
        print_plan(&plan, &uncommitted, true);
        let lock_changes = state.next_lock_text(&plan, None)? != state.lock_text;
        summarize(&plan, lock_changes, "would ");
        println!("dry run: nothing was written");
        return Ok(Code(exit::SUCCESS));
    }

    print_plan(&plan, &uncommitted, false);
    apply_files(&root, &plan)?;
    // Starter apps for service folders that hold no code: written once, the user's from then on.
    let mut lock = state.lock.clone();
    let starters = crate::starters::write(&root, &state.starters, &mut lock)?;
    for path in &starters {
        println!("  create   {path} (starter app: yours from now on; sync never changes it)");
    }
    let lock_written = write_lock(
        &root,
        state.git.as_ref(),
        &plan,
        &lock,
        !starters.is_empty(),
    )?;
    summarize(&plan, lock_written, "");
    if state.git.is_none() {
        println!(
            "note: {} is not in a git repository, so scaffold cannot keep the versions it merges from; run `git init`",
            root.path().display()
        );
    }
    let conflicts: Vec<&str> = plan.conflicts().map(|s| s.path.as_str()).collect();
    if conflicts.is_empty() {
        return Ok(Code(exit::SUCCESS));
    }
    println!(
        "\n{} with conflicts to resolve (look for `<<<<<<<` markers, keep what you want, remove the markers):",
        plural(conflicts.len(), "file")
    );
    for path in conflicts {
        println!("  {path}");
    }
    Ok(Code(exit::CONFLICTS))
}

/// Runs `scaffold diff`: the diff `scaffold sync` would apply.
pub fn diff(args: &DiffArgs) -> Result<Code> {
    let root = Root::open(&args.dir)?;
    let state = State::load(&root)?;
    let plan = state.plan(&BTreeSet::new());
    if args.format == Format::Json {
        let lock_stale = state.next_lock_text(&plan, None)? != state.lock_text;
        print!("{}", plan_json::render("diff", &plan, lock_stale));
        return Ok(Code(exit::SUCCESS));
    }
    for step in plan.changes() {
        print!("{}", ui::diff(&step.diff));
    }
    Ok(Code(exit::SUCCESS))
}

/// `--check`: prints the diff and exits with [`exit::DRIFT`] when anything is out of date.
fn check(state: &State, plan: &Plan) -> Result<Code> {
    let changes: Vec<_> = plan.changes().collect();
    for step in &changes {
        print!("{}", ui::diff(&step.diff));
    }
    let next_lock = state.next_lock_text(plan, None)?;
    let lock_stale = next_lock != state.lock_text;
    if changes.is_empty() && !lock_stale {
        println!("scaffold: generated files are up to date with {ANSWERS_PATH}");
        return Ok(Code(exit::SUCCESS));
    }
    if lock_stale {
        print!(
            "{}",
            sync::unified_diff(
                LOCK_PATH,
                Some(state.lock_text.as_str()).filter(|t| !t.is_empty()),
                Some(&next_lock),
            )
        );
    }
    for step in &changes {
        eprintln!("  {}  {} ({})", step.action.label(), step.path, step.reason);
    }
    eprintln!(
        "scaffold: {} out of date with {ANSWERS_PATH}{}; run `scaffold sync` and commit the result",
        plural(changes.len(), "generated file"),
        if lock_stale {
            format!(" and {LOCK_PATH} is stale")
        } else {
            String::new()
        }
    );
    Ok(Code(exit::DRIFT))
}

/// Everything a sync plan is made from.
pub struct State {
    /// The repository, when there is one.
    pub git: Option<Repository>,
    /// The new render.
    pub render: Files,
    /// The lock as it is now (an empty one when there is none).
    pub lock: Lock,
    /// The lock file's text as it is now (empty when there is none).
    pub lock_text: String,
    /// Every rendered or locked path's content on disk.
    pub disk: BTreeMap<String, Option<String>>,
    /// Every locked path's base, when git has it.
    pub bases: BTreeMap<String, Option<String>>,
    /// Starter app files for service folders that hold no code (written once, never planned).
    pub starters: Files,
}

impl State {
    /// Reads `scaffold.toml`, renders it, and reads the lock, the files and the bases.
    fn load(root: &Root) -> Result<State> {
        let git = repo::open(root.path());
        let text = root.read(ANSWERS_PATH)?.ok_or_else(|| {
            invalid(format!(
                "{} has no {ANSWERS_PATH}; run `scaffold new` first",
                root.path().display()
            ))
        })?;
        let facts = repo::facts(git.as_ref(), root.path());
        let project = Project::from_toml(&text, &facts).map_err(|err| {
            invalid(format!(
                "{ANSWERS_PATH} has problems; nothing was written\n{err}"
            ))
        })?;
        let render = render(&project)?;
        let starters = scaffold_render::starters::render(&project, scaffold_render::engine())
            .context("rendering the starter apps")?;
        let lock_text = root.read(LOCK_PATH)?.unwrap_or_default();
        let lock = if lock_text.is_empty() {
            Lock::new()
        } else {
            Lock::parse(&lock_text).map_err(|err| {
                invalid(format!(
                    "{err}\n  help: restore it from git (`git checkout -- {LOCK_PATH}`)"
                ))
            })?
        };
        let disk = read_disk(root, &render, &lock)?;
        let bases = lock
            .files
            .iter()
            .map(|(path, id)| {
                let base = read_blob(git.as_ref(), id)
                    .or_else(|| same_blob(render.get(path), id, &lock, path));
                (path.clone(), base)
            })
            .collect();
        Ok(State {
            git,
            render,
            lock,
            lock_text,
            disk,
            bases,
            starters,
        })
    }

    /// The plan for these inputs.
    fn plan(&self, restore: &BTreeSet<String>) -> Plan {
        sync::plan(&self.render, &self.lock, &self.disk, &self.bases, restore)
    }

    /// The lock text after `plan`, hashing blobs without storing them when `git` is `None`.
    fn next_lock_text(&self, plan: &Plan, git: Option<&Repository>) -> Result<String> {
        let next = plan.next_lock(&self.lock, |content| {
            repo::store_blob(git, content.as_bytes()).map(|id| id.to_string())
        })?;
        if next == self.lock && !self.lock_text.is_empty() {
            return Ok(self.lock_text.clone());
        }
        Ok(next.to_text())
    }
}

/// Renders every file for `project`.
pub fn render(project: &Project) -> Result<Files> {
    let files = scaffold_render::render(project).context("rendering the files")?;
    // Debug builds add the CLI tests' fixture family when asked to.
    #[cfg(debug_assertions)]
    let files = {
        let mut files = files;
        crate::fixture::add_if_enabled(project, &mut files);
        files
    };
    Ok(files)
}

/// The content on disk of every path the render or the lock names.
pub fn read_disk(
    root: &Root,
    render: &Files,
    lock: &Lock,
) -> Result<BTreeMap<String, Option<String>>> {
    let mut paths: BTreeSet<&String> = render.keys().collect();
    paths.extend(lock.files.keys());
    paths.extend(&lock.deleted);
    paths.extend(&lock.user_owned);
    paths
        .into_iter()
        .map(|path| Ok((path.clone(), root.read(path)?)))
        .collect()
}

/// The content of blob `id`, or `None` when the repository does not have it.
fn read_blob(git: Option<&Repository>, id: &str) -> Option<String> {
    let oid = Oid::from_str(id).ok()?;
    let blob = git?.find_blob(oid).ok()?;
    Some(String::from_utf8_lossy(blob.content()).into_owned())
}

/// The base when git does not have it but the new render is that very blob.
///
/// Blob ids name content, so a render whose id is the recorded one *is* the
/// base: nothing is guessed. This is what lets `sync --check` in CI (a fresh
/// clone, where a generated file edited before its first commit has no base
/// object) tell an edit scaffold keeps from a render that changed.
fn same_blob(render: Option<&String>, id: &str, lock: &Lock, path: &str) -> Option<String> {
    let render = render?;
    let managed = if lock.blocks.iter().any(|p| p == path) {
        sync::block::extract(render)?
    } else {
        render.as_str()
    };
    let hash = Oid::hash_object(ObjectType::Blob, managed.as_bytes()).ok()?;
    (hash.to_string() == id).then(|| managed.to_owned())
}

/// Checks every `--restore` path names a generated file.
fn restore_paths(paths: &[String], render: &Files) -> Result<BTreeSet<String>> {
    paths
        .iter()
        .map(|path| {
            let path = path.trim_start_matches("./").to_owned();
            if render.contains_key(&path) {
                Ok(path)
            } else {
                Err(invalid(format!(
                    "`--restore {path}`: scaffold does not generate `{path}` from this {ANSWERS_PATH}"
                )))
            }
        })
        .collect()
}

/// Writes or removes every file the plan changes.
pub fn apply_files(root: &Root, plan: &Plan) -> Result<()> {
    for step in plan.changes() {
        match &step.content {
            Some(content) => root.write(&step.path, content)?,
            None => root.remove(&step.path)?,
        }
    }
    Ok(())
}

/// Stores the recorded contents as git blobs and writes the lock if it changed.
///
/// Returns whether the lock was written.
pub fn write_lock(
    root: &Root,
    git: Option<&Repository>,
    plan: &Plan,
    previous: &Lock,
    starters_written: bool,
) -> Result<bool> {
    let next = plan.next_lock(previous, |content| {
        repo::store_blob(git, content.as_bytes()).map(|id| id.to_string())
    })?;
    if let Some(git) = git {
        keep_bases(git, &next)?;
    }
    let current = root.read(LOCK_PATH)?;
    // `previous` already records the starters written in this run, which the lock on disk
    // does not know yet.
    if current.is_some() && next == *previous && !starters_written {
        return Ok(false);
    }
    let text = next.to_text();
    if current.as_deref() == Some(text.as_str()) {
        return Ok(false);
    }
    root.write(LOCK_PATH, &text)?;
    Ok(true)
}

/// The reference that keeps the lock's blobs reachable.
pub const BASES_REF: &str = "refs/scaffold/bases";

/// Points [`BASES_REF`] at a tree holding every blob the lock records.
///
/// A blob nothing refers to is deleted by `git gc` once it is old enough, and
/// a generated file the user edited before committing is never in a commit.
/// The reference keeps such merge bases alive in this clone for as long as
/// the lock names them; it is not pushed, so other clones rely on commits.
fn keep_bases(git: &Repository, lock: &Lock) -> Result<()> {
    let mut tree = git
        .treebuilder(None)
        .context("building the tree of merge bases")?;
    for id in lock.files.values() {
        let Ok(oid) = Oid::from_str(id) else {
            continue;
        };
        if git.find_blob(oid).is_ok() {
            tree.insert(id, oid, 0o100_644)
                .context("adding a merge base to its tree")?;
        }
    }
    let tree = tree.write().context("writing the tree of merge bases")?;
    let current = git.refname_to_id(BASES_REF).ok();
    if current != Some(tree) {
        git.reference(BASES_REF, tree, true, "scaffold: keep the merge bases")
            .with_context(|| format!("updating {BASES_REF}"))?;
    }
    Ok(())
}

/// Paths below the root with uncommitted changes (modified, staged, untracked, deleted).
fn uncommitted(git: Option<&Repository>, root: &Root) -> BTreeSet<String> {
    let Some(git) = git else {
        return BTreeSet::new();
    };
    let Some(prefix) = git
        .workdir()
        .and_then(|w| w.canonicalize().ok())
        .and_then(|w| root.path().strip_prefix(w).ok().map(PathBuf::from))
    else {
        return BTreeSet::new();
    };
    let mut options = StatusOptions::new();
    options.include_untracked(true).recurse_untracked_dirs(true);
    let Ok(statuses) = git.statuses(Some(&mut options)) else {
        return BTreeSet::new();
    };
    statuses
        .iter()
        .filter(|entry| {
            !entry.status().intersects(Status::IGNORED) && entry.status() != Status::CURRENT
        })
        .filter_map(|entry| {
            let path = PathBuf::from(entry.path().ok()?);
            let relative = path.strip_prefix(&prefix).ok()?;
            Some(relative.to_string_lossy().replace('\\', "/"))
        })
        .collect()
}

/// Prints one line per reported step, and its diff when `diffs`.
fn print_plan(plan: &Plan, uncommitted: &BTreeSet<String>, diffs: bool) {
    for step in plan.reported() {
        let dirty = if uncommitted.contains(&step.path) {
            "; it had uncommitted changes"
        } else {
            ""
        };
        let label = step.action.label();
        let line = format!(
            "  {}  {} ({}{dirty})",
            ui::paint(label, &ui::action_style(label)),
            step.path,
            step.reason
        );
        // A dry run exists to print the plan; a real sync's lines are progress.
        if diffs {
            println!("{line}");
        } else {
            say!("{line}");
        }
        if diffs && !step.diff.is_empty() {
            print!("{}", ui::diff(&step.diff));
        }
    }
}

/// Prints the one-line summary of what was (or `would `) be done.
fn summarize(plan: &Plan, lock_changes: bool, would: &str) {
    let mut counts: BTreeMap<Action, usize> = BTreeMap::new();
    for step in plan.reported() {
        *counts.entry(step.action).or_default() += 1;
    }
    if counts.keys().all(|a| !a.changes_disk()) && !lock_changes {
        let kept = counts.get(&Action::Keep).copied().unwrap_or(0);
        if kept == 0 {
            say!("scaffold: everything is up to date");
        } else {
            say!(
                "scaffold: everything is up to date; {} of yours kept as reported",
                plural(kept, "file")
            );
        }
        return;
    }
    let parts: Vec<String> = counts
        .iter()
        .map(|(action, n)| format!("{n} {action}"))
        .collect();
    let parts = if parts.is_empty() {
        "the lock".to_owned()
    } else {
        parts.join(", ")
    };
    say!("scaffold: {would}sync from {ANSWERS_PATH}: {parts}");
}

/// `1 file`, `2 files`.
fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("{n} {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// A lock file held while scaffold writes, so two runs never interleave.
pub struct Mutex {
    path: PathBuf,
}

impl Mutex {
    /// Creates [`MUTEX_PATH`], failing with a clear message when it exists.
    pub fn acquire(root: &Root) -> Result<Mutex> {
        let path = root.resolve(MUTEX_PATH)?;
        let parent = path.parent().expect("the mutex has a parent");
        fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        root.resolve(MUTEX_PATH)?;
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(_) => Ok(Mutex { path }),
            Err(err) if err.kind() == ErrorKind::AlreadyExists => bail!(
                "another scaffold run is writing this repository ({MUTEX_PATH} exists)\n  help: if no other scaffold is running, an earlier run was interrupted: remove {} and run again",
                path.display()
            ),
            Err(err) => Err(err).with_context(|| format!("creating {}", path.display())),
        }
    }
}

impl Drop for Mutex {
    fn drop(&mut self) {
        // Nothing useful can be done if removing fails; the message on the
        // next run says how to remove it by hand.
        let _ = fs::remove_file(&self.path);
    }
}

#[cfg(all(test, debug_assertions))]
mod tests {
    //! A property test over real answers: whatever the environments and port
    //! were and become, and wherever the user inserted lines into generated
    //! files, every inserted line is still on disk after sync, and a second
    //! sync does nothing. It renders every real family plus the fixture family.

    use std::collections::{BTreeMap, BTreeSet};

    use proptest::prelude::*;
    use proptest::sample::{Index, subsequence};
    use scaffold_core::Project;
    use scaffold_core::project::Facts;
    use scaffold_render::sync::{Action, Plan, plan};
    use scaffold_render::{Files, Lock};

    fn answers(environments: &[&str], port: u16) -> String {
        let mut text = format!(
            "[app]\nname = \"shop\"\n\n[[services]]\nname = \"api\"\nlanguage = \"go\"\nport = {port}\n"
        );
        for env in environments {
            text.push_str(&format!("\n[[environments]]\nname = \"{env}\"\n"));
        }
        text
    }

    fn render(environments: &[&str], port: u16) -> Files {
        let project = Project::from_toml(&answers(environments, port), &Facts::default())
            .expect("valid answers");
        let mut files = scaffold_render::render(&project).expect("a render");
        crate::fixture::add(&project, &mut files);
        files
    }

    fn apply(plan: &Plan, disk: &mut BTreeMap<String, Option<String>>) {
        for step in plan.changes() {
            disk.insert(step.path.clone(), step.content.clone());
        }
    }

    fn environments() -> impl Strategy<Value = Vec<&'static str>> {
        subsequence(vec!["dev", "staging", "qa", "production"], 1..=4)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn user_lines_survive_answer_changes(
            old_envs in environments(),
            new_envs in environments(),
            old_port in 1024u16..9000,
            new_port in 1024u16..9000,
            insertions in proptest::collection::vec((any::<Index>(), any::<Index>()), 0..6),
        ) {
            let old = render(&old_envs, old_port);
            let new = render(&new_envs, new_port);

            // The lock records the old render; the user inserted lines into some files.
            let mut lock = Lock::new();
            let mut bases = BTreeMap::new();
            for (path, content) in &old {
                lock.files.insert(path.clone(), format!("id {path}"));
                bases.insert(path.clone(), Some(content.clone()));
            }
            let mut disk: BTreeMap<String, Option<String>> =
                old.iter().map(|(p, c)| (p.clone(), Some(c.clone()))).collect();
            let paths: Vec<String> = old.keys().cloned().collect();
            let mut inserted = Vec::new();
            for (n, (file, at)) in insertions.iter().enumerate() {
                let path = file.get(&paths).clone();
                let text = disk[&path].clone().expect("on disk");
                let mut lines: Vec<&str> = text.lines().collect();
                let line = format!("# user line {n}");
                lines.insert(at.index(lines.len() + 1), &line);
                disk.insert(path.clone(), Some(lines.join("\n") + "\n"));
                inserted.push((path, line));
            }

            let first = plan(&new, &lock, &disk, &bases, &BTreeSet::new());
            apply(&first, &mut disk);
            for (path, line) in &inserted {
                let text = disk[path].as_deref().unwrap_or_else(|| panic!("{path} was deleted"));
                prop_assert!(text.lines().any(|l| l == line), "{line:?} lost from {path}:\n{text}");
            }
            for step in first.steps.iter().filter(|s| s.action == Action::Delete) {
                prop_assert!(!inserted.iter().any(|(p, _)| p == &step.path));
            }

            let next = first.next_lock(&lock, |c| Ok::<_, ()>(c.to_owned())).expect("a lock");
            let bases: BTreeMap<String, Option<String>> =
                next.files.iter().map(|(p, c)| (p.clone(), Some(c.clone()))).collect();
            let second = plan(&new, &next, &disk, &bases, &BTreeSet::new());
            prop_assert_eq!(second.changes().count(), 0);
        }
    }
}
