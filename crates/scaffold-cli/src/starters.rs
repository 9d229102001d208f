//! Writing starter apps: once, into service folders that hold no code.
//!
//! The files come from `scaffold_render::starters`; this module writes each one that is not
//! on disk and that scaffold has not written before (`Lock::starters` remembers them), so a
//! starter file the user deleted or changed is left alone. They never enter the sync plan:
//! from the moment they are written they are the user's.

use anyhow::Result;
use scaffold_render::{Files, Lock};

use crate::write::Root;

/// Writes every starter file that is neither on disk nor already recorded, records it in
/// `lock`, and returns the paths written.
pub fn write(root: &Root, starters: &Files, lock: &mut Lock) -> Result<Vec<String>> {
    let mut created = Vec::new();
    for (path, content) in starters {
        if lock.starters.contains(path) || root.read(path)?.is_some() {
            continue;
        }
        root.write(path, content)?;
        lock.starters.push(path.clone());
        created.push(path.clone());
    }
    lock.starters.sort();
    lock.starters.dedup();
    Ok(created)
}
