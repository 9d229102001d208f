//! Who does what: every identity scaffold creates, the token it accepts, and
//! the operations it performs.
//!
//! A permission exists because something uses it. The workflows, scripts and
//! manifests scaffold renders perform [`Operation`]s; each operation is
//! performed by exactly one [`Identity`]; each cloud's Terraform turns the
//! operations of an identity into grants (IAM actions, roles, role
//! assignments) and the Kubernetes operations into RBAC rules, and its trust
//! conditions into the tokens listed here. Tests on the rendered files check
//! both directions: every operation a rendered job performs is granted to the
//! identity that runs it, and no identity holds a grant that nothing uses
//! (the deliberate exceptions are [`EXCEPTIONS`]).
//!
//! Tokens. Every identity GitHub Actions assumes accepts exactly one kind of
//! token, and no two identities of different purposes accept the same one:
//! - the build identity: pushes of the deploy branches, from the CI workflow
//!   (`sub = repo:O/R:ref:refs/heads/<branch>`);
//! - an environment's plan identity: jobs in the GitHub environment `<env>-plan`
//!   (pull requests may use it for non-production environments; the production
//!   one is restricted to the default branch, so production is planned after merge);
//! - an environment's apply identity: jobs in the GitHub environment `<env>-infra`;
//! - an environment's deploy identity: jobs in the GitHub environment `<env>`.
//!
//! The subject (`sub`) alone tells them apart on every cloud, which is all an
//! Azure federated credential can match. Where the cloud can also check the
//! workflow a token comes from (`job_workflow_ref`: AWS STS condition keys since
//! January 2026, aws.amazon.com/about-aws/whats-new/2026/01/aws-sts-supports-validation-identity-provider-claims;
//! GCP attribute conditions on `assertion.job_workflow_ref`), the trust also
//! names the workflow file and the ref it must run from ([`Token::workflow`]).

use serde::Serialize;

use crate::project::{Environment, Project};

pub mod gcp;
use crate::vocabulary::{Provider, WorkloadKind};

/// What an identity is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Purpose {
    /// Pushes container images (only with the cloud's own registry; ghcr uses `GITHUB_TOKEN`).
    Build,
    /// Runs `terraform plan` for one environment: reads its state and its resources.
    Plan,
    /// Runs `terraform apply` for one environment.
    Apply,
    /// Deploys the application into one environment's namespace.
    Deploy,
    /// The cloud identity one service's pods assume.
    Workload,
}

impl Purpose {
    /// The word used in docs, such as `deploy`.
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Build => "build",
            Purpose::Plan => "plan",
            Purpose::Apply => "apply",
            Purpose::Deploy => "deploy",
            Purpose::Workload => "workload",
        }
    }
}

/// A GitHub Actions OIDC token an identity accepts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Token {
    /// The exact `sub` claim, such as `repo:acme/shop:environment:production`.
    pub subject: String,
    /// The `job_workflow_ref` claim it must carry, as a pattern where `*` matches any
    /// text (`acme/shop/.github/workflows/deploy.yml@refs/heads/main`). Checked where
    /// the cloud can check it (AWS, GCP); Azure matches the subject only.
    pub workflow: String,
}

/// Something a rendered job, script or manifest does with an identity's credentials.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Operation {
    /// Log in to the cloud's registry and push (and read back) the app's images.
    PushImages,
    /// Read the environment's Terraform state.
    ReadState,
    /// Take and release the environment's Terraform state lock.
    LockState,
    /// Write the environment's Terraform state.
    WriteState,
    /// Read every resource of the environment's Terraform root (`terraform plan` refreshes
    /// them), without reading secret values.
    ReadInfrastructure,
    /// Create, change and delete the environment's resources (`terraform apply`), within
    /// a ceiling that keeps it from granting itself more or reaching other environments.
    ManageInfrastructure,
    /// Administer the environment's cluster: namespaces, RBAC and the add-ons, which
    /// Terraform installs.
    AdministerCluster,
    /// Fetch the environment's cluster endpoint and credentials (`aws eks update-kubeconfig`,
    /// `get-gke-credentials`, `az aks get-credentials`).
    GetClusterCredentials,
    /// Use the Kubernetes API inside the environment's namespace, as [`KubeRule`]s.
    UseNamespace {
        /// The namespace.
        namespace: String,
    },
    /// Read one datastore's secret from the cloud's secret manager (`<secret>` names it).
    ReadSecret {
        /// The secret-manager name.
        secret: String,
    },
}

