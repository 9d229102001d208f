//! One case end to end: a repository rendered by scaffold, then every check on each of its
//! services, as a row of the table.
//!
//! What the harness probes is what scaffold decided (the service contract in the generated
//! `scaffold.toml`: port, health and readiness paths, kind), because that is what Kubernetes
//! and compose will probe. Where the fixture's truth (`e2e.toml`) differs, the failure says so.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use scaffold_core::Project;
use scaffold_core::project::Facts;
use scaffold_core::vocabulary::ServiceKind;

use super::cases::{Case, Source, copy_fixture};
use super::ci::{self, JobResult, Toolchains};
use super::compose::{self, AppProbe};
use super::dockerfile::{self, Ignore};
use super::engine::{Engine, Kind};
use super::pod::Pod;
use super::probe;
use super::process::{error_line, run_logged, shorten};
use super::table::{Cell, Column, Row};
use super::workflow::{Build, TestJob, Workflow};

/// One service of a rendered case, with everything the checks need.
#[derive(Debug, Clone)]
pub struct Service {
    /// Its name.
    pub name: String,
    /// Its folder.
    pub path: String,
    /// Its language (stack), as `scaffold.toml` spells it.
    pub language: String,
    /// Web, gRPC, worker or job.
    pub kind: ServiceKind,
    /// The port it listens on; `None` for a worker or job.
    pub port: Option<u16>,
    /// The HTTP liveness path (web services only).
    pub health: Option<String>,
    /// The HTTP readiness path (web services only).
    pub readiness: Option<String>,
    /// Datastores it uses.
    pub uses: Vec<String>,
    /// The engines of those datastores (`postgres`, `redis`).
    pub engines: Vec<String>,
    /// How CI builds its image.
    pub build: Build,
    /// The lint and test job gating that build, if CI has one.
    pub test_job: Option<TestJob>,
}

/// A case after rendering.
pub struct Rendered {
    /// The case.
    pub case: Case,
    /// `$TMPDIR/scaffold-e2e/<case>` (or under `$SCAFFOLD_E2E_WORK`).
    pub dir: PathBuf,
    /// The repository scaffold rendered into (the working tree, as `scaffold new` left it).
    pub repo: PathBuf,
    /// A fresh clone of it after committing everything, as CI and a teammate see it: images,
    /// compose and CI jobs use this.
    pub checkout: PathBuf,
    /// The render result.
    pub render: Cell,
    /// How long rendering took.
    pub render_time: Duration,
    /// The services, empty when rendering failed.
    pub services: Vec<Service>,
    /// Notes about the case as a whole.
    pub notes: Vec<String>,
}

impl Rendered {
    /// Every image reference the case's checks need: Dockerfile bases, compose datastores and
    /// CI service containers.
    pub fn images(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for service in &self.services {
            if let Ok(text) = fs::read_to_string(self.checkout.join(&service.build.file)) {
                out.extend(dockerfile::base_images(&text));
            }
            if let Some(job) = &service.test_job {
                out.extend(job.services.iter().map(|s| s.image.clone()));
            }
        }
        if let Ok(text) = fs::read_to_string(compose::generated_file(&self.checkout)) {
            out.extend(compose::images(&text));
        }
        out
    }

    fn log(&self, name: &str) -> PathBuf {
        self.dir.join("logs").join(format!("{name}.log"))
    }
}

