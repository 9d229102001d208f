//! The Kubernetes family: a kustomize base and one overlay per environment under `deploy/kubernetes/`.
//!
//! The base says *what* each service is: its hardened workload (a `Deployment`
//! for rolling updates and workers, an Argo Rollouts `Rollout` for canary and
//! blue-green releases of listening services, a `CronJob` for scheduled jobs),
//! its `Service`s, `ServiceAccount`, `ConfigMap`, `NetworkPolicy` and
//! `ServiceMonitor`, plus the namespace-wide default-deny policy and the
//! `AnalysisTemplate`s rollouts use. Each overlay says *where and how big*:
//! resources, topology spread, autoscaling and disruption budgets, ingress hosts
//! with cert-manager TLS and canary traffic routing, the secret stores of that
//! environment's cloud secret manager, the job that creates the datastores'
//! application users, the alert rules and the dashboards scoped to its namespace.
//!
//! The namespace itself, the deploy identity's RBAC and the controllers these
//! manifests rely on are the platform root's (`infra/environments/<env>/platform/`),
//! applied by a cluster administrator; overlays hold namespaced objects only.
//! Workloads an autoscaler sizes carry no `replicas`, so applying never fights it.
//!
//! Workload patches in overlays are JSON 6902 patches rather than strategic
//! merges: kustomize does not know the `Rollout` schema, so a strategic merge
//! would replace the whole container list instead of merging into it.
//!
//! Every value comes from the [`Project`]; this module computes the view each
//! template needs and the templates only format it.

use serde::Serialize;

use scaffold_core::Project;
use scaffold_core::alerts::{LATENCY_METRIC, REQUESTS_METRIC};
use scaffold_core::datastore::Property;
use scaffold_core::image::{ImageUser, RunAs};
use scaffold_core::names::ClusterAddons;
use scaffold_core::project::{Environment, Service};
use scaffold_core::vocabulary::{Language, Provider, ServiceKind, Strategy, WorkloadKind};

use crate::engine::Prepared;
use crate::{Engine, Files, RenderError};

mod dashboard;
mod setup;

/// Template ids of this family.
mod template {
    pub const BASE_KUSTOMIZATION: &str = "kubernetes/base/kustomization.yaml.tera";
    pub const BASE_NETWORK_POLICY: &str = "kubernetes/base/networkpolicy.yaml.tera";
    pub const BASE_ANALYSIS: &str = "kubernetes/base/analysistemplate.yaml.tera";
    pub const SERVICE_ACCOUNT: &str = "kubernetes/service/serviceaccount.yaml.tera";
    pub const SERVICE_CONFIG: &str = "kubernetes/service/configmap.yaml.tera";
    pub const SERVICE_SERVICES: &str = "kubernetes/service/service.yaml.tera";
    pub const SERVICE_WORKLOAD: &str = "kubernetes/service/workload.yaml.tera";
    pub const SERVICE_NETWORK_POLICY: &str = "kubernetes/service/networkpolicy.yaml.tera";
    pub const SERVICE_MONITOR: &str = "kubernetes/service/servicemonitor.yaml.tera";
    pub const OVERLAY_KUSTOMIZATION: &str = "kubernetes/overlay/kustomization.yaml.tera";
    pub const OVERLAY_INGRESS: &str = "kubernetes/overlay/ingress.yaml.tera";
    pub const OVERLAY_CANARY: &str = "kubernetes/overlay/canary.yaml.tera";
    pub const OVERLAY_SECRETS: &str = "kubernetes/overlay/secrets.yaml.tera";
    pub const OVERLAY_AUTOSCALING: &str = "kubernetes/overlay/autoscaling.yaml.tera";
    pub const OVERLAY_RULES: &str = "kubernetes/overlay/prometheusrule.yaml.tera";
    pub const OVERLAY_DASHBOARDS: &str = "kubernetes/overlay/dashboards.yaml.tera";
    pub const OVERLAY_SETUP: &str = "kubernetes/overlay/database-setup.yaml.tera";
    pub const README: &str = "kubernetes/README.md.tera";
}

/// The folder of the kustomize base.
const BASE_DIR: &str = "deploy/kubernetes/base";

/// The release probe images, pinned by digest (the multi-platform index each tag points to).
/// curl for web services (it runs as a non-root user and needs no shell).
const CURL_IMAGE: &str = "curlimages/curl:8.16.0@sha256:463eaf6072688fe96ac64fa623fe73e1dbe25d8ad6c34404a669ad3ce1f104b6";
/// grpc_health_probe for gRPC services (a static binary on distroless, user 65532).
const GRPC_PROBE_IMAGE: &str = "ghcr.io/grpc-ecosystem/grpc-health-probe:v0.4.47@sha256:c96d67e1e2f55c61d152bb1230ad4e2fbe56345d07bc45e789f2712f284ccc31";
/// The non-root user the probe and setup containers run as.
const TOOL_UID: u32 = 65532;
/// How long Kubernetes waits after `SIGTERM` before it kills a container
/// (`terminationGracePeriodSeconds`); the handbook's contract section states it.
pub const TERMINATION_GRACE_SECONDS: u32 = 30;

/// The fewest requests a version must serve in an analysis window before its success
/// rate and latency are judged; below it, a measurement is inconclusive (neither passed
/// nor failed), and too many inconclusive measurements pause the release for a person.
pub const MIN_ANALYSIS_REQUESTS: u32 = 30;

