//! Reading one folder's manifests: its language, package manager, port, datastores.
//!
//! Each ecosystem has one function that reads the manifest and lockfile names
//! it knows and returns a [`Finding`] with the evidence for every conclusion,
//! so the wizard can show the user why it proposes what it proposes. Only
//! names and declared dependencies are read; nothing is executed or resolved.

use std::collections::BTreeSet;

use scaffold_core::{Engine, Language, PackageManager};

use super::ports;
use super::tree::{Tree, join};

/// The files that make a folder a candidate service.
pub const MANIFESTS: &[&str] = &[
    "package.json",
    "pyproject.toml",
    "requirements.txt",
    "go.mod",
    "Cargo.toml",
    "pom.xml",
    "build.gradle",
    "build.gradle.kts",
    "project.json",
];

/// One folder to analyse.
pub struct Folder<'a> {
    /// The repository.
    pub tree: &'a dyn Tree,
    /// The folder, `.` for the root.
    pub dir: &'a str,
    /// The names of the files directly in it.
    pub files: &'a BTreeSet<String>,
}

impl Folder<'_> {
    fn has(&self, name: &str) -> bool {
        self.files.contains(name)
    }

    /// Reads `name`; a nested path (`src/main.rs`) is read without a listing.
    fn read(&self, name: &str) -> Option<String> {
        (self.has(name) || name.contains('/'))
            .then(|| self.tree.read(&join(self.dir, name)))
            .flatten()
    }

    /// `name` as shown in evidence: the path from the repository root.
    fn shown(&self, name: &str) -> String {
        join(self.dir, name)
    }
}

/// What the repository root says that applies to every folder.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The Node package manager named by a lockfile at the root (workspaces share one lockfile).
    pub node_manager: Option<(PackageManager, String)>,
    /// The Python package manager named by a lockfile at the root (uv workspaces share one).
    pub python_manager: Option<(PackageManager, String)>,
    /// True when the root is a Maven or Gradle multi-module build, so a module
    /// without an application plugin is a library.
    pub java_multi_module: bool,
}

/// What a folder holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Finding {
    /// A deployable service.
    Service(Found),
    /// A library or tooling package, with the reason it is not a service.
    Library(String),
}

/// A service found in a folder.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// The language.
    pub language: Language,
    /// The package manager.
    pub package_manager: PackageManager,
    /// A port read from the code or a framework's default, if any.
    pub port: Option<u16>,
    /// True when it looks like a background worker rather than something users call.
    pub worker: bool,
    /// True when a dependency names a web server or framework.
    pub server: bool,
    /// Datastore engines its dependencies name, with the dependency as evidence.
    pub engines: Vec<(Engine, String)>,
    /// Why scaffold believes all this.
    pub evidence: Vec<String>,
}

impl Found {
    fn new(language: Language, package_manager: PackageManager) -> Self {
        Found {
            language,
            package_manager,
            port: None,
            worker: false,
            server: false,
            engines: Vec::new(),
            evidence: Vec::new(),
        }
    }

    /// Records the datastores named by `deps` in the given ecosystem.
    fn datastores(&mut self, deps: &[String], manifest: &str, table: &[(&str, Engine)]) {
        for dep in deps {
            let lower = dep.to_ascii_lowercase();
            if let Some((_, engine)) = table.iter().find(|(name, _)| {
                lower == *name || (name.ends_with('/') && lower.starts_with(name))
            }) && !self.engines.iter().any(|(e, _)| e == engine)
            {
                self.engines
                    .push((*engine, format!("{manifest} depends on `{dep}`")));
            }
        }
    }

    /// Reads a port hint from `files` (in order), or takes the framework default.
    fn port_from(&mut self, folder: &Folder<'_>, files: &[&str], default: Option<(u16, String)>) {
        for name in files {
            let Some(text) = folder.read(name) else {
                continue;
            };
            if let Some(port) = ports::hint(&text) {
                if port < 1024 {
                    self.evidence.push(format!(
                        "{} listens on port {port}, which is privileged; the container uses the default instead",
                        folder.shown(name)
                    ));
                    continue;
                }
                self.port = Some(port);
                self.evidence
                    .push(format!("{} names port {port}", folder.shown(name)));
                return;
            }
        }
        if let Some((port, why)) = default {
            self.port = Some(port);
            self.evidence.push(why);
        }
    }
}

