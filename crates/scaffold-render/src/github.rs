//! The GitHub Actions family: CI, deploy, infrastructure and security workflows,
//! Dependabot and CODEOWNERS under `.github/`.
//!
//! Every decision is made here, in plain Rust, and handed to the templates in
//! one context struct per file: which setup action a service needs, which
//! commands lint and test it, which datastores run beside its tests, how each
//! job logs in to the cloud and with which identity. The templates only format.
//! Names that other families also use (identities, clusters, namespaces,
//! overlays, image repositories, GitHub environments) are read from the
//! [`Project`], never re-spelled, so a workflow and the Terraform it assumes
//! agree by construction. Actions are referenced through the one pin table in
//! [`pins`], so every `uses:` is SHA-pinned and a refresh is one edit.

pub mod commands;
pub mod deploy;
pub mod infra;
pub mod pins;
pub mod pipeline;
pub mod setup;
pub mod tools;
pub mod variables;

use std::collections::BTreeMap;

use scaffold_core::Project;
use scaffold_core::stack::Setup;
use scaffold_core::vocabulary::{Language, PackageManager, Provider, Registry};
use serde::Serialize;

use crate::{Engine, Files, RenderError};

/// The CI workflow template.
pub const TEMPLATE_CI: &str = "github/ci.yml.tera";
/// The deploy workflow template.
pub const TEMPLATE_DEPLOY: &str = "github/deploy.yml.tera";
/// The infrastructure workflow template.
pub const TEMPLATE_INFRASTRUCTURE: &str = "github/infrastructure.yml.tera";
/// The security workflow template.
pub const TEMPLATE_SECURITY: &str = "github/security.yml.tera";
/// The GitHub setup script template.
pub const TEMPLATE_SETUP: &str = "github/setup.sh.tera";
/// The Dependabot configuration template.
pub const TEMPLATE_DEPENDABOT: &str = "github/dependabot.yml.tera";
/// The CODEOWNERS template.
pub const TEMPLATE_CODEOWNERS: &str = "github/CODEOWNERS.tera";

/// The runner image of jobs that reach nothing private; pinned to a release rather than
/// `ubuntu-latest` so an image switch is a reviewed change.
const RUNNER: &str = scaffold_core::names::HOSTED_RUNNER;

/// The Terraform releases `setup-terraform` may install (S3 native locking needs 1.10 or later).
pub(crate) const TERRAFORM_VERSION: &str = "~1.13.0";

/// The Node.js major version CI sets up for Node and static services.
const NODE_VERSION: &str = "24";
/// The Python version CI sets up for pip and Poetry services.
const PYTHON_VERSION: &str = "3.13";
/// The Java version CI sets up for Maven and Gradle services.
const JAVA_VERSION: &str = "21";

/// How a job logs in to the cloud with GitHub OIDC. Values may hold `${{ vars.* }}` expressions.
#[derive(Debug, Clone, Serialize)]
pub struct Login {
    /// `aws`, `gcp` or `azure`.
    pub provider: Provider,
    /// AWS: the role ARN to assume.
    pub aws_role: String,
    /// AWS: the region.
    pub aws_region: String,
    /// GCP: the full workload identity provider resource name.
    pub gcp_provider: String,
    /// GCP: the service account email to impersonate.
    pub gcp_service_account: String,
    /// Azure: the client id expression of the federated identity.
    pub azure_client_id: String,
}

/// GCP: the GitHub variable holding the shared project's id (the state, the workload
/// identity pool, the registry, the build identity).
pub(crate) const SHARED_GCP_PROJECT: &str = "GCP_PROJECT_ID";

/// GCP: the GitHub variable holding the id of the project `env` lives in: the shared one, or
/// its own with `separate_account`, where the bootstrap root creates its service accounts
/// and its root creates its cluster and secrets.
pub(crate) fn gcp_project_variable(env: &scaffold_core::Environment) -> String {
    scaffold_core::names::gcp_project_id_variable(&env.name, env.separate_account)
}

