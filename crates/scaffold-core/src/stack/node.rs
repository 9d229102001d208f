//! Node.js servers: detection from `package.json`, and the recipe that builds and starts them.
//!
//! The package manager comes from the lockfile (the folder's own, else the
//! workspace root's), with the version `packageManager` pins; workspace members
//! are built from the workspace root with the root lockfile, and pnpm members are
//! cut out with `pnpm deploy`. The start command is the framework's server where
//! one is recognised (Next.js, Nuxt/Nitro, SvelteKit's Node adapter, Remix,
//! NestJS, Astro's Node adapter), else the `start` script run with `node`
//! directly when it is a plain `node <file>` (so signals reach the app), else the
//! script through the package manager. Dev dependencies are pruned from the image
//! unless the framework reads its TypeScript config at run time (`next start`
//! with `next.config.ts`).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::text;
use super::{
    Ci, Detail as AnyDetail, Detected, Finding, Folder, Found, Recipe, RecipeFacts, RecipeInput,
    Setup, Stack, Tree, join, literal_paths, warning,
};
use crate::connection::ConventionalNames;
use crate::datastore::{ConnectionForm, Engine};
use crate::vocabulary::{Language, PackageManager, ServiceKind};

/// The Node.js version used when the repository pins none: the active LTS line.
pub const DEFAULT_VERSION: &str = "24";
/// The pinned default image tag; Dependabot's `docker` ecosystem keeps it current.
pub const DEFAULT_IMAGE: &str = "node:24.11.1-bookworm-slim";

/// The Node row of the stack table.
pub static STACK: Stack = Stack {
    language: Language::Node,
    manifests: &["package.json"],
    package_managers: &[
        PackageManager::Npm,
        PackageManager::Pnpm,
        PackageManager::Yarn,
    ],
    default_port: 3000,
    health: ("/health", "/ready"),
    metrics: true,
    // The official image's `node` user.
    uid: 1000,
    shell: true,
    http_healthcheck: true,
    codeql: Some(("javascript-typescript", "none")),
    connection_form: |_| ConnectionForm::Url,
    connection_names: ConventionalNames::COMMON,
    detect,
    recipe,
    ci,
    dependabot: |_| "npm",
};

/// The Node package manager, lockfile and workspace packages declared at the repository root.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Workspace {
    /// The package manager of the root lockfile (or `packageManager`).
    pub manager: Option<PackageManager>,
    /// The version `packageManager` pins, such as `10.34.8`.
    pub manager_version: Option<String>,
    /// The root lockfile's name.
    pub lockfile: Option<String>,
    /// The root declares workspaces (pnpm-workspace.yaml, `workspaces`).
    pub declared: bool,
    /// Workspace package names and their folders.
    pub packages: BTreeMap<String, String>,
}

/// Reads the root's Node declarations; `dirs` lists every folder with its files.
pub fn workspace(tree: &dyn Tree, dirs: &BTreeMap<String, BTreeSet<String>>) -> Option<Workspace> {
    let root = dirs.get(".")?;
    let json = root
        .contains("package.json")
        .then(|| tree.read("package.json"))
        .flatten()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok());
    let lock = lockfile(root);
    if json.is_none() && lock.is_none() && !root.contains("pnpm-workspace.yaml") {
        return None;
    }
    let (pm_field, pm_version) = json
        .as_ref()
        .and_then(|j| j.get("packageManager")?.as_str().map(str::to_owned))
        .map(|field| package_manager_field(&field))
        .unwrap_or((None, None));
    let declared = root.contains("pnpm-workspace.yaml")
        || json.as_ref().is_some_and(|j| j.get("workspaces").is_some());
    let mut packages = BTreeMap::new();
    if declared {
        for (dir, files) in dirs {
            if dir == "." || !files.contains("package.json") {
                continue;
            }
            if let Some(name) = tree
                .read(&join(dir, "package.json"))
                .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
                .and_then(|j| j.get("name")?.as_str().map(str::to_owned))
            {
                packages.insert(name, dir.clone());
            }
        }
    }
    Some(Workspace {
        manager: lock.map(|(m, _)| m).or(pm_field),
        manager_version: pm_version,
        lockfile: lock.map(|(_, l)| l.to_owned()),
        declared,
        packages,
    })
}

