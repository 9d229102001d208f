//! `scaffold sync` and `scaffold diff`: re-render from `scaffold.toml` and
//! bring the repository up to date without losing an edit.
//!
//! The decisions are made by the pure planner in `scaffold_render::sync`;
//! this module gathers its inputs (the render, the lock, every file on disk,
//! the merge bases), prints the plan and applies it.
//!
//! Every run that writes holds the [`Mutex`] (an OS advisory lock, released
//! by the kernel when the process dies, however it dies) for its whole
//! read-plan-write cycle, so two runs never interleave and `scaffold add`
//! never edits answers another run is rendering from. Applying follows one
//! order so an interruption at any point is harmless and needs no manual
//! step: every file is staged in full, a [`Journal`] records what is about
//! to change, the files are renamed into place (each old or new, never
//! half), and the lock goes last. The next run removes staged leftovers and,
//! if it finds a journal, first rebuilds the lock from what actually reached
//! the disk.
//!
//! The merge bases live in `.scaffold/bases/`, one file per blob id, so every
//! clone (shallow ones included) has them; see [`crate::repo`].

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use git2::{Repository, Status, StatusOptions};
use scaffold_core::Project;
use scaffold_core::answers::Answers;
use scaffold_core::error::Problem;
use scaffold_core::project::Facts;
use scaffold_render::lock::LOCK_PATH;
use scaffold_render::sync::journal::{JOURNAL_PATH, Journal};
use scaffold_render::sync::{self, Action, Disk, Plan};
use scaffold_render::{Files, Lock};

use crate::cli::{DiffArgs, Format, SyncArgs};
use crate::exit::{self, Code, invalid};
use crate::new::ANSWERS_PATH;
use crate::repo;
use crate::write::{self, Durability, Root, Transaction};
use crate::{out, outln, plan_json, say, ui};

/// The mutex that keeps two scaffold runs from writing the same repository at once.
pub const MUTEX_PATH: &str = ".scaffold/sync.lock";

/// Keeps a run's temporary files out of commits.
const GITIGNORE: (&str, &str) = (
    ".scaffold/.gitignore",
    "# Written by scaffold: files of a run in progress, and a local cache; never committed.\n/tmp/\n/sync.lock\n/sync.journal\n/cache\n",
);

/// Marks the stored merge bases as generated and not for review or merging.
const GITATTRIBUTES: (&str, &str) = (
    ".scaffold/.gitattributes",
    "# Written by scaffold: merge bases, stored byte for byte (no line-ending conversion),\n# hidden from reviews and never merged line by line (their names are their content's ids).\nbases/** binary linguist-generated\n",
);

/// How long a run waits for another one to finish before giving up.
const MUTEX_WAIT: Duration = Duration::from_secs(120);

/// Runs `scaffold sync`.
pub fn run(args: &SyncArgs) -> Result<Code> {
    let root = Root::open(&args.dir)?;
    if args.check || args.dry_run {
        let text = read_answers(&root)?;
        let (state, plan) = load_and_plan(&root, &text, &args.restore)?;
        if args.format == Format::Json {
            let lock_stale = state.next_lock_text(&plan) != state.lock_text;
            let command = if args.check {
                "sync --check"
            } else {
                "sync --dry-run"
            };
            out!("{}", plan_json::render(command, &plan, lock_stale));
            let code = if !args.check {
                exit::SUCCESS
            } else if plan.unresolved().next().is_some() {
                exit::CONFLICTS
            } else if plan.changes().next().is_some() || lock_stale {
                exit::DRIFT
            } else {
                exit::SUCCESS
            };
            return Ok(Code(code));
        }
        if args.check {
            return check(&root, &state, &plan);
        }
        print_plan(&plan, &uncommitted(state.git.as_ref(), &root, &plan), true);
        for path in state.starters.keys() {
            outln!("  create    {path} (starter app)");
        }
        let lock_changes = state.next_lock_text(&plan) != state.lock_text;
        summarize(&plan, lock_changes, "would ");
        outln!("dry run: nothing was written");
        return Ok(Code(exit::SUCCESS));
    }
    let session = Session::begin(root)?;
    let root = &session.root;
    let text = read_answers(root)?;
    let (state, plan) = load_and_plan(root, &text, &args.restore)?;
    run_plan(&session, &state, &plan, None)
}

/// The state and plan for `text`: without rendering when the cache allows
/// it (no `--restore`), else in full.
fn load_and_plan(root: &Root, text: &str, restore: &[String]) -> Result<(State, Plan)> {
    if restore.is_empty()
        && let Some(found) = State::load_unchanged(root, repo::open(root.path()), text)?
    {
        return Ok(found);
    }
    let state = State::load(root, repo::open(root.path()), text, ANSWERS_PATH)?;
    let restore = restore_paths(restore, &state.render)?;
    let plan = state.plan(&restore);
    Ok((state, plan))
}

