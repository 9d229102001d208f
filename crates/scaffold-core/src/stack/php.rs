//! PHP services (Laravel, Symfony, plain PHP with composer): detection from `composer.json`,
//! and the recipe.
//!
//! The image runs FrankenPHP (Caddy with PHP built in: one process, no
//! php-fpm and nginx pair to supervise) as an unprivileged user on an
//! unprivileged port, serving the document root (`public/` when it exists).
//! PHP extensions come from `composer.json`'s `ext-*` requirements and the
//! datastores in use; dependencies install with composer from `composer.lock`.

use serde::Serialize;

use super::text;
use super::{
    Ci, Detail as AnyDetail, Detected, Finding, Folder, Found, Recipe, RecipeFacts, RecipeInput,
    Setup, Stack, join, literal_paths, warning,
};
use crate::connection::ConventionalNames;
use crate::datastore::{ConnectionForm, Engine};
use crate::vocabulary::{Language, PackageManager, ServiceKind};

/// The PHP version used when `composer.json` requires none.
pub const DEFAULT_VERSION: &str = "8.4";
/// The composer image the build copies composer from.
pub const COMPOSER_IMAGE: &str = "composer:2.8";

/// The PHP row of the stack table.
pub static STACK: Stack = Stack {
    language: Language::Php,
    manifests: &["composer.json"],
    package_managers: &[PackageManager::Composer],
    default_port: 8080,
    health: ("/health", "/ready"),
    metrics: false,
    uid: 10001,
    shell: true,
    http_healthcheck: true,
    codeql: None,
    connection_form: |_| ConnectionForm::Url,
    connection_names: ConventionalNames::COMMON,
    detect,
    recipe,
    ci,
    dependabot: |_| "composer",
};

/// What the PHP recipe needs, as detection found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// `laravel`, `symfony` or `plain`.
    pub framework: String,
    /// The document root, relative to the folder (`public`, or `.`).
    pub docroot: String,
    /// PHP extensions to install.
    pub extensions: Vec<String>,
    /// `composer.lock` exists.
    pub locked: bool,
    /// The composer scripts that exist (`test`, `lint`...).
    pub scripts: Vec<String>,
    /// Dev tools in `require-dev`: `phpunit`, `phpstan`, `pint`, `php-cs-fixer`.
    pub dev_tools: Vec<String>,
}

const DATASTORES: &[(&str, Engine)] = &[
    ("ext-pdo_pgsql", Engine::Postgres),
    ("ext-pgsql", Engine::Postgres),
    ("ext-pdo_mysql", Engine::Mysql),
    ("ext-mysqli", Engine::Mysql),
    ("ext-redis", Engine::Redis),
    ("predis/predis", Engine::Redis),
    ("ext-pdo_sqlsrv", Engine::Sqlserver),
    ("ext-sqlsrv", Engine::Sqlserver),
];

