//! The shape of `scaffold.toml`: which keys exist and what each one takes.
//!
//! The shape is derived from the [`Answers`] types themselves (their
//! `JsonSchema` derive, which follows the same serde attributes the parser
//! does), never written down a second time. Everything that needs to know
//! what a key accepts reads it from here: the parser's type pass (every
//! unknown key and every wrong type reported at once, each with its line,
//! what was found, what is allowed and the nearest valid value), and the
//! CLI's `--set`, which types a value as a person types it by its key.
//!
//! A new field in `answers.rs`, or a new value in `vocabulary.rs`, is known
//! here without any other change.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::OnceLock;

use serde_json::{Map, Value};

use crate::answers::Answers;

/// What one key of `scaffold.toml` takes.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// Any string.
    String,
    /// A whole number, within bounds when the Rust type has them.
    Integer {
        /// The smallest value allowed.
        min: Option<i64>,
        /// The largest value allowed.
        max: Option<i64>,
    },
    /// `true` or `false`.
    Bool,
    /// One of these strings, in the documented order.
    Enum(Vec<String>),
    /// A list of values of one shape (a list of tables is written `[[key]]`).
    List(Box<Shape>),
    /// A table with known keys.
    Table(Table),
    /// A table whose keys are names the user chooses (such as datastore names), each
    /// holding a value of one shape.
    Map(Box<Shape>),
    /// Any of these shapes (a value that may be a number or a word, say).
    AnyOf(Vec<Shape>),
}

/// A table's keys, in alphabetical order.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Every key the table accepts.
    pub fields: Vec<Field>,
}

/// One key of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The key as written in `scaffold.toml`.
    pub name: String,
    /// What it takes.
    pub shape: Shape,
    /// Whether the table must have it.
    pub required: bool,
    /// The key's documentation, from the field's doc comment.
    pub description: String,
}

impl Table {
    /// The field named `name`.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The key names, for messages.
    pub fn names(&self) -> Vec<&str> {
        self.fields.iter().map(|f| f.name.as_str()).collect()
    }
}

/// The shape of the whole answers file, computed once.
pub fn answers() -> &'static Shape {
    static SHAPE: OnceLock<Shape> = OnceLock::new();
    SHAPE.get_or_init(|| {
        let schema = schemars::schema_for!(Answers);
        let root = schema.as_value();
        let defs = root
            .get("$defs")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        from_json(root, &defs)
    })
}

/// Turns the JSON Schema schemars writes for our types into a [`Shape`].
///
/// Only the constructs our types produce are handled: `$ref`, `type` (with
/// `null` for `Option`), `enum` and `oneOf` of `const`s for unit enums,
/// `anyOf` for options and untagged enums, `properties` with `required`.
/// Anything else is a bug in this function, found by the tests that walk
/// every key.
fn from_json(value: &Value, defs: &Map<String, Value>) -> Shape {
    if let Some(reference) = value.get("$ref").and_then(Value::as_str) {
        let name = reference.trim_start_matches("#/$defs/");
        let target = defs
            .get(name)
            .unwrap_or_else(|| panic!("schema reference {reference} has no definition"));
        return from_json(target, defs);
    }
    if let Some(values) = value.get("enum").and_then(Value::as_array) {
        return Shape::Enum(
            values
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
        );
    }
    if let Some(variants) = value.get("oneOf").and_then(Value::as_array)
        && variants.iter().all(|v| v.get("const").is_some())
    {
        return Shape::Enum(
            variants
                .iter()
                .filter_map(|v| v.get("const").and_then(Value::as_str))
                .map(str::to_owned)
                .collect(),
        );
    }
    if let Some(options) = value
        .get("anyOf")
        .or_else(|| value.get("oneOf"))
        .and_then(Value::as_array)
    {
        let mut shapes: Vec<Shape> = options
            .iter()
            .filter(|o| o.get("type").and_then(Value::as_str) != Some("null"))
            .map(|o| from_json(o, defs))
            .collect();
        return if shapes.len() == 1 {
            shapes.remove(0)
        } else {
            Shape::AnyOf(shapes)
        };
    }
    let types: Vec<&str> = match value.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .collect(),
        _ => Vec::new(),
    };
    let mut shapes: Vec<Shape> = types
        .iter()
        .map(|t| match *t {
            "string" => Shape::String,
            "boolean" => Shape::Bool,
            "integer" => Shape::Integer {
                min: value.get("minimum").and_then(Value::as_i64),
                max: value.get("maximum").and_then(Value::as_i64).or_else(|| {
                    match value.get("format").and_then(Value::as_str) {
                        Some("uint32") => Some(i64::from(u32::MAX)),
                        Some("uint16") => Some(i64::from(u16::MAX)),
                        Some("int32") => Some(i64::from(i32::MAX)),
                        _ => None,
                    }
                }),
            },
            "array" => Shape::List(Box::new(
                value
                    .get("items")
                    .map_or(Shape::String, |items| from_json(items, defs)),
            )),
            // A map (`BTreeMap<String, T>`) has `additionalProperties` and no properties.
            "object" => match value.get("additionalProperties") {
                Some(values) if values.is_object() && value.get("properties").is_none() => {
                    Shape::Map(Box::new(from_json(values, defs)))
                }
                _ => Shape::Table(table(value, defs)),
            },
            other => panic!("scaffold.toml's schema has an unsupported type `{other}`"),
        })
        .collect();
    match shapes.len() {
        1 => shapes.remove(0),
        0 => panic!("scaffold.toml's schema has a value without a type: {value}"),
        _ => Shape::AnyOf(shapes),
    }
}

