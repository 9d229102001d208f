//! The joints between the workflows, the cloud roots and the platform roots, computed from
//! the rendered files of every example.
//!
//! - Access (issue 11): the identity the deploy job signs in as is the subject the platform
//!   root's RoleBinding grants the deploy `Role` to, as each cloud names it in Kubernetes:
//!   on EKS the `kubernetes_groups` of its access entry, on GKE its Google service account's
//!   e-mail (account id and project), on AKS its managed identity's object id.
//! - Delivery (issue 12): with GitOps, the Argo CD `Application` the platform root installs
//!   tracks the branch and the directory the deploy job commits the desired state to, of the
//!   repository in the answers, and syncs into the overlay's namespace.
//!
//! Every value is read from the rendered files (the HCL parsed with hcl-edit, the workflows
//! and manifests as YAML) and followed through module inputs, data sources, Terraform outputs
//! and GitHub variables; the model is consulted only to enumerate environments.

use std::collections::{BTreeMap, BTreeSet};

use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::structure::{Block, BlockLabel, Body};
use scaffold_core::{Environment, Project, Provider};
use scaffold_render::Files;
use serde_yaml_ng::Value;

mod common;

/// The answers of every example: (name, text).
fn answers() -> Vec<(String, String)> {
    common::example_answers()
}

/// Example `name`'s answers `text` (a variant of them), resolved with the example's facts.
fn render(name: &str, text: &str) -> (Project, Files) {
    let facts = common::example_facts(name.trim_end_matches(" (gitops)"));
    let project = Project::from_toml(text, &facts).expect("valid answers");
    let files = scaffold_render::render(&project).expect("renders");
    (project, files)
}

// ---- HCL ----

fn parse(files: &Files, path: &str) -> Body {
    files
        .get(path)
        .unwrap_or_else(|| panic!("{path} is rendered"))
        .parse()
        .unwrap_or_else(|err| panic!("{path} parses: {err}"))
}

/// Every `.tf` file directly in `dir` (not in its subdirectories), parsed.
fn root(files: &Files, dir: &str) -> Vec<Body> {
    files
        .keys()
        .filter(|p| {
            p.strip_prefix(&format!("{dir}/"))
                .is_some_and(|rest| !rest.contains('/') && rest.ends_with(".tf"))
        })
        .map(|p| parse(files, p))
        .collect()
}

fn label(block: &Block, i: usize) -> String {
    match block.labels.get(i) {
        Some(BlockLabel::String(s)) => s.as_str().to_owned(),
        Some(BlockLabel::Ident(i)) => i.as_str().to_owned(),
        None => String::new(),
    }
}

/// The blocks `ident "labels[0]" "labels[1]"` of `bodies`.
fn blocks<'a>(bodies: &'a [Body], ident: &str, labels: &[&str]) -> Vec<&'a Block> {
    bodies
        .iter()
        .flat_map(Body::blocks)
        .filter(|b| {
            b.ident.as_str() == ident && labels.iter().enumerate().all(|(i, l)| label(b, i) == *l)
        })
        .collect()
}

fn one<'a>(bodies: &'a [Body], ident: &str, labels: &[&str]) -> &'a Block {
    let found = blocks(bodies, ident, labels);
    assert_eq!(found.len(), 1, "exactly one {ident} {labels:?}");
    found[0]
}

/// A string literal's value; any other expression's source, trimmed (a template keeps its
/// interpolations, without the quotes).
fn text(expr: &Expression) -> String {
    match expr {
        Expression::String(s) => s.as_str().to_owned(),
        Expression::Parenthesis(inner) => text(inner.inner()),
        other => {
            let source = other.to_string();
            let source = source.trim();
            source
                .strip_prefix('"')
                .and_then(|s| s.strip_suffix('"'))
                .unwrap_or(source)
                .to_owned()
        }
    }
}

fn attr(body: &Body, key: &str) -> Option<String> {
    body.get_attribute(key).map(|a| text(&a.value))
}

