//! Tests of the stack table: each recipe decision, with the traps issue #15 lists.

use std::collections::{BTreeMap, BTreeSet};

use super::*;

/// Every folder of `tree` with the names of its files.
fn dirs(tree: &MemTree) -> BTreeMap<String, BTreeSet<String>> {
    let mut out = BTreeMap::new();
    let mut queue = vec![".".to_owned()];
    while let Some(dir) = queue.pop() {
        let mut files = BTreeSet::new();
        for entry in tree.list(&dir) {
            if entry.is_dir {
                queue.push(join(&dir, &entry.name));
            } else {
                files.insert(entry.name);
            }
        }
        out.insert(dir, files);
    }
    out
}

/// What the stack table finds in folder `dir` of a repository holding `files`.
fn detect_in(files: &[(&str, &str)], dir: &str) -> Detected {
    let tree = MemTree::new(files.iter().copied());
    let dirs = dirs(&tree);
    let root = Root {
        node: node::workspace(&tree, &dirs),
        cargo_workspace: tree
            .read("Cargo.toml")
            .is_some_and(|t| t.contains("[workspace]")),
        dockerfiles: own_dockerfiles(&tree, &dirs),
        ..Root::default()
    };
    let folder = Folder {
        tree: &tree,
        dir,
        files: &dirs[dir],
        root: &root,
    };
    match analyze(&folder) {
        Some(Finding::Service(d)) => *d,
        other => panic!("no service in {dir}: {other:?}"),
    }
}

/// The recipe of the service detected in folder `dir`.
fn recipe_in(files: &[(&str, &str)], dir: &str, name: &str) -> (Detected, Recipe, Ci) {
    let detected = detect_in(files, dir);
    let stack = stack(detected.language);
    let input = RecipeInput {
        name,
        path: dir,
        kind: detected.kind.value,
        port: detected.kind.value.listens().then_some(8080),
        package_manager: detected.package_manager,
        detected: Some(&detected),
        answers: RecipeAnswers::default(),
    };
    let recipe = (stack.recipe)(&input);
    let ci = (stack.ci)(&input, &recipe);
    (detected, recipe, ci)
}

fn words(list: &[&str]) -> Vec<String> {
    list.iter().map(|w| (*w).to_owned()).collect()
}

#[test]
fn every_language_has_a_row_with_its_own_template() {
    let engine_ids: Vec<&str> = [
        "docker/node.Dockerfile.tera",
        "docker/static.Dockerfile.tera",
        "docker/python.Dockerfile.tera",
        "docker/go.Dockerfile.tera",
        "docker/rust.Dockerfile.tera",
        "docker/java.Dockerfile.tera",
        "docker/dotnet.Dockerfile.tera",
        "docker/ruby.Dockerfile.tera",
        "docker/php.Dockerfile.tera",
    ]
    .to_vec();
    for language in Language::ALL {
        let row = stack(*language);
        assert_eq!(row.language, *language);
        assert!(
            row.package_managers
                .contains(&language.default_package_manager())
        );
        let input = RecipeInput {
            name: "api",
            path: ".",
            kind: ServiceKind::Web,
            port: Some(row.default_port),
            package_manager: row.package_managers[0],
            detected: None,
            answers: RecipeAnswers::default(),
        };
        let recipe = (row.recipe)(&input);
        assert!(
            engine_ids.contains(&recipe.template),
            "{language}: {}",
            recipe.template
        );
        assert!(!recipe.start.is_empty(), "{language} has a start command");
        let ci = (row.ci)(&input, &recipe);
        assert!(!ci.test.is_empty(), "{language} has test steps");
    }
}

#[test]
fn node_start_runs_the_start_script_with_node_directly() {
    let (_, recipe, _) = recipe_in(
        &[
            (
                "package.json",
                r#"{"scripts":{"start":"node src/server.js"},"dependencies":{"express":"5"}}"#,
            ),
            ("package-lock.json", "{}"),
        ],
        ".",
        "api",
    );
    assert_eq!(recipe.start, words(&["node", "src/server.js"]));
    let (_, recipe, _) = recipe_in(
        &[(
            "package.json",
            r#"{"scripts":{"start":"NODE_ENV=production tsx src/main.ts"},"dependencies":{"fastify":"5"}}"#,
        )],
        ".",
        "api",
    );
    assert_eq!(recipe.start, words(&["npm", "run", "start"]));
    assert!(recipe.assumptions.iter().any(|a| a.contains("no lockfile")));
}

