//! Validators for the docs family: markdownlint, relative links, and mermaid diagrams.
//!
//! markdownlint-cli2 and `@mermaid-js/parser` come from npm, pinned exactly in
//! `xtask/js/package.json` and `package-lock.json`, and are installed with
//! `npm ci` into `target/node-tools/` the first time a run needs them (again
//! only when the lockfile changes). The link checker is plain Python run by
//! the validators' venv.
//!
//! Every rendered `.md` file is checked, not only the docs family's: a README
//! another family renders is read on GitHub just the same.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use anyhow::{Context as _, Result, bail};

use super::{Context, Example, Outcome, Validator, lines, output};

/// This family's validators, in table column order.
pub const VALIDATORS: &[Validator] = &[
    Validator {
        name: "markdownlint",
        run: markdownlint,
    },
    Validator {
        name: "doc-links",
        run: doc_links,
    },
    Validator {
        name: "mermaid",
        run: mermaid,
    },
];

/// Rendered Markdown files, relative to the example's folder.
fn markdown_files(example: &Example) -> Vec<String> {
    example
        .files
        .keys()
        .filter(|p| p.ends_with(".md"))
        .cloned()
        .collect()
}

/// Where the Node tools are installed.
fn node_tools(root: &Path) -> PathBuf {
    root.join("target/node-tools")
}

/// Installs the pinned Node tools once per run; later calls reuse the outcome.
fn ensure_node_tools(root: &Path) -> Result<PathBuf> {
    static INSTALLED: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    INSTALLED
        .get_or_init(|| install_node_tools(root).map_err(|err| format!("{err:#}")))
        .clone()
        .map_err(anyhow::Error::msg)
}

/// `npm ci` into `target/node-tools/` unless the installed lockfile is already current.
fn install_node_tools(root: &Path) -> Result<PathBuf> {
    let source = root.join("xtask/js");
    let dir = node_tools(root);
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let lock =
        fs::read(source.join("package-lock.json")).context("reading xtask/js/package-lock.json")?;
    let installed_lock = dir.join("node_modules/.scaffold-package-lock.json");
    let current = fs::read(&installed_lock).is_ok_and(|installed| installed == lock)
        && dir
            .join("node_modules/markdownlint-cli2/markdownlint-cli2-bin.mjs")
            .is_file()
        && dir
            .join("node_modules/@mermaid-js/parser/package.json")
            .is_file();
    if !current {
        for file in ["package.json", "package-lock.json"] {
            fs::copy(source.join(file), dir.join(file))
                .with_context(|| format!("copying xtask/js/{file}"))?;
        }
        let (stdout, stderr, code) = output(
            Command::new("npm")
                .args([
                    "ci",
                    "--ignore-scripts",
                    "--no-audit",
                    "--no-fund",
                    "--prefix",
                ])
                .arg(&dir),
        )
        .context("running npm (Node.js 20 or newer must be installed)")?;
        if code != 0 {
            bail!("npm ci into {} failed: {stdout}{stderr}", dir.display());
        }
        fs::write(&installed_lock, &lock)?;
    }
    // Node resolves imports next to the script, so the checker runs from the install folder.
    fs::copy(
        source.join("mermaid-check.mjs"),
        dir.join("mermaid-check.mjs"),
    )
    .context("copying xtask/js/mermaid-check.mjs")?;
    Ok(dir)
}

/// markdownlint-cli2 over every rendered Markdown file, with `xtask/js/.markdownlint-cli2.jsonc`.
pub fn markdownlint(ctx: &Context, example: &Example) -> Result<Outcome> {
    let files = markdown_files(example);
    if files.is_empty() {
        return Ok(Outcome::NotApplicable);
    }
    let tools = ensure_node_tools(&ctx.root)?;
    let config = ctx.root.join("xtask/js/.markdownlint-cli2.jsonc");
    let (stdout, stderr, code) = output(
        Command::new("node")
            .arg(tools.join("node_modules/markdownlint-cli2/markdownlint-cli2-bin.mjs"))
            .arg("--config")
            .arg(config)
            .args(files.iter().map(|f| format!(":{f}")))
            .current_dir(&example.dir),
    )?;
    // Exit 1 means findings (on stderr); anything else but 0 is a failure of the tool.
    if code != 0 && code != 1 {
        bail!("markdownlint-cli2 failed ({code}): {stdout}{stderr}");
    }
    let findings: Vec<String> = lines(&stderr, &example.dir)
        .into_iter()
        .filter(|l| {
            !l.starts_with("markdownlint-cli2 v")
                && !l.starts_with("Finding:")
                && !l.starts_with("Linting:")
                && !l.starts_with("Summary:")
        })
        .collect();
    if code == 1 && findings.is_empty() {
        bail!("markdownlint-cli2 reported failure without findings: {stdout}{stderr}");
    }
    Ok(Outcome::Findings(findings))
}

/// Every relative link in every rendered Markdown file resolves, fragments included.
pub fn doc_links(ctx: &Context, example: &Example) -> Result<Outcome> {
    let files = markdown_files(example);
    if files.is_empty() {
        return Ok(Outcome::NotApplicable);
    }
    let (stdout, stderr, code) = output(
        ctx.tools
            .python(&ctx.root, "docs_links.py")
            .arg(&example.dir)
            .args(&files),
    )?;
    if code != 0 {
        bail!("docs_links.py failed: {stderr}");
    }
    Ok(Outcome::Findings(lines(&stdout, &example.dir)))
}

/// Every ```mermaid block parses offline and passes the renderer's semantic checks.
pub fn mermaid(ctx: &Context, example: &Example) -> Result<Outcome> {
    let files: Vec<String> = markdown_files(example)
        .into_iter()
        .filter(|f| example.files[f].contains("```mermaid"))
        .collect();
    if files.is_empty() {
        return Ok(Outcome::NotApplicable);
    }
    let tools = ensure_node_tools(&ctx.root)?;
    let (stdout, stderr, code) = output(
        Command::new("node")
            .arg(tools.join("mermaid-check.mjs"))
            .args(&files)
            .current_dir(&example.dir),
    )?;
    if code != 0 {
        bail!("mermaid-check.mjs failed: {stderr}");
    }
    Ok(Outcome::Findings(lines(&stdout, &example.dir)))
}
