//! The interactive wizard of `scaffold new` (and the parts `scaffold add` reuses).
//!
//! It asks, with dialoguer, only what detection could not know, each question
//! with a default that Enter accepts and a line of help. Every answer is
//! checked at the prompt by core's own validation (so the prompt rejects
//! exactly what `scaffold.toml` would, with the same reason) and asked again
//! when invalid. The answers accumulate in a [`Draft`], which maps to
//! [`Answers`] by a pure function tested in-process.
//!
//! Nothing is written here. Ctrl-C at any prompt ends the process with
//! "cancelled; nothing was written" and exit code 130, after restoring the
//! cursor that dialoguer's menus hide.

pub mod draft;

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Result, anyhow};
use dialoguer::console::{Term, style};
use dialoguer::theme::ColorfulTheme;
use dialoguer::{Confirm, Input, MultiSelect, Select};
use scaffold_core::answers::{DatastoreAnswers, EnvironmentAnswers, ServiceAnswers};
use scaffold_core::project::{Facts, MAX_ENV_NAME_LEN, MAX_NAME_LEN, check_name, normalize_path};
use scaffold_core::regions;
use scaffold_core::sizing::Sizing;
use scaffold_core::{
    Answers, Availability, Engine, Language, Project, Provider, Runners, ServiceKind, Strategy,
    Targets, Tier,
};
use scaffold_render::{Engine as Templates, answers_file};

use crate::detect::Detection;
use crate::exit::{self, Failure, invalid};
use crate::set;
pub use draft::Draft;

/// True while the wizard is asking, so an interrupt knows nothing was written.
static ASKING: AtomicBool = AtomicBool::new(false);
/// Set by the first interrupt, so a second one does not print twice.
static CANCELLING: AtomicBool = AtomicBool::new(false);

/// Ends the process after an interrupt: restores the cursor, says what happened, exits 130.
fn cancel() -> ! {
    if CANCELLING.swap(true, Ordering::SeqCst) {
        // The other path (signal handler or prompt error) is already exiting.
        loop {
            std::thread::park();
        }
    }
    let term = Term::stderr();
    let _ = term.show_cursor();
    let _ = term.write_line("");
    if ASKING.load(Ordering::SeqCst) {
        eprintln!("error: cancelled; nothing was written");
    } else {
        eprintln!("error: interrupted");
    }
    std::process::exit(i32::from(exit::CANCELLED));
}

/// Routes Ctrl-C to [`cancel`]. dialoguer reads keys in raw mode and raises
/// SIGINT itself on Ctrl-C, so the handler covers both that and a Ctrl-C
/// typed while no prompt is reading.
fn install_interrupt_handler() {
    ASKING.store(true, Ordering::SeqCst);
    // An error means a handler is already installed (a second wizard run in one process).
    let _ = ctrlc::set_handler(|| cancel());
}

/// Unwraps a prompt's result; an interrupt cancels, other errors are terminal failures.
fn answer<T>(result: dialoguer::Result<T>) -> Result<T> {
    match result {
        Ok(value) => Ok(value),
        Err(dialoguer::Error::IO(err)) if err.kind() == io::ErrorKind::Interrupted => cancel(),
        Err(err) => Err(anyhow!("reading an answer from the terminal: {err}")),
    }
}

/// The `--set` keys given on the command line, without their values.
fn preset_keys(sets: &[String]) -> Vec<String> {
    sets.iter()
        .map(|s| {
            s.split_once('=')
                .map_or(s.as_str(), |(k, _)| k)
                .trim()
                .to_owned()
        })
        .collect()
}

/// What the wizard starts from.
pub struct Start<'a> {
    /// The repository root.
    pub root: &'a Path,
    /// What detection found.
    pub detection: &'a Detection,
    /// What the CLI knows from git.
    pub facts: &'a Facts,
    /// The app name proposed (from the folder).
    pub app: &'a str,
    /// `--set KEY=VALUE` answers given on the command line; those keys are not asked.
    pub sets: &'a [String],
    /// The existing `scaffold.toml` to start from (`new --force`), instead of detection.
    pub existing: Option<&'a str>,
}

/// The parts of the answers the summary can send the user back to.
const SECTIONS: &[&str] = &[
    "Application and repository",
    "Services",
    "Datastores",
    "Environments",
    "Availability",
    "Cloud and regions",
    "Delivery",
    "Team",
];

