//! Small readers of configuration and source text, shared by the stack modules.
//!
//! Each reader answers one question about one kind of file (which port a line
//! names, which variables an env file sets, which paths a router serves) and
//! never guesses beyond the text. The traps the issue lists are handled here
//! once: a client option (`REDIS_PORT=6379`, `port: 6379` under `redis:`) is
//! never a server port, and a privileged port is reported rather than used.

/// Ports that belong to datastores and brokers: never a web server's own port.
pub const CLIENT_PORTS: &[u16] = &[
    1433, 3306, 5432, 5672, 6379, 6380, 9042, 9092, 9200, 11211, 27017,
];

/// Words that mark a line as configuring a client rather than the server.
const CLIENT_WORDS: &[&str] = &[
    "redis", "postgres", "pg_", "mysql", "mongo", "database", "db_", "_db", "amqp", "rabbit",
    "kafka", "broker", "cache", "smtp", "mail", "elastic", "memcache", "sql",
];

/// The first server port `text` names, with the line it came from.
///
/// The spellings read are the common ways a service names its port: a `PORT`
/// variable with a default (`process.env.PORT || 3000`, `os.getenv("PORT", "8000")`,
/// `PORT=4000`, `ENV.fetch("PORT", 3000)`), a Go listen address (`":8080"`), a
/// `listen(3000)` or `app.run(port=5000)` call, `uvicorn --port 8001`, Spring's
/// `server.port` and `SERVER_ADDRESS=:9090`. Lines that configure a client (a word
/// such as `redis` or `database`, or a datastore's well-known port) are skipped.
pub fn port_hint(text: &str) -> Option<(u16, String)> {
    for line in text.lines() {
        let trimmed = line.trim();
        // Every form below reads the port from the line's digits; most lines have none, and
        // looking for nine markers in each was most of detecting a service.
        if !trimmed.bytes().any(|b| b.is_ascii_digit())
            || (trimmed.starts_with("//") && !trimmed.contains("PORT"))
        {
            continue;
        }
        let port = after(trimmed, "server.port")
            .or_else(|| after_key(trimmed, "PORT"))
            .or_else(|| after_key(trimmed, "HTTP_PORT"))
            .or_else(|| after(trimmed, ".listen("))
            .or_else(|| after(trimmed, "port="))
            .or_else(|| after(trimmed, "--port"))
            .or_else(|| after(trimmed, "SERVER_ADDRESS=:"))
            .or_else(|| after(trimmed, "ADDR=:"))
            .or_else(|| go_address(trimmed));
        let Some(port) = port else { continue };
        // Only for a line that names a port: a file has many lines, few of them do.
        let lower = trimmed.to_ascii_lowercase();
        if !CLIENT_PORTS.contains(&port) && !CLIENT_WORDS.iter().any(|w| lower.contains(w)) {
            return Some((port, trimmed.chars().take(80).collect()));
        }
    }
    None
}

/// A number of 2 to 5 digits in the first 40 characters after `marker`.
fn after(line: &str, marker: &str) -> Option<u16> {
    let start = line.find(marker)? + marker.len();
    first_number(
        line.get(start..)?
            .chars()
            .take(40)
            .collect::<String>()
            .as_str(),
    )
}

/// Like [`after`], but `key` must be a whole word: not `EXPORT`, `PORTAL` or `REDIS_PORT`.
fn after_key(line: &str, key: &str) -> Option<u16> {
    let mut search = 0;
    while let Some(found) = line[search..].find(key) {
        let start = search + found;
        let end = start + key.len();
        let before_ok = !line[..start]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        let after_ok = !line[end..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        if before_ok && after_ok {
            return first_number(&line[end..].chars().take(40).collect::<String>());
        }
        search = end;
    }
    None
}

/// `":8080"` in Go source.
fn go_address(line: &str) -> Option<u16> {
    let start = line.find("\":")? + 2;
    let digits: String = line[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    line[start + digits.len()..]
        .starts_with('"')
        .then(|| digits.parse().ok())
        .flatten()
}

/// The first run of 2 to 5 digits in `text` that is a whole number.
fn first_number(text: &str) -> Option<u16> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric()) {
            let end = (i..bytes.len())
                .find(|&j| !bytes[j].is_ascii_digit())
                .unwrap_or(bytes.len());
            if (2..=5).contains(&(end - i)) && !bytes.get(end).is_some_and(u8::is_ascii_alphabetic)
            {
                return text[i..end].parse().ok();
            }
            i = end;
        } else {
            i += 1;
        }
    }
    None
}

