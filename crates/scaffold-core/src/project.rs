//! The validated, resolved application model that every renderer reads.
//!
//! [`Project::resolve`] turns [`Answers`] into a [`Project`]: it checks every
//! rule (collecting all problems rather than stopping at the first), fills in
//! the defaults, and attaches the derived names and sizes. Templates never
//! decide anything a `Project` does not already say.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::alerts::{Alert, alerts};
use crate::answers::{Answers, EnvironmentAnswers, ParsedAnswers, ServiceAnswers};
use crate::connection::{Connection, ConnectionVariables, conventional_variables, valid_variable};
use crate::datastore::{
    CaFile, ConnectionForm, Endpoint, LocalContainer, LocalCredentials, Offering, Property, Trust,
    Version,
};
use crate::error::{AnswersError, Problem};
use crate::image::{OwnDockerfile, PodSecurity, RunAs};
use crate::names::{
    self, AppNames, EnvNames, GithubVariable, ServiceNames, datastore_admin_secret,
    datastore_resource, datastore_secret, env_var_prefix, workload_identity,
};
use crate::sizing::{Sizing, Targets};
use crate::stack::text::{DockerfileFacts, split_command};
use crate::stack::{Ci, Detected, Recipe, RecipeAnswers, RecipeInput};
use crate::vocabulary::{
    Availability, Engine, Language, PackageManager, Provider, Registry, Runners, ServiceKind,
    Strategy, Tier, WorkloadKind,
};

/// What the CLI learned from the repository, handed to the pure model.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// `owner/name` read from the git remote `origin`, if any.
    pub origin: Option<String>,
    /// Package managers detected from lockfiles, keyed by service path (`.` for the root).
    pub package_managers: BTreeMap<String, PackageManager>,
    /// The default branch of the git remote `origin` (its `HEAD`), if known.
    pub default_branch: Option<String>,
    /// What detection found in each service folder, keyed by path (`.` for the root): the
    /// stack's recipe facts, the versions the repository pins, the variable names it uses.
    pub services: BTreeMap<String, crate::stack::Detected>,
    /// Folders (relative to the root) that hold source code or a manifest; a service whose
    /// folder holds none gets a starter app.
    pub code_folders: BTreeSet<String>,
    /// The repository's own compose file at the root (one of [`COMPOSE_FILES`] that scaffold
    /// did not generate), if any: scaffold then writes [`SCAFFOLD_COMPOSE`] instead of
    /// `compose.yaml`.
    pub compose_file: Option<String>,
    /// The repository's own `Dockerfile` in each folder, keyed by folder (`.` for the root):
    /// a service in that folder is built from it, and scaffold keeps it. A Dockerfile
    /// scaffold generated (its header says so) is not listed.
    pub dockerfiles: BTreeMap<String, DockerfileFacts>,
}

impl Facts {
    /// Records `text` as the Dockerfile in folder `dir` (`.` for the root), unless scaffold
    /// generated it.
    pub fn read_dockerfile(&mut self, dir: &str, text: &str) {
        if let Some(facts) = crate::stack::text::own_dockerfile(text) {
            self.dockerfiles.insert(dir.to_owned(), facts);
        }
    }

    /// What scaffold learns from the repository a test example stands for
    /// (`tests/examples/<name>/`), from its files as (`/`-separated path below the example,
    /// content): each `Dockerfile` is read as detection reads it, and a folder with any other
    /// file but Markdown holds code. The tests and the conformance harness walk the folder.
    pub fn of_example<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> Facts {
        let mut facts = Facts::default();
        for (path, text) in files {
            let (dir, name) = path.rsplit_once('/').unwrap_or((".", path));
            if name == "Dockerfile" {
                facts.read_dockerfile(dir, text);
            } else if !name.ends_with(".md") {
                facts.code_folders.insert(dir.to_owned());
            }
        }
        facts
    }
}

/// The names Docker Compose looks for in the working directory, in its order (and Spring
/// Boot's `spring-boot-docker-compose`, `DockerComposeFile.SEARCH_ORDER`): "The default path
/// for a Compose file is compose.yaml (preferred) or compose.yml ... Compose also supports
/// docker-compose.yaml and docker-compose.yml" (<https://docs.docker.com/compose/intro/compose-application-model/>,
/// read 2026-11-30). A file scaffold writes beside one of these must have none of these names.
pub const COMPOSE_FILES: &[&str] = &[
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
];

/// Where scaffold writes its compose file when the repository has its own: a name Compose
/// never loads by itself (it reads [`COMPOSE_FILES`] and then `compose.override.yaml` /
/// `docker-compose.override.yml`, <https://docs.docker.com/compose/how-tos/multiple-compose-files/merge/>,
/// read 2026-11-30), nor does Spring Boot; it runs only when named with `-f`.
pub const SCAFFOLD_COMPOSE: &str = "compose.scaffold.yaml";

/// Local development with Docker Compose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Local {
    /// The compose file scaffold writes: `compose.yaml`, or [`SCAFFOLD_COMPOSE`] beside the
    /// repository's own.
    pub compose_file: String,
    /// The repository's own compose file, if any: it stays the one `docker compose` loads.
    pub own_compose: Option<String>,
    /// The command that starts scaffold's services and datastores.
    pub up: String,
    /// The command that stops them.
    pub down: String,
}

impl Local {
    /// Local development for a repository whose own compose file is `own` (if any).
    pub fn new(own: Option<&str>) -> Local {
        match own {
            Some(own) => Local {
                compose_file: SCAFFOLD_COMPOSE.to_owned(),
                own_compose: Some(own.to_owned()),
                up: format!("docker compose -f {SCAFFOLD_COMPOSE} up --build"),
                down: format!("docker compose -f {SCAFFOLD_COMPOSE} down"),
            },
            None => Local {
                compose_file: "compose.yaml".to_owned(),
                own_compose: None,
                up: "docker compose up --build".to_owned(),
                down: "docker compose down".to_owned(),
            },
        }
    }

    /// What to tell the user when the repository has its own compose file: why scaffold
    /// wrote no `compose.yaml`, and how to merge.
    pub fn note(&self) -> Option<String> {
        let own = self.own_compose.as_deref()?;
        Some(format!(
            "{own} is this repository's own compose file, so scaffold wrote no compose.yaml beside it (Compose and Spring Boot would load compose.yaml first); the services and datastores scaffold would run are in {file}, which Compose never loads by itself: try it with `{up}`, or copy what your {own} lacks into it (docs/devops/README.md, \"Local development\", says how)",
            file = self.compose_file,
            up = self.up,
        ))
    }
}

/// The whole application, validated and resolved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Project {
    /// The application.
    pub app: App,
    /// The GitHub repository.
    pub repository: Repository,
    /// The cloud.
    pub cloud: Cloud,
    /// The services, in file order.
    pub services: Vec<Service>,
    /// The datastores, in file order.
    pub datastores: Vec<Datastore>,
    /// The environments, in promotion order.
    pub environments: Vec<Environment>,
    /// Delivery choices.
    pub delivery: Delivery,
    /// What the availability target promises.
    pub targets: Targets,
    /// The availability target.
    pub availability: Availability,
    /// Application-wide derived names.
    pub names: AppNames,
    /// GitHub variables the workflows read, which the team must set.
    pub github_variables: Vec<GithubVariable>,
    /// The alerts every service gets; each has a runbook.
    pub alerts: Vec<Alert>,
    /// The repository's default branch: `app.default_branch`, else the remote's, else `main`.
    /// The first environment deploys from it unless it names another branch.
    pub default_branch: String,
    /// The GitHub OIDC subject of jobs on pull requests (`repo:owner/name:pull_request`),
    /// the only subject the read-only Terraform plan identities trust.
    pub oidc_pull_request_subject: String,
    /// Every branch some environment deploys from, default branch first, each once.
    /// CI pushes images on pushes to these branches, so each deploy branch has digests to deploy.
    pub deploy_branches: Vec<String>,
    /// The GitHub OIDC subjects of the CI build job on every deploy branch
    /// (`repo:owner/name:ref:refs/heads/<branch>`, in `deploy_branches` order): the only
    /// subjects the build identity trusts.
    pub oidc_build_subjects: Vec<String>,
    /// Local development: which compose file scaffold writes, beside which of the user's.
    pub local: Local,
    /// What Pod Security admission enforces in every environment's namespace: the level
    /// every service's pods meet ([`Service::run_as`]).
    pub pod_security: PodSecurity,
}

