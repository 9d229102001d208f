//! Every name that crosses artifact families, derived in one place.
//!
//! A workflow that assumes a cloud role, the Terraform that creates it and the
//! Kubernetes service account that uses it must spell the same string. They
//! agree by construction because each reads the name from here, never by two
//! templates happening to format the same thing.
//!
//! Cloud names have length limits (a GCP service account id is 6 to 30
//! characters, an IAM role name at most 64). [`bounded`] keeps a name within a
//! limit deterministically: it cuts the name and appends a short stable hash of
//! the whole, so two long names never collide and the same input always gives
//! the same output.

use serde::Serialize;

use crate::vocabulary::{Provider, Registry, Runners};

/// A short, stable hexadecimal hash (FNV-1a, 32 bits, first 6 hex digits).
///
/// Used for suffixes that must be unique and reproducible; never for security.
pub fn short_hash(text: &str) -> String {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in text.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    format!("{hash:08x}")[..6].to_owned()
}

/// `name` if it fits in `max` bytes, else a prefix and `-` and a hash of the whole name.
///
/// Names are validated to ASCII before they are used, but this runs on
/// whatever was typed too (deriving names while other problems are being
/// collected), so it cuts only at character boundaries and never panics.
pub fn bounded(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_owned();
    }
    let hash = short_hash(name);
    let keep = max.saturating_sub(hash.len() + 1);
    let prefix = truncate(name, keep).trim_end_matches('-');
    format!("{prefix}-{hash}")
}

/// `name` with every character that is not a lowercase letter or digit removed.
pub fn alphanumeric(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        .collect()
}

/// `name` as an environment variable prefix: uppercase, `-` becomes `_`.
pub fn env_var_prefix(name: &str) -> String {
    name.to_ascii_uppercase().replace('-', "_")
}

/// Names that belong to the application as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppNames {
    /// Bucket (S3 or GCS) that holds Terraform state; globally unique through a hash of the repository.
    pub state_bucket: String,
    /// Azure resource group holding the state storage account.
    pub state_resource_group: String,
    /// Azure storage account holding Terraform state (3 to 24 lowercase letters and digits).
    pub state_storage_account: String,
    /// Azure blob container holding Terraform state.
    pub state_container: String,
    /// Azure resource group holding what every environment shares: the container registry and
    /// the GitHub Actions identities (build, Terraform apply and plan), created by the bootstrap root.
    pub shared_resource_group: String,
    /// Azure Container Registry name (5 to 50 letters and digits, globally unique).
    pub acr_name: String,
    /// Artifact Registry repository id, ECR and ACR repository prefix.
    pub image_prefix: String,
    /// GCP workload identity pool id for GitHub Actions (4 to 32 characters).
    pub gcp_wif_pool: String,
    /// GCP workload identity pool provider id for GitHub Actions.
    pub gcp_wif_provider: String,
    /// Argo CD `AppProject` name.
    pub argocd_project: String,
    /// The `ClusterSecretStore` every `ExternalSecret` reads through.
    pub secret_store: String,
    /// The label `app.kubernetes.io/part-of` on every Kubernetes object.
    pub part_of: String,
    /// Cloud identity the CI build job assumes to push images to the cloud's own registry
    /// (created by the Terraform bootstrap root; unused with ghcr, which uses `GITHUB_TOKEN`).
    pub build_identity: String,
    /// The cluster add-ons the Kubernetes manifests rely on, and how they are reached.
    pub cluster_addons: ClusterAddons,
    /// With GitOps, the branch holding the desired state Argo CD syncs: the deploy
    /// workflow commits image digests to it, so the protected default branch is never
    /// written by a pipeline.
    pub gitops_branch: String,
}

