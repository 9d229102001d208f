//! One Grafana dashboard per service and environment, shipped as a `ConfigMap` that
//! kube-prometheus-stack's Grafana sidecar loads (label `grafana_dashboard: "1"`, any
//! namespace).
//!
//! It shows what the alerts watch, with the same queries and thresholds: the
//! availability SLO over 30 days and the error budget left, the error budget burn rate
//! against the fast- and slow-burn alert thresholds, p99 latency against its target,
//! traffic by status code, and saturation (CPU against the request the autoscaler
//! targets, memory against the limit, replicas against the autoscaler's bounds, restarts).
//! A service without metrics gets the saturation panels only.

use serde::Serialize;

use scaffold_core::Project;
use scaffold_core::alerts::{LATENCY_METRIC, REQUESTS_METRIC};
use scaffold_core::names::short_hash;
use scaffold_core::project::{Environment, Service};
use scaffold_core::vocabulary::WorkloadKind;

use super::requests_selector;

/// Grafana's datasource for kube-prometheus-stack's Prometheus (the chart's `uid: prometheus`).
const DATASOURCE: Datasource = Datasource {
    kind: "prometheus",
    uid: "prometheus",
};

/// A panel at grid position `(x, y)` with size `(w, h)`.
struct Panel {
    title: String,
    kind: &'static str,
    unit: &'static str,
    targets: Vec<(String, String)>,
    /// Threshold steps: (value, colour); the first value is the base (`null`).
    steps: Vec<(Option<f64>, &'static str)>,
    description: String,
}

// The dashboard as Grafana reads it. Plain structs rather than `json!` values: building
// and dropping a map per object was most of the cost of a dashboard. Fields are in
// alphabetical order, the order the JSON has always had (a `serde_json` map sorts its
// keys), so the files do not change.

#[derive(Serialize)]
struct Datasource {
    #[serde(rename = "type")]
    kind: &'static str,
    uid: &'static str,
}

#[derive(Serialize)]
struct PanelJson<'a> {
    datasource: Datasource,
    description: &'a str,
    #[serde(rename = "fieldConfig")]
    field_config: FieldConfig<'a>,
    #[serde(rename = "gridPos")]
    grid_pos: GridPos,
    id: usize,
    targets: Vec<Target<'a>>,
    title: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
}

#[derive(Serialize)]
struct FieldConfig<'a> {
    defaults: Defaults<'a>,
    overrides: [(); 0],
}

#[derive(Serialize)]
struct Defaults<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    custom: Option<Custom>,
    thresholds: Thresholds<'a>,
    unit: &'a str,
}

#[derive(Serialize)]
struct Custom {
    #[serde(rename = "thresholdsStyle")]
    thresholds_style: Mode,
}

#[derive(Serialize)]
struct Mode {
    mode: &'static str,
}

#[derive(Serialize)]
struct Thresholds<'a> {
    mode: &'static str,
    steps: Vec<Step<'a>>,
}

#[derive(Serialize)]
struct Step<'a> {
    color: &'a str,
    value: Option<f64>,
}

#[derive(Serialize)]
struct GridPos {
    h: u32,
    w: u32,
    x: u32,
    y: u32,
}

#[derive(Serialize)]
struct Target<'a> {
    datasource: Datasource,
    expr: &'a str,
    #[serde(rename = "legendFormat")]
    legend_format: &'a str,
    #[serde(rename = "refId")]
    ref_id: String,
}

#[derive(Serialize)]
struct Dashboard<'a> {
    annotations: List,
    editable: bool,
    panels: Vec<PanelJson<'a>>,
    refresh: &'static str,
    #[serde(rename = "schemaVersion")]
    schema_version: u32,
    tags: [&'a str; 3],
    templating: List,
    time: Time,
    timezone: &'static str,
    title: String,
    uid: String,
}

#[derive(Serialize)]
struct List {
    list: [(); 0],
}

#[derive(Serialize)]
struct Time {
    from: &'static str,
    to: &'static str,
}