/// `[app]`, resolved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct App {
    /// The application's name.
    pub name: String,
    /// One line about the application; the name when not given.
    pub description: String,
    /// Code owners, such as `@acme/platform`; empty when not given (never guessed:
    /// a bare organisation is not a valid owner).
    pub owners: Vec<String>,
    /// How many engineers work on the application, when known.
    pub team_size: Option<u32>,
}

/// The GitHub repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Repository {
    /// The owner (user or organisation).
    pub owner: String,
    /// The repository name.
    pub name: String,
    /// `owner/name`.
    pub full: String,
    /// True when neither the answers nor the git remote named it, so `<app>/<app>` was assumed.
    pub assumed: bool,
}

/// `[cloud]`, resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cloud {
    /// The provider.
    pub provider: Provider,
    /// The primary region.
    pub region: String,
    /// The disaster-recovery region, if any.
    pub dr_region: Option<String>,
    /// True when `region` was not given and the provider's default was used.
    pub region_assumed: bool,
}

/// One service, resolved: what the platform assumes of the app (its contract).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Service {
    /// The service's name.
    pub name: String,
    /// The language.
    pub language: Language,
    /// The package manager.
    pub package_manager: PackageManager,
    /// The folder, relative to the repository root, normalised (`.` for the root).
    pub path: String,
    /// `path` with a trailing `/`, or empty for the root: prefix it to a file name.
    pub dir: String,
    /// Web, gRPC, worker or job.
    pub kind: ServiceKind,
    /// The Kubernetes object that runs it (from the kind and the delivery strategy).
    pub workload: WorkloadKind,
    /// The port it listens on: `Some` exactly for web and gRPC services.
    pub port: Option<u16>,
    /// When it runs: a five-field cron expression, `Some` exactly for jobs.
    pub schedule: Option<String>,
    /// The HTTP liveness endpoint: `Some` exactly for web services (gRPC services
    /// answer the gRPC health protocol; workers and jobs have none).
    pub health_path: Option<String>,
    /// The HTTP readiness endpoint: `Some` exactly for web services.
    pub readiness_path: Option<String>,
    /// The Prometheus metrics endpoint on `port`, or `None` when it exposes none.
    pub metrics_path: Option<String>,
    /// Datastores the service connects to, in the order given.
    pub uses: Vec<String>,
    /// How it reads each datastore in `uses`, in `uses` order.
    pub connections: Vec<Connection>,
    /// Reachable from outside the cluster (web services only).
    pub public: bool,
    /// The numeric user scaffold's Dockerfile runs the image as (the Dockerfile scaffold
    /// renders; see `dockerfile` for whose image really runs).
    pub uid: u32,
    /// The repository's own Dockerfile in the service's folder, which scaffold keeps: the
    /// image is built from it, not from scaffold's. `None`: scaffold's Dockerfile.
    pub dockerfile: Option<OwnDockerfile>,
    /// How Kubernetes runs the image: the `securityContext` of every workload of the service,
    /// decided from whose Dockerfile builds it.
    pub run_as: RunAs,
    /// Whether the runtime image has a shell (for `preStop` hooks and `exec` probes).
    pub shell: bool,
    /// Whether the Dockerfile can declare an HTTP `HEALTHCHECK` (a web service whose
    /// image has the tools to run one).
    pub image_healthcheck: bool,
    /// Derived names.
    pub names: ServiceNames,
    /// How its image is built and started, as its stack decided it from the answers, the
    /// repository's evidence and the stack's defaults.
    pub recipe: Recipe,
    /// How CI sets up, lints and tests it.
    pub ci: Ci,
    /// Detection found this stack in the service's folder (its recipe rests on evidence).
    pub detected: bool,
    /// The service's folder holds no code, so scaffold writes a starter app there (once:
    /// the files are the user's from then on).
    pub starter: bool,
}

impl Service {
    /// Whether the service listens on a port (web and gRPC), and so gets a Kubernetes `Service`.
    pub fn listens(&self) -> bool {
        self.port.is_some()
    }

    /// The environment variable names the service reads its datastores from, in `uses` order.
    pub fn connection_variables(&self) -> Vec<&str> {
        self.connections
            .iter()
            .flat_map(|c| c.variables.names())
            .collect()
    }
}

/// One datastore, resolved.
///
/// Every fact that depends on the engine and the cloud comes from the table in
/// [`crate::datastore`]; the fields here are that table's answers for this datastore.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Datastore {
    /// The datastore's name.
    pub name: String,
    /// The engine.
    pub engine: Engine,
    /// The engine version as written in `scaffold.toml` (or the cloud's default).
    pub version: String,
    /// How the cloud offers the engine.
    pub offering: &'static Offering,
    /// The version row: the cloud API's spelling and the local image tag.
    pub cloud_version: &'static Version,
    /// The port clients connect to in the cloud (network policies allow egress to it).
    pub cloud_port: u16,
    /// The port of the local container (compose and CI service containers).
    pub local_port: u16,
    /// The local container image with its tag, such as `postgres:16`.
    pub local_image: String,
    /// The connection URL for local development (host = the compose service name).
    pub local_url: String,
    /// The throwaway credentials of the local container.
    pub local_credentials: LocalCredentials,
    /// The properties of the secret-manager entry Terraform writes for this datastore.
    pub secret_properties: Vec<Property>,
    /// Where workloads find the server's CA, when the cloud signs it with a per-instance CA.
    pub ca_file: Option<CaFile>,
    /// The services that use it.
    pub used_by: Vec<String>,
}

impl Datastore {
    /// A relational datastore some service uses, whose application user the database setup
    /// Job creates (caches have no users to create). Azure SQL Database has no setup script
    /// yet (its user is created by hand, as the handbook says), so its Job does not exist and
    /// its identity may not read the administrator's secret.
    pub fn has_setup(&self) -> bool {
        matches!(self.engine, Engine::Postgres | Engine::Mysql) && !self.used_by.is_empty()
    }

    /// The value of `property` for the local container reached at `host:port`
    /// (the compose service name inside compose, `localhost` and a published port outside).
    pub fn local_value(&self, property: Property, host: &str, port: u16) -> Option<String> {
        let credentials = &self.local_credentials;
        let port = port.to_string();
        self.engine.connection_value(
            property,
            &Endpoint {
                host,
                port: &port,
                database: &credentials.database,
                username: &credentials.user,
                password: &credentials.password,
                password_in_url: &credentials.password,
                tls: false,
            },
        )
    }

    /// The environment variables the local container's image needs, sorted.
    pub fn local_environment(&self) -> BTreeMap<String, String> {
        self.engine
            .facts()
            .local
            .init_env
            .iter()
            .map(|(key, value)| {
                (
                    (*key).to_owned(),
                    LocalContainer::fill(value, &self.local_credentials),
                )
            })
            .collect()
    }

    /// The local container's health check, exec form.
    pub fn local_healthcheck(&self) -> Vec<String> {
        self.engine
            .facts()
            .local
            .healthcheck
            .iter()
            .map(|part| LocalContainer::fill(part, &self.local_credentials))
            .collect()
    }
}

