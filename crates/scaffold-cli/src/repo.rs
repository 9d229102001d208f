//! What scaffold reads from git (the `origin` remote, old merge bases) and
//! how it keeps merge bases where every clone can read them.
//!
//! A merge base is what scaffold generated last time for a file. The lock
//! records it by git blob id, and the content is stored in
//! `.scaffold/bases/<id>`, committed with the rest. That folder is the
//! decision recorded in ARCHITECTURE ("Merge bases"): git's object database
//! alone fails in a shallow clone, and for a file edited before its first
//! commit it never had the base at all. Files whose content equals their
//! base are stored by git once (a blob is its content), so the folder costs
//! the repository only the bases of files the user edited.
//!
//! A base is looked up in that order: `.scaffold/bases/` (checked against
//! its id), git's object database (repositories from before the folder),
//! then the render and the file on disk themselves, when their blob id is
//! the recorded one.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::io::ErrorKind;
use std::path::Path;

use anyhow::{Context, Result};
use git2::{Oid, Repository};
use scaffold_render::sync::{Disk, OnDisk, block, to_lf};
use scaffold_render::{Files, Lock};

use crate::write::Root;

/// Where merge bases are stored, one file per blob id.
pub const BASES_DIR: &str = ".scaffold/bases";

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
    facts_with(repo, root, &scaffold_render::Files::new())
}

