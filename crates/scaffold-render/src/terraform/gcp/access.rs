//! Who may do what on Google Cloud: the one mapping from the access model's
//! [`Operation`]s to IAM role bindings, and from its [`Token`](scaffold_core::access::Token)s to workload identity
//! federation trust.
//!
//! Every role binding the Terraform renders for an identity comes from [`grants`];
//! nothing else in the templates grants a role to an identity of the access model.
//! Tests compute both directions from the rendered files: each operation of each
//! identity is granted, and each rendered binding maps back to an operation.
//!
//! The ceiling of an environment's apply identity is structural rather than a
//! condition on what it may grant: the bootstrap root (applied by an administrator)
//! creates every service account and every project-level binding, so the apply
//! identity holds no IAM administration role on any project. It sets IAM policy only
//! on resources it creates (a Secret Manager secret, a Cloud KMS key) and on its own
//! environment's workload service accounts (the Kubernetes ServiceAccount binding,
//! which needs the cluster's workload pool and so cannot exist before the cluster).
//!
//! Trust is two checks that must both pass: the service account's binding names the
//! token's exact subject (`principal://…/subject/<sub>`), and the workload identity
//! provider's attribute condition admits the token only from the workflow file and ref
//! the model pairs with that subject (`assertion.job_workflow_ref`).

use scaffold_core::access::{Identity, Operation, Purpose};
use scaffold_core::{Environment, Project};
use serde::Serialize;

/// The custom role that lets a plan identity read a Memorystore instance's AUTH string.
///
/// Terraform's refresh of `google_redis_instance` calls `getAuthString` whenever AUTH is
/// on (magic-modules `templates/terraform/decoders/redis_instance.go.tmpl`), and no
/// predefined read-only role holds `redis.instances.getAuthString` (only
/// `roles/redis.admin` does, per the role dataset darkbitio/gcp-iam-role-permissions,
/// August 2026). The string already sits in the state the plan identity reads.
pub(crate) const REDIS_AUTH_READER_ROLE_ID: &str = "scaffoldRedisAuthReader";

/// The id of the custom role in environment `env`'s project (one per environment, so
/// environments that share a project do not share it): letters, digits, `_` and `.` only.
pub(crate) fn redis_auth_role_id(env: &str) -> String {
    format!("{REDIS_AUTH_READER_ROLE_ID}_{}", env.replace('-', "_"))
}

/// The permissions of [`REDIS_AUTH_READER_ROLE_ID`].
pub(crate) const REDIS_AUTH_READER_PERMISSIONS: &[&str] = &["redis.instances.getAuthString"];

/// What a role is granted on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub(crate) enum Target {
    /// The Google Cloud project of an environment (the shared project unless the
    /// environment has `separate_account`).
    Project {
        /// The environment.
        environment: String,
    },
    /// The Terraform state bucket, limited by an IAM condition.
    StateBucket {
        /// The condition's title.
        title: String,
        /// The condition's description.
        description: String,
        /// The condition's CEL expression, with `${local.state_objects}` for the object prefix.
        expression: String,
    },
    /// The shared Artifact Registry repository.
    Registry,
    /// A service account created by the bootstrap root (by account id).
    ServiceAccount {
        /// The account id.
        account: String,
    },
    /// A Secret Manager secret of an environment (by secret id); bound in the environment root.
    Secret {
        /// The secret id.
        secret: String,
    },
    /// The Kubernetes API: the platform root's RoleBinding names the service account's
    /// e-mail as a `User`, which is how GKE presents a Google identity to RBAC.
    KubernetesRbac {
        /// The namespace of the RoleBinding.
        namespace: String,
    },
}

/// One role binding of one identity, and the operation it exists for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub(crate) struct Grant {
    /// The operation that needs it.
    pub operation: Operation,
    /// The role: a predefined `roles/...`, or [`REDIS_AUTH_READER_ROLE_ID`] for the custom role.
    pub role: String,
    /// Where it is granted.
    pub target: Target,
}

impl Grant {
    fn project(operation: &Operation, env: &str, role: &str) -> Self {
        Grant {
            operation: operation.clone(),
            role: role.to_owned(),
            target: Target::Project {
                environment: env.to_owned(),
            },
        }
    }
}

