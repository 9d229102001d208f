//! Which starter apps to write: once, into service folders that hold no code.
//!
//! The files come from `scaffold_render::starters`; a file is pending when it is not on disk
//! and scaffold has not written it before (`Lock::starters` remembers them), so a starter
//! file the user deleted or changed is left alone. `sync::apply` writes the pending ones in
//! the same transaction as the render and records them in the lock; they never enter the
//! sync plan: from the moment they are written they are the user's.

use anyhow::Result;
use scaffold_core::Project;
use scaffold_render::{Files, Lock};

use crate::write::Root;

/// The starter files of `project` that are neither on disk nor recorded in `lock`.
pub fn pending(root: &Root, project: &Project, lock: &Lock) -> Result<Files> {
    let mut out = Files::new();
    for (path, content) in scaffold_render::starters::render(project, scaffold_render::engine())? {
        // A path that cannot be read (its folder is a file, say) is never written over; the
        // render's own checks name the problem.
        if lock.starters.contains(&path) || !matches!(root.read_bytes(&path), Ok(None)) {
            continue;
        }
        out.insert(path, content);
    }
    Ok(out)
}

/// The note for each service that has no code and gets no starter, with why.
pub fn notes(project: &Project) -> Vec<String> {
    project
        .services
        .iter()
        .filter(|s| s.starter)
        .filter_map(|s| {
            scaffold_render::starters::skipped(s)
                .map(|why| format!("note: no starter app for `{}`: {why}", s.name))
        })
        .collect()
}
