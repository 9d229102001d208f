//! Python services: detection from `pyproject.toml` and `requirements*.txt`, and the recipe.
//!
//! Dependencies install the way the repository declares them: pip from the
//! requirements file and every file it includes with `-r`/`-c` (copied before
//! the sources, for layer caching), `pip install .` for a bare `pyproject.toml`,
//! Poetry or uv from their lockfiles. The start command comes from the
//! strongest evidence: a `Procfile` line of the service's kind, the framework's
//! server (Django's WSGI/ASGI module under gunicorn or uvicorn, the FastAPI or
//! Starlette `app` object under uvicorn, the Flask app or factory under
//! gunicorn), a `[project.scripts]` entry point, a package's `__main__`.

use serde::Serialize;

use super::text::{self, requirement_name};
use super::{
    Ci, Detail as AnyDetail, Detected, Finding, Folder, Found, Recipe, RecipeFacts, RecipeInput,
    Setup, Stack, join, literal_paths, warning,
};
use crate::connection::ConventionalNames;
use crate::datastore::{ConnectionForm, Engine};
use crate::vocabulary::{Language, PackageManager, ServiceKind};

/// The Python version used when the repository pins none.
pub const DEFAULT_VERSION: &str = "3.13";
/// The pinned default image.
pub const DEFAULT_IMAGE: &str = "python:3.13.9-slim-bookworm";
/// The uv binary image copied into uv builds.
pub const UV_IMAGE: &str = "ghcr.io/astral-sh/uv:0.9.11";
/// The Poetry release installed into Poetry builds.
pub const POETRY_VERSION: &str = "2.2.1";

/// The Python row of the stack table.
pub static STACK: Stack = Stack {
    language: Language::Python,
    manifests: &["pyproject.toml", "requirements.txt", "Pipfile", "setup.py"],
    package_managers: &[
        PackageManager::Pip,
        PackageManager::Poetry,
        PackageManager::Uv,
    ],
    default_port: 8000,
    health: ("/health", "/ready"),
    metrics: true,
    // A system user the Dockerfile creates with a fixed id.
    uid: 10001,
    shell: true,
    http_healthcheck: true,
    codeql: Some(("python", "none")),
    connection_form: |_| ConnectionForm::Url,
    connection_names: ConventionalNames::COMMON,
    detect,
    recipe,
    ci,
    dependabot: |manager| match manager {
        PackageManager::Uv => "uv",
        _ => "pip",
    },
};

/// How a Python service's dependencies are installed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "mode", rename_all = "kebab-case")]
pub enum Install {
    /// `pip install -r <file>`, with the files it includes.
    Requirements {
        /// The requirements file.
        file: String,
        /// Every file to copy before installing: the file and what it includes.
        files: Vec<String>,
    },
    /// `pip install .` from `pyproject.toml`.
    Project,
    /// `poetry install` from `poetry.lock`.
    Poetry {
        /// `poetry.lock` exists.
        locked: bool,
    },
    /// `uv sync` from `uv.lock`.
    Uv {
        /// `uv.lock` exists.
        locked: bool,
    },
}

/// What the Python recipe needs, as detection found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// How dependencies install.
    pub install: Install,
    /// The start command the evidence gives, with why.
    pub start: Option<Found<String>>,
    /// A build step the framework needs (Django's `collectstatic`).
    pub build: Option<Found<String>>,
    /// The requirements file development tools come from, if any.
    pub dev_requirements: Option<String>,
    /// Linters the project declares (`ruff`, `flake8`, `pylint`).
    pub linters: Vec<String>,
    /// The test runner the project declares: `pytest`, `django`, `unittest`.
    pub tests: Option<String>,
}

