//! Stack detection: what services, languages, kinds, ports, health paths and
//! datastores a repository already has, each with the evidence for it.
//!
//! Detection only reads: a bounded walk of the directory tree (it skips
//! dependency, build and hidden folders and stops at a fixed depth and entry
//! count) and the text of manifests, configuration and a bounded number of
//! source files. It never executes project code or resolves dependencies.
//!
//! The walk, the workspace declarations and the naming live here; what one
//! folder holds is decided by the stack table in core
//! ([`scaffold_core::stack::analyze`]), over the same [`Tree`] trait, so it
//! runs in-process over an in-memory tree in tests and over the filesystem
//! through [`FsTree`]. Its result feeds the wizard's defaults, `scaffold new
//! --defaults` ([`Detection::answers`]) and every sync (as
//! [`scaffold_core::project::Facts`]), so the recipe follows the repository.

pub mod tree;
mod workspace;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use scaffold_core::answers::{ConnectionAnswers, DatastoreAnswers, ServiceAnswers};
use scaffold_core::defaults::{app_name_from_dir, default_answers};
use scaffold_core::stack::{self, Detected, Finding, Folder, RecipeAnswers, RecipeInput};
use scaffold_core::{Answers, ConnectionForm, Engine, Language, PackageManager, ServiceKind};

#[cfg(test)]
pub use scaffold_core::stack::MemTree;
pub use scaffold_core::stack::Tree;
pub use tree::FsTree;

/// Folders walked for workspace files but never proposed as services.
const NOT_SERVICES: &[&str] = &[
    "docs",
    "doc",
    "examples",
    "example",
    "e2e",
    "test",
    "tests",
    "scripts",
    "tools",
    "fixtures",
    "benches",
    "infra",
    "terraform",
    "xtask",
];
/// File extensions of source code, for telling a repository with code from an empty one.
const SOURCE_EXTENSIONS: &[&str] = &[
    "js", "mjs", "cjs", "ts", "tsx", "jsx", "py", "go", "rs", "java", "kt", "scala", "cs", "fs",
    "vb", "rb", "php", "ex", "exs", "erl", "clj", "swift", "dart", "c", "cc", "cpp", "h", "hs",
    "ml", "lua", "pl", "r", "jl", "zig", "nim", "cr", "groovy", "elm",
];
/// Manifests of stacks scaffold does not build, named in the guidance for skipped folders.
const OTHER_MANIFESTS: &[(&str, &str)] = &[
    ("mix.exs", "Elixir (mix)"),
    ("build.sbt", "Scala (sbt)"),
    ("Package.swift", "Swift"),
    ("pubspec.yaml", "Dart"),
    ("CMakeLists.txt", "C/C++ (CMake)"),
    ("deno.json", "Deno"),
    ("bun.lockb", "Bun"),
    ("stack.yaml", "Haskell (stack)"),
    ("rebar.config", "Erlang"),
    ("deps.edn", "Clojure"),
    ("project.clj", "Clojure"),
];
/// How deep the walk goes below the root (`services/api` is depth 2).
const MAX_DEPTH: usize = 4;
/// How many directories the walk lists at most.
const MAX_DIRS: usize = 2000;

/// Everything detection found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Detection {
    /// The services, ordered by path.
    pub services: Vec<DetectedService>,
    /// The datastores the services' dependencies name.
    pub datastores: Vec<DetectedDatastore>,
    /// What shaped the result besides the services: workspaces, skipped packages.
    pub notes: Vec<String>,
    /// Folders with code that scaffold did not recognise, each with why and how to declare it.
    pub skipped: Vec<Skipped>,
    /// The repository holds source code (so an empty detection is not an empty repository).
    pub has_code: bool,
    /// Every folder that holds source code or a manifest.
    pub code_folders: BTreeSet<String>,
    /// The repository's own compose file at the root, if any (scaffold writes its services
    /// beside it, never a `compose.yaml`).
    pub compose_file: Option<String>,
    /// The repository's own `Dockerfile` in each folder walked, whether or not a stack was
    /// recognised there (a service declared for that folder is built from it).
    pub dockerfiles: BTreeMap<String, stack::text::DockerfileFacts>,
}

/// A folder with code that is not a service scaffold recognises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The folder.
    pub path: String,
    /// Why it was not taken as a service.
    pub why: String,
    /// The command that would declare it.
    pub add: String,
}