/// One environment, resolved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Environment {
    /// The environment's name.
    pub name: String,
    /// Its position in promotion order, from 0.
    pub index: usize,
    /// The branch whose pushes deploy it automatically.
    pub branch: Option<String>,
    /// Whether deployment waits for a reviewer.
    pub approval: bool,
    /// The ingress host, if known.
    pub domain: Option<String>,
    /// Production or not.
    pub tier: Tier,
    /// True for the production tier (a convenience for templates).
    pub production: bool,
    /// The environment it is promoted from, if any.
    pub previous: Option<String>,
    /// What starts a deployment to it.
    pub trigger: Trigger,
    /// It lives in its own cloud account, project or subscription.
    pub separate_account: bool,
    /// Derived size.
    pub sizing: Sizing,
    /// Derived names.
    pub names: EnvNames,
    /// Per-service names in this environment, in service order.
    pub services: Vec<ServiceInEnvironment>,
    /// Per-datastore names in this environment, in datastore order.
    pub datastores: Vec<DatastoreInEnvironment>,
    /// Azure Key Vault name for this environment.
    pub key_vault: String,
    /// The GitHub OIDC subject of jobs running in this GitHub environment
    /// (`repo:owner/name:environment:<env>`): the only subject its deploy and Terraform identities trust.
    pub oidc_subject: String,
    /// Where the environment's Kubernetes cluster lives, as the cloud's CLI and
    /// `get-gke-credentials` expect it: the region for regional clusters (every EKS and
    /// AKS cluster, and production GKE clusters), a zone (`<region>-b`) for non-production
    /// GKE clusters, which are zonal to save the cost of a replicated control plane.
    /// Every region `gcloud compute regions list` returned in August 2026 (42) has a `b`
    /// zone (some have no `a`: `us-east1`, `europe-west1`); the GCP cluster module checks
    /// the zone at plan time and names the region's zones if it is missing.
    pub cluster_location: String,
}

/// What starts a deployment to an environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Trigger {
    /// CI succeeded on a push to `branch`: its image digests are deployed. The first
    /// environment deploys from the default branch unless it names another one.
    Push {
        /// The branch.
        branch: String,
    },
    /// The environment `from` (the previous one in promotion order) was deployed
    /// successfully: the same digests are deployed here.
    Promotion {
        /// The environment promoted from.
        from: String,
    },
}

/// A service's names within one environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceInEnvironment {
    /// The service's name.
    pub service: String,
    /// The cloud identity the service's pods assume.
    pub workload_identity: String,
    /// The public host, when the service is public and the environment has a domain.
    pub host: Option<String>,
}

/// A datastore's names within one environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatastoreInEnvironment {
    /// The datastore's name.
    pub datastore: String,
    /// The secret-manager entry the services read: the application user's credentials and
    /// connection forms (the JSON object of [`crate::datastore::Property`] keys).
    pub secret: String,
    /// The secret-manager entry of the administrator's credentials, for migrations and
    /// the job that creates the application user; no service reads it.
    pub admin_secret: String,
    /// The cloud resource id.
    pub resource: String,
}

/// `[delivery]`, resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    /// Rolling, blue-green or canary.
    pub strategy: Strategy,
    /// Where images are pushed.
    pub registry: Registry,
    /// Argo CD syncs the cluster.
    pub gitops: bool,
    /// Where jobs that reach the cluster API and private endpoints run.
    pub runners: Runners,
}

/// What starts a deployment to the next environment, given the ones before it.
///
/// An environment with its own branch deploys after CI on that branch, unless the
/// environment before it already deploys from that branch: then it follows it with the
/// same digests (two environments on one branch are promoted, never deployed at once).
/// Without a branch, the first environment deploys from the default branch and every
/// other one follows the environment before it.
fn trigger(before: &[Environment], branch: Option<&str>, default_branch: &str) -> Trigger {
    let Some(previous) = before.last() else {
        return Trigger::Push {
            branch: branch.unwrap_or(default_branch).to_owned(),
        };
    };
    match branch {
        Some(branch) if source_branch_of(before, previous) != branch => Trigger::Push {
            branch: branch.to_owned(),
        },
        _ => Trigger::Promotion {
            from: previous.name.clone(),
        },
    }
}

/// The branch whose CI runs start the chain `env` belongs to: its own push branch, or
/// that of the environment it is promoted from, followed back.
fn source_branch_of<'a>(environments: &'a [Environment], env: &'a Environment) -> &'a str {
    let mut current = env;
    loop {
        match &current.trigger {
            Trigger::Push { branch } => return branch,
            Trigger::Promotion { from } => {
                match environments.iter().find(|e| &e.name == from) {
                    Some(previous) => current = previous,
                    // Promotions only name environments before them, so this is unreachable.
                    None => return "",
                }
            }
        }
    }
}

/// Default environments when `[[environments]]` is absent.
fn default_environments() -> Vec<EnvironmentAnswers> {
    vec![
        EnvironmentAnswers {
            name: "staging".to_owned(),
            branch: Some("main".to_owned()),
            ..EnvironmentAnswers::default()
        },
        EnvironmentAnswers {
            name: "production".to_owned(),
            approval: Some(true),
            ..EnvironmentAnswers::default()
        },
    ]
}

/// The longest application or service name.
pub const MAX_NAME_LEN: usize = 30;
/// The longest environment name (it is part of many cloud names).
pub const MAX_ENV_NAME_LEN: usize = 16;

/// Checks the naming rule shared by apps, services, datastores and environments.
pub fn check_name(name: &str, max: usize) -> Result<(), String> {
    if name.is_empty() {
        return Err("is empty".to_owned());
    }
    if name.len() > max {
        return Err(format!(
            "`{name}` is {} characters long; at most {max} are allowed",
            name.len()
        ));
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err(format!("`{name}` must start with a lowercase letter"));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err(format!(
            "`{name}` contains `{bad}`; only lowercase letters, digits and `-` are allowed"
        ));
    }
    if name.ends_with('-') || name.contains("--") {
        return Err(format!("`{name}` must not end with `-` or contain `--`"));
    }
    Ok(())
}

/// The longest service path, in bytes.
pub const MAX_PATH_LEN: usize = 200;
/// The longest free text (the app's description), in characters.
pub const MAX_TEXT_LEN: usize = 500;
/// The longest region id (the longest real ones have about 25 characters).
pub const MAX_REGION_LEN: usize = 40;
/// The longest branch, owner or HTTP path.
pub const MAX_VALUE_LEN: usize = 200;

/// Normalises a service path: relative, inside the repository, `/`-separated, `.` for the root.
///
/// A path reaches shell steps and YAML of the generated workflows, so each
/// folder name is limited to letters, digits, `.`, `_` and `-`, and cannot
/// start with `-` (an option to a command) or `.` (hidden folders).
pub fn normalize_path(path: &str) -> Result<String, String> {
    if path.len() > MAX_PATH_LEN {
        return Err(format!(
            "the path is {} bytes long; at most {MAX_PATH_LEN} are allowed",
            path.len()
        ));
    }
    if path.starts_with('/') || path.starts_with('\\') || path.get(1..2) == Some(":") {
        return Err(format!(
            "`{path}` is absolute; give a path relative to the repository root"
        ));
    }
    if path.contains('\\') {
        return Err(format!("`{path}` uses `\\`; separate folders with `/`"));
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(format!("`{path}` leaves the repository; keep it inside"));
                }
            }
            other => parts.push(other),
        }
    }
    if parts.iter().any(|p| p.starts_with('.')) {
        return Err(format!("`{path}` points into a hidden folder"));
    }
    if let Some(bad) = parts.iter().find_map(|p| {
        p.chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    }) {
        return Err(format!(
            "{:?} contains {bad:?}; folder names may hold only letters, digits, `.`, `_` and `-`",
            path
        ));
    }
    if parts.iter().any(|p| p.starts_with('-')) {
        return Err(format!("`{path}` has a folder name starting with `-`"));
    }
    Ok(if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join("/")
    })
}

/// Whether `path` is an absolute HTTP path without whitespace or quoting characters.
fn valid_http_path(path: &str) -> bool {
    path.starts_with('/')
        && path.len() <= MAX_VALUE_LEN
        && !path.contains(char::is_whitespace)
        && !path.contains(['"', '\'', '\\', '`', '$'])
}

