//! The platform layer: what every cluster runs besides the application.
//!
//! The Kubernetes manifests scaffold writes rely on controllers a cluster
//! does not have by itself: an ingress controller, cert-manager, External
//! Secrets, Argo Rollouts, the Prometheus operator with Grafana,
//! metrics-server where the cloud lacks it, and Argo CD with GitOps. Each is
//! one [`Addon`] here, with its Helm chart pinned to an exact version, the
//! namespace it runs in and the custom resource kinds it serves. The
//! per-environment platform Terraform root (`infra/environments/<env>/platform/`)
//! installs exactly [`Project::addons`], the docs list the same entries, and
//! the tests check that every kind an overlay contains is served by an add-on
//! that root installs.
//!
//! Chart versions were read from each chart's `Chart.yaml` and release tags in
//! its source repository (snapshots of July and August 2026); the source of
//! each is in [`Addon::source`].

use serde::Serialize;

use crate::project::{Environment, Project};
use crate::vocabulary::{Provider, WorkloadKind};

/// One cluster add-on: a Helm chart at an exact version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Addon {
    /// The Helm release name, also the add-on's key (`ingress-nginx`).
    pub release: &'static str,
    /// What it is, for docs.
    pub title: &'static str,
    /// The chart's name in its repository.
    pub chart: &'static str,
    /// The Helm repository URL.
    pub repository: &'static str,
    /// The exact chart version.
    pub version: &'static str,
    /// The version of the software the chart installs.
    pub app_version: &'static str,
    /// The namespace it is installed in.
    pub namespace: &'static str,
    /// Why the manifests need it.
    pub purpose: &'static str,
    /// Where the version and the values scaffold sets were checked.
    pub source: &'static str,
    /// The custom resources it serves, as `(API group, kind)`.
    pub kinds: &'static [(&'static str, &'static str)],
    /// The pod port the API server calls (admission webhook or aggregated API), if any:
    /// it must be one of [`CONTROL_PLANE_PORTS`].
    pub webhook_port: Option<u16>,
}

/// The pod ports a cluster's control plane can always reach on the nodes: 443 and the
/// kubelet's 10250. A private GKE cluster's own firewall rule allows exactly these from the
/// control plane ("By default, firewall rules restrict your cluster control plane to only
/// initiate TCP connections to your nodes and Pods on ports 443 (HTTPS) and 10250 (kubelet)",
/// cloud.google.com/kubernetes-engine/docs/how-to/private-clusters, "Adding firewall rules
/// for specific use cases"); EKS's cluster security group and AKS allow them too. So every
/// add-on's webhook listens on one of them and no cloud needs an extra firewall rule.
pub const CONTROL_PLANE_PORTS: &[u16] = &[443, 10250];

/// The namespace of ingress-nginx.
pub const INGRESS_NAMESPACE: &str = "ingress-nginx";
/// The namespace of cert-manager.
pub const CERT_MANAGER_NAMESPACE: &str = "cert-manager";
/// The namespace of the External Secrets Operator.
pub const EXTERNAL_SECRETS_NAMESPACE: &str = "external-secrets";
/// The namespace of the Argo Rollouts controller.
pub const ROLLOUTS_NAMESPACE: &str = "argo-rollouts";
/// The namespace of kube-prometheus-stack (Prometheus, Alertmanager, Grafana).
pub const MONITORING_NAMESPACE: &str = "monitoring";
/// The namespace of Argo CD.
pub const ARGOCD_NAMESPACE: &str = "argocd";
/// The namespace of metrics-server (where the clouds run theirs too).
pub const METRICS_SERVER_NAMESPACE: &str = "kube-system";
/// The namespace of the Cluster Autoscaler (`kube-system`, so it is not evicted with the
/// workloads it makes room for).
pub const CLUSTER_AUTOSCALER_NAMESPACE: &str = "kube-system";
/// The namespace of external-dns.
pub const EXTERNAL_DNS_NAMESPACE: &str = "external-dns";