/// Analyses `folder`, or returns `None` when it holds no manifest scaffold knows.
///
/// A `package.json` next to another language's manifest is usually that
/// service's asset pipeline (Django or Spring with a Vite build), so it decides
/// only when it names a web server of its own, or when it is the only manifest.
pub fn analyze(folder: &Folder<'_>, ctx: &Context) -> Option<Finding> {
    let node = folder
        .has("package.json")
        .then(|| node(folder, ctx))
        .flatten();
    if let Some(Finding::Service(found)) = &node
        && found.server
    {
        return node;
    }
    let other = if folder.has("go.mod") {
        Some(go(folder))
    } else if folder.has("Cargo.toml") {
        rust(folder)
    } else if folder.has("pom.xml") || folder.has("build.gradle") || folder.has("build.gradle.kts")
    {
        Some(java(folder, ctx))
    } else if folder.has("pyproject.toml") || folder.has("requirements.txt") {
        Some(python(folder, ctx))
    } else {
        None
    };
    other.or(node).or_else(|| {
        folder
            .has("project.json")
            .then(|| nx_project(folder, ctx))
            .flatten()
    })
}

/// An Nx project (`project.json`) in an integrated monorepo, where apps have no `package.json`.
fn nx_project(folder: &Folder<'_>, ctx: &Context) -> Option<Finding> {
    let text = folder.read("project.json")?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    let manifest = folder.shown("project.json");
    if json.get("projectType").and_then(|v| v.as_str()) != Some("application") {
        return Some(Finding::Library(format!(
            "{manifest} is not an Nx `application` project"
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
    let (manager, why) = ctx.node_manager.clone().unwrap_or((
        PackageManager::Npm,
        "no lockfile found, so npm is assumed".to_owned(),
    ));
    let mut found;
    if let Some(executor) = server {
        found = Found::new(Language::Node, manager);
        found.server = true;
        found.evidence.push(format!(
            "{manifest} is an Nx application served by `{executor}`"
        ));
        found.port_from(
            folder,
            NODE_ENTRY_FILES,
            Some((
                3000,
                "Node servers conventionally listen on 3000".to_owned(),
            )),
        );
    } else if executors.iter().any(|e| e.contains(':')) {
        found = Found::new(Language::Static, manager);
        found.evidence.push(format!(
            "{manifest} is an Nx application built by {} with no server: a static front end",
            executors.join(", ")
        ));
    } else {
        return Some(Finding::Library(format!(
            "{manifest} has no build or serve targets"
        )));
    }
    found.evidence.push(why);
    Some(Finding::Service(found))
}

/// The Node lockfile in `files`, with its name.
pub fn node_lockfile(files: &BTreeSet<String>) -> Option<(PackageManager, &'static str)> {
    [
        (PackageManager::Pnpm, "pnpm-lock.yaml"),
        (PackageManager::Yarn, "yarn.lock"),
        (PackageManager::Npm, "package-lock.json"),
    ]
    .into_iter()
    .find(|(_, name)| files.contains(*name))
}

/// The Python lockfile in `files`, with its name.
pub fn python_lockfile(files: &BTreeSet<String>) -> Option<(PackageManager, &'static str)> {
    [
        (PackageManager::Uv, "uv.lock"),
        (PackageManager::Poetry, "poetry.lock"),
    ]
    .into_iter()
    .find(|(_, name)| files.contains(*name))
}

const NODE_SERVERS: &[&str] = &[
    "express",
    "fastify",
    "koa",
    "@nestjs/core",
    "@hapi/hapi",
    "hono",
    "restify",
    "@apollo/server",
    "apollo-server",
    "@remix-run/serve",
    "nuxt",
];
const NODE_FRONT_ENDS: &[&str] = &[
    "vite",
    "react-scripts",
    "@angular/cli",
    "@vue/cli-service",
    "parcel",
    "astro",
    "gatsby",
];
const NODE_WORKERS: &[&str] = &["bullmq", "bull", "bee-queue", "agenda", "node-cron"];
const NODE_DATASTORES: &[(&str, Engine)] = &[
    ("pg", Engine::Postgres),
    ("postgres", Engine::Postgres),
    ("pg-promise", Engine::Postgres),
    ("@neondatabase/serverless", Engine::Postgres),
    ("mysql2", Engine::Mysql),
    ("mysql", Engine::Mysql),
    ("redis", Engine::Redis),
    ("ioredis", Engine::Redis),
    ("@redis/client", Engine::Redis),
];

fn node(folder: &Folder<'_>, ctx: &Context) -> Option<Finding> {
    let text = folder.read("package.json")?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    let names = |key: &str| -> Vec<String> {
        json.get(key)
            .and_then(serde_json::Value::as_object)
            .map(|deps| deps.keys().cloned().collect())
            .unwrap_or_default()
    };
    let deps = names("dependencies");
    let dev = names("devDependencies");
    let has = |name: &str| deps.iter().any(|d| d == name);
    let has_any = |name: &str| has(name) || dev.iter().any(|d| d == name);
    let scripts = json.get("scripts").and_then(serde_json::Value::as_object);
    let start = scripts.is_some_and(|s| s.contains_key("start"));
    let manifest = folder.shown("package.json");

    let (manager, why) = if let Some((manager, lock)) = node_lockfile(folder.files) {
        (manager, format!("{} → {manager}", folder.shown(lock)))
    } else if let Some((manager, why)) = &ctx.node_manager {
        (*manager, why.clone())
    } else if let Some(field) = json.get("packageManager").and_then(|v| v.as_str()) {
        let name = field.split('@').next().unwrap_or_default();
        match PackageManager::parse(name) {
            Some(m @ (PackageManager::Npm | PackageManager::Pnpm | PackageManager::Yarn)) => {
                (m, format!("{manifest} says `packageManager: {field}`"))
            }
            _ => (
                PackageManager::Npm,
                "no lockfile found, so npm is assumed".to_owned(),
            ),
        }
    } else {
        (
            PackageManager::Npm,
            "no lockfile found, so npm is assumed".to_owned(),
        )
    };

    let server = NODE_SERVERS.iter().find(|s| has(s));
    let next_export = has("next")
        && ["next.config.js", "next.config.mjs", "next.config.ts"]
            .iter()
            .filter_map(|name| folder.read(name))
            .any(|config| {
                let compact: String = config.chars().filter(|c| !c.is_whitespace()).collect();
                compact.contains("output:'export'") || compact.contains("output:\"export\"")
            });
    let front_end = NODE_FRONT_ENDS.iter().find(|s| has_any(s));

    let mut found;
    if let Some(server) = server {
        found = Found::new(Language::Node, manager);
        found.server = true;
        found
            .evidence
            .push(format!("{manifest} depends on `{server}`, a web server"));
        found.port_from(
            folder,
            NODE_ENTRY_FILES,
            Some((
                3000,
                format!("`{server}` apps conventionally listen on 3000"),
            )),
        );
    } else if has("next") && !next_export {
        found = Found::new(Language::Node, manager);
        found.server = true;
        found.evidence.push(format!(
            "{manifest} depends on `next` without `output: 'export'`, so it runs a Next.js server"
        ));
        found.port_from(
            folder,
            &[".env", ".env.example"],
            Some((3000, "`next start` listens on 3000".to_owned())),
        );
    } else if next_export || front_end.is_some() {
        found = Found::new(Language::Static, manager);
        let tool = if next_export {
            "a Next.js static export"
        } else {
            front_end.copied().unwrap_or_default()
        };
        found.evidence.push(format!(
            "{manifest} builds with {tool} and has no server dependency: a static front end served by nginx"
        ));
    } else if start {
        found = Found::new(Language::Node, manager);
        found
            .evidence
            .push(format!("{manifest} has a `start` script"));
        found.port_from(folder, NODE_ENTRY_FILES, None);
    } else {
        return Some(Finding::Library(format!(
            "{manifest} has no `start` script, web server or front-end build: a library or tooling package"
        )));
    }
    found.evidence.push(why);
    if found.language == Language::Node
        && let Some(worker) = NODE_WORKERS.iter().find(|w| has(w))
        && server.is_none()
    {
        found.worker = true;
        found.evidence.push(format!(
            "{manifest} depends on `{worker}` and no web server: a background worker"
        ));
    }
    if found.language == Language::Node {
        found.datastores(&deps, &manifest, NODE_DATASTORES);
    }
    Some(Finding::Service(found))
}

const NODE_ENTRY_FILES: &[&str] = &[
    ".env",
    ".env.example",
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

const PYTHON_DATASTORES: &[(&str, Engine)] = &[
    ("psycopg", Engine::Postgres),
    ("psycopg2", Engine::Postgres),
    ("psycopg2-binary", Engine::Postgres),
    ("psycopg-binary", Engine::Postgres),
    ("asyncpg", Engine::Postgres),
    ("pg8000", Engine::Postgres),
    ("mysqlclient", Engine::Mysql),
    ("pymysql", Engine::Mysql),
    ("aiomysql", Engine::Mysql),
    ("mysql-connector-python", Engine::Mysql),
    ("redis", Engine::Redis),
    ("aioredis", Engine::Redis),
];
const PYTHON_WORKERS: &[&str] = &["celery", "rq", "dramatiq", "arq", "huey"];

fn python(folder: &Folder<'_>, ctx: &Context) -> Finding {
    let pyproject = folder.read("pyproject.toml");
    let doc = pyproject
        .as_deref()
        .and_then(|t| t.parse::<toml_edit::DocumentMut>().ok());
    let mut deps = Vec::new();
    let mut manifest = folder.shown("pyproject.toml");
    if let Some(doc) = &doc {
        if let Some(list) = doc
            .get("project")
            .and_then(|p| p.get("dependencies"))
            .and_then(|d| d.as_array())
        {
            deps.extend(list.iter().filter_map(|v| v.as_str()).map(requirement_name));
        }
        if let Some(table) = doc
            .get("tool")
            .and_then(|t| t.get("poetry"))
            .and_then(|p| p.get("dependencies"))
            .and_then(|d| d.as_table_like())
        {
            deps.extend(
                table
                    .iter()
                    .map(|(k, _)| k.to_owned())
                    .filter(|k| k != "python"),
            );
        }
    }
    if let Some(requirements) = folder.read("requirements.txt") {
        if pyproject.is_none() {
            manifest = folder.shown("requirements.txt");
        }
        deps.extend(
            requirements
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('-'))
                .map(requirement_name),
        );
    }
    let tool = |name: &str| {
        doc.as_ref()
            .and_then(|d| d.get("tool"))
            .is_some_and(|t| t.get(name).is_some())
    };
    let (manager, why) = if let Some((manager, lock)) = python_lockfile(folder.files) {
        (manager, format!("{} → {manager}", folder.shown(lock)))
    } else if let Some((manager, why)) = &ctx.python_manager {
        (*manager, why.clone())
    } else if tool("poetry") {
        (
            PackageManager::Poetry,
            format!("{manifest} has `[tool.poetry]` → poetry"),
        )
    } else if tool("uv") {
        (
            PackageManager::Uv,
            format!("{manifest} has `[tool.uv]` → uv"),
        )
    } else if folder.has("requirements.txt") {
        (
            PackageManager::Pip,
            format!("{} → pip", folder.shown("requirements.txt")),
        )
    } else {
        (
            PackageManager::Pip,
            "no lockfile found, so pip is assumed".to_owned(),
        )
    };
    let mut found = Found::new(Language::Python, manager);
    let has = |name: &str| deps.iter().any(|d| d.eq_ignore_ascii_case(name));
    let framework = [
        (
            "fastapi",
            8000,
            "FastAPI apps served by uvicorn listen on 8000",
        ),
        ("uvicorn", 8000, "uvicorn listens on 8000"),
        ("django", 8000, "Django's server listens on 8000"),
        ("gunicorn", 8000, "gunicorn listens on 8000"),
        ("flask", 5000, "Flask listens on 5000"),
    ]
    .into_iter()
    .find(|(name, _, _)| has(name));
    match framework {
        Some((name, _, _)) => found
            .evidence
            .push(format!("{manifest} depends on `{name}`, a web framework")),
        None => found
            .evidence
            .push(format!("{manifest} declares a Python project")),
    }
    found.evidence.push(why);
    if framework.is_none()
        && let Some(worker) = PYTHON_WORKERS.iter().find(|w| has(w))
    {
        found.worker = true;
        found.evidence.push(format!(
            "{manifest} depends on `{worker}` and no web framework: a background worker"
        ));
    }
    found.port_from(
        folder,
        &[
            ".env",
            ".env.example",
            "main.py",
            "app.py",
            "app/main.py",
            "src/main.py",
        ],
        framework.map(|(_, port, why)| (port, why.to_owned())),
    );
    found.datastores(&deps, &manifest, PYTHON_DATASTORES);
    Finding::Service(found)
}

/// `Flask[async]>=2.0 ; python_version > "3"` → `flask`.
fn requirement_name(line: &str) -> String {
    let end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(line.len());
    line[..end].to_ascii_lowercase().replace('_', "-")
}

const GO_DATASTORES: &[(&str, Engine)] = &[
    ("github.com/jackc/pgx/", Engine::Postgres),
    ("github.com/jackc/pgx", Engine::Postgres),
    ("github.com/lib/pq", Engine::Postgres),
    ("github.com/go-sql-driver/mysql", Engine::Mysql),
    ("github.com/redis/go-redis/", Engine::Redis),
    ("github.com/go-redis/redis/", Engine::Redis),
    ("github.com/go-redis/redis", Engine::Redis),
    ("github.com/gomodule/redigo", Engine::Redis),
];

fn go(folder: &Folder<'_>) -> Finding {
    let text = folder.read("go.mod").unwrap_or_default();
    let manifest = folder.shown("go.mod");
    let mut deps = Vec::new();
    let mut in_block = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with("require (") {
            in_block = true;
        } else if in_block && line == ")" {
            in_block = false;
        } else if let Some(rest) = line.strip_prefix("require ") {
            deps.extend(rest.split_whitespace().next().map(str::to_owned));
        } else if in_block {
            deps.extend(line.split_whitespace().next().map(str::to_owned));
        }
    }
    let mut found = Found::new(Language::Go, PackageManager::Go);
    found
        .evidence
        .push(format!("{manifest} declares a Go module → go modules"));
    let mut entries = vec![
        "main.go".to_owned(),
        ".env".to_owned(),
        ".env.example".to_owned(),
    ];
    let cmd = join(folder.dir, "cmd");
    for entry in folder
        .tree
        .list(&cmd)
        .into_iter()
        .filter(|e| e.is_dir)
        .take(8)
    {
        entries.push(format!("cmd/{}/main.go", entry.name));
    }
    let entries: Vec<&str> = entries.iter().map(String::as_str).collect();
    found.port_from(
        folder,
        &entries,
        Some((
            8080,
            "Go HTTP services conventionally listen on 8080".to_owned(),
        )),
    );
    found.datastores(&deps, &manifest, GO_DATASTORES);
    Finding::Service(found)
}

const RUST_SERVERS: &[&str] = &[
    "axum",
    "actix-web",
    "rocket",
    "warp",
    "hyper",
    "poem",
    "tonic",
    "salvo",
];
const RUST_DATASTORES: &[(&str, Engine)] = &[
    ("tokio-postgres", Engine::Postgres),
    ("postgres", Engine::Postgres),
    ("deadpool-postgres", Engine::Postgres),
    ("mysql", Engine::Mysql),
    ("mysql_async", Engine::Mysql),
    ("redis", Engine::Redis),
    ("fred", Engine::Redis),
    ("deadpool-redis", Engine::Redis),
];

fn rust(folder: &Folder<'_>) -> Option<Finding> {
    let text = folder.read("Cargo.toml")?;
    let doc: toml_edit::DocumentMut = text.parse().ok()?;
    let manifest = folder.shown("Cargo.toml");
    doc.get("package")?;
    let binary =
        folder.tree.read(&join(folder.dir, "src/main.rs")).is_some() || doc.get("bin").is_some();
    if !binary {
        return Some(Finding::Library(format!(
            "{manifest} builds no binary (no `src/main.rs` or `[[bin]]`): a library crate"
        )));
    }
    let mut found = Found::new(Language::Rust, PackageManager::Cargo);
    found
        .evidence
        .push(format!("{manifest} builds a binary → cargo"));
    let mut deps = Vec::new();
    if let Some(table) = doc.get("dependencies").and_then(|d| d.as_table_like()) {
        for (name, value) in table.iter() {
            deps.push(name.to_owned());
            let features: Vec<String> = value
                .get("features")
                .and_then(|f| f.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            if matches!(name, "sqlx" | "diesel" | "sea-orm") {
                for (feature, engine) in [("postgres", Engine::Postgres), ("mysql", Engine::Mysql)]
                {
                    if features.iter().any(|f| f.contains(feature))
                        && !found.engines.iter().any(|(e, _)| *e == engine)
                    {
                        found.engines.push((
                            engine,
                            format!("{manifest} depends on `{name}` with the `{feature}` feature"),
                        ));
                    }
                }
            }
        }
    }
    found.datastores(&deps, &manifest, RUST_DATASTORES);
    match RUST_SERVERS.iter().find(|s| deps.iter().any(|d| d == *s)) {
        Some(server) => found
            .evidence
            .push(format!("{manifest} depends on `{server}`, a web server")),
        None => {
            found.worker = true;
            found.evidence.push(format!(
                "{manifest} depends on no web framework ({}): an internal worker",
                RUST_SERVERS.join(", ")
            ));
        }
    }
    found.port_from(folder, &[".env", ".env.example", "src/main.rs"], None);
    Some(Finding::Service(found))
}

const JAVA_DATASTORES: &[(&str, Engine)] = &[
    ("postgresql", Engine::Postgres),
    ("r2dbc-postgresql", Engine::Postgres),
    ("mysql-connector-j", Engine::Mysql),
    ("mysql-connector-java", Engine::Mysql),
    ("jedis", Engine::Redis),
    ("lettuce-core", Engine::Redis),
    ("spring-boot-starter-data-redis", Engine::Redis),
];

fn java(folder: &Folder<'_>, ctx: &Context) -> Finding {
    let (manager, manifest_name) = if folder.has("pom.xml") {
        (PackageManager::Maven, "pom.xml")
    } else if folder.has("build.gradle.kts") {
        (PackageManager::Gradle, "build.gradle.kts")
    } else {
        (PackageManager::Gradle, "build.gradle")
    };
    let text = folder.read(manifest_name).unwrap_or_default();
    let manifest = folder.shown(manifest_name);
    let deps: Vec<String> = if manager == PackageManager::Maven {
        xml_values(&text, "artifactId")
    } else {
        // `implementation("org.postgresql:postgresql:42.7.3")` → `postgresql`.
        text.split(['"', '\''])
            .filter_map(|s| {
                let mut parts = s.split(':');
                let (_group, artifact) = (parts.next()?, parts.next()?);
                (!artifact.is_empty() && !s.contains(' ')).then(|| artifact.to_owned())
            })
            .collect()
    };
    let application = [
        "spring-boot",
        "org.springframework.boot",
        "quarkus",
        "micronaut",
        "id 'application'",
        "id(\"application\")",
        "plugin: 'application'",
        "<packaging>war",
    ]
    .into_iter()
    .find(|marker| text.contains(marker));
    if ctx.java_multi_module && application.is_none() {
        return Finding::Library(format!(
            "{manifest} applies no application plugin (Spring Boot, Quarkus, Micronaut, `application`): a library module"
        ));
    }
    let mut found = Found::new(Language::Java, manager);
    found.evidence.push(format!("{manifest} → {manager}"));
    if let Some(marker) = application {
        found
            .evidence
            .push(format!("{manifest} mentions `{marker}`, an application"));
    }
    found.port_from(
        folder,
        &[
            "src/main/resources/application.properties",
            "src/main/resources/application.yml",
            "src/main/resources/application.yaml",
        ],
        Some((
            8080,
            "Java web servers listen on 8080 by default".to_owned(),
        )),
    );
    found.datastores(&deps, &manifest, JAVA_DATASTORES);
    found.evidence.retain(|e| !e.is_empty());
    Finding::Service(found)
}

/// Every `<tag>value</tag>` value in `text`.
pub fn xml_values(text: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(&open) {
        rest = &rest[start + open.len()..];
        let Some(end) = rest.find(&close) else { break };
        out.push(rest[..end].trim().to_owned());
        rest = &rest[end + close.len()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirement_names_drop_versions_extras_and_markers() {
        for (line, expect) in [
            ("Flask[async]>=2.0 ; python_version > '3'", "flask"),
            ("psycopg[binary]", "psycopg"),
            ("PyMySQL==1.1", "pymysql"),
            ("typing_extensions", "typing-extensions"),
        ] {
            assert_eq!(requirement_name(line), expect, "{line}");
        }
    }

    #[test]
    fn xml_values_are_found_in_order() {
        assert_eq!(
            xml_values("<a><m>x</m><m> y </m></a>", "m"),
            ["x".to_owned(), "y".to_owned()]
        );
    }
}
