//! Cross-family agreement: the names one family uses exist in the family that defines them.
//!
//! Each family reads its names from core, so these hold by construction; the
//! test keeps it that way. It renders every example and checks the joints a
//! user would otherwise discover on the first push: an alert without a
//! runbook, a workflow assuming a role Terraform never creates, a deploy job
//! pointing at an overlay that does not exist.

use std::collections::BTreeSet;

use scaffold_core::Project;
use scaffold_core::project::Facts;
use scaffold_render::Files;
use serde::Deserialize as _;

mod common;

fn examples() -> Vec<(String, Project, Files)> {
    common::example_answers()
        .into_iter()
        .map(|(name, text)| {
            let project = Project::from_toml(&text, &common::example_facts(&name)).unwrap();
            let files = scaffold_render::render(&project).unwrap();
            (name, project, files)
        })
        .collect()
}

/// Every YAML document of every rendered file under `prefix`.
fn documents(files: &Files, prefix: &str) -> Vec<(String, serde_yaml_ng::Value)> {
    let mut out = Vec::new();
    for (path, text) in files
        .iter()
        .filter(|(p, _)| p.starts_with(prefix) && (p.ends_with(".yaml") || p.ends_with(".yml")))
    {
        for doc in serde_yaml_ng::Deserializer::from_str(text) {
            let value = serde_yaml_ng::Value::deserialize(doc)
                .unwrap_or_else(|err| panic!("{path}: {err}"));
            if !value.is_null() {
                out.push((path.clone(), value));
            }
        }
    }
    out
}

#[test]
fn every_alert_links_to_a_rendered_runbook_that_names_it() {
    for (name, project, files) in examples() {
        let mut alerts = BTreeSet::new();
        for (path, doc) in documents(&files, "deploy/kubernetes/") {
            if doc["kind"] != "PrometheusRule" {
                continue;
            }
            for group in doc["spec"]["groups"].as_sequence().unwrap() {
                for rule in group["rules"].as_sequence().unwrap() {
                    let Some(alert) = rule["alert"].as_str() else {
                        continue;
                    };
                    alerts.insert(alert.to_owned());
                    let url = rule["annotations"]["runbook_url"]
                        .as_str()
                        .unwrap_or_else(|| panic!("{name}: {path}: {alert} has no runbook_url"));
                    let prefix = format!(
                        "https://github.com/{}/blob/{}/",
                        project.repository.full, project.default_branch
                    );
                    let runbook = url.strip_prefix(&prefix).unwrap_or_else(|| {
                        panic!("{name}: {alert}: {url} is not in this repository")
                    });
                    let text = files.get(runbook).unwrap_or_else(|| {
                        panic!("{name}: {alert} links to {runbook}, which is not rendered")
                    });
                    assert!(
                        text.contains(alert),
                        "{name}: {runbook} never names {alert}"
                    );
                }
            }
        }
        let catalogue: BTreeSet<String> = project.alerts.iter().map(|a| a.name.clone()).collect();
        assert_eq!(
            alerts, catalogue,
            "{name}: the rules and core's alert catalogue differ"
        );
    }
}

#[test]
fn workflows_assume_only_identities_terraform_creates() {
    for (name, project, files) in examples() {
        let terraform: String = files
            .iter()
            .filter(|(p, _)| {
                p.starts_with("infra/") && (p.ends_with(".tf") || p.ends_with(".tfvars"))
            })
            .map(|(_, t)| t.as_str())
            .collect();
        let deploy = &files[".github/workflows/deploy.yml"];
        let infra = &files[".github/workflows/infrastructure.yml"];
        for env in &project.environments {
            for (identity, workflow) in [
                (&env.names.ci_identity, deploy),
                (&env.names.terraform_identity, infra),
                (&env.names.plan_identity, infra),
            ] {
                if project.cloud.provider != scaffold_core::Provider::Azure {
                    assert!(
                        workflow.contains(identity.as_str()),
                        "{name}: no workflow assumes {identity}"
                    );
                }
                assert!(
                    terraform.contains(identity.as_str()),
                    "{name}: a workflow assumes {identity}, which no Terraform creates"
                );
            }
            assert!(
                terraform.contains(&env.oidc_subject),
                "{name}: Terraform never trusts {}",
                env.oidc_subject
            );
            assert!(
                deploy.contains(&format!("environment: {}", env.names.github_environment))
                    || deploy.contains(&format!("name: {}", env.names.github_environment)),
                "{name}: deploy.yml has no job in GitHub environment {}",
                env.name
            );
            assert!(
                files.contains_key(&format!("{}/kustomization.yaml", env.names.overlay_dir)),
                "{name}: no overlay for {}",
                env.name
            );
            assert!(
                deploy.contains(&env.names.overlay_dir),
                "{name}: deploy.yml never applies {}",
                env.names.overlay_dir
            );
            assert!(
                files.contains_key(&format!("{}/main.tf", env.names.terraform_dir)),
                "{name}: no Terraform root for {}",
                env.name
            );
        }
        if project.delivery.registry != scaffold_core::Registry::Ghcr {
            for subject in &project.oidc_build_subjects {
                assert!(
                    terraform.contains(subject.as_str()),
                    "{name}: the build identity does not trust {subject}"
                );
            }
        }
        if project.cloud.provider == scaffold_core::Provider::Aws {
            // Plans run in each environment's `<env>-plan` GitHub environment (the access model).
            for env in &project.environments {
                let subject = project.environment_subject(&env.names.plan_environment);
                assert!(
                    terraform.contains(&subject),
                    "{name}: no plan identity trusts {subject}"
                );
            }
        } else if project.cloud.provider == scaffold_core::Provider::Azure {
            // Azure follows the access model: every identity trusts exactly its tokens
            // (plan identities the subject of `<env>-plan`, never pull requests as such).
            for identity in project.identities() {
                for token in &identity.tokens {
                    assert!(
                        terraform.contains(&format!("\"{}\"", token.subject)),
                        "{name}: Terraform never trusts {} for {}",
                        token.subject,
                        identity.name
                    );
                }
            }
            assert!(
                !terraform.contains(&project.oidc_pull_request_subject),
                "{name}: an identity trusts every pull request"
            );
        } else if project.cloud.provider == scaffold_core::Provider::Gcp {
            // GCP trusts exactly the access model's tokens (plans from `<env>-plan`
            // environments); terraform::gcp::tests evaluates the rendered trust claim by claim.
            for identity in project.identities() {
                for token in &identity.tokens {
                    assert!(
                        terraform.contains(&token.subject),
                        "{name}: {} does not trust {}",
                        identity.name,
                        token.subject
                    );
                }
            }
        }
    }
}

