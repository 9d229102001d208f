//! The one mapping from access-model operations to Azure role assignments.
//!
//! Every role assignment scaffold's Azure Terraform gives an identity of
//! [`Project::identities`] comes from [`grants`]: an operation becomes one or
//! more built-in or custom roles at a scope, with an ABAC condition where the
//! role alone would reach further than the operation needs. Grants held
//! without an operation that uses them are [`exception_grants`], each tied to
//! an entry of [`access::EXCEPTIONS`] that says why.
//!
//! Role names and actions are Azure's built-in roles
//! (learn.microsoft.com/azure/role-based-access-control/built-in-roles); the
//! ABAC condition syntax follows learn.microsoft.com/azure/role-based-access-control/conditions-format
//! and the examples in delegate-role-assignments-examples and
//! storage/blobs/storage-auth-abac-examples.

use scaffold_core::access::{self, Exception, Identity, Operation, Purpose};
use scaffold_core::{Project, Registry};

/// Where a role is assigned. The renderer turns each into an HCL expression of the
/// root that creates the assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Scope {
    /// The Terraform state container (shared by every environment, scoped further by a condition).
    StateContainer,
    /// The environment's resource group.
    EnvironmentGroup,
    /// The region's Network Watcher of the environment's subscription (flow logs live under it).
    NetworkWatcher,
    /// The shared container registry.
    Registry,
    /// The environment's AKS cluster.
    Cluster,
    /// One Key Vault secret (the workload's datastore secret).
    Secret,
}

/// A role that scaffold defines itself because no built-in role is narrow enough.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum CustomRole {
    /// Create and change VNet flow logs under the region's Network Watcher, nothing else there.
    FlowLogs,
    /// Place and remove resource locks (Contributor cannot: `Microsoft.Authorization/*` is excluded).
    Locks,
    /// Read Azure Cache for Redis and list its access keys (what `terraform plan` refreshes).
    RedisKeys,
}

impl CustomRole {
    /// Every custom role, in a fixed order.
    pub(crate) const ALL: &'static [CustomRole] = &[
        CustomRole::FlowLogs,
        CustomRole::Locks,
        CustomRole::RedisKeys,
    ];

    /// The key of the role in the bootstrap's `azurerm_role_definition` map.
    pub(crate) fn key(self) -> &'static str {
        match self {
            CustomRole::FlowLogs => "flow_logs",
            CustomRole::Locks => "locks",
            CustomRole::RedisKeys => "redis_keys",
        }
    }

    /// The role's name, unique in the tenant through the app's name.
    pub(crate) fn name(self, app: &str) -> String {
        match self {
            CustomRole::FlowLogs => format!("{app} Terraform flow logs"),
            CustomRole::Locks => format!("{app} Terraform resource locks"),
            CustomRole::RedisKeys => format!("{app} Terraform plan Redis keys"),
        }
    }

    /// What the role is for, its description in Azure.
    pub(crate) fn description(self) -> &'static str {
        match self {
            CustomRole::FlowLogs => {
                "Create, change and delete VNet flow logs under a Network Watcher (Terraform apply identities)."
            }
            CustomRole::Locks => {
                "Place and remove resource locks on an environment's resources (Terraform apply identities)."
            }
            CustomRole::RedisKeys => {
                "Read Azure Cache for Redis instances and list their access keys, which refreshing them in terraform plan requires (Terraform plan identities)."
            }
        }
    }

    /// The control-plane actions it allows.
    pub(crate) fn actions(self) -> &'static [&'static str] {
        match self {
            CustomRole::FlowLogs => &[
                "Microsoft.Network/networkWatchers/read",
                "Microsoft.Network/networkWatchers/flowLogs/read",
                "Microsoft.Network/networkWatchers/flowLogs/write",
                "Microsoft.Network/networkWatchers/flowLogs/delete",
            ],
            CustomRole::Locks => &[
                "Microsoft.Authorization/locks/read",
                "Microsoft.Authorization/locks/write",
                "Microsoft.Authorization/locks/delete",
            ],
            CustomRole::RedisKeys => &[
                "Microsoft.Cache/redis/read",
                "Microsoft.Cache/redis/listKeys/action",
            ],
        }
    }
}

