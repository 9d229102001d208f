//! The stack table: everything scaffold knows about one language, in one module per stack.
//!
//! A [`Stack`] row says how to recognise the stack in a folder (the evidence
//! readers and their ranking), where its versions come from, how its image is
//! built and started ([`Recipe`]), how CI lints and tests it ([`Ci`]), which
//! CodeQL language and Dependabot ecosystem cover it, and the defaults of its
//! contract (port, health paths, datastore variable names). Every family reads
//! the row; none branches on a language itself. The table is a `match` on the
//! closed [`Language`] enum, so a stack the table does not know cannot compile,
//! let alone fall back to another stack's image.
//!
//! Detection reads the repository through [`Tree`] and never runs project
//! code. Its result for one folder, [`Detected`], reaches
//! [`crate::Project::resolve`] through [`crate::project::Facts`]; the recipe
//! is then decided from the answers first (`build`, `start`, `runtime_version`
//! in `scaffold.toml`), then the detected facts, then the stack's defaults,
//! which are exactly the conventions of the starter app scaffold writes into an
//! empty folder.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::connection::ConventionalNames;
use crate::datastore::{ConnectionForm, Engine};
use crate::vocabulary::{Language, PackageManager, ServiceKind};

pub mod dotnet;
pub mod go;
pub mod java;
pub mod node;
pub mod php;
mod pyroutes;
pub mod python;
pub mod ruby;
pub mod rust;
pub mod statik;
pub mod text;
pub mod tree;

pub use tree::{Entry, MemTree, Tree, join};

/// A value detection found, with why it believes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Found<T> {
    /// The value.
    pub value: T,
    /// The evidence, one line such as `src/server.js names port 4000`.
    pub why: String,
}

impl<T> Found<T> {
    /// A value with its evidence.
    pub fn new(value: T, why: impl Into<String>) -> Self {
        Found {
            value,
            why: why.into(),
        }
    }
}

/// One row of the table.
pub struct Stack {
    /// The language this row describes.
    pub language: Language,
    /// The files that make a folder a candidate for this stack.
    pub manifests: &'static [&'static str],
    /// The package managers that build it, the default first.
    pub package_managers: &'static [PackageManager],
    /// The port a web service listens on when nothing says otherwise.
    pub default_port: u16,
    /// The liveness and readiness paths of a web service when nothing says otherwise.
    pub health: (&'static str, &'static str),
    /// Whether services expose Prometheus metrics by default (not nginx-served sites).
    pub metrics: bool,
    /// The numeric user the runtime image runs as.
    pub uid: u32,
    /// Whether the runtime image has a shell (`preStop` hooks, `exec` probes).
    pub shell: bool,
    /// Whether the runtime image can run an HTTP `HEALTHCHECK` (a shell and a client).
    pub http_healthcheck: bool,
    /// The CodeQL language and build mode that analyse it, if CodeQL supports it.
    pub codeql: Option<(&'static str, &'static str)>,
    /// The form in which its frameworks read a connection to an engine.
    pub connection_form: fn(Engine) -> ConnectionForm,
    /// The variable names its frameworks read by convention.
    pub connection_names: ConventionalNames,
    /// Reads one folder, or `None` when the folder holds nothing of this stack.
    pub detect: fn(&Folder<'_>) -> Option<Finding>,
    /// Decides the image recipe.
    pub recipe: fn(&RecipeInput<'_>) -> Recipe,
    /// Decides the CI steps.
    pub ci: fn(&RecipeInput<'_>, &Recipe) -> Ci,
    /// The Dependabot `package-ecosystem` of a package manager.
    pub dependabot: fn(PackageManager) -> &'static str,
}

/// The row of `language`.
pub fn stack(language: Language) -> &'static Stack {
    match language {
        Language::Node => &node::STACK,
        Language::Static => &statik::STACK,
        Language::Python => &python::STACK,
        Language::Go => &go::STACK,
        Language::Rust => &rust::STACK,
        Language::Java => &java::STACK,
        Language::Dotnet => &dotnet::STACK,
        Language::Ruby => &ruby::STACK,
        Language::Php => &php::STACK,
    }
}

/// Every row, in the order detection ranks them: a folder's stronger evidence first
/// (a .NET project or a Go module beside a `package.json` is that language's service,
/// the `package.json` its asset pipeline), Node last.
pub fn ranked() -> [&'static Stack; 8] {
    [
        &dotnet::STACK,
        &go::STACK,
        &rust::STACK,
        &java::STACK,
        &ruby::STACK,
        &php::STACK,
        &python::STACK,
        &node::STACK,
    ]
}

/// Every manifest that makes a folder a candidate service, of every stack.
pub fn all_manifests() -> BTreeSet<&'static str> {
    ranked()
        .iter()
        .flat_map(|s| s.manifests.iter().copied())
        .collect()
}