/// Syncs under a held session, rendering from `text`, which is also
/// written to `scaffold.toml`, last before the lock, in the same
/// transaction as the files (`scaffold add`).
///
/// `announce` is printed once the new answers have rendered, before the plan.
pub fn sync_with(session: &Session, text: &str, announce: &str) -> Result<Code> {
    let root = &session.root;
    let source = format!("the edited {ANSWERS_PATH}");
    let state = State::load(root, repo::open(root.path()), text, &source)?;
    let plan = state.plan(&BTreeSet::new());
    say!("{announce}");
    run_plan(session, &state, &plan, Some(text))
}

/// Prints and applies `plan`, and reports what needs the user.
fn run_plan(
    session: &Session,
    state: &State,
    plan: &Plan,
    new_answers: Option<&str>,
) -> Result<Code> {
    let root = &session.root;
    print_plan(plan, &uncommitted(state.git.as_ref(), root, plan), false);
    let applied = apply(root, state, plan, new_answers)?;
    for path in state.starters.keys() {
        say!("  create    {path} (starter app: yours from now on; sync never changes it)");
    }
    if !state.render.is_empty() {
        store_cache(root, &state.inputs, &state.render, &applied)?;
    }
    summarize(plan, applied.lock_written, "");
    if applied.bases_stored > 0 {
        say!(
            "scaffold: stored {} in .scaffold/bases/, so every clone can merge (commit them)",
            plural(applied.bases_stored, "merge base")
        );
    }
    if state.git.is_none() {
        say!(
            "note: {} is not in a git repository; scaffold keeps its merge bases in .scaffold/, but only git keeps your history",
            root.path().display()
        );
    }
    report_unresolved(plan);
    Ok(if plan.unresolved().next().is_some() {
        Code(exit::CONFLICTS)
    } else {
        Code(exit::SUCCESS)
    })
}

/// Prints the files that need the user, if any.
fn report_unresolved(plan: &Plan) {
    let unresolved: Vec<&sync::Step> = plan.unresolved().collect();
    if unresolved.is_empty() {
        return;
    }
    outln!(
        "\n{} with conflicts to resolve (look for `<<<<<<<` markers, keep what you want, remove the markers):",
        plural(unresolved.len(), "file")
    );
    for step in unresolved {
        if step.action == Action::Unmerged && !step.reason.contains("conflict markers") {
            outln!("  {} ({})", step.path, step.reason);
        } else {
            outln!("  {}", step.path);
        }
    }
}

/// Runs `scaffold diff`: the diff `scaffold sync` would apply.
pub fn diff(args: &DiffArgs) -> Result<Code> {
    let root = Root::open(&args.dir)?;
    let text = read_answers(&root)?;
    let (state, plan) = load_and_plan(&root, &text, &[])?;
    if args.format == Format::Json {
        let lock_stale = state.next_lock_text(&plan) != state.lock_text;
        out!("{}", plan_json::render("diff", &plan, lock_stale));
        return Ok(Code(exit::SUCCESS));
    }
    for step in plan.changes() {
        out!("{}", ui::diff(&step.diff()));
    }
    Ok(Code(exit::SUCCESS))
}

