//! The conformance harness: every example × every validator, zero findings.
//!
//! Each artifact family registers its validators in [`VALIDATORS`] from its
//! own module. A validator inspects one rendered example and returns either
//! `NotApplicable` (nothing of its kind was rendered) or its findings. Tool
//! failures (a crash, a missing schema) are errors, never a silent pass.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result, bail};
use scaffold_core::Project;
use scaffold_core::project::Facts;
use scaffold_render::Files;

pub(crate) mod containers;
mod docs;
pub(crate) mod github;
pub(crate) mod kubernetes;
mod terraform;
mod tools;

pub use tools::Tools;

/// The vendored third-party schemas, relative to the workspace root: `schemas/` and
/// `crd-schemas/` below it, with their sources and licenses in its README.
pub const VENDOR_DIR: &str = "xtask/vendor";

/// Command-line options.
pub struct Options {
    /// The workspace root.
    pub root: PathBuf,
    /// The folder holding third-party schemas (`xtask/vendor` unless overridden).
    pub shared: PathBuf,
    /// The validators' venv.
    pub venv: PathBuf,
    /// Example names to run; all when empty.
    pub examples: Vec<String>,
    /// Validator names to run; all when empty.
    pub only: Vec<String>,
}

/// One rendered example.
pub struct Example {
    /// The file stem, such as `gcp-canary`.
    pub name: String,
    /// The resolved model.
    #[allow(dead_code, reason = "validators that need the model read it")]
    pub project: Project,
    /// Every rendered file.
    pub files: Files,
    /// Where the files were written.
    pub dir: PathBuf,
}

impl Example {
    /// Rendered paths matching `predicate`, as absolute paths.
    pub fn paths(&self, predicate: impl Fn(&str) -> bool) -> Vec<PathBuf> {
        self.files
            .keys()
            .filter(|p| predicate(p))
            .map(|p| self.dir.join(p))
            .collect()
    }
}

/// What a validator found in one example.
pub enum Outcome {
    /// Nothing of the validator's kind was rendered.
    NotApplicable,
    /// The findings; empty means clean.
    Findings(Vec<String>),
}

/// A third-party check over a rendered example.
pub struct Validator {
    /// Its column name in the table.
    pub name: &'static str,
    /// Runs it.
    pub run: fn(&Context, &Example) -> Result<Outcome>,
}

/// What validators need besides the example.
pub struct Context {
    /// The installed tools.
    pub tools: Tools,
    /// The shared folder with third-party schemas.
    pub shared: PathBuf,
    /// The workspace root.
    pub root: PathBuf,
}

impl Context {
    /// A third-party schema under the shared folder; missing is an error.
    pub fn schema(&self, relative: &str) -> Result<PathBuf> {
        let path = self.shared.join(relative);
        if !path.is_file() {
            bail!(
                "schema {} is missing; vendor it into {VENDOR_DIR}/ (see its README), or pass --shared DIR (or set SCAFFOLD_SHARED) to a folder holding schemas/ and crd-schemas/",
                path.display()
            );
        }
        Ok(path)
    }
}

