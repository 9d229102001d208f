//! The context of `deploy.yml`: one job per [`Stage`] of the pipeline, each in its GitHub
//! environment, logging in as that environment's deploy identity.
//!
//! Everything a job needs is decided here: which branch's CI runs start it or which job it
//! follows, which tools it installs, which GitHub variables it reads (and checks first),
//! how it annotates each ServiceAccount with its workload identity, and, with GitOps, where
//! it commits the desired state.

use std::collections::BTreeMap;

use scaffold_core::names::{DEPLOY_RUNNER_VARIABLE, HOSTED_RUNNER};
use scaffold_core::project::Trigger;
use scaffold_core::vocabulary::{Provider, ServiceKind, Strategy, WorkloadKind};
use scaffold_core::{Environment, Project};
use serde::Serialize;

use super::pipeline::{self, Check, Stage};
use super::tools::{self, Tool};
use super::{Login, variables};

/// The environment secret holding the private half of the deploy key that may push the
/// GitOps desired-state branch; set in every deploy GitHub environment by the setup script.
pub const DESIRED_STATE_KEY_SECRET: &str = "DESIRED_STATE_DEPLOY_KEY";
/// The title of that deploy key in the repository's settings.
pub const DESIRED_STATE_KEY_TITLE: &str = "scaffold desired state";
/// The repository ruleset that lets only the deploy key write the desired-state branch.
pub const DESIRED_STATE_RULESET: &str = "scaffold desired state";
/// github.com's SSH host key, pinned so the push cannot be intercepted
/// (docs.github.com, "GitHub's SSH key fingerprints").
pub const GITHUB_KNOWN_HOSTS: &str =
    "github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";

/// A GitHub variable a job reads, which its first step checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequiredVariable {
    /// The variable's name; the step exposes it under the same name.
    pub name: String,
    /// `${{ vars.NAME }}`.
    pub expression: String,
    /// What the job says when it is empty: which variable to set, and where.
    pub missing: String,
    /// The same message as single-quoted shell words of at most a line each.
    pub missing_words: Vec<String>,
}

impl RequiredVariable {
    /// The check of variable `name`, read as `${{ vars.NAME }}`, with `missing` as its message.
    pub fn new(name: &str, missing: String) -> Self {
        RequiredVariable {
            name: name.to_owned(),
            expression: format!("${{{{ vars.{name} }}}}"),
            missing_words: shell_words(&missing, 90),
            missing,
        }
    }
}

/// `text` as double-quoted shell words of at most `width` characters each (longer words
/// stay whole), which `echo "$*"` joins back with single spaces. `\`, `"`, `$` and
/// backquotes are escaped, so the message is printed as written and never expanded.
pub fn shell_words(text: &str, width: usize) -> Vec<String> {
    crate::wrap(text, width)
        .into_iter()
        .map(|line| {
            let mut quoted = String::from("\"");
            for c in line.chars() {
                if matches!(c, '\\' | '"' | '$' | '`') {
                    quoted.push('\\');
                }
                quoted.push(c);
            }
            quoted.push('"');
            quoted
        })
        .collect()
}

/// An `if:` expression `${{ a && (b || c) }}` broken into lines for a folded scalar: the
/// opening conjuncts, then each alternative of the last one on its own line.
pub fn folded_condition(all: &[String], any: &[String]) -> Vec<String> {
    let mut lines = vec![format!("${{{{ {} &&", all.join(" && "))];
    for (i, alternative) in any.iter().enumerate() {
        let open = if i == 0 { "(" } else { "" };
        let close = if i + 1 == any.len() { ") }}" } else { " ||" };
        // Long alternatives continue on the next line after an `&&`.
        let mut line = open.to_owned();
        for (j, part) in alternative.split(" && ").enumerate() {
            if j > 0 {
                if line.len() + part.len() > 140 {
                    line.push_str(" &&");
                    lines.push(std::mem::take(&mut line));
                } else {
                    line.push_str(" && ");
                }
            }
            line.push_str(part);
        }
        line.push_str(close);
        lines.push(line);
    }
    lines
}

