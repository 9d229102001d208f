//! The one table of GitHub Actions every generated workflow may use, pinned to release commits.
//!
//! Workflows reference actions by full 40-character commit SHA with the release in a trailing
//! comment (`actions/checkout@<sha> # v7.0.1`), because tags can be moved and SHAs cannot.
//! The SHAs are the peeled commits of the release tags recorded in `action-pins.toml`
//! (read from the actions' git repositories); refreshing a pin is one edit here, and
//! Dependabot's `github-actions` updates keep the generated workflows current afterwards.
//! Templates never spell a SHA: they read `pins["owner/repo"]`, and a missing key fails the render.

use std::collections::BTreeMap;

/// One pinned action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pin {
    /// The `uses:` path without the ref, such as `github/codeql-action/init`.
    pub action: &'static str,
    /// The full commit SHA of the release.
    pub sha: &'static str,
    /// The release the SHA belongs to, written as the trailing comment.
    pub version: &'static str,
}

impl Pin {
    /// The `uses:` value with its version comment: `owner/repo@<sha> # vX.Y.Z`.
    pub fn uses(&self) -> String {
        format!("{}@{} # {}", self.action, self.sha, self.version)
    }
}

/// Every action the generated workflows may use.
///
/// `dtolnay/rust-toolchain` has no release tags: its pin is the head of branch `stable`,
/// so workflows pass `toolchain: stable` explicitly.
pub const PINS: &[Pin] = &[
    Pin {
        action: "actions/checkout",
        sha: "3d3c42e5aac5ba805825da76410c181273ba90b1",
        version: "v7.0.1",
    },
    Pin {
        action: "actions/setup-node",
        sha: "820762786026740c76f36085b0efc47a31fe5020",
        version: "v7.0.0",
    },
    Pin {
        action: "actions/setup-python",
        sha: "5fda3b95a4ea91299a34e894583c3862153e4b97",
        version: "v7.0.0",
    },
    Pin {
        action: "actions/setup-go",
        sha: "b7ad1dad31e06c5925ef5d2fc7ad053ef454303e",
        version: "v7.0.0",
    },
    Pin {
        action: "actions/setup-java",
        sha: "b6effb05e454b25005698d916606bdc6ffcbf961",
        version: "v5.7.0",
    },
    Pin {
        action: "actions/cache",
        sha: "27d5ce7f107fe9357f9df03efb73ab90386fccae",
        version: "v5.0.5",
    },
    Pin {
        action: "actions/upload-artifact",
        sha: "bbbca2ddaa5d8feaa63e36b76fdaad77386f024f",
        version: "v7.0.0",
    },
    Pin {
        action: "actions/download-artifact",
        sha: "3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c",
        version: "v8.0.1",
    },
    // The attestation action attest-build-provenance wraps (the same commit), used directly
    // where it attests an SBOM (`sbom-path`).
    Pin {
        action: "actions/attest",
        sha: "59d89421af93a897026c735860bf21b6eb4f7b26",
        version: "v4.1.0",
    },
    Pin {
        action: "actions/attest-build-provenance",
        sha: "a2bbfa25375fe432b6a289bc6b6cd05ecd0c4c32",
        version: "v4.1.0",
    },
    Pin {
        action: "actions/dependency-review-action",
        sha: "2031cfc080254a8a887f58cffee85186f0e49e48",
        version: "v4.9.0",
    },
    Pin {
        action: "github/codeql-action/init",
        sha: "8aad20d150bbac5944a9f9d289da16a4b0d87c1e",
        version: "v4.36.2",
    },
    Pin {
        action: "github/codeql-action/analyze",
        sha: "8aad20d150bbac5944a9f9d289da16a4b0d87c1e",
        version: "v4.36.2",
    },
    Pin {
        action: "github/codeql-action/autobuild",
        sha: "8aad20d150bbac5944a9f9d289da16a4b0d87c1e",
        version: "v4.36.2",
    },
    Pin {
        action: "github/codeql-action/upload-sarif",
        sha: "8aad20d150bbac5944a9f9d289da16a4b0d87c1e",
        version: "v4.36.2",
    },
    Pin {
        action: "docker/setup-buildx-action",
        sha: "37fe631027851001ddb9b187196cc803df7f5f0e",
        version: "v4.3.0",
    },
    Pin {
        action: "docker/setup-qemu-action",
        sha: "96fe6ef7f33517b61c61be40b68a1882f3264fb8",
        version: "v4.2.0",
    },
    Pin {
        action: "docker/login-action",
        sha: "4907a6ddec9925e35a0a9e82d7399ccc52663121",
        version: "v4.1.0",
    },
    Pin {
        action: "docker/metadata-action",
        sha: "dc802804100637a589fabce1cb79ff13a1411302",
        version: "v6.2.0",
    },
    Pin {
        action: "docker/build-push-action",
        sha: "53b7df96c91f9c12dcc8a07bcb9ccacbed38856a",
        version: "v7.3.0",
    },
    Pin {
        action: "aws-actions/configure-aws-credentials",
        sha: "e6de054238d6b7531b4efff3b6587d9aade6a06c",
        version: "v6.2.3",
    },
    Pin {
        action: "aws-actions/amazon-ecr-login",
        sha: "03f1aad4c6c7ffd436567f42f9384779290529bd",
        version: "v2.1.7",
    },
    Pin {
        action: "google-github-actions/auth",
        sha: "7c6bc770dae815cd3e89ee6cdf493a5fab2cc093",
        version: "v3.0.0",
    },
    Pin {
        action: "google-github-actions/setup-gcloud",
        sha: "aa5489c8933f4cc7a4f7d45035b3b1440c9c10db",
        version: "v3.0.1",
    },
    Pin {
        action: "google-github-actions/get-gke-credentials",
        sha: "3da1e46a907576cefaa90c484278bb5b259dd395",
        version: "v3.0.0",
    },
    Pin {
        action: "Azure/login",
        sha: "f5d393ae46f8fde4be8b75f32e3fc50e654ad0ca",
        version: "v3.0.1",
    },
    Pin {
        action: "Azure/aks-set-context",
        sha: "60623acbdcbbdcf799ad50a1adf8703874339f8b",
        version: "v5.0.0",
    },
    Pin {
        action: "Azure/setup-kubectl",
        sha: "829323503d1be3d00ca8346e5391ca0b07a9ab0d",
        version: "v5.1.0",
    },
    Pin {
        action: "hashicorp/setup-terraform",
        sha: "dfe3c3f87815947d99a8997f908cb6525fc44e9e",
        version: "v4.0.1",
    },
    Pin {
        action: "anchore/sbom-action",
        sha: "e22c389904149dbc22b58101806040fa8d37a610",
        version: "v0.24.0",
    },
    Pin {
        action: "anchore/scan-action",
        sha: "e1165082ffb1fe366ebaf02d8526e7c4989ea9d2",
        version: "v7.4.0",
    },
    Pin {
        action: "aquasecurity/trivy-action",
        sha: "ed142fd0673e97e23eac54620cfb913e5ce36c25",
        version: "v0.36.0",
    },
    Pin {
        action: "sigstore/cosign-installer",
        sha: "6f9f17788090df1f26f669e9d70d6ae9567deba6",
        version: "v4.1.2",
    },
    Pin {
        action: "dtolnay/rust-toolchain",
        sha: "29eef336d9b2848a0b548edc03f92a220660cdb8",
        version: "stable",
    },
    Pin {
        action: "Swatinem/rust-cache",
        sha: "6323deb102c322ba6fcbdcafc7e3dddab59af2b6",
        version: "v2.9.2",
    },
    Pin {
        action: "astral-sh/setup-uv",
        sha: "20cfd1bf945f4377ade1205e4dbc17946fc9a30d",
        version: "v10.0.1",
    },
    // The setup actions of the .NET, Ruby and PHP stacks: tags peeled to their commits
    // (github.com/actions/setup-dotnet v6.0.0, ruby/setup-ruby v1.315.0,
    // shivammathur/setup-php 2.37.2; each `runs.using: node24`).
    Pin {
        action: "actions/setup-dotnet",
        sha: "a98b56852c35b8e3190ac28c8c2271da59106c68",
        version: "v6.0.0",
    },
    Pin {
        action: "ruby/setup-ruby",
        sha: "0dafeac902942906541bc140009cdbf32665b601",
        version: "v1.315.0",
    },
    Pin {
        action: "shivammathur/setup-php",
        sha: "f3e473d116dcccaddc5834248c87452386958240",
        version: "2.37.2",
    },
    Pin {
        action: "pnpm/action-setup",
        sha: "fe02b34f77f8bc703788d5817da081398fad5dd2",
        version: "v4.0.0",
    },
    Pin {
        action: "gradle/actions/setup-gradle",
        sha: "9c971963bec38e04b3d30dcc455b5382be2fdbfb",
        version: "v6.3.0",
    },
    Pin {
        action: "oven-sh/setup-bun",
        sha: "0c5077e51419868618aeaa5fe8019c62421857d6",
        version: "v2.2.0",
    },
    Pin {
        action: "actions/github-script",
        sha: "ed597411d8f924073f98dfc5c65a23a2325f34cd",
        version: "v8.0.0",
    },
    Pin {
        action: "peter-evans/create-or-update-comment",
        sha: "e8674b075228eee787fea43ef493e45ece1004c9",
        version: "v5.0.0",
    },
    Pin {
        action: "gitleaks/gitleaks-action",
        sha: "e0c47f4f8be36e29cdc102c57e68cb5cbf0e8d1e",
        version: "v3.0.0",
    },
    Pin {
        action: "trufflesecurity/trufflehog",
        sha: "bcfcf73aaf4759d4dadc2783177c245a02792318",
        version: "v3.97.0",
    },
];

/// The pins keyed by action path, with their rendered `uses:` values, for templates.
pub fn uses_map() -> BTreeMap<&'static str, String> {
    PINS.iter().map(|pin| (pin.action, pin.uses())).collect()
}

/// The pin of `action`, if it is in the table.
pub fn pin(action: &str) -> Option<&'static Pin> {
    PINS.iter().find(|pin| pin.action == action)
}