/// [`facts`] of the repository as it will be once `files` (the starter apps about to be
/// written) are on disk, so what is rendered with them is what the next sync renders.
pub fn facts_with(
    repo: Option<&Repository>,
    root: &std::path::Path,
    files: &scaffold_render::Files,
) -> scaffold_core::project::Facts {
    let detection = crate::detect::detect_dir_with(root, files);
    scaffold_core::project::Facts {
        origin: repo.and_then(origin),
        package_managers: detection.package_managers(),
        services: detection.facts(),
        code_folders: detection.code_folders.clone(),
        compose_file: detection.compose_file.clone(),
        dockerfiles: detection.dockerfiles.clone(),
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

/// The git blob id of `content` (what `git hash-object` prints).
///
/// Plain SHA-1 from the `sha1` crate, which uses the processor's SHA
/// instructions where it has them: libgit2's collision-detecting SHA-1 took
/// a tenth of a whole `scaffold new`. The two agree on every input that is
/// not a crafted SHA-1 collision, and ids only name content scaffold wrote.
pub fn blob_id(content: &[u8]) -> String {
    hex(&digest(content))
}

/// The SHA-1 of `content` as a git blob, without allocating (so a helper thread touches no
/// memory of its own).
fn digest(content: &[u8]) -> [u8; 20] {
    use sha1::{Digest as _, Sha1};
    use std::io::Write as _;
    let mut header = [0u8; 32];
    let used = {
        let mut rest = &mut header[..];
        write!(rest, "blob {}\0", content.len()).expect("a length fits in 32 bytes");
        32 - rest.len()
    };
    let mut hasher = Sha1::new();
    hasher.update(&header[..used]);
    hasher.update(content);
    hasher.finalize().into()
}

/// A digest as git prints it.
fn hex(digest: &[u8; 20]) -> String {
    let mut hex = String::with_capacity(40);
    for byte in digest {
        hex.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
        hex.push(char::from(b"0123456789abcdef"[usize::from(byte & 0xf)]));
    }
    hex
}

/// The blob id of each of `contents`, by the content's place in memory (its address and
/// length): what is looked up is the very text hashed, never an equal one.
///
/// Above a megabyte the contents are hashed on two threads, the calling one and one more, each
/// half of the bytes: the 4 MB a `new` of 24 services × 5 environments records took 3 ms on
/// one while the other core waited. The helper writes digests into memory this thread
/// allocated: a thread's first allocation takes pages nothing has touched, which the kernel
/// zeroes first (see ARCHITECTURE's performance note).
pub fn blob_ids<'a>(contents: impl Iterator<Item = &'a str>) -> HashMap<(usize, usize), String> {
    const ONE_THREAD_BELOW: usize = 1 << 20;
    let contents: Vec<&str> = contents.collect();
    let mut digests = vec![[0u8; 20]; contents.len()];
    let total: usize = contents.iter().map(|c| c.len()).sum();
    let hash = |part: &[&str], out: &mut [[u8; 20]]| {
        for (content, digest_out) in part.iter().zip(out) {
            *digest_out = digest(content.as_bytes());
        }
    };
    if total < ONE_THREAD_BELOW {
        hash(&contents, &mut digests);
    } else {
        // Just past the first half of the bytes.
        let mut half = 0;
        let split = contents
            .iter()
            .position(|content| {
                half += content.len();
                half * 2 >= total
            })
            .map_or(contents.len(), |at| at + 1);
        let (first, second) = contents.split_at(split);
        let (mine, theirs) = digests.split_at_mut(split);
        std::thread::scope(|scope| {
            scope.spawn(|| hash(second, theirs));
            hash(first, mine);
        });
    }
    contents
        .iter()
        .zip(&digests)
        .map(|(content, digest)| (place(content), hex(digest)))
        .collect()
}

/// Where `text` is in memory, the key of [`blob_ids`].
pub fn place(text: &str) -> (usize, usize) {
    (text.as_ptr() as usize, text.len())
}

/// The path of the stored base with blob id `id`, for a generated file at `path`.
///
/// The name ends with the file's own name and `.base`: git picks delta
/// partners by the end of a path, so successive versions of, say,
/// `compose.yaml` are stored as small deltas of each other (with names that
/// were only the id, the same history packed 50% larger), while no tool that
/// looks for `*.yaml` or `*.tf` files mistakes a base for a real one.
pub fn base_path(id: &str, path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    format!("{BASES_DIR}/{id}.{name}.base")
}

/// The blob id a stored base's file name starts with.
fn base_id(file_name: &str) -> Option<&str> {
    let (id, rest) = file_name.split_once('.')?;
    (scaffold_render::lock::is_blob_id(id) && rest.ends_with(".base")).then_some(id)
}

/// The content of blob `id` from git's object database, when it is there and text.
fn read_blob(git: Option<&Repository>, id: &str) -> Option<String> {
    let oid = Oid::from_str(id).ok()?;
    let blob = git?.find_blob(oid).ok()?;
    String::from_utf8(blob.content().to_vec()).ok()
}

/// The bases stored in [`BASES_DIR`]: blob id to path (relative to the root).
fn stored(root: &Root) -> Result<BTreeMap<String, String>> {
    let dir = root.resolve(BASES_DIR)?;
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(err) => return Err(err).with_context(|| format!("reading {}", dir.display())),
    };
    let mut ids = BTreeMap::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("reading {}", dir.display()))?;
        if let Some(name) = entry.file_name().to_str()
            && let Some(id) = base_id(name)
        {
            ids.insert(id.to_owned(), format!("{BASES_DIR}/{name}"));
        }
    }
    Ok(ids)
}

/// The merge base of every locked path the plan needs one for.
///
/// A rendered whole file whose disk content already equals the render needs
/// none (the planner sees it is up to date before it looks at a base), so a
/// sync with nothing to do reads no base at all.
pub fn load_bases(
    root: &Root,
    git: Option<&Repository>,
    lock: &Lock,
    render: &Files,
    disk: &Disk,
) -> Result<BTreeMap<String, Option<String>>> {
    let blocks: BTreeSet<&String> = lock.blocks.iter().collect();
    let mut stored_ids: Option<BTreeMap<String, String>> = None;
    let mut bases = BTreeMap::new();
    for (path, id) in &lock.files {
        let is_block = blocks.contains(path);
        let rendered = render.get(path).map(|r| {
            if is_block {
                block::extract(r).unwrap_or(r)
            } else {
                r.as_str()
            }
        });
        let on_disk = match disk.get(path) {
            Some(OnDisk::Text(text)) => Some(text.as_str()),
            _ => None,
        };
        let managed_on_disk =
            on_disk.and_then(|d| if is_block { block::extract(d) } else { Some(d) });
        if let (Some(rendered), Some(ours)) = (rendered, managed_on_disk)
            && to_lf(ours).0 == rendered
        {
            continue;
        }
        let ids = match &mut stored_ids {
            Some(ids) => ids,
            None => stored_ids.insert(stored(root)?),
        };
        let mut base = None;
        if let Some(stored) = ids.get(id)
            && let Some(bytes) = root.read_bytes(stored)?
            && blob_id(&bytes) == *id
        {
            base = String::from_utf8(bytes).ok();
        }
        let base = base
            .or_else(|| read_blob(git, id))
            .or_else(|| same_blob(rendered, id))
            .or_else(|| same_blob(managed_on_disk, id))
            .or_else(|| same_blob(managed_on_disk.map(|d| to_lf(d).0).as_deref(), id));
        bases.insert(path.clone(), base);
    }
    Ok(bases)
}