/// The first step of a job: the commands the runner must have and the variables the job reads.
#[derive(Debug, Clone, Serialize)]
pub struct Preflight {
    /// `${{ vars.<RUNNER VARIABLE> }}`, for messages.
    pub runner_label: String,
    /// The GitHub-hosted image used when the variable is empty.
    pub hosted: &'static str,
    /// Commands the job calls that the runner must provide.
    pub commands: Vec<&'static str>,
}

/// The variables one job checks first.
#[derive(Debug, Clone, Serialize)]
pub struct JobPreflight {
    /// The variables.
    pub variables: Vec<RequiredVariable>,
}

/// One service as the deploy job rolls it out.
#[derive(Debug, Clone, Serialize)]
pub struct DeployService {
    /// The service name; its digest file is `<name>.txt` in the digest artifact.
    pub name: String,
    /// The workload and stable `Service` name.
    pub workload: String,
    /// The `Service` in front of a blue-green preview.
    pub preview_service: String,
    /// The name kustomize's `images:` matches.
    pub kustomize_image: String,
    /// Its kubectl resource: `deployment`, `rollout` or `cronjob`.
    pub resource: &'static str,
    /// The JSONPath whose change marks a new release: the revision annotation, or a
    /// CronJob's image (CronJobs keep no revisions).
    pub revision_path: &'static str,
    /// The path the blue-green preview check requests; empty for gRPC (a TCP check).
    pub probe_path: String,
    /// The local port a port-forward of this service listens on.
    pub local_port: u16,
}

/// A ServiceAccount annotation the deploy job adds with `kustomize edit add patch`.
#[derive(Debug, Clone, Serialize)]
pub struct Annotation {
    /// The `ServiceAccount`.
    pub service_account: String,
    /// The annotation key.
    pub key: &'static str,
    /// The value, a shell string that may use the step's environment.
    pub value: String,
}

/// One deploy job.
#[derive(Debug, Clone, Serialize)]
pub struct DeployStage {
    /// The pipeline stage it runs.
    #[serde(flatten)]
    pub stage: Stage,
    /// The job's `needs:` value.
    pub needs: String,
    /// The job's `if:` expression, as the lines of a folded scalar.
    pub condition: Vec<String>,
    /// The URL shown on the deployment, when the environment has a domain.
    pub url: Option<String>,
    /// The Kubernetes namespace.
    pub namespace: String,
    /// The kustomize overlay directory (also the desired state's folder with GitOps).
    pub overlay_dir: String,
    /// The cluster name.
    pub cluster: String,
    /// Where the cluster runs: a region, or a zone for zonal GKE clusters.
    pub cluster_location: String,
    /// The Azure resource group of the cluster.
    pub resource_group: String,
    /// GCP: the expression of the environment's project id (`get-gke-credentials`).
    pub gcp_project: String,
    /// The Argo CD `Application` syncing the environment.
    pub argocd_application: String,
    /// Login of the deploy identity.
    pub deploy_login: Login,
    /// The GitHub variables the job reads, checked first.
    pub variables: Vec<RequiredVariable>,
    /// The step environment of the annotation step: (name, expression).
    pub annotation_env: Vec<(String, String)>,
    /// The ServiceAccount annotations.
    pub annotations: Vec<Annotation>,
    /// GCP: the `SecretStore`s whose project the job sets.
    pub secret_stores: Vec<String>,
    /// Whether the strategy is blue-green.
    pub blue_green: bool,
    /// Whether a check goes through a cluster `Service`.
    pub has_service_checks: bool,
    /// Whether a check requests a public URL.
    pub has_url_checks: bool,
}

