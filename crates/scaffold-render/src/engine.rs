//! The Tera engine over the templates embedded from `scaffolds/`.
//!
//! Templates are compiled into the binary, so scaffold is a single file with
//! nothing to install: their text with `include_dir` (read to find what a
//! template refers to) and their parsed trees, written by the build script
//! (see [`crate::compiled`]). A template that fails to parse fails the build.
//!
//! Every render is normalised the same way: Unix newlines, no trailing spaces,
//! no runs of blank lines, exactly one final newline. Templates can then use
//! whitespace freely for readability without the output drifting.

use std::collections::BTreeSet;
use std::sync::Mutex;

use include_dir::{Dir, include_dir};
use serde::Serialize;

use crate::compiled::chain;
use crate::{HEADER, RenderError};

/// The templates, embedded at build time.
static SCAFFOLDS: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../../scaffolds");

/// The compiled templates.
///
/// A render needs only some of them (one cloud's Terraform of three, say), and
/// reading a template's tree and linking it into Tera's inheritance and macro
/// tables costs time in proportion to its size. So the engine [`Engine::lazy`]
/// (the one [`crate::engine`] hands out) adds a template the first time it is
/// rendered, together with the templates it imports, includes or extends.
/// [`Engine::new`] adds every template up front, which is what the test that
/// every template loads uses.
pub struct Engine {
    tera: Mutex<Loaded>,
}

/// The Tera instance and which templates it holds.
struct Loaded {
    tera: tera::Tera,
    /// Every template id compiled into `tera`.
    ids: BTreeSet<String>,
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new()
    }
}

impl Engine {
    /// Loads every embedded template.
    ///
    /// # Panics
    ///
    /// When the embedded templates do not link (a macro file or parent that is
    /// missing): that is a bug in scaffold, which a test catches.
    pub fn new() -> Self {
        let engine = Engine::lazy();
        let mut templates = Vec::new();
        collect(&SCAFFOLDS, &mut templates);
        engine
            .loaded()
            .add(templates.into_iter().map(|(id, _)| id).collect());
        engine
    }

    /// An engine that adds each template when it is first rendered.
    pub fn lazy() -> Self {
        let mut tera = tera::Tera::default();
        tera.autoescape_on(Vec::new());
        tera.register_filter("indent", indent);
        Engine {
            tera: Mutex::new(Loaded {
                tera,
                ids: BTreeSet::new(),
            }),
        }
    }

    /// The compiled templates (a panic while rendering poisons nothing that
    /// matters: every template is compiled before it is used).
    fn loaded(&self) -> std::sync::MutexGuard<'_, Loaded> {
        self.tera
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Every compiled template id (its path below `scaffolds/`); every
    /// embedded one for an engine made by [`Engine::new`].
    pub fn template_ids(&self) -> Vec<String> {
        self.loaded().ids.iter().cloned().collect()
    }

    /// Renders template `id` with `context`, adding `header`, and normalises the output.
    pub fn render(&self, id: &str, context: &impl Serialize) -> Result<String, RenderError> {
        self.render_prepared(id, &Prepared::new(id, context)?)
    }

    /// Renders template `id` with a context already converted for Tera, and normalises the
    /// output. Converting a context costs about as much as rendering a short template from it,
    /// so a family that renders several files from one context (an overlay's eight files, a
    /// service's six) converts it once.
    pub fn render_prepared(&self, id: &str, context: &Prepared) -> Result<String, RenderError> {
        self.loaded().render_with(id, context, normalize)
    }

    /// Renders source code (a starter app's files): Unix newlines, no trailing spaces and one
    /// final newline, but blank lines kept as written, since a language's style may want two
    /// in a row (Python between top-level definitions).
    pub fn render_code(&self, id: &str, context: &Prepared) -> Result<String, RenderError> {
        self.loaded().render_with(id, context, code)
    }
}

