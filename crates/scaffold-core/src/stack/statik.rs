//! Static front ends: built with Node, served by unprivileged nginx.
//!
//! The build's output folder is read from the tool's configuration (Vite's
//! `build.outDir`, Angular's `outputPath`) or its convention (`build/` for
//! Create React App and SvelteKit's static adapter, `out/` for a Next.js
//! export, `public/` for Gatsby, `dist/` for the rest), never assumed silently.

use std::collections::BTreeMap;

use serde::Serialize;

use super::node::{Install, Manifest, install, manager};
use super::{
    Ci, Detail as AnyDetail, Detected, Finding, Folder, Found, Recipe, RecipeFacts, RecipeInput,
    Stack,
};
use crate::connection::ConventionalNames;
use crate::datastore::ConnectionForm;
use crate::vocabulary::{Language, PackageManager};

/// The pinned nginx image that serves the site as user 101.
pub const NGINX_IMAGE: &str = "nginxinc/nginx-unprivileged:1.28.0-alpine";

/// The static row of the stack table.
pub static STACK: Stack = Stack {
    language: Language::Static,
    manifests: &["package.json"],
    package_managers: &[
        PackageManager::Npm,
        PackageManager::Pnpm,
        PackageManager::Yarn,
    ],
    default_port: 8080,
    health: ("/healthz", "/healthz"),
    metrics: false,
    // nginx-unprivileged's `nginx` user.
    uid: 101,
    shell: true,
    http_healthcheck: true,
    codeql: Some(("javascript-typescript", "none")),
    connection_form: |_| ConnectionForm::Url,
    connection_names: ConventionalNames::COMMON,
    detect,
    recipe,
    ci,
    dependabot: |_| "npm",
};

/// What the static recipe needs, as detection found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// The build's output folder, with why.
    pub output: Option<Found<String>>,
    /// The tool that builds it.
    pub tool: String,
    /// The lockfile, relative to the build context.
    pub lockfile: Option<String>,
    /// The package manager version `packageManager` pins.
    pub manager_version: Option<String>,
    /// The workspace root when the package is a workspace member.
    pub workspace_root: Option<String>,
    /// The package's name.
    pub name: Option<String>,
    /// `scripts` of package.json.
    pub scripts: BTreeMap<String, String>,
}

/// Detects a static site in a folder whose package.json builds a front end with no server.
pub fn detect(folder: &Folder<'_>) -> Option<Finding> {
    let manifest = Manifest::read(folder)?;
    let shown = folder.shown("package.json");
    let (pm, lock, pm_version, pm_why) = manager(folder, &manifest);
    let compact = |name: &str| {
        folder
            .read(name)
            .map(|t| t.chars().filter(|c| !c.is_whitespace()).collect::<String>())
    };
    let next_export = manifest.has("next");
    let tool = if next_export {
        "a Next.js static export".to_owned()
    } else {
        super::node::FRONT_ENDS
            .iter()
            .find(|s| manifest.has_any(s))
            .map(|s| (*s).to_owned())
            .unwrap_or_else(|| "its build script".to_owned())
    };
    let quoted = |text: &str, key: &str| -> Option<String> {
        let at = text.find(key)? + key.len();
        let rest = &text[at..];
        let quote = rest
            .chars()
            .next()
            .filter(|c| matches!(c, '"' | '\'' | '`'))?;
        let value: String = rest[1..].chars().take_while(|c| *c != quote).collect();
        (!value.is_empty()).then_some(value)
    };
    let vite_out = [
        "vite.config.ts",
        "vite.config.js",
        "vite.config.mts",
        "vite.config.mjs",
    ]
    .iter()
    .find_map(|name| Some((*name, quoted(&compact(name)?, "outDir:")?)));
    let angular_out = compact("angular.json").and_then(|t| quoted(&t, "\"outputPath\":"));
    let output = if let Some((file, dir)) = vite_out {
        Some(Found::new(
            dir.trim_start_matches("./").to_owned(),
            format!("{} sets `build.outDir`", folder.shown(file)),
        ))
    } else if let Some(dir) = angular_out {
        // Angular 17+ writes the browser bundle under `browser/`.
        let browser = manifest.has_any("@angular/build");
        Some(Found::new(
            if browser {
                format!("{dir}/browser")
            } else {
                dir.clone()
            },
            format!("{} sets `outputPath`", folder.shown("angular.json")),
        ))
    } else if next_export {
        Some(Found::new(
            "out".to_owned(),
            "`next build` with `output: 'export'` writes out/",
        ))
    } else if manifest.has_any("react-scripts") {
        Some(Found::new(
            "build".to_owned(),
            "react-scripts writes build/",
        ))
    } else if manifest.has_any("@sveltejs/adapter-static") {
        Some(Found::new(
            "build".to_owned(),
            "SvelteKit's static adapter writes build/",
        ))
    } else if manifest.has_any("gatsby") {
        Some(Found::new("public".to_owned(), "Gatsby writes public/"))
    } else if manifest.has_any("vite")
        || manifest.has_any("astro")
        || manifest.has_any("parcel")
        || manifest.has_any("@vue/cli-service")
    {
        Some(Found::new(
            "dist".to_owned(),
            format!("{tool} writes dist/ by default"),
        ))
    } else {
        None
    };
    // A build that writes outside its folder feeds another service (a back end that serves
    // the bundle), so it is not a site of its own.
    if let Some(out) = output
        .as_ref()
        .filter(|o| o.value.starts_with("..") || o.value.starts_with('/'))
    {
        return Some(Finding::Library(format!(
            "{} writes its build to `{}`, outside its folder: the service that serves that folder serves this front end, so build it in that service's image",
            out.why
                .trim_end_matches(" sets `build.outDir`")
                .trim_end_matches(" sets `outputPath`"),
            out.value
        )));
    }
    let workspace_root = (folder.dir != "."
        && folder
            .root
            .node
            .as_ref()
            .is_some_and(|r| r.declared && r.packages.values().any(|d| d == folder.dir)))
    .then(|| ".".to_owned());
    let facts = Facts {
        output,
        tool: tool.clone(),
        lockfile: lock,
        manager_version: pm_version,
        workspace_root,
        name: manifest
            .json
            .get("name")
            .and_then(|v| v.as_str())
            .map(str::to_owned),
        scripts: manifest.scripts.clone(),
    };
    let mut found = Detected::new(Language::Static, pm, RecipeFacts::Static(facts));
    found.read_dockerfile(folder);
    found.evidence.push(format!(
        "{shown} builds with {tool} and has no server dependency: a static front end served by nginx"
    ));
    found.evidence.push(pm_why);
    found.runtime_version = super::node::version(folder, &manifest);
    if !manifest.scripts.contains_key("build") {
        found.unsure.push(format!(
            "{shown} has no `build` script; scaffold's image runs `npm run build`, so add one"
        ));
    }
    Some(Finding::Service(Box::new(found)))
}

