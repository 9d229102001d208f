//! The Kubernetes family: a kustomize base and one overlay per environment under `deploy/kubernetes/`.
//!
//! The base says *what* each service is: its hardened workload (a `Deployment`
//! for rolling updates, an Argo Rollouts `Rollout` for canary and blue-green),
//! its `Service`s, `ServiceAccount`, `ConfigMap`, `NetworkPolicy` and
//! `ServiceMonitor`, plus the namespace-wide default-deny policy and the
//! Prometheus `AnalysisTemplate` rollouts use. Each overlay says *where and how
//! big*: the `Namespace` with Pod Security admission, replicas, resources,
//! topology spread, autoscaling and disruption budgets, ingress hosts with
//! cert-manager TLS, the secret stores of that environment's cloud secret
//! manager, and the alert rules scoped to its namespace. With `gitops = true`,
//! `deploy/kubernetes/argocd/` adds an Argo CD `AppProject` and one
//! `Application` per environment.
//!
//! Workload patches in overlays are JSON 6902 patches rather than strategic
//! merges: kustomize does not know the `Rollout` schema, so a strategic merge
//! would replace the whole container list instead of merging into it.
//!
//! Every value comes from the [`Project`]; this module computes the view each
//! template needs and the templates only format it.

use serde::Serialize;

use scaffold_core::names::ClusterAddons;
use scaffold_core::project::{Environment, Service};
use scaffold_core::vocabulary::{Provider, ServiceKind, Strategy, WorkloadKind};
use scaffold_core::{ConnectionForm, Project};

use crate::{Engine, Files, RenderError};

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
    pub const OVERLAY_NAMESPACE: &str = "kubernetes/overlay/namespace.yaml.tera";
    pub const OVERLAY_INGRESS: &str = "kubernetes/overlay/ingress.yaml.tera";
    pub const OVERLAY_SECRETS: &str = "kubernetes/overlay/secrets.yaml.tera";
    pub const OVERLAY_AUTOSCALING: &str = "kubernetes/overlay/autoscaling.yaml.tera";
    pub const OVERLAY_RULES: &str = "kubernetes/overlay/prometheusrule.yaml.tera";
    pub const ARGO_KUSTOMIZATION: &str = "kubernetes/argocd/kustomization.yaml.tera";
    pub const ARGO_PROJECT: &str = "kubernetes/argocd/appproject.yaml.tera";
    pub const ARGO_APPLICATION: &str = "kubernetes/argocd/application.yaml.tera";
    pub const README: &str = "kubernetes/README.md.tera";
}

/// The folder of the kustomize base.
const BASE_DIR: &str = "deploy/kubernetes/base";
/// The folder of the Argo CD manifests.
const ARGO_DIR: &str = "deploy/kubernetes/argocd";

/// One checkov exception written on a resource as a `checkov.io/skipN` annotation.
#[derive(Debug, Clone, Serialize)]
struct Skip {
    /// The annotation key, `checkov.io/skip1`, `checkov.io/skip2`...
    key: String,
    /// `CKV_K8S_XX=reason`.
    value: String,
}

/// Builds numbered checkov skip annotations from `(check id, reason)` pairs.
fn skips(list: &[(&str, &str)]) -> Vec<Skip> {
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
    /// The engine's port, opened for egress.
    port: u16,
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
    /// The `CronJob` schedule.
    schedule: Option<String>,
    /// The container port, named after its protocol (`http` or `grpc`); `None` when the
    /// service listens on none (workers, jobs), which then get no `Service`.
    port: Option<u16>,
    /// The name of the container port: `http` or `grpc`.
    port_name: &'static str,
    /// The numeric user and group of the image.
    uid: u32,
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
    /// The canary `Service` name (canary strategy).
    canary_service: String,
    /// The preview `Service` name (blue-green strategy).
    preview_service: String,
    /// The datastores the service uses, in `uses` order.
    datastores: Vec<DatastoreView>,
    /// Distinct datastore ports, ascending, for egress rules.
    datastore_ports: Vec<u16>,
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
    /// The AnalysisTemplate name (rollouts only).
    analysis_template: String,
    /// The cluster add-ons and their namespaces, issuer and endpoints.
    addons: ClusterAddons,
    /// Analysis: the lowest acceptable success ratio, such as `0.99`.
    success_rate: f64,
    /// Analysis: the highest acceptable p99 latency in seconds, such as `0.5`.
    latency_p99_seconds: f64,
    /// The p99 latency target in milliseconds, for comments.
    latency_p99_ms: u32,
}

