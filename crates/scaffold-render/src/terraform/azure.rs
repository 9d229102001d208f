//! Terraform for Azure: modules, the bootstrap root and one root per environment under `infra/`.
//!
//! The layout follows HashiCorp's standard module structure. `infra/modules/<name>/` holds
//! reusable modules (network, cluster, key-vault, datastores, registry, ci-identity,
//! workload-identity, budget); `infra/bootstrap/` is applied once by an administrator and creates
//! the state storage, the environments' resource groups and the GitHub identities; and
//! `infra/environments/<env>/` composes the modules with that environment's sizing.
//!
//! Every name that another family also uses (resource groups, cluster, namespace, identities,
//! Key Vault, secret names, state location) is read from the [`Project`]; the few names only
//! Terraform needs (the flow-log storage account, address spaces) are derived here. Modules are
//! rendered per project only to leave out what it does not use (an engine, the registry), so
//! the output has no dead options.

use scaffold_core::names::{alphanumeric, short_hash};
use scaffold_core::{Engine as DatastoreEngine, Environment, Project, Registry, Sizing};
use serde::Serialize;

use crate::{Engine, Files, RenderError};

/// The azurerm provider constraint: the current major version, at least the release whose
/// argument names the templates use (such as `public_network_access` on MySQL flexible servers)
/// and the oldest the provider-schema check verifies.
const AZURERM_VERSION: &str = "~> 4.59";
/// The random provider constraint.
const RANDOM_VERSION: &str = "~> 3.7";

/// The template directory below `scaffolds/`.
const TEMPLATES: &str = "terraform/azure";

/// The modules, each rendered from `modules/<name>/` into `infra/modules/<name>/`.
const MODULES: &[&str] = &[
    "network",
    "cluster",
    "key-vault",
    "datastores",
    "registry",
    "ci-identity",
    "workload-identity",
    "budget",
];

/// The files of the bootstrap root.
const BOOTSTRAP_FILES: &[&str] = &["versions.tf", "main.tf", "variables.tf", "outputs.tf"];

/// Adds the Azure Terraform files.
pub fn render(project: &Project, engine: &Engine, files: &mut Files) -> Result<(), RenderError> {
    let acr = project.delivery.registry == Registry::Acr;
    let features = Features::of(project);
    for module in MODULES {
        if *module == "registry" && !acr {
            continue;
        }
        if *module == "datastores" && project.datastores.is_empty() {
            continue;
        }
        let context = ModuleContext::new(&features, *module == "datastores");
        for file in super::MODULE_FILES {
            // Every Azure module shares one versions.tf template.
            let template = if *file == "versions.tf" {
                format!("{TEMPLATES}/modules/versions.tf.tera")
            } else {
                format!("{TEMPLATES}/modules/{module}/{file}.tera")
            };
            files.insert(
                format!("infra/modules/{module}/{file}"),
                engine.render(&template, &context)?,
            );
        }
    }

    let bootstrap = BootstrapContext::new(project);
    for file in BOOTSTRAP_FILES {
        files.insert(
            format!("infra/bootstrap/{file}"),
            engine.render(&format!("{TEMPLATES}/bootstrap/{file}.tera"), &bootstrap)?,
        );
    }

    for env in &project.environments {
        let context = EnvironmentContext::new(project, &features, env);
        for file in super::ENVIRONMENT_FILES {
            files.insert(
                format!("{}/{file}", env.names.terraform_dir),
                engine.render(&format!("{TEMPLATES}/environment/{file}.tera"), &context)?,
            );
        }
    }
    Ok(())
}

/// Which engines and options the project uses; modules render only those.
struct Features {
    mysql: bool,
    postgres: bool,
    redis: bool,
    acr: bool,
    dr_region: Option<String>,
}

impl Features {
    fn of(project: &Project) -> Self {
        let uses = |engine| project.datastores.iter().any(|d| d.engine == engine);
        Features {
            mysql: uses(DatastoreEngine::Mysql),
            postgres: uses(DatastoreEngine::Postgres),
            redis: uses(DatastoreEngine::Redis),
            acr: project.delivery.registry == Registry::Acr,
            dr_region: project.cloud.dr_region.clone(),
        }
    }

