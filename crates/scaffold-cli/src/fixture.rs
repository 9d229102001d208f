//! A small stand-in family for the CLI's own tests, compiled only into debug
//! builds and switched on by the `SCAFFOLD_TEST_FIXTURE_FAMILY` environment
//! variable.
//!
//! The sync scenarios need generated files whose content and number change
//! with `scaffold.toml` (an environment added or removed), and a file that is
//! a delimited block. The real families provide such files too, but the CLI's
//! tests should not break or change meaning whenever a template does, so they
//! run against these fixed files under `fixture/` instead, next to whatever
//! the real families render.

use scaffold_core::Project;
use scaffold_render::{Files, HEADER};

/// The environment variable that switches the fixture family on.
pub const ENV_VAR: &str = "SCAFFOLD_TEST_FIXTURE_FAMILY";

/// Adds the fixture files for `project` when the environment variable is set.
pub fn add_if_enabled(project: &Project, files: &mut Files) {
    if std::env::var_os(ENV_VAR).is_some() {
        add(project, files);
    }
}

/// Adds the fixture files for `project`.
pub fn add(project: &Project, files: &mut Files) {
    // A workflow-like file that lists every environment: it changes when one
    // is added, which is what a user's edit must survive.
    let mut deploy = format!(
        "# {HEADER}\nname: deploy {app}\n\njobs:\n",
        app = project.app.name
    );
    for env in &project.environments {
        deploy.push_str(&format!(
            "  deploy-{name}:\n    environment: {name}\n    steps:\n      - run: ./deploy.sh {name}\n",
            name = env.name
        ));
    }
    files.insert("fixture/deploy.yml".to_owned(), deploy);
    // One file per environment: created and deleted with it.
    for env in &project.environments {
        files.insert(
            format!("fixture/env/{}.txt", env.name),
            format!("# {HEADER}\nenvironment {}\n", env.name),
        );
    }
    // A script, which is written executable.
    files.insert(
        "fixture/bin/deploy.sh".to_owned(),
        format!("#!/bin/sh\n# {HEADER}\nexec ./deploy.sh \"$@\"\n"),
    );
    // One file per service.
    for service in &project.services {
        files.insert(
            format!("fixture/services/{}.txt", service.name),
            format!(
                "# {HEADER}\nservice {}\nport {}\n",
                service.name,
                service
                    .port
                    .map_or_else(|| "none".to_owned(), |p| p.to_string())
            ),
        );
    }
    // A file with a delimited block, like the root README: only the block
    // goes into the user's own file.
    files.insert(
        "fixture/NOTES.md".to_owned(),
        format!(
            "<!-- {HEADER} -->\n\n# {app}\n\n<!-- scaffold:begin -->\n## {app} on {cloud}\n\nEnvironments: {envs}.\n<!-- scaffold:end -->\n",
            app = project.app.name,
            cloud = project.cloud.region,
            envs = project
                .environments
                .iter()
                .map(|e| e.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
}