/// One identity scaffold creates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identity {
    /// What it is for.
    pub purpose: Purpose,
    /// The environment it belongs to (`None` for the build identity, shared by all).
    pub environment: Option<String>,
    /// The service whose pods assume it (workload identities of services; `None` for the
    /// database setup job's identity, which belongs to no service).
    pub service: Option<String>,
    /// The Kubernetes `ServiceAccount` (in the environment's namespace) a workload identity
    /// trusts: the service's own, or the database setup job's.
    pub service_account: Option<String>,
    /// Its cloud name: IAM role name (AWS), service account id (GCP), managed identity name (Azure).
    pub name: String,
    /// The GitHub environment its jobs run in, when it is assumed from GitHub Actions in one.
    pub github_environment: Option<String>,
    /// The GitHub OIDC tokens it accepts (empty for workload identities, which trust a
    /// Kubernetes service account instead).
    pub tokens: Vec<Token>,
    /// What it does.
    pub operations: Vec<Operation>,
}

/// A Kubernetes RBAC rule the deploy identity holds in its namespace.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct KubeRule {
    /// The API group (`""` for the core group).
    pub api_group: &'static str,
    /// The resources, plural and lowercase, with subresources as `rollouts/status`.
    pub resources: Vec<&'static str>,
    /// The verbs.
    pub verbs: Vec<&'static str>,
    /// Why the deploy needs it, for the comment beside the rule.
    pub reason: &'static str,
}

/// A grant an identity holds although no rendered step uses it, with the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Exception {
    /// The identity's purpose.
    pub purpose: Purpose,
    /// The grant, in the words of the cloud or Kubernetes (`pods/log get`).
    pub grant: &'static str,
    /// Why it is there.
    pub reason: &'static str,
}

/// AWS: the plan identity's `secretsmanager:GetSecretValue` on its environment's datastore secrets.
pub const AWS_PLAN_SECRET_VALUES: &str =
    "AWS: secretsmanager:GetSecretValue on the environment's datastore secrets";
/// Azure: the plan identity's Key Vault Secrets User on its environment's resource group.
pub const AZURE_PLAN_KEY_VAULT_SECRETS: &str =
    "Azure: Key Vault Secrets User on the environment's resource group";
/// Azure: the plan identity's custom role that lists Azure Cache for Redis access keys.
pub const AZURE_PLAN_REDIS_KEYS: &str =
    "Azure: list the access keys of the environment's Azure Cache for Redis";

/// Grants held deliberately without a rendered step that uses them.
pub const EXCEPTIONS: &[Exception] = &[
    Exception {
        purpose: Purpose::Deploy,
        grant: "pods, pods/log, events get/list/watch",
        reason: "the deploy job prints the failing pods, their logs and events when a rollout fails, so a red run says why",
    },
    Exception {
        purpose: Purpose::Plan,
        grant: AWS_PLAN_SECRET_VALUES,
        reason: "the AWS provider refreshes a Secrets Manager secret version with GetSecretValue even when its value is write-only (internal/service/secretsmanager/secret_version.go, resourceSecretVersionRead), so a plan without it fails; Terraform writes the values write-only, so they are not in state or plan, but the plan identity can read them in Secrets Manager. Production's plan identity accepts only the default branch, so a pull request never reads production's secrets",
    },
    Exception {
        purpose: Purpose::Plan,
        grant: AZURE_PLAN_KEY_VAULT_SECRETS,
        reason: "azurerm refreshes a Key Vault secret with Get Secret, the only Key Vault call that returns a secret's version, and it returns the value too; Terraform writes the values write-only (`value_wo`), so they are not in state or plan, but the plan identity can read them in Key Vault. Production's plan identity accepts only the default branch, so a pull request never reads production's secrets",
    },
    Exception {
        purpose: Purpose::Plan,
        grant: AZURE_PLAN_REDIS_KEYS,
        reason: "azurerm refreshes Azure Cache for Redis with List Keys (hashicorp/terraform-provider-azurerm#31991) and keeps the access key in state: Azure Cache for Redis has no password Terraform could write without reading it back. Production's plan identity accepts only the default branch",
    },
];