impl AppView {
    fn new(project: &Project) -> Self {
        let rollouts = project
            .services
            .iter()
            .any(|s| s.workload == WorkloadKind::Rollout);
        AppView {
            name: project.app.name.clone(),
            base_namespace: project.app.name.clone(),
            part_of: project.names.part_of.clone(),
            strategy: project.delivery.strategy.as_str().to_owned(),
            rollouts,
            provider: project.cloud.provider.as_str().to_owned(),
            azure: project.cloud.provider == Provider::Azure,
            gcp: project.cloud.provider == Provider::Gcp,
            analysis_template: format!("{}-analysis", project.app.name),
            addons: project.names.cluster_addons.clone(),
            success_rate: project.targets.analysis_success_rate,
            latency_p99_seconds: f64::from(project.targets.latency_p99_ms) / 1000.0,
            latency_p99_ms: project.targets.latency_p99_ms,
        }
    }
}

impl ServiceView {
    fn new(project: &Project, service: &Service) -> Self {
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
        let mut exceptions = vec![
            (
                "CKV_K8S_43",
                "the image digest is pinned at deploy time by kustomize edit set image",
            ),
            (
                "CKV_K8S_14",
                "the image tag is replaced by a digest at deploy time by kustomize edit set image",
            ),
        ];
        if !datastores.is_empty() {
            exceptions.push((
                "CKV_K8S_35",
                "the service reads its datastore URLs from the environment; External Secrets manages the Secret",
            ));
        }
        if service.uid < 10_000 {
            exceptions.push((
                "CKV_K8S_40",
                "the UID must match the non-root user baked into the runtime image",
            ));
        }
        if matches!(service.kind, ServiceKind::Worker | ServiceKind::Job) {
            let what = if service.kind == ServiceKind::Job {
                "a scheduled job runs to completion and serves no endpoint to probe"
            } else {
                "a worker serves no endpoint to probe; Kubernetes restarts it when its process exits"
            };
            exceptions.push(("CKV_K8S_8", what));
            exceptions.push(("CKV_K8S_9", what));
        }
        let workload = service.workload;
        ServiceView {
            name: service.name.clone(),
            kind: service.kind.as_str().to_owned(),
            workload_kind: workload.as_str().to_owned(),
            workload_api_version: workload.api_version().to_owned(),
            workload_group: workload.group().to_owned(),
            workload_version: workload.version().to_owned(),
            rollout: workload == WorkloadKind::Rollout,
            cronjob: workload == WorkloadKind::CronJob,
            schedule: service.schedule.clone(),
            port: service.port,
            port_name: if service.kind == ServiceKind::Grpc {
                "grpc"
            } else {
                "http"
            },
            uid: service.uid,
            health_path: service.health_path.clone(),
            readiness_path: service.readiness_path.clone(),
            grpc_probes: service.kind == ServiceKind::Grpc,
            pod_template_hash: if workload == WorkloadKind::Rollout {
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
            skips: skips(&exceptions),
        }
    }
}

/// Context of the base `kustomization.yaml`, the namespace-wide network policy and the AnalysisTemplate.
#[derive(Serialize)]
struct BaseContext<'a> {
    /// Application facts.
    app: &'a AppView,
    /// Every service, in file order.
    services: &'a [ServiceView],
    /// True when some service is public: cert-manager's HTTP-01 solvers need a policy.
    has_public: bool,
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
    /// Whether Argo CD manifests are rendered.
    gitops: bool,
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
    /// Remote secret names, one per used datastore, in `uses` order.
    remote_keys: Vec<RemoteKey>,
    /// When some connection is not a plain URL: each variable of the Secret computed from
    /// the fetched URLs (External Secrets template engine v2), as (variable, template).
    secret_templates: Vec<(String, String)>,
}

