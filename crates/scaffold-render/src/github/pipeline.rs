//! The delivery pipeline, decided once: what starts each environment, what it deploys,
//! who approves it, how it is verified and how it rolls back.
//!
//! `deploy.yml` is rendered from these [`Stage`]s, and so are the handbook's CI/CD
//! section, the deploy and rollback runbooks and the task plan, so a sentence in the docs
//! cannot describe a job that does something else. Each stage is computed from the
//! model's [`Trigger`] of its environment; the first environment always has a way in (it
//! deploys after CI on its branch, the default branch unless it names one).

use scaffold_core::names::DOCS_DIR;
use scaffold_core::project::Trigger;
use scaffold_core::vocabulary::{Strategy, WorkloadKind};
use scaffold_core::{Environment, Project};
use serde::Serialize;

pub use scaffold_core::verify::Check;

/// What starts a stage, as the docs say it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StageTrigger {
    /// `push` or `promotion`.
    pub kind: &'static str,
    /// The branch whose successful CI runs start it (push).
    pub branch: Option<String>,
    /// The environment it follows (promotion).
    pub from: Option<String>,
    /// The deploy job it follows (promotion).
    pub from_job: Option<String>,
}

/// One environment's place in the delivery pipeline.
#[derive(Debug, Clone, Serialize)]
pub struct Stage {
    /// The environment's name.
    pub name: String,
    /// The deploy job id, `deploy-<env>`.
    pub job: String,
    /// The GitHub environment the job runs in (its protection rules gate it).
    pub github_environment: String,
    /// What starts it.
    pub trigger: StageTrigger,
    /// The branch whose CI builds it deploys.
    pub source_branch: String,
    /// The environment before it, when that one deploys images built on another branch:
    /// this environment's images are then a rebuild, not the digests running there.
    pub rebuild_of: Option<String>,
    /// Whether a reviewer approves it (a protection rule of its GitHub environment).
    pub approval: bool,
    /// What starts it, in one sentence (no final period).
    pub trigger_sentence: String,
    /// What it deploys, in one sentence.
    pub deploys_sentence: String,
    /// Who approves, in one sentence.
    pub approval_sentence: String,
    /// How a blue-green release is promoted, when the strategy is blue-green.
    pub promotion_sentence: Option<String>,
    /// How the job verifies the release, in one sentence.
    pub verify_sentence: String,
    /// How the job rolls back, in one sentence.
    pub rollback_sentence: String,
    /// The checks from outside, per service.
    pub checks: Vec<Check>,
    /// Whether Argo Rollouts promotes a blue-green release on its own.
    pub auto_promotion: bool,
}

/// The stages of `project`, in promotion order.
pub fn stages(project: &Project) -> Vec<Stage> {
    project
        .environments
        .iter()
        .enumerate()
        .map(|(i, env)| {
            let previous = i.checked_sub(1).map(|j| &project.environments[j]);
            stage(project, env, previous)
        })
        .collect()
}

fn stage(project: &Project, env: &Environment, previous: Option<&Environment>) -> Stage {
    let source_branch = project.source_branch(env).to_owned();
    let gitops = project.delivery.gitops;
    let trigger = match &env.trigger {
        Trigger::Push { branch } => StageTrigger {
            kind: "push",
            branch: Some(branch.clone()),
            from: None,
            from_job: None,
        },
        Trigger::Promotion { from } => StageTrigger {
            kind: "promotion",
            branch: None,
            from: Some(from.clone()),
            from_job: Some(format!("deploy-{from}")),
        },
    };
    let rebuild_of = previous
        .filter(|p| project.source_branch(p) != source_branch)
        .map(|p| p.name.clone());
    let trigger_sentence = match &env.trigger {
        Trigger::Push { branch } => {
            format!("after CI succeeds on a push to `{branch}`")
        }
        Trigger::Promotion { from } => format!("after `{from}` deploys successfully"),
    };
    let deploys_sentence = match (&env.trigger, &rebuild_of) {
        (Trigger::Promotion { from }, _) => {
            format!("the same image digests `{from}` just deployed; nothing is rebuilt")
        }
        (Trigger::Push { branch }, Some(before)) => format!(
            "the image digests that CI run built on `{branch}`: a rebuild by design, not the digests running in `{before}`, which deploys from `{}`",
            project.source_branch(previous.expect("a rebuild has an environment before it"))
        ),
        (Trigger::Push { branch }, None) => {
            format!("the image digests that CI run built on `{branch}`")
        }
    };
    let approval_sentence = if env.approval {
        format!(
            "a required reviewer of the GitHub environment `{}` approves the waiting job",
            env.names.github_environment
        )
    } else {
        "no one: it deploys without waiting".to_owned()
    };
    let auto_promotion = project.auto_promotion(env);
    let promotion_sentence = (project.delivery.strategy == Strategy::BlueGreen).then(|| {
        if auto_promotion {
            "automatic: Argo Rollouts switches traffic to the new version once it is ready and its pre-promotion analysis passed".to_owned()
        } else {
            "by the deploy job, no person: the new version waits behind the preview Service, the job checks it from outside the pods, then runs `kubectl argo rollouts promote`".to_owned()
        }
    });
    let checks = project.checks(env);
    let verify_sentence = verify_sentence(project, &checks);
    let rollback_sentence = if gitops {
        format!(
            "it reverts its commit on `{}`; Argo CD syncs the previous desired state and the job waits for it to be Healthy again",
            project.names.gitops_branch
        )
    } else if project.delivery.strategy.uses_rollouts() {
        "`kubectl argo rollouts abort` sends all traffic back to the stable version at once, then `kubectl argo rollouts undo` returns each Rollout the release changed to its previous revision (Deployments: `kubectl rollout undo`; CronJobs: their previous image)".to_owned()
    } else {
        "`kubectl rollout undo` returns each Deployment the release changed to its previous revision (CronJobs: their previous image)".to_owned()
    };
    Stage {
        name: env.name.clone(),
        job: format!("deploy-{}", env.name),
        github_environment: env.names.github_environment.clone(),
        trigger,
        source_branch,
        rebuild_of,
        approval: env.approval,
        trigger_sentence,
        deploys_sentence,
        approval_sentence,
        promotion_sentence,
        verify_sentence,
        rollback_sentence,
        checks,
        auto_promotion,
    }
}

