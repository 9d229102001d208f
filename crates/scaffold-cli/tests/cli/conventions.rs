//! The conventions of a well-kept command line: completions, colours,
//! quiet output, exit codes in `--help`, `--set` typed by the key,
//! every mistake in one report, `new --dry-run`, plans as JSON, and
//! standard output closed or full without a panic.

use super::context::TestContext;

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn completions_for_every_shell_name_the_commands() {
    let context = TestContext::without_git();
    for (shell, marker) in [
        ("bash", "complete -F _scaffold"),
        ("zsh", "#compdef scaffold"),
        ("fish", "complete -c scaffold"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[scaffold]"),
    ] {
        let output = context
            .scaffold()
            .args(["completions", shell])
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(0),
            "{shell}: {}",
            stderr(&output)
        );
        let script = stdout(&output);
        assert!(script.contains(marker), "{shell}: no {marker:?}");
        for command in ["new", "sync", "diff", "add", "completions"] {
            assert!(script.contains(command), "{shell}: no {command}");
        }
    }
    let output = context
        .scaffold()
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn every_help_lists_its_exit_codes() {
    let context = TestContext::without_git();
    for (command, codes) in [
        (vec!["--help"], vec!["0 ", "1 ", "2 ", "3 ", "4 ", "130"]),
        (vec!["new", "--help"], vec!["0 ", "1 ", "2 ", "130"]),
        (vec!["new", "-h"], vec!["0 ", "2 ", "130"]),
        (vec!["sync", "--help"], vec!["0 ", "2 ", "3 ", "4 "]),
        (vec!["diff", "--help"], vec!["0 ", "1 ", "2 "]),
        (vec!["add", "--help"], vec!["0 ", "2 ", "3 "]),
        (vec!["completions", "--help"], vec!["0 ", "2 "]),
    ] {
        let output = context.scaffold().args(&command).output().unwrap();
        let text = stdout(&output);
        let section = text
            .split("Exit codes:")
            .nth(1)
            .unwrap_or_else(|| panic!("{command:?} has no exit codes:\n{text}"));
        for code in codes {
            assert!(
                section.lines().any(|l| l.trim_start().starts_with(code)),
                "{command:?} lacks {code}:\n{section}"
            );
        }
    }
}

#[test]
fn colour_follows_the_flag_and_no_color() {
    let context = TestContext::new();
    context.generate(&["staging", "production"]);
    context.set_answers(&["staging", "production"], "us-east-1", 4000);
    let run = |args: &[&str], no_color: bool| {
        let mut command = context.scaffold();
        command.args(args);
        if no_color {
            command.env("NO_COLOR", "1");
        } else {
            command.env_remove("NO_COLOR");
        }
        command.env_remove("CLICOLOR_FORCE").output().unwrap()
    };
    let escape = "\x1b[";
    // Into a pipe, `auto` means no colour.
    assert!(!stdout(&run(&["diff"], false)).contains(escape));
    let always = run(&["diff", "--color=always"], false);
    assert!(stdout(&always).contains(escape), "{}", stdout(&always));
    // `always` wins over NO_COLOR; `never` wins over everything.
    assert!(stdout(&run(&["sync", "--dry-run", "--color", "always"], true)).contains(escape));
    assert!(!stdout(&run(&["sync", "--dry-run", "--color=never"], false)).contains(escape));
    // Errors are coloured on standard error with `always` only.
    let error = run(&["new", "--defaults", "--color=always"], false);
    assert!(stderr(&error).starts_with(escape), "{}", stderr(&error));
    let error = run(&["new", "--defaults"], true);
    assert!(stderr(&error).starts_with("error: "), "{}", stderr(&error));
}

#[test]
fn quiet_says_nothing_but_problems() {
    let context = TestContext::new();
    let output = context
        .scaffold()
        .args(["new", "--defaults", "-q"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stdout(&output), "");
    assert!(context.exists("scaffold.toml"));
    let output = context
        .scaffold()
        .args(["sync", "--quiet"])
        .output()
        .unwrap();
    assert_eq!(
        (output.status.code(), stdout(&output)),
        (Some(0), String::new())
    );
    let output = context
        .scaffold()
        .args(["sync", "-q", "-v"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn set_types_values_by_their_key() {
    let context = TestContext::new();
    context
        .scaffold()
        .args([
            "new",
            "--defaults",
            "--set",
            "reliability.availability=99.95",
            "--set",
            "services[0].port=8080",
            "--set",
            "app.owners=@acme/platform,@acme/sre",
            "--set",
            "delivery.gitops=true",
        ])
        .assert()
        .success();
    let text = context.read("scaffold.toml");
    for expect in [
        "availability = \"99.95\"",
        "port = 8080",
        "owners = [\"@acme/platform\", \"@acme/sre\"]",
        "gitops = true",
    ] {
        assert!(text.contains(expect), "no {expect:?} in\n{text}");
    }
}

#[test]
fn a_bad_set_names_the_key_and_what_it_takes() {
    let context = TestContext::new();
    for (set, expect) in [
        (
            "reliability.availability=99.8",
            "`reliability.availability` takes one of `99`, `99.5`, `99.9`, `99.95`, `99.99`; `99.8` is not one of them; did you mean `99.9`?",
        ),
        (
            "services[0].public=maybe",
            "`services[0].public` takes `true` or `false`; `maybe` is neither",
        ),
        ("cloud.regoin=eu-west-1", "help: did you mean `region`?"),
    ] {
        let output = context
            .scaffold()
            .args(["new", "--defaults", "--set", set])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{set}");
        let text = stderr(&output);
        assert!(text.contains(expect), "{set}:\n{text}");
        assert!(
            !text.contains("line "),
            "a line of a file the user never saw:\n{text}"
        );
    }
    assert!(context.tree().is_empty());
}

#[test]
fn every_mistake_in_one_file_is_reported_at_once() {
    let context = TestContext::new();
    let answers = context.outside().join("answers.toml");
    std::fs::write(
        &answers,
        "[app]\nname = \"shop\"\nteam_size = \"six\"\n\n[cloud]\nprovider = \"AWS\"\n\n[[services]]\nname = \"api\"\nlanguage = \"go\"\nport = 80\npublic = \"yes\"\nuses = [\"db\"]\n\n[delivery]\nstrategy = \"bluegreen\"\n",
    )
    .unwrap();
    let output = context
        .scaffold()
        .args(["new", "--answers"])
        .arg(&answers)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let text = stderr(&output);
    for expect in [
        "line 3: `app.team_size`: found the string `\"six\"`, expected a whole number",
        "line 6: `cloud.provider`: found the string `\"AWS\"`, expected one of `aws`, `gcp`, `azure`\n  help: did you mean `aws`?",
        "line 11: `services[0].port`: port 80 is privileged",
        "line 12: `services[0].public`: found the string `\"yes\"`, expected `true` or `false`\n  help: write it without quotes: `public = true`",
        "line 13: `services[0].uses[0]`: `db` names no datastore",
        "line 16: `delivery.strategy`: found the string `\"bluegreen\"`, expected one of `rolling`, `blue-green`, `canary`\n  help: did you mean `blue-green`?",
    ] {
        assert!(text.contains(expect), "no {expect:?} in\n{text}");
    }
    // Nothing in the parser's own words.
    assert!(
        !text.contains("TOML parse error") && !text.contains("invalid type"),
        "{text}"
    );
    assert!(context.tree().is_empty());
}

#[test]
fn new_dry_run_lists_the_files_and_writes_nothing() {
    let context = TestContext::new();
    let output = context
        .scaffold()
        .args(["new", "--defaults", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("  create  scaffold.toml\n"), "{text}");
    assert!(
        text.contains("  create  fixture/env/staging.txt\n"),
        "{text}"
    );
    assert!(text.contains("nothing was written"), "{text}");
    assert!(context.tree().is_empty(), "{:?}", context.tree().keys());
}

#[test]
fn plans_print_as_json() {
    let context = TestContext::new();
    context.generate(&["staging", "production"]);
    let read = |args: &[&str]| -> (Option<i32>, serde_json::Value) {
        let output = context.scaffold().args(args).output().unwrap();
        let value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|err| panic!("{args:?}: {err}\n{}", stdout(&output)));
        (output.status.code(), value)
    };
    let (code, clean) = read(&["sync", "--check", "--format", "json"]);
    assert_eq!(code, Some(0));
    assert_eq!(clean["up_to_date"], true);
    assert_eq!(clean["counts"]["create"], 0);

    context.set_answers(&["staging", "qa", "production"], "us-east-1", 3000);
    let (code, check) = read(&["sync", "--check", "--format=json"]);
    assert_eq!(code, Some(4));
    assert_eq!(check["command"], "sync --check");
    assert_eq!(check["up_to_date"], false);
    let files = check["files"].as_array().unwrap();
    let qa = files
        .iter()
        .find(|f| f["path"] == "fixture/env/qa.txt")
        .expect("the new environment's file");
    assert_eq!(qa["action"], "create");
    assert!(
        qa["diff"]
            .as_str()
            .unwrap()
            .contains("+++ b/fixture/env/qa.txt")
    );
    let creates = files.iter().filter(|f| f["action"] == "create").count();
    assert_eq!(check["counts"]["create"], creates);

    let (code, dry) = read(&["sync", "--dry-run", "--format", "json"]);
    assert_eq!((code, &dry["files"]), (Some(0), &check["files"]));
    let (code, diff) = read(&["diff", "--format", "json"]);
    assert_eq!(
        (code, &diff["command"]),
        (Some(0), &serde_json::json!("diff"))
    );
    assert!(!context.exists("fixture/env/qa.txt"));
}

/// A reader that goes away (`scaffold new | head -1`) ends the output, not the command: the
/// files are written, the exit code is the command's, and nothing panics (`println!` did).
#[test]
fn a_closed_standard_output_ends_the_report_not_the_run() {
    let context = TestContext::new();
    let mut child = context
        .scaffold_std()
        .args(["new", "--defaults"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Closed before scaffold writes anything: its first write fails.
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(context.exists("scaffold.toml"));
    context
        .scaffold()
        .args(["sync", "--check"])
        .assert()
        .code(0);
}

/// Output that cannot be written for another reason (a full disk behind a redirection) is a
/// failure, reported once the command is done: exit 1 and the reason, not a panic.
#[cfg(target_os = "linux")]
#[test]
fn an_unwritable_standard_output_is_an_error_not_a_panic() {
    let context = TestContext::new();
    for args in [&["completions", "bash"][..], &["new", "--defaults"]] {
        let output = context
            .scaffold_std()
            .args(args)
            .stdout(std::fs::File::create("/dev/full").unwrap())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains("writing to standard output"),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    // `new` wrote everything before its report failed.
    context
        .scaffold()
        .args(["sync", "--check"])
        .assert()
        .code(0);
}