#[test]
fn next_keeps_dev_dependencies_for_a_typescript_config_or_ships_standalone() {
    let app = |config: &'static str, name: &'static str| {
        recipe_in(
            &[
                ("package.json", r#"{"scripts":{"build":"next build","start":"next start"},"dependencies":{"next":"16"}}"#),
                ("package-lock.json", "{}"),
                (name, config),
            ],
            ".",
            "web",
        )
        .1
    };
    let dynamic = app(
        "export default { poweredByHeader: false };",
        "next.config.ts",
    );
    let Detail::Node(detail) = &dynamic.detail else {
        panic!()
    };
    assert_eq!(
        detail.install.prune, None,
        "next.config.ts needs typescript at run time"
    );
    assert_eq!(dynamic.start, words(&["node_modules/.bin/next", "start"]));
    let standalone = app(
        "module.exports = { output: 'standalone' };",
        "next.config.js",
    );
    let Detail::Node(detail) = &standalone.detail else {
        panic!()
    };
    assert!(detail.next_standalone);
    assert_eq!(standalone.start, words(&["node", "server.js"]));
}

#[test]
fn pnpm_workspace_members_build_from_the_root_with_its_lockfile() {
    let files = [
        (
            "package.json",
            r#"{"name":"root","private":true,"packageManager":"pnpm@10.34.8"}"#,
        ),
        (
            "pnpm-workspace.yaml",
            "packages:\n  - apps/*\n  - packages/*\n",
        ),
        ("pnpm-lock.yaml", ""),
        (
            "apps/api/package.json",
            r#"{"name":"@acme/api","scripts":{"start":"node src/server.js"},"dependencies":{"fastify":"5","@acme/db":"workspace:*"}}"#,
        ),
        (
            "packages/db/package.json",
            r#"{"name":"@acme/db","dependencies":{"pg":"8"}}"#,
        ),
    ];
    let (detected, recipe, ci) = recipe_in(&files, "apps/api", "api");
    assert_eq!(detected.workspace_deps, ["packages/db"]);
    assert_eq!(
        (recipe.context.as_str(), recipe.dir_in_context.as_str()),
        (".", "apps/api/")
    );
    let Detail::Node(detail) = &recipe.detail else {
        panic!()
    };
    assert_eq!(detail.install.corepack_pin.as_deref(), Some("pnpm@10.34.8"));
    assert_eq!(detail.install.install, "pnpm install --frozen-lockfile");
    assert_eq!(
        detail.pnpm_deploy.as_deref(),
        Some("pnpm --filter @acme/api deploy --prod --legacy /out")
    );
    assert_eq!(ci.working_directory, ".");
    assert_eq!(ci.cache_key, "pnpm-lock.yaml");
}

#[test]
fn static_sites_serve_the_folder_their_tool_writes() {
    let site = |extra: (&'static str, &'static str), deps: &'static str| {
        let (_, recipe, _) = recipe_in(&[("package.json", deps), extra], ".", "web");
        match recipe.detail {
            Detail::Static(d) => d.output,
            _ => panic!("not static"),
        }
    };
    assert_eq!(
        site(
            (
                "vite.config.ts",
                "export default defineConfig({ build: { outDir: 'build' } })"
            ),
            r#"{"scripts":{"build":"vite build"},"devDependencies":{"vite":"8"}}"#
        ),
        "build"
    );
    assert_eq!(
        site(
            ("README.md", ""),
            r#"{"scripts":{"build":"vite build"},"devDependencies":{"vite":"8"}}"#
        ),
        "dist"
    );
    assert_eq!(
        site(
            ("README.md", ""),
            r#"{"scripts":{"build":"react-scripts build"},"dependencies":{"react-scripts":"5"}}"#
        ),
        "build"
    );
    assert_eq!(
        site(
            ("next.config.mjs", "export default { output: 'export' }"),
            r#"{"scripts":{"build":"next build"},"dependencies":{"next":"15"}}"#
        ),
        "out"
    );
}

