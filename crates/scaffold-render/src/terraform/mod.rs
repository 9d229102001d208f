//! The Terraform family: modules and per-environment compositions under `infra/`,
//! for the chosen cloud only.
//!
//! Each cloud is its own module with its own templates under
//! `scaffolds/terraform/<cloud>/`; this module only dispatches.

use scaffold_core::{Project, Provider};

use crate::{Engine, Files, RenderError};

/// The files of every module (the standard module structure plus a README), on every cloud.
const MODULE_FILES: &[&str] = &[
    "main.tf",
    "variables.tf",
    "outputs.tf",
    "versions.tf",
    "README.md",
];

/// The files of every environment root, on every cloud.
const ENVIRONMENT_FILES: &[&str] = &[
    "backend.tf",
    "main.tf",
    "variables.tf",
    "outputs.tf",
    "versions.tf",
    "terraform.tfvars",
];

pub(crate) mod aws;
mod azure;
mod gcp;
#[cfg(test)]
mod references;

/// Adds the Terraform files for `project`'s cloud.
pub fn render(project: &Project, engine: &Engine, files: &mut Files) -> Result<(), RenderError> {
    match project.cloud.provider {
        Provider::Aws => aws::render(project, engine, files),
        Provider::Gcp => gcp::render(project, engine, files),
        Provider::Azure => azure::render(project, engine, files),
    }
}