/// Cluster add-ons the Kubernetes manifests rely on, installed by each environment's
/// platform Terraform root ([`crate::platform`] pins their charts).
///
/// The manifests, the network policies, the platform root and the docs all read
/// these, so a namespace or issuer name is spelled once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClusterAddons {
    /// The namespace the ingress-nginx controller runs in (network policies admit it).
    pub ingress_namespace: String,
    /// The `ingressClassName` of ingress-nginx.
    pub ingress_class: String,
    /// The cert-manager `ClusterIssuer` issuing the public certificates (ACME, Let's Encrypt).
    pub cluster_issuer: String,
    /// The namespace of Prometheus (kube-prometheus-stack) and the OpenTelemetry collector.
    pub monitoring_namespace: String,
    /// The Prometheus URL Argo Rollouts analysis queries (the operator's `prometheus-operated` Service).
    pub prometheus_url: String,
    /// The OTLP/HTTP endpoint of the in-cluster OpenTelemetry collector.
    pub otel_endpoint: String,
    /// The namespace Argo CD runs in.
    pub argocd_namespace: String,
    /// The namespace of the Argo Rollouts controller (its metrics feed the rollout alerts).
    pub rollouts_namespace: String,
    /// The namespace of cert-manager.
    pub cert_manager_namespace: String,
    /// The namespace of the External Secrets Operator.
    pub external_secrets_namespace: String,
    /// The label (and its value) the Grafana dashboard sidecar loads dashboards from:
    /// every `ConfigMap` carrying it, in any namespace, becomes a dashboard.
    pub grafana_dashboard_label: (String, String),
    /// The private range every cloud network scaffold's Terraform creates is carved from;
    /// network policies allow datastore egress to it.
    pub private_range: String,
    /// The ServiceAccount external-dns runs as: the cloud identity that may edit the
    /// environment's DNS zone trusts exactly this account (AWS: an EKS Pod Identity association).
    pub external_dns: AddonAccount,
    /// The ServiceAccount the cluster autoscaler runs as, where the platform installs one
    /// (EKS): its cloud identity, which may resize the node groups, trusts exactly this account.
    pub cluster_autoscaler: AddonAccount,
}

/// The Kubernetes ServiceAccount of a cluster add-on that has a cloud identity.
///
/// The platform root installs the add-on under this account and the cloud root
/// gives exactly this account its cloud identity, so both read it from here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AddonAccount {
    /// The namespace the add-on runs in.
    pub namespace: String,
    /// The ServiceAccount's name.
    pub service_account: String,
}

impl ClusterAddons {
    /// The add-ons scaffold's manifests assume, with their conventional Helm chart defaults.
    pub fn standard() -> Self {
        use crate::platform;
        ClusterAddons {
            ingress_namespace: platform::INGRESS_NAMESPACE.to_owned(),
            ingress_class: "nginx".to_owned(),
            cluster_issuer: "letsencrypt".to_owned(),
            monitoring_namespace: platform::MONITORING_NAMESPACE.to_owned(),
            prometheus_url: "http://prometheus-operated.monitoring.svc.cluster.local:9090"
                .to_owned(),
            otel_endpoint: "http://opentelemetry-collector.monitoring.svc.cluster.local:4318"
                .to_owned(),
            argocd_namespace: platform::ARGOCD_NAMESPACE.to_owned(),
            rollouts_namespace: platform::ROLLOUTS_NAMESPACE.to_owned(),
            cert_manager_namespace: platform::CERT_MANAGER_NAMESPACE.to_owned(),
            external_secrets_namespace: platform::EXTERNAL_SECRETS_NAMESPACE.to_owned(),
            grafana_dashboard_label: ("grafana_dashboard".to_owned(), "1".to_owned()),
            private_range: "10.0.0.0/8".to_owned(),
            external_dns: AddonAccount {
                namespace: platform::EXTERNAL_DNS_NAMESPACE.to_owned(),
                service_account: "external-dns".to_owned(),
            },
            cluster_autoscaler: AddonAccount {
                namespace: platform::CLUSTER_AUTOSCALER_NAMESPACE.to_owned(),
                service_account: "cluster-autoscaler".to_owned(),
            },
        }
    }
}

impl AppNames {
    /// Derives the application-wide names from the app name and `owner/name` repository.
    pub fn derive(app: &str, repository: &str) -> Self {
        let repo_hash = short_hash(repository);
        let compact = alphanumeric(app);
        AppNames {
            state_bucket: bounded(&format!("{app}-tfstate-{repo_hash}"), 63),
            state_resource_group: format!("{app}-tfstate"),
            state_storage_account: format!("{}tf{repo_hash}", truncate(&compact, 16)),
            state_container: "tfstate".to_owned(),
            shared_resource_group: format!("{app}-shared"),
            acr_name: format!("{}{repo_hash}", truncate(&compact, 44)),
            image_prefix: app.to_owned(),
            gcp_wif_pool: bounded(&format!("{app}-github"), 32),
            gcp_wif_provider: "github-actions".to_owned(),
            argocd_project: app.to_owned(),
            secret_store: format!("{app}-secrets"),
            part_of: app.to_owned(),
            build_identity: bounded(&format!("{app}-github-build"), 30),
            cluster_addons: ClusterAddons::standard(),
            gitops_branch: "scaffold/desired-state".to_owned(),
        }
    }
}