/// `pnpm@10.34.8+sha512...` → (pnpm, 10.34.8).
fn package_manager_field(field: &str) -> (Option<PackageManager>, Option<String>) {
    let (name, version) = field.split_once('@').unwrap_or((field, ""));
    let manager = PackageManager::parse(name).filter(|m| {
        matches!(
            m,
            PackageManager::Npm | PackageManager::Pnpm | PackageManager::Yarn
        )
    });
    let version = version.split('+').next().unwrap_or_default();
    (manager, (!version.is_empty()).then(|| version.to_owned()))
}

/// The Node lockfile in `files`, with its name.
pub fn lockfile(files: &BTreeSet<String>) -> Option<(PackageManager, &'static str)> {
    [
        (PackageManager::Pnpm, "pnpm-lock.yaml"),
        (PackageManager::Yarn, "yarn.lock"),
        (PackageManager::Npm, "package-lock.json"),
    ]
    .into_iter()
    .find(|(_, name)| files.contains(*name))
}

/// The server framework a Node service runs, as far as the recipe cares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Framework {
    /// A plain server started by its `start` script or entry file.
    Plain,
    /// Next.js: `next start`, or the standalone server when `output: 'standalone'`.
    Next {
        /// `output: 'standalone'` in the Next config.
        standalone: bool,
        /// The config is TypeScript, which `next start` compiles at run time.
        typescript_config: bool,
    },
    /// Nuxt, Nitro or TanStack Start: a self-contained `.output/server/index.mjs`.
    Nitro,
    /// SvelteKit with `@sveltejs/adapter-node`: `node build`.
    SvelteKit,
    /// Remix: `remix-serve` on the server build.
    Remix,
    /// NestJS: the compiled `dist/main.js`.
    Nest,
    /// Astro with `@astrojs/node`: `dist/server/entry.mjs`.
    Astro,
}

/// What the Node recipe needs, as detection found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// The dependency that makes it a server, if any.
    pub server: Option<String>,
    /// The framework.
    pub framework: Framework,
    /// The package's name.
    pub name: Option<String>,
    /// `scripts` that exist: `start`, `build`, `test`, `lint`, `start:prod`.
    pub scripts: BTreeMap<String, String>,
    /// The lockfile, relative to the build context (the folder, or the workspace root).
    pub lockfile: Option<String>,
    /// The package manager version `packageManager` pins.
    pub manager_version: Option<String>,
    /// The workspace root (`.`) when the package is a workspace member.
    pub workspace_root: Option<String>,
    /// `main` in package.json.
    pub main: Option<String>,
    /// A `public/` folder exists (Next.js serves it; the standalone output needs it copied).
    pub public_dir: bool,
}

const SERVERS: &[&str] = &[
    "express",
    "fastify",
    "koa",
    "@nestjs/core",
    "@hapi/hapi",
    "hono",
    "@hono/node-server",
    "restify",
    "@apollo/server",
    "apollo-server",
    "@remix-run/serve",
    "@react-router/serve",
    "nuxt",
    "nitropack",
    "@tanstack/react-start",
    "@tanstack/start",
    "@sveltejs/adapter-node",
    "@astrojs/node",
    "@grpc/grpc-js",
];
pub(super) const FRONT_ENDS: &[&str] = &[
    "vite",
    "react-scripts",
    "@angular/cli",
    "@angular/build",
    "@vue/cli-service",
    "parcel",
    "astro",
    "gatsby",
    "@sveltejs/kit",
];
const WORKERS: &[&str] = &[
    "bullmq",
    "bull",
    "bee-queue",
    "agenda",
    "node-cron",
    "kafkajs",
];
const DATASTORES: &[(&str, Engine)] = &[
    ("pg", Engine::Postgres),
    ("postgres", Engine::Postgres),
    ("pg-promise", Engine::Postgres),
    ("@neondatabase/serverless", Engine::Postgres),
    ("mysql2", Engine::Mysql),
    ("mysql", Engine::Mysql),
    ("redis", Engine::Redis),
    ("ioredis", Engine::Redis),
    ("@redis/client", Engine::Redis),
    ("mssql", Engine::Sqlserver),
    ("tedious", Engine::Sqlserver),
];
const SQLITE: &[&str] = &["sqlite3", "better-sqlite3", "@libsql/client"];
/// Files where a Node server names its port and routes.
pub(super) const ENTRY_FILES: &[&str] = &[
    ".env.example",
    ".env.sample",
    ".env",
    "server.js",
    "index.js",
    "app.js",
    "main.js",
    "server.ts",
    "index.ts",
    "src/server.js",
    "src/index.js",
    "src/app.js",
    "src/main.js",
    "src/server.ts",
    "src/index.ts",
    "src/main.ts",
    "src/app.ts",
];

