//! What the rendered GCP Terraform lets each identity do, computed from the files.
//!
//! The tests parse the rendered HCL with hcl-edit, evaluate the rendered IAM and
//! workload identity conditions with a small CEL evaluator ([`super::cel`]), and
//! compare the result with scaffold's access model: the tokens each identity accepts,
//! the operations each performs, the datastore table's secret properties and the sizes.

use std::collections::{BTreeMap, BTreeSet};

use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator};
use hcl_edit::structure::{Block, BlockLabel, Body};
use scaffold_core::access::{Identity, Operation, Purpose, workflows};
use scaffold_core::project::Facts;
use scaffold_core::{Project, Provider};

use super::access::{self, Target};
use super::cel;
use crate::Files;
use crate::render_family;
use crate::test_support::example_projects;

// ---- Projects ----

/// The GCP examples, and variants of the richest one that exercise every branch of the
/// templates: a production environment in its own project, self-hosted runners, images
/// on ghcr, MySQL instead of PostgreSQL, and a single environment.
fn projects() -> Vec<(String, Project)> {
    let mut all: Vec<(String, Project)> = example_projects()
        .into_iter()
        .filter(|(_, p)| p.cloud.provider == Provider::Gcp)
        .collect();
    let canary = include_str!("../../../../../tests/examples/gcp-canary.toml");
    let variants = [
        (
            "separate-production",
            canary.replace(
                "name = \"production\"\napproval = true",
                "name = \"production\"\napproval = true\nseparate_account = true",
            ),
        ),
        (
            "self-hosted",
            canary.replace(
                "gitops = false",
                "gitops = false\nrunners = \"self-hosted\"",
            ),
        ),
        (
            "ghcr",
            canary.replace("registry = \"gar\"", "registry = \"ghcr\""),
        ),
        (
            "mysql",
            canary.replace(
                "engine = \"postgres\"\nversion = \"16\"",
                "engine = \"mysql\"\nversion = \"8.4\"",
            ),
        ),
        ("gitops", canary.replace("gitops = false", "gitops = true")),
    ];
    for (name, text) in variants {
        assert_ne!(text, canary, "variant {name} changed nothing");
        let project = Project::from_toml(&text, &Facts::default())
            .unwrap_or_else(|err| panic!("{name}: {err}"));
        all.push((name.to_owned(), project));
    }
    assert!(all.len() >= 7, "GCP examples missing: {}", all.len());
    all
}

fn terraform(project: &Project) -> Files {
    render_family(project, "terraform").expect("terraform renders")
}

// ---- Reading HCL ----

fn body(files: &Files, path: &str) -> Body {
    files[path]
        .parse()
        .unwrap_or_else(|err| panic!("{path}: {err}"))
}

fn label(label: &BlockLabel) -> &str {
    match label {
        BlockLabel::String(text) => text.as_str(),
        BlockLabel::Ident(ident) => ident.as_str(),
    }
}

fn block<'a>(body: &'a Body, kind: &str, labels: &[&str]) -> Option<&'a Block> {
    body.blocks()
        .find(|b| b.ident.as_str() == kind && b.labels.iter().map(label).eq(labels.iter().copied()))
}

fn attribute<'a>(block: &'a Block, name: &str) -> &'a Expression {
    &block
        .body
        .get_attribute(name)
        .unwrap_or_else(|| panic!("{} has no {name}", block.ident.as_str()))
        .value
}

fn local<'a>(body: &'a Body, name: &str) -> &'a Expression {
    body.get_blocks("locals")
        .find_map(|b| b.body.get_attribute(name))
        .map(|a| &a.value)
        .unwrap_or_else(|| panic!("no local {name}"))
}

/// A string literal, or the source text of a template without its quotes.
fn text(expr: &Expression) -> String {
    match expr {
        Expression::String(s) => s.value().clone(),
        other => {
            let source = other.to_string();
            let trimmed = source.trim();
            trimmed
                .strip_prefix('"')
                .and_then(|s| s.strip_suffix('"'))
                .unwrap_or(trimmed)
                .to_owned()
        }
    }
}

fn entries(expr: &Expression) -> Vec<(String, &Expression)> {
    let Expression::Object(object) = expr else {
        panic!("not an object: {expr}");
    };
    object
        .iter()
        .map(|(key, value)| {
            let key = match key {
                ObjectKey::Ident(ident) => ident.as_str().to_owned(),
                ObjectKey::Expression(expr) => text(expr),
            };
            (key, value.expr())
        })
        .collect()
}

fn field<'a>(expr: &'a Expression, name: &str) -> &'a Expression {
    entries(expr)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no field {name} in {expr}"))
}

fn items(expr: &Expression) -> Vec<&Expression> {
    let Expression::Array(array) = expr else {
        panic!("not a list: {expr}");
    };
    array.iter().collect()
}

fn is_null(expr: &Expression) -> bool {
    matches!(expr, Expression::Null(_))
}

// ---- The bootstrap root's identities ----

/// One GitHub identity as the bootstrap root renders it.
#[derive(Debug, Default)]
struct Rendered {
    subjects: BTreeSet<String>,
    grants: BTreeSet<(String, Target)>,
}

/// The model's name of a rendered project role (the custom role's id becomes its constant).
fn role_name(rendered: &str) -> String {
    if rendered.contains(&format!("/roles/{}", access::REDIS_AUTH_READER_ROLE_ID)) {
        access::REDIS_AUTH_READER_ROLE_ID.to_owned()
    } else {
        rendered.to_owned()
    }
}

