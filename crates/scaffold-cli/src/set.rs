//! `--set KEY=VALUE`: edits answers text in place, keeping its comments.
//!
//! Keys are dotted paths with optional indexes: `app.name`,
//! `services[0].port`, `delivery.gitops`. A value is typed by what its key
//! takes, as core's schema of `scaffold.toml` says ([`scaffold_core::schema`],
//! derived from the answer types, so there is no second list to drift):
//! `--set reliability.availability=99.95` is the string `"99.95"` because the
//! key takes one of a list of strings, `--set services[0].port=8080` the
//! number 8080, `--set app.owners=@a,@b` a list. A key or value that does
//! not fit is refused here, naming the key and what it accepts; nothing
//! reaches the TOML parser as text the user did not write.
//!
//! A list of tables grows by one when the index is its length, so
//! `--set services[1].name=worker --set services[1].language=python` adds a
//! service. Problems that validation finds later are told against the
//! `--set` that caused them ([`explain`]), not against a line of a document
//! the user never saw.

use anyhow::Result;
use scaffold_core::schema::{self, Segment, Shape};
use scaffold_core::{Answers, AnswersError, Problem};
use toml_edit::{Array, DocumentMut, Item, Table, Value};

use crate::exit::invalid;

/// Applies every `KEY=VALUE` in `sets` to `text`.
pub fn apply(text: &str, sets: &[String]) -> Result<String> {
    if sets.is_empty() {
        return Ok(text.to_owned());
    }
    let Ok(mut doc) = text.parse::<DocumentMut>() else {
        // Core words the syntax error: line, column and the line itself.
        let err = Answers::read(text).expect_err("toml_edit rejected it");
        return Err(invalid(err.to_string()));
    };
    for set in sets {
        let (key, raw) = set.split_once('=').ok_or_else(|| {
            invalid(format!(
                "`--set {set}` has no `=`; write it as KEY=VALUE, such as `--set app.name=shop`"
            ))
        })?;
        let (key, raw) = (key.trim(), raw.trim());
        let segments = schema::parse_path(key)
            .map_err(|message| invalid(format!("`--set {set}`: {message}")))?;
        let shape = schema::answers().at(&segments).map_err(|unknown| {
            let help = if unknown.help.is_empty() {
                String::new()
            } else {
                format!("\n  help: {}", unknown.help)
            };
            invalid(format!(
                "`--set {set}`: `{}` is not a key of scaffold.toml ({}){help}",
                unknown.path, unknown.message
            ))
        })?;
        let value = typed(shape, raw).map_err(|message| {
            invalid(format!(
                "`--set {set}`: `{key}` takes {}; {message}",
                shape.describe()
            ))
        })?;
        set_path(doc.as_table_mut(), &segments, value)
            .map_err(|message| invalid(format!("`--set {set}`: {message}")))?;
    }
    Ok(doc.to_string())
}

/// `raw` as a value of `shape`, or why it is not one.
fn typed(shape: &Shape, raw: &str) -> Result<Value, String> {
    match shape {
        Shape::String => Ok(Value::from(unquote(raw))),
        Shape::Integer { min, max } => {
            let number: i64 = raw
                .replace('_', "")
                .parse()
                .map_err(|_| format!("`{raw}` is not a whole number"))?;
            if min.is_some_and(|m| number < m) || max.is_some_and(|m| number > m) {
                return Err(format!("{number} is out of range"));
            }
            Ok(Value::from(number))
        }
        Shape::Bool => match raw.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" => Ok(Value::from(true)),
            "false" | "no" | "off" => Ok(Value::from(false)),
            _ => Err(format!("`{raw}` is neither")),
        },
        Shape::Enum(values) => {
            let text = unquote(raw);
            if values.contains(&text) {
                return Ok(Value::from(text));
            }
            Err(match schema::nearest(&text, values) {
                Some(near) => format!("`{text}` is not one of them; did you mean `{near}`?"),
                None => format!("`{text}` is not one of them"),
            })
        }
        Shape::List(element) if !matches!(**element, Shape::Table(_)) => {
            let items: Vec<String> = match raw.parse::<Value>() {
                Ok(Value::Array(array)) if raw.starts_with('[') => array
                    .iter()
                    .map(|v| match v {
                        Value::String(s) => s.value().clone(),
                        other => other.to_string().trim().to_owned(),
                    })
                    .collect(),
                _ => raw
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
            };
            let mut array = Array::new();
            for item in items {
                array.push(typed(element, &item).map_err(|m| format!("in the list, {m}"))?);
            }
            Ok(Value::Array(array))
        }
        Shape::AnyOf(shapes) => shapes
            .iter()
            .find_map(|s| typed(s, raw).ok())
            .ok_or_else(|| format!("`{raw}` is none of these")),
        Shape::List(_) | Shape::Table(_) | Shape::Map(_) => {
            Err("set one key inside it instead, such as `services[0].name=api`".to_owned())
        }
    }
}

