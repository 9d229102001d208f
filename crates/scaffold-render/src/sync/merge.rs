//! A line-based three-way merge whose conflicts carry labelled, standard
//! git conflict markers.
//!
//! The merge itself is `diffy`'s diff3 merge. diffy labels its markers
//! `ours`, `original` and `theirs`, which would leave a reader guessing which
//! side is theirs, so the markers are rewritten with labels that say which
//! side is the user's and which is scaffold's.
//!
//! Markers are seven characters long, as git writes them, unless a line of
//! the inputs itself starts with seven or more of one marker character (a
//! Markdown heading underline `=======`, say). Then every marker of that
//! merge is one character longer than the longest such run, which is git's
//! own `conflict-marker-size` idea: no line of content can be mistaken for a
//! marker, by scaffold or by a reader, and the same inputs always give the
//! same output. [`conflict_blocks`] finds markers of any such length, which
//! is how sync recognises a conflict the user has not resolved yet.
//!
//! All of this works on whole lines and characters, never on byte offsets
//! inside a line, so any UTF-8 text merges.

use std::collections::BTreeMap;

use diffy::{ConflictStyle, IncompleteHunkStyle, MergeOptions};

/// The label on the user's side of a conflict (the file on disk).
pub const OURS_LABEL: &str = "yours (the file on disk)";
/// The label on the common ancestor (what scaffold wrote last time).
pub const BASE_LABEL: &str = "base (what scaffold generated last time)";
/// The label on scaffold's side of a conflict (the new render).
pub const THEIRS_LABEL: &str = "scaffold (generated from scaffold.toml now)";

/// The standard length of a git conflict marker.
pub const MARKER_LEN: usize = 7;

/// The characters conflict markers are made of.
const MARKER_CHARS: [char; 4] = ['<', '|', '=', '>'];

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
    let len = marker_len(&[base, ours, theirs]);
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
    let len = marker_len(&[ours, theirs]);
    let marker = |c: char| c.to_string().repeat(len);
    let mut out = String::new();
    out.push_str(&format!("{} {OURS_LABEL}\n", marker('<')));
    push_terminated(&mut out, ours);
    out.push_str(&format!("{}\n", marker('=')));
    push_terminated(&mut out, theirs);
    out.push_str(&format!("{} {THEIRS_LABEL}\n", marker('>')));
    out
}

/// Whether `text` holds at least one complete conflict block (git's or
/// scaffold's): a start marker, a separator and an end marker of one length,
/// in that order.
pub fn has_conflict_markers(text: &str) -> bool {
    conflict_blocks(text) > 0
}

/// The number of complete conflict blocks in `text`.
///
/// A block is a line of `n >= 7` `<` (alone or followed by a space and a
/// label), later a line of exactly `n` `=` (alone or labelled), and later a
/// line of `n` `>`; an optional `|` line of the same length may come between
/// the start and the separator. Lines of content that merely start with
/// marker characters do not count, because a merge chooses `n` longer than
/// any of them.
pub fn conflict_blocks(text: &str) -> usize {
    let mut blocks = 0;
    // Per marker length: whether a block of that length is open, and
    // whether its separator was seen. Markers of one length never close a
    // block of another, so content lines with shorter runs are just content.
    let mut open: BTreeMap<usize, bool> = BTreeMap::new();
    for line in text.lines() {
        let Some((c, n)) = marker(line) else {
            continue;
        };
        match (c, open.get(&n).copied()) {
            ('<', _) => {
                open.insert(n, false);
            }
            ('=', Some(false)) => {
                open.insert(n, true);
            }
            ('>', Some(true)) => {
                open.remove(&n);
                blocks += 1;
            }
            _ => {}
        }
    }
    blocks
}

/// The marker character and length of `line`, when it is a marker line of at
/// least [`MARKER_LEN`] characters: the run alone, or followed by a space.
fn marker(line: &str) -> Option<(char, usize)> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    let first = line.chars().next()?;
    if !MARKER_CHARS.contains(&first) {
        return None;
    }
    let run = line.chars().take_while(|&c| c == first).count();
    // Marker characters are one byte each, so `run` is also a byte offset.
    let rest = &line[run..];
    (run >= MARKER_LEN && (rest.is_empty() || rest.starts_with(' '))).then_some((first, run))
}

/// Appends `text`, ending it with a newline if it lacks one.
fn push_terminated(out: &mut String, text: &str) {
    out.push_str(text);
    if !text.is_empty() && !text.ends_with('\n') {
        out.push('\n');
    }
}

/// The marker length for a merge of `inputs`: [`MARKER_LEN`], or one more
/// than the longest run of one marker character that starts a line of them.
pub fn marker_len(inputs: &[&str]) -> usize {
    let longest_run = inputs
        .iter()
        .flat_map(|text| text.lines())
        .filter_map(|line| {
            let first = line.chars().next().filter(|c| MARKER_CHARS.contains(c))?;
            Some(line.chars().take_while(|&c| c == first).count())
        })
        .max()
        .unwrap_or(0);
    if longest_run < MARKER_LEN {
        MARKER_LEN
    } else {
        longest_run + 1
    }
}

