//! Terraform for AWS: reusable modules, a bootstrap root and one root per environment.
//!
//! The layout follows HashiCorp's standard module structure:
//! `infra/modules/<name>/` holds small, generic modules (network, EKS cluster,
//! one module per datastore engine, ECR registry, budget); `infra/bootstrap/`
//! creates what every other root needs before it can run (the state bucket,
//! GitHub's OIDC provider, the registry, and the identities the CI and
//! infrastructure workflows assume); and `infra/environments/<env>/` composes
//! the modules with that environment's sizing and creates the identities that
//! live with the cluster (deploy, workloads, add-ons).
//!
//! Identities are not hand-written: each one of [`Project::identities`] becomes an
//! IAM role whose trust is exactly its model tokens and whose grants come from
//! its operations through the one mapping in [`grants`]. The apply identities
//! work inside a per-environment permissions boundary ([`boundary`]) that every
//! role they create must carry, and the state bucket's policy keeps each
//! environment's identities to its own state objects ([`bucket_policy`]).
//!
//! Modules are rendered only when an environment uses them, so a project
//! without a cache gets no `redis` module. Every size and name is decided here
//! from the `Project`; the templates only format.

mod grants;
#[cfg(test)]
mod tests;

use scaffold_core::access::{Identity, Purpose, Token};
use scaffold_core::datastore::Endpoint;
use scaffold_core::names::{alphanumeric, bounded};
use scaffold_core::platform;
use scaffold_core::{Engine as DatastoreEngine, Environment, Project, Registry, Runners, Sizing};
use serde::Serialize;

use self::grants::{
    AddonNeed, ClusterAccess, Grant, ManagedPolicy, Need, Scope, SecretScope, Statement, quote,
};
use crate::engine::Prepared;
use crate::{Engine, Files, RenderError};

/// Template folder of the AWS Terraform family, below `scaffolds/`.
const TEMPLATES: &str = "terraform/aws";

/// The version constraints of every AWS root and module, in one place.
///
/// Terraform 1.11 is the first with write-only arguments (`password_wo`,
/// `secret_string_wo`), which keep generated passwords out of state and plan;
/// ephemeral resources (`ephemeral "random_password"`) arrived in 1.10 and in
/// random 3.7.0. aws 6.0 has every resource and argument used here (checked with
/// the provider schemas at 6.0.0 and at the newest 6.x, `cargo xtask conformance
/// --only tf-schema --only tf-schema-min`).
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct Versions {
    /// `required_version`.
    pub terraform: &'static str,
    /// `hashicorp/aws`.
    pub aws: &'static str,
    /// `hashicorp/random`.
    pub random: &'static str,
}

/// The pins.
pub(crate) const VERSIONS: Versions = Versions {
    terraform: ">= 1.11",
    aws: "~> 6.0",
    random: "~> 3.7",
};

/// The files of the bootstrap root.
const BOOTSTRAP_FILES: &[&str] = &[
    "main.tf",
    "identities.tf",
    "variables.tf",
    "outputs.tf",
    "versions.tf",
    "terraform.tfvars",
    "README.md",
];

/// AWS files of an environment root beyond [`super::ENVIRONMENT_FILES`].
const ENVIRONMENT_EXTRA_FILES: &[&str] = &["identities.tf"];

/// Modules every AWS project gets, whatever its datastores and registry.
const ALWAYS_MODULES: &[&str] = &["network", "cluster", "budget"];

/// The OIDC issuer of GitHub Actions, the prefix of its condition keys.
const GITHUB_ISSUER: &str = "token.actions.githubusercontent.com";

/// The tag every resource carries (provider `default_tags`): the permissions boundary
/// keeps an environment's identities to resources tagged with their own environment.
const ENVIRONMENT_TAG: &str = "environment";

/// The tag value of what the bootstrap root creates for every environment.
const SHARED_TAG: &str = "shared";

/// Context of a generic module template.
#[derive(Serialize)]
struct ModuleContext {
    /// The module's directory name, such as `postgres`.
    module: String,
    /// The provider pins.
    versions: Versions,
    /// Relational engine settings, for the `postgres` and `mysql` modules only.
    database: Option<DatabaseModule>,
    /// Cache settings, for the `redis` module only.
    cache: Option<CacheModule>,
}

/// What differs between the PostgreSQL and MySQL flavours of the RDS module.
#[derive(Serialize)]
struct DatabaseModule {
    /// RDS `engine`: `postgres` or `mysql`.
    engine: &'static str,
    /// Human name, such as `PostgreSQL`.
    title: &'static str,
    /// The client port, from the datastore table.
    port: u16,
    /// Parameter that refuses unencrypted connections.
    tls_parameter: &'static str,
    /// Log types exported to CloudWatch Logs, as an HCL list.
    log_exports: &'static str,
    /// The application user's secret: exactly the engine's secret properties.
    app_secret: Vec<SecretEntry>,
    /// The administrator's secret: the same properties with the administrator's credentials.
    admin_secret: Vec<SecretEntry>,
}

/// The ElastiCache module's table facts.
#[derive(Serialize)]
struct CacheModule {
    /// The client port, from the datastore table.
    port: u16,
    /// The secret: exactly the engine's secret properties.
    secret: Vec<SecretEntry>,
}

/// One key of a datastore secret's JSON object and its HCL value.
#[derive(Serialize)]
struct SecretEntry {
    /// The key (a [`Property`] key), padded to align the `=` signs as `terraform fmt` does.
    key: String,
    /// The value, a quoted HCL string with interpolations.
    value: String,
}

/// The secret entries of `engine` on AWS, from the datastore table's connection forms.
fn secret_entries(engine: DatastoreEngine, endpoint: &Endpoint<'_>) -> Vec<SecretEntry> {
    let properties = engine.secret_properties(scaffold_core::Provider::Aws);
    let width = properties.iter().map(|p| p.key().len()).max().unwrap_or(0);
    properties
        .iter()
        .map(|property| SecretEntry {
            key: format!("{:<width$}", property.key()),
            value: hcl_value(
                &engine
                    .connection_value(*property, endpoint)
                    .unwrap_or_else(|| panic!("{engine} has no {property:?} on AWS")),
            ),
        })
        .collect()
}