/// The service's kind: the answer, else `web`.
fn resolve_kind(
    svc: &ServiceAnswers,
    i: usize,
    language: Language,
    p: &mut Problems<'_>,
) -> ServiceKind {
    let kind = svc.kind.unwrap_or(ServiceKind::Web);
    if language == Language::Static && kind != ServiceKind::Web {
        p.push(
            format!("services[{i}].kind"),
            format!("a static site is served over HTTP, so it cannot be a {kind} service"),
            "remove `kind`, or choose the language the service is written in",
        );
        return ServiceKind::Web;
    }
    kind
}

/// The port: the answer or the language's default for listening services, `None` for the others.
fn resolve_port(
    svc: &ServiceAnswers,
    i: usize,
    language: Language,
    kind: ServiceKind,
    p: &mut Problems<'_>,
) -> Option<u16> {
    let at = format!("services[{i}].port");
    if !kind.listens() {
        if svc.port.is_some() {
            p.push(
                at,
                format!("a {kind} service listens on no port"),
                format!("remove `port`, or set `kind = \"web\"` (or `\"grpc\"`) if `{}` serves requests", svc.name),
            );
        }
        return None;
    }
    Some(match svc.port {
        None => language.default_port(),
        Some(port) if (1024..=65535).contains(&port) => port as u16,
        Some(port) if (1..1024).contains(&port) => {
            p.push(at, format!("port {port} is privileged"), "containers run as a non-root user without capabilities, so use a port from 1024 to 65535, such as 8080");
            language.default_port()
        }
        Some(port) => {
            p.push(
                at,
                format!("port {port} is out of range"),
                "use a port from 1024 to 65535",
            );
            language.default_port()
        }
    })
}

/// Checks a Kubernetes `CronJob` schedule: five fields or a macro such as `@daily`.
pub fn check_cron(expression: &str) -> Result<(), String> {
    const MACROS: &[&str] = &[
        "@yearly",
        "@annually",
        "@monthly",
        "@weekly",
        "@daily",
        "@midnight",
        "@hourly",
    ];
    if expression.starts_with('@') {
        return if MACROS.contains(&expression) {
            Ok(())
        } else {
            Err(format!("the macros are {}", MACROS.join(", ")))
        };
    }
    const MONTHS: &[&str] = &[
        "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
    ];
    const DAYS: &[&str] = &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
    let fields: Vec<&str> = expression.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!("it has {} fields, not 5", fields.len()));
    }
    let specs: [(&str, u32, u32, &[&str], u32); 5] = [
        ("minute", 0, 59, &[], 0),
        ("hour", 0, 23, &[], 0),
        ("day of month", 1, 31, &[], 0),
        ("month", 1, 12, MONTHS, 1),
        ("day of week", 0, 6, DAYS, 0),
    ];
    for (field, (what, min, max, names, first)) in fields.iter().zip(specs) {
        let value = |text: &str| -> Result<u32, String> {
            if let Some(index) = names.iter().position(|n| n.eq_ignore_ascii_case(text)) {
                return Ok(index as u32 + first);
            }
            match text.parse::<u32>() {
                Ok(n) if (min..=max).contains(&n) => Ok(n),
                _ => Err(format!("the {what} `{text}` is not from {min} to {max}")),
            }
        };
        for item in field.split(',') {
            let (range, step) = match item.split_once('/') {
                Some((range, step)) => (range, Some(step)),
                None => (item, None),
            };
            if let Some(step) = step
                && !step.parse::<u32>().is_ok_and(|s| s >= 1 && s <= max)
            {
                return Err(format!("the {what} step `{step}` is not from 1 to {max}"));
            }
            if range == "*" || range == "?" {
                continue;
            }
            match range.split_once('-') {
                Some((low, high)) => {
                    if value(low)? > value(high)? {
                        return Err(format!("the {what} range `{range}` runs backwards"));
                    }
                }
                None => {
                    value(range)?;
                }
            }
        }
    }
    Ok(())
}

/// How the service reads each datastore in `uses`: the answered form and variables, else the
/// language's convention; checked against the engines and each other.
fn resolve_connections(
    svc: &ServiceAnswers,
    i: usize,
    language: Language,
    uses: &[String],
    engines: &BTreeMap<&str, Engine>,
    detected: Option<&Detected>,
    p: &mut Problems<'_>,
) -> Vec<Connection> {
    for name in svc.connections.keys() {
        if !uses.contains(name) {
            p.push(
                format!("services[{i}].connections.{name}"),
                format!("`{}` does not use `{name}`", svc.name),
                format!("add `{name}` to `uses`, or remove this connection"),
            );
        }
    }
    let mut connections = Vec::new();
    let mut first_database = true;
    let mut first_cache = true;
    for name in uses {
        let Some(&engine) = engines.get(name.as_str()) else {
            continue;
        };
        let first = if engine.is_database() {
            std::mem::replace(&mut first_database, false)
        } else {
            std::mem::replace(&mut first_cache, false)
        };
        let answer = svc.connections.get(name).cloned().unwrap_or_default();
        let at = |key: &str| format!("services[{i}].connections.{name}.{key}");
        let default_form = language.connection_form(engine);
        let form = match answer.form {
            Some(form) if !form.fits(engine) => {
                p.push(
                    at("form"),
                    format!("a {engine} client does not read the `{form}` form"),
                    format!("use one of {}", ConnectionForm::allowed_for(engine)),
                );
                default_form
            }
            Some(form) => form,
            None => default_form,
        };
        let mut conventional =
            conventional_variables(form, engine, name, first, &language.connection_names());
        // The first datastore of an engine takes the name the repository already uses for it
        // (`.env.example`, appsettings.json), when the form is the one detection saw.
        if first
            && form == default_form
            && let Some((_, learned)) = detected
                .into_iter()
                .flat_map(|d| &d.variables)
                .find(|(e, _)| *e == engine)
        {
            conventional = match form {
                ConnectionForm::Jdbc => conventional,
                _ => ConnectionVariables::single(learned.value.clone()),
            };
        }
        let separate_credentials = form == ConnectionForm::Jdbc;
        if !separate_credentials {
            for (key, value) in [
                ("username_variable", &answer.username_variable),
                ("password_variable", &answer.password_variable),
            ] {
                if value.is_some() {
                    p.push(
                        at(key),
                        format!("the `{form}` form carries the credentials inside the connection"),
                        format!(
                            "remove `{key}`; only the `jdbc` form has separate credential variables"
                        ),
                    );
                }
            }
        }
        let assumed = answer.variable.is_none();
        let variables = ConnectionVariables {
            connection: answer.variable.clone().unwrap_or(conventional.connection),
            username: separate_credentials
                .then(|| answer.username_variable.clone().or(conventional.username))
                .flatten(),
            password: separate_credentials
                .then(|| answer.password_variable.clone().or(conventional.password))
                .flatten(),
        };
        for (key, value) in [
            ("variable", Some(&variables.connection)),
            ("username_variable", variables.username.as_ref()),
            ("password_variable", variables.password.as_ref()),
        ] {
            if let Some(value) = value
                && !valid_variable(value)
            {
                p.push(
                    at(key),
                    format!("`{value}` is not an environment variable name"),
                    "use letters, digits and `_`, not starting with a digit, such as `DATABASE_URL`",
                );
            }
        }
        connections.push(Connection {
            datastore: name.clone(),
            engine,
            form,
            variables,
            assumed,
        });
    }
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for connection in &connections {
        for variable in connection.variables.names() {
            let reserved = RESERVED_VARIABLES.contains(&variable);
            let clash = seen.insert(variable, &connection.datastore);
            if reserved || clash.is_some() {
                let with = clash.map_or_else(
                    || "scaffold sets it for every service".to_owned(),
                    |other| format!("the connection to `{other}` uses it too"),
                );
                p.push(
                    format!("services[{i}].connections.{}", connection.datastore),
                    format!("`{}` reads `{variable}` twice", svc.name),
                    format!("{with}; name another variable with `variable = \"...\"`"),
                );
            }
        }
    }
    connections
}

/// Variables scaffold sets on every service, which no connection may reuse.
const RESERVED_VARIABLES: &[&str] = &[
    "PORT",
    "OTEL_SERVICE_NAME",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_SDK_DISABLED",
];

fn valid_hostname(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host.contains('.')
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
}

