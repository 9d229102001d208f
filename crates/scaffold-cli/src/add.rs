//! `scaffold add service|datastore|environment`: one more entry in an existing
//! `scaffold.toml`, then the files it implies.
//!
//! The file is edited with toml_edit, so the user's comments, ordering and
//! formatting stay as they were; only the new table (and, for a datastore,
//! the `uses` lists of the services that connect to it) changes. Values come
//! from flags; on a terminal, whatever the flags leave open is asked with the
//! wizard's own questions. The edited file is validated by core before
//! anything is written, and nothing is written when it is invalid.

use std::io::IsTerminal as _;

use anyhow::Result;
use scaffold_core::answers::{DatastoreAnswers, EnvironmentAnswers, ParsedAnswers, ServiceAnswers};
use scaffold_core::project::{Facts, normalize_path};
use scaffold_core::{Answers, Engine, Language, PackageManager, Project};
use toml_edit::{Array, ArrayOfTables, DocumentMut, Item, Table, value};

use crate::cli::{AddArgs, AddDatastore, AddEnvironment, AddService, AddWhat};
use crate::detect::{self, Detection};
use crate::exit::{Code, invalid};
use crate::new::ANSWERS_PATH;
use crate::repo;
use crate::sync;
use crate::wizard::{Draft, Wizard, draft};
use crate::write::Root;

/// Runs `scaffold add`.
///
/// The questions are asked first, without holding anything. Then, under the
/// mutex, `scaffold.toml` is read again (another `add` may have finished in
/// the meantime), the entry is added to that text, validated and rendered,
/// and the answers are written last, in the same transaction as the files
/// they imply: a failed `add` changes nothing, and two at once both land.
pub fn run(args: &AddArgs) -> Result<Code> {
    let root = Root::open(&args.dir)?;
    let text = read_answers(&root)?;
    let parsed = parse_answers(&text)?;
    let git = repo::open(root.path());
    let detection = detect::detect_dir(root.path());
    let facts = repo::facts(git.as_ref(), root.path());
    let ask = Asker {
        answers: &parsed.answers,
        facts: &facts,
        interactive: std::io::stdin().is_terminal(),
    };
    let edit = match &args.what {
        AddWhat::Service(flags) => {
            let service = ask.service(flags, &detection)?;
            check_service_folder(root.path(), &service, flags)?;
            Edit::Service(Box::new(service))
        }
        AddWhat::Datastore(flags) => {
            let (datastore, used_by) = ask.datastore(flags)?;
            Edit::Datastore(datastore, used_by)
        }
        AddWhat::Environment(flags) => {
            let (environment, index) = ask.environment(flags)?;
            let envs = Draft::from_answers(&parsed.answers).environments;
            let after = index
                .checked_sub(1)
                .and_then(|i| envs.get(i))
                .map(|e| e.name.clone());
            Edit::Environment(environment, after)
        }
    };

    let session = sync::Session::begin(root)?;
    let text = read_answers(&session.root)?;
    let parsed = parse_answers(&text)?;
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|err| invalid(format!("{ANSWERS_PATH} is not valid TOML: {err}")))?;
    let what = edit.apply(&mut doc, &parsed.answers)?;
    let new_text = doc.to_string();
    Project::from_toml(&new_text, &facts).map_err(|err| {
        invalid(format!(
            "adding {what} would make {ANSWERS_PATH} invalid; nothing was written\n{err}"
        ))
    })?;
    sync::sync_with(
        &session,
        &new_text,
        &format!("  update  {ANSWERS_PATH} ({what} added)"),
    )
}

