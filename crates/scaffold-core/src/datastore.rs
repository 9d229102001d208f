//! The datastore facts: one table per engine and cloud.
//!
//! Terraform, the Kubernetes `ExternalSecret`s and `NetworkPolicy`s, the CI
//! service containers, `compose.yaml` and the docs all need the same facts
//! about a datastore: which version strings the cloud's API accepts, which port
//! clients use there, whether TLS is required and how clients trust the server,
//! and how a connection string is spelled for each client ecosystem. They are
//! written here once. A combination that is not in the table (an engine a cloud
//! does not offer, a version its API rejects) is an answers error, never a
//! guess that fails at `terraform plan`.
//!
//! Sources, checked when the table was written (November 2026):
//! - Amazon RDS accepts a major-only `engine_version` for PostgreSQL (`16`) and a
//!   `major.minor` prefix for MySQL (`8.0`); parameter group families are
//!   `postgres<major>` and `mysql<major.minor>` (AWS CLI `describe-db-engine-versions`).
//! - ElastiCache wants `major.minor` for Redis OSS 6 and later (`7.1`; a bare `7`
//!   fails `terraform plan`), and Valkey from 7.2 on; in-transit encryption keeps
//!   port 6379 and serves an Amazon Trust Services certificate (public roots).
//! - Cloud SQL names versions `POSTGRES_16`, `MYSQL_8_0`; `ssl_mode = ENCRYPTED_ONLY`
//!   requires TLS without client certificates.
//! - Memorystore for Redis names versions `REDIS_7_2`, `REDIS_7_0`, `REDIS_6_X`; with
//!   `transit_encryption_mode = SERVER_AUTHENTICATION` it listens on 6378 and serves a
//!   certificate signed by a per-instance CA (`server_ca_certs`) that clients must trust
//!   (cloud.google.com/memorystore/docs/redis/about-in-transit-encryption).
//! - Azure Database for PostgreSQL flexible server: azurerm 4.x validates `version`
//!   against 11–16 (17 is rejected up to at least 4.39, hashicorp/terraform-provider-azurerm#29998);
//!   MySQL flexible server takes `5.7` or `8.0.21`; both require TLS by default.
//! - Azure Cache for Redis runs Redis 6 (`redis_version = "6"`) with TLS on port 6380
//!   and a DigiCert certificate (public roots).
//! - Azure SQL Database listens on 1433 and requires encryption; AWS and GCP are not offered
//!   here (RDS and Cloud SQL for SQL Server are licence-priced products scaffold does not render).

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::vocabulary::Provider;

/// A datastore engine.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// PostgreSQL.
    Postgres,
    /// MySQL.
    Mysql,
    /// Redis (or a Redis-compatible managed cache such as Valkey).
    Redis,
    /// Microsoft SQL Server (Azure SQL Database in the cloud).
    Sqlserver,
}

