//! The containers family: a Dockerfile and `.dockerignore` per service, and
//! `compose.yaml` and `.env.example` at the root for local development.

use scaffold_core::Project;

use crate::{Engine, Files, RenderError};

/// Adds the container files for `project`.
pub fn render(_project: &Project, _engine: &Engine, _files: &mut Files) -> Result<(), RenderError> {
    Ok(())
}
