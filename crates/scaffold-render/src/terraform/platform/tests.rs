//! Tests of the platform roots, computed from the rendered files of every example.
//!
//! The deploy `Role` is read back from each root's HCL and compared with what the
//! overlay really contains (its YAML documents) and what the deploy workflow really
//! runs (its `kubectl` commands); the add-ons are read back from the module's
//! `helm_release` blocks and compared with the kinds, ingress class, issuer and
//! Prometheus the manifests name.

use std::collections::{BTreeMap, BTreeSet};

use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::structure::{Block, BlockLabel, Body};
use scaffold_core::access::EXCEPTIONS;
use scaffold_core::platform;
use scaffold_core::{Environment, Project, Provider};
use serde::Deserialize as _;
use serde_json::Value as Json;
use serde_yaml_ng::Value;

use crate::Files;

fn examples() -> Vec<(String, Project)> {
    crate::test_support::example_projects()
}

/// An HCL literal as JSON: objects, arrays, strings, numbers and booleans; anything
/// computed (a variable, a reference, a template with interpolations) is `null`.
fn literal(expr: &Expression) -> Json {
    match expr {
        Expression::Null(_) => Json::Null,
        Expression::Bool(b) => Json::Bool(*b.value()),
        Expression::Number(n) => n
            .value()
            .as_f64()
            .map_or(Json::Null, |f| serde_json::json!(f)),
        Expression::String(s) => Json::String(s.value().clone()),
        Expression::Array(items) => Json::Array(items.iter().map(literal).collect()),
        Expression::Object(object) => Json::Object(
            object
                .iter()
                .filter_map(|(key, value)| {
                    let key = match key {
                        ObjectKey::Ident(ident) => ident.as_str().to_owned(),
                        ObjectKey::Expression(Expression::String(s)) => s.value().clone(),
                        ObjectKey::Expression(_) => return None,
                    };
                    Some((key, literal(value.expr())))
                })
                .collect(),
        ),
        Expression::Parenthesis(inner) => literal(inner.inner()),
        Expression::FuncCall(call) if call.name.name.as_str() == "yamlencode" => {
            call.args.iter().next().map_or(Json::Null, literal)
        }
        _ => Json::Null,
    }
}

fn label(block: &Block, i: usize) -> Option<String> {
    block.labels.get(i).map(|label| match label {
        BlockLabel::String(text) => text.as_str().to_owned(),
        BlockLabel::Ident(ident) => ident.as_str().to_owned(),
    })
}

fn parse(files: &Files, path: &str) -> Body {
    files
        .get(path)
        .unwrap_or_else(|| panic!("{path} is rendered"))
        .parse()
        .unwrap_or_else(|err| panic!("{path} parses: {err}"))
}

/// The attributes of the root's `module "platform"` block, as JSON literals.
fn module_inputs(files: &Files, env: &Environment) -> BTreeMap<String, Json> {
    let body = parse(files, &format!("{}/main.tf", env.names.platform_dir));
    let block = body
        .blocks()
        .find(|b| b.ident.as_str() == "module" && label(b, 0).as_deref() == Some("platform"))
        .expect("the root calls the platform module");
    block
        .body
        .attributes()
        .map(|a| (a.key.as_str().to_owned(), literal(&a.value)))
        .collect()
}

/// Every `helm_release` of the module: name to (its `version`, its values as JSON, its
/// `count` expression text).
fn releases(files: &Files) -> BTreeMap<String, (Option<String>, Json, String)> {
    let mut out = BTreeMap::new();
    for file in ["addons.tf", "main.tf"] {
        let body = parse(files, &format!("{}/{file}", super::MODULE_DIR));
        for block in body.blocks() {
            if block.ident.as_str() != "resource"
                || label(block, 0).as_deref() != Some("helm_release")
            {
                continue;
            }
            let attr = |key: &str| block.body.get_attribute(key).map(|a| literal(&a.value));
            let release = attr("name")
                .and_then(|v| v.as_str().map(str::to_owned))
                .expect("a release name");
            let version = attr("version").and_then(|v| v.as_str().map(str::to_owned));
            let values = attr("values")
                .and_then(|v| v.as_array().and_then(|a| a.first().cloned()))
                .unwrap_or(Json::Null);
            let count = block
                .body
                .get_attribute("count")
                .map(|a| a.value.to_string().trim().to_owned())
                .unwrap_or_default();
            out.insert(release, (version, values, count));
        }
    }
    out
}