/// package.json, parsed, with the names of its dependencies.
pub(super) struct Manifest {
    pub json: serde_json::Value,
    pub deps: Vec<String>,
    pub dev: Vec<String>,
    pub scripts: BTreeMap<String, String>,
}

impl Manifest {
    pub fn read(folder: &Folder<'_>) -> Option<Manifest> {
        let json: serde_json::Value = serde_json::from_str(&folder.read("package.json")?).ok()?;
        let names = |key: &str| -> Vec<String> {
            json.get(key)
                .and_then(serde_json::Value::as_object)
                .map(|deps| deps.keys().cloned().collect())
                .unwrap_or_default()
        };
        let scripts = json
            .get("scripts")
            .and_then(serde_json::Value::as_object)
            .map(|s| {
                s.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                    .collect()
            })
            .unwrap_or_default();
        Some(Manifest {
            deps: names("dependencies"),
            dev: names("devDependencies"),
            scripts,
            json,
        })
    }

    pub fn has(&self, name: &str) -> bool {
        self.deps.iter().any(|d| d == name)
    }

    pub fn has_any(&self, name: &str) -> bool {
        self.has(name) || self.dev.iter().any(|d| d == name)
    }
}

/// The package manager of a folder: its own lockfile, the workspace root's, `packageManager`,
/// else npm (said so).
pub(super) fn manager(
    folder: &Folder<'_>,
    manifest: &Manifest,
) -> (PackageManager, Option<String>, Option<String>, String) {
    let own_field = manifest
        .json
        .get("packageManager")
        .and_then(|v| v.as_str())
        .map(package_manager_field);
    let root = folder.root.node.as_ref();
    let version = own_field
        .as_ref()
        .and_then(|(_, v)| v.clone())
        .or_else(|| root.and_then(|r| r.manager_version.clone()));
    if let Some((manager, lock)) = lockfile(folder.files) {
        return (
            manager,
            Some(lock.to_owned()),
            version,
            format!("{} → {manager}", folder.shown(lock)),
        );
    }
    if folder.dir != "."
        && let Some(root) = root
        && let (Some(manager), Some(lock)) = (root.manager, &root.lockfile)
    {
        return (
            manager,
            Some(lock.clone()),
            version,
            format!("{lock} at the repository root → {manager}"),
        );
    }
    if let Some((Some(manager), _)) = own_field {
        return (
            manager,
            None,
            version,
            format!(
                "{} names `packageManager` {manager}",
                folder.shown("package.json")
            ),
        );
    }
    (
        PackageManager::Npm,
        None,
        version,
        "no lockfile found, so npm is assumed".to_owned(),
    )
}

