//! Validators for the Kubernetes family: kustomize builds, strict schema validation, and checkov.
//!
//! Every check works on what an environment really runs: the output of
//! `kubectl kustomize` for each overlay (and the Argo CD folder), never on the
//! base alone. Core kinds are validated by kubernetes-validate in strict mode;
//! custom resources against the CRD JSON schemas in the shared folder. A kind
//! that is neither a core kind nor one of the custom resources listed in
//! [`CUSTOM_RESOURCES`] is a finding.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Result, bail};

use super::{Context, Example, Outcome, Validator, lines, output};

/// This family's validators, in table column order.
pub const VALIDATORS: &[Validator] = &[
    Validator {
        name: "kustomize",
        run: kustomize,
    },
    Validator {
        name: "k8s-schema",
        run: k8s_schema,
    },
    Validator {
        name: "checkov-k8s",
        run: checkov,
    },
];

/// The Kubernetes version manifests are validated for.
const KUBERNETES_VERSION: &str = "1.33";

/// The custom resources scaffold emits, and only those: apiVersion, kind, schema below the shared folder.
/// (TLS comes from cert-manager's ingress annotation, so no `Certificate` is emitted.)
pub const CUSTOM_RESOURCES: &[(&str, &str, &str)] = &[
    (
        "argoproj.io/v1alpha1",
        "Rollout",
        "crd-schemas/argoproj.io/rollout_v1alpha1.json",
    ),
    (
        "argoproj.io/v1alpha1",
        "AnalysisTemplate",
        "crd-schemas/argoproj.io/analysistemplate_v1alpha1.json",
    ),
    (
        "argoproj.io/v1alpha1",
        "Application",
        "crd-schemas/argoproj.io/application_v1alpha1.json",
    ),
    (
        "argoproj.io/v1alpha1",
        "AppProject",
        "crd-schemas/argoproj.io/appproject_v1alpha1.json",
    ),
    (
        "external-secrets.io/v1",
        "SecretStore",
        "crd-schemas/external-secrets.io/secretstore_v1.json",
    ),
    (
        "external-secrets.io/v1",
        "ExternalSecret",
        "crd-schemas/external-secrets.io/externalsecret_v1.json",
    ),
    (
        "monitoring.coreos.com/v1",
        "ServiceMonitor",
        "crd-schemas/monitoring.coreos.com/servicemonitor_v1.json",
    ),
    (
        "monitoring.coreos.com/v1",
        "PrometheusRule",
        "crd-schemas/monitoring.coreos.com/prometheusrule_v1.json",
    ),
];

/// The folders `kubectl kustomize` must build: every overlay, and the Argo CD folder.
fn kustomize_dirs(example: &Example) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = example
        .project
        .environments
        .iter()
        .map(|env| &env.names.overlay_dir)
        .chain(
            example
                .files
                .contains_key("deploy/kubernetes/argocd/kustomization.yaml")
                .then_some(&"deploy/kubernetes/argocd".to_owned()),
        )
        .filter(|dir| {
            example
                .files
                .contains_key(&format!("{dir}/kustomization.yaml"))
        })
        .map(|dir| example.dir.join(dir))
        .collect();
    dirs.dedup();
    dirs
}

/// `kubectl kustomize` builds every overlay and the Argo CD folder.
pub fn kustomize(_ctx: &Context, example: &Example) -> Result<Outcome> {
    let dirs = kustomize_dirs(example);
    if dirs.is_empty() {
        return Ok(Outcome::NotApplicable);
    }
    let mut findings = Vec::new();
    for dir in dirs {
        let (_, stderr, code) = output(Command::new("kubectl").arg("kustomize").arg(&dir))?;
        if code != 0 {
            let relative = dir
                .strip_prefix(&example.dir)
                .unwrap_or(&dir)
                .display()
                .to_string();
            findings.extend(
                lines(&stderr, &example.dir)
                    .into_iter()
                    .map(|line| format!("{relative}: {line}")),
            );
            if stderr.trim().is_empty() {
                findings.push(format!("{relative}: kubectl kustomize exited with {code}"));
            }
        }
    }
    Ok(Outcome::Findings(findings))
}

/// Every document of every build validates strictly, core kinds and custom resources alike.
pub fn k8s_schema(ctx: &Context, example: &Example) -> Result<Outcome> {
    let dirs = kustomize_dirs(example);
    if dirs.is_empty() {
        return Ok(Outcome::NotApplicable);
    }
    let mut command = ctx.tools.python(&ctx.root, "k8s_validate.py");
    command.arg(KUBERNETES_VERSION);
    for (api_version, kind, schema) in CUSTOM_RESOURCES {
        command
            .arg("--crd")
            .arg(api_version)
            .arg(kind)
            .arg(ctx.schema(schema)?);
    }
    command.arg("--").args(&dirs);
    let (stdout, stderr, code) = output(&mut command)?;
    if code == 2 || (code != 0 && stdout.trim().is_empty()) {
        bail!("kubernetes validation failed: {stderr}");
    }
    Ok(Outcome::Findings(lines(&stdout, &example.dir)))
}

/// checkov's kubernetes and kustomize frameworks over `deploy/kubernetes` with zero failed checks.
pub fn checkov(ctx: &Context, example: &Example) -> Result<Outcome> {
    if kustomize_dirs(example).is_empty() {
        return Ok(Outcome::NotApplicable);
    }
    super::checkov(
        ctx,
        example,
        &example.dir.join("deploy/kubernetes"),
        &["kubernetes", "kustomize"],
    )
}