/// A service proposed from a folder's manifests.
#[derive(Debug, Clone, PartialEq)]
pub struct DetectedService {
    /// A valid service name made from the folder name (the app name at the root).
    pub name: String,
    /// The folder, `.` for the root.
    pub path: String,
    /// The language.
    pub language: Language,
    /// The package manager.
    pub package_manager: PackageManager,
    /// Web, gRPC, worker or job.
    pub kind: ServiceKind,
    /// A port from the evidence or the framework, when one was found (listening services).
    pub port: Option<u16>,
    /// Whether it should be reachable from outside the cluster.
    pub public: bool,
    /// The datastores it connects to, by name.
    pub uses: Vec<String>,
    /// Whether the folder already has a Dockerfile (scaffold keeps it).
    pub dockerfile: bool,
    /// Why scaffold believes all this, one line each.
    pub evidence: Vec<String>,
    /// What the stack module read, which resolution turns into the recipe.
    pub detected: Detected,
}

/// A datastore named by the services' dependencies.
#[derive(Debug, Clone, PartialEq)]
pub struct DetectedDatastore {
    /// Its name (`db`, `cache`).
    pub name: String,
    /// The engine.
    pub engine: Engine,
    /// The dependencies that name it.
    pub evidence: Vec<String>,
}

/// Detects the stack of the repository at `root`.
pub fn detect_dir(root: &Path) -> Detection {
    detect(&FsTree::new(root), &root_name(root))
}

/// Detects the stack of the repository at `root` as it will be once `files` (path to
/// content) are written there.
pub fn detect_dir_with(root: &Path, files: &BTreeMap<String, String>) -> Detection {
    let base = FsTree::new(root);
    detect(&tree::Overlay { base: &base, files }, &root_name(root))
}

/// The app name a directory suggests.
pub fn root_name(root: &Path) -> String {
    app_name_from_dir(
        &root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    )
}

