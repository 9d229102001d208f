//! Python routes served under a prefix: FastAPI/Starlette `APIRouter(prefix=...)` mounted with
//! `include_router(router, prefix=...)`, and Flask `Blueprint(url_prefix=...)` registered with
//! `register_blueprint(bp, url_prefix=...)`.
//!
//! A route's literal (`@router.get("/health")`) is not the path the app serves when its router
//! is mounted under a prefix, so probes built from the literal would get a 404. This reads the
//! router definitions, the mounts and the route decorators of the folder's sources (text only,
//! never executed) and gives each mounted route its effective path:
//! - FastAPI concatenates: the mount's `prefix`, then the router's own `prefix`, then the route
//!   (<https://fastapi.tiangolo.com/tutorial/bigger-applications/>, "include_router" with
//!   `prefix`, read 2026-11-30);
//! - Flask's `url_prefix` given at registration replaces the blueprint's own
//!   (<https://flask.palletsprojects.com/en/stable/blueprints/>, "Registering Blueprints" and
//!   "Nesting Blueprints", read 2026-11-30; pallets/flask#4086 shows the override); a nested
//!   blueprint's prefix follows its parent's.
//!
//! A router is matched to its mount by module and name (`health.router`, or `router` imported
//! with `from .health import router`, aliases included); what it cannot resolve keeps the
//! router's own prefix, which applies wherever it is mounted.

use std::collections::BTreeMap;

/// A route whose served path differs from its literal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mounted {
    /// The file (relative to the folder) that declares the route.
    pub file: String,
    /// The path written in the decorator.
    pub literal: String,
    /// The path the app serves.
    pub served: String,
    /// The router variable the route is declared on.
    pub router: String,
    /// The prefix it is served under.
    pub prefix: String,
}

/// The framework a router object belongs to (they compose prefixes differently).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framework {
    FastApi,
    Flask,
}

/// A router or blueprint definition.
#[derive(Debug, Clone)]
struct Router {
    framework: Framework,
    prefix: String,
}

/// `parent.include_router(child, prefix=...)` / `parent.register_blueprint(child, url_prefix=...)`.
#[derive(Debug, Clone)]
struct Mount {
    parent: (String, String),
    child: (String, String),
    prefix: Option<String>,
}

/// Every route in `sources` (file, text) whose router is mounted under a prefix.
#[cfg(test)]
fn mounted(sources: &[(String, String)]) -> Vec<Mounted> {
    read(sources).0
}

/// The mounted routes, and every prefix literal (file, prefix): a prefix is not a route.
pub fn read(sources: &[(String, String)]) -> (Vec<Mounted>, Vec<(String, String)>) {
    let mut prefixes: Vec<(String, String)> = Vec::new();
    let mut routers: BTreeMap<(String, String), Router> = BTreeMap::new();
    for (file, text) in sources {
        let module = module(file);
        for (constructor, framework, keyword) in [
            ("APIRouter(", Framework::FastApi, "prefix"),
            ("Blueprint(", Framework::Flask, "url_prefix"),
        ] {
            for (at, _) in text.match_indices(constructor) {
                let Some(name) = assigned_name(&text[..at]) else {
                    continue;
                };
                let args = call_args(&text[at + constructor.len()..]);
                let prefix = keyword_string(args, keyword).unwrap_or_default();
                if !prefix.is_empty() {
                    prefixes.push((file.clone(), prefix.clone()));
                }
                routers.insert((module.clone(), name), Router { framework, prefix });
            }
        }
    }
    if routers.is_empty() {
        return (Vec::new(), prefixes);
    }
    let mut mounts: Vec<Mount> = Vec::new();
    for (file, text) in sources {
        let imports = imports(text);
        let resolve = |expr: &str| resolve(expr, &module(file), &imports, &routers);
        for (method, keyword) in [
            (".include_router(", "prefix"),
            (".register_blueprint(", "url_prefix"),
        ] {
            for (at, _) in text.match_indices(method) {
                let parent = trailing_expr(&text[..at]);
                let args = call_args(&text[at + method.len()..]);
                let child = args.split(',').next().unwrap_or("").trim();
                if parent.is_empty() || child.is_empty() {
                    continue;
                }
                let prefix = keyword_string(args, keyword);
                if let Some(prefix) = &prefix {
                    prefixes.push((file.clone(), prefix.clone()));
                }
                mounts.push(Mount {
                    parent: resolve(parent),
                    child: resolve(child),
                    prefix,
                });
            }
        }
    }
    let mut out = Vec::new();
    for (file, text) in sources {
        let module = module(file);
        for (name, literal) in routes(text) {
            let key = (module.clone(), name.clone());
            if !routers.contains_key(&key) {
                continue;
            }
            let prefix = full_prefix(&key, &routers, &mounts, 0);
            let served = join(&prefix, &literal);
            if served != literal {
                out.push(Mounted {
                    file: file.clone(),
                    literal,
                    served,
                    router: name,
                    prefix,
                });
            }
        }
    }
    (out, prefixes)
}