fn git(repo: &Path, args: &[&str]) -> Result<()> {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args([
            "-c",
            "user.name=e2e",
            "-c",
            "user.email=e2e@example.invalid",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .context("running git")?;
    if !out.status.success() {
        anyhow::bail!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// Clones `repo` into `to` (which must not exist).
fn clone(repo: &Path, to: &Path) -> Result<()> {
    let out = Command::new("git")
        .args(["clone", "-q", "--no-hardlinks"])
        .arg(repo)
        .arg(to)
        .output()
        .context("running git clone")?;
    if !out.status.success() {
        anyhow::bail!("git clone: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(())
}

/// Copies the case into a fresh git repository, runs `scaffold new` on it, commits the result
/// and clones it.
pub fn render(case: &Case, scaffold: &Path, work: &Path) -> Result<Rendered> {
    let dir = work.join(&case.name);
    if dir.exists() {
        fs::remove_dir_all(&dir).with_context(|| format!("clearing {}", dir.display()))?;
    }
    // The folder is named after the case, as a clone of the app's repository would be: scaffold
    // names the app and its first service after it.
    let repo = dir.join(&case.name);
    match &case.source {
        Source::Fixture(from) => copy_fixture(from, &repo)?,
        Source::Starter(_) => fs::create_dir_all(&repo)?,
    }
    git(&repo, &["init", "-q", "-b", "main"])?;
    git(&repo, &["add", "-A"])?;
    git(
        &repo,
        &[
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "the app before scaffold",
        ],
    )?;

    let mut rendered = Rendered {
        case: case.clone(),
        dir: dir.clone(),
        repo: repo.clone(),
        checkout: dir.join("checkout"),
        render: Cell::Ok,
        render_time: Duration::ZERO,
        services: Vec::new(),
        notes: Vec::new(),
    };
    let mut command = Command::new(scaffold);
    command.arg("new").arg("--dir").arg(&repo);
    match (&case.answers, &case.source) {
        (Some(answers), _) => {
            command.arg("--answers").arg(answers);
        }
        (None, Source::Starter(language)) => {
            command
                .arg("--defaults")
                .arg("--set")
                .arg(format!("services[0].language={language}"));
        }
        (None, Source::Fixture(_)) => {
            command.arg("--defaults");
        }
    }
    let started = Instant::now();
    let outcome = run_logged(
        &mut command,
        &rendered.log("render"),
        Duration::from_secs(120),
    )?;
    rendered.render_time = started.elapsed();
    if !outcome.success {
        rendered.render = Cell::Fail(format!("scaffold new: {}", outcome.error_line));
        return Ok(rendered);
    }
    match services(&repo) {
        Ok((services, notes)) => {
            rendered.services = services;
            rendered.notes = notes;
        }
        Err(err) => rendered.render = Cell::Fail(format!("{err:#}")),
    }
    // What the user commits and pushes is what CI builds: a clone has git's file modes, not
    // the ones scaffold wrote.
    git(&repo, &["add", "-A"])?;
    git(
        &repo,
        &["commit", "-q", "--allow-empty", "-m", "scaffold new"],
    )?;
    clone(&repo, &rendered.checkout)?;
    Ok(rendered)
}

/// The services of a rendered repository: the contract from `scaffold.toml`, the image build
/// and test job from `ci.yml`.
fn services(repo: &Path) -> Result<(Vec<Service>, Vec<String>)> {
    let text = fs::read_to_string(repo.join("scaffold.toml"))
        .context("reading the generated scaffold.toml")?;
    let project = Project::from_toml(&text, &Facts::default())
        .map_err(|err| anyhow::anyhow!("the generated scaffold.toml does not load: {err}"))?;
    let workflow_text = fs::read_to_string(repo.join(".github/workflows/ci.yml"));
    let workflow = match &workflow_text {
        Ok(text) => Some(Workflow::parse(text)?),
        Err(_) => None,
    };
    let builds = workflow.as_ref().map(Workflow::builds).unwrap_or_default();
    let mut notes = Vec::new();
    if workflow.is_none() {
        notes.push("no .github/workflows/ci.yml was generated".to_owned());
    }
    let mut out = Vec::new();
    for service in &project.services {
        let build = builds
            .iter()
            .find(|b| b.job == service.names.ci_job)
            .cloned()
            .unwrap_or_else(|| {
                notes.push(format!(
                    "ci.yml has no image build job `{}` for {}; building {}Dockerfile in {}",
                    service.names.ci_job, service.name, service.dir, service.path
                ));
                Build {
                    job: service.names.ci_job.clone(),
                    context: service.path.clone(),
                    file: format!("{}Dockerfile", service.dir),
                }
            });
        let test_job = workflow.as_ref().and_then(|w| w.test_job_for(&build.job));
        out.push(Service {
            name: service.name.clone(),
            path: service.path.clone(),
            language: service.language.to_string(),
            kind: service.kind,
            port: service.port,
            health: service.health_path.clone(),
            readiness: service.readiness_path.clone(),
            uses: service.uses.clone(),
            engines: service
                .uses
                .iter()
                .filter_map(|name| project.datastores.iter().find(|d| &d.name == name))
                .map(|d| d.engine.to_string())
                .collect(),
            build,
            test_job,
        });
    }
    Ok((out, notes))
}

/// What the checks share.
pub struct Context<'a> {
    /// The engine, or why there is none.
    pub engine: Result<&'a Engine, String>,
    /// Images that cannot be provided, with their reasons.
    pub unavailable: &'a BTreeMap<String, String>,
    /// Toolchains for the CI commands.
    pub tools: &'a Toolchains,
    /// Run the generated CI commands.
    pub ci: bool,
    /// Keep images after the case.
    pub keep: bool,
}

/// Runs every check of a rendered case; one row per service.
pub fn check(rendered: &Rendered, ctx: &Context) -> Vec<Row> {
    let name = &rendered.case.name;
    if rendered.render != Cell::Ok {
        let mut row = Row::new(name, "-");
        row.set(Column::Render, rendered.render.clone());
        row.time = rendered.render_time;
        return vec![row];
    }
    if rendered.services.is_empty() {
        let mut row = Row::new(name, "-");
        row.set(
            Column::Render,
            Cell::Fail("scaffold.toml declares no service".into()),
        );
        return vec![row];
    }
    let started = Instant::now();
    let mut rows = Vec::new();
    let mut built: BTreeMap<String, bool> = BTreeMap::new();
    let mut images = Vec::new();
    // The CI jobs run on the host while the images build in the engine: they wait on different
    // things. Compose waits for both, since CI's service containers publish the same ports.
    let ci_cells: Vec<Cell> = std::thread::scope(|scope| {
        let ci = scope.spawn(|| {
            rendered
                .services
                .iter()
                .map(|service| {
                    if ctx.ci {
                        check_ci(rendered, service, ctx)
                    } else {
                        Cell::Skip("--no-ci".into())
                    }
                })
                .collect::<Vec<Cell>>()
        });
        for service in &rendered.services {
            let mut row = Row::new(name, &service.name);
            row.set(Column::Render, Cell::Ok);
            row.set(Column::Detect, detect(&rendered.case, service));
            check_static(rendered, service, &mut row);
            let ok = check_image(rendered, service, ctx, &mut row, &mut images);
            built.insert(service.name.clone(), ok);
            rows.push(row);
        }
        ci.join().expect("the CI thread panicked")
    });
    for (row, cell) in rows.iter_mut().zip(ci_cells) {
        row.set(Column::Ci, cell);
    }
    let missed = missed_services(&rendered.case, &rendered.services);
    if !missed.is_empty()
        && let Some(first) = rows.first_mut()
    {
        let why = match first.get(Column::Detect) {
            Cell::Fail(why) => format!("{why}; {}", missed.join("; ")),
            _ => missed.join("; "),
        };
        first.set(Column::Detect, Cell::Fail(why));
    }
    check_compose(rendered, ctx, &built, &mut rows);
    // The case's wall time, on its first row (its services' checks overlap).
    if let Some(first) = rows.first_mut() {
        first.time = rendered.render_time + started.elapsed();
    }

    if let Ok(engine) = ctx.engine
        && !ctx.keep
    {
        let project = project_name(name);
        for service in &rendered.services {
            images.push(format!("{project}_{}", service.name));
            images.push(format!("{project}-{}", service.name));
        }
        engine.remove_images(&images);
        if engine.kind == super::engine::Kind::Podman {
            // The untagged build stages left behind; the stand-ins and base stay.
            let _ = engine.command().args(["image", "prune", "-f"]).output();
        }
    }
    rows
}

fn check_static(rendered: &Rendered, service: &Service, row: &mut Row) {
    let file = rendered.checkout.join(&service.build.file);
    let Ok(text) = fs::read_to_string(&file) else {
        row.set(
            Column::Static,
            Cell::Fail(format!("no Dockerfile at {}", service.build.file)),
        );
        return;
    };
    let context = rendered.checkout.join(&service.build.context);
    let ignore =
        Ignore::parse(&fs::read_to_string(context.join(".dockerignore")).unwrap_or_default());
    let paths = dockerfile::context_paths(&context);
    let mut problems =
        dockerfile::check_copies(&text, &paths, &ignore, &rendered.case.manifest.absent);
    // In the working tree scaffold wrote: a file only its owner can read keeps that mode when
    // copied into an image, so the image's non-root user cannot read it there.
    let unreadable = unreadable_files(&rendered.repo.join(&service.build.context), &paths, &ignore);
    if !unreadable.is_empty() {
        problems.push(format!(
            "files in the build context that only their owner can read, as scaffold left them in the working tree (a local `docker compose up --build` copies them into the image unreadable for its non-root user): {}",
            unreadable.join(", ")
        ));
    }
    row.set(
        Column::Static,
        if problems.is_empty() {
            Cell::Ok
        } else {
            Cell::Fail(format!(
                "{} (context {}): {}",
                service.build.file,
                service.build.context,
                problems.join("; ")
            ))
        },
    );
}

/// Files of the context (not ignored) whose mode grants no read to group and others.
fn unreadable_files(context: &Path, paths: &[String], ignore: &Ignore) -> Vec<String> {
    use std::os::unix::fs::PermissionsExt as _;
    let mut out: Vec<String> = paths
        .iter()
        .filter(|p| !ignore.excludes(p))
        .filter(|p| {
            fs::symlink_metadata(context.join(p))
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o044 == 0)
        })
        .cloned()
        .collect();
    if out.len() > 6 {
        let more = out.len() - 6;
        out.truncate(6);
        out.push(format!("and {more} more"));
    }
    out
}

/// Builds, runs and probes one service's image. Returns whether the image built.
fn check_image(
    rendered: &Rendered,
    service: &Service,
    ctx: &Context,
    row: &mut Row,
    images: &mut Vec<String>,
) -> bool {
    let skip_rest = |row: &mut Row, why: &str| {
        for column in [
            Column::Build,
            Column::Run,
            Column::Health,
            Column::Healthcheck,
        ] {
            row.set(column, Cell::Skip(why.to_owned()));
        }
    };
    let engine = match &ctx.engine {
        Ok(engine) => engine,
        Err(why) => {
            skip_rest(row, why);
            return false;
        }
    };
    let file = rendered.checkout.join(&service.build.file);
    let Ok(text) = fs::read_to_string(&file) else {
        row.set(
            Column::Build,
            Cell::Fail(format!("no Dockerfile at {}", service.build.file)),
        );
        return false;
    };
    let missing: Vec<String> = dockerfile::base_images(&text)
        .into_iter()
        .filter_map(|image| {
            ctx.unavailable
                .get(&image)
                .map(|why| format!("needs {image}: {why}"))
        })
        .collect();
    if !missing.is_empty() {
        row.set(
            Column::Build,
            Cell::Skip(format!("not buildable here: {}", missing.join("; "))),
        );
        return false;
    }
    let tag = format!(
        "localhost/e2e/{}-{}:latest",
        rendered.case.name, service.name
    );
    images.push(tag.clone());
    let log = rendered.log(&format!("build-{}", service.name));
    let context = rendered.checkout.join(&service.build.context);
    let outcome = match engine.build(&context, &file, &tag, &log) {
        Ok(outcome) => outcome,
        Err(err) => {
            row.set(Column::Build, Cell::Fail(format!("{err:#}")));
            return false;
        }
    };
    println!(
        "    build {}: {} ({}s)",
        service.name,
        if outcome.success { "ok" } else { "FAILED" },
        outcome.elapsed.as_secs()
    );
    if !outcome.success {
        row.set(Column::Build, Cell::Fail(outcome.error_line));
        return false;
    }
    row.set(Column::Build, Cell::Ok);

    let truth = rendered.case.truth(&service.path);
    let container = format!("e2e-{}-{}", rendered.case.name, service.name);
    engine.remove(std::slice::from_ref(&container));
    // The container runs as its pod will: the rendered securityContext and PORT.
    let pod = match Pod::read(&rendered.checkout, &service.name) {
        Ok(pod) => pod,
        Err(err) => {
            row.set(Column::Run, Cell::Fail(format!("{err:#}")));
            return true;
        }
    };
    if let Some(why) = pod.refusal(&engine.image_user(&tag)) {
        row.set(
            Column::Run,
            Cell::Fail(format!("the kubelet would refuse to start it: {why}")),
        );
        return true;
    }
    let options = pod.options(service.port, engine.kind == Kind::Podman);
    let Some(port) = service.port else {
        check_without_port(engine, service, &tag, &container, &options, row);
        engine.remove(std::slice::from_ref(&container));
        return true;
    };
    let host = probe::free_port();
    match engine.run(&tag, &container, Some((host, port)), &options) {
        Ok((true, _)) => {}
        Ok((false, stderr)) => {
            row.set(
                Column::Run,
                Cell::Fail(format!(
                    "the container did not start: {}",
                    shorten(&stderr, 200)
                )),
            );
            engine.remove(std::slice::from_ref(&container));
            return true;
        }
        Err(err) => {
            row.set(Column::Run, Cell::Fail(format!("{err:#}")));
            return true;
        }
    }
    let alive = || engine.running(&container);
    let answer = match &service.health {
        Some(path) => probe::wait_for(host, path, Duration::from_secs(60), alive),
        // gRPC: the harness does not speak the gRPC health protocol; it waits for the port.
        None => probe::wait_for_port(host, Duration::from_secs(60), alive),
    };
    let logs = engine.logs(&container, 40);
    fs::write(rendered.log(&format!("run-{}", service.name)), &logs).ok();
    if answer.passes() {
        row.set(Column::Run, Cell::Ok);
        row.set(
            Column::Health,
            match &service.health {
                Some(_) => Cell::Ok,
                None => Cell::NotApplicable(format!(
                    "a {} service has no HTTP health path; its port accepts connections",
                    service.kind
                )),
            },
        );
    } else if !engine.running(&container) {
        let mut why = format!("the container exited: {}", error_line(&logs));
        if let Some(hint) = kind_hint(truth, service) {
            why.push_str(&format!(" ({hint})"));
        }
        row.set(Column::Run, Cell::Fail(why));
    } else {
        row.set(Column::Run, Cell::Ok);
        let mut why = match &service.health {
            Some(path) => format!("GET {path} on :{port}: {}", answer.describe()),
            None => format!("nothing accepts connections on :{port}"),
        };
        why.push_str(&contract_hints(truth, service));
        row.set(Column::Health, Cell::Fail(why));
    }
    if engine.running(&container) {
        row.set(Column::Healthcheck, healthcheck(engine, &tag, &container));
    }
    engine.remove(std::slice::from_ref(&container));
    true
}

fn healthcheck(engine: &Engine, tag: &str, container: &str) -> Cell {
    if !engine.image_has_healthcheck(tag) {
        return Cell::NotApplicable("the image declares no HEALTHCHECK".into());
    }
    if engine.healthcheck(container, Duration::from_secs(20)) {
        Cell::Ok
    } else {
        let detail = engine
            .inspect(container, "{{json .State.Health}}")
            .or_else(|| engine.inspect(container, "{{json .State.Healthcheck}}"))
            .unwrap_or_default();
        Cell::Fail(format!(
            "the image's HEALTHCHECK fails: {}",
            last_health_log(&detail)
        ))
    }
}

/// The exit code and output of the last HEALTHCHECK run, from `inspect`'s health JSON.
fn last_health_log(json: &str) -> String {
    let value: serde_yaml_ng::Value = serde_yaml_ng::from_str(json).unwrap_or_default();
    let last = value
        .get("Log")
        .and_then(|l| l.as_sequence())
        .and_then(|l| l.last());
    match last {
        Some(entry) => {
            let code = entry
                .get("ExitCode")
                .and_then(serde_yaml_ng::Value::as_i64)
                .unwrap_or(-1);
            let output = entry
                .get("Output")
                .and_then(serde_yaml_ng::Value::as_str)
                .unwrap_or("")
                .trim();
            let output = output.split_whitespace().collect::<Vec<_>>().join(" ");
            if output.is_empty() {
                format!("exit code {code}, no output")
            } else {
                format!("exit code {code}: {}", shorten(&output, 200))
            }
        }
        None => shorten(json, 200),
    }
}

/// A worker must stay up; a job must run to completion. Either needs its datastores when it
/// has any, and is then checked in compose only.
fn check_without_port(
    engine: &Engine,
    service: &Service,
    tag: &str,
    container: &str,
    options: &[String],
    row: &mut Row,
) {
    row.set(
        Column::Health,
        Cell::NotApplicable(format!("a {} serves no HTTP", service.kind)),
    );
    if !service.uses.is_empty() {
        row.set(
            Column::Run,
            Cell::NotApplicable(format!(
                "a {} needs its datastores; it runs in the compose check",
                service.kind
            )),
        );
        row.set(
            Column::Healthcheck,
            Cell::NotApplicable("checked with its datastores in compose".into()),
        );
        return;
    }
    match engine.run(tag, container, None, options) {
        Ok((true, _)) => {}
        Ok((false, stderr)) => {
            row.set(
                Column::Run,
                Cell::Fail(format!("the container did not start: {stderr}")),
            );
            return;
        }
        Err(err) => {
            row.set(Column::Run, Cell::Fail(format!("{err:#}")));
            return;
        }
    }
    if service.kind == ServiceKind::Job {
        let deadline = Instant::now() + Duration::from_secs(120);
        while engine.running(container) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_secs(1));
        }
        let code = engine
            .inspect(container, "{{.State.ExitCode}}")
            .unwrap_or_default();
        row.set(
            Column::Run,
            if engine.running(container) {
                Cell::Fail("the job was still running after 120s".into())
            } else if code == "0" {
                Cell::Ok
            } else {
                Cell::Fail(format!(
                    "the job exited with {code}: {}",
                    error_line(&engine.logs(container, 30))
                ))
            },
        );
        row.set(
            Column::Healthcheck,
            Cell::NotApplicable("a job runs to completion".into()),
        );
        return;
    }
    std::thread::sleep(Duration::from_secs(8));
    if engine.running(container) {
        row.set(Column::Run, Cell::Ok);
        row.set(Column::Healthcheck, healthcheck(engine, tag, container));
    } else {
        row.set(
            Column::Run,
            Cell::Fail(format!(
                "the worker exited: {}",
                error_line(&engine.logs(container, 30))
            )),
        );
    }
}

/// Whether what scaffold detected for `service` (the contract in the generated `scaffold.toml`)
/// is the fixture's truth: language, kind, port, health and readiness paths, datastores.
fn detect(case: &Case, service: &Service) -> Cell {
    if case.manifest.services.is_empty() {
        return Cell::NotApplicable("an empty repository has no truth to detect".into());
    }
    let Some(truth) = case.truth(&service.path) else {
        let known: Vec<&str> = case
            .manifest
            .services
            .iter()
            .map(|t| t.path.as_str())
            .collect();
        return Cell::Fail(format!(
            "scaffold made a service of {}, which is not one (the app's services: {})",
            service.path,
            known.join(", ")
        ));
    };
    let mut wrong = Vec::new();
    if truth.language != service.language {
        wrong.push(format!(
            "language {} (the app is {})",
            service.language, truth.language
        ));
    }
    if truth.kind.contract() != service.kind {
        wrong.push(format!(
            "kind {} (the app is a {})",
            service.kind,
            truth.kind.contract()
        ));
    }
    // A static site's port is its web server's, which the recipe chooses.
    if truth.kind != super::cases::Kind::Static && truth.port != service.port {
        let show = |p: Option<u16>| p.map_or_else(|| "none".to_owned(), |p| p.to_string());
        wrong.push(format!(
            "port {} (the app listens on {})",
            show(service.port),
            show(truth.port)
        ));
    }
    for (what, real, detected) in [
        ("health path", &truth.health, &service.health),
        ("readiness path", &truth.readiness, &service.readiness),
    ] {
        // The truth names a path where the app has one; without it, any working default will do
        // (and the probes decide).
        if let Some(real) = real
            && Some(real) != detected.as_ref()
        {
            wrong.push(format!(
                "{what} {} (the app serves {real})",
                detected.as_deref().unwrap_or("none")
            ));
        }
    }
    let mut real: Vec<&str> = truth.uses.iter().map(String::as_str).collect();
    let mut detected: Vec<&str> = service.engines.iter().map(String::as_str).collect();
    real.sort_unstable();
    detected.sort_unstable();
    if real != detected {
        let show = |v: &[&str]| {
            if v.is_empty() {
                "none".to_owned()
            } else {
                v.join(", ")
            }
        };
        wrong.push(format!(
            "datastores {} (the app uses {})",
            show(&detected),
            show(&real)
        ));
    }
    if wrong.is_empty() {
        Cell::Ok
    } else {
        Cell::Fail(format!("scaffold.toml says {}", wrong.join("; ")))
    }
}

/// The app's services scaffold made no service of.
fn missed_services(case: &Case, services: &[Service]) -> Vec<String> {
    case.manifest
        .services
        .iter()
        .filter(|truth| {
            !services
                .iter()
                .any(|s| case.truth(&s.path).is_some_and(|t| t.path == truth.path))
        })
        .map(|truth| {
            format!(
                "scaffold made no service of {} (a {} {} service)",
                truth.path,
                truth.language,
                truth.kind.contract()
            )
        })
        .collect()
}

/// Where the contract differs from the fixture's truth, said after a failed probe.
fn contract_hints(truth: Option<&super::cases::Truth>, service: &Service) -> String {
    let Some(truth) = truth else {
        return String::new();
    };
    let mut hints = Vec::new();
    if let Some(health) = &truth.health
        && Some(health) != service.health.as_ref()
    {
        hints.push(format!(
            "the app serves {health}; the contract says {}",
            service.health.as_deref().unwrap_or("none")
        ));
    }
    if let Some(readiness) = &truth.readiness
        && Some(readiness) != service.readiness.as_ref()
    {
        hints.push(format!(
            "the app's readiness path is {readiness}; the contract says {}",
            service.readiness.as_deref().unwrap_or("none")
        ));
    }
    for engine in &truth.uses {
        if !service.engines.contains(engine) {
            hints.push(format!(
                "the app uses {engine}; the contract gives it no {engine} datastore"
            ));
        }
    }
    if let (Some(real), Some(port)) = (truth.port, service.port)
        && real != port
    {
        hints.push(format!(
            "the app listens on {real}; the contract says {port}"
        ));
    }
    hints.extend(kind_hint(Some(truth), service));
    if hints.is_empty() {
        String::new()
    } else {
        format!(" ({})", hints.join("; "))
    }
}

fn kind_hint(truth: Option<&super::cases::Truth>, service: &Service) -> Option<String> {
    let truth = truth?;
    (truth.kind == super::cases::Kind::Worker && service.port.is_some()).then(|| {
        format!(
            "the app is a worker with no HTTP port; the contract treats it as web on {}",
            service.port.unwrap_or_default()
        )
    })
}

/// A compose project name for a case.
pub fn project_name(case: &str) -> String {
    format!("e2e-{case}")
}

fn check_compose(
    rendered: &Rendered,
    ctx: &Context,
    built: &BTreeMap<String, bool>,
    rows: &mut [Row],
) {
    let set_all = |rows: &mut [Row], cell: Cell| {
        for row in rows.iter_mut() {
            row.set(Column::Compose, cell.clone());
        }
    };
    let engine = match &ctx.engine {
        Ok(engine) => engine,
        Err(why) => return set_all(rows, Cell::Skip(why.to_owned())),
    };
    let compose_file = compose::generated_file(&rendered.checkout);
    if !compose_file.is_file() {
        return set_all(
            rows,
            Cell::NotApplicable("no compose.yaml was generated".into()),
        );
    }
    if engine.compose.is_empty() {
        return set_all(
            rows,
            Cell::Skip("no compose front end (docker compose or podman-compose)".into()),
        );
    }
    let text = fs::read_to_string(&compose_file).unwrap_or_default();
    let missing: Vec<String> = compose::images(&text)
        .into_iter()
        .filter_map(|image| {
            ctx.unavailable
                .get(&image)
                .map(|why| format!("{image}: {why}"))
        })
        .collect();
    if !missing.is_empty() {
        return set_all(
            rows,
            Cell::Skip(format!("not runnable here: {}", missing.join("; "))),
        );
    }
    if built.values().any(|ok| !ok) {
        // A service whose image did not build would fail compose the same way; said once, above.
        for (row, service) in rows.iter_mut().zip(&rendered.services) {
            if built.get(&service.name) == Some(&true) {
                row.set(
                    Column::Compose,
                    Cell::Skip("another service of this stack did not build".into()),
                );
            }
        }
        return;
    }
    let apps: Vec<AppProbe> = rendered
        .services
        .iter()
        .map(|s| AppProbe {
            service: s.name.clone(),
            port: s.port,
            // Liveness, then readiness (which proves compose hands the app working datastore URLs).
            paths: s
                .health
                .iter()
                .chain(s.readiness.iter().filter(|r| Some(*r) != s.health.as_ref()))
                .cloned()
                .collect(),
            optional: s.kind == ServiceKind::Job,
        })
        .collect();
    let started = Instant::now();
    let result = compose::check(
        engine,
        &rendered.checkout,
        &project_name(&rendered.case.name),
        &apps,
        &rendered.log("compose"),
    );
    println!(
        "    compose: {} ({}s)",
        if result.is_ok() { "up" } else { "FAILED" },
        started.elapsed().as_secs()
    );
    match result {
        Err(why) => set_all(rows, Cell::Fail(why)),
        Ok(results) => {
            for (row, service) in rows.iter_mut().zip(&rendered.services) {
                let cell = match results.iter().find(|r| r.service == service.name) {
                    Some(result) => match &result.outcome {
                        Ok(()) => Cell::Ok,
                        Err(why) => Cell::Fail(format!(
                            "{why}{}",
                            contract_hints(rendered.case.truth(&service.path), service)
                        )),
                    },
                    None => Cell::Fail("not probed".into()),
                };
                row.set(Column::Compose, cell);
            }
        }
    }
}

fn check_ci(rendered: &Rendered, service: &Service, ctx: &Context) -> Cell {
    let Some(job) = &service.test_job else {
        return Cell::Fail(format!(
            "ci.yml has no lint and test job before {}",
            service.build.job
        ));
    };
    let missing: Vec<String> = job
        .services
        .iter()
        .filter_map(|s| {
            ctx.unavailable
                .get(&s.image)
                .map(|why| format!("{}: {why}", s.image))
        })
        .collect();
    if !missing.is_empty() {
        return Cell::Skip(format!(
            "not runnable here: its service containers: {}",
            missing.join("; ")
        ));
    }
    let work = rendered.dir.join(format!("ci-{}", service.name));
    // Each job starts from its own clone of what was pushed, as a runner's checkout does.
    let checkout = work.join("checkout");
    let _ = fs::remove_dir_all(&work);
    if let Err(err) = fs::create_dir_all(&work)
        .map_err(anyhow::Error::from)
        .and_then(|()| clone(&rendered.repo, &checkout))
    {
        return Cell::Fail(format!("checking out: {err:#}"));
    }
    let engine = ctx.engine.as_ref().ok().copied();
    match ci::run(
        job,
        &checkout,
        &work,
        ctx.tools,
        engine,
        &rendered.log(&format!("ci-{}", service.name)),
    ) {
        Ok((JobResult::Passed(annotations), _)) => {
            // A CI that skips the app's tests is green and proves nothing.
            let skipped: Vec<String> = annotations
                .iter()
                .filter(|(_, a)| {
                    a.to_ascii_lowercase().contains("skip")
                        && a.to_ascii_lowercase().contains("test")
                })
                .map(|(step, a)| format!("step `{step}`: {a}"))
                .collect();
            if rendered.case.manifest.tests && !skipped.is_empty() {
                Cell::Fail(format!(
                    "job {} runs none of the app's tests: {}",
                    job.id,
                    skipped.join("; ")
                ))
            } else {
                Cell::Ok
            }
        }
        Ok((JobResult::Failed(why), _)) => Cell::Fail(format!("job {}: {why}", job.id)),
        Ok((JobResult::NotRunnable(why), _)) => Cell::Skip(format!("not runnable here: {why}")),
        Err(err) => Cell::Fail(format!("job {}: {err:#}", job.id)),
    }
}

#[cfg(test)]
mod tests {
    use super::super::cases::{Kind, Manifest, Source, Truth};
    use super::*;

    fn case(truths: Vec<Truth>) -> Case {
        Case {
            name: "app".into(),
            source: Source::Starter("node".into()),
            manifest: Manifest {
                about: "an app".into(),
                services: truths,
                ..Manifest::default()
            },
            answers: None,
        }
    }

    fn express() -> Truth {
        Truth {
            path: ".".into(),
            language: "node".into(),
            kind: Kind::Web,
            port: Some(3000),
            health: Some("/healthz".into()),
            readiness: None,
            uses: vec!["postgres".into()],
        }
    }

    fn detected() -> Service {
        Service {
            name: "app".into(),
            path: ".".into(),
            language: "node".into(),
            kind: ServiceKind::Web,
            port: Some(3000),
            health: Some("/healthz".into()),
            readiness: Some("/readyz".into()),
            uses: vec!["db".into()],
            engines: vec!["postgres".into()],
            build: Build {
                job: "build-app".into(),
                context: ".".into(),
                file: "Dockerfile".into(),
            },
            test_job: None,
        }
    }

    #[test]
    fn detection_matching_the_truth_passes() {
        // The truth names no readiness path, so any is fine.
        assert_eq!(detect(&case(vec![express()]), &detected()), Cell::Ok);
    }

    #[test]
    fn every_difference_from_the_truth_is_named() {
        let service = Service {
            language: "python".into(),
            kind: ServiceKind::Worker,
            port: None,
            health: None,
            engines: vec!["redis".into()],
            ..detected()
        };
        let Cell::Fail(why) = detect(&case(vec![express()]), &service) else {
            panic!("a wrong detection passed");
        };
        assert_eq!(
            why,
            "scaffold.toml says language python (the app is node); kind worker (the app is a web); \
             port none (the app listens on 3000); health path none (the app serves /healthz); \
             datastores redis (the app uses postgres)"
        );
    }

    #[test]
    fn a_static_site_is_web_in_the_static_language_on_any_port() {
        let truth = Truth {
            language: "static".into(),
            kind: Kind::Static,
            port: None,
            health: None,
            uses: Vec::new(),
            ..express()
        };
        let service = Service {
            language: "static".into(),
            port: Some(8080),
            engines: Vec::new(),
            ..detected()
        };
        assert_eq!(detect(&case(vec![truth.clone()]), &service), Cell::Ok);
        let node = Service {
            language: "node".into(),
            ..service
        };
        assert!(matches!(detect(&case(vec![truth]), &node), Cell::Fail(_)));
    }

    #[test]
    fn services_made_of_the_wrong_folders_and_missed_ones_fail() {
        let api = Truth {
            path: "apps/api".into(),
            ..express()
        };
        let c = case(vec![api]);
        let root = detected();
        assert!(matches!(detect(&c, &root), Cell::Fail(why) if why.contains("not one")));
        assert_eq!(
            missed_services(&c, &[root]),
            ["scaffold made no service of apps/api (a node web service)"]
        );
        let found = Service {
            path: "apps/api/".into(),
            ..detected()
        };
        assert!(missed_services(&c, &[found]).is_empty());
    }

    #[test]
    fn starters_have_no_truth() {
        assert!(matches!(
            detect(&case(Vec::new()), &detected()),
            Cell::NotApplicable(_)
        ));
    }
}
