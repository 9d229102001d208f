//! Test helpers shared by the families' unit tests: the example answers files, resolved.

use std::fs;
use std::path::PathBuf;

use scaffold_core::Project;
use scaffold_core::project::Facts;

/// Every example in `tests/examples/`, resolved, with its file stem, in name order.
pub(crate) fn example_projects() -> Vec<(String, Project)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/examples");
    let mut paths: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("tests/examples exists")
        .map(|entry| entry.expect("readable entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let text = fs::read_to_string(&path).expect("readable example");
            let name = path
                .file_stem()
                .expect("file name")
                .to_string_lossy()
                .into_owned();
            let project = Project::from_toml(&text, &example_facts(&dir.join(&name)))
                .unwrap_or_else(|err| panic!("{}: {err}", path.display()));
            (name, project)
        })
        .collect()
}

/// What scaffold would learn from the repository an example stands for, the files under
/// `root` (`tests/examples/<name>/`): see [`Facts::of_example`].
pub(crate) fn example_facts(root: &std::path::Path) -> Facts {
    let mut files = Vec::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("readable entry").path();
            if path.is_dir() {
                folders.push(path);
            } else {
                let relative = path.strip_prefix(root).expect("below the root");
                let text = fs::read_to_string(&path).unwrap_or_default();
                files.push((relative.to_string_lossy().replace('\\', "/"), text));
            }
        }
    }
    Facts::of_example(files.iter().map(|(p, t)| (p.as_str(), t.as_str())))
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
