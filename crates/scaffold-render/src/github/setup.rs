//! The context of `scripts/github-setup.sh`, which configures GitHub the way the workflows
//! expect it: environments with their protection rules, the variables the jobs read (from
//! the Terraform outputs that hold them), the plan encryption keys, and with GitOps the
//! deploy key and ruleset of the desired-state branch.
//!
//! Which branches may use which GitHub environment follows from the pipeline: deploy jobs
//! run from `workflow_run`, which always runs the default branch's workflow, so a deploy
//! environment admits only the default branch; an apply environment admits the branch its
//! environment's images come from; production's plan environment admits only that branch too
//! (it is planned after merge), while the other plan environments admit every branch because
//! pull requests plan them.

use scaffold_core::Project;
use serde::Serialize;

use super::deploy::{DESIRED_STATE_KEY_SECRET, DESIRED_STATE_KEY_TITLE, DESIRED_STATE_RULESET};
use super::infra::{PLAN_PRIVATE_KEY_SECRET, PLAN_PUBLIC_KEY_VARIABLE, PlanKey};

/// Where the setup script is written.
pub const SETUP_SCRIPT: &str = "scripts/github-setup.sh";
/// The ruleset the script creates on the default branch.
pub const DEFAULT_BRANCH_RULESET: &str = "scaffold default branch";

/// One GitHub environment the script creates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetupEnvironment {
    /// Its name.
    pub name: String,
    /// Whether it has required reviewers.
    pub reviewers: bool,
    /// The branches that may use it; empty for every branch.
    pub branches: Vec<String>,
    /// What runs in it, for the comment above its line.
    pub purpose: String,
}

/// A reviewer from `[app] owners`.
#[derive(Debug, Clone, Serialize)]
pub struct Reviewer {
    /// `User` or `Team`.
    pub kind: &'static str,
    /// The API path that returns its id.
    pub path: String,
}

/// A variable the script sets.
#[derive(Debug, Clone, Serialize)]
pub struct SetupVariable {
    /// The variable's name.
    pub name: String,
    /// The GitHub environment it is set in; empty for a repository variable.
    pub environment: String,
    /// The Terraform output holding its value.
    pub output: Option<SetupOutput>,
    /// The shell variable that overrides the output, or provides the value without one:
    /// the variable's name, suffixed with the environment's for a per-environment value.
    pub shell: String,
}

/// A Terraform output the script reads a value from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetupOutput {
    /// The root module directory (`infra/bootstrap`, `infra/environments/<env>`).
    pub root: String,
    /// The output's name.
    pub name: String,
}

/// Where the value of `variable` comes from: the Terraform output core names for every
/// variable Terraform creates (`names::github_variables`; `tests/cross_family.rs` checks
/// each output exists in the rendered root), or none for values the team supplies.
fn output_of(variable: &scaffold_core::names::GithubVariable) -> Option<SetupOutput> {
    variable.output.as_ref().map(|output| SetupOutput {
        root: output.root.clone(),
        name: output.name.clone(),
    })
}

/// The GitOps part of the script.
#[derive(Debug, Clone, Serialize)]
pub struct SetupGitops {
    /// The desired-state branch.
    pub branch: String,
    /// Its full ref, which the ruleset matches.
    pub r#ref: String,
    /// The environment secret with the deploy key.
    pub key_secret: &'static str,
    /// The deploy key's title.
    pub key_title: &'static str,
    /// The ruleset's name.
    pub ruleset: &'static str,
    /// The deploy GitHub environments that get the key.
    pub environments: Vec<String>,
}

/// The default branch's ruleset.
#[derive(Debug, Clone, Serialize)]
pub struct DefaultRuleset {
    /// Its name.
    pub name: &'static str,
    /// Whether a code owner must approve (only when owners are known).
    pub code_owners: bool,
}

/// Context of the setup script.
#[derive(Debug, Serialize)]
pub struct SetupContext {
    /// `owner/name`.
    pub repository: String,
    /// The default branch.
    pub default_branch: String,
    /// The GitHub environments.
    pub environments: Vec<SetupEnvironment>,
    /// The reviewers of gated environments.
    pub reviewers: Vec<Reviewer>,
    /// Whether any environment needs reviewers.
    pub needs_reviewers: bool,
    /// The variables.
    pub variables: Vec<SetupVariable>,
    /// (plan environment, apply environment) per environment: the plan key pairs.
    pub plan_keys: Vec<(String, String)>,
    /// The plan key's names.
    pub plan_key: PlanKey,
    /// With GitOps, the desired-state branch's key and ruleset.
    pub gitops: Option<SetupGitops>,
    /// The default branch's ruleset.
    pub default_ruleset: DefaultRuleset,
}

