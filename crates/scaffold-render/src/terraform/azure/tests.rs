//! Tests of the Azure Terraform, computed from the rendered HCL of every Azure example.
//!
//! Each test parses the rendered files with `hcl-edit` and compares what they say (which
//! identities exist, which tokens they accept, which roles they hold, which keys a secret
//! has) with the access model and the datastore table in core. Removing a grant, widening a
//! trust or adding an unused role in a template makes one of them fail.

use std::collections::{BTreeMap, BTreeSet};

use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::structure::{Block, BlockLabel, Body};
use scaffold_core::access::{self, Operation, Purpose};
use scaffold_core::{Project, Provider};

use super::grants::{self, DELEGABLE_ROLES};
use super::{AZURERM_VERSION, state_prefix};
use crate::Files;
use crate::test_support::example_projects;

/// Every Azure example, rendered.
fn azure_examples() -> Vec<(String, Project, Files)> {
    let examples: Vec<_> = example_projects()
        .into_iter()
        .filter(|(_, p)| p.cloud.provider == Provider::Azure)
        .map(|(name, project)| {
            let files = crate::render(&project).expect("renders");
            (name, project, files)
        })
        .collect();
    assert!(examples.len() >= 3, "the Azure examples are missing");
    examples
}

/// A simplified HCL value: literals resolved, everything else kept as its text.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Str(String),
    List(Vec<Value>),
    Map(BTreeMap<String, Value>),
    Null,
    Expr(String),
}

impl Value {
    fn of(expr: &Expression) -> Value {
        match expr {
            Expression::String(text) => Value::Str(text.as_str().to_owned()),
            Expression::Null(_) => Value::Null,
            Expression::Array(items) => Value::List(items.iter().map(Value::of).collect()),
            Expression::Object(object) => Value::Map(
                object
                    .iter()
                    .map(|(key, value)| {
                        let key = match key {
                            ObjectKey::Ident(ident) => ident.as_str().to_owned(),
                            ObjectKey::Expression(Expression::String(text)) => {
                                text.as_str().to_owned()
                            }
                            ObjectKey::Expression(other) => other.to_string().trim().to_owned(),
                        };
                        (key, Value::of(value.expr()))
                    })
                    .collect(),
            ),
            other => Value::Expr(other.to_string().trim().to_owned()),
        }
    }

    fn str(&self) -> &str {
        match self {
            Value::Str(text) => text,
            other => panic!("expected a string, got {other:?}"),
        }
    }

    fn map(&self) -> &BTreeMap<String, Value> {
        match self {
            Value::Map(map) => map,
            other => panic!("expected an object, got {other:?}"),
        }
    }

    fn strings(&self) -> Vec<String> {
        match self {
            Value::List(items) => items.iter().map(|v| v.str().to_owned()).collect(),
            other => panic!("expected a list, got {other:?}"),
        }
    }

    fn expr(&self) -> String {
        match self {
            Value::Expr(text) => text.clone(),
            Value::Str(text) => text.clone(),
            other => panic!("expected an expression, got {other:?}"),
        }
    }
}

fn parse(files: &Files, path: &str) -> Body {
    files
        .get(path)
        .unwrap_or_else(|| panic!("{path} is not rendered"))
        .parse()
        .unwrap_or_else(|err| panic!("{path}: {err}"))
}

fn label(block: &Block, index: usize) -> Option<String> {
    block.labels.get(index).map(|label| match label {
        BlockLabel::String(text) => text.as_str().to_owned(),
        BlockLabel::Ident(ident) => ident.as_str().to_owned(),
    })
}

/// The value of local `name` in `body`.
fn local(body: &Body, name: &str) -> Value {
    body.blocks()
        .filter(|b| b.ident.as_str() == "locals")
        .find_map(|b| b.body.get_attribute(name))
        .map(|a| Value::of(&a.value))
        .unwrap_or_else(|| panic!("no local {name}"))
}

/// The blocks `ident "label0" "label1"`.
fn blocks<'a>(body: &'a Body, ident: &str, labels: &[&str]) -> Vec<&'a Block> {
    body.blocks()
        .filter(|b| {
            b.ident.as_str() == ident
                && labels
                    .iter()
                    .enumerate()
                    .all(|(i, l)| label(b, i).as_deref() == Some(*l))
        })
        .collect()
}

fn attribute(block: &Block, name: &str) -> Value {
    block
        .body
        .get_attribute(name)
        .map(|a| Value::of(&a.value))
        .unwrap_or_else(|| panic!("{} has no {name}", block.ident.as_str()))
}

/// One identity as the rendered Terraform declares it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Rendered {
    purpose: Purpose,
    environment: Option<String>,
    name: String,
    subjects: BTreeSet<String>,
}

/// Every GitHub identity the rendered files create, with the subjects its credentials accept,
/// and every workload identity (no GitHub subjects).
fn rendered_identities(project: &Project, files: &Files) -> Vec<Rendered> {
    let mut out = Vec::new();
    let bootstrap = parse(files, "infra/bootstrap/main.tf");
    for (key, entry) in local(&bootstrap, "github_identities").map() {
        let entry = entry.map();
        let purpose = match entry["purpose"].str() {
            "build" => Purpose::Build,
            "plan" => Purpose::Plan,
            "apply" => Purpose::Apply,
            other => panic!("{key}: unknown purpose {other}"),
        };
        out.push(Rendered {
            purpose,
            environment: match &entry["environment"] {
                Value::Str(env) => Some(env.clone()),
                _ => None,
            },
            name: entry["name"].str().to_owned(),
            subjects: entry["subjects"].strings().into_iter().collect(),
        });
    }
    for env in &project.environments {
        let main = parse(files, &format!("{}/main.tf", env.names.terraform_dir));
        for module in blocks(&main, "module", &["ci_identity"]) {
            out.push(Rendered {
                purpose: Purpose::Deploy,
                environment: Some(env.name.clone()),
                name: attribute(module, "name").str().to_owned(),
                subjects: [attribute(module, "oidc_subject").str().to_owned()].into(),
            });
        }
        if !project.services.is_empty() {
            for service in local(&main, "services").map().values() {
                out.push(Rendered {
                    purpose: Purpose::Workload,
                    environment: Some(env.name.clone()),
                    name: service.map()["identity"].str().to_owned(),
                    subjects: BTreeSet::new(),
                });
            }
        }
    }
    // The credential resources create one credential per subject of the map, and the modules
    // one per identity: check the rendered resources really iterate what was read above.
    let credential = blocks(
        &bootstrap,
        "resource",
        &["azurerm_federated_identity_credential", "github"],
    );
    assert_eq!(
        attribute(credential[0], "for_each").expr(),
        "local.github_credentials"
    );
    out.sort();
    out
}

