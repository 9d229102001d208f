//! How a service reads a datastore: the connection form and the environment
//! variable names that carry it.
//!
//! Ecosystems read connections differently: most take one URL
//! (`DATABASE_URL`), Java takes a JDBC URL with separate credentials
//! (`SPRING_DATASOURCE_URL`, `_USERNAME`, `_PASSWORD`), .NET an ADO.NET
//! connection string (`ConnectionStrings__Db`), and StackExchange.Redis its
//! own configuration string (`host:port,password=...,ssl=true`). A
//! [`Connection`] says which form a service expects for one datastore and
//! under which names, so compose, CI, Kubernetes and the docs hand the app
//! exactly what it reads.
//!
//! The forms themselves, and the value of each form for an endpoint, belong to
//! the datastore table ([`crate::datastore::ConnectionForm`],
//! [`crate::datastore::Engine::connection_value`]); this module holds what is
//! per service: the variable names and the stack's conventions for them.

use serde::Serialize;

use crate::datastore::{ConnectionForm, Endpoint, Engine, Property};
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
        self.parts().into_iter().map(|(_, name)| name).collect()
    }

    /// Every variable with the part of the connection it holds, connection first.
    pub fn parts(&self) -> Vec<(Part, &str)> {
        let mut out = vec![(Part::Connection, self.connection.as_str())];
        if let Some(name) = &self.username {
            out.push((Part::Username, name));
        }
        if let Some(name) = &self.password {
            out.push((Part::Password, name));
        }
        out
    }
}

/// Which part of a connection a variable holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Part {
    /// The URL, JDBC URL, connection string or Redis configuration.
    Connection,
    /// The username (JDBC).
    Username,
    /// The password (JDBC).
    Password,
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
    /// Every variable with the secret property (of the datastore's secret-manager object)
    /// that holds its value, in [`ConnectionVariables::parts`] order.
    pub fn properties(&self) -> Vec<(Property, &str)> {
        self.variables
            .parts()
            .into_iter()
            .map(|(part, name)| {
                let property = match part {
                    Part::Connection => self.form.properties()[0],
                    Part::Username => Property::Username,
                    Part::Password => Property::Password,
                };
                (property, name)
            })
            .collect()
    }

    /// Every variable with its value for `endpoint`, in [`ConnectionVariables::parts`] order,
    /// each rendered by the datastore table.
    pub fn values(&self, endpoint: &Endpoint<'_>) -> Vec<(String, String)> {
        self.properties()
            .into_iter()
            .map(|(property, name)| {
                let value = self
                    .engine
                    .connection_value(property, endpoint)
                    .unwrap_or_default();
                (name.to_owned(), value)
            })
            .collect()
    }

    /// External Secrets (template engine v2) expressions that compute each variable from the
    /// datastore's connection URL, fetched into the Secret key `source`.
    ///
    /// The secret managers hold one URL per datastore (`scheme://user:password@host:port/db`
    /// with `?sslmode=require`-style options where TLS is required), so every other form is
    /// derived from it with the Sprig functions External Secrets templates offer
    /// (<https://external-secrets.io/latest/guides/templating/>).
    pub fn secret_templates(&self, source: &str) -> Vec<(String, String)> {
        let url = format!("{{{{ $u := urlParse .{source} }}}}");
        let host = "{{ $h := splitn \":\" 2 $u.host }}";
        let user = "{{ $c := splitn \":\" 2 $u.userinfo }}";
        let database = "{{ trimPrefix \"/\" $u.path }}";
        let connection = match (self.form, self.engine) {
            (ConnectionForm::Url, _) => format!("{{{{ .{source} }}}}"),
            (ConnectionForm::Jdbc, Engine::Mysql) => format!(
                "{url}jdbc:mysql://{{{{ $u.host }}}}{{{{ $u.path }}}}{{{{ if $u.query }}}}?sslMode=REQUIRED{{{{ end }}}}"
            ),
            (ConnectionForm::Jdbc, _) => format!(
                "{url}jdbc:{{{{ $u.scheme }}}}://{{{{ $u.host }}}}{{{{ $u.path }}}}{{{{ if $u.query }}}}?{{{{ $u.query }}}}{{{{ end }}}}"
            ),
            (ConnectionForm::AdoNet, Engine::Mysql) => format!(
                "{url}{host}{user}Server={{{{ $h._0 }}}};Port={{{{ $h._1 }}}};Database={database};User ID={{{{ $c._0 }}}};Password={{{{ $c._1 }}}}{{{{ if $u.query }}}};SslMode=Required{{{{ end }}}}"
            ),
            (ConnectionForm::AdoNet, _) => format!(
                "{url}{host}{user}Host={{{{ $h._0 }}}};Port={{{{ $h._1 }}}};Database={database};Username={{{{ $c._0 }}}};Password={{{{ $c._1 }}}}{{{{ if $u.query }}}};SSL Mode=Require{{{{ end }}}}"
            ),
            (ConnectionForm::RedisConfig, _) => format!(
                "{url}{user}{{{{ $u.host }}}}{{{{ if $c._1 }}}},password={{{{ $c._1 }}}}{{{{ end }}}}{{{{ if eq $u.scheme \"rediss\" }}}},ssl=true{{{{ end }}}}"
            ),
        };
        self.variables
            .parts()
            .into_iter()
            .map(|(part, name)| {
                let template = match part {
                    Part::Connection => connection.clone(),
                    Part::Username => format!("{url}{user}{{{{ $c._0 }}}}"),
                    Part::Password => format!("{url}{user}{{{{ $c._1 }}}}"),
                };
                (name.to_owned(), template)
            })
            .collect()
    }
}