/// ingress-nginx: the `nginx` ingress class every public host uses, and the router Argo
/// Rollouts shifts canary traffic with.
///
/// The project was retired in March 2026 (kubernetes/ingress-nginx README, "Ingress NGINX
/// Retirement"): 4.15.1 is its last chart and gets no security fixes. scaffold keeps it
/// because its manifests and Argo Rollouts' canary routing are written for it; moving to a
/// Gateway API implementation is the recommended next step, and the handbook says so.
pub const INGRESS_NGINX: Addon = Addon {
    release: "ingress-nginx",
    title: "ingress-nginx",
    chart: "ingress-nginx",
    repository: "https://kubernetes.github.io/ingress-nginx",
    version: "4.15.1",
    app_version: "1.15.1",
    namespace: INGRESS_NAMESPACE,
    purpose: "serves the public hosts (ingress class `nginx`) and shifts canary traffic by weight",
    source: "github.com/kubernetes/ingress-nginx charts/ingress-nginx/Chart.yaml and values.yaml at tag helm-chart-4.15.1",
    kinds: &[],
    // `controller.admissionWebhooks.port`, 8443 by default: moved to 10250 (see the constant).
    webhook_port: Some(10250),
};

/// cert-manager, with the ACME `ClusterIssuer` the Ingresses name.
pub const CERT_MANAGER: Addon = Addon {
    release: "cert-manager",
    title: "cert-manager",
    chart: "cert-manager",
    repository: "https://charts.jetstack.io",
    version: "v1.21.1",
    app_version: "v1.21.1",
    namespace: CERT_MANAGER_NAMESPACE,
    purpose: "issues the public hosts' TLS certificates from Let's Encrypt (HTTP-01 through ingress-nginx)",
    source: "github.com/cert-manager/cert-manager tag v1.21.1, deploy/charts/cert-manager/values.yaml (`crds.enabled`)",
    kinds: &[
        ("cert-manager.io", "Certificate"),
        ("cert-manager.io", "CertificateRequest"),
        ("cert-manager.io", "ClusterIssuer"),
        ("cert-manager.io", "Issuer"),
        ("acme.cert-manager.io", "Challenge"),
        ("acme.cert-manager.io", "Order"),
    ],
    // `webhook.securePort`, 10250 by default.
    webhook_port: Some(10250),
};

/// The External Secrets Operator: copies datastore credentials from the cloud's secret manager.
pub const EXTERNAL_SECRETS: Addon = Addon {
    release: "external-secrets",
    title: "External Secrets Operator",
    chart: "external-secrets",
    repository: "https://charts.external-secrets.io",
    version: "2.9.0",
    app_version: "v2.9.0",
    namespace: EXTERNAL_SECRETS_NAMESPACE,
    purpose: "copies each datastore's credentials from the cloud's secret manager into the services' Secrets",
    source: "github.com/external-secrets/external-secrets tag helm-chart-2.9.0, deploy/charts/external-secrets/Chart.yaml and values.yaml",
    kinds: &[
        ("external-secrets.io", "ExternalSecret"),
        ("external-secrets.io", "SecretStore"),
        ("external-secrets.io", "ClusterSecretStore"),
        ("external-secrets.io", "ClusterExternalSecret"),
    ],
    // `webhook.port`, 10250 by default.
    webhook_port: Some(10250),
};

/// Argo Rollouts: canary and blue-green releases with analysis.
pub const ARGO_ROLLOUTS: Addon = Addon {
    release: "argo-rollouts",
    title: "Argo Rollouts",
    chart: "argo-rollouts",
    repository: "https://argoproj.github.io/argo-helm",
    version: "2.41.0",
    app_version: "v1.9.0",
    namespace: ROLLOUTS_NAMESPACE,
    purpose: "runs canary and blue-green releases and their analysis",
    source: "github.com/argoproj/argo-helm tag argo-rollouts-2.41.0, charts/argo-rollouts/values.yaml and templates/controller/servicemonitor.yaml",
    kinds: &[
        ("argoproj.io", "Rollout"),
        ("argoproj.io", "AnalysisTemplate"),
        ("argoproj.io", "ClusterAnalysisTemplate"),
        ("argoproj.io", "AnalysisRun"),
        ("argoproj.io", "Experiment"),
    ],
    webhook_port: None,
};

