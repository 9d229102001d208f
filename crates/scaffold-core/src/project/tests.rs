//! Tests of validation and resolution, one tiny case each.

use super::*;

const MINIMAL: &str = r#"
[app]
name = "shop"

[[services]]
name = "api"
language = "node"
"#;

fn resolve(source: &str) -> Result<Project, AnswersError> {
    Project::from_toml(source, &Facts::default())
}

/// Asserts that `source` is rejected with a message containing every piece of `expect`.
fn check_err(source: &str, expect: &[&str]) {
    let err = resolve(source)
        .expect_err("answers should be rejected")
        .to_string();
    for piece in expect {
        assert!(err.contains(piece), "expected {piece:?} in:\n{err}");
    }
}

fn with(extra: &str) -> String {
    format!("{MINIMAL}{extra}")
}

#[test]
fn minimal_answers_get_every_default() {
    let project = resolve(MINIMAL).unwrap();
    assert_eq!(project.cloud.provider, Provider::Aws);
    assert_eq!(project.cloud.region, "us-east-1");
    assert_eq!(project.delivery.strategy, Strategy::Rolling);
    assert_eq!(project.delivery.registry, Registry::Ghcr);
    assert_eq!(project.availability, Availability::ThreeNines);
    let envs: Vec<_> = project
        .environments
        .iter()
        .map(|e| (e.name.as_str(), e.branch.as_deref(), e.approval, e.tier))
        .collect();
    assert_eq!(
        envs,
        [
            ("staging", Some("main"), false, Tier::NonProduction),
            ("production", None, true, Tier::Production)
        ]
    );
    let api = &project.services[0];
    assert_eq!(
        (api.port, api.path.as_str(), api.dir.as_str()),
        (Some(3000), ".", "")
    );
    assert_eq!(api.uid, 1000);
    assert!(project.repository.assumed);
    assert_eq!(project.repository.full, "shop/shop");
    // Owners are never guessed: a bare organisation is not a valid CODEOWNERS owner.
    assert!(project.app.owners.is_empty());
}

#[test]
fn origin_fills_the_repository() {
    let facts = Facts {
        origin: Some("acme/shop".to_owned()),
        ..Facts::default()
    };
    let project = Project::from_toml(MINIMAL, &facts).unwrap();
    assert_eq!(project.repository.full, "acme/shop");
    assert!(!project.repository.assumed);
    assert_eq!(project.services[0].names.image_repository, "acme/shop-api");
}

#[test]
fn detected_package_manager_is_used_unless_answered() {
    let facts = Facts {
        package_managers: [(".".to_owned(), PackageManager::Pnpm)].into(),
        ..Facts::default()
    };
    let project = Project::from_toml(MINIMAL, &facts).unwrap();
    assert_eq!(project.services[0].package_manager, PackageManager::Pnpm);
}

#[test]
fn unknown_keys_name_line_and_nearest_key() {
    check_err(
        "[app]\nname = \"shop\"\nnmae = \"x\"\n",
        &[
            "line 3",
            "`app.nmae`",
            "unknown key",
            "did you mean `name`?",
        ],
    );
    check_err(
        &with("[delivery]\nstrategy = \"canary\"\ngitop = true\n"),
        &["`delivery.gitop`", "did you mean `gitops`?"],
    );
    check_err(
        &with("[[environments]]\nname = \"dev\"\napprove = true\n"),
        &["`environments[0].approve`", "did you mean `approval`?"],
    );
    check_err(
        &with("[network]\ncidr = \"10.0.0.0/16\"\n"),
        &["`network`", "valid keys here"],
    );
}

#[test]
fn syntax_and_type_errors_name_the_line() {
    check_err("[app\nname = \"shop\"\n", &["line 1"]);
    check_err(
        &with("[delivery]\nstrategy = \"blue\"\n"),
        &["line", "blue-green", "canary"],
    );
    check_err(
        &with("[reliability]\navailability = 99.9\n"),
        &["line", "availability"],
    );
    check_err(
        "[[services]]\nname = \"api\"\nlanguage = \"node\"\n",
        &["`[app]` table is missing"],
    );
}

