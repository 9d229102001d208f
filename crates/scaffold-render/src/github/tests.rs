//! Tests of the GitHub family over every example, computed from the rendered workflows
//! parsed as YAML: triggers, identities, permissions, the commands each job runs against
//! the access model, GitOps, progressive delivery, runners, tools and the Terraform path.

use std::collections::{BTreeMap, BTreeSet};

use scaffold_core::Project;
use scaffold_core::access::{EXCEPTIONS, Identity, Operation, Purpose, workflows};
use scaffold_core::project::Trigger;
use scaffold_core::vocabulary::{Provider, Strategy, WorkloadKind};
use serde_yaml_ng::Value;

use super::commands::{self, Form, Performs};
use super::{pins, tools};
use crate::Files;

mod model;
use model::{Job, Step, Workflow};

/// Every example's project and rendered GitHub files.
fn examples() -> Vec<(String, Project, Files)> {
    let engine = crate::Engine::new();
    crate::test_support::example_projects()
        .into_iter()
        .map(|(name, project)| {
            let mut files = Files::new();
            super::render(&project, &engine, &mut files).expect("renders");
            (name, project, files)
        })
        .collect()
}

/// Every rendered workflow of every example, parsed.
fn workflows() -> Vec<(String, Project, Workflow)> {
    let mut out = Vec::new();
    for (example, project, files) in examples() {
        for (path, content) in &files {
            if path.starts_with(".github/workflows/") {
                out.push((
                    example.clone(),
                    project.clone(),
                    Workflow::parse(path, content),
                ));
            }
        }
    }
    assert!(out.len() >= 8 * 4, "every example renders four workflows");
    out
}

fn workflow(files: &Files, path: &str) -> Workflow {
    Workflow::parse(path, &files[path])
}

fn is_hex_sha(text: &str) -> bool {
    text.len() == 40 && text.chars().all(|c| c.is_ascii_hexdigit())
}

/// Checks one `uses:` value against the pin table.
fn check_uses(value: &str) -> Result<(), String> {
    let (reference, comment) = value
        .split_once(" # ")
        .ok_or_else(|| format!("`{value}` has no `# version` comment"))?;
    let (action, sha) = reference
        .split_once('@')
        .ok_or_else(|| format!("`{value}` has no `@ref`"))?;
    if !is_hex_sha(sha) {
        return Err(format!("`{value}` is not pinned to a 40-hex commit"));
    }
    if !comment.starts_with('v') && comment != "stable" {
        return Err(format!("`{value}` has no version comment"));
    }
    let pin = pins::pin(action).ok_or_else(|| format!("`{action}` is not in the pin table"))?;
    if pin.sha != sha || pin.version != comment {
        return Err(format!(
            "`{value}` differs from the pin table's {}",
            pin.uses()
        ));
    }
    Ok(())
}

#[test]
fn every_uses_is_pinned_from_the_table() {
    let mut count = 0;
    for (example, _, files) in examples() {
        for (path, content) in &files {
            if !path.starts_with(".github/workflows/") {
                continue;
            }
            for line in content.lines() {
                let trimmed = line.trim_start().trim_start_matches("- ");
                if let Some(value) = trimmed.strip_prefix("uses: ") {
                    count += 1;
                    if let Err(message) = check_uses(value) {
                        panic!("{example}: {path}: {message}");
                    }
                }
            }
        }
    }
    assert!(count > 100, "the workflows use actions ({count} seen)");
}

#[test]
fn check_uses_rejects_tags_and_unknown_actions() {
    assert!(check_uses("actions/checkout@v7 # v7").is_err());
    assert!(check_uses("actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1").is_err());
    assert!(check_uses("evil/action@3d3c42e5aac5ba805825da76410c181273ba90b1 # v1.0.0").is_err());
    assert!(
        check_uses("actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1").is_ok()
    );
}

#[test]
fn pin_table_holds_full_shas_and_versions() {
    for pin in pins::PINS {
        assert!(is_hex_sha(pin.sha), "{}", pin.action);
        // shivammathur/setup-php tags its releases without a `v` (`2.37.2`).
        assert!(
            pin.version.starts_with('v')
                || pin.version == "stable"
                || pin.version.starts_with(|c: char| c.is_ascii_digit()),
            "{}",
            pin.action
        );
    }
}

#[test]
fn top_level_permissions_are_least_privilege() {
    for (example, _, wf) in workflows() {
        let permissions = wf.permissions();
        assert!(
            permissions.is_empty()
                || permissions == BTreeMap::from([("contents".to_owned(), "read".to_owned())]),
            "{example}: {}: top-level permissions must be empty or contents: read, not {permissions:?}",
            wf.path
        );
    }
}

