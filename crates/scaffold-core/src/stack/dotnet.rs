//! .NET services (ASP.NET Core, workers): detection from a project file, and the recipe.
//!
//! The image publishes the one project the folder holds with the SDK its
//! `TargetFramework` names, and runs the assembly in the ASP.NET Core runtime
//! image as its `app` user (uid 1654), listening where
//! `ASPNETCORE_HTTP_PORTS` says. `launchSettings.json` is `dotnet run`'s local
//! profile, never the container's port.

use serde::Serialize;

use super::text;
use super::{
    Ci, Detail as AnyDetail, Detected, Finding, Folder, Found, Recipe, RecipeFacts, RecipeInput,
    Setup, Stack, join, literal_paths, warning,
};
use crate::connection::ConventionalNames;
use crate::datastore::{ConnectionForm, Engine};
use crate::vocabulary::{Language, PackageManager, ServiceKind};

/// The .NET version used when the project names none.
pub const DEFAULT_VERSION: &str = "9.0";

/// The .NET row of the stack table.
pub static STACK: Stack = Stack {
    language: Language::Dotnet,
    manifests: &["*.csproj", "*.fsproj"],
    package_managers: &[PackageManager::Dotnet],
    default_port: 8080,
    health: ("/healthz", "/healthz"),
    metrics: false,
    // The `app` user of the official .NET 8+ images ($APP_UID).
    uid: 1654,
    shell: true,
    http_healthcheck: false,
    codeql: Some(("csharp", "none")),
    connection_form: |engine| {
        if engine == Engine::Redis {
            ConnectionForm::RedisConfig
        } else {
            ConnectionForm::AdoNet
        }
    },
    connection_names: ConventionalNames::COMMON,
    detect,
    recipe,
    ci,
    dependabot: |_| "nuget",
};

/// What the .NET recipe needs, as detection found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// The project file, relative to the folder.
    pub project: String,
    /// The assembly the publish step writes (`<AssemblyName>.dll`).
    pub assembly: String,
    /// The project references projects outside its folder, so the build context is the
    /// repository root.
    pub outside_references: bool,
    /// The folder holding the test projects, relative to the service folder.
    pub tests: Option<String>,
    /// An `.editorconfig` exists, so `dotnet format` has rules to check.
    pub editorconfig: bool,
    /// The SDK version `global.json` pins.
    pub sdk: Option<String>,
}

const DATASTORES: &[(&str, Engine)] = &[
    ("npgsql", Engine::Postgres),
    ("npgsql.entityframeworkcore.postgresql", Engine::Postgres),
    ("mysqlconnector", Engine::Mysql),
    ("mysql.data", Engine::Mysql),
    ("pomelo.entityframeworkcore.mysql", Engine::Mysql),
    ("stackexchange.redis", Engine::Redis),
    (
        "microsoft.extensions.caching.stackexchangeredis",
        Engine::Redis,
    ),
    ("microsoft.data.sqlclient", Engine::Sqlserver),
    ("system.data.sqlclient", Engine::Sqlserver),
    ("microsoft.entityframeworkcore.sqlserver", Engine::Sqlserver),
];

/// The `Include` values of `<PackageReference>` or `<ProjectReference>` elements.
fn references(text: &str, element: &str) -> Vec<String> {
    text.split(&format!("<{element}"))
        .skip(1)
        .filter_map(|rest| {
            let at = rest.find("Include=\"")? + "Include=\"".len();
            Some(rest[at..].split('"').next()?.to_owned())
        })
        .collect()
}

