//! The GitHub trust of Google Cloud's workload identity provider, as one CEL expression.
//!
//! The provider admits a token only when its attribute condition holds: the repository,
//! and for each token some identity of the access model accepts, its subject paired with
//! its workflow (`assertion.job_workflow_ref`). The bootstrap root renders
//! [`attribute_condition`]; [`check_attribute_condition`] turns an expression longer than
//! Google accepts into an answers problem, so the answers that would make `terraform
//! apply` fail are refused with the way out instead.

use std::collections::BTreeMap;

use crate::access::Token;
use crate::project::Project;

/// The most characters Google accepts in a workload identity pool provider's attribute
/// condition: "The maximum length of the attribute condition expression is 4096
/// characters" (IAM API v1, `WorkloadIdentityPoolProvider.attributeCondition`,
/// cloud.google.com/iam/docs/reference/rest/v1/projects.locations.workloadIdentityPools.providers).
pub const ATTRIBUTE_CONDITION_LIMIT: usize = 4096;

/// One group of the provider's attribute condition: tokens from one workflow pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Clause {
    /// The workflow pattern (`*` matches any text).
    workflow: String,
    /// The GitHub environments its tokens come from (environment-bound subjects).
    environments: Vec<String>,
    /// The exact subjects it admits (branch-bound subjects).
    subjects: Vec<String>,
}

/// The CEL test of `assertion.job_workflow_ref` against a `*` pattern.
///
/// The access model's patterns hold at most one `*` (a workflow file at any ref), so
/// a prefix and a suffix test express them exactly.
fn workflow_test(pattern: &str) -> String {
    let attribute = "assertion.job_workflow_ref";
    match pattern.split_once('*') {
        None => format!("{attribute} == '{pattern}'"),
        Some((prefix, "")) => format!("{attribute}.startsWith('{prefix}')"),
        Some((prefix, suffix)) => {
            assert!(
                !suffix.contains('*'),
                "the access model's workflow patterns have at most one `*`: {pattern}"
            );
            format!("{attribute}.startsWith('{prefix}') && {attribute}.endsWith('{suffix}')")
        }
    }
}

/// A CEL list literal of quoted strings.
fn list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("'{i}'")).collect();
    format!("[{}]", quoted.join(", "))
}

/// The GitHub environment an environment-bound subject names.
fn subject_environment<'a>(project: &Project, subject: &'a str) -> Option<&'a str> {
    subject.strip_prefix(&format!("repo:{}:environment:", project.repository.full))
}

/// The workload identity provider's attribute condition: the repository, and for each
/// token some identity accepts, its subject paired with its workflow.
///
/// Three shapes keep the expression short however many environments and branches:
/// - jobs in a GitHub environment are matched by the `environment` claim, grouped by
///   workflow, and their subject must be that environment's (which each service
///   account's binding checks once more, exactly);
/// - branch tokens whose workflow runs from the branch itself (image builds: ci.yml on
///   each deploy branch) are matched through the `ref` claim, which the subject and the
///   workflow reference both end with, so the three claims must agree;
/// - any other token names its subject and workflow.
///
/// Environments that each start from their own branch still add a clause each (their
/// apply identity's workflow ref names that branch); [`check_attribute_condition`] refuses
/// answers whose condition exceeds [`ATTRIBUTE_CONDITION_LIMIT`].
pub fn attribute_condition(project: &Project) -> String {
    let repo = &project.repository.full;
    let mut clauses: BTreeMap<String, Clause> = BTreeMap::new();
    // Workflow file -> refs it may run from, for branch tokens `repo:R:ref:X` from `file@X`.
    let mut per_ref: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for identity in project.identities() {
        for Token { subject, workflow } in &identity.tokens {
            if let Some(env) = subject_environment(project, subject) {
                clause(&mut clauses, workflow)
                    .environments
                    .push(env.to_owned());
                continue;
            }
            let git_ref = subject.strip_prefix(&format!("repo:{repo}:ref:"));
            match git_ref.and_then(|r| workflow.strip_suffix(&format!("@{r}")).map(|f| (f, r))) {
                Some((file, git_ref)) if !file.contains('*') => per_ref
                    .entry(file.to_owned())
                    .or_default()
                    .push(git_ref.to_owned()),
                _ => clause(&mut clauses, workflow)
                    .subjects
                    .push(subject.clone()),
            }
        }
    }
    let mut tests = Vec::new();
    for (file, refs) in &per_ref {
        let refs_test = if refs.len() == 1 {
            format!("assertion.ref == '{}'", refs[0])
        } else {
            format!("assertion.ref in {}", list(refs))
        };
        tests.push(format!(
            "({refs_test} && assertion.sub == 'repo:{repo}:ref:' + assertion.ref && assertion.job_workflow_ref == '{file}@' + assertion.ref)"
        ));
    }
    for clause in clauses.values() {
        let workflow = workflow_test(&clause.workflow);
        if !clause.subjects.is_empty() {
            let subjects = if clause.subjects.len() == 1 {
                format!("assertion.sub == '{}'", clause.subjects[0])
            } else {
                format!("assertion.sub in {}", list(&clause.subjects))
            };
            tests.push(format!("({subjects} && {workflow})"));
        }
        if !clause.environments.is_empty() {
            // Branch tokens carry no `environment` claim: `has` keeps the clause false for
            // them instead of an evaluation error.
            let environments = if clause.environments.len() == 1 {
                format!(
                    "has(assertion.environment) && assertion.environment == '{}'",
                    clause.environments[0]
                )
            } else {
                format!(
                    "has(assertion.environment) && assertion.environment in {}",
                    list(&clause.environments)
                )
            };
            // The subject must be the environment's too (each binding checks it again).
            tests.push(format!(
                "({environments} && assertion.sub == 'repo:{repo}:environment:' + assertion.environment && {workflow})"
            ));
        }
    }
    format!(
        "assertion.repository == '{repo}' && ({})",
        tests.join(" || ")
    )
}