fn bootstrap_identities(files: &Files) -> BTreeMap<String, Rendered> {
    let body = body(files, "infra/bootstrap/main.tf");
    let mut out = BTreeMap::new();
    for (account, value) in entries(local(&body, "github_identities")) {
        let environment = field(value, "environment");
        let environment = (!is_null(environment)).then(|| text(environment));
        let mut rendered = Rendered {
            subjects: items(field(value, "subjects"))
                .into_iter()
                .map(text)
                .collect(),
            grants: BTreeSet::new(),
        };
        for role in items(field(value, "project_roles")) {
            let environment = environment
                .clone()
                .unwrap_or_else(|| panic!("{account}: a project role without an environment"));
            rendered
                .grants
                .insert((role_name(&text(role)), Target::Project { environment }));
        }
        for grant in items(field(value, "state_roles")) {
            rendered.grants.insert((
                text(field(grant, "role")),
                Target::StateBucket {
                    title: text(field(grant, "title")),
                    description: text(field(grant, "description")),
                    expression: text(field(grant, "expression")),
                },
            ));
        }
        for role in items(field(value, "registry_roles")) {
            rendered.grants.insert((text(role), Target::Registry));
        }
        for grant in items(field(value, "service_account_roles")) {
            rendered.grants.insert((
                text(field(grant, "role")),
                Target::ServiceAccount {
                    account: text(field(grant, "account")),
                },
            ));
        }
        out.insert(account, rendered);
    }
    out
}

fn provider_condition(files: &Files) -> String {
    let body = body(files, "infra/bootstrap/main.tf");
    let provider = block(
        &body,
        "resource",
        &["google_iam_workload_identity_pool_provider", "github"],
    )
    .expect("the GitHub provider");
    text(attribute(provider, "attribute_condition"))
}

fn account_keys(files: &Files, local_name: &str) -> BTreeSet<String> {
    let body = body(files, "infra/bootstrap/main.tf");
    entries(local(&body, local_name))
        .into_iter()
        .map(|(k, _)| k)
        .collect()
}

// ---- Trust ----

/// Whether a model workflow pattern (at most one `*`) matches `text`.
fn pattern_matches(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((prefix, suffix)) => {
            text.len() >= prefix.len() + suffix.len()
                && text.starts_with(prefix)
                && text.ends_with(suffix)
        }
    }
}

/// The claims GitHub puts in a token with `subject` from `workflow_ref`.
fn claims(repository: &str, subject: &str, workflow_ref: &str) -> BTreeMap<String, String> {
    let mut claims = BTreeMap::from([
        ("assertion.repository".to_owned(), repository.to_owned()),
        ("assertion.sub".to_owned(), subject.to_owned()),
        (
            "assertion.job_workflow_ref".to_owned(),
            workflow_ref.to_owned(),
        ),
    ]);
    if let Some((_, env)) = subject.split_once(":environment:") {
        claims.insert("assertion.environment".to_owned(), env.to_owned());
    }
    if let Some((_, git_ref)) = workflow_ref.split_once('@') {
        claims.insert("assertion.ref".to_owned(), git_ref.to_owned());
    }
    claims
}

/// Tokens worth trying: every subject the model knows, plus neighbours, from every
/// workflow at every interesting ref, from this repository and another.
fn probes(project: &Project) -> Vec<(String, String, String)> {
    let repo = &project.repository.full;
    let mut subjects: BTreeSet<String> = project
        .identities()
        .iter()
        .flat_map(|i| i.tokens.iter().map(|t| t.subject.clone()))
        .collect();
    subjects.insert(format!("repo:{repo}:pull_request"));
    subjects.insert(format!("repo:{repo}:ref:refs/heads/feature"));
    subjects.insert(format!("repo:{repo}:environment:unknown"));
    let mut refs: BTreeSet<String> = project
        .deploy_branches
        .iter()
        .map(|b| format!("refs/heads/{b}"))
        .collect();
    refs.insert("refs/heads/feature".to_owned());
    refs.insert("refs/pull/7/merge".to_owned());
    let mut out = Vec::new();
    for repository in [repo.clone(), "acme/intruder".to_owned()] {
        for subject in &subjects {
            let subject = subject.replace(repo, &repository);
            for workflow in [
                workflows::CI,
                workflows::DEPLOY,
                workflows::INFRASTRUCTURE,
                workflows::SECURITY,
            ] {
                for git_ref in &refs {
                    out.push((
                        repository.clone(),
                        subject.clone(),
                        format!("{repository}/{workflow}@{git_ref}"),
                    ));
                }
            }
        }
    }
    out
}

#[test]
fn every_identity_accepts_exactly_the_tokens_of_the_model() {
    for (name, project) in projects() {
        let files = terraform(&project);
        let rendered = bootstrap_identities(&files);
        let condition = provider_condition(&files);
        let model: Vec<Identity> = project
            .identities()
            .into_iter()
            .filter(access::is_github)
            .collect();
        assert_eq!(
            rendered.keys().cloned().collect::<BTreeSet<_>>(),
            model.iter().map(|i| i.name.clone()).collect(),
            "{name}: the GitHub identities"
        );
        let mut accepted_tokens = 0;
        for (repository, subject, workflow_ref) in probes(&project) {
            let claims = claims(&repository, &subject, &workflow_ref);
            let admitted = cel::admits(&condition, &claims);
            let mut purposes = BTreeSet::new();
            for identity in &model {
                let renders = admitted && rendered[&identity.name].subjects.contains(&subject);
                let models = repository == project.repository.full
                    && identity.tokens.iter().any(|t| {
                        t.subject == subject && pattern_matches(&t.workflow, &workflow_ref)
                    });
                assert_eq!(
                    renders, models,
                    "{name}: {} and the token ({subject}, {workflow_ref}): rendered {renders}, model {models}",
                    identity.name
                );
                if renders {
                    purposes.insert(identity.purpose);
                    accepted_tokens += 1;
                }
            }
            assert!(
                purposes.len() <= 1,
                "{name}: ({subject}, {workflow_ref}) is accepted by identities of purposes {purposes:?}"
            );
        }
        // Every model token was among the probes and is accepted by its identity.
        let tokens: usize = model.iter().map(|i| i.tokens.len()).sum();
        assert!(
            accepted_tokens >= tokens,
            "{name}: {accepted_tokens} accepted probes for {tokens} tokens"
        );
        assert!(
            condition.len() <= scaffold_core::access::gcp::ATTRIBUTE_CONDITION_LIMIT,
            "{name}: the attribute condition has {} characters; the provider allows 4096",
            condition.len()
        );
    }
}