#[test]
fn every_job_has_a_timeout_and_never_keeps_checkout_credentials() {
    for (example, _, wf) in workflows() {
        assert!(!wf.jobs.is_empty(), "{example}: {} has jobs", wf.path);
        for job in &wf.jobs {
            let at = format!("{example}: {}: job {}", wf.path, job.id);
            assert!(
                job.value.get("timeout-minutes").is_some(),
                "{at} has no timeout"
            );
            for step in &job.steps {
                if step.uses_action() == Some("actions/checkout") {
                    assert_eq!(
                        step.with("persist-credentials"),
                        Some("false".to_owned()),
                        "{at}: every checkout drops its credentials"
                    );
                }
            }
            assert_ne!(
                job.permissions().get("contents").map(String::as_str),
                Some("write"),
                "{at}: no job writes repository contents with GITHUB_TOKEN"
            );
        }
    }
}

/// The write scopes a job may hold only when no pull request can run it.
const PUSH_ONLY_SCOPES: &[&str] = &["attestations", "packages", "security-events"];

#[test]
fn pull_request_jobs_hold_read_only_tokens() {
    let mut pull_request_jobs = 0;
    for (example, project, wf) in workflows() {
        for job in &wf.jobs {
            let at = format!("{example}: {}: job {}", wf.path, job.id);
            if !wf.job_runs_on_pull_requests(job) {
                continue;
            }
            pull_request_jobs += 1;
            let permissions = job.permissions();
            for scope in PUSH_ONLY_SCOPES {
                assert_ne!(
                    permissions.get(*scope).map(String::as_str),
                    Some("write"),
                    "{at} runs on pull requests with {scope}: write"
                );
            }
            for (scope, level) in &permissions {
                if scope != "id-token" {
                    assert_eq!(level, "read", "{at}: {scope}: {level} on a pull request");
                }
            }
            // The one OIDC token a pull request may mint is a non-production plan
            // identity's, which reads and never writes.
            if permissions.get("id-token").map(String::as_str) == Some("write") {
                let identity = job_identity(&project, &wf, job)
                    .unwrap_or_else(|| panic!("{at}: id-token: write without a cloud login"));
                assert_eq!(identity.purpose, Purpose::Plan, "{at}: {}", identity.name);
                let env = project
                    .environments
                    .iter()
                    .find(|e| Some(&e.name) == identity.environment.as_ref())
                    .expect("environment");
                assert!(
                    !env.production,
                    "{at}: production is planned on a pull request"
                );
            }
        }
    }
    assert!(
        pull_request_jobs > 30,
        "{pull_request_jobs} pull request jobs seen"
    );
}

#[test]
fn write_scopes_are_held_only_where_a_step_uses_them() {
    for (example, _, wf) in workflows() {
        for job in &wf.jobs {
            let at = format!("{example}: {}: job {}", wf.path, job.id);
            let permissions = job.permissions();
            let has = |scope: &str| permissions.get(scope).map(String::as_str) == Some("write");
            let uses = |action: &str| job.steps.iter().any(|s| s.uses_action() == Some(action));
            if has("id-token") {
                assert!(
                    job.login().is_some()
                        || uses("actions/attest-build-provenance")
                        || job.text().contains("ARM_USE_OIDC"),
                    "{at}: id-token: write without a cloud login or attestation"
                );
            }
            if has("packages") {
                assert!(
                    job.steps
                        .iter()
                        .any(|s| s.with("registry").as_deref() == Some("ghcr.io")),
                    "{at}: packages: write without pushing to ghcr"
                );
            }
            if has("security-events") {
                assert!(
                    uses("github/codeql-action/upload-sarif")
                        || uses("github/codeql-action/analyze"),
                    "{at}: security-events: write without a SARIF upload"
                );
            }
            if has("attestations") {
                assert!(
                    uses("actions/attest-build-provenance"),
                    "{at}: attestations without attesting"
                );
            }
        }
    }
}

#[test]
fn user_controlled_context_never_reaches_run_scripts() {
    for (example, _, wf) in workflows() {
        for job in &wf.jobs {
            for step in &job.steps {
                if let Some(run) = &step.run {
                    assert!(
                        !run.contains("${{"),
                        "{example}: {}: job {}: expression in a run script: {run}",
                        wf.path,
                        job.id
                    );
                }
            }
        }
    }
}

// ---- 1. Triggers ------------------------------------------------------------------------

