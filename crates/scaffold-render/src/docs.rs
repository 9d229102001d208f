//! The docs family: the DevOps handbook, runbooks and task plan under `docs/devops/`,
//! and the scaffold block of the root `README.md`.
//!
//! Everything here is rendered from the same [`Project`] as the workflows,
//! manifests and Terraform, so a name in the docs is the name in the files.
//! The Rust side builds one [`DocsContext`] with every fact a page needs
//! (cloud-specific commands, per-environment rows, clarifications); the
//! templates in `scaffolds/docs/` only format it. What the docs say about the
//! other families (the jobs of each workflow, the Kubernetes layout, the
//! Terraform modules) lives in small partials under `scaffolds/docs/facts/`,
//! so it can be adjusted in one place when those families change.
//!
//! Relative links point only at files this family renders (the handbook,
//! runbooks, task plan and root README): links into other families' files
//! would break whenever a family is rendered alone. Other files are named as
//! code spans instead.

use scaffold_core::names::DOCS_DIR;
use scaffold_core::schema::code_spans;
use scaffold_core::vocabulary::{Strategy, Tier};
use scaffold_core::{Datastore, Environment, Project, Service};
use serde::Serialize;

use crate::engine::Prepared;
use crate::{Engine as Templates, Files, RenderError};

pub mod cloud;
pub mod diagram;

/// The handbook template.
const TEMPLATE_HANDBOOK: &str = "docs/handbook.md.tera";
/// The task plan template.
const TEMPLATE_TASKS: &str = "docs/tasks.md.tera";
/// The root README block template.
const TEMPLATE_README: &str = "docs/readme.md.tera";
/// The template of one alert's runbook.
const TEMPLATE_ALERT_RUNBOOK: &str = "docs/runbooks/alert.md.tera";
/// The operational runbooks every project gets: (file name, template).
const OPERATIONAL_RUNBOOKS: &[(&str, &str)] = &[
    ("deploy.md", "docs/runbooks/deploy.md.tera"),
    ("rollback.md", "docs/runbooks/rollback.md.tera"),
    ("scale.md", "docs/runbooks/scale.md.tera"),
    (
        "disaster-recovery.md",
        "docs/runbooks/disaster-recovery.md.tera",
    ),
];
/// The database restore runbook, rendered only when there is a relational database.
const DATABASE_RESTORE: (&str, &str) = (
    "database-restore.md",
    "docs/runbooks/database-restore.md.tera",
);

/// The handbook's path from the repository root.
pub const HANDBOOK_PATH: &str = "docs/devops/README.md";
/// The task plan's path from the repository root.
pub const TASKS_PATH: &str = "docs/devops/tasks.md";
/// The root README, which the CLI merges into an existing one by its markers.
pub const README_PATH: &str = "README.md";
/// The line that opens scaffold's block in the root README.
pub const README_BEGIN: &str = "<!-- scaffold:begin -->";
/// The line that closes scaffold's block in the root README.
pub const README_END: &str = "<!-- scaffold:end -->";

/// Adds the docs for `project`.
pub fn render(project: &Project, engine: &Templates, files: &mut Files) -> Result<(), RenderError> {
    let context = DocsContext::new(project);
    let mut prepared = Prepared::new(TEMPLATE_HANDBOOK, &context)?;
    files.insert(
        HANDBOOK_PATH.to_owned(),
        engine.render_prepared(TEMPLATE_HANDBOOK, &prepared)?,
    );
    files.insert(
        TASKS_PATH.to_owned(),
        engine.render_prepared(TEMPLATE_TASKS, &prepared)?,
    );
    files.insert(
        README_PATH.to_owned(),
        engine.render_prepared(TEMPLATE_README, &prepared)?,
    );
    let mut runbooks: Vec<(&str, &str)> = OPERATIONAL_RUNBOOKS.to_vec();
    if context.has_databases {
        runbooks.push(DATABASE_RESTORE);
    }
    for (file, template) in runbooks {
        files.insert(
            format!("{DOCS_DIR}/runbooks/{file}"),
            engine.render_prepared(template, &prepared)?,
        );
    }
    // An alert's page sees the docs context plus `alert` and `example_service` (the service
    // its example commands use: the first one the alert can fire for), set on the one
    // converted context rather than converting all of it again per alert.
    for alert in &project.alerts {
        let example_service = project
            .services
            .iter()
            .find(|s| !alert.needs_metrics || s.metrics_path.is_some())
            .or(project.services.first())
            .map_or("", |s| s.names.workload.as_str());
        prepared.insert("alert", alert)?;
        prepared.insert("example_service", &example_service)?;
        files.insert(
            alert.runbook_path.clone(),
            engine.render_prepared(TEMPLATE_ALERT_RUNBOOK, &prepared)?,
        );
    }
    Ok(())
}