#[test]
fn production_is_planned_only_from_the_default_branch() {
    for (name, project) in projects() {
        let files = terraform(&project);
        let condition = provider_condition(&files);
        let Some(production) = project.environments.iter().find(|e| e.production) else {
            continue;
        };
        let subject = project.environment_subject(&production.names.plan_environment);
        let repo = &project.repository.full;
        let from_pull_request = format!("{repo}/{}@refs/pull/7/merge", workflows::INFRASTRUCTURE);
        let from_main = format!(
            "{repo}/{}@refs/heads/{}",
            workflows::INFRASTRUCTURE,
            project.default_branch
        );
        assert!(
            !cel::admits(&condition, &claims(repo, &subject, &from_pull_request)),
            "{name}"
        );
        assert!(
            cel::admits(&condition, &claims(repo, &subject, &from_main)),
            "{name}"
        );
    }
}

#[test]
fn the_longest_answers_keep_the_condition_within_the_provider_limit() {
    let mut text = String::from(
        "[app]\nname = \"a-thirty-character-app-name-xx\"\nrepository = \"an-owner-of-thirty-nine-characters-xxxx/a-repository-name-of-sixty-characters-xxxxxxxxxxxxxxxxxxxxxxxxxx\"\n[cloud]\nprovider = \"gcp\"\n[[services]]\nname = \"api\"\nlanguage = \"go\"\n[delivery]\nregistry = \"gar\"\n",
    );
    // Five environments, each deploying from its own branch: every environment-bound
    // token has its own workflow ref, the condition's worst case. Six such environments
    // with these longest names exceed the provider's 4,096 characters (4,587), which the
    // answers refuse (scaffold_core::access::gcp::check_attribute_condition, tested at the edge there).
    for i in 0..5 {
        text.push_str(&format!(
            "[[environments]]\nname = \"environment-{i:04}\"\nbranch = \"release/branch-{i:04}\"\n"
        ));
    }
    let project = Project::from_toml(&text, &Facts::default()).expect("valid answers");
    let condition = access::attribute_condition(&project);
    assert!(
        condition.len() <= scaffold_core::access::gcp::ATTRIBUTE_CONDITION_LIMIT,
        "{} characters",
        condition.len()
    );
}

// ---- Grants ----

/// The bindings the environment roots make for workload identities: the secrets each
/// service's account may read.
fn workload_grants(
    project: &Project,
    files: &Files,
) -> BTreeMap<String, BTreeSet<(String, Target)>> {
    let module = body(files, "infra/modules/workload-identity/main.tf");
    let accessor = block(
        &module,
        "resource",
        &["google_secret_manager_secret_iam_member", "this"],
    )
    .expect("the secret binding");
    let role = text(attribute(accessor, "role"));
    let mut out: BTreeMap<String, BTreeSet<(String, Target)>> = BTreeMap::new();
    for env in &project.environments {
        let root = body(files, &format!("{}/main.tf", env.names.terraform_dir));
        for (_service, workload) in entries(local(&root, "workloads")) {
            let account = text(field(workload, "account_id"));
            let grants = out.entry(account).or_default();
            for reference in items(field(workload, "secret_ids")) {
                let Expression::Traversal(traversal) = reference else {
                    panic!("not a reference: {reference}");
                };
                let operators: Vec<&TraversalOperator> =
                    traversal.operators.iter().map(|op| &**op).collect();
                let (output, datastore) = match (traversal.expr.to_string().trim(), &operators[..])
                {
                    (
                        "module",
                        [
                            TraversalOperator::GetAttr(module),
                            TraversalOperator::GetAttr(output),
                            TraversalOperator::Index(Expression::String(key)),
                        ],
                    ) if module.as_str() == "datastores" => {
                        (output.as_str().to_owned(), key.value().clone())
                    }
                    _ => panic!("not module.datastores.<output>[<datastore>]: {reference}"),
                };
                // The module's output is the secret it creates from the input of the same
                // name (`secret_id = var.<output>[<datastore>]`): read the id the root passes.
                let input = attribute(
                    block(&root, "module", &["datastores"]).expect("the datastores module"),
                    &output,
                );
                let secret = entries(input)
                    .into_iter()
                    .find(|(key, _)| *key == datastore)
                    .map(|(_, id)| text(id))
                    .unwrap_or_else(|| panic!("no {output} for {datastore}"));
                let module_text = &files["infra/modules/datastores/main.tf"];
                assert!(
                    module_text.contains(&format!("secret_id = var.{output}[\"{datastore}\"]")),
                    "the datastores module does not create the secret {output} names for {datastore}"
                );
                grants.insert((role.clone(), Target::Secret { secret }));
            }
        }
    }
    out
}