#[test]
fn every_environment_has_a_way_in_and_its_trigger_is_the_models() {
    for (example, project, files) in examples() {
        let deploy = workflow(&files, workflows::DEPLOY);
        let branches = deploy.workflow_run_branches();
        assert!(
            !branches.is_empty(),
            "{example}: workflow_run.branches is empty"
        );
        let ci = workflow(&files, workflows::CI);
        for branch in &branches {
            assert!(
                ci.push_branches().contains(branch),
                "{example}: deploy waits for CI on {branch}, which CI never runs on"
            );
        }
        for env in &project.environments {
            let job = deploy.job(&format!("deploy-{}", env.name));
            let at = format!("{example}: deploy-{}", env.name);
            assert_eq!(
                job.environment().as_deref(),
                Some(env.names.github_environment.as_str()),
                "{at}"
            );
            let condition = job.condition();
            match &env.trigger {
                Trigger::Push { branch } => {
                    assert!(
                        branches.contains(branch),
                        "{at}: {branch} does not start the workflow"
                    );
                    assert!(
                        condition.contains(&format!(
                            "github.event.workflow_run.head_branch == '{branch}'"
                        )),
                        "{at}: not started by CI on {branch}: {condition}"
                    );
                    assert_eq!(job.needs(), vec!["source".to_owned()], "{at}");
                }
                Trigger::Promotion { from } => {
                    let previous = format!("deploy-{from}");
                    assert!(
                        job.needs().contains(&previous),
                        "{at} does not follow {previous}"
                    );
                    assert!(
                        condition.contains(&format!("needs.{previous}.result == 'success'")),
                        "{at}: does not wait for {previous}'s success: {condition}"
                    );
                    assert!(
                        !condition.contains("head_branch"),
                        "{at}: a promotion is not started by a branch"
                    );
                }
            }
            assert!(
                condition.contains(&format!("inputs.environment == '{}'", env.name)),
                "{at}: no manual run"
            );
            // The header says what starts it.
            let stage = &super::pipeline::stages(&project)[env.index];
            assert!(
                files[workflows::DEPLOY]
                    .contains(&format!("# - {}: {}.", env.name, stage.trigger_sentence)),
                "{at}: the header does not say what triggers it"
            );
        }
    }
}

#[test]
fn one_digest_is_built_once_and_promoted() {
    for (example, project, files) in examples() {
        let ci = workflow(&files, workflows::CI);
        let digests = ci.job("digests");
        assert!(
            digests
                .steps
                .iter()
                .any(|s| s.uses_action() == Some("actions/upload-artifact")
                    && s.with("name").as_deref() == Some("image-digests")),
            "{example}: CI publishes the digests"
        );
        for service in &project.services {
            assert!(
                digests.needs().contains(&service.names.ci_job),
                "{example}: digests waits for {}",
                service.names.ci_job
            );
        }
        let deploy = workflow(&files, workflows::DEPLOY);
        for env in &project.environments {
            let job = deploy.job(&format!("deploy-{}", env.name));
            let download = job
                .steps
                .iter()
                .find(|s| s.uses_action() == Some("actions/download-artifact"))
                .unwrap_or_else(|| panic!("{example}: deploy-{} downloads the digests", env.name));
            assert_eq!(download.with("name").as_deref(), Some("image-digests"));
            // Every job reads the run the `source` job resolved, so a promotion deploys the
            // digests its predecessor deployed.
            assert_eq!(
                download.with("run-id").as_deref(),
                Some("${{ needs.source.outputs.run-id }}"),
                "{example}: deploy-{}",
                env.name
            );
            // Nothing in deploy.yml builds an image.
            assert!(
                !job.text().contains("docker/build-push-action"),
                "{example}: deploy builds"
            );
        }
    }
}

// ---- 2. Identity per job ----------------------------------------------------------------

/// The identity `job` assumes, from its login step (and on Azure the client id variable
/// and the GitHub environment the job runs in).
fn job_identity(project: &Project, wf: &Workflow, job: &Job) -> Option<Identity> {
    let login = job.login()?;
    let identities = project.identities();
    let by_name = |name: &str| identities.iter().find(|i| i.name == name).cloned();
    match project.cloud.provider {
        Provider::Aws => by_name(login.rsplit('/').next()?),
        Provider::Gcp => by_name(login.split('@').next()?),
        Provider::Azure => {
            let variable = login
                .trim_start_matches("${{ vars.")
                .trim_end_matches(" }}")
                .to_owned();
            let environment = job.environment();
            let purpose = match variable.as_str() {
                "AZURE_BUILD_CLIENT_ID" => Purpose::Build,
                // Set in each `<env>-plan` GitHub environment; the job's environment picks
                // the identity below.
                "AZURE_PLAN_CLIENT_ID" => Purpose::Plan,
                "AZURE_TERRAFORM_CLIENT_ID" => Purpose::Apply,
                "AZURE_CLIENT_ID" => Purpose::Deploy,
                other => panic!(
                    "{}: {}: unknown client id variable {other}",
                    wf.path, job.id
                ),
            };
            identities.into_iter().find(|i| {
                i.purpose == purpose
                    && (purpose == Purpose::Build || i.github_environment == environment)
            })
        }
    }
}

/// Whether the `*` pattern matches `text`.
fn matches(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((prefix, suffix)) => text.starts_with(prefix) && text.ends_with(suffix),
    }
}

