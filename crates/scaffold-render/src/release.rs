//! Where scaffold's own released binaries are, and what they are called.
//!
//! scaffold's release workflow (`.github/workflows/release.yml` in this
//! repository) publishes, for each tag `v<version>` and each target, an
//! archive `scaffold-<target>.tar.gz` (`.zip` on Windows) holding
//! `scaffold-<target>/scaffold`, beside `scaffold-<target>.tar.gz.sha256` in
//! `sha256sum` format. The generated drift check installs the Linux archive
//! of the very version that rendered it, and the installer script and
//! `cargo binstall` metadata read the same names; a test over the workflow
//! file keeps them in step.

use serde::Serialize;

use crate::VERSION;

/// The repository scaffold is released from.
pub const REPOSITORY: &str = "scaffold-dev/scaffold";

/// The target whose archive CI runners install: statically linked, so it runs on any x86_64 Linux runner.
pub const CI_TARGET: &str = "x86_64-unknown-linux-musl";

/// Every target the release workflow builds.
pub const TARGETS: &[&str] = &[
    "x86_64-unknown-linux-gnu",
    "x86_64-unknown-linux-musl",
    "aarch64-unknown-linux-gnu",
    "aarch64-unknown-linux-musl",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
    "x86_64-pc-windows-msvc",
];

/// The archive of `target`: `scaffold-<target>.tar.gz`, or `.zip` on Windows.
pub fn archive(target: &str) -> String {
    let extension = if target.contains("windows") {
        "zip"
    } else {
        "tar.gz"
    };
    format!("scaffold-{target}.{extension}")
}

/// One released binary, for a template that installs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Release {
    /// The tag, `v` + version.
    pub tag: String,
    /// The URL of the release's assets, without a trailing `/`.
    pub download_url: String,
    /// The archive's file name; its checksum file adds `.sha256`.
    pub archive: String,
    /// The folder inside the archive that holds the binary.
    pub folder: String,
}

/// The release of this scaffold, for CI runners.
pub fn this_release() -> Release {
    let tag = format!("v{VERSION}");
    Release {
        download_url: format!("https://github.com/{REPOSITORY}/releases/download/{tag}"),
        tag,
        archive: archive(CI_TARGET),
        folder: format!("scaffold-{CI_TARGET}"),
    }
}