const DATASTORES: &[(&str, Engine)] = &[
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
    ("pyodbc", Engine::Sqlserver),
    ("mssql-django", Engine::Sqlserver),
    ("pymssql", Engine::Sqlserver),
];
const WORKERS: &[&str] = &[
    "celery", "rq", "dramatiq", "arq", "huey", "taskiq",
    // A load generator runs until stopped and serves nothing the platform routes to.
    "locust",
];
const WEB: &[&str] = &[
    "django",
    "fastapi",
    "starlette",
    "flask",
    "quart",
    "litestar",
    "sanic",
    "aiohttp",
    "falcon",
    "tornado",
    "gunicorn",
    "uvicorn",
];
const DEV_REQUIREMENTS: &[&str] = &[
    "requirements-dev.txt",
    "requirements_dev.txt",
    "dev-requirements.txt",
    "requirements-test.txt",
    "requirements/dev.txt",
    "requirements/test.txt",
];

/// The requirements file at `name` and every file it includes (`-r`, `-c`), in order, each once.
fn requirement_files(folder: &Folder<'_>, name: &str, out: &mut Vec<String>) {
    if out.iter().any(|f| f == name) || out.len() > 16 {
        return;
    }
    let Some(text) = folder.read(name) else {
        return;
    };
    out.push(name.to_owned());
    let base = name.rsplit_once('/').map_or("", |(dir, _)| dir);
    for line in text.lines().map(str::trim) {
        let include = [
            "-r ",
            "--requirement ",
            "-c ",
            "--constraint ",
            "--requirement=",
            "-r",
        ]
        .iter()
        .find_map(|flag| line.strip_prefix(flag));
        if let Some(path) = include {
            let path = path.trim();
            if path.is_empty() || path.contains("://") {
                continue;
            }
            requirement_files(
                folder,
                &join(if base.is_empty() { "." } else { base }, path),
                out,
            );
        }
    }
}

/// The dependency names of requirements files.
fn requirement_names(folder: &Folder<'_>, files: &[String]) -> Vec<String> {
    files
        .iter()
        .filter_map(|f| folder.read(f))
        .flat_map(|text| {
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('-'))
                .map(requirement_name)
                .collect::<Vec<_>>()
        })
        .collect()
}