/// The value at `key` of an object expression.
fn field<'a>(expr: &'a Expression, key: &str) -> Option<&'a Expression> {
    let object = expr.as_object()?;
    object.iter().find_map(|(k, v)| {
        let name = match k {
            ObjectKey::Ident(ident) => ident.as_str().to_owned(),
            ObjectKey::Expression(e) => text(e),
        };
        (name == key).then(|| v.expr())
    })
}

/// The arguments of the platform root's `module "platform"` call.
struct PlatformCall {
    body: Body,
}

impl PlatformCall {
    fn read(files: &Files, env: &Environment) -> Self {
        let bodies = vec![parse(files, &format!("{}/main.tf", env.names.platform_dir))];
        let block = one(&bodies, "module", &["platform"]);
        assert_eq!(
            attr(&block.body, "source").as_deref(),
            Some("../../../modules/platform"),
            "{}: the platform root calls the platform module",
            env.name
        );
        PlatformCall {
            body: block.body.clone(),
        }
    }

    /// The value of `var.a.b.c` inside the module: the root's argument `a`, then its fields.
    fn resolve(&self, reference: &str) -> Option<String> {
        let path = reference.strip_prefix("var.")?;
        let mut parts = path.split('.');
        let first = parts.next()?;
        let mut expr = &self.body.get_attribute(first)?.value;
        for part in parts {
            expr = field(expr, part)?;
        }
        Some(text(expr))
    }

    /// `resolve` for a module expression that must be a variable reference.
    fn value(&self, expr: &str, what: &str) -> String {
        self.resolve(expr)
            .unwrap_or_else(|| panic!("{what} is {expr}, which no root argument sets"))
    }
}

/// The RoleBinding of the platform module that grants the Role generated from
/// `var.deploy_rules`: (its namespace, each subject's kind and name), resolved through the
/// root's module call.
fn deploy_binding(files: &Files, call: &PlatformCall) -> (String, Vec<(String, String)>) {
    let module = vec![parse(files, "infra/modules/platform/main.tf")];
    let role = blocks(&module, "resource", &["kubernetes_role_v1"])
        .into_iter()
        .find(|role| {
            role.body.blocks().any(|b| {
                b.ident.as_str() == "dynamic"
                    && attr(&b.body, "for_each").as_deref() == Some("var.deploy_rules")
            })
        })
        .expect("a Role of the deploy rules");
    let role_ref = format!("kubernetes_role_v1.{}.metadata[0].name", label(role, 1));
    let bindings: Vec<&Block> = blocks(&module, "resource", &["kubernetes_role_binding_v1"])
        .into_iter()
        .filter(|b| {
            b.body.blocks().any(|r| {
                r.ident.as_str() == "role_ref"
                    && attr(&r.body, "kind").as_deref() == Some("Role")
                    && attr(&r.body, "name").as_deref() == Some(role_ref.as_str())
            })
        })
        .collect();
    assert_eq!(bindings.len(), 1, "one RoleBinding grants the deploy Role");
    let binding = bindings[0];
    let metadata = binding
        .body
        .blocks()
        .find(|b| b.ident.as_str() == "metadata")
        .expect("metadata");
    let role_metadata = role
        .body
        .blocks()
        .find(|b| b.ident.as_str() == "metadata")
        .expect("metadata");
    let namespace = call.value(
        &attr(&metadata.body, "namespace").expect("a namespace"),
        "the RoleBinding's namespace",
    );
    let role_namespace = call.value(
        &attr(&role_metadata.body, "namespace").expect("a namespace"),
        "the Role's namespace",
    );
    assert_eq!(
        namespace, role_namespace,
        "the Role and its binding share a namespace"
    );
    let subjects = binding
        .body
        .blocks()
        .filter(|b| b.ident.as_str() == "subject")
        .map(|s| {
            (
                call.value(&attr(&s.body, "kind").expect("kind"), "a subject's kind"),
                call.value(&attr(&s.body, "name").expect("name"), "a subject's name"),
            )
        })
        .collect();
    (namespace, subjects)
}

