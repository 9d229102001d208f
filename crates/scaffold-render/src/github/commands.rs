//! The one table of what the generated jobs do with a cloud identity: each command or
//! action they render, and the [`Operation`]s (and, for kubectl, the Kubernetes API calls)
//! it performs.
//!
//! The access model in core says which identity may perform which operation; this table
//! says which operation each rendered command is. The tests read every rendered workflow,
//! match every cloud, Terraform and kubectl command against this table (an unmatched one
//! fails), and check both directions: every operation a job performs is held by the
//! identity it runs as, and every operation an identity holds is performed by some job.
//!
//! [`Operation`]: scaffold_core::access::Operation

/// An operation of [`scaffold_core::access::Operation`], without its parameters: the
/// namespace of [`Performs::UseNamespace`] is the one the command names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Performs {
    /// [`scaffold_core::access::Operation::PushImages`].
    PushImages,
    /// [`scaffold_core::access::Operation::ReadState`].
    ReadState,
    /// [`scaffold_core::access::Operation::LockState`] (not with `-lock=false`).
    LockState,
    /// [`scaffold_core::access::Operation::WriteState`].
    WriteState,
    /// [`scaffold_core::access::Operation::ReadInfrastructure`].
    ReadInfrastructure,
    /// [`scaffold_core::access::Operation::ManageInfrastructure`] in a cloud root,
    /// [`scaffold_core::access::Operation::AdministerCluster`] in a platform root.
    ApplyRoot,
    /// [`scaffold_core::access::Operation::GetClusterCredentials`].
    GetClusterCredentials,
    /// [`scaffold_core::access::Operation::UseNamespace`] of the namespace the command names.
    UseNamespace,
}

/// Where a command appears.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// A shell command in a `run:` script, matched by its prefix.
    Run,
    /// A step's `uses:` action path.
    Uses,
}

/// A Kubernetes API call: group, resource, verbs.
pub type KubeCall = (&'static str, &'static str, &'static [&'static str]);

/// One rendered command.
#[derive(Debug, Clone, Copy)]
pub struct Command {
    /// A `run:` command prefix or a `uses:` action path.
    pub pattern: &'static str,
    /// Which of the two.
    pub form: Form,
    /// What it does with the job's identity; empty for commands that use none.
    pub performs: &'static [Performs],
    /// The Kubernetes API calls of a kubectl command.
    pub kube: &'static [KubeCall],
}

const fn run(
    pattern: &'static str,
    performs: &'static [Performs],
    kube: &'static [KubeCall],
) -> Command {
    Command {
        pattern,
        form: Form::Run,
        performs,
        kube,
    }
}

const fn uses(pattern: &'static str, performs: &'static [Performs]) -> Command {
    Command {
        pattern,
        form: Form::Uses,
        performs,
        kube: &[],
    }
}

const READ: &[&str] = &["get", "list", "watch"];
use Performs::{
    ApplyRoot, GetClusterCredentials, LockState, PushImages, ReadInfrastructure, ReadState,
    UseNamespace, WriteState,
};