/// `text` as an HCL value: a bare expression when it is one interpolation and nothing
/// else (`${var.x}` becomes `var.x`), else a quoted string.
fn hcl_value(text: &str) -> String {
    match text.strip_prefix("${").and_then(|t| t.strip_suffix('}')) {
        Some(inner) if !inner.contains("${") && !inner.contains('}') => inner.to_owned(),
        _ => quote(text),
    }
}

impl DatabaseModule {
    fn of(engine: DatastoreEngine) -> Option<Self> {
        let offering = engine.offering(scaffold_core::Provider::Aws)?;
        let port = offering.port.to_string();
        let secret = |username: &str, password: &str| {
            secret_entries(
                engine,
                &Endpoint {
                    host: "${aws_db_instance.this.address}",
                    port: &port,
                    database: "${var.database_name}",
                    username,
                    password,
                    // Generated passwords are letters and digits: nothing to escape in a URL.
                    password_in_url: password,
                    tls: true,
                },
            )
        };
        let app_secret = secret(
            "${var.app_username}",
            "${ephemeral.random_password.app.result}",
        );
        let admin_secret = secret(
            "${var.admin_username}",
            "${ephemeral.random_password.admin.result}",
        );
        let tls_parameter = tls_parameter(engine);
        let (engine_name, title, log_exports) = match engine {
            DatastoreEngine::Postgres => ("postgres", "PostgreSQL", r#"["postgresql", "upgrade"]"#),
            DatastoreEngine::Mysql => (
                "mysql",
                "MySQL",
                r#"["audit", "error", "general", "slowquery"]"#,
            ),
            // Validation admits no other relational engine on AWS (the table offers none).
            DatastoreEngine::Redis | DatastoreEngine::Sqlserver => return None,
        };
        Some(DatabaseModule {
            engine: engine_name,
            title,
            port: offering.port,
            tls_parameter,
            log_exports,
            app_secret,
            admin_secret,
        })
    }
}

impl CacheModule {
    fn new() -> Option<Self> {
        let offering = DatastoreEngine::Redis.offering(scaffold_core::Provider::Aws)?;
        let port = offering.port.to_string();
        let password = "${random_password.auth.result}";
        Some(CacheModule {
            port: offering.port,
            secret: secret_entries(
                DatastoreEngine::Redis,
                &Endpoint {
                    host: "${aws_elasticache_replication_group.this.primary_endpoint_address}",
                    port: &port,
                    database: "",
                    username: "",
                    password,
                    password_in_url: password,
                    tls: true,
                },
            ),
        })
    }
}

/// The module directory that implements a datastore engine.
fn datastore_module(engine: DatastoreEngine) -> &'static str {
    match engine {
        DatastoreEngine::Postgres => "postgres",
        DatastoreEngine::Mysql => "mysql",
        DatastoreEngine::Redis => "redis",
        // Not offered on AWS: validation rejects it before rendering.
        DatastoreEngine::Sqlserver => "sqlserver",
    }
}

/// `name` as an HCL identifier fragment: `-` becomes `_`.
fn identifier(name: &str) -> String {
    name.replace('-', "_")
}

/// The permissions boundary of environment `env`'s apply identity and of every role it creates.
pub(crate) fn boundary_name(app: &str, env: &str) -> String {
    bounded(&format!("{app}-{env}-boundary"), 128)
}

/// The IAM role a cluster add-on's pods assume in environment `env`.
pub(crate) fn addon_role_name(app: &str, env: &str, addon: &str) -> String {
    bounded(&format!("{app}-{env}-addon-{addon}"), 64)
}

/// The names of an RDS instance's network and parameter resources, which a restored
/// instance needs too (the database restore runbook passes them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct RdsNames {
    /// The DB subnet group.
    pub subnet_group: String,
    /// The DB parameter group (it requires TLS).
    pub parameter_group: String,
    /// The security group's name (its id is looked up by name).
    pub security_group: String,
}

/// The names of RDS instance `identifier`'s subnet group, parameter group and security group.
pub(crate) fn rds_names(identifier: &str) -> RdsNames {
    RdsNames {
        subnet_group: identifier.to_owned(),
        parameter_group: identifier.to_owned(),
        security_group: format!("{identifier}-db"),
    }
}

/// The RDS parameter that refuses unencrypted connections to `engine`.
pub(crate) fn tls_parameter(engine: DatastoreEngine) -> &'static str {
    match engine {
        DatastoreEngine::Mysql => "require_secure_transport",
        _ => "rds.force_ssl",
    }
}

/// The RDS master user of a database of app `app`: at most 16 letters, digits and `_`.
pub(crate) fn admin_username(app: &str) -> String {
    let mut stem = alphanumeric(app);
    stem.truncate(10);
    format!("{stem}_admin")
}

/// The database name and the application user of app `app` (letters and digits, at most 16).
pub(crate) fn database_name(app: &str) -> String {
    let mut name = alphanumeric(app);
    name.truncate(16);
    name
}

/// How GitHub's tokens are matched in a trust policy: one statement per token, so the
/// subject and the workflow are checked together.
#[derive(Debug, Clone, Serialize)]
struct GithubTrust {
    /// The statement id.
    sid: String,
    /// The exact `sub` claim.
    subject: String,
    /// The `job_workflow_ref` claim, a pattern where `*` matches any text.
    workflow: String,
    /// `StringLike` when `workflow` has a `*`, else `StringEquals`.
    workflow_test: &'static str,
}

impl GithubTrust {
    fn of(tokens: &[Token]) -> Vec<Self> {
        tokens
            .iter()
            .enumerate()
            .map(|(i, token)| GithubTrust {
                sid: if tokens.len() == 1 {
                    "GitHubActions".to_owned()
                } else {
                    format!("GitHubActions{}", i + 1)
                },
                subject: token.subject.clone(),
                workflow: token.workflow.clone(),
                workflow_test: if token.workflow.contains('*') {
                    "StringLike"
                } else {
                    "StringEquals"
                },
            })
            .collect()
    }
}

