//! The platform roots: one per environment under `infra/environments/<env>/platform/`,
//! and the shared module `infra/modules/platform/` they call, on every cloud.
//!
//! A platform root reads the environment's cluster through data sources (EKS, GKE or
//! AKS), configures the `kubernetes` and `helm` providers from it, and applies the
//! module: the application namespace, the deploy identity's `Role` and `RoleBinding`
//! (from [`Project::deploy_rules`]) and the add-ons [`Project::addons`] lists. It keeps
//! its own state (`<env>/platform.tfstate`) in the cloud root's backend and is applied
//! after the cloud root by the same apply identity, which the cloud root makes a
//! cluster administrator.
//!
//! The module is generic over the environments: it declares every add-on some
//! environment needs, each behind a variable the root sets, so two environments of one
//! project can differ (a public host in one only) without two copies of the module.

use serde::Serialize;

use scaffold_core::access::KubeRule;
use scaffold_core::image::{PodSecurity, PodSecurityLevel};
use scaffold_core::platform::{self, Addon};
use scaffold_core::{Environment, Project, Provider};

use crate::engine::Prepared;
use crate::{Engine, Files, RenderError};

/// Template folder of the platform module, below `scaffolds/`.
const MODULE_TEMPLATES: &str = "terraform/platform/module";
/// Template folder of a platform root, below `scaffolds/`.
const ROOT_TEMPLATES: &str = "terraform/platform/root";
/// The module's directory.
pub const MODULE_DIR: &str = "infra/modules/platform";

/// The module's files, relative to its directory.
const MODULE_FILES: &[&str] = &[
    "main.tf",
    "addons.tf",
    "variables.tf",
    "outputs.tf",
    "versions.tf",
    "README.md",
    "charts/cluster-issuer/Chart.yaml",
    "charts/cluster-issuer/values.yaml",
    "charts/cluster-issuer/templates/clusterissuer.yaml",
];

/// A root's files.
const ROOT_FILES: &[&str] = &[
    "backend.tf",
    "main.tf",
    "variables.tf",
    "outputs.tf",
    "versions.tf",
    "terraform.tfvars",
];

/// The Terraform version every root requires (S3 lock files need 1.10).
const TERRAFORM_VERSION: &str = ">= 1.10";
/// hashicorp/kubernetes: 3.1 is the oldest 3.x the provider-schema check has a package for.
pub const KUBERNETES_PROVIDER: &str = "~> 3.1";
/// hashicorp/helm: 3.x takes `kubernetes` as an attribute; 3.1.1 is the oldest schema checked.
pub const HELM_PROVIDER: &str = "~> 3.1";
/// The cloud provider's constraint, equal to the cloud root's (a test compares them).
fn cloud_provider(provider: Provider) -> &'static str {
    match provider {
        Provider::Aws => "~> 6.0",
        Provider::Gcp => "~> 7.31",
        Provider::Azure => super::azure::AZURERM_VERSION,
    }
}

/// The name of the deploy identity's `Role` and `RoleBinding`.
pub const DEPLOY_ROLE: &str = "deploy";

/// Provider constraints.
#[derive(Serialize)]
struct Versions {
    /// `required_version`.
    terraform: &'static str,
    /// hashicorp/kubernetes.
    kubernetes: &'static str,
    /// hashicorp/helm.
    helm: &'static str,
    /// The cloud's provider (roots only).
    cloud: &'static str,
}

/// One add-on as the module's templates read it.
#[derive(Serialize)]
struct Chart {
    /// The Helm release name.
    release: &'static str,
    /// The chart.
    chart: &'static str,
    /// The Helm repository.
    repository: &'static str,
    /// The exact version.
    version: &'static str,
    /// The version of the software it installs (the Cluster Autoscaler's image tag).
    app_version: &'static str,
    /// The namespace.
    namespace: &'static str,
    /// Where the version and values were checked.
    source: &'static str,
    /// The port its webhook listens on, where the module sets it.
    webhook_port: Option<u16>,
}