/// Names that belong to one environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnvNames {
    /// Kubernetes namespace the environment's workloads run in.
    pub namespace: String,
    /// Managed Kubernetes cluster name.
    pub cluster: String,
    /// GitHub environment of the deploy jobs (deployment protection rules and environment
    /// variables live here); its OIDC subject is the deploy identity's only token.
    pub github_environment: String,
    /// GitHub environment of the Terraform plan jobs (`<env>-plan`); the plan identity trusts only it.
    pub plan_environment: String,
    /// GitHub environment of the Terraform apply jobs (`<env>-infra`); the apply identity trusts only it.
    pub infra_environment: String,
    /// Cloud identity GitHub Actions assumes for this environment: an IAM role name (AWS),
    /// a service account id (GCP) or a user-assigned identity name (Azure).
    pub ci_identity: String,
    /// Cloud identity the infrastructure workflow assumes to apply Terraform in this environment
    /// (created by the bootstrap root; trusted only from the GitHub environment).
    pub terraform_identity: String,
    /// Read-only cloud identity the infrastructure workflow assumes to plan on pull requests
    /// (created by the bootstrap root; trusted only from pull requests of the repository).
    pub plan_identity: String,
    /// Azure resource group holding the environment's resources.
    pub resource_group: String,
    /// Key of the environment's Terraform state inside the state bucket or container.
    pub state_key: String,
    /// Key of the state of the environment's platform root (cluster add-ons, namespace,
    /// deploy RBAC), next to `state_key`; the environment's plan and apply identities may
    /// read (and the apply identity write) exactly these two keys and their lock files.
    /// On GCS, where a backend takes a prefix, the prefix is `<env>/platform`.
    pub platform_state_key: String,
    /// The kustomize overlay directory, relative to the repository root.
    pub overlay_dir: String,
    /// The Terraform root module directory, relative to the repository root.
    pub terraform_dir: String,
    /// The platform Terraform root (namespace, deploy RBAC, cluster add-ons), applied after
    /// the cloud root by the same apply identity: `infra/environments/<env>/platform`.
    pub platform_dir: String,
    /// Argo CD `Application` name.
    pub argocd_application: String,
    /// The Kubernetes group the deploy identity is mapped to in the cluster (an EKS access
    /// entry's `kubernetes_groups`); the deploy `RoleBinding` names it where the cloud maps
    /// identities to groups.
    pub deploy_group: String,
    /// Monthly budget name.
    pub budget: String,
    /// The static public address the ingress controller's load balancer takes (on Azure a
    /// public IP in the environment's resource group, which the ingress-nginx Service names
    /// with `service.beta.kubernetes.io/azure-pip-name`), so DNS records point at an address
    /// Terraform owns.
    pub ingress_address: String,
    /// The cloud identity of the job that creates each relational datastore's application
    /// user: it reads the administrator's and the application user's secrets, through the
    /// Kubernetes `ServiceAccount` [`DATABASE_SETUP`].
    pub database_setup_identity: String,
}

/// The Kubernetes `ServiceAccount`, `SecretStore` and label value of the database setup job
/// in every environment's namespace; no service may take this name.
pub const DATABASE_SETUP: &str = "database-setup";

/// The Kubernetes manifests' root directory.
pub const KUBERNETES_DIR: &str = "deploy/kubernetes";
/// The Terraform root directory.
pub const TERRAFORM_DIR: &str = "infra";
/// The generated documentation's root directory.
pub const DOCS_DIR: &str = "docs/devops";

