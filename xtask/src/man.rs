//! `cargo xtask man`: the man pages, written from the very clap definitions
//! the `scaffold` binary parses with (`crates/scaffold-cli/src/cli.rs`,
//! included by path), into `docs/man/`.
//!
//! One page for `scaffold` and one per command (`scaffold-sync.1`, ...), as
//! git and cargo ship them. The pages are checked in so they can be packaged
//! and read without building; `--check` (and the test below, run by `cargo
//! test`) fails when they are stale and names the command that refreshes them.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result, bail};
use clap::CommandFactory;

use crate::cli;

/// Where the pages go, relative to the workspace root.
pub const MAN_DIR: &str = "docs/man";

/// Every page: file name and roff text.
pub fn pages() -> Result<Vec<(String, Vec<u8>)>> {
    let mut command = cli::Cli::command();
    // Building propagates the global options (`--color`, `-q`, `-v`) into every command's page.
    command.build();
    let mut out = Vec::new();
    let mut page = |command: clap::Command, name: String| -> Result<()> {
        let mut buffer = Vec::new();
        clap_mangen::Man::new(command)
            .render(&mut buffer)
            .context("rendering a man page")?;
        out.push((format!("{name}.1"), buffer));
        Ok(())
    };
    // `help` is clap's own, added by building; it needs no page.
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("scaffold-{}", sub.get_name());
        page(sub.clone().name(name.clone()), name)?;
    }
    page(command, "scaffold".to_owned())?;
    out.sort();
    Ok(out)
}

/// Writes the pages, or with `check` fails when any differs from what is on disk.
pub fn run(root: &Path, check: bool) -> Result<()> {
    let dir = root.join(MAN_DIR);
    let pages = pages()?;
    if check {
        let mut stale = Vec::new();
        for (name, text) in &pages {
            if fs::read(dir.join(name)).ok().as_deref() != Some(text.as_slice()) {
                stale.push(name.clone());
            }
        }
        if !stale.is_empty() {
            bail!(
                "{MAN_DIR}/ is out of date ({}); run `cargo xtask man`",
                stale.join(", ")
            );
        }
        return Ok(());
    }
    fs::create_dir_all(&dir)?;
    for (name, text) in &pages {
        fs::write(dir.join(name), text).with_context(|| format!("writing {name}"))?;
    }
    println!("wrote {} man pages to {MAN_DIR}/", pages.len());
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn man_pages_are_fresh() {
        let root = crate::workspace_root();
        super::run(&root, true).unwrap();
    }

    #[test]
    fn every_command_has_a_page_with_its_exit_codes() {
        let pages = super::pages().unwrap();
        let names: Vec<&str> = pages.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "scaffold-add.1",
                "scaffold-completions.1",
                "scaffold-diff.1",
                "scaffold-new.1",
                "scaffold-sync.1",
                "scaffold.1"
            ]
        );
        for (name, text) in &pages {
            let text = String::from_utf8_lossy(text);
            assert!(text.contains("Exit codes:"), "{name}");
        }
    }
}