/// Runs the whole `scaffold new` wizard and returns the confirmed answers.
///
/// Every question is asked once; then the summary is the last thing on the
/// screen before the confirmation, and declining goes back to one part of
/// the answers (as many times as needed) instead of discarding them all.
pub fn run_new(start: &Start<'_>) -> Result<Answers> {
    // Start from the existing answers (`--force`), or exactly what `--defaults`
    // would write, with `--set` applied either way.
    let text = match start.existing {
        Some(text) => text.to_owned(),
        None => answers_file::render(&start.detection.answers(start.app), &Templates::new())?,
    };
    let text = set::apply(&text, start.sets)?;
    let parsed = Answers::read(&text).map_err(|err| {
        invalid(format!(
            "the answers to start from have problems\n{}",
            set::explain(err, start.sets, start.existing)
        ))
    })?;
    let mut wizard = Wizard {
        theme: ColorfulTheme::default(),
        term: Term::stderr(),
        facts: start.facts.clone(),
        preset: preset_keys(start.sets),
        draft: Draft::from_answers(&parsed.answers),
        root: Some(start.root.to_path_buf()),
    };
    if wizard.preset("cloud.provider") {
        // A cloud chosen with --set brings its own region and registry defaults.
        let provider = wizard.draft.provider;
        if !wizard.preset("cloud.region") {
            wizard.draft.region = provider.default_region().to_owned();
        }
        if !wizard.preset("delivery.registry") {
            wizard.draft.registry = draft::fit_registry(wizard.draft.registry, provider);
        }
    }
    install_interrupt_handler();
    if start.existing.is_some() {
        wizard.say(
            style("scaffold: starting from the existing scaffold.toml (--force)")
                .bold()
                .to_string(),
        )?;
        for problem in &parsed.problems {
            wizard.help(&format!("left out: {problem}"))?;
        }
    } else {
        wizard.introduce(start.detection)?;
    }
    for section in 0..SECTIONS.len() {
        wizard.section(section)?;
    }
    let mut every_file = false;
    loop {
        let answers = wizard.draft.to_answers();
        let ready = match Project::resolve(&answers, &wizard.facts) {
            Ok(project) => {
                wizard.summary(&project, start.root, every_file)?;
                true
            }
            Err(err) => {
                wizard.heading("These answers need a change")?;
                for problem in err.problems() {
                    wizard.say(format!("  {problem}"))?;
                }
                false
            }
        };
        let mut items = Vec::new();
        if ready {
            items.push("Yes, write them");
        }
        items.push("No, change an answer");
        if ready && !every_file {
            items.push("Show every file");
        }
        items.push("Quit without writing anything");
        let items: Vec<String> = items.into_iter().map(str::to_owned).collect();
        let choice = wizard.select("Write scaffold.toml and these files?", &items, 0)?;
        match items[choice].as_str() {
            "Yes, write them" => {
                ASKING.store(false, Ordering::SeqCst);
                return Ok(answers);
            }
            "Show every file" => every_file = true,
            "No, change an answer" => {
                let section = wizard.select(
                    "Change which answers?",
                    &SECTIONS.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>(),
                    0,
                )?;
                // Asked for explicitly, so a `--set` no longer keeps it from being asked.
                wizard.preset.clear();
                wizard.section(section)?;
            }
            _ => {
                ASKING.store(false, Ordering::SeqCst);
                return Err(Failure {
                    code: exit::CANCELLED,
                    message: "quit; nothing was written".to_owned(),
                }
                .into());
            }
        }
    }
}

/// The prompts, over a draft.
pub struct Wizard {
    theme: ColorfulTheme,
    term: Term,
    facts: Facts,
    preset: Vec<String>,
    /// The answers so far.
    pub draft: Draft,
    /// The repository root, where a service's folder must exist; `None` skips that check.
    root: Option<PathBuf>,
}

impl Wizard {
    /// A wizard over `draft` for `scaffold add`.
    pub fn for_add(draft: Draft, facts: Facts) -> Wizard {
        install_interrupt_handler();
        Wizard {
            theme: ColorfulTheme::default(),
            term: Term::stderr(),
            facts,
            preset: Vec::new(),
            draft,
            root: None,
        }
    }

    /// Asks one part of the answers, by its index in [`SECTIONS`].
    fn section(&mut self, section: usize) -> Result<()> {
        match section {
            0 => self.app(),
            1 => self.services(),
            2 => self.datastores(),
            3 => self.environments(),
            4 => self.availability(),
            5 => self.cloud(),
            6 => self.delivery(),
            _ => self.team(),
        }
    }

    /// Marks the end of asking: an interrupt from now on no longer says "nothing was written".
    pub fn done(&self) {
        ASKING.store(false, Ordering::SeqCst);
    }

    fn preset(&self, prefix: &str) -> bool {
        self.preset.iter().any(|k| {
            k == prefix
                || k.starts_with(&format!("{prefix}."))
                || k.starts_with(&format!("{prefix}["))
        })
    }

    fn say(&self, text: impl AsRef<str>) -> Result<()> {
        self.term.write_line(text.as_ref())?;
        Ok(())
    }

    fn help(&self, text: &str) -> Result<()> {
        self.say(format!("  {}", style(text).dim()))
    }

    fn heading(&self, text: &str) -> Result<()> {
        self.say("")?;
        self.say(style(text).bold().to_string())
    }

    /// A free-text question with a default, checked by `check` until it passes.
    fn input(
        &self,
        prompt: &str,
        default: &str,
        mut check: impl FnMut(&str) -> Result<(), String>,
    ) -> Result<String> {
        let mut input = Input::<String>::with_theme(&self.theme).with_prompt(prompt);
        if !default.is_empty() {
            input = input.default(default.to_owned());
        }
        answer(
            input
                .validate_with(move |value: &String| check(value.trim()))
                .interact_text(),
        )
        .map(|v| v.trim().to_owned())
    }

    /// A free-text question whose answer may be empty; `current` is pre-filled and can be erased.
    fn optional(
        &self,
        prompt: &str,
        current: &str,
        mut check: impl FnMut(&str) -> Result<(), String>,
    ) -> Result<String> {
        answer(
            Input::<String>::with_theme(&self.theme)
                .with_prompt(prompt)
                .with_initial_text(current)
                .allow_empty(true)
                .validate_with(move |value: &String| check(value.trim()))
                .interact_text(),
        )
        .map(|v| v.trim().to_owned())
    }