/// Every command the generated workflows run with, or to reach, a cloud identity.
pub const COMMANDS: &[Command] = &[
    // Registries.
    uses("aws-actions/amazon-ecr-login", &[PushImages]),
    uses("docker/build-push-action", &[PushImages]),
    uses("anchore/sbom-action", &[PushImages]),
    uses("actions/attest-build-provenance", &[PushImages]),
    uses("actions/attest", &[PushImages]),
    run("az acr login", &[PushImages], &[]),
    // Terraform.
    run("terraform -chdir=\"$dir\" init -backend=false", &[], &[]),
    run("terraform -chdir=\"$dir\" validate", &[], &[]),
    run("terraform fmt", &[], &[]),
    run("terraform -chdir=\"$DIR\" init", &[ReadState], &[]),
    run(
        "terraform -chdir=\"$DIR\" plan",
        &[ReadState, LockState, ReadInfrastructure],
        &[],
    ),
    run("terraform -chdir=\"$DIR\" show", &[], &[]),
    run(
        "terraform -chdir=\"$DIR\" apply",
        &[
            ReadState,
            LockState,
            WriteState,
            ReadInfrastructure,
            ApplyRoot,
        ],
        &[],
    ),
    run("az storage blob list", &[ReadState], &[]),
    // Cluster credentials.
    run("aws eks update-kubeconfig", &[GetClusterCredentials], &[]),
    uses(
        "google-github-actions/get-gke-credentials",
        &[GetClusterCredentials],
    ),
    run("az aks get-credentials", &[GetClusterCredentials], &[]),
    run("kubelogin convert-kubeconfig", &[], &[]),
    run("kubectl config view", &[], &[]),
    // The deploy job's Kubernetes calls.
    // Which kinds the overlay holds, and so which rules the apply needs, is the overlay's
    // business: the Kubernetes family checks every kind against the deploy Role.
    run("kubectl apply", &[UseNamespace], &[]),
    run(
        "kubectl get rollout",
        &[UseNamespace],
        &[("argoproj.io", "rollouts", &["get"])],
    ),
    run(
        "kubectl get deployment",
        &[UseNamespace],
        &[("apps", "deployments", &["get"])],
    ),
    run(
        "kubectl get cronjob",
        &[UseNamespace],
        &[("batch", "cronjobs", &["get"])],
    ),
    // The roll-back's `changed` helper reads the workload kinds the steps above read by name.
    run("kubectl get \"$1\"", &[UseNamespace], &[]),
    run(
        "kubectl get service",
        &[UseNamespace],
        &[("", "services", &["get"])],
    ),
    run(
        "kubectl port-forward",
        &[UseNamespace],
        &[
            ("", "services", &["get"]),
            ("", "pods", &["get", "list"]),
            ("", "pods/portforward", &["create"]),
        ],
    ),
    run(
        "kubectl rollout status deployment",
        &[UseNamespace],
        &[("apps", "deployments", READ), ("apps", "replicasets", READ)],
    ),
    run(
        "kubectl rollout undo deployment",
        &[UseNamespace],
        &[
            ("apps", "deployments", &["get", "patch"]),
            ("apps", "replicasets", &["list"]),
        ],
    ),
    run(
        "kubectl argo rollouts status",
        &[UseNamespace],
        &[
            ("argoproj.io", "rollouts", READ),
            ("argoproj.io", "analysisruns", READ),
            ("argoproj.io", "experiments", READ),
            ("apps", "replicasets", READ),
            ("apps", "deployments", READ),
            ("", "pods", READ),
        ],
    ),
    run(
        "kubectl argo rollouts promote",
        &[UseNamespace],
        &[
            ("argoproj.io", "rollouts", &["get", "patch"]),
            ("argoproj.io", "rollouts/status", &["patch"]),
        ],
    ),
    run(
        "kubectl argo rollouts abort",
        &[UseNamespace],
        &[
            ("argoproj.io", "rollouts", &["get"]),
            ("argoproj.io", "rollouts/status", &["patch"]),
        ],
    ),
    run(
        "kubectl argo rollouts undo",
        &[UseNamespace],
        &[
            ("argoproj.io", "rollouts", &["get", "patch"]),
            ("apps", "replicasets", &["list"]),
        ],
    ),
    run(
        "kubectl patch cronjob",
        &[UseNamespace],
        &[("batch", "cronjobs", &["get", "patch"])],
    ),
    run(
        "kubectl get pods",
        &[UseNamespace],
        &[("", "pods", &["list"])],
    ),
    run(
        "kubectl get events",
        &[UseNamespace],
        &[("", "events", &["list"])],
    ),
    run(
        "kubectl logs",
        &[UseNamespace],
        &[("", "pods", &["get"]), ("", "pods/log", &["get"])],
    ),
    run(
        "kubectl get application",
        &[UseNamespace],
        &[("argoproj.io", "applications", &["get"])],
    ),
];

/// The programs whose every call must match a row of [`COMMANDS`].
pub const GUARDED: &[&str] = &["kubectl", "terraform", "aws", "az", "gcloud", "kubelogin"];

/// The row matching a `run:` line's command starting at `text`, if any.
pub fn run_command(text: &str) -> Option<&'static Command> {
    COMMANDS
        .iter()
        .filter(|c| c.form == Form::Run && text.starts_with(c.pattern))
        .max_by_key(|c| c.pattern.len())
}

/// The row of a `uses:` action path (without the ref), if any.
pub fn action(path: &str) -> Option<&'static Command> {
    COMMANDS
        .iter()
        .find(|c| c.form == Form::Uses && c.pattern == path)
}
