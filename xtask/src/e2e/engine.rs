//! The container engine the e2e stage drives: Docker where a working engine exists, else podman
//! with offline stand-ins, else none (the image checks skip, saying what is missing).
//!
//! The two differ in ways the harness must hide: podman needs `--format docker` to keep a
//! `HEALTHCHECK` (OCI images drop it), never schedules health checks without systemd (so the
//! harness runs them with `podman healthcheck run`), and composes with `podman-compose`, which
//! ignores `condition: service_healthy` (so the harness starts datastores first and waits).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::Result;

use super::process::{Outcome, run_logged};

/// Which engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A Docker engine (and, it is assumed, a registry to pull from).
    Docker,
    /// podman, with stand-ins for the base images.
    Podman,
}

/// What probing one engine found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// The command is not installed.
    Missing,
    /// Installed, but it cannot build and run images; the reason.
    Broken(String),
    /// Ready.
    Works,
}

/// The skip decision: an engine to use, or why the image checks are skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Use this engine.
    Use(Kind),
    /// Skip every image check, with a message naming what is missing.
    Skip(String),
}

/// Decides from what the probes found. Docker wins when it works; podman is the fallback.
pub fn decide(docker: &State, podman: &State) -> Decision {
    match (docker, podman) {
        (State::Works, _) => Decision::Use(Kind::Docker),
        (_, State::Works) => Decision::Use(Kind::Podman),
        _ => {
            let describe = |name: &str, state: &State| match state {
                State::Missing => format!("{name} is not installed"),
                State::Broken(why) => format!("{name} does not work ({why})"),
                State::Works => format!("{name} works"),
            };
            Decision::Skip(format!(
                "no working container engine: {}; {}. On Debian as root, `bash xtask/container-rig/setup.sh` installs podman and the stand-in base",
                describe("docker", docker),
                describe("podman", podman)
            ))
        }
    }
}

fn first_line(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("no output")
        .to_owned()
}

/// Probes `docker`: installed, and its daemon answers.
pub fn probe_docker() -> State {
    match Command::new("docker").arg("info").output() {
        Err(_) => State::Missing,
        Ok(out) if out.status.success() => State::Works,
        Ok(out) => State::Broken(first_line(&out.stderr)),
    }
}

/// Probes `podman`: installed, the stand-in base present, and a container actually runs
/// (the rlimit and cgroup traps of this sandbox show up only then).
pub fn probe_podman() -> State {
    match Command::new("podman").arg("--version").output() {
        Err(_) => return State::Missing,
        Ok(out) if !out.status.success() => return State::Broken(first_line(&out.stderr)),
        Ok(_) => {}
    }
    let base = "localhost/standin-bookworm-base:latest";
    let exists = Command::new("podman")
        .args(["image", "exists", base])
        .status()
        .is_ok_and(|s| s.success());
    if !exists {
        return State::Broken(format!(
            "no registry here and the stand-in base {base} is missing; run `bash xtask/container-rig/setup.sh` as root"
        ));
    }
    match Command::new("podman")
        .args(["run", "--rm", "--network=none", base, "true"])
        .output()
    {
        Ok(out) if out.status.success() => State::Works,
        Ok(out) => State::Broken(format!(
            "a container does not start: {}",
            first_line(&out.stderr)
        )),
        Err(err) => State::Broken(err.to_string()),
    }
}

/// A container engine and the compose front end that goes with it.
#[derive(Debug, Clone)]
pub struct Engine {
    /// Docker or podman.
    pub kind: Kind,
    /// The compose command: `docker compose` or the pinned `podman-compose`.
    pub compose: Vec<String>,
}

