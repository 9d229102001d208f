//! `cargo xtask bench`: how fast `scaffold new` and `scaffold sync` are, how
//! that grows with the number of services, and how it compares with copier
//! copying the very same files, all measured in one run on one machine.
//!
//! It builds the release binary, generates answers for 1, 6, 24 and 96
//! services (5 environments, 2 datastores), and for each size reports the
//! median wall time of `new` and of a `sync` with nothing to do, the files
//! written, and (where valgrind is installed) the instruction counts of
//! both, which unlike wall time are stable on a busy machine. Instructions
//! per file should not grow with the size. Then:
//!
//! - the three ways to flush files to disk (`SCAFFOLD_FSYNC`), on 24 services;
//! - copier (PyPI `copier`, installed into `target/bench/copier-venv`)
//!   copying the 24-service render as a template, and the ratio;
//! - `sync` after growing an app from 3 and from 10 services to 1,000 (or
//!   `--scale-to N`), beside `new` of the 1,000-service app.
//!
//! Nothing is asserted: speed is reported, never tested against a clock.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// The copier release the comparison installs.
const COPIER: &str = "copier==9.19.1";

/// What to measure.
pub struct Options {
    /// The workspace root.
    pub root: PathBuf,
    /// Runs per wall-time measurement (the median is reported).
    pub runs: usize,
    /// The largest app of the sync scale test.
    pub scale_to: usize,
    /// Skip copier.
    pub no_copier: bool,
    /// Skip valgrind.
    pub no_callgrind: bool,
}

/// Runs the benchmark and prints its tables.
pub fn run(options: &Options) -> Result<bool> {
    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "--quiet", "-p", "scaffold-cli"])
        .current_dir(&options.root)
        .status()
        .context("running cargo build")?;
    if !status.success() {
        bail!("cargo build --release -p scaffold-cli failed");
    }
    let work = options.root.join("target/bench");
    let bench = Bench {
        bin: options.root.join("target/release/scaffold"),
        scratch: work.join("runs"),
        work,
        runs: options.runs.max(1),
        callgrind: !options.no_callgrind && has("valgrind"),
        made: std::cell::Cell::new(0),
    };
    // What an earlier bench left (every run writes into a folder of its own, removed at the end).
    if bench.scratch.exists() {
        std::fs::remove_dir_all(&bench.scratch)?;
    }
    std::fs::create_dir_all(&bench.scratch)?;
    let version = Command::new(&bench.bin).arg("--version").output()?;
    println!(
        "{} on {} cores; wall times are medians of {} runs",
        String::from_utf8_lossy(&version.stdout).trim(),
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        bench.runs
    );

    println!(
        "\n{:>8} {:>6} {:>10} {:>10} {:>14} {:>14} {:>12} {:>12}",
        "services", "files", "new", "sync", "new instr", "sync instr", "new /file", "sync /file"
    );
    let mut new_24 = None;
    for services in [1, 6, 24, 96] {
        let answers = bench.answers(services, 5)?;
        let (new, dir) = bench.new_median(&answers, &format!("new-{services}"), &[])?;
        let files = count_files(&dir)?;
        let sync = bench.median(|| bench.time(&dir, &["sync"], &[]))?;
        let (new_instr, sync_instr) = if bench.callgrind {
            let fresh = bench.fresh(&format!("cg-{services}"))?;
            let new_instr = bench.instructions(&fresh, &["new", "--answers", path(&answers)])?;
            let sync_instr = bench.instructions(&fresh, &["sync"])?;
            (Some(new_instr), Some(sync_instr))
        } else {
            (None, None)
        };
        let per_file =
            |i: Option<u64>| i.map_or("-".to_owned(), |i| format!("{}", i / files as u64));
        println!(
            "{services:>8} {files:>6} {:>10} {:>10} {:>14} {:>14} {:>12} {:>12}",
            ms(new),
            ms(sync),
            new_instr.map_or("-".to_owned(), thousands),
            sync_instr.map_or("-".to_owned(), thousands),
            per_file(new_instr),
            per_file(sync_instr),
        );
        if services == 24 {
            new_24 = Some((new, dir, answers));
        }
    }
    let (new_24, dir_24, answers_24) = new_24.expect("24 is measured");

    println!("\nflushing to disk, `new` of 24 services (SCAFFOLD_FSYNC):");
    for (name, value) in [
        ("each file, one by one", "each"),
        ("replaced files in parallel (default)", "flush"),
        ("nothing", "none"),
    ] {
        let (time, _) = bench.new_median(
            &answers_24,
            &format!("fsync-{value}"),
            &[("SCAFFOLD_FSYNC", value)],
        )?;
        println!("  {name:<40} {:>10}", ms(time));
    }

    if options.no_copier {
        println!("\ncopier: skipped (--no-copier)");
    } else {
        match bench.copier(&dir_24) {
            Ok(copier) => {
                println!(
                    "\ncopier copying the same {} files: {}; scaffold new: {}; scaffold is {:.1}x faster",
                    count_files(&dir_24)?,
                    ms(copier),
                    ms(new_24),
                    copier.as_secs_f64() / new_24.as_secs_f64()
                );
            }
            Err(err) => println!("\ncopier: not measured ({err:#})"),
        }
    }

    println!("\nsync scale (wall time of one run):");
    let big = bench.answers(options.scale_to, 5)?;
    let (new_big, big_dir) = bench.new_once(&big, "scale-new")?;
    println!(
        "  new with {} services ({} files): {}",
        options.scale_to,
        count_files(&big_dir)?,
        ms(new_big)
    );
    for from in [3, 10] {
        let small = bench.answers(from, 5)?;
        let (_, dir) = bench.new_once(&small, &format!("scale-{from}"))?;
        std::fs::copy(&big, dir.join("scaffold.toml"))?;
        let time = bench.time(&dir, &["sync"], &[])?;
        println!(
            "  sync from {from} to {} services: {}",
            options.scale_to,
            ms(time)
        );
    }
    let noop = bench.time(&big_dir, &["sync"], &[])?;
    println!(
        "  sync with nothing to do, {} services: {}",
        options.scale_to,
        ms(noop)
    );
    std::fs::remove_dir_all(&bench.scratch)?;
    Ok(true)
}