/// Who may assume a role.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
enum Trust {
    /// GitHub Actions jobs, through GitHub's OIDC provider in the role's account.
    Github {
        /// The provider's ARN, an HCL expression.
        provider: String,
        /// One statement per accepted token.
        tokens: Vec<GithubTrust>,
    },
    /// A Kubernetes ServiceAccount, through the cluster's OIDC provider (IRSA).
    ServiceAccount {
        /// The Kubernetes namespace.
        namespace: String,
        /// The ServiceAccount.
        service_account: String,
    },
    /// A Kubernetes ServiceAccount, through an EKS Pod Identity association.
    PodIdentity {
        /// The Kubernetes namespace.
        namespace: String,
        /// The ServiceAccount.
        service_account: String,
    },
}

/// One IAM role, as a template renders it.
#[derive(Debug, Clone, Serialize)]
struct Role {
    /// The HCL resource name, such as `deploy` or `plan_staging`.
    resource: String,
    /// The IAM role name.
    name: String,
    /// The role's description.
    description: String,
    /// What it is for (`build`, `plan`, `apply`, `deploy`, `workload`, `addon`).
    purpose: &'static str,
    /// Who may assume it.
    trust: Trust,
    /// Statements of its inline policy (none: no inline policy).
    statements: Vec<Statement>,
    /// AWS managed policies attached to it.
    managed: Vec<ManagedPolicy>,
    /// Its cluster access (rendered as an EKS access entry in the environment root).
    cluster: Vec<ClusterAccess>,
    /// The permissions boundary it carries, an HCL expression.
    boundary: Option<String>,
    /// The provider configuration it is created with (`aws.production`), when not the default.
    provider: Option<String>,
}

impl Role {
    fn from_grant(
        resource: String,
        name: String,
        description: String,
        purpose: &'static str,
        trust: Trust,
        grant: Grant,
    ) -> Self {
        Role {
            resource,
            name,
            description,
            purpose,
            trust,
            statements: grant.statements,
            managed: grant.managed,
            cluster: Vec::new(),
            boundary: None,
            provider: None,
        }
    }
}

/// The cluster access of `identity` in `env`, from its operations.
fn cluster_access(identity: &Identity, env: &Environment) -> Vec<ClusterAccess> {
    grants::cluster_accesses(needs(identity), &env.names.deploy_group)
}

/// The model's operations of `identity` as needs.
fn needs(identity: &Identity) -> impl Iterator<Item = Need<'_>> {
    identity.operations.iter().map(Need::Operation)
}

/// An AWS account scaffold creates identities in.
#[derive(Debug, Clone, Serialize)]
struct Account {
    /// The variable holding its id (`aws_account_id`, `production_account_id`).
    variable: String,
    /// The provider alias, for an environment's own account (`None`: the default provider).
    alias: Option<String>,
    /// The environment that lives in it alone (`None`: the shared account).
    environment: Option<String>,
    /// The HCL resource name of GitHub's OIDC provider in it.
    oidc_resource: String,
}

impl Account {
    /// `var.<variable>`.
    fn id(&self) -> String {
        format!("var.{}", self.variable)
    }

    /// `aws.<alias>`, the `provider` meta-argument of resources in this account.
    fn provider(&self) -> Option<String> {
        self.alias.as_ref().map(|a| format!("aws.{a}"))
    }
}

/// The account environment `env` lives in.
fn account_of(env: &Environment) -> Account {
    if env.separate_account {
        let ident = identifier(&env.name);
        Account {
            variable: format!("{ident}_account_id"),
            alias: Some(ident.clone()),
            environment: Some(env.name.clone()),
            oidc_resource: format!("github_{ident}"),
        }
    } else {
        Account {
            variable: "aws_account_id".to_owned(),
            alias: None,
            environment: None,
            oidc_resource: "github".to_owned(),
        }
    }
}

/// Context of the bootstrap root.
#[derive(Serialize)]
struct BootstrapContext<'a> {
    /// The application name, used in descriptions and tags.
    app: &'a str,
    /// The primary region.
    region: &'a str,
    /// The provider pins.
    versions: Versions,
    /// The S3 bucket holding every root's state.
    state_bucket: &'a str,
    /// The key of the bootstrap root's own state, once moved into the bucket.
    bootstrap_state_key: &'static str,
    /// The shared account first, then one per environment with `separate_account`.
    accounts: Vec<Account>,
    /// The state bucket's policy statements.
    bucket_policy: Vec<Statement>,
    /// The state key's statements for identities in other accounts.
    state_key_policy: Vec<Statement>,
    /// One entry per environment.
    environments: Vec<BootstrapEnvironment>,
    /// The build identity, with ECR.
    build: Option<Role>,
    /// ECR repository names, one per service (with ECR).
    repositories: Vec<&'a str>,
    /// The account ids (HCL expressions) whose nodes pull from the registry across accounts.
    pull_accounts: Vec<String>,
}

/// One environment as the bootstrap root sees it.
#[derive(Serialize)]
struct BootstrapEnvironment {
    /// The environment's name.
    name: String,
    /// The name as an HCL identifier fragment.
    ident: String,
    /// The name quoted and padded as a key of an aligned HCL map.
    map_key: String,
    /// Its account.
    account: Account,
    /// The permissions boundary's name.
    boundary_name: String,
    /// The boundary's statements.
    boundary: Vec<Statement>,
    /// The apply identity.
    apply: Role,
    /// The plan identity.
    plan: Role,
}

