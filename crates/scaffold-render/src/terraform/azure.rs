//! Terraform for Azure: modules, the bootstrap root and one root per environment under `infra/`.
//!
//! The layout follows HashiCorp's standard module structure. `infra/modules/<name>/` holds
//! reusable modules (network, cluster, key-vault, datastores, registry, ci-identity,
//! workload-identity, budget); `infra/bootstrap/` is applied once by an administrator and creates
//! the state storage, the environments' resource groups, the GitHub identities and their role
//! assignments; and `infra/environments/<env>/` composes the modules with that environment's
//! sizing.
//!
//! Who may do what is not written here by hand: every GitHub identity, the OIDC subjects its
//! federated credentials accept and its role assignments come from the access model
//! ([`Project::identities`]) through the one mapping in [`grants`]. Every name another family
//! also uses (resource groups, cluster, namespace, identities, Key Vault, secret names, state
//! location, GitHub variables and the Terraform outputs that fill them) is read from the
//! [`Project`]; the few names only Terraform needs (the flow-log storage account, address
//! spaces) are derived here. Modules are rendered per project only to leave out what it does
//! not use (an engine, the registry), so the output has no dead options.

mod grants;
#[cfg(test)]
mod tests;

use scaffold_core::access::Purpose;
use scaffold_core::datastore::Endpoint;
use scaffold_core::names::{
    self, alphanumeric, azure_output, azure_workload_client_id_output, short_hash,
};
use scaffold_core::vocabulary::Runners;
use scaffold_core::{Engine as DatastoreEngine, Environment, Project, Provider, Registry, Sizing};
use serde::Serialize;

use crate::engine::Prepared;
use crate::{Engine, Files, RenderError};
use grants::{Condition, CustomRole, Grant, Scope};

/// The azurerm provider constraint: the current major version, from 4.67.0, the first release
/// with `azurerm_resource_provider_feature_registration` (bisected with the CDK Terrain provider
/// packages: cdktn-provider-azurerm 15.6.0 is azurerm 4.66.0 without it, 15.7.0 is 4.67.0 with
/// it). It also has every write-only password argument the datastores use (`*_wo`). The oldest
/// release the provider-schema check verifies is this floor.
pub(crate) const AZURERM_VERSION: &str = "~> 4.67";
/// The random provider constraint: 3.7.0 added the ephemeral `random_password`.
const RANDOM_VERSION: &str = "~> 3.7";
/// Terraform itself: write-only arguments need 1.11.
const TERRAFORM_VERSION: &str = ">= 1.11";

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
const BOOTSTRAP_FILES: &[&str] = &[
    "versions.tf",
    "main.tf",
    "variables.tf",
    "outputs.tf",
    "README.md",
];

/// The Entra ID application every AKS cluster with managed Entra integration accepts tokens for
/// (kubelogin's `--server-id`), the same in every tenant.
#[allow(dead_code)]
pub(crate) const AKS_SERVER_ID: &str = "6dae42f8-4368-4678-94ff-3960e28e3630";