/// One folder being analysed.
pub struct Folder<'a> {
    /// The repository.
    pub tree: &'a dyn Tree,
    /// The folder, `.` for the root.
    pub dir: &'a str,
    /// The names of the files directly in it.
    pub files: &'a BTreeSet<String>,
    /// What the repository root says.
    pub root: &'a Root,
}

impl Folder<'_> {
    /// Whether the folder holds file `name`.
    pub fn has(&self, name: &str) -> bool {
        self.files.contains(name)
    }

    /// Whether the folder holds a file whose name ends with `suffix`.
    pub fn has_suffix(&self, suffix: &str) -> Option<&str> {
        self.files
            .iter()
            .find(|f| f.ends_with(suffix))
            .map(String::as_str)
    }

    /// Reads `name`; a nested path (`src/main.rs`) is read without a listing.
    ///
    /// A file scaffold generated (its Dockerfile, `.env.example`) is not evidence about the
    /// app, and reading it would make every sync's facts depend on the previous sync's
    /// output: it reads as absent.
    pub fn read(&self, name: &str) -> Option<String> {
        (self.has(name) || name.contains('/'))
            .then(|| self.tree.read(&join(self.dir, name)))
            .flatten()
            .filter(|t| !text::generated_by_scaffold(t))
    }

    /// `name` as shown in evidence: the path from the repository root.
    pub fn shown(&self, name: &str) -> String {
        join(self.dir, name)
    }

    /// The entries of sub-folder `sub` (`.` for the folder itself).
    pub fn list(&self, sub: &str) -> Vec<Entry> {
        self.tree.list(&join(self.dir, sub))
    }

    /// The text of every file below the folder whose name ends with one of `suffixes`,
    /// at most `limit` files and four levels deep, skipping dependency and build folders.
    pub fn sources(&self, suffixes: &[&str], limit: usize) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut queue = std::collections::VecDeque::from([(".".to_owned(), 0usize)]);
        while let Some((sub, depth)) = queue.pop_front() {
            for entry in self.list(&sub) {
                let path = join(&sub, &entry.name);
                if entry.is_dir {
                    if depth < 4
                        && !entry.name.starts_with('.')
                        && !NOT_APP_DIRS.contains(&entry.name.as_str())
                        && !NOT_SOURCE_DIRS.contains(&entry.name.as_str())
                    {
                        queue.push_back((path, depth + 1));
                    }
                } else if suffixes.iter().any(|s| entry.name.ends_with(s)) {
                    if let Some(text) = self.read(&path) {
                        out.push((path, text));
                    }
                    if out.len() >= limit {
                        return out;
                    }
                }
            }
        }
        out
    }
}

/// Folders that hold dependencies, build output or virtual environments, never an app's
/// own code: detection walks none of them, and source scans skip them.
pub const NOT_APP_DIRS: &[&str] = &[
    "node_modules",
    "target",
    "vendor",
    "dist",
    "build",
    "out",
    "venv",
    "__pycache__",
    "coverage",
    "bin",
    "obj",
];

/// Folders source scans skip besides [`NOT_APP_DIRS`]: scratch files and logs.
const NOT_SOURCE_DIRS: &[&str] = &["tmp", "log"];

