//! A line-based three-way merge whose conflicts carry labelled, standard
//! git conflict markers.
//!
//! The merge itself is `diffy`'s diff3 merge. diffy labels its markers
//! `ours`, `original` and `theirs`, which would leave a reader guessing which
//! side is theirs, so the merge runs with markers longer than any run of
//! marker characters in the inputs and the markers are then rewritten to the
//! standard seven characters with labels. Choosing the length from the inputs
//! is what makes the rewrite safe: no line of content can be mistaken for a
//! marker, and the same inputs always give the same output.

use diffy::{ConflictStyle, IncompleteHunkStyle, MergeOptions};

/// The label on the user's side of a conflict (the file on disk).
pub const OURS_LABEL: &str = "yours (the file on disk)";
/// The label on the common ancestor (what scaffold wrote last time).
pub const BASE_LABEL: &str = "base (what scaffold generated last time)";
/// The label on scaffold's side of a conflict (the new render).
pub const THEIRS_LABEL: &str = "scaffold (generated from scaffold.toml now)";

/// The standard length of a git conflict marker.
const MARKER_LEN: usize = 7;

/// The outcome of a three-way merge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Merged {
    /// Every change merged cleanly.
    Clean(String),
    /// Some changes overlapped; the text holds labelled conflict blocks.
    Conflict(String),
}

impl Merged {
    /// The merged text, with or without conflict blocks.
    pub fn text(&self) -> &str {
        match self {
            Merged::Clean(text) | Merged::Conflict(text) => text,
        }
    }
}

/// Merges the changes from `base` to `ours` and from `base` to `theirs`.
pub fn merge3(base: &str, ours: &str, theirs: &str) -> Merged {
    let len = safe_marker_len(&[base, ours, theirs]);
    let mut options = MergeOptions::new();
    options
        .set_conflict_marker_length(len)
        .set_conflict_style(ConflictStyle::Diff3)
        .set_incomplete_hunk_style(IncompleteHunkStyle::Git);
    match options.merge(base, ours, theirs) {
        Ok(text) => Merged::Clean(text),
        Err(text) => Merged::Conflict(relabel(&text, len)),
    }
}

/// A conflict between two whole files, for when there is no base to merge from.
///
/// The user's file and scaffold's render are each kept whole between markers;
/// nothing is guessed.
pub fn whole_file_conflict(ours: &str, theirs: &str) -> String {
    let marker = |c: char| c.to_string().repeat(MARKER_LEN);
    let mut out = String::new();
    out.push_str(&format!("{} {OURS_LABEL}\n", marker('<')));
    push_terminated(&mut out, ours);
    out.push_str(&format!("{}\n", marker('=')));
    push_terminated(&mut out, theirs);
    out.push_str(&format!("{} {THEIRS_LABEL}\n", marker('>')));
    out
}

/// Whether `text` holds a line that starts a standard conflict block.
pub fn has_conflict_markers(text: &str) -> bool {
    text.lines().any(|line| {
        line.strip_prefix("<<<<<<<")
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
    })
}

/// Appends `text`, ending it with a newline if it lacks one.
fn push_terminated(out: &mut String, text: &str) {
    out.push_str(text);
    if !text.is_empty() && !text.ends_with('\n') {
        out.push('\n');
    }
}

/// A marker length, at least the standard one, such that no line of any input
/// starts with that many of one marker character.
fn safe_marker_len(inputs: &[&str]) -> usize {
    let longest_run = inputs
        .iter()
        .flat_map(|text| text.lines())
        .map(|line| {
            ['<', '|', '=', '>']
                .iter()
                .map(|&c| line.chars().take_while(|&l| l == c).count())
                .max()
                .unwrap_or(0)
        })
        .max()
        .unwrap_or(0);
    (longest_run + 1).max(MARKER_LEN + 1)
}

/// Rewrites diffy's `len`-character markers into standard labelled ones.
fn relabel(text: &str, len: usize) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let body = line.strip_suffix('\n').unwrap_or(line);
        let newline = if line.ends_with('\n') { "\n" } else { "" };
        let marker = ['<', '|', '=', '>']
            .into_iter()
            .find(|&c| body.len() >= len && body[..len].chars().all(|l| l == c));
        match marker {
            Some(c) => {
                let label = match c {
                    '<' => Some(OURS_LABEL),
                    '|' => Some(BASE_LABEL),
                    '>' => Some(THEIRS_LABEL),
                    _ => None,
                };
                out.push_str(&c.to_string().repeat(MARKER_LEN));
                if let Some(label) = label {
                    out.push(' ');
                    out.push_str(label);
                }
                out.push_str(newline);
            }
            None => out.push_str(line),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(base: &str, ours: &str, theirs: &str, expect: &Merged) {
        assert_eq!(&merge3(base, ours, theirs), expect);
    }

    #[test]
    fn separate_changes_merge_cleanly() {
        check(
            "a\nb\nc\nd\ne\n",
            "a\nB\nc\nd\ne\n",
            "a\nb\nc\nd\nE\n",
            &Merged::Clean("a\nB\nc\nd\nE\n".into()),
        );
    }

    #[test]
    fn identical_changes_merge_cleanly() {
        check("a\n", "b\n", "b\n", &Merged::Clean("b\n".into()));
    }

    #[test]
    fn overlapping_changes_conflict_with_labelled_markers() {
        check(
            "a\nx\nc\n",
            "a\nmine\nc\n",
            "a\nnew\nc\n",
            &Merged::Conflict(
                "a\n<<<<<<< yours (the file on disk)\nmine\n||||||| base (what scaffold generated last time)\nx\n=======\nnew\n>>>>>>> scaffold (generated from scaffold.toml now)\nc\n"
                    .into(),
            ),
        );
    }

    #[test]
    fn content_that_looks_like_markers_is_left_alone() {
        let base = "title\n=======\nx\n";
        let ours = "title\n=======\nmine\n";
        let theirs = "title\n=======\nnew\n";
        let Merged::Conflict(text) = merge3(base, ours, theirs) else {
            panic!("expected a conflict");
        };
        assert_eq!(
            text,
            "title\n=======\n<<<<<<< yours (the file on disk)\nmine\n||||||| base (what scaffold generated last time)\nx\n=======\nnew\n>>>>>>> scaffold (generated from scaffold.toml now)\n"
        );
    }

    #[test]
    fn whole_file_conflicts_keep_both_files() {
        assert_eq!(
            whole_file_conflict("mine", "new\n"),
            "<<<<<<< yours (the file on disk)\nmine\n=======\nnew\n>>>>>>> scaffold (generated from scaffold.toml now)\n"
        );
        assert!(has_conflict_markers(&whole_file_conflict("a", "b")));
        assert!(!has_conflict_markers("<<<<<<<<< not a marker\n"));
    }
}
