//! Parses every template in `scaffolds/` with Tera and writes the trees to
//! `$OUT_DIR/templates.bin`, which the engine embeds (see `src/compiled.rs`):
//! a run of scaffold then reads parsed trees instead of parsing, and a
//! template that does not parse fails the build, naming the template.

use std::path::{Path, PathBuf};

#[allow(dead_code, reason = "the reading half is the library's")]
#[path = "src/compiled.rs"]
mod compiled;

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"))
        .join("../../scaffolds");
    // Cargo scans a folder given here for changes to any file below it.
    println!("cargo::rerun-if-changed={}", root.display());
    println!("cargo::rerun-if-changed=src/compiled.rs");
    let mut files = Vec::new();
    walk(&root, &mut files);
    files.sort();
    let templates: Vec<(String, tera::Template)> = files
        .iter()
        .map(|path| {
            let id = path
                .strip_prefix(&root)
                .expect("below the root")
                .to_str()
                .expect("template paths are UTF-8")
                .replace('\\', "/");
            let text = std::fs::read_to_string(path)
                .unwrap_or_else(|err| panic!("reading template {id}: {err}"));
            let template = tera::Template::new(&id, None, &text).unwrap_or_else(|err| {
                panic!("template {id} does not parse: {}", compiled::chain(&err))
            });
            (id, template)
        })
        .collect();
    let bytes = compiled::archive(
        templates
            .iter()
            .map(|(id, template)| (id.as_str(), template.ast.as_slice())),
    );
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it"));
    std::fs::write(out.join("templates.bin"), bytes).expect("writing templates.bin");
}

/// Every file below `dir`.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|err| panic!("{}: {err}", dir.display()));
    for entry in entries {
        let path = entry.expect("a folder entry").path();
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}