/// The JSON keys of every `jsonencode({...})` a `azurerm_key_vault_secret` block writes, by
/// the block's label.
fn azure_secret_keys(text: &str) -> std::collections::BTreeMap<String, BTreeSet<String>> {
    use hcl_edit::expr::{Expression, ObjectKey};
    use hcl_edit::structure::{BlockLabel, Body};
    let body: Body = text.parse().expect("the datastores module parses");
    let mut out = std::collections::BTreeMap::new();
    for block in body.blocks().filter(|b| {
        b.ident.as_str() == "resource"
            && matches!(b.labels.first(), Some(BlockLabel::String(t)) if t.as_str() == "azurerm_key_vault_secret")
    }) {
        let Some(BlockLabel::String(label)) = block.labels.get(1) else {
            continue;
        };
        for attribute in block.body.attributes() {
            if let Expression::FuncCall(call) = &attribute.value
                && let Some(Expression::Object(object)) = call.args.iter().next()
            {
                let keys = object
                    .iter()
                    .map(|(key, _)| match key {
                        ObjectKey::Ident(ident) => ident.as_str().to_owned(),
                        ObjectKey::Expression(other) => other.to_string(),
                    })
                    .collect();
                out.insert(label.as_str().to_owned(), keys);
            }
        }
    }
    out
}

#[test]
fn external_secrets_read_only_keys_that_azure_terraform_writes() {
    for (name, project, files) in examples() {
        if project.cloud.provider != scaffold_core::Provider::Azure || project.datastores.is_empty()
        {
            continue;
        }
        let written = azure_secret_keys(&files["infra/modules/datastores/main.tf"]);
        for (path, doc) in documents(&files, "deploy/kubernetes/") {
            if doc["kind"] != "ExternalSecret" {
                continue;
            }
            for item in doc["spec"]["data"].as_sequence().into_iter().flatten() {
                let key = item["remoteRef"]["key"].as_str().expect("remoteRef.key");
                let Some(property) = item["remoteRef"]["property"].as_str() else {
                    continue;
                };
                // The secret belongs to a datastore; Terraform writes it from that engine's block.
                let (ds, admin) = project
                    .environments
                    .iter()
                    .flat_map(|e| &e.datastores)
                    .find_map(|d| {
                        if d.secret == key {
                            Some((d.datastore.clone(), false))
                        } else if d.admin_secret == key {
                            Some((d.datastore.clone(), true))
                        } else {
                            None
                        }
                    })
                    .unwrap_or_else(|| panic!("{name}: {path}: {key} is no datastore secret"));
                let engine = project.datastore(&ds).expect("datastore").engine;
                let label = if admin {
                    format!("{}_admin", engine.as_str())
                } else {
                    engine.as_str().to_owned()
                };
                assert!(
                    written
                        .get(&label)
                        .is_some_and(|keys| keys.contains(property)),
                    "{name}: {path} reads {property} of {key}, which Terraform's {label} secret does not write"
                );
            }
        }
    }
}

#[test]
fn deploy_sets_images_that_the_manifests_use() {
    for (name, project, files) in examples() {
        let deploy = &files[".github/workflows/deploy.yml"];
        let manifests: String = files
            .iter()
            .filter(|(p, _)| p.starts_with("deploy/kubernetes/base/"))
            .map(|(_, t)| t.as_str())
            .collect();
        for service in &project.services {
            let image = &service.names.kustomize_image;
            assert!(
                deploy.contains(&format!("{image}=")),
                "{name}: deploy.yml never sets {image}"
            );
            assert!(
                manifests.contains(&format!("image: {image}")),
                "{name}: no base manifest uses {image}"
            );
            assert!(
                files.contains_key(&format!("{}Dockerfile", service.dir)),
                "{name}: {} has no Dockerfile",
                service.name
            );
        }
    }
}

#[test]
fn every_environment_is_in_the_handbook_strategy_table() {
    for (name, project, files) in examples() {
        let handbook = &files["docs/devops/README.md"];
        for env in &project.environments {
            assert!(
                handbook
                    .lines()
                    .any(|l| l.starts_with('|') && l.contains(&format!("`{}`", env.name))),
                "{name}: {} is missing from the handbook's tables",
                env.name
            );
        }
    }
}

#[test]
fn the_setup_script_reads_only_outputs_terraform_defines() {
    let mut checked = 0;
    for (example, project, files) in examples() {
        for variable in scaffold_render::github::setup::context(&project).variables {
            let Some(output) = variable.output else {
                continue;
            };
            // Every `*.tf` file of the root, since outputs may live beside the resources.
            let defined = files.iter().any(|(path, text)| {
                path.strip_prefix(&format!("{}/", output.root))
                    .is_some_and(|rest| !rest.contains('/') && rest.ends_with(".tf"))
                    && text.contains(&format!("output \"{}\" {{", output.name))
            });
            assert!(
                defined,
                "{example}: {} reads output {} of {}, which that root does not define",
                variable.name, output.name, output.root
            );
            checked += 1;
        }
    }
    assert!(checked > 10, "{checked} outputs checked");
}

