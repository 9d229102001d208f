//! `--format json`: a sync plan as one JSON document, for tools.
//!
//! The shape is a contract for scripts, so it is written down here rather
//! than derived from the planner's internal types:
//!
//! ```json
//! {
//!   "version": 1,
//!   "command": "sync --check",
//!   "up_to_date": false,
//!   "lock_stale": true,
//!   "counts": {"create": 1, "update": 0, "merge": 0, "conflict": 0, "delete": 0, "keep": 0, "unchanged": 41},
//!   "files": [{"path": "compose.yaml", "action": "create", "reason": "new file", "diff": "--- ..."}]
//! }
//! ```
//!
//! `files` lists every path scaffold renders or has in its lock, unchanged
//! ones included, in path order; `diff` is empty when the file does not change.

use std::collections::BTreeMap;

use scaffold_render::sync::{Action, Plan};
use serde::Serialize;

/// The JSON document.
#[derive(Debug, Serialize)]
pub struct PlanJson<'a> {
    /// The format's version; fields are only ever added within a version.
    pub version: u32,
    /// The command that printed it, such as `sync --dry-run`.
    pub command: &'a str,
    /// True when nothing would change (no file and not the lock).
    pub up_to_date: bool,
    /// True when `.scaffold/lock.toml` would change.
    pub lock_stale: bool,
    /// How many files get each action.
    pub counts: BTreeMap<&'static str, usize>,
    /// One entry per file.
    pub files: Vec<FileJson<'a>>,
}

/// One file of the plan.
#[derive(Debug, Serialize)]
pub struct FileJson<'a> {
    /// The repository-relative path.
    pub path: &'a str,
    /// `create`, `update`, `merge`, `conflict`, `delete`, `keep`, `unchanged` or `unmerged`
    /// (conflict markers left from before, or a file scaffold cannot merge into).
    pub action: &'static str,
    /// Why, in words.
    pub reason: &'a str,
    /// A unified diff from the file on disk to its new content; empty when unchanged.
    pub diff: String,
}

/// The plan's word for `action`.
fn action_name(action: Action) -> &'static str {
    match action {
        Action::Create => "create",
        Action::Update => "update",
        Action::Merge => "merge",
        Action::Conflict => "conflict",
        Action::Delete => "delete",
        Action::Keep => "keep",
        Action::Unchanged => "unchanged",
        Action::Unmerged => "unmerged",
    }
}

/// `plan` as pretty-printed JSON, with a final newline.
pub fn render(command: &str, plan: &Plan, lock_stale: bool) -> String {
    let mut counts: BTreeMap<&'static str, usize> = [
        Action::Create,
        Action::Update,
        Action::Merge,
        Action::Conflict,
        Action::Delete,
        Action::Keep,
        Action::Unchanged,
        Action::Unmerged,
    ]
    .into_iter()
    .map(|a| (action_name(a), 0))
    .collect();
    for step in &plan.steps {
        *counts.entry(action_name(step.action)).or_default() += 1;
    }
    let document = PlanJson {
        version: 1,
        command,
        up_to_date: plan.changes().next().is_none()
            && plan.unresolved().next().is_none()
            && !lock_stale,
        lock_stale,
        counts,
        files: plan
            .steps
            .iter()
            .map(|step| FileJson {
                path: &step.path,
                action: action_name(step.action),
                reason: &step.reason,
                diff: step.diff(),
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&document).expect("a plan serializes");
    text.push('\n');
    text
}