/// One checkov exception written on a resource as a `checkov.io/skipN` annotation.
#[derive(Debug, Clone, Serialize)]
struct Skip {
    /// The annotation key, `checkov.io/skip1`, `checkov.io/skip2`...
    key: String,
    /// `CKV_K8S_XX=reason`.
    value: String,
}

/// Builds numbered checkov skip annotations from `(check id, reason)` pairs.
fn skips(list: &[(&str, String)]) -> Vec<Skip> {
    list.iter()
        .enumerate()
        .map(|(i, (id, reason))| Skip {
            key: format!("checkov.io/skip{}", i + 1),
            value: format!("{id}={reason}"),
        })
        .collect()
}

/// A datastore as one service sees it.
#[derive(Debug, Clone, Serialize)]
struct DatastoreView {
    /// The datastore's name.
    name: String,
    /// The environment variables (and Secret keys) the service reads it from.
    variables: Vec<String>,
    /// The port clients use in the cloud, opened for egress.
    port: u16,
}

/// The CA of a datastore whose certificate an instance CA signs, mounted from the Secret.
#[derive(Debug, Clone, Serialize)]
struct CaMount {
    /// The volume's name.
    volume: String,
    /// The key of the CA in the service's Secret.
    secret_key: String,
    /// The folder it is mounted in.
    dir: String,
    /// The file's name in that folder.
    file: String,
    /// The variable holding the file's path, and the path.
    variable: String,
    /// The file's absolute path.
    path: String,
}

/// Everything the per-service templates need, computed once per service.
#[derive(Debug, Clone, Serialize)]
struct ServiceView {
    /// The service's name: workload, container, `Service` and `SecretStore` name.
    name: String,
    /// `web`, `grpc`, `worker` or `job`.
    kind: String,
    /// The workload's kind: `Deployment`, `Rollout` or `CronJob`.
    workload_kind: String,
    /// The workload's `apiVersion`.
    workload_api_version: String,
    /// The workload's API group, for kustomize patch targets.
    workload_group: String,
    /// The workload's API version without group, for kustomize patch targets.
    workload_version: String,
    /// The workload is an Argo Rollouts `Rollout`.
    rollout: bool,
    /// The workload is a `CronJob`.
    cronjob: bool,
    /// A `HorizontalPodAutoscaler` sizes the workload (everything but CronJobs), so it
    /// carries no `replicas`.
    scaled: bool,
    /// The `CronJob` schedule.
    schedule: Option<String>,
    /// The container port, named after its protocol (`http` or `grpc`); `None` when the
    /// service listens on none (workers, jobs), which then get no `Service`.
    port: Option<u16>,
    /// The name of the container port: `http` or `grpc`.
    port_name: &'static str,
    /// The pod's and container's `securityContext`, as core decided it for the image.
    run_as: RunAs,
    /// Why the workload is secured as it is, as comment lines (without `# `).
    hardening: Vec<String>,
    /// The container keeps the runtime's default capabilities but those `run_as` drops (an
    /// image that may run as root).
    default_capabilities: bool,
    /// For an image built from the repository's own Dockerfile: why the security context
    /// differs from scaffold's image, as comment lines (without `# `) beside it.
    run_as_notes: Vec<String>,
    /// Startup and liveness probe path (web services).
    health_path: Option<String>,
    /// Readiness probe path (web services).
    readiness_path: Option<String>,
    /// Probed with the gRPC health protocol (`grpc:` probes).
    grpc_probes: bool,
    /// The label each revision's pods carry (`pod-template-hash`, or
    /// `rollouts-pod-template-hash` under Argo Rollouts): topology spread balances each revision.
    pod_template_hash: &'static str,
    /// The metrics path when the service exposes Prometheus metrics.
    metrics_path: Option<String>,
    /// Reachable through the ingress controller.
    public: bool,
    /// The image has a shell, so a `preStop` `sleep` can let endpoints drain.
    prestop_sleep: bool,
    /// The image name the base uses; the deploy workflow pins it to a digest.
    image: String,
    /// The `ServiceAccount` name.
    service_account: String,
    /// The `ConfigMap` name.
    config_map: String,
    /// The Secret the `ExternalSecret` creates.
    secret: String,
    /// The canary `Service` name (canary strategy with traffic routing).
    canary_service: String,
    /// The preview `Service` name (blue-green strategy).
    preview_service: String,
    /// The datastores the service uses, in `uses` order.
    datastores: Vec<DatastoreView>,
    /// Distinct datastore ports, ascending, for egress rules.
    datastore_ports: Vec<u16>,
    /// Instance CAs mounted into the pods.
    ca_mounts: Vec<CaMount>,
    /// Node.js reads extra trusted CAs from one file (`NODE_EXTRA_CA_CERTS`): the first CA's path.
    node_extra_ca: Option<String>,
    /// The metrics `AnalysisTemplate` judges this Rollout (it exposes metrics).
    analysed: bool,
    /// Blue-green: the `AnalysisTemplate` probing the preview before promotion.
    probe_template: Option<String>,
    /// Blue-green web services: the path the probe requests on the preview.
    probe_path: Option<String>,
    /// checkov exceptions written on the workload.
    skips: Vec<Skip>,
}