/// Source code's normal form (see [`Engine::render_code`]).
fn code(text: &str) -> String {
    // `trim_end` takes the `\r` of a `\r\n` with the spaces.
    let mut out = String::with_capacity(text.len() + 1);
    for line in text.lines() {
        let line = line.trim_end();
        if !line.is_empty() || !out.is_empty() {
            out.push_str(line);
            out.push('\n');
        }
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// A context converted for Tera once, with the header every generated file starts with, to
/// render several templates from (see [`Engine::render_prepared`]).
pub struct Prepared(tera::Context);

impl Prepared {
    /// Converts `context`; `id` names the template in an error.
    pub fn new(id: &str, context: &impl Serialize) -> Result<Prepared, RenderError> {
        let mut ctx =
            tera::Context::from_serialize(context).map_err(|err| RenderError::Template {
                template: id.to_owned(),
                message: chain(&err),
            })?;
        ctx.insert("header", HEADER);
        Ok(Prepared(ctx))
    }

    /// Sets the top-level `key` to `value`, as a `#[serde(flatten)]` field beside the
    /// context would: a page per alert shares the docs context and changes only its alert.
    pub fn insert(&mut self, key: &str, value: &impl Serialize) -> Result<(), RenderError> {
        self.0
            .try_insert(key, value)
            .map_err(|err| RenderError::Template {
                template: key.to_owned(),
                message: chain(&err),
            })
    }
}

impl Loaded {
    /// Renders template `id` (compiling it first if need be) into this thread's buffer and
    /// hands the text to `then`.
    fn render_with<T>(
        &mut self,
        id: &str,
        context: &Prepared,
        then: impl FnOnce(&str) -> T,
    ) -> Result<T, RenderError> {
        thread_local! {
            /// What Tera renders into, kept from one render to the next on a thread, whichever
            /// engine renders: grown to the longest output once, rather than a fresh buffer per
            /// file doubling its way up. Fresh memory is the costliest kind on a shared machine
            /// (the kernel zeroes it on first touch; see ARCHITECTURE's performance note), and
            /// each file's text is copied out of here anyway, normalised.
            static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        self.require(id);
        let failed = |message: String| RenderError::Template {
            template: id.to_owned(),
            message,
        };
        BUFFER.with_borrow_mut(|buffer| {
            buffer.clear();
            self.tera
                .render_to(id, &context.0, &mut *buffer)
                .map_err(|err| failed(chain(&err)))?;
            // What `Tera::render` does with its own buffer.
            let text = std::str::from_utf8(buffer).map_err(|err| failed(err.to_string()))?;
            Ok(then(text))
        })
    }

    /// Compiles `id` and everything it refers to, unless already compiled.
    fn require(&mut self, id: &str) {
        if self.ids.contains(id) {
            return;
        }
        let mut wanted = BTreeSet::new();
        let mut queue = vec![id.to_owned()];
        while let Some(next) = queue.pop() {
            if self.ids.contains(&next) || !wanted.insert(next.clone()) {
                continue;
            }
            if let Some(text) = source(&next) {
                queue.extend(references(text).map(str::to_owned));
            }
        }
        self.add(wanted.into_iter().collect());
    }

    /// Adds the templates `ids` (those that exist), from the trees parsed at build time.
    fn add(&mut self, ids: Vec<String>) {
        let mut added = false;
        for id in ids {
            if self.ids.contains(&id) {
                continue;
            }
            let Some(tree) = compiled_index().get(id.as_str()) else {
                continue;
            };
            let template = crate::compiled::template(&id, tree);
            self.tera.templates.insert(id.clone(), template);
            self.ids.insert(id);
            added = true;
        }
        if !added {
            return;
        }
        // What `Tera::add_raw_templates` does after parsing.
        self.tera
            .build_inheritance_chains()
            .and_then(|()| self.tera.check_macro_files())
            .unwrap_or_else(|err| panic!("embedded templates must load: {}", chain(&err)));
    }
}

/// The templates parsed by the build script (see [`crate::compiled`]).
static COMPILED: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/templates.bin"));

/// [`COMPILED`]'s templates by id, read once per process.
fn compiled_index() -> &'static std::collections::HashMap<&'static str, &'static [u8]> {
    static INDEX: std::sync::OnceLock<std::collections::HashMap<&str, &[u8]>> =
        std::sync::OnceLock::new();
    INDEX.get_or_init(|| crate::compiled::index(COMPILED))
}

/// The text of embedded template `id`.
fn source(id: &str) -> Option<&'static str> {
    let file = SCAFFOLDS.get_file(id)?;
    Some(
        file.contents_utf8()
            .unwrap_or_else(|| panic!("embedded template `{id}` must be UTF-8")),
    )
}

/// The templates `text` imports, includes or extends: the quoted name after
/// `{% import`, `{% include` or `{% extends` (with or without `-`).
fn references(text: &str) -> impl Iterator<Item = &str> {
    text.split("{%").skip(1).filter_map(|tag| {
        let tag = tag.strip_prefix('-').unwrap_or(tag).trim_start();
        let rest = ["import", "include", "extends"]
            .iter()
            .find_map(|keyword| tag.strip_prefix(keyword))?;
        let rest = rest.trim_start().strip_prefix('"')?;
        rest.split_once('"').map(|(name, _)| name)
    })
}

fn collect<'a>(dir: &'a Dir<'a>, out: &mut Vec<(String, &'a str)>) {
    for file in dir.files() {
        let id = file.path().to_string_lossy().replace('\\', "/");
        let text = file
            .contents_utf8()
            .unwrap_or_else(|| panic!("embedded template `{id}` must be UTF-8"));
        out.push((id, text));
    }
    for sub in dir.dirs() {
        collect(sub, out);
    }
}