#[test]
fn every_identity_exists_with_exactly_the_tokens_of_the_model() {
    for (name, project, files) in azure_examples() {
        let mut expected: Vec<Rendered> = project
            .identities()
            .into_iter()
            .map(|identity| Rendered {
                purpose: identity.purpose,
                environment: identity.environment.clone(),
                name: identity.name.clone(),
                subjects: identity.tokens.iter().map(|t| t.subject.clone()).collect(),
            })
            .collect();
        expected.sort();
        assert_eq!(
            rendered_identities(&project, &files),
            expected,
            "{name}: the rendered identities and their tokens differ from the access model"
        );
    }
}

#[test]
fn no_two_rendered_identities_of_different_purposes_accept_the_same_token() {
    for (name, project, files) in azure_examples() {
        let mut by_subject: BTreeMap<String, BTreeSet<(Purpose, Option<String>)>> = BTreeMap::new();
        for identity in rendered_identities(&project, &files) {
            for subject in identity.subjects {
                by_subject
                    .entry(subject)
                    .or_default()
                    .insert((identity.purpose, identity.environment.clone()));
            }
        }
        for (subject, holders) in by_subject {
            assert_eq!(
                holders.len(),
                1,
                "{name}: {subject} is accepted by {holders:?}"
            );
        }
    }
}

/// Every role assignment of a model identity in the rendered files, as (identity name, role).
fn rendered_grants(project: &Project, files: &Files) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    let bootstrap = parse(files, "infra/bootstrap/main.tf");
    let identities = local(&bootstrap, "github_identities");
    for (key, entry) in local(&bootstrap, "role_assignments").map() {
        let entry = entry.map();
        let identity = identities.map()[entry["identity"].str()].map()["name"]
            .str()
            .to_owned();
        assert!(
            key.starts_with(entry["identity"].str()),
            "{key} is keyed by another identity"
        );
        out.insert((identity, entry["role"].str().to_owned()));
    }
    let module_roles = |path: &str| -> Vec<String> {
        let body = parse(files, path);
        blocks(&body, "resource", &["azurerm_role_assignment"])
            .into_iter()
            .map(|b| attribute(b, "role_definition_name").str().to_owned())
            .collect()
    };
    let deploy_roles = module_roles("infra/modules/ci-identity/main.tf");
    let workload_roles = module_roles("infra/modules/workload-identity/main.tf");
    for identity in project.identities() {
        let roles = match identity.purpose {
            Purpose::Deploy => &deploy_roles,
            // A workload identity holds its module's role on each secret it reads, and
            // nothing when it reads none (the module's for_each is then empty).
            Purpose::Workload if !identity.operations.is_empty() => &workload_roles,
            _ => continue,
        };
        for role in roles {
            out.insert((identity.name.clone(), role.clone()));
        }
    }
    out
}

#[test]
fn every_grant_is_rendered_from_the_one_mapping_and_nothing_else() {
    for (name, project, files) in azure_examples() {
        let expected: BTreeSet<(String, String)> = project
            .identities()
            .iter()
            .flat_map(|identity| {
                grants::all_grants(&project, identity)
                    .into_iter()
                    .map(|g| (identity.name.clone(), g.role.name(&project.app.name)))
            })
            .collect();
        let rendered = rendered_grants(&project, &files);
        let missing: Vec<_> = expected.difference(&rendered).collect();
        let extra: Vec<_> = rendered.difference(&expected).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{name}: grants the mapping gives but Terraform lacks: {missing:?}; grants Terraform holds that the mapping does not give: {extra:?}"
        );
    }
}

#[test]
fn every_operation_is_granted_and_every_grant_serves_an_operation_or_an_exception() {
    for (name, project, files) in azure_examples() {
        for identity in project.identities() {
            let operation_grants = grants::grants(&project, &identity);
            for operation in &identity.operations {
                let granted = operation_grants
                    .iter()
                    .any(|g| g.operations.contains(operation));
                match operation {
                    // Kubernetes RBAC in the platform root, bound to the deploy identity's
                    // object id, which the environment root must hand over.
                    Operation::UseNamespace { .. } => {
                        assert!(!granted, "{name}: namespace rights are not Azure roles");
                        let env = identity.environment.as_deref().expect("deploy env");
                        let outputs = &files[&format!("infra/environments/{env}/outputs.tf")];
                        assert!(
                            outputs.contains("output \"deploy_principal_id\""),
                            "{name}: {env} does not output the deploy identity's object id"
                        );
                    }
                    _ => assert!(
                        granted,
                        "{name}: {} ({:?}) performs {operation:?}, which no grant serves",
                        identity.name, identity.purpose
                    ),
                }
            }
            for grant in &operation_grants {
                assert!(
                    !grant.operations.is_empty()
                        && grant
                            .operations
                            .iter()
                            .all(|op| identity.operations.contains(op)),
                    "{name}: {} holds {:?} for operations it does not perform: {:?}",
                    identity.name,
                    grant.role,
                    grant.operations
                );
            }
            for (grant, exception) in grants::exception_grants(&project, &identity) {
                assert!(grant.operations.is_empty());
                assert_eq!(exception.purpose, identity.purpose);
                assert!(access::EXCEPTIONS.contains(exception));
            }
        }
    }
}

#[test]
fn the_deploy_identity_can_only_fetch_a_kubeconfig_in_azure() {
    for (name, _, files) in azure_examples() {
        let body = parse(&files, "infra/modules/ci-identity/main.tf");
        let roles: Vec<_> = blocks(&body, "resource", &["azurerm_role_assignment"])
            .into_iter()
            .map(|b| {
                (
                    attribute(b, "role_definition_name").str().to_owned(),
                    attribute(b, "scope").expr(),
                )
            })
            .collect();
        assert_eq!(
            roles,
            vec![(
                "Azure Kubernetes Service Cluster User Role".to_owned(),
                "var.cluster_id".to_owned()
            )],
            "{name}"
        );
    }
}

/// Role definition ids that would let an identity grant itself or others anything.
const PRIVILEGED_ROLE_IDS: &[(&str, &str)] = &[
    ("Owner", "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"),
    ("Contributor", "b24988ac-6180-42a0-ab88-20f7382dd24c"),
    (
        "User Access Administrator",
        "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
    ),
    (
        "Role Based Access Control Administrator",
        "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
    ),
    (
        "Azure Kubernetes Service RBAC Cluster Admin",
        "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b",
    ),
    (
        "Key Vault Administrator",
        "00482a5a-887f-4fb3-b363-3b7fe8e74483",
    ),
];