/// The GitHub environments of `project`, deploy, plan and apply per environment.
pub fn environments(project: &Project) -> Vec<SetupEnvironment> {
    let mut out = Vec::new();
    for env in &project.environments {
        let source = project.source_branch(env).to_owned();
        let names = &env.names;
        out.push(SetupEnvironment {
            name: names.github_environment.clone(),
            reviewers: env.approval,
            branches: vec![project.default_branch.clone()],
            purpose: format!(
                "{}: deploy.yml's deploy job (it runs from the default branch on workflow_run)",
                env.name
            ),
        });
        out.push(SetupEnvironment {
            name: names.plan_environment.clone(),
            reviewers: false,
            branches: if env.production {
                vec![source.clone()]
            } else {
                Vec::new()
            },
            purpose: if env.production {
                format!(
                    "{}: infrastructure.yml's plan job, after merge to {source} only",
                    env.name
                )
            } else {
                format!(
                    "{}: infrastructure.yml's plan job, also on pull requests",
                    env.name
                )
            },
        });
        out.push(SetupEnvironment {
            name: names.infra_environment.clone(),
            reviewers: env.approval,
            branches: vec![source],
            purpose: format!("{}: infrastructure.yml's apply jobs", env.name),
        });
    }
    out
}

/// The reviewers named by `[app] owners`: `@user` or `@org/team` (e-mail owners have no id).
fn reviewers(project: &Project) -> Vec<Reviewer> {
    project
        .app
        .owners
        .iter()
        .filter_map(|owner| {
            let handle = owner.strip_prefix('@')?;
            Some(match handle.split_once('/') {
                Some((org, team)) => Reviewer {
                    kind: "Team",
                    path: format!("orgs/{org}/teams/{team}"),
                },
                None => Reviewer {
                    kind: "User",
                    path: format!("users/{handle}"),
                },
            })
        })
        .collect()
}

/// The context of the setup script for `project`.
pub fn context(project: &Project) -> SetupContext {
    let mut variables = Vec::new();
    for v in &project.github_variables {
        let per_environment = |github_environment: fn(&scaffold_core::Environment) -> &String| {
            project
                .environments
                .iter()
                .map(|e| SetupVariable {
                    name: v.name.clone(),
                    environment: github_environment(e).clone(),
                    output: output_of(v),
                    shell: format!(
                        "{}_{}",
                        v.name,
                        scaffold_core::names::env_var_prefix(&e.name)
                    ),
                })
                .collect::<Vec<_>>()
        };
        if let Some(github_environment) = &v.environment {
            // A value for one GitHub environment only (an environment in its own account).
            variables.push(SetupVariable {
                name: v.name.clone(),
                environment: github_environment.clone(),
                output: output_of(v),
                shell: format!(
                    "{}_{}",
                    v.name,
                    scaffold_core::names::env_var_prefix(github_environment)
                ),
            });
            continue;
        }
        match v.scope.as_str() {
            "environment" => variables.extend(per_environment(|e| &e.names.github_environment)),
            "infra environment" => {
                variables.extend(per_environment(|e| &e.names.infra_environment))
            }
            _ => variables.push(SetupVariable {
                name: v.name.clone(),
                environment: String::new(),
                output: output_of(v),
                shell: v.name.clone(),
            }),
        }
    }
    SetupContext {
        repository: project.repository.full.clone(),
        default_branch: project.default_branch.clone(),
        environments: environments(project),
        reviewers: reviewers(project),
        needs_reviewers: project.environments.iter().any(|e| e.approval),
        variables,
        plan_keys: project
            .environments
            .iter()
            .map(|e| {
                (
                    e.names.plan_environment.clone(),
                    e.names.infra_environment.clone(),
                )
            })
            .collect(),
        plan_key: PlanKey {
            public_variable: PLAN_PUBLIC_KEY_VARIABLE,
            private_secret: PLAN_PRIVATE_KEY_SECRET,
        },
        gitops: project.delivery.gitops.then(|| SetupGitops {
            branch: project.names.gitops_branch.clone(),
            r#ref: format!("refs/heads/{}", project.names.gitops_branch),
            key_secret: DESIRED_STATE_KEY_SECRET,
            key_title: DESIRED_STATE_KEY_TITLE,
            ruleset: DESIRED_STATE_RULESET,
            environments: project
                .environments
                .iter()
                .map(|e| e.names.github_environment.clone())
                .collect(),
        }),
        default_ruleset: DefaultRuleset {
            name: DEFAULT_BRANCH_RULESET,
            code_owners: !project.app.owners.is_empty(),
        },
    }
}