/// Where the GitOps deploy job commits the desired state.
#[derive(Debug, Clone, Serialize)]
pub struct Gitops {
    /// The desired-state branch Argo CD tracks.
    pub branch: String,
    /// The environment secret with the deploy key.
    pub key_secret: &'static str,
    /// github.com's pinned host key.
    pub known_hosts: &'static str,
    /// The namespace of Argo CD's `Application`s.
    pub argocd_namespace: String,
}

/// Context of `deploy.yml`.
#[derive(Debug, Serialize)]
pub struct DeployContext<'a> {
    /// The model.
    pub project: &'a Project,
    /// Rendered `uses:` values by action path.
    pub pins: BTreeMap<&'static str, String>,
    /// The GitHub-hosted runner of jobs that reach nothing private.
    pub runner: &'static str,
    /// The `runs-on:` of deploy jobs.
    pub deploy_runner: String,
    /// The repository variable naming the deploy runners.
    pub runner_variable: &'static str,
    /// The branches whose CI runs start a deployment.
    pub push_branches: Vec<String>,
    /// For the `source` job: (environments joined by `|`, the branch their images come from).
    pub source_cases: Vec<(String, String)>,
    /// The jobs, in promotion order.
    pub stages: Vec<DeployStage>,
    /// The services.
    pub services: Vec<DeployService>,
    /// The tools every deploy job installs.
    pub tools: Vec<Tool>,
    /// The first step's runner check.
    pub preflight: Preflight,
    /// With GitOps, where the desired state goes.
    pub gitops: Option<Gitops>,
    /// The task that creates DNS records, named when a public host does not resolve.
    pub dns_task: &'static str,
    /// The task plan's path.
    pub tasks_path: String,
}

/// `runs-on:` for jobs that may reach a private endpoint.
pub fn runner_expression(variable: &str) -> String {
    format!("${{{{ vars.{variable} || '{HOSTED_RUNNER}' }}}}")
}

/// The context of `deploy.yml` for `project`.
pub fn context<'a>(
    project: &'a Project,
    pins: BTreeMap<&'static str, String>,
) -> DeployContext<'a> {
    let services = deploy_services(project);
    let stages: Vec<DeployStage> = pipeline::stages(project)
        .into_iter()
        .zip(&project.environments)
        .map(|(stage, env)| deploy_stage(project, stage, env))
        .collect();
    let mut push_branches: Vec<String> = Vec::new();
    let mut source_cases: Vec<(Vec<String>, String)> = Vec::new();
    for s in &stages {
        if let Some(branch) = &s.stage.trigger.branch
            && !push_branches.contains(branch)
        {
            push_branches.push(branch.clone());
        }
        match source_cases
            .iter_mut()
            .find(|(_, b)| *b == s.stage.source_branch)
        {
            Some((names, _)) => names.push(s.stage.name.clone()),
            None => source_cases.push((vec![s.stage.name.clone()], s.stage.source_branch.clone())),
        }
    }
    DeployContext {
        project,
        pins,
        runner: HOSTED_RUNNER,
        deploy_runner: runner_expression(DEPLOY_RUNNER_VARIABLE),
        runner_variable: DEPLOY_RUNNER_VARIABLE,
        push_branches,
        source_cases: source_cases
            .into_iter()
            .map(|(names, branch)| (names.join("|"), branch))
            .collect(),
        stages,
        services,
        tools: deploy_tools(project),
        preflight: Preflight {
            runner_label: format!("${{{{ vars.{DEPLOY_RUNNER_VARIABLE} }}}}"),
            hosted: HOSTED_RUNNER,
            commands: deploy_commands(project),
        },
        gitops: project.delivery.gitops.then(|| Gitops {
            branch: project.names.gitops_branch.clone(),
            key_secret: DESIRED_STATE_KEY_SECRET,
            known_hosts: GITHUB_KNOWN_HOSTS,
            argocd_namespace: project.names.cluster_addons.argocd_namespace.clone(),
        }),
        dns_task: pipeline::DNS_TASK,
        tasks_path: pipeline::tasks_path(),
    }
}

