//! Checks of scaffold's own repository files that are not Rust: the GitHub
//! workflows and the installer script.
//!
//! `cargo xtask conformance` runs actionlint, zizmor and shellcheck over them
//! with the same pinned tools and the same zero-findings bar as the generated
//! workflows ([`check`]). `cargo test` checks, without any tool, that the
//! release workflow, the installer, the `cargo binstall` metadata and the
//! drift check scaffold generates agree on the archive names.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use crate::conformance::{Tools, lines, output};

/// The workflow files of this repository.
pub fn workflows(root: &Path) -> Result<Vec<PathBuf>> {
    let dir = root.join(".github/workflows");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    files.sort();
    Ok(files)
}

/// actionlint, zizmor and shellcheck findings over this repository's own files; empty when clean.
pub fn check(root: &Path, tools: &Tools) -> Result<Vec<String>> {
    let files = workflows(root)?;
    if files.is_empty() {
        bail!(
            "{} has no workflows",
            root.join(".github/workflows").display()
        );
    }
    let mut findings = Vec::new();
    let (stdout, stderr, code) = output(
        tools
            .command("actionlint")
            .args(["-no-color", "-oneline"])
            .args(&files)
            .current_dir(root),
    )?;
    let found = lines(&stdout, root);
    if code != 0 && (code != 1 || found.is_empty()) {
        bail!("actionlint failed (exit {code}): {stderr}");
    }
    findings.extend(found.into_iter().map(|f| format!("actionlint: {f}")));

    let (stdout, stderr, code) = output(
        tools
            .command("zizmor")
            .args(["--offline", "--format", "plain", "--no-progress"])
            .args(&files)
            .current_dir(root),
    )?;
    let found: Vec<String> = lines(&stdout, root)
        .into_iter()
        .filter(|l| crate::conformance::github::is_finding_header(l))
        .collect();
    if code != 0 && found.is_empty() {
        bail!("zizmor failed (exit {code}): {stderr}{stdout}");
    }
    findings.extend(found.into_iter().map(|f| format!("zizmor: {f}")));

    let (stdout, stderr, code) = output(
        tools
            .command("shellcheck")
            .args(["--format", "gcc", "install.sh", ".ci/run"])
            .current_dir(root),
    )?;
    let found = lines(&stdout, root);
    if code != 0 && found.is_empty() {
        bail!("shellcheck failed (exit {code}): {stderr}");
    }
    findings.extend(found.into_iter().map(|f| format!("shellcheck: {f}")));
    Ok(findings)
}

#[cfg(test)]
mod tests {
    use scaffold_render::release;
    use serde_yaml_ng::Value;

    fn root() -> std::path::PathBuf {
        crate::workspace_root()
    }

    fn read(path: &str) -> String {
        std::fs::read_to_string(root().join(path)).unwrap()
    }

    #[test]
    fn the_release_builds_every_target_the_installers_name() {
        let workflow: Value =
            serde_yaml_ng::from_str(&read(".github/workflows/release.yml")).unwrap();
        let include = workflow["jobs"]["build"]["strategy"]["matrix"]["include"]
            .as_sequence()
            .expect("a build matrix");
        let mut targets: Vec<&str> = include
            .iter()
            .map(|entry| entry["target"].as_str().expect("a target"))
            .collect();
        targets.sort_unstable();
        let mut expected = release::TARGETS.to_vec();
        expected.sort_unstable();
        assert_eq!(targets, expected);
        assert!(release::TARGETS.contains(&release::CI_TARGET));

        // The packaging step names archives as `release::archive` does, with a `.sha256` beside.
        let steps = workflow["jobs"]["build"]["steps"].as_sequence().unwrap();
        let package = steps
            .iter()
            .find(|s| s["name"] == "Package and checksum")
            .and_then(|s| s["run"].as_str())
            .expect("a packaging step");
        for piece in [
            "name=\"scaffold-$TARGET\"",
            "archive=\"$name.zip\"",
            "archive=\"$name.tar.gz\"",
            "> \"$archive.sha256\"",
            "\"dist/$name/\"",
        ] {
            assert!(package.contains(piece), "packaging lacks {piece:?}");
        }
        assert_eq!(
            release::archive("x86_64-pc-windows-msvc"),
            "scaffold-x86_64-pc-windows-msvc.zip"
        );
        let this = release::this_release();
        assert_eq!(this.archive, format!("{}.tar.gz", this.folder));
        assert!(
            this.download_url
                .ends_with(&format!("/releases/download/{}", this.tag))
        );
    }

    #[test]
    fn the_installer_and_binstall_read_the_same_names() {
        let install = read("install.sh");
        assert!(install.contains("archive=\"scaffold-${target}.tar.gz\""));
        assert!(install.contains("cp \"scaffold-${target}/scaffold\""));
        assert!(install.contains("Linux) os=\"unknown-linux-musl\""));
        for arch in ["x86_64", "aarch64"] {
            for os in ["unknown-linux-musl", "apple-darwin"] {
                let target = format!("{arch}-{os}");
                assert!(release::TARGETS.contains(&target.as_str()), "{target}");
            }
        }
        assert!(install.contains(&format!("repository=\"{}\"", release::REPOSITORY)));

        let manifest: toml::Table = read("crates/scaffold-cli/Cargo.toml").parse().unwrap();
        let binstall = &manifest["package"]["metadata"]["binstall"];
        let expand = |template: &str, target: &str| {
            template
                .replace(
                    "{ repo }",
                    &format!("https://github.com/{}", release::REPOSITORY),
                )
                .replace("{ version }", scaffold_render::VERSION)
                .replace("{ target }", target)
                .replace("{ bin }", "scaffold")
                .replace("{ binary-ext }", "")
        };
        let url = expand(binstall["pkg-url"].as_str().unwrap(), release::CI_TARGET);
        let this = release::this_release();
        assert_eq!(url, format!("{}/{}", this.download_url, this.archive));
        assert_eq!(
            expand(binstall["bin-dir"].as_str().unwrap(), release::CI_TARGET),
            format!("{}/scaffold", this.folder)
        );
        let windows = &binstall["overrides"]["x86_64-pc-windows-msvc"];
        assert!(
            expand(
                windows["pkg-url"].as_str().unwrap(),
                "x86_64-pc-windows-msvc"
            )
            .ends_with(&release::archive("x86_64-pc-windows-msvc"))
        );
        let workspace: toml::Table = read("Cargo.toml").parse().unwrap();
        assert_eq!(
            workspace["workspace"]["package"]["repository"].as_str(),
            Some(format!("https://github.com/{}", release::REPOSITORY).as_str())
        );
    }

    #[test]
    fn every_action_is_pinned_to_a_commit() {
        for path in super::workflows(&root()).unwrap() {
            let text = std::fs::read_to_string(&path).unwrap();
            for line in text.lines().filter(|l| {
                l.trim_start().starts_with("uses:") || l.trim_start().starts_with("- uses:")
            }) {
                let reference = line.split('@').nth(1).unwrap_or_default();
                let sha = reference.split_whitespace().next().unwrap_or_default();
                assert!(
                    sha.len() == 40 && sha.chars().all(|c| c.is_ascii_hexdigit()),
                    "{}: {line}",
                    path.display()
                );
            }
        }
    }
}