#[test]
fn every_grant_is_an_operation_and_every_operation_is_granted() {
    for (name, project) in projects() {
        let files = terraform(&project);
        let mut rendered: BTreeMap<String, BTreeSet<(String, Target)>> =
            bootstrap_identities(&files)
                .into_iter()
                .map(|(account, r)| (account, r.grants))
                .collect();
        rendered.extend(workload_grants(&project, &files));
        for identity in project.identities() {
            let mapped: Vec<access::Grant> = access::grants(&project, &identity);
            let expected: BTreeSet<(String, Target)> = mapped
                .iter()
                .filter(|g| !matches!(g.target, Target::KubernetesRbac { .. }))
                .map(|g| (g.role.clone(), g.target.clone()))
                .collect();
            let actual = rendered.remove(&identity.name).unwrap_or_default();
            let missing: Vec<_> = expected.difference(&actual).collect();
            let extra: Vec<_> = actual.difference(&expected).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{name}: {}: not rendered {missing:#?}; rendered without an operation {extra:#?}",
                identity.name
            );
            for operation in &identity.operations {
                let roles: BTreeSet<&str> = mapped
                    .iter()
                    .filter(|g| &g.operation == operation)
                    .map(|g| g.role.as_str())
                    .collect();
                assert!(
                    !roles.is_empty(),
                    "{name}: {} has no grant for {operation:?}",
                    identity.name
                );
                check_permissions(&name, &identity, operation, &roles);
            }
        }
        assert!(
            rendered.values().all(BTreeSet::is_empty),
            "{name}: grants to identities the model does not have: {rendered:#?}"
        );
    }
}

/// Permissions of the predefined roles scaffold grants: the ones the checks below need,
/// from the role dataset darkbitio/gcp-iam-role-permissions (August 2026).
const ROLE_PERMISSIONS: &[(&str, &[&str])] = &[
    (
        "roles/artifactregistry.writer",
        &[
            "artifactregistry.repositories.uploadArtifacts",
            "artifactregistry.repositories.downloadArtifacts",
        ],
    ),
    (
        "roles/storage.objectViewer",
        &["storage.objects.get", "storage.objects.list"],
    ),
    (
        "roles/storage.objectUser",
        &[
            "storage.objects.create",
            "storage.objects.delete",
            "storage.objects.get",
            "storage.objects.list",
        ],
    ),
    (
        "roles/container.clusterViewer",
        &[
            "container.clusters.get",
            "container.clusters.list",
            "container.clusters.connect",
        ],
    ),
    (
        "roles/container.admin",
        &[
            "container.clusters.connect",
            "container.namespaces.create",
            "container.clusterRoleBindings.create",
            "container.customResourceDefinitions.create",
        ],
    ),
    (
        "roles/container.clusterAdmin",
        &["container.clusters.create", "container.clusters.update"],
    ),
    (
        "roles/container.viewer",
        &["container.clusters.get", "container.clusters.connect"],
    ),
    (
        "roles/secretmanager.secretAccessor",
        &["secretmanager.versions.access"],
    ),
    (
        "roles/secretmanager.viewer",
        &["secretmanager.secrets.get", "secretmanager.versions.get"],
    ),
    (
        "roles/compute.networkViewer",
        &["compute.networks.get", "compute.firewalls.get"],
    ),
    (
        "roles/compute.networkAdmin",
        &[
            "compute.networks.create",
            "servicenetworking.services.addPeering",
        ],
    ),
    ("roles/compute.securityAdmin", &["compute.firewalls.create"]),
    (
        "roles/cloudkms.admin",
        &[
            "cloudkms.cryptoKeys.create",
            "cloudkms.cryptoKeys.setIamPolicy",
        ],
    ),
    ("roles/cloudkms.viewer", &["cloudkms.cryptoKeys.get"]),
    (
        "roles/cloudsql.admin",
        &["cloudsql.instances.create", "cloudsql.users.create"],
    ),
    (
        "roles/cloudsql.viewer",
        &["cloudsql.instances.get", "cloudsql.users.list"],
    ),
    (
        "roles/redis.admin",
        &["redis.instances.create", "redis.instances.getAuthString"],
    ),
    ("roles/redis.viewer", &["redis.instances.get"]),
    (
        access::REDIS_AUTH_READER_ROLE_ID,
        &["redis.instances.getAuthString"],
    ),
    (
        "roles/secretmanager.admin",
        &[
            "secretmanager.secrets.create",
            "secretmanager.versions.add",
            "secretmanager.secrets.setIamPolicy",
        ],
    ),
    (
        "roles/iam.securityReviewer",
        &[
            "resourcemanager.projects.getIamPolicy",
            "iam.serviceAccounts.getIamPolicy",
        ],
    ),
    (
        "roles/iam.serviceAccountUser",
        &["iam.serviceAccounts.actAs"],
    ),
    (
        "roles/iam.serviceAccountAdmin",
        &["iam.serviceAccounts.setIamPolicy"],
    ),
    (
        "roles/serviceusage.serviceUsageConsumer",
        &["serviceusage.services.use"],
    ),
];

/// Permissions the same dataset says a read-only role does NOT hold.
const ROLE_LACKS: &[(&str, &[&str])] = &[
    ("roles/container.viewer", &["container.secrets.get"]),
    (
        "roles/secretmanager.viewer",
        &["secretmanager.versions.access"],
    ),
    (
        "roles/cloudkms.viewer",
        &["cloudkms.cryptoKeyVersions.useToDecrypt"],
    ),
];

