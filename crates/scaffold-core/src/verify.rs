//! How a deploy is checked from outside the pods, decided once.
//!
//! The deploy job checks each service after the release: the public URL where it has a
//! host, else a request through its cluster `Service` with `kubectl port-forward`. Those
//! port-forwards (and the probe of a blue-green preview before a manual promotion) are
//! why the deploy identity holds `pods/portforward`; the workflow's checks and the deploy
//! `Role` both read [`Project::checks`] and [`Project::port_forwards`], so the permission
//! exists exactly when a rendered step uses it.

use serde::Serialize;

use crate::project::{Environment, Project};
use crate::vocabulary::{ServiceKind, Strategy};

/// The first local port a port-forward listens on; service `i` gets this plus `i`.
const FIRST_LOCAL_PORT: u16 = 18080;

/// How the deploy job checks one service after the release, from outside its pods.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Check {
    /// An HTTPS request to the public host, as a user makes it.
    Url {
        /// The service.
        service: String,
        /// `https://<host><health path>`.
        url: String,
        /// The host, for the DNS message.
        host: String,
    },
    /// An HTTP request through the cluster `Service`, with `kubectl port-forward`.
    Service {
        /// The service.
        service: String,
        /// The Kubernetes `Service`.
        target: String,
        /// The path requested.
        path: String,
        /// The local port the forward listens on (unique per service).
        local_port: u16,
    },
    /// A TCP connection to a gRPC service's port through its `Service` (a gRPC health
    /// request would need a client binary; the pods' own gRPC probes cover the protocol).
    Tcp {
        /// The service.
        service: String,
        /// The Kubernetes `Service`.
        target: String,
        /// The local port the forward listens on.
        local_port: u16,
    },
}

impl Check {
    /// The check in words, for the docs.
    pub fn sentence(&self) -> String {
        match self {
            Check::Url { service, url, .. } => {
                format!("`{service}`: `GET {url}` from the runner, as a user reaches it")
            }
            Check::Service {
                service,
                target,
                path,
                ..
            } => format!(
                "`{service}`: `GET {path}` through the `{target}` Service (`kubectl port-forward`)"
            ),
            Check::Tcp {
                service, target, ..
            } => format!(
                "`{service}`: a TCP connection to the `{target}` Service's gRPC port (`kubectl port-forward`)"
            ),
        }
    }

    /// Whether the check goes through `kubectl port-forward`.
    pub fn port_forwards(&self) -> bool {
        matches!(self, Check::Service { .. } | Check::Tcp { .. })
    }
}

impl Project {
    /// The checks from outside of `env`: the public URL of each web service with a host,
    /// else a request through its cluster `Service`. With GitOps the deploy identity reads
    /// only the Argo CD `Application`, so services without a public host are verified by
    /// Argo CD's health (their pods' readiness probes) alone.
    pub fn checks(&self, env: &Environment) -> Vec<Check> {
        let mut out = Vec::new();
        for (i, (service, in_env)) in self.services.iter().zip(&env.services).enumerate() {
            let local_port = FIRST_LOCAL_PORT + u16::try_from(i).unwrap_or(0);
            match (service.kind, &in_env.host, &service.health_path) {
                (ServiceKind::Web, Some(host), Some(path)) => out.push(Check::Url {
                    service: service.name.clone(),
                    url: format!("https://{host}{path}"),
                    host: host.clone(),
                }),
                _ if self.delivery.gitops => {}
                (ServiceKind::Web, None, Some(path)) => out.push(Check::Service {
                    service: service.name.clone(),
                    target: service.names.workload.clone(),
                    path: path.clone(),
                    local_port,
                }),
                (ServiceKind::Grpc, _, _) => out.push(Check::Tcp {
                    service: service.name.clone(),
                    target: service.names.workload.clone(),
                    local_port,
                }),
                _ => {}
            }
        }
        out
    }

    /// Whether the deploy job of `env` runs `kubectl port-forward`: to check a service
    /// through its `Service` ([`Check::port_forwards`]), or to probe a blue-green preview
    /// before the job promotes it (no automatic promotion).
    pub fn port_forwards(&self, env: &Environment) -> bool {
        self.checks(env).iter().any(Check::port_forwards)
            || (self.delivery.strategy == Strategy::BlueGreen && !self.auto_promotion(env))
    }
}