impl EnvNames {
    /// Derives the names of environment `env` of application `app` on `provider`.
    pub fn derive(app: &str, env: &str, provider: Provider) -> Self {
        let ci_identity = match provider {
            Provider::Aws => bounded(&format!("{app}-{env}-github-deploy"), 64),
            Provider::Gcp => bounded(&format!("{app}-{env}-deploy"), 30),
            Provider::Azure => bounded(&format!("{app}-{env}-github-deploy"), 128),
        };
        let (terraform_identity, plan_identity) = match provider {
            Provider::Aws => (
                bounded(&format!("{app}-{env}-github-terraform"), 64),
                bounded(&format!("{app}-{env}-github-plan"), 64),
            ),
            Provider::Gcp => (
                bounded(&format!("{app}-{env}-tf"), 30),
                bounded(&format!("{app}-{env}-plan"), 30),
            ),
            Provider::Azure => (
                bounded(&format!("{app}-{env}-github-terraform"), 128),
                bounded(&format!("{app}-{env}-github-plan"), 128),
            ),
        };
        EnvNames {
            terraform_identity,
            plan_identity,
            namespace: bounded(&format!("{app}-{env}"), 63),
            cluster: bounded(&format!("{app}-{env}"), 40),
            github_environment: env.to_owned(),
            plan_environment: crate::access::plan_environment(env),
            infra_environment: crate::access::infra_environment(env),
            ci_identity,
            resource_group: format!("{app}-{env}"),
            state_key: format!("{env}/terraform.tfstate"),
            platform_state_key: format!("{env}/platform.tfstate"),
            overlay_dir: format!("{KUBERNETES_DIR}/overlays/{env}"),
            terraform_dir: format!("{TERRAFORM_DIR}/environments/{env}"),
            platform_dir: format!("{TERRAFORM_DIR}/environments/{env}/platform"),
            argocd_application: bounded(&format!("{app}-{env}"), 63),
            deploy_group: bounded(&format!("{app}-{env}-deploy"), 63),
            budget: format!("{app}-{env}-monthly"),
            ingress_address: bounded(&format!("{app}-{env}-ingress"), 80),
            database_setup_identity: workload_identity(app, env, DATABASE_SETUP, provider),
        }
    }
}

/// Names that belong to one service, the same in every environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceNames {
    /// Kubernetes workload, `Service` and label `app.kubernetes.io/name`.
    pub workload: String,
    /// Kubernetes `ServiceAccount`.
    pub service_account: String,
    /// Kubernetes `ConfigMap` with non-secret settings.
    pub config_map: String,
    /// Kubernetes `Secret` that the service's `ExternalSecret` creates.
    pub secret: String,
    /// The image's repository path below the registry host: `owner/app-svc` on ghcr,
    /// `app/svc` on ECR, Artifact Registry (inside repository `app`) and ACR.
    pub image_repository: String,
    /// The name kustomize's `images:` transformer matches in the base manifests.
    pub kustomize_image: String,
    /// The Kubernetes `Service` that receives preview traffic in a blue-green rollout.
    pub preview_service: String,
    /// The Kubernetes `Service` that receives canary traffic in a canary rollout.
    pub canary_service: String,
    /// The GitHub Actions job id that builds this service (`build-<name>`).
    pub ci_job: String,
}

impl ServiceNames {
    /// Derives the names of service `service` of application `app`.
    pub fn derive(app: &str, service: &str, owner: &str, registry: Registry) -> Self {
        let image_repository = match registry {
            Registry::Ghcr => format!("{}/{app}-{service}", owner.to_ascii_lowercase()),
            Registry::Ecr | Registry::Gar | Registry::Acr => format!("{app}/{service}"),
        };
        ServiceNames {
            workload: service.to_owned(),
            service_account: service.to_owned(),
            config_map: format!("{service}-config"),
            secret: format!("{service}-datastores"),
            image_repository,
            kustomize_image: format!("{app}-{service}"),
            preview_service: format!("{service}-preview"),
            canary_service: format!("{service}-canary"),
            ci_job: format!("build-{service}"),
        }
    }
}

/// The cloud identity one service's pods assume in one environment.
///
/// An IAM role name (IRSA) on AWS, a service account id on GCP, a
/// user-assigned managed identity name on Azure.
pub fn workload_identity(app: &str, env: &str, service: &str, provider: Provider) -> String {
    match provider {
        Provider::Aws => bounded(&format!("{app}-{env}-{service}"), 64),
        Provider::Gcp => bounded(&format!("{app}-{env}-{service}"), 30),
        Provider::Azure => bounded(&format!("{app}-{env}-{service}"), 128),
    }
}

/// The secret-manager name holding one datastore's connection URL in one environment.
///
/// AWS Secrets Manager allows `/`; GCP Secret Manager and Azure Key Vault do not.
pub fn datastore_secret(app: &str, env: &str, datastore: &str, provider: Provider) -> String {
    match provider {
        Provider::Aws => format!("{app}/{env}/{datastore}"),
        Provider::Gcp | Provider::Azure => bounded(&format!("{app}-{env}-{datastore}"), 127),
    }
}

/// The secret-manager name holding one datastore's administrator credentials in one environment.
pub fn datastore_admin_secret(app: &str, env: &str, datastore: &str, provider: Provider) -> String {
    match provider {
        Provider::Aws => format!("{app}/{env}/{datastore}-admin"),
        Provider::Gcp | Provider::Azure => bounded(&format!("{app}-{env}-{datastore}-admin"), 127),
    }
}

