//! `scaffold.toml` exactly as the user wrote it.
//!
//! These structs mirror the file one to one, with every optional key an
//! `Option`, so that [`crate::Project::resolve`] can tell "absent" from "set to
//! the default". Parsing walks the `toml_edit` syntax tree against the shape
//! derived from these types ([`crate::schema`]): every unknown key, wrong type,
//! value outside a vocabulary and missing required key is reported at once,
//! each with its key path, line, what was found, what is allowed and the
//! nearest valid value. Serde then reads only the values that passed, so the
//! semantic rules in [`crate::project`] still run and report their problems in
//! the same list. Serde's and the TOML parser's own messages never reach the user.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use toml_edit::{Document, Item, TableLike, Value};

use crate::datastore::ConnectionForm;
use crate::error::{AnswersError, Problem};
use crate::schema::{self, Shape};
use crate::vocabulary::{
    Availability, Engine, Language, PackageManager, Provider, Registry, Runners, ServiceKind,
    Strategy, Tier,
};

/// The whole answers file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
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
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
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
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CloudAnswers {
    /// The cloud provider.
    pub provider: Option<Provider>,
    /// The primary region.
    pub region: Option<String>,
    /// A second region for backup copies and disaster recovery.
    pub dr_region: Option<String>,
    /// Take `region` and `dr_region` even when scaffold's list of the cloud's regions lacks
    /// them (a region newer than this scaffold).
    pub allow_unlisted_regions: Option<bool>,
}

/// One `[[services]]` entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
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
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
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
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
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
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
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
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
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
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReliabilityAnswers {
    /// The availability target.
    pub availability: Option<Availability>,
}

/// A parsed file: the typed answers, the problems the type pass found, and the
/// document, kept to find lines for later problems.
#[derive(Debug)]
pub struct ParsedAnswers {
    /// The typed answers: every value that passed the type pass (a value that
    /// failed it is left out, or, for a required key, replaced by an empty one).
    pub answers: Answers,
    /// Unknown keys, wrong types and missing required keys, in file order.
    pub problems: Vec<Problem>,
    /// Key paths left out of `answers` (or emptied) because of `problems`:
    /// the semantic checks say nothing more about them.
    dropped: Vec<String>,
    /// The original text, to turn spans into line numbers.
    source: String,
    /// The syntax tree with spans.
    document: Document<String>,
}

impl Answers {
    /// Parses `scaffold.toml` text, rejecting unknown keys and wrong types.
    pub fn parse(source: &str) -> Result<ParsedAnswers, AnswersError> {
        let parsed = Answers::read(source)?;
        if parsed.problems.is_empty() {
            Ok(parsed)
        } else {
            Err(AnswersError::Invalid {
                problems: parsed.problems,
            })
        }
    }

