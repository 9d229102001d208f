//! Rust services: detection from `Cargo.toml`, and the recipe.
//!
//! The binary is the `[[bin]]` target's name or the package's (never the
//! service's name), built with `--locked` only when a `Cargo.lock` exists, from
//! the workspace root for workspace members. sqlx's compile-time checked
//! queries need either the offline data in `.sqlx/` or a database at build
//! time; scaffold builds offline when the data is there and says so when not.

use serde::Serialize;

use super::text;
use super::{
    Ci, Detail as AnyDetail, Detected, Finding, Folder, Found, Recipe, RecipeFacts, RecipeInput,
    Setup, Stack, join, literal_paths,
};
use crate::connection::ConventionalNames;
use crate::datastore::{ConnectionForm, Engine};
use crate::vocabulary::{Language, PackageManager, ServiceKind};

/// The Rust version used when the repository pins none.
pub const DEFAULT_VERSION: &str = "1.91";
/// The pinned default build image.
pub const DEFAULT_IMAGE: &str = "rust:1.91.1-bookworm";
/// The runtime image for binaries linked against glibc.
pub const RUNTIME_IMAGE: &str = "gcr.io/distroless/cc-debian12:nonroot";

/// The Rust row of the stack table.
pub static STACK: Stack = Stack {
    language: Language::Rust,
    manifests: &["Cargo.toml"],
    package_managers: &[PackageManager::Cargo],
    default_port: 8080,
    health: ("/health", "/ready"),
    metrics: true,
    uid: 65532,
    shell: false,
    http_healthcheck: false,
    codeql: Some(("rust", "none")),
    connection_form: |_| ConnectionForm::Url,
    connection_names: ConventionalNames::COMMON,
    detect,
    recipe,
    ci,
    dependabot: |_| "cargo",
};

/// What the Rust recipe needs, as detection found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// The package's name.
    pub package: String,
    /// The binary target's name, with why.
    pub bin: Found<String>,
    /// A `Cargo.lock` exists (the folder's, or the workspace root's for members).
    pub locked: bool,
    /// The package is a member of the root Cargo workspace.
    pub workspace_member: bool,
    /// sqlx's query macros are used: `Some(true)` with `.sqlx/` offline data, `Some(false)` without.
    pub sqlx_offline: Option<bool>,
}

const SERVERS: &[&str] = &[
    "axum",
    "actix-web",
    "rocket",
    "warp",
    "hyper",
    "poem",
    "tonic",
    "salvo",
    "tide",
];
const DATASTORES: &[(&str, Engine)] = &[
    ("tokio-postgres", Engine::Postgres),
    ("postgres", Engine::Postgres),
    ("deadpool-postgres", Engine::Postgres),
    ("mysql", Engine::Mysql),
    ("mysql_async", Engine::Mysql),
    ("redis", Engine::Redis),
    ("fred", Engine::Redis),
    ("deadpool-redis", Engine::Redis),
    ("tiberius", Engine::Sqlserver),
];

fn detect(folder: &Folder<'_>) -> Option<Finding> {
    let text = folder.read("Cargo.toml")?;
    let doc: toml_edit::DocumentMut = text.parse().ok()?;
    let manifest = folder.shown("Cargo.toml");
    let package = doc.get("package")?.get("name")?.as_str()?.to_owned();
    let bins: Vec<String> = doc
        .get("bin")
        .and_then(|b| b.as_array_of_tables())
        .map(|a| {
            a.iter()
                .filter_map(|t| t.get("name").and_then(|n| n.as_str()).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let main = folder.read("src/main.rs").is_some();
    if bins.is_empty() && !main {
        return Some(Finding::Library(format!(
            "{manifest} builds no binary (no `src/main.rs` or `[[bin]]`): a library crate"
        )));
    }
    let bin = match bins.first() {
        Some(name) if bins.len() == 1 || !main => Found::new(
            name.clone(),
            format!("{manifest} declares the binary `{name}`"),
        ),
        _ => Found::new(
            package.clone(),
            format!("the binary is named after the package `{package}`"),
        ),
    };
    let member = folder.dir != "." && folder.root.cargo_workspace;
    let locked = folder.has("Cargo.lock") || (member && folder.tree.read("Cargo.lock").is_some());
    let mut deps = Vec::new();
    let mut sqlx = None;
    let mut engines = Vec::new();
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
                for (feature, engine) in [
                    ("postgres", Engine::Postgres),
                    ("mysql", Engine::Mysql),
                    ("mssql", Engine::Sqlserver),
                ] {
                    if features.iter().any(|f| f.contains(feature)) {
                        engines.push((
                            engine,
                            format!("{manifest} depends on `{name}` with the `{feature}` feature"),
                        ));
                    }
                }
            }
            if name == "sqlx" && features.iter().any(|f| f == "macros") {
                sqlx = Some(
                    folder
                        .list(".sqlx")
                        .iter()
                        .any(|e| e.name.ends_with(".json"))
                        || folder.list(".").iter().any(|e| e.name == ".sqlx"),
                );
            }
        }
    }
    let facts = Facts {
        package: package.clone(),
        bin,
        locked,
        workspace_member: member,
        sqlx_offline: sqlx,
    };
    let mut found = Detected::new(
        Language::Rust,
        PackageManager::Cargo,
        RecipeFacts::Rust(facts),
    );
    found.read_dockerfile(folder);
    found
        .evidence
        .push(format!("{manifest} builds a binary → cargo"));
    for (engine, why) in engines {
        found.add_engine(engine, why);
    }
    found.engines_from(&deps, &manifest, DATASTORES);
    if deps.iter().any(|d| d == "rusqlite") {
        found.sqlite = Some(format!("{manifest} depends on `rusqlite`"));
    }
    match SERVERS.iter().find(|s| deps.iter().any(|d| d == *s)) {
        Some(&"tonic") if !deps.iter().any(|d| d == "axum" || d == "actix-web") => {
            found.kind = Found::new(
                ServiceKind::Grpc,
                format!("{manifest} depends on `tonic`, a gRPC server"),
            );
        }
        Some(server) => found
            .evidence
            .push(format!("{manifest} depends on `{server}`, a web server")),
        None => {
            found.kind = Found::new(
                ServiceKind::Worker,
                format!(
                    "{manifest} depends on no web framework ({}): a worker",
                    SERVERS.join(", ")
                ),
            );
        }
    }
    for dir in [folder.dir, "."] {
        for name in ["rust-toolchain.toml", "rust-toolchain"] {
            if let Some(text) = folder.tree.read(&join(dir, name)) {
                let channel = text
                    .lines()
                    .find_map(|l| {
                        l.trim().strip_prefix("channel").map(|v| {
                            v.trim_start_matches([' ', '='])
                                .trim()
                                .trim_matches('"')
                                .to_owned()
                        })
                    })
                    .unwrap_or_else(|| text.trim().to_owned());
                if let Some(v) = text::full_version(&channel) {
                    found.runtime_version = Some(Found::new(
                        v,
                        format!("{} pins the toolchain `{channel}`", join(dir, name)),
                    ));
                }
            }
        }
    }
    if found.kind.value.listens() {
        found.port_from(folder, &[".env.example", ".env", "src/main.rs"], None);
        if found.kind.value == ServiceKind::Web {
            let sources = folder.sources(&[".rs"], 60);
            found.health_from(&literal_paths(&sources, folder));
        }
    }
    found.variables_from_env(folder);
    Some(Finding::Service(Box::new(found)))
}