/// The tools a deploy job installs: kustomize always, kubelogin on AKS, and the Argo
/// Rollouts plugin where the job drives Rollouts itself (with GitOps, Argo CD does).
pub fn deploy_tools(project: &Project) -> Vec<Tool> {
    let mut out = vec![tools::KUSTOMIZE];
    if project.cloud.provider == Provider::Azure {
        out.push(tools::KUBELOGIN);
    }
    if !project.delivery.gitops
        && project
            .services
            .iter()
            .any(|s| s.workload == WorkloadKind::Rollout)
    {
        out.push(tools::ARGO_ROLLOUTS);
    }
    out
}

/// The commands a deploy job calls that the runner must provide.
fn deploy_commands(project: &Project) -> Vec<&'static str> {
    let mut out = vec!["curl", "jq", "git", "kubectl", "sha256sum", "base64"];
    match project.cloud.provider {
        Provider::Aws => out.push("aws"),
        Provider::Gcp => {}
        Provider::Azure => out.extend(["az", "unzip"]),
    }
    if project.delivery.gitops {
        out.push("ssh");
    } else {
        out.push("timeout");
    }
    if project
        .environments
        .iter()
        .any(|e| e.services.iter().any(|s| s.host.is_some()))
    {
        out.push("getent");
    }
    out
}

fn deploy_services(project: &Project) -> Vec<DeployService> {
    project
        .services
        .iter()
        .enumerate()
        .map(|(i, s)| DeployService {
            name: s.name.clone(),
            workload: s.names.workload.clone(),
            preview_service: s.names.preview_service.clone(),
            kustomize_image: s.names.kustomize_image.clone(),
            resource: resource(s.workload),
            revision_path: match s.workload {
                WorkloadKind::Deployment => {
                    r"{.metadata.annotations.deployment\.kubernetes\.io/revision}"
                }
                WorkloadKind::Rollout => r"{.metadata.annotations.rollout\.argoproj\.io/revision}",
                WorkloadKind::CronJob => {
                    "{.spec.jobTemplate.spec.template.spec.containers[0].image}"
                }
            },
            probe_path: if s.kind == ServiceKind::Web {
                s.health_path.clone().unwrap_or_default()
            } else {
                String::new()
            },
            local_port: 18080 + u16::try_from(i).unwrap_or(0),
        })
        .collect()
}

/// The kubectl resource name of a workload kind.
pub fn resource(kind: WorkloadKind) -> &'static str {
    match kind {
        WorkloadKind::Deployment => "deployment",
        WorkloadKind::Rollout => "rollout",
        WorkloadKind::CronJob => "cronjob",
    }
}

