//! Snapshots of every example's full output, one snapshot per example and family.
//!
//! Each snapshot holds every file of one family under a `==== path ====`
//! header, so a template change shows up as a reviewable diff. Splitting by
//! family keeps the snapshots readable and lets families change independently.
//! Update with `cargo insta test --accept` and review the `.snap` diffs like code.

use std::fs;
use std::path::PathBuf;

use scaffold_core::Project;
use scaffold_render::{FAMILIES, render_family};

mod common;

fn examples() -> Vec<(String, Project)> {
    let examples = common::example_answers();
    assert!(examples.len() >= 6, "at least six examples");
    examples
        .into_iter()
        .map(|(name, text)| {
            let project = Project::from_toml(&text, &common::example_facts(&name))
                .unwrap_or_else(|err| panic!("{name}: {err}"));
            (name, project)
        })
        .collect()
}

#[test]
fn every_example_renders_deterministically() {
    for (name, project) in examples() {
        let first = scaffold_render::render(&project).unwrap_or_else(|err| panic!("{name}: {err}"));
        let second = scaffold_render::render(&project).unwrap();
        assert_eq!(first, second, "{name} renders differently twice");
        for (path, content) in &first {
            assert!(
                content.ends_with('\n') && !content.ends_with("\n\n"),
                "{name}: {path} must end with one newline"
            );
            assert!(
                !content.contains('\r'),
                "{name}: {path} has CR line endings"
            );
            assert!(
                !path.starts_with('/') && !path.contains(".."),
                "{name}: {path} must be relative"
            );
        }
    }
}

#[test]
fn snapshots() {
    // A family in parts is one snapshot.
    let mut seen = std::collections::BTreeSet::new();
    let families: Vec<&str> = FAMILIES
        .iter()
        .map(|f| f.name)
        .filter(|name| seen.insert(*name))
        .collect();
    for (name, project) in examples() {
        for &family in &families {
            let files = render_family(&project, family).unwrap();
            let mut text = String::new();
            for (path, content) in &files {
                text.push_str(&format!("==== {path} ====\n{content}"));
            }
            insta::assert_snapshot!(format!("{name}__{family}"), text);
        }
    }
}

#[test]
fn written_answers_round_trip_for_every_example() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/examples");
    let engine = scaffold_render::Engine::new();
    for (name, project) in examples() {
        let text = fs::read_to_string(dir.join(format!("{name}.toml"))).unwrap();
        let answers = scaffold_core::Answers::parse(&text).unwrap().answers;
        let written = scaffold_render::answers_file::render(&answers, &engine).unwrap();
        let reparsed =
            Project::from_toml(&written, &common::example_facts(&name)).unwrap_or_else(|err| {
                panic!("{name}: the written scaffold.toml does not parse: {err}\n{written}")
            });
        assert_eq!(
            reparsed, project,
            "{name}: writing the answers changed their meaning"
        );
    }
}