/// The role of a grant: built-in by name, or one of scaffold's custom roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Role {
    /// A built-in role, by its name.
    BuiltIn(&'static str),
    /// A custom role the bootstrap defines.
    Custom(CustomRole),
}

impl Role {
    /// The role's name as `role_definition_name` spells it.
    pub(crate) fn name(self, app: &str) -> String {
        match self {
            Role::BuiltIn(name) => name.to_owned(),
            Role::Custom(role) => role.name(app),
        }
    }
}

/// The ABAC condition a grant carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Condition {
    /// Read blobs (and list) only under the environment's state prefix `<env>/`.
    StateRead,
    /// Read, write, lease and delete blobs only under the environment's state prefix.
    StateWrite,
    /// Write and delete role assignments only for [`DELEGABLE_ROLES`], only to service
    /// principals (managed identities), never to the identity itself.
    Delegation,
    /// Write and delete role assignments only for AcrPull, only to service principals.
    RegistryPull,
}

/// A role assignment an identity holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Grant {
    /// The role.
    pub role: Role,
    /// Where it is assigned.
    pub scope: Scope,
    /// The condition it carries, if any.
    pub condition: Option<Condition>,
    /// The operations it serves (empty for an exception).
    pub operations: Vec<Operation>,
    /// Why, in one sentence, for the comment beside the assignment.
    pub reason: &'static str,
}

impl Grant {
    fn new(
        role: Role,
        scope: Scope,
        condition: Option<Condition>,
        operations: &[Operation],
        reason: &'static str,
    ) -> Self {
        Grant {
            role,
            scope,
            condition,
            operations: operations.to_vec(),
            reason,
        }
    }
}

/// A built-in role that an apply identity may assign inside its environment, with its id
/// (the same in every tenant) and what it is assigned for.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub(crate) struct DelegableRole {
    /// The built-in role's name.
    pub name: &'static str,
    /// Its role definition id.
    pub id: &'static str,
    /// Who gets it, for the comment in the condition.
    pub for_what: &'static str,
}

/// The only roles an apply identity may assign in its resource group: each is assigned by
/// the environment root to an identity the environment itself creates.
pub(crate) const DELEGABLE_ROLES: &[DelegableRole] = &[
    DelegableRole {
        name: "Network Contributor",
        id: "4d97b98b-1d4f-4787-a291-c67834d212e7",
        for_what: "the AKS control plane on the node subnet and the ingress address",
    },
    DelegableRole {
        name: "Reader",
        id: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
        for_what: "the AKS control plane on the disk encryption set",
    },
    DelegableRole {
        name: "Key Vault Crypto Service Encryption User",
        id: "e147488a-f6f5-4113-8e2d-b22465e65bf6",
        for_what: "the disk encryption set on its key",
    },
    DelegableRole {
        name: "Key Vault Secrets User",
        id: "4633458b-17de-408a-b874-0445c86b69e6",
        for_what: "each workload identity on its datastores' secrets",
    },
    GROUP_DELEGABLE_ROLE,
];

/// The one delegable role an apply identity may give to Entra ID groups as well: the cluster
/// administrators' groups fetch their kubeconfig with it.
pub(crate) const GROUP_DELEGABLE_ROLE: DelegableRole = DelegableRole {
    name: "Azure Kubernetes Service Cluster User Role",
    id: "4abbcc35-e782-43d8-92c5-2d3f1bd2253f",
    for_what: "the deploy identity and the cluster administrators' groups on the cluster",
};

/// AcrPull, the one role an apply identity may assign on the shared registry (to its nodes).
pub(crate) const ACR_PULL: DelegableRole = DelegableRole {
    name: "AcrPull",
    id: "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    for_what: "the cluster's kubelet identity on the shared registry",
};

