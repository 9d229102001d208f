//! Stack detection: what services, languages, package managers, ports and
//! datastores a repository already has, each with the evidence for it.
//!
//! Detection only reads: a bounded walk of the directory tree (it skips
//! dependency, build and hidden folders and stops at a fixed depth and entry
//! count) and the text of a few small manifests, lockfile names and entry
//! files. It never executes project code or resolves dependencies.
//!
//! The logic is written against [`Tree`], so it runs in-process over an
//! in-memory map of files in tests and over the real filesystem through
//! [`FsTree`]. Its result feeds both the wizard's defaults and
//! `scaffold new --defaults` through [`Detection::answers`], so pressing Enter
//! through the wizard and taking the defaults give the same answers.

mod manifest;
mod ports;
pub mod tree;
mod workspace;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use scaffold_core::answers::{DatastoreAnswers, ServiceAnswers};
use scaffold_core::defaults::{app_name_from_dir, default_answers};
use scaffold_core::{Answers, Engine, Language, PackageManager, ServiceKind};

use manifest::{Context, Finding, Folder, MANIFESTS};
#[cfg(test)]
pub use tree::MemTree;
pub use tree::{FsTree, Tree};

/// Folders never walked: dependencies, build output, virtual environments.
const SKIPPED_DIRS: &[&str] = &[
    "node_modules",
    "target",
    "vendor",
    "dist",
    "build",
    "out",
    "venv",
    "__pycache__",
    "coverage",
];
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
    /// A port from the code or the framework, when one was found.
    pub port: Option<u16>,
    /// Whether it should be reachable from outside the cluster.
    pub public: bool,
    /// The datastores it connects to, by name.
    pub uses: Vec<String>,
    /// Whether the folder already has a Dockerfile (scaffold keeps it).
    pub dockerfile: bool,
    /// Why scaffold believes all this, one line each.
    pub evidence: Vec<String>,
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
    let empty = BTreeSet::new();
    let root_files = dirs.get(".").unwrap_or(&empty);
    let mut notes = Vec::new();
    let workspace = workspace::read(tree, root_files, &mut notes);
    let ctx = Context {
        node_manager: manifest::node_lockfile(root_files)
            .map(|(m, lock)| (m, format!("{lock} at the repository root → {m}"))),
        python_manager: manifest::python_lockfile(root_files)
            .map(|(m, lock)| (m, format!("{lock} at the repository root → {m}"))),
        java_multi_module: workspace.java_multi_module,
    };

    let mut found: Vec<(String, manifest::Found, bool)> = Vec::new();
    for (dir, files) in &dirs {
        if !MANIFESTS.iter().any(|m| files.contains(*m)) {
            continue;
        }
        if dir == "." && workspace.is_workspace {
            continue;
        }
        if dir != "."
            && found
                .iter()
                .any(|(path, _, _)| path != "." && dir.starts_with(&format!("{path}/")))
        {
            continue;
        }
        if dir.split('/').any(|part| NOT_SERVICES.contains(&part)) {
            notes.push(format!(
                "skipped {dir}: documentation, test, script and infrastructure folders are not services"
            ));
            continue;
        }
        let folder = Folder { tree, dir, files };
        match manifest::analyze(&folder, &ctx) {
            Some(Finding::Service(service)) => {
                found.push((dir.clone(), service, files.contains("Dockerfile")));
            }
            Some(Finding::Library(reason)) => notes.push(format!("skipped {dir}: {reason}")),
            None => {}
        }
    }

    // Datastores: one per engine, named the way the defaults name them.
    let mut datastores: Vec<DetectedDatastore> = Vec::new();
    for engine in [Engine::Postgres, Engine::Mysql, Engine::Redis] {
        let evidence: Vec<String> = found
            .iter()
            .flat_map(|(_, f, _)| f.engines.iter())
            .filter(|(e, _)| *e == engine)
            .map(|(_, why)| why.clone())
            .collect();
        if evidence.is_empty() {
            continue;
        }
        let name = match engine {
            Engine::Postgres => "db",
            Engine::Mysql if datastores.iter().any(|d| d.name == "db") => "mysql",
            Engine::Mysql => "db",
            Engine::Redis => "cache",
            Engine::Sqlserver => "sqlserver",
        };
        datastores.push(DetectedDatastore {
            name: name.to_owned(),
            engine,
            evidence,
        });
    }

    let mut taken: BTreeSet<String> = datastores.iter().map(|d| d.name.clone()).collect();
    let services = found
        .into_iter()
        .map(|(path, f, dockerfile)| {
            let name = unique_name(&service_name(&path, app), &path, &mut taken);
            let mut evidence = f.evidence;
            if dockerfile {
                evidence.push(format!(
                    "{} already exists; scaffold keeps it and does not write its own",
                    tree::join(&path, "Dockerfile")
                ));
            }
            let public = f.language == Language::Static || !f.worker;
            let kind = if f.worker && f.language != Language::Static {
                ServiceKind::Worker
            } else {
                ServiceKind::Web
            };
            DetectedService {
                uses: f
                    .engines
                    .iter()
                    .filter_map(|(engine, _)| {
                        datastores
                            .iter()
                            .find(|d| d.engine == *engine)
                            .map(|d| d.name.clone())
                    })
                    .collect(),
                name,
                path,
                language: f.language,
                package_manager: f.package_manager,
                kind,
                port: f.port.filter(|_| kind.listens()),
                public,
                dockerfile,
                evidence,
            }
        })
        .collect();
    Detection {
        services,
        datastores,
        notes,
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
                    && !SKIPPED_DIRS.contains(&entry.name.as_str())
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

/// The name a folder suggests: the app name at the root, else the folder's own name.
fn service_name(path: &str, app: &str) -> String {
    if path == "." {
        return app.to_owned();
    }
    app_name_from_dir(path.rsplit('/').next().unwrap_or(path))
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

    /// The answers `scaffold new --defaults` writes for app `app`: the
    /// documented defaults, with the services and datastores detection found in
    /// place of the single Node service and its database.
    pub fn answers(&self, app: &str) -> Answers {
        let mut answers = default_answers(app);
        if self.services.is_empty() {
            return answers;
        }
        answers.services = self
            .services
            .iter()
            .map(|s| ServiceAnswers {
                name: s.name.clone(),
                language: Some(s.language),
                package_manager: Some(s.package_manager),
                path: Some(s.path.clone()),
                kind: (s.kind != ServiceKind::Web).then_some(s.kind),
                port: s
                    .kind
                    .listens()
                    .then(|| i64::from(s.port.unwrap_or_else(|| s.language.default_port()))),
                uses: Some(s.uses.clone()),
                public: Some(s.public),
                ..ServiceAnswers::default()
            })
            .collect();
        answers.datastores = self
            .datastores
            .iter()
            .map(|d| DatastoreAnswers {
                name: d.name.clone(),
                engine: Some(d.engine),
                // The cloud's default version from the datastore table, whatever the provider.
                version: None,
            })
            .collect();
        answers
    }

    /// Package managers by service path, for [`scaffold_core::project::Facts`].
    pub fn package_managers(&self) -> BTreeMap<String, PackageManager> {
        self.services
            .iter()
            .map(|s| (s.path.clone(), s.package_manager))
            .collect()
    }
}

#[cfg(test)]
mod tests;