/// `"text"` or `'text'` as TOML would read it; anything else as it is.
fn unquote(raw: &str) -> String {
    if ((raw.starts_with('"') && raw.ends_with('"') && raw.len() >= 2)
        || (raw.starts_with('\'') && raw.ends_with('\'') && raw.len() >= 2))
        && let Ok(Value::String(s)) = raw.parse::<Value>()
    {
        return s.value().clone();
    }
    raw.to_owned()
}

fn set_path(root: &mut Table, segments: &[Segment], value: Value) -> Result<(), String> {
    let mut table = root;
    let mut i = 0;
    while i < segments.len() {
        let Segment::Key(name) = &segments[i] else {
            return Err("an index must follow a key".to_owned());
        };
        let index = match segments.get(i + 1) {
            Some(Segment::Index(index)) => Some(*index),
            _ => None,
        };
        let last = i + 1 + usize::from(index.is_some()) == segments.len();
        if last && index.is_none() {
            // Keep the old value's decor, which holds its trailing comment.
            let mut value = value;
            if let Some(old) = table.get(name).and_then(Item::as_value) {
                *value.decor_mut() = old.decor().clone();
            }
            table[name.as_str()] = Item::Value(value);
            return Ok(());
        }
        if last {
            return Err(format!(
                "give a key inside `{name}[{}]`, such as `{name}[{}].name`",
                index.unwrap_or(0),
                index.unwrap_or(0)
            ));
        }
        if !table.contains_key(name) {
            let item = if index.is_some() {
                Item::ArrayOfTables(toml_edit::ArrayOfTables::new())
            } else {
                let mut sub = Table::new();
                sub.set_implicit(true);
                Item::Table(sub)
            };
            table.insert(name, item);
        }
        let item = table.get_mut(name).expect("just inserted");
        table = match index {
            Some(index) => {
                let array = item
                    .as_array_of_tables_mut()
                    .ok_or_else(|| format!("`{name}` is not written as `[[{name}]]` tables"))?;
                let len = array.len();
                if index == len {
                    array.push(Table::new());
                }
                array.get_mut(index).ok_or_else(|| {
                    format!(
                        "`{name}[{index}]` does not exist; the list has {len} entries (use index {len} to add one)"
                    )
                })?
            }
            None => item
                .as_table_mut()
                .ok_or_else(|| format!("`{name}` is not a table in this file"))?,
        };
        i += 1 + usize::from(index.is_some());
    }
    Err("the key is empty".to_owned())
}

/// The problems of answers that `--set` changed, told against the `--set`
/// that caused each one.
///
/// `original` is the text the user wrote, when there is one (`--answers FILE`
/// or an existing `scaffold.toml`): a problem not caused by a `--set` keeps
/// its line there. Answers scaffold wrote itself (`--defaults`, the wizard)
/// have no line a user could look up, so their problems carry none.
pub fn explain(err: AnswersError, sets: &[String], original: Option<&str>) -> AnswersError {
    let AnswersError::Invalid { problems } = err else {
        return err;
    };
    let keys: Vec<(String, &String)> = sets
        .iter()
        .filter_map(|set| {
            let key = set.split_once('=')?.0.trim();
            // `services.0.port` and `services[0].port` name the same key.
            let segments = schema::parse_path(key).ok()?;
            Some((canonical(&segments), set))
        })
        .collect();
    let related = |a: &str, b: &str| {
        a == b
            || [".", "["].iter().any(|sep| {
                a.starts_with(&format!("{b}{sep}")) || b.starts_with(&format!("{a}{sep}"))
            })
    };
    let problems = problems
        .into_iter()
        .map(|problem| {
            let cause = keys
                .iter()
                .rev()
                .find(|(key, _)| related(key, &problem.path));
            match cause {
                Some((_, set)) => Problem {
                    line: None,
                    message: format!("{} (from `--set {set}`)", problem.message),
                    ..problem
                },
                None => Problem {
                    line: original
                        .and_then(|text| scaffold_core::answers::line_in(text, &problem.path)),
                    ..problem
                },
            }
        })
        .collect();
    AnswersError::Invalid { problems }
}

