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

/// What scaffold would learn from the repository example `name` stands for: the files under
/// `tests/examples/<name>/` (its own Dockerfiles, and the folders that hold code: any file
/// but a Dockerfile or Markdown), as detection reads them from a real one.
pub fn example_facts(name: &str) -> scaffold_core::project::Facts {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/examples")
        .join(name);
    let mut facts = scaffold_core::project::Facts::default();
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
                let dir = path.parent().unwrap().strip_prefix(&root).unwrap();
                let dir = match dir.to_string_lossy().into_owned() {
                    dir if dir.is_empty() => ".".to_owned(),
                    dir => dir,
                };
                let name = path.file_name().unwrap().to_string_lossy();
                if name == "Dockerfile" {
                    facts.read_dockerfile(&dir, &fs::read_to_string(&path).unwrap());
                } else if !name.ends_with(".md") {
                    facts.code_folders.insert(dir);
                }
            }
        }
    }
    facts
}
