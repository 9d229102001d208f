//! Starter apps: for each service whose folder holds no code, a minimal app in its language
//! that keeps the service's contract, so the first push goes green end to end.
//!
//! A starter listens on `PORT`, answers its health and readiness paths (ready when every
//! datastore it reads is reachable), serves Prometheus metrics where its stack has them,
//! stops cleanly on SIGTERM, reads its datastores from the variables its connections name,
//! has one passing test, and uses only its language's standard library (so its lockfile,
//! where the stack has one, names no dependency). Its recipe is the stack's default recipe:
//! the stack modules' defaults are exactly the starters' conventions.
//!
//! Starters are not part of [`crate::render`]: they are written once, by the CLI, and belong
//! to the user from then on (`Lock::starters`); `scaffold sync` never updates or deletes them.
//! A gRPC service gets no starter (no standard library serves gRPC); the docs say so.

use scaffold_core::vocabulary::{Language, ServiceKind};
use scaffold_core::{Project, Service};
use serde::Serialize;

use crate::engine::Prepared;
use crate::{Engine, Files, RenderError};

/// One datastore variable a starter reads.
#[derive(Debug, Clone, Serialize)]
struct Variable {
    /// The variable that holds the connection (URL, JDBC URL, connection string).
    name: String,
    /// The engine's port, when the value names none.
    port: u16,
}

/// Context of every starter template.
#[derive(Serialize)]
struct StarterContext<'a> {
    /// The service.
    service: &'a Service,
    /// The datastore variables, in `uses` order.
    variables: Vec<Variable>,
    /// The language or runtime version of its recipe (`24`, `3.13`, `1.25`, `9.0`...).
    version: String,
    /// The Go module path.
    module: String,
    /// The service's name in PascalCase (.NET project and namespace).
    pascal: String,
}

/// The files of `language`'s starter: (template below `scaffolds/starters/`, path in the
/// service's folder).
fn files(language: Language, pascal: &str) -> Vec<(&'static str, String)> {
    let list: Vec<(&'static str, &str)> = match language {
        Language::Node => vec![
            ("node/package.json.tera", "package.json"),
            ("node/package-lock.json.tera", "package-lock.json"),
            ("node/server.js.tera", "src/server.js"),
            ("node/server.test.js.tera", "test/server.test.js"),
            ("node/gitignore.tera", ".gitignore"),
        ],
        Language::Static => vec![
            ("static/package.json.tera", "package.json"),
            ("static/package-lock.json.tera", "package-lock.json"),
            ("static/build.mjs.tera", "build.mjs"),
            ("static/index.html.tera", "src/index.html"),
            ("static/build.test.js.tera", "test/build.test.js"),
            ("static/gitignore.tera", ".gitignore"),
        ],
        Language::Python => vec![
            ("python/requirements.txt.tera", "requirements.txt"),
            ("python/__init__.py.tera", "app/__init__.py"),
            ("python/__main__.py.tera", "app/__main__.py"),
            ("python/tests_init.py.tera", "tests/__init__.py"),
            ("python/test_app.py.tera", "tests/test_app.py"),
            ("python/gitignore.tera", ".gitignore"),
        ],
        Language::Go => vec![
            ("go/go.mod.tera", "go.mod"),
            ("go/main.go.tera", "main.go"),
            ("go/main_test.go.tera", "main_test.go"),
        ],
        Language::Rust => vec![
            ("rust/Cargo.toml.tera", "Cargo.toml"),
            ("rust/Cargo.lock.tera", "Cargo.lock"),
            ("rust/main.rs.tera", "src/main.rs"),
            ("rust/gitignore.tera", ".gitignore"),
        ],
        Language::Java => vec![
            ("java/pom.xml.tera", "pom.xml"),
            ("java/App.java.tera", "src/main/java/app/App.java"),
            ("java/AppTest.java.tera", "src/test/java/app/AppTest.java"),
            ("java/gitignore.tera", ".gitignore"),
        ],
        Language::Dotnet => {
            return vec![
                ("dotnet/App.csproj.tera", format!("{pascal}.csproj")),
                ("dotnet/Program.cs.tera", "Program.cs".to_owned()),
                ("dotnet/Contract.cs.tera", "Contract.cs".to_owned()),
                (
                    "dotnet/Tests.csproj.tera",
                    format!("tests/{pascal}.Tests.csproj"),
                ),
                (
                    "dotnet/ContractTests.cs.tera",
                    "tests/ContractTests.cs".to_owned(),
                ),
                ("dotnet/gitignore.tera", ".gitignore".to_owned()),
            ];
        }
        Language::Ruby => vec![
            ("ruby/Gemfile.tera", "Gemfile"),
            ("ruby/Gemfile.lock.tera", "Gemfile.lock"),
            ("ruby/app.rb.tera", "app.rb"),
            ("ruby/app_test.rb.tera", "test/app_test.rb"),
        ],
        Language::Php => vec![
            ("php/composer.json.tera", "composer.json"),
            ("php/index.php.tera", "public/index.php"),
            ("php/Contract.php.tera", "src/Contract.php"),
            ("php/run.php.tera", "tests/run.php"),
            ("php/gitignore.tera", ".gitignore"),
        ],
    };
    list.into_iter()
        .map(|(template, path)| (template, path.to_owned()))
        .collect()
}