impl Engine {
    /// Every engine, in the order the documentation lists them.
    pub const ALL: &'static [Engine] = &[
        Engine::Postgres,
        Engine::Mysql,
        Engine::Redis,
        Engine::Sqlserver,
    ];

    /// The spelling used in `scaffold.toml`.
    pub fn as_str(self) -> &'static str {
        self.facts().key
    }

    /// The allowed spellings, joined for an error message.
    pub fn allowed() -> String {
        Engine::ALL
            .iter()
            .map(|e| e.as_str())
            .collect::<Vec<_>>()
            .join(" | ")
    }

    /// Parses the spelling used in `scaffold.toml`.
    pub fn parse(text: &str) -> Option<Self> {
        Engine::ALL.iter().copied().find(|e| e.as_str() == text)
    }

    /// The engine's cloud-independent facts.
    pub fn facts(self) -> &'static EngineFacts {
        match self {
            Engine::Postgres => &POSTGRES,
            Engine::Mysql => &MYSQL,
            Engine::Redis => &REDIS,
            Engine::Sqlserver => &SQLSERVER,
        }
    }

    /// How `provider` offers this engine, or `None` when scaffold renders no managed service for it there.
    pub fn offering(self, provider: Provider) -> Option<&'static Offering> {
        OFFERINGS
            .iter()
            .find(|o| o.engine == self && o.provider == provider)
    }

    /// Whether the engine is a relational database (as opposed to a cache).
    pub fn is_database(self) -> bool {
        self.facts().relational
    }

    /// The port the engine listens on in a local container (compose, CI service containers).
    pub fn port(self) -> u16 {
        self.facts().local_port
    }

    /// The URL scheme of a connection string without TLS.
    pub fn url_scheme(self) -> &'static str {
        self.facts().url_scheme
    }

    /// The official image used for local development and CI service containers, without tag.
    pub fn image(self) -> &'static str {
        self.facts().local_image
    }

    /// The version used on `provider` when `version` is not given; the first offering's
    /// default when the cloud does not offer the engine (validation reports that).
    pub fn default_version(self, provider: Provider) -> &'static str {
        self.offering(provider)
            .or_else(|| OFFERINGS.iter().find(|o| o.engine == self))
            .map_or("", |o| o.default_version)
    }

    /// The clouds that offer this engine, for an error message.
    pub fn providers(self) -> Vec<Provider> {
        OFFERINGS
            .iter()
            .filter(|o| o.engine == self)
            .map(|o| o.provider)
            .collect()
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an engine is, whatever the cloud.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EngineFacts {
    /// The spelling in `scaffold.toml`.
    pub key: &'static str,
    /// The engine's display name.
    pub title: &'static str,
    /// A relational database (migrations, an application role, backups with point-in-time restore).
    pub relational: bool,
    /// The official image for local containers, without tag.
    pub local_image: &'static str,
    /// The port of the local container.
    pub local_port: u16,
    /// The URL scheme without TLS.
    pub url_scheme: &'static str,
    /// The URL scheme with TLS (`rediss` for Redis; the same scheme plus a query parameter otherwise).
    pub tls_url_scheme: &'static str,
    /// The query string that asks for TLS in a URL, when the URL form can express it.
    pub url_tls_query: &'static str,
    /// The connection forms a client of this engine can be given.
    pub forms: &'static [ConnectionForm],
    /// How the local container is initialised and checked.
    pub local: LocalContainer,
}

/// How a local container of an engine (compose and CI service containers) is set up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LocalContainer {
    /// Environment variables that create the database and user, with `{user}`,
    /// `{password}` and `{database}` placeholders.
    pub init_env: &'static [(&'static str, &'static str)],
    /// The health check, as an exec array with the same placeholders.
    pub healthcheck: &'static [&'static str],
    /// The folder the engine keeps its data in (a named volume in compose).
    pub data_path: &'static str,
    /// Whether the official image has an `-alpine` variant of the same tag.
    pub alpine: bool,
    /// The user name the image creates, when it is fixed (`sa` for SQL Server); else the app's name.
    pub fixed_user: Option<&'static str>,
    /// The database the image creates, when it is fixed (`master` for SQL Server); else the app's name.
    pub fixed_database: Option<&'static str>,
    /// The password, when the engine's password policy rejects the app's name.
    pub fixed_password: Option<&'static str>,
}

/// The throwaway credentials of a local container (compose and CI), never used in the cloud.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LocalCredentials {
    /// The user name.
    pub user: String,
    /// The password.
    pub password: String,
    /// The database name.
    pub database: String,
}

impl LocalContainer {
    /// The credentials for app `app`.
    pub fn credentials(&self, app: &str) -> LocalCredentials {
        LocalCredentials {
            user: self.fixed_user.unwrap_or(app).to_owned(),
            password: self.fixed_password.unwrap_or(app).to_owned(),
            database: self.fixed_database.unwrap_or(app).to_owned(),
        }
    }

    /// `template` with the `{user}`, `{password}` and `{database}` placeholders filled in.
    pub fn fill(template: &str, credentials: &LocalCredentials) -> String {
        template
            .replace("{user}", &credentials.user)
            .replace("{password}", &credentials.password)
            .replace("{database}", &credentials.database)
    }
}

/// How one cloud offers one engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Offering {
    /// The cloud.
    pub provider: Provider,
    /// The engine.
    pub engine: Engine,
    /// The managed product's name, such as `Amazon RDS for PostgreSQL`.
    pub product: &'static str,
    /// The versions a user may write, each with the cloud's spelling.
    pub versions: &'static [Version],
    /// The version used when `version` is not given.
    pub default_version: &'static str,
    /// The port clients connect to in the cloud.
    pub port: u16,
    /// Whether the managed service refuses unencrypted connections.
    pub tls_required: bool,
    /// How clients come to trust the server's certificate.
    pub trust: Trust,
}