// ---- Workflows ----

fn workflow(files: &Files, path: &str) -> Value {
    serde_yaml_ng::from_str(&files[path]).unwrap_or_else(|err| panic!("{path}: {err}"))
}

/// The job's GitHub environment, written as a name or as `{name, url}`.
fn job_environment(job: &Value) -> Option<&str> {
    job["environment"]
        .as_str()
        .or_else(|| job["environment"]["name"].as_str())
}

/// The one job of deploy.yml that runs in GitHub environment `github_environment`.
fn deploy_job<'a>(deploy: &'a Value, github_environment: &str) -> &'a Value {
    let jobs: Vec<&Value> = deploy["jobs"]
        .as_mapping()
        .expect("jobs")
        .values()
        .filter(|job| job_environment(job) == Some(github_environment))
        .collect();
    assert_eq!(
        jobs.len(),
        1,
        "one deploy job runs in GitHub environment {github_environment}"
    );
    jobs[0]
}

fn steps(job: &Value) -> impl Iterator<Item = &Value> {
    job["steps"].as_sequence().into_iter().flatten()
}

/// The input `key` of the job's one step that uses `action` (any version).
fn action_input(job: &Value, action: &str, key: &str) -> String {
    let values: Vec<&str> = steps(job)
        .filter(|s| {
            s["uses"]
                .as_str()
                .and_then(|u| u.split_once('@'))
                .is_some_and(|(name, _)| name.eq_ignore_ascii_case(action))
        })
        .filter_map(|s| s["with"][key].as_str())
        .collect();
    assert_eq!(values.len(), 1, "one {action} step with {key}");
    values[0].to_owned()
}

/// The GitHub variable an expression `${{ vars.NAME }}` reads.
fn github_variable(expr: &str) -> Option<&str> {
    expr.trim()
        .strip_prefix("${{ vars.")?
        .strip_suffix(" }}")
        .map(str::trim)
}

/// `account@PROJECT.iam.gserviceaccount.com` -> (account, PROJECT).
fn service_account_email(email: &str) -> (String, String) {
    let (account, rest) = email
        .split_once('@')
        .unwrap_or_else(|| panic!("{email} is no e-mail"));
    let project = rest
        .strip_suffix(".iam.gserviceaccount.com")
        .unwrap_or_else(|| panic!("{email} is no service account"));
    (account.to_owned(), project.to_owned())
}

// ---- Issue 11: the deploy identity is the subject of the deploy Role's binding ----

#[test]
fn the_deploy_roles_binding_names_the_identity_the_deploy_job_signs_in_as() {
    let mut checked = BTreeMap::<&str, usize>::new();
    for (example, text) in answers() {
        let (project, files) = render(&example, &text);
        let deploy = workflow(&files, ".github/workflows/deploy.yml");
        for env in &project.environments {
            let at = format!("{example} {}", env.name);
            let call = PlatformCall::read(&files, env);
            let (namespace, subjects) = deploy_binding(&files, &call);
            let expected_namespace = if project.delivery.gitops {
                &project.names.cluster_addons.argocd_namespace
            } else {
                &env.names.namespace
            };
            assert_eq!(
                &namespace, expected_namespace,
                "{at}: the deploy Role's namespace"
            );
            assert_eq!(subjects.len(), 1, "{at}: one subject: {subjects:?}");
            let (kind, name) = &subjects[0];
            let job = deploy_job(&deploy, &env.names.github_environment);
            match project.cloud.provider {
                Provider::Aws => check_eks(&at, &files, env, job, kind, name),
                Provider::Gcp => check_gke(&at, &files, env, job, kind, name),
                Provider::Azure => check_aks(&at, &project, &files, env, job, kind, name),
            }
            *checked.entry(project.cloud.provider.as_str()).or_default() += 1;
        }
    }
    assert_eq!(checked.len(), 3, "every cloud is checked: {checked:?}");
}

