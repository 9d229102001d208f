//! The context of `infrastructure.yml`: per environment a plan job in `<env>-plan`, an apply
//! job in `<env>-infra` that applies exactly the reviewed plan file and plans the platform
//! root, and a second `<env>-infra` job that applies the platform plan.
//!
//! Infrastructure follows the application's path: an environment is planned and applied
//! after pushes to the branch its images come from, and after the environment it is
//! promoted from has been applied in the same run; production's plan never runs on a pull
//! request.

use std::collections::BTreeMap;

use scaffold_core::names::{HOSTED_RUNNER, INFRA_RUNNER_VARIABLE, TERRAFORM_DIR};
use scaffold_core::project::Trigger;
use scaffold_core::vocabulary::Provider;
use scaffold_core::{Environment, Project};
use serde::Serialize;

use super::deploy::{
    JobPreflight, Preflight, RequiredVariable, folded_condition, runner_expression,
};
use super::tools::{self, Tool};
use super::{Login, TERRAFORM_VERSION, variables};

/// The variable of each `<env>-plan` GitHub environment holding the RSA public key plans are
/// encrypted with.
pub const PLAN_PUBLIC_KEY_VARIABLE: &str = "TERRAFORM_PLAN_PUBLIC_KEY";
/// The secret of each `<env>-infra` GitHub environment holding the matching private key.
pub const PLAN_PRIVATE_KEY_SECRET: &str = "TERRAFORM_PLAN_PRIVATE_KEY";

/// The names of the plan encryption key.
#[derive(Debug, Clone, Serialize)]
pub struct PlanKey {
    /// The public key's variable.
    pub public_variable: &'static str,
    /// The private key's secret.
    pub private_secret: &'static str,
}

/// What the state preflight checks.
#[derive(Debug, Clone, Serialize)]
pub struct StateCheck {
    /// Azure: the state storage account, listed with the job's login.
    pub storage_account: Option<String>,
    /// Azure: its container.
    pub container: String,
    /// AWS and GCP: the API endpoints Terraform calls, which must answer.
    pub endpoints: Vec<String>,
}

/// One environment's infrastructure jobs.
#[derive(Debug, Clone, Serialize)]
pub struct InfraStage {
    /// The environment's name.
    pub name: String,
    /// `plan-<env>`.
    pub plan_job: String,
    /// `apply-<env>`.
    pub apply_job: String,
    /// `apply-<env>-platform`.
    pub platform_job: String,
    /// The plan job's GitHub environment.
    pub plan_environment: String,
    /// The apply jobs' GitHub environment.
    pub infra_environment: String,
    /// The cloud root.
    pub terraform_dir: String,
    /// The platform root (cluster add-ons, namespace, deploy RBAC), applied after the cloud root.
    pub platform_dir: String,
    /// The branch whose pushes plan and apply it.
    pub source_branch: String,
    /// The environment whose applies it waits for, in words, when it is promoted.
    pub after: Option<String>,
    /// The plan job's `needs:`.
    pub plan_needs: String,
    /// The plan job's `if:`, as the lines of a folded scalar.
    pub plan_condition: Vec<String>,
    /// Whether pull requests plan it (every environment but production).
    pub on_pull_request: bool,
    /// Whether pushes plan and apply it (always; kept for the templates' clarity).
    pub on_push: bool,
    /// What pull requests do for it, in one sentence.
    pub pull_request_sentence: String,
    /// Whether a reviewer approves its applies.
    pub approval: bool,
    /// Whether plans take the state lock (the plan identity may lock, except on Azure).
    pub plan_lock: bool,
    /// Login of the plan identity.
    pub plan_login: Login,
    /// Login of the apply identity.
    pub apply_login: Login,
    /// The plan job's environment variables.
    pub plan_env: Vec<(String, String)>,
    /// The apply jobs' environment variables.
    pub apply_env: Vec<(String, String)>,
    /// The plan job's variables, checked first.
    pub plan_preflight: JobPreflight,
    /// The apply jobs' variables, checked first.
    pub apply_preflight: JobPreflight,
    /// GCP: the expression of the environment's project id (`get-gke-credentials`).
    pub gcp_project: String,
    /// The cluster name.
    pub cluster: String,
    /// Where the cluster runs.
    pub cluster_location: String,
    /// The Azure resource group of the cluster.
    pub resource_group: String,
}