/// Every validator, in table column order: each family's list, family by family.
fn all_validators() -> Vec<&'static Validator> {
    [
        containers::VALIDATORS,
        github::VALIDATORS,
        kubernetes::VALIDATORS,
        terraform::VALIDATORS,
        docs::VALIDATORS,
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Runs the harness; `Ok(true)` when every cell is clean.
pub fn run(options: &Options) -> Result<bool> {
    let tools = Tools::install(&options.root, &options.venv)?;
    let context = Context {
        tools,
        shared: options.shared.clone(),
        root: options.root.clone(),
    };
    let examples = render_examples(options)?;
    let validators: Vec<&Validator> = all_validators()
        .into_iter()
        .filter(|v| options.only.is_empty() || options.only.iter().any(|o| o == v.name))
        .collect();
    if validators.is_empty() {
        bail!("no validator matches {:?}", options.only);
    }
    let mut table: Vec<(String, Vec<String>)> = Vec::new();
    let mut clean = true;
    // Cells: clean (passed), with findings or errors (failed), not applicable (skipped).
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    for example in &examples {
        let mut row = Vec::new();
        for validator in &validators {
            let cell = match (validator.run)(&context, example)
                .with_context(|| format!("{} on {}", validator.name, example.name))
            {
                Ok(Outcome::NotApplicable) => {
                    skipped += 1;
                    "-".to_owned()
                }
                Ok(Outcome::Findings(findings)) => {
                    for finding in &findings {
                        println!("{} {}: {finding}", example.name, validator.name);
                    }
                    if findings.is_empty() {
                        passed += 1;
                    } else {
                        failed += 1;
                        clean = false;
                    }
                    findings.len().to_string()
                }
                Err(err) => {
                    println!("{} {}: error: {err:#}", example.name, validator.name);
                    clean = false;
                    failed += 1;
                    "error".to_owned()
                }
            };
            row.push(cell);
        }
        table.push((example.name.clone(), row));
    }
    // scaffold's own workflows and scripts, held to the same bar (skipped with --example/--only).
    if options.examples.is_empty() && options.only.is_empty() {
        let own = crate::own::check(&options.root, &context.tools)?;
        for finding in &own {
            println!("scaffold's own files: {finding}");
        }
        if own.is_empty() {
            passed += 1;
        } else {
            failed += 1;
            clean = false;
        }
        println!(
            "scaffold's own workflows and scripts: {} findings",
            own.len()
        );
    }
    print!("{}", format_table(&validators, &table));
    if clean {
        println!(
            "{} examples, {} validators, 0 findings",
            examples.len(),
            validators.len()
        );
    } else {
        println!("findings above; every cell must be 0 or -");
    }
    // One closing line in the form CI runners summarise: example × validator cells.
    println!("conformance: {passed} passed, {failed} failed, {skipped} skipped");
    Ok(clean)
}

fn format_table(validators: &[&Validator], rows: &[(String, Vec<String>)]) -> String {
    let first = rows.iter().map(|(n, _)| n.len()).max().unwrap_or(7).max(7);
    let widths: Vec<usize> = validators.iter().map(|v| v.name.len().max(5)).collect();
    let mut out = String::new();
    let _ = write!(out, "\n{:first$}", "example");
    for (v, w) in validators.iter().zip(&widths) {
        let _ = write!(out, "  {:>w$}", v.name);
    }
    out.push('\n');
    for (name, cells) in rows {
        let _ = write!(out, "{name:first$}");
        for (cell, w) in cells.iter().zip(&widths) {
            let _ = write!(out, "  {cell:>w$}");
        }
        out.push('\n');
    }
    out
}

/// Renders every selected example into `target/conformance/<name>/`.
fn render_examples(options: &Options) -> Result<Vec<Example>> {
    let dir = options.root.join("tests/examples");
    let mut paths: Vec<PathBuf> = fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    let mut examples = Vec::new();
    for path in paths {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if !options.examples.is_empty() && !options.examples.contains(&name) {
            continue;
        }
        let text = fs::read_to_string(&path)?;
        let project = Project::from_toml(&text, &example_facts(&dir.join(&name))?)
            .map_err(|err| anyhow::anyhow!("{}: {err}", path.display()))?;
        let files = scaffold_render::render(&project)?;
        let out = options.root.join("target/conformance").join(&name);
        if out.exists() {
            fs::remove_dir_all(&out)?;
        }
        for (relative, content) in &files {
            let target = out.join(relative);
            fs::create_dir_all(target.parent().unwrap())?;
            fs::write(&target, content)?;
        }
        fs::create_dir_all(&out)?;
        fs::write(out.join("scaffold.toml"), &text)?;
        examples.push(Example {
            name,
            project,
            files,
            dir: out,
        });
    }
    if examples.is_empty() {
        bail!(
            "no example matches {:?} in {}",
            options.examples,
            dir.display()
        );
    }
    Ok(examples)
}

/// What scaffold would learn from the repository an example stands for, the files under
/// `root` (`tests/examples/<name>/`, when there is one): see `Facts::of_example`.
fn example_facts(root: &Path) -> Result<Facts> {
    let mut files = Vec::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        if !folder.is_dir() {
            continue;
        }
        for entry in fs::read_dir(&folder)? {
            let path = entry?.path();
            if path.is_dir() {
                folders.push(path);
            } else {
                let relative = path.strip_prefix(root)?;
                let text = fs::read_to_string(&path).unwrap_or_default();
                files.push((relative.to_string_lossy().replace('\\', "/"), text));
            }
        }
    }
    Ok(Facts::of_example(
        files.iter().map(|(p, t)| (p.as_str(), t.as_str())),
    ))
}

/// checkov, offline, over `dir` for `frameworks`: one finding per failed check.
///
/// A deliberate exception is a `checkov:skip` written in the generated file,
/// never a flag here.
pub fn checkov(
    ctx: &Context,
    example: &Example,
    dir: &Path,
    frameworks: &[&str],
) -> Result<Outcome> {
    let (stdout, stderr, code) = output(
        ctx.tools
            .python(&ctx.root, "checkov_run.py")
            .arg(dir)
            .args(frameworks),
    )?;
    if code == 2 {
        bail!("checkov failed: {stderr}");
    }
    Ok(Outcome::Findings(lines(&stdout, &example.dir)))
}

/// Runs `command`, returning its stdout and stderr and exit code.
pub fn output(command: &mut Command) -> Result<(String, String, i32)> {
    let out = command
        .output()
        .with_context(|| format!("running {command:?}"))?;
    Ok((
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    ))
}

/// Splits tool output into non-empty finding lines, with `dir/` stripped for readability.
pub fn lines(text: &str, dir: &Path) -> Vec<String> {
    let prefix = format!("{}/", dir.display());
    text.lines()
        .map(|l| l.replace(&prefix, ""))
        .filter(|l| !l.trim().is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// Every `.json` file below `dir`, relative to `root`, `/`-separated.
    fn json_files(dir: &Path, root: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                json_files(&path, root, out);
            } else if path.extension().is_some_and(|e| e == "json") {
                let relative = path.strip_prefix(root).unwrap();
                out.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }

    /// The harness runs on a fresh clone: every schema it names is vendored, and nothing else is.
    #[test]
    fn the_vendored_schemas_are_exactly_the_ones_the_harness_reads() {
        let root = crate::workspace_root().join(super::VENDOR_DIR);
        let mut vendored = Vec::new();
        json_files(&root, &root, &mut vendored);
        vendored.sort();
        let mut named: Vec<String> = super::kubernetes::CUSTOM_RESOURCES
            .iter()
            .map(|(_, _, schema)| (*schema).to_owned())
            .chain([super::containers::COMPOSE_SCHEMA.to_owned()])
            .collect();
        named.sort();
        assert_eq!(vendored, named);
        let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
        for path in &named {
            let name = path.trim_start_matches("crd-schemas/");
            assert!(
                readme.contains(name),
                "{path} is not recorded in the README"
            );
        }
    }
}