/// Adds labels to diffy's `len`-character markers.
fn relabel(text: &str, len: usize) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let body = line.strip_suffix('\n').unwrap_or(line);
        let newline = if line.ends_with('\n') { "\n" } else { "" };
        // Only diffy's markers are runs of `len`: every input run is shorter.
        let found = marker(body).filter(|&(_, n)| n == len);
        match found {
            Some((c, _)) => {
                let label = match c {
                    '<' => Some(OURS_LABEL),
                    '|' => Some(BASE_LABEL),
                    '>' => Some(THEIRS_LABEL),
                    _ => None,
                };
                out.push_str(&c.to_string().repeat(len));
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
    use proptest::prelude::*;

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
    fn non_ascii_lines_merge_without_panicking() {
        // Byte 8 of "Ärger über" falls inside "ü": slicing a line by a byte
        // count panicked here once.
        let Merged::Conflict(text) =
            merge3("Ärger über x\n", "Ärger über mine\n", "Ärger über new\n")
        else {
            panic!("expected a conflict");
        };
        assert!(text.contains("Ärger über mine\n") && text.contains("Ärger über new\n"));
        assert_eq!(conflict_blocks(&text), 1);
        let cjk = "設定ファイルの説明です\n";
        assert_eq!(
            merge3(cjk, &format!("{cjk}私の行\n"), cjk),
            Merged::Clean(format!("{cjk}私の行\n"))
        );
    }

    #[test]
    fn a_users_separator_line_is_never_taken_for_a_marker() {
        // The user's Markdown underline `=======` sits inside the conflict:
        // the markers grow to eight characters, so the block has exactly one
        // separator and the underline stays content.
        let base = "title\nx\n";
        let ours = "title\n=======\nmine\n";
        let theirs = "title\nnew\n";
        let Merged::Conflict(text) = merge3(base, ours, theirs) else {
            panic!("expected a conflict");
        };
        assert_eq!(
            text,
            "title\n<<<<<<<< yours (the file on disk)\n=======\nmine\n|||||||| base (what scaffold generated last time)\nx\n========\nnew\n>>>>>>>> scaffold (generated from scaffold.toml now)\n"
        );
        assert_eq!(conflict_blocks(&text), 1);
    }

    #[test]
    fn content_that_looks_like_markers_outside_the_conflict_is_left_alone() {
        let base = "title\n=======\nx\n";
        let ours = "title\n=======\nmine\n";
        let theirs = "title\n=======\nnew\n";
        let Merged::Conflict(text) = merge3(base, ours, theirs) else {
            panic!("expected a conflict");
        };
        assert_eq!(
            text,
            "title\n=======\n<<<<<<<< yours (the file on disk)\nmine\n|||||||| base (what scaffold generated last time)\nx\n========\nnew\n>>>>>>>> scaffold (generated from scaffold.toml now)\n"
        );
    }

    #[test]
    fn whole_file_conflicts_keep_both_files() {
        assert_eq!(
            whole_file_conflict("mine", "new\n"),
            "<<<<<<< yours (the file on disk)\nmine\n=======\nnew\n>>>>>>> scaffold (generated from scaffold.toml now)\n"
        );
        assert!(has_conflict_markers(&whole_file_conflict("a", "b")));
        assert_eq!(
            conflict_blocks(&whole_file_conflict("=======\n", "b")),
            1,
            "the markers outgrow the content's"
        );
    }

    #[test]
    fn only_complete_blocks_count_as_conflicts() {
        assert!(!has_conflict_markers("<<<<<<<< not a marker\n"));
        assert!(!has_conflict_markers("<<<<<<<x\n=======\n>>>>>>>\n"));
        assert!(!has_conflict_markers("<<<<<<< a\n========\n>>>>>>> b\n"));
        assert!(!has_conflict_markers("=======\n>>>>>>>\n"));
        assert!(has_conflict_markers(
            "<<<<<<< HEAD\na\n=======\nb\n>>>>>>> main\n"
        ));
        assert!(has_conflict_markers(
            "<<<<<<< a\r\nx\r\n||||||| b\r\ny\r\n=======\r\nz\r\n>>>>>>> c\r\n"
        ));
    }

    /// Lines that stress the merge: marker look-alikes, multi-byte
    /// characters at every offset, and arbitrary Unicode.
    fn line() -> impl Strategy<Value = String> {
        prop_oneof![
            3 => proptest::sample::select(vec![
                "a", "b", "=======", "========", "<<<<<<< x", ">>>>>>>", "|||||||",
                "Ärger über", "設定ファイル", "🦀🦀🦀🦀", "\u{301}e", "",
            ])
            .prop_map(str::to_owned),
            1 => "[^\n\r]{0,12}",
        ]
    }

    fn text() -> impl Strategy<Value = String> {
        proptest::collection::vec(line(), 0..8)
            .prop_map(|lines| lines.iter().map(|l| format!("{l}\n")).collect::<String>())
    }

    proptest! {
        /// Any UTF-8 text merges without a panic, every line of both sides
        /// survives, and a conflict's markers are unambiguous: each block
        /// has exactly one start, separator and end of the chosen length.
        #[test]
        fn any_text_merges_with_unambiguous_markers(
            base in text(),
            ours in text(),
            theirs in text(),
        ) {
            let merged = merge3(&base, &ours, &theirs);
            let len = marker_len(&[&base, &ours, &theirs]);
            let text = merged.text();
            let marker_lines: Vec<(char, usize)> =
                text.lines().filter_map(marker).filter(|&(_, n)| n == len).collect();
            match &merged {
                Merged::Clean(_) => prop_assert!(marker_lines.is_empty(), "{text}"),
                Merged::Conflict(_) => {
                    let starts = marker_lines.iter().filter(|(c, _)| *c == '<').count();
                    let seps = marker_lines.iter().filter(|(c, _)| *c == '=').count();
                    let ends = marker_lines.iter().filter(|(c, _)| *c == '>').count();
                    prop_assert!(starts > 0 && starts == seps && seps == ends, "{text}");
                    // Content lines from different sides may happen to form
                    // a shorter block of their own; the real blocks all count.
                    prop_assert!(conflict_blocks(text) >= starts, "{}", text);
                }
            }
        }
    }
}
