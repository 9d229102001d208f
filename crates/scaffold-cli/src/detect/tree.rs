//! The view of a repository that detection reads: a directory listing and file text.
//!
//! Detection is written against the [`Tree`] trait so its logic runs the
//! same over the real filesystem ([`FsTree`]) and over an in-memory map of
//! files (`MemTree`) in tests. Both adapters refuse what detection must not
//! touch: symbolic links (they could point anywhere) and large files (a
//! manifest is small; a multi-megabyte file is data, not configuration).

#[cfg(test)]
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

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
    } else {
        format!("{dir}/{name}")
    }
}

/// The real filesystem below a root directory.
#[derive(Debug, Clone)]
pub struct FsTree {
    root: PathBuf,
}

impl FsTree {
    /// A view of the repository at `root`.
    pub fn new(root: &Path) -> Self {
        FsTree {
            root: root.to_path_buf(),
        }
    }

    fn path(&self, relative: &str) -> PathBuf {
        if relative == "." {
            self.root.clone()
        } else {
            self.root.join(relative)
        }
    }
}

impl Tree for FsTree {
    fn list(&self, dir: &str) -> Vec<Entry> {
        let Ok(read) = fs::read_dir(self.path(dir)) else {
            return Vec::new();
        };
        let mut entries: Vec<Entry> = read
            .filter_map(Result::ok)
            .filter_map(|entry| {
                // `file_type` does not follow links, so a link is neither a file nor a directory here.
                let kind = entry.file_type().ok()?;
                if kind.is_symlink() {
                    return None;
                }
                Some(Entry {
                    name: entry.file_name().into_string().ok()?,
                    is_dir: kind.is_dir(),
                })
            })
            .collect();
        entries.sort();
        entries
    }

    fn read(&self, path: &str) -> Option<String> {
        let full = self.path(path);
        let meta = fs::symlink_metadata(&full).ok()?;
        if !meta.is_file() || meta.len() > MAX_FILE_BYTES {
            return None;
        }
        fs::read_to_string(full).ok()
    }
}

/// An in-memory repository: file path to content. Directories are implied by the paths.
#[cfg(test)]
#[derive(Debug, Clone, Default)]
pub struct MemTree {
    files: BTreeMap<String, String>,
}

#[cfg(test)]
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
}

#[cfg(test)]
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

    #[cfg(unix)]
    #[test]
    fn filesystem_tree_skips_links_and_large_files() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("small"), "hi").unwrap();
        fs::write(
            dir.path().join("big"),
            vec![b'x'; MAX_FILE_BYTES as usize + 1],
        )
        .unwrap();
        std::os::unix::fs::symlink("/etc", dir.path().join("link")).unwrap();
        let tree = FsTree::new(dir.path());
        let names: Vec<String> = tree.list(".").into_iter().map(|e| e.name).collect();
        assert_eq!(names, ["big", "small"]);
        assert_eq!(tree.read("big"), None);
        assert_eq!(tree.read("small").as_deref(), Some("hi"));
    }
}
