//! `scaffold add`: what it refuses, and that a refusal writes nothing.

use insta::assert_snapshot;

use super::context::TestContext;

#[test]
fn a_service_path_that_does_not_exist_is_refused_and_nothing_is_written() {
    let context = TestContext::new();
    context.generate(&["staging", "production"]);
    std::fs::create_dir_all(context.root.join("services/billing")).unwrap();
    context.write("services/billing/main.go", "package main\n");
    context.write("notes.txt", "not a folder\n");
    let before = context.tree();

    // A typo in --path: the error names the argument, the path, the folder that exists and
    // the way to start a service whose code is still to come.
    let output = context
        .scaffold()
        .args([
            "add",
            "service",
            "--name",
            "billing",
            "--language",
            "go",
            "--path",
            "services/biling",
        ])
        .output()
        .unwrap();
    assert_snapshot!("add_missing_path", context.render_output(&output));
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(context.tree(), before, "nothing is written");

    // A file is not a service folder.
    let output = context
        .scaffold()
        .args([
            "add",
            "service",
            "--name",
            "notes",
            "--language",
            "go",
            "--path",
            "notes.txt",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("`--path notes.txt`: `notes.txt` is a file, not a folder"),
        "{stderr}"
    );
    assert_eq!(context.tree(), before, "nothing is written");

    // The folder that exists is taken.
    context
        .scaffold()
        .args([
            "add",
            "service",
            "--name",
            "billing",
            "--language",
            "go",
            "--path",
            "services/billing",
        ])
        .assert()
        .success();
    assert!(
        context
            .read("scaffold.toml")
            .contains("path = \"services/billing\"")
    );
}
