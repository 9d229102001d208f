//! The closed vocabularies of `scaffold.toml`: languages, engines, clouds,
//! registries, delivery strategies and availability levels.
//!
//! Each enum serializes to the exact string the user writes, so templates and
//! error messages use one spelling. Per-value defaults (a language's port, an
//! engine's version, a cloud's region) live here, next to the value they belong to.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use crate::datastore::Engine;

/// Implements `Display`, `ALL` and `allowed()` for a unit enum from its serde names.
macro_rules! vocabulary {
    ($ty:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value, in the order the documentation lists them.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The spelling used in `scaffold.toml`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $text),+
                }
            }

            /// The allowed spellings, joined for an error message.
            pub fn allowed() -> String {
                [$($text),+].join(" | ")
            }

            /// Parses the spelling used in `scaffold.toml`.
            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some($ty::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// The language a service is written in, which selects its row of the stack table
/// ([`crate::stack`]): detection, image recipe, CI, CodeQL, Dependabot and contract defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Node.js (npm, pnpm or yarn).
    Node,
    /// Python (pip, poetry or uv).
    Python,
    /// Go modules.
    Go,
    /// Rust with Cargo.
    Rust,
    /// Java with Maven or Gradle.
    Java,
    /// .NET (ASP.NET Core, workers) with the .NET SDK.
    Dotnet,
    /// Ruby (Rails, Rack apps, Sidekiq) with Bundler.
    Ruby,
    /// PHP (Laravel, Symfony, plain) with composer.
    Php,
    /// A front end built with Node and served by unprivileged nginx.
    Static,
}
vocabulary!(Language {
    Node => "node", Python => "python", Go => "go", Rust => "rust", Java => "java",
    Dotnet => "dotnet", Ruby => "ruby", Php => "php", Static => "static",
});

impl Language {
    /// The language's row of the stack table.
    pub fn stack(self) -> &'static crate::stack::Stack {
        crate::stack::stack(self)
    }

    /// The port the service listens on when `port` is not given.
    pub fn default_port(self) -> u16 {
        self.stack().default_port
    }

    /// The package manager assumed when neither the answers nor detection name one.
    pub fn default_package_manager(self) -> PackageManager {
        self.stack().package_managers[0]
    }

    /// The package managers that fit this language.
    pub fn package_managers(self) -> &'static [PackageManager] {
        self.stack().package_managers
    }

    /// The numeric user the runtime image runs as; Kubernetes `runAsUser` uses the same number.
    pub fn runtime_uid(self) -> u32 {
        self.stack().uid
    }

    /// Whether the runtime image has a shell and an HTTP client, so a Docker `HEALTHCHECK` can run.
    pub fn image_can_healthcheck(self) -> bool {
        self.stack().http_healthcheck
    }

    /// Whether the runtime image has a shell (for `preStop` hooks).
    pub fn image_has_shell(self) -> bool {
        self.stack().shell
    }

    /// Whether the service exposes Prometheus metrics on its own port by default.
    pub fn has_metrics(self) -> bool {
        self.stack().metrics
    }

    /// The form in which this language's frameworks read a connection to `engine`.
    pub fn connection_form(self, engine: Engine) -> crate::datastore::ConnectionForm {
        (self.stack().connection_form)(engine)
    }

    /// The variable names this language's frameworks read by convention.
    pub fn connection_names(self) -> crate::connection::ConventionalNames {
        self.stack().connection_names
    }

    /// The CodeQL language that analyses this service, if CodeQL supports it.
    pub fn codeql_language(self) -> Option<&'static str> {
        self.stack().codeql.map(|(language, _)| language)
    }
}

/// What a service is to the platform, which decides whether it gets a port, a
/// `Service`, probes, an ingress, or a schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ServiceKind {
    /// Serves HTTP on its port: a `Service`, HTTP probes, optionally public.
    Web,
    /// Serves gRPC on its port: a `Service` and gRPC health probes.
    Grpc,
    /// Consumes work (a queue, a stream, a loop) and listens on no port.
    Worker,
    /// Runs to completion on a schedule (a Kubernetes `CronJob`).
    Job,
}
vocabulary!(ServiceKind { Web => "web", Grpc => "grpc", Worker => "worker", Job => "job" });

impl ServiceKind {
    /// Whether services of this kind listen on a port (and so get a Kubernetes `Service`).
    pub fn listens(self) -> bool {
        matches!(self, ServiceKind::Web | ServiceKind::Grpc)
    }

