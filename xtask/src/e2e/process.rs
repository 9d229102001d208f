//! Running a step of the e2e stage: output to a log file, a deadline, and the one line of the
//! log that says what went wrong (what the report and the table's notes quote).

use std::fs::{self, File};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};

/// How a logged command ended.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Exit status 0 within the deadline.
    pub success: bool,
    /// Wall time.
    pub elapsed: Duration,
    /// The line that best explains a failure (empty on success).
    pub error_line: String,
    /// GitHub workflow commands the command printed (`::notice::...`, `::warning::...`).
    pub annotations: Vec<String>,
}

/// Runs `command` with stdout and stderr appended to `log`, killing it after `timeout`.
pub fn run_logged(command: &mut Command, log: &Path, timeout: Duration) -> Result<Outcome> {
    if let Some(parent) = log.parent() {
        fs::create_dir_all(parent)?;
    }
    let file = File::options()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| format!("opening {}", log.display()))?;
    // Only this command's part of the log explains its failure.
    let offset = file.metadata().map_or(0, |m| m.len()) as usize;
    {
        use std::io::Write as _;
        let mut header = &file;
        writeln!(header, "$ {command:?}")?;
    }
    let started = Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(file.try_clone()?)
        .stderr(file)
        .spawn()
        .with_context(|| format!("starting {command:?}"))?;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if started.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let elapsed = started.elapsed();
    let success = status.is_some_and(|s| s.success());
    let bytes = fs::read(log).unwrap_or_default();
    let output = String::from_utf8_lossy(bytes.get(offset..).unwrap_or_default()).into_owned();
    let error_line = if success {
        String::new()
    } else if status.is_none() {
        format!("timed out after {}s", timeout.as_secs())
    } else {
        error_line(&output)
    };
    let annotations = output
        .lines()
        .map(str::trim)
        .filter(|l| {
            l.starts_with("::notice") || l.starts_with("::warning") || l.starts_with("::error")
        })
        .map(str::to_owned)
        .collect();
    Ok(Outcome {
        success,
        elapsed,
        error_line,
        annotations,
    })
}

/// The line of a failed command's output that best says what went wrong: the last line that
/// looks like an error, else the last non-empty line. Long lines are shortened.
pub fn error_line(output: &str) -> String {
    const MARKERS: &[&str] = &[
        "error",
        "Error",
        "ERROR",
        "ERR!",
        "FAIL",
        "failed",
        "No such file",
        "not found",
        "cannot",
        "Cannot",
        "Traceback",
        "panicked",
    ];
    // Lines a build tool prints after the real error, which say nothing new.
    const NOISE: &[&str] = &[
        "npm error A complete log of this run",
        "npm error code",
        "npm error path",
        "npm error command",
        "npm error errno",
        "while running runtime: exit status",
        "did not complete successfully: exit code",
    ];
    let lines: Vec<&str> = output
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("$ "))
        .collect();
    let pick = lines
        .iter()
        .rev()
        .find(|l| MARKERS.iter().any(|m| l.contains(m)) && !NOISE.iter().any(|n| l.contains(n)))
        .or_else(|| lines.last())
        .copied()
        .unwrap_or("no output");
    shorten(&without_build_paths(pick), 220)
}

/// Drops the build root buildah names in COPY errors (`checking on sources under "/var/lib/...
/// /merged": `), which hides the path that matters past the cut.
fn without_build_paths(line: &str) -> String {
    const MARK: &str = "checking on sources under \"";
    let Some(start) = line.find(MARK) else {
        return line.to_owned();
    };
    let rest = &line[start + MARK.len()..];
    match rest.find("\": ") {
        Some(end) => format!("{}{}", &line[..start], &rest[end + 3..]),
        None => line.to_owned(),
    }
}

/// Cuts `text` to `max` characters, marking the cut.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(output: &str, expect: &str) {
        assert_eq!(error_line(output), expect);
    }

    #[test]
    fn picks_the_last_error_like_line() {
        check(
            "STEP 3/9: COPY package-lock.json ./\nError: building at STEP \"COPY package-lock.json ./\": checking on sources under \"/ctx\": copier: stat: \"/package-lock.json\": no such file or directory\n",
            "Error: building at STEP \"COPY package-lock.json ./\": copier: stat: \"/package-lock.json\": no such file or directory",
        );
        check(
            "npm error Missing script: \"build\"\nnpm error A complete log of this run can be found in: /root/.npm/_logs/x.log\n",
            "npm error Missing script: \"build\"",
        );
        check(
            "npm error Missing script: \"build\"\nError: building at STEP \"RUN npm run build\": while running runtime: exit status 1\n",
            "npm error Missing script: \"build\"",
        );
        check(
            "collecting\nModuleNotFoundError: No module named 'app'\n",
            "ModuleNotFoundError: No module named 'app'",
        );
    }

    #[test]
    fn build_roots_are_dropped_from_copy_errors() {
        check(
            "Error: building at STEP \"COPY --from=build /app/dist /usr/share/nginx/html\": checking on sources under \"/var/lib/containers/storage/overlay/e6f2/merged\": copier: stat: \"/app/dist\": no such file or directory",
            "Error: building at STEP \"COPY --from=build /app/dist /usr/share/nginx/html\": copier: stat: \"/app/dist\": no such file or directory",
        );
    }

    #[test]
    fn falls_back_to_the_last_line() {
        check("$ cmd\nstarting\nexit 3\n", "exit 3");
        check("", "no output");
    }

    #[test]
    fn shortens_long_lines() {
        assert_eq!(shorten("abcdef", 3), "abc…");
        assert_eq!(shorten("abc", 3), "abc");
    }
}
