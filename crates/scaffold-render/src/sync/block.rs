//! Delimited blocks: scaffold's part of a file the user owns.
//!
//! Some files, such as the root `README.md`, belong to the user, yet scaffold
//! has something to say in them. Such a file is rendered with one block
//! between `<!-- scaffold:begin -->` and `<!-- scaffold:end -->` lines; when
//! the user already has the file, scaffold inserts or updates only that block
//! and leaves every other line alone.

/// The line that opens scaffold's block.
pub const BEGIN: &str = "<!-- scaffold:begin -->";
/// The line that closes scaffold's block.
pub const END: &str = "<!-- scaffold:end -->";

/// Whether `rendered` is exactly one delimited block (and so merges into an existing file).
pub fn is_block(rendered: &str) -> bool {
    span(rendered) == Some((0, rendered.len()))
}

/// The block inside `text`, from its begin line through its end line, if it has one.
pub fn extract(text: &str) -> Option<&str> {
    span(text).map(|(start, end)| &text[start..end])
}

/// `text` with its block replaced by `block`, or with `block` appended (after
/// a blank line) when it has none.
pub fn splice(text: &str, block: &str) -> String {
    match span(text) {
        Some((start, end)) => format!("{}{block}{}", &text[..start], &text[end..]),
        None if text.trim().is_empty() => block.to_owned(),
        None => {
            let separator = if text.ends_with("\n\n") {
                ""
            } else if text.ends_with('\n') {
                "\n"
            } else {
                "\n\n"
            };
            format!("{text}{separator}{block}")
        }
    }
}

/// `text` without its block and without the blank line that set it apart.
pub fn remove(text: &str) -> String {
    match span(text) {
        Some((start, end)) => {
            let before = &text[..start];
            let after = &text[end..];
            let before = if after.is_empty() {
                before.strip_suffix('\n').map_or(before, |b| {
                    if b.ends_with('\n') || b.is_empty() {
                        b
                    } else {
                        before
                    }
                })
            } else {
                before
            };
            format!("{before}{after}")
        }
        None => text.to_owned(),
    }
}

/// Byte range of the first block: from the start of its begin line to the end
/// of its end line (including the newline, if any).
fn span(text: &str) -> Option<(usize, usize)> {
    // Most files have no block: finding that out needs one substring search.
    if !text.contains(BEGIN) {
        return None;
    }
    let mut start = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']).trim();
        match start {
            None if body == BEGIN => start = Some(offset),
            Some(begin) if body == END => return Some((begin, offset + line.len())),
            Some(_) if body == BEGIN => return None,
            _ => {}
        }
        offset += line.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const BLOCK: &str = "<!-- scaffold:begin -->\nnew\n<!-- scaffold:end -->\n";

    #[test]
    fn recognises_blocks() {
        assert!(is_block(BLOCK));
        assert!(!is_block(&format!("# Title\n{BLOCK}")));
        assert!(!is_block("<!-- scaffold:begin -->\nnever closed\n"));
        assert_eq!(extract(&format!("# Title\n\n{BLOCK}more\n")), Some(BLOCK));
    }

    #[test]
    fn splices_into_existing_files() {
        assert_eq!(splice("# Mine\n", BLOCK), format!("# Mine\n\n{BLOCK}"));
        assert_eq!(splice("# Mine", BLOCK), format!("# Mine\n\n{BLOCK}"));
        assert_eq!(splice("", BLOCK), BLOCK);
        let old = "# Mine\n\n<!-- scaffold:begin -->\nold\n<!-- scaffold:end -->\n\nTail\n";
        assert_eq!(splice(old, BLOCK), format!("# Mine\n\n{BLOCK}\nTail\n"));
    }

    #[test]
    fn removes_blocks() {
        assert_eq!(remove(&format!("# Mine\n\n{BLOCK}")), "# Mine\n");
        assert_eq!(
            remove(&format!("# Mine\n\n{BLOCK}Tail\n")),
            "# Mine\n\nTail\n"
        );
        assert_eq!(remove(BLOCK), "");
    }
}