#[test]
fn python_requirements_follow_their_includes() {
    let (detected, recipe, ci) = recipe_in(
        &[
            ("requirements.txt", "-r requirements/base.txt\ngunicorn\n"),
            (
                "requirements/base.txt",
                "-c constraints.txt\nflask\npsycopg[binary]\n",
            ),
            ("requirements/constraints.txt", "flask==3.1\n"),
            (
                "requirements-dev.txt",
                "-r requirements.txt\npytest\nruff\n",
            ),
            (
                "app.py",
                "from flask import Flask\napp = Flask(__name__)\n@app.get('/healthz')\ndef h(): return 'ok'\n",
            ),
        ],
        ".",
        "api",
    );
    let Detail::Python(detail) = &recipe.detail else {
        panic!()
    };
    assert_eq!(
        detail.install,
        python::Install::Requirements {
            file: "requirements.txt".to_owned(),
            files: words(&[
                "requirements.txt",
                "requirements/base.txt",
                "requirements/constraints.txt"
            ]),
        }
    );
    assert_eq!(
        detected.engines[0].value,
        Engine::Postgres,
        "psycopg comes from an included file"
    );
    assert_eq!(
        recipe.start,
        words(&["gunicorn", "app:app", "--bind", "0.0.0.0:8080"])
    );
    assert_eq!(detected.health_path.unwrap().value, "/healthz");
    assert!(
        ci.install
            .contains(&"python -m pip install -r requirements-dev.txt".to_owned())
    );
    assert_eq!(ci.lint, ["ruff check ."]);
    assert!(
        ci.test
            .iter()
            .any(|l| l.contains("python -m pytest || status=$?")),
        "pytest's exit 5 is tolerated"
    );
}

#[test]
fn python_starts_from_the_strongest_evidence() {
    let start = |files: &[(&str, &str)]| recipe_in(files, ".", "api").1.start;
    assert_eq!(
        start(&[
            (
                "pyproject.toml",
                "[project]\nname='x'\ndependencies=['fastapi','uvicorn']\n"
            ),
            ("app/__init__.py", ""),
            (
                "app/main.py",
                "from fastapi import FastAPI\napp = FastAPI()\n"
            ),
        ]),
        words(&[
            "uvicorn",
            "app.main:app",
            "--host",
            "0.0.0.0",
            "--port",
            "8080"
        ])
    );
    assert_eq!(
        start(&[
            ("requirements.txt", "django\ngunicorn\n"),
            (
                "manage.py",
                "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'shop.settings')\n"
            ),
            ("shop/wsgi.py", ""),
        ]),
        words(&[
            "gunicorn",
            "shop.wsgi:application",
            "--bind",
            "0.0.0.0:8080"
        ])
    );
    assert_eq!(
        start(&[
            ("requirements.txt", "rq\nredis\n"),
            ("Procfile", "worker: python -m jobs\n"),
            ("jobs/__main__.py", "")
        ]),
        words(&["python", "-m", "jobs"])
    );
    assert_eq!(
        start(&[(
            "pyproject.toml",
            "[project]\nname='tool'\n[project.scripts]\nserve = 'tool.cli:main'\n"
        )]),
        words(&["serve"])
    );
}

#[test]
fn go_builds_the_main_package_where_it_lives_and_ships_runtime_files() {
    let (detected, recipe, ci) = recipe_in(
        &[
            (
                "go.mod",
                "module example.com/short\n\ngo 1.24\ntoolchain go1.24.3\n",
            ),
            (
                "cmd/short/main.go",
                "package main\nimport \"net/http\"\nfunc main() { mux.HandleFunc(\"GET /healthz\", h); http.ListenAndServe(\":9090\", mux) }\n",
            ),
            ("internal/links/links.go", "package links\n"),
            ("templates/index.html", "<html></html>"),
        ],
        ".",
        "short",
    );
    assert_eq!(detected.runtime_version.unwrap().value, "1.24.3");
    assert_eq!(detected.port.unwrap().value, 9090);
    assert_eq!(detected.health_path.unwrap().value, "/healthz");
    assert!(recipe.build.unwrap().ends_with("./cmd/short"));
    assert_eq!(recipe.build_image, "golang:1.24.3-bookworm");
    let Detail::Go(detail) = &recipe.detail else {
        panic!()
    };
    assert_eq!(detail.runtime_dirs, ["templates"]);
    assert!(!detail.go_sum);
    assert_eq!(ci.cache_key, "", "no go.sum, no cache");
}