fn detect(folder: &Folder<'_>) -> Option<Finding> {
    let manifest = Manifest::read(folder)?;
    let shown = folder.shown("package.json");
    let (pm, lock, pm_version, pm_why) = manager(folder, &manifest);
    let server = SERVERS
        .iter()
        .find(|s| manifest.has(s))
        .map(|s| (*s).to_owned());
    let next_config = ["next.config.ts", "next.config.mjs", "next.config.js"]
        .iter()
        .find_map(|name| folder.read(name).map(|text| (*name, text)));
    let compact = |text: &str| {
        text.chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
    };
    let next_output = |value: &str| {
        next_config.as_ref().is_some_and(|(_, text)| {
            let c = compact(text);
            c.contains(&format!("output:'{value}'")) || c.contains(&format!("output:\"{value}\""))
        })
    };
    let next = manifest.has("next");
    if next && next_output("export") {
        return super::statik::detect(folder);
    }
    let front_end = FRONT_ENDS.iter().find(|s| manifest.has_any(s));
    let start = manifest.scripts.get("start").cloned();
    let is_server = server.is_some() || next;
    if !is_server && front_end.is_some() {
        return super::statik::detect(folder);
    }
    if !is_server
        && start.is_none()
        && manifest
            .json
            .get("main")
            .is_none_or(|_| !folder.has("server.js"))
    {
        let worker = WORKERS.iter().find(|w| manifest.has(w));
        if worker.is_none() {
            return Some(Finding::Library(format!(
                "{shown} has no `start` script, web server or front-end build: a library or tooling package"
            )));
        }
    }
    let framework = if next {
        Framework::Next {
            standalone: next_output("standalone"),
            typescript_config: next_config
                .as_ref()
                .is_some_and(|(n, _)| n.ends_with(".ts")),
        }
    } else if manifest.has("nuxt")
        || manifest.has("nitropack")
        || manifest.has("@tanstack/react-start")
        || manifest.has("@tanstack/start")
    {
        Framework::Nitro
    } else if manifest.has_any("@sveltejs/adapter-node") {
        Framework::SvelteKit
    } else if manifest.has("@remix-run/serve") || manifest.has("@react-router/serve") {
        Framework::Remix
    } else if manifest.has("@nestjs/core") {
        Framework::Nest
    } else if manifest.has_any("@astrojs/node") {
        Framework::Astro
    } else {
        Framework::Plain
    };
    let workspace_root = (folder.dir != "."
        && folder
            .root
            .node
            .as_ref()
            .is_some_and(|r| r.declared && r.packages.values().any(|d| d == folder.dir)))
    .then(|| ".".to_owned());
    let lockfile_in_context = match (&workspace_root, &lock) {
        (Some(_), Some(lock)) if !folder.has(lock) => Some(lock.clone()),
        (_, lock) => lock.clone(),
    };
    let facts = Facts {
        server: server.clone().or_else(|| next.then(|| "next".to_owned())),
        framework,
        name: manifest
            .json
            .get("name")
            .and_then(|v| v.as_str())
            .map(str::to_owned),
        scripts: manifest.scripts.clone(),
        lockfile: lockfile_in_context,
        manager_version: pm_version,
        workspace_root,
        main: manifest
            .json
            .get("main")
            .and_then(|v| v.as_str())
            .map(str::to_owned),
        public_dir: !folder.list("public").is_empty(),
    };
    let mut found = Detected::new(Language::Node, pm, RecipeFacts::Node(facts));
    found.read_dockerfile(folder);
    match (&server, next) {
        (Some(server), _) if server == "@grpc/grpc-js" => {
            found.kind = Found::new(
                ServiceKind::Grpc,
                format!("{shown} depends on `@grpc/grpc-js`, a gRPC server"),
            );
        }
        (Some(server), _) => found
            .evidence
            .push(format!("{shown} depends on `{server}`, a web server")),
        (None, true) => found.evidence.push(format!(
            "{shown} depends on `next` without `output: 'export'`, so it runs a Next.js server"
        )),
        (None, false) => {
            if let Some(worker) = WORKERS.iter().find(|w| manifest.has(w)) {
                found.kind = Found::new(
                    ServiceKind::Worker,
                    format!("{shown} depends on `{worker}` and no web server: a background worker"),
                );
            } else {
                found.evidence.push(format!("{shown} has a `start` script"));
            }
        }
    }
    found.evidence.push(pm_why);
    found.runtime_version = version(folder, &manifest);
    if found.kind.value.listens() {
        let default = match (&server, next) {
            (_, true) => Some(Found::new(3000, "`next start` listens on 3000")),
            (Some(s), _) if s == "nuxt" || s == "nitropack" => {
                Some(Found::new(3000, "Nitro servers listen on 3000"))
            }
            (Some(s), _) => Some(Found::new(
                3000,
                format!("`{s}` apps conventionally listen on 3000"),
            )),
            (None, false) => None,
        };
        found.port_from(folder, ENTRY_FILES, default);
        let sources = folder.sources(&[".js", ".ts", ".mjs", ".cjs", ".tsx"], 60);
        found.health_from(&literal_paths(&sources, folder));
        if next {
            // App-router route handlers serve their folder's path.
            for (path, _) in &sources {
                for (suffix, slot) in [
                    ("/health/route", 0),
                    ("/healthz/route", 0),
                    ("/ready/route", 1),
                    ("/readyz/route", 1),
                ] {
                    if let Some(prefix) = path
                        .strip_prefix("app")
                        .or_else(|| path.strip_prefix("src/app"))
                        && let Some(at) = prefix.find(suffix)
                    {
                        let route = format!("{}{}", &prefix[..at], &suffix[..suffix.len() - 6]);
                        let why = format!("{} is a route handler of `{route}`", folder.shown(path));
                        if slot == 0 && found.health_path.is_none() {
                            found.health_path = Some(Found::new(route, why));
                        } else if slot == 1 && found.readiness_path.is_none() {
                            found.readiness_path = Some(Found::new(route, why));
                        }
                    }
                }
            }
        }
    }
    found.engines_from(&manifest.deps, &shown, DATASTORES);
    if let Some(dep) = SQLITE.iter().find(|d| manifest.has(d)) {
        found.sqlite = Some(format!("{shown} depends on `{dep}`"));
    }
    found.variables_from_env(folder);
    // Workspace packages it depends on: their datastores are its datastores.
    if let Some(root) = &folder.root.node {
        for dep in manifest.deps.iter() {
            if let Some(dir) = root.packages.get(dep) {
                found.workspace_deps.push(dir.clone());
            }
        }
    }
    Some(Finding::Service(Box::new(found)))
}