/// One `ExternalSecret` data entry.
#[derive(Debug, Clone, Serialize)]
struct RemoteKey {
    /// The Secret key: the variable the service reads (`DATABASE_URL`), or, when the Secret
    /// is templated, the source key the templates read (`source_db`).
    secret_key: String,
    /// The secret manager entry.
    remote: String,
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
    /// True when at least one service reads datastores (so secrets are rendered).
    has_secrets: bool,
    /// Cloud region (AWS Secrets Manager region).
    region: String,
    /// `https://<vault>.vault.azure.net` on Azure.
    vault_url: String,
    /// Zone spread: `DoNotSchedule` in production, `ScheduleAnyway` elsewhere.
    zone_when_unsatisfiable: &'static str,
    /// Blue-green promotion without a human (non-production only).
    auto_promotion: bool,
    /// Alert groups, one per service.
    rule_groups: Vec<RuleGroup>,
}

/// Context of the Argo CD templates.
#[derive(Serialize)]
struct ArgoContext<'a> {
    /// Application facts.
    app: &'a AppView,
    /// The Argo CD project name.
    project: String,
    /// The Git URL Argo CD reads.
    repo_url: String,
    /// The branch Argo CD follows.
    target_revision: String,
    /// Every environment.
    environments: &'a [Environment],
    /// The environment of an Application template, when rendering one.
    env: Option<&'a Environment>,
    /// The (group, kind) of every workload an autoscaler sizes, each once.
    scaled_kinds: Vec<(String, String)>,
}

