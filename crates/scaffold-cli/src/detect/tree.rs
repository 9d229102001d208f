//! The filesystem view detection reads: [`FsTree`], the CLI's implementation of core's
//! [`Tree`] trait.
//!
//! It refuses what detection must not touch: symbolic links (they could point
//! anywhere) and large files (a manifest is small; a multi-megabyte file is data,
//! not configuration).

use std::fs;
use std::path::{Path, PathBuf};

pub use scaffold_core::stack::join;
use scaffold_core::stack::tree::MAX_FILE_BYTES;
use scaffold_core::stack::{Entry, Tree};

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

/// A tree with files laid on top of another: detection over the repository as it will be
/// once those files are written (the starter apps `new` and `sync` are about to write).
pub struct Overlay<'a> {
    /// The tree below.
    pub base: &'a dyn Tree,
    /// Files on top, by path; they hide a file of the same path below.
    pub files: &'a std::collections::BTreeMap<String, String>,
}

impl Tree for Overlay<'_> {
    fn list(&self, dir: &str) -> Vec<Entry> {
        let mut entries = self.base.list(dir);
        let prefix = if dir == "." {
            String::new()
        } else {
            format!("{dir}/")
        };
        // Only the keys below `dir`: they sort together from `prefix` on, so a listing costs
        // what it finds, not every file on top (1,000 services' starters made `new` quadratic).
        for path in self.files.range(prefix.clone()..).map(|(path, _)| path) {
            let Some(rest) = path.strip_prefix(&prefix) else {
                break;
            };
            let entry = match rest.split_once('/') {
                Some((first, _)) => Entry {
                    name: first.to_owned(),
                    is_dir: true,
                },
                None => Entry {
                    name: rest.to_owned(),
                    is_dir: false,
                },
            };
            if !entries.iter().any(|e| e.name == entry.name) {
                entries.push(entry);
            }
        }
        entries.sort();
        entries
    }

    fn read(&self, path: &str) -> Option<String> {
        self.files
            .get(path)
            .cloned()
            .or_else(|| self.base.read(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn an_overlay_lists_only_what_is_below_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("a")).unwrap();
        fs::write(dir.path().join("a/disk.txt"), "d").unwrap();
        let base = FsTree::new(dir.path());
        let files: std::collections::BTreeMap<String, String> = [
            "a-b.txt",
            "a/b/c.txt",
            "a/bc.txt",
            "a/disk.txt",
            "ab/x.txt",
            "z.txt",
        ]
        .into_iter()
        .map(|path| (path.to_owned(), String::new()))
        .collect();
        let tree = Overlay {
            base: &base,
            files: &files,
        };
        let listed = |dir: &str| -> Vec<(String, bool)> {
            tree.list(dir)
                .into_iter()
                .map(|e| (e.name, e.is_dir))
                .collect()
        };
        let entry = |name: &str, is_dir: bool| (name.to_owned(), is_dir);
        assert_eq!(
            listed("a"),
            [
                entry("b", true),
                entry("bc.txt", false),
                entry("disk.txt", false)
            ]
        );
        assert_eq!(
            listed("."),
            [
                entry("a", true),
                entry("a-b.txt", false),
                entry("ab", true),
                entry("z.txt", false)
            ]
        );
        assert_eq!(listed("a/b"), [entry("c.txt", false)]);
        assert_eq!(listed("missing"), []);
    }
}