/// Whether `name` can be an environment variable name (letters, digits, `_`, not starting
/// with a digit; .NET's `__` section separator included).
pub fn valid_variable(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The conventional variables of `form` for datastore `datastore`: `conventional` says the
/// datastore is the service's first of its kind (database or cache), which takes the
/// ecosystem's well-known name; later ones are prefixed with their own name.
pub fn conventional_variables(
    form: ConnectionForm,
    engine: Engine,
    datastore: &str,
    conventional: bool,
    names: &ConventionalNames,
) -> ConnectionVariables {
    let prefix = env_var_prefix(datastore);
    match form {
        ConnectionForm::Jdbc if conventional => ConnectionVariables {
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
        ConnectionForm::Url if conventional && engine == Engine::Redis => {
            ConnectionVariables::single(names.cache_url)
        }
        ConnectionForm::Url if conventional => ConnectionVariables::single(names.database_url),
        ConnectionForm::Url => ConnectionVariables::single(format!("{prefix}_URL")),
    }
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

    fn connection(form: ConnectionForm, engine: Engine, conventional: bool) -> Connection {
        Connection {
            datastore: "user-db".to_owned(),
            engine,
            form,
            variables: conventional_variables(
                form,
                engine,
                "user-db",
                conventional,
                &ConventionalNames::COMMON,
            ),
            assumed: true,
        }
    }

    fn local() -> Endpoint<'static> {
        Endpoint {
            host: "db",
            port: "5432",
            database: "shop",
            username: "shop",
            password: "pw",
            password_in_url: "pw",
            tls: false,
        }
    }

    fn check(form: ConnectionForm, engine: Engine, conventional: bool, expect: &[(&str, &str)]) {
        let values = connection(form, engine, conventional).values(&local());
        let got: Vec<(&str, &str)> = values
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(got, expect);
    }

    #[test]
    fn each_form_writes_its_variables() {
        check(
            ConnectionForm::Url,
            Engine::Postgres,
            true,
            &[("DATABASE_URL", "postgresql://shop:pw@db:5432/shop")],
        );
        check(
            ConnectionForm::Url,
            Engine::Postgres,
            false,
            &[("USER_DB_URL", "postgresql://shop:pw@db:5432/shop")],
        );
        check(
            ConnectionForm::Jdbc,
            Engine::Mysql,
            true,
            &[
                (
                    "SPRING_DATASOURCE_URL",
                    "jdbc:mysql://db:5432/shop?sslMode=DISABLED",
                ),
                ("SPRING_DATASOURCE_USERNAME", "shop"),
                ("SPRING_DATASOURCE_PASSWORD", "pw"),
            ],
        );
        check(
            ConnectionForm::AdoNet,
            Engine::Postgres,
            true,
            &[(
                "ConnectionStrings__UserDb",
                "Host=db;Port=5432;Database=shop;Username=shop;Password=pw;SSL Mode=Disable",
            )],
        );
        check(
            ConnectionForm::RedisConfig,
            Engine::Redis,
            true,
            &[(
                "ConnectionStrings__UserDb",
                "db:5432,password=pw,ssl=False,abortConnect=False",
            )],
        );
    }

    #[test]
    fn forms_fit_their_engines() {
        assert!(ConnectionForm::Jdbc.fits(Engine::Postgres));
        assert!(!ConnectionForm::Jdbc.fits(Engine::Redis));
        assert!(!ConnectionForm::RedisConfig.fits(Engine::Mysql));
        assert_eq!(
            ConnectionForm::allowed_for(Engine::Redis),
            "`url`, `redis-config`"
        );
    }

    #[test]
    fn variable_names_are_checked() {
        assert!(valid_variable("ConnectionStrings__Db"));
        assert!(valid_variable("DATABASE_URL"));
        assert!(!valid_variable("1DB"));
        assert!(!valid_variable("DB-URL"));
        assert!(!valid_variable(""));
    }

    #[test]
    fn secret_templates_name_every_variable() {
        let jdbc = connection(ConnectionForm::Jdbc, Engine::Postgres, true);
        let names: Vec<String> = jdbc
            .secret_templates("src")
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(
            names,
            [
                "SPRING_DATASOURCE_URL",
                "SPRING_DATASOURCE_USERNAME",
                "SPRING_DATASOURCE_PASSWORD"
            ]
        );
        let url = connection(ConnectionForm::Url, Engine::Redis, true);
        assert_eq!(
            url.secret_templates("src"),
            [("REDIS_URL".to_owned(), "{{ .src }}".to_owned())]
        );
    }
}
