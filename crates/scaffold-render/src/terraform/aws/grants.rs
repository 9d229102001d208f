//! The one mapping from what an identity does to what AWS lets it do.
//!
//! Every IAM statement, managed policy attachment and EKS access entry that an
//! identity of [`scaffold_core::access`] holds comes out of [`grant`]: an
//! [`Operation`] (or one of the two add-on needs the model leaves to the cloud,
//! [`AddonNeed`]) goes in, the grants that make it possible come out. The
//! templates only format what this returns, so a permission exists exactly
//! because an operation needs it, and the tests walk the same function in both
//! directions over the rendered files.
//!
//! Resources are HCL expressions valid in the root that renders the policy
//! ([`Scope`]): the bootstrap root knows the state bucket and the registry by
//! resource, an environment root knows its cluster and datastores by module.
//! Action names and condition keys come from the AWS Service Authorization
//! Reference (docs.aws.amazon.com/service-authorization/latest/reference/).

use scaffold_core::access::Operation;
use serde::Serialize;

/// A condition of an IAM policy statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(super) struct Condition {
    /// The operator, such as `StringEquals`.
    pub test: &'static str,
    /// The condition key, a quoted HCL string.
    pub variable: String,
    /// The values, HCL expressions.
    pub values: Vec<String>,
}

/// The principals of a resource policy's statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(super) struct Principal {
    /// `AWS`, `Service`, `Federated` or `*`.
    pub kind: &'static str,
    /// The identifiers, HCL expressions.
    pub identifiers: Vec<String>,
}

/// One statement of an IAM policy document (`aws_iam_policy_document`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(super) struct Statement {
    /// The statement id; it names the operation it serves, so a reader (and the tests)
    /// can map every statement back to it.
    pub sid: String,
    /// Whether the statement denies rather than allows.
    pub deny: bool,
    /// The actions, such as `s3:GetObject`.
    pub actions: Vec<&'static str>,
    /// The actions a deny statement does not cover (instead of `actions`).
    pub not_actions: Vec<&'static str>,
    /// The resources, HCL expressions.
    pub resources: Vec<String>,
    /// The resources a deny statement does not cover (instead of `resources`).
    pub not_resources: Vec<String>,
    /// The principals, in a resource policy (empty in an identity policy).
    pub principals: Vec<Principal>,
    /// The conditions, all of which must hold.
    pub conditions: Vec<Condition>,
}

impl Statement {
    fn allow(sid: &str, actions: &[&'static str], resources: Vec<String>) -> Self {
        Statement {
            sid: sid.to_owned(),
            deny: false,
            actions: actions.to_vec(),
            not_actions: Vec::new(),
            resources,
            not_resources: Vec::new(),
            principals: Vec::new(),
            conditions: Vec::new(),
        }
    }

    fn when(mut self, test: &'static str, variable: &str, values: Vec<String>) -> Self {
        self.conditions.push(Condition {
            test,
            variable: quote(variable),
            values,
        });
        self
    }
}

/// An AWS managed policy attached to a role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(super) struct ManagedPolicy {
    /// The policy ARN.
    pub arn: &'static str,
    /// Why the role holds it, for the comment beside the attachment.
    pub reason: &'static str,
    /// The checkov check the attachment deliberately fails, skipped beside it with the reason.
    pub checkov: Option<&'static str>,
}

/// What an identity is allowed to do inside its environment's EKS cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub(super) enum ClusterAccess {
    /// An EKS access policy associated with the identity's access entry, cluster-wide.
    Policy {
        /// The access policy ARN.
        arn: &'static str,
    },
    /// Kubernetes groups of the identity's access entry, which RBAC bindings name.
    Groups {
        /// The groups.
        groups: Vec<String>,
    },
}

/// What one need grants in IAM: statements and managed policies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Grant {
    /// Statements of the identity's inline policy.
    pub statements: Vec<Statement>,
    /// AWS managed policies attached to the identity.
    pub managed: Vec<ManagedPolicy>,
}

