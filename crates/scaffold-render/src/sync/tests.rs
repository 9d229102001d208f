//! Tests of sync planning: one tiny scenario per rule, and a property test
//! that the user's lines always survive.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use super::*;

/// One path's three versions (and what the lock says about it).
#[derive(Default)]
struct Case {
    render: Option<&'static str>,
    disk: Option<&'static str>,
    /// `Some(None)`: tracked, but the base blob is missing.
    base: Option<Option<&'static str>>,
    deleted: bool,
    owned: bool,
    restore: bool,
    /// The lock marks the path as a block in the user's file.
    block: bool,
}

const PATH: &str = "f.txt";

fn run(case: &Case) -> Step {
    let mut render = Files::new();
    if let Some(r) = case.render {
        render.insert(PATH.into(), r.into());
    }
    let mut lock = Lock::new();
    let mut bases = BTreeMap::new();
    if let Some(base) = case.base {
        lock.files.insert(PATH.into(), "0".repeat(40));
        bases.insert(PATH.to_owned(), base.map(str::to_owned));
    }
    if case.deleted {
        lock.deleted.push(PATH.into());
    }
    if case.owned {
        lock.user_owned.push(PATH.into());
    }
    if case.block {
        lock.blocks.push(PATH.into());
    }
    let disk = texts([(PATH, case.disk)]);
    let restore: BTreeSet<String> = case.restore.then(|| PATH.to_owned()).into_iter().collect();
    let mut plan = plan(&render, &lock, &disk, &bases, &restore);
    assert_eq!(plan.steps.len(), 1);
    plan.steps.remove(0)
}

fn check(case: Case, action: Action, content: Option<&str>, record: Record) {
    let step = run(&case);
    assert_eq!(
        (step.action, step.content.as_deref(), &step.record),
        (action, content, &record),
        "{}",
        step.reason
    );
}

/// A [`Disk`] from paths and their texts (`None`: absent).
fn texts<'a>(files: impl IntoIterator<Item = (&'a str, Option<&'a str>)>) -> Disk {
    files
        .into_iter()
        .filter_map(|(p, t)| Some((p.to_owned(), OnDisk::Text(t?.to_owned()))))
        .collect()
}

fn generated(s: &str) -> Record {
    Record::Generated(s.into())
}

#[test]
fn new_files_are_created() {
    let case = Case {
        render: Some("a\n"),
        ..Case::default()
    };
    check(case, Action::Create, Some("a\n"), generated("a\n"));
}

/// A created or replaced file's content and its lock record are one copy of the render,
/// and a merge (different text) is its own.
#[test]
fn written_render_and_record_share_one_copy() {
    let shared = |case: Case| {
        let step = run(&case);
        match (&step.content, &step.record) {
            (Some(content), Record::Generated(recorded)) => Arc::ptr_eq(content, recorded),
            other => panic!("{other:?}"),
        }
    };
    let created = Case {
        render: Some("a\n"),
        ..Case::default()
    };
    let replaced = Case {
        render: Some("new\n"),
        disk: Some("old\n"),
        base: Some(Some("old\n")),
        ..Case::default()
    };
    let merged = Case {
        render: Some("a\nb\nC\n"),
        disk: Some("A\nb\nc\n"),
        base: Some(Some("a\nb\nc\n")),
        ..Case::default()
    };
    assert!(shared(created));
    assert!(shared(replaced));
    assert!(!shared(merged));
}

#[test]
fn unedited_files_are_replaced() {
    let case = Case {
        render: Some("new\n"),
        disk: Some("old\n"),
        base: Some(Some("old\n")),
        ..Case::default()
    };
    check(case, Action::Update, Some("new\n"), generated("new\n"));
}

#[test]
fn edits_are_kept_when_the_render_is_unchanged() {
    let case = Case {
        render: Some("a\n"),
        disk: Some("mine\n"),
        base: Some(Some("a\n")),
        ..Case::default()
    };
    check(case, Action::Keep, None, generated("a\n"));
}

