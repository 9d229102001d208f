//! Bringing a generated `compose.yaml` up the way a developer does, and probing the apps in it.
//!
//! The services with a `build:` are the apps; the others (datastores) come up first and the
//! harness waits for their healthchecks itself, because podman-compose 1.x ignores
//! `depends_on: condition: service_healthy` and podman runs no healthchecks without systemd.
//! Only then are the apps built and started, as Docker Compose would start them. Each app is
//! probed through the port compose publishes: the liveness path, and the readiness path too,
//! which is what proves the datastore URLs compose hands the app are right.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use serde_yaml_ng::Value;

/// One service of a compose file.
#[derive(Debug, Clone, PartialEq)]
pub struct ComposeService {
    /// Its key under `services`.
    pub name: String,
    /// Whether compose builds it (an app) rather than pulling an image (a datastore).
    pub builds: bool,
    /// `image`, for services that pull one.
    pub image: Option<String>,
    /// Published ports: (host, container).
    pub ports: Vec<(u16, u16)>,
    /// Whether it declares a healthcheck.
    pub healthcheck: bool,
}

/// Reads the services of a compose file.
pub fn services(text: &str) -> Result<Vec<ComposeService>> {
    let value: Value = serde_yaml_ng::from_str(text).context("parsing compose.yaml")?;
    let Some(Value::Mapping(services)) = value.get("services") else {
        bail!("compose.yaml has no `services`");
    };
    let mut out = Vec::new();
    for (name, service) in services {
        let Some(name) = name.as_str() else { continue };
        let ports = match service.get("ports") {
            Some(Value::Sequence(list)) => list.iter().filter_map(port).collect(),
            _ => Vec::new(),
        };
        out.push(ComposeService {
            name: name.to_owned(),
            builds: service.get("build").is_some(),
            image: service
                .get("image")
                .and_then(Value::as_str)
                .map(str::to_owned),
            ports,
            healthcheck: service.get("healthcheck").is_some(),
        });
    }
    Ok(out)
}

/// A published port in short (`"127.0.0.1:8080:80"`, `"8080:80"`) or long syntax.
fn port(value: &Value) -> Option<(u16, u16)> {
    if let Some(text) = value.as_str() {
        let text = text.split('/').next()?;
        let parts: Vec<&str> = text.rsplitn(3, ':').collect();
        return match parts.as_slice() {
            [container, host, ..] => Some((host.parse().ok()?, container.parse().ok()?)),
            _ => None,
        };
    }
    let published = value.get("published")?;
    let host = published
        .as_u64()
        .map(|p| p.to_string())
        .or_else(|| published.as_str().map(str::to_owned))?;
    Some((
        host.parse().ok()?,
        value.get("target")?.as_u64()?.try_into().ok()?,
    ))
}

/// The image references a compose file pulls.
pub fn images(text: &str) -> Vec<String> {
    services(text)
        .map(|list| {
            list.into_iter()
                .filter_map(|s| s.image.filter(|_| !s.builds))
                .collect()
        })
        .unwrap_or_default()
}

/// What probing one app through compose found.
#[derive(Debug, Clone)]
pub struct AppResult {
    /// The compose service.
    pub service: String,
    /// `Ok` or what failed.
    pub outcome: Result<(), String>,
}

/// What the harness asks of each app in the stack.
#[derive(Debug, Clone)]
pub struct AppProbe {
    /// The compose service name.
    pub service: String,
    /// The container port it listens on (None for a worker).
    pub port: Option<u16>,
    /// Paths that must answer 2xx/3xx once the datastores are up (liveness, readiness); with a
    /// port and no paths (gRPC), the port must accept connections.
    pub paths: Vec<String>,
    /// Whether compose may leave the service out (a scheduled job).
    pub optional: bool,
}