/// What the repository root says that applies to every folder.
#[derive(Debug, Clone, Default)]
pub struct Root {
    /// The Node package manager, lockfile and workspace packages declared at the root.
    pub node: Option<node::Workspace>,
    /// The Python lockfile at the root (uv workspaces share one), with its manager.
    pub python_lock: Option<(PackageManager, String)>,
    /// The root is a Maven or Gradle multi-module build, so a module without an
    /// application plugin is a library.
    pub java_multi_module: bool,
    /// The root `Cargo.toml` declares a workspace (members share `Cargo.lock` at the root).
    pub cargo_workspace: bool,
    /// Container ports the repository's own compose file gives each build context folder.
    pub compose_ports: BTreeMap<String, Vec<Found<u16>>>,
    /// Datastores the repository's own compose file starts for the service built from each
    /// folder (`depends_on`/`links` naming a service whose image is a known engine).
    pub compose_engines: BTreeMap<String, Vec<Found<Engine>>>,
    /// The repository's own compose file at the root (not one scaffold generated), if any.
    pub compose_file: Option<String>,
    /// The repository's own `Dockerfile` in each folder walked (see [`own_dockerfiles`]).
    pub dockerfiles: BTreeMap<String, text::DockerfileFacts>,
}

/// The repository's own `Dockerfile` in each of `dirs` (folder → its files), read once for
/// every folder, recognised stack or not: a service in that folder is built from it. One
/// scaffold generated (its header says so) is no evidence about the app, and reading it would
/// make every sync's facts depend on the previous sync's output, so it is left out.
pub fn own_dockerfiles(
    tree: &dyn tree::Tree,
    dirs: &BTreeMap<String, BTreeSet<String>>,
) -> BTreeMap<String, text::DockerfileFacts> {
    dirs.iter()
        .filter(|(_, files)| files.contains("Dockerfile"))
        .filter_map(|(dir, _)| {
            let text = tree.read(&tree::join(dir, "Dockerfile"))?;
            Some((dir.clone(), text::own_dockerfile(&text)?))
        })
        .collect()
}

/// What a folder holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Finding {
    /// A deployable service.
    Service(Box<Detected>),
    /// A library or tooling package, with the reason it is not a service.
    Library(String),
}

/// A service found in a folder: its stack, contract and recipe facts, each with evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Detected {
    /// The language.
    pub language: Language,
    /// The package manager.
    pub package_manager: PackageManager,
    /// Web, gRPC, worker or job, with why.
    pub kind: Found<ServiceKind>,
    /// The port, strongest evidence first (Dockerfile `EXPOSE`, compose, framework
    /// configuration, code, the framework's default).
    pub port: Option<Found<u16>>,
    /// The liveness path.
    pub health_path: Option<Found<String>>,
    /// The readiness path.
    pub readiness_path: Option<Found<String>>,
    /// The metrics path, when the code serves one.
    pub metrics_path: Option<Found<String>>,
    /// Datastore engines its dependencies name.
    pub engines: Vec<Found<Engine>>,
    /// Why it uses SQLite (a file, not a server datastore), if it does.
    pub sqlite: Option<String>,
    /// Variable names the repository uses for an engine (`.env.example`, settings).
    pub variables: Vec<(Engine, Found<String>)>,
    /// Folders of workspace packages it depends on (their datastores are its datastores).
    pub workspace_deps: Vec<String>,
    /// The language or runtime version the repository pins.
    pub runtime_version: Option<Found<String>>,
    /// What the recipe needs beyond the contract.
    pub recipe: RecipeFacts,
    /// The folder's own Dockerfile, which scaffold keeps.
    pub dockerfile: Option<text::DockerfileFacts>,
    /// Why scaffold believes all this, one line each.
    pub evidence: Vec<String>,
    /// What detection could not determine and assumed, one line each.
    pub unsure: Vec<String>,
}