/// Everything the docs templates read.
///
/// THESE FIELDS ARE LOAD-BEARING: the templates under `scaffolds/docs/` use them.
#[derive(Debug, Serialize)]
pub struct DocsContext<'a> {
    /// The whole model; templates read names and sizes from it directly.
    pub project: &'a Project,
    /// Facts and product names for the chosen cloud.
    pub cloud: cloud::CloudFacts,
    /// One entry per environment, in promotion order.
    pub envs: Vec<EnvDoc<'a>>,
    /// One entry per service, in file order.
    pub services: Vec<ServiceDoc<'a>>,
    /// One entry per datastore, in file order.
    pub datastores: Vec<DatastoreDoc<'a>>,
    /// Whether any datastore is a relational database (the restore runbook exists).
    pub has_databases: bool,
    /// The relational databases, as code spans with their product, such as `` `db` (Cloud SQL for PostgreSQL) ``.
    pub database_names: Vec<String>,
    /// The services without a metrics endpoint, as code spans (metric alerts never fire for them).
    pub metricless_services: Vec<String>,
    /// The caches, as code spans, such as `` `cache` ``.
    pub cache_names: Vec<String>,
    /// Whether any datastore is a cache (its sizing row appears).
    pub has_caches: bool,
    /// Whether any service is public (Ingress, DNS and TLS apply).
    pub has_public: bool,
    /// Whether the strategy runs on Argo Rollouts.
    pub rollouts: bool,
    /// The cluster add-ons some environment's platform root installs, in installation order.
    pub addons: Vec<&'static scaffold_core::platform::Addon>,
    /// The ports the installed add-ons' webhooks listen on, in words (`10250`).
    pub webhook_ports: String,
    /// Release analysis: the fewest requests per two-minute window it judges.
    pub min_analysis_requests: u32,
    /// Whether some datastore's certificate is signed by an instance CA that pods mount.
    pub has_instance_ca: bool,
    /// The Kubernetes kind each service runs as: `Rollout` or `Deployment`.
    pub workload_kind: &'static str,
    /// The strategy in words, such as `canary`.
    pub strategy: &'static str,
    /// The mermaid source of the deployment diagram.
    pub diagram: String,
    /// The error budget as a percentage, such as `0.05`.
    pub error_budget_percent: String,
    /// The analysis success rate as a percentage, such as `99.5`.
    pub analysis_success_percent: String,
    /// The services' package managers, each once, in service order (Dependabot updates each).
    pub package_managers: Vec<String>,
    /// The CodeQL languages `security.yml` analyses, each once.
    pub codeql_languages: Vec<&'static str>,
    /// The DORA targets and why.
    pub dora: Vec<DoraTarget>,
    /// The first steps after `scaffold new`, which the task plan opens with
    /// (the same list `scaffold new` prints).
    pub next_steps: Vec<crate::next_steps::NextStep>,
    /// What scaffold assumed or could not know, and where to set it.
    pub clarifications: Vec<Clarification>,
    /// The last production environment, or the last environment when none is production.
    pub production: &'a Environment,
    /// The production environment's pipeline stage.
    pub production_stage: crate::github::pipeline::Stage,
    /// The command that writes the production cluster's credentials into the kubeconfig.
    pub production_credentials: String,
    /// The production environment's annotation commands (see [`EnvDoc::annotations`]).
    pub production_annotations: Vec<String>,
    /// The production environment's public hosts.
    pub production_hosts: Vec<HostRow>,
    /// The first public host of any environment, for examples.
    pub first_host: Option<HostRow>,
    /// The production environment's cross-region database failovers.
    pub production_failovers: Vec<RestoreDoc>,
    /// Links from the runbooks folder to the handbook's Clarifications section.
    pub clarifications_link: &'static str,
    /// Every datastore variable a service reads, with its value inside `docker compose`, each once.
    pub local_variables: Vec<(String, String)>,
    /// The delivery pipeline's facts, from the same model as the workflows.
    pub pipeline: crate::github::pipeline::PipelineDoc,
    /// The GitHub environments the setup script creates, with their protection rules.
    pub setup_environments: Vec<crate::github::setup::SetupEnvironment>,
    /// The variables the setup script sets, where, and from which output or shell variable.
    pub setup_variables: Vec<crate::github::setup::SetupVariable>,
    /// The identities GitHub Actions assumes, with the tokens each accepts, from the access model.
    pub github_identities: Vec<IdentityRow>,
    /// What Pod Security admission enforces in the namespaces, in words.
    pub pod_security: String,
    /// The same in a few words, for lists: "Pod Security `restricted`".
    pub pod_security_short: String,
    /// How the pods are secured, and which Pod Security profile the namespace enforces,
    /// in sentences (the Kubernetes section).
    pub pod_hardening: String,
    /// Which Dockerfile builds each service's image, in sentences (the "Build and images"
    /// section).
    pub dockerfiles: String,
}

/// One identity GitHub Actions assumes, for the handbook's login table.
#[derive(Debug, Clone, Serialize)]
pub struct IdentityRow {
    /// The identity's cloud name.
    pub name: String,
    /// What uses it.
    pub used_by: String,
    /// Each accepted token as `subject` and the workflow it must come from.
    pub tokens: Vec<(String, String)>,
    /// The Terraform root that creates it.
    pub created_in: String,
    /// What it may do: its operations in words.
    pub may: String,
}

/// An operation of the access model in the handbook's words.
fn describe(operation: &scaffold_core::access::Operation) -> String {
    use scaffold_core::access::Operation;
    match operation {
        Operation::PushImages => "push images".to_owned(),
        Operation::ReadState => "read its state".to_owned(),
        Operation::LockState => "lock its state".to_owned(),
        Operation::WriteState => "write its state".to_owned(),
        Operation::ReadInfrastructure => "read its resources".to_owned(),
        Operation::ManageInfrastructure => {
            "change its resources, within its permissions boundary".to_owned()
        }
        Operation::AdministerCluster => "administer its cluster".to_owned(),
        Operation::GetClusterCredentials => "fetch its cluster's endpoint".to_owned(),
        Operation::UseNamespace { namespace } => {
            format!("use namespace `{namespace}` (Kubernetes RBAC)")
        }
        Operation::ReadSecret { secret } => format!("read `{secret}`"),
    }
}

/// The identities of `project` that GitHub Actions assumes, as the handbook lists them.
fn github_identities(project: &Project) -> Vec<IdentityRow> {
    use scaffold_core::access::Purpose;
    project
        .identities()
        .into_iter()
        .filter(|i| !i.tokens.is_empty())
        .map(|i| {
            let env = i
                .environment
                .as_deref()
                .and_then(|name| project.environments.iter().find(|e| e.name == name));
            let used_by = match (i.purpose, env) {
                (Purpose::Build, _) => "`ci.yml` build jobs (push images)".to_owned(),
                (Purpose::Plan, Some(e)) => {
                    format!("`infrastructure.yml` plan for `{}` (read-only)", e.name)
                }
                (Purpose::Apply, Some(e)) => format!("`infrastructure.yml` apply to `{}`", e.name),
                (Purpose::Deploy, Some(e)) => format!(
                    "`deploy.yml` for `{}` (namespace `{}` only)",
                    e.name, e.names.namespace
                ),
                _ => String::new(),
            };
            let created_in = match (i.purpose, env) {
                (Purpose::Deploy, Some(e)) => format!("{}/", e.names.terraform_dir),
                _ => "infra/bootstrap/".to_owned(),
            };
            IdentityRow {
                may: i
                    .operations
                    .iter()
                    .map(describe)
                    .collect::<Vec<_>>()
                    .join(", "),
                name: i.name,
                used_by,
                tokens: i
                    .tokens
                    .into_iter()
                    .map(|t| (t.subject, t.workflow))
                    .collect(),
                created_in,
            }
        })
        .collect()
}