/// EKS: the access entry of the role the deploy job assumes maps it to exactly the groups
/// the binding names, and no access entry of the cloud root maps anyone to a group the
/// platform root does not bind.
fn check_eks(at: &str, files: &Files, env: &Environment, job: &Value, kind: &str, name: &str) {
    let arn = action_input(
        job,
        "aws-actions/configure-aws-credentials",
        "role-to-assume",
    );
    let role_name = arn
        .rsplit_once(":role/")
        .unwrap_or_else(|| panic!("{at}: {arn} is no role ARN"))
        .1;
    let cloud = root(files, &env.names.terraform_dir);
    let role = blocks(&cloud, "resource", &["aws_iam_role"])
        .into_iter()
        .find(|b| attr(&b.body, "name").as_deref() == Some(role_name))
        .unwrap_or_else(|| {
            panic!(
                "{at}: {} creates no role {role_name}",
                env.names.terraform_dir
            )
        });
    let principal = format!("aws_iam_role.{}.arn", label(role, 1));
    let entries: Vec<(String, BTreeSet<String>)> =
        blocks(&cloud, "resource", &["aws_eks_access_entry"])
            .into_iter()
            .map(|b| {
                let groups = b
                    .body
                    .get_attribute("kubernetes_groups")
                    .and_then(|a| a.value.as_array().cloned())
                    .map(|array| array.iter().map(text).collect())
                    .unwrap_or_default();
                (attr(&b.body, "principal_arn").unwrap_or_default(), groups)
            })
            .collect();
    let deploy_entries: Vec<&BTreeSet<String>> = entries
        .iter()
        .filter(|(p, _)| *p == principal)
        .map(|(_, g)| g)
        .collect();
    assert_eq!(
        deploy_entries.len(),
        1,
        "{at}: one access entry for {role_name}"
    );
    assert_eq!(kind, "Group", "{at}: EKS maps an IAM role to groups");
    assert_eq!(
        deploy_entries[0],
        &BTreeSet::from([name.to_owned()]),
        "{at}: {role_name}'s access entry groups and the deploy RoleBinding's subject"
    );
    for (principal, groups) in &entries {
        for group in groups {
            assert_eq!(
                group, name,
                "{at}: the access entry of {principal} maps to group {group}, which no binding of the platform root names"
            );
        }
    }
}