/// The binary and the scratch folders.
struct Bench {
    bin: PathBuf,
    /// The answers, copier's virtualenv and its template.
    work: PathBuf,
    /// One new folder per run of `new` or copier.
    scratch: PathBuf,
    runs: usize,
    callgrind: bool,
    /// Folders made in `scratch` so far.
    made: std::cell::Cell<usize>,
}

impl Bench {
    /// Writes answers for `services` services and `environments` environments.
    fn answers(&self, services: usize, environments: usize) -> Result<PathBuf> {
        let file = self
            .work
            .join(format!("answers-{services}x{environments}.toml"));
        std::fs::write(&file, answers(services, environments))?;
        Ok(file)
    }

    /// A folder in `target/bench/runs` no run has used.
    ///
    /// Never the folder of an earlier run, emptied: ext4 does not hand out an inode freed in
    /// the last half minute or so, and skipping past hundreds of them (`recently_deleted`)
    /// made file creation, and with it `new` and copier alike, several times slower than on
    /// a disk where nothing was just deleted. Everything is removed at the end.
    fn scratch(&self, name: &str) -> PathBuf {
        let n = self.made.get();
        self.made.set(n + 1);
        self.scratch.join(format!("{name}-{n}"))
    }

    /// An empty git repository in a folder of its own (see [`Bench::scratch`]).
    fn fresh(&self, name: &str) -> Result<PathBuf> {
        let dir = self.scratch(name);
        std::fs::create_dir_all(&dir)?;
        let status = Command::new("git")
            .args(["init", "--quiet"])
            .current_dir(&dir)
            .status()?;
        if !status.success() {
            bail!("git init failed in {}", dir.display());
        }
        Ok(dir)
    }