/// Facts shared by every template of one project.
#[derive(Debug, Clone, Serialize)]
struct AppView {
    /// The application's name.
    name: String,
    /// The namespace the base declares (the application's name); every overlay replaces it
    /// with its environment's namespace. Declaring one keeps the base off `default`.
    base_namespace: String,
    /// The `app.kubernetes.io/part-of` value.
    part_of: String,
    /// `rolling`, `canary` or `blue-green`.
    strategy: String,
    /// True when some workload is an Argo Rollouts `Rollout` (canary and blue-green
    /// releases of listening services).
    rollouts: bool,
    /// `aws`, `gcp` or `azure`.
    provider: String,
    /// Azure pods carry the workload identity label.
    azure: bool,
    /// GKE pods need the metadata server for workload identity.
    gcp: bool,
    /// With GitOps, Argo CD applies the overlays (sync waves and hooks order them).
    gitops: bool,
    /// The metrics AnalysisTemplate, when some Rollout exposes metrics.
    analysis_template: Option<String>,
    /// The HTTP probe AnalysisTemplate, when some blue-green Rollout serves HTTP.
    http_probe_template: Option<String>,
    /// The gRPC probe AnalysisTemplate, when some blue-green Rollout serves gRPC.
    grpc_probe_template: Option<String>,
    /// The probe images and their user.
    curl_image: &'static str,
    /// The gRPC health probe image.
    grpc_probe_image: &'static str,
    /// The user the probe runs as.
    tool_uid: u32,
    /// Seconds between `SIGTERM` and `SIGKILL`.
    termination_grace_seconds: u32,
    /// The request counter and latency histogram the analysis reads.
    requests_metric: &'static str,
    latency_metric: &'static str,
    /// The cluster add-ons and their namespaces, issuer and endpoints.
    addons: ClusterAddons,
    /// Analysis: the lowest acceptable success ratio, such as `0.99`.
    success_rate: f64,
    /// Analysis: the highest acceptable p99 latency in seconds, such as `0.5`.
    latency_p99_seconds: f64,
    /// The p99 latency target in milliseconds, for comments.
    latency_p99_ms: u32,
    /// Analysis: the fewest requests per window to judge.
    min_requests: u32,
}

impl AppView {
    fn new(project: &Project) -> Self {
        let rollouts: Vec<&Service> = project
            .services
            .iter()
            .filter(|s| s.workload == WorkloadKind::Rollout)
            .collect();
        let blue_green = project.delivery.strategy == Strategy::BlueGreen;
        let name = &project.app.name;
        AppView {
            name: name.clone(),
            base_namespace: name.clone(),
            part_of: project.names.part_of.clone(),
            strategy: project.delivery.strategy.as_str().to_owned(),
            rollouts: !rollouts.is_empty(),
            provider: project.cloud.provider.as_str().to_owned(),
            azure: project.cloud.provider == Provider::Azure,
            gcp: project.cloud.provider == Provider::Gcp,
            gitops: project.delivery.gitops,
            analysis_template: rollouts
                .iter()
                .any(|s| s.metrics_path.is_some())
                .then(|| format!("{name}-analysis")),
            http_probe_template: (blue_green
                && rollouts.iter().any(|s| s.kind == ServiceKind::Web))
            .then(|| format!("{name}-http-probe")),
            grpc_probe_template: (blue_green
                && rollouts.iter().any(|s| s.kind == ServiceKind::Grpc))
            .then(|| format!("{name}-grpc-probe")),
            curl_image: CURL_IMAGE,
            grpc_probe_image: GRPC_PROBE_IMAGE,
            tool_uid: TOOL_UID,
            termination_grace_seconds: TERMINATION_GRACE_SECONDS,
            requests_metric: REQUESTS_METRIC,
            latency_metric: LATENCY_METRIC,
            addons: project.names.cluster_addons.clone(),
            success_rate: project.targets.analysis_success_rate,
            latency_p99_seconds: f64::from(project.targets.latency_p99_ms) / 1000.0,
            latency_p99_ms: project.targets.latency_p99_ms,
            min_requests: MIN_ANALYSIS_REQUESTS,
        }
    }
}

