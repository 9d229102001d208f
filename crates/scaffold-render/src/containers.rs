//! The containers family: a Dockerfile and `.dockerignore` per service, and
//! `compose.yaml` (or `compose.scaffold.yaml` beside the repository's own compose file) and
//! `.env.example` at the root for local development.
//!
//! A service whose folder already has its own Dockerfile is built from that file
//! (`Service::dockerfile`): scaffold's is still rendered at the same path, where sync keeps
//! the user's file, but its `.dockerignore` and nginx configuration are not.
//!
//! Each service's Dockerfile is its stack's template formatting the recipe the
//! stack decided (`scaffold_core::stack`): the base images and their versions,
//! the install and build commands, the start command, the build context (the
//! workspace root for workspace members). Dockerfiles are multi-stage and
//! lockfile-aware; the runtime image runs as the fixed non-root user that the
//! Kubernetes manifests also name (`Service::uid`), and carries a `HEALTHCHECK`
//! only where it has something to run one with. Base images are pinned in each
//! stack module, and Dependabot's `docker` ecosystem keeps them current in the
//! generated files.

use std::collections::BTreeMap;

use scaffold_core::stack::Recipe;
use scaffold_core::{Datastore, Language, Project, Service, ServiceKind};
use serde::Serialize;

use crate::{Engine as Templates, Files, RenderError};

/// Template of every service's `.dockerignore`.
pub const TEMPLATE_DOCKERIGNORE: &str = "docker/dockerignore.tera";
/// Template of the nginx server block of static services.
pub const TEMPLATE_NGINX: &str = "docker/nginx.conf.tera";
/// Template of `compose.yaml`.
pub const TEMPLATE_COMPOSE: &str = "docker/compose.yaml.tera";
/// Template of `.env.example`.
pub const TEMPLATE_ENV: &str = "docker/env.example.tera";

/// Context of a service's Dockerfile (the template its stack's recipe names) and `.dockerignore`.
#[derive(Serialize)]
struct DockerfileContext<'a> {
    /// The service.
    service: &'a Service,
    /// Its recipe, as its stack decided it.
    recipe: &'a Recipe,
    /// `node`, `python`, ... (the `.dockerignore` selects its patterns by it).
    language: &'static str,
    /// The start command as an exec-form JSON array.
    cmd: String,
    /// Why the image has no `HEALTHCHECK`, written as a checkov exception; `None` when it has one.
    no_healthcheck: Option<String>,
    /// The Dockerfile's path relative to the build context.
    dockerfile: String,
}

/// A datastore as compose runs it.
#[derive(Serialize)]
struct ComposeDatastore<'a> {
    /// The datastore.
    datastore: &'a Datastore,
    /// Official image with the answered version, such as `postgres:16-alpine`.
    image: String,
    /// Port on 127.0.0.1 of the developer's machine (unique across datastores).
    host_port: u16,
    /// Where the engine keeps its data inside the container.
    data_path: &'static str,
    /// The named volume.
    volume: String,
    /// Environment variables the image needs, sorted.
    environment: BTreeMap<String, String>,
    /// The healthcheck command, exec form, as a YAML flow sequence.
    healthcheck: String,
    /// The variables the services read it from, with values reaching it from the developer's
    /// machine (localhost and the host port), each variable once.
    host_variables: Vec<(String, String)>,
}

/// A service as compose runs it.
#[derive(Serialize)]
struct ComposeService<'a> {
    /// The service.
    service: &'a Service,
    /// Port on 127.0.0.1 of the developer's machine (unique across services and datastores);
    /// `None` for services that listen on no port.
    host_port: Option<u16>,
    /// The build context, `./` plus the recipe's context folder (or `.`).
    context: String,
    /// The Dockerfile, relative to the build context.
    dockerfile: String,
    /// Environment variables, sorted.
    environment: BTreeMap<String, String>,
    /// Datastores to wait for.
    depends_on: Vec<String>,
}

/// Context of [`TEMPLATE_COMPOSE`] and [`TEMPLATE_ENV`].
#[derive(Serialize)]
struct ComposeContext<'a> {
    /// The project.
    project: &'a Project,
    /// Services.
    services: Vec<ComposeService<'a>>,
    /// Datastores.
    datastores: Vec<ComposeDatastore<'a>>,
    /// The port of the first service that listens on one, for `.env.example`.
    first_port: Option<u16>,
    /// The listening services and their ports, such as `api 3000, web 8080`.
    port_list: String,
}

/// Adds the container files for `project`.
pub fn render(project: &Project, engine: &Templates, files: &mut Files) -> Result<(), RenderError> {
    for service in &project.services {
        let context = dockerfile_context(service);
        files.insert(
            format!("{}Dockerfile", service.dir),
            engine.render(service.recipe.template, &context)?,
        );
        // The repository's own Dockerfile stands at that path, and sync keeps it (`sync
        // --restore` swaps in scaffold's). The ignore file and nginx's configuration serve
        // only scaffold's Dockerfile: beside the user's, they would change what its build
        // sees, so they are not written.
        if service.dockerfile.is_some() {
            continue;
        }
        // The ignore file sits at the root of the build context; a service built from its
        // workspace root gets a Dockerfile-specific one beside its Dockerfile instead.
        let ignore = if service.recipe.dir_in_context.is_empty() {
            format!("{}.dockerignore", service.dir)
        } else {
            format!("{}Dockerfile.dockerignore", service.dir)
        };
        files.insert(ignore, engine.render(TEMPLATE_DOCKERIGNORE, &context)?);
        if service.language == Language::Static {
            files.insert(
                format!("{}nginx.conf", service.dir),
                engine.render(TEMPLATE_NGINX, &context)?,
            );
        }
    }
    let context = compose_context(project);
    // Beside the repository's own compose file, under a name Compose never loads by itself
    // (`Project::local`).
    files.insert(
        project.local.compose_file.clone(),
        engine.render(TEMPLATE_COMPOSE, &context)?,
    );
    files.insert(
        ".env.example".to_owned(),
        engine.render(TEMPLATE_ENV, &context)?,
    );
    Ok(())
}