fn detect(folder: &Folder<'_>) -> Option<Finding> {
    let pyproject = folder.read("pyproject.toml");
    let doc = pyproject
        .as_deref()
        .and_then(|t| t.parse::<toml_edit::DocumentMut>().ok());
    let manifest = if pyproject.is_some() {
        folder.shown("pyproject.toml")
    } else {
        folder.shown("requirements.txt")
    };
    let mut deps = Vec::new();
    let mut dev_deps: Vec<String> = Vec::new();
    let array_names = |item: Option<&toml_edit::Item>| -> Vec<String> {
        item.and_then(|d| d.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str())
                    .map(requirement_name)
                    .collect()
            })
            .unwrap_or_default()
    };
    if let Some(doc) = &doc {
        deps.extend(array_names(
            doc.get("project").and_then(|p| p.get("dependencies")),
        ));
        if let Some(groups) = doc.get("dependency-groups").and_then(|g| g.as_table_like()) {
            for (_, group) in groups.iter() {
                dev_deps.extend(array_names(Some(group)));
            }
        }
        if let Some(extras) = doc
            .get("project")
            .and_then(|p| p.get("optional-dependencies"))
            .and_then(|g| g.as_table_like())
        {
            for (_, group) in extras.iter() {
                dev_deps.extend(array_names(Some(group)));
            }
        }
        let poetry = doc.get("tool").and_then(|t| t.get("poetry"));
        if let Some(table) = poetry
            .and_then(|p| p.get("dependencies"))
            .and_then(|d| d.as_table_like())
        {
            deps.extend(
                table
                    .iter()
                    .map(|(k, _)| k.to_ascii_lowercase())
                    .filter(|k| k != "python"),
            );
        }
        if let Some(groups) = poetry
            .and_then(|p| p.get("group"))
            .and_then(|g| g.as_table_like())
        {
            for (_, group) in groups.iter() {
                if let Some(table) = group.get("dependencies").and_then(|d| d.as_table_like()) {
                    dev_deps.extend(table.iter().map(|(k, _)| k.to_ascii_lowercase()));
                }
            }
        }
    }
    let mut requirement_files_list = Vec::new();
    let requirements_file = [
        "requirements.txt",
        "requirements/prod.txt",
        "requirements/production.txt",
        "requirements/base.txt",
    ]
    .into_iter()
    .find(|f| folder.read(f).is_some());
    if let Some(file) = requirements_file {
        requirement_files(folder, file, &mut requirement_files_list);
        // pip-tools: `requirements.in` names the direct dependencies; the compiled
        // `requirements.txt` adds every transitive one (the Flask a load tester pulls in is
        // not the app's framework). The image still installs the compiled file.
        let direct = file
            .strip_suffix(".txt")
            .map(|stem| format!("{stem}.in"))
            .filter(|f| folder.read(f).is_some());
        match direct {
            Some(direct) => deps.extend(requirement_names(folder, &[direct])),
            None => deps.extend(requirement_names(folder, &requirement_files_list)),
        }
    }
    let dev_requirements = DEV_REQUIREMENTS
        .iter()
        .find(|f| folder.read(f).is_some())
        .map(|f| (*f).to_owned());
    if let Some(dev) = &dev_requirements {
        let mut files = Vec::new();
        requirement_files(folder, dev, &mut files);
        dev_deps.extend(requirement_names(folder, &files));
    }
    let tool = |name: &str| {
        doc.as_ref()
            .and_then(|d| d.get("tool"))
            .is_some_and(|t| t.get(name).is_some())
    };
    let lock = [
        (PackageManager::Uv, "uv.lock"),
        (PackageManager::Poetry, "poetry.lock"),
    ]
    .into_iter()
    .find(|(_, name)| folder.has(name));
    let (manager, why) = if let Some((manager, lock)) = lock {
        (manager, format!("{} → {manager}", folder.shown(lock)))
    } else if let Some((manager, why)) = &folder.root.python_lock {
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
    } else if let Some(file) = requirements_file {
        (PackageManager::Pip, format!("{} → pip", folder.shown(file)))
    } else {
        (
            PackageManager::Pip,
            format!("{manifest} has no lockfile → pip"),
        )
    };
    let install = match manager {
        PackageManager::Uv => Install::Uv {
            locked: folder.has("uv.lock") || folder.root.python_lock.is_some(),
        },
        PackageManager::Poetry => Install::Poetry {
            locked: folder.has("poetry.lock"),
        },
        _ => match requirements_file {
            Some(file) => Install::Requirements {
                file: file.to_owned(),
                files: requirement_files_list.clone(),
            },
            None => Install::Project,
        },
    };
    let has = |name: &str| deps.iter().any(|d| d.eq_ignore_ascii_case(name));
    let has_dev = |name: &str| has(name) || dev_deps.iter().any(|d| d.eq_ignore_ascii_case(name));
    let mut found_start: Option<Found<String>> = None;
    let mut build = None;
    let procfile = folder.read("Procfile").map(|t| {
        t.lines()
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect::<Vec<_>>()
    });
    let sources = folder.sources(&[".py"], 80);
    let mut kind = Found::new(ServiceKind::Web, "it serves HTTP".to_owned());
    let framework;
    // Django: manage.py names the settings module, whose package holds wsgi.py/asgi.py.
    if let Some(manage) = folder.read("manage.py") {
        let module = manage
            .split("DJANGO_SETTINGS_MODULE")
            .nth(1)
            .and_then(|rest| rest.split(['"', '\'']).nth(2))
            .and_then(|settings| settings.strip_suffix(".settings").or(Some(settings)))
            .map(|m| m.split('.').next().unwrap_or(m).to_owned())
            .unwrap_or_else(|| "config".to_owned());
        framework = Some("django");
        let asgi = folder.read(&format!("{module}/asgi.py")).is_some();
        let (server, target) = if has("gunicorn") {
            (
                "gunicorn",
                format!("gunicorn {module}.wsgi:application --bind 0.0.0.0:${{PORT}}"),
            )
        } else if has("uvicorn") && asgi {
            (
                "uvicorn",
                format!("uvicorn {module}.asgi:application --host 0.0.0.0 --port ${{PORT}}"),
            )
        } else if has("daphne") && asgi {
            (
                "daphne",
                format!("daphne --bind 0.0.0.0 --port ${{PORT}} {module}.asgi:application"),
            )
        } else {
            (
                "",
                format!("gunicorn {module}.wsgi:application --bind 0.0.0.0:${{PORT}}"),
            )
        };
        found_start = Some(Found::new(
            target,
            if server.is_empty() {
                format!(
                    "{} is a Django project `{module}`; gunicorn is assumed but not a dependency, so add it",
                    folder.shown("manage.py")
                )
            } else {
                format!(
                    "{} is a Django project `{module}` served by {server}",
                    folder.shown("manage.py")
                )
            },
        ));
        if folder
            .read(&format!("{module}/settings.py"))
            .is_some_and(|s| s.contains("STATIC_ROOT"))
        {
            build = Some(Found::new(
                "python manage.py collectstatic --noinput".to_owned(),
                format!(
                    "{module}/settings.py sets STATIC_ROOT, so static files are collected at build"
                ),
            ));
        }
    } else if let Some((file, object)) = find_app(&sources, &["FastAPI(", "Starlette("]) {
        framework = Some("fastapi");
        let module = module_of(&file);
        found_start = Some(Found::new(
            format!("uvicorn {module}:{object} --host 0.0.0.0 --port ${{PORT}}"),
            format!(
                "{} creates the ASGI app `{object}`, served by uvicorn",
                folder.shown(&file)
            ),
        ));
    } else if let Some((file, object)) = find_app(&sources, &["Flask(__name__", "Flask("]) {
        framework = Some("flask");
        let module = module_of(&file);
        let target = sources
            .iter()
            .find(|(f, t)| *f == file && t.contains("def create_app("))
            .map_or(format!("{module}:{object}"), |_| {
                format!("{module}:create_app()")
            });
        found_start = Some(Found::new(
            format!("gunicorn {target} --bind 0.0.0.0:${{PORT}}"),
            format!(
                "{} creates the Flask app, served by gunicorn{}",
                folder.shown(&file),
                if has("gunicorn") {
                    ""
                } else {
                    " (not yet a dependency: add it)"
                }
            ),
        ));
    } else {
        framework = None;
    }
    // A web framework among the dependencies, when the code did not show its app object.
    let framework = framework.or_else(|| {
        let name = WEB.iter().find(|w| has(w)).copied()?;
        found_start.is_none().then_some(name)
    });
    if let Some(worker) = WORKERS.iter().find(|w| has(w))
        && framework.is_none()
    {
        kind = Found::new(
            ServiceKind::Worker,
            format!("{manifest} depends on `{worker}` and no web framework: a background worker"),
        );
    }
    // A gRPC server (grpcio): `grpc.server(...)` or `grpc.aio.server(...)` in the code.
    if framework.is_none()
        && kind.value == ServiceKind::Web
        && deps
            .iter()
            .any(|d| d.to_ascii_lowercase().starts_with("grpcio"))
        && let Some((file, text)) = sources
            .iter()
            .find(|(_, t)| t.contains("grpc.server(") || t.contains("grpc.aio.server("))
    {
        kind = Found::new(
            ServiceKind::Grpc,
            format!(
                "{} calls `grpc.server` ({manifest} depends on grpcio): a gRPC server",
                folder.shown(file)
            ),
        );
        if text.contains("__main__") && !file.contains('/') {
            found_start = Some(Found::new(
                format!("python {file}"),
                format!("{} starts the gRPC server when run", folder.shown(file)),
            ));
        }
    }
    if let Some(procfile) = &procfile {
        let wanted = if kind.value == ServiceKind::Worker {
            "worker"
        } else {
            "web"
        };
        if let Some((_, command)) = procfile.iter().find(|(k, _)| k == wanted) {
            found_start = Some(Found::new(
                command.clone(),
                format!(
                    "{} runs `{command}` as its `{wanted}` process",
                    folder.shown("Procfile")
                ),
            ));
        } else if framework.is_none()
            && let Some((name, command)) = procfile.first()
        {
            if name == "worker" {
                kind = Found::new(
                    ServiceKind::Worker,
                    format!(
                        "{} declares only a `worker` process",
                        folder.shown("Procfile")
                    ),
                );
            }
            found_start = Some(Found::new(
                command.clone(),
                format!(
                    "{} runs `{command}` as its `{name}` process",
                    folder.shown("Procfile")
                ),
            ));
        }
    }
    if found_start.is_none()
        && let Some(scripts) = doc
            .as_ref()
            .and_then(|d| d.get("project"))
            .and_then(|p| p.get("scripts"))
            .and_then(|s| s.as_table_like())
        && let Some((name, _)) = scripts.iter().next()
    {
        found_start = Some(Found::new(
            name.to_owned(),
            format!("{manifest} declares the entry point `{name}` in `[project.scripts]`"),
        ));
    }
    if found_start.is_none()
        && let Some((file, _)) = sources
            .iter()
            .find(|(f, _)| f.ends_with("/__main__.py") && f.matches('/').count() <= 2)
    {
        let package = file
            .trim_end_matches("/__main__.py")
            .trim_start_matches("src/")
            .replace('/', ".");
        found_start = Some(Found::new(
            format!("python -m {package}"),
            format!("{} makes `{package}` runnable", folder.shown(file)),
        ));
    }
    let linters: Vec<String> = ["ruff", "flake8", "pylint"]
        .into_iter()
        .filter(|t| {
            has_dev(t)
                || tool(t)
                || folder.has(&format!("{t}.toml"))
                || folder.has(&format!(".{t}"))
                || (*t == "pylint" && folder.has(".pylintrc"))
        })
        .map(str::to_owned)
        .collect();
    let has_tests = sources.iter().any(|(f, _)| {
        let name = f.rsplit('/').next().unwrap_or(f);
        name.starts_with("test_") || name.ends_with("_test.py") || name == "tests.py"
    });
    let tests = if has_dev("pytest")
        || folder.has("pytest.ini")
        || folder.has("conftest.py")
        || (tool("pytest") && has_dev("pytest"))
    {
        Some("pytest".to_owned())
    } else if framework == Some("django") {
        Some("django".to_owned())
    } else if has_tests {
        Some("unittest".to_owned())
    } else {
        None
    };
    let found_start_missing = found_start.is_none() && framework.is_some();
    let facts = Facts {
        install,
        start: found_start,
        build,
        dev_requirements,
        linters,
        tests,
    };
    let mut found = Detected::new(Language::Python, manager, RecipeFacts::Python(facts));
    found.read_dockerfile(folder);
    match framework {
        Some(name) => found.evidence.push(format!("{manifest} is a {name} app")),
        None => found
            .evidence
            .push(format!("{manifest} declares a Python project")),
    }
    found.evidence.push(why);
    let kind_is_grpc = kind.value == ServiceKind::Grpc;
    found.kind = kind;
    found.runtime_version = version(folder, doc.as_ref());
    if found.kind.value.listens() {
        let default = match framework {
            Some("flask") if !has("gunicorn") => {
                Some(Found::new(5000, "Flask's server listens on 5000"))
            }
            Some(_) => Some(Found::new(8000, "gunicorn and uvicorn listen on 8000")),
            None if kind_is_grpc => Some(Found::new(
                50051,
                "gRPC servers conventionally listen on 50051",
            )),
            None => None,
        };
        if found_start_missing {
            found.unsure.push(format!(
                "{manifest} depends on a web framework, but scaffold found no app object, Procfile or entry point to start; set `start` in scaffold.toml"
            ));
        }
        found.port_from(
            folder,
            &[
                ".env.example",
                ".env.sample",
                ".env",
                "Procfile",
                "main.py",
                "app.py",
                "app/main.py",
                "src/main.py",
            ],
            default,
        );
        let mut paths = literal_paths(&sources, folder);
        // Django routes are written without their leading slash: `path("healthz", ...)`.
        for (file, text) in &sources {
            if file.ends_with("urls.py") {
                for part in text.split("path(").skip(1) {
                    if let Some(route) = part
                        .trim_start()
                        .strip_prefix(['"', '\''])
                        .and_then(|r| r.split(['"', '\'']).next())
                        && !route.is_empty()
                        && !route.contains(['<', '('])
                    {
                        paths.push((
                            folder.shown(file),
                            format!("/{}", route.trim_end_matches('/')),
                        ));
                    }
                }
            }
        }
        // Routes on a router mounted under a prefix are served under it.
        let mut routes: Vec<super::Route> = Vec::new();
        let (mounted, prefixes) = super::pyroutes::read(&sources);
        for (file, prefix) in prefixes {
            let file = folder.shown(&file);
            if let Some(at) = paths.iter().position(|(f, p)| *f == file && *p == prefix) {
                paths.remove(at);
            }
        }
        for m in mounted {
            let file = folder.shown(&m.file);
            if let Some(at) = paths
                .iter()
                .position(|(f, p)| *f == file && *p == m.literal)
            {
                paths.remove(at);
            }
            routes.push(super::Route {
                mounted: Some(format!(
                    "`@{}` route `{}` under the prefix `{}`",
                    m.router,
                    if m.literal.is_empty() {
                        "\"\""
                    } else {
                        &m.literal
                    },
                    m.prefix
                )),
                file,
                literal: m.literal,
                served: m.served,
            });
        }
        routes.extend(paths.into_iter().map(|(file, path)| super::Route {
            file,
            literal: path.clone(),
            served: path,
            mounted: None,
        }));
        if !kind_is_grpc {
            found.health_from_routes(&routes);
        }
    }
    found.engines_from(&deps, &manifest, DATASTORES);
    if has("dj-database-url") || has("django") {
        for (file, text) in &sources {
            if file.ends_with("settings.py")
                && text.contains("sqlite3")
                && !text.contains("DATABASE_URL")
            {
                found.sqlite = Some(format!("{} configures SQLite", folder.shown(file)));
            }
        }
    }
    found.variables_from_env(folder);
    Some(Finding::Service(Box::new(found)))
}

