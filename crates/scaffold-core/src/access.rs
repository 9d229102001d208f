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
use crate::vocabulary::{Provider, Strategy};

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
    /// The service whose pods assume it (workload identities only).
    pub service: Option<String>,
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

/// Grants held deliberately without a rendered step that uses them.
pub const EXCEPTIONS: &[Exception] = &[Exception {
    purpose: Purpose::Deploy,
    grant: "pods, pods/log, events get/list/watch",
    reason: "the deploy job prints the failing pods, their logs and events when a rollout fails, so a red run says why",
}];

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
        // Non-production plans run on pull requests (any ref); production's only after merge.
        let plan_ref = if env.production { default_ref } else { "*" };
        let mut identities = vec![
            Identity {
                purpose: Purpose::Plan,
                environment: Some(env.name.clone()),
                service: None,
                name: env.names.plan_identity.clone(),
                tokens: vec![Token {
                    subject: self.environment_subject(&plan_env),
                    workflow: self.workflow_ref(workflows::INFRASTRUCTURE, plan_ref),
                }],
                github_environment: Some(plan_env),
                operations: vec![
                    Operation::ReadState,
                    Operation::LockState,
                    Operation::ReadInfrastructure,
                ],
            },
            Identity {
                purpose: Purpose::Apply,
                environment: Some(env.name.clone()),
                service: None,
                name: env.names.terraform_identity.clone(),
                tokens: vec![Token {
                    subject: self.environment_subject(&infra_env),
                    workflow: self.workflow_ref(workflows::INFRASTRUCTURE, default_ref),
                }],
                github_environment: Some(infra_env),
                operations: vec![
                    Operation::ReadState,
                    Operation::LockState,
                    Operation::WriteState,
                    Operation::ReadInfrastructure,
                    Operation::ManageInfrastructure,
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
            name: env.names.ci_identity.clone(),
            tokens: vec![Token {
                subject: self.environment_subject(&env.names.github_environment),
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
        identities
    }

    /// The identity of `purpose` in environment `env` (the build identity ignores `env`).
    pub fn identity(&self, purpose: Purpose, env: Option<&str>) -> Option<Identity> {
        self.identities().into_iter().find(|i| {
            i.purpose == purpose && (purpose == Purpose::Build || i.environment.as_deref() == env)
        })
    }

    /// The RBAC rules the deploy identity of `env` needs in its namespace: one per kind
    /// the overlay applies (with `kubectl apply`: get, create, patch) and what the deploy
    /// job's own commands use (rollout status and undo, promotion, the smoke check's
    /// port-forward, the failure report).
    ///
    /// With GitOps the deploy identity applies nothing: Argo CD does, so it only reads
    /// the `Application` in Argo CD's namespace.
    pub fn deploy_rules(&self, _env: &Environment) -> Vec<KubeRule> {
        const APPLY: &[&str] = &["get", "list", "watch", "create", "patch", "update"];
        if self.delivery.gitops {
            return vec![KubeRule {
                api_group: "argoproj.io",
                resources: vec!["applications"],
                verbs: vec!["get", "list", "watch"],
                reason: "wait for Argo CD to sync the desired state and report its health",
            }];
        }
        let mut rules = vec![
            KubeRule {
                api_group: "",
                resources: vec!["configmaps", "serviceaccounts", "services"],
                verbs: APPLY.to_vec(),
                reason: "kubectl apply of the overlay: ConfigMaps, ServiceAccounts, Services",
            },
            KubeRule {
                api_group: "",
                resources: vec!["pods", "pods/log", "events"],
                verbs: vec!["get", "list", "watch"],
                reason: "rollout status, the smoke check and the failure report read pods, their logs and events",
            },
            KubeRule {
                api_group: "",
                resources: vec!["pods/portforward"],
                verbs: vec!["create"],
                reason: "the smoke check reaches each Service through kubectl port-forward",
            },
            KubeRule {
                api_group: "apps",
                resources: vec!["replicasets"],
                verbs: vec!["get", "list", "watch"],
                reason: "rollout status and rollback read the revisions",
            },
            KubeRule {
                api_group: "autoscaling",
                resources: vec!["horizontalpodautoscalers"],
                verbs: APPLY.to_vec(),
                reason: "kubectl apply of the overlay: HorizontalPodAutoscalers",
            },
            KubeRule {
                api_group: "policy",
                resources: vec!["poddisruptionbudgets"],
                verbs: APPLY.to_vec(),
                reason: "kubectl apply of the overlay: PodDisruptionBudgets",
            },
            KubeRule {
                api_group: "networking.k8s.io",
                resources: vec!["networkpolicies", "ingresses"],
                verbs: APPLY.to_vec(),
                reason: "kubectl apply of the overlay: NetworkPolicies and Ingresses",
            },
            KubeRule {
                api_group: "external-secrets.io",
                resources: vec!["externalsecrets", "secretstores"],
                verbs: APPLY.to_vec(),
                reason: "kubectl apply of the overlay: ExternalSecrets and their SecretStore",
            },
            KubeRule {
                api_group: "monitoring.coreos.com",
                resources: vec!["servicemonitors", "prometheusrules"],
                verbs: APPLY.to_vec(),
                reason: "kubectl apply of the overlay: ServiceMonitors and PrometheusRules",
            },
        ];
        if self.delivery.strategy.uses_rollouts() {
            let mut resources = vec!["rollouts", "rollouts/status", "analysistemplates"];
            let mut reason = "kubectl apply of the overlay (Rollouts, AnalysisTemplates); promotion, abort and undo patch the Rollout";
            if self.delivery.strategy == Strategy::Canary {
                resources.push("analysisruns");
                reason = "kubectl apply of the overlay (Rollouts, AnalysisTemplates); promotion, abort and undo patch the Rollout; the job reads AnalysisRuns to report a failed canary";
            }
            rules.push(KubeRule {
                api_group: "argoproj.io",
                resources,
                verbs: APPLY.to_vec(),
                reason,
            });
        } else {
            rules.push(KubeRule {
                api_group: "apps",
                resources: vec!["deployments"],
                verbs: APPLY.to_vec(),
                reason: "kubectl apply of the overlay; rollout undo patches the Deployment",
            });
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
