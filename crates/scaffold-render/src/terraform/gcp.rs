//! Terraform for GCP: reusable modules, the bootstrap root and one root per environment.
//!
//! The layout follows HashiCorp's standard module structure. `infra/modules/` holds
//! small modules (network, cluster, datastores, registry, ci-identity,
//! workload-identity, budget) that take every name as an input;
//! `infra/environments/<env>/` composes them with that environment's sizing and the
//! names derived in core; `infra/bootstrap/` is applied by an administrator and creates
//! what a pipeline must not create for itself: the state bucket, the GitHub workload
//! identity federation, every service account with every project-level role binding
//! (derived from the access model in [`access`]), and the shared image registry.
//!
//! Everything a template prints is decided here: which modules exist for this project
//! (no datastores module without datastores, no registry without Artifact Registry),
//! address plans, engine versions in the provider's spelling, the connection values of
//! each datastore's secret (from core's datastore table), and which checkov skips
//! apply. Templates only format. `terraform fmt` aligns the `=` of consecutive
//! attributes, so map keys that come from the answers are padded here.

pub(crate) mod access;
#[cfg(test)]
mod cel;
#[cfg(test)]
mod tests;

use serde::Serialize;

use scaffold_core::access::{Identity, Operation, Purpose};
use scaffold_core::datastore::{Endpoint, Property};
use scaffold_core::names::gcp_project_id_variable;
use scaffold_core::{Datastore, Engine as DbEngine, Environment, Project, Registry, Runners};

use crate::engine::Prepared;
use crate::{Engine, Files, RenderError};

use access::{Contents, Grant, Target};

/// Template directory of this cloud, below `scaffolds/`.
const TEMPLATES: &str = "terraform/gcp";

/// The Google provider constraint: 7.x from 7.31, the oldest release the provider-schema
/// check verifies (write-only `password_wo`, `secret_data_wo` and `root_password_wo`, and
/// `google_sql_user.database_roles`, are all in 7.31).
pub(crate) const GOOGLE_PROVIDER: &str = "~> 7.31";
/// The random provider constraint: the ephemeral `random_password` exists from 3.7.1
/// (hashicorp/terraform-provider-random CHANGELOG); 3.7.2 is the oldest release checked.
pub(crate) const RANDOM_PROVIDER: &str = ">= 3.7.2, < 4.0.0";
/// The oldest Terraform the roots accept: write-only arguments need 1.11 (ephemeral
/// resources 1.10; GCS native state locking is older).
pub(crate) const TERRAFORM_VERSION: &str = ">= 1.11";

/// The files of the bootstrap root.
const BOOTSTRAP_FILES: &[&str] = &[
    "main.tf",
    "variables.tf",
    "outputs.tf",
    "versions.tf",
    "terraform.tfvars",
    "README.md",
];

/// Google APIs the bootstrap root enables in every project, before any environment is applied.
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

/// One TCP port the control plane calls on the nodes, and the add-ons whose admission
/// webhook (or aggregated API) listens on it.
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub(crate) struct WebhookPort {
    /// The pod port, one of [`scaffold_core::platform::CONTROL_PLANE_PORTS`].
    pub port: u16,
    /// The add-ons' titles, in installation order.
    pub addons: Vec<&'static str>,
}

/// The ports of the webhooks of the add-ons some environment's cluster runs (the cluster
/// module is shared), from the add-on catalogue's `webhook_port`, in port order.
///
/// Every one is a port GKE's own firewall rule already admits from a private cluster's
/// control plane (443 and 10250, [`scaffold_core::platform::CONTROL_PLANE_PORTS`]); the
/// module's rule states them for the add-ons, with logging, so a refused webhook call
/// shows in the firewall log.
pub(crate) fn webhook_ports(project: &Project) -> Vec<WebhookPort> {
    let mut ports: Vec<WebhookPort> = Vec::new();
    for env in &project.environments {
        for addon in project.addons(env) {
            let Some(port) = addon.webhook_port else {
                continue;
            };
            match ports.iter_mut().find(|p| p.port == port) {
                Some(entry) if entry.addons.contains(&addon.title) => {}
                Some(entry) => entry.addons.push(addon.title),
                None => ports.push(WebhookPort {
                    port,
                    addons: vec![addon.title],
                }),
            }
        }
    }
    ports.sort_by_key(|p| p.port);
    ports
}