/// GKE: the binding names the deploy job's Google service account by its e-mail: the same
/// account id, which the bootstrap root creates for this environment, in the same project,
/// followed as a GitHub variable from the deploy job's login, from the platform root's
/// `project_id` (the infrastructure workflow's `TF_VAR_project_id`) and from the project
/// the bootstrap root creates the account in.
fn check_gke(at: &str, files: &Files, env: &Environment, job: &Value, kind: &str, name: &str) {
    assert_eq!(kind, "User", "{at}: GKE names a service account as a User");
    // The deploy job's login.
    let (login_account, login_project) = service_account_email(&action_input(
        job,
        "google-github-actions/auth",
        "service_account",
    ));
    let login_variable = github_variable(&login_project)
        .unwrap_or_else(|| {
            panic!("{at}: the login's project {login_project} is no GitHub variable")
        })
        .to_owned();
    // The binding's subject, with the platform root's variable.
    let (subject_account, subject_project) = service_account_email(name);
    assert_eq!(
        subject_project, "${var.project_id}",
        "{at}: the subject's project is the platform root's"
    );
    // Every plan and apply job of the environment (the cloud root's, whose Secret Manager
    // secrets the SecretStores read, and the platform root's) passes one project.
    let infrastructure = workflow(files, ".github/workflows/infrastructure.yml");
    let platform_dir = &env.names.platform_dir;
    let mut platform_variables = BTreeSet::new();
    let mut applies_platform = false;
    for job in infrastructure["jobs"].as_mapping().expect("jobs").values() {
        let in_env = job_environment(job)
            .is_some_and(|e| e == env.names.plan_environment || e == env.names.infra_environment);
        if !in_env {
            continue;
        }
        applies_platform |= serde_yaml_ng::to_string(job)
            .unwrap()
            .contains(platform_dir.as_str());
        let value = job["env"]["TF_VAR_project_id"]
            .as_str()
            .or_else(|| infrastructure["env"]["TF_VAR_project_id"].as_str())
            .unwrap_or_else(|| panic!("{at}: a Terraform job sets no TF_VAR_project_id"));
        platform_variables.insert(
            github_variable(value)
                .unwrap_or_else(|| panic!("{at}: TF_VAR_project_id is {value}"))
                .to_owned(),
        );
    }
    assert!(applies_platform, "{at}: no job applies {platform_dir}");
    // The deploy job's edits: the SecretStores' Secret Manager project and the workload
    // ServiceAccounts' Google service accounts, from one shell variable of the step.
    let edit = steps(job)
        .find(|s| {
            s["run"]
                .as_str()
                .is_some_and(|r| r.contains("iam.gke.io/gcp-service-account"))
        })
        .unwrap_or_else(|| panic!("{at}: the deploy job annotates no ServiceAccount"));
    let script = edit["run"].as_str().unwrap_or_default();
    let mut edit_variables = BTreeSet::new();
    let store_project = script
        .split_once("\\\"projectID\\\":\\\"$")
        .map(|(_, rest)| rest.split('\\').next().unwrap_or_default());
    for shell in store_project
        .into_iter()
        .chain(script.lines().filter_map(|line| {
            line.split_once(".iam.gserviceaccount.com")?
                .0
                .rsplit_once("@${")
                .map(|(_, v)| v.trim_end_matches('}'))
        }))
    {
        let value = edit["env"][shell]
            .as_str()
            .unwrap_or_else(|| panic!("{at}: the deploy job's edit step sets no {shell}"));
        edit_variables.insert(
            github_variable(value)
                .unwrap_or_else(|| panic!("{at}: {shell} is {value}"))
                .to_owned(),
        );
    }
    let stores = files
        .iter()
        .filter(|(p, _)| p.starts_with("deploy/kubernetes/") && p.ends_with(".yaml"))
        .any(|(_, t)| t.contains("kind: SecretStore"));
    assert!(
        !stores || store_project.is_some(),
        "{at}: the deploy job never sets the SecretStores' project"
    );
    // The bootstrap root: the account's entry and the project it is created in.
    let bootstrap = root(files, "infra/bootstrap");
    let locals: Vec<&Block> = blocks(&bootstrap, "locals", &[]);
    let local = |key: &str| {
        locals
            .iter()
            .find_map(|b| b.body.get_attribute(key))
            .map(|a| a.value.clone())
            .unwrap_or_else(|| panic!("{at}: the bootstrap root has no local.{key}"))
    };
    let identities = local("github_identities");
    let entry = field(&identities, &subject_account)
        .unwrap_or_else(|| panic!("{at}: the bootstrap root creates no {subject_account}"));
    assert_eq!(
        field(entry, "environment").map(text).as_deref(),
        Some(env.name.as_str()),
        "{at}: {subject_account} belongs to {}",
        env.name
    );
    let call = one(&bootstrap, "module", &["github_identity"]);
    assert_eq!(
        attr(&call.body, "project_id").as_deref(),
        Some(
            "each.value.environment == null ? var.project_id : local.projects[each.value.environment]"
        ),
        "{at}: the GitHub identities' project"
    );
    let projects = local("projects");
    let project_reference = field(&projects, &env.name)
        .map(text)
        .unwrap_or_else(|| panic!("{at}: local.projects has no {}", env.name));
    let bootstrap_variable = project_reference
        .strip_prefix("var.")
        .unwrap_or_else(|| panic!("{at}: {project_reference} is no variable"));
    // The GitHub variable that holds it: the shared project is GCP_PROJECT_ID (the build's
    // login and every shared resource); a project of its own names its variable.
    let bootstrap_github_variable = if bootstrap_variable == "project_id" {
        "GCP_PROJECT_ID".to_owned()
    } else {
        let description = attr(
            &one(&bootstrap, "variable", &[bootstrap_variable]).body,
            "description",
        )
        .unwrap_or_default();
        description
            .split_once("the value of the ")
            .and_then(|(_, rest)| rest.split_once(" GitHub variable"))
            .map(|(v, _)| v.to_owned())
            .unwrap_or_else(|| {
                panic!("{at}: var.{bootstrap_variable} names no GitHub variable: {description}")
            })
    };
    assert_eq!(
        login_account, subject_account,
        "{at}: the deploy job signs in as another account than the binding names"
    );
    assert_eq!(
        platform_variables,
        BTreeSet::from([bootstrap_github_variable.clone()]),
        "{at}: the platform root binds {subject_account} in another project than the bootstrap root creates it in"
    );
    assert_eq!(
        login_variable, bootstrap_github_variable,
        "{at}: the deploy job signs in as {login_account} of another project than the bootstrap root creates it in"
    );
    assert_eq!(
        edit_variables,
        BTreeSet::from([bootstrap_github_variable.clone()]),
        "{at}: the deploy job points the SecretStores and ServiceAccounts at another project than the environment's"
    );
    assert_eq!(
        bootstrap_variable == "project_id",
        !env.separate_account,
        "{at}: an environment with separate_account lives in its own project"
    );
}