/// The compose file scaffold wrote in `dir`: [`SCAFFOLD_COMPOSE`] beside the repository's own
/// compose file, else `compose.yaml`.
///
/// [`SCAFFOLD_COMPOSE`]: scaffold_core::project::SCAFFOLD_COMPOSE
pub fn generated_file(dir: &Path) -> std::path::PathBuf {
    let beside = dir.join(scaffold_core::project::SCAFFOLD_COMPOSE);
    if beside.is_file() {
        beside
    } else {
        dir.join("compose.yaml")
    }
}

/// Brings the stack in `dir` up, probes `apps`, and takes it down again (volumes too).
///
/// `Err` is a failure of the stack itself (it did not come up); per-app results otherwise.
pub fn check(
    engine: &super::engine::Engine,
    dir: &Path,
    project: &str,
    apps: &[AppProbe],
    log: &Path,
) -> Result<Vec<AppResult>, String> {
    let file = generated_file(dir);
    let text =
        std::fs::read_to_string(&file).map_err(|e| format!("reading {}: {e}", file.display()))?;
    let declared = services(&text).map_err(|e| format!("{e:#}"))?;
    let result = up_and_probe(engine, dir, project, apps, &declared, log);
    let down = engine
        .compose(project, &file)
        .current_dir(dir)
        .args(["down", "-v"])
        .output();
    if let Ok(out) = down {
        append(log, &out.stdout);
        append(log, &out.stderr);
    }
    // podman-compose leaves containers behind when `up` failed half way; remove by label.
    let leftovers: Vec<String> = engine
        .compose_containers(project)
        .into_iter()
        .map(|(id, _, _)| id)
        .collect();
    engine.remove(&leftovers);
    result
}

fn append(log: &Path, bytes: &[u8]) {
    use std::io::Write as _;
    if let Ok(mut file) = std::fs::File::options().append(true).create(true).open(log) {
        let _ = file.write_all(bytes);
    }
}

fn up_and_probe(
    engine: &super::engine::Engine,
    dir: &Path,
    project: &str,
    apps: &[AppProbe],
    declared: &[ComposeService],
    log: &Path,
) -> Result<Vec<AppResult>, String> {
    let file = generated_file(dir);
    let datastores: Vec<&ComposeService> = declared.iter().filter(|s| !s.builds).collect();
    let builds: Vec<&ComposeService> = declared.iter().filter(|s| s.builds).collect();
    let timeout = Duration::from_secs(20 * 60);

    if !datastores.is_empty() {
        let mut up = engine.compose(project, &file);
        up.current_dir(dir).args(["up", "-d"]);
        up.args(datastores.iter().map(|s| s.name.as_str()));
        let outcome =
            super::process::run_logged(&mut up, log, timeout).map_err(|e| format!("{e:#}"))?;
        if !outcome.success {
            return Err(format!("datastores did not start: {}", outcome.error_line));
        }
        // Wait for every datastore's healthcheck, as `condition: service_healthy` would.
        let containers = engine.compose_containers(project);
        for store in datastores.iter().filter(|s| s.healthcheck) {
            let ids: Vec<&String> = containers
                .iter()
                .filter(|(_, service, _)| service == &store.name)
                .map(|(id, _, _)| id)
                .collect();
            if ids.is_empty() {
                return Err(format!("datastore {} has no container", store.name));
            }
            for id in ids {
                if !engine.healthcheck(id, Duration::from_secs(90)) {
                    return Err(format!(
                        "datastore {} never became healthy: {}",
                        store.name,
                        super::process::error_line(&engine.logs(id, 20))
                    ));
                }
            }
        }
    }

    let mut up = engine.compose(project, &file);
    up.current_dir(dir)
        .args(["up", "-d", "--build", "--no-deps"]);
    up.args(builds.iter().map(|s| s.name.as_str()));
    let outcome =
        super::process::run_logged(&mut up, log, timeout).map_err(|e| format!("{e:#}"))?;
    if !outcome.success {
        return Err(format!("compose up failed: {}", outcome.error_line));
    }

    let containers = engine.compose_containers(project);
    let mut results = Vec::new();
    for app in apps {
        let container = containers
            .iter()
            .find(|(_, service, _)| service == &app.service)
            .map(|(id, _, _)| id.clone());
        let declared_service = declared.iter().find(|s| s.name == app.service);
        if declared_service.is_none() && app.optional {
            continue;
        }
        let outcome = match (&container, declared_service) {
            (_, None) => Err(format!("compose.yaml has no service {}", app.service)),
            (None, _) => Err(format!("compose started no container for {}", app.service)),
            (Some(id), Some(service)) => probe_app(engine, id, service, app),
        };
        if let (Err(_), Some(id)) = (&outcome, &container) {
            append(
                log,
                format!("\n--- logs of {} ---\n", app.service).as_bytes(),
            );
            append(log, engine.logs(id, 40).as_bytes());
        }
        results.push(AppResult {
            service: app.service.clone(),
            outcome,
        });
    }
    Ok(results)
}