#[test]
fn names_follow_the_rule() {
    check_err(
        "[app]\nname = \"Shop\"\n[[services]]\nname = \"api\"\nlanguage = \"go\"\n",
        &["line 2", "`app.name`", "lowercase letter"],
    );
    check_err(
        "[app]\nname = \"a-very-long-application-name-indeed\"\n[[services]]\nname = \"api\"\nlanguage = \"go\"\n",
        &["at most 30"],
    );
    check_err(
        "[app]\nname = \"shop_x\"\n[[services]]\nname = \"api\"\nlanguage = \"go\"\n",
        &["contains `_`"],
    );
    check_err(
        "[app]\nname = \"\"\n[[services]]\nname = \"api\"\nlanguage = \"go\"\n",
        &["is empty"],
    );
}

#[test]
fn duplicate_services_are_rejected() {
    check_err(
        &with("[[services]]\nname = \"api\"\nlanguage = \"go\"\npath = \"x\"\n"),
        &["`services[1].name`", "declared twice"],
    );
}

#[test]
fn uses_must_name_a_datastore() {
    check_err(
        "[app]\nname = \"shop\"\n[[services]]\nname = \"api\"\nlanguage = \"go\"\nuses = [\"db\", \"dbx\"]\n[[datastores]]\nname = \"db\"\nengine = \"postgres\"\n",
        &[
            "line 6",
            "`services[0].uses[1]`",
            "`dbx` names no datastore",
            "declared datastores: `db`",
        ],
    );
    check_err(&with("uses = [\"db\"]\n"), &["no datastore is declared"]);
}

#[test]
fn paths_stay_inside_the_repository() {
    check_err(
        &with("path = \"/srv/api\"\n"),
        &["`services[0].path`", "absolute"],
    );
    check_err(
        &with("path = \"../elsewhere\"\n"),
        &["leaves the repository"],
    );
    check_err(&with("path = \"a/../../b\"\n"), &["leaves the repository"]);
    let project = resolve(&with("path = \"./services//api/\"\n")).unwrap();
    assert_eq!(project.services[0].path, "services/api");
    assert_eq!(project.services[0].dir, "services/api/");
}

#[test]
fn paths_are_folder_names_not_shell_or_yaml() {
    // A path reaches `run:` steps and YAML in the workflows.
    for bad in [
        "a'b", "a b", "$(id)", "a;b", "a\\nb", "a\\\"b", "x/-rf", "a`b`", "a#b", "ü",
    ] {
        check_err(
            &with(&format!("path = \"{bad}\"\n")),
            &["`services[0].path`"],
        );
    }
    let project = resolve(&with("path = \"apps/web_v2.1-x\"\n")).unwrap();
    assert_eq!(project.services[0].path, "apps/web_v2.1-x");
}

#[test]
fn free_text_is_bounded() {
    check_err(
        &with(&format!("path = \"{}\"\n", "a/".repeat(150))),
        &["`services[0].path`", "at most 200"],
    );
    let long = "x".repeat(501);
    check_err(
        &format!(
            "[app]\nname = \"shop\"\ndescription = \"{long}\"\n[[services]]\nname = \"api\"\nlanguage = \"go\"\n"
        ),
        &["`app.description`", "at most 500"],
    );
    check_err(
        &format!(
            "[app]\nname = \"shop\"\n[cloud]\nregion = \"{}\"\n[[services]]\nname = \"api\"\nlanguage = \"go\"\n",
            "a".repeat(41)
        ),
        &["`cloud.region`"],
    );
}

#[test]
fn ports_must_be_unprivileged_and_in_range() {
    check_err(
        &with("port = 70000\n"),
        &["`services[0].port`", "out of range"],
    );
    check_err(&with("port = 80\n"), &["privileged", "8080"]);
    check_err(&with("port = 0\n"), &["out of range"]);
}

#[test]
fn registry_must_fit_the_cloud() {
    check_err(
        &with("[cloud]\nprovider = \"gcp\"\n[delivery]\nregistry = \"ecr\"\n"),
        &[
            "`delivery.registry`",
            "belongs to aws",
            "use `ghcr` or `gar`",
        ],
    );
    assert!(
        resolve(&with(
            "[cloud]\nprovider = \"gcp\"\n[delivery]\nregistry = \"gar\"\n"
        ))
        .is_ok()
    );
}