/// One environment as the docs describe it.
#[derive(Debug, Serialize)]
pub struct EnvDoc<'a> {
    /// The environment from the model.
    pub env: &'a Environment,
    /// Its stage of the delivery pipeline: what starts it, what it deploys, who approves,
    /// how it verifies and rolls back (the sentences `deploy.yml`'s header uses too).
    pub stage: crate::github::pipeline::Stage,
    /// `production` or `non-production`.
    pub tier: &'static str,
    /// The command that writes this environment's cluster credentials into the kubeconfig.
    pub credentials: String,
    /// The command that shows this environment's budget.
    pub budget_check: String,
    /// The system node pool beside the workloads' pool ("1 to 2"), where the cluster has one.
    pub system_pool: Option<String>,
    /// One row per service and datastore it uses: where the connection URL lives.
    pub secrets: Vec<SecretRow>,
    /// The public hosts of this environment, one per public service with a host.
    pub hosts: Vec<HostRow>,
    /// Per service, the command that annotates its `ServiceAccount` with its workload identity.
    pub annotations: Vec<String>,
    /// Restore commands per relational database.
    pub restores: Vec<RestoreDoc>,
    /// Cross-region failover commands per relational database, when a DR region is set.
    pub failovers: Vec<RestoreDoc>,
    /// How a cluster administrator gets in when the normal path fails (Azure; empty elsewhere).
    pub break_glass: Vec<String>,
}

/// Where one datastore connection URL of one service lives in one environment.
#[derive(Debug, Serialize)]
pub struct SecretRow {
    /// The service.
    pub service: String,
    /// The datastore.
    pub datastore: String,
    /// The secret-manager entry.
    pub secret: String,
    /// The Kubernetes Secret the `ExternalSecret` writes.
    pub kubernetes_secret: String,
    /// The environment variables and Secret keys, joined by `` `, ` `` to sit in one code span.
    pub env_var: String,
    /// The cloud identity allowed to read the entry.
    pub identity: String,
    /// The command that prints the entry's value.
    pub read: String,
    /// The command that writes `$NEW_URL` into the entry.
    pub write: String,
}

/// A public host of one environment.
#[derive(Debug, Clone, Serialize)]
pub struct HostRow {
    /// The public service.
    pub service: String,
    /// Its host name.
    pub host: String,
    /// Its liveness path, for smoke checks.
    pub health_path: String,
}

/// The restore or failover commands of one database in one environment.
#[derive(Debug, Serialize)]
pub struct RestoreDoc {
    /// The datastore's name.
    pub datastore: String,
    /// The cloud resource id.
    pub resource: String,
    /// The managed product.
    pub product: &'static str,
    /// The commands, in order.
    pub commands: Vec<String>,
    /// The secret-manager entry holding its connection URL.
    pub secret: String,
    /// The command that writes `$NEW_URL` into that entry.
    pub write_secret: String,
    /// The command that prints that entry's current value.
    pub read_secret: String,
    /// The services whose pods must restart to read the new URL.
    pub used_by: Vec<String>,
    /// The engine's URL scheme, to show the shape of `NEW_URL`.
    pub scheme: &'static str,
    /// The engine's port.
    pub port: u16,
    /// Commands that put the restored database in the damaged one's place without touching
    /// the secret, where the cloud restores next to the original (Azure SQL Database).
    pub swap: Option<Vec<String>>,
    /// What the repoint step does, in words (after "Point the services at the restored instance: ").
    pub repoint_sentence: String,
    /// The commands that point the datastore's secrets at `$NEW_HOST`, the restored instance.
    pub repoint: Vec<String>,
}

/// One service as the docs describe it.
#[derive(Debug, Serialize)]
pub struct ServiceDoc<'a> {
    /// The service from the model.
    pub svc: &'a Service,
    /// The full image repository (registry host and path), without tag or digest.
    pub image: String,
    /// `uses` with each datastore's environment variable, such as `db (DB_URL)`.
    pub uses: Vec<String>,
    /// The command that runs the service's tests from the repository root.
    pub test_command: String,
    /// What the platform assumes of the service, one Markdown sentence each (the handbook's
    /// "What your application must provide").
    pub contract: Vec<String>,
    /// Whether scaffold writes a starter app in the service's folder.
    pub starter_written: bool,
    /// Who its pods run as, for the Kubernetes table: `1000`, `` `node` (the image's) ``.
    pub runs_as: String,
    /// What its image starts, in Markdown: `` `node server.js` ``, and whose command it is
    /// when the repository's own Dockerfile says it.
    pub started: String,
}

/// One datastore as the docs describe it.
#[derive(Debug, Serialize)]
pub struct DatastoreDoc<'a> {
    /// The datastore from the model.
    pub ds: &'a Datastore,
    /// The managed product on the chosen cloud.
    pub product: &'static str,
    /// Whether it is a relational database (backed up and restorable) rather than a cache.
    pub database: bool,
}

/// One DORA metric target with its justification.
#[derive(Debug, Serialize)]
pub struct DoraTarget {
    /// The metric.
    pub metric: &'static str,
    /// The target.
    pub target: String,
    /// Why this target fits this app.
    pub why: String,
}

/// A value scaffold assumed or could not know.
#[derive(Debug, Serialize)]
pub struct Clarification {
    /// What is missing or assumed.
    pub topic: String,
    /// What scaffold did meanwhile, or why it matters.
    pub status: String,
    /// Where to set it.
    pub set_in: String,
}