/// The file and variable of the first `<var> = <Constructor>(` in `sources`.
fn find_app(sources: &[(String, String)], constructors: &[&str]) -> Option<(String, String)> {
    for (file, text) in sources {
        if file.contains("test") {
            continue;
        }
        for line in text.lines() {
            let trimmed = line.trim();
            if let Some((var, value)) = trimmed.split_once('=')
                && constructors
                    .iter()
                    .any(|c| value.trim_start().starts_with(c))
            {
                let var = var.trim().split(':').next().unwrap_or_default().trim();
                if !var.is_empty() && var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    return Some((file.clone(), var.to_owned()));
                }
            }
        }
    }
    None
}

/// `app/main.py` → `app.main`; `src/pkg/app.py` → `pkg.app`.
fn module_of(file: &str) -> String {
    file.trim_start_matches("src/")
        .trim_end_matches(".py")
        .replace('/', ".")
}

/// The Python version the repository pins: `.python-version`, `runtime.txt`, `requires-python`.
fn version(folder: &Folder<'_>, doc: Option<&toml_edit::DocumentMut>) -> Option<Found<String>> {
    if let Some(text) = folder
        .read(".python-version")
        .or_else(|| folder.tree.read(".python-version"))
        && let Some(v) = text::major_minor(text.trim())
    {
        return Some(Found::new(
            v,
            format!(".python-version pins Python `{}`", text.trim()),
        ));
    }
    if let Some(text) = folder.read("runtime.txt")
        && let Some(v) = text::major_minor(text.trim())
    {
        return Some(Found::new(
            v,
            format!("{} pins `{}`", folder.shown("runtime.txt"), text.trim()),
        ));
    }
    let requires = doc?
        .get("project")
        .and_then(|p| p.get("requires-python"))
        .and_then(|v| v.as_str())
        .or_else(|| {
            doc?.get("tool")?
                .get("poetry")?
                .get("dependencies")?
                .get("python")?
                .as_str()
        })?;
    let v = text::major_minor(requires)?;
    Some(Found::new(
        v,
        format!(
            "{} requires Python `{requires}`",
            folder.shown("pyproject.toml")
        ),
    ))
}

