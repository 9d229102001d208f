//! Every `gcloud` command the GCP docs print, checked against the model: the cluster,
//! instance, secret and bucket it names exist, in the location and project of the
//! environment they belong to, with the flags a private zonal or regional cluster needs.
//!
//! The commands are extracted from the rendered runbooks, task plan, handbook and the
//! bootstrap root's README; a `gcloud` command this test does not know fails it, so a
//! new command is checked before it ships.

use std::collections::BTreeMap;

use scaffold_core::names::gcp_project_id_variable;
use scaffold_core::project::Facts;
use scaffold_core::{Environment, Project, Provider, Runners};

use crate::Files;

/// The GCP examples and a variant with a separate production project and self-hosted runners.
fn projects() -> Vec<(String, Project)> {
    let mut all: Vec<(String, Project)> = crate::test_support::example_projects()
        .into_iter()
        .filter(|(_, p)| p.cloud.provider == Provider::Gcp)
        .collect();
    let canary = include_str!("../../../../tests/examples/gcp-canary.toml");
    let text = canary
        .replace(
            "name = \"production\"\napproval = true",
            "name = \"production\"\napproval = true\nseparate_account = true",
        )
        .replace(
            "gitops = false",
            "gitops = false\nrunners = \"self-hosted\"",
        );
    assert_ne!(text, canary);
    let project = Project::from_toml(&text, &Facts::default()).expect("valid variant");
    all.push(("separate-self-hosted".to_owned(), project));
    all
}

/// The docs and the bootstrap README of `project`.
fn pages(project: &Project) -> Files {
    let mut files = crate::render_family(project, "docs").expect("docs render");
    let terraform = crate::render_family(project, "terraform").expect("terraform renders");
    files.insert(
        "infra/bootstrap/README.md".to_owned(),
        terraform["infra/bootstrap/README.md"].clone(),
    );
    files
}

/// The code in a Markdown page: the lines of fenced blocks, and inline code spans.
fn code(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if fenced {
            out.push(line.to_owned());
        } else {
            out.extend(line.split('`').skip(1).step_by(2).map(str::to_owned));
        }
    }
    out
}

/// Each `gcloud` invocation in `text`, as words (quotes removed, `--flag=value` split),
/// cut at the end of its shell command, with the `for secret in ...` list before it.
fn commands(text: &str) -> Vec<(Vec<String>, Vec<String>)> {
    let mut out = Vec::new();
    for line in code(text) {
        let line = line.as_str();
        let loop_items: Vec<String> = line
            .split_once("for secret in ")
            .and_then(|(_, rest)| rest.split_once(';'))
            .map(|(items, _)| items.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default();
        let mut rest = line;
        while let Some(at) = rest.find("gcloud ") {
            let after = &rest[at + "gcloud ".len()..];
            let end = after.find(['|', ';', '`']).unwrap_or(after.len());
            let words = after[..end]
                .split_whitespace()
                .flat_map(|w| {
                    let w = w.trim_matches(|c| c == '"' || c == '\'' || c == ')');
                    match w.split_once('=') {
                        Some((flag, value)) if flag.starts_with("--") => {
                            vec![flag.to_owned(), value.trim_matches('\'').to_owned()]
                        }
                        _ => vec![w.to_owned()],
                    }
                })
                .filter(|w| !w.is_empty())
                .collect();
            out.push((words, loop_items.clone()));
            rest = after;
        }
    }
    out
}

fn flag<'a>(words: &'a [String], name: &str) -> Option<&'a str> {
    words
        .iter()
        .position(|w| w == name)
        .and_then(|i| words.get(i + 1))
        .map(String::as_str)
}

/// What the names in the commands belong to.
struct Names<'a> {
    clusters: BTreeMap<String, &'a Environment>,
    instances: BTreeMap<String, &'a Environment>,
    secrets: BTreeMap<String, &'a Environment>,
}

impl<'a> Names<'a> {
    fn of(project: &'a Project) -> Self {
        let mut names = Names {
            clusters: BTreeMap::new(),
            instances: BTreeMap::new(),
            secrets: BTreeMap::new(),
        };
        for env in &project.environments {
            names.clusters.insert(env.names.cluster.clone(), env);
            for ds in &env.datastores {
                for suffix in ["", "-restore", "-dr"] {
                    names
                        .instances
                        .insert(format!("{}{suffix}", ds.resource), env);
                }
                names.secrets.insert(ds.secret.clone(), env);
                names.secrets.insert(ds.admin_secret.clone(), env);
            }
        }
        names
    }
}

fn project_variable(env: &Environment) -> String {
    format!(
        "${}",
        gcp_project_id_variable(&env.name, env.separate_account)
    )
}

