//! What the e2e stage takes from the generated `.github/workflows/ci.yml`.
//!
//! For each service: the image build exactly as CI runs it (the `docker/build-push-action`
//! step's `context` and `file`), and the lint and test job that gates that build (the job the
//! build job `needs`, other than `changes`), with its working directory, environment, service
//! containers and steps. Jobs are found by structure, not by name, so the harness follows the
//! workflow wherever its naming goes.

use std::collections::BTreeMap;

use anyhow::{Context as _, Result, bail};
use serde_yaml_ng::Value;

/// A parsed workflow.
#[derive(Debug)]
pub struct Workflow {
    jobs: serde_yaml_ng::Mapping,
}

/// How CI builds one image.
#[derive(Debug, Clone, PartialEq)]
pub struct Build {
    /// The build job's id.
    pub job: String,
    /// The build context, relative to the repository root.
    pub context: String,
    /// The Dockerfile, relative to the repository root.
    pub file: String,
}

/// A lint and test job.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TestJob {
    /// The job's id.
    pub id: String,
    /// `defaults.run.working-directory`.
    pub working_directory: Option<String>,
    /// The job's `env`.
    pub env: BTreeMap<String, String>,
    /// Its service containers.
    pub services: Vec<ServiceContainer>,
    /// Its steps, in order.
    pub steps: Vec<Step>,
}

/// A service container of a job (`jobs.<id>.services.<name>`).
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceContainer {
    /// The key under `services`.
    pub name: String,
    /// `image`.
    pub image: String,
    /// `env`.
    pub env: BTreeMap<String, String>,
    /// `ports`, such as `5432:5432`.
    pub ports: Vec<String>,
    /// `options`, passed to `docker create` by the runner.
    pub options: String,
}

/// One step.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// `uses:` an action.
    Uses {
        /// `name`, or the action.
        name: String,
        /// The action without its ref: `actions/setup-node`.
        action: String,
        /// `with`.
        with: BTreeMap<String, String>,
    },
    /// `run:` a script.
    Run {
        /// `name`, or the script's first line.
        name: String,
        /// The script.
        script: String,
        /// `working-directory`.
        working_directory: Option<String>,
        /// `env`.
        env: BTreeMap<String, String>,
        /// `shell`, when not the default.
        shell: Option<String>,
        /// `if`, when present.
        condition: Option<String>,
    },
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn string_map(value: Option<&Value>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Some(Value::Mapping(map)) = value {
        for (k, v) in map {
            if let (Some(k), Some(v)) = (scalar(k), scalar(v)) {
                out.insert(k, v);
            }
        }
    }
    out
}

fn get<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    value.as_mapping()?.get(key)
}

impl Workflow {
    /// Parses a workflow file's text.
    pub fn parse(text: &str) -> Result<Workflow> {
        let value: Value = serde_yaml_ng::from_str(text).context("parsing the workflow")?;
        let Some(Value::Mapping(jobs)) = get(&value, "jobs") else {
            bail!("the workflow has no `jobs`");
        };
        Ok(Workflow { jobs: jobs.clone() })
    }

    fn job(&self, id: &str) -> Option<&Value> {
        self.jobs.get(id)
    }

    /// The jobs that build an image with `docker/build-push-action`, with their context and file.
    pub fn builds(&self) -> Vec<Build> {
        let mut out = Vec::new();
        for (id, job) in &self.jobs {
            let Some(id) = scalar(id) else { continue };
            let Some(Value::Sequence(steps)) = get(job, "steps") else {
                continue;
            };
            for step in steps {
                let uses = get(step, "uses").and_then(scalar).unwrap_or_default();
                if !uses.starts_with("docker/build-push-action") {
                    continue;
                }
                let with = string_map(get(step, "with"));
                let context = with.get("context").cloned().unwrap_or_else(|| ".".into());
                let file = with.get("file").cloned().unwrap_or_else(|| {
                    let dir = context.trim_end_matches('/');
                    if dir == "." || dir.is_empty() {
                        "Dockerfile".into()
                    } else {
                        format!("{dir}/Dockerfile")
                    }
                });
                out.push(Build {
                    job: id.clone(),
                    context,
                    file,
                });
            }
        }
        out
    }

    /// The lint and test job that build job `build_job` waits for: the job it `needs` that
    /// runs commands and is not the change detection.
    pub fn test_job_for(&self, build_job: &str) -> Option<TestJob> {
        let needs: Vec<String> = match self.job(build_job).and_then(|j| get(j, "needs")) {
            Some(Value::Sequence(list)) => list.iter().filter_map(scalar).collect(),
            Some(value) => scalar(value).into_iter().collect(),
            None => Vec::new(),
        };
        // The change detection publishes `outputs` for the jobs after it; a test job does not.
        needs
            .iter()
            .filter(|id| self.job(id).is_some_and(|j| get(j, "outputs").is_none()))
            .filter_map(|id| self.test_job(id))
            .find(|job| job.steps.iter().any(|s| matches!(s, Step::Run { .. })))
    }

