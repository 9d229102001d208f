//! Go services: detection from `go.mod`, and the recipe.
//!
//! The binary is built from the main package wherever it lives (the module
//! root, `cmd/<name>`, `app/`), with the Go release `go.mod` asks for
//! (`toolchain`, else `go`). Folders a program reads at run time from its
//! working directory (`templates/`, `static/`, `migrations/`...) are copied
//! beside the binary, since a distroless image has nothing else.

use serde::Serialize;

use super::text;
use super::{
    Ci, Detail as AnyDetail, Detected, Finding, Folder, Found, Recipe, RecipeFacts, RecipeInput,
    Setup, Stack, join, literal_paths, warning,
};
use crate::connection::ConventionalNames;
use crate::datastore::{ConnectionForm, Engine};
use crate::vocabulary::{Language, PackageManager, ServiceKind};

/// The Go version used when `go.mod` names none.
pub const DEFAULT_VERSION: &str = "1.25";
/// The pinned default build image.
pub const DEFAULT_IMAGE: &str = "golang:1.25.4-bookworm";
/// The runtime image for static Go binaries.
pub const RUNTIME_IMAGE: &str = "gcr.io/distroless/static-debian12:nonroot";

/// The Go row of the stack table.
pub static STACK: Stack = Stack {
    language: Language::Go,
    manifests: &["go.mod"],
    package_managers: &[PackageManager::Go],
    default_port: 8080,
    health: ("/health", "/ready"),
    metrics: true,
    // distroless `nonroot`.
    uid: 65532,
    shell: false,
    http_healthcheck: false,
    codeql: Some(("go", "autobuild")),
    connection_form: |_| ConnectionForm::Url,
    connection_names: ConventionalNames::COMMON,
    detect,
    recipe,
    ci,
    dependabot: |_| "gomod",
};

/// What the Go recipe needs, as detection found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// The main package, as `go build` names it (`.`, `./cmd/api`), with why.
    pub main_package: Found<String>,
    /// Folders the program reads at run time, copied into the image.
    pub runtime_dirs: Vec<String>,
    /// `go.sum` exists (a module with dependencies).
    pub go_sum: bool,
    /// A golangci-lint configuration exists.
    pub golangci: bool,
}

const DATASTORES: &[(&str, Engine)] = &[
    ("github.com/jackc/pgx/", Engine::Postgres),
    ("github.com/jackc/pgx", Engine::Postgres),
    ("github.com/lib/pq", Engine::Postgres),
    ("github.com/go-sql-driver/mysql", Engine::Mysql),
    ("github.com/redis/go-redis/", Engine::Redis),
    ("github.com/go-redis/redis/", Engine::Redis),
    ("github.com/go-redis/redis", Engine::Redis),
    ("github.com/gomodule/redigo", Engine::Redis),
    ("github.com/microsoft/go-mssqldb", Engine::Sqlserver),
    ("github.com/denisenkom/go-mssqldb", Engine::Sqlserver),
];
const SQLITE: &[&str] = &["github.com/mattn/go-sqlite3", "modernc.org/sqlite"];
/// Folders a Go program commonly reads from its working directory.
const RUNTIME_DIRS: &[&str] = &[
    "templates",
    "static",
    "web",
    "public",
    "assets",
    "migrations",
    "config",
    "configs",
    "views",
];
const HTTP_MARKERS: &[&str] = &[
    "ListenAndServe",
    "http.Server",
    "gin.Default",
    "gin.New",
    "echo.New",
    "fiber.New",
    "chi.NewRouter",
    "mux.NewRouter",
];

