//! What the rendered AWS Terraform lets each identity do, computed from the files.
//!
//! The rendered HCL is parsed (hcl-edit) into roles, their trust and inline
//! policies, managed policy attachments, EKS access entries and the state
//! bucket's policy; the tests then compare that with the access model:
//! - every identity trusts exactly its model tokens (subject and workflow), and no
//!   two identities of different purposes accept the same token;
//! - every operation is granted, and every grant serves an operation of its
//!   identity or is one of [`access::EXCEPTIONS`];
//! - independently of the mapping, what the rendered workflows and backends do
//!   is allowed (the kubeconfig, the registry push, the state objects), and what
//!   the model forbids is not (writes by plan identities, secrets of other
//!   services, roles without the boundary, other environments' state).

use std::collections::{BTreeMap, BTreeSet};

use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::structure::{Block, BlockLabel, Body};
use scaffold_core::access::{self, Identity, Operation, Purpose, Token};
use scaffold_core::{Project, Provider};

use super::grants;
use crate::Files;
use crate::test_support::example_projects;

/// One statement of a rendered policy document.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stmt {
    sid: String,
    deny: bool,
    actions: BTreeSet<String>,
    not_actions: BTreeSet<String>,
    resources: BTreeSet<String>,
    not_resources: BTreeSet<String>,
    /// (test, variable, values)
    conditions: Vec<(String, String, BTreeSet<String>)>,
    principals: Vec<(String, BTreeSet<String>)>,
}

impl Stmt {
    fn condition(&self, variable: &str) -> Option<&(String, String, BTreeSet<String>)> {
        self.conditions.iter().find(|(_, v, _)| v == variable)
    }
}

/// A rendered IAM role.
#[derive(Debug, Clone)]
struct Role {
    dir: String,
    resource: String,
    name: String,
    trust: Vec<Stmt>,
    boundary: Option<String>,
    statements: Vec<Stmt>,
    managed: BTreeSet<String>,
}

/// A rendered EKS access entry.
#[derive(Debug, Clone)]
struct Entry {
    principal: String,
    groups: BTreeSet<String>,
    policies: BTreeSet<String>,
}

/// Everything the tests read from the rendered Terraform.
#[derive(Debug, Default)]
struct Rendered {
    /// Policy documents by (directory, name).
    documents: BTreeMap<(String, String), Vec<Stmt>>,
    roles: Vec<Role>,
    /// Access entries by (directory, resource).
    entries: BTreeMap<(String, String), Entry>,
    /// `resource "aws_iam_role"` blocks by directory: whether each sets `permissions_boundary`.
    role_boundaries: Vec<(String, String, bool)>,
    /// Backend state keys by directory.
    backend_keys: BTreeMap<String, String>,
    /// Module blocks of each directory: (directory, name) to argument texts.
    modules: BTreeMap<(String, String), BTreeMap<String, String>>,
    /// The keys of each `secret_string_wo = jsonencode({...})`, by (directory, resource).
    secret_keys: BTreeMap<(String, String), BTreeSet<String>>,
}

/// The text of an expression: a string literal's value, else its source, trimmed.
fn text(expr: &Expression) -> String {
    match expr {
        Expression::String(s) => s.as_str().to_owned(),
        Expression::StringTemplate(_) => {
            let source = expr.to_string();
            let source = source.trim();
            source
                .strip_prefix('"')
                .and_then(|s| s.strip_suffix('"'))
                .unwrap_or(source)
                .to_owned()
        }
        other => other.to_string().trim().to_owned(),
    }
}

/// The elements of an array expression as texts (a lone expression gives one).
fn texts(expr: &Expression) -> BTreeSet<String> {
    match expr.as_array() {
        Some(array) => array.iter().map(text).collect(),
        None => BTreeSet::from([text(expr)]),
    }
}

fn label(block: &Block, index: usize) -> String {
    match block.labels.get(index) {
        Some(BlockLabel::String(s)) => s.as_str().to_owned(),
        Some(BlockLabel::Ident(i)) => i.as_str().to_owned(),
        None => String::new(),
    }
}

fn attr(body: &Body, key: &str) -> Option<String> {
    body.get_attribute(key).map(|a| text(&a.value))
}

fn set(body: &Body, key: &str) -> BTreeSet<String> {
    body.get_attribute(key)
        .map(|a| texts(&a.value))
        .unwrap_or_default()
}

/// The resource name a traversal such as `aws_iam_role.deploy.id` or
/// `data.aws_iam_policy_document.deploy.json` names.
fn resource_of(reference: &str) -> String {
    let reference = reference.strip_prefix("data.").unwrap_or(reference);
    let name = reference.split('.').nth(1).unwrap_or_default();
    name.split('[').next().unwrap_or_default().to_owned()
}

fn statements(body: &Body) -> Vec<Stmt> {
    body.blocks()
        .filter(|b| b.ident.as_str() == "statement")
        .map(|b| Stmt {
            sid: attr(&b.body, "sid").unwrap_or_default(),
            deny: attr(&b.body, "effect").as_deref() == Some("Deny"),
            actions: set(&b.body, "actions"),
            not_actions: set(&b.body, "not_actions"),
            resources: set(&b.body, "resources"),
            not_resources: set(&b.body, "not_resources"),
            conditions: b
                .body
                .blocks()
                .filter(|c| c.ident.as_str() == "condition")
                .map(|c| {
                    (
                        attr(&c.body, "test").unwrap_or_default(),
                        attr(&c.body, "variable").unwrap_or_default(),
                        set(&c.body, "values"),
                    )
                })
                .collect(),
            principals: b
                .body
                .blocks()
                .filter(|c| c.ident.as_str() == "principals")
                .map(|c| {
                    (
                        attr(&c.body, "type").unwrap_or_default(),
                        set(&c.body, "identifiers"),
                    )
                })
                .collect(),
        })
        .collect()
}