impl<'a> DocsContext<'a> {
    /// Builds the context for `project`.
    pub fn new(project: &'a Project) -> Self {
        let facts = cloud::facts(project);
        let rollouts = project.delivery.strategy.uses_rollouts();
        let services: Vec<ServiceDoc<'a>> = project
            .services
            .iter()
            .map(|svc| ServiceDoc {
                svc,
                image: format!("{}/{}", facts.registry_host, svc.names.image_repository),
                uses: svc
                    .connections
                    .iter()
                    .map(|c| format!("{} ({})", c.datastore, variable_spans(c)))
                    .collect(),
                test_command: test_command(svc),
                contract: contract(project, svc),
                starter_written: crate::starters::skipped(svc).is_none(),
                runs_as: runs_as(svc),
                started: match &svc.dockerfile {
                    None => format!("`{}`", svc.recipe.start_text),
                    Some(own) => match &own.command {
                        Some(command) => format!("`{command}` (the command of its own `{}`)", own.path),
                        None => format!(
                            "its base image's command (its own `{}` declares no `CMD` or `ENTRYPOINT`)",
                            own.path
                        ),
                    },
                },
            })
            .collect();
        let datastores: Vec<DatastoreDoc<'a>> = project
            .datastores
            .iter()
            .map(|ds| DatastoreDoc {
                ds,
                product: ds.offering.product,
                database: ds.engine.is_database(),
            })
            .collect();
        let production = project
            .environments
            .iter()
            .rev()
            .find(|e| e.production)
            .or(project.environments.last())
            .expect("core guarantees at least one environment");
        let production_doc = env_doc(project, production);
        let envs: Vec<EnvDoc<'a>> = project
            .environments
            .iter()
            .map(|env| env_doc(project, env))
            .collect();
        let first_host = envs.iter().find_map(|e| e.hosts.first().cloned());
        DocsContext {
            project,
            diagram: diagram::deployment(project, &facts),
            error_budget_percent: percent(project.targets.error_budget),
            analysis_success_percent: percent(project.targets.analysis_success_rate),
            package_managers: {
                let mut list: Vec<String> = Vec::new();
                for svc in &project.services {
                    let name = svc.package_manager.to_string();
                    if !list.contains(&name) {
                        list.push(name);
                    }
                }
                list
            },
            codeql_languages: {
                let mut list: Vec<&'static str> = Vec::new();
                for language in project.languages() {
                    if let Some(name) = language.codeql_language()
                        && !list.contains(&name)
                    {
                        list.push(name);
                    }
                }
                list
            },
            cloud: facts,
            envs,
            services,
            has_databases: datastores.iter().any(|d| d.database),
            has_caches: datastores.iter().any(|d| !d.database),
            database_names: datastores
                .iter()
                .filter(|d| d.database)
                .map(|d| format!("`{}` ({})", d.ds.name, d.product))
                .collect(),
            metricless_services: project
                .services
                .iter()
                .filter(|s| s.metrics_path.is_none())
                .map(|s| format!("`{}`", s.name))
                .collect(),
            cache_names: datastores
                .iter()
                .filter(|d| !d.database)
                .map(|d| format!("`{}`", d.ds.name))
                .collect(),
            has_public: project.services.iter().any(|s| s.public),
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
            webhook_ports: {
                let ports: std::collections::BTreeSet<u16> = scaffold_core::platform::ADDONS
                    .iter()
                    .filter(|addon| {
                        project
                            .environments
                            .iter()
                            .any(|env| project.addons(env).contains(addon))
                    })
                    .filter_map(|addon| addon.webhook_port)
                    .collect();
                ports
                    .iter()
                    .map(u16::to_string)
                    .collect::<Vec<_>>()
                    .join(" or ")
            },
            min_analysis_requests: crate::kubernetes::MIN_ANALYSIS_REQUESTS,
            has_instance_ca: project.datastores.iter().any(|d| d.ca_file.is_some()),
            datastores,
            rollouts,
            workload_kind: if rollouts { "Rollout" } else { "Deployment" },
            strategy: match project.delivery.strategy {
                Strategy::Rolling => "rolling update",
                Strategy::BlueGreen => "blue-green",
                Strategy::Canary => "canary",
            },
            dora: dora(project),
            next_steps: crate::next_steps::next_steps(project),
            clarifications: clarifications(project),
            production_credentials: production_doc.credentials,
            production_annotations: production_doc.annotations,
            production_hosts: production_doc.hosts,
            production_failovers: production_doc.failovers,
            production_stage: production_doc.stage.clone(),
            first_host,
            production,
            clarifications_link: "../README.md#clarifications",
            pipeline: crate::github::pipeline::doc(project),
            setup_environments: crate::github::setup::environments(project),
            setup_variables: crate::github::setup::context(project).variables,
            github_identities: github_identities(project),
            pod_security: project.pod_security.phrase(),
            pod_security_short: match project.pod_security.enforce {
                scaffold_core::image::PodSecurityLevel::Restricted => {
                    "Pod Security `restricted`".to_owned()
                }
                scaffold_core::image::PodSecurityLevel::Baseline => {
                    "Pod Security `baseline`, not `restricted` (see [Kubernetes](#kubernetes))"
                        .to_owned()
                }
            },
            pod_hardening: pod_hardening(project),
            dockerfiles: dockerfiles(project),
            local_variables: {
                let mut list: Vec<(String, String)> = Vec::new();
                for connection in project.services.iter().flat_map(|s| &s.connections) {
                    let Some(ds) = project.datastore(&connection.datastore) else {
                        continue;
                    };
                    for pair in project.local_connection_values(connection, &ds.name, ds.local_port)
                    {
                        if !list.contains(&pair) {
                            list.push(pair);
                        }
                    }
                }
                list
            },
        }
    }
}

/// The variables a connection is read from, as code spans: `` `DB_URL` ``, or the JDBC
/// URL's, user name's and password's.
fn variable_spans(connection: &scaffold_core::connection::Connection) -> String {
    let spans: Vec<String> = connection
        .variables
        .names()
        .into_iter()
        .map(|name| format!("`{name}`"))
        .collect();
    spans.join(", ")
}

