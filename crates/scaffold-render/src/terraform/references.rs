//! The Terraform reference check: the rendered roots and modules fit together.
//!
//! `terraform validate` would catch a misspelt variable or output, but it needs
//! the providers, which cannot be downloaded here (and should not be needed to
//! test a renderer). This check covers the cross-file mistakes a template edit
//! can introduce, for every example and every cloud, on the rendered text:
//!
//! - every `var.x` a directory uses is declared by a `variable "x"` block there;
//! - every local module `source` points at a rendered directory;
//! - every module block passes only the module's variables, and all the ones
//!   without a default;
//! - every `module.m.o` names a module block of the directory and an output of
//!   that module.
//!
//! It reads HCL with a small scanner rather than a full parser: it only needs
//! top-level blocks, the attribute names of module blocks, string values of
//! `source`, and references outside string literals, and the files it reads
//! are `terraform fmt`-clean output of our own templates.

use std::collections::{BTreeMap, BTreeSet};

/// A top-level block: `variable "x" { ... }`.
#[derive(Debug)]
struct Block {
    /// The block type, such as `module`.
    kind: String,
    /// The labels, such as `["x"]`.
    labels: Vec<String>,
    /// Names of the attributes directly in the body, with their raw value text.
    attributes: BTreeMap<String, String>,
}

/// One HCL file, scanned.
struct Scanned {
    /// The top-level blocks.
    blocks: Vec<Block>,
    /// The text with comments and string literals blanked out, keeping
    /// interpolations: where references live.
    code: String,
}

/// Scans the comments and strings of HCL text into two views: `text` keeps
/// string literals, `code` blanks them (interpolations stay in both).
fn blank(text: &str) -> (String, String) {
    #[derive(Clone, Copy, PartialEq)]
    enum Mode {
        Code,
        Str,
        Interp(usize),
    }
    let chars: Vec<char> = text.chars().collect();
    let mut keep = String::with_capacity(text.len());
    let mut code = String::with_capacity(text.len());
    let mut stack = vec![Mode::Code];
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let mode = *stack.last().unwrap_or(&Mode::Code);
        match mode {
            Mode::Code | Mode::Interp(_) => {
                if c == '#' || (c == '/' && next == Some('/')) {
                    while i < chars.len() && chars[i] != '\n' {
                        keep.push(' ');
                        code.push(' ');
                        i += 1;
                    }
                    continue;
                }
                if c == '<' && next == Some('<') {
                    if let Some(end) = heredoc_end(&chars, i) {
                        // A heredoc: its text may hold quotes and braces that
                        // are not HCL syntax, so the block view blanks it, and
                        // the code view keeps it for its `${...}` references.
                        for &h in &chars[i..end] {
                            keep.push(if h == '\n' { '\n' } else { ' ' });
                            code.push(if h == '"' { ' ' } else { h });
                        }
                        i = end;
                        continue;
                    }
                }
                if c == '/' && next == Some('*') {
                    while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                        let blank = if chars[i] == '\n' { '\n' } else { ' ' };
                        keep.push(blank);
                        code.push(blank);
                        i += 1;
                    }
                    keep.push_str("  ");
                    code.push_str("  ");
                    i += 2;
                    continue;
                }
                match (c, mode) {
                    ('"', _) => stack.push(Mode::Str),
                    ('{', Mode::Interp(depth)) => {
                        stack.pop();
                        stack.push(Mode::Interp(depth + 1));
                    }
                    ('}', Mode::Interp(0)) => {
                        stack.pop();
                    }
                    ('}', Mode::Interp(depth)) => {
                        stack.pop();
                        stack.push(Mode::Interp(depth - 1));
                    }
                    _ => {}
                }
                keep.push(c);
                code.push(c);
            }
            Mode::Str => {
                if c == '\\' {
                    keep.push(c);
                    code.push(' ');
                    if let Some(n) = next {
                        keep.push(n);
                        code.push(' ');
                    }
                    i += 2;
                    continue;
                }
                if c == '"' {
                    stack.pop();
                    keep.push(c);
                    code.push(c);
                } else if c == '$' && next == Some('{') {
                    stack.push(Mode::Interp(0));
                    keep.push_str("${");
                    code.push_str("${");
                    i += 2;
                    continue;
                } else {
                    keep.push(c);
                    code.push(if c == '\n' { '\n' } else { ' ' });
                }
            }
        }
        i += 1;
    }
    (keep, code)
}

