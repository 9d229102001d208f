//! The rendered workflows as the tests read them: parsed YAML, with the few questions the
//! tests ask of a workflow, a job and a step.

use std::collections::{BTreeMap, BTreeSet};

use scaffold_core::Project;
use serde_yaml_ng::Value;

use super::commands::{self, Performs};

/// A value as text: strings as they are, scalars in their YAML form.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Null => String::new(),
        other => serde_yaml_ng::to_string(other).unwrap_or_default(),
    }
}

fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Sequence(items)) => items.iter().map(text).collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn map(value: Option<&Value>) -> BTreeMap<String, String> {
    match value {
        Some(Value::Mapping(m)) => m.iter().map(|(k, v)| (text(k), text(v))).collect(),
        _ => BTreeMap::new(),
    }
}

/// One workflow file.
pub struct Workflow {
    /// Its path from the repository root.
    pub path: String,
    /// The parsed document.
    pub value: Value,
    /// Its jobs, in file order.
    pub jobs: Vec<Job>,
    source: String,
}

/// One job.
pub struct Job {
    /// Its id.
    pub id: String,
    /// Its mapping.
    pub value: Value,
    /// Its steps.
    pub steps: Vec<Step>,
}

/// One step.
pub struct Step {
    /// Its name (empty when unnamed).
    pub name: String,
    /// Its mapping.
    pub value: Value,
    /// Its `run:` script.
    pub run: Option<String>,
}

impl Workflow {
    /// Parses `content`, which must be valid YAML with a `jobs` mapping.
    pub fn parse(path: &str, content: &str) -> Self {
        let value: Value = serde_yaml_ng::from_str(content)
            .unwrap_or_else(|e| panic!("{path} is not valid YAML: {e}"));
        let jobs = match value.get("jobs") {
            Some(Value::Mapping(m)) => m
                .iter()
                .map(|(id, job)| Job {
                    id: text(id),
                    value: job.clone(),
                    steps: match job.get("steps") {
                        Some(Value::Sequence(steps)) => steps
                            .iter()
                            .map(|s| Step {
                                name: s.get("name").map(text).unwrap_or_default(),
                                run: s.get("run").map(text),
                                value: s.clone(),
                            })
                            .collect(),
                        _ => Vec::new(),
                    },
                })
                .collect(),
            _ => panic!("{path} has no jobs"),
        };
        Workflow {
            path: path.to_owned(),
            value,
            jobs,
            source: content.to_owned(),
        }
    }

    /// The whole file.
    pub fn text(&self) -> &str {
        &self.source
    }

    /// The triggers (`on:`; serde reads the key `on` as a string).
    fn on(&self) -> Option<&Value> {
        self.value.get("on")
    }

    /// Top-level permissions.
    pub fn permissions(&self) -> BTreeMap<String, String> {
        map(self.value.get("permissions"))
    }

    /// `on.workflow_run.branches`.
    pub fn workflow_run_branches(&self) -> Vec<String> {
        strings(
            self.on()
                .and_then(|o| o.get("workflow_run"))
                .and_then(|w| w.get("branches")),
        )
    }

    /// `on.push.branches`.
    pub fn push_branches(&self) -> Vec<String> {
        strings(
            self.on()
                .and_then(|o| o.get("push"))
                .and_then(|p| p.get("branches")),
        )
    }

    fn has_trigger(&self, name: &str) -> bool {
        self.on().and_then(|o| o.get(name)).is_some()
    }

    /// The job `id`.
    pub fn job(&self, id: &str) -> &Job {
        self.jobs
            .iter()
            .find(|j| j.id == id)
            .unwrap_or_else(|| panic!("{} has no job {id}", self.path))
    }

    /// Whether a pull request can run `job`: the workflow runs on pull requests, the job's
    /// condition admits them, and its needs run too (unless it runs whatever they did).
    pub fn job_runs_on_pull_requests(&self, job: &Job) -> bool {
        if !self.has_trigger("pull_request") {
            return false;
        }
        let condition = job.condition();
        let admits = if condition.contains("github.event_name == 'pull_request'") {
            true
        } else {
            !(condition.contains("github.event_name == 'push'")
                || condition.contains("github.event_name != 'pull_request'")
                || condition.contains("github.event_name == 'workflow_run'"))
        };
        if !admits {
            return false;
        }
        if condition.contains("!cancelled()") || condition.contains("always()") {
            return true;
        }
        job.needs()
            .iter()
            .all(|need| self.job_runs_on_pull_requests(self.job(need)))
    }