/// The static template's details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Detail {
    /// How dependencies are installed.
    pub install: Install,
    /// The build's output folder, relative to the service's folder.
    pub output: String,
}

fn recipe(input: &RecipeInput<'_>) -> Recipe {
    let facts = match input.facts() {
        Some(RecipeFacts::Static(facts)) => Some(facts),
        _ => None,
    };
    let version = input.version(super::node::DEFAULT_VERSION, "Node.js");
    let pinned = input.version_pinned();
    let node_image = super::node::image(&version, pinned);
    let manager = input.package_manager;
    let runner = manager.as_str();
    let mut evidence = vec![version.why.clone()];
    let mut assumptions = Vec::new();
    let output = match (input.answers.output, facts.and_then(|f| f.output.clone())) {
        (Some(dir), _) => Found::new(dir.to_owned(), "`output` in scaffold.toml"),
        (None, Some(found)) => found,
        (None, None) => {
            assumptions.push(format!(
                "the build output folder of {} is not named by its configuration, so dist/ is assumed; set `output` in scaffold.toml if it differs",
                input.name
            ));
            Found::new("dist".to_owned(), "dist/ is assumed")
        }
    };
    evidence.push(format!(
        "the site is served from {}/ ({})",
        output.value, output.why
    ));
    let lockfile = facts
        .and_then(|f| f.lockfile.clone())
        .or_else(|| facts.is_none().then(|| manager.lockfile().to_owned()));
    let in_workspace = facts.is_some_and(|f| f.workspace_root.is_some()) && input.path != ".";
    let name = facts.and_then(|f| f.name.clone());
    let build_default = Some(match (&name, in_workspace, manager) {
        (Some(n), true, PackageManager::Pnpm) => format!("pnpm --filter {n} run build"),
        (Some(n), true, PackageManager::Npm) => format!("npm run build --workspace {n}"),
        (Some(n), true, PackageManager::Yarn) => format!("yarn workspace {n} run build"),
        _ => format!("{runner} run build"),
    });
    let mut install = install(
        manager,
        lockfile.as_deref(),
        facts.and_then(|f| f.manager_version.as_deref()),
        None,
    );
    install.prune = None;
    Recipe {
        template: "docker/static.Dockerfile.tera",
        build_image: node_image,
        runtime_image: NGINX_IMAGE.to_owned(),
        version_pinned: pinned,
        runtime_version: version,
        context: if in_workspace {
            ".".to_owned()
        } else {
            input.path.to_owned()
        },
        dir_in_context: if in_workspace {
            format!("{}/", input.path)
        } else {
            String::new()
        },
        build: input.build(build_default),
        start: vec!["nginx".into(), "-g".into(), "daemon off;".into()],
        start_text: String::new(),
        init: false,
        detail: AnyDetail::Static(Detail {
            install,
            output: output.value,
        }),
        evidence,
        assumptions,
    }
}

fn ci(input: &RecipeInput<'_>, recipe: &Recipe) -> Ci {
    let scripts = match input.facts() {
        Some(RecipeFacts::Static(f)) => f.scripts.clone(),
        _ => [("build".to_owned(), "node build.mjs".to_owned())].into(),
    };
    super::node::ci_for(input, recipe, &scripts, true)
}