/// The workflow files scaffold writes, relative to the repository root.
pub mod workflows {
    /// Continuous integration: tests, image builds, digests.
    pub const CI: &str = ".github/workflows/ci.yml";
    /// Continuous delivery: promotes digests through the environments.
    pub const DEPLOY: &str = ".github/workflows/deploy.yml";
    /// Terraform plan and apply.
    pub const INFRASTRUCTURE: &str = ".github/workflows/infrastructure.yml";
    /// CodeQL and dependency review.
    pub const SECURITY: &str = ".github/workflows/security.yml";
}

/// The GitHub environment an environment's plan jobs run in.
pub fn plan_environment(env: &str) -> String {
    format!("{env}-plan")
}

/// The GitHub environment an environment's Terraform apply jobs run in.
pub fn infra_environment(env: &str) -> String {
    format!("{env}-infra")
}

impl Project {
    /// The `job_workflow_ref` of `workflow` (a path from [`workflows`]) run from `git_ref`.
    pub fn workflow_ref(&self, workflow: &str, git_ref: &str) -> String {
        format!("{}/{workflow}@{git_ref}", self.repository.full)
    }

    /// The `sub` claim of jobs in GitHub environment `github_environment`.
    pub fn environment_subject(&self, github_environment: &str) -> String {
        format!(
            "repo:{}:environment:{github_environment}",
            self.repository.full
        )
    }

    /// Every identity scaffold creates, build first, then per environment plan, apply,
    /// deploy and one workload identity per service.
    pub fn identities(&self) -> Vec<Identity> {
        let mut identities = Vec::new();
        if self.delivery.registry.provider() == Some(self.cloud.provider) {
            identities.push(Identity {
                purpose: Purpose::Build,
                environment: None,
                service: None,
                service_account: None,
                name: self.names.build_identity.clone(),
                github_environment: None,
                tokens: self
                    .deploy_branches
                    .iter()
                    .map(|branch| {
                        let git_ref = format!("refs/heads/{branch}");
                        Token {
                            subject: format!("repo:{}:ref:{git_ref}", self.repository.full),
                            workflow: self.workflow_ref(workflows::CI, &git_ref),
                        }
                    })
                    .collect(),
                operations: vec![Operation::PushImages],
            });
        }
        let default_ref = format!("refs/heads/{}", self.default_branch);
        for env in &self.environments {
            identities.extend(self.environment_identities(env, &default_ref));
        }
        identities
    }

