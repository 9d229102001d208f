//! `scaffold new --defaults` takes what detection finds.

use assert_cmd::Command;

use super::common::{MONOREPO_SERVICES, Repo, bin};

fn defaults(repo: &Repo) -> String {
    Command::new(bin())
        .args(["new", "--defaults"])
        .current_dir(&repo.path)
        .assert()
        .success();
    repo.read("scaffold.toml").unwrap()
}

#[test]
fn defaults_in_a_monorepo_propose_the_detected_services_and_datastores() {
    let repo = Repo::new("acme", Some("monorepo"));
    let text = defaults(&repo);
    let datastores = ["engine = \"postgres\"", "engine = \"redis\""];
    for expect in MONOREPO_SERVICES.iter().chain(&datastores) {
        assert!(text.contains(expect), "missing {expect:?} in\n{text}");
    }
}

#[test]
fn defaults_in_an_empty_folder_are_one_node_service_with_postgres() {
    let repo = Repo::new("shop", None);
    let text = defaults(&repo);
    assert!(
        text.contains("name = \"shop\"\nlanguage = \"node\""),
        "{text}"
    );
    assert!(text.contains("path = \".\""), "{text}");
    assert!(
        text.contains("name = \"db\"\nengine = \"postgres\""),
        "{text}"
    );
}

#[test]
fn without_a_terminal_new_says_how_to_run_non_interactively() {
    let repo = Repo::new("shop", None);
    Command::new(bin())
        .arg("new")
        .current_dir(&repo.path)
        .write_stdin("")
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--defaults"));
    assert!(repo.read("scaffold.toml").is_none());
}

#[test]
fn help_names_the_set_key_of_every_question() {
    let out = Command::new(bin())
        .args(["new", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for key in [
        "app.name",
        "cloud.provider",
        "delivery.strategy",
        "reliability.availability",
        "app.owners",
    ] {
        assert!(help.contains(key), "{key} missing from\n{help}");
    }
}