    /// The flexible-server engines in use, in a fixed order.
    fn flexible_engines(&self) -> Vec<FlexibleEngine> {
        let mut engines = Vec::new();
        if self.mysql {
            engines.push(FlexibleEngine::new(
                "mysql",
                "MySQL",
                "Microsoft.DBforMySQL/flexibleServers",
                "mysql.database.azure.com",
                3306,
                17,
            ));
        }
        if self.postgres {
            engines.push(FlexibleEngine::new(
                "postgres",
                "PostgreSQL",
                "Microsoft.DBforPostgreSQL/flexibleServers",
                "postgres.database.azure.com",
                5432,
                18,
            ));
        }
        engines
    }

    /// Every engine in use with its Terraform resource type, in a fixed order.
    fn engines(&self) -> Vec<EngineRef> {
        let used = [
            (self.mysql, "mysql", "azurerm_mysql_flexible_server"),
            (
                self.postgres,
                "postgres",
                "azurerm_postgresql_flexible_server",
            ),
            (self.redis, "redis", "azurerm_redis_cache"),
        ];
        let width = used
            .iter()
            .filter(|(on, _, _)| *on)
            .map(|(_, key, _)| key.len())
            .max()
            .unwrap_or(0);
        used.iter()
            .filter(|(on, _, _)| *on)
            .map(|(_, key, resource)| EngineRef {
                key,
                resource,
                padded: format!("{key:<width$}"),
            })
            .collect()
    }

    /// The keys of the network module's private DNS zones, for documentation.
    fn dns_zone_keys(&self) -> String {
        let mut keys = vec!["key_vault"];
        if self.redis {
            keys.push("redis");
        }
        keys.extend(self.flexible_engines().iter().map(|e| e.key));
        keys.join(", ")
    }
}

/// A flexible-server engine: its delegated subnet, private DNS zone and port.
#[derive(Serialize)]
struct FlexibleEngine {
    /// Key used in resource names, outputs and the DNS zone map (`mysql`, `postgres`).
    key: &'static str,
    /// Human name for comments.
    title: &'static str,
    /// The subnet delegation service name.
    delegation: &'static str,
    /// Suffix the private DNS zone must end with.
    dns_suffix: &'static str,
    /// The engine's port, opened from the nodes subnet.
    port: u16,
    /// The subnet's index among the /24s of the virtual network.
    netnum: u32,
    /// `key` padded to align with `key_vault` in the network module's DNS zone map.
    zone_key: String,
    /// `<key>_subnet_id` padded to align with `private_dns_zone_ids` in the datastores module call.
    subnet_argument: String,
}

impl FlexibleEngine {
    fn new(
        key: &'static str,
        title: &'static str,
        delegation: &'static str,
        dns_suffix: &'static str,
        port: u16,
        netnum: u32,
    ) -> Self {
        FlexibleEngine {
            key,
            title,
            delegation,
            dns_suffix,
            port,
            netnum,
            zone_key: format!("{key:<9}"),
            subnet_argument: format!("{:<20}", format!("{key}_subnet_id")),
        }
    }
}

/// An engine in use and the resource type that implements it.
#[derive(Serialize)]
struct EngineRef {
    /// `mysql`, `postgres` or `redis`: the `engine` value in the datastores map.
    key: &'static str,
    /// The Terraform resource type.
    resource: &'static str,
    /// `key` padded to the longest key in use, so a map of them is aligned as `terraform fmt` wants.
    padded: String,
}

