//! Validators for the Terraform family: HCL parsing, `terraform fmt`, and checkov.

use std::process::Command;

use anyhow::{Result, bail};

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