/// kube-prometheus-stack: Prometheus, Alertmanager, Grafana, kube-state-metrics.
pub const KUBE_PROMETHEUS_STACK: Addon = Addon {
    release: "kube-prometheus-stack",
    title: "kube-prometheus-stack",
    chart: "kube-prometheus-stack",
    repository: "https://prometheus-community.github.io/helm-charts",
    version: "88.5.3",
    app_version: "v0.93.1",
    namespace: MONITORING_NAMESPACE,
    purpose: "scrapes the ServiceMonitors, evaluates the PrometheusRules, routes alerts and shows the dashboards",
    source: "github.com/prometheus-community/helm-charts tag kube-prometheus-stack-88.5.3, charts/kube-prometheus-stack/values.yaml and the grafana subchart's values.yaml",
    kinds: &[
        ("monitoring.coreos.com", "ServiceMonitor"),
        ("monitoring.coreos.com", "PodMonitor"),
        ("monitoring.coreos.com", "PrometheusRule"),
        ("monitoring.coreos.com", "Probe"),
        ("monitoring.coreos.com", "AlertmanagerConfig"),
        ("monitoring.coreos.com", "Prometheus"),
        ("monitoring.coreos.com", "Alertmanager"),
    ],
    // The operator's admission webhook, `prometheusOperator.tls.internalPort`, 10250 by default.
    webhook_port: Some(10250),
};

/// metrics-server, which HorizontalPodAutoscalers read; GKE and AKS run their own.
pub const METRICS_SERVER: Addon = Addon {
    release: "metrics-server",
    title: "metrics-server",
    chart: "metrics-server",
    repository: "https://kubernetes-sigs.github.io/metrics-server/",
    version: "3.13.1",
    app_version: "0.8.1",
    namespace: METRICS_SERVER_NAMESPACE,
    purpose: "serves the CPU metrics the HorizontalPodAutoscalers scale on (EKS has none by default)",
    source: "github.com/kubernetes-sigs/metrics-server tag metrics-server-helm-chart-3.13.1, charts/metrics-server/Chart.yaml",
    kinds: &[],
    // The aggregated metrics API, `containerPort`, 10250 by default.
    webhook_port: Some(10250),
};

/// The Cluster Autoscaler on EKS: resizes the managed node groups it discovers by their tags
/// between the bounds Terraform gives them, with the EKS Pod Identity the AWS environment root
/// associates with its ServiceAccount.
///
/// The chart's default image follows its newest Kubernetes minor (1.35 for 9.59.0); the
/// autoscaler's minor must be the cluster's ("We recommend using Cluster Autoscaler with the
/// Kubernetes control plane version for which it was meant", kubernetes/autoscaler
/// cluster-autoscaler/README.md, Releases), so the module sets the image tag to
/// `app_version`, the newest patch of the EKS cluster's minor (a test compares them).
pub const CLUSTER_AUTOSCALER: Addon = Addon {
    release: "cluster-autoscaler",
    title: "Cluster Autoscaler",
    chart: "cluster-autoscaler",
    repository: "https://kubernetes.github.io/autoscaler",
    version: "9.59.0",
    app_version: "1.33.6",
    namespace: CLUSTER_AUTOSCALER_NAMESPACE,
    purpose: "adds nodes when pods cannot be scheduled and removes idle ones, within the node group's bounds (EKS has no node autoscaling of its own)",
    source: "github.com/kubernetes/autoscaler tag cluster-autoscaler-chart-9.59.0, cluster-autoscaler/charts/cluster-autoscaler/values.yaml; image tag cluster-autoscaler-1.33.6; cluster-autoscaler/cloudprovider/aws/README.md (auto-discovery, IAM policy)",
    kinds: &[],
    webhook_port: None,
};

/// external-dns: writes each public host's record into the environment's DNS zone.
pub const EXTERNAL_DNS: Addon = Addon {
    release: "external-dns",
    title: "external-dns",
    chart: "external-dns",
    repository: "https://kubernetes-sigs.github.io/external-dns/",
    version: "1.21.1",
    app_version: "0.21.0",
    namespace: EXTERNAL_DNS_NAMESPACE,
    purpose: "writes each public host's record (pointing at the ingress controller's load balancer) into the environment's DNS zone",
    source: "github.com/kubernetes-sigs/external-dns tag external-dns-helm-chart-1.21.1, charts/external-dns/values.yaml; docs/tutorials/aws.md (IAM policy, EKS Pod Identity)",
    kinds: &[],
    webhook_port: None,
};

/// Argo CD, syncing the environment's overlay from the desired-state branch.
pub const ARGO_CD: Addon = Addon {
    release: "argo-cd",
    title: "Argo CD",
    chart: "argo-cd",
    repository: "https://argoproj.github.io/argo-helm",
    version: "10.1.1",
    app_version: "v3.4.4",
    namespace: ARGOCD_NAMESPACE,
    purpose: "syncs the environment's overlay from the desired-state branch into this cluster",
    source: "github.com/argoproj/argo-helm tag argo-cd-10.1.1, charts/argo-cd/values.yaml",
    kinds: &[
        ("argoproj.io", "Application"),
        ("argoproj.io", "AppProject"),
        ("argoproj.io", "ApplicationSet"),
    ],
    webhook_port: None,
};

