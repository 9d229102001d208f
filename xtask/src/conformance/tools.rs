//! The pinned validators, installed into a venv from PyPI by our own script.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// Paths to the installed tools.
pub struct Tools {
    /// The venv's `bin/`.
    pub bin: PathBuf,
}

impl Tools {
    /// Installs (idempotently) the validators into `venv` and returns their paths.
    pub fn install(root: &Path, venv: &Path) -> Result<Tools> {
        let script = root.join("xtask/validators/install.sh");
        let status = Command::new("bash")
            .arg(&script)
            .arg(venv)
            .env("WITH_PYTHON_HCL2", "1")
            .status()
            .with_context(|| format!("running {}", script.display()))?;
        if !status.success() {
            bail!("installing validators with {} failed", script.display());
        }
        Ok(Tools {
            bin: venv.join("bin"),
        })
    }

    /// A command for tool `name` from the venv, with the venv first on PATH
    /// (actionlint runs shellcheck only when it finds it there).
    pub fn command(&self, name: &str) -> Command {
        let mut command = Command::new(self.bin.join(name));
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut paths = vec![self.bin.clone()];
        paths.extend(std::env::split_paths(&path));
        command.env(
            "PATH",
            std::env::join_paths(paths).expect("PATH entries are valid"),
        );
        command
    }

    /// The venv's Python running one of our helper scripts in `xtask/python/`.
    pub fn python(&self, root: &Path, script: &str) -> Command {
        let mut command = self.command("python");
        command.arg(root.join("xtask/python").join(script));
        command
    }

    /// The separate venv holding python-hcl2 (it must not share checkov's venv).
    pub fn hcl2_python(&self) -> Command {
        let venv = self.bin.parent().expect("bin has a parent");
        let mut hcl = venv.as_os_str().to_owned();
        hcl.push("-hcl2");
        Command::new(PathBuf::from(hcl).join("bin/python"))
    }
}
