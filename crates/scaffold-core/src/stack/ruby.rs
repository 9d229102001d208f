//! Ruby services (Rails, Rack apps, Sidekiq workers): detection from the `Gemfile`, and the recipe.
//!
//! Gems install with Bundler in deployment mode from `Gemfile.lock`, without the
//! development and test groups; Rails apps precompile their assets at build
//! time and run under puma with their own `config/puma.rb`. Rails writes to
//! `tmp/`, which the image links to `/tmp` so the root filesystem can stay
//! read-only.

use serde::Serialize;

use super::text;
use super::{
    Ci, Detail as AnyDetail, Detected, Finding, Folder, Found, Recipe, RecipeFacts, RecipeInput,
    Setup, Stack, join, literal_paths, warning,
};
use crate::connection::ConventionalNames;
use crate::datastore::{ConnectionForm, Engine};
use crate::vocabulary::{Language, PackageManager, ServiceKind};

/// The Ruby version used when the repository pins none.
pub const DEFAULT_VERSION: &str = "3.4";

/// The Ruby row of the stack table.
pub static STACK: Stack = Stack {
    language: Language::Ruby,
    manifests: &["Gemfile"],
    package_managers: &[PackageManager::Bundler],
    default_port: 3000,
    health: ("/up", "/up"),
    metrics: false,
    uid: 10001,
    shell: true,
    http_healthcheck: true,
    codeql: Some(("ruby", "none")),
    connection_form: |_| ConnectionForm::Url,
    connection_names: ConventionalNames::COMMON,
    detect,
    recipe,
    ci,
    dependabot: |_| "bundler",
};

/// What the Ruby recipe needs, as detection found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// A Rails app.
    pub rails: bool,
    /// Rails assets to precompile (an asset pipeline gem).
    pub assets: bool,
    /// bootsnap is used (its cache is precompiled).
    pub bootsnap: bool,
    /// `Gemfile.lock` exists.
    pub locked: bool,
    /// `config/puma.rb` exists.
    pub puma_config: bool,
    /// The start command the evidence gives, with why.
    pub start: Option<Found<String>>,
    /// The test command the project declares: `rspec`, `rails`, `rake`.
    pub tests: Option<String>,
    /// RuboCop is in the Gemfile.
    pub rubocop: bool,
    /// Native libraries the gems link against (Debian package names for build and run).
    pub native: Vec<(String, String)>,
}

const DATASTORES: &[(&str, Engine)] = &[
    ("pg", Engine::Postgres),
    ("mysql2", Engine::Mysql),
    ("trilogy", Engine::Mysql),
    ("redis", Engine::Redis),
    ("redis-client", Engine::Redis),
    ("sidekiq", Engine::Redis),
    ("tiny_tds", Engine::Sqlserver),
    ("activerecord-sqlserver-adapter", Engine::Sqlserver),
];

/// The gem names a Gemfile declares.
fn gems(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter_map(|l| l.strip_prefix("gem "))
        .filter_map(|rest| rest.trim().split(['"', '\'']).nth(1).map(str::to_owned))
        .collect()
}