/// Checks one command; returns what is wrong with it.
fn check(
    project: &Project,
    names: &Names<'_>,
    words: &[String],
    loop_items: &[String],
) -> Option<String> {
    let project_flag = flag(words, "--project");
    let in_env = |env: &Environment| -> Option<String> {
        let expected = project_variable(env);
        (project_flag != Some(expected.as_str())).then(|| {
            format!(
                "--project is {project_flag:?}, not {expected} (the project of {})",
                env.name
            )
        })
    };
    let sub: Vec<&str> = words.iter().take(3).map(String::as_str).collect();
    match sub.as_slice() {
        ["container", "clusters", "get-credentials"] => {
            let name = words.get(3)?;
            let Some(env) = names.clusters.get(name) else {
                return Some(format!("no cluster {name}"));
            };
            if flag(words, "--location") != Some(env.cluster_location.as_str()) {
                return Some(format!("{name} lives in {}", env.cluster_location));
            }
            let endpoint = match project.delivery.runners {
                Runners::GithubHosted => "--dns-endpoint",
                Runners::SelfHosted => "--internal-ip",
            };
            if !words.iter().any(|w| w == endpoint) {
                return Some(format!("the private control plane needs {endpoint}"));
            }
            in_env(env)
        }
        ["sql", "instances", "clone" | "describe" | "create"] => {
            let name = words.get(3)?;
            let Some(env) = names.instances.get(name) else {
                return Some(format!("no instance {name}"));
            };
            if sub[2] == "clone" && !names.instances.contains_key(words.get(4)?) {
                return Some(format!("no instance {:?}", words.get(4)));
            }
            if sub[2] == "create" {
                let network = &env.names.cluster;
                if flag(words, "--network") != Some(network.as_str())
                    || flag(words, "--allocated-ip-range-name")
                        != Some(format!("{network}-private-services").as_str())
                    || !words.iter().any(|w| w == "--no-assign-ip")
                {
                    return Some("a new instance must join the private network".to_owned());
                }
            }
            in_env(env)
        }
        ["sql", "backups", "list"] => {
            let name = flag(words, "--instance")?;
            names
                .instances
                .get(name)
                .map_or_else(|| Some(format!("no instance {name}")), |env| in_env(env))
        }
        ["sql", "backups", "restore"] => {
            for key in ["--restore-instance", "--backup-instance"] {
                if !names.instances.contains_key(flag(words, key)?) {
                    return Some(format!("{key} names no instance"));
                }
            }
            let env = names.instances.get(flag(words, "--backup-instance")?)?;
            in_env(env)
        }
        ["secrets", "versions", "access" | "add"] => {
            let name = if sub[2] == "access" {
                flag(words, "--secret")?
            } else {
                words.get(3)?.as_str()
            };
            let secrets: Vec<&str> = if name == "$secret" {
                loop_items.iter().map(String::as_str).collect()
            } else {
                vec![name]
            };
            if secrets.is_empty() {
                return Some("a loop variable outside a loop".to_owned());
            }
            for secret in secrets {
                let Some(env) = names.secrets.get(secret) else {
                    return Some(format!("no secret {secret}"));
                };
                if let Some(problem) = in_env(env) {
                    return Some(problem);
                }
            }
            None
        }
        ["storage", "buckets", "describe"] => {
            let bucket = format!("gs://{}", project.names.state_bucket);
            (words.get(3) != Some(&bucket)).then(|| format!("the state bucket is {bucket}"))
        }
        ["services", "enable", ..] => {
            (project_flag != Some("$GCP_PROJECT_ID")).then(|| "enable APIs per project".to_owned())
        }
        ["projects", "add-iam-policy-binding" | "describe", ..]
        | ["config", "get-value", ..]
        | ["billing", "budgets" | "accounts", ..]
        | ["auth", ..] => None,
        other => Some(format!("an unchecked gcloud command: {other:?}")),
    }
}

#[test]
fn every_gcloud_command_names_what_the_model_creates() {
    for (name, project) in projects() {
        let names = Names::of(&project);
        let mut checked = 0;
        for (path, text) in pages(&project) {
            for (words, loop_items) in commands(&text) {
                if let Some(problem) = check(&project, &names, &words, &loop_items) {
                    panic!("{name}: {path}: `gcloud {}`: {problem}", words.join(" "));
                }
                checked += 1;
            }
        }
        assert!(checked > 10, "{name}: only {checked} gcloud commands found");
    }
}

#[test]
fn credentials_commands_are_in_every_environment_table() {
    for (name, project) in projects() {
        let files = pages(&project);
        let all: String = files.values().cloned().collect();
        for env in &project.environments {
            let command = super::cloud::credentials(&project, env);
            assert!(all.contains(&command), "{name}: no page shows `{command}`");
        }
    }
}