/// AKS: the binding names the object id of the managed identity whose client id the deploy
/// job signs in with: the GitHub variable it reads is recorded from an output of a root,
/// which is the client id of a module instance; the platform root reads the principal of
/// the identity of the same name in the same resource group.
fn check_aks(
    at: &str,
    project: &Project,
    files: &Files,
    env: &Environment,
    job: &Value,
    kind: &str,
    name: &str,
) {
    assert_eq!(kind, "User", "{at}: AKS names a managed identity as a User");
    let client = action_input(job, "azure/login", "client-id");
    let variable = github_variable(&client)
        .unwrap_or_else(|| panic!("{at}: the client id {client} is no GitHub variable"));
    // Where the setup script records that variable for this GitHub environment.
    let setup = scaffold_render::github::setup::context(project);
    let recorded: Vec<_> = setup
        .variables
        .iter()
        .filter(|v| {
            v.name == variable
                && (v.environment == env.names.github_environment || v.environment.is_empty())
        })
        .collect();
    assert_eq!(recorded.len(), 1, "{at}: one value of {variable}");
    let output = recorded[0]
        .output
        .as_ref()
        .unwrap_or_else(|| panic!("{at}: {variable} comes from no Terraform output"));
    let cloud = root(files, &output.root);
    let value = attr(
        &one(&cloud, "output", &[output.name.as_str()]).body,
        "value",
    )
    .unwrap_or_default();
    let module_name = value
        .strip_prefix("module.")
        .and_then(|rest| rest.strip_suffix(".client_id"))
        .unwrap_or_else(|| panic!("{at}: output {} is {value}", output.name));
    let module = one(&cloud, "module", &[module_name]);
    let identity_name = attr(&module.body, "name").expect("the identity's name");
    let group_reference = attr(&module.body, "resource_group_name").expect("its resource group");
    let resource_group = match group_reference
        .strip_prefix("data.azurerm_resource_group.")
        .and_then(|r| r.strip_suffix(".name"))
    {
        Some(data) => attr(
            &one(&cloud, "data", &["azurerm_resource_group", data]).body,
            "name",
        )
        .expect("the resource group's name"),
        None => group_reference.clone(),
    };
    // The module's client_id and principal_id are one identity's.
    let source = attr(&module.body, "source").expect("a source");
    let module_dir = normalize(&format!("{}/{source}", output.root));
    let outputs = root(files, &module_dir);
    let of = |out: &str| {
        attr(&one(&outputs, "output", &[out]).body, "value")
            .unwrap_or_default()
            .rsplit_once('.')
            .map(|(resource, _)| resource.to_owned())
            .unwrap_or_default()
    };
    assert_eq!(
        of("client_id"),
        of("principal_id"),
        "{at}: {module_dir}'s client and object ids are one identity's"
    );
    // The platform root's subject.
    let data = name
        .strip_prefix("data.azurerm_user_assigned_identity.")
        .and_then(|r| r.strip_suffix(".principal_id"))
        .unwrap_or_else(|| panic!("{at}: the subject is {name}, no identity's object id"));
    let platform = root(files, &env.names.platform_dir);
    let read = one(&platform, "data", &["azurerm_user_assigned_identity", data]);
    assert_eq!(
        attr(&read.body, "name").as_deref(),
        Some(identity_name.as_str()),
        "{at}: the platform root binds another identity than the deploy job signs in as"
    );
    assert_eq!(
        attr(&read.body, "resource_group_name").as_deref(),
        Some(resource_group.as_str()),
        "{at}: the platform root looks for {identity_name} in another resource group"
    );
}