fn deploy_stage(project: &Project, stage: Stage, env: &Environment) -> DeployStage {
    let provider = project.cloud.provider;
    let dispatch = format!(
        "(github.event_name == 'workflow_dispatch' && inputs.environment == '{}')",
        env.name
    );
    let (needs, automatic) = match &env.trigger {
        Trigger::Push { branch } => (
            "source".to_owned(),
            format!(
                "(github.event_name == 'workflow_run' && github.event.workflow_run.head_branch == '{branch}')"
            ),
        ),
        Trigger::Promotion { from } => (
            format!("[source, deploy-{from}]"),
            format!(
                "(github.event_name == 'workflow_run' && needs.deploy-{from}.result == 'success')"
            ),
        ),
    };
    let condition = folded_condition(
        &[
            "!cancelled()".to_owned(),
            "needs.source.result == 'success'".to_owned(),
        ],
        &[automatic, dispatch],
    );
    let deploy_client = variables::azure_deploy_client_id();
    let gcp_project = super::gcp_project_variable(env);
    let deploy_login = Login::new(
        project,
        &env.names.ci_identity,
        &format!("vars.{deploy_client}"),
        &gcp_project,
    );
    let mut variables = variables::login_variables(
        project,
        &env.names.github_environment,
        &deploy_client,
        &gcp_project,
    );
    let mut annotation_env: Vec<(String, String)> = Vec::new();
    let mut annotations = Vec::new();
    match provider {
        Provider::Aws => annotation_env.push((
            "AWS_ACCOUNT_ID".to_owned(),
            "${{ vars.AWS_ACCOUNT_ID }}".to_owned(),
        )),
        // The environment's project (its own with `separate_account`), where its workload
        // service accounts and its secrets live.
        Provider::Gcp => annotation_env.push((
            "GCP_PROJECT_ID".to_owned(),
            format!("${{{{ vars.{gcp_project} }}}}"),
        )),
        Provider::Azure => annotation_env.push((
            "AZURE_TENANT_ID".to_owned(),
            "${{ vars.AZURE_TENANT_ID }}".to_owned(),
        )),
    }
    // Every workload identity of the access model: each service's, and the database setup
    // Job's, whose ServiceAccount (`database-setup`) the overlay has too.
    for workload in project.identities().into_iter().filter(|i| {
        i.purpose == scaffold_core::access::Purpose::Workload
            && i.environment.as_deref() == Some(env.name.as_str())
    }) {
        let identity = &workload.name;
        let Some(account) = workload.service_account.clone() else {
            continue;
        };
        let owner = workload.service.clone().unwrap_or_else(|| account.clone());
        match provider {
            Provider::Aws => annotations.push(Annotation {
                service_account: account,
                key: "eks.amazonaws.com/role-arn",
                value: format!("arn:aws:iam::${{AWS_ACCOUNT_ID}}:role/{identity}"),
            }),
            Provider::Gcp => annotations.push(Annotation {
                service_account: account,
                key: "iam.gke.io/gcp-service-account",
                value: format!("{identity}@${{GCP_PROJECT_ID}}.iam.gserviceaccount.com"),
            }),
            Provider::Azure => {
                // The client id is a Terraform output recorded as a variable of this GitHub
                // environment: the deploy identity cannot read managed identities.
                let variable = variables::azure_workload_client_id(&owner);
                annotation_env.push((variable.clone(), format!("${{{{ vars.{variable} }}}}")));
                variables.push(variables::required(
                    project,
                    &variable,
                    Some(&env.names.github_environment),
                ));
                annotations.push(Annotation {
                    service_account: account.clone(),
                    key: "azure.workload.identity/client-id",
                    value: format!("${variable}"),
                });
                // External Secrets' Key Vault provider reads the tenant from the same ServiceAccount.
                annotations.push(Annotation {
                    service_account: account,
                    key: "azure.workload.identity/tenant-id",
                    value: "$AZURE_TENANT_ID".to_owned(),
                });
            }
        }
    }
    let checks = &stage.checks;
    let has_service_checks = project.port_forwards(env);
    let has_url_checks = checks.iter().any(|c| matches!(c, Check::Url { .. }));
    DeployStage {
        needs,
        condition,
        url: env.domain.as_ref().map(|d| format!("https://{d}")),
        namespace: env.names.namespace.clone(),
        overlay_dir: env.names.overlay_dir.clone(),
        cluster: env.names.cluster.clone(),
        cluster_location: env.cluster_location.clone(),
        resource_group: env.names.resource_group.clone(),
        gcp_project: format!("${{{{ vars.{gcp_project} }}}}"),
        argocd_application: env.names.argocd_application.clone(),
        deploy_login,
        variables,
        annotation_env,
        annotations,
        secret_stores: if provider == Provider::Gcp {
            // Each service's that reads secrets, and the database setup Job's.
            project
                .services
                .iter()
                .filter(|s| !s.uses.is_empty())
                .map(|s| s.name.clone())
                .chain(
                    (!project.database_setups(env).is_empty())
                        .then(|| scaffold_core::names::DATABASE_SETUP.to_owned()),
                )
                .collect()
        } else {
            Vec::new()
        },
        blue_green: project.delivery.strategy == Strategy::BlueGreen,
        has_service_checks,
        has_url_checks,
        stage,
    }
}