fn dockerfile_context(service: &Service) -> DockerfileContext<'_> {
    DockerfileContext {
        service,
        recipe: &service.recipe,
        language: service.language.as_str(),
        cmd: exec_form(&service.recipe.start),
        no_healthcheck: no_healthcheck(service),
        dockerfile: format!("{}Dockerfile", service.recipe.dir_in_context),
    }
}

/// Why `service`'s image declares no `HEALTHCHECK`, or `None` when it does.
fn no_healthcheck(service: &Service) -> Option<String> {
    if service.image_healthcheck {
        return None;
    }
    Some(match (service.kind, &service.health_path) {
        (ServiceKind::Grpc, _) => "a gRPC service answers no HTTP health request; Kubernetes probes it with the gRPC health protocol instead".to_owned(),
        (ServiceKind::Worker | ServiceKind::Job, _) => format!(
            "a {} serves no health endpoint; Kubernetes restarts it when its process exits",
            service.kind
        ),
        (ServiceKind::Web, Some(path)) => format!(
            "the runtime image has no shell or HTTP client to run a HEALTHCHECK; Kubernetes probes {path} instead"
        ),
        (ServiceKind::Web, None) => "the runtime image has no shell or HTTP client to run a HEALTHCHECK".to_owned(),
    })
}

fn compose_context(project: &Project) -> ComposeContext<'_> {
    // Host ports must be unique across everything compose publishes on 127.0.0.1.
    let mut taken = std::collections::BTreeSet::new();
    let mut host_port_for = |wanted: u16| {
        let mut port = wanted;
        while !taken.insert(port) {
            port += 1;
        }
        port
    };
    let datastores: Vec<ComposeDatastore<'_>> = project
        .datastores
        .iter()
        .map(|ds| {
            let host_port = host_port_for(ds.local_port);
            let facts = ds.engine.facts();
            let healthcheck = ds.local_healthcheck();
            ComposeDatastore {
                datastore: ds,
                // The Alpine variant where the official image has one: smaller, same tag.
                image: if facts.local.alpine {
                    format!("{}-alpine", ds.local_image)
                } else {
                    ds.local_image.clone()
                },
                host_port,
                data_path: facts.local.data_path,
                volume: format!("{}-data", ds.name),
                environment: ds.local_environment(),
                healthcheck: flow_sequence(
                    &healthcheck.iter().map(String::as_str).collect::<Vec<_>>(),
                ),
                host_variables: {
                    let mut variables: Vec<(String, String)> = Vec::new();
                    for connection in project
                        .services
                        .iter()
                        .flat_map(|s| &s.connections)
                        .filter(|c| c.datastore == ds.name)
                    {
                        for pair in
                            project.local_connection_values(connection, "localhost", host_port)
                        {
                            let pair = (pair.0, dotenv_value(&pair.1));
                            if !variables.contains(&pair) {
                                variables.push(pair);
                            }
                        }
                    }
                    variables
                },
            }
        })
        .collect();
    let services = project
        .services
        .iter()
        .map(|service| {
            let mut environment = BTreeMap::new();
            if let Some(port) = service.port {
                environment.insert("PORT".to_owned(), port.to_string());
            }
            environment.insert("OTEL_SERVICE_NAME".to_owned(), service.name.clone());
            environment.insert("OTEL_SDK_DISABLED".to_owned(), "true".to_owned());
            let mut depends_on = Vec::new();
            for connection in &service.connections {
                let Some(ds) = project.datastore(&connection.datastore) else {
                    continue;
                };
                environment.extend(project.local_connection_values(
                    connection,
                    &ds.name,
                    ds.local_port,
                ));
                depends_on.push(ds.name.clone());
            }
            ComposeService {
                host_port: service.port.map(&mut host_port_for),
                service,
                context: if service.recipe.context == "." {
                    ".".to_owned()
                } else {
                    format!("./{}", service.recipe.context)
                },
                dockerfile: format!("{}Dockerfile", service.recipe.dir_in_context),
                environment,
                depends_on,
            }
        })
        .collect();
    ComposeContext {
        project,
        first_port: project.services_with_port().find_map(|s| s.port),
        port_list: project
            .services_with_port()
            .filter_map(|s| Some(format!("{} {}", s.name, s.port?)))
            .collect::<Vec<_>>()
            .join(", "),
        services,
        datastores,
    }
}

/// `["a", "b"]`: an exec-form command, as Dockerfiles conventionally spell it.
fn exec_form(words: &[String]) -> String {
    let quoted: Vec<String> = words
        .iter()
        .map(|w| serde_json::to_string(w).expect("strings serialize"))
        .collect();
    format!("[{}]", quoted.join(", "))
}

/// `value` as a `.env` file reads it: bare when it is one plain word, double-quoted otherwise
/// (ADO.NET connection strings hold spaces and `;`).
fn dotenv_value(value: &str) -> String {
    if value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/:@._-,=?&+%".contains(c))
    {
        value.to_owned()
    } else {
        serde_json::to_string(value).expect("strings serialize")
    }
}

/// `["a", "b"]` with a space after each comma, as yamllint expects.
fn flow_sequence(items: &[&str]) -> String {
    let quoted: Vec<String> = items
        .iter()
        .map(|item| serde_json::to_string(item).expect("strings serialize"))
        .collect();
    format!("[{}]", quoted.join(", "))
}