/// Adds the family's files for `project`.
pub fn render(project: &Project, engine: &Engine, files: &mut Files) -> Result<(), RenderError> {
    let Some(first_env) = project.environments.first() else {
        return Ok(());
    };
    let app = AppView::new(project);
    let services: Vec<ServiceView> = project
        .services
        .iter()
        .map(|s| ServiceView::new(project, s))
        .collect();

    let readme = ReadmeContext {
        app: &app,
        services: &services,
        environments: &project.environments,
        gitops: project.delivery.gitops,
    };
    files.insert(
        "deploy/kubernetes/README.md".to_owned(),
        engine.render(template::README, &readme)?,
    );

    let base = BaseContext {
        app: &app,
        services: &services,
        has_public: services.iter().any(|s| s.public),
    };
    files.insert(
        format!("{BASE_DIR}/kustomization.yaml"),
        engine.render(template::BASE_KUSTOMIZATION, &base)?,
    );
    files.insert(
        format!("{BASE_DIR}/networkpolicy.yaml"),
        engine.render(template::BASE_NETWORK_POLICY, &base)?,
    );
    if app.rollouts {
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
        let mut add = |file: &str, id: &str| -> Result<(), RenderError> {
            files.insert(format!("{dir}/{file}"), engine.render(id, &ctx)?);
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

    for env in &project.environments {
        let ctx = overlay_context(project, &app, &services, env);
        let dir = &env.names.overlay_dir;
        let mut add = |file: &str, id: &str| -> Result<(), RenderError> {
            files.insert(format!("{dir}/{file}"), engine.render(id, &ctx)?);
            Ok(())
        };
        add("kustomization.yaml", template::OVERLAY_KUSTOMIZATION)?;
        add("namespace.yaml", template::OVERLAY_NAMESPACE)?;
        add("autoscaling.yaml", template::OVERLAY_AUTOSCALING)?;
        add("prometheusrule.yaml", template::OVERLAY_RULES)?;
        if ctx.has_ingress {
            add("ingress.yaml", template::OVERLAY_INGRESS)?;
        }
        if ctx.has_secrets {
            add("secrets.yaml", template::OVERLAY_SECRETS)?;
        }
    }

    if project.delivery.gitops {
        let mut ctx = ArgoContext {
            app: &app,
            project: project.names.argocd_project.clone(),
            repo_url: format!("https://github.com/{}.git", project.repository.full),
            target_revision: project.default_branch.clone(),
            environments: &project.environments,
            env: None,
            scaled_kinds: {
                let mut kinds: Vec<(String, String)> = Vec::new();
                for service in services.iter().filter(|s| !s.cronjob) {
                    let pair = (
                        service.workload_group.clone(),
                        service.workload_kind.clone(),
                    );
                    if !kinds.contains(&pair) {
                        kinds.push(pair);
                    }
                }
                kinds
            },
        };
        files.insert(
            format!("{ARGO_DIR}/kustomization.yaml"),
            engine.render(template::ARGO_KUSTOMIZATION, &ctx)?,
        );
        files.insert(
            format!("{ARGO_DIR}/appproject.yaml"),
            engine.render(template::ARGO_PROJECT, &ctx)?,
        );
        for env in &project.environments {
            ctx.env = Some(env);
            files.insert(
                format!("{ARGO_DIR}/application-{}.yaml", env.name),
                engine.render(template::ARGO_APPLICATION, &ctx)?,
            );
        }
    }
    Ok(())
}

/// Builds the overlay view of `env`.
fn overlay_context<'a>(
    project: &Project,
    app: &'a AppView,
    services: &[ServiceView],
    env: &'a Environment,
) -> OverlayContext<'a> {
    let in_env: Vec<ServiceInEnv> = services
        .iter()
        .zip(&env.services)
        .map(|(service, names)| {
            let host = names.host.clone();
            let connections = project
                .service(&service.name)
                .map(|s| s.connections.as_slice())
                .unwrap_or_default();
            // Plain URLs map one to one; any other form is computed from the URL by a template.
            let templated = connections.iter().any(|c| c.form != ConnectionForm::Url);
            let source_key = |datastore: &str| format!("source_{}", datastore.replace('-', "_"));
            let mut remote_keys = Vec::new();
            let mut secret_templates = Vec::new();
            for connection in connections {
                let Some(entry) = env
                    .datastores
                    .iter()
                    .find(|d| d.datastore == connection.datastore)
                else {
                    continue;
                };
                if templated {
                    let source = source_key(&connection.datastore);
                    secret_templates.extend(connection.secret_templates(&source));
                    remote_keys.push(RemoteKey {
                        secret_key: source,
                        remote: entry.secret.clone(),
                    });
                } else {
                    remote_keys.push(RemoteKey {
                        secret_key: connection.variables.connection.clone(),
                        remote: entry.secret.clone(),
                    });
                }
            }
            ServiceInEnv {
                traffic_routing: project.delivery.strategy == Strategy::Canary
                    && host.is_some()
                    && service.rollout,
                tls_secret: format!("{}-tls", service.name),
                host,
                secret_store: service.name.clone(),
                remote_keys,
                secret_templates,
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
    OverlayContext {
        app,
        env,
        has_ingress: in_env.iter().any(|s| s.host.is_some()),
        has_secrets: in_env.iter().any(|s| !s.remote_keys.is_empty()),
        services: in_env,
        region: project.cloud.region.clone(),
        vault_url: format!("https://{}.vault.azure.net", env.key_vault),
        zone_when_unsatisfiable: if env.production {
            "DoNotSchedule"
        } else {
            "ScheduleAnyway"
        },
        auto_promotion: !env.production,
        rule_groups,
    }
}

/// The alert rules of `service` in `env`: exactly the catalogue's alerts,
/// those needing application metrics only when the service exposes them.
fn rules(project: &Project, app: &AppView, env: &Environment, service: &ServiceView) -> Vec<Rule> {
    let ns = &env.names.namespace;
    let svc = &service.name;
    let targets = &project.targets;
    let requests = format!("http_requests_total{{namespace=\"{ns}\",service=\"{svc}\"");
    let ratio = |window: &str, threshold: f64| {
        format!(
            "(\n  sum(rate({requests},code=~\"5..\"}}[{window}]))\n  /\n  sum(rate({requests}}}[{window}]))\n) > {threshold}"
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
                    "histogram_quantile(\n  0.99,\n  sum by (le) (rate(http_request_duration_seconds_bucket{{namespace=\"{ns}\",service=\"{svc}\"}}[5m]))\n) > {}",
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
                severity: alert.severity.clone(),
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
