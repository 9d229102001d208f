//! Terraform for AWS: reusable modules, a bootstrap root and one root per environment.
//!
//! The layout follows HashiCorp's standard module structure:
//! `infra/modules/<name>/` holds small, generic modules (network, EKS cluster,
//! one module per datastore engine, ECR registry, GitHub deploy identity,
//! workload identity, budget); `infra/bootstrap/` creates what every other root
//! needs before it can run (the state bucket, the GitHub OIDC provider, the
//! registry and the identities the infrastructure workflow assumes); and
//! `infra/environments/<env>/` composes the modules with that environment's
//! sizing.
//!
//! Modules are rendered only when an environment uses them, so a project
//! without a cache gets no `redis` module. Every size and name is decided here
//! from the `Project`; the templates only format. Module templates take almost
//! no context on purpose: they are generic, and the environment roots pass
//! everything in as variables, which keeps the modules reviewable once.

use scaffold_core::names::alphanumeric;
use scaffold_core::{Engine as DatastoreEngine, Project, Registry, Sizing};
use serde::Serialize;

use crate::{Engine, Files, RenderError};

/// Template folder of the AWS Terraform family, below `scaffolds/`.
const TEMPLATES: &str = "terraform/aws";

/// The files of the bootstrap root.
const BOOTSTRAP_FILES: &[&str] = &[
    "main.tf",
    "variables.tf",
    "outputs.tf",
    "versions.tf",
    "terraform.tfvars",
    "README.md",
];

/// Modules every AWS project gets, whatever its datastores and registry.
const ALWAYS_MODULES: &[&str] = &[
    "network",
    "cluster",
    "ci-identity",
    "workload-identity",
    "budget",
];

/// Context of a generic module template.
#[derive(Serialize)]
struct ModuleContext {
    /// The module's directory name, such as `postgres`.
    module: String,
    /// Relational engine settings, for the `postgres` and `mysql` modules only.
    database: Option<DatabaseEngine>,
}

/// What differs between the PostgreSQL and MySQL flavours of the RDS module.
#[derive(Serialize)]
struct DatabaseEngine {
    /// RDS `engine`: `postgres` or `mysql`.
    engine: &'static str,
    /// Human name, such as `PostgreSQL`.
    title: &'static str,
    /// Connection URL scheme, such as `postgresql`.
    url_scheme: &'static str,
    /// Query string appended to the connection URL to require TLS (may be empty).
    url_options: &'static str,
    /// Default port.
    port: u16,
    /// Parameter that refuses unencrypted connections.
    tls_parameter: &'static str,
    /// Log types exported to CloudWatch Logs, as an HCL list.
    log_exports: &'static str,
}

