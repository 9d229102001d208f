//! The command-line tools the generated jobs install, pinned to a release and its SHA-256.
//!
//! GitHub-hosted runners bring `kubectl`, `jq`, `curl`, `git` and the three cloud CLIs; the
//! tools below are not on them. Each job that needs one downloads the release binary for
//! the runner's architecture and checks it against the digest recorded here before it runs,
//! so a tool never changes under a workflow without a reviewed edit of this table, and no
//! job compiles a tool (`go install`, `cargo install --git`) in every run.
//!
//! Where each digest was read (the project's own checksum file, or a package manager that
//! records it from that file):
//! - kustomize 5.8.1: the release's `checksums.txt`, as recorded in Argo CD's
//!   `hack/installers/checksums/kustomize_5.8.1_linux_{amd64,arm64}.tar.gz.sha256`
//!   (argoproj/argo-cd), and in several projects pinning the same asset.
//! - kubelogin 0.2.21: Microsoft's Homebrew tap, `Formula/az-kubelogin.rb`
//!   (Azure/homebrew-kubelogin), generated from the release's `.sha256` files.
//! - kubectl-argo-rollouts 1.9.1: Hermit's `kubectl-argo-rollouts.hcl`
//!   (cashapp/hermit-packages) and Argo's Homebrew formula agree.

use serde::Serialize;

/// One architecture's release asset.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Asset {
    /// The runner architecture as GitHub names it in `RUNNER_ARCH` (`X64`, `ARM64`).
    pub runner_arch: &'static str,
    /// The download URL.
    pub url: &'static str,
    /// The SHA-256 of the downloaded file, lowercase hex.
    pub sha256: &'static str,
    /// The program's path inside the archive; empty for a plain binary.
    pub member: &'static str,
}

/// A tool a job installs.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Tool {
    /// The command it installs, which the job calls by this name.
    pub name: &'static str,
    /// The pinned release.
    pub version: &'static str,
    /// How the download is unpacked: `binary` (the file is the program), `tar.gz` or `zip`.
    pub format: &'static str,
    /// What the job uses it for, for the comment beside the step.
    pub purpose: &'static str,
    /// The release assets.
    pub assets: &'static [Asset],
}

/// kustomize: `kustomize edit set image` in the overlays (kubectl embeds only `kustomize build`).
pub const KUSTOMIZE: Tool = Tool {
    name: "kustomize",
    version: "5.8.1",
    format: "tar.gz",
    purpose: "`kustomize edit` sets the image digests in the overlay (kubectl embeds only the build)",
    assets: &[
        Asset {
            runner_arch: "X64",
            url: "https://github.com/kubernetes-sigs/kustomize/releases/download/kustomize%2Fv5.8.1/kustomize_v5.8.1_linux_amd64.tar.gz",
            sha256: "029a7f0f4e1932c52a0476cf02a0fd855c0bb85694b82c338fc648dcb53a819d",
            member: "kustomize",
        },
        Asset {
            runner_arch: "ARM64",
            url: "https://github.com/kubernetes-sigs/kustomize/releases/download/kustomize%2Fv5.8.1/kustomize_v5.8.1_linux_arm64.tar.gz",
            sha256: "0953ea3e476f66d6ddfcd911d750f5167b9365aa9491b2326398e289fef2c142",
            member: "kustomize",
        },
    ],
};

/// kubelogin: the credential plugin AKS clusters with Entra ID authentication need
/// (`kubelogin convert-kubeconfig -l azurecli` reuses the job's `az` login).
pub const KUBELOGIN: Tool = Tool {
    name: "kubelogin",
    version: "0.2.21",
    format: "zip",
    purpose: "AKS authenticates kubectl through Entra ID; kubelogin turns the job's `az` login into cluster tokens",
    assets: &[
        Asset {
            runner_arch: "X64",
            url: "https://github.com/Azure/kubelogin/releases/download/v0.2.21/kubelogin-linux-amd64.zip",
            sha256: "934a2a9618e018cb9fbeb14f3e4c28416fdae815df7706df91500e41d234eb66",
            member: "bin/linux_amd64/kubelogin",
        },
        Asset {
            runner_arch: "ARM64",
            url: "https://github.com/Azure/kubelogin/releases/download/v0.2.21/kubelogin-linux-arm64.zip",
            sha256: "76eee872b4dda6a0378d57e019cfb394b6ed58e6aa209ea55d941065a73d37b4",
            member: "bin/linux_arm64/kubelogin",
        },
    ],
};

/// The Argo Rollouts kubectl plugin: status, promote, abort and undo of Rollouts.
pub const ARGO_ROLLOUTS: Tool = Tool {
    name: "kubectl-argo-rollouts",
    version: "1.9.1",
    format: "binary",
    purpose: "`kubectl argo rollouts` watches, promotes, aborts and undoes the Rollouts",
    assets: &[
        Asset {
            runner_arch: "X64",
            url: "https://github.com/argoproj/argo-rollouts/releases/download/v1.9.1/kubectl-argo-rollouts-linux-amd64",
            sha256: "466d93ccf767e975691359c6c9bb6750696e54c336d28ccd4d39e0f0519e8bf6",
            member: "",
        },
        Asset {
            runner_arch: "ARM64",
            url: "https://github.com/argoproj/argo-rollouts/releases/download/v1.9.1/kubectl-argo-rollouts-linux-arm64",
            sha256: "44f4f5dc0668430cadc5f4cc52e4ae1bf0a3f2f60320af6b3b2edd3c826402b5",
            member: "",
        },
    ],
};

/// Every tool a generated job may install.
pub const TOOLS: &[Tool] = &[KUSTOMIZE, KUBELOGIN, ARGO_ROLLOUTS];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_is_pinned_to_a_sha256_and_its_version() {
        for tool in TOOLS {
            assert!(!tool.assets.is_empty(), "{}", tool.name);
            for asset in tool.assets {
                assert_eq!(asset.sha256.len(), 64, "{}", asset.url);
                assert!(
                    asset
                        .sha256
                        .chars()
                        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()),
                    "{}",
                    asset.url
                );
                assert!(
                    asset.url.starts_with("https://github.com/"),
                    "{}",
                    asset.url
                );
                assert!(
                    asset.url.contains(tool.version),
                    "{} is not {}",
                    asset.url,
                    tool.version
                );
                let arch = match asset.runner_arch {
                    "X64" => "amd64",
                    "ARM64" => "arm64",
                    other => panic!("unknown runner architecture {other}"),
                };
                assert!(asset.url.contains(arch), "{}", asset.url);
            }
        }
    }
}