/// Argo CD's `AppProject` and `Application`, declared through the argocd-apps chart so they
/// are applied after Argo CD's own custom resource definitions exist.
pub const ARGOCD_APPS: Addon = Addon {
    release: "argocd-apps",
    title: "Argo CD applications",
    chart: "argocd-apps",
    repository: "https://argoproj.github.io/argo-helm",
    version: "2.0.5",
    app_version: "",
    namespace: ARGOCD_NAMESPACE,
    purpose: "declares the environment's Argo CD project and application",
    source: "github.com/argoproj/argo-helm tag argocd-apps-2.0.5, charts/argocd-apps/values.yaml",
    kinds: &[],
    webhook_port: None,
};

/// Every add-on scaffold knows, in installation order.
pub const ADDONS: &[&Addon] = &[
    &METRICS_SERVER,
    &KUBE_PROMETHEUS_STACK,
    &CLUSTER_AUTOSCALER,
    &INGRESS_NGINX,
    &CERT_MANAGER,
    &EXTERNAL_DNS,
    &EXTERNAL_SECRETS,
    &ARGO_ROLLOUTS,
    &ARGO_CD,
    &ARGOCD_APPS,
];

/// The add-on serving custom resource `kind` of API `group`, if scaffold installs one.
pub fn serving(group: &str, kind: &str) -> Option<&'static Addon> {
    ADDONS
        .iter()
        .copied()
        .find(|addon| addon.kinds.contains(&(group, kind)))
}

impl Project {
    /// The add-ons the cluster of `env` runs, in installation order: each because a
    /// manifest of that environment needs it.
    ///
    /// - kube-prometheus-stack always (every overlay has a `PrometheusRule` and dashboards);
    /// - metrics-server on AWS only (GKE and AKS run one; every listening service and
    ///   worker has a `HorizontalPodAutoscaler`);
    /// - the Cluster Autoscaler on AWS only (GKE's and AKS's node pools autoscale through
    ///   the cloud's own settings, which their cluster modules turn on);
    /// - ingress-nginx and cert-manager when a service has a public host in `env`;
    /// - external-dns on AWS when a service has a public host in `env`: the AWS environment
    ///   root creates the domain's Route 53 zone and external-dns's identity for it (GCP and
    ///   Azure leave the records to the reader, task DO-050);
    /// - External Secrets when a service reads a datastore;
    /// - Argo Rollouts when a service is released with a `Rollout`;
    /// - Argo CD and its applications with GitOps.
    pub fn addons(&self, env: &Environment) -> Vec<&'static Addon> {
        let public = env.services.iter().any(|s| s.host.is_some());
        let secrets = self.services.iter().any(|s| !s.connections.is_empty());
        let rollouts = self
            .services
            .iter()
            .any(|s| s.workload == WorkloadKind::Rollout);
        ADDONS
            .iter()
            .copied()
            .filter(|addon| match addon.release {
                "metrics-server" | "cluster-autoscaler" => self.cloud.provider == Provider::Aws,
                "ingress-nginx" | "cert-manager" => public,
                "external-dns" => self.cloud.provider == Provider::Aws && public,
                "external-secrets" => secrets,
                "argo-rollouts" => rollouts,
                "argo-cd" | "argocd-apps" => self.delivery.gitops,
                _ => true,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_exact() {
        for addon in ADDONS {
            let version = addon.version.trim_start_matches('v');
            assert!(
                version.split('.').count() == 3
                    && version.split('.').all(|p| p.parse::<u32>().is_ok()),
                "{}: `{}` is not an exact version",
                addon.release,
                addon.version
            );
            assert!(
                addon.repository.starts_with("https://"),
                "{}",
                addon.release
            );
        }
    }

    #[test]
    fn the_control_plane_reaches_every_webhook() {
        for addon in ADDONS {
            if let Some(port) = addon.webhook_port {
                assert!(
                    CONTROL_PLANE_PORTS.contains(&port),
                    "{}: the API server cannot reach port {port} on a private GKE cluster",
                    addon.release
                );
            }
        }
    }

    #[test]
    fn each_kind_is_served_once() {
        for addon in ADDONS {
            for (group, kind) in addon.kinds {
                assert_eq!(
                    serving(group, kind).map(|a| a.release),
                    Some(addon.release),
                    "{group}/{kind}"
                );
            }
        }
    }
}