/// Context of every module template. THESE FIELDS ARE LOAD-BEARING: the templates read them.
#[derive(Serialize)]
struct ModuleContext {
    /// The azurerm provider constraint.
    azurerm_version: &'static str,
    /// The random provider constraint.
    random_version: &'static str,
    /// Whether this module needs the random provider (the datastores module does).
    random: bool,
    /// MySQL is in use.
    mysql: bool,
    /// PostgreSQL is in use.
    postgres: bool,
    /// Redis is in use.
    redis: bool,
    /// The engines in use with their resource types.
    engines: Vec<EngineRef>,
    /// The flexible-server engines in use.
    flexible_engines: Vec<FlexibleEngine>,
    /// The engine keys in use, joined for documentation.
    engine_names: String,
    /// The private DNS zone keys, joined for documentation.
    dns_zone_keys: String,
    /// A disaster-recovery region is set: backups are geo-redundant.
    geo_redundant_backup: bool,
    /// A disaster-recovery region is set: the registry replicates to it.
    georeplication: bool,
    /// Images come from ACR.
    acr: bool,
}

impl ModuleContext {
    fn new(features: &Features, random: bool) -> Self {
        let engines = features.engines();
        ModuleContext {
            azurerm_version: AZURERM_VERSION,
            random_version: RANDOM_VERSION,
            random: random && (features.mysql || features.postgres),
            mysql: features.mysql,
            postgres: features.postgres,
            redis: features.redis,
            engine_names: engines.iter().map(|e| e.key).collect::<Vec<_>>().join(", "),
            engines,
            flexible_engines: features.flexible_engines(),
            dns_zone_keys: features.dns_zone_keys(),
            geo_redundant_backup: features.dr_region.is_some(),
            georeplication: features.dr_region.is_some(),
            acr: features.acr,
        }
    }
}

/// Where an environment's state lives.
#[derive(Serialize)]
struct StateView {
    /// Resource group of the state storage account.
    resource_group: String,
    /// The state storage account.
    storage_account: String,
    /// The state container.
    container: String,
    /// The environment's state blob (empty in the bootstrap context).
    key: String,
}

impl StateView {
    fn new(project: &Project, key: &str) -> Self {
        StateView {
            resource_group: project.names.state_resource_group.clone(),
            storage_account: project.names.state_storage_account.clone(),
            container: project.names.state_container.clone(),
            key: key.to_owned(),
        }
    }
}

/// One environment as an environment root sees it.
#[derive(Serialize)]
struct EnvironmentView<'a> {
    /// The environment's name.
    name: &'a str,
    /// Production tier.
    production: bool,
    /// Its resource group.
    resource_group: &'a str,
    /// The AKS cluster, also the prefix of network and monitoring resources.
    cluster: &'a str,
    /// The Kubernetes namespace the services run in.
    namespace: &'a str,
    /// The deploy identity.
    ci_identity: &'a str,
    /// The read-only plan identity (created by the bootstrap root).
    plan_identity: &'a str,
    /// The Key Vault.
    key_vault: &'a str,
    /// The budget.
    budget: &'a str,
    /// The GitHub OIDC subject the deploy identity trusts.
    oidc_subject: &'a str,
    /// Sizes from core.
    sizing: &'a Sizing,
    /// Availability zones as an HCL list, such as `["1", "2"]`, as many as `sizing.zones`.
    zones_hcl: String,
    /// The virtual network's /16, distinct per environment so they can be peered later.
    address_space: String,
    /// The flow-log storage account (globally unique).
    flow_logs_storage_account: String,
    /// Storage replication: ZRS in production, LRS elsewhere.
    storage_replication: &'static str,
    /// Days Log Analytics keeps logs.
    log_retention_days: u32,
    /// Fewest system-pool nodes: one per zone in production, one elsewhere.
    system_nodes_min: u32,
    /// Most system-pool nodes.
    system_nodes_max: u32,
}

/// A service's workload identity in one environment.
#[derive(Serialize)]
struct ServiceView {
    /// The service's name.
    name: String,
    /// The user-assigned identity its pods assume.
    identity: String,
    /// Its Kubernetes ServiceAccount.
    service_account: String,
    /// The datastores it uses, whose secrets it may read.
    datastores: Vec<String>,
}