    /// Reads job `id` as a test job.
    pub fn test_job(&self, id: &str) -> Option<TestJob> {
        let job = self.job(id)?;
        let working_directory = get(job, "defaults")
            .and_then(|d| get(d, "run"))
            .and_then(|r| get(r, "working-directory"))
            .and_then(scalar);
        let mut services = Vec::new();
        if let Some(Value::Mapping(map)) = get(job, "services") {
            for (name, service) in map {
                let (Some(name), Some(image)) =
                    (scalar(name), get(service, "image").and_then(scalar))
                else {
                    continue;
                };
                let ports = match get(service, "ports") {
                    Some(Value::Sequence(list)) => list.iter().filter_map(scalar).collect(),
                    _ => Vec::new(),
                };
                services.push(ServiceContainer {
                    name,
                    image,
                    env: string_map(get(service, "env")),
                    ports,
                    options: get(service, "options").and_then(scalar).unwrap_or_default(),
                });
            }
        }
        let mut steps = Vec::new();
        if let Some(Value::Sequence(list)) = get(job, "steps") {
            for step in list {
                let name = get(step, "name").and_then(scalar);
                if let Some(uses) = get(step, "uses").and_then(scalar) {
                    let action = uses.split('@').next().unwrap_or(&uses).to_owned();
                    steps.push(Step::Uses {
                        name: name.unwrap_or_else(|| action.clone()),
                        action,
                        with: string_map(get(step, "with")),
                    });
                } else if let Some(script) = get(step, "run").and_then(scalar) {
                    steps.push(Step::Run {
                        name: name.unwrap_or_else(|| {
                            script.lines().next().unwrap_or_default().to_owned()
                        }),
                        script,
                        working_directory: get(step, "working-directory").and_then(scalar),
                        env: string_map(get(step, "env")),
                        shell: get(step, "shell").and_then(scalar),
                        condition: get(step, "if").and_then(scalar),
                    });
                }
            }
        }
        Some(TestJob {
            id: id.to_owned(),
            working_directory,
            env: string_map(get(job, "env")),
            services,
            steps,
        })
    }
}

/// Splits a runner `options` string into arguments, honouring double and single quotes.
pub fn split_options(options: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    let mut has_word = false;
    for c in options.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => current.push(c),
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                has_word = true;
            }
            None if c.is_whitespace() => {
                if has_word {
                    out.push(std::mem::take(&mut current));
                    has_word = false;
                }
            }
            None => {
                current.push(c);
                has_word = true;
            }
        }
    }
    if has_word {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CI: &str = r#"
name: CI
jobs:
  changes:
    runs-on: ubuntu-24.04
    outputs:
      api: ${{ steps.diff.outputs.api }}
    steps:
      - uses: actions/checkout@abc # v5
      - id: diff
        run: echo "api=true" >> "$GITHUB_OUTPUT"
  test-api:
    name: Lint and test api
    needs: changes
    defaults:
      run:
        working-directory: services/api
    services:
      db:
        image: postgres:16
        env:
          POSTGRES_PASSWORD: "api"
        ports:
          - 5432:5432
        options: >-
          --health-cmd "pg_isready -U api"
          --health-interval 5s
    env:
      DATABASE_URL: "postgresql://api:api@localhost:5432/api"
      COREPACK_ENABLE_DOWNLOAD_PROMPT: "0"
    steps:
      - name: Check out
        uses: actions/checkout@abc # v5
      - name: Set up Node.js
        uses: actions/setup-node@def # v6
        with:
          node-version: "24"
          cache: npm
      - name: Install dependencies
        run: |
          npm ci
      - name: Test
        working-directory: services/api/test
        env:
          EXTRA: "1"
        run: npm test
  build-api:
    needs: [changes, test-api]
    steps:
      - uses: docker/build-push-action@123
        with:
          context: services/api
          file: services/api/Dockerfile
  build-web:
    needs: [changes]
    steps:
      - uses: docker/build-push-action@123
        with:
          context: .
"#;

    #[test]
    fn builds_take_context_and_file_from_the_action() {
        let workflow = Workflow::parse(CI).unwrap();
        assert_eq!(
            workflow.builds(),
            [
                Build {
                    job: "build-api".into(),
                    context: "services/api".into(),
                    file: "services/api/Dockerfile".into()
                },
                Build {
                    job: "build-web".into(),
                    context: ".".into(),
                    file: "Dockerfile".into()
                },
            ]
        );
    }

    #[test]
    fn the_test_job_is_what_the_build_needs() {
        let workflow = Workflow::parse(CI).unwrap();
        let job = workflow.test_job_for("build-api").unwrap();
        assert_eq!(job.id, "test-api");
        assert_eq!(job.working_directory.as_deref(), Some("services/api"));
        assert_eq!(
            job.env["DATABASE_URL"],
            "postgresql://api:api@localhost:5432/api"
        );
        assert_eq!(job.services.len(), 1);
        assert_eq!(job.services[0].image, "postgres:16");
        assert_eq!(job.services[0].ports, ["5432:5432"]);
        assert_eq!(
            split_options(&job.services[0].options),
            [
                "--health-cmd",
                "pg_isready -U api",
                "--health-interval",
                "5s"
            ]
        );
        let names: Vec<&str> = job
            .steps
            .iter()
            .map(|s| match s {
                Step::Uses { action, .. } => action.as_str(),
                Step::Run { name, .. } => name.as_str(),
            })
            .collect();
        assert_eq!(
            names,
            [
                "actions/checkout",
                "actions/setup-node",
                "Install dependencies",
                "Test"
            ]
        );
        let Step::Run {
            script,
            working_directory,
            env,
            ..
        } = &job.steps[3]
        else {
            panic!("a run step");
        };
        assert_eq!(script, "npm test");
        assert_eq!(working_directory.as_deref(), Some("services/api/test"));
        assert_eq!(env["EXTRA"], "1");
        // A build job that needs only the change detection has no test job.
        assert_eq!(workflow.test_job_for("build-web"), None);
    }

    #[test]
    fn options_split_like_a_shell() {
        assert_eq!(
            split_options(r#"--health-cmd "redis-cli ping" --health-retries 20"#),
            ["--health-cmd", "redis-cli ping", "--health-retries", "20"]
        );
        assert_eq!(split_options("--x 'a b' \"\""), ["--x", "a b", ""]);
        assert!(split_options("  ").is_empty());
    }
}