impl Panel {
    fn json(&self, id: usize, x: u32, y: u32, w: u32, h: u32) -> PanelJson<'_> {
        PanelJson {
            datasource: DATASOURCE,
            description: &self.description,
            field_config: FieldConfig {
                defaults: Defaults {
                    custom: (self.kind == "timeseries").then_some(Custom {
                        thresholds_style: Mode { mode: "line" },
                    }),
                    thresholds: Thresholds {
                        mode: "absolute",
                        steps: self
                            .steps
                            .iter()
                            .map(|(value, color)| Step {
                                color,
                                value: *value,
                            })
                            .collect(),
                    },
                    unit: self.unit,
                },
                overrides: [],
            },
            grid_pos: GridPos { h, w, x, y },
            id,
            targets: self
                .targets
                .iter()
                .enumerate()
                .map(|(i, (expr, legend))| Target {
                    datasource: DATASOURCE,
                    expr,
                    legend_format: legend,
                    ref_id: char::from(b'A' + u8::try_from(i).unwrap_or(0)).to_string(),
                })
                .collect(),
            title: &self.title,
            kind: self.kind,
        }
    }
}

/// The dashboard of `service` in `env`, as indented JSON.
pub(super) fn json(project: &Project, env: &Environment, service: &Service) -> String {
    let ns = &env.names.namespace;
    let svc = &service.name;
    let targets = &project.targets;
    let selector = requests_selector(env, svc);
    let errors = format!("{REQUESTS_METRIC}{{{selector},code=~\"5..\"}}");
    let all = format!("{REQUESTS_METRIC}{{{selector}}}");
    let slo = 1.0 - targets.error_budget;
    let mut panels: Vec<Panel> = Vec::new();
    if service.metrics_path.is_some() {
        panels.push(Panel {
            title: format!("Availability, 30 days (SLO {}%)", targets.availability),
            kind: "stat",
            unit: "percentunit",
            targets: vec![(
                format!("1 - (sum(increase({errors}[30d])) / sum(increase({all}[30d])))"),
                "availability".to_owned(),
            )],
            steps: vec![(None, "red"), (Some(slo), "green")],
            description: "Share of requests that did not fail with a 5xx status over the last 30 days, against the availability target.".to_owned(),
        });
        panels.push(Panel {
            title: "Error budget left, 30 days".to_owned(),
            kind: "stat",
            unit: "percentunit",
            targets: vec![(
                format!(
                    "1 - ((sum(increase({errors}[30d])) / sum(increase({all}[30d]))) / {})",
                    targets.error_budget
                ),
                "budget left".to_owned(),
            )],
            steps: vec![(None, "red"), (Some(0.0), "orange"), (Some(0.25), "green")],
            description: format!(
                "The share of the month's error budget ({} failed requests in {}) not yet spent.",
                targets.error_budget,
                1.0 / targets.error_budget
            ),
        });
        let burn = |window: &str| {
            format!(
                "(sum(rate({errors}[{window}])) / sum(rate({all}[{window}]))) / {}",
                targets.error_budget
            )
        };
        // Burn-rate multiples (14.4, 6) as the alert rules print them: the division of two
        // ratios leaves floating-point noise (5.999999999999999) a reader should not see.
        let multiple = |ratio: f64| (ratio / targets.error_budget * 1000.0).round() / 1000.0;
        let fast = multiple(targets.fast_burn_error_ratio);
        let slow = multiple(targets.slow_burn_error_ratio);
        panels.push(Panel {
            title: "Error budget burn rate".to_owned(),
            kind: "timeseries",
            unit: "none",
            targets: vec![
                (burn("1h"), "1 hour".to_owned()),
                (burn("6h"), "6 hours".to_owned()),
            ],
            steps: vec![(None, "green"), (Some(slow), "orange"), (Some(fast), "red")],
            description: format!(
                "How many times faster than allowed the budget is being spent. ErrorBudgetFastBurn fires above {fast:.1} over 1 hour (and 5 minutes); ErrorBudgetSlowBurn above {slow:.1} over 6 hours (and 30 minutes)."
            ),
        });
        let latency = f64::from(targets.latency_p99_ms) / 1000.0;
        panels.push(Panel {
            title: format!("p99 latency (target {} ms)", targets.latency_p99_ms),
            kind: "timeseries",
            unit: "s",
            targets: vec![(
                format!(
                    "histogram_quantile(0.99, sum by (le) (rate({LATENCY_METRIC}_bucket{{{selector}}}[5m])))"
                ),
                "p99".to_owned(),
            )],
            steps: vec![(None, "green"), (Some(latency), "red")],
            description: "The HighLatency alert fires when this stays above the target.".to_owned(),
        });
        panels.push(Panel {
            title: "Requests per second by status".to_owned(),
            kind: "timeseries",
            unit: "reqps",
            targets: vec![(
                format!("sum by (code) (rate({all}[5m]))"),
                "{{code}}".to_owned(),
            )],
            steps: vec![(None, "green")],
            description: "Traffic, by HTTP status code.".to_owned(),
        });
    }
    let container = format!("namespace=\"{ns}\",container=\"{svc}\"");
    panels.push(Panel {
        title: format!(
            "CPU, share of request (autoscaler target {}%)",
            env.sizing.cpu_target_percent
        ),
        kind: "timeseries",
        unit: "percentunit",
        targets: vec![(
            format!(
                "sum(rate(container_cpu_usage_seconds_total{{{container}}}[5m])) / sum(kube_pod_container_resource_requests{{{container},resource=\"cpu\"}})"
            ),
            "cpu".to_owned(),
        )],
        steps: vec![
            (None, "green"),
            (Some(f64::from(env.sizing.cpu_target_percent) / 100.0), "orange"),
        ],
        description: "CPU used against the pods' requests; the HorizontalPodAutoscaler adds pods above its target.".to_owned(),
    });
    panels.push(Panel {
        title: "Memory, share of limit".to_owned(),
        kind: "timeseries",
        unit: "percentunit",
        targets: vec![(
            format!(
                "max(container_memory_working_set_bytes{{{container}}}) / max(kube_pod_container_resource_limits{{{container},resource=\"memory\"}})"
            ),
            "busiest pod".to_owned(),
        )],
        steps: vec![(None, "green"), (Some(0.9), "red")],
        description: "The busiest pod's memory against its limit; at the limit it is killed (OOMKilled).".to_owned(),
    });
    if service.workload == WorkloadKind::CronJob {
        panels.push(Panel {
            title: "Failed runs".to_owned(),
            kind: "timeseries",
            unit: "none",
            targets: vec![(
                format!("sum(kube_job_status_failed{{namespace=\"{ns}\",job_name=~\"{svc}-.*\"}})"),
                "failed".to_owned(),
            )],
            steps: vec![(None, "green"), (Some(1.0), "red")],
            description: "Jobs of the CronJob that failed and are still kept in its history."
                .to_owned(),
        });
    } else {
        let hpa = format!("namespace=\"{ns}\",horizontalpodautoscaler=\"{svc}\"");
        panels.push(Panel {
            title: format!(
                "Replicas ({} to {})",
                env.sizing.replicas, env.sizing.max_replicas
            ),
            kind: "timeseries",
            unit: "none",
            targets: vec![
                (
                    format!("kube_horizontalpodautoscaler_status_current_replicas{{{hpa}}}"),
                    "current".to_owned(),
                ),
                (
                    format!("kube_horizontalpodautoscaler_spec_max_replicas{{{hpa}}}"),
                    "maximum".to_owned(),
                ),
            ],
            steps: vec![(None, "green")],
            description:
                "At the maximum, the autoscaler cannot add capacity: raise it or the pods' size."
                    .to_owned(),
        });
    }
    panels.push(Panel {
        title: "Container restarts (15 minutes)".to_owned(),
        kind: "timeseries",
        unit: "none",
        targets: vec![(
            format!("sum(increase(kube_pod_container_status_restarts_total{{{container}}}[15m]))"),
            "restarts".to_owned(),
        )],
        steps: vec![(None, "green"), (Some(3.0), "red")],
        description: "PodCrashLooping fires above 3.".to_owned(),
    });
    let rendered: Vec<PanelJson<'_>> = panels
        .iter()
        .enumerate()
        .map(|(i, panel)| {
            let column = u32::try_from(i % 2).unwrap_or(0);
            let row = u32::try_from(i / 2).unwrap_or(0);
            panel.json(i + 1, column * 12, row * 8, 12, 8)
        })
        .collect();
    let dashboard = Dashboard {
        annotations: List { list: [] },
        editable: false,
        panels: rendered,
        refresh: "1m",
        schema_version: 39,
        tags: ["scaffold", &project.app.name, &env.name],
        templating: List { list: [] },
        time: Time {
            from: "now-6h",
            to: "now",
        },
        timezone: "utc",
        title: format!("{} / {svc} ({})", project.app.name, env.name),
        uid: format!("scaffold-{}", short_hash(&format!("{ns}/{svc}"))),
    };
    serde_json::to_string_pretty(&dashboard).expect("a dashboard serialises")
}
