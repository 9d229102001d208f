//! Detection over the fixture repositories in `tests/fixtures/detect/`, and
//! over small in-memory trees for the edge cases.

use std::path::PathBuf;

use super::*;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../../tests/fixtures/detect/{name}"))
}

/// One line per service and datastore, compact enough to compare as text.
fn summary(detection: &Detection) -> String {
    let mut lines = Vec::new();
    for s in &detection.services {
        lines.push(format!(
            "service {} at {}: {} {} port={} public={} uses={:?}",
            s.name,
            s.path,
            s.language,
            s.package_manager,
            s.port.map_or("-".to_owned(), |p| p.to_string()),
            s.public,
            s.uses
        ));
    }
    for d in &detection.datastores {
        lines.push(format!("datastore {} {}", d.name, d.engine));
    }
    lines.join("\n")
}

fn check(name: &str, expect: &str) {
    let detection = detect(&FsTree::new(&fixture(name)), name);
    assert_eq!(
        summary(&detection),
        expect.trim(),
        "{name}: notes {:#?}\nservices {:#?}",
        detection.notes,
        detection.services
    );
    for service in &detection.services {
        assert!(
            !service.evidence.is_empty(),
            "{} has no evidence",
            service.name
        );
    }
}

#[test]
fn node_npm() {
    check(
        "node-npm",
        r#"
service node-npm at .: node npm port=4000 public=true uses=["db"]
datastore db postgres
"#,
    );
}

#[test]
fn node_pnpm_workspace() {
    check(
        "node-pnpm-workspace",
        r#"
service api at apps/api: node pnpm port=3000 public=true uses=["cache"]
service web at apps/web: static pnpm port=- public=true uses=[]
datastore cache redis
"#,
    );
    let detection = detect(&FsTree::new(&fixture("node-pnpm-workspace")), "x");
    assert!(
        detection
            .notes
            .iter()
            .any(|n| n.contains("skipped packages/ui") && n.contains("library")),
        "{:#?}",
        detection.notes
    );
}

#[test]
fn python_uv() {
    check(
        "python-uv",
        r#"
service python-uv at .: python uv port=8000 public=true uses=["db"]
datastore db postgres
"#,
    );
}

#[test]
fn python_poetry() {
    check(
        "python-poetry",
        r#"
service python-poetry at .: python poetry port=5000 public=true uses=["cache"]
datastore cache redis
"#,
    );
}

#[test]
fn python_requirements() {
    check(
        "python-requirements",
        r#"
service python-requirements at .: python pip port=8000 public=true uses=["db"]
datastore db postgres
"#,
    );
}

#[test]
fn go() {
    check(
        "go",
        r#"
service go at .: go go port=8081 public=true uses=["cache"]
datastore cache redis
"#,
    );
}

#[test]
fn rust_cargo_workspace() {
    check(
        "rust-cargo-workspace",
        r#"
service api at crates/api: rust cargo port=- public=true uses=["db"]
service indexer at crates/indexer: rust cargo port=- public=false uses=["cache"]
datastore db postgres
datastore cache redis
"#,
    );
}

#[test]
fn java_maven() {
    check(
        "java-maven",
        r#"
service java-maven at .: java maven port=8085 public=true uses=["db"]
datastore db postgres
"#,
    );
}

#[test]
fn java_gradle() {
    check(
        "java-gradle",
        r#"
service app at app: java gradle port=8080 public=true uses=["cache"]
datastore cache redis
"#,
    );
}

#[test]
fn static_vite() {
    check(
        "static-vite",
        r#"
service static-vite at .: static yarn port=- public=true uses=[]
"#,
    );
}

#[test]
fn mixed_monorepo() {
    check(
        "monorepo",
        r#"
service web at apps/web: static npm port=- public=true uses=[]
service api at services/api: go go port=8080 public=true uses=["db"]
service worker at services/worker: python pip port=- public=false uses=["cache"]
datastore db postgres
datastore cache redis
"#,
    );
}

/// A Go HTTP server's main package.
const GO_MAIN: &str =
    "package main\n\nimport \"net/http\"\n\nfunc main() { http.ListenAndServe(\":8080\", nil) }\n";

fn mem(files: &[(&str, &str)]) -> Detection {
    detect(&MemTree::new(files.iter().copied()), "shop")
}

#[test]
fn an_empty_repository_detects_nothing_and_keeps_the_defaults() {
    let detection = mem(&[("README.md", "# hi")]);
    assert!(detection.is_empty());
    assert_eq!(detection.answers("shop"), default_answers("shop"));
}

