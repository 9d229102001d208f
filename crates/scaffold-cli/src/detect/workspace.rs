//! Workspace and monorepo declarations at the repository root.
//!
//! A workspace root (pnpm, npm or yarn workspaces, Nx, Turborepo, a Cargo
//! workspace without its own package, `go.work`, a Maven or Gradle
//! multi-module build) is not itself a service: its members are. The members
//! are found by the directory walk; this module says whether the root is a
//! workspace, and records what declares it as a note for the wizard.

use std::collections::{BTreeMap, BTreeSet};

use scaffold_core::project::COMPOSE_FILES;
use scaffold_core::stack::{Found, Root, Tree, node, own_dockerfiles, text};
use scaffold_core::{Engine, PackageManager};

/// What the root declares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Workspace {
    /// The root only groups members and is not a service itself.
    pub is_workspace: bool,
    /// The root is a Maven or Gradle multi-module build.
    pub java_multi_module: bool,
    /// The root `Cargo.toml` declares a workspace.
    pub cargo_workspace: bool,
}

/// Reads the root's workspace files, adding a note for each declaration, and the root
/// context every folder's analysis reads.
pub fn read(
    tree: &dyn Tree,
    dirs: &BTreeMap<String, BTreeSet<String>>,
    notes: &mut Vec<String>,
) -> (Workspace, Root) {
    let empty = BTreeSet::new();
    let root_files = dirs.get(".").unwrap_or(&empty);
    let ws = declarations(tree, root_files, notes);
    let mut root = Root {
        node: node::workspace(tree, dirs),
        python_lock: [
            (PackageManager::Uv, "uv.lock"),
            (PackageManager::Poetry, "poetry.lock"),
        ]
        .into_iter()
        .find(|(_, name)| root_files.contains(*name))
        .map(|(m, lock)| (m, format!("{lock} at the repository root → {m}"))),
        java_multi_module: ws.java_multi_module,
        cargo_workspace: ws.cargo_workspace,
        dockerfiles: own_dockerfiles(tree, dirs),
        ..Root::default()
    };
    // The repository's own compose file: the container port of each service it builds, and
    // the datastores each depends on. The first name Compose itself would load is the one.
    if let Some(name) = COMPOSE_FILES.iter().copied().find(|name| {
        root_files.contains(*name)
            && tree
                .read(name)
                .is_some_and(|t| !text::generated_by_scaffold(&t))
    }) {
        root.compose_file = Some(name.to_owned());
        if let Some(doc) = tree
            .read(name)
            .and_then(|t| serde_yaml_ng::from_str::<serde_yaml_ng::Value>(&t).ok())
        {
            read_compose(name, &doc, &mut root);
        }
    }
    (ws, root)
}

/// Reads the services of compose file `name` into `root`: per build context folder, the
/// container port and the datastores it depends on.
fn read_compose(name: &str, doc: &serde_yaml_ng::Value, root: &mut Root) {
    let Some(services) = doc.get("services").and_then(|s| s.as_mapping()) else {
        return;
    };
    let engine_of = |service: &str| {
        let image = services.get(service)?.get("image")?.as_str()?;
        image_engine(image).map(|engine| (engine, image.to_owned()))
    };
    for (service, spec) in services {
        let service = service.as_str().unwrap_or("?");
        let context = match spec.get("build") {
            Some(serde_yaml_ng::Value::String(s)) => s.clone(),
            Some(build) => build
                .get("context")
                .and_then(|c| c.as_str())
                .unwrap_or(".")
                .to_owned(),
            None => continue,
        };
        let dir = scaffold_core::project::normalize_path(&context).unwrap_or_default();
        if let Some(port) = text::compose_ports(spec).first() {
            root.compose_ports
                .entry(dir.clone())
                .or_default()
                .push(Found::new(
                    *port,
                    format!("{name} runs service `{service}` on container port {port}"),
                ));
        }
        // `depends_on` is a list or a map of service names; `links` a list of `name[:alias]`.
        let mut needs: Vec<String> = Vec::new();
        match spec.get("depends_on") {
            Some(serde_yaml_ng::Value::Sequence(list)) => {
                needs.extend(list.iter().filter_map(|v| v.as_str().map(str::to_owned)));
            }
            Some(serde_yaml_ng::Value::Mapping(map)) => {
                needs.extend(map.keys().filter_map(|v| v.as_str().map(str::to_owned)));
            }
            _ => {}
        }
        if let Some(links) = spec.get("links").and_then(|l| l.as_sequence()) {
            needs.extend(
                links
                    .iter()
                    .filter_map(|v| v.as_str())
                    .map(|l| l.split(':').next().unwrap_or(l).to_owned()),
            );
        }
        for needed in needs {
            if let Some((engine, image)) = engine_of(&needed) {
                let found = root.compose_engines.entry(dir.clone()).or_default();
                if !found.iter().any(|f| f.value == engine) {
                    found.push(Found::new(
                        engine,
                        format!(
                            "{name}: service `{service}` depends on `{needed}`, which runs {image}"
                        ),
                    ));
                }
            }
        }
    }
}

/// The engine a container image runs, from its repository name (`postgres:16-alpine`,
/// `docker.io/library/mysql`, `bitnami/redis`, `mcr.microsoft.com/mssql/server:2022-latest`).
fn image_engine(image: &str) -> Option<Engine> {
    let image = image.split('@').next().unwrap_or(image);
    // A tag follows the last `:` after the last `/` (a registry may have a port).
    let repository = match image.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => repo,
        _ => image,
    }
    .to_ascii_lowercase();
    if repository.ends_with("mssql/server") || repository.ends_with("azure-sql-edge") {
        return Some(Engine::Sqlserver);
    }
    match repository.rsplit('/').next().unwrap_or(&repository) {
        "postgres" | "postgresql" | "postgis" => Some(Engine::Postgres),
        "mysql" | "mariadb" | "percona-server" => Some(Engine::Mysql),
        "redis" | "redis-stack-server" | "valkey" => Some(Engine::Redis),
        _ => None,
    }
}

/// Reads the root's workspace declarations.
fn declarations(
    tree: &dyn Tree,
    root_files: &BTreeSet<String>,
    notes: &mut Vec<String>,
) -> Workspace {
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
        ws.cargo_workspace = true;
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
        let modules = text::xml_values(&text, "module");
        if !modules.is_empty() {
            ws.is_workspace = true;
            ws.java_multi_module = true;
            declare(
                format!("pom.xml declares Maven modules: {}", list(&modules)),
                notes,
            );
        }
    }
    if let Some(sln) = root_files
        .iter()
        .find(|f| f.ends_with(".sln") || f.ends_with(".slnx"))
    {
        ws.is_workspace = true;
        declare(
            format!(
                "{sln} groups .NET projects; each project with a web or worker SDK is a service"
            ),
            notes,
        );
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