impl DatabaseEngine {
    fn of(engine: DatastoreEngine) -> Option<Self> {
        match engine {
            DatastoreEngine::Postgres => Some(DatabaseEngine {
                engine: "postgres",
                title: "PostgreSQL",
                url_scheme: "postgresql",
                url_options: "?sslmode=require",
                port: 5432,
                tls_parameter: "rds.force_ssl",
                log_exports: r#"["postgresql", "upgrade"]"#,
            }),
            DatastoreEngine::Mysql => Some(DatabaseEngine {
                engine: "mysql",
                title: "MySQL",
                url_scheme: "mysql",
                url_options: "",
                port: 3306,
                tls_parameter: "require_secure_transport",
                log_exports: r#"["audit", "error", "general", "slowquery"]"#,
            }),
            // Validation admits no other engine on AWS (the datastore table offers none).
            DatastoreEngine::Redis | DatastoreEngine::Sqlserver => None,
        }
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

/// Context of the bootstrap root.
#[derive(Serialize)]
struct BootstrapContext<'a> {
    /// The application name, used in descriptions and tags.
    app: &'a str,
    /// The primary region.
    region: &'a str,
    /// The S3 bucket holding every root's state.
    state_bucket: &'a str,
    /// Whether images go to ECR, so bootstrap creates the registry and the build identity.
    ecr: bool,
    /// The IAM role CI assumes to push images.
    build_identity: &'a str,
    /// The only OIDC subject the build identity trusts.
    build_subjects: &'a [String],
    /// The only OIDC subject the plan identities trust.
    pull_request_subject: &'a str,
    /// ECR repository names, one per service.
    repositories: Vec<&'a str>,
    /// One entry per environment.
    environments: Vec<BootstrapEnvironment<'a>>,
}

/// One environment as the bootstrap root sees it.
#[derive(Serialize)]
struct BootstrapEnvironment<'a> {
    /// The environment's name, a map key in HCL.
    name: &'a str,
    /// The IAM role that applies this environment's Terraform.
    terraform_identity: &'a str,
    /// The read-only IAM role that plans this environment on pull requests.
    plan_identity: &'a str,
    /// The only OIDC subject the Terraform identity trusts.
    subject: &'a str,
    /// The environment's state object key.
    state_key: &'a str,
    /// Secrets Manager name prefix of the environment's datastore secrets.
    secret_prefix: String,
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
    /// The primary region.
    region: &'a str,
    /// The disaster-recovery region, if the project has one.
    dr_region: Option<&'a str>,
    /// Whether database backups are copied to the disaster-recovery region
    /// (whenever `dr_region` is set, as on GCP and Azure, so restores can be rehearsed outside production).
    dr_backups: bool,
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
    /// The IAM role GitHub Actions assumes to deploy.
    ci_identity: &'a str,
    /// The only OIDC subject the deploy role trusts.
    oidc_subject: &'a str,
    /// The monthly budget's name.
    budget: &'a str,
    /// One NAT gateway for all zones (non-production) instead of one per zone.
    single_nat_gateway: bool,
    /// Whether images are pulled from ECR (the deploy role may read them).
    ecr: bool,
    /// Whether Argo CD deploys from inside the cluster (otherwise GitHub Actions runs kubectl).
    gitops: bool,
    /// The datastores.
    datastores: Vec<DatastoreContext<'a>>,
    /// The services.
    services: Vec<ServiceContext<'a>>,
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
    /// The engine (RDS) or cache engine (ElastiCache: `valkey` or `redis`).
    engine: &'static str,
    /// The engine version as written in `scaffold.toml`.
    version: &'a str,
    /// RDS parameter group family, such as `postgres16`.
    parameter_group_family: &'static str,
    /// The resource identifier (RDS identifier, ElastiCache replication group id).
    identifier: &'a str,
    /// The Secrets Manager secret holding the connection URL.
    secret: &'a str,
    /// Database and master user name (letters and digits).
    database_name: String,
}

/// One service in an environment root.
#[derive(Serialize)]
struct ServiceContext<'a> {
    /// The service's name.
    name: &'a str,
    /// The module block's name, such as `workload_identity_api`.
    module: String,
    /// The IAM role its pods assume.
    workload_identity: &'a str,
    /// Its Kubernetes ServiceAccount.
    service_account: &'a str,
    /// Its ECR repository name, below the registry host.
    image_repository: &'a str,
    /// Module blocks of the datastores it uses.
    datastore_modules: Vec<String>,
}

/// `name` as an HCL identifier fragment: `-` becomes `_`.
fn identifier(name: &str) -> String {
    name.replace('-', "_")
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
            "postgres" => DatabaseEngine::of(DatastoreEngine::Postgres),
            "mysql" => DatabaseEngine::of(DatastoreEngine::Mysql),
            _ => None,
        };
        // Both relational engines share one set of templates.
        let template_dir = if database.is_some() { "rds" } else { module };
        let context = ModuleContext {
            module: module.to_owned(),
            database,
        };
        for file in super::MODULE_FILES {
            let text = engine.render(
                &format!("{TEMPLATES}/modules/{template_dir}/{file}.tera"),
                &context,
            )?;
            files.insert(format!("infra/modules/{module}/{file}"), text);
        }
    }

    let bootstrap = bootstrap_context(project, ecr);
    for file in BOOTSTRAP_FILES {
        let text = engine.render(&format!("{TEMPLATES}/bootstrap/{file}.tera"), &bootstrap)?;
        files.insert(format!("infra/bootstrap/{file}"), text);
    }

    for env in &project.environments {
        let context = environment_context(project, env, ecr);
        for file in super::ENVIRONMENT_FILES {
            let text = engine.render(&format!("{TEMPLATES}/environment/{file}.tera"), &context)?;
            files.insert(format!("{}/{file}", env.names.terraform_dir), text);
        }
    }
    Ok(())
}