/// What the generated platform assumes of `svc`, from its contract in the model: what the
/// probes, the Service, the alerts, the analysis, the Secret and the pod spec rely on.
fn contract(project: &Project, svc: &Service) -> Vec<String> {
    use scaffold_core::alerts::{LATENCY_METRIC, REQUESTS_METRIC};
    use scaffold_core::vocabulary::ServiceKind;
    let mut out = Vec::new();
    match (svc.kind, svc.port) {
        (ServiceKind::Web, Some(port)) => out.push(format!(
            "Listens for HTTP on the port in `PORT` ({port}) on every interface (`0.0.0.0`), not only `localhost`."
        )),
        (ServiceKind::Grpc, Some(port)) => out.push(format!(
            "Serves gRPC on the port in `PORT` ({port}) on every interface, and implements the standard health service `grpc.health.v1.Health`: the liveness and readiness probes call it."
        )),
        (ServiceKind::Worker, _) => out.push(
            "Listens on no port: it gets no `Service` and no HTTP probes; Kubernetes restarts it only when the process exits.".to_owned(),
        ),
        (ServiceKind::Job, _) => out.push(format!(
            "Runs to completion on the schedule `{}` (a `CronJob`) and exits: status 0 marks the run done, any other status failed (the Job retries it).",
            svc.schedule.as_deref().unwrap_or_default()
        )),
        _ => {}
    }
    match (&svc.health_path, &svc.readiness_path) {
        (Some(health), Some(ready)) if health == ready => out.push(format!(
            "Answers `GET {health}` with a 2xx status while it is alive and able to serve: the liveness probe restarts the container when it stops answering, the readiness probe keeps the pod out of the `Service` until it answers."
        )),
        (Some(health), ready) => {
            out.push(format!(
                "Answers `GET {health}` with a 2xx status while the process is alive (the liveness probe restarts the container when it stops)."
            ));
            if let Some(ready) = ready {
                out.push(format!(
                    "Answers `GET {ready}` with a 2xx status only when it can serve requests (the readiness probe keeps the pod out of the `Service` until then, and during a rollout)."
                ));
            }
        }
        _ => {}
    }
    match &svc.metrics_path {
        Some(path) => out.push(format!(
            "Serves Prometheus metrics at `GET {path}` on the same port, including the counter `{REQUESTS_METRIC}` labelled with the status `code` and the histogram `{LATENCY_METRIC}` (seconds): the availability and latency alerts{} read exactly these names.",
            if project.delivery.strategy.uses_rollouts() { ", the dashboard and the release analysis" } else { " and the dashboard" }
        )),
        None if svc.port.is_some() => out.push(
            "Exposes no metrics (`metrics_path` is not set): its availability and latency alerts cannot fire, and its dashboard shows saturation only.".to_owned(),
        ),
        None => {}
    }
    for connection in &svc.connections {
        let mut sentence = format!(
            "Reads `{}` from {} (the `{}` form)",
            connection.datastore,
            variable_spans(connection),
            connection.form.as_str(),
        );
        if connection.assumed && !svc.starter {
            sentence.push_str(&format!(
                ", the names its stack uses by convention (none were found in the repository; set `connections.{}` of this service in `scaffold.toml` if the code reads others)",
                connection.datastore
            ));
        }
        if let Some(ca) = project
            .datastores
            .iter()
            .find(|d| d.name == connection.datastore)
            .and_then(|d| d.ca_file.as_ref())
        {
            sentence.push_str(&format!(
                ", and trusts the server certificate in the file named by `{}`",
                ca.variable
            ));
        }
        sentence.push('.');
        out.push(sentence);
    }
    if svc.kind != ServiceKind::Job {
        out.push(format!(
            "Stops cleanly on `SIGTERM` (finishing or handing back work in flight) within {} seconds, after which Kubernetes kills it.",
            crate::kubernetes::TERMINATION_GRACE_SECONDS
        ));
    }
    out.push(user_sentence(svc));
    out
}

/// What the contract says of the user `svc` runs as and where it may write: scaffold's image
/// runs as its fixed user with a read-only root filesystem; an image built from the
/// repository's own Dockerfile runs as that file's `USER`, with a writable one.
fn user_sentence(svc: &Service) -> String {
    use scaffold_core::image::ImageUser;
    let Some(own) = &svc.dockerfile else {
        return format!(
            "Runs as the unprivileged user {} with a read-only root filesystem: it writes only to `/tmp`.",
            svc.uid
        );
    };
    let writable =
        "its root filesystem stays writable, because scaffold cannot know where the image writes";
    match &own.user {
        ImageUser::Id { uid, written, .. } => format!(
            "Runs as the user {uid} that its own `{}` names (`USER {written}`), which Kubernetes checks is not root; {writable}.",
            own.path
        ),
        ImageUser::Name { written } => format!(
            "Runs as `{written}`, the user its own `{}` names: a name, which Kubernetes cannot check is not root, so the pods do not require a non-root user; {writable}.",
            own.path
        ),
        ImageUser::Root { written } => format!(
            "Runs as root, as its own `{}` says (`USER {written}`), so the pods cannot require a non-root user and keep the default capabilities but `NET_RAW`; {writable}.",
            own.path
        ),
        ImageUser::Unset => format!(
            "Runs as its base image's user, root for most images: its own `{}` sets no `USER`, so the pods cannot require a non-root user and keep the default capabilities but `NET_RAW`; {writable}.",
            own.path
        ),
    }
}

/// Which Dockerfile builds each service's image: scaffold's, or the repository's own.
fn dockerfiles(project: &Project) -> String {
    let (own, scaffolds): (Vec<&Service>, Vec<&Service>) = project
        .services
        .iter()
        .partition(|s| s.dockerfile.is_some());
    let names =
        |list: &[&Service]| code_spans(&list.iter().map(|s| s.name.as_str()).collect::<Vec<_>>());
    match (own.len(), scaffolds.len()) {
        (0, _) => "Each service has a multi-stage `Dockerfile` in its folder that builds with the locked dependencies and runs as a fixed non-root user.".to_owned(),
        (_, 0) => "Each service is built from the repository's own `Dockerfile` in its folder, which scaffold keeps and did not write: [Clarifications](#clarifications) says what to check in each.".to_owned(),
        (n, m) => format!(
            "{scaffold} {has} a multi-stage `Dockerfile` from scaffold in {its} folder that builds with the locked dependencies and runs as a fixed non-root user.\n{own} {is} built from the repository's own `Dockerfile` in {their} folder, which scaffold keeps and did not write: [Clarifications](#clarifications) says what to check.",
            scaffold = names(&scaffolds),
            has = if m == 1 { "has" } else { "have" },
            its = if m == 1 { "its" } else { "their" },
            own = names(&own),
            is = if n == 1 { "is" } else { "are" },
            their = if n == 1 { "its" } else { "their" },
        ),
    }
}