    fn environment_identities(&self, env: &Environment, default_ref: &str) -> Vec<Identity> {
        let plan_env = env.names.plan_environment.clone();
        let infra_env = env.names.infra_environment.clone();
        // Infrastructure is applied from the branch whose CI runs deploy the environment
        // (the same path as the application), so a development branch never applies
        // production. Non-production plans also run on pull requests (any ref);
        // production's only after merge, on that branch.
        let source_ref = format!("refs/heads/{}", self.source_branch(env));
        let plan_ref = if env.production {
            source_ref.as_str()
        } else {
            "*"
        };
        let mut identities = vec![
            Identity {
                purpose: Purpose::Plan,
                environment: Some(env.name.clone()),
                service: None,
                service_account: None,
                name: env.names.plan_identity.clone(),
                tokens: vec![Token {
                    subject: self.environment_subject(&plan_env),
                    workflow: self.workflow_ref(workflows::INFRASTRUCTURE, plan_ref),
                }],
                github_environment: Some(plan_env),
                operations: self.plan_operations(),
            },
            Identity {
                purpose: Purpose::Apply,
                environment: Some(env.name.clone()),
                service: None,
                service_account: None,
                name: env.names.terraform_identity.clone(),
                tokens: vec![Token {
                    subject: self.environment_subject(&infra_env),
                    workflow: self.workflow_ref(workflows::INFRASTRUCTURE, &source_ref),
                }],
                github_environment: Some(infra_env),
                operations: vec![
                    Operation::ReadState,
                    Operation::LockState,
                    Operation::WriteState,
                    Operation::ReadInfrastructure,
                    Operation::ManageInfrastructure,
                    // The platform root's apply signs in to the cluster it administers.
                    Operation::GetClusterCredentials,
                    Operation::AdministerCluster,
                ],
            },
        ];
        let deploy_operations = if self.delivery.gitops {
            // Argo CD in the cluster applies the desired state; the job only reads the
            // Application's sync and health status through the cluster API.
            vec![
                Operation::GetClusterCredentials,
                Operation::UseNamespace {
                    namespace: self.names.cluster_addons.argocd_namespace.clone(),
                },
            ]
        } else {
            vec![
                Operation::GetClusterCredentials,
                Operation::UseNamespace {
                    namespace: env.names.namespace.clone(),
                },
            ]
        };
        identities.push(Identity {
            purpose: Purpose::Deploy,
            environment: Some(env.name.clone()),
            service: None,
            service_account: None,
            name: env.names.ci_identity.clone(),
            tokens: vec![Token {
                subject: self.environment_subject(&env.names.github_environment),
                // deploy.yml starts on `workflow_run`, which runs the workflow file of the
                // default branch, whichever branch CI ran on.
                workflow: self.workflow_ref(workflows::DEPLOY, default_ref),
            }],
            github_environment: Some(env.names.github_environment.clone()),
            operations: deploy_operations,
        });
        for (service, in_env) in self.services.iter().zip(&env.services) {
            identities.push(Identity {
                purpose: Purpose::Workload,
                environment: Some(env.name.clone()),
                service: Some(service.name.clone()),
                service_account: Some(service.names.service_account.clone()),
                name: in_env.workload_identity.clone(),
                github_environment: None,
                tokens: Vec::new(),
                operations: self
                    .datastores_of(service)
                    .filter_map(|ds| env.datastores.iter().find(|d| d.datastore == ds.name))
                    .map(|d| Operation::ReadSecret {
                        secret: d.secret.clone(),
                    })
                    .collect(),
            });
        }
        // The job that creates each relational datastore's application user reads the
        // administrator's secret and the application user's.
        let setup: Vec<Operation> = self
            .database_setups(env)
            .into_iter()
            .flat_map(|d| {
                [
                    Operation::ReadSecret {
                        secret: d.admin_secret.clone(),
                    },
                    Operation::ReadSecret {
                        secret: d.secret.clone(),
                    },
                ]
            })
            .collect();
        if !setup.is_empty() {
            identities.push(Identity {
                purpose: Purpose::Workload,
                environment: Some(env.name.clone()),
                service: None,
                service_account: Some(crate::names::DATABASE_SETUP.to_owned()),
                name: env.names.database_setup_identity.clone(),
                github_environment: None,
                tokens: Vec::new(),
                operations: setup,
            });
        }
        identities
    }

    /// What a plan identity does: read the state, take the state lock where the cloud can
    /// grant that without the right to write the state, and read the infrastructure.
    ///
    /// Azure Blob Storage has no lock-only permission: the state lock is a lease on the
    /// state blob, and Lease Blob needs `blobs/write`, the data action that also
    /// overwrites the blob (learn.microsoft.com/rest/api/storageservices/lease-blob,
    /// "Authorization"). Azure plans therefore run with `-lock=false`; reading state
    /// while an apply holds the lock is safe (a blob is replaced whole), and the apply
    /// job plans again under the lock before it applies.
    fn plan_operations(&self) -> Vec<Operation> {
        let mut operations = vec![Operation::ReadState];
        if self.cloud.provider != Provider::Azure {
            operations.push(Operation::LockState);
        }
        operations.push(Operation::ReadInfrastructure);
        operations
    }