/// `a/b/../c` -> `a/c`.
fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            ".." => {
                parts.pop();
            }
            "." | "" => {}
            other => parts.push(other),
        }
    }
    parts.join("/")
}

// ---- Issue 12: Argo CD tracks what the deploy job commits ----

/// Every example, and with GitOps turned on where the example has it off, so every cloud is
/// checked with GitOps.
fn gitops_answers() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (name, text) in answers() {
        let mut table: toml::Table = text.parse().expect("answers parse");
        let delivery = table
            .entry("delivery")
            .or_insert_with(|| toml::Value::Table(toml::Table::new()))
            .as_table_mut()
            .expect("[delivery]");
        if delivery.get("gitops").and_then(toml::Value::as_bool) == Some(true) {
            out.push((name, text));
            continue;
        }
        delivery.insert("gitops".to_owned(), toml::Value::Boolean(true));
        out.push((
            format!("{name} (gitops)"),
            toml::to_string(&table).expect("answers serialize"),
        ));
    }
    out
}

/// The value of `env` variable `key` of the job's steps whose script contains `marker` and
/// that set `key`; they must agree.
fn step_env(job: &Value, marker: &str, key: &str) -> String {
    let values: BTreeSet<&str> = steps(job)
        .filter(|s| s["run"].as_str().is_some_and(|r| r.contains(marker)))
        .filter_map(|s| s["env"][key].as_str())
        .collect();
    assert_eq!(
        values.len(),
        1,
        "the steps running `{marker}` set one {key}: {values:?}"
    );
    values.into_iter().next().unwrap().to_owned()
}