/// AWS: every secret an `ExternalSecret` reads is a Secrets Manager secret an environment
/// root writes (its datastore module's `secret_name`), and every property it reads is a key
/// of the JSON object that module writes (the datastore table's secret properties).
#[test]
fn external_secrets_read_what_aws_terraform_writes() {
    for (name, project, files) in examples() {
        if project.cloud.provider != scaffold_core::Provider::Aws {
            continue;
        }
        for env in &project.environments {
            let main = &files[&format!("{}/main.tf", env.names.terraform_dir)];
            for (path, doc) in documents(&files, &format!("{}/", env.names.overlay_dir)) {
                if doc["kind"] != "ExternalSecret" {
                    continue;
                }
                for entry in doc["spec"]["data"].as_sequence().into_iter().flatten() {
                    let key = entry["remoteRef"]["key"].as_str().unwrap_or_default();
                    // The application user's secret, or (the database setup Job) the
                    // administrator's; every_external_secret_property_is_written_by_terraform
                    // checks the administrator's properties.
                    let (datastore, admin) = project
                        .datastores
                        .iter()
                        .zip(&env.datastores)
                        .find_map(|(ds, d)| {
                            (d.secret == key)
                                .then_some((ds, false))
                                .or((d.admin_secret == key).then_some((ds, true)))
                        })
                        .unwrap_or_else(|| panic!("{name}: {path}: {key} is no datastore secret"));
                    let variable = if admin {
                        "admin_secret_name"
                    } else {
                        "secret_name"
                    };
                    let written = main.lines().any(|l| {
                        l.trim_start().starts_with(variable)
                            && l.split('=').nth(1).map(str::trim) == Some(&format!("\"{key}\""))
                    });
                    assert!(
                        written,
                        "{name}: {} writes no secret {key}",
                        env.names.terraform_dir
                    );
                    if admin {
                        continue;
                    }
                    if let Some(property) = entry["remoteRef"]["property"].as_str() {
                        assert!(
                            datastore
                                .secret_properties
                                .iter()
                                .any(|p| p.key() == property),
                            "{name}: {path}: {key} has no property {property}"
                        );
                    }
                }
            }
        }
    }
}

/// The keys of every object literal passed to `jsonencode(...)` as the value of a secret
/// (`secret_string`, `secret_data`, `value`, their write-only `_wo` forms), in every
/// Terraform file under `infra/`: what the cloud's secret manager entries hold.
fn secret_json_keys(files: &Files) -> BTreeSet<String> {
    use hcl_edit::expr::{Expression, ObjectKey};
    use hcl_edit::structure::Body;

    fn visit(body: &Body, keys: &mut BTreeSet<String>) {
        for attribute in body.attributes() {
            let name = attribute.key.as_str().trim_end_matches("_wo");
            if !["secret_string", "secret_data", "value"].contains(&name) {
                continue;
            }
            if let Expression::FuncCall(call) = &attribute.value
                && call.name.name.as_str() == "jsonencode"
                && let Some(Expression::Object(object)) = call.args.iter().next()
            {
                for (key, _) in object.iter() {
                    match key {
                        ObjectKey::Ident(ident) => keys.insert(ident.as_str().to_owned()),
                        ObjectKey::Expression(Expression::String(s)) => {
                            keys.insert(s.value().clone())
                        }
                        ObjectKey::Expression(_) => false,
                    };
                }
            }
        }
        for block in body.blocks() {
            visit(&block.body, keys);
        }
    }

    let mut keys = BTreeSet::new();
    for (path, text) in files
        .iter()
        .filter(|(p, _)| p.starts_with("infra/") && p.ends_with(".tf"))
    {
        let body: Body = text
            .parse()
            .unwrap_or_else(|err| panic!("{path} parses: {err}"));
        visit(&body, &mut keys);
    }
    keys
}

/// Clouds whose Terraform does not yet write each datastore's secret as the JSON object of
/// its properties. Empty: every cloud does; a cloud listed here is still checked against the
/// datastore table.
const SECRET_JSON_PENDING: &[scaffold_core::Provider] = &[];

#[test]
fn every_external_secret_property_is_written_by_terraform() {
    for (name, project, files) in examples() {
        let written = secret_json_keys(&files);
        let pending = SECRET_JSON_PENDING.contains(&project.cloud.provider);
        for env in &project.environments {
            let secrets: Vec<(&str, &scaffold_core::Datastore)> = project
                .datastores
                .iter()
                .zip(&env.datastores)
                .flat_map(|(ds, in_env)| {
                    [
                        (in_env.secret.as_str(), ds),
                        (in_env.admin_secret.as_str(), ds),
                    ]
                })
                .collect();
            for (path, doc) in documents(&files, &format!("{}/", env.names.overlay_dir)) {
                if doc["kind"] != "ExternalSecret" {
                    continue;
                }
                for datum in doc["spec"]["data"].as_sequence().unwrap() {
                    let remote = datum["remoteRef"]["key"].as_str().unwrap();
                    let property = datum["remoteRef"]["property"]
                        .as_str()
                        .unwrap_or_else(|| panic!("{name} {path}: {remote} read whole"));
                    let (_, ds) = secrets
                        .iter()
                        .find(|(secret, _)| *secret == remote)
                        .unwrap_or_else(|| {
                            panic!("{name} {path}: {remote} is no datastore's secret")
                        });
                    assert!(
                        ds.secret_properties.iter().any(|p| p.key() == property),
                        "{name} {path}: `{property}` is not among {}'s secret properties",
                        ds.name
                    );
                    assert!(
                        pending || written.contains(property),
                        "{name} {path}: no Terraform secret of {} writes `{property}` (written: {written:?})",
                        project.cloud.provider
                    );
                }
            }
        }
    }
}