/// Detects the stack in `tree`; `app` names a service found at the root.
pub fn detect(tree: &dyn Tree, app: &str) -> Detection {
    let dirs = walk(tree);
    let mut notes = Vec::new();
    let (workspace, root) = workspace::read(tree, &dirs, &mut notes);
    let manifests = stack::all_manifests();
    let is_manifest = |name: &str| {
        manifests.iter().any(|m| match m.strip_prefix('*') {
            Some(suffix) => name.ends_with(suffix),
            None => name == *m,
        }) || name == "project.json"
    };

    let mut found: Vec<(String, Detected)> = Vec::new();
    let mut covered: BTreeSet<String> = BTreeSet::new();
    for (dir, files) in &dirs {
        if !files.iter().any(|f| is_manifest(f)) {
            continue;
        }
        if dir == "." && workspace.is_workspace {
            covered.insert(dir.clone());
            continue;
        }
        if dir != "."
            && found
                .iter()
                .any(|(path, _)| path != "." && dir.starts_with(&format!("{path}/")))
        {
            continue;
        }
        if dir.split('/').any(|part| NOT_SERVICES.contains(&part)) {
            notes.push(format!(
                "skipped {dir}: documentation, test, script and infrastructure folders are not services"
            ));
            covered.insert(dir.clone());
            continue;
        }
        let folder = Folder {
            tree,
            dir,
            files,
            root: &root,
        };
        match stack::analyze(&folder) {
            Some(Finding::Service(detected)) => {
                covered.insert(dir.clone());
                found.push((dir.clone(), *detected));
            }
            Some(Finding::Library(reason)) => {
                covered.insert(dir.clone());
                notes.push(format!("skipped {dir}: {reason}"));
            }
            None => {}
        }
    }

    // Code that no stack recognised: said, never turned into a made-up service.
    let code_folders: BTreeSet<String> = dirs
        .iter()
        .filter(|(_, files)| {
            files.iter().any(|f| {
                is_manifest(f)
                    || f.rsplit_once('.')
                        .is_some_and(|(_, ext)| SOURCE_EXTENSIONS.contains(&ext))
            })
        })
        .map(|(dir, _)| dir.clone())
        .collect();
    let has_code = code_folders
        .iter()
        .any(|dir| !dir.split('/').any(|p| NOT_SERVICES.contains(&p)));
    let mut skipped = Vec::new();
    for (dir, files) in &dirs {
        let inside_service = found
            .iter()
            .any(|(path, _)| path == "." || dir == path || dir.starts_with(&format!("{path}/")));
        let inside_covered = covered
            .iter()
            .any(|path| dir == path || (path != "." && dir.starts_with(&format!("{path}/"))));
        if inside_service
            || (inside_covered && dir != ".")
            || dir.split('/').any(|p| NOT_SERVICES.contains(&p))
            || skipped
                .iter()
                .any(|s: &Skipped| s.path != "." && dir.starts_with(&format!("{}/", s.path)))
        {
            continue;
        }
        let other = OTHER_MANIFESTS
            .iter()
            .find(|(m, _)| files.contains(*m))
            .map(|(m, what)| {
                format!(
                    "{} is {what}, a stack scaffold does not build",
                    tree::join(dir, m)
                )
            });
        let code = files.iter().find(|f| {
            f.rsplit_once('.')
                .is_some_and(|(_, ext)| SOURCE_EXTENSIONS.contains(&ext))
        });
        let why = match (other, code) {
            (Some(why), _) => why,
            (None, Some(file)) if dir != "." || found.is_empty() => format!(
                "{} is code, but no manifest scaffold knows ({}) sits beside it",
                tree::join(dir, file),
                "package.json, pyproject.toml, requirements.txt, go.mod, Cargo.toml, pom.xml, build.gradle, *.csproj, Gemfile, composer.json"
            ),
            _ => continue,
        };
        let name = service_name(dir, app);
        skipped.push(Skipped {
            path: dir.clone(),
            why,
            add: format!(
                "scaffold add service --name {name} --path {dir} --language <{}>",
                Language::allowed()
            ),
        });
    }

    // Workspace packages a service depends on bring their datastores along.
    let library_engines: BTreeMap<String, Vec<scaffold_core::stack::Found<Engine>>> = dirs
        .iter()
        .filter(|(dir, files)| dir.as_str() != "." && files.contains("package.json"))
        .map(|(dir, files)| {
            let folder = Folder {
                tree,
                dir,
                files,
                root: &root,
            };
            let engines = match stack::analyze(&folder) {
                Some(Finding::Service(d)) => d.engines,
                _ => stack::node::engines_of(&folder),
            };
            (dir.clone(), engines)
        })
        .collect();
    for (path, detected) in &mut found {
        for dep in detected.workspace_deps.clone() {
            for engine in library_engines.get(&dep).into_iter().flatten() {
                detected.add_engine(
                    engine.value,
                    format!(
                        "{path} uses the workspace package {dep}, where {}",
                        engine.why
                    ),
                );
            }
        }
    }

    // The repository's compose file starts datastores for the services it builds.
    for (path, detected) in &mut found {
        for engine in root.compose_engines.get(path).into_iter().flatten() {
            detected.add_engine(engine.value, engine.why.clone());
        }
    }

    // Datastores: one per engine, named the way the defaults name them.
    let mut datastores: Vec<DetectedDatastore> = Vec::new();
    for engine in Engine::ALL {
        let evidence: Vec<String> = found
            .iter()
            .flat_map(|(_, d)| d.engines.iter())
            .filter(|e| e.value == *engine)
            .map(|e| e.why.clone())
            .collect();
        if evidence.is_empty() {
            continue;
        }
        let taken = |n: &str| datastores.iter().any(|d| d.name == n);
        let name = match engine {
            Engine::Redis => "cache",
            _ if !taken("db") => "db",
            Engine::Mysql => "mysql",
            Engine::Sqlserver => "mssql",
            Engine::Postgres => "postgres",
        };
        datastores.push(DetectedDatastore {
            name: name.to_owned(),
            engine: *engine,
            evidence,
        });
    }
    for (path, detected) in &found {
        if let Some(why) = &detected.sqlite {
            notes.push(format!(
                "{path} uses SQLite ({why}): a file inside the container, not a server datastore; scaffold provisions none, and the data does not survive a restart unless you mount a volume"
            ));
        }
        for line in &detected.unsure {
            notes.push(format!("{path}: {line}"));
        }
    }

    let mut taken: BTreeSet<String> = datastores.iter().map(|d| d.name.clone()).collect();
    let services = found
        .into_iter()
        .map(|(path, detected)| {
            let name = unique_name(&service_name(&path, app), &path, &mut taken);
            let mut evidence = detected.evidence.clone();
            evidence.push(detected.kind.why.clone());
            if let Some(port) = &detected.port {
                evidence.push(port.why.clone());
            }
            for found in [
                &detected.health_path,
                &detected.readiness_path,
                &detected.metrics_path,
            ]
            .into_iter()
            .flatten()
            {
                evidence.push(found.why.clone());
            }
            if let Some(version) = &detected.runtime_version {
                evidence.push(version.why.clone());
            }
            let dockerfile = detected.dockerfile.is_some();
            if let Some(own) = &detected.dockerfile {
                evidence.push(format!(
                    "{} already exists; scaffold keeps it, builds the image from it and runs its pods as its user ({})",
                    tree::join(&path, "Dockerfile"),
                    match own.user.as_deref() {
                        Some(user) => format!("`USER {user}`"),
                        None => "it sets no `USER`".to_owned(),
                    }
                ));
            }
            let kind = detected.kind.value;
            let public = detected.language == Language::Static
                || (kind == ServiceKind::Web && !evidence.iter().any(|e| e.contains("internal")));
            DetectedService {
                uses: detected
                    .engines
                    .iter()
                    .filter_map(|e| {
                        datastores
                            .iter()
                            .find(|d| d.engine == e.value)
                            .map(|d| d.name.clone())
                    })
                    .collect(),
                name,
                path,
                language: detected.language,
                package_manager: detected.package_manager,
                kind,
                port: detected
                    .port
                    .as_ref()
                    .map(|p| p.value)
                    .filter(|_| kind.listens()),
                public,
                dockerfile,
                evidence,
                detected,
            }
        })
        .collect();
    Detection {
        services,
        datastores,
        notes,
        skipped,
        has_code,
        code_folders,
        compose_file: root.compose_file,
        dockerfiles: root.dockerfiles,
    }
}