fn detect(folder: &Folder<'_>) -> Option<Finding> {
    let text = folder.read("composer.json")?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    let shown = folder.shown("composer.json");
    let names = |key: &str| -> Vec<String> {
        json.get(key)
            .and_then(|v| v.as_object())
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    };
    let require = names("require");
    let require_dev = names("require-dev");
    let has = |p: &str| require.iter().any(|r| r == p);
    let framework = if has("laravel/framework") {
        "laravel"
    } else if has("symfony/framework-bundle") {
        "symfony"
    } else {
        "plain"
    };
    let docroot = if !folder.list("public").is_empty() {
        "public"
    } else if folder.has("index.php") {
        "."
    } else {
        return Some(Finding::Library(format!(
            "{shown} has no public/ folder or index.php to serve: a library"
        )));
    };
    let mut extensions: Vec<String> = require
        .iter()
        .filter_map(|r| r.strip_prefix("ext-"))
        .filter(|e| {
            ![
                "json",
                "pdo",
                "ctype",
                "mbstring",
                "tokenizer",
                "openssl",
                "fileinfo",
                "dom",
                "xml",
                "session",
                "filter",
                "iconv",
            ]
            .contains(e)
        })
        .map(str::to_owned)
        .collect();
    extensions.push("opcache".to_owned());
    let scripts = names("scripts");
    let dev_tools: Vec<String> = [
        ("phpunit/phpunit", "phpunit"),
        ("phpstan/phpstan", "phpstan"),
        ("laravel/pint", "pint"),
        ("friendsofphp/php-cs-fixer", "php-cs-fixer"),
        ("squizlabs/php_codesniffer", "phpcs"),
    ]
    .iter()
    .filter(|(p, _)| require_dev.iter().any(|d| d == p))
    .map(|(_, t)| (*t).to_owned())
    .collect();
    let facts = Facts {
        framework: framework.to_owned(),
        docroot: docroot.to_owned(),
        extensions: extensions.clone(),
        locked: folder.has("composer.lock"),
        scripts,
        dev_tools,
    };
    let mut found = Detected::new(
        Language::Php,
        PackageManager::Composer,
        RecipeFacts::Php(facts),
    );
    found.read_dockerfile(folder);
    found
        .evidence
        .push(format!("{shown} → composer ({framework} PHP)"));
    found
        .evidence
        .push(format!("FrankenPHP serves {}/", docroot));
    if let Some(req) = json
        .get("require")
        .and_then(|r| r.get("php"))
        .and_then(|v| v.as_str())
        && let Some(v) = text::major_minor(req)
    {
        found.runtime_version = Some(Found::new(v, format!("{shown} requires PHP `{req}`")));
    }
    if has("laravel/horizon") && docroot == "." {
        found.kind = Found::new(ServiceKind::Worker, format!("{shown} runs Horizon"));
    }
    found.port_from(
        folder,
        &[".env.example"],
        Some(Found::new(
            8080,
            "FrankenPHP listens on the port scaffold gives it (8080)",
        )),
    );
    let mut sources = folder.sources(&[".php"], 60);
    sources.retain(|(f, _)| !f.starts_with("vendor/"));
    found.health_from(&literal_paths(&sources, folder));
    if framework == "laravel" && found.health_path.is_none() {
        // Laravel 11 registers `/up` in bootstrap/app.php (`health: '/up'`).
        if folder
            .read("bootstrap/app.php")
            .is_some_and(|t| t.contains("'/up'"))
        {
            found.health_path = Some(Found::new(
                "/up".to_owned(),
                format!(
                    "{} registers Laravel's health route",
                    folder.shown("bootstrap/app.php")
                ),
            ));
        }
    }
    let all_deps: Vec<String> = require.iter().chain(&require_dev).cloned().collect();
    found.engines_from(&all_deps, &shown, DATASTORES);
    if require
        .iter()
        .any(|r| r == "ext-pdo_sqlite" || r == "ext-sqlite3")
    {
        found.sqlite = Some(format!("{shown} requires SQLite"));
    }
    found.variables_from_env(folder);
    Some(Finding::Service(Box::new(found)))
}

/// The PHP template's details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Detail {
    /// The document root inside /app.
    pub docroot: String,
    /// PHP extensions to install.
    pub extensions: Vec<String>,
    /// Install from `composer.lock`.
    pub locked: bool,
    /// The composer image.
    pub composer_image: &'static str,
}

