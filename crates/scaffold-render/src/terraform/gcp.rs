//! Terraform for GCP: reusable modules, the bootstrap root and one root per environment.
//!
//! The layout follows HashiCorp's standard module structure. `infra/modules/` holds
//! small modules (network, cluster, datastores, registry, ci-identity,
//! workload-identity, budget) that take every name as an input;
//! `infra/environments/<env>/` composes them with that environment's sizing and the
//! names derived in core; `infra/bootstrap/` is applied once by an administrator and
//! creates what a state backend cannot create for itself (the state bucket, the GitHub
//! workload identity federation, the identities that run Terraform, the shared image
//! registry).
//!
//! Everything a template prints is decided here: which modules exist for this project
//! (no datastores module without datastores, no registry without Artifact Registry),
//! address plans, engine versions in the provider's spelling, and which checkov skips
//! apply. Templates only format. `terraform fmt` aligns the `=` of consecutive
//! attributes, so map keys that come from the answers are padded here.

use serde::Serialize;

use scaffold_core::names::bounded;
use scaffold_core::{Datastore, Engine as DbEngine, Environment, Project, Registry};

use crate::{Engine, Files, RenderError};

/// Template directory of this cloud, below `scaffolds/`.
const TEMPLATES: &str = "terraform/gcp";

/// The Google provider constraint: 7.x from 7.31, the oldest release the provider-schema check verifies.
const GOOGLE_PROVIDER: &str = "~> 7.31";
/// The random provider constraint.
const RANDOM_PROVIDER: &str = "~> 3.7";
/// The Kubernetes provider constraint (namespace and RBAC for the deploy identity), from 3.1, the oldest checked.
const KUBERNETES_PROVIDER: &str = "~> 3.1";
/// The oldest Terraform the roots accept (GCS and S3 native state locking need 1.10).
const TERRAFORM_VERSION: &str = ">= 1.10";

/// The files of the bootstrap root.
const BOOTSTRAP_FILES: &[&str] = &[
    "main.tf",
    "variables.tf",
    "outputs.tf",
    "versions.tf",
    "terraform.tfvars",
    "README.md",
];

/// Google APIs the bootstrap root enables for every project, before any environment is applied.
const BASE_APIS: &[&str] = &[
    "billingbudgets.googleapis.com",
    "binaryauthorization.googleapis.com",
    "cloudkms.googleapis.com",
    "cloudresourcemanager.googleapis.com",
    "compute.googleapis.com",
    "container.googleapis.com",
    "iam.googleapis.com",
    "iamcredentials.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "secretmanager.googleapis.com",
    "servicenetworking.googleapis.com",
    "serviceusage.googleapis.com",
    "storage.googleapis.com",
    "sts.googleapis.com",
];

/// Provider and Terraform version constraints.
#[derive(Serialize)]
struct Versions {
    /// `required_version` of every root and module.
    terraform: &'static str,
    /// The hashicorp/google constraint.
    google: &'static str,
    /// The hashicorp/random constraint.
    random: &'static str,
    /// The hashicorp/kubernetes constraint.
    kubernetes: &'static str,
}

/// The constraints every template prints.
const VERSIONS: Versions = Versions {
    terraform: TERRAFORM_VERSION,
    google: GOOGLE_PROVIDER,
    random: RANDOM_PROVIDER,
    kubernetes: KUBERNETES_PROVIDER,
};

/// One datastore as the GCP templates print it.
#[derive(Serialize)]
struct DatastoreContext {
    /// The datastore's name in `scaffold.toml`; the key of every per-datastore map.
    name: String,
    /// `name` quoted and padded to the longest quoted name, so a map of datastores
    /// is aligned the way `terraform fmt` aligns it.
    key: String,
    /// `name` as a Terraform identifier (`-` becomes `_`).
    ident: String,
    /// `postgres`, `mysql` or `redis`.
    engine: String,
    /// True for Cloud SQL (postgres, mysql), false for Memorystore.
    sql: bool,
    /// The version in the provider's spelling: `POSTGRES_16`, `MYSQL_8_0`, `REDIS_7_2`.
    version: String,
    /// False when checkov's "latest major version" check (CKV_GCP_79) would fail,
    /// so the template writes a skip that says the version is the team's choice.
    latest_major: bool,
    /// The engine's port.
    port: u16,
    /// The connection URL scheme (`rediss` for TLS-only Memorystore).
    scheme: &'static str,
}

impl DatastoreContext {
    fn new(ds: &Datastore, width: usize) -> Self {
        // The API spelling comes from the datastore table; checkov's CKV_GCP_79 accepts
        // only the newest major of each engine, which the template otherwise skips with a reason.
        let version = ds.cloud_version.api.to_owned();
        let latest_major = matches!(version.as_str(), "POSTGRES_18" | "MYSQL_8_0" | "MYSQL_8_4")
            || ds.engine == DbEngine::Redis;
        DatastoreContext {
            name: ds.name.clone(),
            key: format!("{:<width$}", format!("\"{}\"", ds.name)),
            ident: ds.name.replace('-', "_"),
            engine: ds.engine.as_str().to_owned(),
            sql: ds.engine.is_database(),
            version,
            latest_major,
            port: ds.cloud_port,
            scheme: match ds.engine {
                DbEngine::Redis => "rediss",
                other => other.url_scheme(),
            },
        }
    }