/// Adds the Azure Terraform files.
pub fn render(project: &Project, engine: &Engine, files: &mut Files) -> Result<(), RenderError> {
    let features = Features::of(project);
    for module in MODULES {
        if *module == "registry" && !features.acr {
            continue;
        }
        if *module == "datastores" && project.datastores.is_empty() {
            continue;
        }
        let context = ModuleContext::new(project, &features, module);
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

    let bootstrap = Prepared::new("bootstrap", &BootstrapContext::new(project, &features))?;
    for file in BOOTSTRAP_FILES {
        files.insert(
            format!("{}/{file}", names::BOOTSTRAP_DIR),
            engine.render_prepared(&format!("{TEMPLATES}/bootstrap/{file}.tera"), &bootstrap)?,
        );
    }

    for env in &project.environments {
        let context = Prepared::new(
            &env.names.terraform_dir,
            &EnvironmentContext::new(project, &features, env),
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

/// Which engines and options the project uses; modules render only those.
struct Features {
    mysql: bool,
    postgres: bool,
    redis: bool,
    sqlserver: bool,
    acr: bool,
    dr_region: Option<String>,
    self_hosted: bool,
}

impl Features {
    fn of(project: &Project) -> Self {
        let uses = |engine| project.datastores.iter().any(|d| d.engine == engine);
        Features {
            mysql: uses(DatastoreEngine::Mysql),
            postgres: uses(DatastoreEngine::Postgres),
            redis: uses(DatastoreEngine::Redis),
            sqlserver: uses(DatastoreEngine::Sqlserver),
            acr: project.delivery.registry == Registry::Acr,
            dr_region: project.cloud.dr_region.clone(),
            self_hosted: project.delivery.runners == Runners::SelfHosted,
        }
    }

    /// Whether a relational engine (which has an administrator and an application user) is in use.
    fn relational(&self) -> bool {
        self.mysql || self.postgres || self.sqlserver
    }

    /// The flexible-server engines in use, in a fixed order.
    fn flexible_engines(&self) -> Vec<FlexibleEngine> {
        let mut engines = Vec::new();
        if self.mysql {
            engines.push(FlexibleEngine::new(
                DatastoreEngine::Mysql,
                "Microsoft.DBforMySQL/flexibleServers",
                17,
            ));
        }
        if self.postgres {
            engines.push(FlexibleEngine::new(
                DatastoreEngine::Postgres,
                "Microsoft.DBforPostgreSQL/flexibleServers",
                18,
            ));
        }
        engines
    }

    /// The engines reached through a private endpoint in the endpoints subnet, in a fixed order.
    fn endpoint_engines(&self) -> Vec<EndpointEngine> {
        let mut engines = Vec::new();
        if self.redis {
            engines.push(EndpointEngine::new(DatastoreEngine::Redis));
        }
        if self.sqlserver {
            engines.push(EndpointEngine::new(DatastoreEngine::Sqlserver));
        }
        engines
    }

    /// Every engine in use with its Terraform resource type and secret contents, in a fixed order.
    fn engines(&self) -> Vec<EngineView> {
        let used = [
            (self.mysql, DatastoreEngine::Mysql),
            (self.postgres, DatastoreEngine::Postgres),
            (self.redis, DatastoreEngine::Redis),
            (self.sqlserver, DatastoreEngine::Sqlserver),
        ];
        let width = used
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, engine)| engine.as_str().len())
            .max()
            .unwrap_or(0);
        used.iter()
            .filter(|(on, _)| *on)
            .map(|(_, engine)| EngineView::new(*engine, width))
            .collect()
    }

    /// The ports the nodes reach in the endpoints subnet: Key Vault's HTTPS and every
    /// private-endpoint engine's client port from the datastore table.
    fn endpoint_ports(&self) -> Vec<String> {
        let mut ports = vec!["443".to_owned()];
        for engine in self.endpoint_engines() {
            ports.push(engine.port.to_string());
        }
        ports
    }

    /// The keys of the network module's private DNS zones, for documentation.
    fn dns_zone_keys(&self) -> String {
        let mut keys = vec!["key_vault"];
        keys.extend(self.endpoint_engines().iter().map(|e| e.key));
        keys.extend(self.flexible_engines().iter().map(|e| e.key));
        keys.join(", ")
    }
}

/// How Azure offers an engine, beyond the datastore table: the resource, its host name and
/// its private DNS zone.
struct AzureEngine {
    /// The Terraform resource type of the server.
    resource: &'static str,
    /// The suffix of the server's host name: clients connect to `<server>.<suffix>`, which the
    /// private DNS zone resolves to the private address inside the network.
    host_suffix: &'static str,
    /// The private DNS zone of a private endpoint, or the suffix a flexible server's own
    /// private zone must end with.
    dns_zone: &'static str,
}

/// Azure's facts for `engine` (learn.microsoft.com/azure/private-link/private-endpoint-dns).
fn azure_engine(engine: DatastoreEngine) -> AzureEngine {
    match engine {
        DatastoreEngine::Postgres => AzureEngine {
            resource: "azurerm_postgresql_flexible_server",
            host_suffix: "postgres.database.azure.com",
            dns_zone: "postgres.database.azure.com",
        },
        DatastoreEngine::Mysql => AzureEngine {
            resource: "azurerm_mysql_flexible_server",
            host_suffix: "mysql.database.azure.com",
            dns_zone: "mysql.database.azure.com",
        },
        DatastoreEngine::Redis => AzureEngine {
            resource: "azurerm_redis_cache",
            host_suffix: "redis.cache.windows.net",
            dns_zone: "privatelink.redis.cache.windows.net",
        },
        DatastoreEngine::Sqlserver => AzureEngine {
            resource: "azurerm_mssql_server",
            host_suffix: "database.windows.net",
            dns_zone: "privatelink.database.windows.net",
        },
    }
}

/// The client port of `engine` on Azure, from the datastore table.
fn azure_port(engine: DatastoreEngine) -> u16 {
    engine
        .offering(Provider::Azure)
        .expect("validation admits only engines Azure offers")
        .port
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
    /// The engine's client port from the datastore table, opened from the nodes subnet.
    port: u16,
    /// The subnet's index among the /24s of the virtual network.
    netnum: u32,
    /// `key` padded to align with `key_vault` in the network module's DNS zone map.
    zone_key: String,
    /// `<key>_subnet_id` padded to align the datastores module call's arguments.
    subnet_argument: String,
}

impl FlexibleEngine {
    fn new(engine: DatastoreEngine, delegation: &'static str, netnum: u32) -> Self {
        let key = engine.as_str();
        FlexibleEngine {
            key,
            title: engine.facts().title,
            delegation,
            dns_suffix: azure_engine(engine).dns_zone,
            port: azure_port(engine),
            netnum,
            zone_key: format!("{key:<9}"),
            subnet_argument: format!("{:<20}", format!("{key}_subnet_id")),
        }
    }
}

/// An engine reached through a private endpoint: its DNS zone, sub-resource and port.
#[derive(Serialize)]
struct EndpointEngine {
    /// Key used in resource names and the DNS zone map (`redis`, `sqlserver`).
    key: &'static str,
    /// Human name for comments.
    title: &'static str,
    /// The private DNS zone.
    dns_zone: &'static str,
    /// The engine's client port from the datastore table.
    port: u16,
    /// `key` padded to align with `key_vault` in the DNS zone map.
    zone_key: String,
}

impl EndpointEngine {
    fn new(engine: DatastoreEngine) -> Self {
        let key = engine.as_str();
        EndpointEngine {
            key,
            title: engine.facts().title,
            dns_zone: azure_engine(engine).dns_zone,
            port: azure_port(engine),
            zone_key: format!("{key:<9}"),
        }
    }
}

/// One key of a datastore's Key Vault secret and its HCL value.
#[derive(Serialize)]
struct SecretEntry {
    /// The JSON key (a [`Property`] key, such as `jdbc_url`), padded to align the `=` signs.
    key: String,
    /// The value, a quoted HCL string with interpolations.
    value: String,
}

/// An engine in use: its resource type and the contents of its secrets.
#[derive(Serialize)]
struct EngineView {
    /// `mysql`, `postgres`, `redis` or `sqlserver`: the `engine` value in the datastores map.
    key: &'static str,
    /// The Terraform resource type of the server.
    resource: &'static str,
    /// `key` padded to the longest key in use, so a map of them is aligned as `terraform fmt` wants.
    padded: String,
    /// The client port from the datastore table.
    port: u16,
    /// The suffix of the server's host name.
    host_suffix: &'static str,
    /// The application's secret: exactly the engine's secret properties on Azure.
    app_secret: Vec<SecretEntry>,
    /// The administrator's secret (relational engines only).
    admin_secret: Vec<SecretEntry>,
}

impl EngineView {
    fn new(engine: DatastoreEngine, width: usize) -> Self {
        let key = engine.as_str();
        let azure = azure_engine(engine);
        let port = azure_port(engine);
        let host = format!("${{each.value.server_name}}.{}", azure.host_suffix);
        let port_text = port.to_string();
        let secret = |username: &str, password: &str, password_in_url: &str| -> Vec<SecretEntry> {
            let endpoint = Endpoint {
                host: &host,
                port: &port_text,
                database: "${var.database_name}",
                username,
                password,
                password_in_url,
                tls: true,
            };
            let properties = engine.secret_properties(Provider::Azure);
            let width = properties.iter().map(|p| p.key().len()).max().unwrap_or(0);
            properties
                .iter()
                .map(|property| SecretEntry {
                    key: format!("{:<width$}", property.key()),
                    value: hcl_string(
                        &engine
                            .connection_value(*property, &endpoint)
                            .unwrap_or_else(|| panic!("{engine} has no {property:?} on Azure")),
                    ),
                })
                .collect()
        };
        let (app_secret, admin_secret) = if engine.is_database() {
            // Generated passwords are letters and digits only: nothing to escape in a URL.
            let app = format!("${{ephemeral.random_password.{key}_app[each.key].result}}");
            let admin = format!("${{ephemeral.random_password.{key}_admin[each.key].result}}");
            (
                secret("${var.application_user}", &app, &app),
                secret("${var.administrator_login}", &admin, &admin),
            )
        } else {
            // Azure's access keys are base64 (`+`, `/`, `=`): escaped in the URL's user-info.
            let access_key = "azurerm_redis_cache.this[each.key].primary_access_key";
            (
                secret(
                    "",
                    &format!("${{{access_key}}}"),
                    &format!("${{urlencode({access_key})}}"),
                ),
                Vec::new(),
            )
        };
        EngineView {
            key,
            resource: azure.resource,
            padded: format!("{key:<width$}"),
            port,
            host_suffix: azure.host_suffix,
            app_secret,
            admin_secret,
        }
    }
}

/// `text` as an HCL expression: a quoted string with its `${...}` interpolations, or the bare
/// expression when the text is one interpolation and nothing else.
fn hcl_string(text: &str) -> String {
    if let Some(inner) = text.strip_prefix("${").and_then(|t| t.strip_suffix('}'))
        && !inner.contains("${")
        && !inner.contains('}')
    {
        return inner.to_owned();
    }
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Context of every module template. THESE FIELDS ARE LOAD-BEARING: the templates read them.
#[derive(Serialize)]
struct ModuleContext {
    /// The azurerm provider constraint.
    azurerm_version: &'static str,
    /// The random provider constraint.
    random_version: &'static str,
    /// The Terraform version constraint.
    terraform_version: &'static str,
    /// Whether this module needs the random provider (the datastores module does, for passwords).
    random: bool,
    /// MySQL is in use.
    mysql: bool,
    /// PostgreSQL is in use.
    postgres: bool,
    /// Redis is in use.
    redis: bool,
    /// SQL Server (Azure SQL Database) is in use.
    sqlserver: bool,
    /// A relational engine is in use.
    relational: bool,
    /// The engines in use with their resource types and secrets.
    engines: Vec<EngineView>,
    /// The flexible-server engines in use.
    flexible_engines: Vec<FlexibleEngine>,
    /// The private-endpoint engines in use.
    endpoint_engines: Vec<EndpointEngine>,
    /// The ports the nodes reach in the endpoints subnet, as an HCL list.
    endpoint_ports_hcl: String,
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
    /// Jobs run on self-hosted runners inside the network: the cluster API and Key Vault are private.
    self_hosted: bool,
    /// Azure SQL Database's client port, from the datastore table.
    sqlserver_port: u16,
    /// The deploy identity's role assignments, from the access model.
    deploy_grants: Vec<ModuleGrant>,
    /// A workload identity's role assignment on each of its secrets, from the access model.
    workload_grant: Option<ModuleGrant>,
}

/// A role assignment a module renders for the identity it creates.
#[derive(Serialize)]
struct ModuleGrant {
    /// The resource label.
    label: &'static str,
    /// The role's name.
    role: String,
    /// Why, for the comment.
    reason: &'static str,
}

impl ModuleContext {
    fn new(project: &Project, features: &Features, module: &str) -> Self {
        let engines = features.engines();
        // Every identity of a purpose gets the same kind of grant: the first one found
        // stands for all (a service that uses no datastore has none).
        let identity_grants = |purpose| {
            project
                .identities()
                .into_iter()
                .filter(|i| i.purpose == purpose)
                .map(|identity| grants::all_grants(project, &identity))
                .find(|grants| !grants.is_empty())
                .unwrap_or_default()
        };
        let deploy_grants = identity_grants(Purpose::Deploy)
            .into_iter()
            .map(|g| {
                assert_eq!(
                    g.scope,
                    Scope::Cluster,
                    "the deploy module scopes grants to the cluster"
                );
                ModuleGrant {
                    label: "cluster_user",
                    role: g.role.name(&project.app.name),
                    reason: g.reason,
                }
            })
            .collect();
        let workload_grant = identity_grants(Purpose::Workload)
            .into_iter()
            .next()
            .map(|g| {
                assert_eq!(
                    g.scope,
                    Scope::Secret,
                    "the workload module scopes grants to secrets"
                );
                ModuleGrant {
                    label: "secrets",
                    role: g.role.name(&project.app.name),
                    reason: g.reason,
                }
            });
        ModuleContext {
            azurerm_version: AZURERM_VERSION,
            random_version: RANDOM_VERSION,
            terraform_version: TERRAFORM_VERSION,
            random: module == "datastores" && features.relational(),
            mysql: features.mysql,
            postgres: features.postgres,
            redis: features.redis,
            sqlserver: features.sqlserver,
            relational: features.relational(),
            engine_names: engines.iter().map(|e| e.key).collect::<Vec<_>>().join(", "),
            engines,
            flexible_engines: features.flexible_engines(),
            endpoint_engines: features.endpoint_engines(),
            endpoint_ports_hcl: hcl_list(&features.endpoint_ports()),
            dns_zone_keys: features.dns_zone_keys(),
            geo_redundant_backup: features.dr_region.is_some(),
            georeplication: features.dr_region.is_some(),
            acr: features.acr,
            self_hosted: features.self_hosted,
            sqlserver_port: azure_port(DatastoreEngine::Sqlserver),
            deploy_grants,
            workload_grant,
        }
    }
}

/// `items` as an HCL list of strings, such as `["1", "2"]`.
fn hcl_list(items: &[String]) -> String {
    format!(
        "[{}]",
        items
            .iter()
            .map(|i| format!("\"{i}\""))
            .collect::<Vec<_>>()
            .join(", ")
    )
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

/// The blob prefix every state of `env` lives under (`<env>/terraform.tfstate`, the platform
/// root's `<env>/platform.tfstate`): the ABAC conditions on its identities' state access.
fn state_prefix(env: &Environment) -> String {
    let key = &env.names.state_key;
    let dir = key.rsplit_once('/').map_or("", |(dir, _)| dir);
    assert!(
        !dir.is_empty(),
        "state keys live under the environment's folder: {key}"
    );
    format!("{dir}/")
}

/// One environment as an environment root sees it.
#[derive(Serialize)]
struct EnvironmentView<'a> {
    /// The environment's name.
    name: &'a str,
    /// Production tier.
    production: bool,
    /// It lives in its own subscription.
    separate_account: bool,
    /// Its resource group.
    resource_group: &'a str,
    /// The AKS cluster, also the prefix of network and monitoring resources.
    cluster: &'a str,
    /// The Kubernetes namespace the services run in.
    namespace: &'a str,
    /// The deploy identity.
    ci_identity: &'a str,
    /// The Key Vault.
    key_vault: &'a str,
    /// The budget.
    budget: &'a str,
    /// The GitHub OIDC subject the deploy identity trusts (from the access model).
    deploy_subject: String,
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
    /// Fewest system-pool nodes.
    system_nodes_min: u32,
    /// Most system-pool nodes.
    system_nodes_max: u32,
    /// The static public IP of the ingress controller's load balancer.
    ingress_address: &'a str,
}

/// A workload identity in one environment: a service's, or the database setup Job's.
#[derive(Serialize)]
struct ServiceView {
    /// The service's name, or the setup Job's `ServiceAccount` (the key of its module and output).
    name: String,
    /// The user-assigned identity its pods assume.
    identity: String,
    /// Its Kubernetes ServiceAccount.
    service_account: String,
    /// The Key Vault secrets it reads (its identity's `ReadSecret` operations).
    secrets: Vec<String>,
    /// The output holding its client id.
    client_id_output: String,
    /// The GitHub variable of the deploy environment that output is recorded as.
    client_id_variable: String,
}

/// A datastore in one environment.
#[derive(Serialize)]
struct DatastoreView {
    /// The datastore's name (the key in the datastores map).
    name: String,
    /// `mysql`, `postgres`, `redis` or `sqlserver`.
    engine: String,
    /// The version in Azure's vocabulary (`8.0.21`, `16`, `6`, `12.0`).
    version: String,
    /// The SKU.
    sku_name: String,
    /// The server (or cache) name.
    server_name: String,
    /// The Key Vault secret the services read (the application user's credentials).
    secret_name: String,
    /// The Key Vault secret holding the administrator's credentials (relational engines).
    admin_secret_name: String,
}

/// Context of the environment root templates. THESE FIELDS ARE LOAD-BEARING.
#[derive(Serialize)]
struct EnvironmentContext<'a> {
    /// The azurerm provider constraint.
    azurerm_version: &'static str,
    /// The random provider constraint.
    random_version: &'static str,
    /// The Terraform version constraint.
    terraform_version: &'static str,
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
    /// Images come from ACR (the nodes pull from it).
    acr: bool,
    /// Jobs run on self-hosted runners inside the network.
    self_hosted: bool,
    /// The workload identities: the services', then the database setup Job's.
    services: Vec<ServiceView>,
    /// The database setup Job has a workload identity (among `services`).
    database_setup: bool,
    /// The datastores.
    datastores: Vec<DatastoreView>,
    /// The database created on SQL servers.
    database_name: String,
    /// The SQL servers' administrator.
    administrator_login: String,
    /// The user the services connect as, which the in-cluster job creates with the administrator's credentials.
    application_user: String,
    /// A disaster-recovery region is set: backups are geo-redundant.
    geo_redundant_backup: bool,
    /// The flexible-server engines in use.
    flexible_engines: Vec<FlexibleEngine>,
    /// A private-endpoint engine (Redis, SQL Server) is in use.
    endpoint_datastores: bool,
    /// SQL Server is in use.
    sqlserver: bool,
    /// The output holding the deploy identity's client id.
    deploy_client_id_output: String,
}

impl<'a> EnvironmentContext<'a> {
    fn new(project: &'a Project, features: &Features, env: &'a Environment) -> Self {
        let database_name = project.app.name.replace('-', "_");
        let administrator_login = format!("{}_admin", truncate(&database_name, 26));
        let application_user = format!("{}_app", truncate(&database_name, 26));
        let deploy = project
            .identity(Purpose::Deploy, Some(&env.name))
            .expect("every environment has a deploy identity");
        let deploy_subject = single_subject(&deploy.tokens);
        let deploy_client_id_output = project
            .github_variables
            .iter()
            .find(|v| {
                v.name == names::AZURE_DEPLOY_CLIENT_ID
                    && v.environment.as_deref() == Some(env.names.github_environment.as_str())
            })
            .and_then(|v| v.output.as_ref())
            .map(|o| o.name.clone())
            .expect("the deploy client id is a Terraform output of the environment root");
        EnvironmentContext {
            azurerm_version: AZURERM_VERSION,
            random_version: RANDOM_VERSION,
            terraform_version: TERRAFORM_VERSION,
            random: features.relational(),
            app: &project.app.name,
            region: &project.cloud.region,
            env: EnvironmentView {
                name: &env.name,
                production: env.production,
                separate_account: env.separate_account,
                resource_group: &env.names.resource_group,
                cluster: &env.names.cluster,
                namespace: &env.names.namespace,
                ci_identity: &env.names.ci_identity,
                key_vault: &env.key_vault,
                budget: &env.names.budget,
                deploy_subject,
                sizing: &env.sizing,
                zones_hcl: hcl_list(
                    &(1..=env.sizing.zones)
                        .map(|z| z.to_string())
                        .collect::<Vec<_>>(),
                ),
                address_space: format!("10.{}.0.0/16", 10 + env.index),
                flow_logs_storage_account: flow_logs_storage_account(project, env),
                storage_replication: if env.production { "ZRS" } else { "LRS" },
                log_retention_days: if env.production { 90 } else { 30 },
                system_nodes_min: system_nodes(env).0,
                system_nodes_max: system_nodes(env).1,
                ingress_address: &env.names.ingress_address,
            },
            state: StateView::new(project, &env.names.state_key),
            acr: features.acr,
            self_hosted: features.self_hosted,
            services: workload_views(project, env),
            database_setup: !project.database_setups(env).is_empty(),
            datastores: project
                .datastores
                .iter()
                .zip(&env.datastores)
                .map(|(ds, in_env)| DatastoreView {
                    name: ds.name.clone(),
                    engine: ds.engine.as_str().to_owned(),
                    version: ds.cloud_version.api.to_owned(),
                    sku_name: datastore_sku(ds.engine, env),
                    server_name: in_env.resource.clone(),
                    secret_name: in_env.secret.clone(),
                    admin_secret_name: if ds.engine.is_database() {
                        in_env.admin_secret.clone()
                    } else {
                        String::new()
                    },
                })
                .collect(),
            database_name,
            administrator_login,
            application_user,
            geo_redundant_backup: features.dr_region.is_some(),
            flexible_engines: features.flexible_engines(),
            endpoint_datastores: features.redis || features.sqlserver,
            sqlserver: features.sqlserver,
            deploy_client_id_output,
        }
    }
}

/// The workload identities of `env`, from the access model: each service's, then the
/// database setup Job's (keyed by its `ServiceAccount`, a name no service may take).
fn workload_views(project: &Project, env: &Environment) -> Vec<ServiceView> {
    project
        .identities()
        .into_iter()
        .filter(|i| {
            i.purpose == Purpose::Workload && i.environment.as_deref() == Some(env.name.as_str())
        })
        .map(|identity| {
            let service_account = identity
                .service_account
                .clone()
                .expect("a workload identity trusts a Kubernetes ServiceAccount");
            let name = identity
                .service
                .clone()
                .unwrap_or_else(|| service_account.clone());
            ServiceView {
                identity: identity.name.clone(),
                secrets: identity
                    .operations
                    .iter()
                    .filter_map(|op| match op {
                        scaffold_core::access::Operation::ReadSecret { secret } => {
                            Some(secret.clone())
                        }
                        _ => None,
                    })
                    .collect(),
                client_id_output: azure_workload_client_id_output(&name),
                client_id_variable: names::azure_workload_client_id_variable(&name),
                service_account,
                name,
            }
        })
        .collect()
}

/// The fewest and most system-pool nodes of `env`: one per zone in production (so the
/// add-ons survive a zone), one elsewhere; twice that at most.
pub(crate) fn system_nodes(env: &Environment) -> (u32, u32) {
    if env.production {
        (env.sizing.zones, env.sizing.zones * 2)
    } else {
        (1, 2)
    }
}

/// The SKU of a datastore of `engine` in `env`. Flexible servers and caches take core's
/// sizing; Azure SQL Database has its own vCore SKUs: serverless General Purpose (scales
/// from half a vCore and pauses when idle) outside production, provisioned General Purpose
/// with two vCores in production.
fn datastore_sku(engine: DatastoreEngine, env: &Environment) -> String {
    match engine {
        DatastoreEngine::Redis => env.sizing.cache_class.clone(),
        DatastoreEngine::Mysql | DatastoreEngine::Postgres => env.sizing.database_class.clone(),
        DatastoreEngine::Sqlserver => {
            if env.production {
                "GP_Gen5_2".to_owned()
            } else {
                "GP_S_Gen5_2".to_owned()
            }
        }
    }
}

/// The one subject of an Azure identity's tokens (a federated credential per token; deploy,
/// plan and apply identities have one).
fn single_subject(tokens: &[scaffold_core::access::Token]) -> String {
    match tokens {
        [token] => token.subject.clone(),
        _ => panic!("expected exactly one token, got {tokens:?}"),
    }
}

/// An Azure subscription the bootstrap configures a provider for: the shared one, and one per
/// environment with `separate_account`.
#[derive(Serialize)]
struct SubscriptionView {
    /// The Terraform label: `shared` or the environment's name with `_` for `-`.
    label: String,
    /// The provider alias (`None` for the shared subscription's default provider).
    alias: Option<String>,
    /// The environment it belongs to (`None` for the shared subscription).
    environment: Option<String>,
    /// The HCL expression of its id.
    id: String,
}

/// One GitHub identity in the bootstrap's `github_identities` map.
#[derive(Serialize)]
struct IdentityView {
    /// The map key (`build`, `<env>-plan`, `<env>-apply`).
    key: String,
    /// The managed identity's name.
    name: String,
    /// `build`, `plan` or `apply`.
    purpose: &'static str,
    /// The environment, or empty for the build identity.
    environment: String,
    /// The OIDC subjects its federated credentials accept, as an HCL list.
    subjects_hcl: String,
}

/// One role assignment in the bootstrap's `role_assignments` map.
#[derive(Serialize)]
struct AssignmentView {
    /// The map key.
    key: String,
    /// The key of the identity in `github_identities`.
    identity: String,
    /// The role's name.
    role: String,
    /// The scope, an HCL expression.
    scope: String,
    /// The condition, an HCL expression (`null` when none).
    condition: String,
    /// Why, for the comment above the entry.
    reason: String,
}

/// One custom role definition of the bootstrap.
#[derive(Serialize)]
struct CustomRoleView {
    /// The Terraform key.
    key: &'static str,
    /// The role's name.
    name: String,
    /// Its description.
    description: &'static str,
    /// Its actions, as an HCL list.
    actions_hcl: String,
    /// The scopes it may be assigned at, HCL expressions joined with `, `.
    assignable_scopes: String,
}

/// One environment as the bootstrap root sees it.
#[derive(Serialize)]
struct BootstrapEnvironment<'a> {
    /// The environment's name.
    name: &'a str,
    /// Its Terraform label (`-` as `_`).
    label: String,
    /// Its name quoted as a map key, padded to the longest so `terraform fmt` aligns the `=`.
    key: String,
    /// Its resource group, created by the bootstrap.
    resource_group: &'a str,
    /// The provider alias of its subscription, if it has its own.
    provider_alias: Option<String>,
    /// The label of its subscription in the bootstrap (`shared` or its own label).
    subscription: String,
    /// The ABAC condition on its plan identity's state access.
    state_read_condition: String,
    /// The ABAC condition on its apply identity's state access.
    state_write_condition: String,
    /// The key of its apply identity in `github_identities`.
    apply_key: String,
}

/// A Terraform output of the bootstrap that a GitHub variable is recorded from.
#[derive(Serialize)]
struct OutputView {
    /// The output's name.
    name: String,
    /// Its description: the GitHub variable(s) it fills.
    description: String,
    /// The value, an HCL expression.
    value: String,
}

/// A `gh variable set` line of the bootstrap README.
#[derive(Serialize)]
struct VariableCommand {
    /// The command.
    command: String,
}

/// The vCPU quota an environment's node pools may need at their largest.
#[derive(Serialize)]
struct QuotaView {
    /// The environment.
    environment: String,
    /// The node VM size.
    vm_size: String,
    /// Most nodes of both pools, plus the upgrade surge.
    nodes: u32,
    /// vCPUs at that size.
    vcpus: u32,
}

/// Context of the bootstrap root templates. THESE FIELDS ARE LOAD-BEARING.
#[derive(Serialize)]
struct BootstrapContext<'a> {
    /// The azurerm provider constraint.
    azurerm_version: &'static str,
    /// The random provider constraint (unused by the bootstrap).
    random_version: &'static str,
    /// The Terraform version constraint.
    terraform_version: &'static str,
    /// Whether the root uses the random provider.
    random: bool,
    /// The application's name.
    app: &'a str,
    /// The repository, `owner/name`.
    repository: &'a str,
    /// The default branch.
    default_branch: &'a str,
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
    /// Jobs run on self-hosted runners: the state account admits only their subnets.
    self_hosted: bool,
    /// The resource providers the roots use, registered by the bootstrap's providers.
    resource_providers_hcl: String,
    /// The resource providers, for the README.
    resource_providers: Vec<&'static str>,
    /// The subscriptions: the shared one first.
    subscriptions: Vec<SubscriptionView>,
    /// Whether some environment has its own subscription.
    separate_accounts: bool,
    /// The environments.
    environments: Vec<BootstrapEnvironment<'a>>,
    /// The GitHub identities, from the access model.
    identities: Vec<IdentityView>,
    /// Their role assignments, from the one mapping.
    assignments: Vec<AssignmentView>,
    /// The custom roles the assignments use.
    custom_roles: Vec<CustomRoleView>,
    /// The delegable roles' ids and purposes, for the ABAC condition.
    delegable_roles: Vec<grants::DelegableRole>,
    /// AcrPull, the role the registry condition admits.
    acr_pull: grants::DelegableRole,
    /// The one delegable role an apply identity may also give to groups (the cluster admins).
    group_role: grants::DelegableRole,
    /// The outputs GitHub variables are recorded from.
    outputs: Vec<OutputView>,
    /// The `gh variable set` commands of the README, in the model's order.
    variable_commands: Vec<VariableCommand>,
    /// The GitHub environments to create, with their purpose.
    github_environments: Vec<GithubEnvironmentView>,
    /// vCPU quota per environment.
    quotas: Vec<QuotaView>,
}

