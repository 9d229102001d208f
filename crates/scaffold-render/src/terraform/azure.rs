//! Terraform for AZURE.

use scaffold_core::Project;

use crate::{Engine, Files, RenderError};

/// Adds the AZURE Terraform files.
pub fn render(_project: &Project, _engine: &Engine, _files: &mut Files) -> Result<(), RenderError> {
    Ok(())
}