#[test]
fn separate_changes_merge() {
    let case = Case {
        render: Some("a\nb\nc\nd\nE\n"),
        disk: Some("a\nB\nc\nd\ne\n"),
        base: Some(Some("a\nb\nc\nd\ne\n")),
        ..Case::default()
    };
    check(
        case,
        Action::Merge,
        Some("a\nB\nc\nd\nE\n"),
        generated("a\nb\nc\nd\nE\n"),
    );
}

#[test]
fn overlapping_changes_conflict() {
    let step = run(&Case {
        render: Some("new\n"),
        disk: Some("mine\n"),
        base: Some(Some("old\n")),
        ..Case::default()
    });
    assert_eq!(step.action, Action::Conflict);
    let content = step.content.unwrap();
    assert!(merge::has_conflict_markers(&content));
    assert!(content.contains("mine\n") && content.contains("new\n"));
    assert_eq!(step.record, generated("new\n"));
}

#[test]
fn deleted_files_stay_deleted() {
    let case = Case {
        render: Some("a\n"),
        base: Some(Some("a\n")),
        ..Case::default()
    };
    check(case, Action::Keep, None, Record::Deleted);
    let case = Case {
        render: Some("a2\n"),
        deleted: true,
        ..Case::default()
    };
    check(case, Action::Keep, None, Record::Deleted);
}

#[test]
fn restore_brings_files_back() {
    let case = Case {
        render: Some("a\n"),
        deleted: true,
        restore: true,
        ..Case::default()
    };
    check(case, Action::Create, Some("a\n"), generated("a\n"));
}

#[test]
fn files_no_longer_generated_are_deleted_unless_edited() {
    let case = Case {
        disk: Some("a\n"),
        base: Some(Some("a\n")),
        ..Case::default()
    };
    check(case, Action::Delete, None, Record::Forget);
    let case = Case {
        disk: Some("mine\n"),
        base: Some(Some("a\n")),
        ..Case::default()
    };
    check(case, Action::Keep, None, Record::Forget);
    let case = Case {
        disk: Some("a\n"),
        base: Some(None),
        ..Case::default()
    };
    check(case, Action::Keep, None, Record::Forget);
}

#[test]
fn user_files_are_never_overwritten() {
    let case = Case {
        render: Some("a\n"),
        disk: Some("mine\n"),
        ..Case::default()
    };
    check(case, Action::Keep, None, Record::UserOwned);
    let case = Case {
        render: Some("a2\n"),
        disk: Some("mine\n"),
        owned: true,
        ..Case::default()
    };
    check(case, Action::Keep, None, Record::UserOwned);
    let case = Case {
        render: Some("a\n"),
        disk: Some("a\n"),
        owned: true,
        ..Case::default()
    };
    check(case, Action::Unchanged, None, generated("a\n"));
}

#[test]
fn a_missing_base_gives_a_whole_file_conflict() {
    let case = Case {
        render: Some("new\n"),
        disk: Some("mine\n"),
        base: Some(None),
        ..Case::default()
    };
    check(
        case,
        Action::Conflict,
        Some(&merge::whole_file_conflict("mine\n", "new\n")),
        generated("new\n"),
    );
    let case = Case {
        render: Some("new\n"),
        disk: Some("new\n"),
        base: Some(None),
        ..Case::default()
    };
    check(case, Action::Unchanged, None, generated("new\n"));
}

const CONFLICTED: &str = "a\n<<<<<<< yours (the file on disk)\nmine\n||||||| base (what scaffold generated last time)\nx\n=======\nnew\n>>>>>>> scaffold (generated from scaffold.toml now)\nc\n";

#[test]
fn a_file_with_conflict_markers_is_never_merged_into_again() {
    // The render moved on while the conflict was unresolved: merging would
    // nest markers, so the file waits and the lock keeps its base.
    let case = Case {
        render: Some("a\nnewer\nc\n"),
        disk: Some(CONFLICTED),
        base: Some(Some("a\nnew\nc\n")),
        ..Case::default()
    };
    check(case, Action::Unmerged, None, Record::Keep);
    // Without a base either: no whole-file conflict around the old one.
    let case = Case {
        render: Some("a\nnewer\nc\n"),
        disk: Some(CONFLICTED),
        base: Some(None),
        ..Case::default()
    };
    check(case, Action::Unmerged, None, Record::Keep);
}

