//! `scaffold new`: success with defaults, answers and `--set`, every bad
//! input of the answers contract (exit code 2, nothing written), existing
//! files kept, and no wizard without a terminal.

use insta::assert_snapshot;

use super::context::TestContext;

#[test]
fn defaults_in_an_empty_repository() {
    let context = TestContext::new();
    let output = context
        .scaffold()
        .args(["new", "--defaults"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        context.render_output(&output)
    );

    let answers = context.read("scaffold.toml");
    assert!(answers.contains("name = \"shop\""), "{answers}");
    let lock = context.lock();
    assert_eq!(lock.scaffold, env!("CARGO_PKG_VERSION"));
    assert!(!lock.files.is_empty());
    for (path, id) in &lock.files {
        assert!(
            context.exists(path),
            "{path} is in the lock but not on disk"
        );
        assert!(context.has_base(id), "the base of {path} is not stored");
    }
    assert!(lock.files.contains_key("fixture/env/staging.txt"));
    assert!(lock.files.contains_key("fixture/env/production.txt"));
    assert!(!context.exists(".scaffold/sync.lock"));
    assert!(!context.exists(".scaffold/tmp"));
}

#[test]
fn the_same_answers_give_identical_files() {
    let first = TestContext::new();
    first
        .scaffold()
        .args(["new", "--defaults"])
        .assert()
        .success();
    let second = TestContext::new();
    second
        .scaffold()
        .args(["new", "--defaults"])
        .assert()
        .success();
    assert_eq!(first.tree(), second.tree());
}

#[test]
fn answers_from_a_file() {
    let context = TestContext::new();
    let answers = context.outside().join("answers.toml");
    std::fs::write(
        &answers,
        TestContext::answers(&["dev", "staging", "production"], "eu-west-1", 8080),
    )
    .unwrap();
    context
        .scaffold()
        .args(["new", "--answers"])
        .arg(&answers)
        .assert()
        .success();
    assert_eq!(
        context.read("scaffold.toml"),
        std::fs::read_to_string(&answers).unwrap()
    );
    assert!(
        context
            .read("fixture/services/api.txt")
            .contains("port 8080")
    );
    assert!(context.exists("fixture/env/dev.txt"));
}

#[test]
fn set_changes_single_answers() {
    let context = TestContext::new();
    context
        .scaffold()
        .args(["new", "--defaults", "--set", "app.name=store"])
        .args(["--set", "services[0].port=8080"])
        .assert()
        .success();
    assert!(context.read("scaffold.toml").contains("name = \"store\""));
    assert!(
        context
            .read("fixture/services/shop.txt")
            .contains("port 8080")
    );
}

#[test]
fn dir_chooses_the_repository() {
    let context = TestContext::new();
    context
        .scaffold()
        .current_dir(context.outside())
        .args(["new", "--defaults", "--dir", "shop"])
        .assert()
        .success();
    assert!(context.read("scaffold.toml").contains("name = \"shop\""));
}

/// Runs `new --answers` with `text` (written outside the repository) and
/// checks it fails with exit code 2 and writes nothing.
fn check_invalid(name: &str, text: &str) {
    let context = TestContext::new();
    let answers = context.outside().join("answers.toml");
    std::fs::write(&answers, text).unwrap();
    let output = context
        .scaffold()
        .args(["new", "--answers"])
        .arg(&answers)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        context.tree().is_empty(),
        "something was written: {:?}",
        context.tree().keys()
    );
    assert_snapshot!(name, context.render_output(&output));
}

const SERVICE: &str = "[[services]]\nname = \"api\"\nlanguage = \"node\"\n";

#[test]
fn unknown_keys_name_the_line_and_a_suggestion() {
    check_invalid(
        "invalid_unknown_key",
        &format!("[app]\nname = \"shop\"\nnmae = \"x\"\n\n{SERVICE}"),
    );
}

#[test]
fn duplicate_names_are_invalid() {
    check_invalid(
        "invalid_duplicate_names",
        &format!("[app]\nname = \"shop\"\n\n{SERVICE}path = \"a\"\n\n{SERVICE}path = \"b\"\n"),
    );
}