/// Lists every directory below the root (bounded), with the names of its files.
fn walk(tree: &dyn Tree) -> BTreeMap<String, BTreeSet<String>> {
    let mut dirs = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([(".".to_owned(), 0usize)]);
    while let Some((dir, depth)) = queue.pop_front() {
        if dirs.len() >= MAX_DIRS {
            break;
        }
        let mut files = BTreeSet::new();
        for entry in tree.list(&dir) {
            if entry.is_dir {
                if depth < MAX_DEPTH
                    && !entry.name.starts_with('.')
                    && !scaffold_core::stack::NOT_APP_DIRS.contains(&entry.name.as_str())
                {
                    queue.push_back((tree::join(&dir, &entry.name), depth + 1));
                }
            } else {
                files.insert(entry.name);
            }
        }
        dirs.insert(dir, files);
    }
    dirs
}

/// Folder names that say where code sits, not what it is: a service in `cartservice/src` is
/// named after `cartservice`.
const GENERIC_FOLDERS: &[&str] = &["src", "source"];

/// The name a folder suggests: the app name at the root, else the folder's own name (its
/// parent's when the folder's name is generic, such as `src`).
fn service_name(path: &str, app: &str) -> String {
    if path == "." {
        return app.to_owned();
    }
    let mut parts = path.rsplit('/');
    let own = parts.next().unwrap_or(path);
    if GENERIC_FOLDERS.contains(&own)
        && let Some(parent) = parts.next()
    {
        return app_name_from_dir(parent);
    }
    app_name_from_dir(own)
}

/// `name`, or `<parent>-<name>`, or `name-2`…, whichever is free.
fn unique_name(name: &str, path: &str, taken: &mut BTreeSet<String>) -> String {
    let parent = path
        .rsplit('/')
        .nth(1)
        .map(app_name_from_dir)
        .filter(|p| !p.is_empty());
    let mut candidates = vec![name.to_owned()];
    if let Some(parent) = parent {
        candidates.push(format!("{parent}-{name}"));
    }
    candidates.push(format!("{name}-service"));
    let chosen = candidates
        .into_iter()
        .find(|c| c.len() <= scaffold_core::project::MAX_NAME_LEN && !taken.contains(c))
        .unwrap_or_else(|| {
            (2..)
                .map(|i| format!("{}-{i}", &name[..name.len().min(26)]))
                .find(|c| !taken.contains(c))
                .expect("an unused name exists")
        });
    taken.insert(chosen.clone());
    chosen
}

impl Detection {
    /// Whether detection found any service.
    pub fn is_empty(&self) -> bool {
        self.services.is_empty()
    }

    /// Every line `--defaults` prints and the wizard shows: the evidence of each service,
    /// the notes, and each skipped folder with the command that would declare it.
    pub fn report(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for service in &self.services {
            lines.push(format!(
                "service {} ({} {}, {}) at {}",
                service.name, service.language, service.kind, service.package_manager, service.path
            ));
            let mut said = BTreeSet::new();
            for line in &service.evidence {
                // (One fact can back two answers: health and readiness paths.)
                if said.insert(line) {
                    lines.push(format!("  - {line}"));
                }
            }
        }
        for datastore in &self.datastores {
            lines.push(format!(
                "datastore {} ({})",
                datastore.name, datastore.engine
            ));
            for line in &datastore.evidence {
                lines.push(format!("  - {line}"));
            }
        }
        for note in &self.notes {
            lines.push(format!("note: {note}"));
        }
        for skipped in &self.skipped {
            lines.push(format!(
                "skipped {}: {}\n  to declare it: {}",
                skipped.path, skipped.why, skipped.add
            ));
        }
        lines
    }