/// The datastore engines a package's dependencies name (a workspace library's, for the
/// services that depend on it).
pub fn engines_of(folder: &Folder<'_>) -> Vec<Found<Engine>> {
    let Some(manifest) = Manifest::read(folder) else {
        return Vec::new();
    };
    let mut found = Detected::new(
        Language::Node,
        PackageManager::Npm,
        RecipeFacts::Static(super::statik::Facts {
            output: None,
            tool: String::new(),
            lockfile: None,
            manager_version: None,
            workspace_root: None,
            name: None,
            scripts: BTreeMap::new(),
        }),
    );
    found.engines_from(&manifest.deps, &folder.shown("package.json"), DATASTORES);
    found.engines
}

/// The Node version the folder or the root pins: `.nvmrc`, `.node-version`, `engines.node`.
pub(super) fn version(folder: &Folder<'_>, manifest: &Manifest) -> Option<Found<String>> {
    for dir in [folder.dir, "."] {
        for name in [".nvmrc", ".node-version"] {
            if let Some(text) = folder.tree.read(&join(dir, name))
                && let Some(major) = text::major(text.trim())
            {
                return Some(Found::new(
                    major,
                    format!("{} pins Node.js `{}`", join(dir, name), text.trim()),
                ));
            }
        }
    }
    let engines = manifest.json.get("engines")?.get("node")?.as_str()?;
    let major = text::major(engines)?;
    Some(Found::new(
        major,
        format!(
            "{} requires Node.js `{engines}`",
            folder.shown("package.json")
        ),
    ))
}

