//! Tests of the GitHub family over every example: every `uses:` is pinned from the pin
//! table, and every permission a job holds is one it needs.
//!
//! The checks read the rendered YAML as text, job block by job block (a job starts at a
//! two-space-indented key below `jobs:`), which is exactly how the templates lay it out.

use std::fs;
use std::path::PathBuf;

use scaffold_core::Project;
use scaffold_core::project::Facts;

use super::pins;
use crate::{Engine, Files};

/// Every example's rendered GitHub files, by example name.
fn examples() -> Vec<(String, Files)> {
    let engine = Engine::new();
    crate::test_support::example_projects()
        .into_iter()
        .map(|(name, project)| {
            let mut files = Files::new();
            super::render(&project, &engine, &mut files).expect("renders");
            (name, files)
        })
        .collect()
}

/// Every rendered workflow: (example, path, content).
fn workflows() -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for (example, files) in examples() {
        for (path, content) in files {
            if path.starts_with(".github/workflows/") {
                out.push((example.clone(), path, content));
            }
        }
    }
    assert!(out.len() >= 7 * 4, "every example renders four workflows");
    out
}

/// The text before `jobs:`, and each job as (id, lines).
fn split_jobs(content: &str) -> (String, Vec<(String, Vec<String>)>) {
    let mut top = String::new();
    let mut jobs: Vec<(String, Vec<String>)> = Vec::new();
    let mut in_jobs = false;
    for line in content.lines() {
        if line == "jobs:" {
            in_jobs = true;
            continue;
        }
        if !in_jobs {
            top.push_str(line);
            top.push('\n');
            continue;
        }
        let is_job_key = line.starts_with("  ")
            && !line.starts_with("   ")
            && !line.trim_start().starts_with('#')
            && line.trim_end().ends_with(':');
        if is_job_key {
            jobs.push((line.trim().trim_end_matches(':').to_owned(), Vec::new()));
        } else if let Some((_, lines)) = jobs.last_mut() {
            lines.push(line.to_owned());
        }
    }
    (top, jobs)
}

fn is_hex_sha(text: &str) -> bool {
    text.len() == 40 && text.chars().all(|c| c.is_ascii_hexdigit())
}

/// Checks one `uses:` value against the pin table.
fn check_uses(value: &str) -> Result<(), String> {
    let (reference, comment) = value
        .split_once(" # ")
        .ok_or_else(|| format!("`{value}` has no `# version` comment"))?;
    let (action, sha) = reference
        .split_once('@')
        .ok_or_else(|| format!("`{value}` has no `@ref`"))?;
    if !is_hex_sha(sha) {
        return Err(format!("`{value}` is not pinned to a 40-hex commit"));
    }
    if !comment.starts_with('v') && comment != "stable" {
        return Err(format!("`{value}` has no version comment"));
    }
    let pin = pins::pin(action).ok_or_else(|| format!("`{action}` is not in the pin table"))?;
    if pin.sha != sha || pin.version != comment {
        return Err(format!(
            "`{value}` differs from the pin table's {}",
            pin.uses()
        ));
    }
    Ok(())
}

#[test]
fn every_uses_is_pinned_from_the_table() {
    let mut count = 0;
    for (example, path, content) in workflows() {
        for line in content.lines() {
            let trimmed = line.trim_start().trim_start_matches("- ");
            if let Some(value) = trimmed.strip_prefix("uses: ") {
                count += 1;
                if let Err(message) = check_uses(value) {
                    panic!("{example}: {path}: {message}");
                }
            }
        }
    }
    assert!(count > 100, "the workflows use actions ({count} seen)");
}

#[test]
fn check_uses_rejects_tags_and_unknown_actions() {
    assert!(check_uses("actions/checkout@v7 # v7").is_err());
    assert!(check_uses("actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1").is_err());
    assert!(check_uses("evil/action@3d3c42e5aac5ba805825da76410c181273ba90b1 # v1.0.0").is_err());
    assert!(
        check_uses("actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1").is_ok()
    );
}