/// The Python template's details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Detail {
    /// How dependencies install.
    pub install: Install,
    /// The uv image (uv builds).
    pub uv_image: &'static str,
    /// The Poetry version (Poetry builds).
    pub poetry_version: &'static str,
}

fn recipe(input: &RecipeInput<'_>) -> Recipe {
    let facts = match input.facts() {
        Some(RecipeFacts::Python(facts)) => Some(facts),
        _ => None,
    };
    let version = input.version(DEFAULT_VERSION, "Python");
    let pinned = input.version_pinned();
    // A pin on the default line (`3.13`) is met by the default image's exact release.
    let image = if pinned && version.value != DEFAULT_VERSION {
        format!("python:{}-slim-bookworm", version.value)
    } else {
        DEFAULT_IMAGE.to_owned()
    };
    let mut evidence = vec![version.why.clone()];
    let mut assumptions = Vec::new();
    let install = match (facts, input.package_manager) {
        (Some(f), _) => f.install.clone(),
        (None, PackageManager::Uv) => Install::Uv { locked: true },
        (None, PackageManager::Poetry) => Install::Poetry { locked: true },
        // The starter's requirements.txt.
        (None, _) => Install::Requirements {
            file: "requirements.txt".to_owned(),
            files: vec!["requirements.txt".to_owned()],
        },
    };
    if matches!(
        install,
        Install::Uv { locked: false } | Install::Poetry { locked: false }
    ) {
        assumptions.push(format!(
            "{} has no lockfile, so the image resolves dependency versions at build time; commit one",
            input.name
        ));
    }
    // The starter runs its package with `python -m app`.
    let start_default = facts
        .and_then(|f| f.start.as_ref())
        .map(|s| {
            evidence.push(s.why.clone());
            s.value.clone()
        })
        .unwrap_or_else(|| {
            if facts.is_some() {
                assumptions.push(format!(
                    "nothing in {} says how it starts (no framework app, Procfile, entry point or `__main__`), so `python -m app` is assumed; set `start` in scaffold.toml",
                    input.name
                ));
            }
            "python -m app".to_owned()
        });
    let start = input.start(text::split_command(&start_default).unwrap_or_default());
    let build = input.build(facts.and_then(|f| f.build.as_ref()).map(|b| {
        evidence.push(b.why.clone());
        b.value.clone()
    }));
    let start_text = input.answers.start.unwrap_or(&start_default).to_owned();
    Recipe {
        template: "docker/python.Dockerfile.tera",
        build_image: image.clone(),
        runtime_image: image,
        version_pinned: pinned,
        runtime_version: version,
        context: input.path.to_owned(),
        dir_in_context: String::new(),
        build,
        start,
        start_text,
        init: false,
        detail: AnyDetail::Python(Detail {
            install,
            uv_image: UV_IMAGE,
            poetry_version: POETRY_VERSION,
        }),
        evidence,
        assumptions,
    }
}

