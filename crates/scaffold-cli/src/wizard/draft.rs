//! The wizard's answers while it asks, and the pure mapping to [`Answers`].
//!
//! A [`Draft`] holds every answer the wizard asks about, fully resolved
//! (no "absent" values where the wizard always proposes one), starting from
//! the same answers `scaffold new --defaults` would write. Pressing Enter
//! at every question leaves the draft unchanged, so [`Draft::to_answers`]
//! gives exactly the `--defaults` answers. Everything here is pure and
//! tested in-process; the prompts live in the parent module.

use std::collections::{BTreeMap, BTreeSet};

use scaffold_core::answers::{
    AppAnswers, CloudAnswers, DatastoreAnswers, DeliveryAnswers, EnvironmentAnswers,
    ReliabilityAnswers, ServiceAnswers,
};
use scaffold_core::project::Facts;
use scaffold_core::{Answers, Availability, Project, Provider, Registry, Runners, Strategy};

/// The standard environments the wizard offers, in promotion order.
pub const STANDARD_ENVIRONMENTS: &[&str] = &["dev", "staging", "uat", "production"];

/// Every answer the wizard asks about.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    /// `app.name`.
    pub name: String,
    /// `app.description`, carried through unchanged (the wizard does not ask).
    pub description: Option<String>,
    /// `app.repository`; `None` reads the git remote `origin`.
    pub repository: Option<String>,
    /// `app.owners`; empty means the repository owner.
    pub owners: Vec<String>,
    /// `app.team_size`.
    pub team_size: Option<u32>,
    /// `cloud.provider`.
    pub provider: Provider,
    /// `cloud.region`.
    pub region: String,
    /// `cloud.dr_region`.
    pub dr_region: Option<String>,
    /// `cloud.allow_unlisted_regions`: the user confirmed a region scaffold's list lacks.
    pub allow_unlisted_regions: bool,
    /// `[[services]]`.
    pub services: Vec<ServiceAnswers>,
    /// `[[datastores]]`.
    pub datastores: Vec<DatastoreAnswers>,
    /// `[[environments]]`, in promotion order.
    pub environments: Vec<EnvironmentAnswers>,
    /// `delivery.strategy`.
    pub strategy: Strategy,
    /// `delivery.registry`.
    pub registry: Registry,
    /// `delivery.gitops`.
    pub gitops: bool,
    /// `delivery.runners`.
    pub runners: Runners,
    /// `app.default_branch`, carried through unchanged (detected from the remote when absent).
    pub default_branch: Option<String>,
    /// `reliability.availability`.
    pub availability: Availability,
}

impl Draft {
    /// A draft holding `answers`, with each absent choice replaced by its default.
    pub fn from_answers(answers: &Answers) -> Draft {
        let provider = answers.cloud.provider.unwrap_or(Provider::Aws);
        Draft {
            name: answers.app.name.clone(),
            description: answers.app.description.clone(),
            repository: answers.app.repository.clone(),
            owners: answers.app.owners.clone().unwrap_or_default(),
            team_size: answers.app.team_size,
            provider,
            region: answers
                .cloud
                .region
                .clone()
                .unwrap_or_else(|| provider.default_region().to_owned()),
            dr_region: answers.cloud.dr_region.clone(),
            allow_unlisted_regions: answers.cloud.allow_unlisted_regions == Some(true),
            services: answers.services.clone(),
            datastores: answers.datastores.clone(),
            environments: answers.environments.clone().unwrap_or_else(|| {
                scaffold_core::defaults::default_answers("app")
                    .environments
                    .unwrap_or_default()
            }),
            strategy: answers.delivery.strategy.unwrap_or(Strategy::Rolling),
            registry: answers.delivery.registry.unwrap_or(Registry::Ghcr),
            gitops: answers.delivery.gitops.unwrap_or(false),
            runners: answers.delivery.runners.unwrap_or(Runners::GithubHosted),
            default_branch: answers.app.default_branch.clone(),
            availability: answers
                .reliability
                .availability
                .unwrap_or(Availability::ThreeNines),
        }
    }