#[test]
fn unresolved_markers_are_reported_while_the_render_is_unchanged() {
    let case = Case {
        render: Some("a\nnew\nc\n"),
        disk: Some(CONFLICTED),
        base: Some(Some("a\nnew\nc\n")),
        ..Case::default()
    };
    let step = run(&case);
    assert_eq!(step.action, Action::Unmerged, "{}", step.reason);
    assert!(step.action.needs_user() && !step.action.changes_disk());
    // A file no longer generated is not deleted or forgotten either.
    let case = Case {
        disk: Some(CONFLICTED),
        base: Some(Some("a\nnew\nc\n")),
        ..Case::default()
    };
    check(case, Action::Unmerged, None, Record::Keep);
}

#[test]
fn an_empty_generated_file_is_written_again() {
    let case = Case {
        render: Some("new\n"),
        disk: Some(""),
        base: Some(Some("old\n")),
        ..Case::default()
    };
    check(case, Action::Update, Some("new\n"), generated("new\n"));
    // An empty file that is not scaffold's stays the user's.
    let case = Case {
        render: Some("new\n"),
        disk: Some(""),
        ..Case::default()
    };
    check(case, Action::Keep, None, Record::UserOwned);
}

#[test]
fn resolved_conflicts_are_the_users_edits() {
    let case = Case {
        render: Some("a\nnew\nc\n"),
        disk: Some("a\nmine and new\nc\n"),
        base: Some(Some("a\nnew\nc\n")),
        ..Case::default()
    };
    check(case, Action::Keep, None, generated("a\nnew\nc\n"));
}

#[test]
fn crlf_files_equal_to_the_render_are_up_to_date() {
    let case = Case {
        render: Some("a\nb\n"),
        disk: Some("a\r\nb\r\n"),
        base: Some(Some("a\nb\n")),
        ..Case::default()
    };
    check(case, Action::Unchanged, None, generated("a\nb\n"));
    // Not even a base is needed to see that.
    let case = Case {
        render: Some("a\nb\n"),
        disk: Some("a\r\nb\r\n"),
        ..Case::default()
    };
    check(case, Action::Unchanged, None, generated("a\nb\n"));
}

#[test]
fn crlf_files_merge_and_keep_their_line_endings() {
    let case = Case {
        render: Some("a\nb\nc\nd\nE\n"),
        disk: Some("a\r\nB\r\nc\r\nd\r\ne\r\n"),
        base: Some(Some("a\nb\nc\nd\ne\n")),
        ..Case::default()
    };
    let step = run(&case);
    assert_eq!(step.action, Action::Merge);
    assert_eq!(step.content.as_deref(), Some("a\r\nB\r\nc\r\nd\r\nE\r\n"));
    assert_eq!(step.diff().matches("\n-").count(), 1, "{}", step.diff());
    let case = Case {
        render: Some("new\n"),
        disk: Some("old\r\n"),
        base: Some(Some("old\n")),
        ..Case::default()
    };
    check(case, Action::Update, Some("new\r\n"), generated("new\n"));
}

fn not_text(case: Case) -> Step {
    let mut render = Files::new();
    if let Some(r) = case.render {
        render.insert(PATH.into(), r.into());
    }
    let mut lock = Lock::new();
    let mut bases = BTreeMap::new();
    if let Some(base) = case.base {
        lock.files.insert(PATH.into(), "0".repeat(40));
        bases.insert(PATH.to_owned(), base.map(str::to_owned));
    }
    let disk = Disk::from([(PATH.to_owned(), OnDisk::NotText)]);
    let restore: BTreeSet<String> = case.restore.then(|| PATH.to_owned()).into_iter().collect();
    plan(&render, &lock, &disk, &bases, &restore)
        .steps
        .remove(0)
}