/// The cloud resource id of one datastore in one environment (RDS identifier, Cloud SQL instance, ...).
pub fn datastore_resource(app: &str, env: &str, datastore: &str) -> String {
    bounded(&format!("{app}-{env}-{datastore}"), 40)
}

/// Azure Key Vault name for one environment (3 to 24 letters, digits and `-`, globally unique).
pub fn key_vault(app: &str, env: &str, repository: &str) -> String {
    let hash = short_hash(&format!("{repository}/{env}"));
    format!(
        "{}-{hash}",
        truncate(&format!("{app}-{env}"), 17).trim_end_matches('-')
    )
}

/// The first `max` characters of `text`.
/// The longest prefix of `text` of at most `max` bytes that ends on a
/// character boundary.
fn truncate(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// A GitHub Actions variable the workflows read, which the team must set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GithubVariable {
    /// The variable's name, read as `vars.NAME`.
    pub name: String,
    /// Where it is set: `repository`, `environment` (one value in each deploy GitHub
    /// environment `<env>`) or `infra environment` (one value in each `<env>-infra`, where
    /// the apply jobs run).
    pub scope: String,
    /// What it holds and where to find the value.
    pub description: String,
    /// The Terraform output holding the value, when Terraform creates it: the setup
    /// script scaffold writes records it with `gh variable set`, so no job reads it
    /// through a cloud API its identity may not call.
    pub output: Option<TerraformOutput>,
    /// The GitHub environment the value is set in, when it is set in one environment only
    /// (`gh variable set NAME --env <environment>`); `None` for repository variables and for
    /// environment variables whose one description covers every environment.
    pub environment: Option<String>,
}

/// A Terraform root's output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TerraformOutput {
    /// The root module directory, relative to the repository root (`infra/bootstrap`).
    pub root: String,
    /// The output's name.
    pub name: String,
}

/// The Terraform root every cloud applies once by hand before the pipelines run.
pub const BOOTSTRAP_DIR: &str = "infra/bootstrap";

/// Azure: the GitHub variable holding the client id of an environment's deploy identity,
/// set in the environment's deploy GitHub environment (`<env>`).
pub const AZURE_DEPLOY_CLIENT_ID: &str = "AZURE_CLIENT_ID";
/// Azure: the GitHub variable holding the client id of an environment's Terraform apply
/// identity, set in its GitHub environment `<env>-infra`.
pub const AZURE_APPLY_CLIENT_ID: &str = "AZURE_TERRAFORM_CLIENT_ID";
/// Azure: the GitHub variable holding the client id of an environment's read-only Terraform
/// plan identity, set in its GitHub environment `<env>-plan`.
pub const AZURE_PLAN_CLIENT_ID: &str = "AZURE_PLAN_CLIENT_ID";
/// Azure: the repository variable holding the client id of the identity that pushes to ACR.
pub const AZURE_BUILD_CLIENT_ID: &str = "AZURE_BUILD_CLIENT_ID";
/// Azure: the repository variable holding the resource id of the shared container registry,
/// which the environment roots read as `TF_VAR_registry_id` to let their nodes pull from it
/// (an environment in its own subscription cannot look the registry up by name).
pub const AZURE_REGISTRY_ID: &str = "AZURE_REGISTRY_ID";

/// Azure: the GitHub variable holding the client id of `service`'s workload identity, set in
/// each deploy GitHub environment; the deploy job writes it into the ServiceAccount annotation
/// `azure.workload.identity/client-id`.
pub fn azure_workload_client_id_variable(service: &str) -> String {
    format!("AZURE_WORKLOAD_CLIENT_ID_{}", env_var_prefix(service))
}

/// Azure: the name of a Terraform output that holds one value of `env` (`None`: of the
/// whole application), such as `staging_plan_client_id`. Terraform names allow `-`, but
/// `_` keeps them valid shell words in the setup script.
pub fn azure_output(env: Option<&str>, what: &str) -> String {
    match env {
        Some(env) => format!("{}_{what}", env.replace('-', "_")),
        None => what.to_owned(),
    }
}

/// Azure: the output of an environment root holding the client id of `service`'s workload identity.
pub fn azure_workload_client_id_output(service: &str) -> String {
    format!("workload_client_id_{}", service.replace('-', "_"))
}

/// The repository variable holding the id of the Google Cloud project environment `env`
/// lives in: `GCP_PROJECT_ID`, the shared project that also holds the Terraform state and
/// the GitHub workload identity pool, or `GCP_PROJECT_ID_<ENV>` for an environment with
/// `separate_account = true`.
///
/// A repository variable, not an environment one: the environment's plan, apply and
/// deploy jobs run in three different GitHub environments and all need it.
pub fn gcp_project_id_variable(env: &str, separate_account: bool) -> String {
    if separate_account {
        format!("GCP_PROJECT_ID_{}", env_var_prefix(env))
    } else {
        "GCP_PROJECT_ID".to_owned()
    }
}