impl Login {
    /// The login of `identity` on the project's cloud; `azure_client` is the expression
    /// (without `${{ }}`) that yields the Azure client id of that identity, and
    /// `gcp_project` the GitHub variable holding the id of the Google Cloud project the
    /// identity's service account lives in ([`gcp_project_variable`]).
    pub(crate) fn new(
        project: &Project,
        identity: &str,
        azure_client: &str,
        gcp_project: &str,
    ) -> Self {
        let names = &project.names;
        Login {
            provider: project.cloud.provider,
            aws_role: format!("arn:aws:iam::${{{{ vars.AWS_ACCOUNT_ID }}}}:role/{identity}"),
            aws_region: project.cloud.region.clone(),
            gcp_provider: format!(
                "projects/${{{{ vars.GCP_PROJECT_NUMBER }}}}/locations/global/workloadIdentityPools/{}/providers/{}",
                names.gcp_wif_pool, names.gcp_wif_provider
            ),
            gcp_service_account: format!(
                "{identity}@${{{{ vars.{gcp_project} }}}}.iam.gserviceaccount.com"
            ),
            azure_client_id: format!("${{{{ {azure_client} }}}}"),
        }
    }
}

/// Where CI pushes images, and how it logs in there.
#[derive(Debug, Clone, Serialize)]
pub struct RegistryCi {
    /// `ghcr`, `ecr`, `gar` or `acr`.
    pub kind: Registry,
    /// The registry host; may hold a `${{ vars.* }}` expression.
    pub host: String,
    /// The cloud login of the build identity; `None` for ghcr, which uses `GITHUB_TOKEN`.
    pub login: Option<Login>,
    /// The Azure Container Registry name (acr only).
    pub acr_name: String,
    /// `access_token` on GCP, where `docker login` needs an OAuth token; empty elsewhere.
    pub token_format: &'static str,
}

/// A datastore running as a service container beside one service's tests.
#[derive(Debug, Clone, Serialize)]
pub struct CiDatastore {
    /// The service container id (the datastore's name).
    pub name: String,
    /// The official image with its version tag.
    pub image: String,
    /// The port on the runner host.
    pub host_port: u16,
    /// The engine's port inside the container.
    pub port: u16,
    /// The environment variables the image needs to create the app's database and user.
    pub env: Vec<(String, String)>,
    /// The container health command, so the job starts only when the datastore is ready.
    pub health_cmd: String,
    /// The variables the service reads (such as `DATABASE_URL`), with values reaching the
    /// container through the mapped port on `localhost`.
    pub variables: Vec<(String, String)>,
}

/// One service as CI builds it.
#[derive(Debug, Clone, Serialize)]
pub struct CiService {
    /// The service name; also the `changes` job output that says whether it changed.
    pub name: String,
    /// Its folder (`.` for the root).
    pub path: String,
    /// Its folder with a trailing `/`, or empty for the root.
    pub dir: String,
    /// True for a service at the repository root: every change may affect it.
    pub at_root: bool,
    /// The lint-and-test job id.
    pub test_job: String,
    /// The job that builds, pushes and attests the image on pushes (`service.names.ci_job`).
    pub build_job: String,
    /// The job that builds and scans the image on pull requests, with a read-only token.
    pub pr_build_job: String,
    /// The language.
    pub language: Language,
    /// The package manager.
    pub package_manager: PackageManager,
    /// The toolchain setup, from the service's stack.
    pub setup: Setup,
    /// The folder the install, lint and test commands run in.
    pub working_directory: String,
    /// The file (or glob) dependency caches key on, from the repository root; empty for none.
    pub cache_key: String,
    /// Node: run `corepack enable` first (pnpm and Yarn come from corepack).
    pub corepack: bool,
    /// Commands that install dependencies.
    pub install: Vec<String>,
    /// Commands that lint: the tools the project declares, or a warning that none is configured.
    pub lint: Vec<String>,
    /// Commands that test (and, for static sites, build), or a warning that none is configured.
    pub test: Vec<String>,
    /// The image's build context, from the repository root.
    pub context: String,
    /// Datastores started as service containers for the tests.
    pub datastores: Vec<CiDatastore>,
    /// The image repository path below the registry host.
    pub image_repository: String,
    /// The image name of pull request builds, which are never pushed.
    pub local_image: String,
}

/// Context of `ci.yml`.
#[derive(Debug, Serialize)]
pub struct CiContext<'a> {
    /// The model.
    pub project: &'a Project,
    /// Rendered `uses:` values by action path.
    pub pins: BTreeMap<&'static str, String>,
    /// The runner image.
    pub runner: &'static str,
    /// The services.
    pub services: Vec<CiService>,
    /// The registry.
    pub registry: RegistryCi,
    /// The scaffold release the drift check installs: the version that rendered this file.
    pub scaffold: crate::release::Release,
    /// The versions CI sets up.
    pub versions: Versions,
}