impl Detected {
    /// A service of `language` built with `package_manager`, a web service until said otherwise.
    pub fn new(language: Language, package_manager: PackageManager, recipe: RecipeFacts) -> Self {
        Detected {
            language,
            package_manager,
            kind: Found::new(ServiceKind::Web, "it serves HTTP"),
            port: None,
            health_path: None,
            readiness_path: None,
            metrics_path: None,
            engines: Vec::new(),
            sqlite: None,
            variables: Vec::new(),
            workspace_deps: Vec::new(),
            runtime_version: None,
            recipe,
            dockerfile: None,
            evidence: Vec::new(),
            unsure: Vec::new(),
        }
    }

    /// Records the datastore engines named by `deps`, by exact name or `prefix/`.
    pub fn engines_from(&mut self, deps: &[String], manifest: &str, table: &[(&str, Engine)]) {
        for dep in deps {
            let lower = dep.to_ascii_lowercase();
            if let Some((_, engine)) = table.iter().find(|(name, _)| {
                lower == *name || (name.ends_with('/') && lower.starts_with(name))
            }) {
                self.add_engine(*engine, format!("{manifest} depends on `{dep}`"));
            }
        }
    }

    /// Records one engine, once.
    pub fn add_engine(&mut self, engine: Engine, why: String) {
        if !self.engines.iter().any(|e| e.value == engine) {
            self.engines.push(Found::new(engine, why));
        }
    }

    /// Sets the port from the strongest evidence: the folder's Dockerfile `EXPOSE`, the
    /// root compose file, then `hints` (files to read in order), then `default`.
    ///
    /// A privileged port (below 1024) is never taken: containers run without root, so the
    /// app is told to listen on `PORT` instead, and the user is told why.
    pub fn port_from(&mut self, folder: &Folder<'_>, hints: &[&str], default: Option<Found<u16>>) {
        let mut candidates: Vec<Found<u16>> = Vec::new();
        if let Some(port) = self
            .dockerfile
            .as_ref()
            .and_then(|d| d.expose.first().copied())
        {
            candidates.push(Found::new(
                port,
                format!("{} exposes port {port}", folder.shown("Dockerfile")),
            ));
        }
        if let Some(found) = folder
            .root
            .compose_ports
            .get(folder.dir)
            .and_then(|p| p.first())
        {
            candidates.push(found.clone());
        }
        for name in hints {
            if let Some((port, line)) = folder.read(name).and_then(|t| text::port_hint(&t)) {
                candidates.push(Found::new(
                    port,
                    format!("{} names port {port} (`{line}`)", folder.shown(name)),
                ));
            }
        }
        // Said once, for the strongest evidence of a privileged port.
        let mut privileged = None;
        for found in candidates {
            if found.value >= 1024 {
                self.port = Some(found);
                break;
            }
            privileged.get_or_insert(found);
        }
        if let Some(found) = privileged {
            self.unsure.push(format!(
                "{}, a privileged port; containers run without root, so scaffold gives the app an unprivileged PORT{}: make it listen on $PORT",
                found.why,
                self.port
                    .as_ref()
                    .or(default.as_ref())
                    .map(|p| format!(" ({})", p.value))
                    .unwrap_or_default()
            ));
        }
        if self.port.is_none() {
            self.port = default;
        }
    }

    /// Learns variable names from env example files: the variable whose value is a URL of
    /// each engine it uses (`REDIS_URL=redis://...`).
    pub fn variables_from_env(&mut self, folder: &Folder<'_>) {
        for name in ENV_EXAMPLES {
            let Some(text) = folder.read(name) else {
                continue;
            };
            for (key, value) in text::env_pairs(&text) {
                let lower = value.to_ascii_lowercase();
                let engine = if lower.starts_with("postgres") {
                    Some(Engine::Postgres)
                } else if lower.starts_with("mysql") || lower.starts_with("mariadb") {
                    Some(Engine::Mysql)
                } else if lower.starts_with("redis") {
                    Some(Engine::Redis)
                } else if lower.starts_with("sqlserver") || lower.starts_with("mssql") {
                    Some(Engine::Sqlserver)
                } else {
                    None
                };
                if let Some(engine) = engine
                    && !self.variables.iter().any(|(e, _)| *e == engine)
                {
                    self.variables.push((
                        engine,
                        Found::new(
                            key.clone(),
                            format!("{} sets `{key}` to a {engine} URL", folder.shown(name)),
                        ),
                    ));
                }
            }
        }
    }