/// The GitHub variables the workflows need on `provider`.
///
/// Ids of the cloud account, project or subscription are repository variables:
/// CI build jobs read them too. On Azure, every client id a job logs in with is an
/// environment variable of the GitHub environment that job runs in (`<env>`,
/// `<env>-plan`, `<env>-infra`), because a federated credential matches the token's
/// subject only: the GitHub environment is what keeps the plan, apply and deploy
/// identities apart, and its variables hold the matching client id.
pub fn github_variables(
    provider: Provider,
    runners: Runners,
    registry: Registry,
    environments: &[crate::project::Environment],
    services: &[crate::project::Service],
    datastores: &[crate::project::Datastore],
) -> Vec<GithubVariable> {
    let var = |name: &str, scope: &str, description: &str| GithubVariable {
        name: name.to_owned(),
        scope: scope.to_owned(),
        description: description.to_owned(),
        output: None,
        environment: None,
    };
    let mut vars = match provider {
        Provider::Aws => aws_variables(environments),
        Provider::Gcp => {
            let mut vars = vec![
                var(
                    "GCP_PROJECT_ID",
                    "repository",
                    "the id of the Google Cloud project holding the Terraform state, the GitHub workload identity pool and every environment without a project of its own",
                ),
                var(
                    "GCP_PROJECT_NUMBER",
                    "repository",
                    "the numeric project number of that project (the workload identity provider's name contains it)",
                ),
            ];
            for env in environments.iter().filter(|e| e.separate_account) {
                let env = env.name.as_str();
                vars.push(GithubVariable {
                    name: gcp_project_id_variable(env, true),
                    scope: "repository".to_owned(),
                    description: format!(
                        "the id of the Google Cloud project of the `{env}` environment (`separate_account = true`)"
                    ),
                    output: None,
                    environment: None,
                });
            }
            vars
        }
        Provider::Azure => azure_variables(registry, environments, services, datastores),
    };
    if runners == Runners::SelfHosted {
        vars.push(var(
            DEPLOY_RUNNER_VARIABLE,
            "repository",
            "the `runs-on` label of the self-hosted runners inside the cloud network that deploy jobs use (they reach the private cluster API)",
        ));
        vars.push(var(
            INFRA_RUNNER_VARIABLE,
            "repository",
            "the `runs-on` label of the self-hosted runners inside the cloud network that Terraform jobs use (they reach the private cluster API and secret stores)",
        ));
    }
    vars
}

/// AWS: the GitHub variable holding the account id the workflows build role ARNs and the
/// registry host from.
pub const AWS_ACCOUNT_ID: &str = "AWS_ACCOUNT_ID";

/// AWS: the bootstrap output holding the account id of environment `env` when it lives
/// in its own account (`separate_account`), else of the shared account.
pub fn aws_account_output(env: Option<&crate::project::Environment>) -> String {
    match env {
        Some(env) if env.separate_account => format!("{}_account_id", env.name.replace('-', "_")),
        _ => "aws_account_id".to_owned(),
    }
}

/// The AWS arm of [`github_variables`]: the shared account's id as a repository variable
/// (CI's build job and every environment without an account of its own read it), and for
/// each environment in its own account the same variable in its three GitHub
/// environments, where GitHub gives it precedence over the repository's value; so every
/// workflow builds role ARNs from `vars.AWS_ACCOUNT_ID` and gets the right account.
fn aws_variables(environments: &[crate::project::Environment]) -> Vec<GithubVariable> {
    let output = |env: Option<&crate::project::Environment>| {
        Some(TerraformOutput {
            root: BOOTSTRAP_DIR.to_owned(),
            name: aws_account_output(env),
        })
    };
    let mut vars = vec![GithubVariable {
        name: AWS_ACCOUNT_ID.to_owned(),
        scope: "repository".to_owned(),
        description: "the 12-digit id of the shared AWS account: the Terraform state, the registry and every environment without an account of its own".to_owned(),
        output: output(None),
        environment: None,
    }];
    for env in environments.iter().filter(|e| e.separate_account) {
        let names = &env.names;
        for github_environment in [
            &names.github_environment,
            &names.plan_environment,
            &names.infra_environment,
        ] {
            vars.push(GithubVariable {
                name: AWS_ACCOUNT_ID.to_owned(),
                scope: "environment".to_owned(),
                description: format!(
                    "the 12-digit id of the `{}` environment's own AWS account (`separate_account`); it overrides the repository value in this GitHub environment",
                    env.name
                ),
                output: output(Some(env)),
                environment: Some(github_environment.clone()),
            });
        }
    }
    vars
}