#[test]
fn files_that_are_not_utf8_are_never_merged_overwritten_or_deleted() {
    let step = not_text(Case {
        render: Some("new\n"),
        base: Some(Some("old\n")),
        ..Case::default()
    });
    assert_eq!(
        (step.action, &step.record, &step.content),
        (Action::Unmerged, &Record::Keep, &None)
    );
    assert!(step.reason.contains("not UTF-8"), "{}", step.reason);
    let step = not_text(Case {
        render: Some("old\n"),
        base: Some(Some("old\n")),
        ..Case::default()
    });
    assert_eq!((step.action, &step.record), (Action::Keep, &Record::Keep));
    let step = not_text(Case {
        base: Some(Some("old\n")),
        ..Case::default()
    });
    assert_eq!((step.action, &step.record), (Action::Keep, &Record::Forget));
    let step = not_text(Case {
        render: Some("new\n"),
        ..Case::default()
    });
    assert_eq!(
        (step.action, &step.record),
        (Action::Keep, &Record::UserOwned)
    );
    let step = not_text(Case {
        render: Some("new\n"),
        base: Some(Some("old\n")),
        restore: true,
        ..Case::default()
    });
    assert_eq!(
        (step.action, step.content.as_deref()),
        (Action::Update, Some("new\n"))
    );
}

#[test]
fn the_next_lock_keeps_the_base_of_an_unmerged_file() {
    let render = Files::from([(PATH.to_owned(), "a\nnewer\nc\n".to_owned())]);
    let mut lock = Lock::new();
    lock.files.insert(PATH.into(), "base-id".into());
    let bases = BTreeMap::from([(PATH.to_owned(), Some("a\nnew\nc\n".to_owned()))]);
    let disk = texts([(PATH, Some(CONFLICTED))]);
    let plan = plan(&render, &lock, &disk, &bases, &BTreeSet::new());
    assert_eq!(plan.unresolved().count(), 1);
    let next = plan
        .next_lock(&lock, |c| Ok::<_, ()>(c.to_owned()))
        .unwrap();
    assert_eq!(next.files[PATH], "base-id");
}

#[test]
fn paths_that_must_be_both_file_and_folder_are_found() {
    let files: Files = [
        "compose.yaml",
        "compose.yaml-x",
        "compose.yaml/Dockerfile",
        "a/b",
        "a/c",
    ]
    .into_iter()
    .map(|p| (p.to_owned(), String::new()))
    .collect();
    assert_eq!(
        path_clashes(&files),
        vec![("compose.yaml", "compose.yaml/Dockerfile")]
    );
}

const BLOCK: &str = "<!-- scaffold:begin -->\nscaffold v1\n<!-- scaffold:end -->\n";
const BLOCK2: &str = "<!-- scaffold:begin -->\nscaffold v2\n<!-- scaffold:end -->\n";

#[test]
fn blocks_are_appended_to_the_users_file() {
    let case = Case {
        render: Some(BLOCK),
        disk: Some("# Mine\n"),
        ..Case::default()
    };
    let expect = format!("# Mine\n\n{BLOCK}");
    check(
        case,
        Action::Update,
        Some(&expect),
        Record::Block(BLOCK.into()),
    );
}

#[test]
fn blocks_are_updated_in_place() {
    let disk: &'static str =
        "# Mine\n\n<!-- scaffold:begin -->\nscaffold v1\n<!-- scaffold:end -->\n\nTail\n";
    let case = Case {
        render: Some(BLOCK2),
        disk: Some(disk),
        base: Some(Some(BLOCK)),
        block: true,
        ..Case::default()
    };
    let expect = format!("# Mine\n\n{BLOCK2}\nTail\n");
    check(
        case,
        Action::Update,
        Some(&expect),
        Record::Block(BLOCK2.into()),
    );
}

const README: &str = "# Title\n\n<!-- scaffold:begin -->\nscaffold v2\n<!-- scaffold:end -->\n";