/// An Nx project (`project.json`) in an integrated monorepo, where apps have no `package.json`.
pub fn nx_project(folder: &Folder<'_>) -> Option<Finding> {
    let text = folder.read("project.json")?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    let shown = folder.shown("project.json");
    if json.get("projectType").and_then(|v| v.as_str()) != Some("application") {
        return Some(Finding::Library(format!(
            "{shown} is not an Nx `application` project"
        )));
    }
    let executors: Vec<String> = json
        .get("targets")
        .and_then(|t| t.as_object())
        .map(|targets| {
            targets
                .values()
                .filter_map(|t| t.get("executor").and_then(|e| e.as_str()))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let server = executors
        .iter()
        .find(|e| e.contains("node") || e.contains("nest") || e.contains("next"));
    let root = folder.root.node.clone().unwrap_or_default();
    let manager = root.manager.unwrap_or(PackageManager::Npm);
    let why = match &root.lockfile {
        Some(lock) => format!("{lock} at the repository root → {manager}"),
        None => "no lockfile found, so npm is assumed".to_owned(),
    };
    if let Some(executor) = server {
        let facts = Facts {
            server: Some(executor.clone()),
            framework: Framework::Plain,
            name: json.get("name").and_then(|v| v.as_str()).map(str::to_owned),
            scripts: BTreeMap::new(),
            lockfile: root.lockfile.clone(),
            manager_version: root.manager_version.clone(),
            workspace_root: Some(".".to_owned()),
            main: None,
            public_dir: false,
        };
        let mut found = Detected::new(Language::Node, manager, RecipeFacts::Node(facts));
        found.evidence.push(format!(
            "{shown} is an Nx application served by `{executor}`"
        ));
        found.evidence.push(why);
        found.port_from(
            folder,
            ENTRY_FILES,
            Some(Found::new(
                3000,
                "Node servers conventionally listen on 3000",
            )),
        );
        found.unsure.push(format!(
            "{shown} is built by Nx; check the `build` and `start` commands scaffold recorded"
        ));
        Some(Finding::Service(Box::new(found)))
    } else if executors.iter().any(|e| e.contains(':')) {
        let mut found = Detected::new(
            Language::Static,
            manager,
            RecipeFacts::Static(super::statik::Facts {
                output: None,
                tool: executors.join(", "),
                lockfile: root.lockfile.clone(),
                manager_version: root.manager_version.clone(),
                workspace_root: Some(".".to_owned()),
                name: json.get("name").and_then(|v| v.as_str()).map(str::to_owned),
                scripts: BTreeMap::new(),
            }),
        );
        found.evidence.push(format!(
            "{shown} is an Nx application built by {} with no server: a static front end",
            executors.join(", ")
        ));
        found.evidence.push(why);
        Some(Finding::Service(Box::new(found)))
    } else {
        Some(Finding::Library(format!(
            "{shown} has no build or serve targets"
        )))
    }
}

/// The image an explicit Node version runs in.
pub(super) fn image(version: &Found<String>, pinned: bool) -> String {
    // A pin on the default line (`24`, `>=24`) is met by the default image's exact release.
    if pinned && version.value != DEFAULT_VERSION {
        format!("node:{}-bookworm-slim", version.value)
    } else {
        DEFAULT_IMAGE.to_owned()
    }
}

/// How dependencies are installed and pruned, shared with static sites.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Install {
    /// `npm`, `pnpm` or `yarn`.
    pub manager: String,
    /// Files copied before installing (for layer caching), relative to the context.
    pub manifests: Vec<String>,
    /// Enable corepack (pnpm, Yarn).
    pub corepack: bool,
    /// The release corepack activates (`pnpm@10.34.8`), when package.json pins one.
    pub corepack_pin: Option<String>,
    /// The install command.
    pub install: String,
    /// The command that removes dev dependencies after the build, if pruning.
    pub prune: Option<String>,
    /// A lockfile exists.
    pub locked: bool,
}

/// The install commands of `manager` in a context with `lockfile`, building `filter` (a
/// workspace member's package name) when set.
pub(super) fn install(
    manager: PackageManager,
    lockfile: Option<&str>,
    manager_version: Option<&str>,
    filter: Option<&str>,
) -> Install {
    let yarn_berry =
        manager == PackageManager::Yarn && manager_version.is_some_and(|v| !v.starts_with('1'));
    let mut manifests = vec!["package.json".to_owned()];
    if let Some(lock) = lockfile {
        manifests.push(lock.to_owned());
    }
    let locked = lockfile.is_some();
    let (install, prune) = match manager {
        PackageManager::Pnpm => (
            if locked {
                "pnpm install --frozen-lockfile".to_owned()
            } else {
                "pnpm install".to_owned()
            },
            Some("pnpm prune --prod --ignore-scripts".to_owned()),
        ),
        PackageManager::Yarn if yarn_berry => (
            if locked {
                "yarn install --immutable".to_owned()
            } else {
                "yarn install".to_owned()
            },
            Some("yarn workspaces focus --all --production".to_owned()),
        ),
        PackageManager::Yarn => (
            if locked {
                "yarn install --frozen-lockfile".to_owned()
            } else {
                "yarn install".to_owned()
            },
            Some("yarn install --frozen-lockfile --production --ignore-scripts".to_owned()),
        ),
        _ => (
            if locked {
                "npm ci --no-audit --no-fund".to_owned()
            } else {
                "npm install --no-audit --no-fund".to_owned()
            },
            Some("npm prune --omit=dev".to_owned()),
        ),
    };
    let _ = filter;
    Install {
        manager: manager.as_str().to_owned(),
        manifests,
        corepack: matches!(manager, PackageManager::Pnpm | PackageManager::Yarn),
        corepack_pin: manager_version
            .filter(|_| matches!(manager, PackageManager::Pnpm | PackageManager::Yarn))
            .map(|v| format!("{manager}@{v}")),
        install,
        prune,
        locked,
    }
}

/// The Node template's details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Detail {
    /// How dependencies are installed.
    pub install: Install,
    /// A workspace member built from the workspace root: the `pnpm deploy` command that
    /// writes it with its production dependencies into /out.
    pub pnpm_deploy: Option<String>,
    /// The folder (relative to /app) the start command runs in.
    pub workdir: String,
    /// Next.js standalone output: only `.next/standalone`, `.next/static` and `public` ship.
    pub next_standalone: bool,
    /// The app has a `public/` folder to ship beside the standalone server.
    pub public_dir: bool,
    /// Nitro output: only `.output` ships.
    pub nitro: bool,
    /// The start command runs the package manager, so the runtime image enables corepack too.
    pub runtime_corepack: bool,
}