/// The sizes the handbook states for each overlay are the sizes the overlay renders: every
/// `HorizontalPodAutoscaler`'s bounds and every resources patch of its kustomization.
#[test]
fn handbook_sizes_are_the_rendered_sizes() {
    for (name, project, files) in examples() {
        let handbook = &files["docs/devops/README.md"];
        for env in &project.environments {
            let dir = &env.names.overlay_dir;
            let row = handbook
                .lines()
                .find(|l| l.starts_with(&format!("| `{dir}/` |")))
                .unwrap_or_else(|| panic!("{name}: the handbook has no row for {dir}"));
            let overlay = documents(&files, &format!("{dir}/"));
            let mut bounds = BTreeSet::new();
            let mut resources = BTreeSet::new();
            for (path, doc) in &overlay {
                if doc["kind"] == "HorizontalPodAutoscaler" {
                    let spec = &doc["spec"];
                    bounds.insert((
                        spec["minReplicas"].as_u64().expect("minReplicas"),
                        spec["maxReplicas"].as_u64().expect("maxReplicas"),
                    ));
                }
                if path.ends_with("kustomization.yaml") {
                    for patch in doc["patches"].as_sequence().into_iter().flatten() {
                        let Some(text) = patch["patch"].as_str() else {
                            continue;
                        };
                        let ops: serde_yaml_ng::Value = serde_yaml_ng::from_str(text).unwrap();
                        for op in ops.as_sequence().into_iter().flatten() {
                            let is_resources = op["path"]
                                .as_str()
                                .is_some_and(|p| p.ends_with("/resources"));
                            if is_resources {
                                let v = &op["value"];
                                let s = |x: &serde_yaml_ng::Value| {
                                    x.as_str().map(str::to_owned).unwrap_or_else(|| {
                                        serde_yaml_ng::to_string(x).unwrap().trim().to_owned()
                                    })
                                };
                                resources.insert((
                                    s(&v["requests"]["cpu"]),
                                    s(&v["requests"]["memory"]),
                                    s(&v["limits"]["cpu"]),
                                    s(&v["limits"]["memory"]),
                                ));
                            }
                        }
                    }
                }
            }
            assert!(!resources.is_empty(), "{name} {dir}: no resources patch");
            for (min, max) in &bounds {
                assert!(
                    row.contains(&format!(": {min} to {max} replicas per service")),
                    "{name} {dir}: the overlay scales {min} to {max}, the handbook says: {row}"
                );
            }
            for (cpu, memory, cpu_limit, memory_limit) in &resources {
                let (cpu_limit, memory_limit) = (cpu_limit.trim_matches('"'), memory_limit);
                assert!(
                    row.contains(&format!(
                        "requests {cpu} CPU and {memory} memory, limits {cpu_limit} CPU and {memory_limit}"
                    )),
                    "{name} {dir}: the overlay requests {cpu}/{memory} and limits {cpu_limit}/{memory_limit}, the handbook says: {row}"
                );
            }
        }
    }
}