#[test]
fn apply_identities_cannot_grant_themselves_more_or_reach_other_environments() {
    for (name, project, files) in azure_examples() {
        let bootstrap = parse(&files, "infra/bootstrap/main.tf");
        let delegable: Vec<String> = match local(&bootstrap, "delegable_role_ids") {
            Value::List(ids) => ids.iter().map(|v| v.str().to_owned()).collect(),
            other => panic!("{other:?}"),
        };
        let expected: Vec<String> = DELEGABLE_ROLES.iter().map(|r| r.id.to_owned()).collect();
        assert_eq!(delegable, expected, "{name}");
        for (role, id) in PRIVILEGED_ROLE_IDS {
            assert!(
                !delegable.contains(&(*id).to_owned()),
                "{name}: apply identities may assign {role}"
            );
        }
        let identities = local(&bootstrap, "github_identities");
        let conditions = local(&bootstrap, "delegation_conditions");
        for (key, entry) in local(&bootstrap, "role_assignments").map() {
            let entry = entry.map();
            let role = entry["role"].str();
            let identity = identities.map()[entry["identity"].str()].map();
            let scope = entry["scope"].expr();
            // No identity of the bootstrap holds a role at subscription scope.
            assert!(
                !scope.contains("subscriptions/") && !scope.contains("var.subscription_id"),
                "{name}: {key} is scoped to a subscription: {scope}"
            );
            if let Value::Str(env) = &identity["environment"] {
                // An environment's identities reach its own resource group only.
                if scope.starts_with("azurerm_resource_group.") {
                    assert_eq!(
                        scope,
                        format!("azurerm_resource_group.{}.id", env.replace('-', "_")),
                        "{name}: {key}"
                    );
                }
            }
            if role == "Role Based Access Control Administrator" {
                let condition = entry["condition"].expr();
                if condition == "local.registry_pull_condition" {
                    let text = local(&bootstrap, "registry_pull_condition").expr();
                    assert!(text.contains(grants::ACR_PULL.id), "{name}: {text}");
                    continue;
                }
                let env = identity["environment"].str();
                assert_eq!(
                    condition,
                    format!("local.delegation_conditions[\"{env}\"]"),
                    "{name}: {key}"
                );
                let text = conditions.map()[env].expr();
                let own_key = entry["identity"].str();
                assert!(
                    text.contains(&format!(
                        "GuidNotEquals {{${{azurerm_user_assigned_identity.github[\"{own_key}\"].principal_id}}}}"
                    )),
                    "{name}: {key} may assign roles to itself: {text}"
                );
                assert!(
                    text.contains("PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {'ServicePrincipal'}"),
                    "{name}: {key} may assign roles to people"
                );
                // Groups only get the cluster user role (the cluster administrators' groups).
                let group = text
                    .split("StringEqualsIgnoreCase {'Group'}")
                    .nth(1)
                    .unwrap_or_else(|| panic!("{name}: {key}: no group clause"));
                assert!(
                    group.trim_start().trim_start_matches("AND").trim_start().starts_with(&format!(
                        "@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {{{}}}",
                        grants::GROUP_DELEGABLE_ROLE.id
                    )),
                    "{name}: {key} may give groups other roles: {group}"
                );
                assert_eq!(text.matches("'Group'").count(), 1, "{name}: {key}");
                assert_eq!(
                    text.matches("local.delegable_role_ids").count(),
                    2,
                    "{name}: both writes and deletes are constrained"
                );
            }
        }
        // No identity holds a role that assigns roles without a condition, nor Owner or User
        // Access Administrator; only apply identities administer a cluster.
        for identity in project.identities() {
            for grant in grants::all_grants(&project, &identity) {
                let grants::Role::BuiltIn(role) = grant.role else {
                    continue;
                };
                assert!(
                    role != "Owner" && role != "User Access Administrator",
                    "{name}: {} holds {role}",
                    identity.name
                );
                if role == "Role Based Access Control Administrator" {
                    assert!(grant.condition.is_some(), "{name}: {}", identity.name);
                }
                if role == "Azure Kubernetes Service RBAC Cluster Admin" {
                    assert_eq!(
                        identity.purpose,
                        Purpose::Apply,
                        "{name}: {}",
                        identity.name
                    );
                }
            }
        }
    }
}

#[test]
fn state_access_is_scoped_to_the_environments_own_folder() {
    for (name, project, files) in azure_examples() {
        let bootstrap = parse(&files, "infra/bootstrap/main.tf");
        let reads = local(&bootstrap, "state_read_conditions");
        let writes = local(&bootstrap, "state_write_conditions");
        for env in &project.environments {
            let prefix = state_prefix(env);
            // The environment root's and the platform root's state keys are under the prefix;
            // no other environment's key is.
            assert!(env.names.state_key.starts_with(&prefix));
            assert!(format!("{prefix}platform.tfstate").starts_with(&prefix));
            for other in project.environments.iter().filter(|o| o.name != env.name) {
                assert!(
                    !other.names.state_key.starts_with(&prefix),
                    "{name}: {} can read {}",
                    env.name,
                    other.names.state_key
                );
            }
            for (kind, conditions) in [("read", &reads), ("write", &writes)] {
                let text = conditions.map()[&env.name].expr();
                assert_eq!(
                    text.matches(&format!("StringStartsWith '{prefix}'"))
                        .count(),
                    2,
                    "{name}: {kind} condition of {}: {text}",
                    env.name
                );
                assert_eq!(
                    text.contains("blobs/write'"),
                    kind == "write",
                    "{name}: {kind} condition of {}",
                    env.name
                );
            }
        }
        // The state grants use those conditions.
        for (key, entry) in local(&bootstrap, "role_assignments").map() {
            let entry = entry.map();
            if entry["scope"].expr() == "local.state_container_scope" {
                let condition = entry["condition"].expr();
                assert!(
                    condition.starts_with("local.state_read_conditions[")
                        || condition.starts_with("local.state_write_conditions["),
                    "{name}: {key} reaches every environment's state"
                );
                assert_eq!(
                    entry["role"].str() == "Storage Blob Data Contributor",
                    condition.starts_with("local.state_write_conditions["),
                    "{name}: {key}"
                );
            }
        }
    }
}

