//! The Terraform reference check: the rendered roots and modules fit together.
//!
//! `terraform validate` would catch a misspelt variable or output, but it needs
//! the providers, which cannot be downloaded here (and should not be needed to
//! test a renderer). This check covers the cross-file mistakes a template edit
//! can introduce, for every example and every cloud, on the rendered text:
//!
//! - every `var.x` a directory uses, and every value its `.tfvars` files set,
//!   is declared by a `variable "x"` block there;
//! - every local module `source` points at a rendered directory;
//! - every module block passes only the module's variables, and all the ones
//!   without a default;
//! - every `module.m.o` names a module block of the directory and an output of
//!   that module.
//!
//! It reads the files with `hcl-edit`, a full HCL parser, so references
//! inside interpolations, heredocs and nested blocks count, and text in
//! comments and string literals does not.

use std::collections::{BTreeMap, BTreeSet};

use hcl_edit::expr::{Expression, Traversal, TraversalOperator};
use hcl_edit::structure::{BlockLabel, Body};
use hcl_edit::visit::{Visit, visit_traversal};

/// The `var.x` and `module.m.o` traversals of a body, wherever they are
/// (attributes, nested blocks, string interpolations, heredocs).
#[derive(Default)]
struct References {
    /// Names of the variables read.
    variables: BTreeSet<String>,
    /// Module block names and the output read from each.
    modules: BTreeSet<(String, String)>,
}

impl Visit for References {
    fn visit_traversal(&mut self, node: &Traversal) {
        if let Expression::Variable(root) = &node.expr {
            // Attribute steps only: `module.m[0].o` reads output `o` of `m`.
            let mut steps = node.operators.iter().filter_map(|op| match &**op {
                TraversalOperator::GetAttr(ident) => Some(ident.as_str().to_owned()),
                _ => None,
            });
            match root.as_str() {
                "var" => {
                    if let Some(name) = steps.next() {
                        self.variables.insert(name);
                    }
                }
                "module" => {
                    if let (Some(module), Some(output)) = (steps.next(), steps.next()) {
                        self.modules.insert((module, output));
                    }
                }
                _ => {}
            }
        }
        visit_traversal(self, node);
    }
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
    /// Variables given values in `.tfvars` files.
    variable_values: BTreeSet<String>,
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

/// Reads every `.tf` file of `files` into its directory's declarations and uses;
/// a file that does not parse is a problem of its own.
fn directories(
    files: &BTreeMap<String, String>,
    found: &mut Vec<String>,
) -> BTreeMap<String, Directory> {
    let mut dirs: BTreeMap<String, Directory> = BTreeMap::new();
    let terraform = |p: &str| p.ends_with(".tf") || p.ends_with(".tfvars");
    for (path, text) in files.iter().filter(|(p, _)| terraform(p)) {
        let dir = path.rsplit_once('/').map_or("", |(d, _)| d).to_owned();
        let entry = dirs.entry(dir).or_default();
        let body: Body = match text.parse() {
            Ok(body) => body,
            Err(err) => {
                found.push(format!("{path}: does not parse: {err}"));
                continue;
            }
        };
        if path.ends_with(".tfvars") {
            entry
                .variable_values
                .extend(body.attributes().map(|a| a.key.as_str().to_owned()));
            continue;
        }
        for block in body.blocks() {
            let Some(label) = block.labels.first().map(|label| match label {
                BlockLabel::String(text) => text.as_str().to_owned(),
                BlockLabel::Ident(ident) => ident.as_str().to_owned(),
            }) else {
                continue;
            };
            match block.ident.as_str() {
                "variable" => {
                    let has_default = block.body.get_attribute("default").is_some();
                    entry.variables.insert(label, has_default);
                }
                "output" => {
                    entry.outputs.insert(label);
                }
                "module" => {
                    let source = match block.body.get_attribute("source").map(|a| &a.value) {
                        Some(Expression::String(text)) => text.as_str().to_owned(),
                        _ => String::new(),
                    };
                    let arguments = block
                        .body
                        .attributes()
                        .map(|a| a.key.as_str().to_owned())
                        .filter(|k| !META_ARGUMENTS.contains(&k.as_str()))
                        .collect();
                    entry.modules.insert(label, (source, arguments));
                }
                _ => {}
            }
        }
        let mut references = References::default();
        references.visit_body(&body);
        entry.variable_uses.extend(references.variables);
        entry.module_uses.extend(references.modules);
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
    let mut found = Vec::new();
    let dirs = directories(files, &mut found);
    for (dir, d) in &dirs {
        for name in &d.variable_uses {
            if !d.variables.contains_key(name) {
                found.push(format!("{dir}: var.{name} is used but not declared"));
            }
        }
        for name in &d.variable_values {
            if !d.variables.contains_key(name) {
                found.push(format!(
                    "{dir}: a .tfvars file sets {name}, which is not declared"
                ));
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
    fn unparsable_files_are_found() {
        let files = BTreeMap::from([("root/main.tf".to_owned(), "variable \"x\" {\n".to_owned())]);
        let found = problems(&files);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with("root/main.tf: does not parse"),
            "{found:?}"
        );
    }

    #[test]
    fn tfvars_set_only_declared_variables() {
        check(
            &[
                (
                    "root/variables.tf",
                    "variable \"region\" {\n  type = string\n}\n",
                ),
                (
                    "root/terraform.tfvars",
                    "region = \"eu-west-1\"\nzone = \"a\"\n",
                ),
            ],
            &["root: a .tfvars file sets zone, which is not declared"],
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

    /// Guards the reading itself: it must see the blocks and references of a real root.
    #[test]
    fn the_parser_sees_a_real_composition() {
        let path =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/examples/aws-rolling.toml");
        let text = fs::read_to_string(path).expect("example is readable");
        let project = Project::from_toml(&text, &Facts::default()).expect("example resolves");
        let files = render_family(&project, "terraform").expect("terraform renders");
        let mut found = Vec::new();
        let dirs = directories(&files, &mut found);
        assert!(found.is_empty(), "{found:?}");
        let staging = &dirs["infra/environments/staging"];
        assert!(staging.modules.len() >= 5, "{:?}", staging.modules.keys());
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