#[test]
fn every_cloud_login_runs_where_its_identity_trusts_the_token() {
    let mut logins = 0;
    for (example, project, wf) in workflows() {
        for job in &wf.jobs {
            let Some(identity) = job_identity(&project, &wf, job) else {
                assert!(
                    job.login().is_none(),
                    "{example}: {}: {} logs in as no identity scaffold creates",
                    wf.path,
                    job.id
                );
                continue;
            };
            logins += 1;
            let at = format!(
                "{example}: {}: job {} as {}",
                wf.path, job.id, identity.name
            );
            // The tokens this job can present: its subject, and the workflow ref it runs from.
            let environment = job.environment();
            assert_eq!(
                environment, identity.github_environment,
                "{at}: wrong GitHub environment"
            );
            let refs = wf.refs_of(job, &project);
            assert!(!refs.is_empty(), "{at}: runs on no ref");
            for git_ref in refs {
                let subject = match &environment {
                    Some(env) => project.environment_subject(env),
                    None => format!("repo:{}:ref:{git_ref}", project.repository.full),
                };
                let job_workflow_ref = project.workflow_ref(&wf.path, &git_ref);
                assert!(
                    identity
                        .tokens
                        .iter()
                        .any(|t| t.subject == subject && matches(&t.workflow, &job_workflow_ref)),
                    "{at}: {identity_name} does not trust {subject} from {job_workflow_ref} (it trusts {tokens:?})",
                    identity_name = identity.name,
                    tokens = identity.tokens
                );
            }
        }
    }
    assert!(logins > 40, "{logins} logins seen");
}

/// What a job performs, per the command table: (operation, namespace) and Kubernetes calls.
fn performed(
    project: &Project,
    wf: &Workflow,
    job: &Job,
) -> (BTreeSet<Operation>, Vec<(String, commands::KubeCall)>) {
    let mut operations = BTreeSet::new();
    let mut kube = Vec::new();
    let mut add = |performs: &[Performs],
                   step: &Step,
                   line: &str,
                   kube_calls: &[commands::KubeCall],
                   kube: &mut Vec<(String, commands::KubeCall)>| {
        for p in performs {
            let operation = match p {
                Performs::PushImages => Operation::PushImages,
                Performs::ReadState => Operation::ReadState,
                Performs::LockState if line.contains("-lock=false") => continue,
                Performs::LockState => Operation::LockState,
                Performs::WriteState => Operation::WriteState,
                Performs::ReadInfrastructure => Operation::ReadInfrastructure,
                Performs::ApplyRoot => {
                    if step.env("DIR").is_some_and(|d| d.ends_with("/platform")) {
                        Operation::AdministerCluster
                    } else {
                        Operation::ManageInfrastructure
                    }
                }
                Performs::GetClusterCredentials => Operation::GetClusterCredentials,
                Performs::UseNamespace => {
                    let variable = if line.contains("$ARGOCD_NAMESPACE") {
                        "ARGOCD_NAMESPACE"
                    } else {
                        "NAMESPACE"
                    };
                    let namespace = step.env(variable).unwrap_or_else(|| {
                        panic!("{}: {}: `{line}` names no namespace", wf.path, job.id)
                    });
                    for call in kube_calls {
                        kube.push((namespace.clone(), *call));
                    }
                    Operation::UseNamespace { namespace }
                }
            };
            operations.insert(operation);
        }
    };
    for step in &job.steps {
        if let Some(action) = step.uses_action()
            && let Some(command) = commands::action(action)
        {
            // A pull request build pushes nothing.
            let pushes = action != "docker/build-push-action"
                || step.with("push").as_deref() == Some("true");
            // An image scanned or attested by local name was never pushed.
            if pushes {
                add(command.performs, step, "", command.kube, &mut kube);
            }
        }
        for (line, command) in step.commands() {
            let row = commands::run_command(&command).unwrap_or_else(|| {
                panic!(
                    "{}: {}: `{command}` is not in the command table (github/commands.rs)",
                    wf.path, job.id
                )
            });
            add(row.performs, step, &line, row.kube, &mut kube);
        }
    }
    let _ = project;
    (operations, kube)
}

#[test]
fn every_command_a_job_runs_is_an_operation_its_identity_holds_and_every_operation_is_used() {
    for (example, project, files) in examples() {
        let mut used: BTreeMap<String, BTreeSet<Operation>> = BTreeMap::new();
        for path in [
            workflows::CI,
            workflows::DEPLOY,
            workflows::INFRASTRUCTURE,
            workflows::SECURITY,
        ] {
            let wf = workflow(&files, path);
            for job in &wf.jobs {
                let (operations, kube) = performed(&project, &wf, job);
                let at = format!("{example}: {path}: job {}", job.id);
                let Some(identity) = job_identity(&project, &wf, job) else {
                    // Without a cloud identity a job may only use GITHUB_TOKEN.
                    assert!(
                        operations.is_empty() || project.delivery.registry.provider().is_none(),
                        "{at} performs {operations:?} without a cloud identity"
                    );
                    continue;
                };
                for operation in &operations {
                    assert!(
                        identity.operations.contains(operation),
                        "{at}: {} performs {operation:?}, which it does not hold ({:?})",
                        identity.name,
                        identity.operations
                    );
                }
                if identity.purpose == Purpose::Deploy {
                    let env = project
                        .environments
                        .iter()
                        .find(|e| Some(&e.name) == identity.environment.as_ref())
                        .expect("environment");
                    let rules = project.deploy_rules(env);
                    for (_, (group, resource, verbs)) in &kube {
                        for verb in *verbs {
                            assert!(
                                rules.iter().any(|r| r.api_group == *group
                                    && r.resources.contains(resource)
                                    && r.verbs.contains(verb)),
                                "{at}: kubectl needs {verb} {group}/{resource}, which the deploy Role lacks"
                            );
                        }
                    }
                }
                used.entry(identity.name.clone())
                    .or_default()
                    .extend(operations);
            }
        }
        for identity in project.identities() {
            if identity.purpose == Purpose::Workload {
                continue; // pods, not jobs, use these (the Kubernetes family checks them)
            }
            let done = used.get(&identity.name).cloned().unwrap_or_default();
            for operation in &identity.operations {
                assert!(
                    done.contains(operation),
                    "{example}: {} ({:?}) holds {operation:?}, which no rendered job performs",
                    identity.name,
                    identity.purpose
                );
            }
        }
    }
    assert!(EXCEPTIONS.iter().any(|e| e.purpose == Purpose::Deploy));
}