#[test]
fn secrets_hold_exactly_the_datastore_tables_properties() {
    for (name, project, files) in azure_examples() {
        if project.datastores.is_empty() {
            continue;
        }
        let body = parse(&files, "infra/modules/datastores/main.tf");
        for engine in project
            .datastores
            .iter()
            .map(|d| d.engine)
            .collect::<BTreeSet<_>>()
        {
            let expected: BTreeSet<String> = engine
                .secret_properties(Provider::Azure)
                .iter()
                .map(|p| p.key().to_owned())
                .collect();
            // The datastores of this engine in the project store the same properties.
            for ds in project.datastores.iter().filter(|d| d.engine == engine) {
                let keys: BTreeSet<String> = ds
                    .secret_properties
                    .iter()
                    .map(|p| p.key().to_owned())
                    .collect();
                assert_eq!(keys, expected);
            }
            let mut labels = vec![engine.as_str().to_owned()];
            if engine.is_database() {
                labels.push(format!("{}_admin", engine.as_str()));
            }
            for label in labels {
                let secret = blocks(&body, "resource", &["azurerm_key_vault_secret", &label]);
                assert_eq!(secret.len(), 1, "{name}: no secret {label}");
                let attr = if engine.is_database() {
                    "value_wo"
                } else {
                    "value"
                };
                let keys: BTreeSet<String> =
                    match &secret[0].body.get_attribute(attr).expect(attr).value {
                        Expression::FuncCall(call) => match call.args.iter().next() {
                            Some(Expression::Object(object)) => object
                                .iter()
                                .map(|(key, _)| match key {
                                    ObjectKey::Ident(ident) => ident.as_str().to_owned(),
                                    ObjectKey::Expression(other) => other.to_string(),
                                })
                                .collect(),
                            other => panic!("{other:?}"),
                        },
                        other => panic!("{name}: {label}: {other:?}"),
                    };
                assert_eq!(keys, expected, "{name}: {label}");
                if engine.is_database() {
                    // Write-only: the value never reaches state.
                    assert!(
                        secret[0].body.get_attribute("value").is_none(),
                        "{name}: {label} keeps its value in state"
                    );
                }
            }
            if engine.is_database() {
                // The server's administrator password is write-only too, read back from its
                // Key Vault secret.
                let resource = super::azure_engine(engine).resource;
                let server = blocks(&body, "resource", &[resource, "this"]);
                let password = server[0]
                    .body
                    .attributes()
                    .find(|a| a.key.as_str().ends_with("password_wo"))
                    .unwrap_or_else(|| panic!("{name}: {resource} has no write-only password"));
                assert!(
                    password.value.to_string().contains(&format!(
                        "ephemeral.azurerm_key_vault_secret.{}_admin[each.key].value",
                        engine.as_str()
                    )),
                    "{name}: {resource}'s password does not come from its Key Vault secret"
                );
                assert!(
                    server[0]
                        .body
                        .attributes()
                        .all(|a| !a.key.as_str().ends_with("password")),
                    "{name}: {resource} keeps a password in state"
                );
            }
        }
        // No password is generated into state.
        let content = &files["infra/modules/datastores/main.tf"];
        assert!(
            !content.contains("resource \"random_password\""),
            "{name}: a password would be kept in state"
        );
    }
}

#[test]
fn clients_connect_on_the_ports_of_the_datastore_table() {
    for (name, project, files) in azure_examples() {
        let network = &files["infra/modules/network/main.tf"];
        let datastores = files.get("infra/modules/datastores/main.tf");
        for ds in &project.datastores {
            let port = ds.cloud_port;
            assert_eq!(
                Some(port),
                ds.engine.offering(Provider::Azure).map(|o| o.port)
            );
            let text = datastores.expect("datastores module");
            assert!(
                text.contains(&format!("port     = \"{port}\""))
                    || text.contains(&format!("port         = \"{port}\"")),
                "{name}: the {} secret does not carry port {port}",
                ds.name
            );
            let body: Body = network.parse().expect("network parses");
            let allowed: Vec<String> = body
                .blocks()
                .filter(|b| {
                    b.ident.as_str() == "resource"
                        && label(b, 0).as_deref() == Some("azurerm_network_security_group")
                })
                .flat_map(|b| {
                    b.body
                        .blocks()
                        .filter(|r| r.ident.as_str() == "security_rule")
                        .filter(|r| attribute(r, "name").str() == "allow-nodes-inbound")
                        .flat_map(|r| {
                            let mut ports = Vec::new();
                            if let Some(a) = r.body.get_attribute("destination_port_range") {
                                ports.push(Value::of(&a.value).str().to_owned());
                            }
                            if let Some(a) = r.body.get_attribute("destination_port_ranges") {
                                ports.extend(Value::of(&a.value).strings());
                            }
                            ports
                        })
                        .collect::<Vec<_>>()
                })
                .collect();
            assert!(
                allowed.contains(&port.to_string()),
                "{name}: no rule lets the nodes reach {} on {port}: {allowed:?}",
                ds.name
            );
        }
    }
}

#[test]
fn github_variables_are_recorded_from_rendered_outputs() {
    for (name, project, files) in azure_examples() {
        for variable in &project.github_variables {
            if let Some(environment) = &variable.environment {
                assert!(
                    project.environments.iter().any(|e| [
                        &e.names.github_environment,
                        &e.names.plan_environment,
                        &e.names.infra_environment
                    ]
                    .contains(&environment)),
                    "{name}: {} is set in {environment}, which is no GitHub environment of the model",
                    variable.name
                );
            }
            let Some(output) = &variable.output else {
                assert!(
                    variable.name.ends_with("_RUNNER"),
                    "{name}: {} has no Terraform output",
                    variable.name
                );
                continue;
            };
            let text = &files[&format!("{}/outputs.tf", output.root)];
            assert!(
                text.contains(&format!("output \"{}\" {{", output.name)),
                "{name}: {} is recorded from {}/{}, which is not rendered",
                variable.name,
                output.root,
                output.name
            );
        }
        // Every identity a job logs in with has its client id in the GitHub environment the
        // job runs in.
        for identity in project.identities() {
            let expected = match identity.purpose {
                Purpose::Plan => scaffold_core::names::AZURE_PLAN_CLIENT_ID,
                Purpose::Apply => scaffold_core::names::AZURE_APPLY_CLIENT_ID,
                Purpose::Deploy => scaffold_core::names::AZURE_DEPLOY_CLIENT_ID,
                Purpose::Build | Purpose::Workload => continue,
            };
            assert!(
                project
                    .github_variables
                    .iter()
                    .any(|v| v.name == expected && v.environment == identity.github_environment),
                "{name}: no {expected} in {:?}",
                identity.github_environment
            );
        }
    }
}

#[test]
fn cluster_admins_are_explicit_inputs() {
    for (name, project, files) in azure_examples() {
        for env in &project.environments {
            let body = parse(&files, &format!("{}/variables.tf", env.names.terraform_dir));
            let variable = blocks(&body, "variable", &["cluster_admin_group_object_ids"]);
            assert_eq!(variable.len(), 1, "{name}");
            assert!(
                variable[0].body.get_attribute("default").is_none(),
                "{name}: cluster admins have a silent default"
            );
            assert!(
                variable[0]
                    .body
                    .blocks()
                    .any(|b| b.ident.as_str() == "validation"),
                "{name}: an empty list of cluster admins is accepted"
            );
        }
    }
}