/// Tool versions the CI sets up.
#[derive(Debug, Clone, Serialize)]
pub struct Versions {
    /// Node.js.
    pub node: &'static str,
    /// Python.
    pub python: &'static str,
    /// Java.
    pub java: &'static str,
}

/// A CodeQL analysis of one language.
#[derive(Debug, Clone, Serialize)]
pub struct CodeqlLanguage {
    /// The CodeQL language id.
    pub language: &'static str,
    /// The build mode: `none` where CodeQL extracts without building, else `autobuild`.
    pub build_mode: &'static str,
}

/// Context of `security.yml`.
#[derive(Debug, Serialize)]
pub struct WorkflowContext<'a> {
    /// The model.
    pub project: &'a Project,
    /// Rendered `uses:` values by action path.
    pub pins: BTreeMap<&'static str, String>,
    /// The runner image.
    pub runner: &'static str,
    /// CodeQL languages, each once.
    pub codeql: Vec<CodeqlLanguage>,
}

/// One Dependabot update entry.
#[derive(Debug, Clone, Serialize)]
pub struct DependabotUpdate {
    /// The package ecosystem.
    pub ecosystem: &'static str,
    /// The directories (leading `/`), possibly globs.
    pub directories: Vec<String>,
    /// The group name for grouped updates.
    pub group: String,
}

/// Context of `dependabot.yml`.
#[derive(Debug, Serialize)]
pub struct DependabotContext {
    /// The update entries.
    pub updates: Vec<DependabotUpdate>,
}

/// Context of `CODEOWNERS`.
#[derive(Debug, Serialize)]
pub struct CodeownersContext {
    /// The owners, space-separated.
    pub owners: String,
}

/// Adds the family's files for `project`.
pub fn render(project: &Project, engine: &Engine, files: &mut Files) -> Result<(), RenderError> {
    let pins = pins::uses_map();
    let versions = Versions {
        node: NODE_VERSION,
        python: PYTHON_VERSION,
        java: JAVA_VERSION,
    };
    let ci = CiContext {
        project,
        pins: pins.clone(),
        runner: RUNNER,
        services: project
            .services
            .iter()
            .map(|s| ci_service(project, s))
            .collect(),
        registry: registry_ci(project),
        scaffold: crate::release::this_release(),
        versions,
    };
    files.insert(
        scaffold_core::access::workflows::CI.to_owned(),
        engine.render(TEMPLATE_CI, &ci)?,
    );
    files.insert(
        scaffold_core::access::workflows::DEPLOY.to_owned(),
        engine.render(TEMPLATE_DEPLOY, &deploy::context(project, pins.clone()))?,
    );
    files.insert(
        scaffold_core::access::workflows::INFRASTRUCTURE.to_owned(),
        engine.render(
            TEMPLATE_INFRASTRUCTURE,
            &infra::context(project, pins.clone()),
        )?,
    );
    let workflow = WorkflowContext {
        project,
        pins,
        runner: RUNNER,
        codeql: codeql_languages(project),
    };
    files.insert(
        scaffold_core::access::workflows::SECURITY.to_owned(),
        engine.render(TEMPLATE_SECURITY, &workflow)?,
    );
    files.insert(
        setup::SETUP_SCRIPT.to_owned(),
        engine.render(TEMPLATE_SETUP, &setup::context(project))?,
    );
    files.insert(
        ".github/dependabot.yml".to_owned(),
        engine.render(TEMPLATE_DEPENDABOT, &dependabot(project))?,
    );
    files.insert(
        ".github/CODEOWNERS".to_owned(),
        engine.render(
            TEMPLATE_CODEOWNERS,
            &CodeownersContext {
                owners: project.app.owners.join(" "),
            },
        )?,
    );
    Ok(())
}

/// The registry host and build login.
fn registry_ci(project: &Project) -> RegistryCi {
    let region = &project.cloud.region;
    let kind = project.delivery.registry;
    let host = match kind {
        Registry::Ghcr => "ghcr.io".to_owned(),
        Registry::Ecr => format!("${{{{ vars.AWS_ACCOUNT_ID }}}}.dkr.ecr.{region}.amazonaws.com"),
        Registry::Gar => format!("{region}-docker.pkg.dev/${{{{ vars.GCP_PROJECT_ID }}}}"),
        Registry::Acr => format!("{}.azurecr.io", project.names.acr_name),
    };
    RegistryCi {
        kind,
        host,
        login: (kind != Registry::Ghcr).then(|| {
            Login::new(
                project,
                &project.names.build_identity,
                "vars.AZURE_BUILD_CLIENT_ID",
                SHARED_GCP_PROJECT,
            )
        }),
        acr_name: project.names.acr_name.clone(),
        token_format: if kind == Registry::Gar {
            "access_token"
        } else {
            ""
        },
    }
}