/// `--check`: prints the diff and exits with [`exit::DRIFT`] when anything
/// is out of date, or [`exit::CONFLICTS`] while files still need the user.
fn check(root: &Root, state: &State, plan: &Plan) -> Result<Code> {
    let changes: Vec<_> = plan.changes().collect();
    let unresolved: Vec<_> = plan.unresolved().collect();
    for step in &changes {
        out!("{}", ui::diff(&step.diff()));
    }
    let next_lock = state.next_lock_text(plan);
    let lock_stale = next_lock != state.lock_text;
    let missing_bases = repo::missing_bases(root, &next_lock_of(plan, &state.lock))?;
    if changes.is_empty() && !lock_stale && unresolved.is_empty() && missing_bases.is_empty() {
        outln!("scaffold: generated files are up to date with {ANSWERS_PATH}");
        return Ok(Code(exit::SUCCESS));
    }
    if lock_stale {
        out!(
            "{}",
            sync::unified_diff(
                LOCK_PATH,
                Some(state.lock_text.as_str()).filter(|t| !t.is_empty()),
                Some(&next_lock),
            )
        );
    }
    for step in changes.iter().chain(&unresolved) {
        eprintln!("  {}  {} ({})", step.action.label(), step.path, step.reason);
    }
    if !unresolved.is_empty() {
        eprintln!(
            "scaffold: {} still {} conflicts to resolve; resolve them, run `scaffold sync` and commit the result",
            plural(unresolved.len(), "generated file"),
            if unresolved.len() == 1 { "has" } else { "have" },
        );
        return Ok(Code(exit::CONFLICTS));
    }
    if changes.is_empty() && !lock_stale {
        eprintln!(
            "scaffold: .scaffold/bases/ lacks {}, so other clones could not merge; run `scaffold sync` and commit the result",
            plural(missing_bases.len(), "merge base")
        );
        return Ok(Code(exit::DRIFT));
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

/// `scaffold.toml`'s text, which must exist and be UTF-8.
fn read_answers(root: &Root) -> Result<String> {
    root.read(ANSWERS_PATH)?.ok_or_else(|| {
        invalid(format!(
            "{} has no {ANSWERS_PATH}; run `scaffold new` first",
            root.path().display()
        ))
    })
}

/// Everything a sync plan is made from.
pub struct State {
    /// The repository, when there is one.
    pub git: Option<Repository>,
    /// The new render.
    pub render: Files,
    /// The lock as it is now.
    pub lock: Lock,
    /// The lock file's text as it is now.
    pub lock_text: String,
    /// Every rendered or locked path's file on disk.
    pub disk: Disk,
    /// The bases of the locked paths the plan needs them for.
    pub bases: BTreeMap<String, Option<String>>,
    /// The fingerprint of what the render is made from (see [`Cache`]).
    pub inputs: String,
    /// Starter app files to write once, beside the plan (see `crate::starters`).
    pub starters: Files,
}

impl State {
    /// Renders `text` (named `source` in messages), and reads the lock, the
    /// files and the bases.
    ///
    /// A missing or empty lock is an error: without it every generated file
    /// would look like the user's, and sync would silently stop updating them.
    fn load(root: &Root, git: Option<Repository>, text: &str, source: &str) -> Result<State> {
        // The same facts `new` and `add` render with, or every sync would see
        // a different render (the package managers shape the Dockerfiles).
        let facts = repo::facts(git.as_ref(), root.path());
        let project = Project::from_toml(text, &facts)
            .map_err(|err| invalid(format!("{source} has problems; nothing was written\n{err}")))?;
        let lock_text = root.read(LOCK_PATH)?.unwrap_or_default();
        let lock = if lock_text.trim().is_empty() {
            Lock::new()
        } else {
            Lock::parse(&lock_text).map_err(|err| {
                invalid(format!(
                    "{err}\n  help: restore it from git (`git checkout -- {LOCK_PATH}`), or take the files over again with `scaffold new --answers {ANSWERS_PATH}`"
                ))
            })?
        };
        if lock.is_empty() {
            let what = if lock_text.trim().is_empty() {
                "is missing"
            } else {
                "records no file"
            };
            return Err(invalid(format!(
                "{LOCK_PATH} {what}, so scaffold cannot tell the files it generated from yours, and nothing was written\n  help: if it was committed, restore it: `git checkout -- {LOCK_PATH}`\n  help: or take the files over as they are: `scaffold new --answers {ANSWERS_PATH}` (files equal to the render become scaffold's again, every other file stays yours; add --force to replace them all)"
            )));
        }
        // Starter apps for service folders without code are rendered with, and detected as if,
        // they were written: what this run writes is what the next sync renders.
        let starters = crate::starters::pending(root, &project, &lock)?;
        let facts = if starters.is_empty() {
            facts
        } else {
            repo::facts_with(git.as_ref(), root.path(), &starters)
        };
        let inputs = Cache::inputs(text, &facts);
        let (_, render) = render_answers(root, &facts, text, source)?;
        let disk = read_disk(root, &render, &lock)?;
        let bases = repo::load_bases(root, git.as_ref(), &lock, &render, &disk)?;
        Ok(State {
            git,
            render,
            lock,
            lock_text,
            disk,
            bases,
            inputs,
            starters,
        })
    }

    /// The state and plan of a sync with nothing to do, found without
    /// rendering: when the [`Cache`] says the render is the one the lock
    /// records and the planner needs no render to decide. `None` otherwise.
    fn load_unchanged(
        root: &Root,
        git: Option<Repository>,
        text: &str,
    ) -> Result<Option<(State, Plan)>> {
        let Some(cache) = Cache::read(root)? else {
            return Ok(None);
        };
        let facts = repo::facts(git.as_ref(), root.path());
        let inputs = Cache::inputs(text, &facts);
        let lock_text = root.read(LOCK_PATH)?.unwrap_or_default();
        if cache.inputs != inputs || cache.lock != repo::blob_id(lock_text.as_bytes()) {
            return Ok(None);
        }
        let Ok(lock) = Lock::parse(&lock_text) else {
            return Ok(None);
        };
        let disk = read_disk(root, &Files::new(), &lock)?;
        let Some(plan) = sync::plan_known_render(&lock, &disk, &cache.others, |content| {
            repo::blob_id(content.as_bytes())
        }) else {
            return Ok(None);
        };
        if !repo::missing_bases(root, &lock)?.is_empty() {
            return Ok(None);
        }
        let state = State {
            git,
            render: Files::new(),
            lock,
            lock_text,
            disk,
            bases: BTreeMap::new(),
            inputs,
            starters: Files::new(),
        };
        Ok(Some((state, plan)))
    }

    /// The plan for these inputs.
    fn plan(&self, restore: &BTreeSet<String>) -> Plan {
        sync::plan(&self.render, &self.lock, &self.disk, &self.bases, restore)
    }

    /// The lock text after `plan`.
    fn next_lock_text(&self, plan: &Plan) -> String {
        let mut next = next_lock_of(plan, &self.lock);
        next.starters.extend(self.starters.keys().cloned());
        next.starters.sort();
        next.starters.dedup();
        if next == self.lock && !self.lock_text.is_empty() {
            return self.lock_text.clone();
        }
        next.to_text()
    }
}

/// The lock after `plan`.
fn next_lock_of(plan: &Plan, previous: &Lock) -> Lock {
    next_lock_and_contents(plan, previous).0
}

/// The lock after `plan`, and the content of every blob id it records
/// anew (what `.scaffold/bases/` may need to store).
fn next_lock_and_contents<'p>(
    plan: &'p Plan,
    previous: &Lock,
) -> (Lock, BTreeMap<String, &'p str>) {
    let mut ids = repo::blob_ids(plan.recorded());
    let mut contents = BTreeMap::new();
    let next = plan
        .next_lock(previous, |content| {
            let id = ids
                .remove(&repo::place(content))
                .unwrap_or_else(|| repo::blob_id(content.as_bytes()));
            contents.entry(id.clone()).or_insert(content);
            Ok::<_, std::convert::Infallible>(id)
        })
        .unwrap_or_else(|never| match never {});
    (next, contents)
}

/// Parses and validates `text`, and renders it, checking that the render
/// can be written (no service folder where a generated file goes).
pub fn render_answers(
    root: &Root,
    facts: &Facts,
    text: &str,
    source: &str,
) -> Result<(Project, Files)> {
    let project = Project::from_toml(text, facts)
        .map_err(|err| invalid(format!("{source} has problems; nothing was written\n{err}")))?;
    let files = render(&project)?;
    check_render(text, &project, &files, source)?;
    check_folders(root, text, &project, source)?;
    Ok((project, files))
}

/// Refuses answers whose service folder is a file on disk (nothing could be
/// written below it), naming the key and line, before anything is written.
pub fn check_folders(root: &Root, text: &str, project: &Project, source: &str) -> Result<()> {
    let parsed = Answers::parse(text).ok();
    let mut problems = Vec::new();
    for (i, service) in project.services.iter().enumerate() {
        if service.path == "." {
            continue;
        }
        let full = root.resolve(&service.path)?;
        if fs::symlink_metadata(&full).is_ok_and(|meta| !meta.is_dir()) {
            let key = format!("services[{i}].path");
            problems.push(Problem {
                line: parsed.as_ref().and_then(|p| p.line_of(&key)),
                path: key,
                message: format!("`{}` is a file, not a folder", service.path),
                help: "give the folder that holds the service's code".to_owned(),
            });
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    let list = problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    Err(invalid(format!(
        "{source} has problems; nothing was written\n{list}"
    )))
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

/// Refuses a render that cannot be written: a service whose folder is
/// where scaffold generates a file (such as `path = "compose.yaml"`).
pub fn check_render(text: &str, project: &Project, files: &Files, source: &str) -> Result<()> {
    let clashes = sync::path_clashes(files);
    if clashes.is_empty() {
        return Ok(());
    }
    let parsed = Answers::parse(text).ok();
    let mut problems = Vec::new();
    for (file, below) in clashes {
        let service = project
            .services
            .iter()
            .enumerate()
            .find(|(_, s)| s.path == file || s.path.starts_with(&format!("{file}/")));
        let problem = match service {
            Some((i, s)) => {
                let key = format!("services[{i}].path");
                Problem {
                    line: parsed.as_ref().and_then(|p| p.line_of(&key)),
                    path: key,
                    message: format!(
                        "`{}` is where scaffold generates the file `{file}`, so it cannot also be the folder of service `{}`",
                        s.path, s.name
                    ),
                    help: "choose the folder that holds the service's code, such as `services/api`"
                        .to_owned(),
                }
            }
            None => Problem {
                path: "services".to_owned(),
                line: None,
                message: format!(
                    "scaffold would write both the file `{file}` and `{below}` below it"
                ),
                help: "rename the service or folder that produces one of them".to_owned(),
            },
        };
        if !problems.contains(&problem) {
            problems.push(problem);
        }
    }
    let list = problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    Err(invalid(format!(
        "{source} has problems; nothing was written\n{list}"
    )))
}

/// The file on disk of every path the render or the lock names.
pub fn read_disk(root: &Root, render: &Files, lock: &Lock) -> Result<Disk> {
    let mut paths: BTreeSet<&String> = render.keys().collect();
    paths.extend(lock.paths());
    let mut disk = Disk::new();
    for path in paths {
        if let Some(file) = root.read_disk(path)? {
            disk.insert(path.clone(), file);
        }
    }
    Ok(disk)
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

/// What [`apply`] wrote besides the files; it borrows the plan's contents.
pub struct Applied<'p> {
    /// Whether the lock was written.
    pub lock_written: bool,
    /// The lock on disk after the run, and its text: the cache records it without reading and
    /// parsing it again.
    pub lock: Lock,
    pub lock_text: String,
    /// How many merge bases were added to `.scaffold/bases/`.
    pub bases_stored: usize,
    /// The content of each id the lock records, as hashed for it.
    pub hashed: BTreeMap<String, &'p str>,
}

/// A local record (never committed) that lets a sync with nothing to do
/// skip rendering, which is most of its cost.
///
/// The render is a pure function of the answers, the facts read from the
/// repository and scaffold itself, so their fingerprint (`inputs`) names it.
/// After a run whose lock records exactly that render (every rendered path
/// in the lock, every recorded id the render's), the cache stores the
/// fingerprint, the id of the lock's text, and the render's id at paths the
/// lock records as deleted or the user's. A later sync whose fingerprint and
/// lock are the same plans with [`sync::plan_known_render`], which gives
/// the full planner's answer or declines (property-tested against it).
pub struct Cache {
    /// The fingerprint of the render's inputs.
    inputs: String,
    /// The blob id of the lock's text.
    lock: String,
    /// The render's blob id at each deleted or user-owned path (`None`: a block).
    others: sync::KnownRender,
}

/// Where the cache lives (listed in `.scaffold/.gitignore`).
const CACHE_PATH: &str = ".scaffold/cache";

impl Cache {
    /// The fingerprint of what a render is made from.
    fn inputs(text: &str, facts: &Facts) -> String {
        // Debug builds render the tests' fixture family when asked to.
        let fixture =
            cfg!(debug_assertions) && std::env::var_os("SCAFFOLD_TEST_FIXTURE_FAMILY").is_some();
        repo::blob_id(
            format!(
                "scaffold {}\nfixture {fixture}\n{facts:?}\n{text}",
                scaffold_render::VERSION
            )
            .as_bytes(),
        )
    }

    /// The cache, when there is a readable one.
    fn read(root: &Root) -> Result<Option<Cache>> {
        let Some(text) = root.read_bytes(CACHE_PATH)? else {
            return Ok(None);
        };
        let text = String::from_utf8_lossy(&text);
        let mut lines = text.lines();
        let mut field = |name: &str| {
            lines
                .next()
                .and_then(|l| l.strip_prefix(name))
                .map(str::to_owned)
        };
        let (Some(inputs), Some(lock)) = (field("inputs "), field("lock ")) else {
            return Ok(None);
        };
        let mut others = sync::KnownRender::new();
        for line in lines {
            let Some((id, path)) = line.strip_prefix("other ").and_then(|l| l.split_once(' '))
            else {
                return Ok(None);
            };
            others.insert(path.to_owned(), (id != "block").then(|| id.to_owned()));
        }
        Ok(Some(Cache {
            inputs,
            lock,
            others,
        }))
    }

    /// Records that the lock [`apply`] left in `root` records the render `render` of
    /// `inputs`, when it does; the contents `apply` hashed are not hashed again.
    fn store(root: &Root, inputs: &str, render: &Files, applied: &Applied) -> Result<()> {
        let Applied {
            lock,
            lock_text,
            hashed,
            ..
        } = applied;
        let render_paths: BTreeSet<&String> = render.keys().collect();
        if render_paths != lock.paths() {
            return Ok(());
        }
        let blocks: BTreeSet<&String> = lock.blocks.iter().collect();
        for (path, id) in &lock.files {
            let view = if blocks.contains(path) {
                sync::block::extract(&render[path])
            } else {
                Some(render[path].as_str())
            };
            let Some(view) = view else {
                return Ok(());
            };
            let known = hashed.get(id).is_some_and(|content| *content == view);
            if !known && repo::blob_id(view.as_bytes()) != *id {
                return Ok(());
            }
        }
        let mut text = format!(
            "inputs {inputs}\nlock {}\n",
            repo::blob_id(lock_text.as_bytes())
        );
        for path in lock.deleted.iter().chain(&lock.user_owned) {
            let rendered = &render[path];
            let id = if sync::block::extract(rendered).is_some() {
                "block".to_owned()
            } else {
                repo::blob_id(rendered.as_bytes())
            };
            text.push_str(&format!("other {id} {path}\n"));
        }
        root.write_durable(CACHE_PATH, &text, Durability::None)
    }
}

/// Applies `plan`: stages every changed file, every merge base the next lock
/// needs and (for `new` and `add`) the answers, journals what is about to
/// change, renames it all into place, then writes the lock, drops the
/// journal and removes bases no longer needed.
pub fn apply<'p>(
    root: &Root,
    state: &State,
    plan: &'p Plan,
    new_answers: Option<&str>,
) -> Result<Applied<'p>> {
    let durability = Durability::from_env();
    let (mut next, contents) = next_lock_and_contents(plan, &state.lock);
    // Starter apps: written once with the render, remembered so no run writes them again.
    if !state.starters.is_empty() {
        next.starters.extend(state.starters.keys().cloned());
        next.starters.sort();
        next.starters.dedup();
    }
    let lock_text = if next == state.lock && !state.lock_text.is_empty() {
        None
    } else {
        Some(next.to_text()).filter(|text| *text != state.lock_text)
    };

    let bases = repo::Bases::plan(root, &state.lock, &next, &contents, &state.bases)?;
    // Borrows what it writes, so it comes after `bases`.
    let mut transaction = Transaction::new(root, durability)?;
    // The bases first: extra files are harmless if the run stops here.
    for (path, content) in bases.missing.values() {
        transaction.write(path, content.as_bytes())?;
    }
    for (path, content) in [GITIGNORE, GITATTRIBUTES] {
        if root.read(path)?.as_deref() != Some(content) {
            transaction.write(path, content.as_bytes())?;
        }
    }
    let mut written = BTreeMap::new();
    for step in plan.changes() {
        match &step.content {
            Some(content) => {
                transaction.write(&step.path, content.as_bytes())?;
                // Usually what is written is what the lock records: its id
                // is known already.
                let id = match (&step.record, next.files.get(&step.path)) {
                    (sync::Record::Generated(recorded), Some(id)) if recorded == content => {
                        id.clone()
                    }
                    _ => repo::blob_id(content.as_bytes()),
                };
                written.insert(step.path.clone(), id);
            }
            None => {
                transaction.remove(&step.path)?;
                written.insert(step.path.clone(), String::new());
            }
        }
    }
    for (path, content) in &state.starters {
        transaction.write(path, content.as_bytes())?;
    }
    if let Some(answers) = new_answers {
        transaction.write(ANSWERS_PATH, answers.as_bytes())?;
    }
    let journal = (!written.is_empty()).then(|| Journal {
        written,
        next: next.clone(),
    });
    transaction.commit_with(|| match &journal {
        Some(journal) => root.write_durable(JOURNAL_PATH, &journal.to_text(), durability),
        None => Ok(()),
    })?;
    if let Some(text) = &lock_text {
        write::checkpoint();
        root.write_durable(LOCK_PATH, text, durability)?;
    }
    if journal.is_some() {
        write::checkpoint();
        root.remove(JOURNAL_PATH)?;
    }
    for path in &bases.stale {
        root.remove(path)?;
    }
    // Either way the lock on disk is `next`: unchanged, its text is the one read.
    let lock_written = lock_text.is_some();
    let lock_text = lock_text.unwrap_or_else(|| state.lock_text.clone());
    Ok(Applied {
        lock_written,
        lock: next,
        lock_text,
        bases_stored: bases.missing.len(),
        hashed: contents,
    })
}

/// Records in the cache that the lock [`apply`] left on disk records `render`, when it does.
/// The contents `apply` hashed are not hashed again.
pub fn store_cache(root: &Root, inputs: &str, render: &Files, applied: &Applied) -> Result<()> {
    Cache::store(root, inputs, render, applied)
}

/// The fingerprint of `text` rendered with `facts`, for the cache.
pub fn inputs(text: &str, facts: &Facts) -> String {
    Cache::inputs(text, facts)
}

/// A run that may write: it holds the [`Mutex`], has cleaned up what an
/// interrupted run left behind, and has recorded that run's changes.
pub struct Session {
    /// The repository root.
    pub root: Root,
    _mutex: Mutex,
}

impl Session {
    /// Takes the mutex, removes staged leftovers and recovers from a journal.
    pub fn begin(root: Root) -> Result<Session> {
        let mutex = Mutex::acquire(&root)?;
        write::clean_staging(&root)?;
        clean_old_temporaries(&root)?;
        recover(&root)?;
        Ok(Session {
            root,
            _mutex: mutex,
        })
    }
}

impl Drop for Session {
    /// Removes the staging folders, while the mutex is still held; a failure leaves them for
    /// the next run, which removes them first.
    fn drop(&mut self) {
        let _ = write::clean_staging(&self.root);
    }
}

/// When an interrupted run left its journal, rewrites the lock to match what
/// reached the disk (see [`Journal`]) and drops the journal.
fn recover(root: &Root) -> Result<()> {
    let Some(text) = root.read(JOURNAL_PATH)? else {
        return Ok(());
    };
    let journal = Journal::parse(&text).map_err(|err| {
        invalid(format!(
            "{JOURNAL_PATH}, the record of an interrupted scaffold run, is damaged: {err}\n  help: remove it and run `scaffold sync` again"
        ))
    })?;
    let previous = match root.read(LOCK_PATH)? {
        Some(text) if !text.trim().is_empty() => Lock::parse(&text).map_err(|err| {
            invalid(format!(
                "{err}\n  help: restore it from git (`git checkout -- {LOCK_PATH}`)"
            ))
        })?,
        _ => Lock::new(),
    };
    let mut failure = None;
    let recovered = journal.recover(&previous, |path| match root.read_bytes(path) {
        Ok(bytes) => bytes.map(|b| repo::blob_id(&b)),
        Err(err) => {
            failure.get_or_insert(err);
            None
        }
    });
    if let Some(err) = failure {
        return Err(err);
    }
    if recovered != previous || previous.is_empty() {
        root.write_durable(LOCK_PATH, &recovered.to_text(), Durability::from_env())?;
    }
    root.remove(JOURNAL_PATH)?;
    outln!(
        "note: the last scaffold run was interrupted; what it wrote is now recorded in {LOCK_PATH}"
    );
    Ok(())
}

/// Removes the temporary files scaffold 0.1 wrote beside their targets
/// (`.scaffold-` and six random characters) and a killed run left behind.
fn clean_old_temporaries(root: &Root) -> Result<()> {
    let Ok(lock_text) = root.read(LOCK_PATH) else {
        return Ok(());
    };
    let Some(lock) = lock_text.and_then(|t| Lock::parse(&t).ok()) else {
        return Ok(());
    };
    let dirs: BTreeSet<&str> = lock
        .files
        .keys()
        .map(|p| p.rsplit_once('/').map_or("", |(dir, _)| dir))
        .collect();
    for dir in dirs {
        let path = if dir.is_empty() {
            root.path().to_path_buf()
        } else {
            match root.resolve(dir) {
                Ok(path) => path,
                Err(_) => continue,
            }
        };
        let Ok(entries) = fs::read_dir(&path) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let leftover = name.strip_prefix(".scaffold-").is_some_and(|rest| {
                rest.len() == 6 && rest.chars().all(|c| c.is_ascii_alphanumeric())
            });
            if leftover && entry.file_type().is_ok_and(|t| t.is_file()) {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
    Ok(())
}

/// Paths of the reported steps with uncommitted changes (modified, staged,
/// untracked, deleted). Asks git only when something is reported.
fn uncommitted(git: Option<&Repository>, root: &Root, plan: &Plan) -> BTreeSet<String> {
    let Some(git) = git else {
        return BTreeSet::new();
    };
    if plan.reported().next().is_none() {
        return BTreeSet::new();
    }
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
            outln!("{line}");
        } else {
            say!("{line}");
        }
        if diffs {
            out!("{}", ui::diff(&step.diff()));
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
        let unmerged = counts.get(&Action::Unmerged).copied().unwrap_or(0);
        if unmerged > 0 {
            // Unresolved conflicts are never "up to date", even with --quiet.
            outln!(
                "scaffold: nothing to write; {} still {} conflicts to resolve",
                plural(unmerged, "file"),
                if unmerged == 1 { "has" } else { "have" }
            );
        } else if kept == 0 {
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

/// An OS advisory lock on [`MUTEX_PATH`], held while scaffold reads, plans
/// and writes, so two runs never interleave.
///
/// The kernel releases the lock when the process ends, however it ends, so
/// a killed run never blocks the next one. A second run waits (saying so)
/// for up to two minutes, then gives up naming the holder's process id.
/// The file is removed on release; a run that opened it just before checks
/// after locking that the path still names the file it locked, and retries
/// otherwise.
pub struct Mutex {
    path: PathBuf,
    file: File,
}

impl Mutex {
    /// Takes the lock, waiting for another run to finish.
    pub fn acquire(root: &Root) -> Result<Mutex> {
        Mutex::acquire_within(root, MUTEX_WAIT)
    }

    /// Takes the lock, waiting up to `wait`.
    fn acquire_within(root: &Root, wait: Duration) -> Result<Mutex> {
        let path = root.resolve(MUTEX_PATH)?;
        let parent = path.parent().expect("the mutex has a parent");
        fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        root.resolve(MUTEX_PATH)?;
        let start = Instant::now();
        let mut said = false;
        loop {
            let file = fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .with_context(|| format!("opening {}", path.display()))?;
            match fs4::FileExt::try_lock(&file) {
                Ok(()) => {
                    if !same_file(&file, &path) {
                        // The holder removed the file between our open and
                        // our lock: lock the new one instead.
                        continue;
                    }
                    let mut mutex = Mutex { path, file };
                    mutex.record_holder();
                    return Ok(mutex);
                }
                Err(fs4::TryLockError::WouldBlock) => {
                    let holder = fs::read_to_string(&path).unwrap_or_default();
                    let holder = holder.trim();
                    let who = if holder.is_empty() {
                        "another scaffold run".to_owned()
                    } else {
                        format!("another scaffold run (process {holder})")
                    };
                    if start.elapsed() >= wait {
                        bail!(
                            "{who} is writing this repository and still held {MUTEX_PATH} after {} seconds\n  help: wait for it to finish, or stop it; the lock is released the moment it ends",
                            wait.as_secs()
                        );
                    }
                    if !said {
                        eprintln!("scaffold: waiting for {who} to finish");
                        said = true;
                    }
                    std::thread::sleep(Duration::from_millis(25));
                }
                Err(fs4::TryLockError::Error(err)) => {
                    return Err(err).with_context(|| format!("locking {}", path.display()));
                }
            }
        }
    }

    /// Writes this process's id into the file, for the message another run prints.
    fn record_holder(&mut self) {
        let _ = self.file.set_len(0);
        let _ = writeln!(self.file, "{}", std::process::id());
    }
}

impl Drop for Mutex {
    fn drop(&mut self) {
        // Removed while still locked, so no run ever locks a file that is
        // about to disappear unnoticed (it checks `same_file` after locking).
        let _ = fs::remove_file(&self.path);
        let _ = fs4::FileExt::unlock(&self.file);
        if let Some(dir) = self.path.parent() {
            // Only succeeds when scaffold's folder is empty: a `new` that
            // wrote nothing leaves nothing behind.
            let _ = fs::remove_dir(dir);
        }
    }
}

/// Whether `path` still names the open `file`.
#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Whether `path` still names the open `file` (Windows cannot remove an
/// open file, so it always does).
#[cfg(not(unix))]
fn same_file(_file: &File, path: &Path) -> bool {
    path.exists()
}

#[cfg(all(test, debug_assertions))]
mod tests {
    //! A property test over real answers: whatever the environments and port
    //! were and become, and wherever the user inserted lines (of any Unicode
    //! text) into generated files, every inserted line is still on disk after
    //! sync, and a second sync does nothing. It renders every real family
    //! plus the fixture family.

    use std::collections::{BTreeMap, BTreeSet};

    use proptest::prelude::*;
    use proptest::sample::{Index, subsequence};
    use scaffold_core::Project;
    use scaffold_core::project::Facts;
    use scaffold_render::sync::{Action, Disk, OnDisk, Plan, plan};
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

    fn apply(plan: &Plan, disk: &mut Disk) {
        for step in plan.changes() {
            match &step.content {
                Some(content) => disk.insert(step.path.clone(), OnDisk::Text(content.to_string())),
                None => disk.remove(&step.path),
            };
        }
    }

    fn environments() -> impl Strategy<Value = Vec<&'static str>> {
        subsequence(vec!["dev", "staging", "qa", "production"], 1..=4)
    }

    /// Answers with arbitrary Unicode in every free-text and name field.
    fn wild_answers(
        app: &str,
        service: &str,
        env: &str,
        region: &str,
        path: &str,
        description: &str,
    ) -> String {
        let q = |s: &str| toml_edit::value(s).to_string();
        format!(
            "[app]\nname = {}\ndescription = {}\n\n[cloud]\nprovider = \"azure\"\nregion = {}\n\n[[services]]\nname = {}\nlanguage = \"go\"\npath = {}\n\n[[environments]]\nname = {}\n",
            q(app),
            q(description),
            q(region),
            q(service),
            q(path),
            q(env)
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Whatever Unicode the user types as names, region, path and
        /// description, answers either resolve (and then render and plan)
        /// or are refused with problems; nothing panics.
        #[test]
        fn arbitrary_names_and_text_never_panic(
            app in prop_oneof!["[a-z][a-z0-9]{0,12}", "\\PC{0,40}"],
            service in prop_oneof!["[a-z][a-z0-9]{0,12}", "[a-zä設🦀-]{0,40}"],
            env in prop_oneof!["[a-z][a-z0-9]{0,12}", "\\PC{0,24}"],
            region in prop_oneof!["[a-z]{2}-[a-z]{4,9}[1-3]", "\\PC{0,50}"],
            path in prop_oneof!["[a-z][a-z0-9/]{0,20}", "[a-zA-Z0-9ä/._ '$-]{0,40}"],
            description in "\\PC{0,60}",
        ) {
            let text = wild_answers(&app, &service, &env, &region, &path, &description);
            match Project::from_toml(&text, &Facts::default()) {
                Ok(project) => {
                    let files = scaffold_render::render(&project).expect("a valid project renders");
                    let plan = plan(&files, &Lock::new(), &Disk::new(), &BTreeMap::new(), &BTreeSet::new());
                    prop_assert_eq!(plan.steps.len(), files.len());
                }
                Err(err) => prop_assert!(!err.problems().is_empty() || !err.to_string().is_empty()),
            }
        }

        #[test]
        fn user_lines_survive_answer_changes(
            old_envs in environments(),
            new_envs in environments(),
            old_port in 1024u16..9000,
            new_port in 1024u16..9000,
            insertions in proptest::collection::vec((any::<Index>(), any::<Index>(), "[^\n\r]{0,12}"), 0..6),
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
            let mut disk: Disk =
                old.iter().map(|(p, c)| (p.clone(), OnDisk::Text(c.clone()))).collect();
            let paths: Vec<String> = old.keys().cloned().collect();
            let mut inserted = Vec::new();
            for (n, (file, at, words)) in insertions.iter().enumerate() {
                let path = file.get(&paths).clone();
                let Some(OnDisk::Text(text)) = disk.get(&path).cloned() else {
                    panic!("{path} is on disk");
                };
                let mut lines: Vec<&str> = text.lines().collect();
                let line = format!("# user line {n} {words}");
                lines.insert(at.index(lines.len() + 1), &line);
                disk.insert(path.clone(), OnDisk::Text(lines.join("\n") + "\n"));
                inserted.push((path, line));
            }

            let first = plan(&new, &lock, &disk, &bases, &BTreeSet::new());
            apply(&first, &mut disk);
            for (path, line) in &inserted {
                let Some(OnDisk::Text(text)) = disk.get(path) else {
                    panic!("{path} was deleted");
                };
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