fn detect(folder: &Folder<'_>) -> Option<Finding> {
    let project = folder
        .has_suffix(".csproj")
        .or_else(|| folder.has_suffix(".fsproj"))?
        .to_owned();
    let text = folder.read(&project)?;
    let shown = folder.shown(&project);
    let packages: Vec<String> = references(&text, "PackageReference")
        .into_iter()
        .map(|p| p.to_ascii_lowercase())
        .collect();
    let has = |p: &str| packages.iter().any(|x| x == p);
    let test_project = text.contains("<IsTestProject>true")
        || [
            "xunit",
            "nunit",
            "mstest.testframework",
            "microsoft.net.test.sdk",
        ]
        .iter()
        .any(|p| has(p));
    if test_project {
        return Some(Finding::Library(format!("{shown} is a test project")));
    }
    let sdk = text
        .split("Sdk=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or("Microsoft.NET.Sdk");
    let exe = text.contains("<OutputType>Exe</OutputType>");
    if sdk == "Microsoft.NET.Sdk" && !exe && !has("grpc.aspnetcore") {
        return Some(Finding::Library(format!(
            "{shown} is a class library (no web or worker SDK, no `OutputType` Exe)"
        )));
    }
    let assembly = text::xml_values(&text, "AssemblyName")
        .into_iter()
        .next()
        .unwrap_or_else(|| {
            project
                .trim_end_matches(".csproj")
                .trim_end_matches(".fsproj")
                .to_owned()
        });
    let outside_references = references(&text, "ProjectReference")
        .iter()
        .any(|r| r.starts_with(".."));
    let tests = ["tests", "test"]
        .into_iter()
        .find(|dir| !folder.list(dir).is_empty())
        .map(str::to_owned);
    let global = folder
        .read("global.json")
        .or_else(|| folder.tree.read("global.json"));
    let sdk_version = global
        .as_deref()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok())
        .and_then(|j| j.get("sdk")?.get("version")?.as_str().map(str::to_owned));
    let facts = Facts {
        project: project.clone(),
        assembly: assembly.clone(),
        outside_references,
        tests,
        editorconfig: folder.has(".editorconfig") || folder.tree.read(".editorconfig").is_some(),
        sdk: sdk_version.clone(),
    };
    let mut found = Detected::new(
        Language::Dotnet,
        PackageManager::Dotnet,
        RecipeFacts::Dotnet(facts),
    );
    found.read_dockerfile(folder);
    found
        .evidence
        .push(format!("{shown} uses `{sdk}` → dotnet"));
    if has("grpc.aspnetcore") && !text.contains("MapGet") {
        found.kind = Found::new(
            ServiceKind::Grpc,
            format!("{shown} references Grpc.AspNetCore: a gRPC server"),
        );
    } else if sdk == "Microsoft.NET.Sdk.Worker" || (sdk == "Microsoft.NET.Sdk" && exe) {
        found.kind = Found::new(
            ServiceKind::Worker,
            format!("{shown} is a worker (`{sdk}`)"),
        );
    }
    if let Some(tfm) = text::xml_values(&text, "TargetFramework")
        .into_iter()
        .next()
        && let Some(v) = text::major_minor(tfm.trim_start_matches("net"))
    {
        found.runtime_version = Some(Found::new(v, format!("{shown} targets `{tfm}`")));
    }
    if found.kind.value.listens() {
        let mut port = None;
        for name in ["Dockerfile", ".env.example", ".env"] {
            if let Some(text) = folder.read(name) {
                for line in text.lines() {
                    for key in ["ASPNETCORE_HTTP_PORTS=", "ASPNETCORE_URLS="] {
                        if let Some(rest) = line.split(key).nth(1)
                            && let Some(p) = rest.rsplit(':').next().and_then(|p| {
                                p.trim()
                                    .trim_matches('"')
                                    .split(';')
                                    .next()?
                                    .parse::<u16>()
                                    .ok()
                            })
                            && port.is_none()
                        {
                            port = Some(Found::new(
                                p,
                                format!("{} sets `{}`", folder.shown(name), line.trim()),
                            ));
                        }
                    }
                }
            }
        }
        found.port_from(
            folder,
            &[],
            port.or(Some(Found::new(
                8080,
                "the ASP.NET Core images listen on 8080 (`ASPNETCORE_HTTP_PORTS`)",
            ))),
        );
        if let Some(launch) = folder.read("Properties/launchSettings.json")
            && launch.contains("applicationUrl")
        {
            found.evidence.push(format!(
                "{} sets a port for `dotnet run` on a developer's machine only; the container listens on {}",
                folder.shown("Properties/launchSettings.json"),
                found.port.as_ref().map_or(8080, |p| p.value)
            ));
        }
        let sources = folder.sources(&[".cs", ".fs"], 60);
        found.health_from(&literal_paths(&sources, folder));
    }
    let names: Vec<String> = packages.clone();
    found.engines_from(&names, &shown, DATASTORES);
    if has("microsoft.entityframeworkcore.sqlite") || has("microsoft.data.sqlite") {
        found.sqlite = Some(format!("{shown} references SQLite"));
    }
    // appsettings.json names the connection strings the code reads.
    if let Some(settings) = folder
        .read("appsettings.json")
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        && let Some(strings) = settings
            .get("ConnectionStrings")
            .and_then(|c| c.as_object())
    {
        for (key, value) in strings {
            let value = value.as_str().unwrap_or_default().to_ascii_lowercase();
            let name = key.to_ascii_lowercase();
            let engine =
                if name.contains("redis") || name.contains("cache") || value.contains(":6379") {
                    Some(Engine::Redis)
                } else if value.contains("host=") || name.contains("postgres") {
                    Some(Engine::Postgres)
                } else if value.contains("3306") || name.contains("mysql") {
                    Some(Engine::Mysql)
                } else if value.contains("server=") || name.contains("sql") {
                    Some(Engine::Sqlserver)
                } else {
                    found
                        .engines
                        .iter()
                        .find(|e| e.value.facts().relational)
                        .map(|e| e.value)
                };
            if let Some(engine) = engine
                && !found.variables.iter().any(|(e, _)| *e == engine)
            {
                found.variables.push((
                    engine,
                    Found::new(
                        format!("ConnectionStrings__{key}"),
                        format!(
                            "{} names the connection string `{key}`",
                            folder.shown("appsettings.json")
                        ),
                    ),
                ));
            }
        }
    }
    Some(Finding::Service(Box::new(found)))
}

