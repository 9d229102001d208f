//! What scaffold reads from and writes to git: the `origin` remote, and blobs
//! of generated content so `scaffold sync` can find its merge base.

use std::path::Path;

use anyhow::{Context, Result};
use git2::{ObjectType, Oid, Repository};

/// The repository containing `dir`, if any.
pub fn open(dir: &Path) -> Option<Repository> {
    Repository::discover(dir).ok()
}

/// `owner/name` from the `origin` remote's URL, for GitHub URLs in https or ssh form.
pub fn origin(repo: &Repository) -> Option<String> {
    let remote = repo.find_remote("origin").ok()?;
    parse_github_url(remote.url().ok()?)
}

/// The repository's default branch: the remote `origin`'s `HEAD`, else the local
/// `HEAD` when it is `main` or `master` (a fresh `git init` with no remote yet).
///
/// A local feature branch is never taken for the default branch.
pub fn default_branch(repo: &Repository) -> Option<String> {
    let branch_of = |name: &str, prefix: &str| {
        let reference = repo.find_reference(name).ok()?;
        reference
            .symbolic_target()
            .ok()??
            .strip_prefix(prefix)
            .map(str::to_owned)
    };
    branch_of("refs/remotes/origin/HEAD", "refs/remotes/origin/").or_else(|| {
        branch_of("HEAD", "refs/heads/").filter(|b| matches!(b.as_str(), "main" | "master"))
    })
}

/// What the repository tells the pure model: the GitHub remote, the default
/// branch and the package managers detected under `root`. `new`, `add` and `sync`
/// render with the same facts, or every sync would see a different render.
pub fn facts(repo: Option<&Repository>, root: &std::path::Path) -> scaffold_core::project::Facts {
    let detection = crate::detect::detect_dir(root);
    scaffold_core::project::Facts {
        origin: repo.and_then(origin),
        package_managers: detection.package_managers(),
        services: detection.facts(),
        code_folders: detection.code_folders.clone(),
        default_branch: repo.and_then(default_branch),
    }
}

/// `https://github.com/acme/shop.git`, `git@github.com:acme/shop.git`,
/// `ssh://git@github.com/acme/shop` → `acme/shop`.
pub fn parse_github_url(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("https://github.com/")
        .or_else(|| url.strip_prefix("http://github.com/"))
        .or_else(|| url.strip_prefix("git@github.com:"))
        .or_else(|| url.strip_prefix("ssh://git@github.com/"))?;
    let rest = rest.trim_end_matches('/');
    let rest = rest.strip_suffix(".git").unwrap_or(rest);
    let (owner, name) = rest.split_once('/')?;
    (!owner.is_empty() && !name.is_empty() && !name.contains('/'))
        .then(|| format!("{owner}/{name}"))
}

/// Stores `content` as a blob in `repo` (when there is one) and returns its id.
///
/// Without a repository the id is still computed, so the lock is the same
/// either way; the content just cannot be read back until it is committed.
pub fn store_blob(repo: Option<&Repository>, content: &[u8]) -> Result<Oid> {
    match repo {
        Some(repo) => repo
            .blob(content)
            .context("writing a blob to the git object database"),
        None => Oid::hash_object(ObjectType::Blob, content).context("hashing a blob"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_urls_parse() {
        for url in [
            "https://github.com/acme/shop.git",
            "https://github.com/acme/shop",
            "git@github.com:acme/shop.git",
            "ssh://git@github.com/acme/shop",
        ] {
            assert_eq!(parse_github_url(url).as_deref(), Some("acme/shop"), "{url}");
        }
        assert_eq!(parse_github_url("https://gitlab.com/acme/shop.git"), None);
    }
}