/// The grants `identity` holds because of its operations. The one mapping: every role
/// assignment of a model identity is either here or in [`exception_grants`].
pub(crate) fn grants(project: &Project, identity: &Identity) -> Vec<Grant> {
    let acr = project.delivery.registry == Registry::Acr;
    let mut out = Vec::new();
    for operation in &identity.operations {
        let ops = std::slice::from_ref(operation);
        match (identity.purpose, operation) {
            (Purpose::Build, Operation::PushImages) => out.push(Grant::new(
                Role::BuiltIn("AcrPush"),
                Scope::Registry,
                None,
                ops,
                "CI pushes the images it builds (and reads them back)",
            )),
            (Purpose::Plan, Operation::ReadState) => out.push(Grant::new(
                Role::BuiltIn("Storage Blob Data Reader"),
                Scope::StateContainer,
                Some(Condition::StateRead),
                ops,
                "terraform plan reads this environment's state blobs, and only those",
            )),
            (Purpose::Plan, Operation::ReadInfrastructure) => {
                out.push(Grant::new(
                    Role::BuiltIn("Reader"),
                    Scope::EnvironmentGroup,
                    None,
                    ops,
                    "terraform plan refreshes every resource of the environment",
                ));
                out.push(Grant::new(
                    Role::BuiltIn("Key Vault Reader"),
                    Scope::EnvironmentGroup,
                    None,
                    ops,
                    "refreshing the disk encryption key and the secrets' metadata reads the Key Vault data plane",
                ));
                out.push(Grant::new(
                    Role::BuiltIn("Azure Kubernetes Service Cluster User Role"),
                    Scope::EnvironmentGroup,
                    None,
                    ops,
                    "refreshing the AKS cluster lists its user credentials (a kubeconfig without Kubernetes rights)",
                ));
                out.push(Grant::new(
                    Role::BuiltIn("Azure Kubernetes Service RBAC Reader"),
                    Scope::EnvironmentGroup,
                    None,
                    ops,
                    "the platform root's plan refreshes its namespaced Kubernetes objects (read-only, no Secrets)",
                ));
                out.push(Grant::new(
                    Role::BuiltIn("Reader"),
                    Scope::NetworkWatcher,
                    None,
                    ops,
                    "the environment's VNet flow log is a child of the region's Network Watcher",
                ));
                if acr {
                    out.push(Grant::new(
                        Role::BuiltIn("Reader"),
                        Scope::Registry,
                        None,
                        ops,
                        "refreshing the nodes' AcrPull assignment reads role assignments on the registry",
                    ));
                }
            }
            (Purpose::Apply, Operation::ReadState) => out.push(Grant::new(
                Role::BuiltIn("Storage Blob Data Contributor"),
                Scope::StateContainer,
                Some(Condition::StateWrite),
                &[
                    Operation::ReadState,
                    Operation::LockState,
                    Operation::WriteState,
                ],
                "terraform apply reads, leases (locks) and writes this environment's state blobs, and only those",
            )),
            // Served by the state grant above, which covers the three state operations.
            (Purpose::Apply, Operation::LockState | Operation::WriteState) => {}
            (Purpose::Apply, Operation::ReadInfrastructure) => out.push(Grant::new(
                Role::BuiltIn("Contributor"),
                Scope::EnvironmentGroup,
                None,
                &[
                    Operation::ReadInfrastructure,
                    Operation::ManageInfrastructure,
                ],
                "terraform apply creates, changes and deletes the environment's resources, and nothing outside its resource group",
            )),
            (Purpose::Apply, Operation::ManageInfrastructure) => {
                out.push(Grant::new(
                    Role::BuiltIn("Role Based Access Control Administrator"),
                    Scope::EnvironmentGroup,
                    Some(Condition::Delegation),
                    ops,
                    "the environment gives its own identities their roles; the condition keeps it to the listed roles, to managed identities, and never to itself",
                ));
                out.push(Grant::new(
                    Role::Custom(CustomRole::Locks),
                    Scope::EnvironmentGroup,
                    None,
                    ops,
                    "production datastores carry delete locks",
                ));
                out.push(Grant::new(
                    Role::BuiltIn("Key Vault Secrets Officer"),
                    Scope::EnvironmentGroup,
                    None,
                    ops,
                    "terraform apply writes the datastores' secrets into the environment's Key Vault",
                ));
                out.push(Grant::new(
                    Role::BuiltIn("Key Vault Crypto Officer"),
                    Scope::EnvironmentGroup,
                    None,
                    ops,
                    "terraform apply creates and rotates the node disks' encryption key",
                ));
                out.push(Grant::new(
                    Role::Custom(CustomRole::FlowLogs),
                    Scope::NetworkWatcher,
                    None,
                    ops,
                    "the environment's VNet flow log is a child of the region's Network Watcher",
                ));
                if acr {
                    out.push(Grant::new(
                        Role::BuiltIn("Role Based Access Control Administrator"),
                        Scope::Registry,
                        Some(Condition::RegistryPull),
                        ops,
                        "the environment lets its nodes pull from the shared registry; the condition allows AcrPull only",
                    ));
                }
            }
            (Purpose::Apply, Operation::AdministerCluster) => out.push(Grant::new(
                Role::BuiltIn("Azure Kubernetes Service RBAC Cluster Admin"),
                Scope::EnvironmentGroup,
                None,
                ops,
                "the platform root installs the add-ons, the namespace and the deploy identity's RBAC",
            )),
            (Purpose::Apply, Operation::GetClusterCredentials) => out.push(Grant::new(
                Role::BuiltIn("Azure Kubernetes Service Cluster User Role"),
                Scope::EnvironmentGroup,
                None,
                ops,
                "the platform root's job runs az aks get-credentials (listClusterUserCredential) for the cluster the environment root creates in its resource group",
            )),
            (Purpose::Deploy, Operation::GetClusterCredentials) => out.push(Grant::new(
                Role::BuiltIn("Azure Kubernetes Service Cluster User Role"),
                Scope::Cluster,
                None,
                ops,
                "az aks get-credentials (listClusterUserCredential): a kubeconfig without Kubernetes rights; the platform root's RoleBinding grants the namespace",
            )),
            // Kubernetes RBAC in the platform root, bound to the identity's object id: Azure's
            // built-in AKS RBAC roles cover built-in API groups only, not Rollouts,
            // ExternalSecrets or ServiceMonitors.
            (Purpose::Deploy, Operation::UseNamespace { .. }) => {}
            (Purpose::Workload, Operation::ReadSecret { .. }) => out.push(Grant::new(
                Role::BuiltIn("Key Vault Secrets User"),
                Scope::Secret,
                None,
                ops,
                "External Secrets reads the service's datastore secret as the service's workload identity",
            )),
            (purpose, operation) => {
                unreachable!("no Azure grant for {purpose:?} {operation:?}: extend grants()")
            }
        }
    }
    out
}

