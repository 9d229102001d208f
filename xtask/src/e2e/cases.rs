//! The cases of the e2e stage: the fixture apps under `tests/fixtures/apps/` and, for every
//! language scaffold knows, the starter it writes into an empty repository.
//!
//! A fixture is a small realistic app with its real framework conventions and lockfiles, plus an
//! `e2e.toml` holding its truth (what a correct setup must do with it), and optionally a
//! `scaffold-answers.toml` used with `--answers` when detection is not the point.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use scaffold_core::vocabulary::ServiceKind;
use serde::Deserialize;

/// The fixture's truth, from its `e2e.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// One line saying what the app is.
    pub about: String,
    /// Files a real repository would commit that could not be generated here (a lockfile whose
    /// registry is unreachable); the static check treats them as present.
    #[serde(default)]
    pub absent: Vec<String>,
    /// Whether the app has tests, so a generated CI that runs none of them is a failure.
    #[serde(default)]
    pub tests: bool,
    /// The deployable services.
    #[serde(default)]
    pub services: Vec<Truth>,
}

/// What a service really is, in the words of the service contract plus `static` (a site
/// served by a web server: the contract calls it `web`, in the `static` language).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Serves HTTP on its port.
    #[default]
    Web,
    /// Serves gRPC on its port.
    Grpc,
    /// Listens on no port.
    Worker,
    /// Runs to completion on a schedule.
    Job,
    /// A built site served as files.
    Static,
}

impl Kind {
    /// The contract's kind for it.
    pub fn contract(self) -> ServiceKind {
        match self {
            Kind::Web | Kind::Static => ServiceKind::Web,
            Kind::Grpc => ServiceKind::Grpc,
            Kind::Worker => ServiceKind::Worker,
            Kind::Job => ServiceKind::Job,
        }
    }
}

/// One service as it really is.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Truth {
    /// Folder relative to the repository root.
    pub path: String,
    /// The language (stack) a correct detection names, in `scaffold.toml`'s spelling.
    pub language: String,
    /// What it is.
    pub kind: Kind,
    /// The port it listens on.
    pub port: Option<u16>,
    /// Its liveness path.
    pub health: Option<String>,
    /// Its readiness path.
    pub readiness: Option<String>,
    /// Datastore engines it uses.
    #[serde(default)]
    pub uses: Vec<String>,
}

/// Where a case's repository comes from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A fixture folder, copied.
    Fixture(PathBuf),
    /// An empty repository, rendered with this language.
    Starter(String),
}

/// One case.
#[derive(Debug, Clone)]
pub struct Case {
    /// Its name in the table.
    pub name: String,
    /// Where its repository comes from.
    pub source: Source,
    /// Its truth (empty for starters).
    pub manifest: Manifest,
    /// An answers file to pass with `--answers` instead of `--defaults`.
    pub answers: Option<PathBuf>,
}

impl Case {
    /// The truth for the service at `path`, if the manifest has one.
    pub fn truth(&self, path: &str) -> Option<&Truth> {
        let normalise = |p: &str| p.trim_matches('/').trim_start_matches("./").to_owned();
        let path = normalise(path);
        self.manifest
            .services
            .iter()
            .find(|t| normalise(&t.path) == path || (path.is_empty() && t.path == "."))
    }
}

/// Files of a fixture folder that belong to the harness, not to the app.
pub const HARNESS_FILES: &[&str] = &["e2e.toml", "scaffold-answers.toml"];