/// The deploy job annotates each workload identity's ServiceAccount with its client id,
/// which it cannot read from Azure: it reads the GitHub variable of its environment that
/// the environment root's output is recorded as, and that output is the identity's.
#[test]
fn every_workload_service_account_is_annotated_with_its_identitys_recorded_client_id() {
    for (name, project, files) in azure_examples() {
        let deploy = &files[".github/workflows/deploy.yml"];
        for identity in project
            .identities()
            .into_iter()
            .filter(|i| i.purpose == Purpose::Workload)
        {
            let env = project
                .environments
                .iter()
                .find(|e| Some(&e.name) == identity.environment.as_ref())
                .expect("a workload identity belongs to an environment");
            let account = identity
                .service_account
                .as_deref()
                .expect("trusts a ServiceAccount");
            let variable = project
                .github_variables
                .iter()
                .find(|v| {
                    v.environment.as_deref() == Some(env.names.github_environment.as_str())
                        && v.output.as_ref().is_some_and(|o| {
                            o.root == env.names.terraform_dir
                                && outputs_value(&files[&format!("{}/outputs.tf", o.root)], &o.name)
                                    == Some(format!(
                                        "module.workload_identity[\"{}\"].client_id",
                                        identity.service.as_deref().unwrap_or(account)
                                    ))
                        })
                })
                .unwrap_or_else(|| {
                    panic!(
                        "{name}: no GitHub variable records {}'s client id",
                        identity.name
                    )
                });
            // The module instance of that key is this identity, trusted from this account.
            let main = &files[&format!("{}/main.tf", env.names.terraform_dir)];
            let key = identity.service.as_deref().unwrap_or(account);
            assert!(
                main.contains(&format!(
                    "\"{key}\" = {{\n      identity        = \"{}\"\n      service_account = \"{account}\"",
                    identity.name
                )),
                "{name}: {key} is not {}'s identity for ServiceAccount {account}",
                identity.name
            );
            assert!(
                deploy.contains(&format!("{0}: ${{{{ vars.{0} }}}}", variable.name))
                    && deploy.contains(&format!(
                        "annotate {account} azure.workload.identity/client-id \"${}\"",
                        variable.name
                    )),
                "{name}: the deploy job does not annotate {account} with {} in {}",
                variable.name,
                env.name
            );
        }
    }
}

/// The value expression of output `output` in `text`.
fn outputs_value(text: &str, output: &str) -> Option<String> {
    let body: Body = text.parse().ok()?;
    let block = blocks(&body, "output", &[output]).into_iter().next()?;
    let value = block.body.get_attribute("value")?;
    Some(value.value.to_string().trim().to_owned())
}

#[test]
fn the_provider_pin_is_one_constant_everywhere() {
    for (name, project, files) in azure_examples() {
        let mut pinned = BTreeSet::new();
        for (path, text) in files.iter().filter(|(p, _)| p.ends_with("versions.tf")) {
            let lines: Vec<&str> = text.lines().map(str::trim).collect();
            for (i, line) in lines.iter().enumerate() {
                if line.replace(' ', "") == "source=\"hashicorp/azurerm\"" {
                    assert_eq!(
                        lines
                            .get(i + 1)
                            .and_then(|l| l.split_once('='))
                            .map(|(k, v)| (k.trim(), v.trim().to_owned())),
                        Some(("version", format!("\"{AZURERM_VERSION}\""))),
                        "{name}: {path} pins azurerm differently"
                    );
                    pinned.insert(path.as_str());
                }
            }
        }
        // Every root that talks to Azure declares it: the bootstrap, and per environment
        // the cloud root and the platform root (the shared platform module needs no azurerm).
        let mut roots = vec![format!(
            "{}/versions.tf",
            scaffold_core::names::BOOTSTRAP_DIR
        )];
        for env in &project.environments {
            roots.push(format!("{}/versions.tf", env.names.terraform_dir));
            roots.push(format!("{}/versions.tf", env.names.platform_dir));
        }
        for root in &roots {
            assert!(
                pinned.contains(root.as_str()),
                "{name}: {root} does not pin azurerm"
            );
        }
    }
}

#[test]
fn networks_follow_the_runner_choice() {
    for (name, project, files) in azure_examples() {
        let cluster = &files["infra/modules/cluster/main.tf"];
        let vault = &files["infra/modules/key-vault/main.tf"];
        let self_hosted =
            project.delivery.runners == scaffold_core::vocabulary::Runners::SelfHosted;
        assert_eq!(
            cluster.contains("private_cluster_enabled             = true"),
            self_hosted,
            "{name}: the cluster API's exposure does not follow the runners"
        );
        assert_eq!(
            vault.contains("default_action = \"Allow\""),
            !self_hosted,
            "{name}: the Key Vault firewall does not follow the runners"
        );
        // Datastores are private whatever the runners.
        if let Some(datastores) = files.get("infra/modules/datastores/main.tf") {
            assert!(!datastores.contains("public_network_access_enabled = true"));
            assert!(!datastores.contains("public_network_access         = \"Enabled\""));
        }
    }
}

/// What the Terraform of an environment root needs from its plan and apply identities,
/// computed from the resources it renders: (purpose, role, scope) triples.
fn required_by_environment_root(
    project: &Project,
    files: &Files,
    env: &scaffold_core::Environment,
) -> BTreeSet<(Purpose, grants::Role, grants::Scope)> {
    use grants::{CustomRole, Role, Scope};
    let mut bodies = vec![parse(
        files,
        &format!("{}/main.tf", env.names.terraform_dir),
    )];
    for (path, _) in files
        .iter()
        .filter(|(p, _)| p.starts_with("infra/modules/") && p.ends_with("/main.tf"))
    {
        // Modules the environment calls (the registry module belongs to the bootstrap).
        if !path.starts_with("infra/modules/registry/") {
            bodies.push(parse(files, path));
        }
    }
    let mut need = BTreeSet::new();
    let mut both = |plan: Option<(Role, Scope)>, apply: Option<(Role, Scope)>| {
        if let Some((role, scope)) = plan {
            need.insert((Purpose::Plan, role, scope));
        }
        if let Some((role, scope)) = apply {
            need.insert((Purpose::Apply, role, scope));
        }
    };
    for body in &bodies {
        for block in body.blocks().filter(|b| b.ident.as_str() == "resource") {
            let kind = label(block, 0).expect("resource type");
            // Everything lives in the environment's resource group unless said otherwise.
            let placed_elsewhere = kind == "azurerm_network_watcher_flow_log"
                || (kind == "azurerm_role_assignment"
                    && attribute(block, "scope").expr() == "var.registry_id");
            if !placed_elsewhere {
                both(
                    Some((Role::BuiltIn("Reader"), Scope::EnvironmentGroup)),
                    Some((Role::BuiltIn("Contributor"), Scope::EnvironmentGroup)),
                );
            }
            match kind.as_str() {
                "azurerm_network_watcher_flow_log" => both(
                    Some((Role::BuiltIn("Reader"), Scope::NetworkWatcher)),
                    Some((Role::Custom(CustomRole::FlowLogs), Scope::NetworkWatcher)),
                ),
                "azurerm_role_assignment" if placed_elsewhere => both(
                    Some((Role::BuiltIn("Reader"), Scope::Registry)),
                    Some((
                        Role::BuiltIn("Role Based Access Control Administrator"),
                        Scope::Registry,
                    )),
                ),
                "azurerm_role_assignment" => both(
                    None,
                    Some((
                        Role::BuiltIn("Role Based Access Control Administrator"),
                        Scope::EnvironmentGroup,
                    )),
                ),
                "azurerm_management_lock" => both(
                    None,
                    Some((Role::Custom(CustomRole::Locks), Scope::EnvironmentGroup)),
                ),
                "azurerm_key_vault_secret" => both(
                    Some((
                        Role::BuiltIn("Key Vault Secrets User"),
                        Scope::EnvironmentGroup,
                    )),
                    Some((
                        Role::BuiltIn("Key Vault Secrets Officer"),
                        Scope::EnvironmentGroup,
                    )),
                ),
                "azurerm_key_vault_key" => both(
                    Some((Role::BuiltIn("Key Vault Reader"), Scope::EnvironmentGroup)),
                    Some((
                        Role::BuiltIn("Key Vault Crypto Officer"),
                        Scope::EnvironmentGroup,
                    )),
                ),
                // Refreshing a cluster lists its user credentials.
                "azurerm_kubernetes_cluster" => both(
                    Some((
                        Role::BuiltIn("Azure Kubernetes Service Cluster User Role"),
                        Scope::EnvironmentGroup,
                    )),
                    None,
                ),
                // Refreshing a cache lists its access keys.
                "azurerm_redis_cache" => both(
                    Some((Role::Custom(CustomRole::RedisKeys), Scope::EnvironmentGroup)),
                    None,
                ),
                _ => {}
            }
        }
    }
    let _ = project;
    need
}