/// Provider and Terraform version constraints.
#[derive(Serialize)]
struct Versions {
    /// `required_version` of every root and module.
    terraform: &'static str,
    /// The hashicorp/google constraint.
    google: &'static str,
    /// The hashicorp/random constraint.
    random: &'static str,
}

/// The constraints every template prints.
const VERSIONS: Versions = Versions {
    terraform: TERRAFORM_VERSION,
    google: GOOGLE_PROVIDER,
    random: RANDOM_PROVIDER,
};

/// One attribute of an HCL object literal: the key padded for `terraform fmt`, and the
/// value as HCL (a quoted template or an expression).
#[derive(Serialize, Debug, Clone)]
pub(crate) struct HclEntry {
    /// The key, padded to the longest key of its object.
    pub key: String,
    /// The value, as HCL.
    pub value: String,
}

/// `entries` with keys padded to a common width.
fn padded(entries: Vec<(String, String)>) -> Vec<HclEntry> {
    let width = entries.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    entries
        .into_iter()
        .map(|(key, value)| HclEntry {
            key: format!("{key:<width$}"),
            value,
        })
        .collect()
}

/// `text` as an HCL quoted template: quotes and backslashes escaped, interpolations kept.
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// One datastore as the GCP templates print it.
#[derive(Serialize)]
struct DatastoreContext {
    /// The datastore's name in `scaffold.toml`; the key of every per-datastore map.
    name: String,
    /// `name` quoted and padded to the longest quoted name, so a map of datastores
    /// is aligned the way `terraform fmt` aligns it.
    key: String,
    /// `name` quoted and padded to the longest quoted name of the SQL datastores (the
    /// administrator secrets' map has only those).
    admin_key: String,
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
    /// The port clients connect to, from the datastore table (Memorystore with TLS: 6378).
    port: u16,
    /// The application user's name (Cloud SQL).
    app_user: String,
    /// The administrator's name (Cloud SQL).
    admin_user: String,
    /// The application secret's JSON object: exactly the datastore's secret properties.
    app_secret: Vec<HclEntry>,
    /// The administrator secret's JSON object (Cloud SQL only; empty for Memorystore).
    admin_secret: Vec<HclEntry>,
}

/// The database user names of the app (`-` becomes `_`; MySQL allows 32 characters).
fn sql_users(app: &str) -> (String, String) {
    let app_user = app.replace('-', "_");
    let stem = &app_user[..app_user.len().min(26)];
    (app_user.clone(), format!("{stem}_admin"))
}