/// Shell lines that run `command` and accept pytest's and unittest's exit 5 (no tests ran)
/// with a warning instead of failing.
fn tolerate_no_tests(command: &str, name: &str) -> Vec<String> {
    vec![
        "status=0".to_owned(),
        format!("{command} || status=$?"),
        "if [ \"$status\" -eq 5 ]; then".to_owned(),
        format!(
            "  {}",
            warning(&format!("{name}: the test runner found no tests to run"))
        ),
        "elif [ \"$status\" -ne 0 ]; then".to_owned(),
        "  exit \"$status\"".to_owned(),
        "fi".to_owned(),
    ]
}

fn ci(input: &RecipeInput<'_>, recipe: &Recipe) -> Ci {
    let facts = match input.facts() {
        Some(RecipeFacts::Python(facts)) => Some(facts),
        _ => None,
    };
    let manager = input.package_manager;
    let prefix = match manager {
        PackageManager::Poetry => "poetry run ",
        PackageManager::Uv => "uv run ",
        _ => "",
    };
    let mut install = match (&recipe.detail, manager) {
        (_, PackageManager::Poetry) => vec!["poetry install --no-interaction".to_owned()],
        (
            AnyDetail::Python(Detail {
                install: Install::Uv { locked },
                ..
            }),
            _,
        ) => {
            vec![
                if *locked {
                    "uv sync --locked"
                } else {
                    "uv sync"
                }
                .to_owned(),
            ]
        }
        (
            AnyDetail::Python(Detail {
                install: Install::Requirements { file, .. },
                ..
            }),
            _,
        ) => {
            vec![format!("python -m pip install -r {file}")]
        }
        _ => vec!["python -m pip install .".to_owned()],
    };
    let dev = facts.and_then(|f| f.dev_requirements.clone());
    if let (Some(dev), PackageManager::Pip) = (&dev, manager) {
        install.push(format!("python -m pip install -r {dev}"));
    }
    // The starter's tests use unittest from the standard library.
    let tests = facts.map_or(Some("unittest".to_owned()), |f| f.tests.clone());
    let linters = facts.map(|f| f.linters.clone()).unwrap_or_default();
    let lint = if linters.is_empty() {
        vec![warning(&format!(
            "{}: no linter is configured (ruff, flake8 or pylint), so nothing lints this service",
            input.name
        ))]
    } else {
        linters
            .iter()
            .map(|l| match l.as_str() {
                "ruff" => format!("{prefix}ruff check ."),
                "flake8" => format!("{prefix}flake8 ."),
                _ => format!("{prefix}pylint --recursive=y ."),
            })
            .collect()
    };
    if !linters.is_empty() && manager == PackageManager::Pip && dev.is_none() {
        install.push(format!("python -m pip install {}", linters.join(" ")));
    }
    let test = match tests.as_deref() {
        Some("pytest") => tolerate_no_tests(&format!("{prefix}python -m pytest"), input.name),
        Some("django") => vec![format!("{prefix}python manage.py test")],
        Some(_) => tolerate_no_tests(&format!("{prefix}python -m unittest discover"), input.name),
        None => vec![warning(&format!(
            "{}: no tests are configured (no pytest, no test files), so no tests run",
            input.name
        ))],
    };
    Ci {
        setup: Setup::Python {
            version: recipe.runtime_version.value.clone(),
            manager: manager.as_str().to_owned(),
        },
        working_directory: input.path.to_owned(),
        cache_key: join(
            input.path,
            match manager {
                PackageManager::Poetry => "poetry.lock",
                PackageManager::Uv => "uv.lock",
                _ => "requirements*.txt",
            },
        ),
        install,
        lint,
        test,
    }
}
