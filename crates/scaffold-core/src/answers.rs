//! `scaffold.toml` exactly as the user wrote it.
//!
//! These structs mirror the file one to one, with every optional key an
//! `Option`, so that [`crate::Project::resolve`] can tell "absent" from "set to
//! the default". Parsing is two passes over the same text: a `toml_edit` walk
//! that rejects unknown keys with their line and the nearest valid key (serde's
//! own message names neither well), then serde for types.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use toml_edit::{Document, Item, Table};

use crate::datastore::ConnectionForm;
use crate::error::{AnswersError, Problem};
use crate::vocabulary::{
    Availability, Engine, Language, PackageManager, Provider, Registry, Runners, ServiceKind,
    Strategy, Tier,
};

/// The whole answers file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answers {
    /// The file format version; only `1` exists.
    pub schema: Option<u32>,
    /// The application.
    pub app: AppAnswers,
    /// The cloud.
    #[serde(default)]
    pub cloud: CloudAnswers,
    /// One or more deployable services.
    #[serde(default)]
    pub services: Vec<ServiceAnswers>,
    /// Zero or more datastores.
    #[serde(default)]
    pub datastores: Vec<DatastoreAnswers>,
    /// Environments in promotion order; staging and production when absent.
    pub environments: Option<Vec<EnvironmentAnswers>>,
    /// How releases reach the cluster.
    #[serde(default)]
    pub delivery: DeliveryAnswers,
    /// The availability target.
    #[serde(default)]
    pub reliability: ReliabilityAnswers,
}

/// `[app]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppAnswers {
    /// The application's name.
    pub name: String,
    /// One line about the application.
    pub description: Option<String>,
    /// The GitHub repository as `owner/name`.
    pub repository: Option<String>,
    /// Code owners for CODEOWNERS, such as `@acme/platform`.
    pub owners: Option<Vec<String>>,
    /// How many engineers work on the application.
    pub team_size: Option<u32>,
    /// The repository's default branch; read from the git remote, else `main`.
    pub default_branch: Option<String>,
}

/// `[cloud]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloudAnswers {
    /// The cloud provider.
    pub provider: Option<Provider>,
    /// The primary region.
    pub region: Option<String>,
    /// A second region for backup copies and disaster recovery.
    pub dr_region: Option<String>,
}

/// One `[[services]]` entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceAnswers {
    /// The service's name.
    pub name: String,
    /// The service's language (required).
    pub language: Option<Language>,
    /// The package manager; detected or defaulted per language when absent.
    pub package_manager: Option<PackageManager>,
    /// The folder holding the service, relative to the repository root.
    pub path: Option<String>,
    /// `web` (the default), `grpc`, `worker` or `job`.
    pub kind: Option<ServiceKind>,
    /// The port the service listens on (web and gRPC services only).
    pub port: Option<i64>,
    /// When a job runs: a five-field cron expression (jobs only).
    pub schedule: Option<String>,
    /// The liveness endpoint (web services only).
    pub health_path: Option<String>,
    /// The readiness endpoint (web services only).
    pub readiness_path: Option<String>,
    /// The Prometheus metrics endpoint, or `"none"` when the service exposes none.
    pub metrics_path: Option<String>,
    /// Names of datastores the service connects to.
    pub uses: Option<Vec<String>>,
    /// How the service reads each datastore it uses, keyed by datastore name; the
    /// language's convention for any datastore not listed.
    #[serde(default)]
    pub connections: BTreeMap<String, ConnectionAnswers>,
    /// Whether the service is reachable from outside the cluster.
    pub public: Option<bool>,
    /// The command that builds the app in its image, after dependencies are installed
    /// (`""` for none); the stack's recipe from the repository's evidence when absent.
    pub build: Option<String>,
    /// The command the image runs; `${PORT}` stands for the port. The stack's recipe when absent.
    pub start: Option<String>,
    /// The language or runtime version (the image tag's); the repository's pin when absent.
    pub runtime_version: Option<String>,
    /// The folder a static site's build writes, relative to `path`.
    pub output: Option<String>,
}

/// One `[services.connections]` entry: how a service reads one datastore.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionAnswers {
    /// `url`, `jdbc`, `ado-net` or `redis-config`; the language's convention when absent.
    pub form: Option<ConnectionForm>,
    /// The variable holding the URL, JDBC URL, connection string or Redis configuration.
    pub variable: Option<String>,
    /// The variable holding the username (`jdbc` only).
    pub username_variable: Option<String>,
    /// The variable holding the password (`jdbc` only).
    pub password_variable: Option<String>,
}