#[test]
fn dependency_and_hidden_folders_are_not_walked() {
    let detection = mem(&[
        (
            "node_modules/x/package.json",
            r#"{"scripts":{"start":"x"}}"#,
        ),
        (".venv/lib/pyproject.toml", "[project]\nname='x'\n"),
        ("docs/package.json", r#"{"devDependencies":{"vite":"1"}}"#),
    ]);
    assert!(detection.is_empty(), "{detection:#?}");
}

#[test]
fn a_next_static_export_is_static_and_a_next_server_is_node() {
    let export = mem(&[
        ("package.json", r#"{"dependencies":{"next":"14"}}"#),
        ("next.config.mjs", "export default { output: 'export' }"),
    ]);
    assert_eq!(export.services[0].language, Language::Static);
    let server = mem(&[("package.json", r#"{"dependencies":{"next":"14"}}"#)]);
    assert_eq!(server.services[0].language, Language::Node);
    assert_eq!(server.services[0].port, Some(3000));
}

#[test]
fn a_privileged_port_hint_is_ignored_with_a_reason() {
    let detection = mem(&[
        ("package.json", r#"{"dependencies":{"express":"4"}}"#),
        ("server.js", "app.listen(80)"),
    ]);
    assert_eq!(detection.services[0].port, Some(3000));
    assert!(
        detection.notes.iter().any(|e| e.contains("privileged")),
        "{:#?}",
        detection.notes
    );
}

#[test]
fn an_existing_dockerfile_is_reported() {
    let detection = mem(&[
        ("api/go.mod", "module x\n"),
        ("api/main.go", GO_MAIN),
        ("api/Dockerfile", "FROM scratch\n"),
    ]);
    assert!(detection.services[0].dockerfile);
    assert!(
        detection.services[0]
            .evidence
            .iter()
            .any(|e| e.contains("api/Dockerfile") && e.contains("keeps"))
    );
}

#[test]
fn go_work_modules_and_maven_modules_are_services() {
    let go = mem(&[
        ("go.work", "go 1.22\nuse (\n  ./api\n  ./worker\n)\n"),
        ("api/go.mod", "module a\n"),
        ("api/main.go", GO_MAIN),
        ("worker/go.mod", "module w\n"),
        ("worker/main.go", GO_MAIN),
    ]);
    assert_eq!(go.services.len(), 2);
    let maven = mem(&[
        (
            "pom.xml",
            "<project><modules><module>web</module><module>common</module></modules></project>",
        ),
        (
            "web/pom.xml",
            "<project><artifactId>spring-boot-starter-web</artifactId><artifactId>mysql-connector-j</artifactId></project>",
        ),
        ("common/pom.xml", "<project></project>"),
    ]);
    assert_eq!(
        summary(&maven),
        "service web at web: java maven port=8080 public=true uses=[\"db\"]\ndatastore db mysql"
    );
}

#[test]
fn clashing_folder_names_get_unique_service_names() {
    let detection = mem(&[
        ("apps/api/go.mod", "module a\n"),
        ("apps/api/main.go", GO_MAIN),
        ("services/api/go.mod", "module b\n"),
        ("services/api/main.go", GO_MAIN),
        ("db/go.mod", "module c\nrequire github.com/lib/pq v1\n"),
        ("db/main.go", GO_MAIN),
    ]);
    let names: Vec<&str> = detection.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["api", "db-service", "services-api"]);
}

#[test]
fn detected_answers_resolve_and_carry_package_managers() {
    let detection = detect(&FsTree::new(&fixture("monorepo")), "acme");
    let answers = detection.answers("acme");
    let project =
        scaffold_core::Project::resolve(&answers, &scaffold_core::project::Facts::default())
            .unwrap();
    assert_eq!(project.services.len(), 3);
    assert_eq!(
        detection.package_managers().get("services/worker"),
        Some(&PackageManager::Pip)
    );
}

#[test]
fn a_front_end_build_beside_a_backend_manifest_is_its_asset_pipeline() {
    let django = mem(&[
        ("requirements.txt", "django\n"),
        ("package.json", r#"{"devDependencies":{"vite":"5"}}"#),
    ]);
    assert_eq!(
        summary(&django),
        "service shop at .: python pip port=8000 public=true uses=[]"
    );
    let tooling = mem(&[
        ("go.mod", "module x\n"),
        ("main.go", GO_MAIN),
        ("package.json", r#"{"devDependencies":{"prettier":"3"}}"#),
    ]);
    assert_eq!(tooling.services[0].language, Language::Go);
    let bff = mem(&[
        ("requirements.txt", "requests\n"),
        ("package.json", r#"{"dependencies":{"express":"4"}}"#),
    ]);
    assert_eq!(bff.services[0].language, Language::Node);
}

#[test]
fn nx_integrated_apps_are_found_by_their_project_json() {
    let detection = mem(&[
        ("nx.json", "{}"),
        (
            "package.json",
            r#"{"name":"root","devDependencies":{"nx":"19"}}"#,
        ),
        ("pnpm-lock.yaml", ""),
        (
            "apps/shop/project.json",
            r#"{"projectType":"application","targets":{"build":{"executor":"@nx/vite:build"}}}"#,
        ),
        (
            "apps/api/project.json",
            r#"{"projectType":"application","targets":{"serve":{"executor":"@nx/js:node"}}}"#,
        ),
        ("libs/ui/project.json", r#"{"projectType":"library"}"#),
    ]);
    assert_eq!(
        summary(&detection),
        "service api at apps/api: node pnpm port=3000 public=true uses=[]\nservice shop at apps/shop: static pnpm port=- public=true uses=[]"
    );
}

#[test]
fn a_privileged_port_the_apps_own_dockerfile_exposes_is_reported_once_and_not_used() {
    // dockersamples/example-voting-app's `vote`: gunicorn bound to :80 in its Dockerfile and
    // compose file; the answers must stay valid (ports below 1024 are refused).
    let detection = mem(&[
        ("vote/requirements.txt", "Flask\nRedis\ngunicorn\n"),
        (
            "vote/app.py",
            "from flask import Flask\napp = Flask(__name__)\napp.run(host='0.0.0.0', port=80)\n",
        ),
        (
            "vote/Dockerfile",
            "FROM python:3.11-slim\nEXPOSE 80\nCMD [\"gunicorn\", \"app:app\", \"-b\", \"0.0.0.0:80\"]\n",
        ),
        (
            "compose.yaml",
            "services:\n  vote:\n    build: ./vote\n    ports:\n      - \"8080:80\"\n",
        ),
    ]);
    let vote = &detection.services[0];
    assert_eq!(vote.port, Some(8000), "{:#?}", detection.notes);
    let said: Vec<_> = detection
        .notes
        .iter()
        .filter(|n| n.contains("privileged"))
        .collect();
    assert_eq!(said.len(), 1, "{said:#?}");
    assert!(said[0].contains("vote/Dockerfile exposes port 80") && said[0].contains("$PORT"));
    let answers = detection.answers("shop");
    scaffold_core::Project::resolve(&answers, &scaffold_core::project::Facts::default())
        .expect("the default answers are valid");
}

#[test]
fn python_grpc_servers_are_grpc_and_pip_tools_inputs_name_the_direct_dependencies() {
    // GoogleCloudPlatform/microservices-demo: recommendationservice depends on grpcio only
    // through grpcio-health-checking; loadgenerator's compiled requirements.txt carries Flask
    // because locust does.
    let detection = mem(&[
        ("recs/requirements.in", "grpcio-health-checking==1.76.0\n"),
        (
            "recs/requirements.txt",
            "grpcio==1.76.0\n    # via grpcio-health-checking\ngrpcio-health-checking==1.76.0\n    # via -r requirements.in\n",
        ),
        (
            "recs/recommendation_server.py",
            "import grpc\n\nif __name__ == \"__main__\":\n    server = grpc.server(None)\n",
        ),
        ("loadgen/requirements.in", "locust==2.43.0\n"),
        (
            "loadgen/requirements.txt",
            "flask==3.1.2\n    # via locust\nlocust==2.43.0\n    # via -r requirements.in\n",
        ),
        ("loadgen/locustfile.py", "from locust import HttpUser\n"),
    ]);
    let by_path = |p: &str| {
        detection
            .services
            .iter()
            .find(|s| s.path == p)
            .unwrap_or_else(|| panic!("{p}: {detection:#?}"))
    };
    let recs = by_path("recs");
    assert_eq!(recs.kind, ServiceKind::Grpc);
    assert_eq!(recs.port, Some(50051));
    assert_eq!(recs.detected.health_path, None);
    assert_eq!(by_path("loadgen").kind, ServiceKind::Worker);
}

#[test]
fn a_front_end_built_into_another_service_is_not_a_site_of_its_own() {
    // fastapi/full-stack-fastapi-template: Vite writes the bundle into the back end.
    let detection = mem(&[
        (
            "frontend/package.json",
            r#"{"scripts":{"build":"vite build"},"devDependencies":{"vite":"7"}}"#,
        ),
        (
            "frontend/vite.config.ts",
            "export default defineConfig({ build: { outDir: \"../backend/app/frontend\" } })",
        ),
        ("backend/requirements.txt", "fastapi\nuvicorn\n"),
        (
            "backend/app/main.py",
            "from fastapi import FastAPI\napp = FastAPI()\n",
        ),
    ]);
    let paths: Vec<_> = detection.services.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(paths, ["backend"]);
    assert!(
        detection
            .notes
            .iter()
            .any(|n| n.contains("frontend") && n.contains("../backend/app/frontend")),
        "{:#?}",
        detection.notes
    );
}

#[test]
fn a_service_in_a_src_folder_is_named_after_its_parent() {
    let detection = mem(&[
        (
            "services/cart/src/package.json",
            r#"{"dependencies":{"express":"5"}}"#,
        ),
        ("services/cart/src/server.js", "app.listen(3000)"),
    ]);
    assert_eq!(detection.services[0].name, "cart");
}

#[test]
fn the_repositorys_compose_file_is_its_own_and_names_the_datastores_its_services_need() {
    let compose = r#"
services:
  api:
    build: ./api
    ports: ["8080:3000"]
    depends_on:
      cache:
        condition: service_started
    links: ["sql:database"]
  worker:
    build:
      context: ./api
  cache:
    image: docker.io/library/redis:7.2-alpine@sha256:0123
  sql:
    image: mcr.microsoft.com/mssql/server:2022-latest
  adminer:
    image: adminer
    depends_on: [sql]
"#;
    let detection = mem(&[
        ("docker-compose.yml", compose),
        (
            "api/package.json",
            r#"{"dependencies":{"express":"5"},"scripts":{"start":"node server.js"}}"#,
        ),
        ("api/server.js", "app.listen(process.env.PORT)"),
    ]);
    assert_eq!(
        detection.compose_file.as_deref(),
        Some("docker-compose.yml")
    );
    assert_eq!(
        summary(&detection),
        "service api at api: node npm port=3000 public=true uses=[\"cache\", \"db\"]\ndatastore cache redis\ndatastore db sqlserver",
        "{detection:#?}"
    );
    let api = &detection.services[0];
    assert!(
        api.detected.engines.iter().any(|e| e.why
            == "docker-compose.yml: service `api` depends on `cache`, which runs docker.io/library/redis:7.2-alpine@sha256:0123"),
        "{:#?}",
        api.detected.engines
    );

    // Compose's own order picks the file; scaffold's generated one is not the user's.
    let both = mem(&[
        (
            "compose.yaml",
            "# Generated by scaffold from scaffold.toml.\nservices: {}\n",
        ),
        ("docker-compose.yaml", "services: {}\n"),
    ]);
    assert_eq!(both.compose_file.as_deref(), Some("docker-compose.yaml"));
    let generated = mem(&[(
        "compose.yaml",
        "# Generated by scaffold from scaffold.toml.\nservices: {}\n",
    )]);
    assert_eq!(generated.compose_file, None);
    // A file that does not parse is still the user's.
    let broken = mem(&[("compose.yml", "services: [\n")]);
    assert_eq!(broken.compose_file.as_deref(), Some("compose.yml"));
}

/// The health paths of routes on routers mounted under a prefix are the served ones.
#[test]
fn routes_on_mounted_routers_are_probed_where_they_are_served() {
    for (name, health, ready) in [
        ("python-fastapi-prefix", "/api/health", "/api/health/ready"),
        ("flask-blueprint", "/internal/healthz", "/internal/readyz"),
    ] {
        let detection = detect(&FsTree::new(&fixture(name)), name);
        let service = &detection.services[0];
        let answers = detection.answers(name);
        assert_eq!(
            answers.services[0].health_path.as_deref(),
            Some(health),
            "{name}"
        );
        assert_eq!(
            answers.services[0].readiness_path.as_deref(),
            Some(ready),
            "{name}"
        );
        assert!(!service.evidence.is_empty());
        insta::assert_snapshot!(name, detection.report().join("\n"));
    }
}
