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

pub mod pins;

use std::collections::BTreeMap;

use scaffold_core::names::TERRAFORM_DIR;
use scaffold_core::vocabulary::{Language, PackageManager, Provider, Registry, WorkloadKind};
use scaffold_core::{Environment, Project};
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
/// The Dependabot configuration template.
pub const TEMPLATE_DEPENDABOT: &str = "github/dependabot.yml.tera";
/// The CODEOWNERS template.
pub const TEMPLATE_CODEOWNERS: &str = "github/CODEOWNERS.tera";

/// The runner image every job uses; pinned to a release rather than `ubuntu-latest`
/// so an image switch is a reviewed change.
const RUNNER: &str = "ubuntu-24.04";

/// The kustomize release the deploy workflow installs with `go install`, which verifies
/// the module against the Go checksum database (kubectl's built-in kustomize has no `edit`).
const KUSTOMIZE_VERSION: &str = "v5.7.1";

/// The Terraform releases `setup-terraform` may install (S3 native locking needs 1.10 or later).
const TERRAFORM_VERSION: &str = "~1.13.0";

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

impl Login {
    /// The login of `identity` on the project's cloud; `azure_client` is the expression
    /// (without `${{ }}`) that yields the Azure client id of that identity.
    fn new(project: &Project, identity: &str, azure_client: &str) -> Self {
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
                "{identity}@${{{{ vars.GCP_PROJECT_ID }}}}.iam.gserviceaccount.com"
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
    /// The image build job id (`service.names.ci_job`).
    pub build_job: String,
    /// The language.
    pub language: Language,
    /// The package manager.
    pub package_manager: PackageManager,
    /// The lockfile path from the repository root, for dependency caches.
    pub lockfile: String,
    /// Node: the `setup-node` cache kind (`npm`, `pnpm` or `yarn`).
    pub node_cache: String,
    /// Node: run `corepack enable` first (pnpm and Yarn come from corepack).
    pub corepack: bool,
    /// Commands that install dependencies, run in the service folder.
    pub install: Vec<String>,
    /// Commands that lint; empty when the test command already includes static checks.
    pub lint: Vec<String>,
    /// Commands that test (and, for static sites, build).
    pub test: Vec<String>,
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
    /// kustomize.
    pub kustomize: &'static str,
}

/// One service as the deploy workflow rolls it out.
#[derive(Debug, Clone, Serialize)]
pub struct DeployService {
    /// The service name; its digest file is `<name>.txt` in the digest artifact.
    pub name: String,
    /// The workload (Deployment or Rollout) and stable `Service` name.
    pub workload: String,
    /// The `Service` that receives preview traffic before a blue-green promotion.
    pub preview_service: String,
    /// The name kustomize's `images:` matches.
    pub kustomize_image: String,
    /// Whether the service reads datastore secrets through its own `SecretStore`.
    pub has_secret_store: bool,
    /// The Kubernetes `ServiceAccount`.
    pub service_account: String,
    /// The liveness path the smoke check requests; `None` for services that answer no HTTP.
    pub health_path: Option<String>,
    /// The Kubernetes object that runs it: `Deployment`, `Rollout` or `CronJob`.
    pub workload_kind: &'static str,
    /// Its kubectl resource name: `deployment`, `rollout` or `cronjob`.
    pub resource: &'static str,
    /// The JSONPath of its container image.
    pub image_path: &'static str,
    /// The local port the smoke check forwards to (unique per service).
    pub local_port: u16,
}

/// One environment as the deploy and infrastructure workflows see it.
#[derive(Debug, Clone, Serialize)]
pub struct DeployEnvironment {
    /// The environment's name.
    pub name: String,
    /// The deploy job id (`deploy-<env>`).
    pub job: String,
    /// The apply job id (`apply-<env>`).
    pub apply_job: String,
    /// The GitHub environment.
    pub github_environment: String,
    /// The URL shown on the deployment, when the environment has a domain.
    pub url: Option<String>,
    /// The branch whose successful CI runs deploy it directly, when it starts a chain.
    pub entry_branch: Option<String>,
    /// The deploy job it follows (runs after, with the same digests), if any.
    pub follows: Option<String>,
    /// The apply job of the previous environment, if any.
    pub previous_apply: Option<String>,
    /// Whether a reviewer approves deployments (configured on the GitHub environment).
    pub approval: bool,
    /// The Kubernetes namespace.
    pub namespace: String,
    /// The kustomize overlay directory.
    pub overlay_dir: String,
    /// The Terraform root directory.
    pub terraform_dir: String,
    /// The cluster name.
    pub cluster: String,
    /// Where the cluster runs: a region, or a zone for zonal GKE clusters.
    pub cluster_location: String,
    /// The Azure resource group.
    pub resource_group: String,
    /// Login of the deploy identity.
    pub deploy_login: Login,
    /// Login of the Terraform apply identity.
    pub terraform_login: Login,
    /// Per-workload identity annotation (each service's, the database setup Job's).
    pub identities: Vec<IdentityAnnotation>,
}

/// The workload identity annotation of one service's `ServiceAccount` in one environment.
#[derive(Debug, Clone, Serialize)]
pub struct IdentityAnnotation {
    /// The service name (the `ServiceAccount` for the database setup Job's identity).
    pub service: String,
    /// The `ServiceAccount`.
    pub service_account: String,
    /// The annotation key.
    pub key: &'static str,
    /// The annotation value (a shell string that may use the job's env).
    pub value: String,
    /// The cloud identity name.
    pub identity: String,
    /// Azure: the GitHub variable of the deploy environment holding the client id, which
    /// the step's env passes as the variable of the same name.
    pub variable: Option<String>,
}

/// Context of `deploy.yml`.
#[derive(Debug, Serialize)]
pub struct DeployContext<'a> {
    /// The model.
    pub project: &'a Project,
    /// Rendered `uses:` values by action path.
    pub pins: BTreeMap<&'static str, String>,
    /// The runner image.
    pub runner: &'static str,
    /// The services.
    pub services: Vec<DeployService>,
    /// The environments, in promotion order.
    pub environments: Vec<DeployEnvironment>,
    /// Tool versions.
    pub versions: Versions,
    /// True for blue-green and canary (Argo Rollouts drives the rollout).
    pub rollouts: bool,
    /// True for blue-green (the preview is smoke-checked, then promoted).
    pub blue_green: bool,
    /// Every environment name, for the manual dispatch choice.
    pub environment_names: Vec<String>,
    /// The GitHub environments that need a reviewer's approval.
    pub approval_environments: Vec<String>,
}