/// The Azure arm of [`github_variables`]: every value comes from a Terraform output.
fn azure_variables(
    registry: Registry,
    environments: &[crate::project::Environment],
    services: &[crate::project::Service],
    datastores: &[crate::project::Datastore],
) -> Vec<GithubVariable> {
    let output = |root: &str, name: String| {
        Some(TerraformOutput {
            root: root.to_owned(),
            name,
        })
    };
    let repository = |name: &str, description: &str, what: &str| GithubVariable {
        name: name.to_owned(),
        scope: "repository".to_owned(),
        description: description.to_owned(),
        output: output(BOOTSTRAP_DIR, azure_output(None, what)),
        environment: None,
    };
    let mut vars = vec![
        repository(
            "AZURE_SUBSCRIPTION_ID",
            "the subscription of the Terraform state, the GitHub identities, the registry and every environment without `separate_account`",
            "subscription_id",
        ),
        repository(
            "AZURE_TENANT_ID",
            "the Microsoft Entra tenant id",
            "tenant_id",
        ),
    ];
    if registry == Registry::Acr {
        vars.push(repository(
            AZURE_BUILD_CLIENT_ID,
            "the client id of the identity that pushes images to ACR",
            "build_client_id",
        ));
        vars.push(repository(
            AZURE_REGISTRY_ID,
            "the resource id of the container registry, which every environment's nodes pull from",
            "registry_id",
        ));
    }
    for env in environments {
        let in_env = |name: &str,
                      github_environment: &str,
                      description: String,
                      root: &str,
                      what: String| {
            GithubVariable {
                name: name.to_owned(),
                scope: "environment".to_owned(),
                description,
                output: output(root, what),
                environment: Some(github_environment.to_owned()),
            }
        };
        let names = &env.names;
        if env.separate_account {
            for github_environment in [
                &names.github_environment,
                &names.plan_environment,
                &names.infra_environment,
            ] {
                vars.push(in_env(
                    "AZURE_SUBSCRIPTION_ID",
                    github_environment,
                    format!(
                        "the subscription of the `{}` environment, which has its own (`separate_account`); it overrides the repository value in this GitHub environment",
                        env.name
                    ),
                    BOOTSTRAP_DIR,
                    azure_output(Some(&env.name), "subscription_id"),
                ));
            }
        }
        vars.push(in_env(
            AZURE_PLAN_CLIENT_ID,
            &names.plan_environment,
            format!(
                "the client id of `{}`'s read-only Terraform plan identity",
                env.name
            ),
            BOOTSTRAP_DIR,
            azure_output(Some(&env.name), "plan_client_id"),
        ));
        vars.push(in_env(
            AZURE_APPLY_CLIENT_ID,
            &names.infra_environment,
            format!("the client id of `{}`'s Terraform apply identity", env.name),
            BOOTSTRAP_DIR,
            azure_output(Some(&env.name), "terraform_client_id"),
        ));
        vars.push(in_env(
            AZURE_DEPLOY_CLIENT_ID,
            &names.github_environment,
            format!("the client id of `{}`'s deploy identity", env.name),
            &names.terraform_dir,
            "deploy_client_id".to_owned(),
        ));
        for service in services {
            vars.push(in_env(
                &azure_workload_client_id_variable(&service.name),
                &names.github_environment,
                format!(
                    "the client id of the workload identity of `{}` in `{}` (the ServiceAccount annotation `azure.workload.identity/client-id`)",
                    service.name, env.name
                ),
                &names.terraform_dir,
                azure_workload_client_id_output(&service.name),
            ));
        }
        // The same datastores in every environment: the access model's database setup
        // identity exists wherever one of them has a setup Job.
        if datastores.iter().any(crate::project::Datastore::has_setup) {
            vars.push(in_env(
                &azure_workload_client_id_variable(DATABASE_SETUP),
                &names.github_environment,
                format!(
                    "the client id of the database setup Job's workload identity in `{}` (the annotation `azure.workload.identity/client-id` of ServiceAccount `{DATABASE_SETUP}`)",
                    env.name
                ),
                &names.terraform_dir,
                azure_workload_client_id_output(DATABASE_SETUP),
            ));
        }
    }
    vars
}

