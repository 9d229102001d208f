//! Workspace and monorepo declarations at the repository root.
//!
//! A workspace root (pnpm, npm or yarn workspaces, Nx, Turborepo, a Cargo
//! workspace without its own package, `go.work`, a Maven or Gradle
//! multi-module build) is not itself a service: its members are. The members
//! are found by the directory walk; this module says whether the root is a
//! workspace, and records what declares it as a note for the wizard.

use std::collections::BTreeSet;

use super::tree::Tree;

/// What the root declares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Workspace {
    /// The root only groups members and is not a service itself.
    pub is_workspace: bool,
    /// The root is a Maven or Gradle multi-module build.
    pub java_multi_module: bool,
}

/// Reads the root's workspace files, adding a note for each declaration.
pub fn read(tree: &dyn Tree, root_files: &BTreeSet<String>, notes: &mut Vec<String>) -> Workspace {
    let mut ws = Workspace::default();
    let read = |name: &str| root_files.contains(name).then(|| tree.read(name)).flatten();
    let declare = |what: String, notes: &mut Vec<String>| notes.push(what);

    if let Some(text) = read("pnpm-workspace.yaml") {
        ws.is_workspace = true;
        declare(
            format!(
                "pnpm-workspace.yaml declares a pnpm workspace: {}",
                list(&yaml_packages(&text))
            ),
            notes,
        );
    }
    if let Some(json) =
        read("package.json").and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
    {
        let globs = json.get("workspaces").map(|w| {
            w.as_array()
                .or_else(|| w.get("packages").and_then(|p| p.as_array()))
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        });
        if let Some(globs) = globs {
            ws.is_workspace = true;
            declare(
                format!("package.json declares workspaces: {}", list(&globs)),
                notes,
            );
        }
    }
    for (file, tool) in [("nx.json", "Nx"), ("turbo.json", "Turborepo")] {
        if root_files.contains(file) {
            ws.is_workspace = true;
            declare(format!("{file}: an {tool} monorepo"), notes);
        }
    }
    if let Some(doc) = read("Cargo.toml").and_then(|t| t.parse::<toml_edit::DocumentMut>().ok())
        && let Some(workspace) = doc.get("workspace")
    {
        let members: Vec<String> = workspace
            .get("members")
            .and_then(|m| m.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        if doc.get("package").is_none() {
            ws.is_workspace = true;
        }
        declare(
            format!(
                "Cargo.toml declares a Cargo workspace: {}; each member that builds a binary is a service",
                list(&members)
            ),
            notes,
        );
    }
    if let Some(text) = read("go.work") {
        ws.is_workspace = true;
        declare(
            format!(
                "go.work declares Go modules: {}",
                list(&go_work_uses(&text))
            ),
            notes,
        );
    }
    if let Some(text) = read("pom.xml") {
        let modules = super::manifest::xml_values(&text, "module");
        if !modules.is_empty() {
            ws.is_workspace = true;
            ws.java_multi_module = true;
            declare(
                format!("pom.xml declares Maven modules: {}", list(&modules)),
                notes,
            );
        }
    }
    for name in ["settings.gradle", "settings.gradle.kts"] {
        if let Some(text) = read(name) {
            let includes = gradle_includes(&text);
            if !includes.is_empty() {
                ws.is_workspace = true;
                ws.java_multi_module = true;
                declare(
                    format!("{name} includes Gradle projects: {}", list(&includes)),
                    notes,
                );
            }
        }
    }
    ws
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "(no members listed)".to_owned()
    } else {
        items.join(", ")
    }
}

/// The `packages:` list of `pnpm-workspace.yaml`.
fn yaml_packages(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        if line.starts_with("packages:") {
            inside = true;
            continue;
        }
        if inside {
            let trimmed = line.trim();
            if let Some(item) = trimmed.strip_prefix('-') {
                out.push(item.trim().trim_matches(['\'', '"']).to_owned());
            } else if !trimmed.is_empty() && !trimmed.starts_with('#') {
                inside = false;
            }
        }
    }
    out
}

/// The directories a `go.work` file `use`s.
fn go_work_uses(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with("use (") {
            inside = true;
        } else if inside && line == ")" {
            inside = false;
        } else if let Some(dir) = line.strip_prefix("use ") {
            out.push(dir.trim().trim_start_matches("./").to_owned());
        } else if inside && !line.is_empty() && !line.starts_with("//") {
            out.push(line.trim_start_matches("./").to_owned());
        }
    }
    out
}

/// The projects a Gradle settings file includes, as paths (`:app:api` → `app/api`).
fn gradle_includes(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| l.starts_with("include"))
        .flat_map(|l| {
            l.split(['"', '\''])
                .skip(1)
                .step_by(2)
                .map(|p| p.trim_start_matches(':').replace(':', "/"))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_member_lists() {
        assert_eq!(
            yaml_packages("packages:\n  - 'apps/*'\n  - \"packages/*\"\nother: 1\n"),
            ["apps/*", "packages/*"]
        );
        assert_eq!(
            go_work_uses("go 1.22\n\nuse (\n\t./api\n\t./worker\n)\n"),
            ["api", "worker"]
        );
        assert_eq!(
            gradle_includes("rootProject.name = \"x\"\ninclude(\"app\", \":lib:core\")\n"),
            ["app", "lib/core"]
        );
    }
}