    /// The answers `scaffold new --defaults` writes for app `app`: the documented defaults,
    /// with the services and datastores detection found in place of the single Node service
    /// and its database, each service's contract written out (kind, port, health paths,
    /// metrics, the variable names of its datastores, its build and start commands) so a
    /// reader sees what the platform assumes and can correct it.
    pub fn answers(&self, app: &str) -> Answers {
        let mut answers = default_answers(app);
        if self.services.is_empty() {
            return answers;
        }
        answers.services = self
            .services
            .iter()
            .map(|s| self.service_answers(s))
            .collect();
        answers.datastores = self
            .datastores
            .iter()
            .map(|d| DatastoreAnswers {
                name: d.name.clone(),
                engine: Some(d.engine),
                version: None,
            })
            .collect();
        answers
    }

    fn service_answers(&self, s: &DetectedService) -> ServiceAnswers {
        let d = &s.detected;
        let stack = s.language.stack();
        let web = s.kind == ServiceKind::Web;
        let port = s
            .kind
            .listens()
            .then(|| s.port.unwrap_or(stack.default_port));
        let input = RecipeInput {
            name: &s.name,
            path: &s.path,
            kind: s.kind,
            port,
            package_manager: s.package_manager,
            detected: Some(d),
            answers: RecipeAnswers::default(),
        };
        let recipe = (stack.recipe)(&input);
        // Each datastore's variables, as the service reads them: learned names first.
        let mut connections = BTreeMap::new();
        let mut first: BTreeSet<bool> = BTreeSet::new();
        for name in &s.uses {
            let Some(ds) = self.datastores.iter().find(|x| &x.name == name) else {
                continue;
            };
            let relational = ds.engine.facts().relational;
            let is_first = first.insert(relational);
            let form = (stack.connection_form)(ds.engine);
            let learned = d
                .variables
                .iter()
                .find(|(e, _)| *e == ds.engine)
                .filter(|_| is_first && form != ConnectionForm::Jdbc)
                .map(|(_, v)| v.value.clone());
            let variables = scaffold_core::connection::conventional_variables(
                form,
                ds.engine,
                name,
                is_first,
                &stack.connection_names,
            );
            connections.insert(
                name.clone(),
                ConnectionAnswers {
                    form: (form != ConnectionForm::Url).then_some(form),
                    variable: Some(learned.unwrap_or(variables.connection)),
                    username_variable: variables.username,
                    password_variable: variables.password,
                },
            );
        }
        let (health_default, ready_default) = stack.health;
        let metrics = if !web || !stack.metrics {
            None
        } else {
            // Never invent a metrics endpoint the code does not serve.
            Some(
                d.metrics_path
                    .as_ref()
                    .map_or_else(|| "none".to_owned(), |m| m.value.clone()),
            )
        };
        ServiceAnswers {
            name: s.name.clone(),
            language: Some(s.language),
            package_manager: Some(s.package_manager),
            path: Some(s.path.clone()),
            kind: (s.kind != ServiceKind::Web).then_some(s.kind),
            port: port.map(i64::from),
            health_path: web.then(|| {
                d.health_path
                    .as_ref()
                    .map_or_else(|| health_default.to_owned(), |h| h.value.clone())
            }),
            readiness_path: web.then(|| {
                d.readiness_path
                    .as_ref()
                    .or(d.health_path.as_ref())
                    .map_or_else(|| ready_default.to_owned(), |h| h.value.clone())
            }),
            metrics_path: metrics,
            uses: Some(s.uses.clone()),
            connections,
            public: Some(s.public),
            build: recipe.build.clone(),
            start: (s.language != Language::Static && !recipe.start_text.is_empty())
                .then(|| recipe.start_text.clone()),
            output: match &recipe.detail {
                stack::Detail::Static(detail) => Some(detail.output.clone()),
                _ => None,
            },
            ..ServiceAnswers::default()
        }
    }

    /// Package managers by service path, for [`scaffold_core::project::Facts`].
    pub fn package_managers(&self) -> BTreeMap<String, PackageManager> {
        self.services
            .iter()
            .map(|s| (s.path.clone(), s.package_manager))
            .collect()
    }

    /// What each service folder holds, by path, for [`scaffold_core::project::Facts`].
    pub fn facts(&self) -> BTreeMap<String, Detected> {
        self.services
            .iter()
            .map(|s| (s.path.clone(), s.detected.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests;