fn bootstrap_context(project: &Project, ecr: bool) -> BootstrapContext<'_> {
    BootstrapContext {
        app: &project.app.name,
        region: &project.cloud.region,
        state_bucket: &project.names.state_bucket,
        ecr,
        build_identity: &project.names.build_identity,
        build_subjects: &project.oidc_build_subjects,
        pull_request_subject: &project.oidc_pull_request_subject,
        repositories: project
            .services
            .iter()
            .map(|s| s.names.image_repository.as_str())
            .collect(),
        environments: project
            .environments
            .iter()
            .map(|env| BootstrapEnvironment {
                name: &env.name,
                terraform_identity: &env.names.terraform_identity,
                plan_identity: &env.names.plan_identity,
                subject: &env.oidc_subject,
                state_key: &env.names.state_key,
                secret_prefix: format!("{}/{}/", project.app.name, env.name),
            })
            .collect(),
    }
}

fn environment_context<'a>(
    project: &'a Project,
    env: &'a scaffold_core::Environment,
    ecr: bool,
) -> EnvironmentContext<'a> {
    let datastores = project
        .datastores
        .iter()
        .zip(&env.datastores)
        .map(|(ds, in_env)| {
            let database = ds.engine.is_database();
            // The datastore table's ElastiCache engine (redis or valkey) for caches.
            let engine = match ds.engine {
                DatastoreEngine::Redis => ds.cloud_version.family,
                other => DatabaseEngine::of(other).map_or("", |d| d.engine),
            };
            let mut database_name = alphanumeric(&project.app.name);
            // MySQL user names are at most 16 characters; keep both engines alike.
            database_name.truncate(16);
            DatastoreContext {
                name: &ds.name,
                module: format!("datastore_{}", identifier(&ds.name)),
                source: datastore_module(ds.engine),
                database,
                engine,
                version: ds.cloud_version.api,
                parameter_group_family: ds.cloud_version.family,
                identifier: &in_env.resource,
                secret: &in_env.secret,
                database_name,
            }
        })
        .collect();
    let services = project
        .services
        .iter()
        .zip(&env.services)
        .map(|(svc, in_env)| ServiceContext {
            name: &svc.name,
            module: format!("workload_identity_{}", identifier(&svc.name)),
            workload_identity: &in_env.workload_identity,
            service_account: &svc.names.service_account,
            image_repository: &svc.names.image_repository,
            datastore_modules: svc
                .uses
                .iter()
                .map(|ds| format!("datastore_{}", identifier(ds)))
                .collect(),
        })
        .collect();
    EnvironmentContext {
        app: &project.app.name,
        environment: &env.name,
        production: env.production,
        region: &project.cloud.region,
        dr_region: project.cloud.dr_region.as_deref(),
        dr_backups: project.cloud.dr_region.is_some(),
        state_bucket: &project.names.state_bucket,
        state_key: &env.names.state_key,
        sizing: &env.sizing,
        cluster: &env.names.cluster,
        namespace: &env.names.namespace,
        ci_identity: &env.names.ci_identity,
        oidc_subject: &env.oidc_subject,
        budget: &env.names.budget,
        single_nat_gateway: !env.production,
        ecr,
        gitops: project.delivery.gitops,
        datastores,
        services,
    }
}