/// Context of an environment root.
#[derive(Serialize)]
struct EnvironmentContext<'a> {
    /// The application name.
    app: &'a str,
    /// The environment's name.
    environment: &'a str,
    /// Whether this is a production environment.
    production: bool,
    /// Whether the environment lives in its own AWS account.
    separate_account: bool,
    /// The primary region.
    region: &'a str,
    /// The disaster-recovery region, if the project has one.
    dr_region: Option<&'a str>,
    /// Whether database backups are copied to the disaster-recovery region (whenever
    /// `dr_region` is set, in every environment, so restores can be rehearsed outside production).
    dr_backups: bool,
    /// The provider pins.
    versions: Versions,
    /// The state bucket.
    state_bucket: &'a str,
    /// The state object key.
    state_key: &'a str,
    /// Sizes derived from the availability target and the tier.
    sizing: &'a Sizing,
    /// VPC and cluster name prefix.
    cluster: &'a str,
    /// The Kubernetes namespace of the environment's workloads.
    namespace: &'a str,
    /// The monthly budget's name.
    budget: &'a str,
    /// One NAT gateway for all zones (non-production) instead of one per zone.
    single_nat_gateway: bool,
    /// GitHub-hosted runners reach the cluster API over the internet (guarded by IAM);
    /// with self-hosted runners it is private.
    public_api: bool,
    /// The permissions boundary every role of the environment carries.
    boundary_name: String,
    /// The datastores.
    datastores: Vec<DatastoreContext<'a>>,
    /// The roles this root creates: deploy, workloads, add-ons.
    roles: Vec<Role>,
    /// EKS access entries of identities created elsewhere (apply, plan) and of people.
    access_entries: Vec<AccessEntry>,
    /// The domain whose Route 53 hosted zone the environment creates, where external-dns
    /// writes the public hosts' records.
    domain: Option<&'a str>,
    /// The add-on ServiceAccounts with a cloud identity.
    addons: Vec<AddonContext>,
}

/// An EKS access entry of a principal the environment root does not create.
#[derive(Serialize)]
struct AccessEntry {
    /// The HCL resource name.
    resource: String,
    /// The principal's ARN, an HCL expression.
    principal: String,
    /// What it is.
    comment: String,
    /// The access it gets.
    access: Vec<ClusterAccess>,
}

/// A cluster add-on with an EKS Pod Identity association.
#[derive(Serialize)]
struct AddonContext {
    /// The HCL resource name of its role.
    resource: String,
    /// Namespace and ServiceAccount.
    namespace: String,
    /// The ServiceAccount.
    service_account: String,
}

/// One datastore in an environment root.
#[derive(Serialize)]
struct DatastoreContext<'a> {
    /// The datastore's name.
    name: &'a str,
    /// The module block's name, such as `datastore_db`.
    module: String,
    /// The module directory, such as `postgres`.
    source: &'static str,
    /// Whether it is a relational database (RDS) rather than a cache (ElastiCache).
    database: bool,
    /// The ElastiCache engine (`valkey` or `redis`), from the datastore table.
    engine: &'static str,
    /// The engine version as the cloud's API spells it, from the datastore table.
    version: &'static str,
    /// RDS parameter group family, such as `postgres16`, from the datastore table.
    parameter_group_family: &'static str,
    /// The resource identifier (RDS identifier, ElastiCache replication group id).
    identifier: &'a str,
    /// The Secrets Manager secret the services read.
    secret: &'a str,
    /// The Secrets Manager secret of the administrator's credentials (databases only).
    admin_secret: &'a str,
    /// Database and application user name (letters and digits).
    database_name: String,
    /// The administrator's user name.
    admin_username: String,
    /// The names of the instance's subnet, parameter and security groups.
    rds: RdsNames,
}

/// Adds the AWS Terraform files.
pub fn render(project: &Project, engine: &Engine, files: &mut Files) -> Result<(), RenderError> {
    let ecr = project.delivery.registry == Registry::Ecr;
    let mut modules: Vec<&str> = ALWAYS_MODULES.to_vec();
    if ecr {
        modules.push("registry");
    }
    for ds in &project.datastores {
        let module = datastore_module(ds.engine);
        if !modules.contains(&module) {
            modules.push(module);
        }
    }
    for module in modules {
        let database = match module {
            "postgres" => DatabaseModule::of(DatastoreEngine::Postgres),
            "mysql" => DatabaseModule::of(DatastoreEngine::Mysql),
            _ => None,
        };
        let cache = (module == "redis").then(CacheModule::new).flatten();
        // Both relational engines share one set of templates.
        let template_dir = if database.is_some() { "rds" } else { module };
        let context = ModuleContext {
            module: module.to_owned(),
            versions: VERSIONS,
            database,
            cache,
        };
        for file in super::MODULE_FILES {
            let text = engine.render(
                &format!("{TEMPLATES}/modules/{template_dir}/{file}.tera"),
                &context,
            )?;
            files.insert(format!("infra/modules/{module}/{file}"), text);
        }
    }

    let identities = project.identities();
    let bootstrap = Prepared::new("bootstrap", &bootstrap_context(project, &identities))?;
    for file in BOOTSTRAP_FILES {
        let text =
            engine.render_prepared(&format!("{TEMPLATES}/bootstrap/{file}.tera"), &bootstrap)?;
        files.insert(format!("infra/bootstrap/{file}"), text);
    }

    for env in &project.environments {
        let context = Prepared::new(
            &env.names.terraform_dir,
            &environment_context(project, env, &identities),
        )?;
        for file in super::ENVIRONMENT_FILES
            .iter()
            .chain(ENVIRONMENT_EXTRA_FILES)
        {
            let text = engine
                .render_prepared(&format!("{TEMPLATES}/environment/{file}.tera"), &context)?;
            files.insert(format!("{}/{file}", env.names.terraform_dir), text);
        }
    }
    Ok(())
}

/// The identity of `purpose` in `env`.
fn identity<'a>(identities: &'a [Identity], purpose: Purpose, env: &str) -> &'a Identity {
    identities
        .iter()
        .find(|i| i.purpose == purpose && i.environment.as_deref() == Some(env))
        .unwrap_or_else(|| panic!("the model has no {purpose:?} identity in {env}"))
}