/// The clause of `workflow`, created empty on first use.
fn clause<'a>(clauses: &'a mut BTreeMap<String, Clause>, workflow: &str) -> &'a mut Clause {
    clauses
        .entry(workflow.to_owned())
        .or_insert_with(|| Clause {
            workflow: workflow.to_owned(),
            environments: Vec::new(),
            subjects: Vec::new(),
        })
}

/// An attribute condition Google would refuse: its length, measured on the expression
/// [`attribute_condition`] renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConditionTooLong {
    /// The expression's length in characters.
    pub length: usize,
}

/// Whether `project`'s attribute condition fits in [`ATTRIBUTE_CONDITION_LIMIT`]; only
/// Google Cloud projects have one.
pub fn check_attribute_condition(project: &Project) -> Result<(), ConditionTooLong> {
    if project.cloud.provider != crate::Provider::Gcp {
        return Ok(());
    }
    let length = attribute_condition(project).chars().count();
    if length > ATTRIBUTE_CONDITION_LIMIT {
        Err(ConditionTooLong { length })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::AnswersError;
    use crate::project::Facts;

    /// Answers with `environments` environments on GCP, each deploying from its own branch,
    /// with the longest app, owner and environment names the answers allow and a repository
    /// name of `repository` characters.
    fn answers(environments: usize, repository: usize) -> String {
        let mut text = format!(
            "[app]\nname = \"a-thirty-character-app-name-xx\"\nrepository = \"an-owner-of-thirty-nine-characters-xxxx/{}\"\n[cloud]\nprovider = \"gcp\"\n[[services]]\nname = \"api\"\nlanguage = \"go\"\n[delivery]\nregistry = \"gar\"\n",
            "r".repeat(repository)
        );
        for i in 0..environments {
            text.push_str(&format!(
                "[[environments]]\nname = \"environment-{i:04}\"\nbranch = \"release/branch-{i:04}\"\n"
            ));
        }
        text
    }

    #[test]
    fn five_environments_on_their_own_branches_fit_with_the_longest_names() {
        let project = Project::from_toml(&answers(5, 60), &Facts::default()).expect("accepted");
        let length = attribute_condition(&project).len();
        assert!(length <= ATTRIBUTE_CONDITION_LIMIT, "{length} characters");
    }

    /// Six environments on their own branches, the repository name growing one character at
    /// a time: every accepted answer's condition fits, every refused one names the key, the
    /// length (over the limit) and the way out, and the refusal starts exactly where the
    /// rendered condition would stop fitting.
    #[test]
    fn a_condition_over_the_limit_is_refused_at_the_edge() {
        let mut last_accepted = None;
        let mut first_refused = None;
        for repository in 1..=60 {
            let text = answers(6, repository);
            let branch_line = text
                .lines()
                .position(|l| l == "branch = \"release/branch-0005\"")
                .map(|i| i + 1);
            match Project::from_toml(&text, &Facts::default()) {
                Ok(project) => {
                    assert!(first_refused.is_none(), "accepted after a refusal");
                    let length = attribute_condition(&project).len();
                    assert!(length <= ATTRIBUTE_CONDITION_LIMIT, "{length} accepted");
                    last_accepted = Some(length);
                }
                Err(AnswersError::Invalid { problems }) => {
                    assert_eq!(problems.len(), 1, "{problems:?}");
                    let problem = &problems[0];
                    assert_eq!(problem.path, "environments[5].branch");
                    assert_eq!(problem.line, branch_line, "{problem}");
                    let length: usize = problem
                        .message
                        .split_once("condition of ")
                        .and_then(|(_, rest)| rest.split_once(' '))
                        .and_then(|(n, _)| n.parse().ok())
                        .unwrap_or_else(|| panic!("no length in {problem}"));
                    assert!(length > ATTRIBUTE_CONDITION_LIMIT, "{problem}");
                    assert!(problem.message.contains("at most 4096"), "{problem}");
                    assert!(problem.help.contains("fewer environments"), "{problem}");
                    first_refused.get_or_insert(length);
                }
                Err(other) => panic!("{other}"),
            }
        }
        let (Some(accepted), Some(refused)) = (last_accepted, first_refused) else {
            panic!("the sweep crosses the limit: {last_accepted:?} {first_refused:?}");
        };
        // One more character of the repository name adds one per mention of it: the
        // refusal comes at the first step over the limit.
        let length = |repository| {
            attribute_condition(
                &Project::from_toml(&answers(6, repository), &Facts::default()).expect("accepted"),
            )
            .len()
        };
        let step = length(2) - length(1);
        assert!(
            accepted + step > ATTRIBUTE_CONDITION_LIMIT,
            "{accepted} + {step}"
        );
        assert_eq!(refused - accepted, step, "{accepted} then {refused}");
    }

    #[test]
    fn other_clouds_have_no_condition_to_check() {
        let text = answers(6, 60)
            .replace("\"gcp\"", "\"aws\"")
            .replace("\"gar\"", "\"ecr\"");
        assert!(Project::from_toml(&text, &Facts::default()).is_ok());
    }
}