/// What a cluster add-on does with its cloud identity on AWS; the core model leaves
/// add-on identities to each cloud, since only some clouds need them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum AddonNeed {
    /// The cluster autoscaler resizes the cluster's managed node groups.
    ScaleNodeGroups,
    /// external-dns edits the records of the environment's hosted zone.
    ManageDnsRecords,
}

/// Something an identity needs a grant for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Need<'a> {
    /// An operation of the core model.
    Operation(&'a Operation),
    /// An add-on's need.
    Addon(AddonNeed),
}

/// HCL expressions for the resources grants name, valid in the root that renders them.
/// A need whose resource is `None` here is rendered in another root.
#[derive(Debug, Clone, Default)]
pub(super) struct Scope {
    /// The state bucket's ARN.
    pub state_bucket: Option<String>,
    /// The object ARNs of the environment's state files (the environment root's and the
    /// platform root's), as the text of HCL strings (interpolations kept, not yet quoted).
    pub state_objects: Vec<String>,
    /// The KMS key encrypting the state bucket.
    pub state_key: Option<String>,
    /// The ECR repositories' ARNs.
    pub repositories: Vec<String>,
    /// The ARN pattern of the environment's datastore secrets (the plan identity refreshes them).
    pub environment_secrets: Vec<String>,
    /// The environment's region, for `kms:ViaService` and ARNs.
    pub region: Option<String>,
    /// The environment's account id, an HCL expression (for ARNs).
    pub account: Option<String>,
    /// The environment's EKS cluster ARN.
    pub cluster: Option<String>,
    /// The environment's EKS cluster name (autoscaling tags carry it).
    pub cluster_name: Option<String>,
    /// Per datastore secret name: the secret's ARN and the KMS key encrypting it.
    pub secrets: Vec<SecretScope>,
    /// The environment's Route 53 hosted zone ARN.
    pub zone: Option<String>,
}

/// One Secrets Manager secret a workload may read.
#[derive(Debug, Clone)]
pub(super) struct SecretScope {
    /// The secret's name, as the model names it.
    pub name: String,
    /// Its ARN, an HCL expression.
    pub arn: String,
    /// The ARN of the KMS key that encrypts it, an HCL expression.
    pub kms_key: String,
}