#[test]
fn plan_and_apply_identities_hold_exactly_what_their_roots_need() {
    use grants::{Role, Scope};
    for (name, project, files) in azure_examples() {
        for env in &project.environments {
            let need = required_by_environment_root(&project, &files, env);
            for purpose in [Purpose::Plan, Purpose::Apply] {
                let identity = project
                    .identity(purpose, Some(&env.name))
                    .expect("identity");
                let held: BTreeSet<(Role, Scope)> = grants::all_grants(&project, &identity)
                    .into_iter()
                    .map(|g| (g.role, g.scope))
                    .collect();
                let needed: BTreeSet<(Role, Scope)> = need
                    .iter()
                    .filter(|(p, _, _)| *p == purpose)
                    .map(|(_, r, s)| (*r, *s))
                    .collect();
                let missing: Vec<_> = needed.difference(&held).collect();
                assert!(
                    missing.is_empty(),
                    "{name}: {}'s {purpose:?} identity lacks {missing:?}",
                    env.name
                );
                // What the environment root does not need: the state (the backend), and the
                // cluster rights of the platform root applied after it, whose job signs in
                // with `az aks get-credentials` (the Cluster User role) as the apply identity.
                let infrastructure = &files[".github/workflows/infrastructure.yml"];
                let platform_sign_in =
                    purpose == Purpose::Apply && infrastructure.contains("az aks get-credentials");
                let beyond: Vec<_> = held
                    .difference(&needed)
                    .filter(|(role, scope)| {
                        *scope != Scope::StateContainer
                            && *role != Role::BuiltIn("Azure Kubernetes Service RBAC Cluster Admin")
                            && *role != Role::BuiltIn("Azure Kubernetes Service RBAC Reader")
                            && !(platform_sign_in
                                && *role
                                    == Role::BuiltIn("Azure Kubernetes Service Cluster User Role"))
                    })
                    .collect();
                assert!(
                    beyond.is_empty(),
                    "{name}: {}'s {purpose:?} identity holds {beyond:?}, which nothing in its root needs",
                    env.name
                );
            }
        }
    }
}

#[test]
fn apply_identities_may_assign_exactly_the_roles_their_roots_assign() {
    for (name, _, files) in azure_examples() {
        let mut assigned = BTreeSet::new();
        for (path, text) in files.iter().filter(|(p, _)| {
            (p.starts_with("infra/environments/") || p.starts_with("infra/modules/"))
                && p.ends_with("main.tf")
                && !p.starts_with("infra/modules/registry/")
        }) {
            let body: Body = text.parse().unwrap_or_else(|e| panic!("{path}: {e}"));
            for block in blocks(&body, "resource", &["azurerm_role_assignment"]) {
                let role = attribute(block, "role_definition_name").str().to_owned();
                let on_registry = attribute(block, "scope").expr() == "var.registry_id";
                assigned.insert((role, on_registry));
            }
        }
        let delegable: BTreeSet<(String, bool)> = DELEGABLE_ROLES
            .iter()
            .map(|r| (r.name.to_owned(), false))
            .chain(
                assigned
                    .iter()
                    .any(|(_, registry)| *registry)
                    .then(|| (grants::ACR_PULL.name.to_owned(), true)),
            )
            .collect();
        assert_eq!(
            assigned, delegable,
            "{name}: the roles the environment roots assign and the roles apply identities may assign differ"
        );
    }
}

/// Splits a shell command line into words (quotes removed), stopping at the end of the
/// command: `|`, `&&`, `)` or a backtick outside quotes.
fn shell_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut depth = 0usize;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q && depth == 0 => quote = None,
            (Some(_), '$') if chars.peek() == Some(&'(') => {
                depth += 1;
                word.push(c);
            }
            (Some(_), ')') if depth > 0 => {
                depth -= 1;
                word.push(c);
            }
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => quote = Some(c),
            (None, ' ' | '\t') => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            (None, '|' | ')' | '`') => break,
            (None, '&') if chars.peek() == Some(&'&') => break,
            (None, c) => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// Every command starting with `program ` in the text: at a line's start, after `$(`, `&& `
/// or a backtick.
fn commands(text: &str, program: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let needle = format!("{program} ");
    for line in text.lines() {
        let mut rest = line;
        while let Some(at) = rest.find(&needle) {
            let before = rest[..at].trim_end();
            let starts = before.is_empty()
                || before.ends_with("$(")
                || before.ends_with("&&")
                || before.ends_with('`')
                || before.ends_with("- ")
                || before == "-";
            if starts {
                out.push(shell_words(&rest[at..]));
            }
            rest = &rest[at + needle.len()..];
        }
    }
    out
}

