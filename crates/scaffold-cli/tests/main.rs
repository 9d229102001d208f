//! The CLI's integration tests, in one test binary to keep link times down.
//!
//! Each module drives the real `scaffold` binary in temporary git
//! repositories through [`cli::context::TestContext`].

mod cli;