fn valid_branch(branch: &str) -> bool {
    !branch.is_empty()
        && branch.len() <= MAX_VALUE_LEN
        && !branch.starts_with(['-', '/'])
        && !branch.ends_with(['/', '.'])
        && !branch.contains("..")
        && !branch.contains("//")
        && branch
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/' | '.'))
}

fn parse_repository(text: &str) -> Option<(String, String)> {
    let (owner, name) = text.split_once('/')?;
    let owner_ok = !owner.is_empty()
        && owner.len() <= 39
        && owner.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !owner.starts_with('-');
    let name_ok = !name.is_empty()
        && name.len() <= 100
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    (owner_ok && name_ok).then(|| (owner.to_owned(), name.to_owned()))
}

/// The tier guessed for an environment that does not say.
fn guess_tier(env: &EnvironmentAnswers, index: usize, count: usize) -> Tier {
    let named_production = matches!(env.name.as_str(), "production" | "prod" | "prd" | "live");
    let last_with_approval = count > 1 && index == count - 1 && env.approval == Some(true);
    if named_production || last_with_approval {
        Tier::Production
    } else {
        Tier::NonProduction
    }
}

/// Collects problems with their lines.
struct Problems<'a> {
    parsed: Option<&'a ParsedAnswers>,
    list: Vec<Problem>,
}

impl Problems<'_> {
    fn push(
        &mut self,
        path: impl Into<String>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        let path = path.into();
        let line = self.parsed.and_then(|p| p.line_of(&path));
        self.list.push(Problem {
            path,
            line,
            message: message.into(),
            help: help.into(),
        });
    }
}

impl Project {
    /// Parses and resolves `scaffold.toml` text in one step.
    pub fn from_toml(source: &str, facts: &Facts) -> Result<Project, AnswersError> {
        // Type problems and the semantic problems of the values that passed, in one list.
        let parsed = Answers::read(source)?;
        let resolved = Project::resolve_with_lines(&parsed.answers, facts, Some(&parsed));
        if parsed.problems.is_empty() {
            return resolved;
        }
        let semantic = resolved.err().map(|e| e.problems().to_vec());
        Err(AnswersError::Invalid {
            problems: parsed.combine(&semantic.unwrap_or_default()),
        })
    }

    /// Validates `answers` and fills in defaults and derived values.
    pub fn resolve(answers: &Answers, facts: &Facts) -> Result<Project, AnswersError> {
        Project::resolve_with_lines(answers, facts, None)
    }