fn probe_app(
    engine: &super::engine::Engine,
    id: &str,
    service: &ComposeService,
    app: &AppProbe,
) -> Result<(), String> {
    let Some(port) = app.port else {
        // A worker: it must still be running after a while, connected to its datastores.
        std::thread::sleep(Duration::from_secs(8));
        return if engine.running(id) {
            Ok(())
        } else {
            Err(format!(
                "the worker exited: {}",
                super::process::error_line(&engine.logs(id, 30))
            ))
        };
    };
    let Some(&(host, _)) = service
        .ports
        .iter()
        .find(|(_, container)| *container == port)
    else {
        return Err(format!(
            "compose publishes no port for container port {port} (ports: {:?})",
            service.ports
        ));
    };
    if app.paths.is_empty() {
        let answer =
            super::probe::wait_for_port(host, Duration::from_secs(90), || engine.running(id));
        if !answer.passes() {
            return Err(format!("nothing accepts connections on :{host}"));
        }
    }
    for path in &app.paths {
        let answer =
            super::probe::wait_for(host, path, Duration::from_secs(90), || engine.running(id));
        if !answer.passes() {
            let logs = engine.logs(id, 30);
            return Err(format!(
                "GET {path} on :{host}: {}{}",
                answer.describe(),
                if engine.running(id) {
                    String::new()
                } else {
                    format!(" (container exited: {})", super::process::error_line(&logs))
                }
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMPOSE: &str = r#"
name: shop
services:
  api:
    build:
      context: services/api
    ports:
      - "127.0.0.1:3000:3000"
    depends_on:
      db:
        condition: service_healthy
  worker:
    build:
      context: .
  db:
    image: postgres:16-alpine
    ports:
      - "127.0.0.1:5432:5432"
      - target: 9187
        published: "19187"
    healthcheck:
      test: ["CMD", "pg_isready"]
"#;

    #[test]
    fn apps_build_and_datastores_pull() {
        let list = services(COMPOSE).unwrap();
        let names: Vec<(&str, bool)> = list.iter().map(|s| (s.name.as_str(), s.builds)).collect();
        assert_eq!(names, [("api", true), ("worker", true), ("db", false)]);
        assert_eq!(list[0].ports, [(3000, 3000)]);
        assert_eq!(list[2].ports, [(5432, 5432), (19187, 9187)]);
        assert!(list[2].healthcheck && !list[0].healthcheck);
        assert_eq!(images(COMPOSE), ["postgres:16-alpine"]);
    }

    #[test]
    fn short_ports_with_and_without_an_address() {
        for (text, expect) in [
            ("8080:80", Some((8080, 80))),
            ("127.0.0.1:8080:80/tcp", Some((8080, 80))),
            ("80", None),
        ] {
            assert_eq!(port(&Value::String(text.into())), expect, "{text}");
        }
    }
}