fn verify_sentence(project: &Project, checks: &[Check]) -> String {
    let waits = if project.delivery.gitops {
        format!(
            "it waits until Argo CD reports the `Application` Synced to its commit and Healthy (every workload rolled out, every pod ready){}",
            if project.delivery.strategy.uses_rollouts() {
                ", which includes the Rollouts' analysis"
            } else {
                ""
            }
        )
    } else if project
        .services
        .iter()
        .any(|s| s.workload == WorkloadKind::Rollout)
    {
        "it waits for each Rollout with `kubectl argo rollouts status` (every step and analysis) and each Deployment with `kubectl rollout status`".to_owned()
    } else {
        "it waits for each Deployment with `kubectl rollout status`".to_owned()
    };
    if checks.is_empty() {
        return format!(
            "{waits}; no service answers requests from outside, so nothing more is checked"
        );
    }
    let list: Vec<String> = checks.iter().map(Check::sentence).collect();
    format!(
        "{waits}, then checks each service from outside its pods: {}; a failed check fails the job, which rolls back",
        list.join("; ")
    )
}

/// The task in the task plan that creates DNS records, which the URL checks need.
pub const DNS_TASK: &str = "DO-050";

/// Where the task plan lives, for messages in the workflows.
pub fn tasks_path() -> String {
    format!("{DOCS_DIR}/tasks.md")
}

/// One identity as the handbook's access table shows it.
#[derive(Debug, Clone, Serialize)]
pub struct IdentityRow {
    /// The cloud name.
    pub name: String,
    /// The jobs (or pods) that use it.
    pub used_by: String,
    /// The tokens it accepts, in words: subject, and workflow where the cloud checks it.
    pub tokens: Vec<String>,
    /// What it may do, in words.
    pub operations: Vec<String>,
}

/// What the docs say about the pipeline beyond the stages: the same names the workflows use.
#[derive(Debug, Clone, Serialize)]
pub struct PipelineDoc {
    /// The setup script's path.
    pub setup_script: &'static str,
    /// The branches whose CI runs start a deployment (and whose pushes apply infrastructure).
    pub push_branches: Vec<String>,
    /// The infrastructure jobs per environment.
    pub infra: Vec<super::infra::InfraStage>,
    /// The plan public key's variable.
    pub plan_public_variable: &'static str,
    /// The plan private key's secret.
    pub plan_private_secret: &'static str,
    /// The deploy key secret of the desired-state branch.
    pub gitops_key_secret: &'static str,
    /// The ruleset guarding the desired-state branch.
    pub gitops_ruleset: &'static str,
    /// The GitHub-hosted runner image.
    pub hosted_runner: &'static str,
    /// `runs-on:` of deploy jobs.
    pub deploy_runner: String,
    /// `runs-on:` of Terraform jobs.
    pub infra_runner: String,
    /// The deploy runner variable.
    pub deploy_runner_variable: &'static str,
    /// The Terraform runner variable.
    pub infra_runner_variable: &'static str,
    /// Whether `[delivery] runners = "self-hosted"`.
    pub self_hosted: bool,
    /// The tools jobs install.
    pub tools: Vec<super::tools::Tool>,
    /// Every identity GitHub Actions or the pods assume.
    pub identities: Vec<IdentityRow>,
    /// Whether the strategy is blue-green (promotion sentences apply).
    pub blue_green: bool,
}

