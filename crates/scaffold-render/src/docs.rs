//! The docs family: the DevOps handbook, runbooks and task plan under `docs/devops/`.

use scaffold_core::Project;

use crate::{Engine, Files, RenderError};

/// Adds the family's files for `project`.
pub fn render(_project: &Project, _engine: &Engine, _files: &mut Files) -> Result<(), RenderError> {
    Ok(())
}