/// Refuses a service whose folder was named (by `--path` or at the prompt) but does not exist
/// or is not a folder: a typo would otherwise declare a service with none of the user's code,
/// and scaffold would build and deploy a starter app instead. Without `--path`, the service
/// goes to `services/<name>`, which scaffold creates with a starter app when it is new.
fn check_service_folder(
    root: &std::path::Path,
    service: &ServiceAnswers,
    flags: &AddService,
) -> Result<()> {
    let Some(path) = service.path.as_deref() else {
        return Ok(());
    };
    if flags.path.is_none() && path == format!("services/{}", service.name) {
        return Ok(());
    }
    let what = match std::fs::metadata(root.join(path)) {
        Ok(meta) if meta.is_dir() => return Ok(()),
        Ok(_) => "is a file, not a folder",
        Err(_) => "does not exist",
    };
    let argument = match &flags.path {
        Some(given) => format!("`--path {given}`"),
        None => format!("the service path `{path}`"),
    };
    let near = nearest_folder(root, path)
        .map(|near| format!("\n  help: did you mean `--path {near}`? (a folder that exists)"))
        .unwrap_or_default();
    Err(invalid(format!(
        "{argument}: `{path}` {what} in {}; nothing was written{near}\n  help: give --path the folder that holds the service's code\n  help: for a service whose code is still to come, create the folder first (`mkdir -p {path}`) or leave out --path (scaffold uses `services/<name>`): scaffold writes a starter app there",
        root.display(),
    )))
}

/// The existing folder beside `path` whose name is nearest to `path`'s last part.
fn nearest_folder(root: &std::path::Path, path: &str) -> Option<String> {
    let (parent, name) = path.rsplit_once('/').unwrap_or((".", path));
    let folders: Vec<String> = std::fs::read_dir(root.join(parent))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    let near = scaffold_core::schema::nearest(name, &folders)?;
    Some(if parent == "." {
        near.to_owned()
    } else {
        format!("{parent}/{near}")
    })
}

/// `scaffold.toml`'s text.
fn read_answers(root: &Root) -> Result<String> {
    root.read(ANSWERS_PATH)?.ok_or_else(|| {
        invalid(format!(
            "{} has no {ANSWERS_PATH}\n  help: run `scaffold new` first",
            root.path().display()
        ))
    })
}

/// Parses `scaffold.toml`, which must be valid before anything is added.
fn parse_answers(text: &str) -> Result<ParsedAnswers> {
    Answers::parse(text).map_err(|err| {
        invalid(format!(
            "{ANSWERS_PATH} has problems; fix them before adding to it\n{err}"
        ))
    })
}

/// The entry `scaffold add` adds.
enum Edit {
    Service(Box<ServiceAnswers>),
    /// A datastore and the services that use it.
    Datastore(DatastoreAnswers, Vec<String>),
    /// An environment and the one it follows in promotion order (`None`: first).
    Environment(EnvironmentAnswers, Option<String>),
}

impl Edit {
    /// Adds the entry to `doc` (whose typed form is `answers`) and says what it added.
    fn apply(&self, doc: &mut DocumentMut, answers: &Answers) -> Result<String> {
        match self {
            Edit::Service(service) => {
                push_table(doc, "services", service_table(service), None);
                Ok(format!("service `{}`", service.name))
            }
            Edit::Datastore(datastore, used_by) => {
                add_uses(doc, &datastore.name, used_by)?;
                push_table(doc, "datastores", datastore_table(datastore), None);
                Ok(format!("datastore `{}`", datastore.name))
            }
            Edit::Environment(environment, after) => {
                let envs = Draft::from_answers(answers).environments;
                if doc.get("environments").is_none() {
                    // The file relied on the default environments: write them
                    // out first, so adding one does not silently replace them.
                    for env in &envs {
                        push_table(doc, "environments", environment_table(env), None);
                    }
                }
                // Placed by name, so an environment added meanwhile by another
                // run does not shift it.
                let index = match after {
                    Some(after) => envs.iter().position(|e| &e.name == after).map_or_else(
                        || draft::insertion_index(&envs, &environment.name),
                        |i| i + 1,
                    ),
                    None => 0,
                };
                push_table(
                    doc,
                    "environments",
                    environment_table(environment),
                    Some(index),
                );
                Ok(format!("environment `{}`", environment.name))
            }
        }
    }
}