    /// The relational datastores of `env` some service uses, whose application user the
    /// database setup job creates ([`crate::project::Datastore::has_setup`]), in datastore order.
    pub fn database_setups<'a>(
        &self,
        env: &'a Environment,
    ) -> Vec<&'a crate::project::DatastoreInEnvironment> {
        self.datastores
            .iter()
            .zip(&env.datastores)
            .filter(|(ds, _)| ds.has_setup())
            .map(|(_, in_env)| in_env)
            .collect()
    }

    /// The identity of `purpose` in environment `env` (the build identity ignores `env`).
    pub fn identity(&self, purpose: Purpose, env: Option<&str>) -> Option<Identity> {
        self.identities().into_iter().find(|i| {
            i.purpose == purpose && (purpose == Purpose::Build || i.environment.as_deref() == env)
        })
    }

    /// The RBAC rules the deploy identity of `env` needs in its namespace: one per kind
    /// the overlay applies (with `kubectl apply`: get, list, watch, create, patch, update)
    /// and what the deploy job's own commands use (rollout status and undo, promotion, the
    /// smoke check's port-forward ([`Project::port_forwards`]), the failure report). The
    /// platform root renders them as the deploy `Role`; the `Namespace` itself is the
    /// platform root's, so no rule covers it.
    ///
    /// With GitOps the deploy identity applies nothing: Argo CD does, so it only reads
    /// the `Application` in Argo CD's namespace.
    pub fn deploy_rules(&self, env: &Environment) -> Vec<KubeRule> {
        if self.delivery.gitops {
            return vec![KubeRule {
                api_group: "argoproj.io",
                resources: vec!["applications"],
                verbs: vec!["get", "list", "watch"],
                reason: "wait for Argo CD to sync the desired state and report its health",
            }];
        }
        self.overlay_rules(env)
    }

    /// The RBAC rules that applying `env`'s overlay and running the deploy job's commands
    /// need: the deploy identity's without GitOps; with GitOps Argo CD applies the overlay
    /// and its project admits exactly these API groups.
    pub fn overlay_rules(&self, env: &Environment) -> Vec<KubeRule> {
        const APPLY: &[&str] = &["get", "list", "watch", "create", "patch", "update"];
        let has = |kind: WorkloadKind| self.services.iter().any(|s| s.workload == kind);
        let scaled = self
            .services
            .iter()
            .any(|s| s.workload != WorkloadKind::CronJob);
        let secrets = self.services.iter().any(|s| !s.connections.is_empty());
        let ingress = env.services.iter().any(|s| s.host.is_some());
        let metrics = self.services.iter().any(|s| s.metrics_path.is_some());
        let mut rules = vec![
            KubeRule {
                api_group: "",
                resources: vec!["configmaps", "serviceaccounts", "services"],
                verbs: APPLY.to_vec(),
                reason: "kubectl apply of the overlay: ConfigMaps (settings and dashboards), ServiceAccounts, Services",
            },
            KubeRule {
                api_group: "",
                resources: vec!["pods", "pods/log", "events"],
                verbs: vec!["get", "list", "watch"],
                reason: "rollout status, the smoke check and the failure report read pods, their logs and events",
            },
        ];
        // The deploy job port-forwards to check a service from inside the cluster, or to
        // probe a blue-green preview before it promotes it (`Project::port_forwards`, which
        // the workflow's checks read too).
        let port_forward = self.port_forwards(env);
        if port_forward {
            rules.push(KubeRule {
                api_group: "",
                resources: vec!["pods/portforward"],
                verbs: vec!["create"],
                reason: "the smoke check reaches each Service through kubectl port-forward",
            });
        }
        if has(WorkloadKind::Deployment) {
            rules.push(KubeRule {
                api_group: "apps",
                resources: vec!["deployments", "replicasets"],
                verbs: APPLY.to_vec(),
                reason: "kubectl apply of the overlay's Deployments; rollout status and undo read the ReplicaSets and patch the Deployment",
            });
        }
        let cronjobs = has(WorkloadKind::CronJob);
        let setup = !self.database_setups(env).is_empty();
        if cronjobs || setup {
            let mut resources = Vec::new();
            if cronjobs {
                resources.push("cronjobs");
            }
            if setup {
                resources.push("jobs");
            }
            rules.push(KubeRule {
                api_group: "batch",
                resources,
                verbs: APPLY.to_vec(),
                reason: match (cronjobs, setup) {
                    (true, true) => {
                        "kubectl apply of the overlay: CronJobs of scheduled services, the Jobs that create the datastores' application users"
                    }
                    (true, false) => "kubectl apply of the overlay: CronJobs of scheduled services",
                    _ => {
                        "kubectl apply of the overlay: the Jobs that create the datastores' application users"
                    }
                },
            });
        }
        if scaled {
            rules.push(KubeRule {
                api_group: "autoscaling",
                resources: vec!["horizontalpodautoscalers"],
                verbs: APPLY.to_vec(),
                reason: "kubectl apply of the overlay: HorizontalPodAutoscalers",
            });
            rules.push(KubeRule {
                api_group: "policy",
                resources: vec!["poddisruptionbudgets"],
                verbs: APPLY.to_vec(),
                reason: "kubectl apply of the overlay: PodDisruptionBudgets",
            });
        }
        let mut networking = vec!["networkpolicies"];
        if ingress {
            networking.push("ingresses");
        }
        rules.push(KubeRule {
            api_group: "networking.k8s.io",
            reason: if ingress {
                "kubectl apply of the overlay: NetworkPolicies and Ingresses"
            } else {
                "kubectl apply of the overlay: NetworkPolicies"
            },
            resources: networking,
            verbs: APPLY.to_vec(),
        });
        if secrets {
            rules.push(KubeRule {
                api_group: "external-secrets.io",
                resources: vec!["externalsecrets", "secretstores"],
                verbs: APPLY.to_vec(),
                reason: "kubectl apply of the overlay: ExternalSecrets and their SecretStores",
            });
        }
        let mut monitoring = vec!["prometheusrules"];
        if metrics {
            monitoring.insert(0, "servicemonitors");
        }
        rules.push(KubeRule {
            api_group: "monitoring.coreos.com",
            reason: if metrics {
                "kubectl apply of the overlay: ServiceMonitors and PrometheusRules"
            } else {
                "kubectl apply of the overlay: PrometheusRules"
            },
            resources: monitoring,
            verbs: APPLY.to_vec(),
        });
        if has(WorkloadKind::Rollout) {
            rules.push(KubeRule {
                api_group: "argoproj.io",
                resources: vec!["rollouts", "rollouts/status", "analysistemplates"],
                verbs: APPLY.to_vec(),
                reason: "kubectl apply of the overlay (Rollouts, AnalysisTemplates); promotion, abort and undo patch the Rollout and its status",
            });
            // kubectl-argo-rollouts' `status` builds a Rollout's state from informers over
            // its ReplicaSets, AnalysisRuns and Experiments (github::commands lists each
            // command's calls; the platform tests check both directions).
            rules.push(KubeRule {
                api_group: "argoproj.io",
                resources: vec!["analysisruns", "experiments"],
                verbs: vec!["get", "list", "watch"],
                reason: "`kubectl argo rollouts status` reads each Rollout's AnalysisRuns and Experiments",
            });
            if !has(WorkloadKind::Deployment) {
                rules.push(KubeRule {
                    api_group: "apps",
                    resources: vec!["deployments", "replicasets"],
                    verbs: vec!["get", "list", "watch"],
                    reason: "`kubectl argo rollouts status` and `undo` read each Rollout's ReplicaSets and the Deployments a Rollout may reference",
                });
            }
        }
        rules
    }
}