/// How the pods are secured and which Pod Security profile the namespace enforces, from
/// each service's [`scaffold_core::image::RunAs`].
fn pod_hardening(project: &Project) -> String {
    use scaffold_core::image::PodSecurityLevel;
    let own: Vec<&str> = project
        .services
        .iter()
        .filter(|s| s.dockerfile.is_some())
        .map(|s| s.name.as_str())
        .collect();
    if own.is_empty() {
        return "Every pod runs under the Pod Security Standards `restricted` profile, which the namespace enforces: a fixed non-root user, read-only root filesystem, no privilege escalation, all capabilities dropped and the `RuntimeDefault` seccomp profile.".to_owned();
    }
    let mut out = String::new();
    if own.len() < project.services.len() {
        out.push_str("The pods of the images scaffold's Dockerfiles build run as a fixed non-root user with a read-only root filesystem and all capabilities dropped.\n");
    }
    out.push_str(&format!(
        "The pods of {}, built from the repository's own Dockerfile, run as its `USER` (the table below) with a writable root filesystem, because scaffold cannot know where the image writes; they drop all capabilities unless the image may run as root, and then keep the default ones but `NET_RAW`.\n",
        code_spans(&own)
    ));
    out.push_str("Every pod runs without privilege escalation and with the `RuntimeDefault` seccomp profile.\n");
    let security = &project.pod_security;
    out.push_str(&match security.enforce {
        PodSecurityLevel::Restricted => "The namespace enforces the Pod Security Standards `restricted` profile, which every pod meets.".to_owned(),
        PodSecurityLevel::Baseline => format!(
            "The namespace enforces the Pod Security Standards `baseline` profile, and warns and audits against `restricted`: the pods of {} cannot meet `restricted`, which requires a user Kubernetes can check is not root (see [Clarifications](#clarifications) for how to get there).",
            code_spans(&security.below_restricted.iter().map(String::as_str).collect::<Vec<_>>())
        ),
    });
    out
}

/// Who `svc`'s pods run as, for the Kubernetes table.
fn runs_as(svc: &Service) -> String {
    use scaffold_core::image::ImageUser;
    match svc.dockerfile.as_ref().map(|d| &d.user) {
        None => svc.uid.to_string(),
        Some(ImageUser::Id { uid, .. }) => format!("{uid} (its own Dockerfile's `USER`)"),
        Some(ImageUser::Name { written }) => {
            format!("`{written}` (its own Dockerfile's `USER`, not checked)")
        }
        Some(ImageUser::Root { .. }) => "root (its own Dockerfile's `USER`)".to_owned(),
        Some(ImageUser::Unset) => {
            "its base image's user (its own Dockerfile sets no `USER`)".to_owned()
        }
    }
}

/// The command that runs `svc`'s tests from the repository root, as CI runs them
/// (the first test command of its CI job; a comment when none is configured).
fn test_command(svc: &Service) -> String {
    let command = svc
        .ci
        .test
        .iter()
        .find(|line| !line.starts_with("echo ") && !line.starts_with("status="))
        .map(|line| line.trim_end_matches(" || status=$?").to_owned());
    match command {
        None => format!("# {}: no tests are configured", svc.name),
        Some(command) if svc.ci.working_directory == "." => command,
        Some(command) => format!("(cd {} && {command})", svc.ci.working_directory),
    }
}

/// `0.995` → `99.5`, without float noise.
fn percent(ratio: f64) -> String {
    let value = (ratio * 100_000.0).round() / 1000.0;
    format!("{value}")
}

fn env_doc<'a>(project: &'a Project, env: &'a Environment) -> EnvDoc<'a> {
    let mut secrets = Vec::new();
    for svc in &project.services {
        let identity = env
            .services
            .iter()
            .find(|s| s.service == svc.name)
            .map(|s| s.workload_identity.clone())
            .unwrap_or_default();
        for connection in &svc.connections {
            let Some(entry) = env
                .datastores
                .iter()
                .find(|d| d.datastore == connection.datastore)
            else {
                continue;
            };
            secrets.push(SecretRow {
                service: svc.name.clone(),
                datastore: connection.datastore.clone(),
                secret: entry.secret.clone(),
                kubernetes_secret: svc.names.secret.clone(),
                env_var: connection.variables.names().join("`, `"),
                identity: identity.clone(),
                read: cloud::read_secret(project, env, &entry.secret),
                write: cloud::put_secret(project, env, &entry.secret),
            });
        }
    }
    let hosts = env
        .services
        .iter()
        .filter_map(|s| {
            let svc = project.service(&s.service)?;
            Some(HostRow {
                service: s.service.clone(),
                host: s.host.clone()?,
                health_path: svc.health_path.clone()?,
            })
        })
        .collect();
    let databases = || {
        project
            .datastores
            .iter()
            .filter(|ds| ds.engine.is_database())
            .filter_map(|ds| {
                let entry = env.datastores.iter().find(|d| d.datastore == ds.name)?;
                Some((ds, entry))
            })
    };
    let restore_doc = |ds: &Datastore, resource: &str, secret: &str, commands: Vec<String>| {
        let admin_secret = env
            .datastores
            .iter()
            .find(|d| d.datastore == ds.name)
            .map(|d| d.admin_secret.as_str());
        let (repoint_sentence, repoint) =
            cloud::repoint_secrets(project, env, resource, secret, admin_secret);
        RestoreDoc {
            datastore: ds.name.clone(),
            resource: resource.to_owned(),
            product: ds.offering.product,
            commands,
            secret: secret.to_owned(),
            write_secret: cloud::put_secret(project, env, secret),
            read_secret: cloud::read_secret(project, env, secret),
            used_by: ds.used_by.clone(),
            scheme: ds.engine.url_scheme(),
            port: ds.cloud_port,
            swap: None,
            repoint_sentence,
            repoint,
        }
    };
    let restores = databases()
        .map(|(ds, entry)| RestoreDoc {
            swap: cloud::swap_restored_database(project, env, ds.engine, &entry.resource),
            ..restore_doc(
                ds,
                &entry.resource,
                &entry.secret,
                cloud::restore_database(project, env, ds.engine, &entry.resource),
            )
        })
        .collect();
    let failovers = match &project.cloud.dr_region {
        Some(dr) => databases()
            .map(|(ds, entry)| {
                restore_doc(
                    ds,
                    &entry.resource,
                    &entry.secret,
                    cloud::failover_database(project, env, ds.engine, &entry.resource, dr),
                )
            })
            .collect(),
        None => Vec::new(),
    };
    let annotations = project
        .services
        .iter()
        .zip(&env.services)
        .map(|(svc, names)| {
            cloud::annotate_service_account(
                project,
                env,
                &svc.names.service_account,
                &names.workload_identity,
            )
        })
        .collect();
    EnvDoc {
        env,
        stage: crate::github::pipeline::stages(project).swap_remove(env.index),
        annotations,
        tier: match env.tier {
            Tier::Production => "production",
            Tier::NonProduction => "non-production",
        },
        credentials: cloud::credentials(project, env),
        budget_check: cloud::budget_check(project, env),
        system_pool: cloud::system_pool(project, env),
        secrets,
        hosts,
        restores,
        failovers,
        break_glass: if project.cloud.provider == scaffold_core::Provider::Azure {
            cloud::azure_break_glass(env)
        } else {
            Vec::new()
        },
    }
}