#[test]
fn no_step_reads_a_managed_identity_through_the_cloud_api() {
    for (example, _, wf) in workflows() {
        let text = wf.text();
        assert!(!text.contains("az identity show"), "{example}: {}", wf.path);
        assert!(!text.contains("aws iam get-role"), "{example}: {}", wf.path);
        assert!(
            !text.contains("gcloud iam service-accounts describe"),
            "{example}: {}",
            wf.path
        );
    }
}

// ---- 3. Production is planned after merge -------------------------------------------------

#[test]
fn production_is_never_planned_on_a_pull_request() {
    for (example, project, files) in examples() {
        let infra = workflow(&files, workflows::INFRASTRUCTURE);
        for env in &project.environments {
            let plan = infra.job(&format!("plan-{}", env.name));
            assert_eq!(
                plan.environment().as_deref(),
                Some(env.names.plan_environment.as_str())
            );
            assert_eq!(
                infra.job_runs_on_pull_requests(plan),
                !env.production,
                "{example}: plan-{}",
                env.name
            );
        }
    }
}

// ---- 4. GitOps ----------------------------------------------------------------------------

#[test]
fn gitops_commits_to_the_desired_state_branch_and_reverts_on_failure() {
    let mut seen = 0;
    for (example, project, files) in examples() {
        if !project.delivery.gitops {
            continue;
        }
        seen += 1;
        let deploy = workflow(&files, workflows::DEPLOY);
        for env in &project.environments {
            let job = deploy.job(&format!("deploy-{}", env.name));
            let at = format!("{example}: deploy-{}", env.name);
            let commit = job.step("Commit the desired state");
            assert_eq!(
                commit.env("BRANCH").as_deref(),
                Some(project.names.gitops_branch.as_str()),
                "{at}"
            );
            assert_ne!(project.names.gitops_branch, project.default_branch);
            assert!(
                commit.run.as_deref().unwrap_or("").contains("git push"),
                "{at}"
            );
            assert_eq!(
                commit.env("DEPLOY_KEY").as_deref(),
                Some(
                    format!(
                        "${{{{ secrets.{} }}}}",
                        super::deploy::DESIRED_STATE_KEY_SECRET
                    )
                    .as_str()
                ),
                "{at}: the push uses the deploy environment's key"
            );
            assert_eq!(
                commit.env("DIRECTORY").as_deref(),
                Some(env.names.overlay_dir.as_str()),
                "{at}"
            );
            let wait = job.step("Wait for Argo CD to sync and report Healthy");
            assert_eq!(
                wait.env("APPLICATION").as_deref(),
                Some(env.names.argocd_application.as_str())
            );
            assert!(
                wait.run
                    .as_deref()
                    .unwrap_or("")
                    .contains("kubectl get application")
            );
            let revert = job.step("Roll back (revert the desired-state commit)");
            assert!(revert.condition().contains("failure()"), "{at}");
            assert!(
                revert.run.as_deref().unwrap_or("").contains("git revert"),
                "{at}"
            );
            // No kubectl write with GitOps: Argo CD applies.
            for step in &job.steps {
                for (_, command) in step.commands() {
                    assert!(
                        !command.starts_with("kubectl apply")
                            && !command.starts_with("kubectl patch"),
                        "{at}: {command}"
                    );
                }
            }
        }
    }
    assert!(seen >= 2, "GitOps examples");
}

// ---- 5. Progressive delivery --------------------------------------------------------------