fn permissions(roles: &BTreeSet<&str>) -> BTreeSet<&'static str> {
    ROLE_PERMISSIONS
        .iter()
        .filter(|(role, _)| roles.contains(role))
        .flat_map(|(_, permissions)| permissions.iter().copied())
        .collect()
}

/// What each operation needs, checked against the roles the mapping chose for it.
fn check_permissions(
    name: &str,
    identity: &Identity,
    operation: &Operation,
    roles: &BTreeSet<&str>,
) {
    let needs: &[&str] = match operation {
        Operation::PushImages => &["artifactregistry.repositories.uploadArtifacts"],
        Operation::ReadState => &["storage.objects.get", "storage.objects.list"],
        Operation::LockState => &["storage.objects.create", "storage.objects.delete"],
        Operation::WriteState => &["storage.objects.create", "storage.objects.delete"],
        Operation::ReadInfrastructure => &[
            "container.clusters.get",
            "compute.networks.get",
            "resourcemanager.projects.getIamPolicy",
        ],
        Operation::ManageInfrastructure => &[
            "container.clusters.create",
            "compute.networks.create",
            "compute.firewalls.create",
            "iam.serviceAccounts.actAs",
        ],
        Operation::AdministerCluster => &[
            "container.namespaces.create",
            "container.clusterRoleBindings.create",
            "container.customResourceDefinitions.create",
        ],
        Operation::GetClusterCredentials => {
            &["container.clusters.get", "container.clusters.connect"]
        }
        Operation::UseNamespace { .. } => &[],
        Operation::ReadSecret { .. } => &["secretmanager.versions.access"],
    };
    let held = permissions(roles);
    for need in needs {
        assert!(
            held.contains(need),
            "{name}: {} lacks {need} for {operation:?} (roles {roles:?})",
            identity.name
        );
    }
    if *operation == Operation::ReadInfrastructure {
        for (role, lacks) in ROLE_LACKS {
            assert!(
                !roles.contains(role) || !lacks.iter().any(|p| held.contains(p)),
                "{name}: {role}"
            );
        }
        for role in roles {
            assert!(
                *role != "roles/secretmanager.secretAccessor"
                    && *role != "roles/container.developer",
                "{name}: a plan identity may read secret values through {role}"
            );
        }
    }
}

#[test]
fn apply_identities_administer_no_iam() {
    const IAM_ADMINISTRATION: &[&str] = &[
        "roles/owner",
        "roles/editor",
        "roles/resourcemanager.projectIamAdmin",
        "roles/iam.securityAdmin",
        "roles/iam.roleAdmin",
        "roles/iam.serviceAccountAdmin",
        "roles/iam.serviceAccountUser",
        "roles/iam.serviceAccountTokenCreator",
        "roles/iam.workloadIdentityPoolAdmin",
    ];
    for (name, project) in projects() {
        let files = terraform(&project);
        let identities = bootstrap_identities(&files);
        for env in &project.environments {
            let apply = &identities[&env.names.terraform_identity];
            // The environment's workload identities (its services' and the database setup
            // Jobs') and its nodes' account.
            let own: BTreeSet<String> = project
                .identities()
                .into_iter()
                .filter(|i| {
                    i.purpose == Purpose::Workload && i.environment.as_deref() == Some(&env.name)
                })
                .map(|i| i.name)
                .chain([access::node_service_account(env)])
                .collect();
            for (role, target) in &apply.grants {
                match target {
                    Target::Project { environment } => {
                        assert_eq!(environment, &env.name, "{name}");
                        assert!(
                            !IAM_ADMINISTRATION.contains(&role.as_str()),
                            "{name}: {} holds {role} on a project",
                            env.names.terraform_identity
                        );
                    }
                    Target::ServiceAccount { account } => assert!(
                        own.contains(account),
                        "{name}: {} holds {role} on {account}, not one of its environment's accounts",
                        env.names.terraform_identity
                    ),
                    Target::StateBucket { .. } => {}
                    other => panic!("{name}: unexpected grant {role} on {other:?}"),
                }
            }
        }
    }
}

/// The objects of `env`'s state, the platform root's, another environment's and the bootstrap's.
#[test]
fn state_conditions_keep_each_identity_in_its_environment() {
    for (name, project) in projects() {
        let files = terraform(&project);
        let identities = bootstrap_identities(&files);
        let bucket = &project.names.state_bucket;
        let object = |path: &str| {
            BTreeMap::from([
                (
                    "resource.name".to_owned(),
                    format!("projects/_/buckets/{bucket}/objects/{path}"),
                ),
                (
                    "resource.type".to_owned(),
                    "storage.googleapis.com/Object".to_owned(),
                ),
            ])
        };
        for env in &project.environments {
            let other = project
                .environments
                .iter()
                .find(|e| e.name != env.name)
                .map_or("elsewhere", |e| e.name.as_str());
            let may = |account: &str, role: &str, path: &str| {
                identities[account].grants.iter().any(|(r, target)| {
                    let Target::StateBucket { expression, .. } = target else {
                        return false;
                    };
                    let expression = expression.replace(
                        "${local.state_objects}",
                        &format!("projects/_/buckets/{bucket}/objects"),
                    );
                    r == role && cel::admits(&expression, &object(path))
                })
            };
            let e = &env.name;
            let plan = env.names.plan_identity.as_str();
            let apply = env.names.terraform_identity.as_str();
            let (read, write) = ("roles/storage.objectViewer", "roles/storage.objectUser");
            for path in [
                format!("{e}/default.tfstate"),
                format!("{e}/platform/default.tfstate"),
            ] {
                assert!(may(plan, read, &path), "{name}: {plan} reads {path}");
                assert!(
                    !may(plan, write, &path),
                    "{name}: {plan} must not write {path}"
                );
                assert!(may(apply, write, &path), "{name}: {apply} writes {path}");
            }
            assert!(may(plan, write, &format!("{e}/default.tflock")), "{name}");
            for path in [
                format!("{other}/default.tfstate"),
                format!("{other}/default.tflock"),
                "bootstrap/default.tfstate".to_owned(),
                format!("{e}x/default.tfstate"),
            ] {
                for account in [plan, apply] {
                    assert!(!may(account, read, &path), "{name}: {account} reads {path}");
                    assert!(
                        !may(account, write, &path),
                        "{name}: {account} writes {path}"
                    );
                }
            }
        }
    }
}