/// Parses every `.tf` file below `infra/`.
fn parse(files: &Files) -> Rendered {
    let mut rendered = Rendered::default();
    let mut raw_roles = Vec::new();
    let mut role_policies = Vec::new();
    let mut attachments = Vec::new();
    let mut associations = Vec::new();
    for (path, source) in files
        .iter()
        .filter(|(p, _)| p.starts_with("infra/") && p.ends_with(".tf"))
    {
        let dir = path.rsplit_once('/').map_or("", |(d, _)| d).to_owned();
        let body: Body = source
            .parse()
            .unwrap_or_else(|err| panic!("{path} does not parse: {err}"));
        for block in body.blocks() {
            let (kind, a, b) = (block.ident.as_str(), label(block, 0), label(block, 1));
            match (kind, a.as_str()) {
                ("data", "aws_iam_policy_document") => {
                    rendered
                        .documents
                        .insert((dir.clone(), b), statements(&block.body));
                }
                ("resource", "aws_iam_role") => {
                    rendered.role_boundaries.push((
                        dir.clone(),
                        b.clone(),
                        block.body.get_attribute("permissions_boundary").is_some(),
                    ));
                    raw_roles.push((
                        dir.clone(),
                        b,
                        attr(&block.body, "name").unwrap_or_default(),
                        attr(&block.body, "assume_role_policy").unwrap_or_default(),
                        attr(&block.body, "permissions_boundary"),
                    ));
                }
                ("resource", "aws_iam_role_policy") => role_policies.push((
                    dir.clone(),
                    resource_of(&attr(&block.body, "role").unwrap_or_default()),
                    resource_of(&attr(&block.body, "policy").unwrap_or_default()),
                )),
                ("resource", "aws_iam_role_policy_attachment") => attachments.push((
                    dir.clone(),
                    resource_of(&attr(&block.body, "role").unwrap_or_default()),
                    attr(&block.body, "policy_arn").unwrap_or_default(),
                )),
                ("resource", "aws_eks_access_entry") => {
                    rendered.entries.insert(
                        (dir.clone(), b),
                        Entry {
                            principal: attr(&block.body, "principal_arn").unwrap_or_default(),
                            groups: set(&block.body, "kubernetes_groups"),
                            policies: BTreeSet::new(),
                        },
                    );
                }
                ("resource", "aws_eks_access_policy_association") => associations.push((
                    dir.clone(),
                    resource_of(&attr(&block.body, "principal_arn").unwrap_or_default()),
                    attr(&block.body, "policy_arn").unwrap_or_default(),
                )),
                ("resource", "aws_secretsmanager_secret_version") => {
                    let keys = block
                        .body
                        .get_attribute("secret_string_wo")
                        .and_then(|a| a.value.as_func_call())
                        .and_then(|call| call.args.iter().next())
                        .and_then(Expression::as_object)
                        .map(|object| {
                            object
                                .iter()
                                .map(|(key, _)| match key {
                                    ObjectKey::Ident(ident) => ident.as_str().to_owned(),
                                    ObjectKey::Expression(expr) => text(expr),
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    rendered.secret_keys.insert((dir.clone(), b), keys);
                }
                ("module", _) => {
                    let args = block
                        .body
                        .attributes()
                        .map(|at| (at.key.as_str().to_owned(), text(&at.value)))
                        .collect();
                    rendered.modules.insert((dir.clone(), a), args);
                }
                ("terraform", _) => {
                    for backend in block
                        .body
                        .blocks()
                        .filter(|b| b.ident.as_str() == "backend")
                    {
                        if let Some(key) = attr(&backend.body, "key") {
                            rendered.backend_keys.insert(dir.clone(), key);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    for (dir, entry, policy) in associations {
        if let Some(e) = rendered.entries.get_mut(&(dir, entry)) {
            e.policies.insert(policy);
        }
    }
    for (dir, resource, name, trust, boundary) in raw_roles {
        let document = |reference: &str| {
            rendered
                .documents
                .get(&(dir.clone(), resource_of(reference)))
                .cloned()
                .unwrap_or_default()
        };
        let statements = role_policies
            .iter()
            .filter(|(d, r, _)| *d == dir && *r == resource)
            .flat_map(|(_, _, doc)| {
                rendered
                    .documents
                    .get(&(dir.clone(), doc.clone()))
                    .cloned()
                    .unwrap_or_default()
            })
            .collect();
        let managed = attachments
            .iter()
            .filter(|(d, r, _)| *d == dir && *r == resource)
            .map(|(_, _, arn)| arn.clone())
            .collect();
        rendered.roles.push(Role {
            trust: document(&trust),
            dir: dir.clone(),
            resource,
            name,
            boundary,
            statements,
            managed,
        });
    }
    rendered
}

/// The AWS examples, plus inline variants that reach what the examples do not.
fn projects() -> Vec<(String, Project)> {
    example_projects()
        .into_iter()
        .filter(|(_, p)| p.cloud.provider == Provider::Aws)
        .collect()
}

fn render(project: &Project) -> (Files, Rendered) {
    let files = crate::render(project).expect("renders");
    let rendered = parse(&files);
    (files, rendered)
}

fn role<'a>(rendered: &'a Rendered, name: &str, example: &str) -> &'a Role {
    let found: Vec<&Role> = rendered.roles.iter().filter(|r| r.name == name).collect();
    assert_eq!(
        found.len(),
        1,
        "{example}: role {name} is rendered {} times",
        found.len()
    );
    found[0]
}

/// The tokens a rendered GitHub trust policy accepts: (subject, workflow pattern) per statement.
fn accepted(trust: &[Stmt], example: &str, role: &str) -> BTreeSet<(String, String)> {
    trust
        .iter()
        .map(|s| {
            assert!(!s.deny, "{example}: {role}: a deny in a trust policy");
            assert_eq!(
                s.actions,
                BTreeSet::from(["sts:AssumeRoleWithWebIdentity".to_owned()]),
                "{example}: {role}"
            );
            let aud = s
                .condition("token.actions.githubusercontent.com:aud")
                .unwrap_or_else(|| panic!("{example}: {role}: no audience condition"));
            assert_eq!(aud.0, "StringEquals");
            assert_eq!(aud.2, BTreeSet::from(["sts.amazonaws.com".to_owned()]));
            let sub = s
                .condition("token.actions.githubusercontent.com:sub")
                .unwrap_or_else(|| panic!("{example}: {role}: no subject condition"));
            assert_eq!(
                sub.0, "StringEquals",
                "{example}: {role}: subjects match exactly"
            );
            let workflow = s
                .condition("token.actions.githubusercontent.com:job_workflow_ref")
                .unwrap_or_else(|| panic!("{example}: {role}: no workflow condition"));
            let pattern = workflow.2.iter().next().cloned().unwrap_or_default();
            let expected_test = if pattern.contains('*') {
                "StringLike"
            } else {
                "StringEquals"
            };
            assert_eq!(workflow.0, expected_test, "{example}: {role}");
            assert_eq!(
                sub.2.len(),
                1,
                "{example}: {role}: one subject per statement"
            );
            assert_eq!(
                workflow.2.len(),
                1,
                "{example}: {role}: one workflow per statement"
            );
            (sub.2.iter().next().cloned().unwrap_or_default(), pattern)
        })
        .collect()
}

#[test]
fn every_identity_trusts_exactly_its_model_tokens() {
    for (example, project) in projects() {
        let (_, rendered) = render(&project);
        let mut accepted_by: Vec<(&Identity, Vec<Token>)> = Vec::new();
        let identities = project.identities();
        for identity in &identities {
            let role = role(&rendered, &identity.name, &example);
            if identity.purpose == Purpose::Workload {
                let env = project
                    .environments
                    .iter()
                    .find(|e| Some(&e.name) == identity.environment.as_ref())
                    .expect("environment");
                let account = identity
                    .service_account
                    .as_deref()
                    .expect("a workload identity names its ServiceAccount");
                let subjects: BTreeSet<String> = role
                    .trust
                    .iter()
                    .filter_map(|s| s.condition("${module.cluster.oidc_issuer}:sub"))
                    .flat_map(|c| c.2.clone())
                    .collect();
                assert_eq!(
                    subjects,
                    BTreeSet::from([format!(
                        "system:serviceaccount:{}:{account}",
                        env.names.namespace
                    )]),
                    "{example}: {}",
                    identity.name
                );
                continue;
            }
            let tokens = accepted(&role.trust, &example, &identity.name);
            let model: BTreeSet<(String, String)> = identity
                .tokens
                .iter()
                .map(|t| (t.subject.clone(), t.workflow.clone()))
                .collect();
            assert_eq!(
                tokens, model,
                "{example}: {} trusts other tokens",
                identity.name
            );
            accepted_by.push((
                identity,
                tokens
                    .into_iter()
                    .map(|(subject, workflow)| Token { subject, workflow })
                    .collect(),
            ));
        }
        for (a, ta) in &accepted_by {
            for (b, tb) in &accepted_by {
                if a.purpose == b.purpose && a.environment == b.environment {
                    continue;
                }
                for x in ta {
                    for y in tb {
                        assert!(
                            !access::tokens_overlap(x, y, Provider::Aws),
                            "{example}: {} and {} both accept {x:?}",
                            a.name,
                            b.name
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn grants_and_operations_match_both_ways() {
    for (example, project) in projects() {
        let (_, rendered) = render(&project);
        for identity in project.identities() {
            let role = role(&rendered, &identity.name, &example);
            // Every rendered statement serves one of the identity's operations.
            for statement in &role.statements {
                assert!(
                    identity
                        .operations
                        .iter()
                        .any(|op| sid_serves(op, &statement.sid)),
                    "{example}: {} holds {} ({:?}), which none of its operations {:?} needs",
                    identity.name,
                    statement.sid,
                    statement.actions,
                    identity.operations
                );
            }
            // Every operation is granted: its statements, its managed policies and its
            // cluster access are all rendered.
            for op in &identity.operations {
                let expected = expected_sids(op, &identity);
                for sid in expected {
                    assert!(
                        role.statements.iter().any(|s| s.sid == sid),
                        "{example}: {} performs {op:?} but lacks statement {sid}",
                        identity.name
                    );
                }
            }
            let managed: BTreeSet<String> = identity
                .operations
                .iter()
                .flat_map(|op| expected_managed(op, &identity))
                .map(str::to_owned)
                .collect();
            assert_eq!(
                role.managed, managed,
                "{example}: {} managed policies",
                identity.name
            );
        }
    }
}

/// The statement ids an operation is granted through on AWS: the test's own table, so a
/// renamed or dropped statement fails here.
fn expected_sids(op: &Operation, identity: &Identity) -> Vec<String> {
    let manages = identity
        .operations
        .contains(&Operation::ManageInfrastructure);
    match op {
        Operation::PushImages => vec!["RegistryLogin".into(), "PushImages".into()],
        Operation::ReadState => vec!["ListState".into(), "ReadState".into(), "StateKey".into()],
        Operation::LockState => vec!["LockState".into()],
        Operation::WriteState => vec!["WriteState".into()],
        Operation::ReadInfrastructure if !manages => vec!["RefreshDatastoreSecrets".into()],
        Operation::ReadInfrastructure
        | Operation::ManageInfrastructure
        | Operation::AdministerCluster
        | Operation::UseNamespace { .. } => Vec::new(),
        Operation::GetClusterCredentials => vec!["ClusterEndpoint".into()],
        Operation::ReadSecret { secret } => vec![format!("ReadSecret{}", pascal(secret))],
    }
}

fn expected_managed(op: &Operation, identity: &Identity) -> Vec<&'static str> {
    let manages = identity
        .operations
        .contains(&Operation::ManageInfrastructure);
    match op {
        Operation::ReadInfrastructure if !manages => vec![grants::READ_ONLY_ACCESS],
        Operation::ManageInfrastructure => vec![grants::ADMINISTRATOR_ACCESS],
        _ => Vec::new(),
    }
}

/// Whether statement `sid` is one an operation of `op`'s kind grants.
fn sid_serves(op: &Operation, sid: &str) -> bool {
    match op {
        Operation::PushImages => ["RegistryLogin", "PushImages"].contains(&sid),
        Operation::ReadState => ["ListState", "ReadState", "StateKey"].contains(&sid),
        Operation::LockState => sid == "LockState",
        Operation::WriteState => sid == "WriteState",
        Operation::ReadInfrastructure => {
            ["RefreshDatastoreSecrets", "DecryptDatastoreSecrets"].contains(&sid)
        }
        Operation::GetClusterCredentials => sid == "ClusterEndpoint",
        Operation::ReadSecret { secret } => {
            sid == format!("ReadSecret{}", pascal(secret))
                || sid == format!("Decrypt{}", pascal(secret))
        }
        Operation::ManageInfrastructure
        | Operation::AdministerCluster
        | Operation::UseNamespace { .. } => false,
    }
}

fn pascal(text: &str) -> String {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .map(|p| p[..1].to_ascii_uppercase() + &p[1..])
        .collect()
}

#[test]
fn cluster_access_follows_from_operations() {
    for (example, project) in projects() {
        let (_, rendered) = render(&project);
        for env in &project.environments {
            let dir = env.names.terraform_dir.clone();
            let entries: Vec<&Entry> = rendered
                .entries
                .iter()
                .filter(|((d, _), _)| *d == dir)
                .map(|(_, e)| e)
                .collect();
            for identity in project
                .identities()
                .into_iter()
                .filter(|i| i.environment.as_deref() == Some(&env.name))
                .filter(|i| matches!(i.purpose, Purpose::Plan | Purpose::Apply | Purpose::Deploy))
            {
                let entry = entries
                    .iter()
                    .find(|e| {
                        e.principal.ends_with(&format!(":role/{}", identity.name))
                            || rendered.roles.iter().any(|r| {
                                r.name == identity.name
                                    && r.dir == dir
                                    && e.principal == format!("aws_iam_role.{}.arn", r.resource)
                            })
                    })
                    .unwrap_or_else(|| {
                        panic!("{example}: {} has no access entry in {dir}", identity.name)
                    });
                let ops = &identity.operations;
                let admin = ops.contains(&Operation::AdministerCluster);
                let namespaced = ops
                    .iter()
                    .any(|o| matches!(o, Operation::UseNamespace { .. }));
                let reads = ops.contains(&Operation::ReadInfrastructure);
                let mut policies = BTreeSet::new();
                if admin {
                    policies.insert(grants::EKS_CLUSTER_ADMIN.to_owned());
                } else if reads {
                    policies.insert(grants::EKS_VIEW.to_owned());
                }
                assert_eq!(
                    entry.policies, policies,
                    "{example}: {} access policies",
                    identity.name
                );
                let groups: BTreeSet<String> = if namespaced {
                    BTreeSet::from([env.names.deploy_group.clone()])
                } else {
                    BTreeSet::new()
                };
                assert_eq!(
                    entry.groups, groups,
                    "{example}: {} Kubernetes groups",
                    identity.name
                );
            }
            // Nobody but the apply identity and the people in cluster_admin_arns is admin.
            let admins = entries
                .iter()
                .filter(|e| e.policies.contains(grants::EKS_CLUSTER_ADMIN))
                .count();
            assert_eq!(
                admins, 2,
                "{example}: {}: apply identity and the admin entries",
                env.name
            );
        }
    }
}

#[test]
fn what_the_workflows_do_is_allowed() {
    for (example, project) in projects() {
        let (files, rendered) = render(&project);
        let deploy = &files[".github/workflows/deploy.yml"];
        for env in &project.environments {
            let identity = project
                .identity(Purpose::Deploy, Some(&env.name))
                .expect("deploy identity");
            let deployer = role(&rendered, &identity.name, &example);
            // `aws eks update-kubeconfig --name <cluster>` in the deploy workflow.
            assert!(
                deploy.contains("aws eks update-kubeconfig") && deploy.contains(&env.names.cluster),
                "{example}: the deploy workflow does not fetch {}'s kubeconfig",
                env.name
            );
            let cluster_module =
                &rendered.modules[&(env.names.terraform_dir.clone(), "cluster".to_owned())];
            assert_eq!(cluster_module["name"], env.names.cluster, "{example}");
            assert!(
                deployer.statements.iter().any(|s| !s.deny
                    && s.actions.contains("eks:DescribeCluster")
                    && s.resources.contains("module.cluster.cluster_arn")),
                "{example}: {} cannot describe its cluster",
                identity.name
            );
            // Terraform's S3 backend reads the state object and takes its lock file.
            let key = &rendered.backend_keys[&env.names.terraform_dir];
            assert_eq!(key, &env.names.state_key, "{example}");
            for (purpose, writes) in [(Purpose::Plan, false), (Purpose::Apply, true)] {
                let identity = project
                    .identity(purpose, Some(&env.name))
                    .expect("identity");
                let role = role(&rendered, &identity.name, &example);
                for key in [&env.names.state_key, &env.names.platform_state_key] {
                    let object = format!("${{aws_s3_bucket.state.arn}}/{key}");
                    let lock = format!("{object}.tflock");
                    let allowed = |action: &str, resource: &str| {
                        role.statements.iter().any(|s| {
                            !s.deny && s.actions.contains(action) && s.resources.contains(resource)
                        })
                    };
                    assert!(
                        allowed("s3:GetObject", &object),
                        "{example}: {} reads {key}",
                        identity.name
                    );
                    assert!(
                        allowed("s3:PutObject", &lock),
                        "{example}: {} locks {key}",
                        identity.name
                    );
                    assert!(
                        allowed("s3:DeleteObject", &lock),
                        "{example}: {} unlocks {key}",
                        identity.name
                    );
                    assert_eq!(
                        allowed("s3:PutObject", &object),
                        writes,
                        "{example}: {} writes {key}",
                        identity.name
                    );
                }
            }
        }
        if let Some(build) = project.identity(Purpose::Build, None) {
            let ci = &files[".github/workflows/ci.yml"];
            assert!(ci.contains("aws-actions/amazon-ecr-login"), "{example}");
            let role = role(&rendered, &build.name, &example);
            assert!(
                role.statements
                    .iter()
                    .any(|s| s.actions.contains("ecr:GetAuthorizationToken")
                        && s.resources.contains("*"))
            );
            for service in &project.services {
                let repository = format!(
                    "module.registry.repository_arns[\"{}\"]",
                    service.names.image_repository
                );
                for action in [
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:InitiateLayerUpload",
                    "ecr:UploadLayerPart",
                    "ecr:CompleteLayerUpload",
                    "ecr:PutImage",
                    "ecr:BatchGetImage",
                    "ecr:GetDownloadUrlForLayer",
                ] {
                    assert!(
                        role.statements.iter().any(
                            |s| s.actions.contains(action) && s.resources.contains(&repository)
                        ),
                        "{example}: the build identity cannot {action} on {}",
                        service.names.image_repository
                    );
                }
            }
        }
    }
}

#[test]
fn what_the_model_forbids_is_not_granted() {
    let writes = |action: &str| {
        let verb = action.split(':').nth(1).unwrap_or_default();
        [
            "Put", "Delete", "Create", "Update", "Attach", "Detach", "Set", "Tag", "Untag",
        ]
        .iter()
        .any(|w| verb.starts_with(w))
            || verb == "*"
    };
    for (example, project) in projects() {
        let (_, rendered) = render(&project);
        for identity in project.identities() {
            let role = role(&rendered, &identity.name, &example);
            let allows: Vec<&Stmt> = role.statements.iter().filter(|s| !s.deny).collect();
            match identity.purpose {
                Purpose::Plan => {
                    for s in &allows {
                        for action in s.actions.iter().filter(|a| writes(a)) {
                            assert!(
                                s.sid == "LockState",
                                "{example}: plan identity {} may {action}",
                                identity.name
                            );
                        }
                        if s.actions.contains("secretsmanager:GetSecretValue") {
                            // Listed with its reason, and only for this environment's secrets.
                            assert!(
                                access::EXCEPTIONS.iter().any(|e| e.purpose == Purpose::Plan
                                    && e.grant == access::AWS_PLAN_SECRET_VALUES),
                                "{example}: unlisted exception"
                            );
                            let env = identity.environment.as_deref().expect("environment");
                            let prefix = format!("{}/{env}/", project.app.name);
                            for resource in &s.resources {
                                assert!(
                                    resource.contains(&format!(":secret:{prefix}")),
                                    "{example}: {} reads {resource}",
                                    identity.name
                                );
                            }
                        }
                    }
                    assert!(!role.managed.contains(grants::ADMINISTRATOR_ACCESS));
                }
                Purpose::Deploy | Purpose::Build | Purpose::Workload => {
                    for s in &allows {
                        assert!(
                            !s.actions.iter().any(|a| a.starts_with("iam:") || a == "*"),
                            "{example}: {} holds IAM or wildcard actions",
                            identity.name
                        );
                    }
                    assert!(
                        role.managed.is_empty(),
                        "{example}: {} has managed policies",
                        identity.name
                    );
                }
                Purpose::Apply => {
                    assert!(
                        role.boundary.is_some(),
                        "{example}: {} has no boundary",
                        identity.name
                    );
                }
            }
            if identity.purpose == Purpose::Workload {
                // Only the secrets of the datastores its service uses; the database setup
                // Job (no service) those of every database a service uses, and their
                // administrators'.
                let module = |ds: &str| format!("module.datastore_{}", ds.replace('-', "_"));
                let allowed: BTreeSet<String> = match identity.service.as_deref() {
                    Some(service) => project
                        .service(service)
                        .expect("service")
                        .uses
                        .iter()
                        .map(|ds| format!("{}.secret_arn", module(ds)))
                        .collect(),
                    None => project
                        .datastores
                        .iter()
                        .filter(|ds| ds.engine.is_database() && !ds.used_by.is_empty())
                        .flat_map(|ds| {
                            [
                                format!("{}.secret_arn", module(&ds.name)),
                                format!("{}.admin_secret_arn", module(&ds.name)),
                            ]
                        })
                        .collect(),
                };
                let read: BTreeSet<String> = allows
                    .iter()
                    .filter(|s| s.actions.contains("secretsmanager:GetSecretValue"))
                    .flat_map(|s| s.resources.clone())
                    .collect();
                assert_eq!(
                    read, allowed,
                    "{example}: {} reads other secrets",
                    identity.name
                );
            }
        }
    }
}

#[test]
fn every_role_an_environment_creates_carries_its_boundary() {
    for (example, project) in projects() {
        let (_, rendered) = render(&project);
        for (dir, resource, has) in &rendered.role_boundaries {
            if dir.starts_with("infra/modules/") || dir.starts_with("infra/environments/") {
                assert!(
                    has,
                    "{example}: {dir}: aws_iam_role.{resource} has no permissions boundary"
                );
            }
        }
        for env in &project.environments {
            let dir = &env.names.terraform_dir;
            for (name, args) in rendered.modules.iter().filter(|((d, _), _)| d == dir) {
                if let Some(boundary) = args.get("permissions_boundary") {
                    assert_eq!(
                        boundary, "local.permissions_boundary",
                        "{example}: {name:?}"
                    );
                }
            }
            let boundary = super::boundary_name(&project.app.name, &env.name);
            let document = &rendered.documents[&(
                "infra/bootstrap".to_owned(),
                format!("boundary_{}", env.name.replace('-', "_")),
            )];
            let carries = document
                .iter()
                .find(|s| s.sid == "RolesCarryThisBoundary")
                .expect("the boundary condition");
            assert!(carries.deny);
            for action in [
                "iam:CreateRole",
                "iam:PutRolePermissionsBoundary",
                "iam:PutRolePolicy",
                "iam:AttachRolePolicy",
            ] {
                assert!(carries.actions.contains(action), "{example}: {action}");
            }
            let condition = carries
                .condition("iam:PermissionsBoundary")
                .expect("condition");
            assert_eq!(condition.0, "StringNotEquals");
            assert!(
                condition
                    .2
                    .iter()
                    .all(|v| v.ends_with(&format!(":policy/{boundary}"))),
                "{example}: {:?}",
                condition.2
            );
            assert!(
                document
                    .iter()
                    .any(|s| s.deny && s.actions.contains("iam:DeleteRolePermissionsBoundary"))
            );
        }
    }
}

#[test]
fn each_environment_reaches_only_its_own_state() {
    for (example, project) in projects() {
        let (_, rendered) = render(&project);
        let policy =
            &rendered.documents[&("infra/bootstrap".to_owned(), "state_bucket".to_owned())];
        for env in &project.environments {
            let own: BTreeSet<String> = [&env.names.state_key, &env.names.platform_state_key]
                .iter()
                .flat_map(|k| {
                    let object = format!("${{aws_s3_bucket.state.arn}}/{k}");
                    [object.clone(), format!("{object}.tflock")]
                })
                .collect();
            let deny = policy
                .iter()
                .find(|s| {
                    s.deny
                        && s.condition("aws:PrincipalArn").is_some_and(|c| {
                            c.2.iter()
                                .any(|v| v.ends_with(&format!(":role/{}", env.names.plan_identity)))
                                && c.2.iter().any(|v| {
                                    v.ends_with(&format!(":role/{}", env.names.terraform_identity))
                                })
                        })
                })
                .unwrap_or_else(|| panic!("{example}: no state fence for {}", env.name));
            assert_eq!(deny.not_resources, own, "{example}: {}", env.name);
            for action in ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"] {
                assert!(deny.actions.contains(action));
            }
        }
    }
}

#[test]
fn datastore_secrets_hold_exactly_the_table_properties() {
    for (example, project) in projects() {
        let (_, rendered) = render(&project);
        for ds in &project.datastores {
            let dir = format!("infra/modules/{}", super::datastore_module(ds.engine));
            let expected: BTreeSet<String> = ds
                .secret_properties
                .iter()
                .map(|p| p.key().to_owned())
                .collect();
            let resource = if ds.engine.is_database() {
                "app"
            } else {
                "this"
            };
            assert_eq!(
                rendered.secret_keys[&(dir.clone(), resource.to_owned())],
                expected,
                "{example}: {}",
                ds.name
            );
            if ds.engine.is_database() {
                assert_eq!(
                    rendered.secret_keys[&(dir, "admin".to_owned())],
                    expected,
                    "{example}"
                );
            }
        }
    }
}

#[test]
fn separate_accounts_get_their_own_identities_and_a_way_into_the_state() {
    let (_, project) = projects()
        .into_iter()
        .find(|(_, p)| p.environments.iter().any(|e| e.separate_account))
        .expect("an AWS example with separate_account");
    let (files, rendered) = render(&project);
    let main = &files["infra/bootstrap/main.tf"];
    for env in project.environments.iter().filter(|e| e.separate_account) {
        let alias = env.name.replace('-', "_");
        assert!(main.contains(&format!("alias               = \"{alias}\"")));
        for name in [&env.names.plan_identity, &env.names.terraform_identity] {
            let bootstrap = &files["infra/bootstrap/identities.tf"];
            let start = bootstrap
                .find(&format!("name                 = \"{name}\""))
                .expect("role");
            let before = &bootstrap[..start];
            let block = &before[before.rfind("resource \"aws_iam_role\"").expect("block")..];
            assert!(
                block.contains(&format!("provider = aws.{alias}")),
                "{name} is not in its account"
            );
        }
        let policy =
            &rendered.documents[&("infra/bootstrap".to_owned(), "state_bucket".to_owned())];
        assert!(policy.iter().any(|s| !s.deny
            && s.principals.iter().any(|(_, ids)| {
                ids.iter()
                    .any(|i| i.contains(&format!("var.{alias}_account_id")))
            })));
        let variables: Vec<_> = project
            .github_variables
            .iter()
            .filter(|v| v.name == "AWS_ACCOUNT_ID" && v.environment.is_some())
            .collect();
        let in_envs: BTreeSet<&str> = variables
            .iter()
            .filter_map(|v| v.environment.as_deref())
            .collect();
        assert_eq!(
            in_envs,
            BTreeSet::from([
                env.names.github_environment.as_str(),
                env.names.plan_environment.as_str(),
                env.names.infra_environment.as_str()
            ])
        );
        for v in variables {
            let output = v.output.as_ref().expect("output");
            assert!(
                files["infra/bootstrap/outputs.tf"]
                    .contains(&format!("output \"{}\"", output.name))
            );
        }
    }
}

/// Every `aws` command in the rendered docs (runbooks, task plan, handbook), one token list
/// each, quotes removed; commands inside `$(...)` count on their own.
fn aws_commands(files: &Files) -> Vec<(String, Vec<String>)> {
    let mut commands = Vec::new();
    for (path, text) in files.iter().filter(|(p, _)| p.ends_with(".md")) {
        for line in text.lines() {
            for (i, _) in line.match_indices("aws ") {
                let before = line[..i].chars().last();
                if !matches!(before, None | Some(' ' | '(' | '`' | '"')) {
                    continue;
                }
                let rest = &line[i..];
                let end = rest.find([')', '`', '|']).unwrap_or(rest.len());
                let tokens: Vec<String> = rest[..end]
                    .split_whitespace()
                    .map(|t| t.trim_matches(|c| c == '"' || c == '\'').to_owned())
                    .collect();
                if tokens.len() > 2
                    && tokens[1]
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c == '-')
                {
                    commands.push((path.clone(), tokens));
                }
            }
        }
    }
    commands
}

fn flag<'a>(tokens: &'a [String], name: &str) -> Option<&'a str> {
    tokens
        .iter()
        .position(|t| t == name)
        .and_then(|i| tokens.get(i + 1))
        .map(String::as_str)
}

#[test]
fn every_aws_command_in_the_docs_names_what_terraform_creates() {
    for (example, project) in projects() {
        let (files, rendered) = render(&project);
        let commands = aws_commands(&files);
        assert!(
            !commands.is_empty(),
            "{example}: no aws command in the docs"
        );
        let clusters: BTreeSet<&str> = project
            .environments
            .iter()
            .map(|e| e.names.cluster.as_str())
            .collect();
        let mut regions = BTreeSet::from([project.cloud.region.as_str()]);
        if let Some(dr) = &project.cloud.dr_region {
            regions.insert(dr.as_str());
        }
        // The database modules' names, from the rendered environment roots.
        let mut databases: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for ((dir, _), args) in &rendered.modules {
            if dir.starts_with("infra/environments/")
                && let Some(identifier) = args.get("identifier")
            {
                databases.insert(identifier.clone(), args.clone());
            }
        }
        let secrets: BTreeSet<&str> = project
            .environments
            .iter()
            .flat_map(|e| {
                e.datastores
                    .iter()
                    .flat_map(|d| [d.secret.as_str(), d.admin_secret.as_str()])
            })
            .collect();
        let mut restores = 0;
        for (path, tokens) in &commands {
            let at = format!("{example}: {path}: {}", tokens.join(" "));
            if let Some(region) = flag(tokens, "--region") {
                assert!(regions.contains(region), "{at}: region {region}");
            }
            match (tokens[1].as_str(), tokens[2].as_str()) {
                ("eks", "update-kubeconfig") => {
                    assert!(
                        clusters.contains(flag(tokens, "--name").unwrap_or_default()),
                        "{at}"
                    );
                }
                ("eks", "create-access-entry" | "associate-access-policy") => {
                    assert!(
                        clusters.contains(flag(tokens, "--cluster-name").unwrap_or_default()),
                        "{at}"
                    );
                }
                ("secretsmanager", _) => {
                    let secret = flag(tokens, "--secret-id").or_else(|| flag(tokens, "--name"));
                    assert!(secrets.contains(secret.unwrap_or_default()), "{at}");
                }
                ("rds", "restore-db-instance-to-point-in-time") => {
                    restores += 1;
                    let source = flag(tokens, "--source-db-instance-identifier")
                        .or_else(|| flag(tokens, "--target-db-instance-identifier"))
                        .unwrap_or_default();
                    let module = databases
                        .get(source)
                        .unwrap_or_else(|| panic!("{at}: no database {source} in Terraform"));
                    assert_eq!(
                        flag(tokens, "--db-subnet-group-name"),
                        module.get("subnet_group_name").map(String::as_str),
                        "{at}"
                    );
                    assert_eq!(
                        flag(tokens, "--db-parameter-group-name"),
                        module.get("parameter_group_name").map(String::as_str),
                        "{at}"
                    );
                    assert_eq!(
                        flag(tokens, "--vpc-security-group-ids"),
                        Some("$SECURITY_GROUP"),
                        "{at}"
                    );
                    assert!(
                        tokens.iter().any(|t| t == "--no-publicly-accessible"),
                        "{at}"
                    );
                }
                ("ec2", "describe-security-groups" | "create-security-group") => {
                    let name = flag(tokens, "--group-name").map(str::to_owned).or_else(|| {
                        flag(tokens, "--filters")
                            .and_then(|f| f.strip_prefix("Name=group-name,Values="))
                            .map(str::to_owned)
                    });
                    let name = name.unwrap_or_default();
                    assert!(
                        databases
                            .values()
                            .any(|m| m.get("security_group_name") == Some(&name)),
                        "{at}: security group {name}"
                    );
                }
                ("rds", "create-db-subnet-group") => {
                    let name = flag(tokens, "--db-subnet-group-name").unwrap_or_default();
                    assert!(
                        databases
                            .values()
                            .any(|m| m.get("subnet_group_name").map(String::as_str) == Some(name)),
                        "{at}"
                    );
                }
                ("rds", "create-db-parameter-group" | "modify-db-parameter-group") => {
                    let name = flag(tokens, "--db-parameter-group-name").unwrap_or_default();
                    let module = databases
                        .values()
                        .find(|m| m.get("parameter_group_name").map(String::as_str) == Some(name))
                        .unwrap_or_else(|| panic!("{at}: parameter group {name}"));
                    if let Some(family) = flag(tokens, "--db-parameter-group-family") {
                        assert_eq!(
                            module.get("parameter_group_family").map(String::as_str),
                            Some(family),
                            "{at}"
                        );
                    }
                }
                ("rds", _) => {
                    if let Some(id) = flag(tokens, "--db-instance-identifier") {
                        let id = id.strip_suffix("-restore").unwrap_or(id);
                        assert!(databases.contains_key(id), "{at}");
                    }
                }
                ("budgets", _) => {
                    let name = flag(tokens, "--budget-name").unwrap_or_default();
                    assert!(
                        project.environments.iter().any(|e| e.names.budget == name),
                        "{at}"
                    );
                }
                ("s3api", _) => {
                    assert_eq!(
                        flag(tokens, "--bucket"),
                        Some(project.names.state_bucket.as_str()),
                        "{at}"
                    );
                }
                _ => {}
            }
        }
        let databases_in_envs = project
            .datastores
            .iter()
            .filter(|d| d.engine.is_database())
            .count()
            * project.environments.len();
        if databases_in_envs > 0 {
            assert!(
                restores >= databases_in_envs,
                "{example}: {restores} restore commands"
            );
        }
        // Terraform outputs the docs tell readers to print exist in that root.
        for text in files
            .iter()
            .filter(|(p, _)| p.ends_with(".md"))
            .map(|(_, t)| t)
        {
            for (i, _) in text.match_indices("terraform -chdir=") {
                let rest = &text[i + "terraform -chdir=".len()..];
                // `terraform -chdir=DIR output [-raw|-json] NAME`: flags are skipped.
                let mut words = rest.split_whitespace().filter(|w| !w.starts_with('-'));
                let (Some(dir), Some("output"), Some(name)) =
                    (rest.split_whitespace().next(), words.nth(1), words.next())
                else {
                    continue;
                };
                let name = name.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '_');
                let outputs = files
                    .get(&format!("{dir}/outputs.tf"))
                    .map(String::as_str)
                    .unwrap_or_default();
                assert!(
                    outputs.contains(&format!("output \"{name}\"")),
                    "{example}: {dir} has no output {name}"
                );
            }
        }
    }
}

/// The body of `resource "<kind>" "<name>"` in the rendered file at `path`.
fn resource_body(files: &Files, path: &str, kind: &str, name: &str) -> Body {
    let source = files
        .get(path)
        .unwrap_or_else(|| panic!("{path} is not rendered"));
    let body: Body = source
        .parse()
        .unwrap_or_else(|err| panic!("{path} does not parse: {err}"));
    body.blocks()
        .find(|b| b.ident.as_str() == "resource" && label(b, 0) == kind && label(b, 1) == name)
        .map(|b| b.body.clone())
        .unwrap_or_else(|| panic!("{path}: no resource {kind}.{name}"))
}

/// The value of `name` in the `locals` blocks of `path`, if it is set there.
fn local(files: &Files, path: &str, name: &str) -> Option<String> {
    let body: Body = files.get(path)?.parse().ok()?;
    body.blocks()
        .filter(|b| b.ident.as_str() == "locals")
        .find_map(|b| attr(&b.body, name))
}

/// A `port` argument of a module resource, with `local.port` resolved.
fn port_of(files: &Files, path: &str, body: &Body) -> String {
    let port = attr(body, "port").unwrap_or_default();
    match port.strip_prefix("local.") {
        Some(name) => local(files, path, name).unwrap_or(port),
        None => port,
    }
}

#[test]
fn datastores_run_the_table_version_on_the_table_port_with_tls() {
    for (example, project) in projects() {
        let (files, rendered) = render(&project);
        for ds in &project.datastores {
            let source = super::datastore_module(ds.engine);
            let main = format!("infra/modules/{source}/main.tf");
            // Each environment asks its module for the API spelling of the table's version.
            for env in &project.environments {
                let module = format!("datastore_{}", super::identifier(&ds.name));
                let args = &rendered.modules[&(env.names.terraform_dir.clone(), module)];
                let at = format!("{example} {} {}", env.name, ds.name);
                assert_eq!(
                    args.get("engine_version").map(String::as_str),
                    Some(ds.cloud_version.api),
                    "{at}"
                );
                if ds.engine.is_database() {
                    assert_eq!(
                        args.get("parameter_group_family").map(String::as_str),
                        Some(ds.cloud_version.family),
                        "{at}"
                    );
                } else {
                    // ElastiCache: the table's engine (redis or valkey) with its major.minor.
                    assert_eq!(
                        args.get("engine").map(String::as_str),
                        Some(ds.cloud_version.family),
                        "{at}"
                    );
                    let (major, minor) = ds.cloud_version.api.split_once('.').unwrap_or_default();
                    assert!(
                        major.parse::<u32>().is_ok() && minor.parse::<u32>().is_ok(),
                        "{at}: ElastiCache wants major.minor, not `{}`",
                        ds.cloud_version.api
                    );
                }
            }
            // The module listens on the table's client port, and refuses plaintext.
            if ds.engine.is_database() {
                let instance = resource_body(&files, &main, "aws_db_instance", "this");
                assert_eq!(
                    port_of(&files, &main, &instance),
                    ds.cloud_port.to_string(),
                    "{example} {}",
                    ds.name
                );
                let parameters = resource_body(&files, &main, "aws_db_parameter_group", "this");
                let tls = parameters
                    .blocks()
                    .filter(|b| b.ident.as_str() == "parameter")
                    .find(|b| {
                        matches!(
                            attr(&b.body, "name").as_deref(),
                            Some("rds.force_ssl" | "require_secure_transport")
                        )
                    })
                    .and_then(|b| attr(&b.body, "value"));
                assert_eq!(
                    tls.as_deref(),
                    ds.offering.tls_required.then_some("1"),
                    "{example} {}",
                    ds.name
                );
            } else {
                let group =
                    resource_body(&files, &main, "aws_elasticache_replication_group", "this");
                assert_eq!(
                    port_of(&files, &main, &group),
                    ds.cloud_port.to_string(),
                    "{example} {}",
                    ds.name
                );
                assert_eq!(
                    attr(&group, "transit_encryption_enabled").as_deref(),
                    Some(if ds.offering.tls_required {
                        "true"
                    } else {
                        "false"
                    }),
                    "{example} {}",
                    ds.name
                );
            }
            // No AWS offering needs a CA of its own, so no pod gets a CA file to mount.
            assert!(ds.ca_file.is_none(), "{example} {}", ds.name);
        }
    }
}

#[test]
fn network_policies_are_enforced_by_the_vpc_cni() {
    for (example, project) in projects() {
        let files = crate::render(&project).expect("renders");
        let has_policies = files
            .iter()
            .any(|(p, t)| p.starts_with("deploy/") && t.contains("kind: NetworkPolicy"));
        assert!(
            has_policies,
            "{example}: the overlays carry NetworkPolicies"
        );
        let addons = resource_body(
            &files,
            "infra/modules/cluster/main.tf",
            "aws_eks_addon",
            "networking",
        );
        let for_each = addons
            .get_attribute("for_each")
            .and_then(|a| a.value.as_object())
            .expect("the networking add-ons are a map of name to configuration");
        let cni = for_each
            .iter()
            .find(|(key, _)| match key {
                ObjectKey::Expression(expr) => text(expr) == "vpc-cni",
                ObjectKey::Ident(ident) => ident.as_str() == "vpc-cni",
            })
            .map(|(_, value)| value.expr().clone())
            .unwrap_or_else(|| panic!("{example}: no vpc-cni add-on"));
        // configuration_values = jsonencode({ enableNetworkPolicy = "true" })
        let settings = cni
            .as_func_call()
            .filter(|call| call.name.name.as_str() == "jsonencode")
            .and_then(|call| call.args.iter().next())
            .and_then(Expression::as_object)
            .unwrap_or_else(|| panic!("{example}: vpc-cni has no configuration"));
        let enabled = settings.iter().find_map(|(key, value)| match key {
            ObjectKey::Ident(ident) if ident.as_str() == "enableNetworkPolicy" => {
                Some(text(value.expr()))
            }
            _ => None,
        });
        assert_eq!(enabled.as_deref(), Some("true"), "{example}");
        assert_eq!(
            attr(&addons, "configuration_values").as_deref(),
            Some("each.value"),
            "{example}"
        );
        // The node group waits for the CNI, so no pod starts before policies are enforced.
        let nodes = resource_body(
            &files,
            "infra/modules/cluster/main.tf",
            "aws_eks_node_group",
            "default",
        );
        assert!(
            set(&nodes, "depends_on").contains("aws_eks_addon.networking"),
            "{example}"
        );
    }
}

#[test]
fn the_node_autoscaler_can_resize_the_node_group_the_handbook_describes() {
    for (example, project) in projects() {
        let (files, rendered) = render(&project);
        let account = &project.names.cluster_addons.cluster_autoscaler;
        let handbook = &files[crate::docs::HANDBOOK_PATH];
        let row: Vec<&str> = handbook
            .lines()
            .find(|l| l.starts_with("| Nodes |"))
            .unwrap_or_else(|| panic!("{example}: the handbook states no node sizes"))
            .split('|')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .skip(1)
            .collect();
        assert_eq!(row.len(), project.environments.len(), "{example}");
        for (env, stated) in project.environments.iter().zip(row) {
            let dir = &env.names.terraform_dir;
            let at = format!("{example} {}", env.name);
            let cluster = &rendered.modules[&(dir.clone(), "cluster".to_owned())];
            let (min, max, node_type) = (
                cluster["nodes_min"].parse::<u32>().expect("a number"),
                cluster["nodes_max"].parse::<u32>().expect("a number"),
                &cluster["node_type"],
            );
            assert!(min >= 1 && max > min, "{at}: {min}..{max} cannot scale");
            assert_eq!(stated, format!("{min} to {max} × `{node_type}`"), "{at}");
            // The autoscaler's pods are exactly the ServiceAccount the platform installs it as.
            let identities = &files[&format!("{dir}/identities.tf")];
            let body: Body = identities.parse().expect("parses");
            let association = body
                .blocks()
                .filter(|b| {
                    b.ident.as_str() == "resource"
                        && label(b, 0) == "aws_eks_pod_identity_association"
                })
                .find(|b| {
                    attr(&b.body, "namespace").as_deref() == Some(account.namespace.as_str())
                        && attr(&b.body, "service_account").as_deref()
                            == Some(account.service_account.as_str())
                })
                .unwrap_or_else(|| panic!("{at}: the cluster autoscaler has no identity"));
            let role_resource =
                resource_of(&attr(&association.body, "role_arn").unwrap_or_default());
            let role = rendered
                .roles
                .iter()
                .find(|r| r.dir == *dir && r.resource == role_resource)
                .unwrap_or_else(|| panic!("{at}: no role {role_resource}"));
            // It may resize only the groups EKS tagged for this cluster...
            let resize: Vec<&Stmt> = role
                .statements
                .iter()
                .filter(|s| !s.deny && s.actions.contains("autoscaling:SetDesiredCapacity"))
                .collect();
            assert!(!resize.is_empty(), "{at}: the autoscaler cannot resize");
            for statement in resize {
                assert!(
                    statement
                        .actions
                        .contains("autoscaling:TerminateInstanceInAutoScalingGroup"),
                    "{at}"
                );
                let (_, _, values) = statement
                    .condition(&format!(
                        "aws:ResourceTag/k8s.io/cluster-autoscaler/{}",
                        env.names.cluster
                    ))
                    .unwrap_or_else(|| panic!("{at}: resizing is not limited to this cluster"));
                assert!(values.contains("owned"), "{at}");
            }
            // ...and discovers them and the node templates.
            let allowed: BTreeSet<&str> = role
                .statements
                .iter()
                .filter(|s| !s.deny)
                .flat_map(|s| s.actions.iter().map(String::as_str))
                .collect();
            for action in [
                "autoscaling:DescribeAutoScalingGroups",
                "autoscaling:DescribeAutoScalingInstances",
                "ec2:DescribeLaunchTemplateVersions",
                "eks:DescribeNodegroup",
            ] {
                assert!(allowed.contains(action), "{at}: {action}");
            }
            // The node group the module creates is the one EKS tags for auto-discovery:
            // a managed node group of this cluster whose desired size Terraform leaves alone.
            let nodes = resource_body(
                &files,
                "infra/modules/cluster/main.tf",
                "aws_eks_node_group",
                "default",
            );
            let lifecycle = nodes
                .blocks()
                .find(|b| b.ident.as_str() == "lifecycle")
                .expect("a lifecycle block");
            assert!(
                set(&lifecycle.body, "ignore_changes").contains("scaling_config[0].desired_size"),
                "{example}: Terraform would undo the autoscaler"
            );
        }
    }
}

#[test]
fn the_handbook_login_table_is_what_the_trust_policies_accept() {
    for (example, project) in projects() {
        let (files, rendered) = render(&project);
        let handbook = &files[crate::docs::HANDBOOK_PATH];
        let start = handbook
            .find("| Identity | Used by | Accepts | May | Created in |")
            .unwrap_or_else(|| panic!("{example}: no login table"));
        let mut listed = BTreeSet::new();
        for row in handbook[start..]
            .lines()
            .skip(2)
            .take_while(|l| l.starts_with("| `"))
        {
            let cells: Vec<&str> = row
                .split(" | ")
                .map(|c| c.trim_matches('|').trim())
                .collect();
            let name = cells[0].trim_matches('`');
            let role = role(&rendered, name, &example);
            // `subject` from `workflow`; `subject` from `workflow`
            let stated: BTreeSet<(String, String)> = cells[2]
                .split("; ")
                .map(|token| {
                    let (subject, workflow) = token
                        .split_once(" from ")
                        .unwrap_or_else(|| panic!("{example}: {name}: `{token}`"));
                    (
                        subject.trim_matches('`').to_owned(),
                        workflow.trim_matches('`').to_owned(),
                    )
                })
                .collect();
            assert_eq!(
                stated,
                accepted(&role.trust, &example, name),
                "{example}: the handbook misstates what {name} accepts"
            );
            assert_eq!(
                cells[4].trim_matches('`').trim_end_matches('/'),
                role.dir,
                "{example}: {name} is created elsewhere"
            );
            listed.insert(name.to_owned());
        }
        // Every identity a GitHub token can assume is listed.
        let assumable: BTreeSet<String> = project
            .identities()
            .into_iter()
            .filter(|i| !i.tokens.is_empty())
            .map(|i| i.name)
            .collect();
        assert_eq!(listed, assumable, "{example}");
    }
}

/// The Cluster Autoscaler's IAM actions as its documentation lists them:
/// github.com/kubernetes/autoscaler, cluster-autoscaler/cloudprovider/aws/README.md at tag
/// cluster-autoscaler-1.33.6 (the release the platform module installs), "Full Cluster
/// Autoscaler Features Policy (Recommended)": auto-discovery and the dynamic instance type list.
const CLUSTER_AUTOSCALER_ACTIONS: &[&str] = &[
    "autoscaling:DescribeAutoScalingGroups",
    "autoscaling:DescribeAutoScalingInstances",
    "autoscaling:DescribeLaunchConfigurations",
    "autoscaling:DescribeScalingActivities",
    "ec2:DescribeImages",
    "ec2:DescribeInstanceTypes",
    "ec2:DescribeLaunchTemplateVersions",
    "ec2:GetInstanceTypesFromInstanceRequirements",
    "eks:DescribeNodegroup",
    "autoscaling:SetDesiredCapacity",
    "autoscaling:TerminateInstanceInAutoScalingGroup",
];

/// external-dns's Route 53 actions as its AWS tutorial lists them
/// (github.com/kubernetes-sigs/external-dns, docs/tutorials/aws.md at tag
/// external-dns-helm-chart-1.21.1), without `route53:ListTagsForResources`, which v0.21.0
/// calls only with a zone tag filter (provider/aws/aws.go, `zones`); the platform module
/// selects the zone by id instead.
const EXTERNAL_DNS_ZONE_ACTIONS: &[&str] = &[
    "route53:ChangeResourceRecordSets",
    "route53:ListResourceRecordSets",
];

/// The platform module's file holding the add-ons.
const PLATFORM_ADDONS: &str = "infra/modules/platform/addons.tf";

/// The inputs an environment's platform root gives the platform module, flattened to the
/// references the module reads them by: `var.<input>.<key>` to the text of the value.
fn platform_inputs(files: &Files, env: &scaffold_core::Environment) -> BTreeMap<String, String> {
    let path = format!("{}/main.tf", env.names.platform_dir);
    let body: Body = files[&path].parse().expect("the platform root parses");
    let module = body
        .blocks()
        .find(|b| b.ident.as_str() == "module" && label(b, 0) == "platform")
        .unwrap_or_else(|| panic!("{path}: no module \"platform\""));
    let mut out = BTreeMap::new();
    for attribute in module.body.attributes() {
        let name = attribute.key.as_str();
        match attribute.value.as_object() {
            Some(object) => {
                for (key, value) in object.iter() {
                    let key = match key {
                        ObjectKey::Ident(ident) => ident.as_str().to_owned(),
                        ObjectKey::Expression(expr) => text(expr),
                    };
                    out.insert(format!("var.{name}.{key}"), text(value.expr()));
                }
            }
            None => {
                out.insert(format!("var.{name}"), text(&attribute.value));
            }
        }
    }
    out
}

/// An HCL expression as JSON with every `var.…` reference the root sets replaced by its
/// value, alone or interpolated in a string: what Helm receives.
fn resolved(expr: &Expression, vars: &BTreeMap<String, String>) -> serde_json::Value {
    use serde_json::Value as Json;
    match expr {
        Expression::Object(object) => Json::Object(
            object
                .iter()
                .map(|(key, value)| {
                    let key = match key {
                        ObjectKey::Ident(ident) => ident.as_str().to_owned(),
                        ObjectKey::Expression(expr) => text(expr),
                    };
                    (key, resolved(value.expr(), vars))
                })
                .collect(),
        ),
        Expression::Array(items) => Json::Array(items.iter().map(|e| resolved(e, vars)).collect()),
        Expression::Bool(b) => Json::Bool(*b.value()),
        Expression::FuncCall(call) if call.name.name.as_str() == "yamlencode" => call
            .args
            .iter()
            .next()
            .map_or(Json::Null, |arg| resolved(arg, vars)),
        Expression::Parenthesis(inner) => resolved(inner.inner(), vars),
        other => {
            let mut value = text(other);
            if let Some(known) = vars.get(&value) {
                return Json::String(known.clone());
            }
            for (reference, known) in vars {
                value = value.replace(&format!("${{{reference}}}"), known);
            }
            Json::String(value)
        }
    }
}

/// The values of the platform module's `helm_release.<name>` as an environment's root
/// sets them, and the release's body.
fn helm_values(
    files: &Files,
    name: &str,
    vars: &BTreeMap<String, String>,
) -> (Body, serde_json::Value) {
    let release = resource_body(files, PLATFORM_ADDONS, "helm_release", name);
    let values = release
        .get_attribute("values")
        .and_then(|a| a.value.as_array().and_then(|a| a.iter().next().cloned()))
        .map(|first| resolved(&first, vars))
        .unwrap_or_else(|| panic!("helm_release.{name} has no values"));
    (release, values)
}

/// Every string of a JSON array.
fn strings(value: &serde_json::Value) -> Vec<String> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The environment root's Pod Identity association of ServiceAccount `namespace/account`,
/// and the role it names.
fn pod_identity<'a>(
    files: &Files,
    rendered: &'a Rendered,
    env: &scaffold_core::Environment,
    namespace: &str,
    account: &str,
) -> Option<(Body, &'a Role)> {
    let dir = &env.names.terraform_dir;
    let body: Body = files[&format!("{dir}/identities.tf")]
        .parse()
        .expect("identities.tf parses");
    let association = body
        .blocks()
        .filter(|b| {
            b.ident.as_str() == "resource" && label(b, 0) == "aws_eks_pod_identity_association"
        })
        .find(|b| {
            attr(&b.body, "namespace").as_deref() == Some(namespace)
                && attr(&b.body, "service_account").as_deref() == Some(account)
        })?;
    let role_resource = resource_of(&attr(&association.body, "role_arn").unwrap_or_default());
    let role = rendered
        .roles
        .iter()
        .find(|r| r.dir == *dir && r.resource == role_resource)?;
    Some((association.body.clone(), role))
}

/// Every action a role allows.
fn allowed_actions(role: &Role) -> BTreeSet<String> {
    role.statements
        .iter()
        .filter(|s| !s.deny)
        .flat_map(|s| s.actions.iter().cloned())
        .collect()
}

#[test]
fn the_cluster_autoscaler_runs_as_its_identity_on_the_node_groups_it_may_resize() {
    let documented: BTreeSet<String> = CLUSTER_AUTOSCALER_ACTIONS
        .iter()
        .map(|a| (*a).to_owned())
        .collect();
    let addon = &scaffold_core::platform::CLUSTER_AUTOSCALER;
    for (example, project) in projects() {
        let (files, rendered) = render(&project);
        // The cluster module: the node groups' tags, the cluster's name and Kubernetes minor.
        let module = "infra/modules/cluster/main.tf";
        let body: Body = files[module].parse().expect("parses");
        let node_groups: Vec<(String, BTreeMap<String, String>, Body)> = body
            .blocks()
            .filter(|b| b.ident.as_str() == "resource" && label(b, 0) == "aws_eks_node_group")
            .map(|b| {
                let tags = b
                    .body
                    .get_attribute("tags")
                    .and_then(|a| a.value.as_object().cloned())
                    .map(|object| {
                        object
                            .iter()
                            .map(|(key, value)| {
                                let key = match key {
                                    ObjectKey::Ident(ident) => ident.as_str().to_owned(),
                                    ObjectKey::Expression(expr) => text(expr),
                                };
                                (key, text(value.expr()))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                (label(b, 1), tags, b.body.clone())
            })
            .collect();
        assert!(!node_groups.is_empty(), "{example}: no node group");
        let eks = resource_body(&files, module, "aws_eks_cluster", "this");
        assert_eq!(attr(&eks, "name").as_deref(), Some("var.name"), "{example}");
        let variables: Body = files["infra/modules/cluster/variables.tf"]
            .parse()
            .expect("parses");
        let kubernetes_minor = variables
            .blocks()
            .find(|b| b.ident.as_str() == "variable" && label(b, 0) == "kubernetes_version")
            .and_then(|b| attr(&b.body, "default"))
            .expect("a default Kubernetes version");
        for env in &project.environments {
            let at = format!("{example} {}", env.name);
            let dir = &env.names.terraform_dir;
            let vars = platform_inputs(&files, env);
            assert!(
                vars.contains_key("var.cluster_autoscaler.service_account"),
                "{at}: the platform root does not install the Cluster Autoscaler"
            );
            let (release, values) = helm_values(&files, "cluster_autoscaler", &vars);
            assert_eq!(attr(&release, "version").as_deref(), Some(addon.version));
            assert_eq!(
                attr(&release, "count").as_deref(),
                Some("var.cluster_autoscaler != null ? 1 : 0")
            );
            // It is the cluster the environment root creates, in its region.
            let cluster_module = &rendered.modules[&(dir.clone(), "cluster".to_owned())];
            let cluster_name = values["autoDiscovery"]["clusterName"]
                .as_str()
                .unwrap_or_default();
            assert_eq!(cluster_name, cluster_module["name"], "{at}");
            assert_eq!(values["cloudProvider"], "aws", "{at}");
            assert_eq!(values["awsRegion"], project.cloud.region.as_str(), "{at}");
            // It discovers every node group of the cluster: each carries every tag it looks for.
            let tags = strings(&values["autoDiscovery"]["tags"]);
            assert_eq!(
                tags,
                [
                    "k8s.io/cluster-autoscaler/enabled".to_owned(),
                    format!("k8s.io/cluster-autoscaler/{cluster_name}")
                ],
                "{at}: the README's auto-discovery tags"
            );
            for (group, group_tags, _) in &node_groups {
                let carried: BTreeMap<String, String> = group_tags
                    .iter()
                    .map(|(k, v)| (k.replace("${var.name}", cluster_name), v.clone()))
                    .collect();
                for tag in &tags {
                    assert!(
                        carried.contains_key(tag),
                        "{at}: node group {group} lacks {tag}"
                    );
                }
            }
            // Its bounds are the node groups' own (no `--nodes`), which are the sizing's.
            assert!(values.get("autoscalingGroups").is_none(), "{at}");
            for (group, _, body) in &node_groups {
                let scaling = body
                    .blocks()
                    .find(|b| b.ident.as_str() == "scaling_config")
                    .unwrap_or_else(|| panic!("{at}: {group} has no scaling_config"));
                assert_eq!(
                    attr(&scaling.body, "min_size").as_deref(),
                    Some("var.nodes_min")
                );
                assert_eq!(
                    attr(&scaling.body, "max_size").as_deref(),
                    Some("var.nodes_max")
                );
            }
            assert_eq!(
                cluster_module["nodes_min"],
                env.sizing.nodes_min.to_string(),
                "{at}"
            );
            assert_eq!(
                cluster_module["nodes_max"],
                env.sizing.nodes_max.to_string(),
                "{at}"
            );
            // Its release is the cluster's Kubernetes minor.
            let image = values["image"]["tag"].as_str().unwrap_or_default();
            assert!(
                image.starts_with(&format!("v{kubernetes_minor}.")),
                "{at}: Cluster Autoscaler {image} on Kubernetes {kubernetes_minor}"
            );
            // It runs as exactly the ServiceAccount the Pod Identity association names.
            let account = values["rbac"]["serviceAccount"]["name"]
                .as_str()
                .unwrap_or_default();
            assert_eq!(values["rbac"]["serviceAccount"]["create"], true, "{at}");
            let namespace = attr(&release, "namespace").unwrap_or_default();
            let (association, role) = pod_identity(&files, &rendered, env, &namespace, account)
                .unwrap_or_else(|| panic!("{at}: no identity for {namespace}/{account}"));
            assert_eq!(
                attr(&association, "cluster_name").as_deref(),
                Some("module.cluster.cluster_name"),
                "{at}"
            );
            // Its role allows exactly the documented actions...
            assert_eq!(allowed_actions(role), documented, "{at}");
            // ...and resizes only the groups tagged as this cluster's, which the node groups are.
            for statement in role.statements.iter().filter(|s| {
                s.actions.contains("autoscaling:SetDesiredCapacity")
                    || s.actions
                        .contains("autoscaling:TerminateInstanceInAutoScalingGroup")
            }) {
                let condition = statement
                    .conditions
                    .iter()
                    .find(|(_, variable, _)| variable.starts_with("aws:ResourceTag/"))
                    .unwrap_or_else(|| panic!("{at}: resizing is not limited by tag"));
                let key = condition.1.trim_start_matches("aws:ResourceTag/");
                for (group, group_tags, _) in &node_groups {
                    let value = group_tags
                        .iter()
                        .find(|(k, _)| k.replace("${var.name}", cluster_name) == key)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_else(|| panic!("{at}: {group} lacks {key}"));
                    assert!(condition.2.contains(&value), "{at}: {group} {key}={value}");
                }
            }
        }
    }
}

#[test]
fn external_dns_writes_only_its_environments_zone_as_its_identity() {
    let documented: BTreeSet<String> = EXTERNAL_DNS_ZONE_ACTIONS
        .iter()
        .map(|a| (*a).to_owned())
        .collect();
    let mut checked = 0;
    for (example, project) in projects() {
        let (files, rendered) = render(&project);
        let mut owners = BTreeSet::new();
        for env in &project.environments {
            let at = format!("{example} {}", env.name);
            let vars = platform_inputs(&files, env);
            let installed = vars.contains_key("var.external_dns.domain");
            let hosts: Vec<&String> = env
                .services
                .iter()
                .filter_map(|s| s.host.as_ref())
                .collect();
            // Installed exactly where the environment has a public host to write.
            assert_eq!(installed, !hosts.is_empty(), "{at}");
            if !installed {
                continue;
            }
            let domain = env.domain.as_deref().expect("a host has a domain");
            let (release, values) = helm_values(&files, "external_dns", &vars);
            assert_eq!(
                attr(&release, "version").as_deref(),
                Some(scaffold_core::platform::EXTERNAL_DNS.version)
            );
            assert_eq!(values["provider"]["name"], "aws", "{at}");
            assert_eq!(values["env"][0]["name"], "AWS_REGION", "{at}");
            assert_eq!(
                values["env"][0]["value"],
                project.cloud.region.as_str(),
                "{at}"
            );
            // The domain filter is the environment's domain, and every host is inside it.
            assert_eq!(
                strings(&values["domainFilters"]),
                [domain.to_owned()],
                "{at}"
            );
            for host in &hosts {
                assert!(
                    *host == domain || host.ends_with(&format!(".{domain}")),
                    "{at}: {host} is outside {domain}"
                );
            }
            // The zone: the one the environment root creates for the domain, read by id.
            let zone = resource_body(
                &files,
                &format!("{}/main.tf", env.names.terraform_dir),
                "aws_route53_zone",
                "this",
            );
            assert_eq!(attr(&zone, "name").as_deref(), Some(domain), "{at}");
            let platform_root: Body = files[&format!("{}/main.tf", env.names.platform_dir)]
                .parse()
                .expect("parses");
            let data = platform_root
                .blocks()
                .find(|b| {
                    b.ident.as_str() == "data"
                        && label(b, 0) == "aws_route53_zone"
                        && label(b, 1) == "this"
                })
                .unwrap_or_else(|| panic!("{at}: the platform root does not read the zone"));
            assert_eq!(attr(&data.body, "name").as_deref(), Some(domain), "{at}");
            assert_eq!(
                attr(&data.body, "private_zone").as_deref(),
                Some("false"),
                "{at}"
            );
            // (The root passes the data source's attribute; `resolved` puts its reference in.)
            let args = strings(&values["extraArgs"]);
            assert!(
                args.contains(&"--zone-id-filter=data.aws_route53_zone.this.zone_id".to_owned()),
                "{at}: {args:?}"
            );
            // One TXT owner per cluster.
            let owner = values["txtOwnerId"].as_str().unwrap_or_default().to_owned();
            assert_eq!(owner, env.names.cluster, "{at}");
            assert!(
                owners.insert(owner),
                "{at}: two environments share a TXT owner"
            );
            // It runs as the ServiceAccount its identity trusts...
            let account = values["serviceAccount"]["name"]
                .as_str()
                .unwrap_or_default();
            let namespace = attr(&release, "namespace").unwrap_or_default();
            let (_, role) = pod_identity(&files, &rendered, env, &namespace, account)
                .unwrap_or_else(|| panic!("{at}: no identity for {namespace}/{account}"));
            // ...which may change and list the records of this zone only, and find it.
            let on_zone: BTreeSet<String> = role
                .statements
                .iter()
                .filter(|s| {
                    !s.deny
                        && s.resources == BTreeSet::from(["aws_route53_zone.this.arn".to_owned()])
                })
                .flat_map(|s| s.actions.iter().cloned())
                .collect();
            assert_eq!(on_zone, documented, "{at}");
            let elsewhere: BTreeSet<String> = role
                .statements
                .iter()
                .filter(|s| {
                    !s.deny
                        && s.resources != BTreeSet::from(["aws_route53_zone.this.arn".to_owned()])
                })
                .flat_map(|s| s.actions.iter().cloned())
                .collect();
            assert_eq!(
                elsewhere,
                BTreeSet::from(["route53:ListHostedZones".to_owned()]),
                "{at}"
            );
            checked += 1;
        }
    }
    assert!(checked > 0, "some AWS example has a public host");
}
