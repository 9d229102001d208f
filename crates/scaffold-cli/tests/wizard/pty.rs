//! The wizard driven over a pseudo-terminal, as a person would use it.
//!
//! Keys: Enter is `\r`, the down arrow `\x1b[B`, space toggles a multi-select.

use std::process::Command;
use std::time::Duration;

use expectrl::process::unix::WaitStatus;
use expectrl::{ControlCode, Eof, Expect, Session};

use super::common::{MONOREPO_SERVICES, Repo, assert_in_order, bin};

const ENTER: &str = "\r";
const DOWN: &str = "\x1b[B";

type Pty = expectrl::session::OsSession;

fn spawn(repo: &Repo, args: &[&str]) -> Pty {
    let mut command = Command::new(bin());
    command.args(args).current_dir(&repo.path);
    command.env("TERM", "xterm");
    let mut session = Session::spawn(command).expect("spawning scaffold on a pty");
    session.set_expect_timeout(Some(Duration::from_secs(30)));
    session
}

/// Waits for `prompt`, then types `keys`.
fn step(p: &mut Pty, prompt: &str, keys: &str) {
    p.expect(prompt)
        .unwrap_or_else(|err| panic!("waiting for {prompt:?}: {err}"));
    p.send(keys).unwrap();
}

/// The prompts of a run with nothing preset, in order, each answered with Enter.
const DEFAULT_RUN: &[&str] = &[
    "App name",
    "GitHub repository",
    "Keep these services",
    "Keep these datastores",
    "Environments",
    "Other environments",
    "Which deploy automatically on a push?",
    "Branch that deploys staging",
    "Which wait for approval?",
    "Availability target",
    "Cloud provider",
    "Region",
    "Disaster-recovery region",
    "Delivery strategy",
    "Container registry",
    "Use GitOps",
    "Runners for deploy and Terraform jobs",
    "Owners",
    "Team size",
    "Write scaffold.toml and these files?",
];

fn finish(p: &mut Pty, code: i32) {
    p.expect(Eof).unwrap();
    let status = p.get_process().wait().unwrap();
    assert!(
        matches!(status, WaitStatus::Exited(_, c) if c == code),
        "{status:?}"
    );
}

#[test]
fn enter_through_the_wizard_in_a_monorepo_gives_the_defaults_answers() {
    // The newcomer: a fresh monorepo with a Node front end, a Go API and a Python worker.
    let wizard = Repo::new("acme", Some("monorepo"));
    let mut p = spawn(&wizard, &["new"]);
    p.expect("Detected 3 service(s)").unwrap();
    for prompt in DEFAULT_RUN {
        step(&mut p, prompt, ENTER);
    }
    p.expect("scaffold: wrote scaffold.toml").unwrap();
    finish(&mut p, 0);
    let answers = wizard.read("scaffold.toml").unwrap();
    for expect in MONOREPO_SERVICES {
        assert!(answers.contains(expect), "missing {expect:?} in\n{answers}");
    }

    // The same repository with --defaults gives the same answers.
    let defaults = Repo::new("acme", Some("monorepo"));
    assert_cmd::Command::new(bin())
        .args(["new", "--defaults"])
        .current_dir(&defaults.path)
        .assert()
        .success();
    assert_eq!(defaults.read("scaffold.toml").unwrap(), answers);
}