#[test]
fn every_service_account_is_created_once_by_the_bootstrap() {
    for (name, project) in projects() {
        let files = terraform(&project);
        let workloads: BTreeSet<String> = project
            .identities()
            .into_iter()
            .filter(|i| i.purpose == Purpose::Workload)
            .map(|i| i.name)
            .collect();
        assert_eq!(
            account_keys(&files, "workload_accounts"),
            workloads,
            "{name}"
        );
        let nodes: BTreeSet<String> = project
            .environments
            .iter()
            .map(access::node_service_account)
            .collect();
        assert_eq!(account_keys(&files, "node_accounts"), nodes, "{name}");
        let all: Vec<String> = account_keys(&files, "github_identities")
            .into_iter()
            .chain(workloads)
            .chain(nodes)
            .collect();
        let unique: BTreeSet<&String> = all.iter().collect();
        assert_eq!(
            unique.len(),
            all.len(),
            "{name}: an account id is used twice"
        );
        for account in &all {
            assert!((6..=30).contains(&account.len()), "{name}: {account}");
        }
        // No environment root creates a service account.
        for (path, text) in &files {
            if path.starts_with("infra/environments/") || path.starts_with("infra/modules/cluster/")
            {
                assert!(
                    !text.contains("resource \"google_service_account\""),
                    "{name}: {path} creates a service account"
                );
            }
        }
    }
}

// ---- Datastores ----

/// The keys of the `jsonencode({...})` object of a secret version.
fn secret_keys(body: &Body, resource: &str) -> BTreeSet<String> {
    let version = block(
        body,
        "resource",
        &["google_secret_manager_secret_version", resource],
    )
    .unwrap_or_else(|| panic!("no secret version {resource}"));
    let Expression::FuncCall(call) = attribute(version, "secret_data_wo") else {
        panic!("{resource}: secret_data_wo is not jsonencode(...)");
    };
    assert_eq!(call.name.name.as_str(), "jsonencode");
    entries(call.args.iter().next().expect("one argument"))
        .into_iter()
        .map(|(k, _)| k)
        .collect()
}

#[test]
fn every_datastore_secret_holds_exactly_its_properties_written_once() {
    for (name, project) in projects() {
        if project.datastores.is_empty() {
            continue;
        }
        let files = terraform(&project);
        let module = body(&files, "infra/modules/datastores/main.tf");
        for ds in &project.datastores {
            let ident = ds.name.replace('-', "_");
            let expected: BTreeSet<String> = ds
                .secret_properties
                .iter()
                .map(|p| p.key().to_owned())
                .collect();
            assert_eq!(
                secret_keys(&module, &ident),
                expected,
                "{name}: {}",
                ds.name
            );
            if ds.engine.is_database() {
                assert_eq!(
                    secret_keys(&module, &format!("{ident}_admin")),
                    expected,
                    "{name}: {} admin",
                    ds.name
                );
            }
            // The port clients use is the table's, in every form of the secret.
            let text = &files["infra/modules/datastores/main.tf"];
            assert!(
                text.contains(&format!(":{}/", ds.cloud_port)),
                "{name}: {} URL port",
                ds.name
            );
            assert!(
                text.contains(&format!("\"{}\"", ds.cloud_version.api)),
                "{name}: {} version",
                ds.name
            );
        }
        // No generated secret is in an argument Terraform stores in the state.
        let text = &files["infra/modules/datastores/main.tf"];
        assert!(!text.contains("resource \"random_password\""), "{name}");
        for block in module.blocks().filter(|b| b.ident.as_str() == "resource") {
            for stored in ["secret_data", "password", "root_password"] {
                assert!(
                    block.body.get_attribute(stored).is_none(),
                    "{name}: {} sets {stored}",
                    block.labels.iter().map(label).collect::<Vec<_>>().join(".")
                );
            }
        }
    }
}