/// The .NET template's details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Detail {
    /// The project file, relative to the build context.
    pub project: String,
    /// The assembly's file name.
    pub dll: String,
}

fn recipe(input: &RecipeInput<'_>) -> Recipe {
    let facts = match input.facts() {
        Some(RecipeFacts::Dotnet(facts)) => Some(facts),
        _ => None,
    };
    let version = input.version(DEFAULT_VERSION, ".NET");
    let pinned = input.version_pinned();
    let v = &version.value;
    // The starter's project is named after the service.
    let project = facts.map_or_else(
        || format!("{}.csproj", pascal_project(input.name)),
        |f| f.project.clone(),
    );
    let assembly = facts.map_or_else(|| pascal_project(input.name), |f| f.assembly.clone());
    let outside = facts.is_some_and(|f| f.outside_references);
    let dir_in_context = if outside {
        format!("{}/", input.path)
    } else {
        String::new()
    };
    let runtime = if input.kind.listens() {
        "aspnet"
    } else {
        "runtime"
    };
    let build = input.build(Some(format!(
        "dotnet publish {dir_in_context}{project} --configuration Release --output /out --no-restore"
    )));
    let dll = format!("{assembly}.dll");
    let start = input.start(vec!["dotnet".into(), format!("/app/{dll}")]);
    Recipe {
        template: "docker/dotnet.Dockerfile.tera",
        build_image: format!("mcr.microsoft.com/dotnet/sdk:{v}"),
        runtime_image: format!("mcr.microsoft.com/dotnet/{runtime}:{v}"),
        version_pinned: pinned,
        evidence: vec![version.why.clone()],
        runtime_version: version,
        context: if outside {
            ".".to_owned()
        } else {
            input.path.to_owned()
        },
        dir_in_context: dir_in_context.clone(),
        build,
        start_text: input
            .answers
            .start
            .map_or_else(|| start.join(" "), str::to_owned),
        start,
        init: false,
        detail: AnyDetail::Dotnet(Detail {
            project: format!("{dir_in_context}{project}"),
            dll,
        }),
        assumptions: Vec::new(),
    }
}

/// `order-api` → `OrderApi`, the starter's project and assembly name.
pub fn pascal_project(name: &str) -> String {
    crate::connection::pascal(name)
}

fn ci(input: &RecipeInput<'_>, recipe: &Recipe) -> Ci {
    let facts = match input.facts() {
        Some(RecipeFacts::Dotnet(facts)) => Some(facts),
        _ => None,
    };
    let project = match &recipe.detail {
        AnyDetail::Dotnet(d) => d.project.clone(),
        _ => String::new(),
    };
    let lint = if facts.is_some_and(|f| f.editorconfig) {
        vec![format!("dotnet format {project} --verify-no-changes")]
    } else {
        vec![warning(&format!(
            "{}: no .editorconfig, so `dotnet format` has no style to check; nothing lints this service beyond the compiler",
            input.name
        ))]
    };
    // The starter's test project sits in tests/.
    let tests = facts.map_or(Some("tests".to_owned()), |f| f.tests.clone());
    let test = if let Some(dir) = tests {
        vec![format!(
            "dotnet test {}{dir} --configuration Release",
            recipe.dir_in_context
        )]
    } else {
        vec![
            format!("dotnet build {project} --configuration Release --no-restore"),
            warning(&format!(
                "{}: no test project exists, so no tests run",
                input.name
            )),
        ]
    };
    let sdk = facts
        .and_then(|f| f.sdk.clone())
        .unwrap_or_else(|| format!("{}.x", recipe.runtime_version.value));
    Ci {
        setup: Setup::Dotnet { version: sdk },
        working_directory: recipe.context.clone(),
        cache_key: join(&recipe.context, "**/*.csproj"),
        install: vec![format!("dotnet restore {project}")],
        lint,
        test,
    }
}