/// Turns flags (and, on a terminal, answers) into the new entry.
struct Asker<'a> {
    answers: &'a Answers,
    facts: &'a Facts,
    interactive: bool,
}

impl Asker<'_> {
    fn wizard(&self) -> Wizard {
        Wizard::for_add(Draft::from_answers(self.answers), self.facts.clone())
    }

    fn service(&self, flags: &AddService, detection: &Detection) -> Result<ServiceAnswers> {
        let language = flags
            .language
            .as_deref()
            .map(|l| {
                Language::parse(l).ok_or_else(|| {
                    invalid(format!(
                        "`--language {l}` is not a language scaffold knows; use one of {}",
                        Language::allowed()
                    ))
                })
            })
            .transpose()?;
        let package_manager = flags
            .package_manager
            .as_deref()
            .map(|m| {
                PackageManager::parse(m).ok_or_else(|| {
                    invalid(format!(
                        "`--package-manager {m}` is not one of {}",
                        PackageManager::allowed()
                    ))
                })
            })
            .transpose()?;
        let path = match (&flags.path, &flags.name) {
            (Some(path), _) => {
                Some(normalize_path(path).map_err(|m| invalid(format!("`--path`: {m}")))?)
            }
            (None, Some(name)) => Some(format!("services/{name}")),
            (None, None) => None,
        };
        let detected = path
            .as_ref()
            .and_then(|p| detection.services.iter().find(|s| &s.path == p));
        let mut service = ServiceAnswers {
            name: flags
                .name
                .clone()
                .or_else(|| detected.map(|d| d.name.clone()))
                .unwrap_or_default(),
            language: language.or(detected.map(|d| d.language)),
            package_manager: package_manager.or(detected.map(|d| d.package_manager)),
            path,
            port: flags.port.or(detected.and_then(|d| d.port)).map(i64::from),
            uses: (!flags.uses.is_empty()).then(|| flags.uses.clone()),
            public: if flags.public {
                Some(true)
            } else if flags.internal {
                Some(false)
            } else {
                None
            },
            ..ServiceAnswers::default()
        };
        // Detection may have named the folder's service and language already.
        let complete = !service.name.is_empty() && service.language.is_some();
        if !complete {
            if !self.interactive {
                return Err(invalid(
                    "standard input is not a terminal, so scaffold cannot ask for the service\n  help: give at least --name and --language, such as `scaffold add service --name api --language go --path services/api` (or just --path when the folder has a manifest scaffold recognises)",
                ));
            }
            let mut wizard = self.wizard();
            wizard.draft.services.push(service);
            let index = wizard.draft.services.len() - 1;
            service = wizard.ask_service(Some(index))?;
            wizard.done();
        }
        if service.port.is_none() {
            service.port = service.language.map(|l| i64::from(l.default_port()));
        }
        Ok(service)
    }

    fn datastore(&self, flags: &AddDatastore) -> Result<(DatastoreAnswers, Vec<String>)> {
        let engine = flags
            .engine
            .as_deref()
            .map(|e| {
                Engine::parse(e).ok_or_else(|| {
                    invalid(format!(
                        "`--engine {e}` is not one of {}",
                        Engine::allowed()
                    ))
                })
            })
            .transpose()?;
        match (&flags.name, engine) {
            (Some(name), Some(engine)) => Ok((
                DatastoreAnswers {
                    name: name.clone(),
                    engine: Some(engine),
                    // Absent means the cloud's default version from the datastore table.
                    version: flags.version.clone(),
                },
                flags.used_by.clone(),
            )),
            _ if self.interactive => {
                let wizard = self.wizard();
                let result = wizard.ask_datastore()?;
                wizard.done();
                Ok(result)
            }
            _ => Err(invalid(
                "standard input is not a terminal, so scaffold cannot ask for the datastore\n  help: give --name and --engine, such as `scaffold add datastore --name cache --engine redis --used-by api`",
            )),
        }
    }

    fn environment(&self, flags: &AddEnvironment) -> Result<(EnvironmentAnswers, usize)> {
        let envs = Draft::from_answers(self.answers).environments;
        let index_for = |name: &str| -> Result<usize> {
            match &flags.after {
                Some(after) => envs
                    .iter()
                    .position(|e| &e.name == after)
                    .map(|i| i + 1)
                    .ok_or_else(|| {
                        invalid(format!(
                            "`--after {after}` names no environment; environments: {}",
                            envs.iter()
                                .map(|e| e.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ))
                    }),
                None => Ok(draft::insertion_index(&envs, name)),
            }
        };
        match &flags.name {
            Some(name) => Ok((
                EnvironmentAnswers {
                    name: name.clone(),
                    branch: flags.branch.clone(),
                    approval: Some(flags.approval),
                    domain: flags.domain.clone(),
                    tier: None,
                    separate_account: None,
                },
                index_for(name)?,
            )),
            None if self.interactive => {
                let wizard = self.wizard();
                let result = wizard.ask_environment(None)?;
                wizard.done();
                Ok(result)
            }
            None => Err(invalid(
                "standard input is not a terminal, so scaffold cannot ask for the environment\n  help: give --name, such as `scaffold add environment --name uat --after staging --approval`",
            )),
        }
    }
}