impl From<&Addon> for Chart {
    fn from(addon: &Addon) -> Self {
        Chart {
            release: addon.release,
            chart: addon.chart,
            repository: addon.repository,
            version: addon.version,
            app_version: addon.app_version,
            namespace: addon.namespace,
            source: addon.source,
            webhook_port: addon.webhook_port,
        }
    }
}

/// The add-ons the module declares: the ones some environment installs.
#[derive(Serialize)]
struct Charts {
    /// kube-prometheus-stack (always).
    prometheus: Chart,
    /// metrics-server.
    metrics_server: Option<Chart>,
    /// The Cluster Autoscaler.
    cluster_autoscaler: Option<Chart>,
    /// ingress-nginx.
    ingress: Option<Chart>,
    /// cert-manager.
    certificates: Option<Chart>,
    /// External Secrets.
    external_secrets: Option<Chart>,
    /// external-dns.
    external_dns: Option<Chart>,
    /// Argo Rollouts.
    rollouts: Option<Chart>,
    /// Argo CD.
    gitops: Option<Chart>,
    /// Argo CD's applications.
    gitops_apps: Option<Chart>,
}

/// Context of the module's templates.
#[derive(Serialize)]
struct ModuleContext<'a> {
    /// The application's name.
    app: &'a str,
    /// The charts the module declares.
    charts: Charts,
    /// Every add-on some environment installs, for the README.
    addons: Vec<&'static Addon>,
    /// The ingress class.
    ingress_class: &'a str,
    /// The ClusterIssuer name.
    cluster_issuer: &'a str,
    /// The Grafana dashboard sidecar's label and value.
    dashboard_label: &'a (String, String),
    /// Provider constraints.
    versions: Versions,
    /// Whether the module declares metrics-server (README).
    metrics_server: bool,
    /// Whether it declares ingress-nginx and cert-manager (README).
    ingress: bool,
    /// Whether it declares External Secrets (README).
    external_secrets: bool,
    /// Whether it declares Argo Rollouts (README).
    rollouts: bool,
    /// Whether it declares Argo CD (README).
    gitops: bool,
    /// ingress-nginx's version (README).
    ingress_version: &'static str,
    /// What Pod Security admission enforces, warns and audits in the namespace.
    pod_security: &'a PodSecurity,
    /// How the README names it.
    pod_security_phrase: String,
    /// Why the namespace enforces that level, as comment lines (without `# `).
    namespace_comment: Vec<&'static str>,
}

/// The state backend of a root.
#[derive(Serialize)]
struct Backend<'a> {
    /// S3 or GCS bucket.
    bucket: &'a str,
    /// The object key (S3, Azure) or prefix (GCS).
    key: String,
    /// The bucket's region (S3).
    region: &'a str,
    /// Azure: the state's resource group.
    resource_group: &'a str,
    /// Azure: the storage account.
    storage_account: &'a str,
    /// Azure: the blob container.
    container: &'a str,
}

/// The Kubernetes subject of the deploy identity.
#[derive(Serialize)]
struct Subject {
    /// `User` or `Group`.
    kind: &'static str,
    /// An HCL expression for its name.
    name: String,
}

/// A module variable the root sets.
#[derive(Serialize)]
struct Toggle {
    /// The variable, padded so the `=` align as `terraform fmt` aligns them.
    name: String,
    /// `true` or `false`.
    value: bool,
}

/// One annotation of the ingress controller's Service.
#[derive(Serialize)]
struct Annotation {
    /// The key.
    key: &'static str,
    /// The value.
    value: String,
    /// Why, for the comment.
    reason: &'static str,
}

/// The Cluster Autoscaler's settings in an environment (EKS).
#[derive(Serialize)]
struct ClusterAutoscaler<'a> {
    /// The EKS cluster's name: the auto-discovery tag carries it.
    cluster_name: &'a str,
    /// The cluster's region.
    region: &'a str,
    /// The ServiceAccount the cloud root's EKS Pod Identity association names.
    service_account: &'a str,
}

