//! The journal that makes an interrupted sync recoverable without a manual step.
//!
//! Applying a plan renames many files into place, then writes the lock. A run
//! killed between the two leaves every file old or new (each rename is
//! atomic) but a lock that describes only the old state: a file renamed to
//! its merged or conflicted content would then look like the user's edit of
//! the old base. So before the first rename the CLI writes a [`Journal`]: the
//! lock it is about to write and, for every path it changes, the blob id of
//! exactly what it writes there. The next run (under the same mutex) finds
//! the journal and, path by path, keeps the new lock's record where the file
//! on disk is what the interrupted run wrote, and the old lock's record
//! where it is not. The result is the lock the interrupted run would have
//! written had it stopped just there, and sync carries on from it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Lock;

/// The journal's path, relative to the repository root.
pub const JOURNAL_PATH: &str = ".scaffold/sync.journal";

/// The blob id of empty content.
const EMPTY_BLOB: &str = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391";

/// What an applying run is about to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Journal {
    /// Every path the run changes: the blob id of the bytes it writes there,
    /// or an empty string when it deletes the file.
    pub written: BTreeMap<String, String>,
    /// The lock the run writes once every file is in place.
    pub next: Lock,
}

impl Journal {
    /// Parses a journal's text, checking the lock inside it like a lock file.
    pub fn parse(text: &str) -> Result<Journal, String> {
        let journal: Journal = toml::from_str(text).map_err(|err| err.to_string())?;
        journal.next.check()?;
        for path in journal.written.keys() {
            crate::lock::check_path(path).map_err(|why| format!("`{path}`: {why}"))?;
        }
        Ok(journal)
    }

    /// The journal's text.
    pub fn to_text(&self) -> String {
        toml::to_string(self).expect("a journal always serializes")
    }

    /// The lock that matches the disk after the run stopped, given `previous`
    /// (the lock on disk, which the run writes last) and `disk_id`, the blob
    /// id of a path's bytes on disk (`None` when it does not exist).
    pub fn recover(
        &self,
        previous: &Lock,
        mut disk_id: impl FnMut(&str) -> Option<String>,
    ) -> Lock {
        let mut recovered = Lock::new();
        recovered.scaffold.clone_from(&self.next.scaffold);
        let mut paths = previous.paths();
        paths.extend(self.next.paths());
        paths.extend(self.written.keys());
        for path in paths {
            let done = match self.written.get(path) {
                None => true,
                Some(id) if id.is_empty() => disk_id(path).is_none(),
                // An empty file is a write whose content did not reach the
                // disk before a power failure: recorded as written, it is
                // one the planner writes again.
                Some(id) => {
                    disk_id(path).is_some_and(|on_disk| on_disk == *id || on_disk == EMPTY_BLOB)
                }
            };
            let from = if done { &self.next } else { previous };
            recovered.copy_entry(from, path);
        }
        // Starter files are the user's once written: recorded as such when the run wrote
        // them (or an earlier one did), so the next sync neither writes them again nor
        // takes them for scaffold's.
        let mut starters: Vec<String> = previous.starters.clone();
        for path in &self.next.starters {
            let written = match self.written.get(path) {
                None => true,
                Some(id) => disk_id(path).is_some_and(|on_disk| on_disk == *id),
            };
            if written && !starters.contains(path) {
                starters.push(path.clone());
            }
        }
        starters.sort();
        recovered.starters = starters;
        recovered
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> String {
        format!("{n:040x}")
    }

    #[test]
    fn recovery_takes_each_paths_record_from_the_state_on_disk() {
        let mut previous = Lock::new();
        previous.files.insert("merged".into(), id(1));
        previous.files.insert("pending".into(), id(2));
        previous.files.insert("removed".into(), id(3));
        previous.files.insert("kept".into(), id(4));
        let mut next = Lock::new();
        next.files.insert("merged".into(), id(11));
        next.files.insert("pending".into(), id(12));
        next.files.insert("kept".into(), id(14));
        next.files.insert("created".into(), id(15));
        let journal = Journal {
            written: BTreeMap::from([
                ("merged".into(), id(21)),
                ("pending".into(), id(22)),
                ("removed".into(), String::new()),
                ("created".into(), id(15)),
            ]),
            next,
        };
        let text = journal.to_text();
        assert_eq!(Journal::parse(&text).unwrap(), journal);
        // `merged` was renamed into place, `pending` not yet, `removed` was
        // removed and `created` not yet created.
        let disk = BTreeMap::from([("merged", id(21)), ("pending", id(2)), ("kept", id(99))]);
        let recovered = journal.recover(&previous, |p| disk.get(p).cloned());
        let expect = BTreeMap::from([
            ("kept".to_owned(), id(14)),
            ("merged".to_owned(), id(11)),
            ("pending".to_owned(), id(2)),
        ]);
        assert_eq!(recovered.files, expect);
    }
}