/// A datastore whose cloud offering is trusted through the instance's own CA, on every cloud
/// and engine the datastore table says so for, reaches every workload kind: the Terraform
/// secret holds `ca`, the service's `ExternalSecret` copies it to the key the workload mounts
/// read-only, and `<DATASTORE>_CA_FILE` names the file inside that mount (a `Deployment` with
/// rolling releases, a `Rollout` with canaries, and a `CronJob`).
#[test]
fn the_instance_ca_reaches_every_workload_that_reads_the_datastore() {
    use scaffold_core::Provider;
    use scaffold_core::datastore::{Engine, Trust};

    let mut checked = 0;
    for provider in [Provider::Aws, Provider::Gcp, Provider::Azure] {
        let region = match provider {
            Provider::Aws => "us-east-1",
            Provider::Gcp => "europe-west1",
            Provider::Azure => "westeurope",
        };
        for engine in Engine::ALL.iter().copied() {
            if engine
                .offering(provider)
                .is_none_or(|offering| offering.trust != Trust::InstanceCa)
            {
                continue;
            }
            for strategy in ["rolling", "canary"] {
                let answers = format!(
                    r#"schema = 1
[app]
name = "catrust"
description = "Instance CA check"
repository = "acme/catrust"
owners = ["@acme/platform"]
[cloud]
provider = "{provider}"
region = "{region}"
[[services]]
name = "api"
language = "go"
path = "api"
port = 8080
uses = ["store"]
[[services]]
name = "nightly"
language = "python"
path = "nightly"
kind = "job"
schedule = "0 3 * * *"
uses = ["store"]
[[datastores]]
name = "store"
engine = "{engine}"
[[environments]]
name = "staging"
branch = "main"
[delivery]
strategy = "{strategy}"
"#,
                    provider = provider.as_str(),
                    engine = engine.as_str(),
                );
                let at = format!("{provider:?} {engine:?} {strategy}");
                let project = Project::from_toml(&answers, &Facts::default())
                    .unwrap_or_else(|err| panic!("{at}: {err}"));
                let files = scaffold_render::render(&project).unwrap();
                let ds = &project.datastores[0];
                let ca = ds
                    .ca_file
                    .as_ref()
                    .unwrap_or_else(|| panic!("{at}: an instance-CA datastore has no CA file"));
                assert!(
                    secret_json_keys(&files).contains("ca"),
                    "{at}: Terraform writes no `ca` into the datastore's secret"
                );
                let env = &project.environments[0];
                let overlay = documents(&files, &format!("{}/", env.names.overlay_dir));
                let base = documents(&files, "deploy/kubernetes/base/");
                for service in &project.services {
                    let here = format!("{at} {}", service.name);
                    // The ExternalSecret writing the service's Secret copies `ca` to the key.
                    let (_, external) = overlay
                        .iter()
                        .find(|(_, d)| {
                            d["kind"] == "ExternalSecret"
                                && d["spec"]["target"]["name"] == service.names.secret.as_str()
                        })
                        .unwrap_or_else(|| panic!("{here}: no ExternalSecret"));
                    let written: Vec<&str> = external["spec"]["data"]
                        .as_sequence()
                        .unwrap()
                        .iter()
                        .filter(|d| d["remoteRef"]["property"] == "ca")
                        .filter_map(|d| d["secretKey"].as_str())
                        .collect();
                    assert_eq!(written, [ca.secret_key.as_str()], "{here}");
                    // The workload mounts that key of that Secret, read-only, where the
                    // variable points.
                    let (_, workload) = base
                        .iter()
                        .find(|(_, d)| {
                            ["Deployment", "Rollout", "CronJob"]
                                .contains(&d["kind"].as_str().unwrap_or(""))
                                && d["metadata"]["name"] == service.names.workload.as_str()
                        })
                        .unwrap_or_else(|| panic!("{here}: no workload"));
                    let expected_kind = match (service.kind.as_str(), strategy) {
                        ("job", _) => "CronJob",
                        (_, "canary") => "Rollout",
                        _ => "Deployment",
                    };
                    assert_eq!(workload["kind"], expected_kind, "{here}");
                    let pod = if workload["kind"] == "CronJob" {
                        &workload["spec"]["jobTemplate"]["spec"]["template"]["spec"]
                    } else {
                        &workload["spec"]["template"]["spec"]
                    };
                    let container = &pod["containers"][0];
                    let variable = container["env"]
                        .as_sequence()
                        .unwrap()
                        .iter()
                        .find(|e| e["name"] == ca.variable.as_str())
                        .and_then(|e| e["value"].as_str())
                        .unwrap_or_else(|| panic!("{here}: no {}", ca.variable));
                    let mut found = false;
                    for mount in container["volumeMounts"].as_sequence().unwrap() {
                        let mount_path = mount["mountPath"].as_str().unwrap();
                        let Some(file) = variable.strip_prefix(&format!("{mount_path}/")) else {
                            continue;
                        };
                        assert_eq!(mount["readOnly"], true, "{here}");
                        let volume = pod["volumes"]
                            .as_sequence()
                            .unwrap()
                            .iter()
                            .find(|v| v["name"] == mount["name"])
                            .unwrap_or_else(|| panic!("{here}: no volume {:?}", mount["name"]));
                        assert_eq!(
                            volume["secret"]["secretName"],
                            service.names.secret.as_str(),
                            "{here}"
                        );
                        let items = volume["secret"]["items"].as_sequence().unwrap();
                        assert!(
                            items
                                .iter()
                                .any(|i| i["key"] == ca.secret_key.as_str() && i["path"] == file),
                            "{here}: {variable} is not the mounted key {}",
                            ca.secret_key
                        );
                        found = true;
                    }
                    assert!(found, "{here}: {variable} is outside every mount");
                    checked += 1;
                }
            }
        }
    }
    assert!(
        checked > 0,
        "some cloud trusts a datastore through its instance CA"
    );
}

/// The handbook's "What your application must provide", service by service: `(name, bullets)`.
fn handbook_contract(readme: &str) -> Vec<(String, Vec<String>)> {
    let start = readme
        .find("## What your application must provide")
        .expect("the handbook has the contract section");
    let section = &readme[start..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for line in section.lines() {
        if let Some(rest) = line.strip_prefix("**`") {
            let name = rest.split('`').next().unwrap().to_owned();
            out.push((name, Vec::new()));
        } else if let Some(bullet) = line.strip_prefix("- ") {
            out.last_mut()
                .expect("a bullet follows a service")
                .1
                .push(bullet.to_owned());
        }
    }
    out
}

/// The text between the first `` `{before}`` and the next backquote of `bullet`.
fn quoted_after<'a>(bullet: &'a str, before: &str) -> Option<&'a str> {
    let rest = &bullet[bullet.find(before)? + before.len()..];
    rest.split('`').next()
}

