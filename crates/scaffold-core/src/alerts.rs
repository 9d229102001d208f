//! The alerts every service gets, derived from the availability target.
//!
//! The Kubernetes `PrometheusRule`s and the docs' runbooks both read this
//! list, so every alert links to a runbook that exists and describes the same
//! threshold the rule fires on.

use serde::Serialize;

use crate::names::DOCS_DIR;
use crate::sizing::Targets;

/// The Prometheus counter of HTTP requests a web service exposes on its metrics path,
/// labelled with the status `code`: the availability alerts, the dashboards and the release
/// analysis all read it, and the handbook's contract section asks the app for it.
pub const REQUESTS_METRIC: &str = "http_requests_total";
/// The histogram of request durations in seconds (its `_bucket` and `_count` series), read
/// by the latency alert, the dashboards and the release analysis.
pub const LATENCY_METRIC: &str = "http_request_duration_seconds";

/// One alert rule, the same for every service (the rule is instantiated per service).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    /// The Prometheus alert name, such as `HighErrorBudgetBurn`.
    pub name: String,
    /// `critical` pages someone; `warning` opens a ticket.
    pub severity: String,
    /// How long the condition must hold before firing, such as `2m`.
    pub for_duration: String,
    /// One line for the notification.
    pub summary: String,
    /// What the threshold is, in words, for the runbook.
    pub threshold: String,
    /// The runbook's file name below `docs/devops/runbooks/`.
    pub runbook_file: String,
    /// The runbook's path from the repository root.
    pub runbook_path: String,
    /// Whether the alert needs application metrics (HTTP request counters and histograms).
    pub needs_metrics: bool,
}

/// The alert catalogue for `targets`.
pub fn alerts(targets: &Targets) -> Vec<Alert> {
    let alert = |name: &str,
                 severity: &str,
                 for_duration: &str,
                 summary: &str,
                 threshold: String,
                 needs_metrics: bool| {
        let runbook_file = format!("{}.md", kebab(name));
        Alert {
            name: name.to_owned(),
            severity: severity.to_owned(),
            for_duration: for_duration.to_owned(),
            summary: summary.to_owned(),
            threshold,
            runbook_path: format!("{DOCS_DIR}/runbooks/{runbook_file}"),
            runbook_file,
            needs_metrics,
        }
    };
    let percent = |ratio: f64| format!("{}%", (ratio * 100_000.0).round() / 1000.0);
    vec![
        alert(
            "ErrorBudgetFastBurn",
            "critical",
            "2m",
            "The service is spending its monthly error budget more than 14 times too fast",
            format!(
                "5xx ratio above {} over both the last 1 hour and the last 5 minutes (14.4 times the {} error budget of a {}% target)",
                percent(targets.fast_burn_error_ratio),
                percent(targets.error_budget),
                targets.availability
            ),
            true,
        ),
        alert(
            "ErrorBudgetSlowBurn",
            "warning",
            "15m",
            "The service is spending its monthly error budget 6 times too fast",
            format!(
                "5xx ratio above {} over both the last 6 hours and the last 30 minutes",
                percent(targets.slow_burn_error_ratio)
            ),
            true,
        ),
        alert(
            "HighLatency",
            "warning",
            "10m",
            "p99 latency is above target",
            format!(
                "99th percentile request latency above {} ms for 10 minutes",
                targets.latency_p99_ms
            ),
            true,
        ),
        alert(
            "PodCrashLooping",
            "critical",
            "5m",
            "A container keeps restarting",
            "more than 3 container restarts within 15 minutes".to_owned(),
            false,
        ),
        alert(
            "PodsNotReady",
            "warning",
            "10m",
            "Fewer pods are ready than desired",
            "ready replicas below the desired count for 10 minutes".to_owned(),
            false,
        ),
    ]
}

/// `ErrorBudgetFastBurn` → `error-budget-fast-burn`.
fn kebab(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocabulary::Availability;

    #[test]
    fn runbooks_are_kebab_case_under_docs() {
        let list = alerts(&Targets::derive(Availability::ThreeNines));
        assert_eq!(
            list[0].runbook_path,
            "docs/devops/runbooks/error-budget-fast-burn.md"
        );
        assert!(list[0].threshold.contains("1.44%"), "{}", list[0].threshold);
    }
}