/// The prefix every route of router `key` is served under.
fn full_prefix(
    key: &(String, String),
    routers: &BTreeMap<(String, String), Router>,
    mounts: &[Mount],
    depth: usize,
) -> String {
    let Some(router) = routers.get(key) else {
        // The app object itself (or something unresolved): no prefix of its own.
        return String::new();
    };
    let Some(mount) = mounts
        .iter()
        .find(|m| &m.child == key)
        .filter(|_| depth < 8)
    else {
        return router.prefix.clone();
    };
    let parent = full_prefix(&mount.parent, routers, mounts, depth + 1);
    let own = match router.framework {
        Framework::FastApi => format!("{}{}", mount.prefix.as_deref().unwrap_or(""), router.prefix),
        Framework::Flask => mount
            .prefix
            .clone()
            .unwrap_or_else(|| router.prefix.clone()),
    };
    join(&parent, &own)
}

/// `/api` + `/health` → `/api/health`; an empty side is left out; `/health/` + `""` keeps the
/// route's own shape.
fn join(prefix: &str, path: &str) -> String {
    let prefix = prefix.trim_end_matches('/');
    if prefix.is_empty() {
        return path.to_owned();
    }
    if path.is_empty() || path == "/" {
        return prefix.to_owned();
    }
    format!("{prefix}/{}", path.trim_start_matches('/'))
}

/// The module a file defines, as imports name it: `app/routers/health.py` → `health`,
/// `app/api/__init__.py` → `api`.
fn module(file: &str) -> String {
    let path = file.trim_end_matches(".py");
    let mut parts = path.rsplit('/');
    match parts.next() {
        Some("__init__") => parts.next().unwrap_or("").to_owned(),
        Some(last) => last.to_owned(),
        None => String::new(),
    }
}

/// `router = ` (or `router: APIRouter = `) at the end of `before`: the assigned name.
fn assigned_name(before: &str) -> Option<String> {
    let line = before.rsplit('\n').next().unwrap_or(before);
    let target = line.trim_end().strip_suffix('=')?;
    let target = target.split(':').next().unwrap_or(target).trim();
    (!target.is_empty() && target.chars().all(|c| c.is_alphanumeric() || c == '_'))
        .then(|| target.to_owned())
}

/// The dotted name just before a method call: `app` in `app.include_router(`.
fn trailing_expr(before: &str) -> &str {
    let start = before
        .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
        .map_or(0, |i| i + 1);
    &before[start..]
}

/// The text of a call's arguments, from just after `(` to the matching `)`.
fn call_args(after: &str) -> &str {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    for (i, c) in after.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '(' | '[' | '{') => depth += 1,
            (None, ')' | ']' | '}') if depth == 0 => return &after[..i],
            (None, ')' | ']' | '}') => depth -= 1,
            _ => {}
        }
    }
    after
}

/// The string value of `keyword=` in `args`.
fn keyword_string(args: &str, keyword: &str) -> Option<String> {
    let mut rest = args;
    while let Some(at) = rest.find(keyword) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + keyword.len()..].trim_start();
        rest = &rest[at + keyword.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let Some(value) = after.strip_prefix('=') else {
            continue;
        };
        return quoted(value.trim_start()).map(str::to_owned);
    }
    None
}

/// The string literal at the start of `text`.
fn quoted(text: &str) -> Option<&str> {
    let quote = text.chars().next().filter(|c| matches!(c, '"' | '\''))?;
    let body = &text[1..];
    body.find(quote).map(|end| &body[..end])
}

/// `import a.b.health as h` and `from x import health as h, router`: local name → imported name
/// (the last part of a module path, or the name imported from a module: `from .health import
/// router as health_router` maps `health_router` to `health.router`).
fn imports(text: &str) -> BTreeMap<String, (Option<String>, String)> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("from ") {
            let Some((module, names)) = rest.split_once(" import ") else {
                continue;
            };
            let module = module.trim().rsplit('.').next().unwrap_or("").to_owned();
            for part in names.trim_matches(|c| c == '(' || c == ')').split(',') {
                let mut words = part.split_whitespace();
                let Some(name) = words.next() else { continue };
                let local = match (words.next(), words.next()) {
                    (Some("as"), Some(alias)) => alias,
                    _ => name,
                };
                let from = (!module.is_empty()).then(|| module.clone());
                out.insert(local.to_owned(), (from, name.to_owned()));
            }
        } else if let Some(rest) = line.strip_prefix("import ") {
            for part in rest.split(',') {
                let mut words = part.split_whitespace();
                let Some(path) = words.next() else { continue };
                let last = path.rsplit('.').next().unwrap_or(path).to_owned();
                let local = match (words.next(), words.next()) {
                    (Some("as"), Some(alias)) => alias.to_owned(),
                    _ => last.clone(),
                };
                out.insert(local, (None, last));
            }
        }
    }
    out
}