#[test]
fn uses_must_name_a_datastore() {
    check_invalid(
        "invalid_uses",
        &format!(
            "[app]\nname = \"shop\"\n\n{SERVICE}uses = [\"cache\"]\n\n[[datastores]]\nname = \"db\"\nengine = \"postgres\"\n"
        ),
    );
}

#[test]
fn paths_must_stay_inside_the_repository() {
    check_invalid(
        "invalid_absolute_path",
        &format!("[app]\nname = \"shop\"\n\n{SERVICE}path = \"/srv/api\"\n"),
    );
    check_invalid(
        "invalid_escaping_path",
        &format!("[app]\nname = \"shop\"\n\n{SERVICE}path = \"services/../../api\"\n"),
    );
}

#[test]
fn ports_must_be_in_range() {
    check_invalid(
        "invalid_port",
        &format!("[app]\nname = \"shop\"\n\n{SERVICE}port = 70000\n"),
    );
}

#[test]
fn the_registry_must_fit_the_cloud() {
    check_invalid(
        "invalid_registry",
        &format!(
            "[app]\nname = \"shop\"\n\n[cloud]\nprovider = \"gcp\"\n\n[delivery]\nregistry = \"ecr\"\n\n{SERVICE}"
        ),
    );
}

#[test]
fn the_environment_list_must_not_be_empty() {
    check_invalid(
        "invalid_empty_environments",
        &format!("environments = []\n\n[app]\nname = \"shop\"\n\n{SERVICE}"),
    );
}