impl DatastoreContext {
    fn new(project: &Project, ds: &Datastore, width: usize, sql_width: usize) -> Self {
        // The API spelling comes from the datastore table; checkov's CKV_GCP_79 accepts
        // only the newest major of each engine, which the template otherwise skips with a reason.
        let version = ds.cloud_version.api.to_owned();
        let latest_major = matches!(version.as_str(), "POSTGRES_18" | "MYSQL_8_0" | "MYSQL_8_4")
            || ds.engine == DbEngine::Redis;
        let ident = ds.name.replace('-', "_");
        let (app_user, admin_user) = sql_users(&project.app.name);
        let sql = ds.engine.is_database();
        let (app_secret, admin_secret) = if sql {
            let instance = format!("google_sql_database_instance.{ident}");
            (
                secret_object(
                    ds,
                    &format!("${{{instance}.private_ip_address}}"),
                    &format!("${{google_sql_database.{ident}.name}}"),
                    &format!("${{google_sql_user.{ident}_app.name}}"),
                    &format!("${{ephemeral.random_password.{ident}_app.result}}"),
                    None,
                ),
                secret_object(
                    ds,
                    &format!("${{{instance}.private_ip_address}}"),
                    &format!("${{google_sql_database.{ident}.name}}"),
                    &format!("${{google_sql_user.{ident}_admin.name}}"),
                    &format!("${{ephemeral.random_password.{ident}_admin.result}}"),
                    None,
                ),
            )
        } else {
            let instance = format!("google_redis_instance.{ident}");
            (
                secret_object(
                    ds,
                    &format!("${{{instance}.host}}"),
                    "",
                    "",
                    &format!("${{{instance}.auth_string}}"),
                    Some(&format!("join(\"\", {instance}.server_ca_certs[*].cert)")),
                ),
                Vec::new(),
            )
        };
        DatastoreContext {
            name: ds.name.clone(),
            key: format!("{:<width$}", format!("\"{}\"", ds.name)),
            admin_key: format!("{:<sql_width$}", format!("\"{}\"", ds.name)),
            ident,
            engine: ds.engine.as_str().to_owned(),
            sql,
            version,
            latest_major,
            port: ds.cloud_port,
            app_user,
            admin_user,
            app_secret,
            admin_secret,
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
        let sql_width = project
            .datastores
            .iter()
            .filter(|d| d.engine.is_database())
            .map(|d| d.name.len() + 2)
            .max()
            .unwrap_or(0);
        project
            .datastores
            .iter()
            .map(|d| DatastoreContext::new(project, d, width, sql_width))
            .collect()
    }
}

/// The JSON object a datastore's secret holds: every property of `ds.secret_properties`,
/// rendered by core's `connection_value` from Terraform interpolations. The password is
/// alphanumeric where Terraform generates it, and URL-encoded where the cloud does
/// (Memorystore's AUTH string). `ca` is a Terraform expression, not a template.
fn secret_object(
    ds: &Datastore,
    host: &str,
    database: &str,
    username: &str,
    password: &str,
    ca: Option<&str>,
) -> Vec<HclEntry> {
    let port = ds.cloud_port.to_string();
    let password_in_url = if ds.engine.is_database() {
        password.to_owned()
    } else {
        format!(
            "${{urlencode({})}}",
            password.trim_start_matches("${").trim_end_matches('}')
        )
    };
    let endpoint = Endpoint {
        host,
        port: &port,
        database,
        username,
        password,
        password_in_url: &password_in_url,
        tls: true,
    };
    let entries = ds
        .secret_properties
        .iter()
        .map(|property| {
            let value = match (property, ca) {
                (Property::Ca, Some(expression)) => expression.to_owned(),
                (Property::Ca, None) => {
                    panic!(
                        "{}: an instance-CA datastore needs its CA expression",
                        ds.name
                    )
                }
                (property, _) => quoted(
                    &ds.engine
                        .connection_value(*property, &endpoint)
                        .unwrap_or_else(|| panic!("{}: no value for {}", ds.name, property.key())),
                ),
            };
            (property.key().to_owned(), value)
        })
        .collect();
    padded(entries)
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
    /// Jobs that reach the cluster run on self-hosted runners inside the network.
    self_hosted: bool,
}

impl Kinds {
    fn of(project: &Project) -> Self {
        let contents = Contents::of(project);
        Kinds {
            has_sql: contents.sql,
            has_cache: contents.cache,
            gar: project.delivery.registry == Registry::Gar,
            self_hosted: project.delivery.runners == Runners::SelfHosted,
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
    /// Ports the control plane must reach on the nodes for the add-ons' admission webhooks.
    webhook_ports: Vec<WebhookPort>,
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
    /// The control plane's range (a /28): the source of its traffic to the nodes, which
    /// the admission-webhook firewall rule admits.
    master_cidr: String,
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
            master_cidr: format!("10.{}.0.0/28", base + 13),
        }
    }
}

/// One workload identity in one environment: a service's, or the database setup job's.
#[derive(Serialize)]
struct WorkloadContext {
    /// The key of the module's `for_each`: the service's name, or
    /// [`scaffold_core::names::DATABASE_SETUP`] (which no service may take).
    key: String,
    /// The Google service account id the pods impersonate (created by the bootstrap root).
    account_id: String,
    /// The Kubernetes ServiceAccount name.
    kubernetes_service_account: String,
    /// The Secret Manager secrets it may read, as HCL references to the datastores
    /// module's outputs: its `ReadSecret` operations.
    secret_ids: Vec<String>,
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
    /// The cluster autoscaler's profile.
    autoscaling_profile: &'static str,
    /// Fraction of subnet flows sampled into flow logs.
    flow_log_sampling: &'static str,
    /// Node boot disk size in GB.
    node_disk_size_gb: u32,
    /// Memorystore tier: `STANDARD_HA` (a replica in another zone) when the
    /// environment's datastores are highly available, else `BASIC`.
    cache_tier: &'static str,
    /// Memorystore size in GB.
    cache_memory_size_gb: u32,
    /// The node pool's Google service account id (created by the bootstrap root).
    node_service_account: String,
    /// The Cloud KMS key ring holding the cluster's secrets-encryption key.
    key_ring: String,
    /// One entry per service, in service order.
    workloads: Vec<WorkloadContext>,
    /// The GitHub variable holding this environment's project id.
    project_variable: String,
}

/// A GitHub Actions identity as the bootstrap root creates it, with its trust and its
/// role bindings from [`access::grants`].
#[derive(Serialize, Debug)]
struct GithubIdentityContext {
    /// The service account id.
    account: String,
    /// The environment whose project it lives in; `None` for the shared project.
    environment: Option<String>,
    /// Its display name.
    display_name: String,
    /// The GitHub OIDC subjects its binding accepts (the workflow is checked by the
    /// provider's attribute condition).
    subjects: Vec<String>,
    /// Roles on its environment's project (HCL expressions: quoted predefined roles, or
    /// the custom role's id).
    project_roles: Vec<String>,
    /// Conditional roles on the state bucket.
    state_roles: Vec<StateRole>,
    /// Roles on the image repository.
    registry_roles: Vec<String>,
    /// Roles on service accounts the bootstrap creates (HCL expressions of their names).
    service_account_roles: Vec<ServiceAccountRole>,
}

/// A conditional role on the state bucket.
#[derive(Serialize, Debug)]
struct StateRole {
    /// The role.
    role: String,
    /// The condition's title.
    title: String,
    /// The condition's description.
    description: String,
    /// The condition's CEL expression (an HCL template: `${local.state_objects}` is interpolated).
    expression: String,
}

/// A role on one service account.
#[derive(Serialize, Debug)]
struct ServiceAccountRole {
    /// The target account's id.
    account: String,
    /// The role.
    role: String,
}

/// A service account of an environment that no GitHub job assumes: the nodes', or a
/// service's workload identity.
#[derive(Serialize, Debug)]
struct InfraAccountContext {
    /// The account id.
    account: String,
    /// The account id quoted and padded to the longest of its map, for `terraform fmt`.
    key: String,
    /// The environment whose project it lives in.
    environment: String,
    /// Its display name.
    display_name: String,
}

/// One environment as the bootstrap root sees it.
#[derive(Serialize, Debug)]
struct BootstrapEnvironment {
    /// The environment's name.
    name: String,
    /// `name` quoted and padded for a map of environments.
    key: String,
    /// Whether it lives in its own project.
    separate: bool,
    /// The Terraform variable holding its project id when separate (`production_project_id`).
    project_variable: String,
    /// The GitHub variable holding its project id.
    github_variable: String,
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
    /// APIs to enable in every project, sorted.
    apis: Vec<&'static str>,
    /// The environments.
    environments: Vec<BootstrapEnvironment>,
    /// Some environment lives in its own project.
    any_separate: bool,
    /// Every identity GitHub Actions assumes, with its trust and grants.
    github_identities: Vec<GithubIdentityContext>,
    /// The nodes' service account of each environment.
    node_accounts: Vec<InfraAccountContext>,
    /// The workload identity of each service in each environment.
    workload_accounts: Vec<InfraAccountContext>,
    /// The workload identity provider's attribute condition.
    attribute_condition: String,
    /// The custom role that reads a Memorystore AUTH string.
    redis_auth_role_id: &'static str,
    /// Its permissions.
    redis_auth_permissions: &'static [&'static str],
    /// Per environment, the commands a project owner runs to reach its clusters when no
    /// cluster administrator can.
    break_glass: Vec<BreakGlass>,
}