/// Tera's `indent` filter, with its arguments and output, without its cost: Tera's walks the
/// text a character at a time, twice, and indenting the dashboards' JSON (a third of what a
/// `new` writes) that way was a tenth of the render. A property test holds the two equal.
fn indent(
    value: &serde_json::Value,
    args: &std::collections::HashMap<String, serde_json::Value>,
) -> tera::Result<serde_json::Value> {
    fn wrong(arg: &str, value: &serde_json::Value, expected: &str) -> tera::Error {
        tera::Error::msg(format!(
            "Filter `indent` received an incorrect type for arg `{arg}`: got `{value}` but expected a {expected}"
        ))
    }
    let text = value
        .as_str()
        .ok_or_else(|| wrong("value", value, "String"))?;
    let prefix = match args.get("prefix") {
        Some(p) => p.as_str().ok_or_else(|| wrong("prefix", p, "String"))?,
        None => "    ",
    };
    let flag = |name: &str| match args.get(name) {
        Some(b) => b.as_bool().ok_or_else(|| wrong(name, b, "bool")),
        None => Ok(false),
    };
    let (first, blank) = (flag("first")?, flag("blank")?);
    let newlines = memchr::memchr_iter(b'\n', text.as_bytes()).count();
    let mut out = String::with_capacity(text.len() + prefix.len() * (newlines + 1));
    let mut start = 0;
    let mut ends = memchr::memchr_iter(b'\n', text.as_bytes());
    // The lines as `str::lines` sees them: a final newline ends the last line, `\r\n` ends one.
    while start < text.len() {
        let end = ends.next().unwrap_or(text.len());
        let line = &text[start..end];
        let line = if end < text.len() {
            line.strip_suffix('\r').unwrap_or(line)
        } else {
            line
        };
        if start == 0 {
            if first {
                out.push_str(prefix);
            }
        } else {
            out.push('\n');
            // A line that ends in a visible ASCII character is not blank (most lines), without
            // walking its indentation.
            let empty = match line.as_bytes().last() {
                Some(b) if b.is_ascii_graphic() => false,
                _ => line.trim_start().is_empty(),
            };
            if blank || !empty {
                out.push_str(prefix);
            }
        }
        out.push_str(line);
        start = end + 1;
    }
    Ok(serde_json::Value::String(out))
}