/// The flags each `az` command in the docs may use, from the Azure CLI reference
/// (learn.microsoft.com/cli/azure/<group>): a misspelt or invented flag fails the test.
fn az_flags(subcommand: &str) -> Option<&'static [&'static str]> {
    Some(match subcommand {
        "login" => &[],
        "account show" => &["--query", "--output"],
        "aks get-credentials" => &[
            "--resource-group",
            "--name",
            "--overwrite-existing",
            "--admin",
        ],
        "aks update" => &[
            "--resource-group",
            "--name",
            "--enable-local-accounts",
            "--disable-local-accounts",
        ],
        "keyvault secret show" => &["--vault-name", "--name", "--query", "--output"],
        "keyvault secret set" => &["--vault-name", "--name", "--value", "--content-type"],
        "postgres flexible-server backup list" | "mysql flexible-server backup list" => {
            &["--resource-group", "--name", "--output"]
        }
        "postgres flexible-server restore" | "mysql flexible-server restore" => &[
            "--resource-group",
            "--name",
            "--source-server",
            "--restore-time",
        ],
        "postgres flexible-server show" | "mysql flexible-server show" => {
            &["--resource-group", "--name", "--query", "--output"]
        }
        "postgres flexible-server geo-restore" | "mysql flexible-server geo-restore" => &[
            "--resource-group",
            "--name",
            "--source-server",
            "--location",
        ],
        "sql db show" => &[
            "--resource-group",
            "--server",
            "--name",
            "--query",
            "--output",
        ],
        "sql db restore" => &[
            "--resource-group",
            "--server",
            "--name",
            "--dest-name",
            "--time",
        ],
        "sql db rename" => &["--resource-group", "--server", "--name", "--new-name"],
        "sql server show" => &["--resource-group", "--name", "--query", "--output"],
        "sql server create" => &[
            "--resource-group",
            "--name",
            "--location",
            "--admin-user",
            "--admin-password",
        ],
        "sql db geo-backup show" => &[
            "--resource-group",
            "--server",
            "--database",
            "--query",
            "--output",
        ],
        "sql db geo-backup restore" => &[
            "--resource-group",
            "--dest-server",
            "--dest-database",
            "--geo-backup-id",
        ],
        "consumption budget show" => &["--budget-name", "--resource-group"],
        "storage account show" => &["--name", "--resource-group", "--query"],
        "network watcher configure" => &[
            "--locations",
            "--enabled",
            "--resource-group",
            "--subscription",
        ],
        "feature show" => &["--namespace", "--name", "--query", "--output"],
        "vm list-usage" => &["--location", "--output"],
        "ad group create" => &["--display-name", "--mail-nickname", "--query", "--output"],
        _ => return None,
    })
}

/// Flags that take no value.
const SWITCHES: &[&str] = &[
    "--overwrite-existing",
    "--admin",
    "--enable-local-accounts",
    "--disable-local-accounts",
];

#[test]
fn every_azure_command_in_the_docs_names_what_the_model_names() {
    for (name, project, files) in azure_examples() {
        let docs: Vec<(&String, &String)> = files
            .iter()
            .filter(|(p, _)| {
                (p.starts_with("docs/devops/") || p.starts_with("infra/")) && p.ends_with(".md")
            })
            .collect();
        let mut groups: BTreeSet<String> = project
            .environments
            .iter()
            .map(|e| e.names.resource_group.clone())
            .collect();
        groups.insert(project.names.state_resource_group.clone());
        groups.insert(project.names.shared_resource_group.clone());
        groups.insert("NetworkWatcherRG".to_owned());
        let mut locations: BTreeSet<String> = [project.cloud.region.clone()].into();
        locations.extend(project.cloud.dr_region.clone());
        let database = crate::docs::cloud::azure_database_name(&project);
        let mut checked = 0;
        for (path, text) in &docs {
            for words in commands(text, "az") {
                let flag_at = words
                    .iter()
                    .position(|w| w.starts_with("--"))
                    .unwrap_or(words.len());
                let subcommand = words[1..flag_at].join(" ");
                let allowed = az_flags(&subcommand)
                    .unwrap_or_else(|| panic!("{name}: {path}: unknown command az {subcommand}"));
                let mut flags: BTreeMap<String, String> = BTreeMap::new();
                let mut i = flag_at;
                while i < words.len() {
                    let flag = &words[i];
                    assert!(
                        flag.starts_with("--"),
                        "{name}: {path}: stray word {flag} in {words:?}"
                    );
                    assert!(
                        allowed.contains(&flag.as_str()),
                        "{name}: {path}: az {subcommand} has no flag {flag}"
                    );
                    if SWITCHES.contains(&flag.as_str()) {
                        flags.insert(flag.clone(), String::new());
                        i += 1;
                    } else {
                        let value = words
                            .get(i + 1)
                            .unwrap_or_else(|| panic!("{name}: {path}: {flag} has no value"));
                        flags.insert(flag.clone(), value.clone());
                        i += 2;
                    }
                }
                // A command named in prose, such as `az aks get-credentials`, has no arguments.
                if flags.is_empty() {
                    continue;
                }
                // Every name is one the model (and so the Terraform) uses.
                let env = flags.get("--resource-group").map(|rg| {
                    assert!(
                        groups.contains(rg),
                        "{name}: {path}: unknown resource group {rg}"
                    );
                    project
                        .environments
                        .iter()
                        .find(|e| &e.names.resource_group == rg)
                });
                let env = env.flatten();
                if let Some(location) = flags.get("--location").or(flags.get("--locations")) {
                    assert!(
                        locations.contains(location),
                        "{name}: {path}: location {location}"
                    );
                }
                let resources = |engine: scaffold_core::Engine| -> Vec<String> {
                    let env = env.unwrap_or_else(|| {
                        panic!("{name}: {path}: {words:?} names no environment")
                    });
                    project
                        .datastores
                        .iter()
                        .zip(&env.datastores)
                        .filter(|(d, _)| d.engine == engine)
                        .flat_map(|(_, e)| {
                            [
                                e.resource.clone(),
                                format!("{}-restore", e.resource),
                                format!("{}-dr", e.resource),
                            ]
                        })
                        .collect()
                };
                match subcommand.as_str() {
                    "aks get-credentials" | "aks update" => {
                        let env = env.expect("cluster command names its resource group");
                        assert_eq!(flags["--name"], env.names.cluster, "{name}: {path}");
                    }
                    "keyvault secret show" | "keyvault secret set" => {
                        let vault = &flags["--vault-name"];
                        let env = project
                            .environments
                            .iter()
                            .find(|e| &e.key_vault == vault)
                            .unwrap_or_else(|| panic!("{name}: {path}: unknown vault {vault}"));
                        let secret = &flags["--name"];
                        assert!(
                            env.datastores
                                .iter()
                                .any(|d| &d.secret == secret || &d.admin_secret == secret),
                            "{name}: {path}: {vault} holds no secret {secret}"
                        );
                    }
                    s if s.starts_with("postgres ") || s.starts_with("mysql ") => {
                        let engine = if s.starts_with("postgres") {
                            scaffold_core::Engine::Postgres
                        } else {
                            scaffold_core::Engine::Mysql
                        };
                        let known = resources(engine);
                        for flag in ["--name", "--source-server"] {
                            if let Some(server) = flags.get(flag) {
                                assert!(known.contains(server), "{name}: {path}: {s}: {server}");
                            }
                        }
                    }
                    s if s.starts_with("sql ") => {
                        let known = resources(scaffold_core::Engine::Sqlserver);
                        for flag in ["--server", "--dest-server"] {
                            if let Some(server) = flags.get(flag) {
                                assert!(known.contains(server), "{name}: {path}: {s}: {server}");
                            }
                        }
                        if s == "sql server show" || s == "sql server create" {
                            assert!(known.contains(&flags["--name"]), "{name}: {path}: {s}");
                        }
                        for flag in ["--dest-database", "--database"] {
                            if let Some(db) = flags.get(flag) {
                                assert_eq!(db, &database, "{name}: {path}: {s}");
                            }
                        }
                        if s.starts_with("sql db ")
                            && s != "sql db geo-backup restore"
                            && let Some(db) = flags.get("--name")
                        {
                            assert!(db.starts_with(&database), "{name}: {path}: {s}: {db}");
                        }
                    }
                    "consumption budget show" => {
                        let env = env.expect("budget command names its resource group");
                        assert_eq!(flags["--budget-name"], env.names.budget, "{name}: {path}");
                    }
                    "storage account show" => {
                        assert_eq!(flags["--name"], project.names.state_storage_account);
                    }
                    _ => {}
                }
                checked += 1;
            }
            // Terraform outputs and GitHub variables the docs read exist.
            for words in commands(text, "terraform") {
                let Some(dir) = words.iter().find_map(|w| w.strip_prefix("-chdir=")) else {
                    continue;
                };
                if let Some(at) = words.iter().position(|w| w == "output") {
                    let output = words[at + 1..]
                        .iter()
                        .find(|w| !w.starts_with('-'))
                        .unwrap_or_else(|| panic!("{name}: {path}: {words:?}"));
                    if output.starts_with('<') {
                        continue;
                    }
                    let outputs = files
                        .get(&format!("{dir}/outputs.tf"))
                        .unwrap_or_else(|| panic!("{name}: {path}: no root {dir}"));
                    assert!(
                        outputs.contains(&format!("output \"{output}\" {{")),
                        "{name}: {path}: {dir} has no output {output}"
                    );
                }
            }
            for words in commands(text, "gh") {
                if words.get(1).map(String::as_str) != Some("variable")
                    || !matches!(words.get(2).map(String::as_str), Some("set" | "get"))
                {
                    continue;
                }
                let variable = &words[3];
                if variable.starts_with('<') {
                    continue;
                }
                let env = words
                    .iter()
                    .position(|w| w == "--env")
                    .map(|at| words[at + 1].clone());
                assert!(
                    project.github_variables.iter().any(|v| &v.name == variable
                        && (v.environment == env
                            || (v.environment.is_none()
                                && env.is_some()
                                && v.scope == "environment"))),
                    "{name}: {path}: no GitHub variable {variable} in {env:?}"
                );
            }
        }
        assert!(checked > 10, "{name}: only {checked} az commands found");
    }
}

