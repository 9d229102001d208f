//! The GitHub variables the generated jobs read, and what a job says when one is empty.
//!
//! Every job's first step checks the variables the job reads and, for an empty one, names
//! the variable, where it is set (the repository, or one GitHub environment) and where its
//! value comes from (the Terraform output the setup script reads, or the team).

use scaffold_core::Project;
use scaffold_core::vocabulary::Provider;

use super::deploy::RequiredVariable;

/// Azure: the variable holding the deploy identity's client id, set in each deploy
/// GitHub environment `<env>`.
pub fn azure_deploy_client_id() -> String {
    "AZURE_CLIENT_ID".to_owned()
}

/// Azure: the variable holding the apply identity's client id, set in each `<env>-infra`.
pub fn azure_apply_client_id() -> String {
    "AZURE_TERRAFORM_CLIENT_ID".to_owned()
}

/// Azure: the variable holding the client id of an environment's plan identity, set in its
/// GitHub environment `<env>-plan`, where the plan job runs (the same name in each).
pub fn azure_plan_client_id() -> String {
    scaffold_core::names::AZURE_PLAN_CLIENT_ID.to_owned()
}

/// Azure: the variable holding the client id of `service`'s workload identity, set in each
/// deploy GitHub environment (the ServiceAccount annotation `azure.workload.identity/client-id`).
pub fn azure_workload_client_id(service: &str) -> String {
    scaffold_core::names::azure_workload_client_id_variable(service)
}

/// The variables a cloud login reads: the account or project (on GCP the pool's project
/// number and the variable `gcp_project` of the service account's project), and on Azure
/// the client id variable `azure_client` of the job's GitHub environment.
pub fn login_variables(
    project: &Project,
    github_environment: &str,
    azure_client: &str,
    gcp_project: &str,
) -> Vec<RequiredVariable> {
    let names: Vec<&str> = match project.cloud.provider {
        Provider::Aws => vec!["AWS_ACCOUNT_ID"],
        Provider::Gcp => vec!["GCP_PROJECT_NUMBER", gcp_project],
        Provider::Azure => vec![azure_client, "AZURE_TENANT_ID", "AZURE_SUBSCRIPTION_ID"],
    };
    names
        .into_iter()
        .map(|name| required(project, name, Some(github_environment)))
        .collect()
}

/// The check of variable `name` in a job running in `github_environment` (`None`: outside
/// any GitHub environment).
pub fn required(
    project: &Project,
    name: &str,
    github_environment: Option<&str>,
) -> RequiredVariable {
    let known = project.github_variables.iter().find(|v| v.name == name);
    let scoped = known.is_some_and(|v| v.scope != "repository");
    let place = match (scoped, github_environment) {
        (true, Some(env)) => format!("the variable {name} of GitHub environment {env}"),
        _ => format!("the repository variable {name}"),
    };
    let source = match known.and_then(|v| v.output.as_ref()) {
        Some(output) => format!(
            "scripts/github-setup.sh sets it from the Terraform output {} of {} once that root is applied",
            output.name, output.root
        ),
        None => match known {
            Some(v) => format!(
                "it holds {}; set it with scripts/github-setup.sh or gh variable set",
                v.description
            ),
            None => "set it with scripts/github-setup.sh or gh variable set".to_owned(),
        },
    };
    RequiredVariable::new(name, format!("{place} is empty: {source}"))
}
