//! One module per command, and the shared test context.

mod add;
pub mod context;
mod conventions;
mod new;
mod sync;
mod unattended;