/// Which router an expression in module `module` names: `(module, name)`.
fn resolve(
    expr: &str,
    module: &str,
    imports: &BTreeMap<String, (Option<String>, String)>,
    routers: &BTreeMap<(String, String), Router>,
) -> (String, String) {
    match expr.rsplit_once('.') {
        Some((path, name)) => {
            let head = path.rsplit('.').next().unwrap_or(path);
            let module = match imports.get(head) {
                Some((_, imported)) => imported.clone(),
                None => head.to_owned(),
            };
            (module, name.to_owned())
        }
        None => {
            let local = (module.to_owned(), expr.to_owned());
            if routers.contains_key(&local) {
                return local;
            }
            match imports.get(expr) {
                Some((Some(from), name)) => (from.clone(), name.clone()),
                _ => local,
            }
        }
    }
}

/// Every GET-serving route declared on a named object: `@router.get("/health")`,
/// `@bp.route("/health")`, `router.add_api_route("/health", ...)`, `bp.add_url_rule(...)`.
fn routes(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(usize, String, String)> = Vec::new();
    for method in [
        ".get(",
        ".api_route(",
        ".route(",
        ".head(",
        ".add_api_route(",
        ".add_url_rule(",
    ] {
        for (at, _) in text.match_indices(method) {
            let name = trailing_expr(&text[..at]);
            if name.is_empty() || name.contains('.') {
                continue;
            }
            let args = call_args(&text[at + method.len()..]).trim_start();
            let args = args
                .strip_prefix("path")
                .or_else(|| args.strip_prefix("rule"))
                .map_or(args, |rest| {
                    rest.trim_start().trim_start_matches('=').trim_start()
                });
            if let Some(literal) = quoted(args)
                && (literal.is_empty() || literal.starts_with('/'))
            {
                out.push((at, name.to_owned(), literal.to_owned()));
            }
        }
    }
    out.sort();
    out.into_iter()
        .map(|(_, name, literal)| (name, literal))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn served(files: &[(&str, &str)]) -> Vec<(String, String)> {
        let sources: Vec<(String, String)> = files
            .iter()
            .map(|(f, t)| ((*f).to_owned(), (*t).to_owned()))
            .collect();
        mounted(&sources)
            .into_iter()
            .map(|m| (m.literal, m.served))
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    #[test]
    fn fastapi_prefixes_concatenate_across_modules_and_aliases() {
        let health = "from fastapi import APIRouter\n\nrouter = APIRouter(prefix=\"/health\", tags=[\"ops\"])\n\n@router.get(\"\")\ndef live():\n    return {}\n\n@router.get(\"/ready\")\ndef ready():\n    return {}\n";
        let items = "from fastapi import APIRouter\nrouter = APIRouter()\n@router.get('/items')\ndef items(): ...\n";
        let main = "from fastapi import FastAPI\nfrom .routers import health\nfrom .routers.items import router as items_router\n\napp = FastAPI()\napp.include_router(health.router, prefix=\"/api\")\napp.include_router(\n    items_router,\n    prefix='/v1',\n)\n@app.get(\"/\")\ndef root(): ...\n";
        assert_eq!(
            served(&[
                ("app/routers/health.py", health),
                ("app/routers/items.py", items),
                ("app/main.py", main),
            ]),
            pairs(&[
                ("", "/api/health"),
                ("/ready", "/api/health/ready"),
                ("/items", "/v1/items"),
            ])
        );
    }

    #[test]
    fn an_unmounted_router_keeps_its_own_prefix_and_a_bare_app_none() {
        let main = "api = APIRouter(prefix='/api')\n@api.get('/healthz')\ndef h(): ...\napp = FastAPI()\n@app.get('/readyz')\ndef r(): ...\n";
        assert_eq!(
            served(&[("main.py", main)]),
            pairs(&[("/healthz", "/api/healthz")])
        );
    }

    #[test]
    fn nested_routers_and_flask_blueprints() {
        let fastapi = "v1 = APIRouter(prefix='/v1')\nops = APIRouter()\n@ops.get('/health')\ndef h(): ...\nv1.include_router(ops, prefix='/ops')\napp.include_router(v1, prefix='/api')\n";
        assert_eq!(
            served(&[("main.py", fastapi)]),
            pairs(&[("/health", "/api/v1/ops/health")])
        );
        // Flask: the registration's url_prefix replaces the blueprint's own.
        let flask = "bp = Blueprint('ops', __name__, url_prefix='/ops')\n@bp.route('/health')\ndef h(): ...\nother = Blueprint('x', __name__, url_prefix='/x')\n@other.get('/ready')\ndef r(): ...\napp.register_blueprint(bp, url_prefix='/api')\napp.register_blueprint(other)\n";
        assert_eq!(
            served(&[("app.py", flask)]),
            pairs(&[("/health", "/api/health"), ("/ready", "/x/ready")])
        );
    }

    #[test]
    fn keywords_are_matched_whole() {
        assert_eq!(keyword_string("x, url_prefix='/a'", "prefix"), None);
        assert_eq!(
            keyword_string("x, url_prefix='/a'", "url_prefix").as_deref(),
            Some("/a")
        );
        assert_eq!(
            keyword_string("prefix = \"/b\"", "prefix").as_deref(),
            Some("/b")
        );
    }
}
