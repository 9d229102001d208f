//! `TestContext`: a temporary directory holding a real git repository, and
//! helpers to run `scaffold` and `git` in it and to look at the result.
//!
//! Every command runs with the debug-only fixture family switched on, so the
//! scenarios have generated files that change with `scaffold.toml` no matter
//! which template families this build contains.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Output};

use assert_cmd::Command;
use scaffold_render::Lock;
use tempfile::TempDir;

/// The environment variable that switches the fixture family on (see `src/fixture.rs`).
pub const FIXTURE_ENV: &str = "SCAFFOLD_TEST_FIXTURE_FAMILY";

/// A temporary repository to run scaffold in.
pub struct TestContext {
    temp: TempDir,
    /// The repository root (`<temp>/shop`).
    pub root: PathBuf,
}

impl TestContext {
    /// A context with an empty git repository named `shop`.
    pub fn new() -> Self {
        let context = Self::without_git();
        context.git(&["init", "--quiet", "--initial-branch=main"]);
        context
    }

    /// A context with an empty directory named `shop` that is not a repository.
    pub fn without_git() -> Self {
        let temp = tempfile::tempdir().expect("a temporary directory");
        let root = temp.path().join("shop");
        std::fs::create_dir(&root).expect("the root directory");
        TestContext { temp, root }
    }

    /// The temporary directory around the root, for files that must not be in the repository.
    pub fn outside(&self) -> &Path {
        self.temp.path()
    }

    /// `scaffold` in the root, with the fixture family on and no terminal.
    pub fn scaffold(&self) -> Command {
        // `SCAFFOLD_TEST_BIN` runs the scenarios against another build, such
        // as the last release, to watch a reproduction fail before a fix.
        let mut command = match std::env::var_os("SCAFFOLD_TEST_BIN") {
            Some(bin) => Command::new(bin),
            None => Command::cargo_bin("scaffold").expect("the scaffold binary"),
        };
        command
            .current_dir(&self.root)
            .env(FIXTURE_ENV, "1")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .write_stdin("");
        command
    }

    /// [`TestContext::scaffold`] as a plain process, to spawn and wait for
    /// (several at once, or killed midway).
    pub fn scaffold_std(&self) -> StdCommand {
        let bin = std::env::var_os("SCAFFOLD_TEST_BIN")
            .unwrap_or_else(|| assert_cmd::cargo::cargo_bin("scaffold").into_os_string());
        let mut command = StdCommand::new(bin);
        command
            .current_dir(&self.root)
            .env(FIXTURE_ENV, "1")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .stdin(std::process::Stdio::null());
        command
    }

    /// Runs `git` in the root and returns its stdout, panicking on failure.
    pub fn git(&self, args: &[&str]) -> String {
        let output = StdCommand::new("git")
            .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
            .args([
                "-c",
                "commit.gpgsign=false",
                "-c",
                "init.defaultBranch=main",
            ])
            .args(args)
            .current_dir(&self.root)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .output()
            .expect("git runs");
        assert!(
            output.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Commits everything in the working tree.
    pub fn commit_all(&self, message: &str) {
        self.git(&["add", "--all"]);
        self.git(&["commit", "--quiet", "--allow-empty", "-m", message]);
    }

    /// Whether `.scaffold/bases/` stores the merge base with blob id `id`
    /// (a file of that name whose content has that id).
    pub fn has_base(&self, id: &str) -> bool {
        let Ok(entries) = std::fs::read_dir(self.root.join(".scaffold/bases")) else {
            return false;
        };
        entries.flatten().any(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            name.starts_with(&format!("{id}."))
                && name.ends_with(".base")
                && self
                    .git(&["hash-object", &format!(".scaffold/bases/{name}")])
                    .trim()
                    == id
        })
    }

    /// The text of `path` below the root, if it exists.
    pub fn read_opt(&self, path: &str) -> Option<String> {
        std::fs::read_to_string(self.root.join(path)).ok()
    }

    /// The text of `path` below the root.
    pub fn read(&self, path: &str) -> String {
        self.read_opt(path)
            .unwrap_or_else(|| panic!("{path} should exist"))
    }

    /// Whether `path` exists below the root.
    pub fn exists(&self, path: &str) -> bool {
        self.root.join(path).exists()
    }

    /// Writes `content` to `path` below the root, creating directories.
    pub fn write(&self, path: &str, content: &str) {
        let path = self.root.join(path);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("directories");
        std::fs::write(path, content).expect("a write");
    }

    /// Removes `path` below the root.
    pub fn remove(&self, path: &str) {
        std::fs::remove_file(self.root.join(path)).expect("a removal");
    }

    /// Replaces the first `from` in `path` with `to`, checking it was there.
    pub fn edit(&self, path: &str, from: &str, to: &str) {
        let text = self.read(path);
        assert!(
            text.contains(from),
            "{path} should contain {from:?}:\n{text}"
        );
        self.write(path, &text.replacen(from, to, 1));
    }

    /// The lock scaffold wrote.
    pub fn lock(&self) -> Lock {
        Lock::parse(&self.read(".scaffold/lock.toml")).expect("a valid lock")
    }

    /// Every file below the root, outside `.git`, with its content: a
    /// snapshot of the working tree to compare before and after a command.
    pub fn tree(&self) -> BTreeMap<String, String> {
        fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, String>) {
            let mut entries: Vec<_> = std::fs::read_dir(dir)
                .expect("a readable directory")
                .map(|e| e.expect("an entry").path())
                .collect();
            entries.sort();
            for path in entries {
                if path.file_name().is_some_and(|n| n == ".git") {
                    continue;
                }
                if path.is_dir() {
                    walk(&path, root, out);
                } else {
                    let relative = path.strip_prefix(root).expect("below the root");
                    let content = std::fs::read(&path).expect("a readable file");
                    out.insert(
                        relative.to_string_lossy().replace('\\', "/"),
                        String::from_utf8_lossy(&content).into_owned(),
                    );
                }
            }
        }
        let mut out = BTreeMap::new();
        walk(&self.root, &self.root, &mut out);
        out
    }