impl Engine {
    /// The engine's program name.
    pub fn program(&self) -> &'static str {
        match self.kind {
            Kind::Docker => "docker",
            Kind::Podman => "podman",
        }
    }

    /// A command for the engine.
    pub fn command(&self) -> Command {
        let mut command = Command::new(self.program());
        if self.kind == Kind::Podman {
            // Keep HEALTHCHECK in images built by podman-compose too (OCI drops it).
            command.env("BUILDAH_FORMAT", "docker");
        }
        command
    }

    /// A compose command for `project` over the file `file`.
    pub fn compose(&self, project: &str, file: &Path) -> Command {
        let mut command = Command::new(&self.compose[0]);
        command.args(&self.compose[1..]);
        command.arg("-p").arg(project).arg("-f").arg(file);
        command.env("BUILDAH_FORMAT", "docker");
        command
    }

    /// Builds `dockerfile` in `context` as `tag`, logging to `log`.
    pub fn build(
        &self,
        context: &Path,
        dockerfile: &Path,
        tag: &str,
        log: &Path,
    ) -> Result<Outcome> {
        let mut command = self.command();
        command.arg("build");
        if self.kind == Kind::Podman {
            command.args(["--format", "docker"]);
        }
        command
            .arg("-t")
            .arg(tag)
            .arg("-f")
            .arg(dockerfile)
            .arg(context);
        run_logged(&mut command, log, Duration::from_secs(20 * 60))
    }

    /// Starts `image` detached as `name` with `options` (how its pod runs it), publishing
    /// `port` on `host_port` of 127.0.0.1.
    pub fn run(
        &self,
        image: &str,
        name: &str,
        port: Option<(u16, u16)>,
        options: &[String],
    ) -> Result<(bool, String)> {
        let mut command = self.command();
        command.args(["run", "-d", "--name", name]);
        if let Some((host, container)) = port {
            command
                .arg("-p")
                .arg(format!("127.0.0.1:{host}:{container}"));
        }
        command.args(options);
        command.arg(image);
        let out = command.output()?;
        Ok((
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        ))
    }

    /// Whether container `name` is running.
    pub fn running(&self, name: &str) -> bool {
        self.inspect(name, "{{.State.Running}}").as_deref() == Some("true")
    }

    /// One `inspect` field of a container.
    pub fn inspect(&self, name: &str, format: &str) -> Option<String> {
        let out = self
            .command()
            .args(["inspect", "-f", format, name])
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }

    /// The user an image runs as (its config's `User`), empty when it sets none.
    pub fn image_user(&self, image: &str) -> String {
        self.command()
            .args(["image", "inspect", "-f", "{{.Config.User}}", image])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default()
    }

    /// Whether an image declares a HEALTHCHECK.
    pub fn image_has_healthcheck(&self, image: &str) -> bool {
        let format = match self.kind {
            Kind::Podman => "{{if .HealthCheck}}yes{{end}}",
            Kind::Docker => "{{if .Config.Healthcheck}}yes{{end}}",
        };
        let out = self
            .command()
            .args(["image", "inspect", "-f", format, image])
            .output();
        out.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "yes")
    }

    /// Runs a container's own HEALTHCHECK until it passes or `timeout` ends.
    ///
    /// podman has no scheduler here (no systemd), so the harness runs the check itself with
    /// `podman healthcheck run`; for Docker, whose scheduler would first run it only after the
    /// image's interval, it runs the check's command the same way with `docker exec`.
    pub fn healthcheck(&self, name: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let exec = match self.kind {
            Kind::Podman => None,
            Kind::Docker => {
                let test = self
                    .inspect(name, "{{json .Config.Healthcheck.Test}}")
                    .unwrap_or_default();
                match healthcheck_command(&test) {
                    Some(command) => Some(command),
                    None => return false,
                }
            }
        };
        loop {
            let mut command = self.command();
            match &exec {
                None => command.args(["healthcheck", "run", name]),
                Some(args) => command.arg("exec").arg(name).args(args),
            };
            if command.output().is_ok_and(|o| o.status.success()) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    }

    /// The last lines of a container's log.
    pub fn logs(&self, name: &str, lines: usize) -> String {
        let out = self
            .command()
            .args(["logs", "--tail", &lines.to_string(), name])
            .output();
        match out {
            Ok(out) => {
                let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
                text.push_str(&String::from_utf8_lossy(&out.stderr));
                text
            }
            Err(err) => err.to_string(),
        }
    }

    /// Removes containers, ignoring ones that are gone.
    pub fn remove(&self, names: &[String]) {
        if names.is_empty() {
            return;
        }
        let _ = self.command().args(["rm", "-f", "-v"]).args(names).output();
    }

    /// Removes images, ignoring ones that are gone.
    pub fn remove_images(&self, images: &[String]) {
        if images.is_empty() {
            return;
        }
        let _ = self.command().args(["rmi", "-f"]).args(images).output();
    }

    /// Containers of a compose project: (id, compose service, running).
    pub fn compose_containers(&self, project: &str) -> Vec<(String, String, bool)> {
        let format = match self.kind {
            Kind::Podman => "{{.ID}}\t{{index .Labels \"com.docker.compose.service\"}}\t{{.State}}",
            Kind::Docker => "{{.ID}}\t{{.Label \"com.docker.compose.service\"}}\t{{.State}}",
        };
        let out = self
            .command()
            .args(["ps", "-a", "--filter"])
            .arg(format!("label=com.docker.compose.project={project}"))
            .args(["--format", format])
            .output();
        let Ok(out) = out else { return Vec::new() };
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|line| {
                let mut parts = line.split('\t');
                let id = parts.next()?.to_owned();
                let service = parts.next()?.to_owned();
                let state = parts.next().unwrap_or("");
                Some((id, service, state.eq_ignore_ascii_case("running")))
            })
            .collect()
    }
}