impl ServiceView {
    fn new(project: &Project, app: &AppView, service: &Service) -> Self {
        let datastores: Vec<DatastoreView> = service
            .connections
            .iter()
            .filter_map(|c| {
                let ds = project.datastore(&c.datastore)?;
                Some(DatastoreView {
                    name: ds.name.clone(),
                    variables: c
                        .variables
                        .parts()
                        .into_iter()
                        .map(|(_, name)| name.to_owned())
                        .collect(),
                    // The port clients use in the cloud (Memorystore with TLS: 6378), from the datastore table.
                    port: ds.cloud_port,
                })
            })
            .collect();
        let mut datastore_ports: Vec<u16> = datastores.iter().map(|d| d.port).collect();
        datastore_ports.sort_unstable();
        datastore_ports.dedup();
        let ca_mounts: Vec<CaMount> = service
            .connections
            .iter()
            .filter_map(|c| project.datastore(&c.datastore))
            .filter_map(|ds| {
                let ca = ds.ca_file.as_ref()?;
                let (dir, file) = ca.path.rsplit_once('/')?;
                Some(CaMount {
                    volume: format!("{}-ca", ds.name),
                    secret_key: ca.secret_key.clone(),
                    dir: dir.to_owned(),
                    file: file.to_owned(),
                    variable: ca.variable.clone(),
                    path: ca.path.clone(),
                })
            })
            .collect();
        let mut exceptions: Vec<(&str, String)> = vec![
            (
                "CKV_K8S_43",
                "the image digest is pinned at deploy time by kustomize edit set image".to_owned(),
            ),
            (
                "CKV_K8S_14",
                "the image tag is replaced by a digest at deploy time by kustomize edit set image"
                    .to_owned(),
            ),
        ];
        if !datastores.is_empty() {
            exceptions.push((
                "CKV_K8S_35",
                "the service reads its datastore credentials from the environment; External Secrets manages the Secret".to_owned(),
            ));
        }
        let run_as = &service.run_as;
        let own = service.dockerfile.as_ref().map_or("", |d| d.path.as_str());
        match (run_as.user, service.dockerfile.is_some()) {
            (Some(uid), false) if uid < 10_000 => exceptions.push((
                "CKV_K8S_40",
                "the UID must match the non-root user baked into the runtime image".to_owned(),
            )),
            (Some(uid), true) if uid < 10_000 => exceptions.push((
                "CKV_K8S_40",
                format!("the UID is the USER of {own}, the repository's own Dockerfile"),
            )),
            (None, _) => exceptions.push((
                "CKV_K8S_40",
                format!("the image runs as the USER of {own}, the repository's own Dockerfile, which names no UID"),
            )),
            _ => {}
        }
        if !run_as.non_root {
            let why = if service
                .dockerfile
                .as_ref()
                .is_some_and(|d| d.user.may_be_root())
            {
                format!("the image of {own} (the repository's own) runs as root")
            } else {
                format!(
                    "the USER of {own} (the repository's own) is a name the kubelet cannot check"
                )
            };
            exceptions.push((
                "CKV_K8S_23",
                format!("{why}, so requiring a non-root user would stop the pod"),
            ));
        }
        if !run_as.read_only_root {
            exceptions.push((
                "CKV_K8S_22",
                format!("where the image of {own} (the repository's own) writes is unknown"),
            ));
        }
        if !run_as.drops_all() {
            exceptions.push((
                "CKV_K8S_37",
                format!("the image of {own} may run as root, which needs the default capabilities; NET_RAW is dropped"),
            ));
        }
        if matches!(service.kind, ServiceKind::Worker | ServiceKind::Job) {
            let what = if service.kind == ServiceKind::Job {
                "a scheduled job runs to completion and serves no endpoint to probe"
            } else {
                "a worker serves no endpoint to probe and its image has no health command scaffold knows; Kubernetes restarts it when its process exits"
            };
            exceptions.push(("CKV_K8S_8", what.to_owned()));
            exceptions.push(("CKV_K8S_9", what.to_owned()));
        }
        let workload = service.workload;
        let rollout = workload == WorkloadKind::Rollout;
        let blue_green = rollout && project.delivery.strategy == Strategy::BlueGreen;
        ServiceView {
            name: service.name.clone(),
            kind: service.kind.as_str().to_owned(),
            workload_kind: workload.as_str().to_owned(),
            workload_api_version: workload.api_version().to_owned(),
            workload_group: workload.group().to_owned(),
            workload_version: workload.version().to_owned(),
            rollout,
            cronjob: workload == WorkloadKind::CronJob,
            scaled: workload != WorkloadKind::CronJob,
            schedule: service.schedule.clone(),
            port: service.port,
            port_name: if service.kind == ServiceKind::Grpc {
                "grpc"
            } else {
                "http"
            },
            run_as: service.run_as.clone(),
            hardening: hardening(service),
            run_as_notes: run_as_notes(service),
            default_capabilities: !service.run_as.drops_all(),
            health_path: service.health_path.clone(),
            readiness_path: service.readiness_path.clone(),
            grpc_probes: service.kind == ServiceKind::Grpc,
            pod_template_hash: if rollout {
                "rollouts-pod-template-hash"
            } else {
                "pod-template-hash"
            },
            metrics_path: service.metrics_path.clone(),
            public: service.public,
            prestop_sleep: service.shell && service.listens(),
            image: service.names.kustomize_image.clone(),
            service_account: service.names.service_account.clone(),
            config_map: service.names.config_map.clone(),
            secret: service.names.secret.clone(),
            canary_service: service.names.canary_service.clone(),
            preview_service: service.names.preview_service.clone(),
            datastores,
            datastore_ports,
            node_extra_ca: (service.language == Language::Node)
                .then(|| ca_mounts.first().map(|c| c.path.clone()))
                .flatten(),
            ca_mounts,
            analysed: rollout && service.metrics_path.is_some(),
            probe_template: if !blue_green {
                None
            } else if service.kind == ServiceKind::Grpc {
                app.grpc_probe_template.clone()
            } else {
                app.http_probe_template.clone()
            },
            probe_path: if blue_green {
                service.readiness_path.clone()
            } else {
                None
            },
            skips: skips(&exceptions),
        }
    }
}