#[test]
fn argo_cd_tracks_the_branch_and_directory_the_deploy_job_commits() {
    let mut clouds = BTreeSet::new();
    for (example, answers_text) in gitops_answers() {
        let (project, files) = render(&example, &answers_text);
        let answers: toml::Table = answers_text.parse().unwrap();
        // The answers' repository, else the one resolved from the git remote (none here).
        let repository = answers["app"]
            .get("repository")
            .and_then(toml::Value::as_str)
            .unwrap_or(&project.repository.full);
        let deploy = workflow(&files, ".github/workflows/deploy.yml");
        let module = vec![parse(&files, "infra/modules/platform/addons.tf")];
        let apps = one(&module, "resource", &["helm_release", "argocd_apps"]);
        let values = apps
            .body
            .get_attribute("values")
            .and_then(|a| a.value.as_array())
            .and_then(|a| a.iter().next())
            .and_then(Expression::as_func_call)
            .filter(|call| call.name.name.as_str() == "yamlencode")
            .and_then(|call| call.args.iter().next())
            .expect("values = [yamlencode({...})]")
            .clone();
        let applications = field(&values, "applications").expect("applications");
        let projects = field(&values, "projects").expect("projects");
        let (app_key, application) = applications
            .as_object()
            .and_then(|o| o.iter().next())
            .map(|(k, v)| {
                let key = match k {
                    ObjectKey::Ident(i) => i.as_str().to_owned(),
                    ObjectKey::Expression(e) => text(e),
                };
                (key, v.expr().clone())
            })
            .expect("one application");
        let source = field(&application, "source").expect("source");
        let expr = |e: &Expression, key: &str| {
            field(e, key)
                .map(text)
                .unwrap_or_else(|| panic!("{example}: the Application has no {key}"))
        };
        for env in &project.environments {
            let at = format!("{example} {}", env.name);
            let call = PlatformCall::read(&files, env);
            let resolve = |e: String| call.resolve(&e).unwrap_or(e);
            let name = resolve(app_key.clone());
            let revision = resolve(expr(source, "targetRevision"));
            let path = resolve(expr(source, "path"));
            let repo_url = resolve(expr(source, "repoURL"));
            let destination = field(&application, "destination").expect("destination");
            let destination_namespace = resolve(expr(destination, "namespace"));
            let app_project = resolve(expr(&application, "project"));
            let app_namespace = resolve(expr(&application, "namespace"));
            // The AppProject admits the repository and the namespace.
            let app_project_body = field(projects, &format!("({})", expr(&application, "project")))
                .or_else(|| {
                    projects
                        .as_object()
                        .and_then(|o| o.iter().next())
                        .map(|(_, v)| v.expr())
                })
                .expect("the AppProject");
            let source_repos: Vec<String> = field(app_project_body, "sourceRepos")
                .and_then(Expression::as_array)
                .map(|a| a.iter().map(|e| resolve(text(e))).collect())
                .unwrap_or_default();

            // What the deploy job writes.
            let job = deploy_job(&deploy, &env.names.github_environment);
            let branch = step_env(job, "git push", "BRANCH");
            let directory = step_env(job, "git push", "DIRECTORY");
            let overlay = step_env(job, "kustomize build \"$OVERLAY\"", "OVERLAY");
            let application_waited = step_env(job, "APPLICATION", "APPLICATION");
            let argocd_namespace = step_env(job, "APPLICATION", "ARGOCD_NAMESPACE");

            assert_eq!(
                revision, branch,
                "{at}: Argo CD tracks another branch than the deploy job pushes"
            );
            assert_eq!(
                path, directory,
                "{at}: Argo CD reads another directory than the deploy job writes"
            );
            assert_eq!(
                directory, overlay,
                "{at}: the desired state is written where another overlay lives"
            );
            assert!(
                files.contains_key(&format!("{overlay}/kustomization.yaml")),
                "{at}: the overlay {overlay} is not rendered"
            );
            assert_eq!(
                repo_url,
                format!("https://github.com/{repository}.git"),
                "{at}: Argo CD reads another repository than the answers name"
            );
            assert!(
                source_repos.contains(&repo_url),
                "{at}: the AppProject {app_project} does not admit {repo_url}: {source_repos:?}"
            );
            assert_eq!(
                name, application_waited,
                "{at}: the deploy job waits for another Application"
            );
            assert_eq!(
                app_namespace, argocd_namespace,
                "{at}: the Application's namespace"
            );
            // The Application syncs into the overlay's namespace.
            let kustomization: Value =
                serde_yaml_ng::from_str(&files[&format!("{overlay}/kustomization.yaml")]).unwrap();
            assert_eq!(
                kustomization["namespace"].as_str(),
                Some(destination_namespace.as_str()),
                "{at}: Argo CD syncs into another namespace than the overlay's"
            );
            clouds.insert(project.cloud.provider.as_str());
        }
    }
    assert_eq!(clouds.len(), 3, "every cloud is checked with GitOps");
}