    /// Finds the health and readiness paths among `paths` (string literals from the code).
    pub fn health_from(&mut self, paths: &[(String, String)]) {
        let routes: Vec<Route> = paths
            .iter()
            .map(|(file, path)| Route {
                file: file.clone(),
                literal: path.clone(),
                served: path.clone(),
                mounted: None,
            })
            .collect();
        self.health_from_routes(&routes);
    }

    /// Finds the health and readiness paths among `routes`: a candidate path matches what a
    /// route serves first, else what it literally says (`@router.get("/health")` on a router
    /// mounted at `/v1` is the health route, served at `/v1/health`).
    pub fn health_from_routes(&mut self, routes: &[Route]) {
        let pick = |candidates: &[&str]| -> Option<&Route> {
            candidates.iter().find_map(|c| {
                routes
                    .iter()
                    .find(|r| r.served == *c)
                    .or_else(|| routes.iter().find(|r| r.literal == *c))
            })
        };
        let found = |route: &Route| {
            Found::new(
                route.served.clone(),
                match &route.mounted {
                    Some(how) => format!("{} serves `{}` ({how})", route.file, route.served),
                    None => format!("{} serves `{}`", route.file, route.served),
                },
            )
        };
        if self.health_path.is_none()
            && let Some(route) = pick(text::HEALTH_PATHS)
        {
            self.health_path = Some(found(route));
        }
        if self.readiness_path.is_none()
            && let Some(route) = pick(text::READINESS_PATHS)
        {
            self.readiness_path = Some(found(route));
        }
        if self.metrics_path.is_none()
            && let Some(route) = pick(&["/metrics"])
        {
            self.metrics_path = Some(found(route));
        }
    }

    /// Takes the folder's own Dockerfile, if any (read with the root's facts).
    pub fn read_dockerfile(&mut self, folder: &Folder<'_>) {
        self.dockerfile = folder.root.dockerfiles.get(folder.dir).cloned();
    }
}

/// A path the code serves, as found in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The file that declares it, as shown to the user.
    pub file: String,
    /// The path as written in the code.
    pub literal: String,
    /// The path the app serves (the literal under its router's prefix).
    pub served: String,
    /// How the literal became the served path, when it did.
    pub mounted: Option<String>,
}

/// Env example files, read for variable names and ports.
pub const ENV_EXAMPLES: &[&str] = &[
    ".env.example",
    ".env.sample",
    ".env.template",
    "example.env",
    ".env.dist",
];