    /// The answers this draft stands for.
    pub fn to_answers(&self) -> Answers {
        Answers {
            schema: Some(1),
            app: AppAnswers {
                name: self.name.clone(),
                description: self.description.clone(),
                repository: self.repository.clone(),
                owners: (!self.owners.is_empty()).then(|| self.owners.clone()),
                team_size: self.team_size,
                default_branch: self.default_branch.clone(),
            },
            cloud: CloudAnswers {
                provider: Some(self.provider),
                // The provider's default region stays implicit, as `--defaults` writes it,
                // so both paths give the same file and a later cloud change moves the region too.
                region: (self.region != self.provider.default_region())
                    .then(|| self.region.clone()),
                dr_region: self.dr_region.clone(),
                allow_unlisted_regions: self.allow_unlisted_regions.then_some(true),
            },
            services: self.services.clone(),
            datastores: self.datastores.clone(),
            environments: Some(self.environments.clone()),
            delivery: DeliveryAnswers {
                strategy: Some(self.strategy),
                registry: Some(self.registry),
                gitops: Some(self.gitops),
                // The default stays implicit, as `--defaults` writes it.
                runners: (self.runners != Runners::GithubHosted).then_some(self.runners),
            },
            reliability: ReliabilityAnswers {
                availability: Some(self.availability),
            },
        }
    }

    /// The first problem core finds at `key` (or below it), if any.
    ///
    /// The wizard checks an answer by putting it in a copy of the draft and
    /// asking core, so the prompt rejects exactly what `scaffold.toml` would.
    pub fn problem_at(&self, key: &str, facts: &Facts) -> Option<String> {
        match Project::resolve(&self.to_answers(), facts) {
            Ok(_) => None,
            Err(err) => err
                .problems()
                .iter()
                .find(|p| {
                    p.path == key
                        || p.path.starts_with(&format!("{key}["))
                        || p.path.starts_with(&format!("{key}."))
                })
                .map(|p| {
                    if p.help.is_empty() {
                        p.message.clone()
                    } else {
                        format!("{}; {}", p.message, p.help)
                    }
                }),
        }
    }

    /// Changes the cloud, moving the region and registry along when they belonged to the old one.
    pub fn set_provider(&mut self, provider: Provider) {
        if provider != self.provider {
            self.region = provider.default_region().to_owned();
            self.dr_region = None;
        }
        self.provider = provider;
        self.registry = fit_registry(self.registry, provider);
    }

    /// Removes datastore `name` and every service's use of it.
    pub fn remove_datastore(&mut self, name: &str) {
        self.datastores.retain(|d| d.name != name);
        for service in &mut self.services {
            if let Some(uses) = &mut service.uses {
                uses.retain(|u| u != name);
            }
        }
    }

    /// Adds datastore `datastore`, used by the services named in `used_by`.
    pub fn add_datastore(&mut self, datastore: DatastoreAnswers, used_by: &[String]) {
        for service in &mut self.services {
            if used_by.contains(&service.name) {
                service
                    .uses
                    .get_or_insert_with(Vec::new)
                    .push(datastore.name.clone());
            }
        }
        self.datastores.push(datastore);
    }
}

/// `registry` if it fits `provider`, else ghcr (which fits every cloud).
pub fn fit_registry(registry: Registry, provider: Provider) -> Registry {
    match registry.provider() {
        Some(owner) if owner != provider => Registry::Ghcr,
        _ => registry,
    }
}

/// The environment names in promotion order: the chosen standard ones in
/// their usual order, with custom ones before `production` (they are usually
/// test stages), or at the end when production is not chosen.
pub fn order_environments(standard: &[&str], custom: &[String]) -> Vec<String> {
    let mut names: Vec<String> = STANDARD_ENVIRONMENTS
        .iter()
        .filter(|s| standard.contains(s))
        .map(|s| (*s).to_owned())
        .collect();
    let at = names
        .iter()
        .position(|n| n == "production")
        .unwrap_or(names.len());
    let extra: Vec<String> = custom
        .iter()
        .filter(|c| !names.contains(c))
        .cloned()
        .collect();
    names.splice(at..at, extra);
    let mut seen = BTreeSet::new();
    names.retain(|n| seen.insert(n.clone()));
    names
}

/// Environments named `names`, keeping what `previous` said about the ones it had
/// (domain, tier), with the branches and approvals chosen in the wizard.
pub fn plan_environments(
    names: &[String],
    branches: &BTreeMap<String, String>,
    approvals: &BTreeSet<String>,
    previous: &[EnvironmentAnswers],
) -> Vec<EnvironmentAnswers> {
    names
        .iter()
        .map(|name| {
            let old = previous.iter().find(|e| &e.name == name);
            EnvironmentAnswers {
                name: name.clone(),
                branch: branches.get(name).cloned(),
                approval: Some(approvals.contains(name)),
                domain: old.and_then(|e| e.domain.clone()),
                tier: old.and_then(|e| e.tier),
                separate_account: old.and_then(|e| e.separate_account),
            }
        })
        .collect()
}

