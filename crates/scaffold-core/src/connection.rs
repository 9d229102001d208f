//! How a service reads a datastore: the connection form and the environment
//! variable names that carry it.
//!
//! Ecosystems read connections differently: most take one URL
//! (`DATABASE_URL`), Java takes a JDBC URL with separate credentials
//! (`SPRING_DATASOURCE_URL`, `_USERNAME`, `_PASSWORD`), .NET an ADO.NET
//! connection string (`ConnectionStrings__Db`), and StackExchange.Redis its
//! own configuration string. A [`Connection`] says which form a service
//! expects for one datastore and under which names; the values themselves
//! (local, CI and the secret-manager properties) come from the datastore table
//! in [`crate::datastore`], so compose, CI, Kubernetes and the docs hand the
//! app exactly what it reads.

use serde::Serialize;

use crate::datastore::{ConnectionForm, Engine, Property};
use crate::names::env_var_prefix;

/// The environment variables that carry one connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectionVariables {
    /// The variable holding the URL, JDBC URL, connection string or Redis configuration.
    pub connection: String,
    /// The variable holding the username (JDBC only).
    pub username: Option<String>,
    /// The variable holding the password (JDBC only).
    pub password: Option<String>,
}

impl ConnectionVariables {
    /// One variable holding the whole connection.
    pub fn single(name: impl Into<String>) -> Self {
        ConnectionVariables {
            connection: name.into(),
            username: None,
            password: None,
        }
    }

    /// Every variable name, connection first.
    pub fn names(&self) -> Vec<&str> {
        std::iter::once(self.connection.as_str())
            .chain(self.username.as_deref())
            .chain(self.password.as_deref())
            .collect()
    }
}

/// How one service connects to one datastore it uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Connection {
    /// The datastore's name.
    pub datastore: String,
    /// The datastore's engine.
    pub engine: Engine,
    /// The form the service reads.
    pub form: ConnectionForm,
    /// The variable names.
    pub variables: ConnectionVariables,
    /// True when the answers did not name the variables, so the stack's convention was assumed.
    pub assumed: bool,
}

impl Connection {
    /// Every variable with the secret property it holds, in [`ConnectionForm::properties`]
    /// order (the main value first, then the JDBC username and password).
    pub fn parts(&self) -> Vec<(Property, &str)> {
        self.form
            .properties()
            .iter()
            .map(|property| {
                let name = match property {
                    Property::Username => self.variables.username.as_deref(),
                    Property::Password => self.variables.password.as_deref(),
                    _ => Some(self.variables.connection.as_str()),
                };
                (*property, name.unwrap_or(&self.variables.connection))
            })
            .collect()
    }
}

/// Whether `engine`'s clients can be given `form`.
pub fn fits(form: ConnectionForm, engine: Engine) -> bool {
    engine.facts().forms.contains(&form)
}