/// The command a HEALTHCHECK's `Test` (JSON, as `inspect` prints it) runs: `["CMD", args...]`
/// as is, `["CMD-SHELL", script]` through `/bin/sh -c`; `None` for no check.
pub fn healthcheck_command(test: &str) -> Option<Vec<String>> {
    let test: Vec<String> = serde_yaml_ng::from_str(test.trim()).ok()?;
    match test.split_first()? {
        (kind, args) if kind == "CMD" && !args.is_empty() => Some(args.to_vec()),
        (kind, [script]) if kind == "CMD-SHELL" => {
            Some(vec!["/bin/sh".into(), "-c".into(), script.clone()])
        }
        _ => None,
    }
}

/// Finds the compose front end: `docker compose` for Docker; for podman the pinned
/// `podman-compose` the harness installed under `tools`, or one on PATH.
pub fn compose_command(kind: Kind, tools: &Path) -> Option<Vec<String>> {
    match kind {
        Kind::Docker => Command::new("docker")
            .args(["compose", "version"])
            .output()
            .is_ok_and(|o| o.status.success())
            .then(|| vec!["docker".to_owned(), "compose".to_owned()]),
        Kind::Podman => {
            let pinned: PathBuf = tools.join("bin/podman-compose");
            if pinned.is_file() {
                return Some(vec![pinned.to_string_lossy().into_owned()]);
            }
            Command::new("podman-compose")
                .arg("version")
                .output()
                .is_ok_and(|o| o.status.success())
                .then(|| vec!["podman-compose".to_owned()])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn healthcheck_tests_become_commands() {
        assert_eq!(
            healthcheck_command(r#"["CMD","pg_isready","-U","app"]"#),
            Some(vec!["pg_isready".into(), "-U".into(), "app".into()])
        );
        assert_eq!(
            healthcheck_command(r#"["CMD-SHELL","redis-cli ping | grep PONG"]"#),
            Some(vec![
                "/bin/sh".into(),
                "-c".into(),
                "redis-cli ping | grep PONG".into()
            ])
        );
        assert_eq!(healthcheck_command(r#"["NONE"]"#), None);
        assert_eq!(healthcheck_command("null"), None);
    }

    #[test]
    fn docker_wins_when_it_works() {
        assert_eq!(
            decide(&State::Works, &State::Works),
            Decision::Use(Kind::Docker)
        );
        assert_eq!(
            decide(&State::Works, &State::Missing),
            Decision::Use(Kind::Docker)
        );
    }

    #[test]
    fn podman_is_the_fallback() {
        let no_daemon = State::Broken("Cannot connect to the Docker daemon".into());
        assert_eq!(
            decide(&no_daemon, &State::Works),
            Decision::Use(Kind::Podman)
        );
        assert_eq!(
            decide(&State::Missing, &State::Works),
            Decision::Use(Kind::Podman)
        );
    }

    #[test]
    fn skipping_names_what_is_missing() {
        let Decision::Skip(message) = decide(
            &State::Broken("Cannot connect to the Docker daemon".into()),
            &State::Missing,
        ) else {
            panic!("expected a skip");
        };
        assert!(
            message.contains("docker does not work (Cannot connect to the Docker daemon)"),
            "{message}"
        );
        assert!(message.contains("podman is not installed"), "{message}");
        assert!(
            message.contains("xtask/container-rig/setup.sh"),
            "{message}"
        );

        let Decision::Skip(message) = decide(
            &State::Missing,
            &State::Broken("the stand-in base is missing".into()),
        ) else {
            panic!("expected a skip");
        };
        assert!(message.contains("docker is not installed"), "{message}");
        assert!(
            message.contains("podman does not work (the stand-in base is missing)"),
            "{message}"
        );
    }
}