fn detect(folder: &Folder<'_>) -> Option<Finding> {
    let text = folder.read("Gemfile")?;
    let shown = folder.shown("Gemfile");
    let gems = gems(&text);
    let has = |g: &str| gems.iter().any(|x| x == g);
    let rails = has("rails") || has("railties");
    let rack = folder.has("config.ru");
    let sidekiq = has("sidekiq");
    if !rails && !rack && !sidekiq && !has("puma") {
        return Some(Finding::Library(format!(
            "{shown} declares no Rails, Rack app or worker (no config.ru): a gem or tooling"
        )));
    }
    let puma_config = folder.read("config/puma.rb").is_some();
    let start = if rails || rack {
        let command = if puma_config {
            "bundle exec puma --config config/puma.rb".to_owned()
        } else {
            "bundle exec puma --bind tcp://0.0.0.0:${PORT}".to_owned()
        };
        Some(Found::new(
            command,
            if rails {
                format!("{shown} is a Rails app, served by puma")
            } else {
                format!(
                    "{} is a Rack app, served by puma",
                    folder.shown("config.ru")
                )
            },
        ))
    } else {
        Some(Found::new(
            "bundle exec sidekiq".to_owned(),
            format!("{shown} depends on `sidekiq` and serves no Rack app: a Sidekiq worker"),
        ))
    };
    let tests =
        if has("rspec-rails") || has("rspec") || folder.list("spec").iter().any(|e| !e.is_dir) {
            Some("rspec".to_owned())
        } else if rails && !folder.list("test").is_empty() {
            Some("rails".to_owned())
        } else if folder.has("Rakefile") && !folder.list("test").is_empty() {
            Some("rake".to_owned())
        } else {
            None
        };
    let mut native = Vec::new();
    if has("pg") {
        native.push(("libpq-dev".to_owned(), "libpq5".to_owned()));
    }
    if has("mysql2") {
        native.push((
            "default-libmysqlclient-dev".to_owned(),
            "libmariadb3".to_owned(),
        ));
    }
    if has("psych") || rails {
        native.push(("libyaml-dev".to_owned(), "libyaml-0-2".to_owned()));
    }
    let facts = Facts {
        rails,
        assets: rails
            && (has("propshaft")
                || has("sprockets-rails")
                || folder.list("app/assets").iter().any(|_| true)),
        bootsnap: has("bootsnap"),
        locked: folder.has("Gemfile.lock"),
        puma_config,
        start,
        tests,
        rubocop: has("rubocop") || gems.iter().any(|g| g.starts_with("rubocop-")),
        native,
    };
    let mut found = Detected::new(
        Language::Ruby,
        PackageManager::Bundler,
        RecipeFacts::Ruby(facts),
    );
    found.read_dockerfile(folder);
    found.evidence.push(format!("{shown} → bundler"));
    if !rails && !rack {
        found.kind = Found::new(
            ServiceKind::Worker,
            format!("{shown} depends on `sidekiq` and has no config.ru: a worker"),
        );
    } else if rails {
        found.evidence.push(format!("{shown} depends on `rails`"));
    }
    // Ruby version: .ruby-version, else the Gemfile's `ruby "x.y.z"`.
    if let Some(v) = folder
        .read(".ruby-version")
        .or_else(|| folder.tree.read(".ruby-version"))
        && let Some(version) = text::full_version(v.trim())
    {
        found.runtime_version = Some(Found::new(
            version,
            format!(".ruby-version pins Ruby `{}`", v.trim()),
        ));
    } else if let Some(line) = text
        .lines()
        .find(|l| l.trim().starts_with("ruby \"") || l.trim().starts_with("ruby '"))
        && let Some(version) = text::full_version(line)
    {
        found.runtime_version = Some(Found::new(
            version,
            format!("{shown} requires `{}`", line.trim()),
        ));
    }
    if found.kind.value.listens() {
        found.port_from(
            folder,
            &["config/puma.rb", ".env.example", "Procfile"],
            Some(if rails {
                Found::new(3000, "Rails listens on 3000")
            } else {
                Found::new(9292, "puma serves a Rack app on 9292 by default")
            }),
        );
        let mut paths = literal_paths(&folder.sources(&[".rb"], 60), folder);
        if let Some(routes) = folder.read("config/routes.rb") {
            // `get "up" => "rails/health#show"`: Rails routes have no leading slash.
            for line in routes.lines() {
                if let Some(rest) = line.trim().strip_prefix("get ")
                    && let Some(route) = rest.split(['"', '\'']).nth(1)
                {
                    paths.push((
                        folder.shown("config/routes.rb"),
                        format!("/{}", route.trim_start_matches('/')),
                    ));
                }
            }
        }
        found.health_from(&paths);
        if rails && found.health_path.is_none() {
            found.unsure.push(format!(
                "{shown}: no health route found; Rails 7.1+ generates `get \"up\" => \"rails/health#show\"` in config/routes.rb"
            ));
        }
    }
    found.engines_from(&gems, &shown, DATASTORES);
    if has("sqlite3") {
        found.sqlite = Some(format!("{shown} depends on `sqlite3`"));
    }
    found.variables_from_env(folder);
    Some(Finding::Service(Box::new(found)))
}