    /// Whether services of this kind answer HTTP health and readiness requests.
    pub fn serves_http(self) -> bool {
        matches!(self, ServiceKind::Web)
    }
}

/// The Kubernetes object that runs a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum WorkloadKind {
    /// `apps/v1` `Deployment`: rolling updates, and every worker whatever the strategy
    /// (a worker takes no traffic, so there is nothing to shift or preview).
    Deployment,
    /// `argoproj.io/v1alpha1` `Rollout`: listening services under blue-green or canary.
    Rollout,
    /// `batch/v1` `CronJob`: scheduled jobs.
    CronJob,
}
vocabulary!(WorkloadKind { Deployment => "Deployment", Rollout => "Rollout", CronJob => "CronJob" });

impl WorkloadKind {
    /// The workload for a service of `kind` delivered with `strategy`.
    pub fn of(kind: ServiceKind, strategy: Strategy) -> Self {
        match kind {
            ServiceKind::Job => WorkloadKind::CronJob,
            ServiceKind::Worker => WorkloadKind::Deployment,
            ServiceKind::Web | ServiceKind::Grpc if strategy.uses_rollouts() => {
                WorkloadKind::Rollout
            }
            ServiceKind::Web | ServiceKind::Grpc => WorkloadKind::Deployment,
        }
    }

    /// The object's `apiVersion`.
    pub fn api_version(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "apps/v1",
            WorkloadKind::Rollout => "argoproj.io/v1alpha1",
            WorkloadKind::CronJob => "batch/v1",
        }
    }

    /// The API group (empty for none), as kustomize patch targets name it.
    pub fn group(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "apps",
            WorkloadKind::Rollout => "argoproj.io",
            WorkloadKind::CronJob => "batch",
        }
    }

    /// The API version without the group, as kustomize patch targets name it.
    pub fn version(self) -> &'static str {
        match self {
            WorkloadKind::Deployment | WorkloadKind::CronJob => "v1",
            WorkloadKind::Rollout => "v1alpha1",
        }
    }

    /// Whether the workload runs pods all the time (a `CronJob` runs them only on schedule).
    pub fn long_running(self) -> bool {
        !matches!(self, WorkloadKind::CronJob)
    }
}

/// The tool that installs a service's dependencies from its lockfile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PackageManager {
    /// npm with `package-lock.json`.
    Npm,
    /// pnpm with `pnpm-lock.yaml`.
    Pnpm,
    /// Yarn with `yarn.lock`.
    Yarn,
    /// pip with `requirements.txt`.
    Pip,
    /// Poetry with `poetry.lock`.
    Poetry,
    /// uv with `uv.lock`.
    Uv,
    /// Go modules with `go.sum`.
    Go,
    /// Cargo with `Cargo.lock`.
    Cargo,
    /// Maven with `pom.xml`.
    Maven,
    /// Gradle with `build.gradle(.kts)` and its wrapper.
    Gradle,
    /// The .NET SDK (NuGet) with the project file.
    Dotnet,
    /// Bundler with `Gemfile.lock`.
    Bundler,
    /// composer with `composer.lock`.
    Composer,
}
vocabulary!(PackageManager {
    Npm => "npm", Pnpm => "pnpm", Yarn => "yarn", Pip => "pip", Poetry => "poetry", Uv => "uv",
    Go => "go", Cargo => "cargo", Maven => "maven", Gradle => "gradle", Dotnet => "dotnet",
    Bundler => "bundler", Composer => "composer",
});

impl PackageManager {
    /// The lockfile (or manifest, where there is no lockfile) the build copies first for layer caching.
    pub fn lockfile(self) -> &'static str {
        match self {
            PackageManager::Npm => "package-lock.json",
            PackageManager::Pnpm => "pnpm-lock.yaml",
            PackageManager::Yarn => "yarn.lock",
            PackageManager::Pip => "requirements.txt",
            PackageManager::Poetry => "poetry.lock",
            PackageManager::Uv => "uv.lock",
            PackageManager::Go => "go.sum",
            PackageManager::Cargo => "Cargo.lock",
            PackageManager::Maven => "pom.xml",
            PackageManager::Gradle => "build.gradle.kts",
            PackageManager::Dotnet => "packages.lock.json",
            PackageManager::Bundler => "Gemfile.lock",
            PackageManager::Composer => "composer.lock",
        }
    }

    /// The Dependabot `package-ecosystem` of this manager (in the stack table).
    pub fn dependabot_ecosystem(self, language: Language) -> &'static str {
        (language.stack().dependabot)(self)
    }
}