/// `text` as a quoted HCL string (its `${...}` interpolations kept).
pub(super) fn quote(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The statement ids of the state operations, shared by plan and apply identities.
pub(super) const SID_READ_STATE: &str = "ReadState";
/// Taking and releasing the S3 lock file.
pub(super) const SID_LOCK_STATE: &str = "LockState";
/// Writing the state.
pub(super) const SID_WRITE_STATE: &str = "WriteState";
/// The KMS key of the state bucket.
pub(super) const SID_STATE_KEY: &str = "StateKey";

/// `AdministratorAccess`, fenced by the environment's permissions boundary.
pub(super) const ADMINISTRATOR_ACCESS: &str = "arn:aws:iam::aws:policy/AdministratorAccess";
/// `ReadOnlyAccess`: every `Describe*`/`Get*`/`List*` Terraform's refresh calls; it holds no
/// `secretsmanager:GetSecretValue` and no `kms:Decrypt`.
pub(super) const READ_ONLY_ACCESS: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";
/// EKS access policy: cluster administrator.
pub(super) const EKS_CLUSTER_ADMIN: &str =
    "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";
/// EKS access policy: read most objects, not Secrets.
pub(super) const EKS_VIEW: &str = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy";

/// The grants `need` requires, with resources from `scope`.
///
/// # Panics
///
/// When `scope` lacks a resource the need names: the caller renders the need in a root
/// that does not hold it, which is a bug in scaffold.
pub(super) fn grant(need: &Need<'_>, scope: &Scope) -> Grant {
    let get = |value: &Option<String>, what: &str| -> String {
        value
            .clone()
            .unwrap_or_else(|| panic!("{need:?} is rendered where {what} is unknown"))
    };
    let mut grant = Grant::default();
    match need {
        Need::Operation(Operation::PushImages) => {
            // `aws-actions/amazon-ecr-login` gets a registry token (an account-wide action:
            // it takes no resource); buildx pushes, the SBOM and the scan pull back, and the
            // provenance attestation is pushed next to the image.
            grant.statements.push(Statement::allow(
                "RegistryLogin",
                &["ecr:GetAuthorizationToken"],
                vec![quote("*")],
            ));
            grant.statements.push(Statement::allow(
                "PushImages",
                &[
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:BatchGetImage",
                    "ecr:CompleteLayerUpload",
                    "ecr:GetDownloadUrlForLayer",
                    "ecr:InitiateLayerUpload",
                    "ecr:PutImage",
                    "ecr:UploadLayerPart",
                ],
                scope.repositories.clone(),
            ));
        }
        Need::Operation(Operation::ReadState) => {
            // `terraform init` lists the bucket (workspaces) and reads the state objects,
            // which the bucket's KMS key encrypts.
            grant.statements.push(Statement::allow(
                "ListState",
                &["s3:ListBucket"],
                vec![get(&scope.state_bucket, "the state bucket")],
            ));
            grant.statements.push(Statement::allow(
                SID_READ_STATE,
                &["s3:GetObject"],
                scope.state_objects.iter().map(|o| quote(o)).collect(),
            ));
            grant.statements.push(Statement::allow(
                SID_STATE_KEY,
                &["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"],
                vec![get(&scope.state_key, "the state key")],
            ));
        }
        Need::Operation(Operation::LockState) => {
            // S3-native locking (`use_lockfile`) writes and deletes `<key>.tflock` next to
            // each state object (developer.hashicorp.com/terraform/language/backend/s3).
            grant.statements.push(Statement::allow(
                SID_LOCK_STATE,
                &["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
                scope
                    .state_objects
                    .iter()
                    .map(|o| quote(&format!("{o}.tflock")))
                    .collect(),
            ));
        }
        Need::Operation(Operation::WriteState) => {
            grant.statements.push(Statement::allow(
                SID_WRITE_STATE,
                &["s3:PutObject"],
                scope.state_objects.iter().map(|o| quote(o)).collect(),
            ));
        }
        Need::Operation(Operation::ReadInfrastructure) => {
            grant.managed.push(ManagedPolicy {
                arn: READ_ONLY_ACCESS,
                reason: "terraform plan refreshes every resource of the environment (Describe, Get and List calls); ReadOnlyAccess holds no secret values",
                checkov: None,
            });
            // The AWS provider refreshes `aws_secretsmanager_secret_version` with
            // GetSecretValue even when the value is write-only
            // (internal/service/secretsmanager/secret_version.go, resourceSecretVersionRead),
            // so a plan that cannot read the environment's datastore secrets fails. This is
            // the exception `access::EXCEPTIONS` names for AWS.
            if !scope.environment_secrets.is_empty() {
                grant.statements.push(Statement::allow(
                    "RefreshDatastoreSecrets",
                    &["secretsmanager:GetSecretValue"],
                    scope.environment_secrets.clone(),
                ));
                grant.statements.push(
                    Statement::allow(
                        "DecryptDatastoreSecrets",
                        &["kms:Decrypt"],
                        vec![quote("*")],
                    )
                    .when(
                        "StringEquals",
                        "kms:ViaService",
                        vec![quote(&format!(
                            "secretsmanager.{}.amazonaws.com",
                            get(&scope.region, "the region")
                        ))],
                    )
                    .when(
                        "StringLike",
                        "kms:EncryptionContext:SecretARN",
                        scope.environment_secrets.clone(),
                    ),
                );
            }
        }
        Need::Operation(Operation::ManageInfrastructure) => {
            grant.managed.push(ManagedPolicy {
                arn: ADMINISTRATOR_ACCESS,
                reason: "an environment creates VPCs, EKS, RDS, ElastiCache, KMS keys and IAM roles; the environment's permissions boundary is the ceiling that keeps it from granting itself more or reaching another environment",
                checkov: Some("CKV_AWS_274"),
            });
        }
        // Inside the cluster: see `cluster_access`.
        Need::Operation(Operation::AdministerCluster | Operation::UseNamespace { .. }) => {}
        Need::Operation(Operation::GetClusterCredentials) => {
            // `aws eks update-kubeconfig` reads the endpoint and CA; the access entry
            // authenticates the role to the cluster.
            grant.statements.push(Statement::allow(
                "ClusterEndpoint",
                &["eks:DescribeCluster"],
                vec![get(&scope.cluster, "the cluster")],
            ));
        }
        Need::Operation(Operation::ReadSecret { secret }) => {
            let Some(found) = scope.secrets.iter().find(|s| &s.name == secret) else {
                panic!("{need:?} is rendered where secret {secret} is unknown");
            };
            let sid = format!("ReadSecret{}", pascal(secret));
            grant.statements.push(Statement::allow(
                &sid,
                &[
                    "secretsmanager:DescribeSecret",
                    "secretsmanager:GetSecretValue",
                ],
                vec![found.arn.clone()],
            ));
            grant.statements.push(
                Statement::allow(
                    &format!("Decrypt{}", pascal(secret)),
                    &["kms:Decrypt"],
                    vec![found.kms_key.clone()],
                )
                .when(
                    "StringEquals",
                    "kms:ViaService",
                    vec![quote(&format!(
                        "secretsmanager.{}.amazonaws.com",
                        get(&scope.region, "the region")
                    ))],
                ),
            );
        }
        Need::Addon(AddonNeed::ScaleNodeGroups) => {
            // github.com/kubernetes/autoscaler, cluster-autoscaler/cloudprovider/aws/README.md
            // at tag cluster-autoscaler-1.33.6, "Full Cluster Autoscaler Features Policy
            // (Recommended)": what auto-discovery and the dynamic instance type list need.
            // Auto-discovery filters DescribeAutoScalingGroups by tag keys
            // (aws_wrapper.go), so the older README's autoscaling:DescribeTags is not
            // needed. The reads take no resource; the resizing is limited below, as the
            // README recommends.
            let region = get(&scope.region, "the region");
            let account = get(&scope.account, "the account");
            let cluster = get(&scope.cluster_name, "the cluster name");
            grant.statements.push(Statement::allow(
                "DiscoverNodeGroups",
                &[
                    "autoscaling:DescribeAutoScalingGroups",
                    "autoscaling:DescribeAutoScalingInstances",
                    "autoscaling:DescribeLaunchConfigurations",
                    "autoscaling:DescribeScalingActivities",
                    "ec2:DescribeImages",
                    "ec2:DescribeInstanceTypes",
                    "ec2:DescribeLaunchTemplateVersions",
                    "ec2:GetInstanceTypesFromInstanceRequirements",
                ],
                vec![quote("*")],
            ));
            grant.statements.push(Statement::allow(
                "ReadNodeGroups",
                &["eks:DescribeNodegroup"],
                vec![quote(&format!(
                    "arn:aws:eks:{region}:${{{account}}}:nodegroup/{cluster}/*"
                ))],
            ));
            // Only the Auto Scaling groups of this cluster's managed node groups (named
            // `eks-<node group>-<id>`), which EKS tags `k8s.io/cluster-autoscaler/<cluster>`
            // for auto-discovery.
            grant.statements.push(
                Statement::allow(
                    "ResizeNodeGroups",
                    &[
                        "autoscaling:SetDesiredCapacity",
                        "autoscaling:TerminateInstanceInAutoScalingGroup",
                    ],
                    vec![quote(&format!(
                        "arn:aws:autoscaling:{region}:${{{account}}}:autoScalingGroup:*:autoScalingGroupName/eks-*"
                    ))],
                )
                .when(
                    "StringEquals",
                    &format!("aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster}"),
                    vec![quote("owned")],
                ),
            );
        }
        Need::Addon(AddonNeed::ManageDnsRecords) => {
            // github.com/kubernetes-sigs/external-dns, docs/tutorials/aws.md (chart 1.21.1):
            // change and list the records of this zone only (the tutorial's
            // `hostedzone/*`, narrowed to the zone the environment root creates); finding
            // the zone lists every zone (an account-wide action). The tutorial's
            // route53:ListTagsForResources is called only with a zone tag filter
            // (provider/aws/aws.go at v0.21.0, `zones`), which the platform root does not set:
            // it selects the zone by id.
            let zone = get(&scope.zone, "the hosted zone");
            grant.statements.push(Statement::allow(
                "EditRecords",
                &[
                    "route53:ChangeResourceRecordSets",
                    "route53:ListResourceRecordSets",
                ],
                vec![zone],
            ));
            grant.statements.push(Statement::allow(
                "FindZones",
                &["route53:ListHostedZones"],
                vec![quote("*")],
            ));
        }
    }
    grant
}

/// The access `need` requires inside the environment's EKS cluster, through the
/// identity's access entry; `deploy_group` is the environment's deploy group.
pub(super) fn cluster_access(need: &Need<'_>, deploy_group: &str) -> Option<ClusterAccess> {
    match need {
        // The platform root installs add-ons, namespaces and RBAC.
        Need::Operation(Operation::AdministerCluster) => Some(ClusterAccess::Policy {
            arn: EKS_CLUSTER_ADMIN,
        }),
        // The platform root's kubernetes and helm resources are refreshed through the
        // cluster API: read-only, without Secrets.
        Need::Operation(Operation::ReadInfrastructure) => {
            Some(ClusterAccess::Policy { arn: EKS_VIEW })
        }
        // Kubernetes RBAC in the namespace, bound by the platform root to this group: no
        // EKS access policy, whose fixed rules cannot cover the custom resources.
        Need::Operation(Operation::UseNamespace { .. }) => Some(ClusterAccess::Groups {
            groups: vec![deploy_group.to_owned()],
        }),
        Need::Operation(
            Operation::PushImages
            | Operation::ReadState
            | Operation::LockState
            | Operation::WriteState
            | Operation::ManageInfrastructure
            | Operation::GetClusterCredentials
            | Operation::ReadSecret { .. },
        )
        | Need::Addon(_) => None,
    }
}

/// The cluster access of every need in `needs`; administering the cluster includes reading it.
pub(super) fn cluster_accesses<'a>(
    needs: impl IntoIterator<Item = Need<'a>>,
    deploy_group: &str,
) -> Vec<ClusterAccess> {
    let mut accesses: Vec<ClusterAccess> = needs
        .into_iter()
        .filter_map(|need| cluster_access(&need, deploy_group))
        .collect();
    let admin = ClusterAccess::Policy {
        arn: EKS_CLUSTER_ADMIN,
    };
    if accesses.contains(&admin) {
        accesses.retain(|a| *a == admin || !matches!(a, ClusterAccess::Policy { .. }));
    }
    accesses
}

/// The grants of every need in `needs`, merged in order.
///
/// Reading the infrastructure is part of managing it: an identity that does both
/// gets only what managing needs (`AdministratorAccess` reads everything).
pub(super) fn grants<'a>(needs: impl IntoIterator<Item = Need<'a>>, scope: &Scope) -> Grant {
    let needs: Vec<Need<'a>> = needs.into_iter().collect();
    let manages = needs.contains(&Need::Operation(&Operation::ManageInfrastructure));
    let mut all = Grant::default();
    for need in needs {
        if manages && need == Need::Operation(&Operation::ReadInfrastructure) {
            continue;
        }
        let grant = grant(&need, scope);
        all.statements.extend(grant.statements);
        all.managed.extend(grant.managed);
    }
    all
}

/// `shop/staging/db-admin` as `ShopStagingDbAdmin`, for a statement id (letters and digits only).
fn pascal(text: &str) -> String {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statement_ids_are_letters_and_digits() {
        assert_eq!(pascal("shop/staging/db-admin"), "ShopStagingDbAdmin");
    }

    #[test]
    fn lock_files_sit_next_to_each_state_object() {
        let scope = Scope {
            state_objects: vec!["arn:aws:s3:::b/staging/terraform.tfstate".to_owned()],
            ..Scope::default()
        };
        let grant = grant(&Need::Operation(&Operation::LockState), &scope);
        assert_eq!(
            grant.statements[0].resources,
            vec![quote("arn:aws:s3:::b/staging/terraform.tfstate.tflock")]
        );
    }
}