    /// Every datastore of `project`, keys padded to a common width.
    fn all(project: &Project) -> Vec<DatastoreContext> {
        let width = project
            .datastores
            .iter()
            .map(|d| d.name.len() + 2)
            .max()
            .unwrap_or(0);
        project
            .datastores
            .iter()
            .map(|d| DatastoreContext::new(d, width))
            .collect()
    }
}

/// What kinds of datastores a project has.
#[derive(Serialize, Clone, Copy)]
struct Kinds {
    /// Some datastore is a Cloud SQL instance.
    has_sql: bool,
    /// Some datastore is a Memorystore instance.
    has_cache: bool,
    /// Images live in Artifact Registry.
    gar: bool,
}

impl Kinds {
    fn of(project: &Project) -> Self {
        Kinds {
            has_sql: project.datastores.iter().any(|d| d.engine.is_database()),
            has_cache: project.datastores.iter().any(|d| !d.engine.is_database()),
            gar: project.delivery.registry == Registry::Gar,
        }
    }
}

/// Context of every module template (`infra/modules/*`).
#[derive(Serialize)]
struct ModuleContext<'a> {
    /// The whole project, for names and choices.
    project: &'a Project,
    /// The datastores, in file order.
    datastores: Vec<DatastoreContext>,
    /// What the project contains.
    #[serde(flatten)]
    kinds: Kinds,
    /// Provider and Terraform constraints.
    versions: &'a Versions,
}

/// The address plan of one environment's VPC. Environment `i` gets the block
/// `10.<16 i>.0.0/12`, so environments never overlap and could later be peered.
#[derive(Serialize)]
struct NetworkPlan {
    /// Primary range of the cluster subnet (nodes and internal load balancers).
    subnet_cidr: String,
    /// Secondary range for pods.
    pods_cidr: String,
    /// Secondary range for Services.
    services_cidr: String,
    /// Start address of the range reserved for private services access (Cloud SQL, Memorystore).
    private_services_address: String,
    /// Prefix length of that range.
    private_services_prefix: u32,
}

impl NetworkPlan {
    fn for_index(index: usize) -> Self {
        let base = 16 * (index % 16);
        NetworkPlan {
            subnet_cidr: format!("10.{base}.0.0/20"),
            pods_cidr: format!("10.{}.0.0/14", base + 4),
            services_cidr: format!("10.{}.0.0/20", base + 8),
            private_services_address: format!("10.{}.0.0", base + 12),
            private_services_prefix: 16,
        }
    }
}

/// One service's workload identity in one environment.
#[derive(Serialize)]
struct WorkloadContext {
    /// The service's name; the key of the module's `for_each`.
    service: String,
    /// The Google service account id the pods impersonate.
    account_id: String,
    /// The Kubernetes ServiceAccount name.
    kubernetes_service_account: String,
    /// Datastores (by name) whose secrets the service may read.
    uses: Vec<String>,
}

/// Context of the templates of one environment root (`infra/environments/<env>/`).
#[derive(Serialize)]
struct EnvironmentContext<'a> {
    /// The whole project.
    project: &'a Project,
    /// The environment being rendered.
    env: &'a Environment,
    /// The datastores, in file order.
    datastores: Vec<DatastoreContext>,
    /// What the project contains.
    #[serde(flatten)]
    kinds: Kinds,
    /// Provider and Terraform constraints.
    versions: &'a Versions,
    /// The VPC's address plan.
    network: NetworkPlan,
    /// Regional control plane (production) or zonal (non-production).
    regional: bool,
    /// GKE release channel.
    release_channel: &'static str,
    /// Fraction of subnet flows sampled into flow logs.
    flow_log_sampling: &'static str,
    /// Node boot disk size in GB.
    node_disk_size_gb: u32,
    /// Memorystore tier: `STANDARD_HA` (a replica in another zone) when the
    /// environment's datastores are highly available, else `BASIC`.
    cache_tier: &'static str,
    /// Memorystore size in GB.
    cache_memory_size_gb: u32,
    /// The node pool's Google service account id (6 to 30 characters).
    node_service_account: String,
    /// The Cloud KMS key ring holding the cluster's secrets-encryption key.
    key_ring: String,
    /// One entry per service, in service order.
    workloads: Vec<WorkloadContext>,
}

/// Context of the bootstrap root's templates.
#[derive(Serialize)]
struct BootstrapContext<'a> {
    /// The whole project (its environments give the per-environment identities).
    project: &'a Project,
    /// What the project contains.
    #[serde(flatten)]
    kinds: Kinds,
    /// Provider and Terraform constraints.
    versions: &'a Versions,
    /// APIs to enable, sorted.
    apis: Vec<&'static str>,
    /// Every GitHub OIDC subject some identity trusts, in a stable order; the
    /// provider's attribute condition admits exactly these.
    subjects: Vec<String>,
}