/// external-dns's settings in an environment (AWS).
#[derive(Serialize)]
struct ExternalDns<'a> {
    /// The environment's domain: the zone's name and the domain filter.
    domain: &'a str,
    /// The TXT registry's owner id, one per cluster, so two clusters writing one zone never
    /// take over each other's records.
    owner_id: &'a str,
    /// The region the AWS SDK signs Route 53 requests in.
    region: &'a str,
    /// The ServiceAccount the cloud root's EKS Pod Identity association names.
    service_account: &'a str,
}

/// The environment's Argo CD application.
#[derive(Serialize)]
struct Gitops {
    /// The AppProject.
    project: String,
    /// The Application.
    application: String,
    /// The repository URL.
    repo_url: String,
    /// The branch Argo CD tracks.
    revision: String,
    /// The overlay's path.
    path: String,
    /// The API groups the overlay's kinds belong to.
    groups: Vec<&'static str>,
}

/// Context of a root's templates.
#[derive(Serialize)]
struct RootContext<'a> {
    /// `aws`, `gcp` or `azure`.
    cloud: &'static str,
    /// The environment's name.
    env: &'a str,
    /// The add-ons it installs, as a sentence part.
    addons: String,
    /// The state backend.
    backend: Backend<'a>,
    /// Provider constraints.
    versions: Versions,
    /// The primary region.
    region: &'a str,
    /// The cluster's name.
    cluster: &'a str,
    /// The cluster's location (GKE).
    location: &'a str,
    /// The environment's resource group (Azure).
    resource_group: &'a str,
    /// The deploy identity's cloud name.
    deploy_identity: &'a str,
    /// `app.kubernetes.io/part-of`.
    part_of: &'a str,
    /// The application namespace.
    namespace: &'a str,
    /// The deploy Role's name.
    deploy_role: &'static str,
    /// The deploy Role's namespace.
    deploy_namespace: &'a str,
    /// The subject.
    deploy_subject: Subject,
    /// Why the subject is what it is.
    deploy_subject_comment: String,
    /// The subject, for an output's description.
    deploy_subject_comment_short: String,
    /// The rules.
    deploy_rules: Vec<KubeRule>,
    /// Production environment.
    production: bool,
    /// Module variables turning add-ons on or off.
    toggles: Vec<Toggle>,
    /// Annotations of the ingress controller's Service.
    ingress_annotations: Vec<Annotation>,
    /// Argo CD's application, with GitOps.
    gitops: Option<Gitops>,
    /// The Cluster Autoscaler, where this environment installs it.
    cluster_autoscaler: Option<ClusterAutoscaler<'a>>,
    /// external-dns, where this environment installs it.
    external_dns: Option<ExternalDns<'a>>,
}

/// Adds the platform module and one root per environment.
pub fn render(project: &Project, engine: &Engine, files: &mut Files) -> Result<(), RenderError> {
    let module = module_context(project);
    for file in MODULE_FILES {
        let text = engine.render(&format!("{MODULE_TEMPLATES}/{file}.tera"), &module)?;
        files.insert(format!("{MODULE_DIR}/{file}"), text);
    }
    for env in &project.environments {
        let context = Prepared::new(&env.names.terraform_dir, &root_context(project, env))?;
        for file in ROOT_FILES {
            let text =
                engine.render_prepared(&format!("{ROOT_TEMPLATES}/{file}.tera"), &context)?;
            files.insert(format!("{}/{file}", env.names.platform_dir), text);
        }
    }
    Ok(())
}

/// Whether some environment installs `addon`.
fn anywhere(project: &Project, addon: &Addon) -> bool {
    project.environments.iter().any(|env| {
        project
            .addons(env)
            .iter()
            .any(|a| a.release == addon.release)
    })
}