/// The Ruby template's details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Detail {
    /// A Rails app.
    pub rails: bool,
    /// Build in Bundler's deployment mode (a `Gemfile.lock` exists).
    pub locked: bool,
    /// Precompile bootsnap's cache.
    pub bootsnap: bool,
    /// Debian packages the build needs.
    pub build_packages: Vec<String>,
    /// Debian packages the runtime needs.
    pub runtime_packages: Vec<String>,
}

fn recipe(input: &RecipeInput<'_>) -> Recipe {
    let facts = match input.facts() {
        Some(RecipeFacts::Ruby(facts)) => Some(facts),
        _ => None,
    };
    let version = input.version(DEFAULT_VERSION, "Ruby");
    let pinned = input.version_pinned();
    let image = format!("ruby:{}-slim-bookworm", version.value);
    let mut evidence = vec![version.why.clone()];
    let mut assumptions = Vec::new();
    let rails = facts.is_some_and(|f| f.rails);
    let locked = facts.is_none_or(|f| f.locked);
    if !locked {
        assumptions.push(format!(
            "{} has no Gemfile.lock, so Bundler resolves gem versions at build time and cannot run in deployment mode; commit Gemfile.lock",
            input.name
        ));
    }
    // The starter is a Rack app served by WEBrick-free puma-less plain Ruby: `ruby app.rb`.
    let start_default = facts
        .and_then(|f| f.start.as_ref())
        .map(|s| {
            evidence.push(s.why.clone());
            s.value.clone()
        })
        .unwrap_or_else(|| "ruby app.rb".to_owned());
    let start = input.start(text::split_command(&start_default).unwrap_or_default());
    let build = input.build(
        facts
            .filter(|f| f.assets)
            .map(|_| "SECRET_KEY_BASE_DUMMY=1 bundle exec rails assets:precompile".to_owned()),
    );
    let mut build_packages = vec!["build-essential".to_owned()];
    let mut runtime_packages = Vec::new();
    for (dev, run) in facts.map(|f| f.native.clone()).unwrap_or_default() {
        build_packages.push(dev);
        runtime_packages.push(run);
    }
    Recipe {
        template: "docker/ruby.Dockerfile.tera",
        build_image: image.clone(),
        runtime_image: image,
        version_pinned: pinned,
        runtime_version: version,
        context: input.path.to_owned(),
        dir_in_context: String::new(),
        build,
        start,
        start_text: input.answers.start.unwrap_or(&start_default).to_owned(),
        init: false,
        detail: AnyDetail::Ruby(Detail {
            rails,
            locked,
            bootsnap: facts.is_some_and(|f| f.bootsnap),
            build_packages,
            runtime_packages,
        }),
        evidence,
        assumptions,
    }
}

fn ci(input: &RecipeInput<'_>, recipe: &Recipe) -> Ci {
    let facts = match input.facts() {
        Some(RecipeFacts::Ruby(facts)) => Some(facts),
        _ => None,
    };
    let lint = if facts.is_some_and(|f| f.rubocop) {
        vec!["bundle exec rubocop".to_owned()]
    } else {
        vec![warning(&format!(
            "{}: RuboCop is not in the Gemfile, so nothing lints this service",
            input.name
        ))]
    };
    // The starter's tests use minitest, which ships with Ruby.
    let tests = facts.map_or(Some("starter".to_owned()), |f| f.tests.clone());
    let test = match tests.as_deref() {
        Some("rspec") => vec!["bundle exec rspec".to_owned()],
        Some("rails") => vec!["bundle exec rails test".to_owned()],
        Some("rake") => vec!["bundle exec rake test".to_owned()],
        Some(_) => vec!["ruby -Itest test/app_test.rb".to_owned()],
        None => vec![warning(&format!(
            "{}: no tests are configured (no spec/ or test/), so no tests run",
            input.name
        ))],
    };
    Ci {
        setup: Setup::Ruby {
            version: recipe.runtime_version.value.clone(),
        },
        working_directory: input.path.to_owned(),
        cache_key: join(input.path, "Gemfile.lock"),
        // setup-ruby's bundler-cache runs `bundle install`.
        install: Vec::new(),
        lint,
        test,
    }
}
