//! Safe file access below the repository root.
//!
//! Every path scaffold writes is relative, stays inside the root, and never
//! passes through a symbolic link (a link could point anywhere, so scaffold
//! refuses rather than follow it). Writes are atomic: the content goes to a
//! temporary file in the same directory, which is then renamed over the
//! target, so an interrupted run leaves each file either old or new.

use std::fs;
use std::io::Write as _;
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result, bail};

/// The directory scaffold works in.
#[derive(Debug, Clone)]
pub struct Root {
    path: PathBuf,
}

impl Root {
    /// Opens (creating it if needed) the root directory.
    pub fn open(dir: &Path) -> Result<Root> {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let path = dir
            .canonicalize()
            .with_context(|| format!("resolving {}", dir.display()))?;
        Ok(Root { path })
    }

    /// The root's absolute path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The absolute path of `relative`, after checking it stays inside and crosses no symlink.
    pub fn resolve(&self, relative: &str) -> Result<PathBuf> {
        let rel = Path::new(relative);
        if rel.is_absolute() || rel.components().any(|c| !matches!(c, Component::Normal(_))) {
            bail!("refusing path `{relative}`: it must be relative and stay inside the repository");
        }
        let mut current = self.path.clone();
        for component in rel.components() {
            current.push(component);
            if let Ok(meta) = fs::symlink_metadata(&current)
                && meta.file_type().is_symlink()
            {
                bail!(
                    "refusing to touch `{relative}`: `{}` is a symbolic link, and scaffold never follows links",
                    current.display()
                );
            }
        }
        Ok(current)
    }

    /// The text of `relative`, or `None` when it does not exist.
    pub fn read(&self, relative: &str) -> Result<Option<String>> {
        let path = self.resolve(relative)?;
        match fs::read(&path) {
            Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(err).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// Writes `content` to `relative` atomically, creating parent directories.
    pub fn write(&self, relative: &str, content: &str) -> Result<()> {
        let path = self.resolve(relative)?;
        let parent = path.parent().expect("a file below the root has a parent");
        fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        // Parents may have been created just now: check again that none is a link.
        self.resolve(relative)?;
        let mut temp = tempfile::Builder::new()
            .prefix(".scaffold-")
            .tempfile_in(parent)
            .with_context(|| format!("creating a temporary file in {}", parent.display()))?;
        temp.write_all(content.as_bytes())
            .with_context(|| format!("writing {}", path.display()))?;
        // A temporary file is created owner-only (0600); the file it replaces keeps its mode (a
        // user's chmod survives), a new one gets the usual 0644, so a `COPY` into an image
        // stays readable for the image's non-root user (found by `cargo xtask e2e`).
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(&path).map_or(0o644, |m| m.permissions().mode() & 0o7777);
            temp.as_file()
                .set_permissions(fs::Permissions::from_mode(mode))
                .with_context(|| format!("setting the mode of {}", path.display()))?;
        }
        temp.as_file()
            .sync_all()
            .with_context(|| format!("flushing {}", path.display()))?;
        temp.persist(&path)
            .with_context(|| format!("replacing {}", path.display()))?;
        Ok(())
    }

    /// Removes `relative` if it exists, and then any directories it leaves empty.
    #[allow(
        dead_code,
        reason = "scaffold sync deletes files that are no longer generated"
    )]
    pub fn remove(&self, relative: &str) -> Result<()> {
        let path = self.resolve(relative)?;
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => return Err(err).with_context(|| format!("removing {}", path.display())),
        }
        let mut dir = path.parent();
        while let Some(d) = dir {
            if d == self.path || fs::remove_dir(d).is_err() {
                break;
            }
            dir = d.parent();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_must_stay_inside() {
        let dir = tempfile::tempdir().unwrap();
        let root = Root::open(dir.path()).unwrap();
        for bad in ["/etc/passwd", "../x", "a/../../x", "./a"] {
            assert!(root.resolve(bad).is_err(), "{bad}");
        }
        root.write("a/b.txt", "hi\n").unwrap();
        assert_eq!(root.read("a/b.txt").unwrap().as_deref(), Some("hi\n"));
        root.remove("a/b.txt").unwrap();
        assert!(!dir.path().join("a").exists());
    }

    #[cfg(unix)]
    #[test]
    fn new_files_are_readable_and_replaced_ones_keep_their_mode() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let root = Root::open(dir.path()).unwrap();
        let mode = |f: &str| {
            fs::metadata(dir.path().join(f))
                .unwrap()
                .permissions()
                .mode()
                & 0o7777
        };
        root.write("nginx.conf", "x").unwrap();
        assert_eq!(mode("nginx.conf"), 0o644);
        fs::set_permissions(
            dir.path().join("nginx.conf"),
            fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        root.write("nginx.conf", "y").unwrap();
        assert_eq!(mode("nginx.conf"), 0o755);
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_never_followed() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("link")).unwrap();
        let root = Root::open(dir.path()).unwrap();
        let err = root.write("link/x.txt", "x").unwrap_err().to_string();
        assert!(err.contains("symbolic link"), "{err}");
        assert!(!outside.path().join("x.txt").exists());
    }
}