#[test]
fn rollouts_are_driven_by_the_plugin_and_promotion_is_what_the_model_says() {
    for (example, project, files) in examples() {
        if project.delivery.gitops
            || !project
                .services
                .iter()
                .any(|s| s.workload == WorkloadKind::Rollout)
        {
            continue;
        }
        let deploy = workflow(&files, workflows::DEPLOY);
        for env in &project.environments {
            let job = deploy.job(&format!("deploy-{}", env.name));
            let at = format!("{example}: deploy-{}", env.name);
            let wait = job
                .step("Wait for the rollout")
                .run
                .clone()
                .unwrap_or_default();
            let rollback = job.step("Roll back").run.clone().unwrap_or_default();
            for service in project
                .services
                .iter()
                .filter(|s| s.workload == WorkloadKind::Rollout)
            {
                let name = &service.names.workload;
                assert!(
                    rollback.contains(&format!("kubectl argo rollouts abort {name}")),
                    "{at}"
                );
                assert!(
                    rollback.contains(&format!("kubectl argo rollouts undo {name}")),
                    "{at}"
                );
                let manual = project.delivery.strategy == Strategy::BlueGreen
                    && !project.auto_promotion(env);
                if manual {
                    assert!(
                        wait.contains(&format!(
                            "promote_after_preview {name} {}",
                            service.names.preview_service
                        )),
                        "{at}"
                    );
                    assert!(wait.contains("kubectl argo rollouts promote"), "{at}");
                } else {
                    assert!(
                        wait.contains(&format!("kubectl argo rollouts status {name}")),
                        "{at}"
                    );
                    assert!(
                        !wait.contains("kubectl argo rollouts promote"),
                        "{at}: the model says promotion is automatic"
                    );
                }
            }
        }
    }
}

// ---- 6. Runners and preflight ---------------------------------------------------------------

#[test]
fn jobs_that_reach_private_endpoints_take_their_runner_from_a_variable_and_preflight_first() {
    let mut checked = 0;
    for (example, _, wf) in workflows() {
        for job in &wf.jobs {
            let first_private = job.steps.iter().position(|s| s.reaches_private_endpoint());
            let Some(first_private) = first_private else {
                continue;
            };
            checked += 1;
            let at = format!("{example}: {}: job {}", wf.path, job.id);
            let variable = if wf.path == workflows::DEPLOY {
                "DEPLOY_RUNNER"
            } else {
                "INFRA_RUNNER"
            };
            assert_eq!(
                job.runs_on(),
                format!("${{{{ vars.{variable} || 'ubuntu-24.04' }}}}"),
                "{at}"
            );
            assert!(
                job.steps[0].name.starts_with("Preflight:"),
                "{at}: the first step is not a preflight"
            );
            let preflight = job.steps[..first_private]
                .iter()
                .rposition(|s| s.name.starts_with("Preflight:"))
                .unwrap_or_else(|| {
                    panic!(
                        "{at}: no preflight before {}",
                        job.steps[first_private].name
                    )
                });
            let message = job.steps[preflight].run.clone().unwrap_or_default();
            assert!(
                message.contains(variable),
                "{at}: the preflight does not name {variable}"
            );
            // Every GitHub variable the job reads is checked by the first step.
            let first = job.steps[0].run.clone().unwrap_or_default();
            for name in job.variables_read() {
                if name == variable {
                    continue;
                }
                assert!(
                    first.contains(&format!("require {name} ")),
                    "{at}: reads vars.{name} without checking it first"
                );
            }
        }
    }
    assert!(checked > 30, "{checked} jobs reach private endpoints");
}

// ---- 7. Tools ----------------------------------------------------------------------------

#[test]
fn tools_are_checksummed_release_binaries_installed_before_use() {
    for (example, _, wf) in workflows() {
        for job in &wf.jobs {
            let at = format!("{example}: {}: job {}", wf.path, job.id);
            let mut installed: BTreeSet<&str> = BTreeSet::new();
            for step in &job.steps {
                let run = step.run.clone().unwrap_or_default();
                assert!(!run.contains("go install"), "{at}: compiles a tool");
                assert!(!run.contains("cargo install"), "{at}: compiles a tool");
                if let Some(tool) = tools::TOOLS
                    .iter()
                    .find(|t| step.name == format!("Install {} {}", t.name, t.version))
                {
                    for asset in tool.assets {
                        assert_eq!(
                            step.env(&format!("URL_{}", asset.runner_arch)).as_deref(),
                            Some(asset.url),
                            "{at}"
                        );
                        assert_eq!(
                            step.env(&format!("SHA256_{}", asset.runner_arch))
                                .as_deref(),
                            Some(asset.sha256),
                            "{at}"
                        );
                    }
                    assert!(run.contains("sha256sum --check --strict"), "{at}");
                    installed.insert(tool.name);
                    continue;
                }
                for (_, command) in
                    step.commands_of(&["kustomize", "kubelogin", "kubectl argo rollouts"])
                {
                    let tool = if command.starts_with("kubectl argo") {
                        "kubectl-argo-rollouts"
                    } else {
                        command.split(' ').next().unwrap_or("")
                    };
                    assert!(
                        installed.contains(tool),
                        "{at}: {} calls {tool} before installing it",
                        step.name
                    );
                }
            }
        }
    }
}

// ---- 8. Infrastructure ----------------------------------------------------------------------

