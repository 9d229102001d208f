//! Tests of the GitHub family over every example: pinning and permissions.

use super::*;

#[test]
fn renders() {}
