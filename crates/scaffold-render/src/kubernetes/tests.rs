//! Unit tests of the Kubernetes family, run over every example answers file.
//!
//! The conformance harness proves the manifests build and validate; these tests
//! pin down the properties a schema cannot see: the restricted security
//! settings of every container, and that the pieces of a release (Rollout,
//! Services, Ingress, analysis, network policies, alerts) refer to each other.

use scaffold_core::image::ImageUser;
use scaffold_core::project::Facts;
use scaffold_core::{Project, ServiceKind, WorkloadKind};
use serde::Deserialize as _;
use serde_yaml_ng::Value;

use crate::Files;

/// Every example, resolved, with its name.
fn examples() -> Vec<(String, Project)> {
    crate::test_support::example_projects()
}

/// The family's files for `project`: its base and its overlays.
fn render(project: &Project) -> Files {
    crate::render_family(project, "kubernetes").expect("kubernetes renders")
}

/// Every YAML document of every file below `prefix`, with its path.
fn documents(files: &Files, prefix: &str) -> Vec<(String, Value)> {
    files
        .iter()
        .filter(|(path, _)| path.starts_with(prefix) && path.ends_with(".yaml"))
        .flat_map(|(path, text)| {
            serde_yaml_ng::Deserializer::from_str(text)
                .map(|doc| {
                    let value = Value::deserialize(doc)
                        .unwrap_or_else(|err| panic!("{path} is not YAML: {err}"));
                    (path.clone(), value)
                })
                .filter(|(_, value)| !value.is_null())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The value at a `/`-separated path of mapping keys.
fn at<'a>(value: &'a Value, path: &str) -> &'a Value {
    path.split('/')
        .fold(value, |v, key| v.get(key).unwrap_or(&Value::Null))
}

fn kind(doc: &Value) -> &str {
    doc.get("kind").and_then(Value::as_str).unwrap_or_default()
}

fn name(doc: &Value) -> &str {
    at(doc, "metadata/name").as_str().unwrap_or_default()
}

/// Asserts one security setting of a container or pod, naming where it failed.
fn check(where_: &str, actual: &Value, expect: impl Into<Value>) {
    let expect = expect.into();
    assert_eq!(actual, &expect, "{where_}");
}

/// `Some(n)` as a YAML number, `None` as absent.
fn number(value: Option<u32>) -> Value {
    value.map_or(Value::Null, |v| Value::from(u64::from(v)))
}

/// Every container runs as its image allows: scaffold's images under the whole `restricted`
/// context, an image built from the repository's own Dockerfile as its `USER` says (by number
/// when it is one, never a non-root requirement the kubelet cannot check), with a writable root
/// filesystem; none escalates privileges or runs without the `RuntimeDefault` seccomp profile.
#[test]
fn every_container_is_secured_as_its_image_allows() {
    let mut workloads = 0;
    let mut own = 0;
    for (example, project) in examples() {
        let files = render(&project);
        for (path, doc) in documents(&files, "deploy/kubernetes/base/") {
            let pod = match kind(&doc) {
                "Deployment" | "Rollout" => at(&doc, "spec/template/spec"),
                "CronJob" => at(&doc, "spec/jobTemplate/spec/template/spec"),
                _ => continue,
            };
            workloads += 1;
            let service = project
                .service(name(&doc))
                .unwrap_or_else(|| panic!("{example} {path}: workload of no service"));
            assert_eq!(kind(&doc), service.workload.as_str(), "{example} {path}");
            let run_as = &service.run_as;
            match &service.dockerfile {
                None => assert_eq!(
                    run_as,
                    &scaffold_core::image::RunAs::scaffold(service.uid),
                    "{example} {path}: scaffold's image gets the whole restricted context"
                ),
                Some(dockerfile) => {
                    own += 1;
                    assert!(!run_as.read_only_root, "{example} {path}");
                    // A user the kubelet cannot check is never required to be non-root.
                    assert_eq!(
                        run_as.non_root,
                        matches!(dockerfile.user, ImageUser::Id { .. }),
                        "{example} {path}"
                    );
                }
            }
            let non_root = if run_as.non_root {
                Value::from(true)
            } else {
                Value::Null
            };
            let here = |what: &str| format!("{example} {path}: {what}");
            check(
                &here("pod runAsNonRoot"),
                at(pod, "securityContext/runAsNonRoot"),
                non_root.clone(),
            );
            check(
                &here("pod runAsUser"),
                at(pod, "securityContext/runAsUser"),
                number(run_as.user),
            );
            check(
                &here("pod runAsGroup"),
                at(pod, "securityContext/runAsGroup"),
                number(run_as.group),
            );
            check(
                &here("pod fsGroup"),
                at(pod, "securityContext/fsGroup"),
                number(run_as.group),
            );
            check(
                &here("pod seccomp"),
                at(pod, "securityContext/seccompProfile/type"),
                "RuntimeDefault",
            );
            check(
                &here("automountServiceAccountToken"),
                at(pod, "automountServiceAccountToken"),
                false,
            );
            let containers = at(pod, "containers")
                .as_sequence()
                .unwrap_or_else(|| panic!("{example} {path}: no containers"));
            assert!(!containers.is_empty(), "{example} {path}: no containers");
            for container in containers {
                let sc = at(container, "securityContext");
                let here = |what: &str| {
                    format!(
                        "{example} {path} container {}: {what}",
                        at(container, "name").as_str().unwrap_or("?")
                    )
                };
                check(
                    &here("runAsNonRoot"),
                    at(sc, "runAsNonRoot"),
                    non_root.clone(),
                );
                check(&here("runAsUser"), at(sc, "runAsUser"), number(run_as.user));
                check(
                    &here("runAsGroup"),
                    at(sc, "runAsGroup"),
                    number(run_as.group),
                );
                check(
                    &here("readOnlyRootFilesystem"),
                    at(sc, "readOnlyRootFilesystem"),
                    run_as.read_only_root,
                );
                check(&here("privileged"), at(sc, "privileged"), false);
                check(
                    &here("allowPrivilegeEscalation"),
                    at(sc, "allowPrivilegeEscalation"),
                    false,
                );
                check(
                    &here("capabilities"),
                    at(sc, "capabilities/drop"),
                    Value::Sequence(run_as.drop.iter().map(|c| Value::from(*c)).collect()),
                );
                check(
                    &here("no capability added"),
                    at(sc, "capabilities/add"),
                    Value::Null,
                );
                check(
                    &here("seccomp"),
                    at(sc, "seccompProfile/type"),
                    "RuntimeDefault",
                );
                check(
                    &here("/tmp is writable"),
                    at(&at(container, "volumeMounts")[0], "mountPath"),
                    "/tmp",
                );
                for probe in ["startupProbe", "livenessProbe", "readinessProbe"] {
                    // Web services answer HTTP probes on their named port, gRPC services the
                    // gRPC health protocol on theirs; workers and jobs have nothing to probe.
                    let (http, grpc) = match service.kind {
                        ServiceKind::Web => (Value::from("http"), Value::Null),
                        ServiceKind::Grpc => {
                            (Value::Null, Value::from(u64::from(service.port.unwrap())))
                        }
                        ServiceKind::Worker | ServiceKind::Job => (Value::Null, Value::Null),
                    };
                    check(
                        &here(probe),
                        at(container, &format!("{probe}/httpGet/port")),
                        http,
                    );
                    check(
                        &here(probe),
                        at(container, &format!("{probe}/grpc/port")),
                        grpc,
                    );
                }
                // The container port is declared exactly when the service listens.
                check(
                    &here("container port"),
                    at(&at(container, "ports")[0], "containerPort"),
                    service
                        .port
                        .map_or(Value::Null, |p| Value::from(u64::from(p))),
                );
                check(
                    &here("readiness path"),
                    at(container, "readinessProbe/httpGet/path"),
                    service
                        .readiness_path
                        .as_deref()
                        .map_or(Value::Null, Value::from),
                );
                // Distroless images have no shell: an exec preStop would fail.
                assert_eq!(
                    !at(container, "lifecycle/preStop/exec").is_null(),
                    service.shell && service.listens(),
                    "{}",
                    here("preStop exec only with a shell")
                );
            }
        }
    }
    assert!(workloads >= 7, "every example renders workloads");
    assert!(
        own >= 4,
        "the examples build images from their own Dockerfiles"
    );
}

#[test]
fn service_accounts_mount_no_token() {
    for (example, project) in examples() {
        for (path, doc) in documents(&render(&project), "deploy/kubernetes/base/") {
            if kind(&doc) == "ServiceAccount" {
                check(
                    &format!("{example} {path}"),
                    at(&doc, "automountServiceAccountToken"),
                    false,
                );
            }
        }
    }
}

/// What `kubectl kustomize` builds for `env`.
fn build(files: &Files, env: &scaffold_core::Environment) -> Vec<Value> {
    crate::test_support::kustomize(files, &env.names.overlay_dir)
}

fn find<'a>(docs: &'a [Value], k: &str, n: &str) -> Option<&'a Value> {
    docs.iter().find(|d| kind(d) == k && name(d) == n)
}