/// The branch proposed for an environment that deploys on push: the one it
/// had, else `main` for the first such environment and `develop` for an earlier stage.
pub fn default_branch(name: &str, previous: &[EnvironmentAnswers], first: bool) -> String {
    previous
        .iter()
        .find(|e| e.name == name)
        .and_then(|e| e.branch.clone())
        .unwrap_or_else(|| if first { "main" } else { "develop" }.to_owned())
}

/// Whether an environment should wait for approval when the user has not said.
pub fn default_approval(name: &str, previous: &[EnvironmentAnswers]) -> bool {
    previous
        .iter()
        .find(|e| e.name == name)
        .and_then(|e| e.approval)
        .unwrap_or(matches!(name, "production" | "prod" | "live"))
}

/// Where a new environment `name` goes by default: before the first
/// production environment unless it is one itself, else at the end.
pub fn insertion_index(envs: &[EnvironmentAnswers], name: &str) -> usize {
    let production = |n: &str| matches!(n, "production" | "prod" | "prd" | "live");
    if production(name) {
        return envs.len();
    }
    envs.iter()
        .position(|e| production(&e.name) || e.tier == Some(scaffold_core::Tier::Production))
        .unwrap_or(envs.len())
}

/// `owner/name` from what a person pastes: `owner/name` itself, or a GitHub
/// URL in any of its forms (`https://github.com/owner/name`, with `.git` or
/// a trailing `/`, `git@github.com:owner/name.git`, `ssh://git@github.com/...`).
/// Anything else is returned trimmed, for validation to explain.
pub fn repository_from(text: &str) -> String {
    let text = text.trim();
    let rest = [
        "https://github.com/",
        "http://github.com/",
        "https://www.github.com/",
        "github.com/",
        "git@github.com:",
        "ssh://git@github.com/",
        "git://github.com/",
    ]
    .iter()
    .find_map(|prefix| text.strip_prefix(prefix));
    let Some(rest) = rest else {
        return text.to_owned();
    };
    let rest = rest.trim_end_matches('/');
    let rest = rest.strip_suffix(".git").unwrap_or(rest);
    // `owner/name/tree/main` and the like: the first two parts are the repository.
    let mut parts = rest.split('/');
    match (parts.next(), parts.next()) {
        (Some(owner), Some(name)) if !owner.is_empty() && !name.is_empty() => {
            format!("{owner}/{name}")
        }
        _ => text.to_owned(),
    }
}

/// How many files go in each folder, in path order: the first two levels
/// (`.github/workflows`, `infra/modules`, `deploy/kubernetes`), the root's own files as `.`.
pub fn count_by_folder<'a>(paths: impl Iterator<Item = &'a String>) -> Vec<(String, usize)> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for path in paths {
        let parts: Vec<&str> = path.split('/').collect();
        let folder = match parts.len() {
            1 => ".".to_owned(),
            2 => parts[0].to_owned(),
            _ => format!("{}/{}", parts[0], parts[1]),
        };
        *counts.entry(folder).or_default() += 1;
    }
    counts.into_iter().collect()
}