/// The cloud the infrastructure runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// Amazon Web Services.
    Aws,
    /// Google Cloud.
    Gcp,
    /// Microsoft Azure.
    Azure,
}
vocabulary!(Provider { Aws => "aws", Gcp => "gcp", Azure => "azure" });

impl Provider {
    /// The region used when `region` is not given.
    pub fn default_region(self) -> &'static str {
        match self {
            Provider::Aws => "us-east-1",
            Provider::Gcp => "us-central1",
            Provider::Azure => "eastus",
        }
    }

    /// The cloud's own container registry.
    pub fn native_registry(self) -> Registry {
        match self {
            Provider::Aws => Registry::Ecr,
            Provider::Gcp => Registry::Gar,
            Provider::Azure => Registry::Acr,
        }
    }

    /// The managed Kubernetes service's short name.
    pub fn kubernetes_service(self) -> &'static str {
        match self {
            Provider::Aws => "EKS",
            Provider::Gcp => "GKE",
            Provider::Azure => "AKS",
        }
    }
}

/// Where container images are pushed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Registry {
    /// GitHub Container Registry.
    Ghcr,
    /// Amazon Elastic Container Registry.
    Ecr,
    /// Google Artifact Registry.
    Gar,
    /// Azure Container Registry.
    Acr,
}
vocabulary!(Registry { Ghcr => "ghcr", Ecr => "ecr", Gar => "gar", Acr => "acr" });

impl Registry {
    /// The cloud this registry belongs to; `None` for ghcr, which fits every cloud.
    pub fn provider(self) -> Option<Provider> {
        match self {
            Registry::Ghcr => None,
            Registry::Ecr => Some(Provider::Aws),
            Registry::Gar => Some(Provider::Gcp),
            Registry::Acr => Some(Provider::Azure),
        }
    }
}

/// How a new version replaces the running one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// A Kubernetes `Deployment` rolling update.
    Rolling,
    /// An Argo Rollouts blue-green rollout with a preview service.
    BlueGreen,
    /// An Argo Rollouts canary with weighted steps and analysis.
    Canary,
}
vocabulary!(Strategy { Rolling => "rolling", BlueGreen => "blue-green", Canary => "canary" });

impl Strategy {
    /// Whether this strategy is driven by Argo Rollouts.
    pub fn uses_rollouts(self) -> bool {
        !matches!(self, Strategy::Rolling)
    }
}

/// The availability target, which drives replicas, zones, backups and alert thresholds.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
pub enum Availability {
    /// 99%: about 7 hours of downtime a month.
    #[serde(rename = "99")]
    TwoNines,
    /// 99.5%: about 3.6 hours a month.
    #[serde(rename = "99.5")]
    TwoNinesFive,
    /// 99.9%: about 43 minutes a month.
    #[serde(rename = "99.9")]
    ThreeNines,
    /// 99.95%: about 22 minutes a month.
    #[serde(rename = "99.95")]
    ThreeNinesFive,
    /// 99.99%: about 4 minutes a month.
    #[serde(rename = "99.99")]
    FourNines,
}
vocabulary!(Availability {
    TwoNines => "99", TwoNinesFive => "99.5", ThreeNines => "99.9", ThreeNinesFive => "99.95", FourNines => "99.99",
});

/// Whether an environment is production, which decides its size and safety settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Tier {
    /// Serves real users: sized for the availability target, deletion-protected.
    Production,
    /// Everything else: one replica, smaller nodes, single-zone datastores.
    NonProduction,
}
vocabulary!(Tier { Production => "production", NonProduction => "non-production" });

/// Where the jobs that reach the cluster API and other private endpoints run, which
/// decides whether those endpoints can be private.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Runners {
    /// GitHub-hosted runners: their addresses are not fixed, so the cluster API and the
    /// secret stores Terraform writes are reachable from the internet and guarded by the
    /// cloud's identity checks alone. Datastores stay private either way.
    GithubHosted,
    /// Runners inside the cloud network (`vars.DEPLOY_RUNNER`, `vars.INFRA_RUNNER`): the
    /// cluster API and secret stores have private endpoints only.
    SelfHosted,
}
vocabulary!(Runners { GithubHosted => "github-hosted", SelfHosted => "self-hosted" });
