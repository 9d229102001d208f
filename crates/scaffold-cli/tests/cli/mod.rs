//! One module per command, and the shared test context.

pub mod context;
mod conventions;
mod new;
mod sync;
mod unattended;