#[test]
fn only_the_block_of_a_rendered_file_goes_into_the_users_file() {
    let case = Case {
        render: Some(README),
        disk: Some("# Mine\n\n<!-- scaffold:begin -->\nold\n<!-- scaffold:end -->\n"),
        ..Case::default()
    };
    let expect = format!("# Mine\n\n{BLOCK2}");
    check(
        case,
        Action::Update,
        Some(&expect),
        Record::Block(BLOCK2.into()),
    );
    let case = Case {
        render: Some(README),
        ..Case::default()
    };
    check(case, Action::Create, Some(README), generated(README));
}

#[test]
fn edits_inside_a_block_merge() {
    const B: &str = "<!-- scaffold:begin -->\none\ntwo\nthree\nfour\n<!-- scaffold:end -->\n";
    const R: &str =
        "# Title\n<!-- scaffold:begin -->\none\ntwo\nthree\nFOUR\n<!-- scaffold:end -->\n";
    let case = Case {
        render: Some(R),
        disk: Some(
            "# Mine\n<!-- scaffold:begin -->\none\nmine\ntwo\nthree\nfour\n<!-- scaffold:end -->\nTail\n",
        ),
        base: Some(Some(B)),
        block: true,
        ..Case::default()
    };
    check(
        case,
        Action::Merge,
        Some(
            "# Mine\n<!-- scaffold:begin -->\none\nmine\ntwo\nthree\nFOUR\n<!-- scaffold:end -->\nTail\n",
        ),
        Record::Block(block::extract(R).unwrap().into()),
    );
}

#[test]
fn a_removed_block_stays_removed() {
    let case = Case {
        render: Some(README),
        disk: Some("# Mine\n"),
        base: Some(Some(BLOCK)),
        block: true,
        ..Case::default()
    };
    check(case, Action::Keep, None, Record::Deleted);
    // And the next sync remembers it.
    let case = Case {
        render: Some(README),
        disk: Some("# Mine\n"),
        deleted: true,
        ..Case::default()
    };
    check(case, Action::Keep, None, Record::Deleted);
}

#[test]
fn a_generated_file_with_a_block_merges_whole() {
    let case = Case {
        render: Some(README),
        disk: Some(
            "# Title\nmine\n\n<!-- scaffold:begin -->\nscaffold v1\n<!-- scaffold:end -->\n",
        ),
        base: Some(Some(
            "# Title\n\n<!-- scaffold:begin -->\nscaffold v1\n<!-- scaffold:end -->\n",
        )),
        ..Case::default()
    };
    check(
        case,
        Action::Merge,
        Some("# Title\nmine\n\n<!-- scaffold:begin -->\nscaffold v2\n<!-- scaffold:end -->\n"),
        generated(README),
    );
}

#[test]
fn blocks_no_longer_generated_are_removed() {
    let disk: &'static str =
        "# Mine\n\n<!-- scaffold:begin -->\nscaffold v1\n<!-- scaffold:end -->\n";
    let case = Case {
        disk: Some(disk),
        base: Some(Some(BLOCK)),
        block: true,
        ..Case::default()
    };
    check(case, Action::Update, Some("# Mine\n"), Record::Forget);
}

#[test]
fn the_next_lock_is_unchanged_when_nothing_changes() {
    let render = Files::from([("a".to_owned(), "x\n".to_owned())]);
    let disk = texts([("a", Some("x\n"))]);
    let mut lock = Lock::new();
    lock.scaffold = "0.0.1".into();
    lock.files.insert("a".into(), "id-of-x\n".into());
    let bases = BTreeMap::from([("a".to_owned(), Some("x\n".to_owned()))]);
    let plan = plan(&render, &lock, &disk, &bases, &BTreeSet::new());
    let next = plan
        .next_lock(&lock, |c| Ok::<_, ()>(format!("id-of-{c}")))
        .unwrap();
    assert_eq!(next, lock);
}