fn ci_service(project: &Project, service: &scaffold_core::Service) -> CiService {
    let pm = service.package_manager;
    let ci = &service.ci;
    let mut used_ports: Vec<u16> = Vec::new();
    let datastores = service
        .connections
        .iter()
        .filter_map(|connection| {
            let ds = project.datastore(&connection.datastore)?;
            let mut host_port = ds.local_port;
            while used_ports.contains(&host_port) {
                host_port += 1;
            }
            used_ports.push(host_port);
            Some(ci_datastore(project, ds, connection, host_port))
        })
        .collect();
    CiService {
        name: service.name.clone(),
        path: service.path.clone(),
        dir: service.dir.clone(),
        // A service built from the repository root (a workspace member) may change with any file.
        at_root: service.path == "." || service.recipe.context == ".",
        test_job: format!("test-{}", service.name),
        build_job: service.names.ci_job.clone(),
        pr_build_job: format!("{}-pull-request", service.names.ci_job),
        language: service.language,
        package_manager: pm,
        setup: ci.setup.clone(),
        working_directory: ci.working_directory.clone(),
        cache_key: ci.cache_key.clone(),
        corepack: matches!(ci.setup, Setup::Node { corepack: true, .. }),
        install: ci.install.clone(),
        lint: ci.lint.clone(),
        test: ci.test.clone(),
        datastores,
        context: service.recipe.context.clone(),
        image_repository: service.names.image_repository.clone(),
        local_image: format!("local/{}", service.names.kustomize_image),
    }
}

fn ci_datastore(
    project: &Project,
    ds: &scaffold_core::Datastore,
    connection: &scaffold_core::Connection,
    host_port: u16,
) -> CiDatastore {
    CiDatastore {
        name: ds.name.clone(),
        image: ds.local_image.clone(),
        host_port,
        port: ds.local_port,
        env: ds.local_environment().into_iter().collect(),
        // The exec form without its leading `CMD`, as `--health-cmd` takes it.
        health_cmd: ds.local_healthcheck()[1..].join(" "),
        variables: project.local_connection_values(connection, "localhost", host_port),
    }
}

fn codeql_languages(project: &Project) -> Vec<CodeqlLanguage> {
    let mut out: Vec<CodeqlLanguage> = Vec::new();
    for language in project.languages() {
        // Each stack names its CodeQL language and build mode (Go is extracted while
        // building); a stack CodeQL does not analyse (PHP) has none.
        let Some((id, build_mode)) = language.stack().codeql else {
            continue;
        };
        if out.iter().any(|c| c.language == id) {
            continue;
        }
        out.push(CodeqlLanguage {
            language: id,
            build_mode,
        });
    }
    out
}

fn dependabot(project: &Project) -> DependabotContext {
    let slash = |path: &str| {
        if path == "." {
            "/".to_owned()
        } else {
            format!("/{path}")
        }
    };
    let mut updates = vec![DependabotUpdate {
        ecosystem: "github-actions",
        directories: vec!["/".to_owned()],
        group: "github-actions".to_owned(),
    }];
    updates.push(DependabotUpdate {
        ecosystem: "docker",
        directories: project.services.iter().map(|s| slash(&s.path)).collect(),
        group: "docker-images".to_owned(),
    });
    let mut by_ecosystem: Vec<DependabotUpdate> = Vec::new();
    for service in &project.services {
        let ecosystem = service
            .package_manager
            .dependabot_ecosystem(service.language);
        match by_ecosystem.iter_mut().find(|u| u.ecosystem == ecosystem) {
            Some(update) => update.directories.push(slash(&service.path)),
            None => by_ecosystem.push(DependabotUpdate {
                ecosystem,
                directories: vec![slash(&service.path)],
                group: format!("{ecosystem}-dependencies"),
            }),
        }
    }
    updates.extend(by_ecosystem);
    updates.push(DependabotUpdate {
        ecosystem: "terraform",
        directories: vec![
            "/infra/bootstrap".to_owned(),
            "/infra/environments/*".to_owned(),
            "/infra/modules/*".to_owned(),
        ],
        group: "terraform-providers".to_owned(),
    });
    DependabotContext { updates }
}

#[cfg(test)]
mod tests;
