//! `--set KEY=VALUE`: edits answers text in place, keeping its comments.
//!
//! Keys are dotted paths with optional indexes: `app.name`,
//! `services[0].port`, `delivery.gitops`. Values are read as TOML (`8080`,
//! `true`, `["db"]`, `"text"`); anything that is not valid TOML is taken as a
//! string, so `--set app.name=shop` needs no quotes. Whether the key exists and
//! the value is allowed is left to validation, which names the line.

use anyhow::Result;
use toml_edit::{DocumentMut, Item, Table, Value};

use crate::exit::invalid;

/// Applies every `KEY=VALUE` in `sets` to `text`.
pub fn apply(text: &str, sets: &[String]) -> Result<String> {
    if sets.is_empty() {
        return Ok(text.to_owned());
    }
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|err| invalid(format!("the answers are not valid TOML: {err}")))?;
    for set in sets {
        let (key, value) = set.split_once('=').ok_or_else(|| {
            invalid(format!(
                "`--set {set}` has no `=`; write it as KEY=VALUE, such as `--set app.name=shop`"
            ))
        })?;
        let value = parse_value(value.trim());
        set_path(doc.as_table_mut(), key.trim(), value)
            .map_err(|message| invalid(format!("`--set {set}`: {message}")))?;
    }
    Ok(doc.to_string())
}

fn parse_value(text: &str) -> Value {
    text.parse::<Value>()
        .ok()
        .filter(|v| !matches!(v, Value::InlineTable(_)) || text.starts_with('{'))
        .unwrap_or_else(|| Value::from(text))
}

fn set_path(root: &mut Table, key: &str, value: Value) -> Result<(), String> {
    let segments = parse_key(key)?;
    let mut table = root;
    for (i, (name, index)) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        if last && index.is_none() {
            // Keep the old value's decor, which holds its trailing comment.
            let mut value = value;
            if let Some(old) = table.get(name).and_then(Item::as_value) {
                *value.decor_mut() = old.decor().clone();
            }
            table[name.as_str()] = Item::Value(value);
            return Ok(());
        }
        if !table.contains_key(name) {
            if index.is_some() {
                return Err(format!("there is no `{name}` list to index"));
            }
            let mut sub = Table::new();
            sub.set_implicit(true);
            table.insert(name, Item::Table(sub));
        }
        let item = table.get_mut(name).expect("just checked");
        match index {
            Some(index) => {
                let array = item
                    .as_array_of_tables_mut()
                    .ok_or_else(|| format!("`{name}` is not a list of tables"))?;
                let len = array.len();
                table = array.get_mut(*index).ok_or_else(|| {
                    format!("`{name}[{index}]` does not exist; the list has {len} entries")
                })?;
                if last {
                    return Err(format!(
                        "give a key inside `{name}[{index}]`, such as `{name}[{index}].name`"
                    ));
                }
            }
            None => {
                table = item
                    .as_table_mut()
                    .ok_or_else(|| format!("`{name}` is not a table"))?;
            }
        }
    }
    Err("the key is empty".to_owned())
}

/// `services[0].port` or `services.0.port` → `[("services", Some(0)), ("port", None)]`.
fn parse_key(key: &str) -> Result<Vec<(String, Option<usize>)>, String> {
    let mut out: Vec<(String, Option<usize>)> = Vec::new();
    for part in key.split('.') {
        if let Ok(index) = part.parse::<usize>() {
            match out.last_mut() {
                Some((_, slot @ None)) => *slot = Some(index),
                _ => return Err(format!("`{key}` has an index in the wrong place")),
            }
            continue;
        }
        let (name, index) = match part.split_once('[') {
            Some((name, rest)) => {
                let index = rest
                    .strip_suffix(']')
                    .and_then(|i| i.parse::<usize>().ok())
                    .ok_or_else(|| format!("`{part}` is not a valid index; write `name[0]`"))?;
                (name, Some(index))
            }
            None => (part, None),
        };
        if name.is_empty() {
            return Err(format!("`{key}` has an empty part"));
        }
        out.push((name.to_owned(), index));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
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
        assert!(err.contains(expect), "{err}");
    }

    #[test]
    fn sets_strings_without_quotes_and_keeps_comments() {
        check(
            "[app]\nname = \"a\" # the name\n",
            &["app.name=shop"],
            "[app]\nname = \"shop\" # the name\n",
        );
    }

    #[test]
    fn sets_typed_values() {
        check(
            "[[services]]\nname = \"x\"\n",
            &["services[0].port=8080", "services.0.public=true"],
            "[[services]]\nname = \"x\"\nport = 8080\npublic = true\n",
        );
    }

    #[test]
    fn creates_missing_tables() {
        check(
            "[app]\nname = \"a\"\n",
            &["delivery.strategy=canary"],
            "[app]\nname = \"a\"\n\n[delivery]\nstrategy = \"canary\"\n",
        );
    }

    #[test]
    fn rejects_bad_keys() {
        check_err(&["app.name"], "has no `=`");
        check_err(
            &["services[3].port=1"],
            "does not exist; the list has 1 entries",
        );
        check_err(&["app.name.first=x"], "`name` is not a table");
        check_err(&["environments[0].name=x"], "no `environments` list");
    }
}
