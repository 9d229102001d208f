//! Validators for the containers family: hadolint, yamllint, and the Compose schema.

use anyhow::{Result, bail};

use super::{Context, Example, Outcome, Validator, lines, output};

/// The Compose Specification's JSON Schema, below the schemas folder.
pub const COMPOSE_SCHEMA: &str = "schemas/compose-spec.json";

/// This family's validators, in table column order.
pub const VALIDATORS: &[Validator] = &[
    Validator {
        name: "hadolint",
        run: hadolint,
    },
    Validator {
        name: "yamllint",
        run: yamllint,
    },
    Validator {
        name: "compose-schema",
        run: compose_schema,
    },
    Validator {
        name: "checkov-docker",
        run: checkov,
    },
];

/// hadolint on every Dockerfile.
pub fn hadolint(ctx: &Context, example: &Example) -> Result<Outcome> {
    let files = example.paths(|p| p == "Dockerfile" || p.ends_with("/Dockerfile"));
    if files.is_empty() {
        return Ok(Outcome::NotApplicable);
    }
    let mut findings = Vec::new();
    for file in files {
        let (stdout, stderr, code) =
            output(ctx.tools.command("hadolint").arg("--no-color").arg(&file))?;
        if code != 0 && stdout.trim().is_empty() {
            bail!("hadolint failed on {}: {stderr}", file.display());
        }
        findings.extend(lines(&stdout, &example.dir));
    }
    Ok(Outcome::Findings(findings))
}

/// yamllint over every rendered YAML file, with the repository's config.
pub fn yamllint(ctx: &Context, example: &Example) -> Result<Outcome> {
    let files = example.paths(|p| p.ends_with(".yaml") || p.ends_with(".yml"));
    if files.is_empty() {
        return Ok(Outcome::NotApplicable);
    }
    let config = ctx.root.join("xtask/validators/yamllint.yaml");
    let (stdout, stderr, code) = output(
        ctx.tools
            .command("yamllint")
            .args(["-s", "-f", "parsable", "-c"])
            .arg(config)
            .args(&files),
    )?;
    if code != 0 && stdout.trim().is_empty() {
        bail!("yamllint failed: {stderr}");
    }
    Ok(Outcome::Findings(lines(&stdout, &example.dir)))
}

/// `compose.yaml` against the Compose Specification's JSON schema.
pub fn compose_schema(ctx: &Context, example: &Example) -> Result<Outcome> {
    let files = example.paths(|p| p == "compose.yaml");
    if files.is_empty() {
        return Ok(Outcome::NotApplicable);
    }
    let schema = ctx.schema(COMPOSE_SCHEMA)?;
    let (stdout, stderr, code) = output(
        ctx.tools
            .python(&ctx.root, "schema_check.py")
            .arg(schema)
            .args(&files),
    )?;
    if code == 2 || (code != 0 && stdout.trim().is_empty()) {
        bail!("schema check failed: {stderr}");
    }
    Ok(Outcome::Findings(lines(&stdout, &example.dir)))
}

/// checkov's dockerfile framework over every Dockerfile, with zero failed checks.
pub fn checkov(ctx: &Context, example: &Example) -> Result<Outcome> {
    if example
        .paths(|p| p == "Dockerfile" || p.ends_with("/Dockerfile"))
        .is_empty()
    {
        return Ok(Outcome::NotApplicable);
    }
    super::checkov(ctx, example, &example.dir, &["dockerfile"])
}
