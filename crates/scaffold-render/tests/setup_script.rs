//! Runs every example's `scripts/github-setup.sh` under bash against stand-ins for `gh`
//! and `terraform` that record what they are asked, and checks that the script sets every
//! variable in the GitHub environment the model places it in, with the value of the
//! Terraform output (or map key) or shell variable that holds it, creates every GitHub
//! environment and every plan key pair, and exits 0.
//!
//! Needs bash, jq, openssl and ssh-keygen on PATH, as the script itself does.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use scaffold_core::Project;

mod common;

/// `gh`: logs each call; answers the reads the script makes (reviewer ids, empty lists).
const GH: &str = r#"#!/usr/bin/env bash
printf '%s\n' "gh $*" >> "$STUB_LOG"
case "$1 $2" in
  "auth status") exit 0 ;;
  "variable set"|"secret set")
    if [[ "$*" != *--body* ]]; then printf '%s\n' "  stdin: $(head -c 10)" >> "$STUB_LOG"; fi
    exit 0 ;;
esac
if [[ "$1" == api ]]; then
  if [[ "$*" == *"--jq .id"* ]]; then echo 7; fi
  exit 0
fi
exit 0
"#;

/// `terraform -chdir=ROOT output (-raw|-json) NAME`: `raw:ROOT:NAME`, or a JSON map whose
/// value at each key of `$STUB_KEYS` is `json:ROOT:NAME:KEY`.
const TERRAFORM: &str = r#"#!/usr/bin/env bash
root="${1#-chdir=}"
case "$2 $3" in
  "output -raw") printf 'raw:%s:%s' "$root" "$4" ;;
  "output -json")
    jq -n --arg root "$root" --arg name "$4" --arg keys "$STUB_KEYS" \
      '[$keys | split(" ")[] | {key: ., value: "json:\($root):\($name):\(.)"}] | from_entries' ;;
  *) exit 1 ;;
esac
"#;

fn examples() -> Vec<(String, Project)> {
    common::example_answers()
        .into_iter()
        .map(|(name, text)| {
            let project = Project::from_toml(&text, &common::example_facts(&name)).unwrap();
            (name, project)
        })
        .collect()
}

fn write_executable(path: &Path, text: &str) {
    fs::write(path, text).unwrap();
    Command::new("chmod").arg("+x").arg(path).status().unwrap();
}

#[test]
fn the_setup_script_sets_every_variable_where_the_model_places_it() {
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("setup-script");
    for (example, project) in examples() {
        let files = scaffold_render::render(&project).unwrap();
        let dir = base.join(&example);
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("bin")).unwrap();
        write_executable(&dir.join("bin/gh"), GH);
        write_executable(&dir.join("bin/terraform"), TERRAFORM);
        let script = dir.join("github-setup.sh");
        fs::write(
            &script,
            &files[scaffold_render::github::setup::SETUP_SCRIPT],
        )
        .unwrap();
        let log = dir.join("calls.log");

        let context = scaffold_render::github::setup::context(&project);
        let keys: Vec<&str> = project
            .environments
            .iter()
            .map(|e| e.name.as_str())
            .chain(project.services.iter().map(|s| s.name.as_str()))
            .collect();
        let mut command = Command::new("bash");
        command
            .arg(&script)
            .env(
                "PATH",
                format!(
                    "{}:{}",
                    dir.join("bin").display(),
                    std::env::var("PATH").unwrap()
                ),
            )
            .env("STUB_LOG", &log)
            .env("STUB_KEYS", keys.join(" "));
        // Values without an output come from the shell.
        for v in context.variables.iter().filter(|v| v.output.is_none()) {
            command.env(&v.shell, format!("shell:{}", v.shell));
        }
        let out = command.output().unwrap();
        assert!(
            out.status.success(),
            "{example}: the setup script failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let calls = fs::read_to_string(&log).unwrap();
        let repository = &project.repository.full;
        for v in &context.variables {
            let value = match &v.output {
                None => format!("shell:{}", v.shell),
                Some(o) => format!("raw:{}:{}", o.root, o.name),
            };
            let env = if v.environment.is_empty() {
                String::new()
            } else {
                format!(" --env {}", v.environment)
            };
            let call = format!(
                "gh variable set {} --repo {repository}{env} --body {value}",
                v.name
            );
            assert!(
                calls.lines().any(|l| l == call),
                "{example}: no `{call}` in\n{calls}"
            );
        }
        for env in &context.environments {
            let call = format!(
                "gh api --header X-GitHub-Api-Version: 2022-11-28 --method PUT repos/{repository}/environments/{} --input -",
                env.name
            );
            assert!(calls.lines().any(|l| l == call), "{example}: no `{call}`");
        }
        for (plan, infra) in &context.plan_keys {
            let secret = format!(
                "gh secret set {} --repo {repository} --env {infra}",
                context.plan_key.private_secret
            );
            let public = format!(
                "gh variable set {} --repo {repository} --env {plan}",
                context.plan_key.public_variable
            );
            assert!(
                calls.lines().any(|l| l == secret),
                "{example}: no `{secret}`"
            );
            assert!(
                calls.lines().any(|l| l == public),
                "{example}: no `{public}`"
            );
        }
        assert!(
            String::from_utf8_lossy(&out.stdout)
                .contains(&format!("GitHub is configured for {repository}.")),
            "{example}: variables were reported missing:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}