#[test]
fn change_cloud_and_add_an_environment() {
    let repo = Repo::new("shop", None);
    let mut p = spawn(&repo, &["new"]);
    for prompt in &DEFAULT_RUN[..4] {
        step(&mut p, prompt, ENTER);
    }
    // dev, staging, uat, production: move to uat and tick it.
    step(&mut p, "Environments", &format!("{DOWN}{DOWN} {ENTER}"));
    for prompt in &DEFAULT_RUN[5..10] {
        step(&mut p, prompt, ENTER);
    }
    step(&mut p, "Cloud provider", &format!("{DOWN}{ENTER}"));
    for prompt in &DEFAULT_RUN[11..] {
        step(&mut p, prompt, ENTER);
    }
    finish(&mut p, 0);
    let text = repo.read("scaffold.toml").unwrap();
    assert!(text.contains("provider = \"gcp\""), "{text}");
    // The provider's default region stays implicit: it resolves to us-central1.
    assert!(
        !text.contains("us-east-1") && text.contains("# region = "),
        "{text}"
    );
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
fn an_invalid_name_is_rejected_with_the_reason_and_asked_again() {
    let repo = Repo::new("shop", None);
    let mut p = spawn(&repo, &["new"]);
    step(&mut p, "App name", &format!("My App{ENTER}"));
    p.expect("must start with a lowercase letter").unwrap();
    step(&mut p, "App name", &format!("{}{ENTER}", "x".repeat(31)));
    p.expect("at most 30 are allowed").unwrap();
    step(&mut p, "App name", &format!("shop-2{ENTER}"));
    for prompt in &DEFAULT_RUN[1..] {
        step(&mut p, prompt, ENTER);
    }
    finish(&mut p, 0);
    assert!(
        repo.read("scaffold.toml")
            .unwrap()
            .contains("name = \"shop-2\"")
    );
}

#[test]
fn ctrl_c_writes_nothing_and_restores_the_cursor() {
    let repo = Repo::new("shop", None);
    let mut p = spawn(&repo, &["new"]);
    step(&mut p, "App name", ENTER);
    step(&mut p, "GitHub repository", ENTER);
    // Interrupt inside a menu, which hides the cursor while it is open.
    p.expect("Keep these services").unwrap();
    p.send(ControlCode::EndOfText).unwrap();
    p.expect("\x1b[?25h").expect("the cursor is shown again");
    p.expect("cancelled; nothing was written").unwrap();
    finish(&mut p, 130);
    let written: Vec<_> = std::fs::read_dir(&repo.path)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|name| name != ".git")
        .collect();
    assert!(written.is_empty(), "{written:?}");
}

#[test]
fn keys_given_with_set_are_not_asked() {
    let repo = Repo::new("shop", None);
    let mut p = spawn(
        &repo,
        &[
            "new",
            "--set",
            "app.name=market",
            "--set",
            "cloud.provider=azure",
        ],
    );
    // Neither the app name nor the cloud is asked; the region follows the cloud.
    for prompt in DEFAULT_RUN[1..].iter().filter(|p| **p != "Cloud provider") {
        step(&mut p, prompt, ENTER);
    }
    finish(&mut p, 0);
    let text = repo.read("scaffold.toml").unwrap();
    assert!(text.contains("name = \"market\""), "{text}");
    assert!(text.contains("provider = \"azure\""), "{text}");
    assert!(
        !text.contains("us-east-1") && text.contains("# region = "),
        "{text}"
    );
}