/// Every fixture under `dir`, sorted by name.
pub fn fixtures(dir: &Path) -> Result<Vec<Case>> {
    let mut out = Vec::new();
    let entries = fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
    for entry in entries {
        let path = entry?.path();
        if !path.is_dir() {
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let manifest_path = path.join("e2e.toml");
        let text = fs::read_to_string(&manifest_path)
            .with_context(|| format!("fixture {name} needs an e2e.toml saying what it is"))?;
        let manifest: Manifest = toml::from_str(&text)
            .with_context(|| format!("reading {}", manifest_path.display()))?;
        let answers = path.join("scaffold-answers.toml");
        out.push(Case {
            name,
            answers: answers.is_file().then_some(answers),
            source: Source::Fixture(path),
            manifest,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// A starter case per language: an empty repository rendered with `--defaults` and that
/// language, which must get a working starter app (issue #14, item 6).
pub fn starters(languages: &[String]) -> Vec<Case> {
    languages
        .iter()
        .map(|language| Case {
            name: format!("starter-{language}"),
            source: Source::Starter(language.clone()),
            // A starter comes with one passing test (issue #14, item 6), which CI must run.
            manifest: Manifest {
                tests: true,
                ..Manifest::default()
            },
            answers: None,
        })
        .collect()
}

/// Copies a fixture into `to` (which must not exist), without the harness's own files.
pub fn copy_fixture(from: &Path, to: &Path) -> Result<()> {
    fn copy(from: &Path, to: &Path, top: bool) -> Result<()> {
        fs::create_dir_all(to)?;
        for entry in fs::read_dir(from)? {
            let entry = entry?;
            let name = entry.file_name();
            let name_text = name.to_string_lossy();
            if top && HARNESS_FILES.contains(&name_text.as_ref()) {
                continue;
            }
            // Build output and installs never belong in a fixture; skip them if a local run left any.
            if matches!(
                name_text.as_ref(),
                "node_modules" | "target" | ".venv" | "__pycache__" | ".next" | ".pytest_cache"
            ) && entry.file_type()?.is_dir()
            {
                continue;
            }
            let target = to.join(&name);
            let kind = entry.file_type()?;
            if kind.is_dir() {
                copy(&entry.path(), &target, false)?;
            } else if kind.is_symlink() {
                std::os::unix::fs::symlink(fs::read_link(entry.path())?, &target)?;
            } else {
                fs::copy(entry.path(), &target)?;
            }
        }
        Ok(())
    }
    copy(from, to, true).with_context(|| format!("copying {} to {}", from.display(), to.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixtures_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/apps")
    }

    #[test]
    fn every_fixture_has_a_valid_manifest() {
        let cases = fixtures(&fixtures_dir()).unwrap();
        let names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
        for required in [
            "node-express",
            "node-nextjs",
            "node-pnpm-workspace",
            "python-fastapi",
            "python-django",
            "python-worker",
            "rust-axum",
            "static-vite",
            "go-service",
            "java-spring-boot",
            "dotnet-api",
            "ruby-rails",
            "php-plain",
        ] {
            assert!(
                names.contains(&required),
                "missing fixture {required}: {names:?}"
            );
        }
        for case in &cases {
            assert!(
                !case.manifest.about.is_empty(),
                "{}: say what it is",
                case.name
            );
            assert!(
                !case.manifest.services.is_empty(),
                "{}: no services",
                case.name
            );
        }
    }

    #[test]
    fn fixtures_cover_both_datastores_and_a_worker() {
        let cases = fixtures(&fixtures_dir()).unwrap();
        let truths: Vec<&Truth> = cases.iter().flat_map(|c| &c.manifest.services).collect();
        assert!(
            truths
                .iter()
                .any(|t| t.uses.contains(&"postgres".to_owned()))
        );
        assert!(truths.iter().any(|t| t.uses.contains(&"redis".to_owned())));
        assert!(
            truths
                .iter()
                .any(|t| t.kind == Kind::Worker && t.port.is_none())
        );
    }

    #[test]
    fn every_fixture_with_dependencies_has_its_lockfile() {
        // Lockfiles generated from the registries reachable here; the others are declared absent.
        for case in fixtures(&fixtures_dir()).unwrap() {
            let Source::Fixture(dir) = &case.source else {
                continue;
            };
            let has =
                |f: &str| dir.join(f).is_file() || case.manifest.absent.iter().any(|a| a == f);
            let pairs = [
                (
                    "package.json",
                    &["package-lock.json", "pnpm-lock.yaml", "yarn.lock"][..],
                ),
                ("Cargo.toml", &["Cargo.lock"][..]),
                ("pyproject.toml", &["uv.lock", "poetry.lock"][..]),
                ("requirements.in", &["requirements.txt"][..]),
                ("Gemfile", &["Gemfile.lock"][..]),
                ("composer.json", &["composer.lock"][..]),
            ];
            for (manifest, locks) in pairs {
                if dir.join(manifest).is_file() {
                    assert!(
                        locks.iter().any(|l| has(l)),
                        "{}: {manifest} without a lockfile",
                        case.name
                    );
                }
            }
        }
    }

    #[test]
    fn truth_is_found_by_path() {
        let case = Case {
            name: "x".into(),
            source: Source::Starter("node".into()),
            answers: None,
            manifest: Manifest {
                about: "x".into(),
                absent: Vec::new(),
                tests: false,
                services: vec![
                    Truth {
                        path: ".".into(),
                        kind: Kind::Web,
                        ..Truth::default()
                    },
                    Truth {
                        path: "apps/api".into(),
                        kind: Kind::Worker,
                        ..Truth::default()
                    },
                ],
            },
        };
        assert_eq!(case.truth(".").unwrap().kind, Kind::Web);
        assert_eq!(case.truth("apps/api/").unwrap().kind, Kind::Worker);
        assert!(case.truth("apps/web").is_none());
    }
}