/// The forms that fit `engine`, joined for an error message.
pub fn allowed_forms(engine: Engine) -> String {
    engine
        .facts()
        .forms
        .iter()
        .map(|f| format!("`{f}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether `name` can be an environment variable name (letters, digits, `_`, not starting
/// with a digit; .NET's `__` section separator included).
pub fn valid_variable(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The well-known variable names of one ecosystem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConventionalNames {
    /// The URL of the first database (`DATABASE_URL`).
    pub database_url: &'static str,
    /// The URL of the first cache (`REDIS_URL`).
    pub cache_url: &'static str,
    /// The prefix of the JDBC variables of the first database (`SPRING_DATASOURCE`).
    pub jdbc_prefix: &'static str,
}

impl ConventionalNames {
    /// `DATABASE_URL`, `REDIS_URL` and Spring's `SPRING_DATASOURCE_*`.
    pub const COMMON: ConventionalNames = ConventionalNames {
        database_url: "DATABASE_URL",
        cache_url: "REDIS_URL",
        jdbc_prefix: "SPRING_DATASOURCE",
    };
}

/// The conventional variables of `form` for datastore `datastore`: `first` says the
/// datastore is the service's first of its kind (database or cache), which takes the
/// ecosystem's well-known name; later ones are prefixed with their own name.
pub fn conventional_variables(
    form: ConnectionForm,
    engine: Engine,
    datastore: &str,
    first: bool,
    names: &ConventionalNames,
) -> ConnectionVariables {
    let prefix = env_var_prefix(datastore);
    match form {
        ConnectionForm::Jdbc if first => ConnectionVariables {
            connection: format!("{}_URL", names.jdbc_prefix),
            username: Some(format!("{}_USERNAME", names.jdbc_prefix)),
            password: Some(format!("{}_PASSWORD", names.jdbc_prefix)),
        },
        ConnectionForm::Jdbc => ConnectionVariables {
            connection: format!("{prefix}_JDBC_URL"),
            username: Some(format!("{prefix}_USERNAME")),
            password: Some(format!("{prefix}_PASSWORD")),
        },
        ConnectionForm::AdoNet | ConnectionForm::RedisConfig => {
            ConnectionVariables::single(format!("ConnectionStrings__{}", pascal(datastore)))
        }
        ConnectionForm::Url if first && engine == Engine::Redis => {
            ConnectionVariables::single(names.cache_url)
        }
        ConnectionForm::Url if first => ConnectionVariables::single(names.database_url),
        ConnectionForm::Url => ConnectionVariables::single(format!("{prefix}_URL")),
    }
}

/// `user-db` → `UserDb`, the spelling of a .NET connection string name.
pub fn pascal(name: &str) -> String {
    name.split(['-', '_'])
        .filter(|p| !p.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(form: ConnectionForm, engine: Engine, first: bool) -> Vec<String> {
        conventional_variables(form, engine, "user-db", first, &ConventionalNames::COMMON)
            .names()
            .into_iter()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn each_form_has_conventional_names() {
        assert_eq!(
            names(ConnectionForm::Url, Engine::Postgres, true),
            ["DATABASE_URL"]
        );
        assert_eq!(
            names(ConnectionForm::Url, Engine::Postgres, false),
            ["USER_DB_URL"]
        );
        assert_eq!(
            names(ConnectionForm::Url, Engine::Redis, true),
            ["REDIS_URL"]
        );
        assert_eq!(
            names(ConnectionForm::Jdbc, Engine::Mysql, true),
            [
                "SPRING_DATASOURCE_URL",
                "SPRING_DATASOURCE_USERNAME",
                "SPRING_DATASOURCE_PASSWORD"
            ]
        );
        assert_eq!(
            names(ConnectionForm::Jdbc, Engine::Mysql, false),
            ["USER_DB_JDBC_URL", "USER_DB_USERNAME", "USER_DB_PASSWORD"]
        );
        assert_eq!(
            names(ConnectionForm::AdoNet, Engine::Sqlserver, true),
            ["ConnectionStrings__UserDb"]
        );
    }

    #[test]
    fn parts_pair_variables_with_secret_properties() {
        let connection = Connection {
            datastore: "db".to_owned(),
            engine: Engine::Postgres,
            form: ConnectionForm::Jdbc,
            variables: conventional_variables(
                ConnectionForm::Jdbc,
                Engine::Postgres,
                "db",
                true,
                &ConventionalNames::COMMON,
            ),
            assumed: true,
        };
        assert_eq!(
            connection.parts(),
            [
                (Property::JdbcUrl, "SPRING_DATASOURCE_URL"),
                (Property::Username, "SPRING_DATASOURCE_USERNAME"),
                (Property::Password, "SPRING_DATASOURCE_PASSWORD"),
            ]
        );
    }

    #[test]
    fn forms_fit_their_engines() {
        assert!(fits(ConnectionForm::Jdbc, Engine::Postgres));
        assert!(!fits(ConnectionForm::Jdbc, Engine::Redis));
        assert!(!fits(ConnectionForm::RedisConfig, Engine::Mysql));
        assert_eq!(allowed_forms(Engine::Redis), "`url`, `redis-config`");
    }

    #[test]
    fn variable_names_are_checked() {
        assert!(valid_variable("ConnectionStrings__Db"));
        assert!(valid_variable("DATABASE_URL"));
        assert!(!valid_variable("1DB"));
        assert!(!valid_variable("DB-URL"));
        assert!(!valid_variable(""));
    }
}