/// One version as the user writes it and as the cloud spells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Version {
    /// The version in `scaffold.toml`, such as `16` or `7.2`.
    pub answer: &'static str,
    /// The value of the cloud API's version argument (`16`, `POSTGRES_16`, `REDIS_7_2`).
    pub api: &'static str,
    /// The tag of the official image for local containers.
    pub local_tag: &'static str,
    /// A second cloud-specific value the resources need: the RDS parameter group family
    /// (`postgres16`), the ElastiCache engine (`redis` or `valkey`); empty elsewhere.
    pub family: &'static str,
}

/// How a client trusts a managed datastore's TLS certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Trust {
    /// The certificate chains to a public root that every base image's trust store holds.
    PublicRoots,
    /// The connection is encrypted but the client does not verify the server
    /// (libpq's `sslmode=require`); verifying needs the cloud's CA bundle, which the docs name.
    EncryptedUnverified,
    /// The certificate is signed by a CA of the instance itself: Terraform stores that CA in
    /// the secret manager, the `ExternalSecret` puts it in the service's secret, and the
    /// workload mounts it as a file whose path is in [`CaFile::variable`].
    InstanceCa,
}

/// A connection form: the shape in which a client ecosystem expects a datastore's coordinates.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum ConnectionForm {
    /// One URL, such as `postgresql://user:password@host:5432/db?sslmode=require` (`DATABASE_URL`).
    Url,
    /// A JDBC URL plus separate user name and password (Spring's `SPRING_DATASOURCE_*`).
    Jdbc,
    /// An ADO.NET connection string (`Host=...;Port=...;...`), as .NET's `ConnectionStrings__<Name>` holds it.
    AdoNet,
    /// A StackExchange.Redis configuration string (`host:port,password=...,ssl=True`).
    RedisConfig,
}

impl ConnectionForm {
    /// Every form.
    pub const ALL: &'static [ConnectionForm] = &[
        ConnectionForm::Url,
        ConnectionForm::Jdbc,
        ConnectionForm::AdoNet,
        ConnectionForm::RedisConfig,
    ];

    /// The spelling used in `scaffold.toml`.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionForm::Url => "url",
            ConnectionForm::Jdbc => "jdbc",
            ConnectionForm::AdoNet => "ado-net",
            ConnectionForm::RedisConfig => "redis-config",
        }
    }

    /// Parses the spelling used in `scaffold.toml`.
    pub fn parse(text: &str) -> Option<Self> {
        ConnectionForm::ALL
            .iter()
            .copied()
            .find(|f| f.as_str() == text)
    }

    /// Whether a client of `engine` can take this form (the engine's facts list its forms).
    pub fn fits(self, engine: Engine) -> bool {
        engine.facts().forms.contains(&self)
    }

    /// The forms that fit `engine`, joined for an error message.
    pub fn allowed_for(engine: Engine) -> String {
        engine
            .facts()
            .forms
            .iter()
            .map(|f| format!("`{f}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Whether the credentials travel in their own variables (JDBC).
    pub fn separate_credentials(self) -> bool {
        self == ConnectionForm::Jdbc
    }

    /// The allowed spellings, joined for an error message.
    pub fn allowed() -> String {
        ConnectionForm::ALL
            .iter()
            .map(|f| f.as_str())
            .collect::<Vec<_>>()
            .join(" | ")
    }

    /// The secret properties a service given this form reads, in variable order:
    /// the main value first, then (JDBC) the user name and password.
    pub fn properties(self) -> &'static [Property] {
        match self {
            ConnectionForm::Url => &[Property::Url],
            ConnectionForm::Jdbc => &[Property::JdbcUrl, Property::Username, Property::Password],
            ConnectionForm::AdoNet => &[Property::AdoNet],
            ConnectionForm::RedisConfig => &[Property::RedisConfig],
        }
    }

    /// The variable names for this form given its main variable (`SPRING_DATASOURCE_URL`
    /// gives `SPRING_DATASOURCE_USERNAME` and `SPRING_DATASOURCE_PASSWORD` for JDBC).
    pub fn variables(self, main: &str) -> Vec<(String, Property)> {
        let stem = main.strip_suffix("_URL").unwrap_or(main);
        self.properties()
            .iter()
            .map(|property| {
                let name = match property {
                    Property::Username => format!("{stem}_USERNAME"),
                    Property::Password => format!("{stem}_PASSWORD"),
                    _ => main.to_owned(),
                };
                (name, *property)
            })
            .collect()
    }
}

impl fmt::Display for ConnectionForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One property of the JSON object a datastore's secret-manager entry holds.
///
/// Terraform writes the object; each service's `ExternalSecret` reads the
/// properties its connection forms need, by these keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Property {
    /// The URL form.
    Url,
    /// The JDBC URL (without credentials).
    JdbcUrl,
    /// The ADO.NET connection string.
    AdoNet,
    /// The StackExchange.Redis configuration string.
    RedisConfig,
    /// The host name.
    Host,
    /// The port.
    Port,
    /// The database name.
    Database,
    /// The user name.
    Username,
    /// The password.
    Password,
    /// The PEM certificate of the instance's CA ([`Trust::InstanceCa`] only).
    Ca,
}

