//! The `scaffold` command.

fn main() {}