/// What the handbook asks of each service is what the rendered workload, its probes and the
/// alert rules rely on: the port `PORT` holds, the liveness and readiness paths, the gRPC
/// health service, the metric names of the rules, the grace period and the user.
#[test]
fn the_handbook_contract_is_what_the_manifests_assume() {
    for (name, project, files) in examples() {
        let contract = handbook_contract(&files["docs/devops/README.md"]);
        let listed: Vec<&str> = contract.iter().map(|(s, _)| s.as_str()).collect();
        let services: Vec<&str> = project.services.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            listed, services,
            "{name}: the contract lists other services"
        );
        let rules: String = documents(&files, "deploy/kubernetes/overlays/")
            .into_iter()
            .filter(|(_, doc)| doc["kind"] == "PrometheusRule")
            .map(|(_, doc)| serde_yaml_ng::to_string(&doc).unwrap())
            .collect();
        for (service, bullets) in &contract {
            let workload = documents(&files, &format!("deploy/kubernetes/base/{service}/"))
                .into_iter()
                .map(|(_, doc)| doc)
                .find(|doc| {
                    ["Deployment", "Rollout", "CronJob"]
                        .contains(&doc["kind"].as_str().unwrap_or(""))
                })
                .unwrap_or_else(|| panic!("{name}: no workload for {service}"));
            let pod = if workload["kind"] == "CronJob" {
                &workload["spec"]["jobTemplate"]["spec"]["template"]["spec"]
            } else {
                &workload["spec"]["template"]["spec"]
            };
            let container = &pod["containers"][0];
            let text = bullets.join("\n");
            let ctx = format!("{name}: {service}");

            // The port: the bullet's number is the container's port and `PORT`'s value.
            let port = container["ports"][0]["containerPort"].as_u64();
            let env_port = container["env"]
                .as_sequence()
                .into_iter()
                .flatten()
                .find(|e| e["name"] == "PORT")
                .and_then(|e| e["value"].as_str())
                .map(|v| v.parse::<u64>().unwrap());
            let said = text
                .split("port in `PORT` (")
                .nth(1)
                .map(|rest| rest.split(')').next().unwrap().parse::<u64>().unwrap());
            assert_eq!(said, port, "{ctx}: the port the handbook asks for");
            assert_eq!(env_port, port, "{ctx}: PORT");

            // Probes: an HTTP path the handbook names is the probe's path; gRPC probes where the
            // handbook asks for the gRPC health service; none for workers and jobs.
            let liveness = &container["livenessProbe"];
            let readiness = &container["readinessProbe"];
            let answered: Vec<&str> = bullets
                .iter()
                .filter_map(|b| quoted_after(b, "Answers `GET "))
                .collect();
            match (
                liveness["httpGet"]["path"].as_str(),
                readiness["httpGet"]["path"].as_str(),
            ) {
                (Some(live), Some(ready)) if live == ready => {
                    assert_eq!(answered, [live], "{ctx}: health path")
                }
                (Some(live), Some(ready)) => {
                    assert_eq!(answered, [live, ready], "{ctx}: health paths")
                }
                (None, None) => assert!(answered.is_empty(), "{ctx}: paths without probes"),
                other => panic!("{ctx}: probes {other:?}"),
            }
            assert_eq!(
                text.contains("grpc.health.v1.Health"),
                !liveness["grpc"].is_null(),
                "{ctx}: the gRPC health service"
            );

            // Metrics: every metric the handbook names is read by this service's rules.
            if let Some(bullet) = bullets
                .iter()
                .find(|b| b.starts_with("Serves Prometheus metrics"))
            {
                for metric in [
                    quoted_after(bullet, "the counter `").unwrap(),
                    quoted_after(bullet, "the histogram `").unwrap(),
                ] {
                    assert!(
                        rules.contains(metric),
                        "{ctx}: the rules never read {metric}"
                    );
                }
            }

            // The grace period and the user.
            if let Some(seconds) = text
                .split("` (finishing or handing back work in flight) within ")
                .nth(1)
            {
                let seconds: u64 = seconds.split(' ').next().unwrap().parse().unwrap();
                assert_eq!(
                    pod["terminationGracePeriodSeconds"].as_u64(),
                    Some(seconds),
                    "{ctx}: grace period"
                );
            }
            // The user and the root filesystem: the one bullet that says who the service runs
            // as names what the container's securityContext sets.
            let said: Vec<&String> = bullets
                .iter()
                .filter(|b| b.starts_with("Runs as"))
                .collect();
            assert_eq!(said.len(), 1, "{ctx}: one bullet says who it runs as");
            let said = said[0];
            let sc = &container["securityContext"];
            let named_uid = said
                .split("user ")
                .skip(1)
                .find_map(|rest| rest.split(' ').next()?.parse::<u64>().ok());
            assert_eq!(named_uid, sc["runAsUser"].as_u64(), "{ctx}: user: {said}");
            let required =
                sc["runAsNonRoot"] == true && pod["securityContext"]["runAsNonRoot"] == true;
            assert_eq!(
                !required,
                said.contains("not require a non-root user")
                    || said.contains("cannot require a non-root user"),
                "{ctx}: whether a non-root user is required: {said}"
            );
            let read_only = sc["readOnlyRootFilesystem"].as_bool().unwrap();
            assert_eq!(
                read_only,
                said.contains("with a read-only root filesystem"),
                "{ctx}: read-only root: {said}"
            );
            assert_eq!(
                !read_only,
                said.contains("root filesystem stays writable"),
                "{ctx}: writable root: {said}"
            );
            let drops_all = sc["capabilities"]["drop"] == serde_yaml_ng::Value::from(vec!["ALL"]);
            assert_eq!(
                !drops_all,
                said.contains("keep the default capabilities but `NET_RAW`"),
                "{ctx}: capabilities: {said}"
            );
        }
    }
}