/// A CodeQL analysis of one language.
#[derive(Debug, Clone, Serialize)]
pub struct CodeqlLanguage {
    /// The CodeQL language id.
    pub language: &'static str,
    /// The build mode: `none` where CodeQL extracts without building, else `autobuild`.
    pub build_mode: &'static str,
}

/// One environment's entry in the plan matrix.
#[derive(Debug, Clone, Serialize)]
pub struct PlanEntry {
    /// The environment's name.
    pub environment: String,
    /// Its Terraform root directory.
    pub directory: String,
    /// Its read-only plan identity.
    pub identity: String,
    /// On Azure, the expression reading the plan identity's client id from its repository variable.
    pub client_id: Option<String>,
}

/// Context of `infrastructure.yml`.
#[derive(Debug, Serialize)]
pub struct InfraContext<'a> {
    /// The model.
    pub project: &'a Project,
    /// Rendered `uses:` values by action path.
    pub pins: BTreeMap<&'static str, String>,
    /// The runner image.
    pub runner: &'static str,
    /// The Terraform version constraint `setup-terraform` installs.
    pub terraform_version: &'static str,
    /// Every Terraform root, validated on each change.
    pub terraform_roots: Vec<String>,
    /// The plan matrix, one entry per environment.
    pub plan_matrix: Vec<PlanEntry>,
    /// The plan login, reading the identity from the matrix.
    pub plan_login: Login,
    /// Environment variables of plan jobs (TF_VAR_* and, on Azure, ARM_*).
    pub plan_env: Vec<(String, String)>,
    /// Environment variables of apply jobs.
    pub apply_env: Vec<(String, String)>,
    /// The environments, in promotion order.
    pub environments: Vec<DeployEnvironment>,
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
        kustomize: KUSTOMIZE_VERSION,
    };
    let environments = deploy_environments(project);

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
        versions: versions.clone(),
    };
    files.insert(
        ".github/workflows/ci.yml".to_owned(),
        engine.render(TEMPLATE_CI, &ci)?,
    );

    let deploy = DeployContext {
        project,
        pins: pins.clone(),
        runner: RUNNER,
        services: project
            .services
            .iter()
            .enumerate()
            .map(|(i, s)| DeployService {
                name: s.name.clone(),
                workload: s.names.workload.clone(),
                preview_service: s.names.preview_service.clone(),
                kustomize_image: s.names.kustomize_image.clone(),
                has_secret_store: !s.uses.is_empty(),
                service_account: s.names.service_account.clone(),
                health_path: s.health_path.clone(),
                workload_kind: s.workload.as_str(),
                resource: match s.workload {
                    WorkloadKind::Deployment => "deployment",
                    WorkloadKind::Rollout => "rollout",
                    WorkloadKind::CronJob => "cronjob",
                },
                image_path: if s.workload == WorkloadKind::CronJob {
                    "{.spec.jobTemplate.spec.template.spec.containers[0].image}"
                } else {
                    "{.spec.template.spec.containers[0].image}"
                },
                local_port: 18080 + u16::try_from(i).unwrap_or(0),
            })
            .collect(),
        environments: environments.clone(),
        versions,
        rollouts: project
            .services
            .iter()
            .any(|s| s.workload == WorkloadKind::Rollout),
        blue_green: project.delivery.strategy == scaffold_core::vocabulary::Strategy::BlueGreen,
        environment_names: project
            .environments
            .iter()
            .map(|e| e.name.clone())
            .collect(),
        approval_environments: project
            .environments
            .iter()
            .filter(|e| e.approval)
            .map(|e| e.names.github_environment.clone())
            .collect(),
    };
    files.insert(
        ".github/workflows/deploy.yml".to_owned(),
        engine.render(TEMPLATE_DEPLOY, &deploy)?,
    );

    let infra = InfraContext {
        project,
        pins: pins.clone(),
        runner: RUNNER,
        terraform_version: TERRAFORM_VERSION,
        terraform_roots: std::iter::once(format!("{TERRAFORM_DIR}/bootstrap"))
            .chain(
                project
                    .environments
                    .iter()
                    .map(|e| e.names.terraform_dir.clone()),
            )
            .collect(),
        plan_matrix: project
            .environments
            .iter()
            .map(|e| PlanEntry {
                environment: e.name.clone(),
                directory: e.names.terraform_dir.clone(),
                identity: e.names.plan_identity.clone(),
                // The plan identity's client id is a variable of the GitHub environment
                // `<env>-plan` the plan job runs in.
                client_id: (project.cloud.provider == Provider::Azure).then(|| {
                    format!(
                        "${{{{ vars.{} }}}}",
                        scaffold_core::names::AZURE_PLAN_CLIENT_ID
                    )
                }),
            })
            .collect(),
        plan_login: Login::new(project, "${{ matrix.identity }}", "matrix.client_id"),
        plan_env: terraform_env(project, "matrix.client_id"),
        apply_env: terraform_env(project, "vars.AZURE_TERRAFORM_CLIENT_ID"),
        environments,
    };
    files.insert(
        ".github/workflows/infrastructure.yml".to_owned(),
        engine.render(TEMPLATE_INFRASTRUCTURE, &infra)?,
    );
    let workflow = WorkflowContext {
        project,
        pins,
        runner: RUNNER,
        codeql: codeql_languages(project),
    };
    files.insert(
        ".github/workflows/security.yml".to_owned(),
        engine.render(TEMPLATE_SECURITY, &workflow)?,
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

/// The `TF_VAR_*` variables Terraform reads from GitHub variables (CONTRACTS: Terraform state),
/// and on Azure the azurerm OIDC settings for the identity in `azure_client_var`.
///
/// `azure_client` is the expression (without `${{ }}`) that yields the Azure client id to log in as.
fn terraform_env(project: &Project, azure_client: &str) -> Vec<(String, String)> {
    let var = |name: &str, expr: &str| (name.to_owned(), format!("${{{{ vars.{expr} }}}}"));
    match project.cloud.provider {
        Provider::Aws => vec![var("TF_VAR_aws_account_id", "AWS_ACCOUNT_ID")],
        Provider::Gcp => vec![
            var("TF_VAR_project_id", "GCP_PROJECT_ID"),
            var("TF_VAR_project_number", "GCP_PROJECT_NUMBER"),
        ],
        Provider::Azure => vec![
            var("TF_VAR_subscription_id", "AZURE_SUBSCRIPTION_ID"),
            var("TF_VAR_tenant_id", "AZURE_TENANT_ID"),
            ("ARM_USE_OIDC".to_owned(), "\"true\"".to_owned()),
            (
                "ARM_CLIENT_ID".to_owned(),
                format!("${{{{ {azure_client} }}}}"),
            ),
            var("ARM_TENANT_ID", "AZURE_TENANT_ID"),
            var("ARM_SUBSCRIPTION_ID", "AZURE_SUBSCRIPTION_ID"),
        ],
    }
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

/// Shell lines that run `script` from `package.json` only when it is defined.
fn node_script(runner: &str, script: &str, dir: &str) -> Vec<String> {
    vec![
        format!("if jq -e '.scripts.{script}' package.json > /dev/null; then"),
        format!("  {runner} run {script}"),
        "else".to_owned(),
        format!("  echo \"::notice::{dir}package.json has no {script} script\""),
        "fi".to_owned(),
    ]
}

/// Shell lines that run a Python tool only when the project installs it.
fn python_tool(prefix: &str, module: &str, args: &str, what: &str) -> Vec<String> {
    let command = format!("{prefix}python -m {module} {args}");
    vec![
        format!("if {prefix}python -m {module} --version > /dev/null 2>&1; then"),
        format!("  {}", command.trim_end()),
        "else".to_owned(),
        format!("  echo \"::notice::{module} is not installed, so {what} is skipped\""),
        "fi".to_owned(),
    ]
}

fn ci_service(project: &Project, service: &scaffold_core::Service) -> CiService {
    let pm = service.package_manager;
    let dir_label = &service.dir;
    let (install, lint, test): (Vec<String>, Vec<String>, Vec<String>) = match service.language {
        Language::Node | Language::Static => {
            let runner = pm.as_str();
            let install = match pm {
                PackageManager::Pnpm => "pnpm install --frozen-lockfile",
                PackageManager::Yarn => "yarn install --immutable",
                _ => "npm ci",
            };
            let mut test = node_script(runner, "test", dir_label);
            if service.language == Language::Static {
                test.push(format!("{runner} run build"));
            }
            (
                vec![install.to_owned()],
                node_script(runner, "lint", dir_label),
                test,
            )
        }
        Language::Python => {
            let (install, prefix) = match pm {
                PackageManager::Poetry => ("poetry install --no-interaction", "poetry run "),
                PackageManager::Uv => ("uv sync --locked", "uv run "),
                _ => ("python -m pip install -r requirements.txt", ""),
            };
            let mut install = vec![install.to_owned()];
            if pm == PackageManager::Pip {
                install.extend([
                    "if [ -f requirements-dev.txt ]; then".to_owned(),
                    "  python -m pip install -r requirements-dev.txt".to_owned(),
                    "fi".to_owned(),
                ]);
            }
            (
                install,
                python_tool(prefix, "ruff", "check .", "linting"),
                python_tool(prefix, "pytest", "", "testing"),
            )
        }
        Language::Go => (
            vec!["go mod download".to_owned()],
            vec![
                "go vet ./...".to_owned(),
                "unformatted=\"$(gofmt -l .)\"".to_owned(),
                "if [ -n \"$unformatted\" ]; then".to_owned(),
                "  echo \"::error::gofmt would reformat: $unformatted\"".to_owned(),
                "  exit 1".to_owned(),
                "fi".to_owned(),
            ],
            vec!["go test -race ./...".to_owned()],
        ),
        Language::Rust => (
            vec!["cargo fetch --locked".to_owned()],
            vec![
                "cargo fmt --all --check".to_owned(),
                "cargo clippy --all-targets --locked -- -D warnings".to_owned(),
            ],
            vec!["cargo test --locked".to_owned()],
        ),
        Language::Java => match pm {
            PackageManager::Gradle => (Vec::new(), Vec::new(), vec!["./gradlew check".to_owned()]),
            _ => (
                Vec::new(),
                Vec::new(),
                vec![
                    "mvn=mvn".to_owned(),
                    "if [ -x ./mvnw ]; then mvn=./mvnw; fi".to_owned(),
                    "\"$mvn\" --batch-mode --no-transfer-progress verify".to_owned(),
                ],
            ),
        },
    };
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
    let lockfile = match pm {
        // Poetry and uv services keep their lockfile beside pyproject.toml; pip's cache
        // keys on every requirements file.
        PackageManager::Pip => format!("{}requirements*.txt", service.dir),
        _ => format!("{}{}", service.dir, pm.lockfile()),
    };
    CiService {
        name: service.name.clone(),
        path: service.path.clone(),
        dir: service.dir.clone(),
        at_root: service.path == ".",
        test_job: format!("test-{}", service.name),
        build_job: service.names.ci_job.clone(),
        language: service.language,
        package_manager: pm,
        lockfile,
        node_cache: pm.as_str().to_owned(),
        corepack: matches!(pm, PackageManager::Pnpm | PackageManager::Yarn),
        install,
        lint,
        test,
        datastores,
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

fn deploy_environments(project: &Project) -> Vec<DeployEnvironment> {
    let provider = project.cloud.provider;
    let mut out: Vec<DeployEnvironment> = Vec::new();
    for (i, env) in project.environments.iter().enumerate() {
        let previous: Option<&Environment> = i.checked_sub(1).map(|j| &project.environments[j]);
        // An environment with its own branch starts a promotion chain when CI succeeds on
        // that branch; one without (or sharing the previous one's branch) runs after the
        // previous environment, with the digests it deployed.
        let follows_previous =
            previous.is_some_and(|p| env.branch.is_none() || env.branch == p.branch);
        // Every workload identity of the environment in the access model: each service's,
        // and the database setup Job's.
        let identities = project
            .identities()
            .into_iter()
            .filter(|i| {
                i.purpose == scaffold_core::access::Purpose::Workload
                    && i.environment.as_deref() == Some(env.name.as_str())
            })
            .map(|i| {
                let service_account = i
                    .service_account
                    .clone()
                    .expect("a workload identity trusts a Kubernetes ServiceAccount");
                let identity = i.name;
                let (key, value, variable) = match provider {
                    Provider::Aws => (
                        "eks.amazonaws.com/role-arn",
                        format!("arn:aws:iam::${{AWS_ACCOUNT_ID}}:role/{identity}"),
                        None,
                    ),
                    Provider::Gcp => (
                        "iam.gke.io/gcp-service-account",
                        format!("{identity}@${{GCP_PROJECT_ID}}.iam.gserviceaccount.com"),
                        None,
                    ),
                    // The deploy identity may not read managed identities: the client id is
                    // the GitHub variable the environment root's output was recorded as.
                    Provider::Azure => {
                        let variable = scaffold_core::names::azure_workload_client_id_variable(
                            i.service.as_deref().unwrap_or(&service_account),
                        );
                        (
                            "azure.workload.identity/client-id",
                            format!("${variable}"),
                            Some(variable),
                        )
                    }
                };
                IdentityAnnotation {
                    service: i.service.unwrap_or_else(|| service_account.clone()),
                    service_account,
                    key,
                    value,
                    identity,
                    variable,
                }
            })
            .collect();
        out.push(DeployEnvironment {
            name: env.name.clone(),
            job: format!("deploy-{}", env.name),
            apply_job: format!("apply-{}", env.name),
            github_environment: env.names.github_environment.clone(),
            url: env.domain.as_ref().map(|d| format!("https://{d}")),
            entry_branch: if follows_previous {
                None
            } else {
                env.branch.clone()
            },
            follows: previous
                .filter(|_| follows_previous)
                .map(|p| format!("deploy-{}", p.name)),
            previous_apply: previous.map(|p| format!("apply-{}", p.name)),
            approval: env.approval,
            namespace: env.names.namespace.clone(),
            overlay_dir: env.names.overlay_dir.clone(),
            terraform_dir: env.names.terraform_dir.clone(),
            cluster: env.names.cluster.clone(),
            cluster_location: env.cluster_location.clone(),
            resource_group: env.names.resource_group.clone(),
            deploy_login: Login::new(project, &env.names.ci_identity, "vars.AZURE_CLIENT_ID"),
            terraform_login: Login::new(
                project,
                &env.names.terraform_identity,
                "vars.AZURE_TERRAFORM_CLIENT_ID",
            ),
            identities,
        });
    }
    out
}

fn codeql_languages(project: &Project) -> Vec<CodeqlLanguage> {
    let mut out: Vec<CodeqlLanguage> = Vec::new();
    for language in project.languages() {
        let id = language.codeql_language();
        if out.iter().any(|c| c.language == id) {
            continue;
        }
        // Go is extracted while building; the other languages CodeQL analyses from source.
        let build_mode = if language == Language::Go {
            "autobuild"
        } else {
            "none"
        };
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
        let ecosystem = service.package_manager.dependabot_ecosystem();
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