/// The pipeline facts the docs print, for `project`.
pub fn doc(project: &Project) -> PipelineDoc {
    use scaffold_core::access::{Operation, Purpose};
    use scaffold_core::names::{DEPLOY_RUNNER_VARIABLE, HOSTED_RUNNER, INFRA_RUNNER_VARIABLE};
    use scaffold_core::vocabulary::{Provider, Runners};

    let infra = super::infra::context(project, std::collections::BTreeMap::new()).stages;
    let mut push_branches: Vec<String> = Vec::new();
    for env in &project.environments {
        let branch = project.source_branch(env).to_owned();
        if !push_branches.contains(&branch) {
            push_branches.push(branch);
        }
    }
    let mut tools = super::deploy::deploy_tools(project);
    if project.cloud.provider == Provider::Azure && !tools.iter().any(|t| t.name == "kubelogin") {
        tools.push(super::tools::KUBELOGIN);
    }
    let identities = project
        .identities()
        .into_iter()
        .map(|identity| {
            let env = identity.environment.clone().unwrap_or_default();
            let used_by = match identity.purpose {
                Purpose::Build => "`ci.yml` build jobs on pushes (push the images)".to_owned(),
                Purpose::Plan => format!("`infrastructure.yml` job `plan-{env}`"),
                Purpose::Apply => {
                    format!("`infrastructure.yml` jobs `apply-{env}` and `apply-{env}-platform`")
                }
                Purpose::Deploy => format!("`deploy.yml` job `deploy-{env}`"),
                Purpose::Workload => match &identity.service {
                    Some(service) => format!("the pods of `{service}` in `{env}`"),
                    None => format!("the database setup Jobs in `{env}`"),
                },
            };
            let tokens = if identity.tokens.is_empty() {
                vec![format!(
                    "the Kubernetes service account `{}` in `{env}`",
                    identity.service_account.clone().unwrap_or_default()
                )]
            } else {
                identity
                    .tokens
                    .iter()
                    .map(|t| {
                        if project.cloud.provider == Provider::Azure {
                            format!("`{}`", t.subject)
                        } else {
                            format!("`{}` from `{}`", t.subject, t.workflow)
                        }
                    })
                    .collect()
            };
            let operations = identity
                .operations
                .iter()
                .map(|o| match o {
                    Operation::PushImages => "push and read the app's images".to_owned(),
                    Operation::ReadState => "read the environment's Terraform state".to_owned(),
                    Operation::LockState => "lock that state".to_owned(),
                    Operation::WriteState => "write that state".to_owned(),
                    Operation::ReadInfrastructure => {
                        "read the environment's resources (no secret values)".to_owned()
                    }
                    Operation::ManageInfrastructure => "create, change and delete the environment's resources, within a ceiling that keeps it from granting itself more or reaching other environments".to_owned(),
                    Operation::AdministerCluster => {
                        "administer the cluster (namespaces, RBAC, add-ons)".to_owned()
                    }
                    Operation::GetClusterCredentials => "fetch the cluster's credentials".to_owned(),
                    Operation::UseNamespace { namespace } => {
                        format!("use namespace `{namespace}` through its Kubernetes Role")
                    }
                    Operation::ReadSecret { secret } => format!("read secret `{secret}`"),
                })
                .collect();
            IdentityRow {
                name: identity.name,
                used_by,
                tokens,
                operations,
            }
        })
        .collect();
    PipelineDoc {
        setup_script: super::setup::SETUP_SCRIPT,
        push_branches,
        infra,
        plan_public_variable: super::infra::PLAN_PUBLIC_KEY_VARIABLE,
        plan_private_secret: super::infra::PLAN_PRIVATE_KEY_SECRET,
        gitops_key_secret: super::deploy::DESIRED_STATE_KEY_SECRET,
        gitops_ruleset: super::deploy::DESIRED_STATE_RULESET,
        hosted_runner: HOSTED_RUNNER,
        deploy_runner: super::deploy::runner_expression(DEPLOY_RUNNER_VARIABLE),
        infra_runner: super::deploy::runner_expression(INFRA_RUNNER_VARIABLE),
        deploy_runner_variable: DEPLOY_RUNNER_VARIABLE,
        infra_runner_variable: INFRA_RUNNER_VARIABLE,
        self_hosted: project.delivery.runners == Runners::SelfHosted,
        tools,
        identities,
        blue_green: project.delivery.strategy == Strategy::BlueGreen,
    }
}
