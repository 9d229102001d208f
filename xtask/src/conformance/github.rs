//! Validators for the github family: actionlint (with shellcheck on `run:` scripts),
//! zizmor's offline audits and checkov's github_actions checks over every rendered workflow. yamllint, registered by the
//! containers family, already covers every `.yml` and `.yaml` file, these included.

use anyhow::{Result, bail};

use super::{Context, Example, Outcome, Validator, lines, output};

/// This family's validators, in table column order.
pub const VALIDATORS: &[Validator] = &[
    Validator {
        name: "actionlint",
        run: actionlint,
    },
    Validator {
        name: "zizmor",
        run: zizmor,
    },
    Validator {
        name: "checkov-gha",
        run: checkov,
    },
];

/// The rendered workflow files.
fn workflows(example: &Example) -> Vec<std::path::PathBuf> {
    example.paths(|p| {
        p.starts_with(".github/workflows/") && (p.ends_with(".yml") || p.ends_with(".yaml"))
    })
}

/// actionlint over every workflow. The venv's bin is first on PATH, so actionlint finds
/// shellcheck there and checks every `run:` script (it silently skips them otherwise).
pub fn actionlint(ctx: &Context, example: &Example) -> Result<Outcome> {
    let files = workflows(example);
    if files.is_empty() {
        return Ok(Outcome::NotApplicable);
    }
    let (stdout, stderr, code) = output(
        ctx.tools
            .command("actionlint")
            .args(["-no-color", "-oneline"])
            .args(&files)
            .current_dir(&example.dir),
    )?;
    let findings = lines(&stdout, &example.dir);
    // actionlint exits 1 with findings, and 2 or 3 when it could not run.
    if code != 0 && (code != 1 || findings.is_empty()) {
        bail!("actionlint failed (exit {code}): {stderr}");
    }
    Ok(Outcome::Findings(findings))
}

/// zizmor's offline audits over every workflow and `dependabot.yml`. Its exit code is the
/// highest severity found, so findings are read from its output: one per
/// `level[audit]: message` line, with the `-->` location line that follows it.
pub fn zizmor(ctx: &Context, example: &Example) -> Result<Outcome> {
    let mut files = workflows(example);
    if files.is_empty() {
        return Ok(Outcome::NotApplicable);
    }
    files.extend(example.paths(|p| p == ".github/dependabot.yml"));
    let (stdout, stderr, code) = output(
        ctx.tools
            .command("zizmor")
            .args(["--offline", "--format", "plain", "--no-progress"])
            .args(&files)
            .current_dir(&example.dir),
    )?;
    let text = lines(&stdout, &example.dir);
    let mut findings = Vec::new();
    let mut iter = text.iter().peekable();
    while let Some(line) = iter.next() {
        if is_finding_header(line) {
            let location = iter
                .peek()
                .filter(|next| next.trim_start().starts_with("-->"))
                .map(|next| {
                    next.trim_start()
                        .trim_start_matches("-->")
                        .trim()
                        .to_owned()
                });
            findings.push(match location {
                Some(location) => format!("{location}: {line}"),
                None => line.clone(),
            });
        }
    }
    if code != 0 && findings.is_empty() {
        bail!("zizmor failed (exit {code}): {stderr}{stdout}");
    }
    Ok(Outcome::Findings(findings))
}

/// checkov's github_actions framework over the rendered workflows, zero failed checks.
pub fn checkov(ctx: &Context, example: &Example) -> Result<Outcome> {
    if workflows(example).is_empty() {
        return Ok(Outcome::NotApplicable);
    }
    super::checkov(ctx, example, &example.dir, &["github_actions"])
}

/// Whether `line` opens a zizmor finding, such as `error[github-env]: dangerous use ...`.
pub(crate) fn is_finding_header(line: &str) -> bool {
    let Some((level, rest)) = line.split_once('[') else {
        return false;
    };
    matches!(level, "error" | "warning" | "help" | "info" | "note")
        && rest
            .split_once("]:")
            .is_some_and(|(audit, _)| !audit.is_empty() && !audit.contains(' '))
}
