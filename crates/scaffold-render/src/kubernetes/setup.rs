//! The database setup job: per relational datastore, a `Job` that connects as the
//! administrator and creates (or updates) the application user the services connect as.
//!
//! Terraform writes two secrets per relational datastore: the administrator's
//! (`admin_secret`, for migrations and this job) and the application user's
//! (`secret`, which the services read). The managed servers are private, so the user
//! cannot be created from Terraform: this job, in the cluster, reads both secrets
//! through its own `SecretStore` (authenticated as the `database-setup`
//! `ServiceAccount`, whose cloud identity may read exactly those secrets) and runs
//! idempotent SQL. The application user may use and change the tables of its own
//! database (so migrations that run at start-up work) but cannot create roles or
//! databases, and never holds the administrator's password.
//!
//! The job's name carries a hash of what it runs, so a changed script is a new `Job`
//! (a `Job`'s pod template cannot be changed in place); a finished job is removed after
//! ten minutes, so the next deploy runs it again (for a rotated password). With GitOps,
//! Argo CD runs it as a `Sync` hook after the secrets (wave -2) and before the
//! workloads (wave 0).

use serde::Serialize;

use scaffold_core::datastore::Property;
use scaffold_core::names::{DATABASE_SETUP, short_hash};
use scaffold_core::project::Environment;
use scaffold_core::{Engine as DatastoreEngine, Project};

use super::TOOL_UID;

/// One datastore's setup job.
#[derive(Debug, Clone, Serialize)]
pub(super) struct SetupView {
    /// The datastore.
    pub datastore: String,
    /// The engine's display name.
    pub engine: &'static str,
    /// The `Job`'s name: `database-setup-<datastore>-<hash of the script and image>`.
    pub job: String,
    /// The `ExternalSecret` and the Secret it writes.
    pub secret: String,
    /// The administrator's secret-manager entry.
    pub admin_remote: String,
    /// The application user's secret-manager entry.
    pub app_remote: String,
    /// The client image (the engine's official image at the datastore's version).
    pub image: String,
    /// The port the datastore listens on in the cloud.
    pub port: u16,
    /// The shell script, line by line.
    pub script: Vec<String>,
    /// What its `ExternalSecret` copies: (variable, secret-manager entry, property).
    pub data: Vec<(String, String, &'static str)>,
    /// The user the job runs as.
    pub uid: u32,
}

/// The setup jobs of `env`, one per relational datastore a service uses.
pub(super) fn views(project: &Project, env: &Environment) -> Vec<SetupView> {
    project
        .database_setups(env)
        .into_iter()
        .filter_map(|in_env| {
            let ds = project.datastore(&in_env.datastore)?;
            let script = match ds.engine {
                DatastoreEngine::Postgres => POSTGRES,
                DatastoreEngine::Mysql => MYSQL,
                // Azure SQL Database: not covered yet; its application user is created by hand
                // (the handbook's database section says how).
                DatastoreEngine::Sqlserver | DatastoreEngine::Redis => return None,
            };
            let image = if ds.engine.facts().local.alpine {
                format!("{}-alpine", ds.local_image)
            } else {
                ds.local_image.clone()
            };
            let hash = short_hash(&format!("{image}\n{script}"));
            let admin = [
                ("ADMIN_HOST", Property::Host),
                ("ADMIN_PORT", Property::Port),
                ("ADMIN_DATABASE", Property::Database),
                ("ADMIN_USERNAME", Property::Username),
                ("ADMIN_PASSWORD", Property::Password),
            ];
            let app = [
                ("APP_USERNAME", Property::Username),
                ("APP_PASSWORD", Property::Password),
            ];
            let data = admin
                .iter()
                .map(|(variable, property)| {
                    (
                        (*variable).to_owned(),
                        in_env.admin_secret.clone(),
                        property.key(),
                    )
                })
                .chain(app.iter().map(|(variable, property)| {
                    (
                        (*variable).to_owned(),
                        in_env.secret.clone(),
                        property.key(),
                    )
                }))
                .collect();
            Some(SetupView {
                datastore: ds.name.clone(),
                engine: ds.engine.facts().title,
                job: format!("{DATABASE_SETUP}-{}-{hash}", ds.name),
                secret: format!("{DATABASE_SETUP}-{}", ds.name),
                admin_remote: in_env.admin_secret.clone(),
                app_remote: in_env.secret.clone(),
                image,
                port: ds.cloud_port,
                script: script.lines().map(str::to_owned).collect(),
                data,
                uid: TOOL_UID,
            })
        })
        .collect()
}

/// PostgreSQL: create the role if it is missing, set its password, and grant it the
/// database's `public` schema (tables and sequences, present and future). psql quotes the
/// variables (`:'v'` as a literal, `:"v"` as an identifier), so no value is spliced into SQL.
const POSTGRES: &str = r#"set -eu
if [ "$APP_USERNAME" = "$ADMIN_USERNAME" ]; then
  echo "the application user must not be the administrator" >&2
  exit 1
fi
export PGHOST="$ADMIN_HOST" PGPORT="$ADMIN_PORT" PGDATABASE="$ADMIN_DATABASE"
export PGUSER="$ADMIN_USERNAME" PGPASSWORD="$ADMIN_PASSWORD"
export PGSSLMODE=require PGCONNECT_TIMEOUT=10
psql --no-psqlrc --set=ON_ERROR_STOP=1 \
  --set=app_user="$APP_USERNAME" --set=app_password="$APP_PASSWORD" \
  --set=database="$ADMIN_DATABASE" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'app_user')
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app_user') \gexec
ALTER ROLE :"app_user" WITH LOGIN PASSWORD :'app_password';
GRANT CONNECT, TEMPORARY ON DATABASE :"database" TO :"app_user";
GRANT USAGE, CREATE ON SCHEMA public TO :"app_user";
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app_user";
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO :"app_user";
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app_user";
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO :"app_user";
SQL
echo "application user $APP_USERNAME is ready"
"#;

/// MySQL: create the user if it is missing, set its password (TLS required), and grant it
/// its database. The values are escaped for single-quoted SQL strings before use.
const MYSQL: &str = r#"set -eu
if [ "$APP_USERNAME" = "$ADMIN_USERNAME" ]; then
  echo "the application user must not be the administrator" >&2
  exit 1
fi
quote() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e "s/'/''/g"; }
user="$(quote "$APP_USERNAME")"
password="$(quote "$APP_PASSWORD")"
database="$(printf '%s' "$ADMIN_DATABASE" | sed -e 's/`/``/g')"
export MYSQL_PWD="$ADMIN_PASSWORD" MYSQL_HISTFILE=/dev/null
mysql --host="$ADMIN_HOST" --port="$ADMIN_PORT" --user="$ADMIN_USERNAME" \
  --ssl-mode=REQUIRED --connect-timeout=10 --batch <<SQL
CREATE USER IF NOT EXISTS '$user'@'%' IDENTIFIED BY '$password' REQUIRE SSL;
ALTER USER '$user'@'%' IDENTIFIED BY '$password' REQUIRE SSL;
GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX, DROP, REFERENCES, CREATE TEMPORARY TABLES, LOCK TABLES, CREATE VIEW, SHOW VIEW, TRIGGER ON \`$database\`.* TO '$user'@'%';
SQL
echo "application user $APP_USERNAME is ready"
"#;
