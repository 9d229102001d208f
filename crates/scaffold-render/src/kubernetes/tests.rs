//! Unit tests of the Kubernetes family.