/// Splits a comma-separated list, trimming and dropping empty items.
pub fn split_list(text: &str) -> Vec<String> {
    text.split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use scaffold_core::defaults::default_answers;
    use scaffold_core::{Engine, Language};

    use super::*;

    #[test]
    fn accepting_every_default_gives_the_defaults() {
        let answers = default_answers("shop");
        assert_eq!(Draft::from_answers(&answers).to_answers(), answers);
    }

    #[test]
    fn detected_answers_round_trip() {
        let detection = crate::detect::detect(
            &crate::detect::MemTree::new([
                ("web/package.json", r#"{"devDependencies":{"vite":"5"}}"#),
                ("api/go.mod", "module a\nrequire github.com/lib/pq v1\n"),
            ]),
            "acme",
        );
        let answers = detection.answers("acme");
        assert_eq!(Draft::from_answers(&answers).to_answers(), answers);
    }

    #[test]
    fn changing_cloud_moves_region_and_registry() {
        let mut draft = Draft::from_answers(&default_answers("shop"));
        draft.registry = Registry::Ecr;
        draft.set_provider(Provider::Gcp);
        assert_eq!(draft.region, "us-central1");
        assert_eq!(draft.registry, Registry::Ghcr);
        let answers = draft.to_answers();
        assert_eq!(answers.cloud.provider, Some(Provider::Gcp));
        assert!(Project::resolve(&answers, &Facts::default()).is_ok());
    }

    #[test]
    fn environments_keep_promotion_order_with_custom_ones_before_production() {
        assert_eq!(
            order_environments(&["production", "dev"], &["qa".to_owned()]),
            ["dev", "qa", "production"]
        );
        assert_eq!(
            order_environments(&["staging"], &["perf".to_owned(), "staging".to_owned()]),
            ["staging", "perf"]
        );
    }

    #[test]
    fn planned_environments_carry_branches_approvals_and_old_domains() {
        let previous = vec![EnvironmentAnswers {
            name: "staging".to_owned(),
            domain: Some("staging.example.com".to_owned()),
            ..EnvironmentAnswers::default()
        }];
        let names = vec!["staging".to_owned(), "production".to_owned()];
        let branches = BTreeMap::from([("staging".to_owned(), "main".to_owned())]);
        let approvals = BTreeSet::from(["production".to_owned()]);
        let envs = plan_environments(&names, &branches, &approvals, &previous);
        assert_eq!(envs[0].branch.as_deref(), Some("main"));
        assert_eq!(envs[0].domain.as_deref(), Some("staging.example.com"));
        assert_eq!(envs[1].approval, Some(true));
        assert_eq!(envs[1].branch, None);
        assert!(default_approval("production", &[]));
        assert_eq!(default_branch("dev", &[], false), "develop");
    }

    #[test]
    fn problems_are_found_at_their_key() {
        let mut draft = Draft::from_answers(&default_answers("shop"));
        draft.region = "US East".to_owned();
        let problem = draft.problem_at("cloud.region", &Facts::default()).unwrap();
        assert!(problem.contains("is not a region name"), "{problem}");
        assert_eq!(draft.problem_at("app.name", &Facts::default()), None);
    }

    #[test]
    fn datastores_are_added_and_removed_with_their_uses() {
        let mut draft = Draft::from_answers(&default_answers("shop"));
        draft.add_datastore(
            DatastoreAnswers {
                name: "cache".to_owned(),
                engine: Some(Engine::Redis),
                version: None,
            },
            &["shop".to_owned()],
        );
        assert_eq!(
            draft.services[0].uses,
            Some(vec!["db".to_owned(), "cache".to_owned()])
        );
        draft.remove_datastore("db");
        assert_eq!(draft.services[0].uses, Some(vec!["cache".to_owned()]));
        assert_eq!(draft.services[0].language, Some(Language::Node));
        assert!(Project::resolve(&draft.to_answers(), &Facts::default()).is_ok());
    }

    #[test]
    fn new_environments_go_before_production() {
        let envs = Draft::from_answers(&default_answers("shop")).environments;
        assert_eq!(insertion_index(&envs, "uat"), 1);
        assert_eq!(insertion_index(&envs, "prod"), 2);
        assert_eq!(insertion_index(&envs[..1], "uat"), 1);
    }

    #[test]
    fn pasted_github_urls_become_owner_and_name() {
        for text in [
            "acme/shop",
            "https://github.com/acme/shop",
            "https://github.com/acme/shop.git",
            "https://github.com/acme/shop/",
            "https://github.com/acme/shop/tree/main/src",
            "git@github.com:acme/shop.git",
            "ssh://git@github.com/acme/shop.git",
            " github.com/acme/shop ",
        ] {
            assert_eq!(repository_from(text), "acme/shop", "{text}");
        }
        assert_eq!(
            repository_from("https://gitlab.com/acme/shop"),
            "https://gitlab.com/acme/shop"
        );
        assert_eq!(
            repository_from("https://github.com/acme"),
            "https://github.com/acme"
        );
    }

    #[test]
    fn files_are_counted_by_folder() {
        let paths: Vec<String> = [
            "compose.yaml",
            ".github/workflows/ci.yml",
            ".github/workflows/deploy.yml",
            ".github/dependabot.yml",
            "infra/modules/network/main.tf",
            "infra/modules/postgres/main.tf",
        ]
        .map(str::to_owned)
        .to_vec();
        assert_eq!(
            count_by_folder(paths.iter()),
            [
                (".".to_owned(), 1),
                (".github".to_owned(), 1),
                (".github/workflows".to_owned(), 2),
                ("infra/modules".to_owned(), 2),
            ]
        );
    }

    #[test]
    fn lists_split_on_commas_and_spaces() {
        assert_eq!(split_list(" qa, perf  demo,"), ["qa", "perf", "demo"]);
        assert!(split_list("").is_empty());
    }
}