/// String literals that start with `/` in `sources`, with the file each came from.
pub fn literal_paths(sources: &[(String, String)], folder: &Folder<'_>) -> Vec<(String, String)> {
    sources
        .iter()
        .flat_map(|(file, text)| {
            text::quoted_paths(text)
                .into_iter()
                .map(|p| (folder.shown(file), p))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// What a stack's recipe needs beyond the contract, as detection found it.
#[derive(Debug, Clone, PartialEq)]
pub enum RecipeFacts {
    /// A Node server.
    Node(node::Facts),
    /// A static front end built with Node.
    Static(statik::Facts),
    /// A Python service.
    Python(python::Facts),
    /// A Go service.
    Go(go::Facts),
    /// A Rust service.
    Rust(rust::Facts),
    /// A Java service.
    Java(java::Facts),
    /// An ASP.NET Core service.
    Dotnet(dotnet::Facts),
    /// A Ruby service.
    Ruby(ruby::Facts),
    /// A PHP service.
    Php(php::Facts),
}

/// What the recipe of one service is decided from.
#[derive(Debug, Clone, Copy)]
pub struct RecipeInput<'a> {
    /// The service's name.
    pub name: &'a str,
    /// Its folder (`.` for the root).
    pub path: &'a str,
    /// Its kind.
    pub kind: ServiceKind,
    /// Its port (listening services).
    pub port: Option<u16>,
    /// Its package manager.
    pub package_manager: PackageManager,
    /// What detection found in its folder, if it was detected.
    pub detected: Option<&'a Detected>,
    /// What `scaffold.toml` says of the recipe.
    pub answers: RecipeAnswers<'a>,
}

impl RecipeInput<'_> {
    /// The facts of this stack, when detection found the same stack in the folder.
    pub fn facts(&self) -> Option<&RecipeFacts> {
        self.detected.map(|d| &d.recipe)
    }

    /// The runtime version: the answer, else the repository's pin, else `default`
    /// (said so in the evidence).
    pub fn version(&self, default: &str, what: &str) -> Found<String> {
        if let Some(version) = self.answers.runtime_version {
            return Found::new(
                version.to_owned(),
                format!("`runtime_version` in scaffold.toml names {what} {version}"),
            );
        }
        if let Some(found) = self.detected.and_then(|d| d.runtime_version.clone()) {
            return found;
        }
        Found::new(
            default.to_owned(),
            format!(
                "no {what} version is pinned in the repository, so scaffold's default {default} is used"
            ),
        )
    }

    /// Whether the version [`RecipeInput::version`] gives is pinned (by the answers or the
    /// repository) rather than scaffold's default.
    pub fn version_pinned(&self) -> bool {
        self.answers.runtime_version.is_some()
            || self.detected.is_some_and(|d| d.runtime_version.is_some())
    }

    /// The `start` command: the answer split into words, else `default`; `${PORT}` becomes the port.
    pub fn start(&self, default: Vec<String>) -> Vec<String> {
        let words = self
            .answers
            .start
            .and_then(|s| text::split_command(s).ok())
            .unwrap_or(default);
        let port = self.port.map(|p| p.to_string()).unwrap_or_default();
        words
            .into_iter()
            .map(|w| w.replace("${PORT}", &port).replace("$PORT", &port))
            .collect()
    }

    /// The `build` command: the answer (empty means none), else `default`.
    pub fn build(&self, default: Option<String>) -> Option<String> {
        match self.answers.build {
            Some("") => None,
            Some(build) => Some(build.to_owned()),
            None => default,
        }
    }
}

/// The recipe keys of one `[[services]]` entry.
#[derive(Debug, Clone, Copy, Default)]
pub struct RecipeAnswers<'a> {
    /// `build`: the command that builds the app in the image.
    pub build: Option<&'a str>,
    /// `start`: the command the image runs.
    pub start: Option<&'a str>,
    /// `runtime_version`: the language or runtime version.
    pub runtime_version: Option<&'a str>,
    /// `output`: the folder a static site's build writes.
    pub output: Option<&'a str>,
}

/// How a service's image is built and started, as its stack decided it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recipe {
    /// The Dockerfile template.
    pub template: &'static str,
    /// The image the build stage runs in.
    pub build_image: String,
    /// The image the service runs in.
    pub runtime_image: String,
    /// The language or runtime version, with where it came from.
    pub runtime_version: Found<String>,
    /// Whether the repository or the answers pinned the version (else scaffold's default).
    pub version_pinned: bool,
    /// The build context, relative to the repository root (`.` for a workspace root).
    pub context: String,
    /// The service's folder relative to the build context, with a trailing `/` (empty when
    /// the context is the service's folder).
    pub dir_in_context: String,
    /// The command that builds the app after its dependencies are installed, if any.
    pub build: Option<String>,
    /// The command the image runs, exec form.
    pub start: Vec<String>,
    /// The start command as `scaffold.toml` records it (`${PORT}` kept).
    pub start_text: String,
    /// `tini` runs as PID 1 and forwards signals (the runtime cannot handle SIGTERM as PID 1).
    pub init: bool,
    /// The stack's own details for its template.
    pub detail: Detail,
    /// Why each decision, one line each.
    pub evidence: Vec<String>,
    /// What was assumed rather than found, one line each (they become Clarifications).
    pub assumptions: Vec<String>,
}

