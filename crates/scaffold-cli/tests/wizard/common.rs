//! Shared helpers: a temporary repository made from a fixture, and the binary.

use std::fs;
use std::path::{Path, PathBuf};

/// The `scaffold` binary under test.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_scaffold")
}

/// A fixture repository under `tests/fixtures/detect/`.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../../tests/fixtures/detect/{name}"))
}

/// A temporary git repository `name` holding a copy of fixture `fixture` (or empty).
pub struct Repo {
    _temp: tempfile::TempDir,
    /// The repository's root.
    pub path: PathBuf,
}

impl Repo {
    /// A fresh repository named `name`, with the files of `fixture` when given.
    pub fn new(name: &str, fixture_name: Option<&str>) -> Repo {
        let temp = tempfile::tempdir().unwrap();
        let path = temp.path().join(name);
        fs::create_dir_all(&path).unwrap();
        if let Some(f) = fixture_name {
            copy(&fixture(f), &path);
        }
        // A real repository: sync finds its merge bases in the git object database.
        git2::Repository::init(&path).unwrap();
        Repo { _temp: temp, path }
    }

    /// The text of `relative`, if it exists.
    pub fn read(&self, relative: &str) -> Option<String> {
        fs::read_to_string(self.path.join(relative)).ok()
    }
}

fn copy(from: &Path, to: &Path) {
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            fs::create_dir_all(&target).unwrap();
            copy(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The services detection finds in the `monorepo` fixture, as `scaffold.toml` spells them.
/// The wizard (Enter through every question) and `--defaults` must both write all of these.
pub const MONOREPO_SERVICES: &[&str] = &[
    "name = \"web\"\nlanguage = \"static\"",
    "path = \"apps/web\"",
    "name = \"api\"\nlanguage = \"go\"",
    "path = \"services/api\"",
    "name = \"worker\"\nlanguage = \"python\"",
    "path = \"services/worker\"",
];

/// Asserts that `pieces` occur in `text`, each once found, in this order.
pub fn assert_in_order(text: &str, pieces: &[&str]) {
    let positions: Vec<usize> = pieces
        .iter()
        .map(|p| text.find(p).unwrap_or_else(|| panic!("{p} in {text}")))
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "{pieces:?} out of order in\n{text}"
    );
}