#[test]
fn recorded_is_every_content_the_next_lock_asks_the_id_of() {
    // Two files created, one the user's (no id asked), one whose block is recorded.
    let block = "<!-- scaffold:begin -->\nours\n<!-- scaffold:end -->\n";
    let render = Files::from([
        ("a".to_owned(), "x\n".to_owned()),
        ("b".to_owned(), "y\n".to_owned()),
        ("c".to_owned(), "z\n".to_owned()),
        ("d".to_owned(), block.to_owned()),
    ]);
    let disk = texts([("c", Some("mine\n")), ("d", Some("# Mine\n"))]);
    let plan = plan(
        &render,
        &Lock::new(),
        &disk,
        &BTreeMap::new(),
        &BTreeSet::new(),
    );
    let place = |text: &str| (text.as_ptr(), text.len());
    let mut asked = Vec::new();
    plan.next_lock(&Lock::new(), |content| {
        asked.push(place(content));
        Ok::<_, ()>(String::new())
    })
    .unwrap();
    let recorded: Vec<_> = plan.recorded().map(place).collect();
    assert_eq!(recorded, asked);
    assert_eq!(recorded.len(), 3, "{:#?}", plan.steps);
}

/// Applies `plan` to `disk` the way the CLI does.
fn apply(plan: &Plan, disk: &mut Disk) {
    for step in &plan.steps {
        match (&step.content, step.action) {
            (Some(content), _) => {
                disk.insert(step.path.clone(), OnDisk::Text(content.to_string()));
            }
            (None, Action::Delete) => {
                disk.remove(&step.path);
            }
            _ => {}
        }
    }
}

/// The text of `path` in `disk`.
fn text_of<'a>(disk: &'a Disk, path: &str) -> Option<&'a str> {
    match disk.get(path) {
        Some(OnDisk::Text(text)) => Some(text),
        _ => None,
    }
}

/// A template change: for each base line, keep, drop or replace it, and
/// maybe insert a new line after it.
#[derive(Debug, Clone)]
enum Change {
    Keep,
    Drop,
    Replace,
    InsertAfter,
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        6 => Just(Change::Keep),
        1 => Just(Change::Drop),
        1 => Just(Change::Replace),
        1 => Just(Change::InsertAfter),
    ]
}

proptest! {
    /// For random user insertions of arbitrary Unicode text and random
    /// template changes, in files with `\n` or `\r\n` line endings, every
    /// line the user added is in the file after sync (merged or inside a
    /// conflict block), every line scaffold added is too, nothing panics,
    /// and a second sync does nothing.
    #[test]
    fn user_lines_survive_sync(
        base_len in 0usize..12,
        changes in proptest::collection::vec(change(), 12),
        insertions in proptest::collection::vec((0usize..13, 1usize..3), 0..5),
        words in proptest::collection::vec("[^\n\r]{0,10}", 12),
        crlf in any::<bool>(),
    ) {
        let base: Vec<String> = (0..base_len).map(|i| format!("line {i} {}", words[i])).collect();
        let mut theirs = Vec::new();
        let mut template_lines = Vec::new();
        for (i, line) in base.iter().enumerate() {
            match changes[i] {
                Change::Keep => theirs.push(line.clone()),
                Change::Drop => {}
                Change::Replace => {
                    let new = format!("template replaced {i}");
                    template_lines.push(new.clone());
                    theirs.push(new);
                }
                Change::InsertAfter => {
                    theirs.push(line.clone());
                    let new = format!("template added {i}");
                    template_lines.push(new.clone());
                    theirs.push(new);
                }
            }
        }
        let mut ours = base.clone();
        let mut user_lines = Vec::new();
        for (n, (at, count)) in insertions.iter().enumerate() {
            let at = (*at).min(ours.len());
            for k in 0..*count {
                let line = format!("user {n}.{k} {}", words[(n + k) % words.len()]);
                user_lines.push(line.clone());
                ours.insert(at + k, line);
            }
        }
        let text = |lines: &[String]| lines.iter().map(|l| format!("{l}\n")).collect::<String>();
        let (base, ours, theirs) = (text(&base), text(&ours), text(&theirs));
        let ours = if crlf { ours.replace('\n', "\r\n") } else { ours };

        let render = Files::from([(PATH.to_owned(), theirs.clone())]);
        let mut lock = Lock::new();
        lock.files.insert(PATH.into(), "base".into());
        let bases = BTreeMap::from([(PATH.to_owned(), Some(base.clone()))]);
        let mut disk = texts([(PATH, Some(ours.as_str()))]);
        let first = plan(&render, &lock, &disk, &bases, &BTreeSet::new());
        apply(&first, &mut disk);
        let after = text_of(&disk, PATH).expect("sync never deletes an edited file").to_owned();
        if crlf && after.contains('\n') {
            prop_assert_eq!(after.matches('\n').count(), after.matches("\r\n").count());
        }
        let after = after.replace("\r\n", "\n");
        let lines: BTreeSet<&str> = after.lines().collect();
        for line in user_lines.iter().chain(&template_lines) {
            prop_assert!(lines.contains(line.as_str()), "{line:?} lost:\n{after}");
        }
        if first.steps[0].action != Action::Conflict {
            prop_assert!(!merge::has_conflict_markers(&after));
        }

        // The second sync, from the recorded base, does nothing.
        let lock = first.next_lock(&lock, |c| Ok::<_, ()>(c.to_owned())).unwrap();
        let bases: BTreeMap<String, Option<String>> =
            lock.files.iter().map(|(p, c)| (p.clone(), Some(c.clone()))).collect();
        let second = plan(&render, &lock, &disk, &bases, &BTreeSet::new());
        prop_assert_eq!(second.changes().count(), 0);
        prop_assert_eq!(second.next_lock(&lock, |c| Ok::<_, ()>(c.to_owned())).unwrap(), lock);

        // The same inputs give the same merge.
        let again = plan(&render, &Lock { files: BTreeMap::from([(PATH.into(), "base".into())]), ..Lock::new() },
            &texts([(PATH, Some(ours.as_str()))]),
            &BTreeMap::from([(PATH.to_owned(), Some(base))]), &BTreeSet::new());
        prop_assert_eq!(&again.steps, &first.steps);
    }
}