#[test]
fn infrastructure_applies_the_reviewed_plan_along_the_application_path() {
    for (example, project, files) in examples() {
        let infra = workflow(&files, workflows::INFRASTRUCTURE);
        let push = infra.push_branches();
        for env in &project.environments {
            let at = format!("{example}: {}", env.name);
            let source = project.source_branch(env);
            assert!(
                push.contains(&source.to_owned()),
                "{at}: pushes to {source} apply nothing"
            );
            let plan = infra.job(&format!("plan-{}", env.name));
            assert!(
                plan.condition()
                    .contains(&format!("github.ref_name == '{source}'")),
                "{at}: {}",
                plan.condition()
            );
            let upload = plan
                .steps
                .iter()
                .find(|s| s.uses_action() == Some("actions/upload-artifact"))
                .unwrap_or_else(|| panic!("{at}: the plan is not uploaded"));
            let artifact = upload.with("name").expect("artifact name");
            assert!(
                plan.step("Plan")
                    .run
                    .as_deref()
                    .unwrap_or("")
                    .contains("GITHUB_STEP_SUMMARY"),
                "{at}: no plan summary"
            );
            let apply = infra.job(&format!("apply-{}", env.name));
            assert_eq!(
                apply.environment().as_deref(),
                Some(env.names.infra_environment.as_str()),
                "{at}"
            );
            assert_eq!(apply.needs(), vec![format!("plan-{}", env.name)], "{at}");
            let download = apply
                .steps
                .iter()
                .find(|s| s.uses_action() == Some("actions/download-artifact"))
                .unwrap_or_else(|| panic!("{at}: the apply does not download the plan"));
            assert_eq!(download.with("name"), Some(artifact), "{at}");
            let applies: Vec<String> = apply
                .text()
                .lines()
                .filter(|l| l.contains("terraform") && l.contains(" apply"))
                .map(str::to_owned)
                .collect();
            assert!(!applies.is_empty(), "{at}: no apply");
            for line in &applies {
                assert!(
                    line.trim_end().ends_with("plan.tfplan"),
                    "{at}: applies something else than the plan file: {line}"
                );
            }
            // The platform root after the cloud root, in the same environment.
            let platform = infra.job(&format!("apply-{}-platform", env.name));
            assert_eq!(
                platform.needs(),
                vec![format!("apply-{}", env.name)],
                "{at}"
            );
            assert_eq!(
                platform
                    .step("Apply the reviewed platform plan")
                    .env("DIR")
                    .as_deref(),
                Some(super::infra::platform_dir(env).as_str())
            );
            // Promotions wait for the environment before them.
            if let Trigger::Promotion { from } = &env.trigger {
                for need in [format!("apply-{from}"), format!("apply-{from}-platform")] {
                    assert!(plan.needs().contains(&need), "{at}: planned before {need}");
                }
            }
        }
        // Never applied from a branch that does not deploy it.
        for job in &infra.jobs {
            if job.id.starts_with("apply-") {
                assert!(
                    !infra.job_runs_on_pull_requests(job),
                    "{example}: {} on a pull request",
                    job.id
                );
            }
        }
    }
}

// ---- 9. Verification --------------------------------------------------------------------------

#[test]
fn every_release_is_checked_from_outside_and_a_failed_check_rolls_back() {
    for (example, project, files) in examples() {
        let deploy = workflow(&files, workflows::DEPLOY);
        for stage in super::pipeline::stages(&project) {
            let job = deploy.job(&stage.job);
            let at = format!("{example}: {}", stage.job);
            let rollback = job
                .steps
                .iter()
                .position(|s| s.name.starts_with("Roll back"))
                .unwrap_or_else(|| panic!("{at}: no roll-back step"));
            assert!(
                job.steps[rollback].condition().contains("failure()"),
                "{at}"
            );
            if stage.checks.is_empty() {
                continue;
            }
            let verify = job
                .steps
                .iter()
                .position(|s| s.name == "Verify from outside")
                .unwrap_or_else(|| panic!("{at}: no check"));
            assert!(
                verify < rollback,
                "{at}: the check runs after the roll-back"
            );
            let script = job.steps[verify].run.clone().unwrap_or_default();
            for check in &stage.checks {
                let call = match check {
                    super::pipeline::Check::Url { url, .. } => format!("public_url \"{url}\""),
                    super::pipeline::Check::Service { target, .. }
                    | super::pipeline::Check::Tcp { target, .. } => {
                        format!("through_service {target} ")
                    }
                };
                assert!(script.contains(&call), "{at}: {check:?} is not run");
            }
        }
    }
}

// ---- The setup script ----------------------------------------------------------------------

#[test]
fn the_setup_script_creates_every_github_environment_an_identity_trusts() {
    for (example, project, files) in examples() {
        let script = &files[super::setup::SETUP_SCRIPT];
        let created: BTreeSet<String> = script
            .lines()
            .filter_map(|l| l.strip_prefix("environment "))
            .map(|l| l.split(' ').next().unwrap_or("").to_owned())
            .collect();
        for identity in project.identities() {
            if let Some(env) = identity.github_environment {
                assert!(created.contains(&env), "{example}: {env} is not created");
            }
        }
        for env in super::setup::environments(&project) {
            let line = format!(
                "environment {} {}{}",
                env.name,
                env.reviewers,
                env.branches
                    .iter()
                    .map(|b| format!(" \"{b}\""))
                    .collect::<String>()
            );
            assert!(script.lines().any(|l| l == line), "{example}: `{line}`");
        }
    }
}