#[test]
fn canary_rollouts_shift_real_traffic() {
    let mut routed = 0;
    let mut split = 0;
    for (example, project) in examples() {
        let files = render(&project);
        for env in &project.environments {
            let docs = build(&files, env);
            for rollout in docs.iter().filter(|d| kind(d) == "Rollout") {
                let canary = at(rollout, "spec/strategy/canary");
                if canary.is_null() {
                    continue;
                }
                let here = format!("{example} {} {}", env.name, name(rollout));
                if let Some(ingress) = find(&docs, "Ingress", name(rollout)) {
                    // ingress-nginx weighs the traffic between two Services that exist.
                    check(
                        &here,
                        at(canary, "trafficRouting/nginx/stableIngress"),
                        name(ingress),
                    );
                    for key in ["stableService", "canaryService"] {
                        let service = at(canary, key)
                            .as_str()
                            .unwrap_or_else(|| panic!("{here}: a routed canary names its {key}"));
                        assert!(
                            find(&docs, "Service", service).is_some(),
                            "{here}: {service}"
                        );
                    }
                    routed += 1;
                } else {
                    // No router: one Service reaches old and new pods, so the replica share
                    // is the traffic share. Naming a canary Service would starve the canary.
                    for key in ["trafficRouting", "stableService", "canaryService"] {
                        assert!(
                            at(canary, key).is_null(),
                            "{here}: {key} without an Ingress"
                        );
                    }
                    split += 1;
                }
            }
        }
    }
    assert!(routed > 0 && split > 0, "{routed} routed, {split} split");
}