/// What the environment roots contain, which decides the roles that manage and read them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Contents {
    /// Some datastore is a Cloud SQL instance.
    pub sql: bool,
    /// Some datastore is a Memorystore instance.
    pub cache: bool,
}

impl Contents {
    pub(crate) fn of(project: &Project) -> Self {
        Contents {
            sql: project.datastores.iter().any(|d| d.engine.is_database()),
            cache: project.datastores.iter().any(|d| !d.engine.is_database()),
        }
    }

    fn secrets(self) -> bool {
        self.sql || self.cache
    }
}

/// The roles `terraform plan` needs to refresh every resource of an environment's roots
/// without reading a secret value: Secret Manager versions are written with
/// `secret_data_wo`, whose refresh skips the payload (magic-modules
/// `custom_flatten/secret_version_access.go.tmpl`, since February 2025), and the
/// Kubernetes viewer role excludes Secrets.
fn read_roles(contents: Contents) -> Vec<&'static str> {
    let mut roles = vec![
        "roles/cloudkms.viewer",
        "roles/compute.networkViewer",
        // Clusters and node pools, and the platform root's Kubernetes objects except Secrets.
        "roles/container.viewer",
        // IAM policies of the project, service accounts, keys and secrets.
        "roles/iam.securityReviewer",
        // The provider bills API calls to the environment's project (`user_project_override`).
        "roles/serviceusage.serviceUsageConsumer",
    ];
    if contents.sql {
        roles.push("roles/cloudsql.viewer");
    }
    if contents.cache {
        roles.push("roles/redis.viewer");
        roles.push(REDIS_AUTH_READER_ROLE_ID);
    }
    if contents.secrets() {
        roles.push("roles/secretmanager.viewer");
    }
    roles.sort_unstable();
    roles
}

/// The predefined roles `terraform apply` needs on the environment's project: what the
/// environment root creates, and nothing that administers IAM.
fn manage_roles(contents: Contents) -> Vec<&'static str> {
    let mut roles = vec![
        // The Secrets encryption key and its binding to the GKE service agent.
        "roles/cloudkms.admin",
        // VPC, subnet, router, NAT, addresses and the private services peering.
        "roles/compute.networkAdmin",
        // Firewall rules.
        "roles/compute.securityAdmin",
        // Clusters and node pools (the Kubernetes objects are AdministerCluster's).
        "roles/container.clusterAdmin",
        "roles/serviceusage.serviceUsageConsumer",
    ];
    if contents.sql {
        roles.push("roles/cloudsql.admin");
    }
    if contents.cache {
        roles.push("roles/redis.admin");
    }
    if contents.secrets() {
        // Secrets, their versions and their IAM policies (which workload reads which).
        roles.push("roles/secretmanager.admin");
    }
    roles.sort_unstable();
    roles
}

/// The CEL expression of a state-bucket condition over the objects of `env`.
fn state_objects(env: &str) -> String {
    format!("resource.name.startsWith('${{local.state_objects}}/{env}/')")
}

/// The name of the node service account of `env`, created by the bootstrap root.
pub(crate) fn node_service_account(env: &Environment) -> String {
    scaffold_core::names::bounded(&format!("{}-nodes", env.names.cluster), 30)
}

/// The Google service accounts of `env`'s workload identities: one per service, and the
/// database setup job's when the environment has relational datastores.
pub(crate) fn workload_accounts(project: &Project, env: &Environment) -> Vec<String> {
    project
        .identities()
        .into_iter()
        .filter(|i| i.purpose == Purpose::Workload && i.environment.as_deref() == Some(&env.name))
        .map(|i| i.name)
        .collect()
}