/// Unix newlines, no trailing spaces, at most one blank line in a row, one final newline.
///
/// Most lines need nothing: they are copied in runs, and only the others (blank, ending in
/// white space or a carriage return, or in a character that is not ASCII) are looked at one by
/// one, as `str::lines` and `str::trim_end` see them.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 1);
    let mut blank_run = 0;
    // The start of the lines not copied yet, all of which need nothing.
    let mut run = 0;
    let mut start = 0;
    // The standard library's search costs more than the line for lines this short.
    let mut newlines = memchr::memchr_iter(b'\n', text.as_bytes());
    while start < text.len() {
        let (line, next) = match newlines.next() {
            Some(at) => (&text[start..at], at + 1),
            None => (&text[start..], text.len()),
        };
        let terminated = next > start + line.len();
        if terminated && line.bytes().last().is_some_and(|b| b.is_ascii_graphic()) {
            blank_run = 0;
            start = next;
            continue;
        }
        out.push_str(&text[run..start]);
        run = next;
        start = next;
        let line = line.trim_end();
        if line.is_empty() {
            blank_run += 1;
            if blank_run > 1 || out.is_empty() {
                continue;
            }
        } else {
            blank_run = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(&text[run..]);
    while out.ends_with("\n\n") {
        out.pop();
    }
    if out.is_empty() {
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_loads() {
        let engine = Engine::new();
        assert!(!engine.template_ids().is_empty());
    }

    /// The trees the build script wrote are what Tera's parser makes of each embedded
    /// template's source, field by field, and writing them again gives the same bytes.
    #[test]
    fn every_compiled_template_is_its_source_parsed() {
        let mut sources = Vec::new();
        collect(&SCAFFOLDS, &mut sources);
        let index = compiled_index();
        assert_eq!(index.len(), sources.len(), "one compiled tree per template");
        for (id, text) in sources {
            let parsed = tera::Template::new(&id, None, text).unwrap();
            let tree = index
                .get(id.as_str())
                .unwrap_or_else(|| panic!("{id} is compiled"));
            let read = crate::compiled::template(&id, tree);
            assert_eq!(read.ast, parsed.ast, "{id}");
            assert_eq!(read.blocks, parsed.blocks, "{id}");
            assert_eq!(read.macros, parsed.macros, "{id}");
            assert_eq!(
                read.imported_macro_files, parsed.imported_macro_files,
                "{id}"
            );
            assert_eq!(read.parent, parsed.parent, "{id}");
            assert_eq!(
                (read.name.as_str(), read.path.as_deref()),
                (id.as_str(), None)
            );
            let again =
                crate::compiled::archive([(id.as_str(), parsed.ast.as_slice())].into_iter());
            assert_eq!(crate::compiled::index(&again)[id.as_str()], *tree, "{id}");
        }
    }

    /// A tree in every shape the form knows (each node, expression and operator) reads back
    /// as written; the templates alone do not use all of them.
    #[test]
    fn every_kind_of_node_reads_back() {
        let source = r#"{% import "m.tera" as m %}{% extends "base" %}{% block a %}{{ super() }}{% block b %}x{% endblock b %}{% endblock a %}
{%- macro f(a, b=1.5) -%}{{ a + b - 2 * 3 / 4 % 5 }}{%- endmacro f -%}
{% set_global g = [1, "two", true, x | upper] %}{% set s = "a" ~ b ~ 'c' %}
{% for k, v in map | default(value=[]) %}{% if k is defined and not v or k > 1 and k >= 2 or k < 3 and k <= 4 or k == 5 or k != 6 %}{% break %}{% elif k in ["a"] %}{% continue %}{% elif k not in ["b"] %}{% else %}{% endif %}{% else %}empty{% endfor %}
{% filter upper %}{{ m::f(a=1, b=-2) }}{{ now() }}{% endfilter %}{% raw %}{{ kept }}{% endraw %}{# note #}{% include ["a", "b"] ignore missing %}"#;
        let parsed = tera::Template::new("all", None, source).unwrap();
        let bytes = crate::compiled::archive([("all", parsed.ast.as_slice())].into_iter());
        let read = crate::compiled::template("all", crate::compiled::index(&bytes)["all"]);
        assert_eq!(read.ast, parsed.ast);
        assert_eq!(read.blocks, parsed.blocks);
        assert_eq!(read.macros, parsed.macros);
        assert_eq!(read.imported_macro_files, parsed.imported_macro_files);
        assert_eq!(read.parent, parsed.parent);
    }

    #[test]
    fn a_lazy_engine_compiles_what_a_template_refers_to() {
        assert_eq!(
            references("{% import \"a.tera\" as m %}x{%- include \"b.tera\" %}{% if x %}{% extends \"c\" %}")
                .collect::<Vec<_>>(),
            ["a.tera", "b.tera", "c"]
        );
        let engine = Engine::lazy();
        assert!(engine.template_ids().is_empty());
        let project = scaffold_core::Project::from_toml(
            "[app]\nname = \"shop\"\n[[services]]\nname = \"api\"\nlanguage = \"go\"\n",
            &scaffold_core::project::Facts::default(),
        )
        .unwrap();
        let mut lazy = crate::Files::new();
        let mut eager = crate::Files::new();
        for family in crate::FAMILIES {
            (family.render)(&project, &engine, &mut lazy).unwrap();
            (family.render)(&project, &Engine::new(), &mut eager).unwrap();
        }
        assert_eq!(lazy, eager);
        let compiled = engine.template_ids();
        assert!(compiled.len() < Engine::new().template_ids().len());
        assert!(!compiled.iter().any(|id| id.starts_with("terraform/gcp/")));
    }

    #[test]
    fn normalize_collapses_blank_runs_and_trailing_space() {
        assert_eq!(normalize("\n\na  \r\n\n\n\nb\n\n"), "a\n\nb\n");
        assert_eq!(normalize(""), "\n");
    }

    /// The rule, one line at a time, as `normalize` applied it before it copied runs of lines.
    fn normalize_by_line(text: &str) -> String {
        let mut out = String::new();
        let mut blank_run = 0;
        for line in text.lines() {
            let line = line.trim_end();
            if line.is_empty() {
                blank_run += 1;
                if blank_run > 1 || out.is_empty() {
                    continue;
                }
            } else {
                blank_run = 0;
            }
            out.push_str(line);
            out.push('\n');
        }
        while out.ends_with("\n\n") {
            out.pop();
        }
        if out.is_empty() {
            out.push('\n');
        }
        out
    }

    proptest::proptest! {
        /// The engine's `indent` gives what Tera's own gives, for every mix of the characters
        /// it looks at and every argument.
        #[test]
        fn indent_is_teras(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec!["a", " b", "\t", "\r", "\n", "\r\n", "\u{b}", "\u{a0}", "\u{3000}x"]),
                0..30,
            ),
            first in proptest::bool::ANY,
            blank in proptest::bool::ANY,
            prefix in proptest::sample::select(vec!["", "  ", "> "]),
        ) {
            let text = pieces.concat();
            let template = format!(
                "{{{{ text | indent(prefix={prefix:?}, first={first}, blank={blank}) }}}}"
            );
            let mut context = tera::Context::new();
            context.insert("text", &text);
            let mut teras = tera::Tera::default();
            teras.add_raw_template("t", &template).unwrap();
            let mut ours = tera::Tera::default();
            ours.register_filter("indent", indent);
            ours.add_raw_template("t", &template).unwrap();
            proptest::prop_assert_eq!(
                ours.render("t", &context).unwrap(),
                teras.render("t", &context).unwrap()
            );
        }

        /// Copying runs of lines changes nothing: every mix of the characters the rule
        /// looks at gives what the rule gives line by line.
        #[test]
        fn normalize_copies_runs_as_the_rule_says(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec!["a", "b c", " ", "\t", "\r", "\n", "\r\n", "\u{b}", "é", "\u{a0}", "\u{3000}", "#"]),
                0..40,
            )
        ) {
            let text = pieces.concat();
            proptest::prop_assert_eq!(normalize(&text), normalize_by_line(&text));
        }
    }
}