/// One `[[datastores]]` entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatastoreAnswers {
    /// The datastore's name.
    pub name: String,
    /// The engine.
    pub engine: Option<Engine>,
    /// The engine version.
    pub version: Option<String>,
}

/// One `[[environments]]` entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentAnswers {
    /// The environment's name.
    pub name: String,
    /// Deploy automatically on a push to this branch.
    pub branch: Option<String>,
    /// Deployment waits for a reviewer's approval.
    pub approval: Option<bool>,
    /// The ingress host.
    pub domain: Option<String>,
    /// Production or not; guessed from the name and position when absent.
    pub tier: Option<Tier>,
    /// The environment lives in its own cloud account (AWS), project (GCP) or subscription (Azure).
    pub separate_account: Option<bool>,
}

/// `[delivery]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveryAnswers {
    /// Rolling, blue-green or canary.
    pub strategy: Option<Strategy>,
    /// Where images are pushed.
    pub registry: Option<Registry>,
    /// Argo CD syncs the cluster instead of CI applying manifests.
    pub gitops: Option<bool>,
    /// Where jobs that reach the cluster API and private endpoints run.
    pub runners: Option<Runners>,
}

/// `[reliability]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReliabilityAnswers {
    /// The availability target.
    pub availability: Option<Availability>,
}

/// The keys each table accepts, used to reject unknown keys with a suggestion.
const TOP_KEYS: &[&str] = &[
    "schema",
    "app",
    "cloud",
    "services",
    "datastores",
    "environments",
    "delivery",
    "reliability",
];
const APP_KEYS: &[&str] = &[
    "name",
    "description",
    "repository",
    "owners",
    "team_size",
    "default_branch",
];
const CLOUD_KEYS: &[&str] = &["provider", "region", "dr_region"];
const SERVICE_KEYS: &[&str] = &[
    "name",
    "language",
    "package_manager",
    "path",
    "kind",
    "port",
    "schedule",
    "health_path",
    "readiness_path",
    "metrics_path",
    "uses",
    "connections",
    "public",
    "build",
    "start",
    "runtime_version",
    "output",
];
const CONNECTION_KEYS: &[&str] = &["form", "variable", "username_variable", "password_variable"];
const DATASTORE_KEYS: &[&str] = &["name", "engine", "version"];
const ENVIRONMENT_KEYS: &[&str] = &[
    "name",
    "branch",
    "approval",
    "domain",
    "tier",
    "separate_account",
];
const DELIVERY_KEYS: &[&str] = &["strategy", "registry", "gitops", "runners"];
const RELIABILITY_KEYS: &[&str] = &["availability"];

/// A parsed file: the typed answers and the document, kept to find lines for later problems.
#[derive(Debug)]
pub struct ParsedAnswers {
    /// The typed answers.
    pub answers: Answers,
    /// The original text, to turn spans into line numbers.
    source: String,
    /// The syntax tree with spans.
    document: Document<String>,
}

impl Answers {
    /// Parses `scaffold.toml` text, rejecting unknown keys and wrong types.
    pub fn parse(source: &str) -> Result<ParsedAnswers, AnswersError> {
        let document = Document::parse(source.to_owned())
            .map_err(|err| AnswersError::Syntax(err.to_string().trim_end().to_owned()))?;
        let mut problems = Vec::new();
        unknown_keys(source, document.as_table(), "", TOP_KEYS, &mut problems);
        if !problems.is_empty() {
            return Err(AnswersError::Invalid { problems });
        }
        let answers: Answers = toml::from_str(source).map_err(|err| {
            let message = err.to_string();
            let message = if message.contains("missing field `app`") {
                "the `[app]` table is missing\n  help: add `[app]` with at least `name = \"my-app\"`"
                    .to_owned()
            } else {
                message.trim_end().to_owned()
            };
            AnswersError::Syntax(message)
        })?;
        Ok(ParsedAnswers {
            answers,
            source: source.to_owned(),
            document,
        })
    }
}

