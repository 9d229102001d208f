//! The Tera engine over the templates embedded from `scaffolds/`.
//!
//! Templates are compiled into the binary with `include_dir`, so scaffold is a
//! single file with nothing to install. A template that fails to parse is a bug
//! in scaffold, not a user error: [`Engine::new`] panics with the template's
//! name, and a test loads every template.
//!
//! Every render is normalised the same way: Unix newlines, no trailing spaces,
//! no runs of blank lines, exactly one final newline. Templates can then use
//! whitespace freely for readability without the output drifting.

use include_dir::{Dir, include_dir};
use serde::Serialize;

use crate::{HEADER, RenderError};

/// The templates, embedded at build time.
static SCAFFOLDS: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../../scaffolds");

/// The compiled templates.
pub struct Engine {
    tera: tera::Tera,
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new()
    }
}

impl Engine {
    /// Compiles every embedded template.
    ///
    /// # Panics
    ///
    /// When an embedded template does not parse: that is a bug in scaffold.
    pub fn new() -> Self {
        let mut tera = tera::Tera::default();
        tera.autoescape_on(Vec::new());
        let mut templates = Vec::new();
        collect(&SCAFFOLDS, &mut templates);
        tera.add_raw_templates(templates)
            .unwrap_or_else(|err| panic!("embedded templates must parse: {}", chain(&err)));
        Engine { tera }
    }

    /// Every embedded template id (its path below `scaffolds/`).
    pub fn template_ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self.tera.get_template_names().collect();
        ids.sort_unstable();
        ids
    }

    /// Renders template `id` with `context`, adding `header`, and normalises the output.
    pub fn render(&self, id: &str, context: &impl Serialize) -> Result<String, RenderError> {
        let mut ctx =
            tera::Context::from_serialize(context).map_err(|err| RenderError::Template {
                template: id.to_owned(),
                message: chain(&err),
            })?;
        ctx.insert("header", HEADER);
        let text = self
            .tera
            .render(id, &ctx)
            .map_err(|err| RenderError::Template {
                template: id.to_owned(),
                message: chain(&err),
            })?;
        Ok(normalize(&text))
    }

    /// Renders source code (a starter app's files): Unix newlines, no trailing spaces and one
    /// final newline, but blank lines kept as written, since a language's style may want two
    /// in a row (Python between top-level definitions).
    pub fn render_code(&self, id: &str, context: &impl Serialize) -> Result<String, RenderError> {
        let ctx = tera::Context::from_serialize(context).map_err(|err| RenderError::Template {
            template: id.to_owned(),
            message: chain(&err),
        })?;
        let text = self
            .tera
            .render(id, &ctx)
            .map_err(|err| RenderError::Template {
                template: id.to_owned(),
                message: chain(&err),
            })?;
        let mut out: String = text
            .replace("\r\n", "\n")
            .lines()
            .map(|line| format!("{}\n", line.trim_end()))
            .collect();
        while out.ends_with("\n\n") {
            out.pop();
        }
        Ok(out.trim_start_matches('\n').to_owned())
    }
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

/// Tera's error with its sources, on one line.
fn chain(err: &dyn std::error::Error) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

/// Unix newlines, no trailing spaces, at most one blank line in a row, one final newline.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0;
    for line in text.replace("\r\n", "\n").lines() {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_loads() {
        let engine = Engine::new();
        assert!(!engine.template_ids().is_empty());
    }

    #[test]
    fn normalize_collapses_blank_runs_and_trailing_space() {
        assert_eq!(normalize("\n\na  \r\n\n\n\nb\n\n"), "a\n\nb\n");
        assert_eq!(normalize(""), "\n");
    }
}