/// A GitHub environment the team creates, for the README.
#[derive(Serialize)]
struct GithubEnvironmentView {
    /// Its name.
    name: String,
    /// Which jobs run in it and which identity's client id it holds.
    purpose: String,
    /// Its deployment branch policy and reviewers.
    protection: String,
}

/// The condition that keeps a state grant under `prefix`. `write` adds the write, lease and
/// delete data actions of Storage Blob Data Contributor to the read and list conditions.
fn state_condition(prefix: &str, write: bool) -> String {
    const BLOBS: &str = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs";
    let mut actions = vec![format!(
        "!(ActionMatches{{'{BLOBS}/read'}} AND NOT SubOperationMatches{{'Blob.List'}})"
    )];
    if write {
        for action in ["write", "delete", "add/action", "move/action"] {
            actions.push(format!("!(ActionMatches{{'{BLOBS}/{action}'}})"));
        }
    }
    format!(
        "(\n (\n  {}\n )\n OR\n (\n  @Resource[{BLOBS}:path] StringStartsWith '{prefix}'\n )\n)\nAND\n(\n (\n  !(ActionMatches{{'{BLOBS}/read'}} AND SubOperationMatches{{'Blob.List'}})\n )\n OR\n (\n  @Request[{BLOBS}:prefix] StringStartsWith '{prefix}'\n )\n)",
        actions.join("\n  AND\n  ")
    )
}