    /// Parses `scaffold.toml` text and keeps going past type problems: the
    /// result holds the answers that passed and every problem found. Only text
    /// that is not TOML at all is an error here.
    pub fn read(source: &str) -> Result<ParsedAnswers, AnswersError> {
        let document =
            Document::parse(source.to_owned()).map_err(|err| syntax_error(source, &err))?;
        let newlines = newlines(source);
        let mut pass = TypePass {
            newlines: &newlines,
            problems: Vec::new(),
            dropped: Vec::new(),
        };
        let root = Item::Table(document.as_table().clone());
        let value = pass
            .item(&root, schema::answers(), "", Some(1))
            .unwrap_or_else(|| toml::Value::Table(toml::Table::new()));
        let answers: Answers = value.try_into().map_err(|err: toml::de::Error| {
            // The type pass follows the same types serde does, so this is a bug in it.
            AnswersError::Invalid {
                problems: vec![Problem {
                    path: String::new(),
                    line: None,
                    message: format!("scaffold could not read these answers: {}", err.message()),
                    help: "please report this with the file attached".to_owned(),
                }],
            }
        })?;
        Ok(ParsedAnswers {
            answers,
            problems: pass.problems,
            dropped: pass.dropped,
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
        line_of(&self.source, &self.document, path)
    }

    /// The type problems followed by the semantic `problems` found on the
    /// answers that passed, in line order, without the semantic problems that
    /// only repeat a type problem (a value left out is "missing" to them).
    pub fn combine(&self, semantic: &[Problem]) -> Vec<Problem> {
        let repeats = |p: &Problem| {
            self.dropped.iter().any(|dropped| {
                let below = p.path == *dropped
                    || p.path.starts_with(&format!("{dropped}."))
                    || p.path.starts_with(&format!("{dropped}["));
                // "service `api` has no `language`" is said of `services[0]`
                // when `services[0].language` was left out.
                let about = dropped
                    .strip_prefix(p.path.as_str())
                    .and_then(|rest| rest.strip_prefix('.'))
                    .is_some_and(|key| !key.contains(['.', '[']))
                    && dropped
                        .rsplit('.')
                        .next()
                        .is_some_and(|key| p.message.contains(&format!("`{key}`")));
                below || about
            })
        };
        let mut all: Vec<Problem> = self.problems.clone();
        all.extend(semantic.iter().filter(|p| !repeats(p)).cloned());
        // Stable: problems on one line keep the order they were found in.
        all.sort_by_key(|p| p.line.unwrap_or(usize::MAX));
        all
    }
}

/// The 1-based line of `path` in the TOML text `source`, or of its nearest
/// present ancestor; `None` when the text is not TOML.
pub fn line_in(source: &str, path: &str) -> Option<usize> {
    let document = Document::parse(source.to_owned()).ok()?;
    line_of(source, &document, path)
}

/// The 1-based line of `path` in `document`, or of its nearest present ancestor.
pub fn line_of(source: &str, document: &Document<String>, path: &str) -> Option<usize> {
    let mut item: &Item = document.as_item();
    let mut span = None;
    let Ok(segments) = schema::parse_path(path) else {
        return None;
    };
    for segment in segments {
        match segment {
            schema::Segment::Key(key) => {
                let Some((k, value)) = item.as_table_like().and_then(|t| t.get_key_value(&key))
                else {
                    break;
                };
                span = k.span().or(span);
                item = value;
            }
            schema::Segment::Index(index) => {
                let Some(element) = item.get(index) else {
                    break;
                };
                span = element.span().or(span);
                item = element;
            }
        }
    }
    span.map(|s| line_at(source, s.start))
}

/// The offset of every newline in `source`.
fn newlines(source: &str) -> Vec<usize> {
    source
        .bytes()
        .enumerate()
        .filter(|(_, b)| *b == b'\n')
        .map(|(i, _)| i)
        .collect()
}

/// The 1-based line of a byte offset.
fn line_at(source: &str, offset: usize) -> usize {
    source[..offset.min(source.len())].matches('\n').count() + 1
}

/// "line 3, column 8: ..." for text that is not TOML, with the line and a caret.
fn syntax_error(source: &str, err: &toml_edit::TomlError) -> AnswersError {
    let message = err
        .message()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    let Some(span) = err.span() else {
        return AnswersError::Syntax(format!("the file is not valid TOML: {message}"));
    };
    let line = line_at(source, span.start);
    let line_start = source[..span.start.min(source.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let text = source[line_start..].lines().next().unwrap_or_default();
    let column = source[line_start..span.start.min(source.len())]
        .chars()
        .count()
        + 1;
    AnswersError::Syntax(format!(
        "line {line}, column {column}: the file is not valid TOML: {message}\n  {line} | {text}\n  {} | {}^",
        " ".repeat(line.to_string().len()),
        " ".repeat(column - 1)
    ))
}

/// The walk over the syntax tree that checks every value against its [`Shape`].
struct TypePass<'a> {
    /// The offset of every newline in the source, to tell a key's line in `log n`
    /// (counting from the start for every key made reading 100 services take 150M
    /// instructions).
    newlines: &'a [usize],
    problems: Vec<Problem>,
    dropped: Vec<String>,
}

/// A value as the user wrote it, for "found ..." in messages.
fn found(item: &Item) -> String {
    match item {
        Item::Value(Value::String(s)) => format!("the string `{:?}`", s.value()),
        Item::Value(Value::Integer(i)) => format!("the number `{}`", i.value()),
        Item::Value(Value::Float(f)) => format!("the number `{}`", f.value()),
        Item::Value(Value::Boolean(b)) => format!("`{}`", b.value()),
        Item::Value(Value::Datetime(d)) => format!("the date `{}`", d.value()),
        Item::Value(Value::Array(_)) => "a list".to_owned(),
        Item::Value(Value::InlineTable(_)) | Item::Table(_) => "a table".to_owned(),
        Item::ArrayOfTables(_) => "a list of tables".to_owned(),
        Item::None => "nothing".to_owned(),
    }
}

/// The text of a scalar, as a person would have meant it: `99.95`, `aws`, `true`.
fn scalar_text(item: &Item) -> Option<String> {
    match item.as_value()? {
        Value::String(s) => Some(s.value().clone()),
        Value::Integer(i) => Some(i.value().to_string()),
        Value::Float(f) => Some(f.value().to_string()),
        Value::Boolean(b) => Some(b.value().to_string()),
        _ => None,
    }
}

impl TypePass<'_> {
    fn problem(
        &mut self,
        path: &str,
        line: Option<usize>,
        message: String,
        help: String,
        dropped: &str,
    ) {
        self.problems.push(Problem {
            path: path.to_owned(),
            line,
            message,
            help,
        });
        self.dropped.push(dropped.to_owned());
    }

    fn line(&self, span: Option<std::ops::Range<usize>>) -> Option<usize> {
        span.map(|s| self.newlines.partition_point(|&newline| newline < s.start) + 1)
    }

    /// Checks `item` at `path` against `shape`; the serde value when it passes.
    fn item(
        &mut self,
        item: &Item,
        shape: &Shape,
        path: &str,
        line: Option<usize>,
    ) -> Option<toml::Value> {
        match shape {
            Shape::Table(table) => {
                let Some(like) = item.as_table_like() else {
                    return self.wrong(item, shape, path, line, path);
                };
                Some(toml::Value::Table(self.table(like, table, path, line)))
            }
            Shape::Map(value) => {
                let Some(like) = item.as_table_like() else {
                    return self.wrong(item, shape, path, line, path);
                };
                let mut out = toml::Table::new();
                for (key, entry) in like.iter() {
                    let child = format!("{path}.{key}");
                    let key_line = self.line(like.key(key).and_then(|k| k.span())).or(line);
                    if let Some(value) = self.item(entry, value, &child, key_line) {
                        out.insert(key.to_owned(), value);
                    }
                }
                Some(toml::Value::Table(out))
            }
            Shape::List(element) => self.list(item, element, shape, path, line),
            Shape::AnyOf(shapes) => {
                for candidate in shapes {
                    let mut trial = TypePass {
                        newlines: self.newlines,
                        problems: Vec::new(),
                        dropped: Vec::new(),
                    };
                    if let Some(value) = trial.item(item, candidate, path, line)
                        && trial.problems.is_empty()
                    {
                        return Some(value);
                    }
                }
                self.wrong(item, shape, path, line, path)
            }
            Shape::String => match item.as_str() {
                Some(text) => Some(toml::Value::String(text.to_owned())),
                None => self.wrong(item, shape, path, line, path),
            },
            Shape::Bool => match item.as_bool() {
                Some(b) => Some(toml::Value::Boolean(b)),
                None => self.wrong(item, shape, path, line, path),
            },
            Shape::Integer { min, max } => {
                let Some(number) = item.as_integer() else {
                    return self.wrong(item, shape, path, line, path);
                };
                let low = min.is_some_and(|m| number < m);
                let high = max.is_some_and(|m| number > m);
                if low || high {
                    let nearest = if low { min } else { max };
                    self.problem(
                        path,
                        line,
                        format!("found `{number}`, expected {}", shape.describe()),
                        format!("the nearest allowed value is `{}`", nearest.unwrap_or(0)),
                        path,
                    );
                    return None;
                }
                Some(toml::Value::Integer(number))
            }
            Shape::Enum(values) => match item.as_str() {
                Some(text) if values.iter().any(|v| v == text) => {
                    Some(toml::Value::String(text.to_owned()))
                }
                _ => self.wrong(item, shape, path, line, path),
            },
        }
    }

    /// Reports `item` as the wrong kind of value for `shape`, with the nearest valid value.
    fn wrong(
        &mut self,
        item: &Item,
        shape: &Shape,
        path: &str,
        line: Option<usize>,
        dropped: &str,
    ) -> Option<toml::Value> {
        let key = path.rsplit('.').next().unwrap_or(path);
        // `key = value` for a key, the value alone for a list entry.
        let snippet = |value: &str| {
            if key.ends_with(']') {
                format!("`{value}`")
            } else {
                format!("`{key} = {value}`")
            }
        };
        let text = scalar_text(item);
        let help = match (shape, item.as_value(), &text) {
            (Shape::Enum(values), _, Some(text)) => {
                let allowed = format!("allowed: {}", schema::quoted_list(values));
                match schema::nearest(text, values) {
                    Some(near) if item.is_str() => format!("did you mean `{near}`? {allowed}"),
                    Some(near) => {
                        format!("write it as a string: {}", snippet(&format!("\"{near}\"")))
                    }
                    None => allowed,
                }
            }
            (Shape::Enum(values), _, None) => {
                format!("allowed: {}", schema::quoted_list(values))
            }
            (Shape::String, Some(_), Some(text)) => {
                format!("write it as a string: {}", snippet(&format!("\"{text}\"")))
            }
            (Shape::Integer { .. }, Some(Value::String(_)), Some(text))
                if text.trim().parse::<i64>().is_ok() =>
            {
                format!("write it without quotes: {}", snippet(text.trim()))
            }
            (Shape::Integer { .. }, Some(Value::Float(f)), _) => {
                format!(
                    "write a whole number, such as {}",
                    snippet(&f.value().round().to_string())
                )
            }
            (Shape::Bool, Some(Value::String(_)), Some(text))
                if matches!(
                    text.to_ascii_lowercase().as_str(),
                    "true" | "false" | "yes" | "no"
                ) =>
            {
                let b = matches!(text.to_ascii_lowercase().as_str(), "true" | "yes");
                format!("write it without quotes: {}", snippet(&b.to_string()))
            }
            (Shape::List(element), Some(_), Some(text)) if matches!(**element, Shape::String) => {
                format!(
                    "write a list, even of one: {}",
                    snippet(&format!("[\"{text}\"]"))
                )
            }
            (Shape::List(element), _, _) if matches!(**element, Shape::Table(_)) => {
                format!("write each entry as a `[[{key}]]` table")
            }
            (Shape::Table(_), _, _) => format!("write it as a `[{key}]` table"),
            _ => String::new(),
        };
        let found = found(item);
        self.problem(
            path,
            line,
            format!("found {found}, expected {}", shape.describe()),
            help,
            dropped,
        );
        None
    }

    fn list(
        &mut self,
        item: &Item,
        element: &Shape,
        shape: &Shape,
        path: &str,
        line: Option<usize>,
    ) -> Option<toml::Value> {
        let elements: Vec<(Item, Option<usize>)> = match item {
            Item::ArrayOfTables(array) => array
                .iter()
                .map(|t| (Item::Table(t.clone()), self.line(t.span())))
                .collect(),
            Item::Value(Value::Array(array)) => array
                .iter()
                .map(|v| (Item::Value(v.clone()), self.line(v.span()).or(line)))
                .collect(),
            _ => return self.wrong(item, shape, path, line, path),
        };
        let mut out = Vec::new();
        let mut whole = true;
        for (index, (element_item, element_line)) in elements.iter().enumerate() {
            let element_path = format!("{path}[{index}]");
            let is_table = element_item.is_table_like();
            match (element, is_table) {
                // A table with a bad key stays in the list, so later entries keep their index.
                (Shape::Table(table), true) => {
                    let like = element_item.as_table_like().expect("checked");
                    let value = self.table(like, table, &element_path, *element_line);
                    out.push(toml::Value::Table(value));
                }
                // Any other bad entry leaves the whole list out, for the same reason.
                _ => {
                    let before = self.problems.len();
                    match self.item(element_item, element, &element_path, *element_line) {
                        Some(value) => out.push(value),
                        None => {
                            whole = false;
                            for dropped in &mut self.dropped[before..] {
                                path.clone_into(dropped);
                            }
                        }
                    }
                }
            }
        }
        whole.then_some(toml::Value::Array(out))
    }

    fn table(
        &mut self,
        like: &dyn TableLike,
        table: &schema::Table,
        path: &str,
        line: Option<usize>,
    ) -> toml::Table {
        let mut out = toml::Table::new();
        // Missing required keys first: a missing `[app]` matters more than what follows it.
        for field in table.fields.iter().filter(|f| f.required) {
            if like.contains_key(&field.name) {
                continue;
            }
            let child = if path.is_empty() {
                field.name.clone()
            } else {
                format!("{path}.{}", field.name)
            };
            let (message, help) = match &field.shape {
                Shape::Table(_) => (
                    format!("the `[{}]` table is missing", field.name),
                    format!("add `[{}]` with at least `name = \"my-app\"`", field.name),
                ),
                shape => (
                    format!("`{}` is missing", field.name),
                    format!(
                        "add `{} = ...` ({}: {})",
                        field.name,
                        shape.describe(),
                        field.description.trim_end_matches('.').to_lowercase()
                    ),
                ),
            };
            self.problem(&child, line, message, help, &child);
            out.insert(field.name.clone(), placeholder(&field.shape));
        }
        for (key, item) in like.iter() {
            let child = if path.is_empty() {
                key.to_owned()
            } else {
                format!("{path}.{key}")
            };
            let key_line = self.line(like.key(key).and_then(|k| k.span())).or(line);
            let Some(field) = table.field(key) else {
                self.problem(
                    &child,
                    key_line,
                    "unknown key".to_owned(),
                    schema::suggest_key(key, &table.names()),
                    &child,
                );
                continue;
            };
            // A required key that is wrong gets an empty stand-in, so the
            // rest of its table is still checked.
            let value = self
                .item(item, &field.shape, &child, key_line)
                .or_else(|| field.required.then(|| placeholder(&field.shape)));
            if let Some(value) = value {
                out.insert(key.to_owned(), value);
            }
        }
        out
    }
}

/// The empty value of a shape, standing in for a required key that is missing or wrong.
fn placeholder(shape: &Shape) -> toml::Value {
    match shape {
        Shape::Table(table) => toml::Value::Table(
            table
                .fields
                .iter()
                .filter(|f| f.required)
                .map(|f| (f.name.clone(), placeholder(&f.shape)))
                .collect(),
        ),
        Shape::List(_) => toml::Value::Array(Vec::new()),
        Shape::Map(_) => toml::Value::Table(toml::Table::new()),
        Shape::Integer { .. } => toml::Value::Integer(0),
        Shape::Bool => toml::Value::Boolean(false),
        Shape::Enum(values) => toml::Value::String(values.first().cloned().unwrap_or_default()),
        Shape::AnyOf(shapes) => shapes
            .first()
            .map_or(toml::Value::String(String::new()), placeholder),
        Shape::String => toml::Value::String(String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::{TypePass, line_at, newlines};
    use crate::project::{Facts, Project};

    /// Asserts the whole report for `source`, every problem at once.
    fn check(source: &str, expect: &str) {
        let err = Project::from_toml(source, &Facts::default()).expect_err("answers are invalid");
        assert_eq!(err.to_string(), expect.trim());
    }

    #[test]
    fn a_key_line_from_the_newline_index_is_the_counted_line() {
        let source = "a = 1\n\n[app]\nname = \"x\"\r\nb = 2\n";
        let index = newlines(source);
        let pass = TypePass {
            newlines: &index,
            problems: Vec::new(),
            dropped: Vec::new(),
        };
        for offset in 0..=source.len() {
            assert_eq!(
                pass.line(Some(offset..offset)),
                Some(line_at(source, offset)),
                "{offset}"
            );
        }
    }

    #[test]
    fn every_mistake_is_reported_at_once_in_line_order() {
        check(
            r#"[app]
name = "Shop"
team_size = "6"

[cloud]
provider = "amazon"
regoin = "eu-west-1"

[[services]]
name = "api"
language = "nodejs"
port = "8080"
public = "yes"
uses = "db"

[reliability]
availability = 99.95
"#,
            r#"
line 2: `app.name`: the app name `Shop` must start with a lowercase letter
  help: use lowercase letters, digits and `-`, starting with a letter, at most 30 characters, such as `shop`
line 3: `app.team_size`: found the string `"6"`, expected a whole number from 0 to 4294967295
  help: write it without quotes: `team_size = 6`
line 6: `cloud.provider`: found the string `"amazon"`, expected one of `aws`, `gcp`, `azure`
  help: allowed: `aws`, `gcp`, `azure`
line 7: `cloud.regoin`: unknown key
  help: did you mean `region`? valid keys here: `allow_unlisted_regions`, `dr_region`, `provider`, `region`
line 11: `services[0].language`: found the string `"nodejs"`, expected one of `node`, `python`, `go`, `rust`, `java`, `dotnet`, `ruby`, `php`, `static`
  help: did you mean `node`? allowed: `node`, `python`, `go`, `rust`, `java`, `dotnet`, `ruby`, `php`, `static`
line 12: `services[0].port`: found the string `"8080"`, expected a whole number
  help: write it without quotes: `port = 8080`
line 13: `services[0].public`: found the string `"yes"`, expected `true` or `false`
  help: write it without quotes: `public = true`
line 14: `services[0].uses`: found the string `"db"`, expected a list of strings
  help: write a list, even of one: `uses = ["db"]`
line 17: `reliability.availability`: found the number `99.95`, expected one of `99`, `99.5`, `99.9`, `99.95`, `99.99`
  help: write it as a string: `availability = "99.95"`
"#,
        );
    }

    #[test]
    fn missing_required_keys_are_named_with_the_rest() {
        check(
            "[[services]]\nlanguage = \"go\"\nport = 80\n",
            r#"
line 1: `app`: the `[app]` table is missing
  help: add `[app]` with at least `name = "my-app"`
line 1: `services[0].name`: `name` is missing
  help: add `name = ...` (a string: the service's name)
line 3: `services[0].port`: port 80 is privileged
  help: containers run as a non-root user without capabilities, so use a port from 1024 to 65535, such as 8080
"#,
        );
    }

    #[test]
    fn lists_keep_their_indexes_past_a_bad_entry() {
        check(
            r#"[app]
name = "shop"

[[services]]
name = "api"
language = "go"
path = "api"
uses = ["db", 5]

[[services]]
name = "web"
language = "rust"
path = "web"
port = 8080.5
"#,
            r#"
line 8: `services[0].uses[1]`: found the number `5`, expected a string
  help: write it as a string: `"5"`
line 14: `services[1].port`: found the number `8080.5`, expected a whole number
  help: write a whole number, such as `port = 8081`
"#,
        );
    }

    #[test]
    fn text_that_is_not_toml_shows_the_line_and_column() {
        let err = crate::Answers::parse("[app]\nname = shop\n").unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("line 2, column 8: the file is not valid TOML: "),
            "{text}"
        );
        assert!(
            text.ends_with("  2 | name = shop\n    |        ^"),
            "{text}"
        );
    }
}
