//! Cross-family agreement: the names one family uses exist in the family that defines them.
//!
//! Each family reads its names from core, so these hold by construction; the
//! test keeps it that way. It renders every example and checks the joints a
//! user would otherwise discover on the first push: an alert without a
//! runbook, a workflow assuming a role Terraform never creates, a deploy job
//! pointing at an overlay that does not exist.

use std::collections::BTreeSet;
use std::fs;
use std::path::PathBuf;

use scaffold_core::Project;
use scaffold_core::project::Facts;
use scaffold_render::Files;
use serde::Deserialize as _;

fn examples() -> Vec<(String, Project, Files)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/examples");
    let mut paths: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let project =
                Project::from_toml(&fs::read_to_string(&path).unwrap(), &Facts::default()).unwrap();
            let files = scaffold_render::render(&project).unwrap();
            (
                path.file_stem().unwrap().to_string_lossy().into_owned(),
                project,
                files,
            )
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
        } else {
            assert!(
                terraform.contains(&project.oidc_pull_request_subject),
                "{name}: no plan identity trusts pull requests"
            );
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
            if let Some(key) = &output.key {
                // Map outputs are keyed by environment or service name.
                let known = project.environments.iter().any(|e| &e.name == key)
                    || project.services.iter().any(|s| &s.name == key);
                assert!(
                    known,
                    "{example}: {} reads unknown key {key}",
                    variable.name
                );
            }
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
                    let (datastore, in_env) = project
                        .datastores
                        .iter()
                        .zip(&env.datastores)
                        .find(|(_, d)| d.secret == key)
                        .unwrap_or_else(|| panic!("{name}: {path}: {key} is no datastore secret"));
                    assert!(
                        main.contains(&format!("secret_name            = \"{}\"", in_env.secret))
                            || main.contains(&format!("secret_name    = \"{}\"", in_env.secret)),
                        "{name}: {} writes no secret {key}",
                        env.names.terraform_dir
                    );
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
