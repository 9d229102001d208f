//! Writes a commented `scaffold.toml` from answers.

use scaffold_core::Answers;

use crate::{Engine, RenderError};

/// Renders `answers` as a commented `scaffold.toml`.
pub fn render(_answers: &Answers, _engine: &Engine) -> Result<String, RenderError> {
    Ok(String::new())
}