#[test]
fn pin_table_holds_full_shas_and_versions() {
    for pin in pins::PINS {
        assert!(is_hex_sha(pin.sha), "{}", pin.action);
        // shivammathur/setup-php tags its releases without a `v` (`2.37.2`).
        assert!(
            pin.version.starts_with('v')
                || pin.version == "stable"
                || pin.version.starts_with(|c: char| c.is_ascii_digit()),
            "{}",
            pin.action
        );
    }
}

#[test]
fn top_level_permissions_are_least_privilege() {
    for (example, path, content) in workflows() {
        let (top, _) = split_jobs(&content);
        let ok = top.contains("\npermissions: {}\n")
            || top.contains(
                "\npermissions:\n  contents: read  # jobs widen this only where they need to\n\n",
            );
        assert!(
            ok,
            "{example}: {path}: top-level permissions must be empty or contents: read"
        );
        assert!(
            !top.contains("write"),
            "{example}: {path}: no write scope at the top level"
        );
    }
}

#[test]
fn every_job_has_a_timeout_and_explicit_credentials_handling() {
    for (example, path, content) in workflows() {
        let (_, jobs) = split_jobs(&content);
        assert!(!jobs.is_empty(), "{example}: {path} has jobs");
        for (job, lines) in jobs {
            let text = lines.join("\n");
            assert!(
                text.contains("timeout-minutes:"),
                "{example}: {path}: job {job} has no timeout"
            );
            let pushes = text.contains("contents: write");
            let checkouts = text.matches("uses: actions/checkout@").count();
            let persisted = text.matches("persist-credentials: true").count();
            let unpersisted = text.matches("persist-credentials: false").count();
            assert_eq!(
                checkouts,
                persisted + unpersisted,
                "{example}: {path}: job {job}: every checkout says persist-credentials"
            );
            assert!(
                persisted == 0 || pushes,
                "{example}: {path}: job {job} keeps credentials without pushing"
            );
        }
    }
}

#[test]
fn write_scopes_are_held_only_where_needed() {
    let cloud_logins = [
        "uses: aws-actions/configure-aws-credentials@",
        "uses: google-github-actions/auth@",
        "uses: Azure/login@",
        "ARM_USE_OIDC:",
    ];
    for (example, path, content) in workflows() {
        let (_, jobs) = split_jobs(&content);
        for (job, lines) in jobs {
            let text = lines.join("\n");
            let at = format!("{example}: {path}: job {job}");
            if text.contains("id-token: write") {
                let logs_in = cloud_logins.iter().any(|l| text.contains(l));
                // Sigstore signing of the provenance attestation also needs an OIDC token.
                let attests = text.contains("uses: actions/attest-build-provenance@");
                assert!(
                    logs_in || attests,
                    "{at}: id-token: write without a cloud login"
                );
            }
            if text.contains("packages: write") {
                assert!(
                    text.contains("registry: ghcr.io"),
                    "{at}: packages: write without pushing to ghcr"
                );
            }
            if text.contains("security-events: write") {
                assert!(
                    text.contains("uses: github/codeql-action/upload-sarif@")
                        || text.contains("uses: github/codeql-action/analyze@"),
                    "{at}: security-events: write without a SARIF upload"
                );
            }
            if text.contains("contents: write") {
                assert!(
                    text.contains("git push"),
                    "{at}: contents: write without pushing"
                );
            }
        }
    }
}

#[test]
fn deploy_jobs_never_overlap_per_environment() {
    for (example, files) in examples() {
        let deploy = &files[".github/workflows/deploy.yml"];
        let (_, jobs) = split_jobs(deploy);
        for (job, lines) in jobs.iter().filter(|(id, _)| id.starts_with("deploy-")) {
            let env = job.trim_start_matches("deploy-");
            let text = lines.join("\n");
            assert!(
                text.contains(&format!(
                    "group: deploy-{env}\n      cancel-in-progress: false"
                )),
                "{example}: {job} needs a non-cancelling concurrency group"
            );
            assert!(
                text.contains(&format!("environment:\n      name: {env}")),
                "{example}: {job} runs in its GitHub environment"
            );
        }
    }
}