/// Adds the GCP Terraform files.
pub fn render(project: &Project, engine: &Engine, files: &mut Files) -> Result<(), RenderError> {
    let kinds = Kinds::of(project);

    let mut modules = vec![
        "network",
        "cluster",
        "ci-identity",
        "workload-identity",
        "budget",
    ];
    if !project.datastores.is_empty() {
        modules.push("datastores");
    }
    if kinds.gar {
        modules.push("registry");
    }
    let module_context = ModuleContext {
        project,
        datastores: DatastoreContext::all(project),
        kinds,
        versions: &VERSIONS,
    };
    for module in modules {
        for file in super::MODULE_FILES {
            let template = format!("{TEMPLATES}/modules/{module}/{file}.tera");
            files.insert(
                format!("infra/modules/{module}/{file}"),
                engine.render(&template, &module_context)?,
            );
        }
    }

    let bootstrap = BootstrapContext {
        project,
        kinds,
        versions: &VERSIONS,
        apis: apis(kinds),
        subjects: trusted_subjects(project, kinds),
    };
    for file in BOOTSTRAP_FILES {
        files.insert(
            format!("infra/bootstrap/{file}"),
            engine.render(&format!("{TEMPLATES}/bootstrap/{file}.tera"), &bootstrap)?,
        );
    }

    for env in &project.environments {
        let context = environment_context(project, env, kinds);
        for file in super::ENVIRONMENT_FILES {
            files.insert(
                format!("{}/{file}", env.names.terraform_dir),
                engine.render(&format!("{TEMPLATES}/environment/{file}.tera"), &context)?,
            );
        }
    }
    Ok(())
}

/// The Google APIs the project needs, sorted.
fn apis(kinds: Kinds) -> Vec<&'static str> {
    let mut apis = BASE_APIS.to_vec();
    if kinds.has_sql {
        apis.push("sqladmin.googleapis.com");
    }
    if kinds.has_cache {
        apis.push("redis.googleapis.com");
    }
    if kinds.gar {
        apis.push("artifactregistry.googleapis.com");
        apis.push("containerscanning.googleapis.com");
    }
    apis.sort_unstable();
    apis
}

/// Every GitHub OIDC subject an identity created by this Terraform trusts.
fn trusted_subjects(project: &Project, kinds: Kinds) -> Vec<String> {
    let mut subjects = vec![project.oidc_pull_request_subject.clone()];
    if kinds.gar {
        subjects.extend(project.oidc_build_subjects.iter().cloned());
    }
    subjects.extend(project.environments.iter().map(|e| e.oidc_subject.clone()));
    subjects
}

/// Decides everything one environment root prints.
fn environment_context<'a>(
    project: &'a Project,
    env: &'a Environment,
    kinds: Kinds,
) -> EnvironmentContext<'a> {
    let production = env.production;
    EnvironmentContext {
        project,
        env,
        datastores: DatastoreContext::all(project),
        kinds,
        versions: &VERSIONS,
        network: NetworkPlan::for_index(env.index),
        regional: production,
        // Production follows the stable channel; other environments see new versions first.
        release_channel: if production { "STABLE" } else { "REGULAR" },
        flow_log_sampling: if production { "0.5" } else { "0.1" },
        node_disk_size_gb: if production { 100 } else { 50 },
        cache_tier: if env.sizing.datastore_ha {
            "STANDARD_HA"
        } else {
            "BASIC"
        },
        // A production cache gets room to grow; a non-production cache is small.
        cache_memory_size_gb: if production { 5 } else { 1 },
        node_service_account: bounded(&format!("{}-nodes", env.names.cluster), 30),
        key_ring: format!("{}-gke", env.names.cluster),
        workloads: project
            .services
            .iter()
            .zip(&env.services)
            .map(|(svc, in_env)| WorkloadContext {
                service: svc.name.clone(),
                account_id: in_env.workload_identity.clone(),
                kubernetes_service_account: svc.names.service_account.clone(),
                uses: svc.uses.clone(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(index: usize, expect: (&str, &str, &str, &str)) {
        let plan = NetworkPlan::for_index(index);
        assert_eq!(
            (
                plan.subnet_cidr.as_str(),
                plan.pods_cidr.as_str(),
                plan.services_cidr.as_str(),
                plan.private_services_address.as_str()
            ),
            expect
        );
    }

    #[test]
    fn first_environment_starts_at_ten_zero() {
        check(
            0,
            ("10.0.0.0/20", "10.4.0.0/14", "10.8.0.0/20", "10.12.0.0"),
        );
    }

    #[test]
    fn environments_get_disjoint_address_blocks() {
        check(
            2,
            ("10.32.0.0/20", "10.36.0.0/14", "10.40.0.0/20", "10.44.0.0"),
        );
    }
}
