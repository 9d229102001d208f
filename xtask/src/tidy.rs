//! `cargo test` checks of the source tree's hygiene, in the style of rust-analyzer's `tidy.rs`.
//!
//! Every Rust file opens with a `//!` comment saying what it is for, and no
//! debugging or placeholder macro is left behind.

#[cfg(test)]
mod tests {
    use std::fs;
    use std::path::{Path, PathBuf};

    fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if !path.ends_with("target") && !path.ends_with("fixtures") {
                    rust_files(&path, out);
                }
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    fn sources() -> Vec<PathBuf> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let mut files = Vec::new();
        rust_files(&root.join("crates"), &mut files);
        rust_files(&root.join("xtask"), &mut files);
        files
    }

    #[test]
    fn every_module_starts_with_a_doc_comment() {
        let missing: Vec<_> = sources()
            .into_iter()
            .filter(|p| !fs::read_to_string(p).unwrap().starts_with("//!"))
            .collect();
        assert!(
            missing.is_empty(),
            "add a `//!` comment saying what these are for: {missing:#?}"
        );
    }

    #[test]
    fn no_debug_or_placeholder_macros() {
        // Built from parts so this checker does not match itself.
        let forbidden = ["dbg", "todo", "unimplemented"].map(|name| format!("{name}!("));
        let mut found = Vec::new();
        for path in sources() {
            if path.ends_with("tidy.rs") {
                continue;
            }
            let text = fs::read_to_string(&path).unwrap();
            for (i, line) in text.lines().enumerate() {
                if forbidden.iter().any(|f| line.contains(f.as_str())) {
                    found.push(format!("{}:{}", path.display(), i + 1));
                }
            }
        }
        assert!(found.is_empty(), "remove these: {found:#?}");
    }
}