/// DORA targets derived from the team size and the availability target.
fn dora(project: &Project) -> Vec<DoraTarget> {
    let targets = &project.targets;
    let team = project.app.team_size;
    let (frequency, frequency_why) = match team {
        None => (
            "at least weekly to production".to_owned(),
            "the team size is not known (see Clarifications), so the target assumes a small team; raise it once `app.team_size` is set".to_owned(),
        ),
        Some(n) if n <= 5 => (
            "several times a week to production".to_owned(),
            format!("{n} engineers merge a handful of changes a week; shipping each within days keeps batches small"),
        ),
        Some(n) if n <= 15 => (
            "daily to production".to_owned(),
            format!("{n} engineers merge several changes a day; a daily release keeps each one small enough to review and roll back"),
        ),
        Some(n) => (
            "on demand, several times a day".to_owned(),
            format!("{n} engineers produce a steady stream of changes; batching them would make every release risky"),
        ),
    };
    let approvals = project.environments.iter().filter(|e| e.approval).count();
    let lead_time = if approvals == 0 {
        "under 1 hour from merge to production".to_owned()
    } else {
        "under 1 day from merge to production".to_owned()
    };
    let lead_why = if approvals == 0 {
        "every environment deploys automatically, so the pipeline's own duration is the lead time"
            .to_owned()
    } else {
        let (count, verb) = if approvals == 1 {
            ("one environment".to_owned(), "waits")
        } else {
            (format!("{approvals} environments"), "wait")
        };
        format!(
            "{count} {verb} for a reviewer; a working day is enough for that approval without letting changes pile up"
        )
    };
    let (failure_rate, failure_why) = match targets.error_budget {
        b if b <= 0.0001 => (
            "under 5%",
            "a 99.99% target leaves almost no budget for failed releases",
        ),
        b if b <= 0.0005 => (
            "under 10%",
            "progressive delivery catches most bad releases, but each failure still spends a tight budget",
        ),
        _ => (
            "under 15%",
            "the error budget tolerates an occasional failed release that is rolled back quickly",
        ),
    };
    vec![
        DoraTarget {
            metric: "Deployment frequency",
            target: frequency,
            why: frequency_why,
        },
        DoraTarget {
            metric: "Lead time for changes",
            target: lead_time,
            why: lead_why,
        },
        DoraTarget {
            metric: "Change failure rate",
            target: failure_rate.to_owned(),
            why: format!("{failure_why} ({}% availability)", targets.availability),
        },
        DoraTarget {
            metric: "Failed deployment recovery time",
            target: format!("under {} minutes", targets.monthly_downtime_minutes.max(5)),
            why: format!(
                "a {}% target allows {} minutes of downtime a month; one slow recovery must not spend all of it",
                targets.availability, targets.monthly_downtime_minutes
            ),
        },
    ]
}

