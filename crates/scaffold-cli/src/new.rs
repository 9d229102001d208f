//! `scaffold new`: take answers (a file, the defaults, or the wizard), then
//! write `scaffold.toml`, every generated file and the lock.
//!
//! Nothing is written until the answers are valid and every file has
//! rendered. A file that already exists with other content is the user's and
//! is kept (and reported), unless `--force`; a generated file that is a
//! delimited block (such as the root README's) is merged into the user's file
//! instead. The decisions are the sync planner's, run against an empty lock,
//! so `new` and `sync` write files, blobs and the lock the same way.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::IsTerminal as _;

use anyhow::Result;
use scaffold_core::Project;
use scaffold_core::project::Facts;
use scaffold_render::sync::Action;
use scaffold_render::{Lock, answers_file};

use crate::cli::NewArgs;
use crate::detect::{self, Detection};
use crate::exit::{self, Code, invalid};
use crate::repo;
use crate::set;
use crate::sync;
use crate::write::Root;
use crate::{detail, next_steps, out, outln, ui, wizard};

/// The answers file's name at the repository root.
pub const ANSWERS_PATH: &str = "scaffold.toml";

/// Runs `scaffold new`.
pub fn run(args: &NewArgs) -> Result<Code> {
    let root = Root::open(&args.dir)?;
    let git = repo::open(root.path());
    let detection = detect::detect_dir(root.path());
    let facts = repo::facts(git.as_ref(), root.path());

    let (original, source) = answers_text(args, &root, &detection, &facts)?;
    let text = set::apply(&original, &args.set)?;
    let project = Project::from_toml(&text, &facts).map_err(|err| {
        // Lines are told only in a file the user wrote; a `--set` is named instead.
        let written_by_user = args.answers.is_some().then_some(original.as_str());
        let err = set::explain(err, &args.set, written_by_user);
        invalid(format!("{source} has problems; nothing was written\n{err}"))
    })?;
    detail!(
        "answers from {source}; repository {}{}",
        project.repository.full,
        if project.repository.assumed {
            " (assumed)"
        } else {
            ""
        }
    );

    // Starter apps for service folders that hold no code: the render is made as if they
    // were written (detected like any code), so what `new` writes is what the next sync
    // renders; `apply` writes them with everything else.
    let starters = crate::starters::pending(&root, &project, &Lock::new())?;
    let notes = crate::starters::notes(&project);
    let (facts, project) = if starters.is_empty() {
        (facts, project)
    } else {
        let facts = repo::facts_with(git.as_ref(), root.path(), &starters);
        let project = Project::from_toml(&text, &facts).map_err(|err| {
            invalid(format!(
                "{source} does not resolve with the starter apps scaffold would write; nothing was written\n{err}"
            ))
        })?;
        (facts, project)
    };
    let files = sync::render(&project)?;
    sync::check_render(&text, &project, &files, &source)?;
    sync::check_folders(&root, &text, &project, &source)?;
    let in_git = git.is_some();
    if args.dry_run {
        return dry_run(args, &root, &project, &files, &starters);
    }

    // From here on the mutex is held; `scaffold.toml` is read again under it.
    let session = sync::Session::begin(root)?;
    let root = &session.root;
    let existing = root.read(ANSWERS_PATH)?;
    if existing.as_deref().is_some_and(|e| e != text)
        && !args.force
        && args.answers.as_deref() != Some(root.path().join(ANSWERS_PATH).as_path())
    {
        return Err(invalid(format!(
            "{} already has a {ANSWERS_PATH}; run `scaffold sync` to update from it, or `scaffold new --force` to replace it",
            root.path().display()
        )));
    }

    // `new` starts a fresh lock: nothing is known about the files on disk, so
    // each is either created, already identical, or the user's. `--force`
    // asks for every file to be generated again.
    let lock = Lock::new();
    let disk = sync::read_disk(root, &files, &lock)?;
    let restore = if args.force {
        files.keys().cloned().collect()
    } else {
        BTreeSet::new()
    };
    let plan = scaffold_render::sync::plan(&files, &lock, &disk, &BTreeMap::new(), &restore);
    // Every file, the answers and the lock are written together, or
    // (when anything fails first) nothing is.
    let state = sync::State {
        git,
        render: files,
        lock,
        lock_text: String::new(),
        disk,
        bases: BTreeMap::new(),
        inputs: sync::inputs(&text, &facts),
        starters,
    };
    let applied = sync::apply(root, &state, &plan, Some(&text))?;
    sync::store_cache(root, &state.inputs, &state.render, &applied)?;
    // The report is printed with one write: a line at a time, a terminal took a write per file.
    let mut listing = String::new();
    macro_rules! report {
        ($($arg:tt)*) => {
            let _ = writeln!(listing, $($arg)*);
        };
    }
    let mut created = 0;
    let mut kept = Vec::new();
    for step in &plan.steps {
        match step.action {
            Action::Keep => kept.push(step.path.clone()),
            Action::Update if !args.force => {
                created += 1;
                report!("  {}  {} ({})", label("update"), step.path, step.reason);
            }
            action if action.changes_disk() => {
                created += 1;
                report!("  {}  {}", label("create"), step.path);
            }
            _ => {}
        }
    }

    for path in state.starters.keys() {
        created += 1;
        report!(
            "  {}  {path} (starter app: yours from now on; sync never changes it)",
            label("create")
        );
    }
    for note in &notes {
        report!("{note}");
    }
    if let Some(note) = project.local.note() {
        report!("note: {note}");
    }
    for service in &project.services {
        if let Some(own) = &service.dockerfile {
            report!("note: {}", own.note(&service.name));
        }
    }
    for path in &kept {
        report!(
            "  {}    {path} (a file of yours is already there; `scaffold new --force` replaces it)",
            label("keep")
        );
    }
    report!(
        "scaffold: wrote {ANSWERS_PATH} and {created} files for `{}`{}",
        project.app.name,
        if kept.is_empty() {
            String::new()
        } else {
            format!("; kept {} existing files", kept.len())
        }
    );
    if ui::shows(ui::Level::Normal) {
        listing.push_str(&next_steps::text(&project, in_git));
        out!("{listing}");
    }
    Ok(Code(exit::SUCCESS))
}

