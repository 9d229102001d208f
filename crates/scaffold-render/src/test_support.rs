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
            let project = Project::from_toml(&text, &Facts::default())
                .unwrap_or_else(|err| panic!("{}: {err}", path.display()));
            let name = path
                .file_stem()
                .expect("file name")
                .to_string_lossy()
                .into_owned();
            (name, project)
        })
        .collect()
}