/// The index just past the heredoc whose `<<` is at `start` (the end of its
/// closing marker line), or `None` when `<<` does not open a heredoc.
fn heredoc_end(chars: &[char], start: usize) -> Option<usize> {
    let mut i = start + 2;
    if chars.get(i) == Some(&'-') {
        i += 1;
    }
    let marker_start = i;
    while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
        i += 1;
    }
    if i == marker_start || chars.get(i) != Some(&'\n') {
        return None;
    }
    let marker: String = chars[marker_start..i].iter().collect();
    let mut line_start = i + 1;
    while line_start < chars.len() {
        let line_end = chars[line_start..]
            .iter()
            .position(|&c| c == '\n')
            .map_or(chars.len(), |p| line_start + p);
        let line: String = chars[line_start..line_end].iter().collect();
        if line.trim() == marker {
            return Some(line_end);
        }
        line_start = line_end + 1;
    }
    Some(chars.len())
}

/// The index just past the string literal starting at `start` (a `"`).
fn skip_string(chars: &[char], start: usize) -> usize {
    let mut i = start + 1;
    let mut interp_depth = 0usize;
    while i < chars.len() {
        let c = chars[i];
        if interp_depth == 0 {
            match c {
                '\\' => i += 1,
                '"' => return i + 1,
                '$' if chars.get(i + 1) == Some(&'{') => {
                    interp_depth = 1;
                    i += 1;
                }
                _ => {}
            }
        } else {
            match c {
                '"' => {
                    i = skip_string(chars, i);
                    continue;
                }
                '{' => interp_depth += 1,
                '}' => interp_depth -= 1,
                _ => {}
            }
        }
        i += 1;
    }
    i
}