#[test]
fn environment_list_must_not_be_empty() {
    check_err(
        &format!("environments = []\n{MINIMAL}"),
        &["environment list is empty"],
    );
}

#[test]
fn environments_are_checked() {
    check_err(
        &with("[[environments]]\nname = \"dev\"\n[[environments]]\nname = \"dev\"\n"),
        &["declared twice"],
    );
    check_err(
        &with("[[environments]]\nname = \"dev\"\ndomain = \"https://dev.example.com\"\n"),
        &["not a host name"],
    );
    check_err(
        &with("[[environments]]\nname = \"dev\"\nbranch = \"feature..x\"\n"),
        &["not a branch name"],
    );
    check_err(
        &with("[[environments]]\nname = \"a-long-environment-name\"\n"),
        &["at most 16"],
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let err = resolve(
        "[app]\nname = \"Shop\"\n[[services]]\nname = \"api\"\nlanguage = \"go\"\nport = 1\n",
    )
    .unwrap_err();
    assert_eq!(err.problems().len(), 2, "{err}");
}

#[test]
fn tier_is_guessed_from_name_and_position() {
    let project = resolve(&with(
        "[[environments]]\nname = \"dev\"\n[[environments]]\nname = \"uat\"\n[[environments]]\nname = \"live-eu\"\napproval = true\n",
    ))
    .unwrap();
    let tiers: Vec<_> = project.environments.iter().map(|e| e.tier).collect();
    assert_eq!(
        tiers,
        [Tier::NonProduction, Tier::NonProduction, Tier::Production]
    );
    assert_eq!(project.environments[1].previous.as_deref(), Some("dev"));
}

#[test]
fn datastores_get_urls_and_users() {
    let project = resolve(
        "[app]\nname = \"shop\"\n[[services]]\nname = \"api\"\nlanguage = \"go\"\nuses = [\"user-db\"]\n[[datastores]]\nname = \"user-db\"\nengine = \"mysql\"\n",
    )
    .unwrap();
    let ds = &project.datastores[0];
    assert_eq!(project.services[0].connection_variables(), ["DATABASE_URL"]);
    assert_eq!(ds.local_url, "mysql://shop:shop@user-db:3306/shop");
    assert_eq!(ds.used_by, ["api"]);
    assert_eq!(ds.version, "8.0");
    assert_eq!(
        project.environments[0].datastores[0].secret,
        "shop/staging/user-db"
    );
}

#[test]
fn service_and_datastore_names_must_differ() {
    check_err(
        "[app]\nname = \"shop\"\n[[services]]\nname = \"db\"\nlanguage = \"go\"\n[[datastores]]\nname = \"db\"\nengine = \"redis\"\n",
        &["names both a service and a datastore"],
    );
}

#[test]
fn several_public_services_get_subdomains() {
    let project = resolve(
        "[app]\nname = \"shop\"\n[[services]]\nname = \"web\"\nlanguage = \"static\"\npublic = true\npath = \"web\"\n[[services]]\nname = \"api\"\nlanguage = \"go\"\npublic = true\npath = \"api\"\n[[environments]]\nname = \"staging\"\ndomain = \"staging.shop.dev\"\n",
    )
    .unwrap();
    let hosts: Vec<_> = project.environments[0]
        .services
        .iter()
        .map(|s| s.host.clone().unwrap())
        .collect();
    assert_eq!(hosts, ["web.staging.shop.dev", "api.staging.shop.dev"]);
}

#[test]
fn package_manager_must_fit_the_language() {
    check_err(
        &with("package_manager = \"cargo\"\n"),
        &["`cargo` does not build node", "`npm`, `pnpm`, `yarn`"],
    );
}

#[test]
fn oidc_subjects_and_default_branch_are_derived() {
    let facts = Facts {
        origin: Some("acme/shop".to_owned()),
        ..Facts::default()
    };
    let project = Project::from_toml(MINIMAL, &facts).unwrap();
    assert_eq!(project.default_branch, "main");
    assert_eq!(
        project.environments[1].oidc_subject,
        "repo:acme/shop:environment:production"
    );
    assert_eq!(
        project.oidc_pull_request_subject,
        "repo:acme/shop:pull_request"
    );
    assert_eq!(
        project.oidc_build_subjects,
        ["repo:acme/shop:ref:refs/heads/main"]
    );
    assert_eq!(
        project.environments[0].names.terraform_identity,
        "shop-staging-github-terraform"
    );
}

#[test]
fn gke_clusters_are_zonal_outside_production() {
    let project = resolve(&with(
        "[cloud]\nprovider = \"gcp\"\nregion = \"europe-west1\"\n",
    ))
    .unwrap();
    let locations: Vec<&str> = project
        .environments
        .iter()
        .map(|e| e.cluster_location.as_str())
        .collect();
    assert_eq!(locations, ["europe-west1-b", "europe-west1"]);
}

#[test]
fn other_clouds_keep_clusters_in_the_region() {
    let project = resolve(MINIMAL).unwrap();
    assert!(
        project
            .environments
            .iter()
            .all(|e| e.cluster_location == project.cloud.region)
    );
}

#[test]
fn deploy_branches_list_every_environment_branch_once() {
    let source = with(
        "[[environments]]\nname = \"dev\"\nbranch = \"develop\"\n\n[[environments]]\nname = \"staging\"\nbranch = \"main\"\n\n[[environments]]\nname = \"production\"\napproval = true\n",
    );
    let project = resolve(&source).unwrap();
    assert_eq!(project.default_branch, "main");
    assert_eq!(project.deploy_branches, ["main", "develop"]);
    assert_eq!(
        project.oidc_build_subjects,
        [
            "repo:shop/shop:ref:refs/heads/main",
            "repo:shop/shop:ref:refs/heads/develop"
        ]
    );
}

#[test]
fn every_environment_has_a_trigger() {
    // A single production environment with approval and no branch deploys after CI on
    // the default branch (it used to render an empty `workflow_run.branches` list).
    let source = with("[[environments]]\nname = \"production\"\napproval = true\n");
    let project = resolve(&source).unwrap();
    assert_eq!(
        project.environments[0].trigger,
        Trigger::Push {
            branch: "main".to_owned()
        }
    );
    assert_eq!(project.deploy_branches, ["main"]);

    let project = resolve(MINIMAL).unwrap();
    let triggers: Vec<&Trigger> = project.environments.iter().map(|e| &e.trigger).collect();
    assert_eq!(
        triggers,
        [
            &Trigger::Push {
                branch: "main".to_owned()
            },
            &Trigger::Promotion {
                from: "staging".to_owned()
            }
        ]
    );
}

#[test]
fn web_services_get_a_port_and_http_probes() {
    let project = resolve(MINIMAL).unwrap();
    let api = &project.services[0];
    assert_eq!(api.kind, ServiceKind::Web);
    assert_eq!(api.workload, WorkloadKind::Deployment);
    assert_eq!(api.health_path.as_deref(), Some("/health"));
    assert_eq!(api.readiness_path.as_deref(), Some("/ready"));
    assert_eq!(api.metrics_path.as_deref(), Some("/metrics"));
    assert!(api.listens() && api.image_healthcheck);
    assert_eq!(project.services_with_port().count(), 1);
}

#[test]
fn workers_have_no_port_probes_or_metrics() {
    let project = resolve(&with(
        "kind = \"worker\"\n[delivery]\nstrategy = \"canary\"\n",
    ))
    .unwrap();
    let worker = &project.services[0];
    assert_eq!(
        (worker.port, &worker.health_path, &worker.metrics_path),
        (None, &None, &None)
    );
    // A worker takes no traffic, so it rolls out as a Deployment under canary too.
    assert_eq!(worker.workload, WorkloadKind::Deployment);
    assert!(!worker.image_healthcheck);
    assert_eq!(project.services_with_port().count(), 0);
    check_err(
        &with("kind = \"worker\"\nport = 8080\n"),
        &[
            "`services[0].port`",
            "a worker service listens on no port",
            "remove `port`",
        ],
    );
    check_err(
        &with("kind = \"worker\"\nhealth_path = \"/h\"\n"),
        &["`services[0].health_path`", "no HTTP probes"],
    );
    check_err(
        &with("kind = \"worker\"\npublic = true\n"),
        &["`services[0].public`", "cannot be public"],
    );
}

#[test]
fn the_default_branch_comes_from_the_answers_then_the_remote() {
    let facts = Facts {
        default_branch: Some("trunk".to_owned()),
        ..Facts::default()
    };
    let project = Project::from_toml(MINIMAL, &facts).unwrap();
    assert_eq!(project.default_branch, "trunk");
    let source = MINIMAL.replace("[app]\n", "[app]\ndefault_branch = \"release\"\n");
    let project = Project::from_toml(&source, &facts).unwrap();
    assert_eq!(project.default_branch, "release");
}

#[test]
fn grpc_services_listen_without_http_probes() {
    let project = resolve(&with(
        "kind = \"grpc\"\nport = 50051\n[delivery]\nstrategy = \"blue-green\"\n",
    ))
    .unwrap();
    let grpc = &project.services[0];
    assert_eq!(grpc.port, Some(50051));
    assert_eq!((&grpc.health_path, &grpc.metrics_path), (&None, &None));
    assert_eq!(grpc.workload, WorkloadKind::Rollout);
    check_err(
        &with("kind = \"grpc\"\nreadiness_path = \"/ready\"\n"),
        &["gRPC health protocol"],
    );
}

#[test]
fn jobs_need_a_valid_schedule() {
    let project = resolve(&with(
        "kind = \"job\"\nschedule = \"*/15 2-4 * JAN-MAR mon,fri\"\n",
    ))
    .unwrap();
    assert_eq!(project.services[0].workload, WorkloadKind::CronJob);
    assert_eq!(
        project.services[0].schedule.as_deref(),
        Some("*/15 2-4 * JAN-MAR mon,fri")
    );
    check_err(
        &with("kind = \"job\"\n"),
        &["`services[0]`", "has no `schedule`"],
    );
    check_err(
        &with("kind = \"job\"\nschedule = \"0 25 * * *\"\n"),
        &[
            "line 9",
            "`services[0].schedule`",
            "the hour `25` is not from 0 to 23",
        ],
    );
    check_err(
        &with("kind = \"job\"\nschedule = \"0 3 * *\"\n"),
        &["4 fields"],
    );
    check_err(
        &with("schedule = \"@daily\"\n"),
        &["a web service does not run on a schedule"],
    );
    check_err(
        &with("kind = \"cron\"\n"),
        &["line", "web", "grpc", "worker", "job"],
    );
    assert!(check_cron("@hourly").is_ok());
    assert!(check_cron("0 0 31 12 6").is_ok());
    assert!(check_cron("5-1 * * * *").is_err());
    assert!(check_cron("*/0 * * * *").is_err());
}

#[test]
fn metrics_can_be_turned_off() {
    let project = resolve(&with("metrics_path = \"none\"\n")).unwrap();
    assert_eq!(project.services[0].metrics_path, None);
}

const WITH_DATASTORES: &str = r#"
[app]
name = "shop"

[[services]]
name = "api"
language = "java"
uses = ["db", "cache", "events"]

[[datastores]]
name = "db"
engine = "postgres"

[[datastores]]
name = "cache"
engine = "redis"

[[datastores]]
name = "events"
engine = "mysql"
"#;

fn variables(source: &str) -> Vec<(String, String, Vec<String>)> {
    resolve(source).unwrap().services[0]
        .connections
        .iter()
        .map(|c| {
            (
                c.datastore.clone(),
                c.form.to_string(),
                c.variables
                    .parts()
                    .iter()
                    .map(|(_, n)| (*n).to_owned())
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn connections_follow_the_language_convention() {
    let got = variables(WITH_DATASTORES);
    let expect = [
        (
            "db",
            "jdbc",
            vec![
                "SPRING_DATASOURCE_URL",
                "SPRING_DATASOURCE_USERNAME",
                "SPRING_DATASOURCE_PASSWORD",
            ],
        ),
        ("cache", "url", vec!["SPRING_DATA_REDIS_URL"]),
        (
            "events",
            "jdbc",
            vec!["EVENTS_JDBC_URL", "EVENTS_USERNAME", "EVENTS_PASSWORD"],
        ),
    ];
    let expect: Vec<(String, String, Vec<String>)> = expect
        .into_iter()
        .map(|(d, f, v)| {
            (
                d.to_owned(),
                f.to_owned(),
                v.into_iter().map(str::to_owned).collect(),
            )
        })
        .collect();
    assert_eq!(got, expect);
    let node = variables(&WITH_DATASTORES.replace("\"java\"", "\"node\""));
    assert_eq!(node[0].2, ["DATABASE_URL"]);
    assert_eq!(node[1].2, ["REDIS_URL"]);
    assert_eq!(node[2].2, ["EVENTS_URL"]);
}

#[test]
fn connections_can_be_named_in_the_answers() {
    let source = format!(
        "{WITH_DATASTORES}\n[services.connections]\ndb = {{ form = \"url\", variable = \"PG_DSN\" }}\nevents = {{ variable = \"EVENTS_DB\", username_variable = \"EVENTS_USER\" }}\n"
    );
    // `[services.connections]` after `[[datastores]]` would belong to no service: put it first.
    let source = source.replace(
        "uses = [\"db\", \"cache\", \"events\"]\n",
        "uses = [\"db\", \"cache\", \"events\"]\nconnections.db = { form = \"url\", variable = \"PG_DSN\" }\nconnections.events = { variable = \"EVENTS_DB\", username_variable = \"EVENTS_USER\" }\n",
    );
    let source = source[..source.find("\n[services.connections]").unwrap()].to_owned();
    let got = variables(&source);
    assert_eq!(got[0].1, "url");
    assert_eq!(got[0].2, ["PG_DSN"]);
    assert_eq!(got[2].2, ["EVENTS_DB", "EVENTS_USER", "EVENTS_PASSWORD"]);
    let connection = &resolve(&source).unwrap().services[0].connections[0];
    assert!(!connection.assumed);
}

#[test]
fn connection_mistakes_name_the_key() {
    let service = "[app]\nname = \"shop\"\n[[datastores]]\nname = \"db\"\nengine = \"postgres\"\n[[datastores]]\nname = \"cache\"\nengine = \"redis\"\n[[services]]\nname = \"api\"\nlanguage = \"node\"\nuses = [\"db\", \"cache\"]\n";
    check_err(
        &format!("{service}connections.db = {{ form = \"redis-config\" }}\n"),
        &[
            "line 13",
            "`services[0].connections.db.form`",
            "a postgres client does not read the `redis-config` form",
            "`url`, `jdbc`, `ado-net`",
        ],
    );
    check_err(
        &format!("{service}connections.db = {{ variable = \"DB-URL\" }}\n"),
        &[
            "`services[0].connections.db.variable`",
            "`DB-URL` is not an environment variable name",
        ],
    );
    check_err(
        &format!("{service}connections.db = {{ username_variable = \"U\" }}\n"),
        &[
            "`services[0].connections.db.username_variable`",
            "only the `jdbc` form",
        ],
    );
    check_err(
        &format!("{service}connections.queue = {{ variable = \"Q\" }}\n"),
        &[
            "`services[0].connections.queue`",
            "`api` does not use `queue`",
        ],
    );
    check_err(
        &format!("{service}connections.cache = {{ variable = \"DATABASE_URL\" }}\n"),
        &[
            "`services[0].connections.cache`",
            "reads `DATABASE_URL` twice",
            "the connection to `db` uses it too",
        ],
    );
    check_err(
        &format!("{service}connections.db = {{ variable = \"PORT\" }}\n"),
        &["reads `PORT` twice", "scaffold sets it for every service"],
    );
    check_err(
        &format!("{service}connections.db = {{ varable = \"X\" }}\n"),
        &[
            "line 13",
            "`services[0].connections.db.varable`",
            "did you mean `variable`?",
        ],
    );
}
