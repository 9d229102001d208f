//! The application model behind scaffold.
//!
//! `scaffold.toml` is parsed into [`Answers`] (exactly what the user wrote), then
//! validated and resolved into a [`Project`]: defaults filled in, every name that
//! crosses artifact families derived once ([`names`]), and every size derived from
//! the availability target and the environment's tier ([`sizing`]).
//!
//! This crate is pure: it never touches the filesystem, the environment, the
//! clock or a terminal. Whatever the CLI learns from the outside world (the git
//! remote, detected services) reaches it as plain values.

pub mod access;
pub mod alerts;
pub mod answers;
pub mod connection;
pub mod datastore;
pub mod defaults;
pub mod error;
pub mod image;
pub mod names;
pub mod platform;
pub mod project;
pub mod regions;
pub mod schema;
pub mod sizing;
pub mod stack;
pub mod verify;
pub mod vocabulary;

pub use answers::Answers;
pub use connection::{Connection, ConnectionVariables};
pub use datastore::ConnectionForm;
pub use error::{AnswersError, Problem};
pub use project::{Datastore, Environment, Project, Repository, Service};
pub use sizing::{Sizing, Targets};
pub use vocabulary::{
    Availability, Engine, Language, PackageManager, Provider, Registry, Runners, ServiceKind,
    Strategy, Tier, WorkloadKind,
};