/// Appends `table` to the array of tables `key` (at `index` when given), creating the array if needed.
fn push_table(doc: &mut DocumentMut, key: &str, table: Table, index: Option<usize>) {
    let item = doc
        .as_table_mut()
        .entry(key)
        .or_insert_with(|| Item::ArrayOfTables(ArrayOfTables::new()));
    if let Some(array) = item.as_array_of_tables_mut() {
        match index {
            Some(index) if index < array.len() => {
                // Comments just above the next table (including the previous
                // table's trailing comments, which TOML parsers attach there)
                // stay where they were: above the inserted table.
                let mut table = table;
                if let Some(next) = array.get_mut(index)
                    && let Some(prefix) = next.decor().prefix().cloned()
                {
                    table.decor_mut().set_prefix(prefix);
                    next.decor_mut().set_prefix("\n");
                }
                array.insert(index, table);
            }
            _ => array.push(table),
        }
    }
}

/// Adds `datastore` to the `uses` list of each service in `used_by`.
fn add_uses(doc: &mut DocumentMut, datastore: &str, used_by: &[String]) -> Result<()> {
    let Some(services) = doc
        .get_mut("services")
        .and_then(Item::as_array_of_tables_mut)
    else {
        return Ok(());
    };
    for name in used_by {
        let service = services
            .iter_mut()
            .find(|s| s.get("name").and_then(Item::as_str) == Some(name.as_str()))
            .ok_or_else(|| invalid(format!("`--used-by {name}` names no service")))?;
        let uses = service.entry("uses").or_insert_with(|| value(Array::new()));
        if let Some(array) = uses.as_array_mut()
            && !array.iter().any(|v| v.as_str() == Some(datastore))
        {
            array.push(datastore);
        }
    }
    Ok(())
}

fn service_table(s: &ServiceAnswers) -> Table {
    let mut t = Table::new();
    t.insert("name", value(s.name.clone()));
    if let Some(language) = s.language {
        t.insert("language", value(language.as_str()));
    }
    if let Some(manager) = s.package_manager {
        t.insert("package_manager", value(manager.as_str()));
    }
    t.insert(
        "path",
        value(s.path.clone().unwrap_or_else(|| ".".to_owned())),
    );
    if let Some(port) = s.port {
        t.insert("port", value(port));
    }
    let uses: Array = s.uses.clone().unwrap_or_default().into_iter().collect();
    t.insert("uses", value(uses));
    t.insert("public", value(s.public.unwrap_or(false)));
    t
}