/// Every property an `ExternalSecret` reads (a service's, or the database setup Jobs', which
/// read the administrator's secret too) is a key of the JSON object Terraform writes to that
/// very secret.
#[test]
fn external_secrets_read_only_keys_terraform_writes() {
    let mut setups = 0;
    for (name, project) in projects() {
        let files = render_family(&project, "kubernetes").expect("kubernetes renders");
        let terraform = terraform(&project);
        let module = (!project.datastores.is_empty())
            .then(|| body(&terraform, "infra/modules/datastores/main.tf"));
        for env in &project.environments {
            for file in ["secrets.yaml", "database-setup.yaml"] {
                let path = format!("{}/{file}", env.names.overlay_dir);
                let Some(text) = files.get(&path) else {
                    continue;
                };
                for doc in serde_yaml_ng::Deserializer::from_str(text) {
                    let value: serde_yaml_ng::Value =
                        serde::Deserialize::deserialize(doc).expect("yaml");
                    if value["kind"] != "ExternalSecret" {
                        continue;
                    }
                    if file == "database-setup.yaml" {
                        setups += 1;
                    }
                    for entry in value["spec"]["data"].as_sequence().expect("data") {
                        let key = entry["remoteRef"]["key"].as_str().expect("key");
                        let (resource, ds) = env
                            .datastores
                            .iter()
                            .find_map(|d| {
                                let ident = d.datastore.replace('-', "_");
                                if d.secret == key {
                                    Some((ident, d))
                                } else if d.admin_secret == key {
                                    Some((format!("{ident}_admin"), d))
                                } else {
                                    None
                                }
                            })
                            .unwrap_or_else(|| {
                                panic!("{name} {path}: {key} is no datastore secret")
                            });
                        let property =
                            entry["remoteRef"]["property"].as_str().unwrap_or_else(|| {
                                panic!("{name} {path}: {key} is read whole, but holds JSON")
                            });
                        let written =
                            secret_keys(module.as_ref().expect("a datastores module"), &resource);
                        assert!(
                            written.contains(property),
                            "{name} {path}: Terraform writes no `{property}` to {key} ({} writes {written:?})",
                            ds.datastore
                        );
                    }
                }
            }
        }
    }
    assert!(
        setups > 0,
        "no example renders a database setup ExternalSecret"
    );
}

// ---- Cluster ----

#[test]
fn clusters_have_the_sizes_and_locations_the_model_states() {
    for (name, project) in projects() {
        let files = terraform(&project);
        for env in &project.environments {
            let root = body(&files, &format!("{}/main.tf", env.names.terraform_dir));
            let cluster = block(&root, "module", &["cluster"]).expect("module cluster");
            let number = |attr: &str| attribute(cluster, attr).to_string().trim().to_owned();
            assert_eq!(
                number("nodes_min"),
                env.sizing.nodes_min.to_string(),
                "{name}"
            );
            assert_eq!(
                number("nodes_max"),
                env.sizing.nodes_max.to_string(),
                "{name}"
            );
            assert_eq!(
                text(attribute(cluster, "node_type")),
                env.sizing.node_type,
                "{name}"
            );
            assert_eq!(
                text(attribute(cluster, "location")),
                env.cluster_location,
                "{name}"
            );
            assert_eq!(number("regional"), env.production.to_string(), "{name}");
            assert_eq!(
                env.cluster_location == project.cloud.region,
                env.production,
                "{name}: non-production clusters are zonal"
            );
            let external = number("dns_endpoint_external");
            assert_eq!(
                external == "true",
                project.delivery.runners == scaffold_core::Runners::GithubHosted,
                "{name}: the DNS endpoint is reachable from GitHub-hosted runners only when they are used"
            );
        }
        // The handbook states the sizes that are rendered.
        let docs = render_family(&project, "docs").expect("docs render");
        let handbook = &docs[crate::docs::HANDBOOK_PATH];
        let row: String = project
            .environments
            .iter()
            .map(|e| {
                format!(
                    " {} to {} × `{}` |",
                    e.sizing.nodes_min, e.sizing.nodes_max, e.sizing.node_type
                )
            })
            .collect();
        assert!(
            handbook.contains(&format!("| Nodes |{row}")),
            "{name}: the handbook's node sizes are not the rendered ones"
        );
        // The control plane reaches every webhook of every add-on some cluster runs, and
        // only on the ports GKE admits it on anyway.
        let module = body(&files, "infra/modules/cluster/main.tf");
        let rule = block(
            &module,
            "resource",
            &["google_compute_firewall", "webhooks"],
        )
        .expect("the webhook firewall rule");
        let allow = rule
            .body
            .get_blocks("allow")
            .next()
            .expect("an allow block");
        assert_eq!(text(attribute(allow, "protocol")), "tcp", "{name}");
        let allowed: BTreeSet<u16> = items(attribute(allow, "ports"))
            .into_iter()
            .map(|p| text(p).parse().expect("a port"))
            .collect();
        let webhooks: BTreeSet<u16> = project
            .environments
            .iter()
            .flat_map(|e| project.addons(e))
            .filter_map(|a| a.webhook_port)
            .collect();
        assert_eq!(allowed, webhooks, "{name}: webhook ports");
        for port in &allowed {
            assert!(
                scaffold_core::platform::CONTROL_PLANE_PORTS.contains(port),
                "{name}: a webhook on {port}, which GKE's control plane cannot reach"
            );
        }
    }
}

// ---- Workload identities across families ----