/// The `KEY=value` pairs of an env file (`.env.example`), in order, quotes removed.
pub fn env_pairs(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let l = l.strip_prefix("export ").unwrap_or(l);
            let (key, value) = l.split_once('=')?;
            let key = key.trim();
            key.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
                .then(|| {
                    (
                        key.to_owned(),
                        value.trim().trim_matches(['"', '\'']).to_owned(),
                    )
                })
        })
        .collect()
}

/// What a Dockerfile declares that detection and the platform can use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DockerfileFacts {
    /// The ports of `EXPOSE` lines, in order.
    pub expose: Vec<u16>,
    /// The user the final stage runs as, as written (`node`, `1000`, `app:app`), with the
    /// file's own `ARG` defaults and `ENV` values substituted; a stage built `FROM` an earlier
    /// stage keeps that stage's user. `None` when no stage of the final one's chain sets one,
    /// so the base image's user applies.
    pub user: Option<String>,
    /// The image the final stage starts from, through the stages it builds on
    /// (`node:22-alpine`, `scratch`), if the file has a `FROM`.
    pub base: Option<String>,
    /// The final stage's `HEALTHCHECK` as written (`CMD curl -f ...`, `NONE`), through the
    /// stages it builds on; `None` when it declares none (the base image's applies).
    pub healthcheck: Option<String>,
    /// The command the image starts: the final stage's `ENTRYPOINT` and `CMD` through the
    /// stages it builds on, as a command line (`node server.js`); `None` when it declares
    /// neither (the base image's applies).
    pub command: Option<String>,
}

/// What one build stage says, so far.
#[derive(Debug, Clone, Default)]
struct Stage {
    /// The name after `AS`, lowercased.
    name: Option<String>,
    /// The image it starts from, through the stages it builds on.
    base: String,
    /// Its `USER`, as written with variables substituted.
    user: Option<String>,
    /// Its `HEALTHCHECK`, as written.
    healthcheck: Option<String>,
    /// Its `ENTRYPOINT`, as a command line.
    entrypoint: Option<String>,
    /// Its `CMD`.
    cmd: Option<String>,
    /// The `CMD` was written in this stage (not inherited from the stage it builds on).
    cmd_set: bool,
    /// `ARG` defaults and `ENV` values it declares, for substitution.
    variables: Vec<(String, String)>,
}