/// Every pod spec the manifests run in the application's namespace: the workloads of the base,
/// the Jobs of the overlays (database setup) and the release probes of the AnalysisTemplates,
/// each with where it is.
fn pod_specs(files: &Files) -> Vec<(String, serde_yaml_ng::Value)> {
    let mut out = Vec::new();
    for (path, doc) in documents(files, "deploy/kubernetes/") {
        let kind = doc["kind"].as_str().unwrap_or_default().to_owned();
        let here = format!(
            "{path} {kind} {}",
            doc["metadata"]["name"].as_str().unwrap_or("?")
        );
        match kind.as_str() {
            "Deployment" | "Rollout" | "Job" => {
                out.push((here, doc["spec"]["template"]["spec"].clone()))
            }
            "CronJob" => out.push((
                here,
                doc["spec"]["jobTemplate"]["spec"]["template"]["spec"].clone(),
            )),
            "AnalysisTemplate" => {
                for metric in doc["spec"]["metrics"].as_sequence().into_iter().flatten() {
                    let job = &metric["provider"]["job"];
                    if !job.is_null() {
                        out.push((here.clone(), job["spec"]["template"]["spec"].clone()));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// Why `pod` breaks the Pod Security Standards profile `level` (`baseline` or `restricted`),
/// as the standard words each control (<https://kubernetes.io/docs/concepts/security/pod-security-standards/>);
/// empty when it meets it.
fn pod_security_violations(pod: &serde_yaml_ng::Value, level: &str) -> Vec<String> {
    use serde_yaml_ng::Value;
    let mut out = Vec::new();
    let containers: Vec<&Value> = ["initContainers", "containers"]
        .iter()
        .flat_map(|k| pod[*k].as_sequence().into_iter().flatten())
        .collect();
    let strings = |v: &Value| -> Vec<String> {
        v.as_sequence()
            .into_iter()
            .flatten()
            .filter_map(|c| c.as_str().map(str::to_owned))
            .collect()
    };
    // Baseline.
    for key in ["hostNetwork", "hostPID", "hostIPC"] {
        if pod[key] == true {
            out.push(key.to_owned());
        }
    }
    if pod["volumes"]
        .as_sequence()
        .into_iter()
        .flatten()
        .any(|v| !v["hostPath"].is_null())
    {
        out.push("a hostPath volume".to_owned());
    }
    const BASELINE_CAPABILITIES: &[&str] = &[
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    ];
    for c in &containers {
        let sc = &c["securityContext"];
        if sc["privileged"] == true {
            out.push("a privileged container".to_owned());
        }
        for added in strings(&sc["capabilities"]["add"]) {
            if !BASELINE_CAPABILITIES.contains(&added.as_str()) {
                out.push(format!("capability {added} added"));
            }
        }
        if c["ports"]
            .as_sequence()
            .into_iter()
            .flatten()
            .any(|p| p["hostPort"].as_u64().unwrap_or(0) != 0)
        {
            out.push("a host port".to_owned());
        }
        if sc["seccompProfile"]["type"] == "Unconfined" {
            out.push("an unconfined seccomp profile".to_owned());
        }
    }
    if pod["securityContext"]["seccompProfile"]["type"] == "Unconfined" {
        out.push("an unconfined seccomp profile".to_owned());
    }
    if level == "baseline" {
        return out;
    }
    // Restricted.
    const VOLUMES: &[&str] = &[
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "persistentVolumeClaim",
        "projected",
        "secret",
    ];
    for volume in pod["volumes"].as_sequence().into_iter().flatten() {
        for key in volume.as_mapping().into_iter().flat_map(|m| m.keys()) {
            let key = key.as_str().unwrap_or_default();
            if key != "name" && !VOLUMES.contains(&key) {
                out.push(format!("a {key} volume"));
            }
        }
    }
    let pod_sc = &pod["securityContext"];
    for c in &containers {
        let sc = &c["securityContext"];
        let name = c["name"].as_str().unwrap_or("?");
        if sc["allowPrivilegeEscalation"] != false {
            out.push(format!("{name} may escalate privileges"));
        }
        if !(sc["runAsNonRoot"] == true
            || (pod_sc["runAsNonRoot"] == true && sc["runAsNonRoot"].is_null()))
        {
            out.push(format!("{name} is not required to run as non-root"));
        }
        if sc["runAsUser"] == 0 || (sc["runAsUser"].is_null() && pod_sc["runAsUser"] == 0) {
            out.push(format!("{name} runs as user 0"));
        }
        let seccomp = if sc["seccompProfile"]["type"].is_null() {
            &pod_sc["seccompProfile"]["type"]
        } else {
            &sc["seccompProfile"]["type"]
        };
        if seccomp != "RuntimeDefault" && seccomp != "Localhost" {
            out.push(format!(
                "{name} has no RuntimeDefault or Localhost seccomp profile"
            ));
        }
        if !strings(&sc["capabilities"]["drop"])
            .iter()
            .any(|c| c == "ALL")
        {
            out.push(format!("{name} does not drop ALL capabilities"));
        }
        if strings(&sc["capabilities"]["add"])
            .iter()
            .any(|c| c != "NET_BIND_SERVICE")
        {
            out.push(format!(
                "{name} adds a capability other than NET_BIND_SERVICE"
            ));
        }
    }
    out
}

/// The namespace admits every pod the manifests run, and enforces the strictest profile that
/// does: Pod Security admission's level (the platform module's namespace label, which every
/// environment's platform root applies) is `restricted` unless some rendered pod cannot meet
/// it, and then `baseline`, which every pod meets. Computed from the rendered pod specs against
/// the standard's controls, so a workload scaffold renders is never refused by its namespace.
#[test]
fn the_namespace_admits_every_pod_and_enforces_the_strictest_level_they_meet() {
    let mut baseline = 0;
    for (name, _, files) in examples() {
        let module = &files["infra/modules/platform/main.tf"];
        let label = |mode: &str| {
            let key = format!("\"pod-security.kubernetes.io/{mode}\"");
            let line = module
                .lines()
                .find(|l| l.trim_start().starts_with(&key))
                .unwrap_or_else(|| panic!("{name}: no {mode} label"));
            line.rsplit('"').nth(1).unwrap().to_owned()
        };
        let enforce = label("enforce");
        assert_eq!(label("warn"), "restricted", "{name}: warn");
        assert_eq!(label("audit"), "restricted", "{name}: audit");
        let pods = pod_specs(&files);
        assert!(!pods.is_empty(), "{name}: no pods");
        for (here, pod) in &pods {
            let broken = pod_security_violations(pod, &enforce);
            assert!(
                broken.is_empty(),
                "{name}: {here} breaks {enforce}: {broken:?}"
            );
        }
        let below: Vec<&String> = pods
            .iter()
            .filter(|(_, pod)| !pod_security_violations(pod, "restricted").is_empty())
            .map(|(here, _)| here)
            .collect();
        assert_eq!(
            enforce,
            if below.is_empty() {
                "restricted"
            } else {
                "baseline"
            },
            "{name}: pods below restricted: {below:?}"
        );
        if enforce == "baseline" {
            baseline += 1;
            // The docs say so wherever they name the level.
            let handbook = &files["docs/devops/README.md"];
            assert!(
                handbook.contains("enforces the Pod Security Standards `baseline` profile")
                    && !handbook.contains("Pod Security `restricted`,"),
                "{name}: the handbook names the level the namespace enforces"
            );
        }
    }
    assert!(baseline >= 1, "some example runs an image below restricted");
}

/// The `USER` of the final stage of a Dockerfile, read plainly (no stage aliases), with `ARG`
/// defaults substituted: what the examples' own Dockerfiles say, for checking the model.
fn user_of(dockerfile: &str) -> Option<String> {
    let mut user = None;
    let mut args = Vec::new();
    for line in dockerfile.lines().map(str::trim) {
        if line.starts_with("FROM ") {
            user = None;
        } else if let Some(arg) = line.strip_prefix("ARG ") {
            if let Some((k, v)) = arg.split_once('=') {
                args.push((format!("${{{k}}}"), v.to_owned()));
            }
        } else if let Some(u) = line.strip_prefix("USER ") {
            let mut u = u.trim().to_owned();
            for (k, v) in &args {
                u = u.replace(k.as_str(), v);
            }
            user = Some(u);
        }
    }
    user
}

/// A service built from the repository's own Dockerfile runs as that file says: its numeric
/// `USER` as `runAsUser` (and the group, when numbered) with a non-root requirement the kubelet
/// can check; a named user or none without either (the kubelet would refuse the pod); never a
/// read-only root filesystem scaffold cannot know the image allows. The handbook lists each
/// such Dockerfile under Clarifications with what to check, and writes no `.dockerignore` or
/// nginx configuration beside it. Computed from the example repositories' Dockerfiles and the
/// rendered workloads.
#[test]
fn a_kept_dockerfile_decides_how_its_pods_run() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/examples");
    let mut kept = 0;
    for (name, project, files) in examples() {
        let handbook = &files["docs/devops/README.md"];
        let clarifications = &handbook[handbook.find("## Clarifications").unwrap()..];
        for service in &project.services {
            let path = format!("{}Dockerfile", service.dir);
            let own = std::fs::read_to_string(root.join(&name).join(&path)).ok();
            assert_eq!(
                own.is_some(),
                service.dockerfile.is_some(),
                "{name}: {path}"
            );
            let workload = documents(&files, &format!("deploy/kubernetes/base/{}/", service.name))
                .into_iter()
                .map(|(_, doc)| doc)
                .find(|doc| {
                    ["Deployment", "Rollout", "CronJob"]
                        .contains(&doc["kind"].as_str().unwrap_or(""))
                })
                .unwrap();
            let pod = if workload["kind"] == "CronJob" {
                workload["spec"]["jobTemplate"]["spec"]["template"]["spec"].clone()
            } else {
                workload["spec"]["template"]["spec"].clone()
            };
            let sc = &pod["containers"][0]["securityContext"];
            let ctx = format!("{name}: {}", service.name);
            let Some(own) = own else {
                assert_eq!(sc["readOnlyRootFilesystem"], true, "{ctx}");
                continue;
            };
            kept += 1;
            assert_eq!(
                sc["readOnlyRootFilesystem"], false,
                "{ctx}: the image may write anywhere"
            );
            assert_eq!(sc["allowPrivilegeEscalation"], false, "{ctx}");
            let user = user_of(&own);
            let (uid, gid) = match user
                .as_deref()
                .map(|u| u.split_once(':').unwrap_or((u, "")))
            {
                Some((uid, gid)) => (uid.parse::<u64>().ok(), gid.parse::<u64>().ok()),
                None => (None, None),
            };
            let uid = uid.filter(|u| *u != 0);
            for sc in [sc, &pod["securityContext"]] {
                assert_eq!(
                    sc["runAsUser"].as_u64(),
                    uid,
                    "{ctx}: runAsUser for USER {user:?}"
                );
                assert_eq!(
                    sc["runAsNonRoot"].as_bool(),
                    uid.map(|_| true),
                    "{ctx}: runAsNonRoot"
                );
                assert_eq!(
                    sc["runAsGroup"].as_u64(),
                    gid.filter(|_| uid.is_some()),
                    "{ctx}: runAsGroup"
                );
            }
            let root_user = matches!(
                user.as_deref(),
                None | Some("root" | "0" | "0:0" | "root:root")
            );
            assert_eq!(
                sc["capabilities"]["drop"],
                serde_yaml_ng::Value::from(vec![if root_user { "NET_RAW" } else { "ALL" }]),
                "{ctx}: capabilities"
            );
            let row = clarifications
                .lines()
                .find(|l| l.starts_with(&format!("| `{path}` (your own Dockerfile) |")))
                .unwrap_or_else(|| panic!("{ctx}: no clarification for {path}"));
            match &user {
                Some(user) => assert!(row.contains(&format!("`USER {user}`")), "{ctx}: {row}"),
                None => assert!(row.contains("sets no `USER`"), "{ctx}: {row}"),
            }
            assert!(row.contains("where the app writes"), "{ctx}: {row}");
            if let Some(port) = service.port {
                assert!(row.contains(&format!("`PORT` ({port})")), "{ctx}: {row}");
            }
            for other in [".dockerignore", "Dockerfile.dockerignore", "nginx.conf"] {
                let other = format!("{}{other}", service.dir);
                assert!(
                    !files.contains_key(&other),
                    "{ctx}: {other} beside its own Dockerfile"
                );
            }
        }
    }
    assert!(kept >= 4, "the examples keep their own Dockerfiles");
}