/// The `(ServiceAccount, annotation key, value)` the deploy job of `env` annotates, and the
/// `SecretStore`s whose project it sets, read from the rendered `deploy.yml`.
fn deploy_annotations(
    deploy: &serde_yaml_ng::Value,
    env: &str,
) -> (BTreeSet<(String, String, String)>, BTreeSet<String>) {
    let steps = deploy["jobs"][format!("deploy-{env}").as_str()]["steps"]
        .as_sequence()
        .unwrap_or_else(|| panic!("no job deploy-{env}"));
    let script = steps
        .iter()
        .find(|s| s["name"] == "Set image digests and workload identities")
        .and_then(|s| s["run"].as_str())
        .unwrap_or_else(|| panic!("deploy-{env} sets no workload identities"));
    let mut annotations = BTreeSet::new();
    let mut stores = BTreeSet::new();
    // `set_project <store>` patches the SecretStore's Secret Manager project.
    let set_project = r#"set_project() {
  kustomize edit add patch --kind SecretStore --name "$1" --patch \
    "{\"apiVersion\":\"external-secrets.io/v1\",\"kind\":\"SecretStore\",\"metadata\":{\"name\":\"$1\"},\"spec\":{\"provider\":{\"gcpsm\":{\"projectID\":\"$GCP_PROJECT_ID\"}}}}"
}"#;
    for line in script.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words[..] {
            ["annotate", account, key, value] => {
                annotations.insert((
                    account.to_owned(),
                    key.to_owned(),
                    value.trim_matches('"').to_owned(),
                ));
            }
            ["set_project", store] => {
                stores.insert(store.to_owned());
            }
            _ => {}
        }
    }
    let calls_set_project = script.lines().any(|l| l.trim().starts_with("set_project "));
    assert!(
        !calls_set_project || script.contains(set_project),
        "deploy-{env} calls set_project without defining it:\n{script}"
    );
    (annotations, stores)
}

/// Each Kubernetes ServiceAccount a Terraform binding lets act as a Google service account
/// (every service's, and `database-setup`'s) is annotated by the deploy job with exactly
/// that account, in the namespace the binding names; every `SecretStore` the overlay
/// authenticates through a ServiceAccount uses a bound one and gets its project set.
#[test]
fn deploy_annotates_each_service_account_with_the_account_terraform_binds() {
    let mut setups = 0;
    for (name, project) in projects() {
        let terraform = terraform(&project);
        let github = render_family(&project, "github").expect("github renders");
        let kubernetes = render_family(&project, "kubernetes").expect("kubernetes renders");
        let deploy: serde_yaml_ng::Value =
            serde_yaml_ng::from_str(&github[".github/workflows/deploy.yml"]).expect("deploy.yml");
        let module = body(&terraform, "infra/modules/workload-identity/main.tf");
        let binding = block(
            &module,
            "resource",
            &["google_service_account_iam_member", "workload_identity"],
        )
        .expect("the workload identity binding");
        assert_eq!(
            text(attribute(binding, "member")),
            "serviceAccount:${var.workload_pool}[${var.namespace}/${var.kubernetes_service_account}]",
            "{name}"
        );
        for env in &project.environments {
            let root = body(&terraform, &format!("{}/main.tf", env.names.terraform_dir));
            let identities = block(&root, "module", &["workload_identity"]).expect("module");
            assert_eq!(
                text(attribute(identities, "namespace")),
                env.names.namespace,
                "{name}"
            );
            assert_eq!(
                text(attribute(identities, "service_account")),
                "${each.value.account_id}@${var.project_id}.iam.gserviceaccount.com",
                "{name}"
            );
            // Kubernetes ServiceAccount -> Google service account id, as Terraform binds them.
            let bound: BTreeMap<String, String> = entries(local(&root, "workloads"))
                .into_iter()
                .map(|(_, w)| {
                    (
                        text(field(w, "kubernetes_service_account")),
                        text(field(w, "account_id")),
                    )
                })
                .collect();
            let (annotations, patched_stores) = deploy_annotations(&deploy, &env.name);
            let annotated: BTreeMap<String, String> = annotations
                .iter()
                .map(|(account, key, value)| {
                    assert_eq!(key, "iam.gke.io/gcp-service-account", "{name}");
                    let id = value
                        .strip_suffix("@${GCP_PROJECT_ID}.iam.gserviceaccount.com")
                        .unwrap_or_else(|| panic!("{name}: {value} is no service account e-mail"));
                    (account.clone(), id.to_owned())
                })
                .collect();
            assert_eq!(annotated, bound, "{name} {}", env.name);
            // The ServiceAccounts and SecretStores the manifests of this environment hold.
            let mut service_accounts = BTreeSet::new();
            let mut stores = BTreeMap::new();
            for (path, text) in &kubernetes {
                let in_env = path.starts_with(&format!("{}/", env.names.overlay_dir))
                    || path.contains("/base/");
                if !in_env || !path.ends_with(".yaml") {
                    continue;
                }
                for doc in serde_yaml_ng::Deserializer::from_str(text) {
                    let Ok(value) = <serde_yaml_ng::Value as serde::Deserialize>::deserialize(doc)
                    else {
                        continue;
                    };
                    let object = value["metadata"]["name"].as_str().unwrap_or_default();
                    if value["kind"] == "ServiceAccount" {
                        service_accounts.insert(object.to_owned());
                    } else if value["kind"] == "SecretStore" {
                        let account = &value["spec"]["provider"]["gcpsm"]["auth"]["workloadIdentity"]
                            ["serviceAccountRef"]["name"];
                        stores.insert(
                            object.to_owned(),
                            account
                                .as_str()
                                .expect("gcpsm workload identity")
                                .to_owned(),
                        );
                    }
                }
            }
            for account in bound.keys() {
                assert!(
                    service_accounts.contains(account),
                    "{name} {}: Terraform binds {account}, which no manifest creates",
                    env.name
                );
            }
            for (store, account) in &stores {
                assert!(
                    bound.contains_key(account),
                    "{name} {}: SecretStore {store} authenticates as {account}, which no Google service account trusts",
                    env.name
                );
                assert!(
                    patched_stores.contains(store),
                    "{name} {}: the deploy job never sets the project of SecretStore {store}",
                    env.name
                );
            }
            if bound.contains_key(scaffold_core::names::DATABASE_SETUP) {
                setups += 1;
            }
        }
    }
    assert!(
        setups > 0,
        "no example binds the database setup ServiceAccount"
    );
}