fn module_context(project: &Project) -> ModuleContext<'_> {
    let used = |addon: &Addon| anywhere(project, addon).then(|| Chart::from(addon));
    let charts = Charts {
        prometheus: Chart::from(&platform::KUBE_PROMETHEUS_STACK),
        metrics_server: used(&platform::METRICS_SERVER),
        cluster_autoscaler: used(&platform::CLUSTER_AUTOSCALER),
        ingress: used(&platform::INGRESS_NGINX),
        certificates: used(&platform::CERT_MANAGER),
        external_secrets: used(&platform::EXTERNAL_SECRETS),
        external_dns: used(&platform::EXTERNAL_DNS),
        rollouts: used(&platform::ARGO_ROLLOUTS),
        gitops: used(&platform::ARGO_CD),
        gitops_apps: used(&platform::ARGOCD_APPS),
    };
    let addons: Vec<&'static Addon> = platform::ADDONS
        .iter()
        .copied()
        .filter(|addon| anywhere(project, addon))
        .collect();
    let addons_names = &project.names.cluster_addons;
    ModuleContext {
        app: &project.app.name,
        metrics_server: charts.metrics_server.is_some(),
        ingress: charts.ingress.is_some(),
        external_secrets: charts.external_secrets.is_some(),
        rollouts: charts.rollouts.is_some(),
        gitops: charts.gitops.is_some(),
        charts,
        addons,
        ingress_class: &addons_names.ingress_class,
        cluster_issuer: &addons_names.cluster_issuer,
        dashboard_label: &addons_names.grafana_dashboard_label,
        versions: versions(project.cloud.provider),
        ingress_version: platform::INGRESS_NGINX.version,
        pod_security: &project.pod_security,
        pod_security_phrase: project.pod_security.phrase(),
        namespace_comment: match project.pod_security.enforce {
            PodSecurityLevel::Restricted => vec![
                "The namespace the overlay deploys into. Pod Security admission enforces the \"restricted\"",
                "profile (https://kubernetes.io/docs/concepts/security/pod-security-standards/): every",
                "workload scaffold renders runs as non-root, without privilege escalation or capabilities,",
                "with the RuntimeDefault seccomp profile.",
            ],
            PodSecurityLevel::Baseline => vec![
                "The namespace the overlay deploys into. Pod Security admission enforces the \"baseline\"",
                "profile and warns and audits against \"restricted\"",
                "(https://kubernetes.io/docs/concepts/security/pod-security-standards/): some service's image,",
                "built from the repository's own Dockerfile, runs as root or as a user the kubelet cannot",
                "check is not root, which \"restricted\" refuses (the handbook's Clarifications name each",
                "and say how to meet it). Every workload still runs without privilege escalation, with the",
                "RuntimeDefault seccomp profile.",
            ],
        },
    }
}

fn versions(provider: Provider) -> Versions {
    Versions {
        terraform: TERRAFORM_VERSION,
        kubernetes: KUBERNETES_PROVIDER,
        helm: HELM_PROVIDER,
        cloud: cloud_provider(provider),
    }
}