/// A datastore in one environment.
#[derive(Serialize)]
struct DatastoreView {
    /// The datastore's name (the key in the datastores map).
    name: String,
    /// `mysql`, `postgres` or `redis`.
    engine: String,
    /// The version in Azure's vocabulary (`8.0.21`, `16`, `6`).
    version: String,
    /// The SKU from core sizing.
    sku_name: String,
    /// The server (or cache) name.
    server_name: String,
    /// The Key Vault secret receiving the connection URL.
    secret_name: String,
}

/// Context of the environment root templates. THESE FIELDS ARE LOAD-BEARING.
#[derive(Serialize)]
struct EnvironmentContext<'a> {
    /// The azurerm provider constraint.
    azurerm_version: &'static str,
    /// The random provider constraint.
    random_version: &'static str,
    /// Whether the root uses the random provider (through the datastores module).
    random: bool,
    /// The application's name.
    app: &'a str,
    /// The primary region.
    region: &'a str,
    /// The environment.
    env: EnvironmentView<'a>,
    /// The state backend.
    state: StateView,
    /// Resource group of the shared registry and GitHub identities.
    shared_resource_group: &'a str,
    /// The registry's name when images come from ACR.
    acr: Option<&'a str>,
    /// The services' workload identities.
    services: Vec<ServiceView>,
    /// The datastores.
    datastores: Vec<DatastoreView>,
    /// The database created on SQL servers.
    database_name: String,
    /// The SQL servers' administrator.
    administrator_login: String,
    /// A disaster-recovery region is set: backups are geo-redundant.
    geo_redundant_backup: bool,
    /// The flexible-server engines in use.
    flexible_engines: Vec<FlexibleEngine>,
    /// Redis is in use.
    redis: bool,
}

impl<'a> EnvironmentContext<'a> {
    fn new(project: &'a Project, features: &Features, env: &'a Environment) -> Self {
        let database_name = project.app.name.replace('-', "_");
        let administrator_login = format!("{}_admin", truncate(&database_name, 26));
        EnvironmentContext {
            azurerm_version: AZURERM_VERSION,
            random_version: RANDOM_VERSION,
            random: features.mysql || features.postgres,
            app: &project.app.name,
            region: &project.cloud.region,
            env: EnvironmentView {
                name: &env.name,
                production: env.production,
                resource_group: &env.names.resource_group,
                cluster: &env.names.cluster,
                namespace: &env.names.namespace,
                ci_identity: &env.names.ci_identity,
                plan_identity: &env.names.plan_identity,
                key_vault: &env.key_vault,
                budget: &env.names.budget,
                oidc_subject: &env.oidc_subject,
                sizing: &env.sizing,
                zones_hcl: format!(
                    "[{}]",
                    (1..=env.sizing.zones)
                        .map(|z| format!("\"{z}\""))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                address_space: format!("10.{}.0.0/16", 10 + env.index),
                flow_logs_storage_account: flow_logs_storage_account(project, env),
                storage_replication: if env.production { "ZRS" } else { "LRS" },
                log_retention_days: if env.production { 90 } else { 30 },
                system_nodes_min: if env.production { env.sizing.zones } else { 1 },
                system_nodes_max: if env.production {
                    env.sizing.zones * 2
                } else {
                    2
                },
            },
            state: StateView::new(project, &env.names.state_key),
            shared_resource_group: &project.names.shared_resource_group,
            acr: features.acr.then_some(project.names.acr_name.as_str()),
            services: project
                .services
                .iter()
                .zip(&env.services)
                .map(|(service, in_env)| ServiceView {
                    name: service.name.clone(),
                    identity: in_env.workload_identity.clone(),
                    service_account: service.names.service_account.clone(),
                    datastores: service.uses.clone(),
                })
                .collect(),
            datastores: project
                .datastores
                .iter()
                .zip(&env.datastores)
                .map(|(ds, in_env)| DatastoreView {
                    name: ds.name.clone(),
                    engine: ds.engine.as_str().to_owned(),
                    version: ds.cloud_version.api.to_owned(),
                    sku_name: match ds.engine {
                        DatastoreEngine::Redis => env.sizing.cache_class.clone(),
                        DatastoreEngine::Mysql
                        | DatastoreEngine::Postgres
                        | DatastoreEngine::Sqlserver => env.sizing.database_class.clone(),
                    },
                    server_name: in_env.resource.clone(),
                    secret_name: in_env.secret.clone(),
                })
                .collect(),
            database_name,
            administrator_login,
            geo_redundant_backup: features.dr_region.is_some(),
            flexible_engines: features.flexible_engines(),
            redis: features.redis,
        }
    }
}

/// One environment as the bootstrap root sees it.
#[derive(Serialize)]
struct BootstrapEnvironment<'a> {
    /// The environment's name.
    name: &'a str,
    /// Its resource group, created by the bootstrap.
    resource_group: &'a str,
    /// The identity that applies its root.
    terraform_identity: &'a str,
    /// The identity that plans it on pull requests.
    plan_identity: &'a str,
    /// The GitHub OIDC subject of its GitHub environment.
    oidc_subject: &'a str,
}