/// Context of `infrastructure.yml`.
#[derive(Debug, Serialize)]
pub struct InfraContext<'a> {
    /// The model.
    pub project: &'a Project,
    /// Rendered `uses:` values by action path.
    pub pins: BTreeMap<&'static str, String>,
    /// The GitHub-hosted runner of jobs that reach nothing private.
    pub runner: &'static str,
    /// The `runs-on:` of Terraform jobs.
    pub infra_runner: String,
    /// The repository variable naming the Terraform runners.
    pub runner_variable: &'static str,
    /// The Terraform version constraint `setup-terraform` installs.
    pub terraform_version: &'static str,
    /// Every Terraform root, validated on each change.
    pub terraform_roots: Vec<String>,
    /// The branches whose pushes apply an environment.
    pub push_branches: Vec<String>,
    /// The environments, in promotion order.
    pub stages: Vec<InfraStage>,
    /// The tools the apply jobs install (kubelogin on AKS).
    pub tools: Vec<Tool>,
    /// The first step's runner check.
    pub preflight: Preflight,
    /// What the state preflight checks.
    pub state: StateCheck,
    /// The plan encryption key's names.
    pub plan_key: PlanKey,
}

/// The platform root of `env`: cluster add-ons, the namespace and the deploy RBAC.
pub fn platform_dir(env: &Environment) -> String {
    format!("{}/platform", env.names.terraform_dir)
}

/// The context of `infrastructure.yml` for `project`.
pub fn context<'a>(project: &'a Project, pins: BTreeMap<&'static str, String>) -> InfraContext<'a> {
    let stages: Vec<InfraStage> = project
        .environments
        .iter()
        .map(|env| stage(project, env))
        .collect();
    let mut push_branches: Vec<String> = Vec::new();
    for s in &stages {
        if !push_branches.contains(&s.source_branch) {
            push_branches.push(s.source_branch.clone());
        }
    }
    let mut terraform_roots = vec![format!("{TERRAFORM_DIR}/bootstrap")];
    for s in &stages {
        terraform_roots.push(s.terraform_dir.clone());
        terraform_roots.push(s.platform_dir.clone());
    }
    let region = &project.cloud.region;
    let state = match project.cloud.provider {
        Provider::Azure => StateCheck {
            storage_account: Some(project.names.state_storage_account.clone()),
            container: project.names.state_container.clone(),
            endpoints: Vec::new(),
        },
        Provider::Aws => StateCheck {
            storage_account: None,
            container: String::new(),
            endpoints: vec![
                format!("https://sts.{region}.amazonaws.com"),
                format!("https://s3.{region}.amazonaws.com"),
                format!("https://secretsmanager.{region}.amazonaws.com"),
            ],
        },
        Provider::Gcp => StateCheck {
            storage_account: None,
            container: String::new(),
            endpoints: vec![
                "https://storage.googleapis.com".to_owned(),
                "https://secretmanager.googleapis.com".to_owned(),
            ],
        },
    };
    let mut commands = vec![
        "curl",
        "jq",
        "git",
        "openssl",
        "sha256sum",
        "kubectl",
        "base64",
    ];
    match project.cloud.provider {
        Provider::Aws => commands.push("aws"),
        Provider::Gcp => {}
        Provider::Azure => commands.extend(["az", "unzip"]),
    }
    InfraContext {
        project,
        pins,
        runner: HOSTED_RUNNER,
        infra_runner: runner_expression(INFRA_RUNNER_VARIABLE),
        runner_variable: INFRA_RUNNER_VARIABLE,
        terraform_version: TERRAFORM_VERSION,
        terraform_roots,
        push_branches,
        stages,
        tools: if project.cloud.provider == Provider::Azure {
            vec![tools::KUBELOGIN]
        } else {
            Vec::new()
        },
        preflight: Preflight {
            runner_label: format!("${{{{ vars.{INFRA_RUNNER_VARIABLE} }}}}"),
            hosted: HOSTED_RUNNER,
            commands,
        },
        state,
        plan_key: PlanKey {
            public_variable: PLAN_PUBLIC_KEY_VARIABLE,
            private_secret: PLAN_PRIVATE_KEY_SECRET,
        },
    }
}

