//! The view of a repository that detection reads: a directory listing and file text.
//!
//! Stack modules read evidence through the [`Tree`] trait, so core stays pure:
//! the CLI implements it over the filesystem (refusing symbolic links and large
//! files), tests over [`MemTree`], an in-memory map of files.

use std::collections::BTreeMap;

/// The largest file detection reads, in bytes.
pub const MAX_FILE_BYTES: u64 = 256 * 1024;

/// One entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    /// The entry's name (one path component).
    pub name: String,
    /// Whether it is a directory.
    pub is_dir: bool,
}

/// A read-only repository view. Paths are `/`-separated and relative to the root; the root is `.`.
pub trait Tree {
    /// The entries of directory `dir`, sorted by name; empty when it does not exist.
    fn list(&self, dir: &str) -> Vec<Entry>;
    /// The text of file `path`, or `None` when it is missing, too large or not UTF-8.
    fn read(&self, path: &str) -> Option<String>;
}

/// Joins a directory (`.` for the root) and a relative path.
pub fn join(dir: &str, name: &str) -> String {
    if dir == "." || dir.is_empty() {
        name.to_owned()
    } else if name == "." || name.is_empty() {
        dir.to_owned()
    } else {
        format!("{dir}/{name}")
    }
}

/// The path of `path` relative to `base` (both `/`-separated, relative to the root), with `..`
/// where `path` is outside `base`: `relative("apps/api", ".")` is `..`/`..`.
pub fn relative(from: &str, to: &str) -> String {
    let parts = |p: &str| -> Vec<String> {
        p.split('/')
            .filter(|s| !s.is_empty() && *s != ".")
            .map(str::to_owned)
            .collect()
    };
    let from = parts(from);
    let to = parts(to);
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut out: Vec<String> = vec!["..".to_owned(); from.len() - common];
    out.extend(to[common..].iter().cloned());
    if out.is_empty() {
        ".".to_owned()
    } else {
        out.join("/")
    }
}

/// An in-memory repository: file path to content. Directories are implied by the paths.
#[derive(Debug, Clone, Default)]
pub struct MemTree {
    files: BTreeMap<String, String>,
}

impl MemTree {
    /// A tree holding `files` (path, content).
    pub fn new<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        MemTree {
            files: files
                .into_iter()
                .map(|(path, content)| (path.to_owned(), content.to_owned()))
                .collect(),
        }
    }

    /// Adds or replaces one file.
    pub fn insert(&mut self, path: impl Into<String>, content: impl Into<String>) {
        self.files.insert(path.into(), content.into());
    }
}

impl Tree for MemTree {
    fn list(&self, dir: &str) -> Vec<Entry> {
        let prefix = if dir == "." {
            String::new()
        } else {
            format!("{dir}/")
        };
        let mut entries: Vec<Entry> = self
            .files
            .keys()
            .filter_map(|path| path.strip_prefix(&prefix))
            .map(|rest| match rest.split_once('/') {
                Some((name, _)) => Entry {
                    name: name.to_owned(),
                    is_dir: true,
                },
                None => Entry {
                    name: rest.to_owned(),
                    is_dir: false,
                },
            })
            .collect();
        entries.sort();
        entries.dedup();
        entries
    }

    fn read(&self, path: &str) -> Option<String> {
        self.files.get(path).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_tree_lists_implied_directories() {
        let tree = MemTree::new([("a/b/c.txt", "x"), ("a/d.txt", "y"), ("e", "z")]);
        let names: Vec<(String, bool)> = tree
            .list(".")
            .into_iter()
            .map(|e| (e.name, e.is_dir))
            .collect();
        assert_eq!(names, [("a".to_owned(), true), ("e".to_owned(), false)]);
        assert_eq!(tree.list("a").len(), 2);
        assert_eq!(tree.read("a/d.txt").as_deref(), Some("y"));
    }

    #[test]
    fn relative_paths() {
        assert_eq!(relative("apps/api", "."), "../..");
        assert_eq!(relative(".", "apps/api"), "apps/api");
        assert_eq!(relative("apps/api", "apps/web"), "../web");
        assert_eq!(relative("a", "a"), ".");
    }
}