/// The break-glass commands of one environment.
#[derive(Serialize, Debug)]
struct BreakGlass {
    /// The environment.
    environment: String,
    /// The shell variable holding its project id (`$GCP_PROJECT_ID`).
    project: String,
    /// The command that writes its cluster's credentials (the runbooks' command).
    credentials: String,
}

/// The Terraform variable holding the project id of a separate environment.
fn project_variable(env: &str) -> String {
    format!("{}_project_id", env.replace('-', "_"))
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
        webhook_ports: webhook_ports(project),
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

    let bootstrap = Prepared::new("bootstrap", &bootstrap_context(project, kinds))?;
    for file in BOOTSTRAP_FILES {
        files.insert(
            format!("infra/bootstrap/{file}"),
            engine.render_prepared(&format!("{TEMPLATES}/bootstrap/{file}.tera"), &bootstrap)?,
        );
    }

    for env in &project.environments {
        let context = Prepared::new(
            &env.names.terraform_dir,
            &environment_context(project, env, kinds),
        )?;
        for file in super::ENVIRONMENT_FILES {
            files.insert(
                format!("{}/{file}", env.names.terraform_dir),
                engine
                    .render_prepared(&format!("{TEMPLATES}/environment/{file}.tera"), &context)?,
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

/// The display name of a GitHub identity.
fn display_name(identity: &Identity) -> String {
    let env = identity.environment.as_deref().unwrap_or_default();
    match identity.purpose {
        Purpose::Build => "GitHub Actions image builds".to_owned(),
        Purpose::Plan => format!("Terraform plan for {env} (read-only)"),
        Purpose::Apply => format!("Terraform apply for {env}"),
        Purpose::Deploy => format!("GitHub Actions deploy to {env}"),
        Purpose::Workload => match &identity.service {
            Some(service) => format!("{service} in {env}"),
            None => format!("Database setup in {env}"),
        },
    }
}

/// The bootstrap context of one GitHub identity: its trust and its grants, each from the model.
fn github_identity(project: &Project, identity: &Identity) -> GithubIdentityContext {
    let mut context = GithubIdentityContext {
        account: identity.name.clone(),
        environment: identity.environment.clone(),
        display_name: display_name(identity),
        subjects: identity.tokens.iter().map(|t| t.subject.clone()).collect(),
        project_roles: Vec::new(),
        state_roles: Vec::new(),
        registry_roles: Vec::new(),
        service_account_roles: Vec::new(),
    };
    for Grant { role, target, .. } in access::grants(project, identity) {
        match target {
            Target::Project { environment } => {
                let role = if role == access::REDIS_AUTH_READER_ROLE_ID {
                    // The custom role's id, spelled from known values so that `for_each`
                    // over the roles is known when Terraform plans.
                    format!(
                        "\"projects/${{local.projects[\"{environment}\"]}}/roles/{}\"",
                        access::redis_auth_role_id(&environment)
                    )
                } else {
                    format!("\"{role}\"")
                };
                if !context.project_roles.contains(&role) {
                    context.project_roles.push(role);
                }
            }
            Target::StateBucket {
                title,
                description,
                expression,
            } => context.state_roles.push(StateRole {
                role,
                title,
                description,
                expression,
            }),
            Target::Registry => context.registry_roles.push(role),
            Target::ServiceAccount { account } => context
                .service_account_roles
                .push(ServiceAccountRole { account, role }),
            // Bound where the resource lives: secrets in the environment root, namespaces
            // in the platform root.
            Target::Secret { .. } | Target::KubernetesRbac { .. } => {}
        }
    }
    context
}

/// `accounts` with their `key`s quoted and padded to a common width.
fn padded_accounts(mut accounts: Vec<InfraAccountContext>) -> Vec<InfraAccountContext> {
    let width = accounts
        .iter()
        .map(|a| a.account.len() + 2)
        .max()
        .unwrap_or(0);
    for account in &mut accounts {
        account.key = format!("{:<width$}", format!("\"{}\"", account.account));
    }
    accounts
}

/// Decides everything the bootstrap root prints.
fn bootstrap_context(project: &Project, kinds: Kinds) -> BootstrapContext<'_> {
    let width = project
        .environments
        .iter()
        .map(|e| e.name.len() + 2)
        .max()
        .unwrap_or(0);
    let environments: Vec<BootstrapEnvironment> = project
        .environments
        .iter()
        .map(|e| BootstrapEnvironment {
            name: e.name.clone(),
            key: format!("{:<width$}", format!("\"{}\"", e.name)),
            separate: e.separate_account,
            project_variable: project_variable(&e.name),
            github_variable: gcp_project_id_variable(&e.name, e.separate_account),
        })
        .collect();
    let identities = project.identities();
    BootstrapContext {
        project,
        kinds,
        versions: &VERSIONS,
        apis: apis(kinds),
        any_separate: environments.iter().any(|e| e.separate),
        environments,
        github_identities: identities
            .iter()
            .filter(|i| access::is_github(i))
            .map(|i| github_identity(project, i))
            .collect(),
        node_accounts: padded_accounts(
            project
                .environments
                .iter()
                .map(|e| InfraAccountContext {
                    account: access::node_service_account(e),
                    key: String::new(),
                    environment: e.name.clone(),
                    display_name: format!("GKE nodes of {}", e.names.cluster),
                })
                .collect(),
        ),
        workload_accounts: padded_accounts(
            identities
                .iter()
                .filter(|i| i.purpose == Purpose::Workload)
                .map(|i| InfraAccountContext {
                    account: i.name.clone(),
                    key: String::new(),
                    environment: i.environment.clone().unwrap_or_default(),
                    display_name: display_name(i),
                })
                .collect(),
        ),
        attribute_condition: access::attribute_condition(project),
        redis_auth_role_id: access::REDIS_AUTH_READER_ROLE_ID,
        redis_auth_permissions: access::REDIS_AUTH_READER_PERMISSIONS,
        break_glass: project
            .environments
            .iter()
            .map(|e| BreakGlass {
                environment: e.name.clone(),
                project: format!("${}", gcp_project_id_variable(&e.name, e.separate_account)),
                credentials: crate::docs::cloud::credentials(project, e),
            })
            .collect(),
    }
}

/// Decides everything one environment root prints.
fn environment_context<'a>(
    project: &'a Project,
    env: &'a Environment,
    kinds: Kinds,
) -> EnvironmentContext<'a> {
    let production = env.production;
    let identities = project.identities();
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
        // Non-production scales nodes down sooner (cheaper); production keeps headroom.
        autoscaling_profile: if production {
            "BALANCED"
        } else {
            "OPTIMIZE_UTILIZATION"
        },
        flow_log_sampling: if production { "0.5" } else { "0.1" },
        node_disk_size_gb: if production { 100 } else { 50 },
        cache_tier: if env.sizing.datastore_ha {
            "STANDARD_HA"
        } else {
            "BASIC"
        },
        // A production cache gets room to grow; a non-production cache is small.
        cache_memory_size_gb: if production { 5 } else { 1 },
        node_service_account: access::node_service_account(env),
        key_ring: format!("{}-gke", env.names.cluster),
        workloads: identities
            .iter()
            .filter(|i| {
                i.purpose == Purpose::Workload
                    && i.environment.as_deref() == Some(env.name.as_str())
            })
            .map(|identity| workload(project, env, identity))
            .collect(),
        project_variable: gcp_project_id_variable(&env.name, env.separate_account),
    }
}