/// Whether the identity's tokens overlap with another identity's: the same subject
/// and a workflow pattern that can match the same `job_workflow_ref` (on Azure only the
/// subject counts).
pub fn tokens_overlap(a: &Token, b: &Token, provider: Provider) -> bool {
    if a.subject != b.subject {
        return false;
    }
    if provider == Provider::Azure {
        return true;
    }
    patterns_overlap(&a.workflow, &b.workflow)
}

/// Whether two `*` patterns can match a common string (prefix before the first `*`
/// compatible, and literal equality when neither has one).
fn patterns_overlap(a: &str, b: &str) -> bool {
    match (a.split_once('*'), b.split_once('*')) {
        (None, None) => a == b,
        (Some((prefix, _)), None) => b.starts_with(prefix),
        (None, Some((prefix, _))) => a.starts_with(prefix),
        (Some((pa, _)), Some((pb, _))) => pa.starts_with(pb) || pb.starts_with(pa),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::Facts;

    fn project(toml: &str) -> Project {
        Project::from_toml(toml, &Facts::default()).expect("valid answers")
    }

    const SHOP: &str = r#"
        [app]
        name = "shop"
        repository = "acme/shop"
        [cloud]
        provider = "aws"
        [[services]]
        name = "api"
        language = "node"
        uses = ["db"]
        [[datastores]]
        name = "db"
        engine = "postgres"
        [delivery]
        registry = "ecr"
    "#;

    #[test]
    fn no_two_identities_of_different_purposes_accept_the_same_token() {
        for provider in ["aws", "gcp", "azure"] {
            let text = SHOP.replace("\"aws\"", &format!("\"{provider}\"")).replace(
                "\"ecr\"",
                match provider {
                    "aws" => "\"ecr\"",
                    "gcp" => "\"gar\"",
                    _ => "\"acr\"",
                },
            );
            let project = project(&text);
            let identities = project.identities();
            for a in &identities {
                for b in &identities {
                    if a.purpose == b.purpose && a.environment == b.environment {
                        continue;
                    }
                    for ta in &a.tokens {
                        for tb in &b.tokens {
                            assert!(
                                !tokens_overlap(ta, tb, project.cloud.provider),
                                "{provider}: {} ({:?}) and {} ({:?}) both accept {ta:?}",
                                a.name,
                                a.purpose,
                                b.name,
                                b.purpose
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn production_is_planned_only_after_merge() {
        let project = project(SHOP);
        let plan = project
            .identity(Purpose::Plan, Some("production"))
            .expect("production plan identity");
        assert_eq!(
            plan.tokens[0].workflow,
            "acme/shop/.github/workflows/infrastructure.yml@refs/heads/main"
        );
        let staging = project
            .identity(Purpose::Plan, Some("staging"))
            .expect("staging plan identity");
        assert!(staging.tokens[0].workflow.ends_with("@*"));
    }

    #[test]
    fn ghcr_needs_no_build_identity() {
        let project = project(&SHOP.replace("\"ecr\"", "\"ghcr\""));
        assert!(project.identity(Purpose::Build, None).is_none());
    }

    #[test]
    fn workloads_read_only_the_secrets_of_the_datastores_they_use() {
        let project = project(SHOP);
        let api = project
            .identities()
            .into_iter()
            .find(|i| i.purpose == Purpose::Workload && i.environment.as_deref() == Some("staging"))
            .expect("workload identity");
        assert_eq!(
            api.operations,
            vec![Operation::ReadSecret {
                secret: "shop/staging/db".to_owned()
            }]
        );
    }

    #[test]
    fn patterns() {
        assert!(patterns_overlap("a@*", "a@refs/heads/main"));
        assert!(!patterns_overlap("a@refs/heads/main", "b@refs/heads/main"));
        assert!(!patterns_overlap("ci@*", "deploy@*"));
    }
}