    /// The wall time of `scaffold ARGS` in `dir`.
    fn time(&self, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Result<Duration> {
        quiesce();
        let start = Instant::now();
        let status = Command::new(&self.bin)
            .args(args)
            .envs(env.iter().copied())
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .status()?;
        let elapsed = start.elapsed();
        if !status.success() {
            bail!("scaffold {} failed in {}", args.join(" "), dir.display());
        }
        Ok(elapsed)
    }

    /// The median of `runs` measurements.
    fn median(&self, mut measure: impl FnMut() -> Result<Duration>) -> Result<Duration> {
        let mut times = (0..self.runs)
            .map(|_| measure())
            .collect::<Result<Vec<_>>>()?;
        times.sort();
        Ok(times[times.len() / 2])
    }

    /// The median time of `new` into fresh repositories, and the last one.
    fn new_median(
        &self,
        answers: &Path,
        name: &str,
        env: &[(&str, &str)],
    ) -> Result<(Duration, PathBuf)> {
        let mut dir = PathBuf::new();
        let time = self.median(|| {
            dir = self.fresh(name)?;
            self.time(&dir, &["new", "--answers", path(answers)], env)
        })?;
        Ok((time, dir))
    }

    /// The time of one `new` into a fresh repository.
    fn new_once(&self, answers: &Path, name: &str) -> Result<(Duration, PathBuf)> {
        let dir = self.fresh(name)?;
        let time = self.time(&dir, &["new", "--answers", path(answers)], &[])?;
        Ok((time, dir))
    }

    /// The instructions `scaffold ARGS` executes in `dir`, counted by callgrind.
    fn instructions(&self, dir: &Path, args: &[&str]) -> Result<u64> {
        let output = Command::new("valgrind")
            .args([
                "--tool=callgrind",
                "--callgrind-out-file=/dev/null",
                "--error-exitcode=99",
            ])
            .arg(&self.bin)
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .output()?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        stderr
            .lines()
            .find_map(|line| line.split("Collected :").nth(1))
            .and_then(|n| n.trim().parse().ok())
            .with_context(|| format!("no instruction count from callgrind:\n{stderr}"))
    }

    /// The median time of copier copying `rendered` (its files, as a
    /// template of plain files) into a fresh folder.
    fn copier(&self, rendered: &Path) -> Result<Duration> {
        let venv = self.work.join("copier-venv");
        let copier = venv.join("bin/copier");
        if !copier.exists() {
            let status = Command::new("python3")
                .args(["-m", "venv"])
                .arg(&venv)
                .status()?;
            if !status.success() {
                bail!("python3 -m venv failed");
            }
            let status = Command::new(venv.join("bin/pip"))
                .args(["install", "--quiet", COPIER])
                .status()?;
            if !status.success() {
                bail!("pip install {COPIER} failed");
            }
        }
        let template = self.work.join("copier-template");
        if template.exists() {
            std::fs::remove_dir_all(&template)?;
        }
        copy_tree(rendered, &template.join("template"))?;
        // No questions, and no file ends in `.jinja`: every file is copied as is.
        std::fs::write(
            template.join("copier.yml"),
            "_subdirectory: template\n_templates_suffix: .jinja\n",
        )?;
        self.median(|| {
            let target = self.scratch("copier-out");
            quiesce();
            let start = Instant::now();
            let status = Command::new(&copier)
                .args(["copy", "--defaults", "--quiet", "--overwrite"])
                .arg(&template)
                .arg(&target)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .status()?;
            let elapsed = start.elapsed();
            if !status.success() {
                bail!("copier copy failed");
            }
            Ok(elapsed)
        })
    }
}

/// Answers for an app with `services` services in six languages (each
/// using one of two datastores, every third public) and `environments`
/// environments.
pub fn answers(services: usize, environments: usize) -> String {
    const LANGUAGES: [&str; 6] = ["node", "python", "go", "rust", "java", "static"];
    const ENVIRONMENTS: [&str; 7] = ["dev", "staging", "qa", "uat", "production", "perf", "demo"];
    let mut text = String::from(
        "schema = 1\n\n[app]\nname = \"bench\"\nrepository = \"acme/bench\"\n\n[cloud]\nprovider = \"aws\"\nregion = \"us-east-1\"\n\n[[datastores]]\nname = \"db\"\nengine = \"postgres\"\n\n[[datastores]]\nname = \"cache\"\nengine = \"redis\"\n",
    );
    for i in 0..services {
        text.push_str(&format!(
            "\n[[services]]\nname = \"svc{i}\"\nlanguage = \"{}\"\npath = \"services/svc{i}\"\nport = {}\nuses = [\"{}\"]\npublic = {}\n",
            LANGUAGES[i % LANGUAGES.len()],
            8000 + i,
            if i % 2 == 0 { "db" } else { "cache" },
            i % 3 == 0
        ));
    }
    for (j, name) in ENVIRONMENTS.iter().take(environments.min(7)).enumerate() {
        text.push_str(&format!("\n[[environments]]\nname = \"{name}\"\n"));
        if j == 0 {
            text.push_str("branch = \"main\"\n");
        }
        if *name == "production" {
            text.push_str("approval = true\n");
        }
    }
    text
}

/// Files below `dir` that scaffold generated (outside `.git` and `.scaffold`).
fn count_files(dir: &Path) -> Result<usize> {
    let mut count = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        if name == ".git" || name == ".scaffold" {
            continue;
        }
        if entry.file_type()?.is_dir() {
            count += count_files(&entry.path())?;
        } else {
            count += 1;
        }
    }
    Ok(count)
}

/// Copies the generated files of `from` (outside `.git` and `.scaffold`) to `to`.
fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if name == ".git" || name == ".scaffold" {
            continue;
        }
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &to.join(&name))?;
        } else {
            std::fs::copy(entry.path(), to.join(&name))?;
        }
    }
    Ok(())
}

/// Writes out what earlier runs left in the page cache before a run is timed: each run
/// leaves megabytes for the kernel to write back, and a run timed while that happens
/// waits for the disk (here, up to a third longer). Each run starts on a quiet disk.
fn quiesce() {
    let _ = Command::new("sync").status();
}

/// Whether `program` runs.
fn has(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn path(path: &Path) -> &str {
    path.to_str().expect("the bench folder's path is UTF-8")
}

fn ms(time: Duration) -> String {
    format!("{:.1} ms", time.as_secs_f64() * 1000.0)
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_answers_are_valid_at_every_size() {
        for services in [1, 6, 24, 96] {
            let text = answers(services, 5);
            let project =
                scaffold_core::Project::from_toml(&text, &scaffold_core::project::Facts::default())
                    .unwrap_or_else(|err| panic!("{services} services: {err}"));
            assert_eq!(project.services.len(), services);
            assert_eq!(project.environments.len(), 5);
        }
    }
}