impl ParsedAnswers {
    /// The 1-based line of a key path such as `services[1].uses[0]`, when it is in the file.
    ///
    /// Falls back to the nearest enclosing key that is present, so a problem
    /// with a missing key points at the table that should hold it.
    pub fn line_of(&self, path: &str) -> Option<usize> {
        let mut item: &Item = self.document.as_item();
        let mut span = None;
        for segment in path.split('.') {
            let (key, index) = match segment.split_once('[') {
                Some((key, rest)) => (key, rest.trim_end_matches(']').parse::<usize>().ok()),
                None => (segment, None),
            };
            let Some((k, value)) = item.as_table_like().and_then(|t| t.get_key_value(key)) else {
                break;
            };
            span = k.span().or(span);
            item = value;
            if let Some(index) = index {
                let Some(element) = item.get(index) else {
                    break;
                };
                span = element.span().or(span);
                item = element;
            }
        }
        span.map(|s| line_at(&self.source, s.start))
    }
}

/// The 1-based line of a byte offset.
fn line_at(source: &str, offset: usize) -> usize {
    source[..offset.min(source.len())].matches('\n').count() + 1
}

/// Reports every key of `table` not in `allowed`, and recurses into known sub-tables.
fn unknown_keys(
    source: &str,
    table: &Table,
    prefix: &str,
    allowed: &[&str],
    problems: &mut Vec<Problem>,
) {
    for (key, item) in table.iter() {
        let path = if prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{prefix}.{key}")
        };
        if !allowed.contains(&key) {
            let line = table
                .key(key)
                .and_then(|k| k.span())
                .map(|span| line_at(source, span.start));
            problems.push(Problem {
                path,
                line,
                message: "unknown key".to_owned(),
                help: suggestion(key, allowed),
            });
            continue;
        }
        let nested = match (prefix, key) {
            (_, "connections") if is_service(prefix) => {
                // `connections` maps datastore names (any key) to tables of CONNECTION_KEYS.
                for (name, entry) in item.as_table_like().into_iter().flat_map(|t| t.iter()) {
                    let entry_path = format!("{path}.{name}");
                    match entry {
                        Item::Table(sub) => {
                            unknown_keys(source, sub, &entry_path, CONNECTION_KEYS, problems);
                        }
                        Item::Value(value) => {
                            if let Some(inline) = value.as_inline_table() {
                                let sub = inline.clone().into_table();
                                unknown_keys(source, &sub, &entry_path, CONNECTION_KEYS, problems);
                            }
                        }
                        _ => {}
                    }
                }
                continue;
            }
            ("", "app") => Some(APP_KEYS),
            ("", "cloud") => Some(CLOUD_KEYS),
            ("", "delivery") => Some(DELIVERY_KEYS),
            ("", "reliability") => Some(RELIABILITY_KEYS),
            ("", "services") => Some(SERVICE_KEYS),
            ("", "datastores") => Some(DATASTORE_KEYS),
            ("", "environments") => Some(ENVIRONMENT_KEYS),
            _ => None,
        };
        let Some(nested) = nested else { continue };
        match item {
            Item::Table(sub) => unknown_keys(source, sub, &path, nested, problems),
            Item::ArrayOfTables(array) => {
                for (index, sub) in array.iter().enumerate() {
                    unknown_keys(source, sub, &format!("{path}[{index}]"), nested, problems);
                }
            }
            Item::Value(value) => {
                if let Some(inline) = value.as_inline_table() {
                    let sub = inline.clone().into_table();
                    unknown_keys(source, &sub, &path, nested, problems);
                } else if let Some(array) = value.as_array() {
                    for (index, element) in array.iter().enumerate() {
                        if let Some(inline) = element.as_inline_table() {
                            let sub = inline.clone().into_table();
                            unknown_keys(
                                source,
                                &sub,
                                &format!("{path}[{index}]"),
                                nested,
                                problems,
                            );
                        }
                    }
                }
            }
            Item::None => {}
        }
    }
}

/// Whether `prefix` is the key path of one `[[services]]` entry, such as `services[0]`.
fn is_service(prefix: &str) -> bool {
    prefix
        .strip_prefix("services[")
        .and_then(|rest| rest.strip_suffix(']'))
        .is_some_and(|index| index.parse::<usize>().is_ok())
}

/// "did you mean `x`?" for the closest allowed key, and the full list.
fn suggestion(key: &str, allowed: &[&str]) -> String {
    let nearest = allowed
        .iter()
        .map(|candidate| (strsim::damerau_levenshtein(key, candidate), *candidate))
        .filter(|(distance, candidate)| *distance <= 2.max(candidate.len() / 3))
        .min();
    let list = allowed
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    match nearest {
        Some((_, candidate)) => format!("did you mean `{candidate}`? valid keys here: {list}"),
        None => format!("valid keys here: {list}"),
    }
}
