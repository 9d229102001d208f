//! The Kubernetes family: a kustomize base and one overlay per environment under `deploy/kubernetes/`.

use scaffold_core::Project;

use crate::{Engine, Files, RenderError};

/// Adds the family's files for `project`.
pub fn render(_project: &Project, _engine: &Engine, _files: &mut Files) -> Result<(), RenderError> {
    Ok(())
}