/// The state objects of `env` below the bucket `bucket` (an HCL expression of its ARN).
fn state_objects(env: &Environment, bucket: &str) -> Vec<String> {
    [&env.names.state_key, &env.names.platform_state_key]
        .into_iter()
        .map(|key| format!("${{{bucket}}}/{key}"))
        .collect()
}

/// The ARN patterns of `env`'s datastore secrets in the account `account` (an HCL expression).
/// Secrets Manager appends `-` and six random characters to every secret's name.
fn secret_patterns(project: &Project, env: &Environment, account: &str) -> Vec<String> {
    let region = &project.cloud.region;
    env.datastores
        .iter()
        .zip(&project.datastores)
        .flat_map(|(in_env, ds)| {
            let mut names = vec![in_env.secret.clone()];
            if ds.engine.is_database() {
                names.push(in_env.admin_secret.clone());
            }
            names
        })
        .map(|name| {
            quote(&format!(
                "arn:aws:secretsmanager:{region}:${{{account}}}:secret:{name}-??????"
            ))
        })
        .collect()
}

fn bootstrap_context<'a>(project: &'a Project, identities: &[Identity]) -> BootstrapContext<'a> {
    let app = &project.app.name;
    let shared = Account {
        variable: "aws_account_id".to_owned(),
        alias: None,
        environment: None,
        oidc_resource: "github".to_owned(),
    };
    let mut accounts = vec![shared.clone()];
    let mut environments = Vec::new();
    let width = project
        .environments
        .iter()
        .map(|e| e.name.len() + 2)
        .max()
        .unwrap_or(0);
    for env in &project.environments {
        let account = account_of(env);
        if account.alias.is_some() {
            accounts.push(account.clone());
        }
        let ident = identifier(&env.name);
        let oidc = format!(
            "aws_iam_openid_connect_provider.{}.arn",
            account.oidc_resource
        );
        let boundary = boundary_name(app, &env.name);
        let scope = Scope {
            state_bucket: Some("aws_s3_bucket.state.arn".to_owned()),
            state_objects: state_objects(env, "aws_s3_bucket.state.arn"),
            state_key: Some("aws_kms_key.state.arn".to_owned()),
            environment_secrets: secret_patterns(project, env, &account.id()),
            region: Some(project.cloud.region.clone()),
            // The cluster the environment root creates, by the name core gives it: the
            // apply job's `aws eks update-kubeconfig` (for the platform root) reads it.
            cluster: Some(quote(&format!(
                "arn:aws:eks:{}:${{{}}}:cluster/{}",
                project.cloud.region,
                account.id(),
                env.names.cluster
            ))),
            cluster_name: Some(env.names.cluster.clone()),
            ..Scope::default()
        };
        let plan_identity = identity(identities, Purpose::Plan, &env.name);
        let apply_identity = identity(identities, Purpose::Apply, &env.name);
        let github = |id: &Identity| Trust::Github {
            provider: oidc.clone(),
            tokens: GithubTrust::of(&id.tokens),
        };
        let mut plan = Role::from_grant(
            format!("plan_{ident}"),
            plan_identity.name.clone(),
            format!(
                "GitHub Actions plans Terraform for {} (read-only)",
                env.name
            ),
            Purpose::Plan.as_str(),
            github(plan_identity),
            grants::grants(needs(plan_identity), &scope),
        );
        plan.provider = account.provider();
        let mut apply = Role::from_grant(
            format!("apply_{ident}"),
            apply_identity.name.clone(),
            format!("GitHub Actions applies Terraform in {}", env.name),
            Purpose::Apply.as_str(),
            github(apply_identity),
            grants::grants(needs(apply_identity), &scope),
        );
        apply.provider = account.provider();
        apply.boundary = Some(format!("aws_iam_policy.boundary_{ident}.arn"));
        environments.push(BootstrapEnvironment {
            name: env.name.clone(),
            ident: ident.clone(),
            map_key: format!("{:<width$}", quote(&env.name)),
            boundary: boundary_statements(project, env, &account, identities),
            boundary_name: boundary,
            account,
            apply,
            plan,
        });
    }
    let build = identities
        .iter()
        .find(|i| i.purpose == Purpose::Build)
        .map(|id| {
            let scope = Scope {
                repositories: repository_arns(project),
                ..Scope::default()
            };
            Role::from_grant(
                "build".to_owned(),
                id.name.clone(),
                "GitHub Actions pushes images from the deploy branches".to_owned(),
                Purpose::Build.as_str(),
                Trust::Github {
                    provider: format!(
                        "aws_iam_openid_connect_provider.{}.arn",
                        shared.oidc_resource
                    ),
                    tokens: GithubTrust::of(&id.tokens),
                },
                grants::grants(needs(id), &scope),
            )
        });
    let separate: Vec<&Environment> = project
        .environments
        .iter()
        .filter(|e| e.separate_account)
        .collect();
    BootstrapContext {
        app,
        region: &project.cloud.region,
        versions: VERSIONS,
        state_bucket: &project.names.state_bucket,
        bootstrap_state_key: "bootstrap/terraform.tfstate",
        bucket_policy: bucket_policy(project),
        state_key_policy: separate
            .iter()
            .map(|env| {
                cross_account_statement(
                    &format!("StateKey{}", pascal_env(&env.name)),
                    &["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"],
                    vec![quote("*")],
                    &account_of(env),
                    env,
                )
            })
            .collect(),
        accounts,
        environments,
        build,
        repositories: project
            .services
            .iter()
            .map(|s| s.names.image_repository.as_str())
            .collect(),
        pull_accounts: separate.iter().map(|env| account_of(env).id()).collect(),
    }
}

/// The ARN of every ECR repository, as HCL expressions of the bootstrap root.
fn repository_arns(project: &Project) -> Vec<String> {
    project
        .services
        .iter()
        .map(|s| {
            format!(
                "module.registry.repository_arns[{}]",
                quote(&s.names.image_repository)
            )
        })
        .collect()
}