#[test]
fn user_controlled_context_never_reaches_run_scripts() {
    for (example, path, content) in workflows() {
        let mut in_run = false;
        let mut run_indent = 0;
        for line in content.lines() {
            let indent = line.len() - line.trim_start().len();
            if in_run && !line.trim().is_empty() && indent <= run_indent {
                in_run = false;
            }
            if let Some(rest) = line.trim_start().strip_prefix("run:") {
                in_run = true;
                run_indent = indent;
                assert!(
                    !rest.contains("${{"),
                    "{example}: {path}: expression in run: {line}"
                );
                continue;
            }
            if in_run {
                assert!(
                    !line.contains("${{"),
                    "{example}: {path}: expression in a run script: {line}"
                );
            }
        }
    }
}

/// The resolved project of example `name`.
fn project(name: &str) -> Project {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/examples")
        .join(format!("{name}.toml"));
    let text = fs::read_to_string(&path).expect("readable example");
    Project::from_toml(&text, &Facts::default()).expect("valid example")
}

fn check<T: PartialEq + std::fmt::Debug>(actual: T, expect: T) {
    assert_eq!(actual, expect);
}

#[test]
fn promotion_chains_start_at_each_deploy_branch() {
    let envs = super::deploy_environments(&project("gcp-canary"));
    let chain: Vec<(&str, Option<&str>, Option<&str>)> = envs
        .iter()
        .map(|e| {
            (
                e.name.as_str(),
                e.entry_branch.as_deref(),
                e.follows.as_deref(),
            )
        })
        .collect();
    check(
        chain,
        vec![
            ("dev", Some("develop"), None),
            ("staging", Some("main"), None),
            ("production", None, Some("deploy-staging")),
        ],
    );
}

#[test]
fn ci_datastores_are_reached_on_localhost() {
    let project = project("gcp-canary");
    let api = project.service("api").expect("api");
    let service = super::ci_service(&project, api);
    let urls: Vec<(&str, &str)> = service
        .datastores
        .iter()
        .flat_map(|d| &d.variables)
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    check(
        urls,
        vec![
            (
                "DATABASE_URL",
                "postgresql://connectkit:connectkit@localhost:5432/connectkit",
            ),
            ("REDIS_URL", "redis://localhost:6379/0"),
        ],
    );
}

#[test]
fn codeql_languages_are_deduplicated() {
    let languages: Vec<(&str, &str)> = super::codeql_languages(&project("azure-monorepo"))
        .iter()
        .map(|c| (c.language, c.build_mode))
        .collect();
    check(
        languages,
        vec![("javascript-typescript", "none"), ("go", "autobuild")],
    );
}

#[test]
fn dependabot_covers_every_ecosystem_once() {
    let updates = super::dependabot(&project("azure-monorepo")).updates;
    let ecosystems: Vec<&str> = updates.iter().map(|u| u.ecosystem).collect();
    check(
        ecosystems,
        vec!["github-actions", "docker", "npm", "gomod", "terraform"],
    );
    check(
        updates[2].directories.clone(),
        vec!["/apps/frontend".to_owned(), "/services/catalog".to_owned()],
    );
}

#[test]
fn ci_pushes_from_every_deploy_branch() {
    let (_, files) = examples()
        .into_iter()
        .find(|(name, _)| name == "gcp-canary")
        .expect("gcp-canary");
    let ci = &files[".github/workflows/ci.yml"];
    assert!(ci.contains("  push:\n    branches:\n      - \"main\"\n      - \"develop\"\n"));
}
