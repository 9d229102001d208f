//! Terraform for GCP.

use scaffold_core::Project;

use crate::{Engine, Files, RenderError};

/// Adds the GCP Terraform files.
pub fn render(_project: &Project, _engine: &Engine, _files: &mut Files) -> Result<(), RenderError> {
    Ok(())
}