/// What the lock says about the path before a sync.
#[derive(Debug, Clone)]
enum Status {
    Untracked,
    Tracked(Option<&'static str>),
    TrackedBlock(Option<&'static str>),
    Deleted,
    Owned,
}

const TEXTS: &[&str] = &[
    "a\nb\nc\n",
    "a\nB\nc\n",
    "a\nb\nc\nmine\n",
    "mine\n",
    "# T\n<!-- scaffold:begin -->\nx\n<!-- scaffold:end -->\n",
    "# T\n<!-- scaffold:begin -->\ny\n<!-- scaffold:end -->\n",
    "<!-- scaffold:begin -->\nx\n<!-- scaffold:end -->\n",
    "# Mine\n",
    "# Mine\n\n<!-- scaffold:begin -->\nz\n<!-- scaffold:end -->\n",
];

fn text() -> impl Strategy<Value = &'static str> {
    proptest::sample::select(TEXTS)
}

fn status() -> impl Strategy<Value = Status> {
    prop_oneof![
        Just(Status::Untracked),
        proptest::option::of(text()).prop_map(Status::Tracked),
        proptest::option::of(text()).prop_map(Status::TrackedBlock),
        Just(Status::Deleted),
        Just(Status::Owned),
    ]
}

proptest! {
    /// Whatever the state of a path, a sync followed by a second sync: the
    /// second changes no file and leaves the lock as the first wrote it.
    #[test]
    fn a_second_sync_does_nothing(
        render in proptest::option::of(text()),
        disk in proptest::option::of(text()),
        status in status(),
        restore in any::<bool>(),
    ) {
        let files: Files = render.map(|r| (PATH.to_owned(), r.to_owned())).into_iter().collect();
        let mut lock = Lock::new();
        let mut bases = BTreeMap::new();
        match &status {
            Status::Untracked => {}
            Status::Tracked(base) | Status::TrackedBlock(base) => {
                lock.files.insert(PATH.into(), "id".into());
                bases.insert(PATH.to_owned(), base.map(str::to_owned));
                if matches!(status, Status::TrackedBlock(_)) {
                    lock.blocks.push(PATH.into());
                }
            }
            Status::Deleted => lock.deleted.push(PATH.into()),
            Status::Owned => lock.user_owned.push(PATH.into()),
        }
        let restore: BTreeSet<String> = (restore && render.is_some())
            .then(|| PATH.to_owned())
            .into_iter()
            .collect();
        let mut on_disk = texts([(PATH, disk)]);

        let first = plan(&files, &lock, &on_disk, &bases, &restore);
        apply(&first, &mut on_disk);
        let next = first.next_lock(&lock, |c| Ok::<_, ()>(c.to_owned())).unwrap();
        let bases: BTreeMap<String, Option<String>> =
            next.files.iter().map(|(p, c)| (p.clone(), Some(c.clone()))).collect();
        let second = plan(&files, &next, &on_disk, &bases, &BTreeSet::new());
        prop_assert_eq!(second.changes().count(), 0, "{:?}", second.steps);
        prop_assert_eq!(second.next_lock(&next, |c| Ok::<_, ()>(c.to_owned())).unwrap(), next);
    }
}

proptest! {
    /// After a sync, with the same render, the planner that does without
    /// the render agrees with the full one whenever it answers: same
    /// actions, same reasons, and a lock that does not change.
    #[test]
    fn planning_without_the_render_agrees_with_planning_with_it(
        render in proptest::option::of(text()),
        disk in proptest::option::of(text()),
        status in status(),
        edit in proptest::option::of(proptest::option::of(text())),
    ) {
        let files: Files = render.map(|r| (PATH.to_owned(), r.to_owned())).into_iter().collect();
        let mut lock = Lock::new();
        let mut bases = BTreeMap::new();
        match &status {
            Status::Untracked => {}
            Status::Tracked(base) | Status::TrackedBlock(base) => {
                lock.files.insert(PATH.into(), "id".into());
                bases.insert(PATH.to_owned(), base.map(str::to_owned));
                if matches!(status, Status::TrackedBlock(_)) {
                    lock.blocks.push(PATH.into());
                }
            }
            Status::Deleted => lock.deleted.push(PATH.into()),
            Status::Owned => lock.user_owned.push(PATH.into()),
        }
        let mut on_disk = texts([(PATH, disk)]);
        let first = plan(&files, &lock, &on_disk, &bases, &BTreeSet::new());
        apply(&first, &mut on_disk);
        let lock = first.next_lock(&lock, |c| Ok::<_, ()>(c.to_owned())).unwrap();
        // The cache is written only when the lock records this very render.
        let render_paths: BTreeSet<&String> = files.keys().collect();
        let recorded = lock.files.iter().all(|(p, id)| {
            let view = if lock.blocks.contains(p) {
                block::extract(&files[p])
            } else {
                Some(files[p].as_str())
            };
            view == Some(id.as_str())
        });
        prop_assume!(render_paths == lock.paths() && recorded);
        let others: KnownRender = lock
            .deleted
            .iter()
            .chain(&lock.user_owned)
            .map(|p| (p.clone(), block::extract(&files[p]).is_none().then(|| files[p].clone())))
            .collect();
        // The user may change the file afterwards.
        if let Some(edit) = edit {
            on_disk = texts([(PATH, edit)]);
        }
        let bases: BTreeMap<String, Option<String>> =
            lock.files.iter().map(|(p, c)| (p.clone(), Some(c.clone()))).collect();
        let full = plan(&files, &lock, &on_disk, &bases, &BTreeSet::new());
        if let Some(fast) = plan_known_render(&lock, &on_disk, &others, str::to_owned) {
            let summary = |p: &Plan| {
                p.steps
                    .iter()
                    .map(|s| (s.path.clone(), s.action, s.reason.clone()))
                    .collect::<Vec<_>>()
            };
            prop_assert_eq!(summary(&fast), summary(&full));
            prop_assert_eq!(full.changes().count(), 0);
            prop_assert_eq!(full.next_lock(&lock, |c| Ok::<_, ()>(c.to_owned())).unwrap(), lock.clone());
            prop_assert_eq!(fast.next_lock(&lock, |c| Ok::<_, ()>(c.to_owned())).unwrap(), lock);
        }
    }
}