fn recipe(input: &RecipeInput<'_>) -> Recipe {
    let facts = match input.facts() {
        Some(RecipeFacts::Node(facts)) => Some(facts),
        _ => None,
    };
    let version = input.version(DEFAULT_VERSION, "Node.js");
    let pinned = input.version_pinned();
    let image = image(&version, pinned);
    let mut evidence = vec![version.why.clone()];
    let mut assumptions = Vec::new();
    let manager = input.package_manager;
    let runner = manager.as_str();
    let workspace = facts.and_then(|f| f.workspace_root.clone());
    let lockfile = facts.and_then(|f| f.lockfile.clone()).or_else(|| {
        // The starter commits a package-lock.json; other managers name theirs.
        facts.is_none().then(|| manager.lockfile().to_owned())
    });
    if lockfile.is_none() {
        assumptions.push(format!(
            "{} has no lockfile, so the image installs whatever versions resolve at build time; commit one",
            input.name
        ));
    }
    let manager_version = facts.and_then(|f| f.manager_version.clone());
    if matches!(manager, PackageManager::Pnpm | PackageManager::Yarn) && manager_version.is_none() {
        assumptions.push(format!(
            "package.json does not pin {runner} with `packageManager`, so corepack activates whatever it considers current; add `\"packageManager\": \"{runner}@<version>\"`"
        ));
    }
    let name = facts.and_then(|f| f.name.clone());
    let install = install(
        manager,
        lockfile.as_deref(),
        manager_version.as_deref(),
        None,
    );
    let framework = facts.map_or(Framework::Plain, |f| f.framework.clone());
    let scripts = facts.map(|f| f.scripts.clone()).unwrap_or_default();
    let has_build = scripts.contains_key("build");
    let in_workspace = workspace.is_some() && input.path != ".";
    // pnpm 10 deploys workspace packages only when injected, unless `--legacy` (pnpm.io/cli/deploy).
    let legacy = manager_version
        .as_deref()
        .and_then(text::major)
        .is_none_or(|m| m.parse::<u32>().is_ok_and(|m| m >= 10));
    let pnpm_deploy = (in_workspace && manager == PackageManager::Pnpm)
        .then(|| name.clone())
        .flatten()
        .map(|n| {
            format!(
                "pnpm --filter {n} deploy --prod{} /out",
                if legacy { " --legacy" } else { "" }
            )
        });
    // Builds of one workspace member run through the manager's filter.
    let build_default = if has_build {
        Some(match (&name, in_workspace, manager) {
            (Some(n), true, PackageManager::Pnpm) => format!("pnpm --filter {n} run build"),
            (Some(n), true, PackageManager::Npm) => format!("npm run build --workspace {n}"),
            (Some(n), true, PackageManager::Yarn) => format!("yarn workspace {n} run build"),
            _ => format!("{runner} run build"),
        })
    } else {
        None
    };
    let build = input.build(build_default);
    let (next_standalone, nitro) = match &framework {
        Framework::Next { standalone, .. } => (*standalone, false),
        Framework::Nitro => (false, true),
        _ => (false, false),
    };
    let start_default: Vec<String> = match &framework {
        Framework::Next {
            standalone: true, ..
        } => vec!["node".into(), "server.js".into()],
        Framework::Next { .. } => vec!["node_modules/.bin/next".into(), "start".into()],
        Framework::Nitro => vec!["node".into(), ".output/server/index.mjs".into()],
        Framework::SvelteKit => vec!["node".into(), "build".into()],
        Framework::Astro => vec!["node".into(), "./dist/server/entry.mjs".into()],
        Framework::Nest if scripts.contains_key("start:prod") => {
            node_command(&scripts["start:prod"], runner, "start:prod")
        }
        Framework::Nest => vec!["node".into(), "dist/main".into()],
        _ => match scripts.get("start") {
            Some(script) => node_command(script, runner, "start"),
            None => match facts.and_then(|f| f.main.clone()) {
                Some(main) => vec!["node".into(), main],
                // The starter's entry point.
                None => vec!["node".into(), "src/server.js".into()],
            },
        },
    };
    if let Framework::Next {
        standalone: false,
        typescript_config: true,
    } = &framework
    {
        evidence.push(
            "`next start` compiles next.config.ts at run time with TypeScript, a dev dependency, so the image keeps dev dependencies (set `output: 'standalone'` for a smaller image)".to_owned(),
        );
    }
    let keep_dev = matches!(
        framework,
        Framework::Next {
            standalone: false,
            typescript_config: true
        }
    );
    let public_dir = facts.is_some_and(|f| f.public_dir);
    let mut detail = Detail {
        install,
        public_dir,
        runtime_corepack: false,
        pnpm_deploy,
        workdir: if in_workspace && manager != PackageManager::Pnpm {
            input.path.to_owned()
        } else {
            ".".to_owned()
        },
        next_standalone,
        nitro,
    };
    if keep_dev || next_standalone || nitro || detail.pnpm_deploy.is_some() {
        detail.install.prune = None;
    }
    let start = input.start(start_default);
    detail.runtime_corepack =
        detail.install.corepack && start.first().is_some_and(|w| w == "pnpm" || w == "yarn");
    if start.first().is_some_and(|w| w == runner) {
        evidence.push(format!(
            "the image runs `{}` through {runner}; the app must handle SIGTERM itself (Node does not exit on it as PID 1), and a direct `node <file>` start reaches it fastest",
            start.join(" ")
        ));
    }
    Recipe {
        template: "docker/node.Dockerfile.tera",
        build_image: image.clone(),
        runtime_image: image,
        version_pinned: pinned,
        runtime_version: version,
        context: if in_workspace {
            ".".to_owned()
        } else {
            input.path.to_owned()
        },
        dir_in_context: if in_workspace {
            format!("{}/", input.path)
        } else {
            String::new()
        },
        build,
        start_text: input
            .answers
            .start
            .map_or_else(|| start.join(" "), str::to_owned),
        start,
        init: false,
        detail: AnyDetail::Node(detail),
        evidence,
        assumptions,
    }
}