#[test]
fn rust_names_the_binary_and_locks_only_with_a_lockfile() {
    let (_, recipe, _) = recipe_in(
        &[
            (
                "Cargo.toml",
                "[package]\nname = \"inventory\"\n[dependencies]\naxum = \"0.8\"\n",
            ),
            ("src/main.rs", "fn main() {}"),
        ],
        ".",
        "api",
    );
    assert_eq!(
        recipe.build.as_deref(),
        Some("cargo build --release --bin inventory")
    );
    assert!(
        recipe
            .assumptions
            .iter()
            .any(|a| a.contains("no Cargo.lock"))
    );
    let (_, recipe, _) = recipe_in(
        &[
            ("Cargo.toml", "[workspace]\nmembers = [\"crates/*\"]\n"),
            ("Cargo.lock", ""),
            (
                "crates/api/Cargo.toml",
                "[package]\nname = \"api-server\"\n[[bin]]\nname = \"api\"\n[dependencies]\naxum = \"0.8\"\nsqlx = { version = \"0.8\", features = [\"postgres\", \"macros\"] }\n",
            ),
            ("crates/api/src/main.rs", "fn main() {}"),
        ],
        "crates/api",
        "api",
    );
    assert_eq!(recipe.context, ".");
    assert_eq!(
        recipe.build.as_deref(),
        Some("cargo build --release --locked -p api-server --bin api")
    );
    assert!(
        recipe
            .assumptions
            .iter()
            .any(|a| a.contains("cargo sqlx prepare"))
    );
}

#[test]
fn java_builds_the_artifact_its_plugins_make() {
    let (detected, recipe, _) = recipe_in(
        &[
            (
                "pom.xml",
                "<project><parent><artifactId>spring-boot-starter-parent</artifactId></parent><properties><java.version>17</java.version></properties><dependencies><dependency><artifactId>spring-boot-starter-web</artifactId></dependency><dependency><artifactId>spring-boot-starter-actuator</artifactId></dependency></dependencies></project>",
            ),
            (
                "src/main/resources/application.yml",
                "server:\n  port: 8081\nmanagement:\n  endpoint:\n    health:\n      probes:\n        enabled: true\n",
            ),
        ],
        ".",
        "billing",
    );
    assert_eq!(detected.port.unwrap().value, 8081);
    assert_eq!(
        detected.health_path.unwrap().value,
        "/actuator/health/liveness"
    );
    assert_eq!(
        recipe.runtime_image,
        "gcr.io/distroless/java17-debian12:nonroot"
    );
    assert_eq!(
        recipe.build.as_deref(),
        Some("mvn --batch-mode package -DskipTests")
    );
    let (_, recipe, _) = recipe_in(
        &[
            (
                "build.gradle.kts",
                "plugins { id(\"application\") }\napplication { mainClass = \"com.acme.Main\" }\n",
            ),
            ("gradlew", ""),
        ],
        ".",
        "tool",
    );
    assert_eq!(
        recipe.build.as_deref(),
        Some("./gradlew --no-daemon installDist -x test")
    );
    assert_eq!(
        recipe.start.last().map(String::as_str),
        Some("com.acme.Main")
    );
}

#[test]
fn dotnet_ignores_launch_settings_and_learns_connection_string_names() {
    let (detected, recipe, _) = recipe_in(
        &[
            (
                "Payments.csproj",
                "<Project Sdk=\"Microsoft.NET.Sdk.Web\"><PropertyGroup><TargetFramework>net9.0</TargetFramework></PropertyGroup><ItemGroup><PackageReference Include=\"Microsoft.Extensions.Caching.StackExchangeRedis\" Version=\"9.0.9\" /></ItemGroup></Project>",
            ),
            (
                "Properties/launchSettings.json",
                r#"{"profiles":{"http":{"applicationUrl":"http://localhost:5080"}}}"#,
            ),
            (
                "appsettings.json",
                r#"{"ConnectionStrings":{"Redis":"localhost:6379"}}"#,
            ),
            ("Program.cs", "app.MapHealthChecks(\"/healthz\");"),
        ],
        ".",
        "payments",
    );
    assert_eq!(
        detected.port.unwrap().value,
        8080,
        "launchSettings.json is dotnet run's, not the container's"
    );
    assert_eq!(detected.variables[0].1.value, "ConnectionStrings__Redis");
    assert_eq!(detected.engines[0].value, Engine::Redis);
    assert_eq!(recipe.start, words(&["dotnet", "/app/Payments.dll"]));
    assert_eq!(recipe.runtime_image, "mcr.microsoft.com/dotnet/aspnet:9.0");
}