/// An action word, coloured on a terminal.
fn label(word: &str) -> String {
    ui::paint(word, &ui::action_style(word))
}

/// `new --dry-run`: what `new` would write, file by file, and nothing written.
fn dry_run(
    args: &NewArgs,
    root: &Root,
    project: &Project,
    files: &scaffold_render::Files,
    starters: &scaffold_render::Files,
) -> Result<Code> {
    let lock = Lock::new();
    let disk = sync::read_disk(root, files, &lock)?;
    let restore = if args.force {
        files.keys().cloned().collect()
    } else {
        BTreeSet::new()
    };
    let plan = scaffold_render::sync::plan(files, &lock, &disk, &BTreeMap::new(), &restore);
    let exists = root.read(ANSWERS_PATH)?.is_some();
    outln!(
        "  {}  {ANSWERS_PATH}",
        label(if exists { "update" } else { "create" })
    );
    let mut writes = 0;
    for step in &plan.steps {
        let word = match step.action {
            Action::Keep => "keep",
            Action::Update => "update",
            action if action.changes_disk() => "create",
            _ => continue,
        };
        if word != "keep" {
            writes += 1;
        }
        if word == "create" {
            outln!("  {}  {}", label(word), step.path);
        } else {
            outln!("  {}  {} ({})", label(word), step.path, step.reason);
        }
    }
    for path in starters.keys() {
        writes += 1;
        outln!("  {}  {path} (starter app)", label("create"));
    }
    if let Some(note) = project.local.note() {
        outln!("note: {note}");
    }
    for service in &project.services {
        if let Some(own) = &service.dockerfile {
            outln!("note: {}", own.note(&service.name));
        }
    }
    outln!(
        "dry run: would write {ANSWERS_PATH} and {writes} files for `{}`; nothing was written",
        project.app.name
    );
    Ok(Code(exit::SUCCESS))
}

/// The answers text and a name for it in messages.
fn answers_text(
    args: &NewArgs,
    root: &Root,
    detection: &Detection,
    facts: &Facts,
) -> Result<(String, String)> {
    if let Some(path) = &args.answers {
        let text = std::fs::read_to_string(path).map_err(|err| {
            invalid(format!(
                "cannot read the answers file {}: {err}",
                path.display()
            ))
        })?;
        return Ok((text, path.display().to_string()));
    }
    if args.defaults {
        // Everything the wizard would show about detection, printed before anything is written.
        for line in detection.report() {
            outln!("{line}");
        }
        if detection.is_empty() && detection.has_code {
            let folders: Vec<String> = detection
                .skipped
                .iter()
                .map(|s| format!("  {}: {}", s.path, s.why))
                .collect();
            return Err(invalid(format!(
                "{} has code, but scaffold recognised no service in it, so it wrote nothing rather than invent one{}{}\n  help: run `scaffold new` and declare each service in the wizard, or write scaffold.toml with a `[[services]]` table per service (`name`, `path`, `language` = {}) and run `scaffold new --answers scaffold.toml`",
                root.path().display(),
                if folders.is_empty() { "" } else { "\n" },
                folders.join("\n"),
                scaffold_core::Language::allowed()
            )));
        }
        let answers = detection.answers(&detect::root_name(root.path()));
        let text = answers_file::render(&answers, scaffold_render::engine())?;
        return Ok((text, "the default answers".to_owned()));
    }
    if !std::io::stdin().is_terminal() {
        return Err(invalid(
            "standard input is not a terminal, so scaffold cannot ask its questions\n  help: run `scaffold new --defaults` to take the defaults, or `scaffold new --answers FILE` to read answers from a file (add `--set key=value` to change single answers)",
        ));
    }
    // Say so before asking anything, rather than after the last question.
    let existing = root.read(ANSWERS_PATH)?;
    if !args.force && existing.is_some() {
        return Err(invalid(format!(
            "{} already has a {ANSWERS_PATH}; run `scaffold sync` to update from it, `scaffold add` to add to it, or `scaffold new --force` to replace it",
            root.path().display()
        )));
    }
    let answers = wizard::run_new(&wizard::Start {
        root: root.path(),
        detection,
        facts,
        app: &detect::root_name(root.path()),
        sets: &args.set,
        // `--force` starts from the answers already there, rather than from scratch.
        existing: existing.as_deref(),
    })?;
    let text = answers_file::render(&answers, scaffold_render::engine())?;
    Ok((text, "the wizard's answers".to_owned()))
}