/// Reads `EXPOSE`, and the user, base image and `HEALTHCHECK` of the final stage.
///
/// Instructions are case-insensitive, comments are skipped and `\` continues a line. A
/// `FROM` naming an earlier stage starts from that stage's user, health check and variables,
/// as the builder does (<https://docs.docker.com/reference/dockerfile/#from>).
pub fn dockerfile(text: &str) -> DockerfileFacts {
    let mut facts = DockerfileFacts::default();
    let mut stages: Vec<Stage> = Vec::new();
    for line in logical_lines(text) {
        let (instruction, rest) = line.split_once(char::is_whitespace).unwrap_or((&line, ""));
        let rest = rest.trim();
        match instruction.to_ascii_uppercase().as_str() {
            "FROM" => {
                let words: Vec<&str> = rest
                    .split_whitespace()
                    .filter(|w| !w.starts_with("--"))
                    .collect();
                let image = words.first().copied().unwrap_or_default();
                let name = match words.as_slice() {
                    [_, as_, name, ..] if as_.eq_ignore_ascii_case("as") => {
                        Some(name.to_ascii_lowercase())
                    }
                    _ => None,
                };
                let parent = stages
                    .iter()
                    .rev()
                    .find(|s| s.name.as_deref() == Some(image.to_ascii_lowercase().as_str()));
                let stage = match parent {
                    Some(parent) => Stage {
                        name,
                        cmd_set: false,
                        ..parent.clone()
                    },
                    None => Stage {
                        name,
                        base: image.to_owned(),
                        ..Stage::default()
                    },
                };
                stages.push(stage);
            }
            "EXPOSE" => facts.expose.extend(
                rest.split_whitespace()
                    .filter_map(|p| p.split('/').next()?.parse::<u16>().ok()),
            ),
            "USER" => {
                if let Some(stage) = stages.last_mut() {
                    stage.user = Some(substitute(rest, &stage.variables));
                }
            }
            "HEALTHCHECK" => {
                if let Some(stage) = stages.last_mut() {
                    stage.healthcheck = Some(rest.to_owned());
                }
            }
            "ENTRYPOINT" => {
                if let Some(stage) = stages.last_mut() {
                    stage.entrypoint = Some(command_line(rest));
                    // An ENTRYPOINT resets a CMD the stage did not write itself ("If CMD is
                    // defined from the base image, setting ENTRYPOINT will reset CMD to an
                    // empty value", <https://docs.docker.com/reference/dockerfile/#entrypoint>).
                    if !stage.cmd_set {
                        stage.cmd = None;
                    }
                }
            }
            "CMD" => {
                if let Some(stage) = stages.last_mut() {
                    stage.cmd = Some(command_line(rest));
                    stage.cmd_set = true;
                }
            }
            "ARG" | "ENV" => {
                if let Some(stage) = stages.last_mut() {
                    stage.variables.extend(declared(rest));
                }
            }
            _ => {}
        }
    }
    if let Some(last) = stages.pop() {
        facts.user = last.user.filter(|u| !u.is_empty());
        facts.base = Some(last.base).filter(|b| !b.is_empty());
        facts.healthcheck = last.healthcheck;
        facts.command = match (last.entrypoint, last.cmd) {
            (Some(entrypoint), Some(cmd)) => Some(format!("{entrypoint} {cmd}")),
            (entrypoint, cmd) => entrypoint.or(cmd),
        }
        .filter(|c| !c.is_empty());
    }
    facts
}

/// An `ENTRYPOINT` or `CMD` argument as a command line: the exec form's words joined by
/// spaces (`["node", "server.js"]` is `node server.js`), the shell form as written.
fn command_line(rest: &str) -> String {
    match serde_json::from_str::<Vec<String>>(rest) {
        Ok(words) => words.join(" "),
        Err(_) => rest.to_owned(),
    }
}

/// What the repository's own Dockerfile `text` says; `None` when scaffold generated it (its
/// header says so), which is no evidence about the app.
pub fn own_dockerfile(text: &str) -> Option<DockerfileFacts> {
    (!generated_by_scaffold(text)).then(|| dockerfile(text))
}

/// The instructions of a Dockerfile, one string each: comment lines dropped, lines ending
/// in `\` joined with the next.
fn logical_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(head) => {
                current.push_str(head.trim_end());
                current.push(' ');
            }
            None => {
                current.push_str(trimmed);
                if !current.trim().is_empty() {
                    out.push(current.trim().to_owned());
                }
                current.clear();
            }
        }
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_owned());
    }
    out
}

/// The `name=value` pairs of an `ARG` or `ENV` instruction (`ENV name value` too); an `ARG`
/// without a default declares nothing to substitute.
fn declared(rest: &str) -> Vec<(String, String)> {
    let unquote = |v: &str| v.trim_matches('"').trim_matches('\'').to_owned();
    if !rest.contains('=') {
        return match rest.split_once(char::is_whitespace) {
            Some((name, value)) => vec![(name.to_owned(), unquote(value.trim()))],
            None => Vec::new(),
        };
    }
    rest.split_whitespace()
        .filter_map(|pair| pair.split_once('='))
        .map(|(name, value)| (name.to_owned(), unquote(value)))
        .collect()
}

