//! `cargo bench -p scaffold-render`: how long reading the answers, loading the templates and
//! rendering take for every example, as the median of repeated runs.
//!
//! A plain harness (no extra dependency): it prints a table and asserts
//! nothing, because speed is measured here, never asserted in timed tests.

use std::fs;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use scaffold_core::Project;
use scaffold_core::project::Facts;
use scaffold_render::Engine;

/// Runs `f` `runs` times and returns the median duration.
fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

fn main() {
    let runs = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(30);
    let engine = median(runs, || {
        std::hint::black_box(Engine::new());
    });
    println!("{:<24} {:>12}", "load templates", format!("{engine:.2?}"));
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/examples");
    let mut paths: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    println!(
        "{:<24} {:>12} {:>12} {:>8}",
        "example", "parse", "render", "files"
    );
    for path in paths
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
    {
        let text = fs::read_to_string(path).unwrap();
        let parse = median(runs, || {
            std::hint::black_box(Project::from_toml(&text, &Facts::default()).unwrap());
        });
        let project = Project::from_toml(&text, &Facts::default()).unwrap();
        let mut count = 0;
        let render = median(runs, || {
            count = std::hint::black_box(scaffold_render::render(&project).unwrap()).len();
        });
        let name = path.file_stem().unwrap().to_string_lossy();
        println!(
            "{name:<24} {:>12} {:>12} {count:>8}",
            format!("{parse:.2?}"),
            format!("{render:.2?}")
        );
    }
}
