//! Test helpers shared by the families' unit tests: the example answers files, resolved.

use scaffold_core::Project;

/// The integration tests' reader of `tests/examples/` (answers and the facts of the
/// repository each example stands for), shared rather than written twice.
#[path = "../tests/common/mod.rs"]
mod common;

/// Every example in `tests/examples/`, resolved, with its file stem, in name order.
pub(crate) fn example_projects() -> Vec<(String, Project)> {
    common::example_answers()
        .into_iter()
        .map(|(name, text)| {
            let project = Project::from_toml(&text, &common::example_facts(&name))
                .unwrap_or_else(|err| panic!("tests/examples/{name}.toml: {err}"));
            (name, project)
        })
        .collect()
}

/// What `kubectl kustomize <dir>` builds from rendered `files`, for the subset of kustomize
/// scaffold's overlays use: `resources` (files and folders with their own
/// `kustomization.yaml`, recursively), `namespace`, `labels` (metadata only), and JSON 6902
/// `patches` (`add`, `replace`, `remove`) targeted by kind and name. Every document, in order.
pub(crate) fn kustomize(files: &crate::Files, dir: &str) -> Vec<serde_yaml_ng::Value> {
    use serde::Deserialize as _;
    use serde_yaml_ng::Value;

    let kustomization: Value = serde_yaml_ng::from_str(
        files
            .get(&format!("{dir}/kustomization.yaml"))
            .unwrap_or_else(|| panic!("{dir}/kustomization.yaml is rendered")),
    )
    .expect("kustomization.yaml is YAML");
    let mut docs: Vec<Value> = Vec::new();
    for resource in kustomization["resources"]
        .as_sequence()
        .into_iter()
        .flatten()
    {
        let path = normalize(&format!("{dir}/{}", resource.as_str().expect("a path")));
        if files.contains_key(&format!("{path}/kustomization.yaml")) {
            docs.extend(kustomize(files, &path));
            continue;
        }
        let text = files
            .get(&path)
            .unwrap_or_else(|| panic!("{dir} lists {path}, which is not rendered"));
        for doc in serde_yaml_ng::Deserializer::from_str(text) {
            let value = Value::deserialize(doc).unwrap_or_else(|err| panic!("{path}: {err}"));
            if !value.is_null() {
                docs.push(value);
            }
        }
    }
    for patch in kustomization["patches"].as_sequence().into_iter().flatten() {
        let target = &patch["target"];
        let ops: Value = serde_yaml_ng::from_str(patch["patch"].as_str().expect("an inline patch"))
            .expect("the patch is YAML");
        let mut matched = false;
        for doc in docs
            .iter_mut()
            .filter(|d| d["kind"] == target["kind"] && d["metadata"]["name"] == target["name"])
        {
            matched = true;
            for op in ops.as_sequence().expect("a JSON 6902 patch is a list") {
                apply(doc, op);
            }
        }
        assert!(matched, "{dir}: a patch targets nothing: {target:?}");
    }
    if let Some(namespace) = kustomization["namespace"].as_str() {
        for doc in &mut docs {
            if doc["kind"] != "Namespace" {
                doc["metadata"]["namespace"] = Value::from(namespace);
            }
        }
    }
    for set in kustomization["labels"].as_sequence().into_iter().flatten() {
        if let Some(pairs) = set["pairs"].as_mapping() {
            for doc in &mut docs {
                for (key, value) in pairs {
                    doc["metadata"]["labels"][key] = value.clone();
                }
            }
        }
    }
    docs
}

/// `a/b/../c` as `a/c`.
fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

/// Applies one JSON 6902 operation.
fn apply(doc: &mut serde_yaml_ng::Value, op: &serde_yaml_ng::Value) {
    let path = op["path"].as_str().expect("an op has a path");
    let (parent, last) = path.rsplit_once('/').expect("a JSON pointer");
    let mut node = doc;
    for key in parent.split('/').filter(|k| !k.is_empty()) {
        node = match key.parse::<usize>() {
            Ok(index) if node.is_sequence() => &mut node[index],
            _ => &mut node[key],
        };
    }
    match op["op"].as_str().expect("an op") {
        "add" | "replace" => {
            let value = op["value"].clone();
            match (node.as_sequence_mut(), last.parse::<usize>()) {
                (Some(list), Ok(index)) if op["op"] == "add" => list.insert(index, value),
                (Some(list), Ok(index)) => list[index] = value,
                (Some(list), Err(_)) if last == "-" => list.push(value),
                _ => {
                    if op["op"] == "replace" {
                        assert!(
                            !node[last].is_null(),
                            "replace of a missing value at {path}"
                        );
                    }
                    node[last] = value;
                }
            }
        }
        "remove" => {
            if let Some(map) = node.as_mapping_mut() {
                map.remove(last);
            }
        }
        other => panic!("unsupported op {other}"),
    }
}