#[test]
fn autoscaled_workloads_carry_no_replicas() {
    let mut checked = 0;
    for (example, project) in examples() {
        let files = render(&project);
        for env in &project.environments {
            let docs = build(&files, env);
            for hpa in docs.iter().filter(|d| kind(d) == "HorizontalPodAutoscaler") {
                let target = at(hpa, "spec/scaleTargetRef");
                let workload = find(
                    &docs,
                    at(target, "kind").as_str().expect("a kind"),
                    at(target, "name").as_str().expect("a name"),
                )
                .unwrap_or_else(|| panic!("{example}: the HPA {} scales nothing", name(hpa)));
                check(
                    &format!("{example} {}: {} replicas", env.name, name(workload)),
                    at(workload, "spec/replicas"),
                    Value::Null,
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 20);
}

#[test]
fn analysis_never_counts_silence_as_success() {
    for (example, project) in examples() {
        let files = render(&project);
        let Some(text) = files.get("deploy/kubernetes/base/analysistemplate.yaml") else {
            continue;
        };
        for template in documents(&files, "deploy/kubernetes/base/analysistemplate.yaml") {
            let template = template.1;
            for metric in at(&template, "spec/metrics")
                .as_sequence()
                .expect("metrics")
            {
                let here = format!("{example} {}", name(&template));
                if !at(metric, "provider/job").is_null() {
                    // A probe Job: success is the Job's, never a missing measurement.
                    continue;
                }
                let query = at(metric, "provider/prometheus/query")
                    .as_str()
                    .expect("a query");
                assert!(
                    query.contains(&format!(">= {}", super::MIN_ANALYSIS_REQUESTS)),
                    "{here}: the query answers only with enough requests"
                );
                for condition in ["successCondition", "failureCondition"] {
                    let text = at(metric, condition).as_str().unwrap_or_else(|| {
                        panic!("{here}: {condition}: without both, silence is not inconclusive")
                    });
                    assert!(
                        text.starts_with("len(result) > 0 &&"),
                        "{here}: {condition} holds only for a measurement"
                    );
                }
                assert!(text.contains("inconclusiveLimit"), "{here}");
            }
        }
    }
}

#[test]
fn blue_green_probes_the_preview_before_promotion() {
    let mut checked = 0;
    for (example, project) in examples() {
        let files = render(&project);
        let templates = documents(&files, "deploy/kubernetes/base/analysistemplate.yaml");
        for env in &project.environments {
            let docs = build(&files, env);
            for rollout in docs.iter().filter(|d| kind(d) == "Rollout") {
                let blue_green = at(rollout, "spec/strategy/blueGreen");
                if blue_green.is_null() {
                    continue;
                }
                let here = format!("{example} {} {}", env.name, name(rollout));
                let preview = at(blue_green, "previewService")
                    .as_str()
                    .expect("a preview");
                assert!(find(&docs, "Service", preview).is_some(), "{here}");
                let pre = at(blue_green, "prePromotionAnalysis");
                let template_name = at(&at(pre, "templates")[0], "templateName")
                    .as_str()
                    .unwrap_or_else(|| panic!("{here}: no pre-promotion analysis"));
                let template = templates
                    .iter()
                    .map(|(_, t)| t)
                    .find(|t| name(t) == template_name)
                    .unwrap_or_else(|| panic!("{here}: {template_name} is not rendered"));
                let metric = &at(template, "spec/metrics")[0];
                assert!(
                    !at(metric, "provider/job/spec/template").is_null(),
                    "{here}: a real probe Job"
                );
                let service_arg = at(pre, "args")
                    .as_sequence()
                    .expect("args")
                    .iter()
                    .find(|a| a["name"] == "service")
                    .expect("the probe's target");
                check(&here, &service_arg["value"], preview);
                checked += 1;
            }
        }
    }
    assert!(checked > 0);
}

#[test]
fn instance_ca_datastores_are_mounted_with_their_variable() {
    let mut checked = 0;
    for (example, project) in examples() {
        let files = render(&project);
        for env in &project.environments {
            let docs = build(&files, env);
            for service in &project.services {
                for ds in project.datastores_of(service) {
                    let Some(ca) = &ds.ca_file else { continue };
                    let here = format!("{example} {} {} {}", env.name, service.name, ds.name);
                    let workload = find(&docs, service.workload.as_str(), &service.name)
                        .expect("the workload");
                    let pod = match service.workload {
                        WorkloadKind::CronJob => {
                            at(workload, "spec/jobTemplate/spec/template/spec")
                        }
                        _ => at(workload, "spec/template/spec"),
                    };
                    let container = &at(pod, "containers")[0];
                    let env_value = at(container, "env")
                        .as_sequence()
                        .expect("env")
                        .iter()
                        .find(|e| e["name"] == ca.variable.as_str())
                        .map(|e| e["value"].clone());
                    check(&here, &env_value.unwrap_or_default(), ca.path.as_str());
                    let mount = at(container, "volumeMounts")
                        .as_sequence()
                        .expect("mounts")
                        .iter()
                        .find(|m| ca.path.starts_with(m["mountPath"].as_str().unwrap_or("-")))
                        .unwrap_or_else(|| panic!("{here}: nothing mounted at {}", ca.path));
                    let volume = at(pod, "volumes")
                        .as_sequence()
                        .expect("volumes")
                        .iter()
                        .find(|v| v["name"] == mount["name"])
                        .expect("the mounted volume");
                    check(
                        &here,
                        at(volume, "secret/secretName"),
                        service.names.secret.as_str(),
                    );
                    let item = &at(volume, "secret/items")[0];
                    check(&here, &item["key"], ca.secret_key.as_str());
                    check(
                        &here,
                        &Value::from(format!(
                            "{}/{}",
                            mount["mountPath"].as_str().unwrap_or_default(),
                            item["path"].as_str().unwrap_or_default()
                        )),
                        ca.path.as_str(),
                    );
                    let external = find(&docs, "ExternalSecret", &service.name).expect("secrets");
                    assert!(
                        at(external, "spec/data")
                            .as_sequence()
                            .expect("data")
                            .iter()
                            .any(|d| d["secretKey"] == ca.secret_key.as_str()
                                && d["remoteRef"]["property"] == "ca"),
                        "{here}: the ExternalSecret copies the CA"
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 0, "some example reads an instance-CA datastore");
}

#[test]
fn non_production_alerts_do_not_page() {
    for (example, project) in examples() {
        let files = render(&project);
        for env in &project.environments {
            let path = format!("{}/prometheusrule.yaml", env.names.overlay_dir);
            let rule = &documents(&files, &path)[0].1;
            for group in at(rule, "spec/groups").as_sequence().expect("groups") {
                for r in at(group, "rules").as_sequence().expect("rules") {
                    let severity = at(r, "labels/severity").as_str().expect("a severity");
                    let catalogue = project
                        .alerts
                        .iter()
                        .find(|a| r["alert"] == a.name.as_str())
                        .expect("a catalogue alert");
                    let expected = if env.production {
                        catalogue.severity.as_str()
                    } else {
                        "warning"
                    };
                    assert_eq!(
                        severity, expected,
                        "{example} {} {:?}",
                        env.name, r["alert"]
                    );
                }
            }
        }
    }
}

#[test]
fn every_service_has_a_dashboard_of_what_its_alerts_watch() {
    for (example, project) in examples() {
        let files = render(&project);
        let (label, value) = &project.names.cluster_addons.grafana_dashboard_label;
        for env in &project.environments {
            let docs = build(&files, env);
            for service in &project.services {
                let map = find(&docs, "ConfigMap", &format!("{}-dashboard", service.name))
                    .unwrap_or_else(|| panic!("{example} {}: dashboard", service.name));
                check(
                    "sidecar label",
                    &map["metadata"]["labels"][label.as_str()],
                    value.as_str(),
                );
                let data = at(map, "data").as_mapping().expect("data");
                let (_, json) = data.iter().next().expect("one file");
                let dashboard: serde_json::Value =
                    serde_json::from_str(json.as_str().expect("text")).expect("JSON");
                let exprs: Vec<String> = dashboard["panels"]
                    .as_array()
                    .expect("panels")
                    .iter()
                    .flat_map(|p| p["targets"].as_array().cloned().unwrap_or_default())
                    .map(|t| t["expr"].as_str().unwrap_or_default().to_owned())
                    .collect();
                assert!(
                    exprs.iter().all(|e| e.contains(&env.names.namespace)),
                    "{example}: every query is scoped to {}",
                    env.names.namespace
                );
                if service.metrics_path.is_some() {
                    // The burn-rate panel plots the alerts' own thresholds.
                    let burn = dashboard["panels"]
                        .as_array()
                        .expect("panels")
                        .iter()
                        .find(|p| p["title"] == "Error budget burn rate")
                        .expect("a burn-rate panel");
                    let fast = project.targets.fast_burn_error_ratio / project.targets.error_budget;
                    assert!(
                        burn["fieldConfig"]["defaults"]["thresholds"]["steps"]
                            .as_array()
                            .expect("steps")
                            .iter()
                            .any(|s| s["value"].as_f64().is_some_and(|v| (v - fast).abs() < 1e-9)),
                        "{example}: fast-burn threshold {fast}"
                    );
                }
            }
        }
    }
}

#[test]
fn alert_rules_are_exactly_the_catalogue() {
    for (example, project) in examples() {
        let files = render(&project);
        for env in &project.environments {
            let path = format!("{}/prometheusrule.yaml", env.names.overlay_dir);
            let rule = &documents(&files, &path)[0].1;
            let groups = at(rule, "spec/groups").as_sequence().expect("groups");
            for (service, group) in project.services.iter().zip(groups) {
                let names: Vec<&str> = at(group, "rules")
                    .as_sequence()
                    .expect("rules")
                    .iter()
                    .filter_map(|r| r.get("alert").and_then(Value::as_str))
                    .collect();
                let expected: Vec<&str> = project
                    .alerts
                    .iter()
                    .filter(|a| !a.needs_metrics || service.metrics_path.is_some())
                    // A CronJob has no replica count to fall short of.
                    .filter(|a| {
                        a.name != "PodsNotReady" || service.workload != WorkloadKind::CronJob
                    })
                    .map(|a| a.name.as_str())
                    .collect();
                assert_eq!(names, expected, "{example} {path} {}", service.name);
            }
        }
    }
}

#[test]
fn canary_without_a_domain_shifts_replicas_not_ingress_traffic() {
    let project = Project::from_toml(
        r#"
schema = 1
[app]
name = "demo"
repository = "acme/demo"
[cloud]
provider = "aws"
[[services]]
name = "api"
language = "go"
public = true
[[environments]]
name = "staging"
branch = "main"
[[environments]]
name = "production"
approval = true
domain = "demo.example.com"
[delivery]
strategy = "canary"
"#,
        &Facts::default(),
    )
    .expect("valid answers");
    let files = render(&project);
    let staging = &files["deploy/kubernetes/overlays/staging/kustomization.yaml"];
    assert!(!staging.contains("trafficRouting"), "{staging}");
    assert!(!files.contains_key("deploy/kubernetes/overlays/staging/ingress.yaml"));
    let production = &files["deploy/kubernetes/overlays/production/kustomization.yaml"];
    assert!(production.contains("stableIngress: api"), "{production}");
    assert!(files.contains_key("deploy/kubernetes/overlays/production/canary.yaml"));
    assert!(!files.contains_key("deploy/kubernetes/overlays/staging/canary.yaml"));
    assert!(files.contains_key("deploy/kubernetes/overlays/production/ingress.yaml"));
    assert!(!files.contains_key("deploy/kubernetes/overlays/staging/secrets.yaml"));
}