/// Whether scaffold writes a starter for `service`, and if not, why not.
pub fn skipped(service: &Service) -> Option<&'static str> {
    if !service.starter {
        return Some("its folder already holds code");
    }
    match (service.kind, service.language) {
        (ServiceKind::Grpc, _) => Some(
            "a gRPC server needs a gRPC library, which no starter can use without dependencies; implement the service and the grpc.health.v1 health protocol",
        ),
        (ServiceKind::Worker | ServiceKind::Job, Language::Php | Language::Static) => {
            Some("scaffold's PHP and static images serve HTTP only")
        }
        _ => None,
    }
}

/// The starter files of every service whose folder holds no code, by repository path.
pub fn render(project: &Project, engine: &Engine) -> Result<Files, RenderError> {
    let mut out = Files::new();
    for service in &project.services {
        if skipped(service).is_some() {
            continue;
        }
        let pascal = scaffold_core::connection::pascal(&service.name);
        let module = if service.path == "." {
            format!("github.com/{}", project.repository.full)
        } else {
            format!("github.com/{}/{}", project.repository.full, service.path)
        };
        let context = StarterContext {
            service,
            variables: service
                .connections
                .iter()
                .map(|c| Variable {
                    name: c.variables.connection.clone(),
                    port: project
                        .datastore(&c.datastore)
                        .map_or_else(|| c.engine.facts().local_port, |d| d.local_port),
                })
                .collect(),
            version: service.recipe.runtime_version.value.clone(),
            module: module.to_ascii_lowercase(),
            pascal: pascal.clone(),
        };
        let context = Prepared::new("starters", &context)?;
        for (template, path) in files(service.language, &pascal) {
            let content = engine.render_code(&format!("starters/{template}"), &context)?;
            out.insert(format!("{}{path}", service.dir), content);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use scaffold_core::project::Facts;

    use super::*;

    fn project(language: &str, kind: &str) -> Project {
        let port = if matches!(kind, "web" | "grpc") {
            "port = 8080\n"
        } else {
            ""
        };
        let schedule = if kind == "job" {
            "schedule = \"0 3 * * *\"\n"
        } else {
            ""
        };
        let uses = if matches!(language, "static" | "php") && kind != "web" {
            "".to_owned()
        } else if language == "static" {
            "uses = []\n".to_owned()
        } else {
            "uses = [\"db\", \"cache\"]\n".to_owned()
        };
        Project::from_toml(
            &format!(
                "[app]\nname = \"shop\"\n[[services]]\nname = \"api\"\nlanguage = \"{language}\"\nkind = \"{kind}\"\npath = \"api\"\n{port}{schedule}{uses}[[datastores]]\nname = \"db\"\nengine = \"postgres\"\n[[datastores]]\nname = \"cache\"\nengine = \"redis\"\n"
            ),
            &Facts::default(),
        )
        .expect("valid answers")
    }

    #[test]
    fn every_language_gets_a_starter_with_a_test_for_each_kind() {
        let engine = Engine::new();
        for language in Language::ALL {
            for kind in ["web", "worker", "job"] {
                if *language == Language::Static && kind != "web" {
                    continue;
                }
                let project = project(language.as_str(), kind);
                let files = render(&project, &engine).expect("starters render");
                let service = &project.services[0];
                if skipped(service).is_some() {
                    assert!(files.is_empty());
                    continue;
                }
                assert!(
                    files
                        .iter()
                        .any(|(p, t)| p.contains("test") || t.contains("#[test]")),
                    "{language} {kind}: a test"
                );
                for (path, text) in &files {
                    assert!(
                        !text.contains("{{ ") && !text.contains("{%"),
                        "{path}: unrendered Tera"
                    );
                    // (A static site's health path is nginx's, in the generated nginx.conf.)
                    if service.listens() && !path.contains("test") && *language != Language::Static
                    {
                        // The code names the health path it must serve.
                        let serves = files
                            .values()
                            .any(|t| t.contains(service.health_path.as_deref().unwrap_or("-")));
                        assert!(serves, "{language}: serves its health path");
                    }
                }
                if language.stack().metrics && kind == "web" {
                    assert!(
                        files
                            .values()
                            .any(|t| t.contains("http_request_duration_seconds_bucket")),
                        "{language}: metrics the alerts read"
                    );
                }
                // Datastore variables the contract names are read.
                for variable in service.connection_variables() {
                    if service
                        .connections
                        .iter()
                        .any(|c| c.variables.connection == variable)
                    {
                        assert!(
                            files.values().any(|t| t.contains(variable)),
                            "{language} {kind}: reads {variable}"
                        );
                    }
                }
            }
        }
    }

    /// The generated CI's first Rust step is `cargo fmt --check`: the starter must already be
    /// formatted, for short and long names, any number of datastores, and every kind.
    #[test]
    fn the_rust_starter_is_formatted_as_rustfmt_formats_it() {
        use std::io::Write as _;
        use std::process::{Command, Stdio};

        if Command::new("rustfmt").arg("--version").output().is_err() {
            eprintln!(
                "rustfmt is not installed here: the Rust starter's formatting is not checked"
            );
            return;
        }
        let engine = Engine::new();
        for name in ["api", "inventory-reconciliation-svc1"] {
            for uses in ["[]", "[\"db\"]", "[\"db\", \"cache\", \"sessions\"]"] {
                for kind in ["web", "worker", "job"] {
                    let extra = match kind {
                        "web" => "port = 8080\nhealth_path = \"/internal/health/liveness\"\n",
                        "job" => "schedule = \"0 3 * * *\"\n",
                        _ => "",
                    };
                    let project = Project::from_toml(
                        &format!(
                            "[app]\nname = \"shop\"\n[[services]]\nname = \"{name}\"\nlanguage = \"rust\"\nkind = \"{kind}\"\npath = \"svc\"\n{extra}uses = {uses}\n[[datastores]]\nname = \"db\"\nengine = \"postgres\"\n[[datastores]]\nname = \"cache\"\nengine = \"redis\"\n[[datastores]]\nname = \"sessions\"\nengine = \"redis\"\n"
                        ),
                        &Facts::default(),
                    )
                    .expect("valid answers");
                    let files = render(&project, &engine).expect("starters render");
                    let main = &files["svc/src/main.rs"];
                    let mut rustfmt = Command::new("rustfmt")
                        .args(["--edition", "2021", "--check"])
                        .stdin(Stdio::piped())
                        .stdout(Stdio::piped())
                        .spawn()
                        .expect("rustfmt runs");
                    rustfmt
                        .stdin
                        .take()
                        .expect("stdin")
                        .write_all(main.as_bytes())
                        .expect("rustfmt reads");
                    let out = rustfmt.wait_with_output().expect("rustfmt finishes");
                    // On standard input, `rustfmt --check` prints the diff but exits 0
                    // (rust-lang/rustfmt#5376, #6789; measured with rustfmt 1.9.0).
                    assert!(
                        out.status.success() && out.stdout.is_empty(),
                        "{name} {kind} uses {uses}: rustfmt would change the starter:\n{}",
                        String::from_utf8_lossy(&out.stdout)
                    );
                }
            }
        }
    }

    #[test]
    fn grpc_services_get_no_starter() {
        let project = project("go", "grpc");
        assert!(skipped(&project.services[0]).is_some());
        assert!(render(&project, &Engine::new()).unwrap().is_empty());
    }
}
