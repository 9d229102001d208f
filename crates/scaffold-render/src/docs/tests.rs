//! Tests of the docs family: every alert has its runbook, every environment its row.
//!
//! The Kubernetes family renders one `PrometheusRule` alert per entry of
//! `project.alerts`, each linking to `alert.runbook_path`; these tests hold the
//! docs side of that contract for every example answers file.

use scaffold_core::Project;

use crate::{Engine, Files};

/// Every example in `tests/examples/`, rendered by this family alone.
fn examples() -> Vec<(String, Project, Files)> {
    let engine = Engine::new();
    crate::test_support::example_projects()
        .into_iter()
        .map(|(name, project)| {
            let mut files = Files::new();
            super::render(&project, &engine, &mut files)
                .unwrap_or_else(|err| panic!("{name}: {err}"));
            (name, project, files)
        })
        .collect()
}

#[test]
fn every_alert_has_a_runbook_that_names_it() {
    for (name, project, files) in examples() {
        assert!(!project.alerts.is_empty(), "{name}: no alerts");
        for alert in &project.alerts {
            let page = files
                .get(&alert.runbook_path)
                .unwrap_or_else(|| panic!("{name}: no runbook at {}", alert.runbook_path));
            assert!(
                page.contains(&format!("# Runbook: {}", alert.name)),
                "{name}: {} does not describe {}",
                alert.runbook_path,
                alert.name
            );
            assert!(
                page.contains(&alert.threshold),
                "{name}: {} does not state the threshold",
                alert.runbook_path
            );
        }
    }
}

#[test]
fn every_environment_appears_in_the_strategy_table() {
    for (name, project, files) in examples() {
        let handbook = &files[super::HANDBOOK_PATH];
        let table = section(handbook, "## Environment strategy");
        for env in &project.environments {
            assert!(
                table
                    .lines()
                    .any(|line| line.starts_with(&format!("| `{}` |", env.name))),
                "{name}: environment {} is missing from the strategy table",
                env.name
            );
        }
    }
}

#[test]
fn database_restore_exists_only_with_a_database() {
    for (name, project, files) in examples() {
        let expected = project.datastores.iter().any(|d| d.engine.is_database());
        assert_eq!(
            files.contains_key("docs/devops/runbooks/database-restore.md"),
            expected,
            "{name}"
        );
    }
}

#[test]
fn docs_hold_no_placeholder_text() {
    for (name, _, files) in examples() {
        for (path, content) in &files {
            for marker in ["TBD", "TODO", "<your-", "FIXME", "example.invalid"] {
                assert!(
                    !content.contains(marker),
                    "{name}: {path} contains `{marker}`"
                );
            }
        }
    }
}

#[test]
fn readme_block_is_delimited() {
    for (name, _, files) in examples() {
        let readme = &files[super::README_PATH];
        let begin = readme.find(super::README_BEGIN);
        let end = readme.find(super::README_END);
        assert!(
            matches!((begin, end), (Some(b), Some(e)) if b < e),
            "{name}: README.md lacks an ordered scaffold block"
        );
        assert!(readme.contains("docker compose up --build"), "{name}");
    }
}

/// The text of the section starting at `heading`, up to the next heading of the same level.
fn section<'t>(text: &'t str, heading: &str) -> &'t str {
    let start = text
        .find(&format!("\n{heading}\n"))
        .unwrap_or_else(|| panic!("no section {heading}"));
    let rest = &text[start + 1..];
    let end = rest[heading.len()..]
        .find("\n## ")
        .map_or(rest.len(), |i| i + heading.len());
    &rest[..end]
}

#[test]
fn diagram_declares_every_node_once_and_before_its_edges() {
    for (name, project, _) in examples() {
        let facts = super::cloud::facts(&project);
        let source = super::diagram::deployment(&project, &facts);
        let mut declared = std::collections::BTreeSet::new();
        for line in source.lines().skip(1).map(str::trim) {
            if let Some(rest) = line
                .strip_prefix("service ")
                .or_else(|| line.strip_prefix("group "))
            {
                let id = rest.split('(').next().expect("a node has an id");
                assert!(
                    declared.insert(id.to_owned()),
                    "{name}: `{id}` declared twice"
                );
            } else {
                let (lhs, rhs) = line
                    .split_once(" --> ")
                    .unwrap_or_else(|| panic!("{name}: unexpected line `{line}`"));
                let lhs = lhs.split(':').next().expect("edge has a left end");
                let rhs = rhs.split(':').nth(1).expect("edge has a right end");
                let rhs = rhs.trim_end_matches("{group}");
                for end in [lhs, rhs] {
                    assert!(
                        declared.contains(end),
                        "{name}: `{end}` used before it is declared"
                    );
                }
            }
        }
    }
}