impl Property {
    /// The key in the secret's JSON object.
    pub fn key(self) -> &'static str {
        match self {
            Property::Url => "url",
            Property::JdbcUrl => "jdbc_url",
            Property::AdoNet => "ado_net",
            Property::RedisConfig => "redis_config",
            Property::Host => "host",
            Property::Port => "port",
            Property::Database => "database",
            Property::Username => "username",
            Property::Password => "password",
            Property::Ca => "ca",
        }
    }
}

/// The coordinates a connection value is built from.
///
/// Each field is text spliced into the value: literal values for local
/// containers, Terraform interpolations (`${aws_db_instance.this.address}`)
/// in the cloud.
#[derive(Debug, Clone, Copy)]
pub struct Endpoint<'a> {
    /// The host.
    pub host: &'a str,
    /// The port.
    pub port: &'a str,
    /// The database name (ignored for Redis).
    pub database: &'a str,
    /// The user name (ignored for Redis).
    pub username: &'a str,
    /// The password as it may appear in a connection string.
    pub password: &'a str,
    /// The password escaped for the user-info part of a URL (`urlencode(...)` in Terraform).
    pub password_in_url: &'a str,
    /// Whether the connection uses TLS (true in the cloud, false for local containers).
    pub tls: bool,
}

impl Engine {
    /// The value of `property` for a connection to `endpoint`, or `None` where the
    /// engine has no such form (JDBC for Redis, a Redis configuration for SQL databases).
    pub fn connection_value(self, property: Property, endpoint: &Endpoint<'_>) -> Option<String> {
        let Endpoint {
            host,
            port,
            database,
            username,
            password,
            password_in_url,
            tls,
        } = *endpoint;
        let facts = self.facts();
        let value = match (self, property) {
            (_, Property::Host) => host.to_owned(),
            (_, Property::Port) => port.to_owned(),
            (Engine::Redis, Property::Database | Property::Username) => return None,
            (_, Property::Database) => database.to_owned(),
            (_, Property::Username) => username.to_owned(),
            (_, Property::Password) => password.to_owned(),
            (_, Property::Ca) => return None,
            (Engine::Redis, Property::Url) => {
                let scheme = if tls {
                    facts.tls_url_scheme
                } else {
                    facts.url_scheme
                };
                // Local containers run without a password, so no user-info part at all.
                if password_in_url.is_empty() {
                    format!("{scheme}://{host}:{port}/0")
                } else {
                    format!("{scheme}://:{password_in_url}@{host}:{port}/0")
                }
            }
            (Engine::Sqlserver, Property::Url) => {
                // The `sqlserver://` URL form that Go's and Rust's drivers (go-mssqldb, tiberius) read.
                let encrypt = if tls { "true" } else { "disable" };
                format!(
                    "sqlserver://{username}:{password_in_url}@{host}:{port}?database={database}&encrypt={encrypt}"
                )
            }
            (_, Property::Url) => {
                let query = if tls { facts.url_tls_query } else { "" };
                format!(
                    "{}://{username}:{password_in_url}@{host}:{port}/{database}{query}",
                    facts.url_scheme
                )
            }
            (Engine::Redis, Property::JdbcUrl | Property::AdoNet) => return None,
            (Engine::Postgres, Property::JdbcUrl) => {
                let query = if tls { "?sslmode=require" } else { "" };
                format!("jdbc:postgresql://{host}:{port}/{database}{query}")
            }
            (Engine::Mysql, Property::JdbcUrl) => {
                let mode = if tls { "REQUIRED" } else { "DISABLED" };
                format!("jdbc:mysql://{host}:{port}/{database}?sslMode={mode}")
            }
            (Engine::Sqlserver, Property::JdbcUrl) => {
                let encrypt = if tls { "true" } else { "false" };
                format!("jdbc:sqlserver://{host}:{port};databaseName={database};encrypt={encrypt}")
            }
            (Engine::Postgres, Property::AdoNet) => {
                // Npgsql: `SSL Mode=Require` encrypts without verifying the server.
                let ssl = if tls { "Require" } else { "Disable" };
                format!(
                    "Host={host};Port={port};Database={database};Username={username};Password={password};SSL Mode={ssl}"
                )
            }
            (Engine::Mysql, Property::AdoNet) => {
                // MySqlConnector's keywords.
                let ssl = if tls { "Required" } else { "None" };
                format!(
                    "Server={host};Port={port};Database={database};User ID={username};Password={password};SslMode={ssl}"
                )
            }
            (Engine::Sqlserver, Property::AdoNet) => {
                // Microsoft.Data.SqlClient; local containers use a self-signed certificate.
                let tls_part = if tls {
                    "Encrypt=True;TrustServerCertificate=False"
                } else {
                    "Encrypt=True;TrustServerCertificate=True"
                };
                format!(
                    "Server=tcp:{host},{port};Database={database};User ID={username};Password={password};{tls_part}"
                )
            }
            (Engine::Redis, Property::RedisConfig) => {
                let ssl = if tls { "True" } else { "False" };
                if password.is_empty() {
                    format!("{host}:{port},ssl={ssl},abortConnect=False")
                } else {
                    format!("{host}:{port},password={password},ssl={ssl},abortConnect=False")
                }
            }
            (_, Property::RedisConfig) => return None,
        };
        Some(value)
    }