    /// [`TestContext::tree`] without the local render cache (never committed): its
    /// fingerprint covers the detected facts, which change when scaffold writes files that
    /// detection reads (a starter app, a Dockerfile), while no file scaffold writes does.
    pub fn tree_without_cache(&self) -> BTreeMap<String, String> {
        let mut tree = self.tree();
        tree.remove(".scaffold/cache");
        tree
    }

    /// `scaffold ARGS` with the real families rather than the fixture's, which must exit 0;
    /// its standard output.
    pub fn run_real(&self, args: &[&str]) -> String {
        let output = self
            .scaffold()
            .env_remove(FIXTURE_ENV)
            .args(args)
            .output()
            .expect("scaffold runs");
        assert_eq!(
            output.status.code(),
            Some(0),
            "scaffold {args:?}\n{}",
            self.render_output(&output)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Writes answers to `scaffold.toml` (or another path) with these
    /// environments, region and service port.
    pub fn answers(environments: &[&str], region: &str, port: u16) -> String {
        let mut text = format!(
            "schema = 1\n\n[app]\nname = \"shop\"\n\n[cloud]\nprovider = \"aws\"\nregion = \"{region}\"\n\n[[services]]\nname = \"api\"\nlanguage = \"node\"\nport = {port}\n\n[[datastores]]\nname = \"db\"\nengine = \"postgres\"\n"
        );
        for (i, env) in environments.iter().enumerate() {
            text.push_str(&format!("\n[[environments]]\nname = \"{env}\"\n"));
            if i == 0 {
                text.push_str("branch = \"main\"\n");
            }
        }
        text
    }

    /// Runs `scaffold new --answers` with [`TestContext::answers`] and commits the result.
    pub fn generate(&self, environments: &[&str]) {
        let answers = self.outside().join("answers.toml");
        std::fs::write(&answers, Self::answers(environments, "us-east-1", 3000))
            .expect("an answers file");
        self.scaffold()
            .args(["new", "--answers"])
            .arg(&answers)
            .assert()
            .success();
        self.commit_all("scaffold new");
    }

    /// Changes `scaffold.toml` to these environments, region and port.
    pub fn set_answers(&self, environments: &[&str], region: &str, port: u16) {
        self.write("scaffold.toml", &Self::answers(environments, region, port));
    }

    /// Exit code, stdout and stderr of `output` in one text for snapshots,
    /// with temporary paths replaced by `[TEMP]`.
    pub fn render_output(&self, output: &Output) -> String {
        let temp = self.temp.path().to_string_lossy().into_owned();
        let canonical = self
            .temp
            .path()
            .canonicalize()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_else(|_| temp.clone());
        let clean = |bytes: &[u8]| {
            String::from_utf8_lossy(bytes)
                .replace(&canonical, "[TEMP]")
                .replace(&temp, "[TEMP]")
        };
        format!(
            "exit code: {}\n----- stdout -----\n{}----- stderr -----\n{}",
            output
                .status
                .code()
                .map_or("none".to_owned(), |c| c.to_string()),
            clean(&output.stdout),
            clean(&output.stderr)
        )
    }
}
