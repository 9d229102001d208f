//! Tests of the Azure Terraform: trust and grants computed from the rendered HCL.