fn detect(folder: &Folder<'_>) -> Option<Finding> {
    let text = folder.read("go.mod").unwrap_or_default();
    let manifest = folder.shown("go.mod");
    let mut deps = Vec::new();
    let mut in_block = false;
    let mut go_line = None;
    let mut toolchain = None;
    for line in text.lines().map(str::trim) {
        if line.starts_with("require (") {
            in_block = true;
        } else if in_block && line == ")" {
            in_block = false;
        } else if let Some(rest) = line.strip_prefix("require ") {
            deps.extend(rest.split_whitespace().next().map(str::to_owned));
        } else if in_block {
            deps.extend(line.split_whitespace().next().map(str::to_owned));
        } else if let Some(v) = line.strip_prefix("go ") {
            go_line = Some(v.trim().to_owned());
        } else if let Some(v) = line.strip_prefix("toolchain ") {
            toolchain = Some(v.trim().to_owned());
        }
    }
    let sources = folder.sources(&[".go"], 120);
    let mains: Vec<&String> = sources
        .iter()
        .filter(|(f, t)| !f.ends_with("_test.go") && t.lines().any(|l| l.trim() == "package main"))
        .map(|(f, _)| f)
        .collect();
    let mut packages: Vec<String> = mains
        .iter()
        .map(|f| match f.rsplit_once('/') {
            Some((dir, _)) => format!("./{dir}"),
            None => ".".to_owned(),
        })
        .collect();
    packages.sort();
    packages.dedup();
    if packages.is_empty() {
        return Some(Finding::Library(format!(
            "{manifest} has no `package main`: a library module"
        )));
    }
    let service_name = folder.dir.rsplit('/').next().unwrap_or(folder.dir);
    let main_package = if packages.len() == 1 {
        Found::new(
            packages[0].clone(),
            format!("the main package is {}", packages[0]),
        )
    } else if let Some(p) = packages
        .iter()
        .find(|p| p.ends_with(&format!("/{service_name}")) || p.as_str() == ".")
    {
        Found::new(
            p.clone(),
            format!(
                "{} main packages ({}); {p} matches the folder",
                packages.len(),
                packages.join(", ")
            ),
        )
    } else {
        Found::new(
            packages[0].clone(),
            format!(
                "{} main packages ({}); the first is built, set `build` in scaffold.toml for another",
                packages.len(),
                packages.join(", ")
            ),
        )
    };
    let runtime_dirs: Vec<String> = folder
        .list(".")
        .into_iter()
        .filter(|e| e.is_dir && RUNTIME_DIRS.contains(&e.name.as_str()))
        .map(|e| e.name)
        .collect();
    let facts = Facts {
        main_package: main_package.clone(),
        runtime_dirs: runtime_dirs.clone(),
        go_sum: folder.has("go.sum"),
        golangci: folder.has(".golangci.yml")
            || folder.has(".golangci.yaml")
            || folder.has(".golangci.toml"),
    };
    let mut found = Detected::new(Language::Go, PackageManager::Go, RecipeFacts::Go(facts));
    found.read_dockerfile(folder);
    found
        .evidence
        .push(format!("{manifest} declares a Go module → go modules"));
    found.evidence.push(main_package.why);
    if !runtime_dirs.is_empty() {
        found.evidence.push(format!(
            "the image carries {} beside the binary: the program may read them at run time",
            runtime_dirs
                .iter()
                .map(|d| format!("{d}/"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    found.runtime_version = toolchain
        .as_deref()
        .and_then(text::full_version)
        .map(|v| {
            Found::new(
                v,
                format!(
                    "{manifest} names `toolchain {}`",
                    toolchain.clone().unwrap_or_default()
                ),
            )
        })
        .or_else(|| {
            go_line.as_deref().and_then(|g| {
                Some(Found::new(
                    text::full_version(g)?,
                    format!("{manifest} names `go {g}`"),
                ))
            })
        });
    let all: String = sources
        .iter()
        .filter(|(f, _)| !f.ends_with("_test.go"))
        .map(|(_, t)| t.as_str())
        .collect();
    let grpc =
        deps.iter().any(|d| d == "google.golang.org/grpc") && all.contains("grpc.NewServer(");
    let http = HTTP_MARKERS.iter().any(|m| all.contains(m));
    if grpc && !http {
        found.kind = Found::new(
            ServiceKind::Grpc,
            format!(
                "the code calls `grpc.NewServer` ({manifest} depends on google.golang.org/grpc): a gRPC server"
            ),
        );
    } else if !http && !grpc {
        found.kind = Found::new(
            ServiceKind::Worker,
            "the code starts no HTTP or gRPC server: a worker".to_owned(),
        );
    }
    if found.kind.value.listens() {
        let mut hints: Vec<String> = vec![".env.example".into(), ".env".into(), "main.go".into()];
        hints.extend(mains.iter().map(|m| (*m).clone()));
        let hints: Vec<&str> = hints.iter().map(String::as_str).collect();
        found.port_from(
            folder,
            &hints,
            Some(Found::new(
                8080,
                "Go HTTP services conventionally listen on 8080",
            )),
        );
        if found.kind.value == ServiceKind::Web {
            // Go 1.22 patterns carry the method: "GET /healthz".
            let mut paths = literal_paths(&sources, folder);
            for (file, text) in &sources {
                for method in ["\"GET /", "\"HEAD /"] {
                    for part in text.split(method).skip(1) {
                        let route: String = part.chars().take_while(|c| *c != '"').collect();
                        if !route.contains(['{', ' ']) {
                            paths.push((folder.shown(file), format!("/{route}")));
                        }
                    }
                }
            }
            found.health_from(&paths);
        }
    }
    found.engines_from(&deps, &manifest, DATASTORES);
    if let Some(dep) = SQLITE.iter().find(|d| deps.iter().any(|x| x == *d)) {
        found.sqlite = Some(format!("{manifest} depends on `{dep}`"));
    }
    found.variables_from_env(folder);
    Some(Finding::Service(Box::new(found)))
}

/// The Go template's details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Detail {
    /// Folders copied beside the binary.
    pub runtime_dirs: Vec<String>,
    /// `go.sum` exists, so `go mod download` has something to verify.
    pub go_sum: bool,
}

fn recipe(input: &RecipeInput<'_>) -> Recipe {
    let facts = match input.facts() {
        Some(RecipeFacts::Go(facts)) => Some(facts),
        _ => None,
    };
    let version = input.version(DEFAULT_VERSION, "Go");
    let pinned = input.version_pinned();
    // A pin on the default line (`go 1.25`) is met by the default image's exact release.
    let image = if pinned && version.value != DEFAULT_VERSION {
        format!("golang:{}-bookworm", version.value)
    } else {
        DEFAULT_IMAGE.to_owned()
    };
    let package = facts.map_or_else(|| ".".to_owned(), |f| f.main_package.value.clone());
    let build = input.build(Some(format!(
        "CGO_ENABLED=0 go build -trimpath -ldflags=\"-s -w\" -o /out/server {package}"
    )));
    let start = input.start(vec!["/app/server".to_owned()]);
    Recipe {
        template: "docker/go.Dockerfile.tera",
        build_image: image,
        runtime_image: RUNTIME_IMAGE.to_owned(),
        version_pinned: pinned,
        evidence: vec![version.why.clone()],
        runtime_version: version,
        context: input.path.to_owned(),
        dir_in_context: String::new(),
        build,
        start_text: input.answers.start.unwrap_or("/app/server").to_owned(),
        start,
        init: false,
        detail: AnyDetail::Go(Detail {
            runtime_dirs: facts.map(|f| f.runtime_dirs.clone()).unwrap_or_default(),
            go_sum: facts.is_some_and(|f| f.go_sum),
        }),
        assumptions: Vec::new(),
    }
}

fn ci(input: &RecipeInput<'_>, recipe: &Recipe) -> Ci {
    let golangci = matches!(input.facts(), Some(RecipeFacts::Go(f)) if f.golangci);
    let go_sum = matches!(&recipe.detail, AnyDetail::Go(d) if d.go_sum);
    let mut lint = vec![
        "go vet ./...".to_owned(),
        "unformatted=\"$(gofmt -l .)\"".to_owned(),
        "if [ -n \"$unformatted\" ]; then".to_owned(),
        "  echo \"::error::gofmt would reformat: $unformatted\"".to_owned(),
        "  exit 1".to_owned(),
        "fi".to_owned(),
    ];
    if golangci {
        lint.push(warning(&format!(
            "{}: .golangci.yml is present but this job runs only go vet and gofmt; add golangci-lint to it",
            input.name
        )));
    }
    Ci {
        setup: Setup::Go {
            version: recipe.runtime_version.value.clone(),
        },
        working_directory: input.path.to_owned(),
        // A module without dependencies has no go.sum to key a cache on.
        cache_key: if go_sum {
            join(input.path, "go.sum")
        } else {
            String::new()
        },
        install: if go_sum {
            vec!["go mod download".to_owned()]
        } else {
            Vec::new()
        },
        lint,
        test: vec!["go test -race ./...".to_owned()],
    }
}