fn datastore_table(d: &DatastoreAnswers) -> Table {
    let mut t = Table::new();
    t.insert("name", value(d.name.clone()));
    if let Some(engine) = d.engine {
        t.insert("engine", value(engine.as_str()));
    }
    if let Some(version) = &d.version {
        t.insert("version", value(version.clone()));
    }
    t
}

fn environment_table(e: &EnvironmentAnswers) -> Table {
    let mut t = Table::new();
    t.insert("name", value(e.name.clone()));
    if let Some(branch) = &e.branch {
        t.insert("branch", value(branch.clone()));
    }
    t.insert("approval", value(e.approval.unwrap_or(false)));
    if let Some(domain) = &e.domain {
        t.insert("domain", value(domain.clone()));
    }
    if let Some(tier) = e.tier {
        t.insert("tier", value(tier.as_str()));
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "# my notes\n[app]\nname = \"shop\" # the name\n\n[[services]]\nname = \"api\"\nlanguage = \"go\"\n\n[[datastores]]\nname = \"db\"\nengine = \"postgres\"\n\n[[environments]]\nname = \"staging\"\nbranch = \"main\"\n\n[[environments]]\nname = \"production\"\napproval = true\n\n[delivery]\nstrategy = \"rolling\"\n";

    fn doc() -> DocumentMut {
        FILE.parse().unwrap()
    }

    #[test]
    fn a_service_is_appended_after_the_others_keeping_comments() {
        let mut doc = doc();
        let service = ServiceAnswers {
            name: "web".to_owned(),
            language: Some(Language::Static),
            path: Some("apps/web".to_owned()),
            public: Some(true),
            ..ServiceAnswers::default()
        };
        push_table(&mut doc, "services", service_table(&service), None);
        let text = doc.to_string();
        assert!(
            text.starts_with("# my notes\n[app]\nname = \"shop\" # the name\n"),
            "{text}"
        );
        let web = text.find("name = \"web\"").unwrap();
        assert!(text.find("name = \"api\"").unwrap() < web);
        assert!(web < text.find("[[datastores]]").unwrap(), "{text}");
        assert!(Project::from_toml(&text, &Facts::default()).is_ok());
    }

    #[test]
    fn an_environment_is_inserted_in_promotion_order() {
        let mut doc = doc();
        let env = EnvironmentAnswers {
            name: "uat".to_owned(),
            approval: Some(false),
            ..EnvironmentAnswers::default()
        };
        push_table(&mut doc, "environments", environment_table(&env), Some(1));
        let text = doc.to_string();
        let order: Vec<usize> = ["\"staging\"", "\"uat\"", "\"production\""]
            .iter()
            .map(|n| text.find(n).unwrap())
            .collect();
        assert!(order[0] < order[1] && order[1] < order[2], "{text}");
    }

    #[test]
    fn comments_stay_with_the_table_they_follow() {
        let mut doc: DocumentMut = "[[environments]]\nname = \"staging\"\n# staging's note\n\n[[environments]]\nname = \"production\"\n".parse().unwrap();
        let env = EnvironmentAnswers {
            name: "uat".to_owned(),
            ..EnvironmentAnswers::default()
        };
        push_table(&mut doc, "environments", environment_table(&env), Some(1));
        let text = doc.to_string();
        assert!(
            text.contains(
                "name = \"staging\"\n# staging's note\n\n[[environments]]\nname = \"uat\""
            ),
            "{text}"
        );
    }

    #[test]
    fn a_datastore_is_added_to_its_users() {
        let mut doc = doc();
        add_uses(&mut doc, "cache", &["api".to_owned()]).unwrap();
        let text = doc.to_string();
        assert!(text.contains("uses = [\"cache\"]"), "{text}");
        assert!(add_uses(&mut doc, "cache", &["nope".to_owned()]).is_err());
    }
}
