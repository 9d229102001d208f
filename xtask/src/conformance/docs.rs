//! Validators for the docs family.

use super::Validator;

/// This family's validators, in table column order.
pub const VALIDATORS: &[Validator] = &[];