/// `text` when its blob id is `id`: blob ids name content, so nothing is guessed.
///
/// This is what lets `sync --check` tell an edit scaffold keeps from a
/// render that changed even where no stored base is at hand.
fn same_blob(text: Option<&str>, id: &str) -> Option<String> {
    let text = text?;
    (blob_id(text.as_bytes()) == id).then(|| text.to_owned())
}

/// The blob ids the next lock records that [`BASES_DIR`] lacks.
pub fn missing_bases(root: &Root, next: &Lock) -> Result<Vec<String>> {
    let stored = stored(root)?;
    let wanted: BTreeSet<&String> = next.files.values().collect();
    Ok(wanted
        .into_iter()
        .filter(|id| !stored.contains_key(*id))
        .cloned()
        .collect())
}

/// How [`BASES_DIR`] changes with the next lock.
pub struct Bases<'a> {
    /// Bases to add: blob id to the path to store it at and its content.
    pub missing: BTreeMap<String, (String, &'a str)>,
    /// Stored bases (paths) no lock entry names any more.
    pub stale: Vec<String>,
}

impl<'a> Bases<'a> {
    /// Compares what is stored with what `next` records. `contents` holds the
    /// content of every id the plan records anew; an id kept from `previous`
    /// takes its content from `bases`, when known.
    pub fn plan(
        root: &Root,
        previous: &Lock,
        next: &Lock,
        contents: &BTreeMap<String, &'a str>,
        bases: &'a BTreeMap<String, Option<String>>,
    ) -> Result<Bases<'a>> {
        let stored = stored(root)?;
        let wanted: BTreeSet<&String> = next.files.values().collect();
        let mut missing = BTreeMap::new();
        for (path, id) in &next.files {
            if stored.contains_key(id) || missing.contains_key(id) {
                continue;
            }
            let content = contents.get(id).copied().or_else(|| {
                (previous.files.get(path) == Some(id))
                    .then(|| bases.get(path).and_then(Option::as_deref))
                    .flatten()
            });
            if let Some(content) = content {
                missing.insert(id.clone(), (base_path(id, path), content));
            }
        }
        let stale = stored
            .into_iter()
            .filter(|(id, _)| !wanted.contains(id))
            .map(|(_, path)| path)
            .collect();
        Ok(Bases { missing, stale })
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

    #[test]
    fn blob_ids_are_gits() {
        // `printf 'hello\n' | git hash-object --stdin`
        assert_eq!(
            blob_id(b"hello\n"),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
    }

    #[test]
    fn blob_ids_are_each_contents_blob_id_on_one_thread_or_two() {
        let few = ["hello\n".to_owned(), String::new(), "hello\n".to_owned()];
        // Over the megabyte above which a second thread hashes half.
        let many: Vec<String> = (0..40)
            .map(|i| format!("{i}\n").repeat(20_000 + i))
            .collect();
        for contents in [&few[..], &many[..]] {
            let ids = blob_ids(contents.iter().map(String::as_str));
            // Equal texts at two places are two entries.
            assert_eq!(ids.len(), contents.len());
            for content in contents {
                assert_eq!(ids[&place(content)], blob_id(content.as_bytes()));
            }
        }
    }
}