/// Every YAML document an overlay builds from: the base's and the overlay's own files.
fn overlay_documents(files: &Files, env: &Environment) -> Vec<Value> {
    let base = "deploy/kubernetes/base/";
    let overlay = format!("{}/", env.names.overlay_dir);
    files
        .iter()
        .filter(|(path, _)| {
            (path.starts_with(base) || path.starts_with(&overlay))
                && path.ends_with(".yaml")
                && !path.ends_with("kustomization.yaml")
        })
        .flat_map(|(path, text)| {
            serde_yaml_ng::Deserializer::from_str(text)
                .map(|doc| Value::deserialize(doc).unwrap_or_else(|err| panic!("{path}: {err}")))
                .filter(|v| !v.is_null())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// `(API group, kind)` of a document.
fn group_kind(doc: &Value) -> (String, String) {
    let api = doc["apiVersion"].as_str().unwrap_or_default();
    let group = api.rsplit_once('/').map_or("", |(g, _)| g).to_owned();
    (group, doc["kind"].as_str().unwrap_or_default().to_owned())
}

/// The resource (plural) of a kind, as RBAC names it.
fn plural(kind: &str) -> String {
    let lower = kind.to_ascii_lowercase();
    if let Some(stem) = lower.strip_suffix('y') {
        format!("{stem}ies")
    } else if lower.ends_with('s') {
        format!("{lower}es")
    } else {
        format!("{lower}s")
    }
}

/// The deploy rules as the root renders them: (group, resource) to verbs.
fn rendered_rules(inputs: &BTreeMap<String, Json>) -> BTreeMap<(String, String), BTreeSet<String>> {
    let mut out: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for rule in inputs["deploy_rules"].as_array().expect("a list of rules") {
        let strings = |key: &str| -> Vec<String> {
            rule[key]
                .as_array()
                .expect("a list")
                .iter()
                .map(|v| v.as_str().expect("a string").to_owned())
                .collect()
        };
        for group in strings("api_groups") {
            for resource in strings("resources") {
                out.entry((group.clone(), resource))
                    .or_default()
                    .extend(strings("verbs"));
            }
        }
    }
    out
}

#[test]
fn every_kind_of_every_overlay_is_covered_by_the_deploy_role() {
    let mut checked = 0;
    for (example, project) in examples() {
        let files = crate::render(&project).expect("renders");
        for env in &project.environments {
            let inputs = module_inputs(&files, env);
            let kinds: BTreeSet<(String, String)> = overlay_documents(&files, env)
                .iter()
                .map(group_kind)
                .collect();
            assert!(
                !kinds.contains(&(String::new(), "Namespace".to_owned())),
                "{example} {}: the namespace is the platform root's",
                env.name
            );
            if project.delivery.gitops {
                // Argo CD applies the overlay; its project admits exactly these groups.
                let groups: BTreeSet<String> = inputs["gitops"]["kinds"]
                    .as_array()
                    .expect("the project's kinds")
                    .iter()
                    .map(|k| k["group"].as_str().expect("a group").to_owned())
                    .collect();
                for (group, kind) in &kinds {
                    assert!(
                        groups.contains(group),
                        "{example} {}: Argo CD's project does not admit {group}/{kind}",
                        env.name
                    );
                }
                let rules = rendered_rules(&inputs);
                assert_eq!(
                    rules.keys().collect::<Vec<_>>(),
                    vec![&("argoproj.io".to_owned(), "applications".to_owned())],
                    "{example} {}: with GitOps the deploy job only reads the Application",
                    env.name
                );
                continue;
            }
            let rules = rendered_rules(&inputs);
            for (group, kind) in &kinds {
                let verbs = rules
                    .get(&(group.clone(), plural(kind)))
                    .unwrap_or_else(|| {
                        panic!(
                            "{example} {}: no deploy rule covers {group}/{kind} ({})",
                            env.name,
                            plural(kind)
                        )
                    });
                for verb in ["get", "create", "patch"] {
                    assert!(
                        verbs.contains(verb),
                        "{example} {}: kubectl apply needs {verb} on {kind}",
                        env.name
                    );
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 50, "{checked} kinds checked");
}

#[test]
fn every_rule_of_the_deploy_role_is_used() {
    for (example, project) in examples() {
        if project.delivery.gitops {
            continue;
        }
        let files = crate::render(&project).expect("renders");
        let workflow = &files[".github/workflows/deploy.yml"];
        for env in &project.environments {
            let kinds: BTreeSet<(String, String)> = overlay_documents(&files, env)
                .iter()
                .map(|doc| {
                    let (group, kind) = group_kind(doc);
                    (group, plural(&kind))
                })
                .collect();
            for (group, resource) in rendered_rules(&module_inputs(&files, env)).keys() {
                let applied = kinds.contains(&(group.clone(), resource.clone()));
                // The Kubernetes calls of every command the deploy workflow runs, from
                // the one table of what each rendered command does (github::commands).
                let run = crate::github::commands::COMMANDS.iter().any(|command| {
                    workflow.contains(command.pattern)
                        && command
                            .kube
                            .iter()
                            .any(|(g, r, _)| g == group && r == resource)
                });
                let excepted = EXCEPTIONS
                    .iter()
                    .any(|e| e.grant.split([',', ' ']).any(|word| word == resource));
                assert!(
                    applied || run || excepted,
                    "{example} {}: the deploy role grants {group}/{resource}, which nothing applies or runs",
                    env.name
                );
            }
        }
    }
}

#[test]
fn every_custom_kind_is_served_by_an_installed_add_on_at_an_exact_version() {
    for (example, project) in examples() {
        let files = crate::render(&project).expect("renders");
        let releases = releases(&files);
        for env in &project.environments {
            let inputs = module_inputs(&files, env);
            let installed = |addon: &platform::Addon| -> bool {
                let (version, _, count) = releases
                    .get(addon.release)
                    .unwrap_or_else(|| panic!("{example}: no helm_release {}", addon.release));
                assert_eq!(
                    version.as_deref(),
                    Some(addon.version),
                    "{example}: {} is pinned",
                    addon.release
                );
                // `count = var.x ? 1 : 0` follows the root's `x`; no count means always.
                match count.split_whitespace().next() {
                    None => true,
                    Some(var) => {
                        let name = var.trim_start_matches("var.");
                        match &inputs.get(name) {
                            Some(Json::Bool(on)) => *on,
                            Some(Json::Null) | None => false,
                            Some(_) => true,
                        }
                    }
                }
            };
            let docs = overlay_documents(&files, env);
            for doc in &docs {
                let (group, kind) = group_kind(doc);
                if !group.contains('.') || group.ends_with(".k8s.io") {
                    continue;
                }
                let addon = platform::serving(&group, &kind)
                    .unwrap_or_else(|| panic!("{example}: no add-on serves {group}/{kind}"));
                assert!(
                    installed(addon),
                    "{example} {}: {group}/{kind} needs {}, which the root does not install",
                    env.name,
                    addon.release
                );
            }
            if project.delivery.gitops {
                assert!(installed(&platform::ARGO_CD) && installed(&platform::ARGOCD_APPS));
            }
            let hpa = docs.iter().any(|d| d["kind"] == "HorizontalPodAutoscaler");
            if hpa && project.cloud.provider == Provider::Aws {
                assert!(
                    installed(&platform::METRICS_SERVER),
                    "{example} {}: HPAs need metrics-server on EKS",
                    env.name
                );
            }
            let ingresses: Vec<&Value> = docs.iter().filter(|d| d["kind"] == "Ingress").collect();
            if !ingresses.is_empty() {
                assert!(installed(&platform::INGRESS_NGINX) && installed(&platform::CERT_MANAGER));
                let (_, nginx, _) = &releases["ingress-nginx"];
                let (_, issuer, _) = &releases["cluster-issuer"];
                for ingress in ingresses {
                    assert_eq!(
                        ingress["spec"]["ingressClassName"].as_str(),
                        nginx["controller"]["ingressClassResource"]["name"].as_str(),
                        "{example}: the Ingress names the installed class"
                    );
                    assert_eq!(
                        ingress["metadata"]["annotations"]["cert-manager.io/cluster-issuer"]
                            .as_str(),
                        issuer["name"].as_str(),
                        "{example}: the Ingress names the installed issuer"
                    );
                }
            }
        }
        // Prometheus selects every ServiceMonitor and rule, and serves the URL analysis reads.
        let (_, prometheus, _) = &releases["kube-prometheus-stack"];
        let spec = &prometheus["prometheus"]["prometheusSpec"];
        for key in [
            "serviceMonitorSelectorNilUsesHelmValues",
            "ruleSelectorNilUsesHelmValues",
        ] {
            assert_eq!(spec[key], Json::Bool(false), "{example}: {key}");
        }
        let addons = &project.names.cluster_addons;
        assert!(
            addons.prometheus_url.contains(&format!(
                ".{}.svc",
                platform::KUBE_PROMETHEUS_STACK.namespace
            )),
            "{example}: analysis reads the installed Prometheus"
        );
        let sidecar = &prometheus["grafana"]["sidecar"]["dashboards"];
        assert_eq!(
            sidecar["label"].as_str(),
            Some(addons.grafana_dashboard_label.0.as_str())
        );
        assert_eq!(sidecar["searchNamespace"].as_str(), Some("ALL"));
    }
}

#[test]
fn roots_keep_their_state_beside_the_cloud_roots() {
    for (example, project) in examples() {
        let files = crate::render(&project).expect("renders");
        for env in &project.environments {
            let backend = &files[&format!("{}/backend.tf", env.names.platform_dir)];
            let cloud = &files[&format!("{}/backend.tf", env.names.terraform_dir)];
            let key = match project.cloud.provider {
                Provider::Gcp => format!("prefix = \"{}/platform\"", env.name),
                _ => format!("key          = \"{}/platform.tfstate\"", env.name),
            };
            let key_azure = format!("key                  = \"{}/platform.tfstate\"", env.name);
            assert!(
                backend.contains(&key) || backend.contains(&key_azure),
                "{example} {}: {backend}",
                env.name
            );
            for line in cloud.lines().filter(|l| {
                [
                    "bucket",
                    "resource_group_name",
                    "storage_account_name",
                    "container_name",
                ]
                .iter()
                .any(|k| l.trim_start().starts_with(k))
            }) {
                assert!(
                    backend.contains(line.trim()),
                    "{example} {}: the platform state lives where the cloud root's does ({line})",
                    env.name
                );
            }
        }
    }
}

#[test]
fn roots_pin_the_cloud_provider_as_the_cloud_roots_do() {
    for (example, project) in examples() {
        let files = crate::render(&project).expect("renders");
        for env in &project.environments {
            let constraint = |path: &str, provider: &str| -> Option<String> {
                let text = &files[path];
                let start = text.find(&format!("{provider} = {{"))?;
                let block = &text[start..];
                let line = block
                    .lines()
                    .find(|l| l.trim_start().starts_with("version"))?;
                Some(line.split('"').nth(1)?.to_owned())
            };
            let provider = match project.cloud.provider {
                Provider::Aws => "aws",
                Provider::Gcp => "google",
                Provider::Azure => "azurerm",
            };
            let cloud = constraint(
                &format!("{}/versions.tf", env.names.terraform_dir),
                provider,
            );
            let platform = constraint(&format!("{}/versions.tf", env.names.platform_dir), provider);
            assert!(
                platform.is_some(),
                "{example}: the platform root pins {provider}"
            );
            if cloud.is_some() {
                assert_eq!(platform, cloud, "{example} {}: {provider}", env.name);
            }
        }
    }
}

/// Every webhook or aggregated API an installed add-on serves listens on a port a private
/// control plane can reach: the chart default where scaffold sets nothing, else the value the
/// module sets (ingress-nginx's 8443 default is moved).
#[test]
fn the_control_plane_reaches_every_add_on_webhook() {
    for (example, project) in examples() {
        let files = crate::render(&project).expect("renders");
        let releases = releases(&files);
        for addon in platform::ADDONS {
            let Some((_, values, _)) = releases.get(addon.release) else {
                continue;
            };
            let set = match addon.release {
                "ingress-nginx" => &values["controller"]["admissionWebhooks"]["port"],
                "cert-manager" => &values["webhook"]["securePort"],
                "external-secrets" => &values["webhook"]["port"],
                "kube-prometheus-stack" => &values["prometheusOperator"]["tls"]["internalPort"],
                "metrics-server" => &values["containerPort"],
                _ => &Json::Null,
            };
            // Unset means the chart's default, which `webhook_port` records.
            let port = set
                .as_f64()
                .map(|p| p as u16)
                .or(if addon.release == "ingress-nginx" {
                    Some(8443)
                } else {
                    addon.webhook_port
                });
            assert_eq!(port, addon.webhook_port, "{example}: {}", addon.release);
            if let Some(port) = port {
                assert!(
                    platform::CONTROL_PLANE_PORTS.contains(&port),
                    "{example}: {} listens on {port}, which a private control plane cannot reach",
                    addon.release
                );
            }
        }
    }
}

/// The cloud root turns on the engine that enforces the overlays' NetworkPolicies: the VPC
/// CNI's network policy agent on EKS, Dataplane V2 on GKE, Cilium on AKS. Read from the
/// cluster module's HCL.
#[test]
fn network_policies_are_enforced_where_they_are_written() {
    for (example, project) in examples() {
        let files = crate::render(&project).expect("renders");
        let has_policies = project.environments.iter().any(|env| {
            overlay_documents(&files, env)
                .iter()
                .any(|d| d["kind"] == "NetworkPolicy")
        });
        assert!(has_policies, "{example}: the overlays hold NetworkPolicies");
        let body = parse(&files, "infra/modules/cluster/main.tf");
        let resource = |kind: &str| -> Vec<&Block> {
            body.blocks()
                .filter(|b| b.ident.as_str() == "resource" && label(b, 0).as_deref() == Some(kind))
                .collect()
        };
        match project.cloud.provider {
            Provider::Aws => {
                let addons = resource("aws_eks_addon");
                let cni = addons
                    .iter()
                    .find(|b| {
                        b.body
                            .get_attribute("for_each")
                            .is_some_and(|a| a.value.to_string().contains("\"vpc-cni\""))
                            || b.body
                                .get_attribute("addon_name")
                                .is_some_and(|a| literal(&a.value).as_str() == Some("vpc-cni"))
                    })
                    .unwrap_or_else(|| panic!("{example}: the VPC CNI is a managed add-on"));
                // Either a literal on the add-on, or (one block for several add-ons)
                // `each.value` of a `for_each` map whose `vpc-cni` entry holds it.
                let config = cni
                    .body
                    .get_attribute("configuration_values")
                    .map(|a| a.value.to_string())
                    .unwrap_or_default();
                let config = if config.trim() == "each.value" {
                    cni.body
                        .get_attribute("for_each")
                        .map(|a| a.value.to_string())
                        .unwrap_or_default()
                } else {
                    config
                };
                assert!(
                    config.contains("\"vpc-cni\"")
                        && config.contains("enableNetworkPolicy = \"true\""),
                    "{example}: the VPC CNI enforces network policies ({config})"
                );
            }
            Provider::Gcp => {
                let cluster = resource("google_container_cluster");
                let datapath = cluster
                    .first()
                    .and_then(|b| b.body.get_attribute("datapath_provider"))
                    .map(|a| literal(&a.value));
                assert_eq!(
                    datapath.as_ref().and_then(Json::as_str),
                    Some("ADVANCED_DATAPATH"),
                    "{example}: GKE Dataplane V2 enforces network policies"
                );
            }
            Provider::Azure => {
                let cluster = resource("azurerm_kubernetes_cluster");
                let policy = cluster
                    .first()
                    .and_then(|b| {
                        b.body
                            .blocks()
                            .find(|n| n.ident.as_str() == "network_profile")
                    })
                    .and_then(|n| n.body.get_attribute("network_policy"))
                    .map(|a| literal(&a.value));
                assert!(
                    matches!(
                        policy.as_ref().and_then(Json::as_str),
                        Some("cilium" | "azure" | "calico")
                    ),
                    "{example}: AKS enforces network policies ({policy:?})"
                );
            }
        }
    }
}

/// Whether the platform root of `env` installs external-dns: the module declares the release
/// and the root gives it its settings.
fn installs_external_dns(files: &Files, env: &Environment) -> bool {
    let declared = releases(files).contains_key(platform::EXTERNAL_DNS.release);
    let body = parse(files, &format!("{}/main.tf", env.names.platform_dir));
    let configured = body
        .blocks()
        .find(|b| b.ident.as_str() == "module" && label(b, 0).as_deref() == Some("platform"))
        .is_some_and(|b| b.body.get_attribute("external_dns").is_some());
    declared && configured
}

/// Whether the cloud root of `env` gives external-dns an identity that can write the zone:
/// on AWS, an EKS Pod Identity association for the ServiceAccount the platform installs it
/// as, whose role may change the records of the environment's Route 53 zone.
fn external_dns_identity(project: &Project, files: &Files, env: &Environment) -> bool {
    let account = &project.names.cluster_addons.external_dns;
    match project.cloud.provider {
        Provider::Aws => {
            let body = parse(files, &format!("{}/identities.tf", env.names.terraform_dir));
            let text = |b: &Block, key: &str| {
                b.body
                    .get_attribute(key)
                    .map(|a| literal(&a.value).as_str().unwrap_or_default().to_owned())
            };
            let Some(association) = body.blocks().find(|b| {
                label(b, 0).as_deref() == Some("aws_eks_pod_identity_association")
                    && text(b, "namespace").as_deref() == Some(account.namespace.as_str())
                    && text(b, "service_account").as_deref()
                        == Some(account.service_account.as_str())
            }) else {
                return false;
            };
            let role = association
                .body
                .get_attribute("role_arn")
                .map(|a| a.value.to_string())
                .unwrap_or_default();
            let role = role
                .trim()
                .trim_start_matches("aws_iam_role.")
                .trim_end_matches(".arn");
            // The role's inline policy has a statement changing the records of the zone.
            body.blocks().any(|b| {
                b.ident.as_str() == "data"
                    && label(b, 0).as_deref() == Some("aws_iam_policy_document")
                    && label(b, 1).as_deref() == Some(role)
                    && b.body
                        .blocks()
                        .filter(|s| s.ident.as_str() == "statement")
                        .any(|s| {
                            let text = s.body.to_string();
                            text.contains("\"route53:ChangeResourceRecordSets\"")
                                && text.contains("aws_route53_zone.this.arn")
                        })
            })
        }
        // scaffold gives external-dns no identity on GKE or AKS.
        Provider::Gcp | Provider::Azure => false,
    }
}

#[test]
fn every_sentence_about_external_dns_is_true_of_the_platform_roots() {
    let mut claims = 0;
    for (example, project) in examples() {
        let files = crate::render(&project).expect("renders");
        let installed: Vec<&Environment> = project
            .environments
            .iter()
            .filter(|env| installs_external_dns(&files, env))
            .collect();
        for env in &installed {
            assert!(
                external_dns_identity(&project, &files, env),
                "{example} {}: external-dns is installed without an identity that can write the zone",
                env.name
            );
        }
        for (path, text) in files.iter().filter(|(p, _)| p.ends_with(".md")) {
            for line in text
                .lines()
                .filter(|l| l.to_lowercase().contains("external-dns"))
            {
                let at = format!("{example} {path}: {line}");
                claims += 1;
                let denies = line.contains("no external-dns")
                    || line.contains("does not manage the DNS zone");
                if denies {
                    assert!(
                        installed.is_empty(),
                        "{at}: external-dns is installed in {:?}",
                        installed.iter().map(|e| &e.name).collect::<Vec<_>>()
                    );
                    continue;
                }
                // A sentence naming an environment's domain is about that environment.
                let named: Vec<&Environment> = project
                    .environments
                    .iter()
                    .filter(|e| {
                        e.domain
                            .as_ref()
                            .is_some_and(|d| line.contains(&format!("`{d}`")))
                    })
                    .collect();
                if named.is_empty() {
                    assert!(
                        !installed.is_empty(),
                        "{at}: no environment installs external-dns"
                    );
                }
                for env in named {
                    assert!(
                        installed.iter().any(|e| e.name == env.name),
                        "{at}: {} does not install external-dns",
                        env.name
                    );
                }
            }
        }
    }
    assert!(claims > 0, "the docs say something about external-dns");
}