fn root_context<'a>(project: &'a Project, env: &'a Environment) -> RootContext<'a> {
    let provider = project.cloud.provider;
    let names = &project.names;
    let addons = project.addons(env);
    let installs = |addon: &Addon| addons.iter().any(|a| a.release == addon.release);
    let backend = Backend {
        bucket: &names.state_bucket,
        key: match provider {
            // A GCS backend takes a prefix and stores `<prefix>/default.tfstate`.
            Provider::Gcp => env
                .names
                .platform_state_key
                .trim_end_matches(".tfstate")
                .to_owned(),
            Provider::Aws | Provider::Azure => env.names.platform_state_key.clone(),
        },
        region: &project.cloud.region,
        resource_group: &names.state_resource_group,
        storage_account: &names.state_storage_account,
        container: &names.state_container,
    };
    let (deploy_subject, comment, short) = match provider {
        Provider::Aws => (
            Subject {
                kind: "Group",
                name: format!("\"{}\"", env.names.deploy_group),
            },
            "The Kubernetes group the cloud root's EKS access entry maps the deploy role to."
                .to_owned(),
            format!("group {}", env.names.deploy_group),
        ),
        Provider::Gcp => (
            Subject {
                kind: "User",
                name: format!(
                    "\"{}@${{var.project_id}}.iam.gserviceaccount.com\"",
                    env.names.ci_identity
                ),
            },
            "GKE names a Google service account in Kubernetes RBAC by its email.".to_owned(),
            format!("the service account {}", env.names.ci_identity),
        ),
        Provider::Azure => (
            Subject {
                kind: "User",
                name: "data.azurerm_user_assigned_identity.deploy.principal_id".to_owned(),
            },
            "AKS names a managed identity in Kubernetes RBAC by its object id.".to_owned(),
            format!("the object id of {}", env.names.ci_identity),
        ),
    };
    let mut toggles = Vec::new();
    let module_has = |addon: &Addon| anywhere(project, addon);
    for (name, addon) in [
        ("metrics_server", &platform::METRICS_SERVER),
        ("ingress", &platform::INGRESS_NGINX),
        ("external_secrets", &platform::EXTERNAL_SECRETS),
        ("rollouts", &platform::ARGO_ROLLOUTS),
    ] {
        if module_has(addon) {
            toggles.push(Toggle {
                name: name.to_owned(),
                value: installs(addon),
            });
        }
    }
    let width = toggles.iter().map(|t| t.name.len()).max().unwrap_or(0);
    for toggle in &mut toggles {
        toggle.name = format!("{:<width$}", toggle.name);
    }
    let ingress_annotations = if installs(&platform::INGRESS_NGINX) {
        ingress_annotations(provider)
    } else {
        Vec::new()
    };
    let gitops = project.delivery.gitops.then(|| {
        let mut groups: Vec<&'static str> = Vec::new();
        for rule in project.overlay_rules(env) {
            if !groups.contains(&rule.api_group) {
                groups.push(rule.api_group);
            }
        }
        Gitops {
            project: names.argocd_project.clone(),
            application: env.names.argocd_application.clone(),
            repo_url: format!("https://github.com/{}.git", project.repository.full),
            revision: names.gitops_branch.clone(),
            path: env.names.overlay_dir.clone(),
            groups,
        }
    });
    let accounts = &names.cluster_addons;
    let cluster_autoscaler = installs(&platform::CLUSTER_AUTOSCALER).then(|| ClusterAutoscaler {
        cluster_name: &env.names.cluster,
        region: &project.cloud.region,
        service_account: &accounts.cluster_autoscaler.service_account,
    });
    let external_dns = installs(&platform::EXTERNAL_DNS)
        .then_some(env.domain.as_deref())
        .flatten()
        .map(|domain| ExternalDns {
            domain,
            owner_id: &env.names.cluster,
            region: &project.cloud.region,
            service_account: &accounts.external_dns.service_account,
        });
    RootContext {
        cloud: provider.as_str(),
        env: &env.name,
        addons: addons
            .iter()
            .map(|a| a.title)
            .collect::<Vec<_>>()
            .join(", "),
        backend,
        versions: versions(provider),
        region: &project.cloud.region,
        cluster: &env.names.cluster,
        location: &env.cluster_location,
        resource_group: &env.names.resource_group,
        deploy_identity: &env.names.ci_identity,
        part_of: &names.part_of,
        namespace: &env.names.namespace,
        deploy_role: DEPLOY_ROLE,
        deploy_namespace: if project.delivery.gitops {
            &names.cluster_addons.argocd_namespace
        } else {
            &env.names.namespace
        },
        deploy_subject,
        deploy_subject_comment: comment,
        deploy_subject_comment_short: short,
        deploy_rules: project.deploy_rules(env),
        production: env.production,
        toggles,
        ingress_annotations,
        gitops,
        cluster_autoscaler,
        external_dns,
    }
}

/// What each cloud's load balancer needs on the ingress controller's Service.
fn ingress_annotations(provider: Provider) -> Vec<Annotation> {
    match provider {
        Provider::Aws => vec![Annotation {
            key: "service.beta.kubernetes.io/aws-load-balancer-type",
            value: "nlb".to_owned(),
            reason: "a Network Load Balancer in the public subnets (tagged kubernetes.io/role/elb), not a Classic one",
        }],
        Provider::Azure => vec![Annotation {
            key: "service.beta.kubernetes.io/azure-load-balancer-health-probe-request-path",
            value: "/healthz".to_owned(),
            reason: "Azure's load balancer probes HTTP ports at `/`, where ingress-nginx answers 404; /healthz answers 200",
        }],
        // GKE's default external passthrough Network Load Balancer needs nothing.
        Provider::Gcp => Vec::new(),
    }
}

#[cfg(test)]
mod tests;