/// The one mapping: every role binding `identity` needs for its operations.
pub(crate) fn grants(project: &Project, identity: &Identity) -> Vec<Grant> {
    let contents = Contents::of(project);
    let env = identity
        .environment
        .as_deref()
        .and_then(|name| project.environments.iter().find(|e| e.name == name));
    let mut grants = Vec::new();
    for operation in &identity.operations {
        let env_name = env.map(|e| e.name.as_str()).unwrap_or_default();
        match operation {
            Operation::PushImages => grants.push(Grant {
                operation: operation.clone(),
                role: "roles/artifactregistry.writer".to_owned(),
                target: Target::Registry,
            }),
            Operation::ReadState => grants.push(Grant {
                operation: operation.clone(),
                role: "roles/storage.objectViewer".to_owned(),
                target: Target::StateBucket {
                    title: format!("state-{env_name}-read"),
                    description: format!(
                        "Objects under the {env_name}/ prefix, and listing the bucket (object names only)"
                    ),
                    expression: format!(
                        "resource.type == 'storage.googleapis.com/Bucket' || {}",
                        state_objects(env_name)
                    ),
                },
            }),
            Operation::LockState => grants.push(Grant {
                operation: operation.clone(),
                role: "roles/storage.objectUser".to_owned(),
                target: Target::StateBucket {
                    title: format!("state-{env_name}-lock"),
                    description: format!("The lock files under the {env_name}/ prefix"),
                    expression: format!(
                        "{} && resource.name.endsWith('.tflock')",
                        state_objects(env_name)
                    ),
                },
            }),
            Operation::WriteState => grants.push(Grant {
                operation: operation.clone(),
                role: "roles/storage.objectUser".to_owned(),
                target: Target::StateBucket {
                    title: format!("state-{env_name}-write"),
                    description: format!(
                        "Objects under the {env_name}/ prefix: the environment root and its platform root"
                    ),
                    expression: state_objects(env_name),
                },
            }),
            Operation::ReadInfrastructure => {
                for role in read_roles(contents) {
                    grants.push(Grant::project(operation, env_name, role));
                }
            }
            Operation::ManageInfrastructure => {
                for role in manage_roles(contents) {
                    grants.push(Grant::project(operation, env_name, role));
                }
                if let Some(env) = env {
                    // Node pools run as the node service account: acting as it, and only it.
                    grants.push(Grant {
                        operation: operation.clone(),
                        role: "roles/iam.serviceAccountUser".to_owned(),
                        target: Target::ServiceAccount {
                            account: node_service_account(env),
                        },
                    });
                    // The binding of each workload's Kubernetes ServiceAccount (a service's,
                    // or the database setup job's) to its Google service account needs the
                    // cluster's workload pool, so the environment root writes it, on these
                    // accounts only.
                    for account in workload_accounts(project, env) {
                        grants.push(Grant {
                            operation: operation.clone(),
                            role: "roles/iam.serviceAccountAdmin".to_owned(),
                            target: Target::ServiceAccount { account },
                        });
                    }
                }
            }
            Operation::AdministerCluster => {
                grants.push(Grant::project(operation, env_name, "roles/container.admin"));
            }
            Operation::GetClusterCredentials => {
                // `container.clusters.get` and `.list` for get-gke-credentials and
                // `container.clusters.connect` for the DNS-based endpoint, and no Kubernetes
                // object (darkbitio/gcp-iam-role-permissions, roles/container.clusterViewer).
                grants.push(Grant::project(
                    operation,
                    env_name,
                    "roles/container.clusterViewer",
                ));
            }
            Operation::UseNamespace { namespace } => grants.push(Grant {
                operation: operation.clone(),
                role: "kubernetes-rbac".to_owned(),
                target: Target::KubernetesRbac {
                    namespace: namespace.clone(),
                },
            }),
            Operation::ReadSecret { secret } => grants.push(Grant {
                operation: operation.clone(),
                role: "roles/secretmanager.secretAccessor".to_owned(),
                target: Target::Secret {
                    secret: secret.clone(),
                },
            }),
        }
    }
    grants
}

/// The workload identity provider's attribute condition, from core, which also refuses
/// answers whose condition Google would not accept.
pub(crate) use scaffold_core::access::gcp::attribute_condition;

/// Whether the identity is assumed from GitHub Actions (and so created with a GitHub trust).
pub(crate) fn is_github(identity: &Identity) -> bool {
    identity.purpose != Purpose::Workload
}