/// The Azure grants held without an operation that uses them, each with its entry of
/// [`access::EXCEPTIONS`].
pub(crate) fn exception_grants(
    project: &Project,
    identity: &Identity,
) -> Vec<(Grant, &'static Exception)> {
    let mut out = Vec::new();
    if identity.purpose == Purpose::Plan {
        out.push((
            Grant::new(
                Role::BuiltIn("Key Vault Secrets User"),
                Scope::EnvironmentGroup,
                None,
                &[],
                "refreshing a Key Vault secret calls Get Secret, which returns its value",
            ),
            exception(access::AZURE_PLAN_KEY_VAULT_SECRETS),
        ));
        if project
            .datastores
            .iter()
            .any(|d| d.engine == scaffold_core::Engine::Redis)
        {
            out.push((
                Grant::new(
                    Role::Custom(CustomRole::RedisKeys),
                    Scope::EnvironmentGroup,
                    None,
                    &[],
                    "refreshing Azure Cache for Redis lists its access keys",
                ),
                exception(access::AZURE_PLAN_REDIS_KEYS),
            ));
        }
    }
    out
}

fn exception(grant: &str) -> &'static Exception {
    access::EXCEPTIONS
        .iter()
        .find(|e| e.grant == grant)
        .unwrap_or_else(|| panic!("access::EXCEPTIONS has no entry {grant:?}"))
}

/// Every grant of `identity`: from its operations, then its exceptions.
pub(crate) fn all_grants(project: &Project, identity: &Identity) -> Vec<Grant> {
    let mut out = grants(project, identity);
    out.extend(
        exception_grants(project, identity)
            .into_iter()
            .map(|(g, _)| g),
    );
    out
}

/// The custom roles the project's grants use, in a fixed order.
pub(crate) fn custom_roles(project: &Project) -> Vec<CustomRole> {
    let identities = project.identities();
    CustomRole::ALL
        .iter()
        .copied()
        .filter(|role| {
            identities.iter().any(|identity| {
                all_grants(project, identity)
                    .iter()
                    .any(|g| g.role == Role::Custom(*role))
            })
        })
        .collect()
}