#[test]
fn a_bad_set_is_invalid_and_writes_nothing() {
    let context = TestContext::new();
    let output = context
        .scaffold()
        .args(["new", "--defaults", "--set", "services[0].port=99999"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(context.tree().is_empty());
    assert_snapshot!("invalid_set_port", context.render_output(&output));
}

#[test]
fn existing_files_are_kept_without_force() {
    let context = TestContext::new();
    context.write("fixture/env/staging.txt", "my own notes\n");
    let output = context
        .scaffold()
        .args(["new", "--defaults"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("keep    fixture/env/staging.txt (a file of yours is already there; `scaffold new --force` replaces it)"),
        "{stdout}"
    );
    assert_eq!(context.read("fixture/env/staging.txt"), "my own notes\n");
    assert!(
        context
            .lock()
            .user_owned
            .contains(&"fixture/env/staging.txt".to_owned())
    );

    // With `--force`, scaffold's version replaces it.
    context
        .scaffold()
        .args(["new", "--defaults", "--force"])
        .assert()
        .success();
    assert!(
        context
            .read("fixture/env/staging.txt")
            .contains("environment staging")
    );
    assert!(context.lock().user_owned.is_empty());
}

#[test]
fn a_users_file_gets_scaffolds_block_appended() {
    let context = TestContext::new();
    context.write("fixture/NOTES.md", "# My notes\n\nKeep me.\n");
    context
        .scaffold()
        .args(["new", "--defaults"])
        .assert()
        .success();
    let notes = context.read("fixture/NOTES.md");
    assert!(
        notes.starts_with("# My notes\n\nKeep me.\n\n<!-- scaffold:begin -->\n"),
        "{notes}"
    );
    assert!(notes.ends_with("<!-- scaffold:end -->\n"), "{notes}");
}

#[test]
fn without_a_terminal_new_needs_defaults_or_answers() {
    let context = TestContext::new();
    let output = context.scaffold().arg("new").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(context.tree().is_empty());
    assert_snapshot!("no_terminal", context.render_output(&output));
}

#[test]
fn an_existing_answers_file_is_not_replaced() {
    let context = TestContext::new();
    context.write("scaffold.toml", "# mine\n");
    let output = context
        .scaffold()
        .args(["new", "--defaults"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(context.read("scaffold.toml"), "# mine\n");
    assert_eq!(context.tree().len(), 1);
}

#[test]
fn starters_are_written_once_and_what_new_writes_is_what_sync_renders() {
    let context = TestContext::new();
    let mut answers = String::from("[app]\nname = \"shop\"\nrepository = \"acme/shop\"\n");
    for (name, language, extra) in [
        ("api", "node", "port = 3000\nuses = [\"db\"]\n"),
        ("web", "static", "port = 8080\n"),
        ("py", "python", "port = 8000\nuses = [\"db\"]\n"),
        ("gw", "go", "port = 8081\n"),
        ("rs", "rust", "kind = \"worker\"\n"),
        ("jv", "java", "port = 8082\n"),
        ("net", "dotnet", "port = 8083\n"),
        ("rb", "ruby", "port = 8084\n"),
        ("php", "php", "port = 8085\n"),
    ] {
        answers.push_str(&format!(
            "[[services]]\nname = \"{name}\"\nlanguage = \"{language}\"\npath = \"{name}\"\n{extra}"
        ));
    }
    answers.push_str("[[datastores]]\nname = \"db\"\nengine = \"postgres\"\n");
    context.write("answers.toml", &answers);
    // The real families: the Dockerfiles and CI read what detection finds in the starters.
    let stdout = context.run_real(&["new", "--answers", "answers.toml"]);
    for file in [
        "api/src/server.js",
        "py/app/__main__.py",
        "gw/main.go",
        "jv/pom.xml",
    ] {
        assert!(
            stdout.contains(&format!("create  {file} (starter app")),
            "{stdout}"
        );
        assert!(context.lock().starters.contains(&file.to_owned()));
    }
    context.commit_all("generated");

    // The starters are code now; detecting them changes nothing scaffold wrote.
    let before = context.tree_without_cache();
    let sync = context.run_real(&["sync"]);
    assert_eq!(context.tree_without_cache(), before, "{sync}");

    // A starter file the user removed or changed stays as the user left it.
    context.remove("api/src/server.js");
    context.edit("py/app/__main__.py", "def ", "def  ");
    let edited = context.read("py/app/__main__.py");
    context.run_real(&["sync"]);
    assert!(!context.exists("api/src/server.js"));
    assert_eq!(context.read("py/app/__main__.py"), edited);
    // The handbook says what this test shows.
    let handbook = context.read("docs/devops/README.md");
    assert!(
        handbook.contains("**Starter files are yours from the moment they are written.**")
            && handbook.contains("never updates, merges or deletes them, and never writes one again, not even one you deleted"),
        "{handbook}"
    );
}

/// Copies the fixture app `name` (`tests/fixtures/apps/<name>`) into the context's root.
fn copy_fixture_app(context: &TestContext, name: &str) {
    fn copy(from: &std::path::Path, to: &std::path::Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }
    let from = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/apps")
        .join(name);
    copy(&from, &context.root);
}

#[test]
fn the_repositorys_own_compose_file_stays_the_one_compose_loads() {
    let context = TestContext::new();
    copy_fixture_app(&context, "node-compose");
    let own = context.read("docker-compose.yml");
    context.commit_all("the app");
    let stdout = context.run_real(&["new", "--defaults"]);

    // No file Compose or Spring Boot would load instead of the user's.
    for name in ["compose.yaml", "compose.yml", "docker-compose.yaml"] {
        assert!(!context.exists(name), "{name} was written\n{stdout}");
    }
    assert_eq!(context.read("docker-compose.yml"), own);
    // `new` says why and how to merge, and so do the handbook and the README.
    assert!(
        stdout.contains("docker-compose.yml is this repository's own compose file")
            && stdout.contains("compose.scaffold.yaml")
            && stdout.contains("docker compose -f compose.scaffold.yaml up --build"),
        "{stdout}"
    );
    let handbook = context.read("docs/devops/README.md");
    assert!(
        handbook.contains("This repository has its own compose file, `docker-compose.yml`")
            && handbook.contains("docker compose -f compose.scaffold.yaml up --build"),
        "{handbook}"
    );
    assert!(
        context
            .read("README.md")
            .contains("docker compose -f compose.scaffold.yaml up --build")
    );

    // The compose file read as evidence: the port and the datastore it runs for the service.
    let answers = context.read("scaffold.toml");
    assert!(answers.contains("port = 3000"), "{answers}");
    assert!(answers.contains("engine = \"postgres\""), "{answers}");
    assert!(
        stdout.contains("docker-compose.yml runs service `api` on container port 3000"),
        "{stdout}"
    );

    // scaffold's services are a complete compose file of their own, with the app's port and
    // its datastore; Compose runs it only when named.
    let snippet: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&context.read("compose.scaffold.yaml")).unwrap();
    let services = snippet["services"].as_mapping().unwrap();
    let names: Vec<&str> = services.keys().filter_map(|k| k.as_str()).collect();
    assert_eq!(names, ["shop", "db"], "{snippet:?}");
    assert_eq!(
        snippet["services"]["shop"]["ports"][0].as_str(),
        Some("127.0.0.1:3000:3000")
    );
    assert!(
        context.lock().files.contains_key("compose.scaffold.yaml"),
        "scaffold keeps its own file current"
    );

    // Sync keeps respecting it: nothing changes, and no compose.yaml appears.
    context.commit_all("scaffold");
    let before = context.tree_without_cache();
    let sync = context.run_real(&["sync"]);
    assert_eq!(context.tree_without_cache(), before, "{sync}");
    assert!(!context.exists("compose.yaml"));

    // Without its own compose file, the repository gets scaffold's as `compose.yaml`, and the
    // snippet, unchanged, goes.
    context.remove("docker-compose.yml");
    let sync = context.run_real(&["sync"]);
    assert!(context.exists("compose.yaml"), "{sync}");
    assert!(!context.exists("compose.scaffold.yaml"));
    assert!(
        context
            .read("docs/devops/README.md")
            .contains("\ndocker compose up --build\n")
    );
}

#[test]
fn an_unknown_region_is_refused_with_the_nearest_ones_and_the_override() {
    let context = TestContext::new();
    let output = context
        .scaffold()
        .args(["new", "--defaults", "--set", "cloud.region=us-east1"])
        .output()
        .unwrap();
    assert_snapshot!("invalid_unknown_region", context.render_output(&output));
    assert_eq!(output.status.code(), Some(2));
    assert!(!context.exists("scaffold.toml"), "nothing is written");

    // The override takes a region newer than scaffold's list, and is written down.
    context
        .scaffold()
        .args([
            "new",
            "--defaults",
            "--set",
            "cloud.region=ap-newland-1",
            "--set",
            "cloud.allow_unlisted_regions=true",
        ])
        .assert()
        .success();
    let answers = context.read("scaffold.toml");
    assert!(
        answers.contains("allow_unlisted_regions = true"),
        "{answers}"
    );
}

/// The pod template of the one workload under `deploy/kubernetes/base/`.
fn pod_of_the_workload(context: &TestContext) -> serde_yaml_ng::Value {
    let base = context.root.join("deploy/kubernetes/base");
    let workload = std::fs::read_dir(&base)
        .unwrap()
        .map(|e| e.unwrap().path().join("workload.yaml"))
        .find(|p| p.exists())
        .expect("a workload");
    let doc: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&std::fs::read_to_string(workload).unwrap()).unwrap();
    doc["spec"]["template"]["spec"].clone()
}

/// The level Pod Security admission enforces in the namespace, from the platform module.
fn enforced_level(context: &TestContext) -> String {
    let module = context.read("infra/modules/platform/main.tf");
    let line = module
        .lines()
        .find(|l| l.contains("\"pod-security.kubernetes.io/enforce\""))
        .expect("the enforce label");
    line.rsplit('"').nth(1).unwrap().to_owned()
}

/// A repository's own Dockerfile is the image scaffold builds, and the pods fit its `USER`:
/// `new` keeps it, writes no `.dockerignore` beside it and says so; every sync reads it again,
/// so a numeric `USER` written later gets the non-root requirement and `restricted` back, and
/// nothing flips back to scaffold's user while the file is the user's; `sync --restore` swaps
/// in scaffold's Dockerfile, and the next sync hardens the pods for it.
#[test]
fn the_repositorys_own_dockerfile_is_built_and_its_pods_fit_its_user() {
    let context = TestContext::new();
    copy_fixture_app(&context, "node-own-dockerfile");
    let own = context.read("Dockerfile");
    context.commit_all("the app");
    let stdout = context.run_real(&["new", "--defaults"]);

    // Kept, built, and said.
    assert_eq!(context.read("Dockerfile"), own);
    assert!(
        !context.exists(".dockerignore"),
        "scaffold's ignore file would change its build"
    );
    assert!(
        stdout.contains("Dockerfile already exists; scaffold keeps it")
            && stdout.contains("`USER node`")
            && stdout.contains("note: Dockerfile is your own Dockerfile"),
        "{stdout}"
    );
    assert!(context.read("scaffold.toml").contains("port = 8080"));
    // `USER node` is a name: no non-root requirement the kubelet would refuse, no user id,
    // a writable root, and the namespace at baseline.
    let pod = pod_of_the_workload(&context);
    let container = &pod["containers"][0]["securityContext"];
    for sc in [&pod["securityContext"], container] {
        assert!(
            sc["runAsNonRoot"].is_null() && sc["runAsUser"].is_null(),
            "{sc:?}"
        );
    }
    assert_eq!(container["readOnlyRootFilesystem"], false);
    assert_eq!(container["allowPrivilegeEscalation"], false);
    assert_eq!(enforced_level(&context), "baseline");
    let handbook = context.read("docs/devops/README.md");
    assert!(
        handbook.contains("| `Dockerfile` (your own Dockerfile) |")
            && handbook.contains("its `USER node`: a name"),
        "{handbook}"
    );

    // A second sync changes nothing.
    context.commit_all("scaffold");
    let before = context.tree_without_cache();
    context.run_real(&["sync"]);
    assert_eq!(context.tree_without_cache(), before);

    // The team writes the number: the pods require it, and the namespace is restricted again.
    context.edit("Dockerfile", "USER node", "USER 1000:1000");
    context.run_real(&["sync"]);
    let pod = pod_of_the_workload(&context);
    let container = &pod["containers"][0]["securityContext"];
    assert_eq!(container["runAsUser"], 1000);
    assert_eq!(container["runAsGroup"], 1000);
    assert_eq!(container["runAsNonRoot"], true);
    assert_eq!(
        container["readOnlyRootFilesystem"], false,
        "still the team's image"
    );
    assert_eq!(enforced_level(&context), "restricted");
    assert!(context.read("Dockerfile").contains("USER 1000:1000"));
    context.commit_all("numeric user");

    // scaffold's Dockerfile on request: the next sync hardens the pods for it.
    context.run_real(&["sync", "--restore", "Dockerfile"]);
    assert!(context.read("Dockerfile").contains("Generated by scaffold"));
    context.run_real(&["sync"]);
    let pod = pod_of_the_workload(&context);
    let container = &pod["containers"][0]["securityContext"];
    assert_eq!(container["readOnlyRootFilesystem"], true);
    assert_eq!(container["runAsNonRoot"], true);
    assert!(context.exists(".dockerignore"));
    assert!(
        !context
            .read("docs/devops/README.md")
            .contains("(your own Dockerfile)")
    );
}

/// A workspace member's image builds from the workspace root (its Dockerfile copies the root
/// lockfile) on pull requests exactly as on pushes: the two build jobs of ci.yml name the same
/// context and Dockerfile for every service.
#[test]
fn pull_requests_build_each_image_as_pushes_do() {
    let context = TestContext::new();
    copy_fixture_app(&context, "node-pnpm-workspace");
    context.commit_all("the app");
    context.run_real(&["new", "--defaults"]);
    let ci: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&context.read(".github/workflows/ci.yml")).unwrap();
    let mut builds = std::collections::BTreeMap::new();
    for (name, job) in ci["jobs"].as_mapping().unwrap() {
        for step in job["steps"].as_sequence().into_iter().flatten() {
            if step["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("docker/build-push-action@"))
            {
                let file = step["with"]["file"].as_str().unwrap().to_owned();
                let context = step["with"]["context"].as_str().unwrap().to_owned();
                builds
                    .entry(file)
                    .or_insert_with(Vec::new)
                    .push((name.as_str().unwrap().to_owned(), context));
            }
        }
    }
    let api = &builds["apps/api/Dockerfile"];
    assert_eq!(api.len(), 2, "a pull-request and a push build: {api:?}");
    assert!(
        api.iter().all(|(_, c)| c == "."),
        "the workspace root: {api:?}"
    );
    for (file, jobs) in &builds {
        let contexts: std::collections::BTreeSet<&String> = jobs.iter().map(|(_, c)| c).collect();
        assert_eq!(
            contexts.len(),
            1,
            "{file} is built from one context: {jobs:?}"
        );
    }
}