fn stage(project: &Project, env: &Environment) -> InfraStage {
    let names = &env.names;
    let source_branch = project.source_branch(env).to_owned();
    let plan_client = variables::azure_plan_client_id();
    let apply_client = variables::azure_apply_client_id();
    let same_repository =
        "github.event.pull_request.head.repo.full_name == github.repository".to_owned();
    let on_pull_request = !env.production;
    let (plan_needs, after_applies, after) = match &env.trigger {
        Trigger::Promotion { from } => (
            format!("[check, apply-{from}, apply-{from}-platform]"),
            format!(
                " && needs.apply-{from}.result == 'success' && (needs.apply-{from}-platform.result == 'success' || needs.apply-{from}-platform.result == 'skipped')"
            ),
            Some(format!("`{from}`")),
        ),
        Trigger::Push { .. } => ("check".to_owned(), String::new(), None),
    };
    let push = format!(
        "(github.event_name == 'push' && github.ref_name == '{source_branch}'{after_applies})"
    );
    let mut alternatives = Vec::new();
    if on_pull_request {
        alternatives.push(format!(
            "(github.event_name == 'pull_request' && {same_repository})"
        ));
    }
    alternatives.push(push);
    let plan_condition = folded_condition(
        &[
            "!cancelled()".to_owned(),
            "needs.check.result == 'success'".to_owned(),
        ],
        &alternatives,
    );
    let pull_request_sentence = if on_pull_request {
        format!(
            "pull requests (from this repository; forks get no OIDC token) plan it in `{}` and show the plan in the job summary.",
            names.plan_environment
        )
    } else {
        format!(
            "never planned on a pull request: `{}` admits only `{source_branch}`, so production is planned after merge.",
            names.plan_environment
        )
    };
    let gcp_project = super::gcp_project_variable(env);
    let mut plan_preflight =
        variables::login_variables(project, &names.plan_environment, &plan_client, &gcp_project);
    let mut apply_preflight = variables::login_variables(
        project,
        &names.infra_environment,
        &apply_client,
        &gcp_project,
    );
    plan_preflight.push(RequiredVariable::new(
        PLAN_PUBLIC_KEY_VARIABLE,
        format!(
            "the variable {PLAN_PUBLIC_KEY_VARIABLE} of GitHub environment {} is empty: scripts/github-setup.sh creates the plan encryption key",
            names.plan_environment
        ),
    ));
    plan_preflight.dedup();
    apply_preflight.dedup();
    InfraStage {
        name: env.name.clone(),
        plan_job: format!("plan-{}", env.name),
        apply_job: format!("apply-{}", env.name),
        platform_job: format!("apply-{}-platform", env.name),
        plan_environment: names.plan_environment.clone(),
        infra_environment: names.infra_environment.clone(),
        terraform_dir: names.terraform_dir.clone(),
        platform_dir: platform_dir(env),
        source_branch,
        after,
        plan_needs,
        plan_condition,
        on_pull_request,
        on_push: true,
        pull_request_sentence,
        approval: env.approval,
        plan_lock: project.cloud.provider != Provider::Azure,
        plan_login: Login::new(
            project,
            &names.plan_identity,
            &format!("vars.{plan_client}"),
            &gcp_project,
        ),
        apply_login: Login::new(
            project,
            &names.terraform_identity,
            &format!("vars.{apply_client}"),
            &gcp_project,
        ),
        plan_env: terraform_env(project, &plan_client, &gcp_project),
        apply_env: terraform_env(project, &apply_client, &gcp_project),
        gcp_project: format!("${{{{ vars.{gcp_project} }}}}"),
        plan_preflight: JobPreflight {
            variables: plan_preflight,
        },
        apply_preflight: JobPreflight {
            variables: apply_preflight,
        },
        cluster: names.cluster.clone(),
        cluster_location: env.cluster_location.clone(),
        resource_group: names.resource_group.clone(),
    }
}

/// The `TF_VAR_*` variables Terraform reads from GitHub variables, and on Azure the azurerm
/// OIDC settings for the identity whose client id is in variable `azure_client`. On GCP
/// `project_id` is the environment's project, the variable `gcp_project` (its own with
/// `separate_account`); the project number is the shared project's, whose workload
/// identity pool the roots name.
pub fn terraform_env(
    project: &Project,
    azure_client: &str,
    gcp_project: &str,
) -> Vec<(String, String)> {
    let var = |name: &str, expr: &str| (name.to_owned(), format!("${{{{ vars.{expr} }}}}"));
    match project.cloud.provider {
        Provider::Aws => vec![var("TF_VAR_aws_account_id", "AWS_ACCOUNT_ID")],
        Provider::Gcp => vec![
            var("TF_VAR_project_id", gcp_project),
            var("TF_VAR_project_number", "GCP_PROJECT_NUMBER"),
        ],
        Provider::Azure => vec![
            var("TF_VAR_subscription_id", "AZURE_SUBSCRIPTION_ID"),
            var("TF_VAR_tenant_id", "AZURE_TENANT_ID"),
            ("ARM_USE_OIDC".to_owned(), "\"true\"".to_owned()),
            var("ARM_CLIENT_ID", azure_client),
            var("ARM_TENANT_ID", "AZURE_TENANT_ID"),
            var("ARM_SUBSCRIPTION_ID", "AZURE_SUBSCRIPTION_ID"),
        ],
    }
}