fn table(value: &Value, defs: &Map<String, Value>) -> Table {
    let required: Vec<&str> = value
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let properties: BTreeMap<&String, &Value> = value
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.iter().collect())
        .unwrap_or_default();
    Table {
        fields: properties
            .into_iter()
            .map(|(name, schema)| Field {
                name: name.clone(),
                shape: from_json(schema, defs),
                required: required.contains(&name.as_str()),
                description: schema
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            })
            .collect(),
    }
}

/// One step of a key path: `services[0]` is `Key("services")` then `Index(0)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// A table key.
    Key(String),
    /// A list index.
    Index(usize),
}

/// Splits `services[0].port` (or `services.0.port`) into segments.
pub fn parse_path(path: &str) -> Result<Vec<Segment>, String> {
    let mut out = Vec::new();
    for part in path.split('.') {
        if let Ok(index) = part.parse::<usize>() {
            if !matches!(out.last(), Some(Segment::Key(_))) {
                return Err(format!("`{path}` has an index in the wrong place"));
            }
            out.push(Segment::Index(index));
            continue;
        }
        let (name, rest) = part.split_once('[').unwrap_or((part, ""));
        if name.is_empty() {
            return Err(format!("`{path}` has an empty part"));
        }
        out.push(Segment::Key(name.to_owned()));
        let mut rest = rest;
        while !rest.is_empty() {
            let (index, after) = rest
                .split_once(']')
                .and_then(|(i, after)| Some((i.parse::<usize>().ok()?, after)))
                .ok_or_else(|| format!("`{part}` is not a valid index; write `name[0]`"))?;
            out.push(Segment::Index(index));
            rest = after.strip_prefix('[').unwrap_or(after);
            if !after.is_empty() && !after.starts_with('[') {
                return Err(format!("`{part}` is not a valid index; write `name[0]`"));
            }
        }
    }
    Ok(out)
}

/// Why a key path names nothing in `scaffold.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownKey {
    /// The path up to and including the step that failed.
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// What would be accepted.
    pub help: String,
}

impl Shape {
    /// The shape at `segments` below this one.
    pub fn at(&self, segments: &[Segment]) -> Result<&Shape, UnknownKey> {
        let mut shape = self;
        let mut path = String::new();
        for segment in segments {
            match (segment, shape) {
                (Segment::Key(key), Shape::Table(table)) => {
                    let field = table.field(key).ok_or_else(|| UnknownKey {
                        path: join(&path, key),
                        message: "unknown key".to_owned(),
                        help: suggest_key(key, &table.names()),
                    })?;
                    path = join(&path, key);
                    shape = &field.shape;
                }
                (Segment::Index(index), Shape::List(item)) => {
                    let _ = write!(path, "[{index}]");
                    shape = item;
                }
                (Segment::Key(key), Shape::Map(value)) => {
                    path = join(&path, key);
                    shape = value;
                }
                (Segment::Key(key), _) => {
                    return Err(UnknownKey {
                        path: join(&path, key),
                        message: format!("`{path}` is {}, which has no keys", shape.describe()),
                        help: String::new(),
                    });
                }
                (Segment::Index(index), _) => {
                    return Err(UnknownKey {
                        path: format!("{path}[{index}]"),
                        message: format!("`{path}` is {}, not a list", shape.describe()),
                        help: String::new(),
                    });
                }
            }
        }
        Ok(shape)
    }