/// Why a service's workload is secured as it is, for the comment above it.
fn hardening(service: &Service) -> Vec<String> {
    let name = &service.name;
    let Some(own) = &service.dockerfile else {
        return vec![
            format!(
                "{name}: hardened for the Pod Security \"restricted\" profile (non-root UID {} as in",
                service.uid
            ),
            "the image, read-only root filesystem with a writable /tmp, no privilege escalation, no"
                .to_owned(),
            "capabilities, RuntimeDefault seccomp, no service account token).".to_owned(),
        ];
    };
    let user = match &own.user {
        ImageUser::Id { written, .. } => format!(
            "runs as its `USER {written}`, which the kubelet checks is not root"
        ),
        ImageUser::Name { written } => format!(
            "runs as its `USER {written}`, a name the kubelet cannot check is not root, so no non-root user is required and the namespace enforces Pod Security \"baseline\""
        ),
        ImageUser::Root { written } => format!(
            "runs as root (`USER {written}`), so the namespace enforces Pod Security \"baseline\""
        ),
        ImageUser::Unset => "sets no `USER`, so it runs as its base image's user (root for most images) and the namespace enforces Pod Security \"baseline\"".to_owned(),
    };
    let capabilities = if service.run_as.drops_all() {
        "no capabilities"
    } else {
        "the runtime's default capabilities but NET_RAW"
    };
    comment(&format!(
        "{name}: built from the repository's own {path}, which scaffold keeps. The image {user}; its root filesystem stays writable (where it writes is unknown); no privilege escalation, {capabilities}, RuntimeDefault seccomp, no service account token.",
        path = own.path,
    ))
}

/// For an image built from the repository's own Dockerfile, why its `securityContext`
/// differs from scaffold's image, for the comment beside it.
fn run_as_notes(service: &Service) -> Vec<String> {
    let Some(own) = &service.dockerfile else {
        return Vec::new();
    };
    let user = match &own.user {
        ImageUser::Id { written, .. } => format!("The user is {}'s `USER {written}`.", own.path),
        // The kubelet refuses a container with runAsNonRoot whose image user is a name:
        // `verifyRunAsNonRoot`, kubernetes/kubernetes pkg/kubelet/kuberuntime/security_context_others.go.
        ImageUser::Name { written } => format!(
            "No runAsNonRoot or runAsUser: {}'s `USER {written}` is a name, and the kubelet refuses to start a container that must run as non-root when the image's user is not a number (\"cannot verify user is non-root\"). A numeric USER there restores both.",
            own.path
        ),
        ImageUser::Root { .. } | ImageUser::Unset => format!(
            "No runAsNonRoot or runAsUser: the image built from {} runs as root, which the kubelet would refuse to start under runAsNonRoot. A non-root numeric USER there restores both.",
            own.path
        ),
    };
    let mut text = format!(
        "{user} The root filesystem stays writable: scaffold cannot know where the image writes."
    );
    if !service.run_as.drops_all() {
        text.push_str(" A root process needs the runtime's default capabilities to switch to another user, bind a port below 1024 or write files it does not own, so only NET_RAW (raw sockets) is dropped.");
    }
    comment(&text)
}

/// `text` wrapped into comment lines of at most 96 characters, without the `# ` prefix.
fn comment(text: &str) -> Vec<String> {
    crate::wrap(text, 96)
}

/// Context of the base `kustomization.yaml`, the namespace-wide network policy and the AnalysisTemplates.
#[derive(Serialize)]
struct BaseContext<'a> {
    /// Application facts.
    app: &'a AppView,
    /// Every service, in file order.
    services: &'a [ServiceView],
    /// True when some service is public: cert-manager's HTTP-01 solvers need a policy.
    has_public: bool,
    /// True when release probes run (blue-green): they need a policy to reach the preview.
    has_probes: bool,
    /// True when some AnalysisTemplate is rendered.
    has_analysis: bool,
}

/// Context of `deploy/kubernetes/README.md`.
#[derive(Serialize)]
struct ReadmeContext<'a> {
    /// Application facts.
    app: &'a AppView,
    /// Every service.
    services: &'a [ServiceView],
    /// Every environment.
    environments: &'a [Environment],
    /// Every environment's overlay facts.
    overlays: Vec<ReadmeOverlay>,
    /// Whether Argo CD syncs the overlays.
    gitops: bool,
    /// The branch Argo CD tracks.
    gitops_branch: &'a str,
    /// The add-ons some environment installs.
    addons: Vec<&'static scaffold_core::platform::Addon>,
    /// Whether some environment runs database setup Jobs.
    has_setup: bool,
    /// What Pod Security admission enforces in the namespace, as the docs name it.
    pod_security: String,
}

/// One overlay, for the README.
#[derive(Serialize)]
struct ReadmeOverlay {
    /// The environment.
    name: String,
    /// The platform root that prepares its cluster.
    platform_dir: String,
    /// Whether canary traffic shifts through the ingress in it.
    routed: Vec<String>,
    /// Datastores whose application user a job creates.
    setups: Vec<String>,
}

/// Context of the per-service base templates.
#[derive(Serialize)]
struct ServiceContext<'a> {
    /// Application facts.
    app: &'a AppView,
    /// The service.
    service: &'a ServiceView,
    /// Base sizing: the first environment's, which every overlay restates.
    sizing: &'a scaffold_core::sizing::Sizing,
}