/// `services[0].port` for any spelling of the path.
fn canonical(segments: &[Segment]) -> String {
    let mut out = String::new();
    for segment in segments {
        match segment {
            Segment::Key(key) if out.is_empty() => out.push_str(key),
            Segment::Key(key) => {
                out.push('.');
                out.push_str(key);
            }
            Segment::Index(index) => out.push_str(&format!("[{index}]")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use scaffold_core::Project;
    use scaffold_core::project::Facts;

    use super::*;

    fn check(text: &str, sets: &[&str], expect: &str) {
        let sets: Vec<String> = sets.iter().map(|s| (*s).to_owned()).collect();
        assert_eq!(apply(text, &sets).unwrap(), expect);
    }

    fn check_err(sets: &[&str], expect: &str) {
        let sets: Vec<String> = sets.iter().map(|s| (*s).to_owned()).collect();
        let err = apply("[app]\nname = \"a\"\n[[services]]\nname = \"x\"\n", &sets)
            .unwrap_err()
            .to_string();
        assert_eq!(err, expect);
    }

    #[test]
    fn sets_strings_without_quotes_and_keeps_comments() {
        check(
            "[app]\nname = \"a\" # the name\n",
            &["app.name=shop"],
            "[app]\nname = \"shop\" # the name\n",
        );
        check(
            "[app]\nname = \"a\"\n",
            &["app.name=\"b c\""],
            "[app]\nname = \"b c\"\n",
        );
    }

    #[test]
    fn values_are_typed_by_their_key() {
        check(
            "[[services]]\nname = \"x\"\n",
            &["services[0].port=8080", "services.0.public=true"],
            "[[services]]\nname = \"x\"\nport = 8080\npublic = true\n",
        );
        // A number to the eye, a string to scaffold.toml: the example in `new --help`.
        check(
            "",
            &["reliability.availability=99.95"],
            "[reliability]\navailability = \"99.95\"\n",
        );
        check(
            "[app]\nname = \"2024\"\n",
            &["app.name=2025"],
            "[app]\nname = \"2025\"\n",
        );
        check(
            "",
            &["app.owners=@acme/platform, @acme/sre", "app.team_size=6"],
            "[app]\nowners = [\"@acme/platform\", \"@acme/sre\"]\nteam_size = 6\n",
        );
        check("", &["app.owners=[\"@a\"]"], "[app]\nowners = [\"@a\"]\n");
        check("", &["delivery.gitops=yes"], "[delivery]\ngitops = true\n");
    }

    #[test]
    fn creates_missing_tables_and_list_entries() {
        check(
            "[app]\nname = \"a\"\n",
            &["delivery.strategy=canary"],
            "[app]\nname = \"a\"\n\n[delivery]\nstrategy = \"canary\"\n",
        );
        check(
            "[[services]]\nname = \"x\"\n",
            &["services[1].name=y", "services[1].language=go"],
            "[[services]]\nname = \"x\"\n\n[[services]]\nname = \"y\"\nlanguage = \"go\"\n",
        );
    }

    #[test]
    fn errors_name_the_key_and_what_it_takes() {
        check_err(
            &["app.name"],
            "`--set app.name` has no `=`; write it as KEY=VALUE, such as `--set app.name=shop`",
        );
        check_err(
            &["services[3].port=1"],
            "`--set services[3].port=1`: `services[3]` does not exist; the list has 1 entries (use index 1 to add one)",
        );
        check_err(
            &["services[0].port=http"],
            "`--set services[0].port=http`: `services[0].port` takes a whole number; `http` is not a whole number",
        );
        check_err(
            &["reliability.availability=99.8"],
            "`--set reliability.availability=99.8`: `reliability.availability` takes one of `99`, `99.5`, `99.9`, `99.95`, `99.99`; `99.8` is not one of them; did you mean `99.9`?",
        );
        check_err(
            &["cloud.provider=GCP"],
            "`--set cloud.provider=GCP`: `cloud.provider` takes one of `aws`, `gcp`, `azure`; `GCP` is not one of them; did you mean `gcp`?",
        );
        check_err(
            &["cloud.regoin=eu-west-1"],
            "`--set cloud.regoin=eu-west-1`: `cloud.regoin` is not a key of scaffold.toml (unknown key)\n  help: did you mean `region`? valid keys here: `allow_unlisted_regions`, `dr_region`, `provider`, `region`",
        );
        check_err(
            &["app.name.first=x"],
            "`--set app.name.first=x`: `app.name.first` is not a key of scaffold.toml (`app.name` is a string, which has no keys)",
        );
        check_err(
            &["services=api"],
            "`--set services=api`: `services` takes a list of tables; set one key inside it instead, such as `services[0].name=api`",
        );
        check_err(
            &["delivery.gitops=maybe"],
            "`--set delivery.gitops=maybe`: `delivery.gitops` takes `true` or `false`; `maybe` is neither",
        );
    }

    #[test]
    fn later_problems_are_told_against_their_set() {
        let sets = vec!["services.0.port=80".to_owned()];
        let text = apply(
            "[app]\nname = \"shop\"\n\n[[services]]\nname = \"api\"\nlanguage = \"go\"\nhealth_path = \"x\"\n",
            &sets,
        )
        .unwrap();
        let err = Project::from_toml(&text, &Facts::default()).unwrap_err();
        let original = "[app]\nname = \"shop\"\n\n[[services]]\nname = \"api\"\nlanguage = \"go\"\nhealth_path = \"x\"\n";
        let told = explain(err, &sets, Some(original)).to_string();
        assert_eq!(
            told,
            "`services[0].port`: port 80 is privileged (from `--set services.0.port=80`)\n  help: containers run as a non-root user without capabilities, so use a port from 1024 to 65535, such as 8080\nline 7: `services[0].health_path`: `x` is not an HTTP path\n  help: start it with `/`, such as `/health`"
        );
    }
}
