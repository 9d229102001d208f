//! End-to-end tests of the wizard, detection through the real binary, and
//! `scaffold add`. A separate test binary from `tests/main.rs`, with its own
//! modules, so the two can grow without touching each other.

mod wizard {
    pub mod add;
    pub mod common;
    pub mod defaults;
    #[cfg(unix)]
    pub mod pty;
}