/// The repository variable naming the runners of deploy jobs (`runs-on: ${{ vars.DEPLOY_RUNNER || 'ubuntu-24.04' }}`).
pub const DEPLOY_RUNNER_VARIABLE: &str = "DEPLOY_RUNNER";
/// The repository variable naming the runners of Terraform jobs.
pub const INFRA_RUNNER_VARIABLE: &str = "INFRA_RUNNER";
/// The GitHub-hosted runner image jobs use when no runner variable is set.
pub const HOSTED_RUNNER: &str = "ubuntu-24.04";

#[cfg(test)]
mod tests {
    use super::*;

    fn check(actual: impl AsRef<str>, expect: &str) {
        assert_eq!(actual.as_ref(), expect);
    }

    #[test]
    fn bounded_keeps_short_names() {
        check(bounded("shop-staging", 30), "shop-staging");
    }

    #[test]
    fn bounded_cuts_long_names_with_a_stable_hash() {
        let long = "connectkit-production-notifications";
        let cut = bounded(long, 30);
        assert_eq!(cut.len(), 30);
        assert!(cut.starts_with("connectkit-production-"));
        check(&cut, &bounded(long, 30));
        assert_ne!(cut, bounded("connectkit-production-notificationz", 30));
    }

    #[test]
    fn bounded_never_ends_the_prefix_with_a_dash() {
        let cut = bounded("aaaaaaaaaaaaaaaaaaaaa-bbbbbbbbbbbbbbbb", 29);
        assert!(!cut.contains("--"), "{cut}");
    }

    #[test]
    fn non_ascii_names_are_cut_at_character_boundaries() {
        // Derivation runs before validation reports the name, so it must
        // not panic on what the user typed.
        for name in [
            "ärger-über-alles-und-noch-viel-mehr",
            "設定設定設定設定設定設定設定設定",
            "🦀",
        ] {
            for max in 0..40 {
                assert!(bounded(name, max).len() <= max.max(7) + name.len());
                truncate(name, max);
            }
            AppNames::derive(name, "acme/shop");
            EnvNames::derive(name, name, Provider::Azure);
            key_vault(name, name, name);
        }
    }

    #[test]
    fn env_var_prefix_uppercases() {
        check(env_var_prefix("user-db"), "USER_DB");
    }

    #[test]
    fn ghcr_images_live_under_the_lowercased_owner() {
        let names = ServiceNames::derive("shop", "api", "Acme", Registry::Ghcr);
        check(&names.image_repository, "acme/shop-api");
        let names = ServiceNames::derive("shop", "api", "Acme", Registry::Ecr);
        check(&names.image_repository, "shop/api");
    }

    #[test]
    fn gcp_service_account_ids_fit_thirty_characters() {
        let names = EnvNames::derive(
            "a-thirty-character-app-name-xx",
            "production",
            Provider::Gcp,
        );
        assert!(names.ci_identity.len() <= 30, "{}", names.ci_identity);
        let id = workload_identity(
            "a-thirty-character-app-name-xx",
            "production",
            "api",
            Provider::Gcp,
        );
        assert!(id.len() <= 30 && id.len() >= 6, "{id}");
    }

    #[test]
    fn aws_names_fit_iam_limits() {
        let names = EnvNames::derive(
            "a-thirty-character-app-name-xx",
            "production",
            Provider::Aws,
        );
        assert!(names.ci_identity.len() <= 64);
    }

    #[test]
    fn state_names_fit_their_clouds() {
        let names = AppNames::derive("a-thirty-character-app-name-xx", "acme/app");
        assert!(names.state_bucket.len() <= 63);
        assert!(names.state_storage_account.len() <= 24);
        assert!(
            names
                .state_storage_account
                .chars()
                .all(|c| c.is_ascii_alphanumeric())
        );
        assert!(names.acr_name.len() <= 50 && names.acr_name.len() >= 5);
        assert!(names.gcp_wif_pool.len() <= 32);
    }

    #[test]
    fn secret_names_follow_each_cloud_alphabet() {
        check(
            datastore_secret("shop", "staging", "db", Provider::Aws),
            "shop/staging/db",
        );
        check(
            datastore_secret("shop", "staging", "db", Provider::Gcp),
            "shop-staging-db",
        );
    }

    #[test]
    fn key_vault_names_fit_twenty_four_characters() {
        let name = key_vault("a-thirty-character-app-name-xx", "production", "acme/x");
        assert!(name.len() <= 24 && name.len() >= 3, "{name}");
    }
}