/// `production-eu` as `ProductionEu`.
fn pascal_env(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

/// The role ARNs of `env`'s plan and apply identities, as HCL strings in `account`.
fn environment_role_arns(account: &Account, env: &Environment) -> Vec<String> {
    [&env.names.terraform_identity, &env.names.plan_identity]
        .into_iter()
        .map(|role| quote(&format!("arn:aws:iam::${{{}}}:role/{role}", account.id())))
        .collect()
}

/// A statement of a resource policy that lets `env`'s plan and apply identities in their
/// own account use the resource, by the account's root principal and the role ARNs.
fn cross_account_statement(
    sid: &str,
    actions: &[&'static str],
    resources: Vec<String>,
    account: &Account,
    env: &Environment,
) -> Statement {
    Statement {
        sid: sid.to_owned(),
        deny: false,
        actions: actions.to_vec(),
        not_actions: Vec::new(),
        resources,
        not_resources: Vec::new(),
        principals: vec![grants::Principal {
            kind: "AWS",
            identifiers: vec![quote(&format!("arn:aws:iam::${{{}}}:root", account.id()))],
        }],
        conditions: vec![grants::Condition {
            test: "ArnEquals",
            variable: quote("aws:PrincipalArn"),
            values: environment_role_arns(account, env),
        }],
    }
}

/// Every principal, as a resource policy's deny statements name them.
fn anyone() -> Vec<grants::Principal> {
    vec![grants::Principal {
        kind: "*",
        identifiers: vec![quote("*")],
    }]
}

/// The state bucket's policy: TLS only, each environment's identities confined to their
/// own state objects (and, for an environment in its own account, allowed in from there).
///
/// The identity policies grant the objects too; the bucket policy is what keeps the
/// apply identities' `AdministratorAccess` and the plan identities' `ReadOnlyAccess`
/// (`s3:Get*` on every bucket) out of the other environments' state. In a bucket
/// policy a `NotResource` covers only this bucket's objects.
fn bucket_policy(project: &Project) -> Vec<Statement> {
    let bucket = "aws_s3_bucket.state.arn";
    let mut statements = vec![Statement {
        sid: "DenyInsecureTransport".to_owned(),
        deny: true,
        actions: vec!["s3:*"],
        not_actions: Vec::new(),
        resources: vec![bucket.to_owned(), quote(&format!("${{{bucket}}}/*"))],
        not_resources: Vec::new(),
        principals: anyone(),
        conditions: vec![grants::Condition {
            test: "Bool",
            variable: quote("aws:SecureTransport"),
            values: vec![quote("false")],
        }],
    }];
    for env in &project.environments {
        let account = account_of(env);
        let objects: Vec<String> = state_objects(env, bucket)
            .iter()
            .flat_map(|o| [quote(o), quote(&format!("{o}.tflock"))])
            .collect();
        statements.push(Statement {
            sid: format!("OnlyOwnState{}", pascal_env(&env.name)),
            deny: true,
            actions: vec!["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
            not_actions: Vec::new(),
            resources: Vec::new(),
            not_resources: objects.clone(),
            principals: anyone(),
            conditions: vec![grants::Condition {
                test: "ArnEquals",
                variable: quote("aws:PrincipalArn"),
                values: environment_role_arns(&account, env),
            }],
        });
        if env.separate_account {
            let name = pascal_env(&env.name);
            statements.push(cross_account_statement(
                &format!("ListState{name}"),
                &["s3:ListBucket"],
                vec![bucket.to_owned()],
                &account,
                env,
            ));
            statements.push(cross_account_statement(
                &format!("UseState{name}"),
                &["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
                objects,
                &account,
                env,
            ));
        }
    }
    statements
}

/// The permissions boundary of `env`: the ceiling of its apply identity and of every role
/// that identity creates.
///
/// It allows everything but account and organisation changes, then denies what would let
/// the environment's pipeline grant itself more or reach another environment:
/// - long-lived credentials (IAM users, access keys);
/// - creating a role, or changing a role's policies, unless the role carries this very
///   boundary (`iam:PermissionsBoundary`, docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html,
///   "Delegating responsibility to others using permissions boundaries"), and removing it;
/// - changing any environment's boundary policy, or the identities the bootstrap root created;
/// - any action on a resource tagged with another environment, and tagging a resource
///   with another environment or removing its tag (`aws:ResourceTag`, `aws:RequestTag`, `aws:TagKeys`);
/// - weakening the state bucket or its key, and writing to the shared registry.
fn boundary_statements(
    project: &Project,
    env: &Environment,
    account: &Account,
    identities: &[Identity],
) -> Vec<Statement> {
    let app = &project.app.name;
    let account_id = account.id();
    let arn =
        |kind: &str, name: &str| quote(&format!("arn:aws:iam::${{{account_id}}}:{kind}/{name}"));
    let deny = |sid: &str, actions: &[&'static str], resources: Vec<String>| Statement {
        sid: sid.to_owned(),
        deny: true,
        actions: actions.to_vec(),
        not_actions: Vec::new(),
        resources,
        not_resources: Vec::new(),
        principals: Vec::new(),
        conditions: Vec::new(),
    };
    let own_boundary = arn("policy", &boundary_name(app, &env.name));
    // The identities and boundaries the bootstrap root creates in this account.
    let same_account = |name: Option<&str>| match name {
        Some(name) => project
            .environments
            .iter()
            .find(|e| e.name == name)
            .is_some_and(|e| account_of(e).variable == account.variable),
        None => account.alias.is_none(),
    };
    let mut bootstrap_roles: Vec<String> = identities
        .iter()
        .filter(|i| matches!(i.purpose, Purpose::Build | Purpose::Plan | Purpose::Apply))
        .filter(|i| same_account(i.environment.as_deref()))
        .map(|i| arn("role", &i.name))
        .collect();
    bootstrap_roles.push(quote(&format!(
        "arn:aws:iam::${{{account_id}}}:oidc-provider/{GITHUB_ISSUER}"
    )));
    let boundaries: Vec<String> = project
        .environments
        .iter()
        .filter(|e| same_account(Some(&e.name)))
        .map(|e| arn("policy", &boundary_name(app, &e.name)))
        .collect();
    let mut statements = vec![
        Statement {
            sid: "Ceiling".to_owned(),
            deny: false,
            actions: Vec::new(),
            not_actions: vec!["account:*", "organizations:*"],
            resources: vec![quote("*")],
            not_resources: Vec::new(),
            principals: Vec::new(),
            conditions: Vec::new(),
        },
        deny(
            "NoLongLivedCredentials",
            &[
                "iam:CreateAccessKey",
                "iam:CreateLoginProfile",
                "iam:CreateServiceSpecificCredential",
                "iam:CreateUser",
                "iam:UpdateLoginProfile",
            ],
            vec![quote("*")],
        ),
        Statement {
            principals: Vec::new(),
            conditions: vec![grants::Condition {
                test: "StringNotEquals",
                variable: quote("iam:PermissionsBoundary"),
                values: vec![own_boundary.clone()],
            }],
            ..deny(
                "RolesCarryThisBoundary",
                &[
                    "iam:AttachRolePolicy",
                    "iam:CreateRole",
                    "iam:DeleteRolePolicy",
                    "iam:DetachRolePolicy",
                    "iam:PutRolePermissionsBoundary",
                    "iam:PutRolePolicy",
                ],
                vec![quote("*")],
            )
        },
        deny(
            "KeepTheBoundary",
            &["iam:DeleteRolePermissionsBoundary"],
            vec![quote("*")],
        ),
        deny(
            "NoChangesToBoundaries",
            &[
                "iam:CreatePolicyVersion",
                "iam:DeletePolicy",
                "iam:DeletePolicyVersion",
                "iam:SetDefaultPolicyVersion",
                "iam:TagPolicy",
                "iam:UntagPolicy",
            ],
            boundaries,
        ),
        deny(
            "NoChangesToBootstrapIdentities",
            &["iam:*"],
            bootstrap_roles,
        ),
        Statement {
            conditions: vec![
                grants::Condition {
                    test: "StringNotEquals",
                    variable: quote(&format!("aws:ResourceTag/{ENVIRONMENT_TAG}")),
                    values: vec![quote(&env.name), quote(SHARED_TAG)],
                },
                grants::Condition {
                    test: "Null",
                    variable: quote(&format!("aws:ResourceTag/{ENVIRONMENT_TAG}")),
                    values: vec![quote("false")],
                },
            ],
            ..deny("NoOtherEnvironments", &["*"], vec![quote("*")])
        },
        Statement {
            conditions: vec![
                grants::Condition {
                    test: "ForAnyValue:StringEquals",
                    variable: quote("aws:TagKeys"),
                    values: vec![quote(ENVIRONMENT_TAG)],
                },
                grants::Condition {
                    test: "StringNotEquals",
                    variable: quote(&format!("aws:RequestTag/{ENVIRONMENT_TAG}")),
                    values: vec![quote(&env.name)],
                },
            ],
            ..deny("TagOnlyAsThisEnvironment", &["*"], vec![quote("*")])
        },
    ];
    if !env.separate_account {
        // In the shared account: the state bucket, its key and the registry are the
        // bootstrap root's. (In an environment's own account they do not exist.)
        statements.push(deny(
            "KeepTheStateBucket",
            &[
                "s3:DeleteBucket",
                "s3:DeleteBucketPolicy",
                "s3:PutBucketOwnershipControls",
                "s3:PutBucketPolicy",
                "s3:PutBucketPublicAccessBlock",
                "s3:PutBucketVersioning",
                "s3:PutEncryptionConfiguration",
                "s3:PutLifecycleConfiguration",
            ],
            vec!["aws_s3_bucket.state.arn".to_owned()],
        ));
        statements.push(Statement {
            sid: "KeepTheStateKey".to_owned(),
            deny: true,
            actions: Vec::new(),
            not_actions: vec![
                "kms:Decrypt",
                "kms:DescribeKey",
                "kms:Encrypt",
                "kms:GenerateDataKey",
            ],
            resources: vec!["aws_kms_key.state.arn".to_owned()],
            not_resources: Vec::new(),
            principals: Vec::new(),
            conditions: Vec::new(),
        });
        if project.delivery.registry == Registry::Ecr {
            statements.push(deny(
                "NoWritesToTheRegistry",
                &[
                    "ecr:BatchDeleteImage",
                    "ecr:CompleteLayerUpload",
                    "ecr:DeleteLifecyclePolicy",
                    "ecr:DeleteRepository",
                    "ecr:DeleteRepositoryPolicy",
                    "ecr:InitiateLayerUpload",
                    "ecr:PutImage",
                    "ecr:PutImageScanningConfiguration",
                    "ecr:PutImageTagMutability",
                    "ecr:PutLifecyclePolicy",
                    "ecr:SetRepositoryPolicy",
                    "ecr:UploadLayerPart",
                ],
                repository_arns(project),
            ));
        }
    }
    statements
}

fn environment_context<'a>(
    project: &'a Project,
    env: &'a Environment,
    identities: &[Identity],
) -> EnvironmentContext<'a> {
    let app = &project.app.name;
    let account = "var.aws_account_id";
    let boundary_arn = format!(
        "arn:aws:iam::${{{account}}}:policy/{}",
        boundary_name(app, &env.name)
    );
    let datastores: Vec<DatastoreContext<'a>> = project
        .datastores
        .iter()
        .zip(&env.datastores)
        .map(|(ds, in_env)| DatastoreContext {
            name: &ds.name,
            module: format!("datastore_{}", identifier(&ds.name)),
            source: datastore_module(ds.engine),
            database: ds.engine.is_database(),
            // The datastore table's ElastiCache engine (redis or valkey) for caches.
            engine: if ds.engine == DatastoreEngine::Redis {
                ds.cloud_version.family
            } else {
                ""
            },
            version: ds.cloud_version.api,
            parameter_group_family: ds.cloud_version.family,
            identifier: &in_env.resource,
            secret: &in_env.secret,
            admin_secret: &in_env.admin_secret,
            database_name: database_name(app),
            admin_username: admin_username(app),
            rds: rds_names(&in_env.resource),
        })
        .collect();
    // The domain's Route 53 zone exists where external-dns writes records into it: where the
    // environment has a public host.
    let dns_zone = env.domain.as_deref().filter(|_| {
        project
            .addons(env)
            .iter()
            .any(|a| a.release == platform::EXTERNAL_DNS.release)
    });
    let scope = Scope {
        region: Some(project.cloud.region.clone()),
        account: Some(account.to_owned()),
        cluster: Some("module.cluster.cluster_arn".to_owned()),
        cluster_name: Some(env.names.cluster.clone()),
        // Each datastore's application secret, and a database's administrator secret,
        // which the database setup Job reads (the rds module's `admin_secret_arn`).
        secrets: datastores
            .iter()
            .flat_map(|d| {
                let kms_key = format!("module.{}.kms_key_arn", d.module);
                let app = SecretScope {
                    name: d.secret.to_owned(),
                    arn: format!("module.{}.secret_arn", d.module),
                    kms_key: kms_key.clone(),
                };
                let admin = d.database.then(|| SecretScope {
                    name: d.admin_secret.to_owned(),
                    arn: format!("module.{}.admin_secret_arn", d.module),
                    kms_key,
                });
                std::iter::once(app).chain(admin)
            })
            .collect(),
        zone: dns_zone.map(|_| "aws_route53_zone.this.arn".to_owned()),
        ..Scope::default()
    };
    let boundary = Some("local.permissions_boundary".to_owned());
    let mut roles = Vec::new();
    let deploy = identity(identities, Purpose::Deploy, &env.name);
    let mut role = Role::from_grant(
        "deploy".to_owned(),
        deploy.name.clone(),
        format!("GitHub Actions deploys to {}", env.name),
        Purpose::Deploy.as_str(),
        Trust::Github {
            provider: "local.github_oidc_provider_arn".to_owned(),
            tokens: GithubTrust::of(&deploy.tokens),
        },
        grants::grants(needs(deploy), &scope),
    );
    role.cluster = cluster_access(deploy, env);
    role.boundary = boundary.clone();
    roles.push(role);
    for id in identities
        .iter()
        .filter(|i| i.purpose == Purpose::Workload && i.environment.as_deref() == Some(&env.name))
    {
        // A service's pods, or the database setup Job (no service): both are a
        // ServiceAccount the model names.
        let account = id
            .service_account
            .clone()
            .expect("a workload identity names its ServiceAccount");
        let (label, who) = match id.service.as_deref() {
            Some(service) => (service, format!("Pods of {service}")),
            None => (
                scaffold_core::names::DATABASE_SETUP,
                "The database setup Job".to_owned(),
            ),
        };
        let mut role = Role::from_grant(
            format!("workload_{}", identifier(label)),
            id.name.clone(),
            format!("{who} in {}", env.name),
            Purpose::Workload.as_str(),
            Trust::ServiceAccount {
                namespace: env.names.namespace.clone(),
                service_account: account,
            },
            grants::grants(needs(id), &scope),
        );
        role.boundary = boundary.clone();
        roles.push(role);
    }
    let mut addons = Vec::new();
    let addon_accounts = &project.names.cluster_addons;
    let mut addon = |name: &str, need: AddonNeed, account: &scaffold_core::names::AddonAccount| {
        let resource = format!("addon_{}", identifier(name));
        let mut role = Role::from_grant(
            resource.clone(),
            addon_role_name(app, &env.name, name),
            format!("{name} in {}", env.names.cluster),
            "addon",
            Trust::PodIdentity {
                namespace: account.namespace.clone(),
                service_account: account.service_account.clone(),
            },
            grants::grants([Need::Addon(need)], &scope),
        );
        role.boundary = boundary.clone();
        roles.push(role);
        addons.push(AddonContext {
            resource,
            namespace: account.namespace.clone(),
            service_account: account.service_account.clone(),
        });
    };
    // The add-ons the platform root installs that call AWS APIs get an identity here, for
    // exactly the ServiceAccount the platform root installs them as.
    for installed in project.addons(env) {
        if installed.release == platform::CLUSTER_AUTOSCALER.release {
            addon(
                installed.release,
                AddonNeed::ScaleNodeGroups,
                &addon_accounts.cluster_autoscaler,
            );
        } else if installed.release == platform::EXTERNAL_DNS.release {
            addon(
                installed.release,
                AddonNeed::ManageDnsRecords,
                &addon_accounts.external_dns,
            );
        }
    }
    let mut access_entries = Vec::new();
    for (purpose, comment) in [
        (
            Purpose::Apply,
            "The apply identity administers the cluster: the platform root installs the add-ons, the namespace and the deploy RBAC.",
        ),
        (
            Purpose::Plan,
            "The plan identity refreshes the platform root's objects: read-only, without Secrets.",
        ),
    ] {
        let id = identity(identities, purpose, &env.name);
        access_entries.push(AccessEntry {
            resource: purpose.as_str().to_owned(),
            principal: quote(&format!("arn:aws:iam::${{{account}}}:role/{}", id.name)),
            comment: comment.to_owned(),
            access: cluster_access(id, env),
        });
    }
    EnvironmentContext {
        app,
        environment: &env.name,
        production: env.production,
        separate_account: env.separate_account,
        region: &project.cloud.region,
        dr_region: project.cloud.dr_region.as_deref(),
        dr_backups: project.cloud.dr_region.is_some(),
        versions: VERSIONS,
        state_bucket: &project.names.state_bucket,
        state_key: &env.names.state_key,
        sizing: &env.sizing,
        cluster: &env.names.cluster,
        namespace: &env.names.namespace,
        budget: &env.names.budget,
        single_nat_gateway: !env.production,
        public_api: project.delivery.runners == Runners::GithubHosted,
        boundary_name: boundary_arn,
        datastores,
        roles,
        access_entries,
        domain: dns_zone,
        addons,
    }
}