fn recipe(input: &RecipeInput<'_>) -> Recipe {
    let facts = match input.facts() {
        Some(RecipeFacts::Php(facts)) => Some(facts),
        _ => None,
    };
    let version = input.version(DEFAULT_VERSION, "PHP");
    let pinned = input.version_pinned();
    let image = format!("dunglas/frankenphp:1-php{}-bookworm", version.value);
    let mut assumptions = Vec::new();
    let locked = facts.is_none_or(|f| f.locked);
    if !locked {
        assumptions.push(format!(
            "{} has no composer.lock, so composer resolves package versions at build time; commit composer.lock",
            input.name
        ));
    }
    let mut extensions = facts
        .map(|f| f.extensions.clone())
        .unwrap_or_else(|| vec!["opcache".to_owned()]);
    if let Some(d) = input.detected {
        for engine in &d.engines {
            let ext = match engine.value {
                Engine::Postgres => "pdo_pgsql",
                Engine::Mysql => "pdo_mysql",
                Engine::Redis => "redis",
                Engine::Sqlserver => "pdo_sqlsrv",
            };
            if !extensions.iter().any(|e| e == ext) {
                extensions.push(ext.to_owned());
            }
        }
    }
    extensions.sort();
    extensions.dedup();
    if facts.is_some_and(|f| f.framework == "laravel") {
        assumptions.push(format!(
            "{} is a Laravel app: storage/ and bootstrap/cache/ must be writable, but the Kubernetes root filesystem is read-only; point them at /tmp (or mount volumes there) before deploying",
            input.name
        ));
    }
    let start = input.start(vec![
        "frankenphp".into(),
        "run".into(),
        "--config".into(),
        "/etc/frankenphp/Caddyfile".into(),
    ]);
    Recipe {
        template: "docker/php.Dockerfile.tera",
        build_image: image.clone(),
        runtime_image: image,
        version_pinned: pinned,
        evidence: vec![version.why.clone()],
        runtime_version: version,
        context: input.path.to_owned(),
        dir_in_context: String::new(),
        build: input.build(None),
        start_text: input
            .answers
            .start
            .map_or_else(|| start.join(" "), str::to_owned),
        start,
        init: false,
        detail: AnyDetail::Php(Detail {
            docroot: facts.map_or_else(|| "public".to_owned(), |f| f.docroot.clone()),
            extensions,
            locked,
            composer_image: COMPOSER_IMAGE,
        }),
        assumptions,
    }
}

fn ci(input: &RecipeInput<'_>, recipe: &Recipe) -> Ci {
    let facts = match input.facts() {
        Some(RecipeFacts::Php(facts)) => Some(facts),
        _ => None,
    };
    let tools = facts.map(|f| f.dev_tools.clone()).unwrap_or_default();
    let scripts = facts.map_or_else(|| vec!["test".to_owned()], |f| f.scripts.clone());
    let mut lint = vec![
        "find . -name '*.php' -not -path './vendor/*' -print0 | xargs -0 -n1 php --syntax-check > /dev/null".to_owned(),
    ];
    if tools.iter().any(|t| t == "phpstan") {
        lint.push("vendor/bin/phpstan analyse --no-progress".to_owned());
    }
    if tools.iter().any(|t| t == "pint") {
        lint.push("vendor/bin/pint --test".to_owned());
    } else if tools.iter().any(|t| t == "php-cs-fixer") {
        lint.push("vendor/bin/php-cs-fixer fix --dry-run --diff".to_owned());
    } else if tools.iter().any(|t| t == "phpcs") {
        lint.push("vendor/bin/phpcs".to_owned());
    }
    if lint.len() == 1 {
        lint.push(warning(&format!(
            "{}: no static analysis or style tool is configured (PHPStan, Pint, PHP-CS-Fixer), so only syntax is checked",
            input.name
        )));
    }
    let test = if scripts.iter().any(|s| s == "test") {
        vec!["composer test".to_owned()]
    } else if tools.iter().any(|t| t == "phpunit") {
        vec!["vendor/bin/phpunit".to_owned()]
    } else {
        vec![warning(&format!(
            "{}: no tests are configured (no `test` composer script, no PHPUnit), so no tests run",
            input.name
        ))]
    };
    let extensions = match &recipe.detail {
        AnyDetail::Php(d) => d.extensions.join(", "),
        _ => String::new(),
    };
    Ci {
        setup: Setup::Php {
            version: recipe.runtime_version.value.clone(),
            extensions,
        },
        working_directory: input.path.to_owned(),
        cache_key: join(input.path, "composer.lock"),
        install: vec!["composer install --no-interaction --no-progress --prefer-dist".to_owned()],
        lint,
        test,
    }
}
