//! Unit tests of the Kubernetes family, run over every example answers file.
//!
//! The conformance harness proves the manifests build and validate; these tests
//! pin down the properties a schema cannot see: the restricted security
//! settings of every container, and that the pieces of a release (Rollout,
//! Services, Ingress, analysis, network policies, alerts) refer to each other.

use scaffold_core::project::Facts;
use scaffold_core::{Project, ServiceKind, WorkloadKind};
use serde::Deserialize as _;
use serde_yaml_ng::Value;

use crate::{Engine, Files};

/// Every example, resolved, with its name.
fn examples() -> Vec<(String, Project)> {
    crate::test_support::example_projects()
}

/// The family's files for `project`.
fn render(project: &Project) -> Files {
    let mut files = Files::new();
    super::render(project, &Engine::new(), &mut files).expect("kubernetes renders");
    files
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

#[test]
fn every_container_is_restricted() {
    let mut workloads = 0;
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
            let uid = u64::from(service.uid);
            let here = |what: &str| format!("{example} {path}: {what}");
            check(
                &here("pod runAsNonRoot"),
                at(pod, "securityContext/runAsNonRoot"),
                true,
            );
            check(
                &here("pod runAsUser"),
                at(pod, "securityContext/runAsUser"),
                uid,
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
                check(&here("runAsNonRoot"), at(sc, "runAsNonRoot"), true);
                check(&here("runAsUser"), at(sc, "runAsUser"), uid);
                check(
                    &here("readOnlyRootFilesystem"),
                    at(sc, "readOnlyRootFilesystem"),
                    true,
                );
                check(
                    &here("allowPrivilegeEscalation"),
                    at(sc, "allowPrivilegeEscalation"),
                    false,
                );
                check(
                    &here("capabilities"),
                    at(sc, "capabilities/drop"),
                    Value::Sequence(vec![Value::from("ALL")]),
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

#[test]
fn canary_rollout_fits_services_ingress_analysis_and_policies() {
    let (_, project) = examples()
        .into_iter()
        .find(|(name, _)| name == "gcp-canary")
        .expect("the gcp-canary example exists");
    let files = render(&project);
    let base = documents(&files, "deploy/kubernetes/base/");
    let find = |docs: &[(String, Value)], k: &str, n: &str| -> Option<Value> {
        docs.iter()
            .find(|(_, d)| kind(d) == k && name(d) == n)
            .map(|(_, d)| d.clone())
    };
    let analysis = find(&base, "AnalysisTemplate", "connectkit-analysis")
        .expect("the analysis template is in the base");
    let metric_names: Vec<&str> = at(&analysis, "spec/metrics")
        .as_sequence()
        .expect("metrics")
        .iter()
        .filter_map(|m| m.get("name").and_then(Value::as_str))
        .collect();
    assert_eq!(metric_names, ["success-rate", "latency-p99"]);
    for service in &project.services {
        let rollout = find(&base, "Rollout", &service.name).expect("a Rollout per service");
        let canary = at(&rollout, "spec/strategy/canary");
        let stable = at(canary, "stableService")
            .as_str()
            .expect("stable service");
        let canary_service = at(canary, "canaryService")
            .as_str()
            .expect("canary service");
        assert!(find(&base, "Service", stable).is_some(), "{stable} exists");
        assert!(
            find(&base, "Service", canary_service).is_some(),
            "{canary_service} exists"
        );
        let steps = at(canary, "steps").as_sequence().expect("steps");
        let analyses: Vec<&Value> = steps.iter().filter(|s| !s["analysis"].is_null()).collect();
        if service.metrics_path.is_some() {
            assert!(!analyses.is_empty(), "{}: analysis steps", service.name);
            for step in analyses {
                check(
                    "analysis template",
                    at(&step["analysis"]["templates"][0], "templateName"),
                    "connectkit-analysis",
                );
                check(
                    "analysis targets the canary Service",
                    &step["analysis"]["args"][0]["value"],
                    canary_service,
                );
            }
        }
        let policy = find(&base, "NetworkPolicy", &service.name).expect("a policy per service");
        let from_ingress = serde_yaml_ng::to_string(at(&policy, "spec/ingress"))
            .expect("serialisable")
            .contains("ingress-nginx");
        assert_eq!(
            from_ingress, service.public,
            "{}: ingress-nginx allowed",
            service.name
        );
        for env in &project.environments {
            let overlay = documents(&files, &format!("{}/", env.names.overlay_dir));
            let kustomization = &files[&format!("{}/kustomization.yaml", env.names.overlay_dir)];
            if service.public {
                let ingress = find(&overlay, "Ingress", &service.name).expect("an Ingress");
                check(
                    "the Ingress sends traffic to the stable Service",
                    at(&at(&ingress, "spec/rules")[0], "http/paths")[0]
                        .get("backend")
                        .map(|b| at(b, "service/name"))
                        .unwrap_or(&Value::Null),
                    stable,
                );
                assert!(
                    kustomization.contains(&format!("stableIngress: {}", service.name)),
                    "{}: the overlay routes canary traffic through the Ingress",
                    env.name
                );
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
    assert!(files.contains_key("deploy/kubernetes/overlays/production/ingress.yaml"));
    assert!(!files.contains_key("deploy/kubernetes/overlays/staging/secrets.yaml"));
}