/// The argv of a `start` script: `node <file> [args]` runs directly; a framework binary runs
/// from `node_modules/.bin`; anything else through the package manager.
pub(super) fn node_command(script: &str, runner: &str, name: &str) -> Vec<String> {
    let via_runner = || vec![runner.to_owned(), "run".to_owned(), name.to_owned()];
    let Ok(words) = text::split_command(script) else {
        return via_runner();
    };
    let first = words[0].as_str();
    if first == "node" {
        return words;
    }
    if [
        "next",
        "nuxt",
        "remix-serve",
        "react-router-serve",
        "nest",
        "astro",
    ]
    .contains(&first)
        || words.iter().all(|w| !w.contains('=')) && ["ts-node", "tsx"].contains(&first)
    {
        let mut out = vec![format!("node_modules/.bin/{first}")];
        out.extend(words[1..].iter().cloned());
        return out;
    }
    via_runner()
}

/// The CI of a Node service, shared with static sites.
pub(super) fn ci_for(
    input: &RecipeInput<'_>,
    recipe: &Recipe,
    scripts: &BTreeMap<String, String>,
    static_site: bool,
) -> Ci {
    let manager = input.package_manager;
    let runner = manager.as_str();
    let root = recipe.context.clone();
    let install = match &recipe.detail {
        AnyDetail::Node(d) => d.install.install.clone(),
        AnyDetail::Static(d) => d.install.install.clone(),
        _ => format!("{runner} install"),
    }
    .replace(" --no-audit --no-fund", "");
    let in_workspace = root == "." && input.path != ".";
    let scoped = |script: &str| -> String {
        if in_workspace {
            match manager {
                PackageManager::Pnpm => format!("pnpm --dir {} run {script}", input.path),
                PackageManager::Yarn => format!("yarn --cwd {} run {script}", input.path),
                _ => format!("npm --prefix {} run {script}", input.path),
            }
        } else {
            format!("{runner} run {script}")
        }
    };
    let lint = match scripts.get("lint") {
        Some(_) => vec![scoped("lint")],
        None => vec![warning(&format!(
            "{}: package.json has no lint script, so nothing lints this service; add one (for example eslint)",
            input.name
        ))],
    };
    let mut test = match scripts.get("test") {
        Some(script) if !script.contains("no test specified") => vec![scoped("test")],
        _ => vec![warning(&format!(
            "{}: package.json has no test script, so no tests run; add one (for example node --test)",
            input.name
        ))],
    };
    if static_site {
        test.push(scoped("build"));
    }
    Ci {
        setup: Setup::Node {
            version: recipe.runtime_version.value.clone(),
            manager: runner.to_owned(),
            corepack: matches!(manager, PackageManager::Pnpm | PackageManager::Yarn),
        },
        working_directory: root.clone(),
        cache_key: join(
            &root,
            &match &recipe.detail {
                AnyDetail::Node(d) => d.install.manifests.get(1).cloned(),
                AnyDetail::Static(d) => d.install.manifests.get(1).cloned(),
                _ => None,
            }
            .unwrap_or_else(|| "package.json".to_owned()),
        ),
        install: vec![install],
        lint,
        test,
    }
}

fn ci(input: &RecipeInput<'_>, recipe: &Recipe) -> Ci {
    let scripts = match input.facts() {
        Some(RecipeFacts::Node(f)) => f.scripts.clone(),
        // The starter's scripts.
        _ => [("test".to_owned(), "node --test".to_owned())].into(),
    };
    ci_for(input, recipe, &scripts, false)
}