    /// The secret properties a managed instance of this engine on `provider` stores:
    /// every form the engine supports, its coordinates, and the CA where clients need it.
    pub fn secret_properties(self, provider: Provider) -> Vec<Property> {
        let mut properties: Vec<Property> = Vec::new();
        for form in self.facts().forms {
            for property in form.properties() {
                if !properties.contains(property) {
                    properties.push(*property);
                }
            }
        }
        let coordinates: &[Property] = if self == Engine::Redis {
            &[Property::Host, Property::Port, Property::Password]
        } else {
            &[
                Property::Host,
                Property::Port,
                Property::Database,
                Property::Username,
                Property::Password,
            ]
        };
        for property in coordinates {
            if !properties.contains(property) {
                properties.push(*property);
            }
        }
        if self
            .offering(provider)
            .is_some_and(|o| o.trust == Trust::InstanceCa)
        {
            properties.push(Property::Ca);
        }
        properties
    }
}

impl Offering {
    /// The row of `version` as the user wrote it.
    pub fn version(&self, answer: &str) -> Option<&'static Version> {
        self.versions.iter().find(|v| v.answer == answer)
    }

    /// The versions a user may write, joined for an error message.
    pub fn allowed_versions(&self) -> String {
        self.versions
            .iter()
            .map(|v| format!("`{}`", v.answer))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Where a workload finds the CA of a datastore whose server certificate is signed by an instance CA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaFile {
    /// The key of the CA in the service's Kubernetes secret.
    pub secret_key: String,
    /// The absolute path the workload mounts it at.
    pub path: String,
    /// The environment variable holding `path`, such as `CACHE_CA_FILE`.
    pub variable: String,
}

const POSTGRES: EngineFacts = EngineFacts {
    key: "postgres",
    title: "PostgreSQL",
    relational: true,
    local_image: "postgres",
    local_port: 5432,
    url_scheme: "postgresql",
    tls_url_scheme: "postgresql",
    url_tls_query: "?sslmode=require",
    forms: &[
        ConnectionForm::Url,
        ConnectionForm::Jdbc,
        ConnectionForm::AdoNet,
    ],
    local: LocalContainer {
        init_env: &[
            ("POSTGRES_USER", "{user}"),
            ("POSTGRES_PASSWORD", "{password}"),
            ("POSTGRES_DB", "{database}"),
        ],
        healthcheck: &["CMD", "pg_isready", "-U", "{user}", "-d", "{database}"],
        data_path: "/var/lib/postgresql/data",
        alpine: true,
        fixed_user: None,
        fixed_database: None,
        fixed_password: None,
    },
};

const MYSQL: EngineFacts = EngineFacts {
    key: "mysql",
    title: "MySQL",
    relational: true,
    local_image: "mysql",
    local_port: 3306,
    url_scheme: "mysql",
    tls_url_scheme: "mysql",
    // Client libraries spell "require TLS" differently in a URL (mysql2, PyMySQL, Go's
    // DSN and Prisma all disagree), so the URL form carries none; the docs say the
    // server refuses unencrypted connections and the JDBC and ADO.NET forms require TLS.
    url_tls_query: "",
    forms: &[
        ConnectionForm::Url,
        ConnectionForm::Jdbc,
        ConnectionForm::AdoNet,
    ],
    local: LocalContainer {
        init_env: &[
            ("MYSQL_USER", "{user}"),
            ("MYSQL_PASSWORD", "{password}"),
            ("MYSQL_DATABASE", "{database}"),
            ("MYSQL_RANDOM_ROOT_PASSWORD", "yes"),
        ],
        healthcheck: &[
            "CMD",
            "mysqladmin",
            "ping",
            "--host",
            "127.0.0.1",
            "--silent",
        ],
        data_path: "/var/lib/mysql",
        alpine: false,
        fixed_user: None,
        fixed_database: None,
        fixed_password: None,
    },
};

const REDIS: EngineFacts = EngineFacts {
    key: "redis",
    title: "Redis",
    relational: false,
    local_image: "redis",
    local_port: 6379,
    url_scheme: "redis",
    tls_url_scheme: "rediss",
    url_tls_query: "",
    forms: &[ConnectionForm::Url, ConnectionForm::RedisConfig],
    local: LocalContainer {
        init_env: &[],
        healthcheck: &["CMD", "redis-cli", "ping"],
        data_path: "/data",
        alpine: true,
        fixed_user: None,
        fixed_database: None,
        // The local container runs without AUTH.
        fixed_password: Some(""),
    },
};

const SQLSERVER: EngineFacts = EngineFacts {
    key: "sqlserver",
    title: "SQL Server",
    relational: true,
    local_image: "mcr.microsoft.com/mssql/server",
    local_port: 1433,
    url_scheme: "sqlserver",
    tls_url_scheme: "sqlserver",
    url_tls_query: "",
    forms: &[
        ConnectionForm::AdoNet,
        ConnectionForm::Jdbc,
        ConnectionForm::Url,
    ],
    local: LocalContainer {
        init_env: &[("ACCEPT_EULA", "Y"), ("MSSQL_SA_PASSWORD", "{password}")],
        healthcheck: &[
            "CMD",
            "/opt/mssql-tools18/bin/sqlcmd",
            "-C",
            "-S",
            "127.0.0.1",
            "-U",
            "sa",
            "-P",
            "{password}",
            "-Q",
            "SELECT 1",
        ],
        data_path: "/var/opt/mssql",
        alpine: false,
        // The image creates only `sa` and requires a complex password (upper, lower, digit, symbol).
        fixed_user: Some("sa"),
        fixed_database: Some("master"),
        fixed_password: Some("Local-only-Passw0rd"),
    },
};

/// Shorthand for a version row.
const fn v(
    answer: &'static str,
    api: &'static str,
    local_tag: &'static str,
    family: &'static str,
) -> Version {
    Version {
        answer,
        api,
        local_tag,
        family,
    }
}

/// Every engine × cloud scaffold renders.
pub const OFFERINGS: &[Offering] = &[
    Offering {
        provider: Provider::Aws,
        engine: Engine::Postgres,
        product: "Amazon RDS for PostgreSQL",
        versions: &[
            v("14", "14", "14", "postgres14"),
            v("15", "15", "15", "postgres15"),
            v("16", "16", "16", "postgres16"),
            v("17", "17", "17", "postgres17"),
        ],
        default_version: "16",
        port: 5432,
        tls_required: true,
        trust: Trust::EncryptedUnverified,
    },
    Offering {
        provider: Provider::Aws,
        engine: Engine::Mysql,
        product: "Amazon RDS for MySQL",
        versions: &[
            v("8.0", "8.0", "8.0", "mysql8.0"),
            v("8.4", "8.4", "8.4", "mysql8.4"),
        ],
        default_version: "8.0",
        port: 3306,
        tls_required: true,
        trust: Trust::EncryptedUnverified,
    },
    Offering {
        provider: Provider::Aws,
        engine: Engine::Redis,
        product: "Amazon ElastiCache",
        versions: &[
            v("6.2", "6.2", "6.2", "redis"),
            v("7.0", "7.0", "7.0", "redis"),
            v("7.1", "7.1", "7.2", "redis"),
            v("7.2", "7.2", "7.2", "valkey"),
            v("8.0", "8.0", "8.0", "valkey"),
        ],
        default_version: "7.2",
        port: 6379,
        tls_required: true,
        trust: Trust::PublicRoots,
    },
    Offering {
        provider: Provider::Gcp,
        engine: Engine::Postgres,
        product: "Cloud SQL for PostgreSQL",
        versions: &[
            v("14", "POSTGRES_14", "14", ""),
            v("15", "POSTGRES_15", "15", ""),
            v("16", "POSTGRES_16", "16", ""),
            v("17", "POSTGRES_17", "17", ""),
        ],
        default_version: "16",
        port: 5432,
        tls_required: true,
        trust: Trust::EncryptedUnverified,
    },
    Offering {
        provider: Provider::Gcp,
        engine: Engine::Mysql,
        product: "Cloud SQL for MySQL",
        versions: &[
            v("8.0", "MYSQL_8_0", "8.0", ""),
            v("8.4", "MYSQL_8_4", "8.4", ""),
        ],
        default_version: "8.0",
        port: 3306,
        tls_required: true,
        trust: Trust::EncryptedUnverified,
    },
    Offering {
        provider: Provider::Gcp,
        engine: Engine::Redis,
        product: "Memorystore for Redis",
        versions: &[
            v("6.2", "REDIS_6_X", "6.2", ""),
            v("7.0", "REDIS_7_0", "7.0", ""),
            v("7.2", "REDIS_7_2", "7.2", ""),
        ],
        default_version: "7.2",
        port: 6378,
        tls_required: true,
        trust: Trust::InstanceCa,
    },
    Offering {
        provider: Provider::Azure,
        engine: Engine::Postgres,
        product: "Azure Database for PostgreSQL flexible server",
        versions: &[
            v("14", "14", "14", ""),
            v("15", "15", "15", ""),
            v("16", "16", "16", ""),
        ],
        default_version: "16",
        port: 5432,
        tls_required: true,
        trust: Trust::EncryptedUnverified,
    },
    Offering {
        provider: Provider::Azure,
        engine: Engine::Mysql,
        product: "Azure Database for MySQL flexible server",
        versions: &[v("8.0", "8.0.21", "8.0", "")],
        default_version: "8.0",
        port: 3306,
        tls_required: true,
        trust: Trust::EncryptedUnverified,
    },
    Offering {
        provider: Provider::Azure,
        engine: Engine::Redis,
        product: "Azure Cache for Redis",
        versions: &[v("6.0", "6", "6.2", "")],
        default_version: "6.0",
        port: 6380,
        tls_required: true,
        trust: Trust::PublicRoots,
    },
    Offering {
        provider: Provider::Azure,
        engine: Engine::Sqlserver,
        product: "Azure SQL Database",
        versions: &[v("2022", "12.0", "2022-CU16-ubuntu-22.04", "")],
        default_version: "2022",
        port: 1433,
        tls_required: true,
        trust: Trust::PublicRoots,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(tls: bool) -> Endpoint<'static> {
        Endpoint {
            host: "h",
            port: "1",
            database: "d",
            username: "u",
            password: "p",
            password_in_url: "p%2F",
            tls,
        }
    }

    fn check(engine: Engine, property: Property, tls: bool, expect: Option<&str>) {
        assert_eq!(
            engine.connection_value(property, &endpoint(tls)).as_deref(),
            expect,
            "{engine} {property:?} tls={tls}"
        );
    }

    #[test]
    fn postgres_urls_require_tls_in_the_cloud_only() {
        check(
            Engine::Postgres,
            Property::Url,
            true,
            Some("postgresql://u:p%2F@h:1/d?sslmode=require"),
        );
        check(
            Engine::Postgres,
            Property::Url,
            false,
            Some("postgresql://u:p%2F@h:1/d"),
        );
    }

    #[test]
    fn redis_urls_switch_scheme_for_tls() {
        check(
            Engine::Redis,
            Property::Url,
            true,
            Some("rediss://:p%2F@h:1/0"),
        );
        check(
            Engine::Redis,
            Property::Url,
            false,
            Some("redis://:p%2F@h:1/0"),
        );
    }

    #[test]
    fn jdbc_urls_carry_no_credentials() {
        check(
            Engine::Postgres,
            Property::JdbcUrl,
            true,
            Some("jdbc:postgresql://h:1/d?sslmode=require"),
        );
        check(
            Engine::Mysql,
            Property::JdbcUrl,
            true,
            Some("jdbc:mysql://h:1/d?sslMode=REQUIRED"),
        );
        check(Engine::Redis, Property::JdbcUrl, true, None);
    }

    #[test]
    fn ado_net_strings_use_each_drivers_keywords() {
        check(
            Engine::Postgres,
            Property::AdoNet,
            true,
            Some("Host=h;Port=1;Database=d;Username=u;Password=p;SSL Mode=Require"),
        );
        check(
            Engine::Sqlserver,
            Property::AdoNet,
            true,
            Some(
                "Server=tcp:h,1;Database=d;User ID=u;Password=p;Encrypt=True;TrustServerCertificate=False",
            ),
        );
        check(
            Engine::Redis,
            Property::RedisConfig,
            true,
            Some("h:1,password=p,ssl=True,abortConnect=False"),
        );
    }

    #[test]
    fn every_form_of_every_engine_renders_every_property() {
        for engine in Engine::ALL {
            for form in engine.facts().forms {
                for property in form.properties() {
                    for tls in [true, false] {
                        assert!(
                            engine.connection_value(*property, &endpoint(tls)).is_some(),
                            "{engine} {form} {property:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn jdbc_variables_follow_the_main_variable() {
        assert_eq!(
            ConnectionForm::Jdbc.variables("SPRING_DATASOURCE_URL"),
            vec![
                ("SPRING_DATASOURCE_URL".to_owned(), Property::JdbcUrl),
                ("SPRING_DATASOURCE_USERNAME".to_owned(), Property::Username),
                ("SPRING_DATASOURCE_PASSWORD".to_owned(), Property::Password),
            ]
        );
    }

    #[test]
    fn every_offering_has_its_default_version_and_no_duplicates() {
        for offering in OFFERINGS {
            assert!(
                offering.version(offering.default_version).is_some(),
                "{:?} {:?}",
                offering.provider,
                offering.engine
            );
            let count = OFFERINGS
                .iter()
                .filter(|o| o.provider == offering.provider && o.engine == offering.engine)
                .count();
            assert_eq!(count, 1);
        }
    }

    #[test]
    fn elasticache_versions_are_major_dot_minor() {
        let offering = Engine::Redis.offering(Provider::Aws).unwrap();
        for version in offering.versions {
            assert!(version.api.contains('.'), "{}", version.api);
        }
    }

    #[test]
    fn memorystore_with_tls_listens_on_6378_and_needs_its_ca() {
        let offering = Engine::Redis.offering(Provider::Gcp).unwrap();
        assert_eq!(offering.port, 6378);
        assert!(
            Engine::Redis
                .secret_properties(Provider::Gcp)
                .contains(&Property::Ca)
        );
        assert!(
            !Engine::Redis
                .secret_properties(Provider::Aws)
                .contains(&Property::Ca)
        );
    }

    #[test]
    fn sql_server_is_offered_on_azure_only() {
        assert!(Engine::Sqlserver.offering(Provider::Azure).is_some());
        assert!(Engine::Sqlserver.offering(Provider::Aws).is_none());
        assert!(Engine::Sqlserver.offering(Provider::Gcp).is_none());
    }
}
