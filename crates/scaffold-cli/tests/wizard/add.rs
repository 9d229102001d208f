//! `scaffold add`: edits scaffold.toml in place, keeping comments, and writes the new files.

use assert_cmd::Command;

use super::common::{Repo, assert_in_order, bin};

fn repo_with_defaults() -> Repo {
    let repo = Repo::new("shop", None);
    Command::new(bin())
        .args(["new", "--defaults"])
        .current_dir(&repo.path)
        .assert()
        .success();
    repo
}

fn add(repo: &Repo, args: &[&str]) -> assert_cmd::assert::Assert {
    Command::new(bin())
        .arg("add")
        .args(args)
        .current_dir(&repo.path)
        .write_stdin("")
        .assert()
}

#[test]
fn add_service_with_flags_keeps_comments_and_writes_its_files() {
    let repo = repo_with_defaults();
    let before = repo.read("scaffold.toml").unwrap();
    // A service folder named with --path must exist (scaffold writes a starter app into it).
    std::fs::create_dir_all(repo.path.join("services/api")).unwrap();
    let out = add(
        &repo,
        &[
            "service",
            "--name",
            "api",
            "--language",
            "go",
            "--path",
            "services/api",
            "--uses",
            "db",
        ],
    )
    .success()
    .stdout(predicates::str::contains(
        "update  scaffold.toml (service `api` added)",
    ));
    // Every file reported as created exists and is recorded in the lock.
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let lock = repo.read(".scaffold/lock.toml").unwrap();
    for path in stdout
        .lines()
        .filter_map(|l| l.trim().strip_prefix("create  "))
        .map(|rest| rest.split(" (").next().unwrap_or(rest).trim())
    {
        assert!(repo.read(path).is_some(), "{path}");
        assert!(lock.contains(path), "{path} not in\n{lock}");
    }
    let after = repo.read("scaffold.toml").unwrap();
    assert!(after.starts_with(before.lines().next().unwrap()));
    assert!(
        after.contains("# relative to the repository root"),
        "{after}"
    );
    assert!(
        after.contains("name = \"api\"\nlanguage = \"go\""),
        "{after}"
    );
}

#[test]
fn add_datastore_and_environment() {
    let repo = repo_with_defaults();
    add(
        &repo,
        &[
            "datastore",
            "--name",
            "cache",
            "--engine",
            "redis",
            "--used-by",
            "shop",
        ],
    )
    .success();
    add(&repo, &["environment", "--name", "uat", "--approval"]).success();
    let text = repo.read("scaffold.toml").unwrap();
    assert!(text.contains("uses = [\"db\", \"cache\"]"), "{text}");
    assert_in_order(
        &text,
        &[
            "name = \"staging\"",
            "name = \"uat\"",
            "name = \"production\"",
        ],
    );
}

#[test]
fn an_invalid_addition_writes_nothing() {
    let repo = repo_with_defaults();
    let before = repo.read("scaffold.toml").unwrap();
    add(&repo, &["service", "--name", "db", "--language", "go"])
        .code(2)
        .stderr(predicates::str::contains("nothing was written"));
    add(&repo, &["service", "--name", "x"])
        .code(2)
        .stderr(predicates::str::contains("--language"));
    assert_eq!(repo.read("scaffold.toml").unwrap(), before);
}

#[test]
fn add_service_by_path_takes_what_detection_finds() {
    let repo = repo_with_defaults();
    std::fs::create_dir_all(repo.path.join("services/billing")).unwrap();
    std::fs::write(
        repo.path.join("services/billing/pyproject.toml"),
        "[project]\nname = \"billing\"\ndependencies = [\"fastapi\"]\n",
    )
    .unwrap();
    std::fs::write(repo.path.join("services/billing/uv.lock"), "version = 1\n").unwrap();
    add(&repo, &["service", "--path", "services/billing"]).success();
    let text = repo.read("scaffold.toml").unwrap();
    assert!(
        text.contains("name = \"billing\"\nlanguage = \"python\"\npackage_manager = \"uv\"\npath = \"services/billing\"\nport = 8000"),
        "{text}"
    );
}