/// `value` with `$NAME` and `${NAME}` replaced by the latest declaration of `NAME`; an
/// unknown variable stays as written.
fn substitute(value: &str, variables: &[(String, String)]) -> String {
    let lookup = |name: &str| {
        variables
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let mut out = String::new();
    let mut rest = value;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (name, tail) = if let Some(braced) = after.strip_prefix('{') {
            match braced.split_once('}') {
                Some((name, tail)) => (name, tail),
                None => (braced, ""),
            }
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        match lookup(name) {
            Some(found) => out.push_str(&found),
            None => out.push_str(&rest[at..rest.len() - tail.len()]),
        }
        rest = tail;
    }
    out.push_str(rest);
    out
}

/// The container ports a compose service publishes or exposes, from its `ports:` and
/// `expose:` entries (`"8080:3000"` gives 3000, the container side).
pub fn compose_ports(service: &serde_yaml_ng::Value) -> Vec<u16> {
    let mut out = Vec::new();
    for key in ["ports", "expose"] {
        let Some(list) = service.get(key).and_then(|v| v.as_sequence()) else {
            continue;
        };
        for entry in list {
            let text = match entry {
                serde_yaml_ng::Value::String(s) => s.clone(),
                serde_yaml_ng::Value::Number(n) => n.to_string(),
                serde_yaml_ng::Value::Mapping(_) => entry
                    .get("target")
                    .and_then(|t| t.as_u64())
                    .map(|t| t.to_string())
                    .unwrap_or_default(),
                _ => continue,
            };
            let container = text
                .rsplit(':')
                .next()
                .unwrap_or_default()
                .split('/')
                .next()
                .unwrap_or_default()
                .to_owned();
            if let Ok(port) = container.parse::<u16>() {
                out.push(port);
            }
        }
    }
    out
}

/// Every quoted string literal in `text` that starts with `/` and has no spaces, in order.
pub fn quoted_paths(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for quote in ['"', '\'', '`'] {
        let mut parts = text.split(quote);
        parts.next();
        for (i, part) in parts.enumerate() {
            if i % 2 == 0
                && part.starts_with('/')
                && part.len() <= 60
                && !part.contains(char::is_whitespace)
                && !part.contains(['$', '{', '\\', '*', ':'])
            {
                out.push(part.to_owned());
            }
        }
    }
    out
}

/// Whether `text` is a file scaffold generated (its header says so in the first lines): not
/// evidence about the app.
pub fn generated_by_scaffold(text: &str) -> bool {
    text.lines()
        .take(3)
        .any(|line| line.contains("Generated by scaffold"))
}

/// The liveness paths recognised in source, strongest first.
pub const HEALTH_PATHS: &[&str] = &[
    "/healthz",
    "/_healthz",
    "/livez",
    "/health/live",
    "/health/liveness",
    "/health",
    "/api/health",
    "/api/healthz",
    "/_health",
    "/up",
    "/ping",
];

/// The readiness paths recognised in source, strongest first.
pub const READINESS_PATHS: &[&str] = &[
    "/readyz",
    "/health/ready",
    "/health/readiness",
    "/ready",
    "/readiness",
    "/api/ready",
    "/api/readyz",
];

/// The first of `candidates` that `paths` contains, in `candidates` order.
pub fn pick_path(paths: &[String], candidates: &[&str]) -> Option<String> {
    candidates
        .iter()
        .find(|c| paths.iter().any(|p| p == *c))
        .map(|c| (*c).to_owned())
}

/// `Flask[async]>=2.0 ; python_version > "3"` → `flask`.
pub fn requirement_name(line: &str) -> String {
    let end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(line.len());
    line[..end].to_ascii_lowercase().replace('_', "-")
}

/// Every `<tag>value</tag>` value in `text`.
pub fn xml_values(text: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(&open) {
        rest = &rest[start + open.len()..];
        let Some(end) = rest.find(&close) else { break };
        out.push(rest[..end].trim().to_owned());
        rest = &rest[end + close.len()..];
    }
    out
}

/// Splits a command line into words, honouring single and double quotes (no expansion).
///
/// Returns `Err` with the offending text when the line uses shell syntax that an exec-form
/// `CMD` cannot express (`&&`, `|`, `;`, redirections, `$(...)`, backquotes).
pub fn split_command(line: &str) -> Result<Vec<String>, String> {
    for bad in ["&&", "||", "|", ";", ">", "<", "$(", "`"] {
        if line.contains(bad) {
            return Err(format!("`{bad}` is shell syntax"));
        }
    }
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut started = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                started = true;
            }
            (None, c) if c.is_whitespace() => {
                if started {
                    words.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            (None, c) => {
                word.push(c);
                started = true;
            }
        }
    }
    if quote.is_some() {
        return Err("a quote is not closed".to_owned());
    }
    if started {
        words.push(word);
    }
    if words.is_empty() {
        return Err("it is empty".to_owned());
    }
    Ok(words)
}