/// One `ExternalSecret` data entry: one property of a secret-manager entry.
#[derive(Debug, Clone, Serialize)]
struct SecretDatum {
    /// The key in the Kubernetes Secret: the variable the service reads, or the CA's file key.
    secret_key: String,
    /// The secret-manager entry.
    remote: String,
    /// The property of its JSON object.
    property: &'static str,
}

/// A service within one environment.
#[derive(Debug, Clone, Serialize)]
struct ServiceInEnv {
    /// The service (its base view).
    service: ServiceView,
    /// The public host, when the service is public and the environment has a domain.
    host: Option<String>,
    /// The TLS Secret cert-manager writes for the host.
    tls_secret: String,
    /// Canary with an ingress: Argo Rollouts shifts traffic through ingress-nginx.
    traffic_routing: bool,
    /// The `SecretStore`/`ExternalSecret` name.
    secret_store: String,
    /// What the `ExternalSecret` copies, in variable order.
    secret_data: Vec<SecretDatum>,
}

/// One alert rule of the PrometheusRule of an environment.
#[derive(Debug, Clone, Serialize)]
struct Rule {
    /// The alert name from the catalogue.
    name: String,
    /// `critical` or `warning`.
    severity: String,
    /// The `for` duration.
    for_duration: String,
    /// The PromQL expression, one entry per line.
    expr: Vec<String>,
    /// Short summary.
    summary: String,
    /// What fires it, in words.
    description: String,
    /// Link to the runbook.
    runbook_url: String,
}

/// A group of rules for one service.
#[derive(Debug, Clone, Serialize)]
struct RuleGroup {
    /// The service's name.
    service: String,
    /// Its rules, in catalogue order.
    rules: Vec<Rule>,
}

/// One Grafana dashboard, as a ConfigMap the sidecar loads.
#[derive(Debug, Clone, Serialize)]
struct DashboardView {
    /// The ConfigMap's name.
    config_map: String,
    /// The service.
    service: String,
    /// The file name inside the ConfigMap.
    file: String,
    /// The dashboard JSON. One string the template indents (`indent`), not a list of lines
    /// for it to loop over: a loop of a thousand lines per environment was the costliest
    /// render of a `new`.
    json: String,
}

/// Context of every overlay template of one environment.
#[derive(Serialize)]
struct OverlayContext<'a> {
    /// Application facts.
    app: &'a AppView,
    /// The environment.
    env: &'a Environment,
    /// The services in this environment.
    services: Vec<ServiceInEnv>,
    /// True when at least one service gets an `Ingress`.
    has_ingress: bool,
    /// True when at least one canary shifts traffic through an Ingress.
    has_canary_routing: bool,
    /// True when at least one service reads datastores (so secrets are rendered).
    has_secrets: bool,
    /// Cloud region (AWS Secrets Manager region).
    region: String,
    /// `https://<vault>.vault.azure.net` on Azure.
    vault_url: String,
    /// Zone spread: `DoNotSchedule` in production, `ScheduleAnyway` elsewhere.
    zone_when_unsatisfiable: &'static str,
    /// Alert groups, one per service.
    rule_groups: Vec<RuleGroup>,
    /// The dashboards, one per service.
    dashboards: Vec<DashboardView>,
    /// The database setup jobs.
    setups: Vec<setup::SetupView>,
    /// Their `ServiceAccount`, `SecretStore` and `app.kubernetes.io/name`.
    setup_account: &'static str,
    /// The label the Grafana sidecar loads dashboards by.
    dashboard_label: &'a (String, String),
}

/// The views of the application and of every service, which the base and the overlays read.
fn views(project: &Project) -> (AppView, Vec<ServiceView>) {
    let app = AppView::new(project);
    let services = project
        .services
        .iter()
        .map(|s| ServiceView::new(project, &app, s))
        .collect();
    (app, services)
}