/// The Rust template's details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Detail {
    /// The binary's name.
    pub bin: String,
    /// The package, for `-p` in a workspace.
    pub package: Option<String>,
    /// Build with `--locked`.
    pub locked: bool,
    /// Build sqlx's macros from `.sqlx/` offline data.
    pub sqlx_offline: bool,
}

fn recipe(input: &RecipeInput<'_>) -> Recipe {
    let facts = match input.facts() {
        Some(RecipeFacts::Rust(facts)) => Some(facts),
        _ => None,
    };
    let version = input.version(DEFAULT_VERSION, "Rust");
    let pinned = input.version_pinned();
    // A pin on the default line (`1.91`) is met by the default image's exact release.
    let image = if pinned && version.value != DEFAULT_VERSION {
        format!("rust:{}-bookworm", version.value)
    } else {
        DEFAULT_IMAGE.to_owned()
    };
    let mut evidence = vec![version.why.clone()];
    let mut assumptions = Vec::new();
    // The starter is a package named after the service with a Cargo.lock.
    let bin = facts.map_or_else(|| input.name.to_owned(), |f| f.bin.value.clone());
    let locked = facts.is_none_or(|f| f.locked);
    let member = facts.is_some_and(|f| f.workspace_member);
    if let Some(f) = facts {
        evidence.push(f.bin.why.clone());
        if !f.locked {
            assumptions.push(format!(
                "{} has no Cargo.lock, so the image builds without `--locked` and resolves dependency versions at build time; commit Cargo.lock",
                input.name
            ));
        }
        if f.sqlx_offline == Some(false) {
            assumptions.push(format!(
                "{} uses sqlx's query macros without offline data in .sqlx/: the image build needs a database; run `cargo sqlx prepare` and commit .sqlx/",
                input.name
            ));
        }
    }
    let lock_flag = if locked { " --locked" } else { "" };
    let package_flag = if member {
        format!(" -p {}", facts.map_or("", |f| f.package.as_str()))
    } else {
        String::new()
    };
    let build = input.build(Some(format!(
        "cargo build --release{lock_flag}{package_flag} --bin {bin}"
    )));
    let start = input.start(vec!["/app/server".to_owned()]);
    Recipe {
        template: "docker/rust.Dockerfile.tera",
        build_image: image,
        runtime_image: RUNTIME_IMAGE.to_owned(),
        version_pinned: pinned,
        runtime_version: version,
        context: if member {
            ".".to_owned()
        } else {
            input.path.to_owned()
        },
        dir_in_context: if member {
            format!("{}/", input.path)
        } else {
            String::new()
        },
        build,
        start_text: input.answers.start.unwrap_or("/app/server").to_owned(),
        start,
        init: false,
        detail: AnyDetail::Rust(Detail {
            bin,
            package: member.then(|| facts.map(|f| f.package.clone())).flatten(),
            locked,
            sqlx_offline: facts.is_some_and(|f| f.sqlx_offline == Some(true)),
        }),
        evidence,
        assumptions,
    }
}

fn ci(input: &RecipeInput<'_>, recipe: &Recipe) -> Ci {
    let locked = matches!(&recipe.detail, AnyDetail::Rust(d) if d.locked);
    let flag = if locked { " --locked" } else { "" };
    Ci {
        setup: Setup::Rust {
            toolchain: if recipe.version_pinned {
                recipe.runtime_version.value.clone()
            } else {
                "stable".to_owned()
            },
            workspace: recipe.context.clone(),
        },
        working_directory: input.path.to_owned(),
        cache_key: join(&recipe.context, "Cargo.lock"),
        install: vec![format!("cargo fetch{flag}")],
        lint: vec![
            "cargo fmt --all --check".to_owned(),
            format!("cargo clippy --all-targets{flag} -- -D warnings"),
        ],
        test: vec![format!("cargo test{flag}")],
    }
}
