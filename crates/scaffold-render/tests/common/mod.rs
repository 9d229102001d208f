//! What the integration tests share: the example answers in `tests/examples/`.

use std::fs;
use std::path::PathBuf;

/// Every example answers file, sorted by name: (name without `.toml`, text).
pub fn example_answers() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/examples");
    let mut paths: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            (
                path.file_stem().unwrap().to_string_lossy().into_owned(),
                fs::read_to_string(&path).unwrap(),
            )
        })
        .collect()
}

/// What scaffold would learn from the repository example `name` stands for, the files under
/// `tests/examples/<name>/`: see `Facts::of_example`.
pub fn example_facts(name: &str) -> scaffold_core::project::Facts {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/examples")
        .join(name);
    let mut files = Vec::new();
    let mut folders = vec![root.clone()];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else {
                let relative = path.strip_prefix(&root).unwrap();
                let text = fs::read_to_string(&path).unwrap_or_default();
                files.push((relative.to_string_lossy().replace('\\', "/"), text));
            }
        }
    }
    scaffold_core::project::Facts::of_example(files.iter().map(|(p, t)| (p.as_str(), t.as_str())))
}
