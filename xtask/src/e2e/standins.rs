//! Base images for builds on a machine without a registry.
//!
//! The generated Dockerfiles and compose files name official images (`node:24.11.1-bookworm-slim`,
//! `postgres:16-alpine`). Where podman has no registry to pull them from, a stand-in built
//! offline from Debian packages and language registries (recipes in `xtask/container-rig/`) is
//! tagged with the exact name. This module decides, from an image reference alone, which
//! stand-in answers for it, or why none can (then the image is "not buildable here", never a
//! pass). What a stand-in proves: the Dockerfile's logic (paths, commands, lockfiles, user,
//! port, command, HEALTHCHECK); not that the upstream tag exists, nor Alpine or distroless
//! specifics.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use anyhow::{Context as _, Result, bail};

/// A stand-in recipe and the variant to build (a Node version, a Python minor version).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct StandIn {
    /// The recipe folder under `xtask/container-rig/standins/`.
    pub kind: &'static str,
    /// Passed to `standin.sh`; `-` when the recipe has no variants.
    pub variant: String,
}

/// Fully qualifies a reference the way Docker resolves short names:
/// `node:24` is `docker.io/library/node:24`, `a/b` is `docker.io/a/b:latest`.
pub fn qualify(reference: &str) -> String {
    let (name, suffix) = match reference.split_once('@') {
        Some((name, digest)) => (name, format!("@{digest}")),
        None => (reference, String::new()),
    };
    let last = name.rsplit('/').next().unwrap_or(name);
    let name = if suffix.is_empty() && !last.contains(':') {
        format!("{name}:latest")
    } else {
        name.to_owned()
    };
    let first = name.split('/').next().unwrap_or("");
    let has_registry =
        name.contains('/') && (first.contains('.') || first.contains(':') || first == "localhost");
    let qualified = if has_registry {
        name
    } else if name.contains('/') {
        format!("docker.io/{name}")
    } else {
        format!("docker.io/library/{name}")
    };
    format!("{qualified}{suffix}")
}

/// The repository and tag of a qualified reference (`docker.io/library/node`, `24-slim`).
fn split(qualified: &str) -> (&str, &str) {
    let name = qualified.split('@').next().unwrap_or(qualified);
    match name.rfind(':') {
        Some(i) if !name[i..].contains('/') => (&name[..i], &name[i + 1..]),
        _ => (name, "latest"),
    }
}

/// The stand-in for `reference`, or why none can be built here.
pub fn classify(reference: &str) -> Result<StandIn, String> {
    let qualified = qualify(reference);
    if qualified.contains('@') {
        return Err(format!(
            "{reference} is pinned by digest, which a locally built stand-in cannot have"
        ));
    }
    let (repository, tag) = split(&qualified);
    let plain = |kind| {
        Ok(StandIn {
            kind,
            variant: "-".to_owned(),
        })
    };
    // The leading version of a tag: `24.11.1-bookworm-slim` -> `24.11.1`.
    let version = tag.split('-').next().unwrap_or("");
    let numeric = !version.is_empty() && version.chars().all(|c| c.is_ascii_digit() || c == '.');
    match repository {
        "docker.io/library/node" if numeric => Ok(StandIn {
            kind: "node",
            variant: version.to_owned(),
        }),
        "docker.io/library/python" if numeric && version.contains('.') => Ok(StandIn {
            kind: "python",
            variant: version.split('.').take(2).collect::<Vec<_>>().join("."),
        }),
        "docker.io/library/rust" => plain("rust"),
        "ghcr.io/astral-sh/uv" if numeric => Ok(StandIn {
            kind: "uv",
            variant: version.to_owned(),
        }),
        "gcr.io/distroless/cc-debian12"
        | "gcr.io/distroless/cc"
        | "gcr.io/distroless/base-debian12" => plain("distroless-cc"),
        "gcr.io/distroless/static-debian12" | "gcr.io/distroless/static" => {
            plain("distroless-static")
        }
        "docker.io/nginxinc/nginx-unprivileged" => plain("nginx-unprivileged"),
        "docker.io/library/postgres" => plain("postgres"),
        "docker.io/library/redis" => plain("redis"),
        _ => Err(unavailable_reason(repository)),
    }
}

/// Why there is no stand-in for an image of `repository`.
fn unavailable_reason(repository: &str) -> String {
    let name = repository.rsplit('/').next().unwrap_or(repository);
    let why = match name {
        "golang" => {
            "no Go toolchain image: no registry here, Debian's Go 1.19 is older than any go.mod asks, and the Go module proxy is unreachable"
        }
        "maven" | "gradle" | "eclipse-temurin" | "openjdk" | "amazoncorretto" => {
            "no JDK build image: no registry here, and Maven Central is unreachable"
        }
        n if n.starts_with("java") => {
            "no distroless Java runtime stand-in (and no Maven Central to build the jar)"
        }
        "sdk" | "aspnet" | "runtime" | "runtime-deps" if repository.contains("dotnet") => {
            "no .NET image: no registry here (mcr.microsoft.com), Debian has no .NET SDK, and NuGet is unreachable"
        }
        "ruby" => {
            "no Ruby image: no registry here, Debian bookworm's Ruby is 3.1, and RubyGems is unreachable"
        }
        "php" | "composer" | "frankenphp" | "php-fpm" => {
            "no PHP image: no registry here, Debian bookworm's PHP is 8.2, FrankenPHP and install-php-extensions are GitHub downloads (unreachable), and so is Packagist"
        }
        "mysql" | "mariadb" => "no MySQL stand-in yet",
        "node" | "python" | "uv" => "only version-numbered tags can be stood in for",
        _ => "no registry here and no stand-in recipe for it",
    };
    format!("{repository}: {why}")
}