/// The node counts the handbook, the scale runbook and the infrastructure facts state are the
/// counts the rendered Terraform gives each of the cluster's two pools.
#[test]
fn the_docs_state_the_node_counts_terraform_renders() {
    let number = |value: Value| -> u32 {
        value
            .expr()
            .parse()
            .unwrap_or_else(|_| panic!("not a number: {value:?}"))
    };
    for (name, project, files) in azure_examples() {
        // The cluster module: the system pool and the workloads pool read their own inputs.
        let module = parse(&files, "infra/modules/cluster/main.tf");
        let cluster = blocks(&module, "resource", &["azurerm_kubernetes_cluster", "this"]);
        let system = cluster[0]
            .body
            .get_blocks("default_node_pool")
            .next()
            .expect("a system pool");
        assert_eq!(
            attribute(system, "min_count").expr(),
            "var.system_node_min_count"
        );
        assert_eq!(
            attribute(system, "max_count").expr(),
            "var.system_node_max_count"
        );
        let pool = blocks(
            &module,
            "resource",
            &["azurerm_kubernetes_cluster_node_pool", "workloads"],
        );
        assert_eq!(attribute(pool[0], "min_count").expr(), "var.node_min_count");
        assert_eq!(attribute(pool[0], "max_count").expr(), "var.node_max_count");

        let handbook = &files[crate::docs::HANDBOOK_PATH];
        let scale = &files["docs/devops/runbooks/scale.md"];
        // The infrastructure facts are a section of the handbook.
        let facts = handbook;
        for env in &project.environments {
            let dir = &env.names.terraform_dir;
            let main = parse(&files, &format!("{dir}/main.tf"));
            let module = blocks(&main, "module", &["cluster"]);
            assert_eq!(
                attribute(module[0], "node_min_count").expr(),
                "var.node_min_count"
            );
            assert_eq!(
                attribute(module[0], "node_max_count").expr(),
                "var.node_max_count"
            );
            let tfvars = parse(&files, &format!("{dir}/terraform.tfvars"));
            let value = |key: &str| {
                number(Value::of(
                    &tfvars
                        .get_attribute(key)
                        .unwrap_or_else(|| panic!("{name}: {dir} sets no {key}"))
                        .value,
                ))
            };
            let (nodes_min, nodes_max) = (value("node_min_count"), value("node_max_count"));
            let system_min = number(attribute(module[0], "system_node_min_count"));
            let system_max = number(attribute(module[0], "system_node_max_count"));
            assert!(system_min >= 1 && system_min <= system_max, "{name}: {dir}");
            let vm_size = Value::of(&tfvars.get_attribute("node_vm_size").unwrap().value);
            let vm_size = vm_size.str();

            let stated = format!(
                "`{}` runs {nodes_min} to {nodes_max} nodes for workloads plus {system_min} to {system_max} system nodes for the cluster's own components (CoreDNS, metrics-server)",
                env.name
            );
            assert!(
                handbook.contains(&stated),
                "{name}: the handbook lacks {stated}"
            );
            let row = format!(
                "| {nodes_min} to {nodes_max} (plus {system_min} to {system_max} system nodes) | `{vm_size}` |"
            );
            assert!(
                scale
                    .lines()
                    .any(|l| l.starts_with(&format!("| `{}` |", env.name)) && l.contains(&row)),
                "{name}: the scale runbook lacks {row}"
            );
            let cell = format!(
                "{nodes_min} to {nodes_max} × `{vm_size}`, plus {system_min} to {system_max} system nodes"
            );
            assert!(
                facts.contains(&cell),
                "{name}: the infrastructure facts lack {cell}"
            );
        }
    }
}