#[test]
fn ruby_and_php_find_their_framework_and_version() {
    let (detected, recipe, ci) = recipe_in(
        &[
            (
                "Gemfile",
                "ruby file: \".ruby-version\"\ngem \"rails\", \"~> 8.0\"\ngem \"pg\"\ngem \"puma\"\ngem \"rspec-rails\"\n",
            ),
            (".ruby-version", "3.4.5\n"),
            ("config.ru", ""),
            ("config/puma.rb", "port ENV.fetch(\"PORT\", 3000)\n"),
            ("config/routes.rb", "get \"up\" => \"rails/health#show\"\n"),
        ],
        ".",
        "notes",
    );
    assert_eq!(detected.health_path.unwrap().value, "/up");
    assert_eq!(detected.port.unwrap().value, 3000);
    assert_eq!(recipe.build_image, "ruby:3.4.5-slim-bookworm");
    assert_eq!(
        recipe.start,
        words(&["bundle", "exec", "puma", "--config", "config/puma.rb"])
    );
    assert_eq!(ci.test, ["bundle exec rspec"]);
    let (detected, recipe, ci) = recipe_in(
        &[
            (
                "composer.json",
                r#"{"require":{"php":"^8.3","ext-pdo_pgsql":"*"},"scripts":{"test":"php tests/run.php"}}"#,
            ),
            (
                "public/index.php",
                "<?php match ($path) { '/health' => 1, '/ready' => 2 };",
            ),
        ],
        ".",
        "guestbook",
    );
    assert_eq!(detected.engines[0].value, Engine::Postgres);
    assert_eq!(recipe.build_image, "dunglas/frankenphp:1-php8.3-bookworm");
    let Detail::Php(detail) = &recipe.detail else {
        panic!()
    };
    assert!(detail.extensions.contains(&"pdo_pgsql".to_owned()));
    assert_eq!(ci.test, ["composer test"]);
    assert!(
        recipe
            .assumptions
            .iter()
            .any(|a| a.contains("composer.lock"))
    );
}

#[test]
fn kinds_come_from_the_code() {
    let grpc = detect_in(
        &[
            (
                "go.mod",
                "module x\nrequire google.golang.org/grpc v1.70.0\n",
            ),
            (
                "main.go",
                "package main\nfunc main() { s := grpc.NewServer(); lis, _ := net.Listen(\"tcp\", \":50051\") }\n",
            ),
        ],
        ".",
    );
    assert_eq!(grpc.kind.value, ServiceKind::Grpc);
    assert_eq!(grpc.port.unwrap().value, 50051);
    let worker = detect_in(&[("requirements.txt", "celery\nredis\n")], ".");
    assert_eq!(worker.kind.value, ServiceKind::Worker);
    let sidekiq = detect_in(&[("Gemfile", "gem \"sidekiq\"\n")], ".");
    assert_eq!(sidekiq.kind.value, ServiceKind::Worker);
}

#[test]
fn answers_override_the_recipe_and_ports_are_substituted() {
    let row = stack(Language::Python);
    let input = RecipeInput {
        name: "api",
        path: ".",
        kind: ServiceKind::Web,
        port: Some(8123),
        package_manager: PackageManager::Pip,
        detected: None,
        answers: RecipeAnswers {
            build: Some(""),
            start: Some("gunicorn app:app --bind 0.0.0.0:${PORT}"),
            runtime_version: Some("3.11"),
            output: None,
        },
    };
    let recipe = (row.recipe)(&input);
    assert_eq!(
        recipe.start,
        words(&["gunicorn", "app:app", "--bind", "0.0.0.0:8123"])
    );
    assert_eq!(recipe.start_text, "gunicorn app:app --bind 0.0.0.0:${PORT}");
    assert_eq!(recipe.build, None);
    assert_eq!(recipe.build_image, "python:3.11-slim-bookworm");
    assert!(recipe.runtime_version.why.contains("runtime_version"));
}

#[test]
fn unpinned_versions_say_the_default_is_used() {
    let recipe = (stack(Language::Node).recipe)(&RecipeInput {
        name: "api",
        path: ".",
        kind: ServiceKind::Web,
        port: Some(3000),
        package_manager: PackageManager::Npm,
        detected: None,
        answers: RecipeAnswers::default(),
    });
    assert!(!recipe.version_pinned);
    assert!(
        recipe
            .runtime_version
            .why
            .contains("no Node.js version is pinned")
    );
}