/// The environment root's view of one workload identity: its Kubernetes ServiceAccount and
/// the secrets its `ReadSecret` grants name, as references to the datastores module.
fn workload(project: &Project, env: &Environment, identity: &Identity) -> WorkloadContext {
    let secret_ids = access::grants(project, identity)
        .into_iter()
        .filter_map(|g| match (g.operation, g.target) {
            (Operation::ReadSecret { .. }, Target::Secret { secret }) => Some(secret),
            _ => None,
        })
        .map(|secret| {
            let (output, in_env) = env
                .datastores
                .iter()
                .find_map(|d| {
                    if d.secret == secret {
                        Some(("secret_ids", d))
                    } else if d.admin_secret == secret {
                        Some(("admin_secret_ids", d))
                    } else {
                        None
                    }
                })
                .unwrap_or_else(|| panic!("{secret} is no secret of {}", env.name));
            format!("module.datastores.{output}[{}]", quoted(&in_env.datastore))
        })
        .collect();
    let kubernetes_service_account = identity
        .service_account
        .clone()
        .unwrap_or_else(|| panic!("workload identity {} has no ServiceAccount", identity.name));
    WorkloadContext {
        key: identity
            .service
            .clone()
            .unwrap_or_else(|| kubernetes_service_account.clone()),
        account_id: identity.name.clone(),
        kubernetes_service_account,
        secret_ids,
    }
}