/// Adds the README and the base: its kustomization and policies, and each service's files.
pub fn render_base(
    project: &Project,
    engine: &Engine,
    files: &mut Files,
) -> Result<(), RenderError> {
    let Some(first_env) = project.environments.first() else {
        return Ok(());
    };
    let (app, services) = views(project);

    let readme = ReadmeContext {
        pod_security: project.pod_security.phrase(),
        app: &app,
        services: &services,
        environments: &project.environments,
        overlays: project
            .environments
            .iter()
            .map(|env| ReadmeOverlay {
                name: env.name.clone(),
                platform_dir: env.names.platform_dir.clone(),
                routed: services
                    .iter()
                    .zip(&env.services)
                    .filter(|(s, in_env)| routed(project, s, in_env.host.as_deref()))
                    .map(|(s, _)| s.name.clone())
                    .collect(),
                setups: project
                    .database_setups(env)
                    .iter()
                    .map(|d| d.datastore.clone())
                    .collect(),
            })
            .collect(),
        gitops: project.delivery.gitops,
        gitops_branch: &project.names.gitops_branch,
        has_setup: project
            .environments
            .iter()
            .any(|env| !project.database_setups(env).is_empty()),
        addons: scaffold_core::platform::ADDONS
            .iter()
            .copied()
            .filter(|addon| {
                project
                    .environments
                    .iter()
                    .any(|env| project.addons(env).contains(addon))
            })
            .collect(),
    };
    files.insert(
        "deploy/kubernetes/README.md".to_owned(),
        engine.render(template::README, &readme)?,
    );

    let base = BaseContext {
        app: &app,
        services: &services,
        has_public: services.iter().any(|s| s.public),
        has_probes: app.http_probe_template.is_some() || app.grpc_probe_template.is_some(),
        has_analysis: app.analysis_template.is_some()
            || app.http_probe_template.is_some()
            || app.grpc_probe_template.is_some(),
    };
    files.insert(
        format!("{BASE_DIR}/kustomization.yaml"),
        engine.render(template::BASE_KUSTOMIZATION, &base)?,
    );
    files.insert(
        format!("{BASE_DIR}/networkpolicy.yaml"),
        engine.render(template::BASE_NETWORK_POLICY, &base)?,
    );
    if base.has_analysis {
        files.insert(
            format!("{BASE_DIR}/analysistemplate.yaml"),
            engine.render(template::BASE_ANALYSIS, &base)?,
        );
    }

    for service in &services {
        let ctx = ServiceContext {
            app: &app,
            service,
            sizing: &first_env.sizing,
        };
        let dir = format!("{BASE_DIR}/{}", service.name);
        let prepared = Prepared::new(template::SERVICE_WORKLOAD, &ctx)?;
        let mut add = |file: &str, id: &str| -> Result<(), RenderError> {
            files.insert(
                format!("{dir}/{file}"),
                engine.render_prepared(id, &prepared)?,
            );
            Ok(())
        };
        add("serviceaccount.yaml", template::SERVICE_ACCOUNT)?;
        add("configmap.yaml", template::SERVICE_CONFIG)?;
        if service.port.is_some() {
            add("service.yaml", template::SERVICE_SERVICES)?;
        }
        add("workload.yaml", template::SERVICE_WORKLOAD)?;
        add("networkpolicy.yaml", template::SERVICE_NETWORK_POLICY)?;
        if service.metrics_path.is_some() {
            add("servicemonitor.yaml", template::SERVICE_MONITOR)?;
        }
    }

    Ok(())
}

/// Adds an overlay per environment: four fifths of the family's work, so the render runs it
/// beside the base (see [`crate::render`]).
pub fn render_overlays(
    project: &Project,
    engine: &Engine,
    files: &mut Files,
) -> Result<(), RenderError> {
    let (app, services) = views(project);
    for env in &project.environments {
        let ctx = overlay_context(project, &app, &services, env);
        let dir = &env.names.overlay_dir;
        let prepared = Prepared::new(template::OVERLAY_KUSTOMIZATION, &ctx)?;
        let mut add = |file: &str, id: &str| -> Result<(), RenderError> {
            files.insert(
                format!("{dir}/{file}"),
                engine.render_prepared(id, &prepared)?,
            );
            Ok(())
        };
        add("kustomization.yaml", template::OVERLAY_KUSTOMIZATION)?;
        add("autoscaling.yaml", template::OVERLAY_AUTOSCALING)?;
        add("prometheusrule.yaml", template::OVERLAY_RULES)?;
        add("dashboards.yaml", template::OVERLAY_DASHBOARDS)?;
        if ctx.has_ingress {
            add("ingress.yaml", template::OVERLAY_INGRESS)?;
        }
        if ctx.has_canary_routing {
            add("canary.yaml", template::OVERLAY_CANARY)?;
        }
        if ctx.has_secrets {
            add("secrets.yaml", template::OVERLAY_SECRETS)?;
        }
        if !ctx.setups.is_empty() {
            add("database-setup.yaml", template::OVERLAY_SETUP)?;
        }
    }
    Ok(())
}

/// Whether `service`'s canary shifts traffic through the Ingress of `host`: ingress-nginx can
/// weigh only what it serves. Other canaries (no public host in the environment) split traffic
/// by the share of new pods behind their one Service.
fn routed(project: &Project, service: &ServiceView, host: Option<&str>) -> bool {
    project.delivery.strategy == Strategy::Canary && service.rollout && host.is_some()
}

/// What `service`'s `ExternalSecret` copies in `env`: each variable from the property of its
/// datastore's secret that holds it, and each instance CA.
fn secret_data(project: &Project, service: &Service, env: &Environment) -> Vec<SecretDatum> {
    let mut data = Vec::new();
    for connection in &service.connections {
        let Some(entry) = env
            .datastores
            .iter()
            .find(|d| d.datastore == connection.datastore)
        else {
            continue;
        };
        for (part, variable) in connection.variables.parts() {
            let property = match part {
                scaffold_core::connection::Part::Connection => connection.form.properties()[0],
                scaffold_core::connection::Part::Username => Property::Username,
                scaffold_core::connection::Part::Password => Property::Password,
            };
            data.push(SecretDatum {
                secret_key: variable.to_owned(),
                remote: entry.secret.clone(),
                property: property.key(),
            });
        }
        if let Some(ca) = project
            .datastore(&connection.datastore)
            .and_then(|ds| ds.ca_file.as_ref())
        {
            data.push(SecretDatum {
                secret_key: ca.secret_key.clone(),
                remote: entry.secret.clone(),
                property: Property::Ca.key(),
            });
        }
    }
    data
}