/// Makes every reference in `references` available to podman: present already, or tagged from
/// a stand-in built now (in parallel, a few at a time). Returns the references that cannot be
/// provided, each with its reason.
pub fn ensure(root: &Path, references: &[String]) -> BTreeMap<String, String> {
    let mut unavailable = BTreeMap::new();
    let mut wanted: BTreeMap<StandIn, Vec<String>> = BTreeMap::new();
    for reference in references {
        let qualified = qualify(reference);
        if image_exists(&qualified) {
            continue;
        }
        match classify(reference) {
            Ok(standin) => wanted.entry(standin).or_default().push(qualified),
            Err(reason) => {
                unavailable.insert(reference.clone(), reason);
            }
        }
    }
    let script = root.join("xtask/container-rig/standin.sh");
    let jobs: Vec<(StandIn, Vec<String>)> = wanted.into_iter().collect();
    // Three at a time: the builds wait on apt and registries more than on the two cores.
    for chunk in jobs.chunks(3) {
        let results: Vec<(String, Result<()>)> = std::thread::scope(|scope| {
            let handles: Vec<_> = chunk
                .iter()
                .map(|(standin, refs)| {
                    let script = &script;
                    scope.spawn(move || {
                        let started = std::time::Instant::now();
                        let result = build(script, standin, refs);
                        println!(
                            "  stand-in {}:{} for {} ({}s){}",
                            standin.kind,
                            standin.variant,
                            refs.join(", "),
                            started.elapsed().as_secs(),
                            if result.is_ok() { "" } else { " FAILED" }
                        );
                        (refs.join(" "), result)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("stand-in thread panicked"))
                .collect()
        });
        for (refs, result) in results {
            if let Err(err) = result {
                for reference in refs.split(' ') {
                    unavailable.insert(
                        reference.to_owned(),
                        format!("its stand-in could not be built: {err:#}"),
                    );
                }
            }
        }
    }
    unavailable
}

fn build(script: &Path, standin: &StandIn, refs: &[String]) -> Result<()> {
    let out = Command::new("bash")
        .arg(script)
        .arg(standin.kind)
        .arg(&standin.variant)
        .args(refs)
        .output()
        .with_context(|| format!("running {}", script.display()))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
        bail!(
            "{} {} failed: {}",
            script.display(),
            standin.kind,
            tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
        );
    }
    Ok(())
}

fn image_exists(qualified: &str) -> bool {
    Command::new("podman")
        .args(["image", "exists", qualified])
        .status()
        .is_ok_and(|s| s.success())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_qualify_like_docker() {
        for (short, long) in [
            ("node:24-slim", "docker.io/library/node:24-slim"),
            ("postgres", "docker.io/library/postgres:latest"),
            (
                "nginxinc/nginx-unprivileged:1.28.0-alpine",
                "docker.io/nginxinc/nginx-unprivileged:1.28.0-alpine",
            ),
            ("ghcr.io/astral-sh/uv:0.9.11", "ghcr.io/astral-sh/uv:0.9.11"),
            ("localhost:5000/app", "localhost:5000/app:latest"),
            ("node@sha256:ab", "docker.io/library/node@sha256:ab"),
        ] {
            assert_eq!(qualify(short), long);
        }
    }

    fn check(reference: &str, expect: Option<(&'static str, &str)>) {
        let got = classify(reference);
        match expect {
            Some((kind, variant)) => assert_eq!(
                got,
                Ok(StandIn {
                    kind,
                    variant: variant.to_owned()
                }),
                "{reference}"
            ),
            None => assert!(got.is_err(), "{reference}: {got:?}"),
        }
    }

    #[test]
    fn stand_ins_follow_the_reference() {
        check("node:24.11.1-bookworm-slim", Some(("node", "24.11.1")));
        check("node:22-alpine", Some(("node", "22")));
        check("node:lts", None);
        check("python:3.13.9-slim-bookworm", Some(("python", "3.13")));
        check("python:3.12-slim", Some(("python", "3.12")));
        check("python:3", None);
        check("rust:1.91.1-bookworm", Some(("rust", "-")));
        check("ghcr.io/astral-sh/uv:0.9.11", Some(("uv", "0.9.11")));
        check(
            "gcr.io/distroless/cc-debian12:nonroot",
            Some(("distroless-cc", "-")),
        );
        check(
            "gcr.io/distroless/static-debian12:nonroot",
            Some(("distroless-static", "-")),
        );
        check(
            "nginxinc/nginx-unprivileged:1.28.0-alpine",
            Some(("nginx-unprivileged", "-")),
        );
        check("postgres:16-alpine", Some(("postgres", "-")));
        check("redis:7.2", Some(("redis", "-")));
    }

    #[test]
    fn no_stand_in_says_why() {
        for (reference, why) in [
            ("golang:1.25.4-bookworm", "Go module proxy"),
            ("maven:3.9.11-eclipse-temurin-21", "Maven Central"),
            ("gcr.io/distroless/java21-debian12:nonroot", "Java"),
            ("mcr.microsoft.com/dotnet/sdk:9.0", "NuGet"),
            ("ruby:3.4-slim", "RubyGems"),
            ("php:8.3-fpm", "Packagist"),
            ("mysql:8.4", "MySQL"),
            ("node@sha256:0123", "digest"),
        ] {
            let reason = classify(reference).unwrap_err();
            assert!(reason.contains(why), "{reference}: {reason}");
        }
    }
}