    fn select(&self, prompt: &str, items: &[String], default: usize) -> Result<usize> {
        answer(
            Select::with_theme(&self.theme)
                .with_prompt(prompt)
                .items(items)
                .default(default)
                .interact_on(&self.term),
        )
    }

    fn multi(&self, prompt: &str, items: &[String], defaults: &[bool]) -> Result<Vec<usize>> {
        self.help("space toggles, enter accepts")?;
        answer(
            MultiSelect::with_theme(&self.theme)
                .with_prompt(prompt)
                .items(items)
                .defaults(defaults)
                .interact_on(&self.term),
        )
    }

    fn confirm(&self, prompt: &str, default: bool) -> Result<bool> {
        answer(
            Confirm::with_theme(&self.theme)
                .with_prompt(prompt)
                .default(default)
                .interact_on(&self.term),
        )
    }

    /// A check that puts `value` into a copy of the draft with `put` and asks core about `key`.
    fn core_check<'a>(
        &'a self,
        key: &'a str,
        put: impl Fn(&mut Draft, &str) + 'a,
    ) -> impl FnMut(&str) -> Result<(), String> + 'a {
        move |value: &str| {
            let mut draft = self.draft.clone();
            put(&mut draft, value);
            draft.problem_at(key, &self.facts).map_or(Ok(()), Err)
        }
    }

    /// Shows what detection found, with the evidence.
    fn introduce(&self, detection: &Detection) -> Result<()> {
        self.say(
            style("scaffold: a production-grade DevOps setup for your application")
                .bold()
                .to_string(),
        )?;
        self.help(
            "Enter accepts the default shown in brackets; Ctrl-C stops without writing anything.",
        )?;
        if detection.is_empty() {
            self.say("\nNo services were detected in this folder, so scaffold proposes one Node service at the root.")?;
        } else {
            self.say(format!(
                "\nDetected {} service(s):",
                detection.services.len()
            ))?;
            for service in &detection.services {
                self.say(format!(
                    "  {} ({}, {}) at {}",
                    style(&service.name).cyan(),
                    service.language,
                    service.package_manager,
                    service.path
                ))?;
                for line in &service.evidence {
                    self.help(&format!("  - {line}"))?;
                }
            }
            for datastore in &detection.datastores {
                self.say(format!(
                    "  datastore {} ({})",
                    style(&datastore.name).cyan(),
                    datastore.engine
                ))?;
                for line in &datastore.evidence {
                    self.help(&format!("  - {line}"))?;
                }
            }
        }
        for note in &detection.notes {
            self.help(note)?;
        }
        if let Some(origin) = &self.facts.origin {
            self.say(format!(
                "GitHub repository {} (from the git remote `origin`)",
                style(origin).cyan()
            ))?;
        }
        Ok(())
    }

    fn app(&mut self) -> Result<()> {
        self.heading("Application")?;
        if !self.preset("app.name") {
            self.help("Names images, namespaces and cloud resources: lowercase letters, digits and '-', starting with a letter, at most 30 characters.")?;
            let current = self.draft.name.clone();
            self.draft.name = self.input("App name", &current, |v| {
                check_name(v, MAX_NAME_LEN).map_err(|m| format!("the app name {m}"))
            })?;
        }
        if self.facts.origin.is_none() && !self.preset("app.repository") {
            self.help("No GitHub `origin` remote was found. The repository names CI identities and image paths; leave empty to set it later.")?;
            let current = self.draft.repository.clone().unwrap_or_default();
            let check = self.core_check("app.repository", |d, v| {
                d.repository = (!v.is_empty()).then(|| draft::repository_from(v));
            });
            let value =
                self.optional("GitHub repository (owner/name or its URL)", &current, check)?;
            self.draft.repository = (!value.is_empty()).then(|| draft::repository_from(&value));
        }
        Ok(())
    }

    fn show_services(&self) -> Result<()> {
        for s in &self.draft.services {
            let language = s.language.map_or("?".to_owned(), |l| l.to_string());
            let port = s
                .port
                .unwrap_or_else(|| s.language.map_or(0, |l| i64::from(l.default_port())));
            let uses = s.uses.clone().unwrap_or_default();
            self.say(format!(
                "  {} {language} at {} port {port}{}{}",
                style(&s.name).cyan(),
                s.path.as_deref().unwrap_or("."),
                if s.public.unwrap_or(false) {
                    ", public"
                } else {
                    ", internal"
                },
                if uses.is_empty() {
                    String::new()
                } else {
                    format!(", uses {}", uses.join(", "))
                }
            ))?;
        }
        Ok(())
    }

    fn services(&mut self) -> Result<()> {
        if self.preset("services") {
            return Ok(());
        }
        self.heading("Services")?;
        self.help(
            "Each service gets a Dockerfile, CI, a Kubernetes deployment and cloud identity.",
        )?;
        loop {
            self.show_services()?;
            let items = [
                "Keep these services",
                "Edit a service",
                "Add a service",
                "Remove a service",
            ]
            .map(str::to_owned);
            match self.select("Services", &items, 0)? {
                0 => return Ok(()),
                1 => {
                    let index = self.pick_service("Which service?")?;
                    let service = self.ask_service(Some(index))?;
                    self.draft.services[index] = service;
                }
                2 => {
                    let service = self.ask_service(None)?;
                    self.draft.services.push(service);
                }
                _ => {
                    if self.draft.services.len() == 1 {
                        self.help("The app needs at least one service; edit it instead.")?;
                        continue;
                    }
                    let index = self.pick_service("Remove which service?")?;
                    self.draft.services.remove(index);
                }
            }
        }
    }

    fn pick_service(&self, prompt: &str) -> Result<usize> {
        let names: Vec<String> = self.draft.services.iter().map(|s| s.name.clone()).collect();
        self.select(prompt, &names, 0)
    }

    /// Asks every answer of one service: a new one when `index` is `None`.
    pub fn ask_service(&self, index: Option<usize>) -> Result<ServiceAnswers> {
        let current = index
            .and_then(|i| self.draft.services.get(i).cloned())
            .unwrap_or_default();
        let others: Vec<&ServiceAnswers> = self
            .draft
            .services
            .iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != index)
            .map(|(_, s)| s)
            .collect();
        let datastores: Vec<String> = self
            .draft
            .datastores
            .iter()
            .map(|d| d.name.clone())
            .collect();

        self.help(
            "Service name: lowercase letters, digits and '-', unique, and not a datastore's name.",
        )?;
        let name = self.input("Service name", &current.name, |v| {
            check_name(v, MAX_NAME_LEN).map_err(|m| format!("the service name {m}"))?;
            if others.iter().any(|s| s.name == v) {
                return Err(format!("a service named `{v}` already exists"));
            }
            if datastores.iter().any(|d| d == v) {
                return Err(format!(
                    "`{v}` is a datastore's name; services and datastores share one namespace"
                ));
            }
            Ok(())
        })?;

        let languages: Vec<String> = Language::ALL
            .iter()
            .map(|l| format!("{l:<7} {}", language_help(*l)))
            .collect();
        let old_language = current.language.unwrap_or(Language::Node);
        let at = Language::ALL
            .iter()
            .position(|l| *l == old_language)
            .unwrap_or(0);
        let language = Language::ALL[self.select("Language", &languages, at)?];

        let managers = language.package_managers();
        let package_manager = if managers.len() > 1 {
            let old = current
                .package_manager
                .filter(|m| managers.contains(m))
                .unwrap_or_else(|| language.default_package_manager());
            let items: Vec<String> = managers
                .iter()
                .map(|m| format!("{m:<7} builds from {}", m.lockfile()))
                .collect();
            let at = managers.iter().position(|m| *m == old).unwrap_or(0);
            managers[self.select("Package manager", &items, at)?]
        } else {
            language.default_package_manager()
        };

        self.help(
            "The folder holding its code, relative to the repository root (`.` for the root).",
        )?;
        let default_path = current
            .path
            .clone()
            .unwrap_or_else(|| format!("services/{name}"));
        let root = self.root.clone();
        let path = self.input("Path", &default_path, |v| {
            let path = normalize_path(v)?;
            if let Some(root) = &root
                && !root.join(&path).is_dir()
            {
                return Err(format!(
                    "there is no folder `{path}` in the repository; create it first, or give the folder that holds the service's code"
                ));
            }
            match others.iter().find(|s| {
                normalize_path(s.path.as_deref().unwrap_or(".")).ok() == Some(path.clone())
            }) {
                Some(s) => Err(format!(
                    "service `{}` already uses `{path}`; each service needs its own folder",
                    s.name
                )),
                None => Ok(()),
            }
        })?;
        let path = normalize_path(&path).map_err(|m| anyhow!(m))?;

        let kind = if language == Language::Static {
            ServiceKind::Web
        } else {
            let kinds: Vec<String> = ServiceKind::ALL
                .iter()
                .map(|k| format!("{k:<7} {}", kind_help(*k)))
                .collect();
            let old = current.kind.unwrap_or(ServiceKind::Web);
            let at = ServiceKind::ALL.iter().position(|k| *k == old).unwrap_or(0);
            ServiceKind::ALL[self.select("Kind", &kinds, at)?]
        };

        let port = if kind.listens() {
            let default_port = match current.port {
                Some(port) if current.language == Some(language) => port,
                _ => i64::from(language.default_port()),
            };
            self.help("The port it listens on inside the container (1024 to 65535; containers run without root).")?;
            let port = self.input("Port", &default_port.to_string(), |v| {
                match v.parse::<u32>() {
                    Ok(p) if (1024..=65535).contains(&p) => Ok(()),
                    Ok(p) if p < 1024 => Err(format!("port {p} is privileged; containers run as a non-root user, so use 1024 to 65535, such as 8080")),
                    _ if v == "none" => Err(format!("a {kind} service listens on a port; choose the kind `worker` for one that does not")),
                    _ => Err(format!("`{v}` is not a port from 1024 to 65535")),
                }
            })?;
            Some(
                port.parse::<i64>()
                    .map_err(|_| anyhow!("port {port} is not a number"))?,
            )
        } else {
            None
        };

        let schedule = if kind == ServiceKind::Job {
            self.help("When it runs, as five cron fields in UTC: minute hour day-of-month month day-of-week (`0 3 * * *` is 03:00 every day).")?;
            let old = current
                .schedule
                .clone()
                .unwrap_or_else(|| "0 3 * * *".to_owned());
            Some(self.input("Schedule", &old, |v| {
                scaffold_core::project::check_cron(v)
                    .map_err(|m| format!("`{v}` is not a cron schedule: {m}"))
            })?)
        } else {
            None
        };

        let public = if kind.serves_http() {
            self.help("Public services are reachable from the internet through the ingress; others only inside the cluster.")?;
            self.confirm(
                "Public?",
                current
                    .public
                    .unwrap_or(language == Language::Static || index.is_none()),
            )?
        } else {
            false
        };

        let uses = if !datastores.is_empty() && language != Language::Static {
            let current_uses = current.uses.clone().unwrap_or_default();
            let defaults: Vec<bool> = datastores
                .iter()
                .map(|d| current_uses.contains(d))
                .collect();
            let picked = self.multi(
                "Which datastores does it connect to?",
                &datastores,
                &defaults,
            )?;
            Some(picked.into_iter().map(|i| datastores[i].clone()).collect())
        } else {
            current.uses.clone()
        };

        // Paths that only web services have do not survive a change of kind.
        let http = kind.serves_http();
        Ok(ServiceAnswers {
            name,
            language: Some(language),
            package_manager: Some(package_manager),
            path: Some(path),
            kind: (kind != ServiceKind::Web).then_some(kind),
            port,
            schedule,
            health_path: current.health_path.clone().filter(|_| http),
            readiness_path: current.readiness_path.clone().filter(|_| http),
            metrics_path: current
                .metrics_path
                .clone()
                .filter(|_| http || current.metrics_path.as_deref() == Some("none")),
            uses,
            public: Some(public),
            ..current
        })
    }

    fn datastores(&mut self) -> Result<()> {
        if self.preset("datastores") {
            return Ok(());
        }
        self.heading("Datastores")?;
        self.help("Each becomes a managed database or cache per environment, a container for local development, and a secret.")?;
        loop {
            if self.draft.datastores.is_empty() {
                self.say("  (none)")?;
            }
            for d in &self.draft.datastores {
                let users: Vec<&str> = self
                    .draft
                    .services
                    .iter()
                    .filter(|s| s.uses.as_ref().is_some_and(|u| u.contains(&d.name)))
                    .map(|s| s.name.as_str())
                    .collect();
                self.say(format!(
                    "  {} {}{}",
                    style(&d.name).cyan(),
                    d.engine.map_or("?".to_owned(), |e| e.to_string()),
                    if users.is_empty() {
                        String::new()
                    } else {
                        format!(", used by {}", users.join(", "))
                    }
                ))?;
            }
            let mut items = vec![
                "Keep these datastores".to_owned(),
                "Add a datastore".to_owned(),
            ];
            if !self.draft.datastores.is_empty() {
                items.push("Remove a datastore".to_owned());
            }
            match self.select("Datastores", &items, 0)? {
                0 => return Ok(()),
                1 => {
                    let (datastore, used_by) = self.ask_datastore()?;
                    self.draft.add_datastore(datastore, &used_by);
                }
                _ => {
                    let names: Vec<String> = self
                        .draft
                        .datastores
                        .iter()
                        .map(|d| d.name.clone())
                        .collect();
                    let index = self.select("Remove which datastore?", &names, 0)?;
                    self.draft.remove_datastore(&names[index]);
                }
            }
        }
    }

    /// Asks for a new datastore and the services that use it.
    pub fn ask_datastore(&self) -> Result<(DatastoreAnswers, Vec<String>)> {
        let engines: Vec<String> = Engine::ALL
            .iter()
            .map(|e| {
                let provider = self.draft.provider;
                match e.offering(provider) {
                    Some(offering) => {
                        format!("{e:<9} {} {}", offering.product, offering.default_version)
                    }
                    None => format!("{e:<9} (not offered on {provider})"),
                }
            })
            .collect();
        let engine = Engine::ALL[self.select("Engine", &engines, 0)?];
        let taken: BTreeSet<String> = self
            .draft
            .datastores
            .iter()
            .map(|d| d.name.clone())
            .chain(self.draft.services.iter().map(|s| s.name.clone()))
            .collect();
        let suggested = [
            if engine == Engine::Redis {
                "cache"
            } else {
                "db"
            },
            engine.as_str(),
        ]
        .into_iter()
        .find(|n| !taken.contains(*n))
        .unwrap_or_default();
        let name = self.input("Datastore name", suggested, |v| {
            check_name(v, MAX_NAME_LEN).map_err(|m| format!("the datastore name {m}"))?;
            if taken.contains(v) {
                return Err(format!("`{v}` is already a service or datastore name"));
            }
            Ok(())
        })?;
        let services: Vec<String> = self.draft.services.iter().map(|s| s.name.clone()).collect();
        let defaults: Vec<bool> = self
            .draft
            .services
            .iter()
            .map(|s| s.language != Some(Language::Static))
            .collect();
        let picked = self.multi("Which services connect to it?", &services, &defaults)?;
        Ok((
            DatastoreAnswers {
                name,
                engine: Some(engine),
                version: None,
            },
            picked.into_iter().map(|i| services[i].clone()).collect(),
        ))
    }

    /// Asks for a new environment; returns it and its index in promotion order.
    pub fn ask_environment(&self, name: Option<&str>) -> Result<(EnvironmentAnswers, usize)> {
        let envs = &self.draft.environments;
        let taken: Vec<String> = envs.iter().map(|e| e.name.clone()).collect();
        self.help("Environment name: lowercase letters, digits and '-', at most 16 characters.")?;
        let name = self.input("Environment name", name.unwrap_or_default(), |v| {
            check_name(v, MAX_ENV_NAME_LEN).map_err(|m| format!("the environment name {m}"))?;
            if taken.iter().any(|t| t == v) {
                return Err(format!("an environment named `{v}` already exists"));
            }
            Ok(())
        })?;
        let mut items = vec!["first, before every other".to_owned()];
        items.extend(taken.iter().map(|t| format!("after {t}")));
        let default = draft::insertion_index(envs, &name);
        let index = self.select("Where in the promotion order?", &items, default)?;
        let branch = self.optional(
            "Branch that deploys it on push (empty: by promotion)",
            "",
            |v| {
                if v.is_empty() {
                    return Ok(());
                }
                let mut draft = self.draft.clone();
                draft.environments = vec![EnvironmentAnswers {
                    name: name.clone(),
                    branch: Some(v.to_owned()),
                    ..EnvironmentAnswers::default()
                }];
                draft
                    .problem_at("environments[0].branch", &self.facts)
                    .map_or(Ok(()), Err)
            },
        )?;
        let approval = self.confirm(
            "Wait for a reviewer's approval?",
            draft::default_approval(&name, &[]),
        )?;
        Ok((
            EnvironmentAnswers {
                name,
                branch: (!branch.is_empty()).then_some(branch),
                approval: Some(approval),
                ..EnvironmentAnswers::default()
            },
            index,
        ))
    }

    fn environments(&mut self) -> Result<()> {
        if self.preset("environments") {
            return Ok(());
        }
        self.heading("Environments")?;
        self.help("Each environment gets its own cluster namespace, datastores and GitHub environment; releases are promoted through them in order.")?;
        let previous = self.draft.environments.clone();
        let names = loop {
            let standard: Vec<String> = draft::STANDARD_ENVIRONMENTS
                .iter()
                .map(|s| (*s).to_owned())
                .collect();
            let defaults: Vec<bool> = standard
                .iter()
                .map(|s| previous.iter().any(|e| &e.name == s))
                .collect();
            let picked = self.multi("Environments", &standard, &defaults)?;
            let chosen: Vec<&str> = picked
                .iter()
                .map(|i| draft::STANDARD_ENVIRONMENTS[*i])
                .collect();
            let custom_now: Vec<String> = previous
                .iter()
                .filter(|e| !draft::STANDARD_ENVIRONMENTS.contains(&e.name.as_str()))
                .map(|e| e.name.clone())
                .collect();
            self.help("Other environments, comma-separated (such as `qa, perf`); they go before production.")?;
            let custom = self.optional("Other environments", &custom_now.join(", "), |v| {
                for name in draft::split_list(v) {
                    check_name(&name, MAX_ENV_NAME_LEN)
                        .map_err(|m| format!("the environment name {m}"))?;
                }
                Ok(())
            })?;
            let names = draft::order_environments(&chosen, &draft::split_list(&custom));
            if names.is_empty() {
                self.help("Choose at least one environment.")?;
                continue;
            }
            break names;
        };

        let any_branch = previous
            .iter()
            .any(|e| names.contains(&e.name) && e.branch.is_some());
        let defaults: Vec<bool> = names
            .iter()
            .enumerate()
            .map(|(i, n)| {
                previous
                    .iter()
                    .find(|e| &e.name == n)
                    .map_or(!any_branch && i == 0, |e| e.branch.is_some())
            })
            .collect();
        self.help(
            "Environments that deploy on every push to a branch; the others deploy by promotion.",
        )?;
        let auto = self.multi("Which deploy automatically on a push?", &names, &defaults)?;
        let mut branches = BTreeMap::new();
        for (n, index) in auto.iter().enumerate() {
            let name = &names[*index];
            let default = draft::default_branch(name, &previous, n + 1 == auto.len());
            let branch = self.input(&format!("Branch that deploys {name}"), &default, |v| {
                let mut draft = self.draft.clone();
                draft.environments = vec![EnvironmentAnswers {
                    name: name.clone(),
                    branch: Some(v.to_owned()),
                    ..Default::default()
                }];
                draft
                    .problem_at("environments[0].branch", &self.facts)
                    .map_or(Ok(()), Err)
            })?;
            branches.insert(name.clone(), branch);
        }
        let defaults: Vec<bool> = names
            .iter()
            .map(|n| draft::default_approval(n, &previous))
            .collect();
        self.help("A reviewer must approve deployments to these (GitHub environment protection).")?;
        let approvals = self.multi("Which wait for approval?", &names, &defaults)?;
        let approvals: BTreeSet<String> = approvals.into_iter().map(|i| names[i].clone()).collect();
        self.draft.environments =
            draft::plan_environments(&names, &branches, &approvals, &previous);
        Ok(())
    }

    fn availability(&mut self) -> Result<()> {
        if self.preset("reliability") {
            return Ok(());
        }
        self.heading("Availability")?;
        self.help("The target sizes production: replicas, zones, backups, recovery objectives and alert thresholds.")?;
        let items: Vec<String> = Availability::ALL
            .iter()
            .map(|a| {
                let t = Targets::derive(*a);
                let s = Sizing::derive(*a, Tier::Production, self.draft.provider);
                format!(
                    "{:<6} ~{} min down/month; {} replicas over {} zones, backups {} days, RTO {}, RPO {}",
                    a.as_str(),
                    t.monthly_downtime_minutes,
                    s.replicas,
                    s.zones,
                    s.backup_retention_days,
                    t.rto,
                    t.rpo
                )
            })
            .collect();
        let at = Availability::ALL
            .iter()
            .position(|a| *a == self.draft.availability)
            .unwrap_or(0);
        self.draft.availability =
            Availability::ALL[self.select("Availability target", &items, at)?];
        Ok(())
    }

    fn cloud(&mut self) -> Result<()> {
        self.heading("Cloud")?;
        if !self.preset("cloud.provider") {
            let items: Vec<String> = Provider::ALL
                .iter()
                .map(|p| {
                    format!(
                        "{:<6} {} in {} by default",
                        p.as_str(),
                        p.kubernetes_service(),
                        p.default_region()
                    )
                })
                .collect();
            let at = Provider::ALL
                .iter()
                .position(|p| *p == self.draft.provider)
                .unwrap_or(0);
            let provider = Provider::ALL[self.select("Cloud provider", &items, at)?];
            self.draft.set_provider(provider);
        }
        if !self.preset("cloud.region") {
            self.draft.region = self.region("Region", &self.draft.region.clone(), false)?;
        }
        if !self.preset("cloud.dr_region") {
            self.help(
                "A second region for backup copies and disaster recovery; leave empty for none.",
            )?;
            let current = self.draft.dr_region.clone().unwrap_or_default();
            let value = self.region("Disaster-recovery region", &current, true)?;
            self.draft.dr_region = (!value.is_empty()).then_some(value);
        }
        Ok(())
    }

    /// A region of the chosen cloud, checked by core and against the cloud's
    /// known regions; a region scaffold does not know is taken only when the
    /// user confirms it (clouds add regions faster than scaffold is released).
    fn region(&mut self, prompt: &str, current: &str, optional: bool) -> Result<String> {
        let provider = self.draft.provider;
        loop {
            let key = if optional {
                "cloud.dr_region"
            } else {
                "cloud.region"
            };
            // Core's other rules at the prompt; the list of known regions is asked about below.
            let check = self.core_check(key, move |d, v| {
                d.allow_unlisted_regions = true;
                if optional {
                    d.dr_region = (!v.is_empty()).then(|| v.to_owned());
                } else {
                    d.region = v.to_owned();
                }
            });
            let value = if optional {
                self.optional(prompt, current, check)?
            } else {
                self.input(prompt, current, check)?
            };
            let Some((found, _)) = (!value.is_empty())
                .then(|| regions::problem(provider, &value))
                .flatten()
            else {
                return Ok(value);
            };
            let near = regions::nearest_known(provider, &value)
                .iter()
                .map(|r| format!("`{r}`"))
                .collect::<Vec<_>>()
                .join(", ");
            self.help(&format!("`{key}`: {found} (nearest: {near})."))?;
            if self.confirm(
                &format!(
                    "Use `{value}` anyway (a region newer than this scaffold; writes `{} = true`)?",
                    regions::OVERRIDE_KEY.trim_start_matches("cloud.")
                ),
                false,
            )? {
                self.draft.allow_unlisted_regions = true;
                return Ok(value);
            }
        }
    }

    fn delivery(&mut self) -> Result<()> {
        self.heading("Delivery")?;
        if !self.preset("delivery.strategy") {
            let items: Vec<String> = Strategy::ALL
                .iter()
                .map(|s| {
                    format!(
                        "{:<10} {}",
                        s.as_str(),
                        match s {
                            Strategy::Rolling =>
                                "replace pods a few at a time (Kubernetes Deployment)",
                            Strategy::BlueGreen =>
                                "start the new version beside the old, then switch (Argo Rollouts)",
                            Strategy::Canary =>
                                "shift traffic in steps while checking error rates (Argo Rollouts)",
                        }
                    )
                })
                .collect();
            let at = Strategy::ALL
                .iter()
                .position(|s| *s == self.draft.strategy)
                .unwrap_or(0);
            self.draft.strategy = Strategy::ALL[self.select("Delivery strategy", &items, at)?];
        }
        if !self.preset("delivery.registry") {
            let native = self.draft.provider.native_registry();
            let options = [scaffold_core::Registry::Ghcr, native];
            let items = [
                "ghcr   GitHub Container Registry: works with every cloud".to_owned(),
                format!(
                    "{:<6} the cloud's own registry, pulled without extra credentials",
                    native.as_str()
                ),
            ];
            let at = usize::from(
                draft::fit_registry(self.draft.registry, self.draft.provider) == native,
            );
            self.draft.registry = options[self.select("Container registry", &items, at)?];
        }
        if !self.preset("delivery.gitops") {
            self.help(
                "GitOps: Argo CD pulls the manifests from git, instead of CI applying them.",
            )?;
            self.draft.gitops = self.confirm("Use GitOps (Argo CD)?", self.draft.gitops)?;
        }
        if !self.preset("delivery.runners") {
            let items = [
                "github-hosted  GitHub's runners: the cluster API and secret stores are reachable from the internet, guarded by cloud identity".to_owned(),
                "self-hosted    your runners inside the cloud network (vars.DEPLOY_RUNNER, vars.INFRA_RUNNER): private endpoints only".to_owned(),
            ];
            let at = usize::from(self.draft.runners == Runners::SelfHosted);
            self.draft.runners = [Runners::GithubHosted, Runners::SelfHosted]
                [self.select("Runners for deploy and Terraform jobs", &items, at)?];
        }
        Ok(())
    }

    fn team(&mut self) -> Result<()> {
        self.heading("Team")?;
        if !self.preset("app.owners") {
            self.help("Code owners review changes to the DevOps files (CODEOWNERS): `@user`, `@org/team`, comma-separated; empty to decide later (CODEOWNERS then holds a commented example).")?;
            let current = self.draft.owners.join(", ");
            let check = self.core_check("app.owners", |d, v| d.owners = draft::split_list(v));
            let value = self.optional("Owners", &current, check)?;
            self.draft.owners = draft::split_list(&value);
        }
        if !self.preset("app.team_size") {
            self.help("How many engineers work on it; empty to leave it out.")?;
            let current = self
                .draft
                .team_size
                .map(|n| n.to_string())
                .unwrap_or_default();
            let value = self.optional("Team size", &current, |v| {
                if v.is_empty() || v.parse::<u32>().is_ok_and(|n| n > 0) {
                    Ok(())
                } else {
                    Err(format!("`{v}` is not a number of people (1 or more)"))
                }
            })?;
            self.draft.team_size = value.parse().ok();
        }
        Ok(())
    }

    /// Shows the answers and the files they imply.
    fn summary(&self, project: &Project, root: &Path, every_file: bool) -> Result<()> {
        self.heading("Summary")?;
        let repo = if project.repository.assumed {
            format!("{} (assumed; set app.repository)", project.repository.full)
        } else {
            project.repository.full.clone()
        };
        self.say(format!("  app           {} ({repo})", project.app.name))?;
        self.say(format!(
            "  cloud         {} {}{}",
            project.cloud.provider,
            project.cloud.region,
            project
                .cloud
                .dr_region
                .as_ref()
                .map_or(String::new(), |r| format!(", disaster recovery in {r}"))
        ))?;
        for (i, s) in project.services.iter().enumerate() {
            self.say(format!(
                "  {}{} ({} {} with {}) at {}, {}{}{}",
                if i == 0 {
                    "services      "
                } else {
                    "              "
                },
                s.name,
                s.language,
                s.kind,
                s.package_manager,
                s.path,
                s.port
                    .map_or_else(|| "no port".to_owned(), |p| format!("port {p}")),
                if s.public { ", public" } else { "" },
                if s.uses.is_empty() {
                    String::new()
                } else {
                    format!(", uses {}", s.uses.join(", "))
                }
            ))?;
        }
        for (i, d) in project.datastores.iter().enumerate() {
            self.say(format!(
                "  {}{} ({} {})",
                if i == 0 {
                    "datastores    "
                } else {
                    "              "
                },
                d.name,
                d.engine,
                d.version
            ))?;
        }
        let envs: Vec<String> = project
            .environments
            .iter()
            .map(|e| {
                let mut notes = Vec::new();
                if let Some(branch) = &e.branch {
                    notes.push(format!("on push to {branch}"));
                }
                if e.approval {
                    notes.push("approval".to_owned());
                }
                if notes.is_empty() {
                    e.name.clone()
                } else {
                    format!("{} ({})", e.name, notes.join(", "))
                }
            })
            .collect();
        self.say(format!("  environments  {}", envs.join(" → ")))?;
        self.say(format!(
            "  delivery      {}, {}, gitops {}, {} runners",
            project.delivery.strategy,
            project.delivery.registry,
            if project.delivery.gitops { "on" } else { "off" },
            project.delivery.runners
        ))?;
        self.say(format!("  availability  {}%", project.availability))?;
        if !project.app.owners.is_empty() {
            self.say(format!("  owners        {}", project.app.owners.join(", ")))?;
        }

        let files = scaffold_render::render(project)?;
        let kept: Vec<&String> = files.keys().filter(|p| root.join(p).exists()).collect();
        self.say(format!(
            "\nFiles: scaffold.toml and {} generated{}",
            files.len(),
            if kept.is_empty() {
                String::new()
            } else {
                format!(
                    ", {} of them kept because you already have them",
                    kept.len()
                )
            }
        ))?;
        if every_file {
            for path in files.keys() {
                if kept.contains(&path) {
                    self.say(format!("  keep    {path} (already there; yours is kept)"))?;
                } else {
                    self.say(format!("  create  {path}"))?;
                }
            }
        } else {
            for (folder, count) in draft::count_by_folder(files.keys()) {
                self.say(format!("  {count:>3}  {folder}"))?;
            }
        }
        Ok(())
    }
}

/// One line about what a language's services get.
/// One line about a service kind, shown beside it in the kind question.
fn kind_help(kind: ServiceKind) -> &'static str {
    match kind {
        ServiceKind::Web => "serves HTTP on a port (health and readiness endpoints)",
        ServiceKind::Grpc => "serves gRPC on a port (gRPC health checking protocol)",
        ServiceKind::Worker => "consumes work from a queue or loop; listens on no port",
        ServiceKind::Job => "runs to completion on a schedule (a Kubernetes CronJob)",
    }
}

fn language_help(language: Language) -> &'static str {
    match language {
        Language::Node => "Node.js server (npm, pnpm or yarn)",
        Language::Python => "Python server or worker (pip, poetry or uv)",
        Language::Go => "Go module, distroless image",
        Language::Rust => "Rust binary with Cargo, distroless image",
        Language::Java => "Java with Maven or Gradle",
        Language::Dotnet => "ASP.NET Core or a .NET worker",
        Language::Ruby => "Rails, a Rack app or Sidekiq (Bundler)",
        Language::Php => "Laravel, Symfony or plain PHP (composer), on FrankenPHP",
        Language::Static => "front end built with Node, served by nginx",
    }
}