#[test]
fn every_variable_a_job_reads_is_set_where_the_job_runs() {
    let mut checked = 0;
    for (example, project, files) in examples() {
        let setup = super::setup::context(&project);
        let script = &files[super::setup::SETUP_SCRIPT];
        // Where the script sets each variable: "" is the repository.
        let mut set: BTreeSet<(String, String)> = setup
            .variables
            .iter()
            .map(|v| (v.name.clone(), v.environment.clone()))
            .collect();
        for v in &setup.variables {
            let line = format!("variable {} \"{}\" ", v.name, v.environment);
            assert!(
                script.lines().any(|l| l.starts_with(&line)),
                "{example}: `{line}`"
            );
        }
        for (plan, _) in &setup.plan_keys {
            set.insert((setup.plan_key.public_variable.to_owned(), plan.clone()));
        }
        for (path, content) in &files {
            if !path.starts_with(".github/workflows/") {
                continue;
            }
            let wf = Workflow::parse(path, content);
            for job in &wf.jobs {
                let environment = job.environment().unwrap_or_default();
                for name in job.variables_read() {
                    // Runner labels fall back to GitHub-hosted runners when unset.
                    let optional = job.text().contains(&format!("vars.{name} || '"));
                    let found = set.contains(&(name.clone(), String::new()))
                        || set.contains(&(name.clone(), environment.clone()));
                    assert!(
                        found || optional,
                        "{example}: {path}: job {} (environment `{environment}`) reads vars.{name}, which the setup script does not set there",
                        job.id
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 100, "{checked} variable reads");
}

#[test]
fn github_environments_admit_exactly_the_branches_their_jobs_run_from() {
    for (_, project, _) in examples() {
        for env in &project.environments {
            let setup = super::setup::environments(&project);
            let find = |name: &str| {
                setup
                    .iter()
                    .find(|e| e.name == name)
                    .expect("environment")
                    .clone()
            };
            assert_eq!(
                find(&env.names.github_environment).branches,
                vec![project.default_branch.clone()]
            );
            assert_eq!(
                find(&env.names.infra_environment).branches,
                vec![project.source_branch(env).to_owned()]
            );
            assert_eq!(
                find(&env.names.plan_environment).branches.is_empty(),
                !env.production
            );
            assert_eq!(find(&env.names.github_environment).reviewers, env.approval);
            assert_eq!(find(&env.names.infra_environment).reviewers, env.approval);
        }
    }
}

// ---- Unit tests of pieces ----------------------------------------------------------------------

#[test]
fn ci_datastores_are_reached_on_localhost() {
    let project = crate::test_support::example_projects()
        .into_iter()
        .find(|(n, _)| n == "gcp-canary")
        .expect("gcp-canary")
        .1;
    let api = project.service("api").expect("api");
    let service = super::ci_service(&project, api);
    let urls: Vec<(&str, &str)> = service
        .datastores
        .iter()
        .flat_map(|d| &d.variables)
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        urls,
        vec![
            (
                "DATABASE_URL",
                "postgresql://connectkit:connectkit@localhost:5432/connectkit",
            ),
            ("REDIS_URL", "redis://localhost:6379/0"),
        ]
    );
}

#[test]
fn codeql_languages_are_deduplicated() {
    let project = crate::test_support::example_projects()
        .into_iter()
        .find(|(n, _)| n == "azure-monorepo")
        .expect("azure-monorepo")
        .1;
    let languages: Vec<(&str, &str)> = super::codeql_languages(&project)
        .iter()
        .map(|c| (c.language, c.build_mode))
        .collect();
    assert_eq!(
        languages,
        vec![("javascript-typescript", "none"), ("go", "autobuild")]
    );
    let updates = super::dependabot(&project).updates;
    let ecosystems: Vec<&str> = updates.iter().map(|u| u.ecosystem).collect();
    assert_eq!(
        ecosystems,
        vec!["github-actions", "docker", "npm", "gomod", "terraform"]
    );
}

#[test]
fn every_guarded_program_call_is_in_the_command_table() {
    // The table itself: each run pattern starts with a guarded program.
    for command in commands::COMMANDS {
        if command.form == Form::Run {
            let program = command.pattern.split(' ').next().unwrap_or("");
            assert!(commands::GUARDED.contains(&program), "{}", command.pattern);
        }
    }
}

#[test]
fn trigger_patterns() {
    assert!(matches("a/b@*", "a/b@refs/heads/x"));
    assert!(!matches("a/b@refs/heads/main", "a/b@refs/heads/x"));
    let _ = Value::Null;
}