/// The stack-specific part of a recipe, for the stack's Dockerfile template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Detail {
    /// Node servers.
    Node(node::Detail),
    /// Static sites.
    Static(statik::Detail),
    /// Python.
    Python(python::Detail),
    /// Go.
    Go(go::Detail),
    /// Rust.
    Rust(rust::Detail),
    /// Java.
    Java(java::Detail),
    /// .NET.
    Dotnet(dotnet::Detail),
    /// Ruby.
    Ruby(ruby::Detail),
    /// PHP.
    Php(php::Detail),
}

/// How CI sets up, lints and tests a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ci {
    /// The toolchain setup.
    pub setup: Setup,
    /// The folder the commands run in, relative to the repository root.
    pub working_directory: String,
    /// The lockfile (or manifest glob) dependency caches key on, from the repository root.
    pub cache_key: String,
    /// Commands that install dependencies.
    pub install: Vec<String>,
    /// Commands that lint: the tools the project declares, or a warning that none is configured.
    pub lint: Vec<String>,
    /// Commands that test: the tools the project declares, or a warning that none is configured.
    pub test: Vec<String>,
}

/// The toolchain a CI job sets up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "tool", rename_all = "lowercase")]
pub enum Setup {
    /// `actions/setup-node`, with corepack for pnpm and Yarn.
    Node {
        /// The Node.js version.
        version: String,
        /// `npm`, `pnpm` or `yarn` (the cache kind).
        manager: String,
        /// Enable corepack first.
        corepack: bool,
    },
    /// `actions/setup-python` (pip, Poetry) or `astral-sh/setup-uv`.
    Python {
        /// The Python version.
        version: String,
        /// `pip`, `poetry` or `uv`.
        manager: String,
    },
    /// `actions/setup-go`.
    Go {
        /// The Go version (from `go.mod`'s `toolchain` or `go` line, else the default).
        version: String,
    },
    /// `dtolnay/rust-toolchain` and `Swatinem/rust-cache`.
    Rust {
        /// The toolchain.
        toolchain: String,
        /// The Cargo workspace folder, for the cache.
        workspace: String,
    },
    /// `actions/setup-java` (and `gradle/actions/setup-gradle`).
    Java {
        /// The Java version.
        version: String,
        /// `maven` or `gradle`.
        manager: String,
    },
    /// `actions/setup-dotnet`.
    Dotnet {
        /// The .NET SDK channel, such as `9.0.x`.
        version: String,
    },
    /// `ruby/setup-ruby` with the bundler cache.
    Ruby {
        /// The Ruby version.
        version: String,
    },
    /// `shivammathur/setup-php` with composer.
    Php {
        /// The PHP version.
        version: String,
        /// PHP extensions to enable.
        extensions: String,
    },
}

/// A shell line that writes a GitHub warning annotation (shown on the run and the PR).
pub fn warning(message: &str) -> String {
    // Single quotes: the message is text, never expanded (a backquoted command in it would
    // run inside double quotes).
    format!("echo '::warning::{}'", message.replace('\'', "'\\''"))
}

/// The stack of a folder: every stack that recognises it is asked, in rank order; a
/// `package.json` beside another stack's manifest is that service's asset pipeline unless
/// it names a server of its own.
pub fn analyze(folder: &Folder<'_>) -> Option<Finding> {
    let node = folder
        .has("package.json")
        .then(|| (node::STACK.detect)(folder))
        .flatten();
    if let Some(Finding::Service(found)) = &node
        && matches!(&found.recipe, RecipeFacts::Node(facts) if facts.server.is_some())
    {
        return node;
    }
    for stack in ranked() {
        if stack.language == Language::Node
            || !stack.manifests.iter().any(|m| {
                folder.has(m) || (m.starts_with('*') && folder.has_suffix(&m[1..]).is_some())
            })
        {
            continue;
        }
        if let Some(finding) = (stack.detect)(folder) {
            return Some(finding);
        }
    }
    node.or_else(|| {
        folder
            .has("project.json")
            .then(|| node::nx_project(folder))
            .flatten()
    })
}

#[cfg(test)]
mod tests;