/// Context of the bootstrap root templates. THESE FIELDS ARE LOAD-BEARING.
#[derive(Serialize)]
struct BootstrapContext<'a> {
    /// The azurerm provider constraint.
    azurerm_version: &'static str,
    /// The random provider constraint (unused by the bootstrap).
    random_version: &'static str,
    /// Whether the root uses the random provider.
    random: bool,
    /// The application's name.
    app: &'a str,
    /// The primary region.
    region: &'a str,
    /// The disaster-recovery region, if any.
    dr_region: Option<&'a str>,
    /// The state storage.
    state: StateView,
    /// Resource group of the registry and GitHub identities.
    shared_resource_group: &'a str,
    /// The registry's name when images come from ACR.
    acr: Option<&'a str>,
    /// The identity that pushes images.
    build_identity: &'a str,
    /// The OIDC subjects the build identity trusts: one per branch an environment deploys from.
    oidc_build_subjects: &'a [String],
    /// The OIDC subject the plan identities trust.
    oidc_pull_request_subject: &'a str,
    /// The environments.
    environments: Vec<BootstrapEnvironment<'a>>,
}

impl<'a> BootstrapContext<'a> {
    fn new(project: &'a Project) -> Self {
        BootstrapContext {
            azurerm_version: AZURERM_VERSION,
            random_version: RANDOM_VERSION,
            random: false,
            app: &project.app.name,
            region: &project.cloud.region,
            dr_region: project.cloud.dr_region.as_deref(),
            state: StateView::new(project, ""),
            shared_resource_group: &project.names.shared_resource_group,
            acr: (project.delivery.registry == Registry::Acr)
                .then_some(project.names.acr_name.as_str()),
            build_identity: &project.names.build_identity,
            oidc_build_subjects: &project.oidc_build_subjects,
            oidc_pull_request_subject: &project.oidc_pull_request_subject,
            environments: project
                .environments
                .iter()
                .map(|env| BootstrapEnvironment {
                    name: &env.name,
                    resource_group: &env.names.resource_group,
                    terraform_identity: &env.names.terraform_identity,
                    plan_identity: &env.names.plan_identity,
                    oidc_subject: &env.oidc_subject,
                })
                .collect(),
        }
    }
}

/// The flow-log storage account of `env`: 3 to 24 lowercase letters and digits, globally unique
/// through a hash of the repository and environment.
fn flow_logs_storage_account(project: &Project, env: &Environment) -> String {
    let hash = short_hash(&format!(
        "{}/{}/flowlogs",
        project.repository.full, env.name
    ));
    format!(
        "{}{}fl{hash}",
        truncate(&alphanumeric(&project.app.name), 10),
        truncate(&alphanumeric(&env.name), 6)
    )
}

/// The first `max` characters of an ASCII `text`.
fn truncate(text: &str, max: usize) -> &str {
    &text[..text.len().min(max)]
}