    fn resolve_with_lines(
        answers: &Answers,
        facts: &Facts,
        parsed: Option<&ParsedAnswers>,
    ) -> Result<Project, AnswersError> {
        let mut problems = Problems {
            parsed,
            list: Vec::new(),
        };
        let p = &mut problems;

        if let Some(schema) = answers.schema
            && schema != 1
        {
            p.push(
                "schema",
                format!("schema {schema} is not supported"),
                "this scaffold reads `schema = 1`",
            );
        }

        // [app]
        let app_name = answers.app.name.clone();
        if let Err(message) = check_name(&app_name, MAX_NAME_LEN) {
            p.push("app.name", format!("the app name {message}"), "use lowercase letters, digits and `-`, starting with a letter, at most 30 characters, such as `shop`");
        }
        let repository = match (&answers.app.repository, &facts.origin) {
            (Some(text), _) => match parse_repository(text) {
                Some((owner, name)) => Repository {
                    full: format!("{owner}/{name}"),
                    owner,
                    name,
                    assumed: false,
                },
                None => {
                    p.push(
                        "app.repository",
                        format!("`{text}` is not a GitHub repository"),
                        "write it as `owner/name`, such as `acme/shop`",
                    );
                    assumed_repository(&app_name)
                }
            },
            (None, Some(origin)) => match parse_repository(origin) {
                Some((owner, name)) => Repository {
                    full: format!("{owner}/{name}"),
                    owner,
                    name,
                    assumed: false,
                },
                None => assumed_repository(&app_name),
            },
            (None, None) => assumed_repository(&app_name),
        };
        let owners = match &answers.app.owners {
            Some(owners) => {
                for (i, owner) in owners.iter().enumerate() {
                    let ok = owner.len() <= MAX_VALUE_LEN
                        && ((owner.starts_with('@')
                            && owner.len() > 1
                            && !owner.contains(char::is_whitespace))
                            || (owner.contains('@')
                                && !owner.starts_with('@')
                                && owner.contains('.')));
                    if !ok {
                        p.push(
                            format!("app.owners[{i}]"),
                            format!("`{owner}` is not a GitHub owner"),
                            "write a user or team as `@user` or `@org/team`, or an email address",
                        );
                    }
                }
                owners.clone()
            }
            None => Vec::new(),
        };
        let default_branch = match (&answers.app.default_branch, &facts.default_branch) {
            (Some(branch), _) => {
                if !valid_branch(branch) {
                    p.push(
                        "app.default_branch",
                        format!("`{branch}` is not a branch name"),
                        "use the repository's default branch, such as `main`",
                    );
                }
                branch.clone()
            }
            (None, Some(branch)) if valid_branch(branch) => branch.clone(),
            _ => "main".to_owned(),
        };
        if let Some(description) = &answers.app.description
            && description.chars().count() > MAX_TEXT_LEN
        {
            p.push(
                "app.description",
                format!(
                    "the description is {} characters long",
                    description.chars().count()
                ),
                format!("keep it to one sentence, at most {MAX_TEXT_LEN} characters"),
            );
        }
        if answers.app.team_size == Some(0) {
            p.push(
                "app.team_size",
                "a team of 0 people",
                "give the number of engineers, at least 1",
            );
        }

        // [cloud]
        let provider = answers.cloud.provider.unwrap_or(Provider::Aws);
        let region_assumed = answers.cloud.region.is_none();
        let region = answers
            .cloud
            .region
            .clone()
            .unwrap_or_else(|| provider.default_region().to_owned());
        let valid_region = |r: &str| {
            !r.is_empty()
                && r.len() <= MAX_REGION_LEN
                && r.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        };
        if !valid_region(&region) {
            p.push(
                "cloud.region",
                format!("`{region}` is not a region name"),
                format!(
                    "use the provider's region id, such as `{}`",
                    provider.default_region()
                ),
            );
        } else if answers.cloud.allow_unlisted_regions != Some(true)
            && let Some((found, allowed)) = crate::regions::problem(provider, &region)
        {
            p.push("cloud.region", found, allowed);
        }
        if let Some(dr) = &answers.cloud.dr_region {
            if !valid_region(dr) {
                p.push(
                    "cloud.dr_region",
                    format!("`{dr}` is not a region name"),
                    "use the provider's region id, or remove the key",
                );
            } else if *dr == region {
                p.push(
                    "cloud.dr_region",
                    format!("the disaster-recovery region `{dr}` is the primary region"),
                    "choose a different region, or remove the key",
                );
            } else if answers.cloud.allow_unlisted_regions != Some(true)
                && let Some((found, allowed)) = crate::regions::problem(provider, dr)
            {
                p.push("cloud.dr_region", found, allowed);
            }
        }

        // [delivery]
        let strategy = answers.delivery.strategy.unwrap_or(Strategy::Rolling);
        let registry = answers.delivery.registry.unwrap_or(Registry::Ghcr);
        if let Some(owner) = registry.provider()
            && owner != provider
        {
            p.push(
                "delivery.registry",
                format!(
                    "registry `{registry}` belongs to {owner}, but `cloud.provider` is {provider}"
                ),
                format!(
                    "use `ghcr` or `{}` with {provider}",
                    provider.native_registry()
                ),
            );
        }
        let gitops = answers.delivery.gitops.unwrap_or(false);
        let availability = answers
            .reliability
            .availability
            .unwrap_or(Availability::ThreeNines);

        // [[datastores]]
        let mut datastore_names = BTreeSet::new();
        for (i, ds) in answers.datastores.iter().enumerate() {
            if let Err(message) = check_name(&ds.name, MAX_NAME_LEN) {
                p.push(
                    format!("datastores[{i}].name"),
                    format!("the datastore name {message}"),
                    "use lowercase letters, digits and `-`, starting with a letter, such as `db`",
                );
            } else if !datastore_names.insert(ds.name.as_str()) {
                p.push(
                    format!("datastores[{i}].name"),
                    format!("a datastore named `{}` is declared twice", ds.name),
                    "give each datastore a unique name",
                );
            }
            if ds.engine.is_none() {
                p.push(
                    format!("datastores[{i}]"),
                    format!("datastore `{}` has no `engine`", ds.name),
                    format!("add `engine = \"postgres\"` (one of {})", Engine::allowed()),
                );
            }
            if let Some(engine) = ds.engine {
                match engine.offering(provider) {
                    None => p.push(
                        format!("datastores[{i}].engine"),
                        format!(
                            "{provider} offers no managed {} that scaffold renders",
                            engine.facts().title
                        ),
                        format!(
                            "use another engine, or a cloud that offers it ({})",
                            engine
                                .providers()
                                .iter()
                                .map(|p| format!("`{p}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ),
                    Some(offering) => {
                        if let Some(version) = &ds.version
                            && offering.version(version).is_none()
                        {
                            p.push(
                                format!("datastores[{i}].version"),
                                format!(
                                    "{} does not offer {} `{version}`",
                                    offering.product,
                                    engine.facts().title
                                ),
                                format!(
                                    "use one of {}, or remove the key for `{}`",
                                    offering.allowed_versions(),
                                    offering.default_version
                                ),
                            );
                        }
                    }
                }
            }
        }

        let engines: BTreeMap<&str, Engine> = answers
            .datastores
            .iter()
            .filter_map(|ds| Some((ds.name.as_str(), ds.engine?)))
            .collect();

        // [[services]]
        if answers.services.is_empty() {
            p.push(
                "services",
                "no service is declared",
                "add at least one `[[services]]` table with `name` and `language`",
            );
        }
        let mut service_names = BTreeSet::new();
        let mut service_paths: BTreeMap<String, String> = BTreeMap::new();
        let mut services = Vec::new();
        for (i, svc) in answers.services.iter().enumerate() {
            let at = |key: &str| format!("services[{i}].{key}");
            if let Err(message) = check_name(&svc.name, MAX_NAME_LEN) {
                p.push(
                    at("name"),
                    format!("the service name {message}"),
                    "use lowercase letters, digits and `-`, starting with a letter, such as `api`",
                );
            } else if !service_names.insert(svc.name.clone()) {
                p.push(
                    at("name"),
                    format!("a service named `{}` is declared twice", svc.name),
                    "give each service a unique name",
                );
            } else if datastore_names.contains(svc.name.as_str()) {
                p.push(
                    at("name"),
                    format!("`{}` names both a service and a datastore", svc.name),
                    "rename one of them: they share one namespace in compose and Kubernetes",
                );
            } else if svc.name == names::DATABASE_SETUP
                || svc.name.starts_with(&format!("{}-", names::DATABASE_SETUP))
            {
                p.push(
                    at("name"),
                    format!("`{}` is reserved", svc.name),
                    format!(
                        "scaffold names the job that creates the datastores' application users `{}`; choose another name",
                        names::DATABASE_SETUP
                    ),
                );
            }
            let Some(language) = svc.language else {
                p.push(
                    format!("services[{i}]"),
                    format!("service `{}` has no `language`", svc.name),
                    format!("add `language = \"node\"` (one of {})", Language::allowed()),
                );
                continue;
            };
            let path = match normalize_path(svc.path.as_deref().unwrap_or(".")) {
                Ok(path) => path,
                Err(message) => {
                    p.push(
                        at("path"),
                        message,
                        "use a relative path inside the repository, such as `services/api`",
                    );
                    ".".to_owned()
                }
            };
            if let Some(other) = service_paths.insert(path.clone(), svc.name.clone()) {
                p.push(
                    at("path"),
                    format!(
                        "services `{other}` and `{}` share the folder `{path}`",
                        svc.name
                    ),
                    "each service needs its own folder for its Dockerfile",
                );
            }
            // What detection read in this folder, when it found the same stack there.
            let detected = facts.services.get(&path).filter(|d| d.language == language);
            let package_manager = svc
                .package_manager
                .or_else(|| detected.map(|d| d.package_manager))
                .or_else(|| facts.package_managers.get(&path).copied())
                .unwrap_or_else(|| language.default_package_manager());
            if !language.package_managers().contains(&package_manager) {
                let allowed = language
                    .package_managers()
                    .iter()
                    .map(|m| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                p.push(
                    at("package_manager"),
                    format!("`{package_manager}` does not build {language}"),
                    format!("use one of {allowed}"),
                );
            }
            let kind = resolve_kind(svc, i, language, p);
            let port = resolve_port(svc, i, language, kind, p);
            let schedule = match (&svc.schedule, kind) {
                (Some(expression), ServiceKind::Job) => {
                    if let Err(message) = check_cron(expression) {
                        p.push(at("schedule"), format!("`{expression}` is not a cron schedule: {message}"), "write five fields `minute hour day-of-month month day-of-week`, such as `\"0 3 * * *\"` for 03:00 every day, or a macro such as `@hourly`");
                    }
                    Some(expression.clone())
                }
                (None, ServiceKind::Job) => {
                    p.push(
                        format!("services[{i}]"),
                        format!("job `{}` has no `schedule`", svc.name),
                        "add `schedule = \"0 3 * * *\"` (five cron fields: minute hour day-of-month month day-of-week)",
                    );
                    Some("0 3 * * *".to_owned())
                }
                (Some(_), _) => {
                    p.push(
                        at("schedule"),
                        format!("a {kind} service does not run on a schedule"),
                        "remove `schedule`, or set `kind = \"job\"`",
                    );
                    None
                }
                (None, _) => None,
            };
            let http_path = |p: &mut Problems<'_>,
                             key: &str,
                             value: &Option<String>,
                             default: &str|
             -> String {
                match value {
                    None => default.to_owned(),
                    Some(v) if valid_http_path(v) => v.clone(),
                    Some(v) => {
                        p.push(
                            at(key),
                            format!("`{v}` is not an HTTP path"),
                            format!("start it with `/`, such as `{default}`"),
                        );
                        default.to_owned()
                    }
                }
            };
            let (default_health, default_ready) = language.stack().health;
            let (health_path, readiness_path) = if kind.serves_http() {
                (
                    Some(http_path(
                        p,
                        "health_path",
                        &svc.health_path,
                        default_health,
                    )),
                    Some(http_path(
                        p,
                        "readiness_path",
                        &svc.readiness_path,
                        default_ready,
                    )),
                )
            } else {
                for (key, value) in [
                    ("health_path", &svc.health_path),
                    ("readiness_path", &svc.readiness_path),
                ] {
                    if value.is_some() {
                        let why = if kind == ServiceKind::Grpc {
                            "gRPC services are probed with the gRPC health protocol (`grpc.health.v1.Health`)"
                        } else {
                            "workers and jobs answer no HTTP requests, so they have no HTTP probes"
                        };
                        p.push(
                            at(key),
                            format!("a {kind} service has no HTTP {}", key.replace('_', " ")),
                            format!("remove `{key}`: {why}"),
                        );
                    }
                }
                (None, None)
            };
            let metrics_path = match svc.metrics_path.as_deref() {
                Some("none") => None,
                Some(_) if !kind.serves_http() => {
                    p.push(
                        at("metrics_path"),
                        format!(
                            "a {kind} service serves no HTTP metrics endpoint scaffold can scrape"
                        ),
                        "remove `metrics_path`, or write `metrics_path = \"none\"`",
                    );
                    None
                }
                Some(_) if !language.has_metrics() => {
                    p.push(
                        at("metrics_path"),
                        format!("a {language} service is served by nginx, which has no application metrics"),
                        "remove `metrics_path`, or write `metrics_path = \"none\"`",
                    );
                    None
                }
                value => (kind.serves_http() && language.has_metrics())
                    .then(|| http_path(p, "metrics_path", &value.map(str::to_owned), "/metrics")),
            };
            let uses = svc.uses.clone().unwrap_or_default();
            let mut seen = BTreeSet::new();
            for (j, name) in uses.iter().enumerate() {
                if !datastore_names.contains(name.as_str()) {
                    let declared = if datastore_names.is_empty() {
                        "no datastore is declared; add a `[[datastores]]` table".to_owned()
                    } else {
                        format!(
                            "declared datastores: {}",
                            datastore_names
                                .iter()
                                .map(|d| format!("`{d}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    };
                    p.push(
                        format!("services[{i}].uses[{j}]"),
                        format!("`{name}` names no datastore"),
                        declared,
                    );
                } else if !seen.insert(name) {
                    p.push(
                        format!("services[{i}].uses[{j}]"),
                        format!("`{name}` is listed twice"),
                        "list each datastore once",
                    );
                }
            }
            let connections = resolve_connections(svc, i, language, &uses, &engines, detected, p);
            let input = RecipeInput {
                name: &svc.name,
                path: &path,
                kind,
                port,
                package_manager,
                detected,
                answers: RecipeAnswers {
                    build: svc.build.as_deref(),
                    start: svc.start.as_deref(),
                    runtime_version: svc.runtime_version.as_deref(),
                    output: svc.output.as_deref(),
                },
            };
            if let Some(start) = &svc.start
                && let Err(message) = split_command(start)
            {
                p.push(
                    at("start"),
                    format!("`{start}` is not a command the image can run directly: {message}"),
                    "write one command with its arguments, such as `gunicorn app.wsgi --bind 0.0.0.0:${PORT}`; for several steps, put them in a script and start that",
                );
            }
            if let Some(version) = &svc.runtime_version
                && !version
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
            {
                p.push(
                    at("runtime_version"),
                    format!("`{version}` is not a version"),
                    "write the version the image tag uses, such as \"3.12\" or \"22\"",
                );
            }
            if let Some(output) = &svc.output
                && (language != Language::Static || normalize_path(output).is_err())
            {
                p.push(
                    at("output"),
                    format!("`output = \"{output}\"` does not apply here"),
                    "`output` names the folder a static site's build writes, relative to its `path`, such as `dist`",
                );
            }
            let recipe = (language.stack().recipe)(&input);
            let ci = (language.stack().ci)(&input, &recipe);
            let public = svc.public.unwrap_or(false);
            if public && !kind.serves_http() {
                let why = if kind == ServiceKind::Grpc {
                    "scaffold's ingress serves HTTP; gRPC services are reached inside the cluster through their Service"
                } else {
                    "only web services receive traffic through the ingress"
                };
                p.push(
                    at("public"),
                    format!("a {kind} service cannot be public"),
                    format!("remove `public` or set it to false: {why}"),
                );
            }
            let starter = detected.is_none()
                && !facts
                    .code_folders
                    .iter()
                    .any(|dir| path == "." || *dir == path || dir.starts_with(&format!("{path}/")));
            let dockerfile = facts.dockerfiles.get(&path).map(|d| {
                OwnDockerfile::new(
                    if path == "." {
                        "Dockerfile".to_owned()
                    } else {
                        format!("{path}/Dockerfile")
                    },
                    d,
                )
            });
            let shell = dockerfile
                .as_ref()
                .map_or(language.image_has_shell(), OwnDockerfile::has_shell);
            let http_healthcheck = language.image_can_healthcheck();
            services.push(Service {
                name: svc.name.clone(),
                language,
                package_manager,
                dir: if path == "." {
                    String::new()
                } else {
                    format!("{path}/")
                },
                path,
                kind,
                workload: WorkloadKind::of(kind, strategy),
                port,
                schedule,
                health_path,
                readiness_path,
                metrics_path,
                uses,
                connections,
                public: public && kind.serves_http(),
                uid: language.runtime_uid(),
                run_as: dockerfile
                    .as_ref()
                    .map_or(RunAs::scaffold(language.runtime_uid()), RunAs::own),
                dockerfile,
                shell,
                image_healthcheck: http_healthcheck && kind.serves_http(),
                names: ServiceNames::derive(&app_name, &svc.name, &repository.owner, registry),
                recipe,
                ci,
                detected: detected.is_some(),
                starter,
            });
        }

        // [[environments]]
        let env_answers = answers
            .environments
            .clone()
            .unwrap_or_else(default_environments);
        if env_answers.is_empty() {
            p.push("environments", "the environment list is empty", "declare at least one `[[environments]]` table, such as `name = \"staging\"`, or remove `environments` for staging and production");
        }
        let mut env_names = BTreeSet::new();
        let count = env_answers.len();
        let mut environments = Vec::new();
        for (i, env) in env_answers.iter().enumerate() {
            let at = |key: &str| format!("environments[{i}].{key}");
            if let Err(message) = check_name(&env.name, MAX_ENV_NAME_LEN) {
                p.push(at("name"), format!("the environment name {message}"), "use lowercase letters, digits and `-`, starting with a letter, at most 16 characters, such as `staging`");
            } else if !env_names.insert(env.name.clone()) {
                p.push(
                    at("name"),
                    format!("an environment named `{}` is declared twice", env.name),
                    "give each environment a unique name",
                );
            }
            if let Some(branch) = &env.branch
                && !valid_branch(branch)
            {
                p.push(
                    at("branch"),
                    format!("`{branch}` is not a branch name"),
                    "use a branch such as `main`, or remove the key to deploy only by promotion",
                );
            }
            if let Some(domain) = &env.domain
                && !valid_hostname(domain)
            {
                p.push(at("domain"), format!("`{domain}` is not a host name"), "use a lowercase DNS name such as `staging.example.com`, without scheme or path");
            }
            let tier = env.tier.unwrap_or_else(|| guess_tier(env, i, count));
            let sizing = Sizing::derive(availability, tier, provider);
            let trigger = trigger(&environments, env.branch.as_deref(), &default_branch);
            environments.push(Environment {
                name: env.name.clone(),
                index: i,
                branch: env.branch.clone(),
                approval: env.approval.unwrap_or(false),
                domain: env.domain.clone(),
                tier,
                production: tier == Tier::Production,
                previous: i.checked_sub(1).map(|j| env_answers[j].name.clone()),
                trigger,
                separate_account: env.separate_account.unwrap_or(false),
                sizing,
                names: EnvNames::derive(&app_name, &env.name, provider),
                services: Vec::new(),
                datastores: Vec::new(),
                key_vault: names::key_vault(&app_name, &env.name, &repository.full),
                oidc_subject: format!("repo:{}:environment:{}", repository.full, env.name),
                cluster_location: if provider == Provider::Gcp && tier != Tier::Production {
                    format!("{region}-b")
                } else {
                    region.clone()
                },
            });
        }

        // Each environment also gets `<env>-plan` and `<env>-infra` GitHub environments,
        // whose OIDC subjects its plan and apply identities trust: an environment named
        // like one of them would share its subject, and so its identity.
        for (i, env) in env_answers.iter().enumerate() {
            for other in &env_answers {
                for (suffix, what) in [
                    ("-plan", "Terraform plans"),
                    ("-infra", "Terraform applies"),
                ] {
                    if env.name == format!("{}{suffix}", other.name) {
                        p.push(
                            format!("environments[{i}].name"),
                            format!(
                                "`{}` is also the GitHub environment of `{}`'s {what}",
                                env.name, other.name
                            ),
                            format!("rename it: names ending in `-plan` or `-infra` after another environment's name would share that environment's {what} identity"),
                        );
                    }
                }
            }
        }

        if !problems.list.is_empty() {
            return Err(AnswersError::Invalid {
                problems: problems.list,
            });
        }

        let datastores: Vec<Datastore> = answers
            .datastores
            .iter()
            .map(|ds| {
                let engine = ds.engine.expect("validated above");
                let offering = engine.offering(provider).expect("validated above");
                let version = ds
                    .version
                    .clone()
                    .unwrap_or_else(|| offering.default_version.to_owned());
                let cloud_version = offering.version(&version).expect("validated above");
                let facts = engine.facts();
                let local_credentials = facts.local.credentials(&app_name);
                let local_port = facts.local_port.to_string();
                let local_url = engine
                    .connection_value(
                        Property::Url,
                        &Endpoint {
                            host: &ds.name,
                            port: &local_port,
                            database: &local_credentials.database,
                            username: &local_credentials.user,
                            password: &local_credentials.password,
                            password_in_url: &local_credentials.password,
                            tls: false,
                        },
                    )
                    .expect("every engine has a URL form");
                let prefix = env_var_prefix(&ds.name);
                let ca_file = (offering.trust == Trust::InstanceCa).then(|| CaFile {
                    secret_key: format!("{}-ca.pem", ds.name),
                    path: format!("/var/run/secrets/scaffold/{}/ca.pem", ds.name),
                    variable: format!("{prefix}_CA_FILE"),
                });
                Datastore {
                    name: ds.name.clone(),
                    engine,
                    offering,
                    cloud_version,
                    cloud_port: offering.port,
                    local_port: facts.local_port,
                    local_image: format!("{}:{}", facts.local_image, cloud_version.local_tag),
                    local_url,
                    local_credentials,
                    secret_properties: engine.secret_properties(provider),
                    ca_file,
                    version,
                    used_by: services
                        .iter()
                        .filter(|s| s.uses.contains(&ds.name))
                        .map(|s| s.name.clone())
                        .collect(),
                }
            })
            .collect();
        for env in &mut environments {
            env.services = services
                .iter()
                .map(|svc| ServiceInEnvironment {
                    service: svc.name.clone(),
                    workload_identity: workload_identity(&app_name, &env.name, &svc.name, provider),
                    host: env.domain.as_ref().filter(|_| svc.public).map(|domain| {
                        let public_count = services.iter().filter(|s| s.public).count();
                        if public_count > 1 {
                            format!("{}.{domain}", svc.name)
                        } else {
                            domain.clone()
                        }
                    }),
                })
                .collect();
            env.datastores = datastores
                .iter()
                .map(|ds| DatastoreInEnvironment {
                    datastore: ds.name.clone(),
                    secret: datastore_secret(&app_name, &env.name, &ds.name, provider),
                    admin_secret: datastore_admin_secret(&app_name, &env.name, &ds.name, provider),
                    resource: datastore_resource(&app_name, &env.name, &ds.name),
                })
                .collect();
        }

        // The default branch first (CI always runs there), then every branch that starts a deployment.
        let mut deploy_branches = vec![default_branch.clone()];
        for env in &environments {
            if let Trigger::Push { branch } = &env.trigger
                && !deploy_branches.contains(branch)
            {
                deploy_branches.push(branch.clone());
            }
        }
        let oidc_build_subjects = deploy_branches
            .iter()
            .map(|branch| format!("repo:{}:ref:refs/heads/{branch}", repository.full))
            .collect();
        let github_variables = names::github_variables(
            provider,
            answers.delivery.runners.unwrap_or(Runners::GithubHosted),
            registry,
            &environments,
            &services,
            &datastores,
        );
        let project = Project {
            local: Local::new(facts.compose_file.as_deref()),
            pod_security: PodSecurity::of(services.iter().map(|s| (s.name.as_str(), &s.run_as))),
            deploy_branches,
            oidc_build_subjects,
            oidc_pull_request_subject: format!("repo:{}:pull_request", repository.full),
            default_branch,
            app: App {
                description: answers
                    .app
                    .description
                    .clone()
                    .unwrap_or_else(|| app_name.clone()),
                name: app_name.clone(),
                owners,
                team_size: answers.app.team_size,
            },
            names: AppNames::derive(&app_name, &repository.full),
            repository,
            cloud: Cloud {
                provider,
                region,
                dr_region: answers.cloud.dr_region.clone(),
                region_assumed,
            },
            services,
            datastores,
            environments,
            delivery: Delivery {
                strategy,
                registry,
                gitops,
                runners: answers.delivery.runners.unwrap_or(Runners::GithubHosted),
            },
            alerts: alerts(&Targets::derive(availability)),
            targets: Targets::derive(availability),
            availability,
            github_variables,
        };
        if let Err(too_long) = crate::access::gcp::check_attribute_condition(&project) {
            // Each environment that starts from its own branch adds a clause: point at the
            // last one, where the condition went over.
            let path = answers
                .environments
                .as_deref()
                .unwrap_or_default()
                .iter()
                .rposition(|e| e.branch.is_some())
                .map_or_else(
                    || "environments".to_owned(),
                    |i| format!("environments[{i}].branch"),
                );
            problems.push(
                path,
                format!(
                    "on Google Cloud these environments and branches need a workload identity attribute condition of {} characters, and Google accepts at most {}",
                    too_long.length,
                    crate::access::gcp::ATTRIBUTE_CONDITION_LIMIT
                ),
                "each environment that deploys from its own branch adds a clause naming that branch: give fewer environments a `branch` of their own (an environment without one is promoted from the one before it), or use shorter environment, branch and repository names",
            );
            return Err(AnswersError::Invalid {
                problems: problems.list,
            });
        }
        Ok(project)
    }

    /// The branch whose CI runs start the promotion chain `env` belongs to: the images
    /// it deploys were built there, and its infrastructure is applied from there.
    pub fn source_branch<'a>(&'a self, env: &'a Environment) -> &'a str {
        source_branch_of(&self.environments, env)
    }

    /// Whether Argo Rollouts promotes a blue-green release in `env` on its own once the
    /// preview is ready and its pre-promotion analysis passed (`autoPromotionEnabled`).
    ///
    /// With GitOps always: Argo CD applies the release and the deploy job only reads the
    /// Argo CD `Application`, so the GitHub environment's approval before the commit is the
    /// one human gate. Otherwise in every environment but production, whose Rollout waits
    /// while the deploy job checks the preview from outside and then promotes it.
    pub fn auto_promotion(&self, env: &Environment) -> bool {
        self.delivery.gitops || !env.production
    }

    /// The service named `name`.
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name == name)
    }

    /// The variables of `connection` with values reaching a local or CI container of its
    /// datastore at `host:port`, with the local container's throwaway credentials from the
    /// datastore table (the app's name as database, user and password; no password on a
    /// local Redis; `sa` on SQL Server).
    pub fn local_connection_values(
        &self,
        connection: &Connection,
        host: &str,
        port: u16,
    ) -> Vec<(String, String)> {
        let credentials = match self.datastore(&connection.datastore) {
            Some(ds) => ds.local_credentials.clone(),
            None => connection.engine.facts().local.credentials(&self.app.name),
        };
        let port = port.to_string();
        connection.values(&Endpoint {
            host,
            port: &port,
            database: &credentials.database,
            username: &credentials.user,
            password: &credentials.password,
            password_in_url: &credentials.password,
            tls: false,
        })
    }

    /// The services that listen on a port (web and gRPC), in file order.
    pub fn services_with_port(&self) -> impl Iterator<Item = &Service> {
        self.services.iter().filter(|s| s.listens())
    }

    /// The datastore named `name`.
    pub fn datastore(&self, name: &str) -> Option<&Datastore> {
        self.datastores.iter().find(|d| d.name == name)
    }

    /// The datastores `service` uses, in its `uses` order.
    pub fn datastores_of<'a>(
        &'a self,
        service: &'a Service,
    ) -> impl Iterator<Item = &'a Datastore> + 'a {
        service.uses.iter().filter_map(|name| self.datastore(name))
    }

    /// The languages present, each once, in service order.
    pub fn languages(&self) -> Vec<Language> {
        let mut seen = Vec::new();
        for svc in &self.services {
            if !seen.contains(&svc.language) {
                seen.push(svc.language);
            }
        }
        seen
    }
}

fn assumed_repository(app: &str) -> Repository {
    Repository {
        owner: app.to_owned(),
        name: app.to_owned(),
        full: format!("{app}/{app}"),
        assumed: true,
    }
}

#[cfg(test)]
mod tests;