/// The major version in a version requirement or file: `>=22` → `22`, `v20.11.0` → `20`,
/// `^8.3` → `8`. `None` when no number is there.
pub fn major(version: &str) -> Option<String> {
    let start = version.find(|c: char| c.is_ascii_digit())?;
    let digits: String = version[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (!digits.is_empty()).then_some(digits)
}

/// The `major.minor` in a version requirement or file: `>=3.12` → `3.12`, `3.12.4` → `3.12`,
/// `^8.3` → `8.3`. `None` without a minor.
pub fn major_minor(version: &str) -> Option<String> {
    let start = version.find(|c: char| c.is_ascii_digit())?;
    let text: String = version[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let mut parts = text.split('.').filter(|p| !p.is_empty());
    let major = parts.next()?;
    let minor = parts.next()?;
    Some(format!("{major}.{minor}"))
}

/// The version in full (`1.24.3`, `3.4.5`): digits and dots from the first digit.
pub fn full_version(version: &str) -> Option<String> {
    let start = version.find(|c: char| c.is_ascii_digit())?;
    let text: String = version[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let text = text.trim_end_matches('.');
    (!text.is_empty()).then(|| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expect: Option<u16>) {
        assert_eq!(port_hint(text).map(|(p, _)| p), expect, "{text}");
    }

    #[test]
    fn reads_common_port_spellings() {
        check("const port = process.env.PORT || 4000;", Some(4000));
        check(
            "const port = Number(process.env.PORT ?? '3001')",
            Some(3001),
        );
        check("port = int(os.getenv(\"PORT\", \"8001\"))", Some(8001));
        check("PORT=5050", Some(5050));
        check("http.ListenAndServe(\":9090\", nil)", Some(9090));
        check("app.listen(3002)", Some(3002));
        check("server.port=8081", Some(8081));
        check("    app.run(host=\"0.0.0.0\", port=5001)", Some(5001));
        check("CMD uvicorn app:app --port 8002", Some(8002));
        check("SERVER_ADDRESS=:9091", Some(9091));
        check("port ENV.fetch(\"PORT\", 3000)", Some(3000));
    }

    #[test]
    fn client_ports_are_not_server_ports() {
        check("REDIS_PORT=6379", None);
        check("const redis = new Redis({ port: 6380, host })", None);
        check("DATABASE_URL=postgres://u:p@localhost:5432/db", None);
        check("DB_PORT=5433", None);
        check("EXPORT_DIR=/tmp/1234", None);
        check("PORTAL=3", None);
        check("const x = 1;", None);
    }

    #[test]
    fn env_files_and_dockerfiles() {
        assert_eq!(
            env_pairs("# c\nexport A=1\nB=\"two\"\nbad line\n"),
            [("A".into(), "1".into()), ("B".into(), "two".into())]
        );
        let facts = dockerfile("FROM a AS b\nUSER root\nFROM c\nEXPOSE 8080/tcp 9090\nUSER node\n");
        assert_eq!(facts.expose, [8080, 9090]);
        assert_eq!(facts.user.as_deref(), Some("node"));
        assert_eq!(facts.base.as_deref(), Some("c"));
    }

    /// The user, base image and health check of the final stage, as the builder sees them.
    fn final_stage(text: &str) -> (Option<String>, Option<String>, Option<String>) {
        let facts = dockerfile(text);
        (facts.user, facts.base, facts.healthcheck)
    }

    #[test]
    fn the_final_stage_is_read_through_the_stages_it_builds_on() {
        let owned = |v: &str| Some(v.to_owned());
        // A stage built on an earlier one keeps its user (Visual Studio's .NET template).
        assert_eq!(
            final_stage(
                "FROM mcr.microsoft.com/dotnet/aspnet:8.0 AS base\nUSER $APP_UID\nFROM mcr.microsoft.com/dotnet/sdk:8.0 AS build\nRUN dotnet publish\nFROM base AS final\nCOPY --from=build /app .\n"
            ),
            (
                owned("$APP_UID"),
                owned("mcr.microsoft.com/dotnet/aspnet:8.0"),
                None
            )
        );
        // A new image starts from its own user, and a build stage's USER does not leak.
        assert_eq!(
            final_stage("FROM node:22 AS build\nUSER node\nFROM node:22-alpine\n"),
            (None, owned("node:22-alpine"), None)
        );
        // The file's own ARG and ENV values are substituted; continuations and comments,
        // lowercase instructions and `--platform` are read as the builder reads them.
        assert_eq!(
            final_stage(
                "ARG BASE=x\nFROM --platform=$BUILDPLATFORM python:3.12-slim AS run\n# USER root\nARG UID=10001\nENV GID 10002\nuser ${UID}:$GID\nHEALTHCHECK --interval=30s \\\n  CMD curl -f http://localhost:8000/healthz\n"
            ),
            (
                owned("10001:10002"),
                owned("python:3.12-slim"),
                owned("--interval=30s CMD curl -f http://localhost:8000/healthz")
            )
        );
        // The command: ENTRYPOINT and CMD in exec or shell form, through the stages.
        let command = |text: &str| dockerfile(text).command;
        assert_eq!(
            command(
                "FROM a AS base\nENTRYPOINT [\"java\", \"-jar\"]\nFROM base\nCMD [\"/app.jar\"]\n"
            ),
            owned("java -jar /app.jar")
        );
        assert_eq!(
            command("FROM a\nCMD python -m mailer\n"),
            owned("python -m mailer")
        );
        assert_eq!(
            command("FROM a\nCMD [\"x\"]\nENTRYPOINT [\"y\"]\n"),
            owned("y x")
        );
        assert_eq!(
            command("FROM a AS base\nCMD [\"x\"]\nFROM base\nENTRYPOINT [\"y\"]\n"),
            owned("y")
        );
        assert_eq!(command("FROM a\n"), None);
        // An unknown variable stays as written; an empty file has no stage.
        assert_eq!(final_stage("FROM a\nUSER ${NOPE}\n").0, owned("${NOPE}"));
        assert_eq!(final_stage(""), (None, None, None));
    }

    #[test]
    fn compose_ports_are_the_container_side() {
        let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(
            "ports: [\"127.0.0.1:8080:3000\", \"9000/tcp\", {target: 4000, published: 80}]\nexpose: [\"5000\"]",
        )
        .unwrap();
        assert_eq!(compose_ports(&doc), [3000, 9000, 4000, 5000]);
    }

    #[test]
    fn paths_and_commands() {
        assert_eq!(
            quoted_paths("app.get('/healthz', h); r(\"/api/v1/x\"); `${a}/b`; '/a b'"),
            ["/api/v1/x", "/healthz"]
        );
        assert_eq!(
            split_command("uvicorn app.main:app --host '0.0.0.0'").unwrap(),
            ["uvicorn", "app.main:app", "--host", "0.0.0.0"]
        );
        assert!(split_command("npm run build && npm start").is_err());
        assert!(split_command("echo \"x").is_err());
    }

    #[test]
    fn versions() {
        assert_eq!(major(">=22").as_deref(), Some("22"));
        assert_eq!(major("v20.11.0").as_deref(), Some("20"));
        assert_eq!(major_minor(">=3.12").as_deref(), Some("3.12"));
        assert_eq!(major_minor("3.12.4").as_deref(), Some("3.12"));
        assert_eq!(major_minor("^8.3").as_deref(), Some("8.3"));
        assert_eq!(major_minor("22"), None);
        assert_eq!(full_version("go1.24.3").as_deref(), Some("1.24.3"));
        assert_eq!(requirement_name("Flask[async]>=2.0"), "flask");
        assert_eq!(
            xml_values("<a><m>x</m><m> y </m></a>", "m"),
            ["x".to_owned(), "y".to_owned()]
        );
    }
}