/// Every value scaffold assumed or could not know, with where to set it.
fn clarifications(project: &Project) -> Vec<Clarification> {
    let mut list = Vec::new();
    let mut add = |topic: String, status: String, set_in: String| {
        list.push(Clarification {
            topic,
            status,
            set_in,
        });
    };
    if project.repository.assumed {
        add(
            "GitHub repository".to_owned(),
            format!(
                "Assumed `{}`; the OIDC trust policies only accept tokens from this repository, so deployments fail until it is right.",
                project.repository.full
            ),
            "`app.repository` in `scaffold.toml`, then `scaffold sync`".to_owned(),
        );
    }
    if project.app.owners.is_empty() {
        add(
            "Code owners".to_owned(),
            "Not given, so `.github/CODEOWNERS` holds only a commented example: no review is required by code ownership until owners are named.".to_owned(),
            "`app.owners` in `scaffold.toml` (`@user` or `@org/team`), then `scaffold sync`".to_owned(),
        );
    }
    if project.cloud.region_assumed {
        add(
            "Cloud region".to_owned(),
            format!(
                "Assumed `{}`, the provider's default.",
                project.cloud.region
            ),
            "`cloud.region` in `scaffold.toml`, then `scaffold sync`".to_owned(),
        );
    }
    let account = match project.cloud.provider {
        scaffold_core::Provider::Aws => "AWS account id of each environment",
        scaffold_core::Provider::Gcp => "Google Cloud project id and number of each environment",
        scaffold_core::Provider::Azure => "Azure subscription and tenant of each environment",
    };
    add(
        account.to_owned(),
        "Not known at generation time; no id is written into any file.".to_owned(),
        "The GitHub variables below; Terraform reads them as `TF_VAR_...` in the infrastructure workflow".to_owned(),
    );
    for var in &project.github_variables {
        let set_in = if let Some(environment) = &var.environment {
            format!(
                "GitHub: Settings → Environments → `{environment}` → Environment variables (`scripts/github-setup.sh` sets it)"
            )
        } else {
            match var.scope.as_str() {
            "environment" => "GitHub: Settings → Environments → each deploy environment → Environment variables (`scripts/github-setup.sh` sets it)".to_owned(),
                "infra environment" => "GitHub: Settings → Environments → each `<environment>-infra` environment → Environment variables (`scripts/github-setup.sh` sets it)".to_owned(),
                _ => "GitHub: Settings → Secrets and variables → Actions → Variables (`scripts/github-setup.sh` sets it)".to_owned(),
            }
        };
        add(
            format!("GitHub variable `{}`", var.name),
            format!("Holds {}.", var.description),
            set_in,
        );
    }
    if project.cloud.provider == scaffold_core::Provider::Gcp {
        add(
            "Billing account (Google Cloud)".to_owned(),
            "Budgets are attached to a billing account, which scaffold cannot know; the budget commands read it from `GCP_BILLING_ACCOUNT`.".to_owned(),
            "The budget module's billing account input (see `infra/modules/budget/README.md`)".to_owned(),
        );
    }
    let has_public = project.services.iter().any(|s| s.public);
    for env in &project.environments {
        if env.domain.is_none() && has_public {
            add(
                format!("Domain of `{}`", env.name),
                "No domain is set, so the public services of this environment get no public host or certificate.".to_owned(),
                format!("`domain` of environment `{}` in `scaffold.toml`, then `scaffold sync`", env.name),
            );
        }
        for host in env.services.iter().filter_map(|s| s.host.as_ref()) {
            match (project.cloud.provider, env.domain.as_deref()) {
                // The AWS environment root creates the domain's Route 53 zone and external-dns's
                // identity; only the delegation from the parent zone is left to the reader.
                (scaffold_core::Provider::Aws, Some(domain)) => add(
                    format!("DNS for `{host}`"),
                    format!(
                        "external-dns writes the record into the Route 53 zone `{domain}` that `{}` creates; the zone's parent must delegate to it.",
                        env.names.terraform_dir
                    ),
                    "The parent zone's DNS provider (task DO-050 of the task plan)".to_owned(),
                ),
                _ => add(
                    format!("DNS for `{host}`"),
                    format!(
                        "scaffold does not manage the DNS zone; the host must point at the load balancer of the ingress controller in `{}`.",
                        env.names.cluster
                    ),
                    "Your DNS provider (task DO-050 of the task plan)".to_owned(),
                ),
            }
        }
    }
    if project.environments.iter().any(|e| e.approval) {
        add(
            "Required reviewers".to_owned(),
            "Environments with `approval = true` wait for a reviewer, but who may approve is not in `scaffold.toml`.".to_owned(),
            "GitHub: Settings → Environments → environment → Required reviewers".to_owned(),
        );
    }
    add(
        "On-call rotation and alert routing".to_owned(),
        "Alertmanager routes production's critical alerts to the receiver `pager` and warnings to `tickets`, but what those are (pager, chat, e-mail) is unknown.".to_owned(),
        "`alertmanager.config.receivers` in `infra/modules/platform/addons.tf` (task DO-051 of the task plan)".to_owned(),
    );
    add(
        "Tracing backend".to_owned(),
        "Services export OpenTelemetry traces to an in-cluster collector address, but no collector is installed and where traces are stored and viewed is not in `scaffold.toml`.".to_owned(),
        "A collector release beside the others in `infra/modules/platform/addons.tf`, exporting to the backend you choose".to_owned(),
    );
    add(
        "Budget alert e-mail".to_owned(),
        "Budget notifications need recipients.".to_owned(),
        "The budget module's notification input (see `infra/modules/budget/README.md`)".to_owned(),
    );
    add(
        "Cost center".to_owned(),
        "Every resource is tagged with app, environment and managed-by; the cost center tag needs your finance code.".to_owned(),
        "The common tags or labels of each environment composition under `infra/environments/`".to_owned(),
    );
    if has_public {
        add(
            "TLS certificate contact".to_owned(),
            "cert-manager's ACME account registers without an e-mail address (Let's Encrypt stopped sending expiry notices in 2025); add one if your CA requires it.".to_owned(),
            "`charts/cluster-issuer` in `infra/modules/platform/` (`spec.acme.email`)".to_owned(),
        );
    }
    if project.app.team_size.is_none() {
        add(
            "Team size".to_owned(),
            "Unknown; the DORA targets assume a small team.".to_owned(),
            "`app.team_size` in `scaffold.toml`, then `scaffold sync`".to_owned(),
        );
    }
    if project.cloud.dr_region.is_none() {
        add(
            "Disaster-recovery region".to_owned(),
            "None is set, so backups stay in the primary region and disaster recovery restores in place.".to_owned(),
            "`cloud.dr_region` in `scaffold.toml`, then `scaffold sync`".to_owned(),
        );
    }
    for svc in &project.services {
        let Some(own) = &svc.dockerfile else {
            continue;
        };
        add(
            format!("`{}` (your own Dockerfile)", own.path),
            format!(
                "scaffold keeps it and builds `{}` from it instead of writing one, so it cannot vouch for the image. Check {}.",
                svc.name,
                own.checks(svc)
                    .iter()
                    .enumerate()
                    .map(|(i, check)| format!("({}) {check}", i + 1))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            format!(
                "`{}`, then `scaffold sync`, which reads it again; or `scaffold sync --restore {}` for scaffold's own Dockerfile",
                own.path, own.path
            ),
        );
    }
    add(
        "Application secrets other than datastores".to_owned(),
        "scaffold wires only the datastore connection URLs; API keys and similar secrets are not in `scaffold.toml`.".to_owned(),
        format!(
            "Add entries to {} and map them into each service's Secret through its `ExternalSecret` in `deploy/kubernetes/base/`",
            cloud::facts(project).secret_manager
        ),
    );
    list
}

#[cfg(test)]
mod gcp_tests;
#[cfg(test)]
mod tests;