/// `text` with every line indented by `width` spaces.
fn indent(text: &str, width: usize) -> String {
    text.lines()
        .map(|line| format!("{:width$}{line}", ""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The resource providers the roots create resources of, registered by the bootstrap.
fn resource_providers(features: &Features) -> Vec<&'static str> {
    let mut providers = vec![
        "Microsoft.Authorization",
        "Microsoft.Compute",
        "Microsoft.Consumption",
        "Microsoft.ContainerService",
        "Microsoft.Insights",
        "Microsoft.KeyVault",
        "Microsoft.ManagedIdentity",
        "Microsoft.Network",
        "Microsoft.OperationalInsights",
        "Microsoft.OperationsManagement",
        "Microsoft.PolicyInsights",
        "Microsoft.Storage",
    ];
    if features.acr {
        providers.push("Microsoft.ContainerRegistry");
        providers.push("Microsoft.Security");
    }
    if features.postgres {
        providers.push("Microsoft.DBforPostgreSQL");
    }
    if features.mysql {
        providers.push("Microsoft.DBforMySQL");
    }
    if features.redis {
        providers.push("Microsoft.Cache");
    }
    if features.sqlserver {
        providers.push("Microsoft.Sql");
    }
    providers.sort_unstable();
    providers
}

impl<'a> BootstrapContext<'a> {
    fn new(project: &'a Project, features: &Features) -> Self {
        let app = &project.app.name;
        let label = |name: &str| name.replace('-', "_");
        let mut subscriptions = vec![SubscriptionView {
            label: "shared".to_owned(),
            alias: None,
            environment: None,
            id: "var.subscription_id".to_owned(),
        }];
        for env in project.environments.iter().filter(|e| e.separate_account) {
            subscriptions.push(SubscriptionView {
                label: label(&env.name),
                alias: Some(label(&env.name)),
                environment: Some(env.name.clone()),
                id: format!("var.environment_subscription_ids[{:?}]", env.name),
            });
        }
        let key_width = project
            .environments
            .iter()
            .map(|e| e.name.len() + 2)
            .max()
            .unwrap_or(0);
        let environments: Vec<BootstrapEnvironment> = project
            .environments
            .iter()
            .map(|env| {
                let prefix = state_prefix(env);
                BootstrapEnvironment {
                    name: &env.name,
                    label: label(&env.name),
                    key: format!("{:<key_width$}", format!("{:?}", env.name)),
                    resource_group: &env.names.resource_group,
                    provider_alias: env.separate_account.then(|| label(&env.name)),
                    subscription: if env.separate_account {
                        label(&env.name)
                    } else {
                        "shared".to_owned()
                    },
                    state_read_condition: indent(&state_condition(&prefix, false), 6),
                    state_write_condition: indent(&state_condition(&prefix, true), 6),
                    apply_key: identity_key(Purpose::Apply, Some(&env.name)),
                }
            })
            .collect();

        let mut identities = Vec::new();
        let mut assignments = Vec::new();
        for identity in project.identities() {
            if !matches!(
                identity.purpose,
                Purpose::Build | Purpose::Plan | Purpose::Apply
            ) {
                continue;
            }
            let key = identity_key(identity.purpose, identity.environment.as_deref());
            identities.push(IdentityView {
                key: key.clone(),
                name: identity.name.clone(),
                purpose: identity.purpose.as_str(),
                environment: identity.environment.clone().unwrap_or_default(),
                subjects_hcl: hcl_list(
                    &identity
                        .tokens
                        .iter()
                        .map(|t| t.subject.clone())
                        .collect::<Vec<_>>(),
                ),
            });
            let env = identity
                .environment
                .as_deref()
                .and_then(|name| project.environments.iter().find(|e| e.name == name));
            for grant in grants::all_grants(project, &identity) {
                assignments.push(assignment(project, &key, env, &grant));
            }
        }
        let custom_roles = grants::custom_roles(project)
            .into_iter()
            .map(|role| CustomRoleView {
                key: role.key(),
                name: role.name(app),
                description: role.description(),
                actions_hcl: hcl_list(
                    &role
                        .actions()
                        .iter()
                        .map(|a| (*a).to_owned())
                        .collect::<Vec<_>>(),
                ),
                assignable_scopes: match role {
                    CustomRole::FlowLogs => subscriptions
                        .iter()
                        .map(|s| format!("data.azurerm_network_watcher.{}.id", s.label))
                        .collect::<Vec<_>>()
                        .join(", "),
                    CustomRole::Locks | CustomRole::RedisKeys => environments
                        .iter()
                        .map(|e| format!("azurerm_resource_group.{}.id", e.label))
                        .collect::<Vec<_>>()
                        .join(", "),
                },
            })
            .collect();

        let bootstrap_outputs: Vec<_> = project
            .github_variables
            .iter()
            .filter_map(|v| v.output.as_ref().map(|o| (v, o)))
            .filter(|(_, o)| o.root == names::BOOTSTRAP_DIR)
            .collect();
        let mut outputs: Vec<OutputView> = Vec::new();
        for (variable, output) in &bootstrap_outputs {
            if outputs.iter().any(|o| o.name == output.name) {
                continue;
            }
            let environments: Vec<&str> = bootstrap_outputs
                .iter()
                .filter(|(v, o)| o.name == output.name && v.name == variable.name)
                .filter_map(|(v, _)| v.environment.as_deref())
                .collect();
            let target = if environments.is_empty() {
                format!("GitHub repository variable {}", variable.name)
            } else {
                format!(
                    "GitHub variable {} of the GitHub environment{} {}",
                    variable.name,
                    if environments.len() > 1 { "s" } else { "" },
                    environments.join(", ")
                )
            };
            outputs.push(OutputView {
                name: output.name.clone(),
                description: format!("{}: {target}.", capitalize(&variable.description)),
                value: bootstrap_output_value(project, &output.name),
            });
        }
        outputs.push(OutputView {
            name: "state_storage_account".to_owned(),
            description: "Storage account holding every environment's Terraform state.".to_owned(),
            value: "azurerm_storage_account.state.name".to_owned(),
        });
        if features.acr {
            outputs.push(OutputView {
                name: "registry_login_server".to_owned(),
                description: "The container registry host.".to_owned(),
                value: "module.registry.login_server".to_owned(),
            });
        }

        let variable_commands = project
            .github_variables
            .iter()
            .filter_map(|v| {
                let output = v.output.as_ref()?;
                (output.root == names::BOOTSTRAP_DIR).then(|| VariableCommand {
                    command: format!(
                        "gh variable set {}{} --body \"$(terraform -chdir={} output -raw {})\"",
                        v.name,
                        v.environment
                            .as_ref()
                            .map(|e| format!(" --env {e}"))
                            .unwrap_or_default(),
                        output.root,
                        output.name
                    ),
                })
            })
            .collect();

        let github_environments = project
            .environments
            .iter()
            .flat_map(|env| {
                let default = &project.default_branch;
                let plan_policy = if env.production {
                    format!(
                        "deployment branches: `{default}` only (production is planned after merge)"
                    )
                } else {
                    "no branch policy and no reviewers (pull requests plan here)".to_owned()
                };
                let reviewers = if env.approval || env.production {
                    ", required reviewers"
                } else {
                    ""
                };
                [
                    GithubEnvironmentView {
                        name: env.names.plan_environment.clone(),
                        purpose: format!(
                            "Terraform plan of `{}` as `{}` ({})",
                            env.name,
                            env.names.plan_identity,
                            names::AZURE_PLAN_CLIENT_ID
                        ),
                        protection: plan_policy,
                    },
                    GithubEnvironmentView {
                        name: env.names.infra_environment.clone(),
                        purpose: format!(
                            "Terraform apply of `{}` as `{}` ({})",
                            env.name,
                            env.names.terraform_identity,
                            names::AZURE_APPLY_CLIENT_ID
                        ),
                        protection: format!("deployment branches: `{default}` only{reviewers}"),
                    },
                    GithubEnvironmentView {
                        name: env.names.github_environment.clone(),
                        purpose: format!(
                            "deploys to `{}` as `{}` ({})",
                            env.name,
                            env.names.ci_identity,
                            names::AZURE_DEPLOY_CLIENT_ID
                        ),
                        protection: format!(
                            "deployment branches: {}{}",
                            project
                                .deploy_branches
                                .iter()
                                .map(|b| format!("`{b}`"))
                                .collect::<Vec<_>>()
                                .join(", "),
                            if env.approval {
                                ", required reviewers"
                            } else {
                                ""
                            }
                        ),
                    },
                ]
            })
            .collect();

        let quotas = project
            .environments
            .iter()
            .map(|env| {
                let (_, system_max) = system_nodes(env);
                let nodes = system_max + env.sizing.nodes_max;
                // Upgrades add a third more nodes at once (max_surge = "33%"), rounded up.
                let surge = nodes.div_ceil(3);
                QuotaView {
                    environment: env.name.clone(),
                    vm_size: env.sizing.node_type.clone(),
                    nodes: nodes + surge,
                    vcpus: (nodes + surge) * vm_vcpus(&env.sizing.node_type),
                }
            })
            .collect();

        BootstrapContext {
            azurerm_version: AZURERM_VERSION,
            random_version: RANDOM_VERSION,
            terraform_version: TERRAFORM_VERSION,
            random: false,
            app,
            repository: &project.repository.full,
            default_branch: &project.default_branch,
            region: &project.cloud.region,
            dr_region: project.cloud.dr_region.as_deref(),
            state: StateView::new(project, ""),
            shared_resource_group: &project.names.shared_resource_group,
            acr: features.acr.then_some(project.names.acr_name.as_str()),
            self_hosted: features.self_hosted,
            resource_providers_hcl: hcl_list(
                &resource_providers(features)
                    .iter()
                    .map(|p| (*p).to_owned())
                    .collect::<Vec<_>>(),
            ),
            resource_providers: resource_providers(features),
            separate_accounts: subscriptions.len() > 1,
            subscriptions,
            environments,
            identities,
            assignments,
            custom_roles,
            delegable_roles: grants::DELEGABLE_ROLES.to_vec(),
            acr_pull: grants::ACR_PULL,
            group_role: grants::GROUP_DELEGABLE_ROLE,
            outputs,
            variable_commands,
            github_environments,
            quotas,
        }
    }
}

/// The key of an identity in the bootstrap's `github_identities` map.
fn identity_key(purpose: Purpose, env: Option<&str>) -> String {
    match (purpose, env) {
        (Purpose::Build, _) => "build".to_owned(),
        (purpose, Some(env)) => format!("{env}-{}", purpose.as_str()),
        (purpose, None) => purpose.as_str().to_owned(),
    }
}

/// The bootstrap's role assignment of `grant` to the identity `key` of environment `env`.
fn assignment(
    project: &Project,
    key: &str,
    env: Option<&Environment>,
    grant: &Grant,
) -> AssignmentView {
    let env_label = env.map(|e| e.name.replace('-', "_"));
    let subscription = env
        .filter(|e| e.separate_account)
        .map_or("shared".to_owned(), |e| e.name.replace('-', "_"));
    let scope = match grant.scope {
        Scope::StateContainer => "local.state_container_scope".to_owned(),
        Scope::EnvironmentGroup => format!(
            "azurerm_resource_group.{}.id",
            env_label.as_deref().expect("environment grant")
        ),
        Scope::NetworkWatcher => format!("data.azurerm_network_watcher.{subscription}.id"),
        Scope::Registry => "module.registry.id".to_owned(),
        Scope::Cluster | Scope::Secret => {
            unreachable!("the environment root assigns cluster and secret roles")
        }
    };
    let condition = match grant.condition {
        None => "null".to_owned(),
        Some(Condition::StateRead) => format!(
            "local.state_read_conditions[{:?}]",
            env.expect("state grant").name
        ),
        Some(Condition::StateWrite) => format!(
            "local.state_write_conditions[{:?}]",
            env.expect("state grant").name
        ),
        Some(Condition::Delegation) => format!(
            "local.delegation_conditions[{:?}]",
            env.expect("delegation grant").name
        ),
        Some(Condition::RegistryPull) => "local.registry_pull_condition".to_owned(),
    };
    let role = grant.role.name(&project.app.name);
    let role_key = role
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>();
    let scope_key = match grant.scope {
        Scope::StateContainer => "state",
        Scope::EnvironmentGroup => "group",
        Scope::NetworkWatcher => "network-watcher",
        Scope::Registry => "registry",
        Scope::Cluster => "cluster",
        Scope::Secret => "secret",
    };
    let operations = grant
        .operations
        .iter()
        .map(operation_words)
        .collect::<Vec<_>>()
        .join(", ");
    AssignmentView {
        key: format!("{key}/{scope_key}/{role_key}"),
        identity: key.to_owned(),
        role,
        scope,
        condition,
        reason: if operations.is_empty() {
            format!("Exception (access::EXCEPTIONS): {}.", grant.reason)
        } else {
            format!("{operations}: {}.", grant.reason)
        },
    }
}

/// An operation in the words of the comments (`ReadState`).
fn operation_words(operation: &scaffold_core::access::Operation) -> String {
    let text = format!("{operation:?}");
    text.split([' ', '{']).next().unwrap_or(&text).to_owned()
}

/// The value of a bootstrap output a GitHub variable is recorded from, by the output's name.
fn bootstrap_output_value(project: &Project, output: &str) -> String {
    if output == azure_output(None, "subscription_id") {
        return "data.azurerm_client_config.current.subscription_id".to_owned();
    }
    if output == azure_output(None, "tenant_id") {
        return "data.azurerm_client_config.current.tenant_id".to_owned();
    }
    if output == azure_output(None, "build_client_id") {
        return "azurerm_user_assigned_identity.github[\"build\"].client_id".to_owned();
    }
    if output == azure_output(None, "registry_id") {
        return "module.registry.id".to_owned();
    }
    for env in &project.environments {
        let name = env.name.as_str();
        if output == azure_output(Some(name), "subscription_id") {
            return format!("var.environment_subscription_ids[{name:?}]");
        }
        if output == azure_output(Some(name), "plan_client_id") {
            return format!(
                "azurerm_user_assigned_identity.github[{:?}].client_id",
                identity_key(Purpose::Plan, Some(name))
            );
        }
        if output == azure_output(Some(name), "terraform_client_id") {
            return format!(
                "azurerm_user_assigned_identity.github[{:?}].client_id",
                identity_key(Purpose::Apply, Some(name))
            );
        }
    }
    panic!("no bootstrap value for output {output}")
}

/// `text` with its first letter uppercase.
fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().collect::<String>() + chars.as_str()
    })
}

/// The vCPUs of an Azure VM size such as `Standard_D4s_v5` (the number after the family letter).
fn vm_vcpus(size: &str) -> u32 {
    size.trim_start_matches("Standard_")
        .chars()
        .skip_while(|c| c.is_ascii_alphabetic())
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap_or_else(|_| panic!("no vCPU count in VM size {size}"))
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