/// The index just past the bracketed group opening at `start`.
fn skip_group(chars: &[char], start: usize) -> usize {
    let mut depth = 0usize;
    let mut i = start;
    while i < chars.len() {
        match chars[i] {
            '"' => {
                i = skip_string(chars, i);
                continue;
            }
            '{' | '[' | '(' => depth += 1,
            '}' | ']' | ')' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    i
}

/// The index of the end of an attribute value starting at `start`: the first
/// newline outside brackets and strings.
fn skip_value(chars: &[char], start: usize) -> usize {
    let mut i = start;
    while i < chars.len() {
        match chars[i] {
            '\n' => return i,
            '"' => {
                i = skip_string(chars, i);
                continue;
            }
            '{' | '[' | '(' => {
                i = skip_group(chars, i);
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    i
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// Items of a body (or a whole file): blocks and attributes, one level deep.
fn items(chars: &[char]) -> (Vec<Block>, BTreeMap<String, String>) {
    let mut blocks = Vec::new();
    let mut attributes = BTreeMap::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        if !is_ident(chars[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && is_ident(chars[i]) {
            i += 1;
        }
        let name: String = chars[start..i].iter().collect();
        let mut labels = Vec::new();
        loop {
            while i < chars.len() && (chars[i] == ' ' || chars[i] == '\t') {
                i += 1;
            }
            match chars.get(i) {
                Some('"') => {
                    let end = skip_string(chars, i);
                    labels.push(chars[i + 1..end - 1].iter().collect());
                    i = end;
                }
                Some(c) if is_ident(*c) => {
                    let s = i;
                    while i < chars.len() && is_ident(chars[i]) {
                        i += 1;
                    }
                    labels.push(chars[s..i].iter().collect());
                }
                _ => break,
            }
        }
        match chars.get(i) {
            Some('=') if chars.get(i + 1) != Some(&'=') => {
                let end = skip_value(chars, i + 1);
                let value: String = chars[i + 1..end].iter().collect();
                attributes.insert(name, value.trim().to_owned());
                i = end;
            }
            Some('{') => {
                let end = skip_group(chars, i);
                let body = &chars[i + 1..end.saturating_sub(1)];
                let (_, body_attributes) = items(body);
                blocks.push(Block {
                    kind: name,
                    labels,
                    attributes: body_attributes,
                });
                i = end;
            }
            _ => i += 1,
        }
    }
    (blocks, attributes)
}

fn scan(text: &str) -> Scanned {
    let (keep, code) = blank(text);
    let chars: Vec<char> = keep.chars().collect();
    let (blocks, _) = items(&chars);
    Scanned { blocks, code }
}

/// Every `<prefix>.<name>` in `code`, where `prefix` is a whole word; with the
/// following `.<attribute>` when asked (skipping an index such as `[0]`).
fn references(code: &str, prefix: &str) -> Vec<(String, Option<String>)> {
    let chars: Vec<char> = code.chars().collect();
    let pattern: Vec<char> = format!("{prefix}.").chars().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i + pattern.len() <= chars.len() {
        let at_word_start = i == 0 || !(is_ident(chars[i - 1]) || chars[i - 1] == '.');
        if at_word_start && chars[i..i + pattern.len()] == pattern[..] {
            let mut j = i + pattern.len();
            let s = j;
            while j < chars.len() && (chars[j].is_ascii_alphanumeric() || chars[j] == '_') {
                j += 1;
            }
            let name: String = chars[s..j].iter().collect();
            if chars.get(j) == Some(&'[') {
                j = skip_group(&chars, j);
            }
            let mut attribute = None;
            if chars.get(j) == Some(&'.') {
                let s = j + 1;
                let mut k = s;
                while k < chars.len() && (chars[k].is_ascii_alphanumeric() || chars[k] == '_') {
                    k += 1;
                }
                if k > s {
                    attribute = Some(chars[s..k].iter().collect());
                }
            }
            if !name.is_empty() {
                found.push((name, attribute));
            }
            i = j;
        } else {
            i += 1;
        }
    }
    found
}

/// One directory of `.tf` files: what it declares and what it uses.
#[derive(Default)]
struct Directory {
    /// Variables, and whether each has a default.
    variables: BTreeMap<String, bool>,
    /// Output names.
    outputs: BTreeSet<String>,
    /// Module blocks: name to (source, argument names).
    modules: BTreeMap<String, (String, BTreeSet<String>)>,
    /// `var.x` references.
    variable_uses: BTreeSet<String>,
    /// `module.m.o` references.
    module_uses: BTreeSet<(String, String)>,
}

/// Module block arguments that are not input variables.
const META_ARGUMENTS: &[&str] = &[
    "source",
    "version",
    "providers",
    "count",
    "for_each",
    "depends_on",
];

fn directories(files: &BTreeMap<String, String>) -> BTreeMap<String, Directory> {
    let mut dirs: BTreeMap<String, Directory> = BTreeMap::new();
    for (path, text) in files.iter().filter(|(p, _)| p.ends_with(".tf")) {
        let dir = path.rsplit_once('/').map_or("", |(d, _)| d).to_owned();
        let entry = dirs.entry(dir).or_default();
        let scanned = scan(text);
        for block in scanned.blocks {
            let Some(label) = block.labels.first().cloned() else {
                continue;
            };
            match block.kind.as_str() {
                "variable" => {
                    entry
                        .variables
                        .insert(label, block.attributes.contains_key("default"));
                }
                "output" => {
                    entry.outputs.insert(label);
                }
                "module" => {
                    let source = block
                        .attributes
                        .get("source")
                        .map(|s| s.trim_matches('"').to_owned())
                        .unwrap_or_default();
                    let arguments = block
                        .attributes
                        .keys()
                        .filter(|k| !META_ARGUMENTS.contains(&k.as_str()))
                        .cloned()
                        .collect();
                    entry.modules.insert(label, (source, arguments));
                }
                _ => {}
            }
        }
        for (name, _) in references(&scanned.code, "var") {
            entry.variable_uses.insert(name);
        }
        for (name, attribute) in references(&scanned.code, "module") {
            if let Some(attribute) = attribute {
                entry.module_uses.insert((name, attribute));
            }
        }
    }
    dirs
}

/// `dir` joined with the relative `source`, normalised; `None` when it leaves the tree.
fn resolve(dir: &str, source: &str) -> Option<String> {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in source.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

/// Every broken reference in the rendered `files`, one message each.
fn problems(files: &BTreeMap<String, String>) -> Vec<String> {
    let dirs = directories(files);
    let mut found = Vec::new();
    for (dir, d) in &dirs {
        for name in &d.variable_uses {
            if !d.variables.contains_key(name) {
                found.push(format!("{dir}: var.{name} is used but not declared"));
            }
        }
        let mut targets = BTreeMap::new();
        for (module, (source, arguments)) in &d.modules {
            if !(source.starts_with("./") || source.starts_with("../")) {
                continue;
            }
            let Some(target) = resolve(dir, source).and_then(|t| dirs.get(&t).map(|d| (t, d)))
            else {
                found.push(format!(
                    "{dir}: module {module} has source {source}, which was not rendered"
                ));
                continue;
            };
            let (target_dir, target) = target;
            for argument in arguments {
                if !target.variables.contains_key(argument) {
                    found.push(format!(
                        "{dir}: module {module} passes {argument}, which {target_dir} does not declare"
                    ));
                }
            }
            for (variable, has_default) in &target.variables {
                if !has_default && !arguments.contains(variable) {
                    found.push(format!(
                        "{dir}: module {module} does not pass {variable}, which {target_dir} requires"
                    ));
                }
            }
            targets.insert(module.clone(), target);
        }
        for (module, output) in &d.module_uses {
            match (d.modules.get(module), targets.get(module)) {
                (None, _) => found.push(format!(
                    "{dir}: module.{module}.{output} names no module block"
                )),
                (Some(_), Some(target)) if !target.outputs.contains(output) => found.push(format!(
                    "{dir}: module.{module}.{output} is not an output of the module"
                )),
                _ => {}
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::path::PathBuf;

    use scaffold_core::Project;
    use scaffold_core::project::Facts;

    use super::*;
    use crate::render_family;

    fn check(files: &[(&str, &str)], expect: &[&str]) {
        let files: BTreeMap<String, String> = files
            .iter()
            .map(|(p, t)| ((*p).to_owned(), (*t).to_owned()))
            .collect();
        assert_eq!(problems(&files), expect);
    }

    const MODULE_VARIABLES: &str = r#"
variable "name" {
  type = string
}

variable "size" {
  type    = number
  default = 1
}
"#;

    const MODULE_OUTPUTS: &str = r#"
output "id" {
  value = "x-${var.name}"
}
"#;

    #[test]
    fn a_consistent_root_passes() {
        check(
            &[
                ("m/variables.tf", MODULE_VARIABLES),
                ("m/outputs.tf", MODULE_OUTPUTS),
                (
                    "root/main.tf",
                    r#"
# var.commented is ignored, and so is "var.in_a_string".
variable "region" {
  type = string
}

module "a" {
  source = "../m"

  name = "a-${var.region}"
  size = length([for x in ["a", "b"] : x])
}

output "id" {
  value       = module.a.id
  description = "module.a.not_checked in a string"
}
"#,
                ),
            ],
            &[],
        );
    }

    #[test]
    fn heredocs_are_text_with_references() {
        check(
            &[(
                "root/main.tf",
                "variable \"a\" {\n  type = string\n}\n\nlocals {\n  doc = <<-EOT\n    {\"unbalanced\": \"${var.a}\n    } } \"\n  EOT\n  x = var.b\n}\n",
            )],
            &["root: var.b is used but not declared"],
        );
    }

    #[test]
    fn undeclared_variables_are_found() {
        check(
            &[(
                "root/main.tf",
                "output \"x\" {\n  value = \"${var.missing}\"\n}\n",
            )],
            &["root: var.missing is used but not declared"],
        );
    }

    #[test]
    fn module_arguments_are_checked_both_ways() {
        check(
            &[
                ("m/variables.tf", MODULE_VARIABLES),
                ("m/outputs.tf", MODULE_OUTPUTS),
                (
                    "root/main.tf",
                    "module \"a\" {\n  source = \"../m\"\n  colour = \"red\"\n}\n",
                ),
            ],
            &[
                "root: module a passes colour, which m does not declare",
                "root: module a does not pass name, which m requires",
            ],
        );
    }

    #[test]
    fn missing_sources_and_outputs_are_found() {
        check(
            &[
                ("m/variables.tf", MODULE_VARIABLES),
                ("m/outputs.tf", MODULE_OUTPUTS),
                (
                    "root/main.tf",
                    r#"
module "a" {
  source = "../m"
  name   = "a"
}

module "b" {
  source = "../missing"
}

output "x" {
  value = [module.a.arn, module.c.id]
}
"#,
                ),
            ],
            &[
                "root: module b has source ../missing, which was not rendered",
                "root: module.a.arn is not an output of the module",
                "root: module.c.id names no module block",
            ],
        );
    }

    /// Guards the scanner itself: it must see the blocks and references of a real root.
    #[test]
    fn the_scan_sees_a_real_composition() {
        let path =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/examples/aws-rolling.toml");
        let text = fs::read_to_string(path).expect("example is readable");
        let project = Project::from_toml(&text, &Facts::default()).expect("example resolves");
        let files = render_family(&project, "terraform").expect("terraform renders");
        let dirs = directories(&files);
        let staging = &dirs["infra/environments/staging"];
        assert!(staging.modules.len() >= 6, "{:?}", staging.modules.keys());
        assert!(staging.variable_uses.contains("aws_account_id"));
        assert!(
            staging
                .module_uses
                .contains(&("cluster".to_owned(), "oidc_issuer".to_owned()))
        );
        assert!(
            dirs["infra/modules/cluster"]
                .outputs
                .contains("oidc_provider_arn")
        );
        assert_eq!(
            dirs["infra/modules/cluster"].variables.get("name"),
            Some(&false)
        );
    }

    /// The reference check over the Terraform of every example, whatever its cloud.
    #[test]
    fn every_example_has_consistent_references() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/examples");
        let mut paths: Vec<PathBuf> = fs::read_dir(&dir)
            .expect("tests/examples exists")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        paths.sort();
        let mut all = Vec::new();
        for path in paths {
            let text = fs::read_to_string(&path).expect("example is readable");
            let project = Project::from_toml(&text, &Facts::default())
                .unwrap_or_else(|err| panic!("{}: {err}", path.display()));
            let files = render_family(&project, "terraform").expect("terraform renders");
            let name = path.file_stem().map(|s| s.to_string_lossy().into_owned());
            for problem in problems(&files) {
                all.push(format!("{}: {problem}", name.clone().unwrap_or_default()));
            }
        }
        assert!(all.is_empty(), "broken references:\n{}", all.join("\n"));
    }
}
