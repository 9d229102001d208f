//! The answers `scaffold new --defaults` starts from.
//!
//! Detection (in the CLI) may replace the services and datastores with what it
//! finds in the repository; everything else is the documented default.

use crate::answers::{
    Answers, AppAnswers, CloudAnswers, DatastoreAnswers, DeliveryAnswers, EnvironmentAnswers,
    ReliabilityAnswers, ServiceAnswers,
};
use crate::project::MAX_NAME_LEN;
use crate::vocabulary::{Availability, Engine, Language, Provider, Registry, Strategy};

/// Turns a folder name into a valid app name: lowercase, `-` for anything else, starting with a letter.
pub fn app_name_from_dir(dir: &str) -> String {
    let mut name = String::new();
    for c in dir.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            name.push(c);
        } else if !name.ends_with('-') && !name.is_empty() {
            name.push('-');
        }
    }
    let name = name.trim_matches('-');
    let mut name = if name.starts_with(|c: char| c.is_ascii_lowercase()) {
        name.to_owned()
    } else if name.is_empty() {
        "app".to_owned()
    } else {
        format!("app-{name}")
    };
    name.truncate(MAX_NAME_LEN);
    name.trim_end_matches('-').to_owned()
}

/// The default answers for an app named `name`: one Node service at the root
/// using a PostgreSQL database, staging from `main`, production behind
/// approval, AWS `us-east-1`, rolling, ghcr, 99.9%.
pub fn default_answers(name: &str) -> Answers {
    Answers {
        schema: Some(1),
        app: AppAnswers {
            name: name.to_owned(),
            ..AppAnswers::default()
        },
        cloud: CloudAnswers {
            provider: Some(Provider::Aws),
            // Left open so `--set cloud.provider=gcp` gets that provider's default region.
            region: None,
            dr_region: None,
            allow_unlisted_regions: None,
        },
        services: vec![ServiceAnswers {
            name: name.to_owned(),
            language: Some(Language::Node),
            path: Some(".".to_owned()),
            port: Some(i64::from(Language::Node.default_port())),
            uses: Some(vec!["db".to_owned()]),
            public: Some(true),
            ..ServiceAnswers::default()
        }],
        datastores: vec![DatastoreAnswers {
            name: "db".to_owned(),
            engine: Some(Engine::Postgres),
            version: None,
        }],
        environments: Some(vec![
            EnvironmentAnswers {
                name: "staging".to_owned(),
                branch: Some("main".to_owned()),
                approval: Some(false),
                ..EnvironmentAnswers::default()
            },
            EnvironmentAnswers {
                name: "production".to_owned(),
                approval: Some(true),
                ..EnvironmentAnswers::default()
            },
        ]),
        delivery: DeliveryAnswers {
            strategy: Some(Strategy::Rolling),
            registry: Some(Registry::Ghcr),
            gitops: Some(false),
            runners: None,
        },
        reliability: ReliabilityAnswers {
            availability: Some(Availability::ThreeNines),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::{Facts, Project};

    fn check(dir: &str, expect: &str) {
        assert_eq!(app_name_from_dir(dir), expect);
    }

    #[test]
    fn folder_names_become_app_names() {
        check("shop", "shop");
        check("My Shop_2", "my-shop-2");
        check("42things", "app-42things");
        check("---", "app");
        check(
            "a-very-long-folder-name-that-goes-on-and-on",
            "a-very-long-folder-name-that-g",
        );
    }

    #[test]
    fn defaults_resolve() {
        let project = Project::resolve(&default_answers("shop"), &Facts::default()).unwrap();
        assert_eq!(project.services[0].uses, ["db"]);
        assert_eq!(project.environments.len(), 2);
    }
}