#[test]
fn add_environment_asks_what_the_flags_leave_open() {
    let repo = Repo::new("shop", None);
    assert_cmd::Command::new(bin())
        .args(["new", "--defaults"])
        .current_dir(&repo.path)
        .assert()
        .success();
    let mut p = spawn(&repo, &["add", "environment"]);
    step(&mut p, "Environment name", &format!("Staging{ENTER}"));
    p.expect("must start with a lowercase letter").unwrap();
    step(&mut p, "Environment name", &format!("uat{ENTER}"));
    step(&mut p, "Where in the promotion order?", ENTER);
    step(&mut p, "Branch that deploys it on push", ENTER);
    step(&mut p, "Wait for a reviewer's approval?", ENTER);
    p.expect("environment `uat` added").unwrap();
    finish(&mut p, 0);
    let text = repo.read("scaffold.toml").unwrap();
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
fn the_repository_is_read_from_origin_and_not_asked() {
    let repo = Repo::new("shop", None);
    for args in [
        &["init", "-q"][..],
        &["remote", "add", "origin", "git@github.com:acme/shop.git"][..],
    ] {
        let status = Command::new("git")
            .args(args)
            .current_dir(&repo.path)
            .status()
            .unwrap();
        assert!(status.success());
    }
    let mut p = spawn(&repo, &["new"]);
    p.expect("acme/shop").unwrap();
    p.expect("(from the git remote `origin`)").unwrap();
    for prompt in DEFAULT_RUN.iter().filter(|p| **p != "GitHub repository") {
        step(&mut p, prompt, ENTER);
    }
    finish(&mut p, 0);
    let text = repo.read("scaffold.toml").unwrap();
    assert!(text.contains("# repository = \"owner/name\""), "{text}");
}

#[test]
fn a_detected_service_can_be_edited() {
    let repo = Repo::new("acme", Some("monorepo"));
    let mut p = spawn(&repo, &["new"]);
    step(&mut p, "App name", ENTER);
    step(&mut p, "GitHub repository", ENTER);
    // Edit a service → the second one (api) → keep name, language, path, kind; port 9000; keep public.
    step(&mut p, "Keep these services", &format!("{DOWN}{ENTER}"));
    step(&mut p, "Which service?", &format!("{DOWN}{ENTER}"));
    step(&mut p, "Service name", ENTER);
    step(&mut p, "Language", ENTER);
    step(&mut p, "Path", ENTER);
    step(&mut p, "Kind", ENTER);
    step(&mut p, "Port", &format!("{}80{ENTER}", "\x7f".repeat(4)));
    p.expect("port 80 is privileged").unwrap();
    step(&mut p, "Port", &format!("{}9000{ENTER}", "\x7f".repeat(2)));
    step(&mut p, "Public?", ENTER);
    // A service's datastores can be changed too; Enter keeps the ones it uses.
    step(&mut p, "Which datastores does it connect to?", ENTER);
    for prompt in &DEFAULT_RUN[2..] {
        step(&mut p, prompt, ENTER);
    }
    finish(&mut p, 0);
    let text = repo.read("scaffold.toml").unwrap();
    assert!(
        text.contains("path = \"services/api\"  # relative to the repository root\nport = 9000"),
        "{text}"
    );
}

/// The index of `section` in the "Change which answers?" menu, as down-arrow presses.
fn section(index: usize) -> String {
    format!("{}{ENTER}", DOWN.repeat(index))
}

#[test]
fn declining_returns_to_one_answer_and_keeps_the_rest() {
    let repo = Repo::new("shop", None);
    let mut p = spawn(&repo, &["new", "--set", "app.team_size=4"]);
    // Everything but the team size (given with --set) and the confirmation.
    for prompt in &DEFAULT_RUN[..DEFAULT_RUN.len() - 2] {
        step(&mut p, prompt, ENTER);
    }
    // The summary is the last thing before the question, the files collapsed to counts per folder.
    p.expect("Summary").unwrap();
    p.expect("Files: scaffold.toml and").unwrap();
    p.expect(".github/workflows").unwrap();
    // No: change the cloud and regions, and nothing else.
    step(
        &mut p,
        "Write scaffold.toml and these files?",
        &format!("{DOWN}{ENTER}"),
    );
    step(&mut p, "Change which answers?", &section(5));
    step(&mut p, "Cloud provider", ENTER);
    step(&mut p, "Region", &format!("eu-west-1{ENTER}"));
    step(&mut p, "Disaster-recovery region", ENTER);
    p.expect("eu-west-1").unwrap();
    // Every file on request, then yes.
    step(
        &mut p,
        "Write scaffold.toml and these files?",
        &format!("{DOWN}{DOWN}{ENTER}"),
    );
    p.expect("create  .github/workflows/ci.yml").unwrap();
    step(&mut p, "Write scaffold.toml and these files?", ENTER);
    finish(&mut p, 0);
    let text = repo.read("scaffold.toml").unwrap();
    assert!(text.contains("region = \"eu-west-1\""), "{text}");
    // The --set answer survived: it was never asked, and changing the cloud left it alone.
    assert!(text.contains("team_size = 4"), "{text}");
}

#[test]
fn quitting_at_the_summary_writes_nothing() {
    let repo = Repo::new("shop", None);
    let mut p = spawn(&repo, &["new"]);
    for prompt in &DEFAULT_RUN[..DEFAULT_RUN.len() - 1] {
        step(&mut p, prompt, ENTER);
    }
    step(
        &mut p,
        "Write scaffold.toml and these files?",
        &format!("{DOWN}{DOWN}{DOWN}{ENTER}"),
    );
    p.expect("quit; nothing was written").unwrap();
    finish(&mut p, 130);
    assert!(repo.read("scaffold.toml").is_none());
}

#[test]
fn force_starts_from_the_existing_answers() {
    let repo = Repo::new("shop", None);
    assert_cmd::Command::new(bin())
        .args(["new", "--defaults", "--set", "app.name=market"])
        .args([
            "--set",
            "services[0].port=4000",
            "--set",
            "cloud.provider=gcp",
        ])
        .current_dir(&repo.path)
        .assert()
        .success();
    let mut p = spawn(&repo, &["new", "--force"]);
    p.expect("starting from the existing scaffold.toml")
        .unwrap();
    // Enter everywhere keeps what the file says (the app name proposed is the file's, not the folder's).
    for prompt in DEFAULT_RUN {
        step(&mut p, prompt, ENTER);
    }
    finish(&mut p, 0);
    let text = repo.read("scaffold.toml").unwrap();
    for expect in ["name = \"market\"", "port = 4000", "provider = \"gcp\""] {
        assert!(text.contains(expect), "no {expect:?} in\n{text}");
    }
}

#[test]
fn answers_are_checked_at_the_prompt() {
    let repo = Repo::new("shop", None);
    let mut p = spawn(&repo, &["new"]);
    step(&mut p, "App name", ENTER);
    // A pasted GitHub URL is taken as the repository.
    step(
        &mut p,
        "GitHub repository",
        &format!("https://github.com/acme/shop.git{ENTER}"),
    );
    // A service folder that does not exist is refused, and asked again.
    step(&mut p, "Keep these services", &format!("{DOWN}{ENTER}"));
    step(&mut p, "Which service?", ENTER);
    step(&mut p, "Service name", ENTER);
    step(&mut p, "Language", ENTER);
    step(&mut p, "Package manager", ENTER);
    step(&mut p, "Path", &format!("nope{ENTER}"));
    p.expect("there is no folder `nope` in the repository")
        .unwrap();
    step(&mut p, "Path", ENTER);
    step(&mut p, "Kind", ENTER);
    step(&mut p, "Port", ENTER);
    step(&mut p, "Public?", ENTER);
    step(&mut p, "Which datastores does it connect to?", ENTER);
    for prompt in &DEFAULT_RUN[2..11] {
        step(&mut p, prompt, ENTER);
    }
    // A region the cloud does not have is caught, with the nearest one, unless confirmed.
    step(&mut p, "Region", &format!("us-east1{ENTER}"));
    p.expect("is not a region scaffold knows on aws (nearest: `us-east-1`")
        .unwrap();
    step(&mut p, "Use `us-east1` anyway", "n");
    step(&mut p, "Region", &format!("ap-newland-1{ENTER}"));
    step(&mut p, "Use `ap-newland-1` anyway", "y");
    for prompt in &DEFAULT_RUN[12..] {
        step(&mut p, prompt, ENTER);
    }
    finish(&mut p, 0);
    let text = repo.read("scaffold.toml").unwrap();
    assert!(text.contains("repository = \"acme/shop\""), "{text}");
    assert!(text.contains("region = \"ap-newland-1\""), "{text}");
    // The confirmation is written down, so the file validates on its own.
    assert!(text.contains("allow_unlisted_regions = true"), "{text}");
}