    /// What the shape takes, in words: "a whole number", "one of `aws`, `gcp`, `azure`".
    pub fn describe(&self) -> String {
        match self {
            Shape::String => "a string".to_owned(),
            Shape::Integer { min, max } => match (min, max) {
                (Some(min), Some(max)) => format!("a whole number from {min} to {max}"),
                (Some(min), None) => format!("a whole number from {min}"),
                _ => "a whole number".to_owned(),
            },
            Shape::Bool => "`true` or `false`".to_owned(),
            Shape::Enum(values) => format!("one of {}", quoted_list(values)),
            Shape::List(item) => match item.as_ref() {
                Shape::Table(_) => "a list of tables".to_owned(),
                Shape::String => "a list of strings".to_owned(),
                other => format!("a list of {}", other.describe()),
            },
            Shape::Table(_) => "a table".to_owned(),
            Shape::Map(value) => format!("a table of names to {}", value.describe()),
            Shape::AnyOf(shapes) => shapes
                .iter()
                .map(Shape::describe)
                .collect::<Vec<_>>()
                .join(" or "),
        }
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

/// `"a"`, `"b"` and `"c"` as a list for messages: "`a`, `b`, `c`".
pub fn quoted_list(values: &[String]) -> String {
    values
        .iter()
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `names` as code spans in a sentence: `` `a` ``, `` `a` and `b` ``, `` `a`, `b` and `c` ``.
pub fn code_spans(names: &[&str]) -> String {
    let spans: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match spans.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// The allowed value nearest to `found`: the same text in another case, the
/// closest number when every value is a number (availability targets), or a
/// small edit away (the distance grows with the length, as for keys).
pub fn nearest<'a>(found: &str, allowed: &'a [String]) -> Option<&'a str> {
    if let Some(same) = allowed.iter().find(|a| a.eq_ignore_ascii_case(found)) {
        return Some(same);
    }
    let numbers: Option<Vec<f64>> = allowed.iter().map(|a| a.parse::<f64>().ok()).collect();
    if let (Ok(number), Some(numbers)) = (found.trim().parse::<f64>(), numbers) {
        return numbers
            .iter()
            .zip(allowed)
            .min_by(|(a, _), (b, _)| (*a - number).abs().total_cmp(&(*b - number).abs()))
            .map(|(_, text)| text.as_str());
    }
    let lower = found.to_ascii_lowercase();
    allowed
        .iter()
        .map(|candidate| (strsim::damerau_levenshtein(&lower, candidate), candidate))
        .filter(|(distance, candidate)| *distance <= 2.max(candidate.len() / 3))
        .min()
        .map(|(_, candidate)| candidate.as_str())
}

/// "did you mean `x`? valid keys here: ..." for an unknown key.
pub fn suggest_key(key: &str, allowed: &[&str]) -> String {
    let owned: Vec<String> = allowed.iter().map(|k| (*k).to_owned()).collect();
    let list = quoted_list(&owned);
    match nearest(key, &owned) {
        Some(candidate) => format!("did you mean `{candidate}`? valid keys here: {list}"),
        None => format!("valid keys here: {list}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(path: &str, expect: &str) {
        let segments = parse_path(path).unwrap();
        let shape = answers().at(&segments).unwrap();
        assert_eq!(shape.describe(), expect, "{path}");
    }

    #[test]
    fn every_key_has_its_shape_from_the_types() {
        check("app.name", "a string");
        check("app.team_size", "a whole number from 0 to 4294967295");
        check("app.owners", "a list of strings");
        check("services", "a list of tables");
        check("services[0].port", "a whole number");
        check("services[3].public", "`true` or `false`");
        check("cloud.provider", "one of `aws`, `gcp`, `azure`");
        check(
            "reliability.availability",
            "one of `99`, `99.5`, `99.9`, `99.95`, `99.99`",
        );
        check(
            "delivery.strategy",
            "one of `rolling`, `blue-green`, `canary`",
        );
        check(
            "environments.1.tier",
            "one of `production`, `non-production`",
        );
    }

    #[test]
    fn required_keys_are_known() {
        let Shape::Table(root) = answers() else {
            panic!("the root is a table")
        };
        assert!(root.field("app").unwrap().required);
        assert!(!root.field("services").unwrap().required);
        let Shape::Table(app) = &root.field("app").unwrap().shape else {
            panic!("app is a table")
        };
        assert!(app.field("name").unwrap().required);
        assert_eq!(
            app.field("name").unwrap().description,
            "The application's name."
        );
    }

    #[test]
    fn unknown_keys_name_the_nearest() {
        let err = answers()
            .at(&parse_path("cloud.regoin").unwrap())
            .unwrap_err();
        assert_eq!(err.path, "cloud.regoin");
        assert!(err.help.starts_with("did you mean `region`?"), "{err:?}");
        let err = answers()
            .at(&parse_path("app.name.first").unwrap())
            .unwrap_err();
        assert!(
            err.message.contains("is a string, which has no keys"),
            "{err:?}"
        );
    }

    #[test]
    fn paths_parse_both_index_spellings() {
        let expect = vec![
            Segment::Key("services".to_owned()),
            Segment::Index(1),
            Segment::Key("port".to_owned()),
        ];
        assert_eq!(parse_path("services[1].port").unwrap(), expect);
        assert_eq!(parse_path("services.1.port").unwrap(), expect);
        assert!(parse_path("services[x].port").is_err());
        assert!(parse_path("0.port").is_err());
        assert!(parse_path("app..name").is_err());
    }

    #[test]
    fn nearest_values_tolerate_case_and_typos() {
        let allowed: Vec<String> = ["aws", "gcp", "azure"].map(str::to_owned).to_vec();
        assert_eq!(nearest("AWS", &allowed), Some("aws"));
        assert_eq!(nearest("azur", &allowed), Some("azure"));
        assert_eq!(nearest("oracle", &allowed), None);
        let targets: Vec<String> = ["99", "99.5", "99.9", "99.95"].map(str::to_owned).to_vec();
        assert_eq!(nearest("99.7", &targets), Some("99.5"));
        assert_eq!(nearest("99.8", &targets), Some("99.9"));
    }
}