    /// The git refs `job` can run from (`refs/heads/...`, `refs/pull/1/merge` for pull requests).
    pub fn refs_of(&self, job: &Job, project: &Project) -> BTreeSet<String> {
        let mut refs = BTreeSet::new();
        if self.has_trigger("workflow_run") {
            // workflow_run and workflow_dispatch (whose environments admit only the default
            // branch) run the default branch's file.
            refs.insert(format!("refs/heads/{}", project.default_branch));
            return refs;
        }
        if self.job_runs_on_pull_requests(job) {
            refs.insert("refs/pull/1/merge".to_owned());
        }
        let condition = job.condition();
        if !self.has_trigger("push") || !condition_admits_push(&condition) {
            return refs;
        }
        if let Some(rest) = condition.split("github.ref_name == '").nth(1) {
            let branch = rest.split('\'').next().unwrap_or("");
            refs.insert(format!("refs/heads/{branch}"));
        } else if !job.needs().is_empty() {
            for need in job.needs() {
                refs.extend(
                    self.refs_of(self.job(&need), project)
                        .into_iter()
                        .filter(|r| r.starts_with("refs/heads/")),
                );
            }
        } else {
            for branch in self.push_branches() {
                refs.insert(format!("refs/heads/{branch}"));
            }
        }
        refs
    }
}

fn condition_admits_push(condition: &str) -> bool {
    let pull_request_only = condition.contains("github.event_name == 'pull_request'")
        && !condition.contains("github.event_name == 'push'");
    !pull_request_only && !condition.contains("github.event_name != 'push'")
}

impl Job {
    /// The job's permissions.
    pub fn permissions(&self) -> BTreeMap<String, String> {
        map(self.value.get("permissions"))
    }

    /// `needs:` as a list.
    pub fn needs(&self) -> Vec<String> {
        strings(self.value.get("needs"))
    }

    /// `if:`, or empty.
    pub fn condition(&self) -> String {
        self.value.get("if").map(text).unwrap_or_default()
    }

    /// The GitHub environment it runs in.
    pub fn environment(&self) -> Option<String> {
        match self.value.get("environment")? {
            Value::String(s) => Some(s.clone()),
            other => other.get("name").map(text),
        }
    }

    /// `runs-on:`.
    pub fn runs_on(&self) -> String {
        self.value.get("runs-on").map(text).unwrap_or_default()
    }

    /// The identity its cloud login names: an AWS role ARN, a GCP service account e-mail or
    /// an Azure client id expression.
    pub fn login(&self) -> Option<String> {
        self.steps.iter().find_map(|s| match s.uses_action()? {
            "aws-actions/configure-aws-credentials" => s.with("role-to-assume"),
            "google-github-actions/auth" => s.with("service_account"),
            "Azure/login" => s.with("client-id"),
            _ => None,
        })
    }

    /// The step named `name`.
    pub fn step(&self, name: &str) -> &Step {
        self.steps
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("job {} has no step {name}", self.id))
    }

    /// The job as YAML text.
    pub fn text(&self) -> String {
        serde_yaml_ng::to_string(&self.value).unwrap_or_default()
    }

    /// Every `vars.NAME` the job reads.
    pub fn variables_read(&self) -> BTreeSet<String> {
        let text = self.text();
        text.split("vars.")
            .skip(1)
            .map(|rest| {
                rest.chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect()
            })
            .collect()
    }
}

impl Step {
    /// The action path of `uses:`, without its ref.
    pub fn uses_action(&self) -> Option<&str> {
        match self.value.get("uses")? {
            Value::String(s) => s.split('@').next(),
            _ => None,
        }
    }

    /// A `with:` input.
    pub fn with(&self, key: &str) -> Option<String> {
        self.value.get("with")?.get(key).map(text)
    }

    /// A step environment variable.
    pub fn env(&self, key: &str) -> Option<String> {
        self.value.get("env")?.get(key).map(text)
    }

    /// `if:`, or empty.
    pub fn condition(&self) -> String {
        self.value.get("if").map(text).unwrap_or_default()
    }

    /// Every call of a guarded program in the script: (the line, the command from the
    /// program's name to the end of the line). Messages, comments and tool lists are skipped.
    pub fn commands(&self) -> Vec<(String, String)> {
        self.commands_of(commands::GUARDED)
    }

    /// Every call of one of `programs` in the script.
    pub fn commands_of(&self, programs: &[&str]) -> Vec<(String, String)> {
        let Some(run) = &self.run else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for line in run.lines() {
            let trimmed = line.trim_start();
            if trimmed.starts_with('#')
                || trimmed.starts_with("echo ")
                || trimmed.starts_with("printf ")
                || trimmed.starts_with("for tool in")
            {
                continue;
            }
            for program in programs {
                let mut from = 0;
                while let Some(at) = trimmed[from..].find(program) {
                    let start = from + at;
                    let before = trimmed[..start].chars().last();
                    let after = trimmed[start + program.len()..].chars().next();
                    let bounded_before =
                        before.is_none_or(|c| matches!(c, ' ' | '(' | '|' | '!' | ';' | '&'));
                    let bounded_after = after == Some(' ');
                    if bounded_before && bounded_after {
                        out.push((line.to_owned(), trimmed[start..].to_owned()));
                    }
                    from = start + program.len();
                }
            }
        }
        out
    }

    /// Whether the step calls a private endpoint: the cluster API, the state storage or
    /// the secret stores Terraform reads.
    pub fn reaches_private_endpoint(&self) -> bool {
        self.commands().iter().any(|(_, command)| {
            commands::run_command(command).is_some_and(|row| {
                row.performs
                    .iter()
                    .any(|p| !matches!(p, Performs::GetClusterCredentials | Performs::PushImages))
            })
        })
    }
}