/// Builds the overlay view of `env`.
fn overlay_context<'a>(
    project: &'a Project,
    app: &'a AppView,
    services: &[ServiceView],
    env: &'a Environment,
) -> OverlayContext<'a> {
    let in_env: Vec<ServiceInEnv> = services
        .iter()
        .zip(&env.services)
        .zip(&project.services)
        .map(|((service, names), model)| {
            let host = names.host.clone();
            ServiceInEnv {
                traffic_routing: routed(project, service, host.as_deref()),
                tls_secret: format!("{}-tls", service.name),
                host,
                secret_store: service.name.clone(),
                secret_data: secret_data(project, model, env),
                service: service.clone(),
            }
        })
        .collect();
    let rule_groups = services
        .iter()
        .map(|service| RuleGroup {
            service: service.name.clone(),
            rules: rules(project, app, env, service),
        })
        .collect();
    let dashboards = services
        .iter()
        .zip(&project.services)
        .map(|(view, service)| DashboardView {
            config_map: format!("{}-dashboard", view.name),
            service: view.name.clone(),
            file: format!("{}-{}.json", env.names.namespace, view.name),
            json: dashboard::json(project, env, service),
        })
        .collect();
    OverlayContext {
        app,
        env,
        has_ingress: in_env.iter().any(|s| s.host.is_some()),
        has_canary_routing: in_env.iter().any(|s| s.traffic_routing),
        has_secrets: in_env.iter().any(|s| !s.secret_data.is_empty()),
        services: in_env,
        region: project.cloud.region.clone(),
        vault_url: format!("https://{}.vault.azure.net", env.key_vault),
        zone_when_unsatisfiable: if env.production {
            "DoNotSchedule"
        } else {
            "ScheduleAnyway"
        },
        rule_groups,
        dashboards,
        setups: setup::views(project, env),
        setup_account: scaffold_core::names::DATABASE_SETUP,
        dashboard_label: &project.names.cluster_addons.grafana_dashboard_label,
    }
}

/// The severity of `catalogue` severity in `env`: production keeps the catalogue's (a
/// `critical` alert pages); elsewhere every alert is a `warning`, which opens a ticket.
pub fn severity(env: &Environment, catalogue: &str) -> String {
    if env.production {
        catalogue.to_owned()
    } else {
        "warning".to_owned()
    }
}

/// The PromQL selector of `service`'s HTTP request metrics in `env`'s namespace.
fn requests_selector(env: &Environment, service: &str) -> String {
    format!(
        "namespace=\"{}\",service=\"{service}\"",
        env.names.namespace
    )
}

/// The alert rules of `service` in `env`: exactly the catalogue's alerts,
/// those needing application metrics only when the service exposes them.
fn rules(project: &Project, app: &AppView, env: &Environment, service: &ServiceView) -> Vec<Rule> {
    let ns = &env.names.namespace;
    let svc = &service.name;
    let targets = &project.targets;
    let selector = requests_selector(env, svc);
    let ratio = |window: &str, threshold: f64| {
        format!(
            "(\n  sum(rate({REQUESTS_METRIC}{{{selector},code=~\"5..\"}}[{window}]))\n  /\n  sum(rate({REQUESTS_METRIC}{{{selector}}}[{window}]))\n) > {threshold}"
        )
    };
    project
        .alerts
        .iter()
        .filter(|alert| !alert.needs_metrics || service.metrics_path.is_some())
        .filter_map(|alert| {
            let expr = match alert.name.as_str() {
                "ErrorBudgetFastBurn" => format!(
                    "{}\nand\n{}",
                    ratio("1h", targets.fast_burn_error_ratio),
                    ratio("5m", targets.fast_burn_error_ratio)
                ),
                "ErrorBudgetSlowBurn" => format!(
                    "{}\nand\n{}",
                    ratio("6h", targets.slow_burn_error_ratio),
                    ratio("30m", targets.slow_burn_error_ratio)
                ),
                "HighLatency" => format!(
                    "histogram_quantile(\n  0.99,\n  sum by (le) (rate({LATENCY_METRIC}_bucket{{{selector}}}[5m]))\n) > {}",
                    app.latency_p99_seconds
                ),
                "PodCrashLooping" => format!(
                    "increase(kube_pod_container_status_restarts_total{{namespace=\"{ns}\",container=\"{svc}\"}}[15m]) > 3"
                ),
                "PodsNotReady" if service.cronjob => return None,
                "PodsNotReady" => {
                    if service.rollout {
                        format!(
                            "rollout_info_replicas_available{{namespace=\"{ns}\",name=\"{svc}\"}}\n<\nrollout_info_replicas_desired{{namespace=\"{ns}\",name=\"{svc}\"}}"
                        )
                    } else {
                        format!(
                            "kube_deployment_status_replicas_available{{namespace=\"{ns}\",deployment=\"{svc}\"}}\n<\nkube_deployment_spec_replicas{{namespace=\"{ns}\",deployment=\"{svc}\"}}"
                        )
                    }
                }
                _ => return None,
            };
            Some(Rule {
                name: alert.name.clone(),
                severity: severity(env, &alert.severity),
                for_duration: alert.for_duration.clone(),
                expr: expr.lines().map(str::to_owned).collect(),
                summary: format!("{svc}: {}", alert.summary),
                description: format!(
                    "{svc} in {}: {}.",
                    env.name, alert.threshold
                ),
                runbook_url: format!(
                    "https://github.com/{}/blob/{}/{}",
                    project.repository.full, project.default_branch, alert.runbook_path
                ),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;
