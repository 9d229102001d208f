//! What the e2e stage reads from a generated Dockerfile without building it.
//!
//! Two things: the base images it needs (every `FROM` and `COPY --from=` that is not an
//! earlier stage), so they can be pulled or stood in for before the build; and a static check
//! that every `COPY`/`ADD` source exists in the build context and is not excluded by
//! `.dockerignore`. The static check runs everywhere, even without a container engine, and is
//! the only check for stacks whose images cannot be built on this machine (Go, Java, .NET,
//! Ruby, PHP): it catches a missing lockfile, a wrong folder or an ignored file.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// One instruction: its keyword (upper case) and its arguments, continuations joined.
#[derive(Debug, Clone, PartialEq)]
pub struct Instruction {
    /// `FROM`, `COPY`, `RUN`, ...
    pub keyword: String,
    /// Everything after the keyword.
    pub args: String,
    /// 1-based line where the instruction starts.
    pub line: usize,
}

/// Splits a Dockerfile into instructions: comments dropped, `\` continuations joined.
pub fn instructions(text: &str) -> Vec<Instruction> {
    let mut out = Vec::new();
    let mut current: Option<Instruction> = None;
    for (index, raw) in text.lines().enumerate() {
        let trimmed = raw.trim();
        if current.is_none() && (trimmed.is_empty() || trimmed.starts_with('#')) {
            continue;
        }
        if current.is_some() && trimmed.starts_with('#') {
            continue; // comment lines inside a continuation are skipped, as BuildKit does
        }
        let (body, continues) = match trimmed.strip_suffix('\\') {
            Some(body) => (body.trim_end(), true),
            None => (trimmed, false),
        };
        match current.as_mut() {
            Some(instruction) => {
                instruction.args.push(' ');
                instruction.args.push_str(body);
            }
            None => {
                let (keyword, args) = body.split_once(char::is_whitespace).unwrap_or((body, ""));
                current = Some(Instruction {
                    keyword: keyword.to_ascii_uppercase(),
                    args: args.trim().to_owned(),
                    line: index + 1,
                });
            }
        }
        if !continues {
            out.extend(current.take());
        }
    }
    out.extend(current);
    out
}

/// A `COPY` or `ADD`: its flags and its sources (the last argument is the destination).
#[derive(Debug, Clone, PartialEq)]
pub struct Copy {
    /// `--from=` value, when copying from a stage or an image.
    pub from: Option<String>,
    /// Source paths as written.
    pub sources: Vec<String>,
    /// Line of the instruction.
    pub line: usize,
}

fn words(args: &str) -> Vec<String> {
    let args = args.trim();
    if args.starts_with('[')
        && let Ok(list) = serde_yaml_ng::from_str::<Vec<String>>(args)
    {
        return list;
    }
    args.split_whitespace().map(str::to_owned).collect()
}

/// The `COPY`/`ADD` instructions of `text`, with `ARG` defaults substituted.
pub fn copies(text: &str) -> Vec<Copy> {
    let mut out = Vec::new();
    for instruction in instructions(text) {
        if instruction.keyword != "COPY" && instruction.keyword != "ADD" {
            continue;
        }
        let mut from = None;
        let mut rest = Vec::new();
        // Flags come first; JSON form (`COPY ["a", "b"]`) may follow them.
        let mut args = instruction.args.as_str();
        while let Some(flag) = args.strip_prefix("--") {
            let (word, tail) = flag.split_once(char::is_whitespace).unwrap_or((flag, ""));
            if let Some(value) = word.strip_prefix("from=") {
                from = Some(value.to_owned());
            }
            args = tail.trim_start();
        }
        rest.extend(words(args));
        if rest.len() < 2 {
            continue;
        }
        rest.pop();
        out.push(Copy {
            from,
            sources: rest,
            line: instruction.line,
        });
    }
    out
}

/// Substitutes `$NAME` and `${NAME}` from `vars`; unknown names become empty, as in Docker.
fn substitute(text: &str, vars: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        let braced = chars.peek() == Some(&'{');
        if braced {
            chars.next();
        }
        let mut name = String::new();
        while let Some(&n) = chars.peek() {
            if n.is_ascii_alphanumeric() || n == '_' {
                name.push(n);
                chars.next();
            } else {
                break;
            }
        }
        if braced {
            // `${NAME:-default}` and friends: keep the default when the name is unknown.
            let mut rest = String::new();
            for n in chars.by_ref() {
                if n == '}' {
                    break;
                }
                rest.push(n);
            }
            match vars.get(&name) {
                Some(value) => out.push_str(value),
                None => out.push_str(rest.strip_prefix(":-").unwrap_or("")),
            }
        } else if name.is_empty() {
            out.push('$');
        } else if let Some(value) = vars.get(&name) {
            out.push_str(value);
        }
    }
    out
}

/// The images a build needs: `FROM` images and `COPY --from=` images, earlier stages and
/// `scratch` excluded, in order of first use.
pub fn base_images(text: &str) -> Vec<String> {
    let mut args = BTreeMap::new();
    let mut stages = BTreeSet::new();
    let mut images: Vec<String> = Vec::new();
    let push = |image: String, images: &mut Vec<String>| {
        if image != "scratch" && !images.contains(&image) {
            images.push(image);
        }
    };
    let mut seen_from = false;
    for instruction in instructions(text) {
        match instruction.keyword.as_str() {
            // Only ARGs before the first FROM are visible to FROM lines.
            "ARG" if !seen_from => {
                for word in words(&instruction.args) {
                    if let Some((name, value)) = word.split_once('=') {
                        args.insert(name.to_owned(), value.trim_matches('"').to_owned());
                    }
                }
            }
            "FROM" => {
                seen_from = true;
                let parts: Vec<String> = words(&instruction.args)
                    .into_iter()
                    .filter(|w| !w.starts_with("--"))
                    .collect();
                let Some(image) = parts.first() else { continue };
                let image = substitute(image, &args);
                if !stages.contains(&image.to_ascii_lowercase()) {
                    push(image, &mut images);
                }
                if parts.len() >= 3 && parts[1].eq_ignore_ascii_case("as") {
                    stages.insert(parts[2].to_ascii_lowercase());
                }
            }
            "COPY" | "ADD" => {
                for copy in copies(&format!("COPY {}", instruction.args)) {
                    if let Some(from) = copy.from {
                        let from = substitute(&from, &args);
                        let is_stage = stages.contains(&from.to_ascii_lowercase())
                            || from.chars().all(|c| c.is_ascii_digit());
                        if !is_stage {
                            push(from, &mut images);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    images
}

/// `.dockerignore` rules: patterns in order, later ones winning, `!` re-including.
#[derive(Debug, Default)]
pub struct Ignore {
    rules: Vec<(bool, Vec<String>)>,
}

impl Ignore {
    /// Parses a `.dockerignore` file's text.
    pub fn parse(text: &str) -> Ignore {
        let mut rules = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (include, pattern) = match line.strip_prefix('!') {
                Some(rest) => (true, rest.trim()),
                None => (false, line),
            };
            let pattern = pattern.trim_start_matches("./").trim_start_matches('/');
            let pattern = pattern.trim_end_matches('/');
            if pattern.is_empty() {
                continue;
            }
            rules.push((include, pattern.split('/').map(str::to_owned).collect()));
        }
        Ignore { rules }
    }

    /// Whether `path` (relative to the context, `/`-separated) is excluded from the context.
    ///
    /// A pattern that matches a parent folder excludes everything below it, as in Docker.
    pub fn excludes(&self, path: &str) -> bool {
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        let mut excluded = false;
        for (include, pattern) in &self.rules {
            let matched = (1..=parts.len()).any(|n| glob_parts(pattern, &parts[..n]));
            if matched {
                excluded = !include;
            }
        }
        excluded
    }
}

/// Matches path segments against pattern segments, `**` spanning any number of segments.
fn glob_parts(pattern: &[String], path: &[&str]) -> bool {
    match pattern.split_first() {
        None => path.is_empty(),
        Some((first, rest)) if first == "**" => {
            (0..=path.len()).any(|skip| glob_parts(rest, &path[skip..]))
        }
        Some((first, rest)) => match path.split_first() {
            Some((segment, path_rest)) => glob(first, segment) && glob_parts(rest, path_rest),
            None => false,
        },
    }
}

/// Matches one path segment against a glob with `*`, `?` and `[...]`.
pub fn glob(pattern: &str, text: &str) -> bool {
    fn go(p: &[char], t: &[char]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some(('*', rest)) => (0..=t.len())
                .take_while(|&skip| skip == 0 || t[skip - 1] != '/')
                .any(|skip| go(rest, &t[skip..])),
            Some(('?', rest)) => t.first().is_some_and(|&c| c != '/') && go(rest, &t[1..]),
            Some(('[', rest)) => {
                let Some(end) = rest.iter().position(|&c| c == ']') else {
                    return t.first() == Some(&'[') && go(rest, &t[1..]);
                };
                let Some(&c) = t.first() else { return false };
                let (negate, class) = match rest[..end].split_first() {
                    Some(('!' | '^', class)) => (true, class),
                    _ => (false, &rest[..end]),
                };
                let mut hit = false;
                let mut i = 0;
                while i < class.len() {
                    if i + 2 < class.len() && class[i + 1] == '-' {
                        hit |= class[i] <= c && c <= class[i + 2];
                        i += 3;
                    } else {
                        hit |= class[i] == c;
                        i += 1;
                    }
                }
                hit != negate && go(&rest[end + 1..], &t[1..])
            }
            Some(('\\', rest)) if !rest.is_empty() => {
                t.first() == Some(&rest[0]) && go(&rest[1..], &t[1..])
            }
            Some((c, rest)) => t.first() == Some(c) && go(rest, &t[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    go(&p, &t)
}

fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// Every file and folder below `dir`, relative and `/`-separated, `.git` skipped.
pub fn context_paths(dir: &Path) -> Vec<String> {
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name == ".git" {
                continue;
            }
            let relative = format!("{prefix}{name}");
            out.push(relative.clone());
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                walk(&entry.path(), &format!("{relative}/"), out);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, "", &mut out);
    out
}

/// Checks every `COPY`/`ADD` source from the build context against the context's files:
/// one problem per source that is absent or excluded by `.dockerignore`.
///
/// `paths` lists the context (see [`context_paths`]); `assume_present` names files a real
/// repository would have but a fixture could not (a lockfile nobody could generate here).
pub fn check_copies(
    dockerfile: &str,
    paths: &[String],
    ignore: &Ignore,
    assume_present: &[String],
) -> Vec<String> {
    let mut problems = Vec::new();
    let visible: Vec<&String> = paths.iter().filter(|p| !ignore.excludes(p)).collect();
    for copy in copies(dockerfile) {
        if copy.from.is_some() {
            continue;
        }
        let mut any = false;
        let mut missing = Vec::new();
        for source in &copy.sources {
            if source.contains("://") {
                any = true; // ADD of a URL
                continue;
            }
            let source = source
                .trim_start_matches("./")
                .trim_start_matches('/')
                .trim_end_matches('/');
            if source.is_empty() || source == "." {
                any = true;
                continue;
            }
            if assume_present.iter().any(|a| a == source) {
                any = true;
                continue;
            }
            let pattern: Vec<&str> = source.split('/').collect();
            let matches = |p: &&String| {
                let parts: Vec<&str> = p.split('/').collect();
                parts.len() == pattern.len() && pattern.iter().zip(&parts).all(|(g, s)| glob(g, s))
            };
            if visible.iter().any(matches) {
                any = true;
            } else if !is_glob(source) {
                let why = if paths.iter().any(|p| p == source) {
                    "excluded by .dockerignore"
                } else {
                    "not in the build context"
                };
                missing.push(format!("line {}: COPY {source}: {why}", copy.line));
            }
        }
        if !any && missing.is_empty() {
            missing.push(format!(
                "line {}: COPY {}: no source matches anything in the build context",
                copy.line,
                copy.sources.join(" ")
            ));
        }
        problems.extend(missing);
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instructions_join_continuations_and_skip_comments() {
        let text = "# syntax=docker/dockerfile:1\nFROM node:24 AS build\nRUN a \\\n    # note\n    && b\ncopy x y\n";
        let got: Vec<(String, String, usize)> = instructions(text)
            .into_iter()
            .map(|i| (i.keyword, i.args, i.line))
            .collect();
        assert_eq!(
            got,
            [
                ("FROM".into(), "node:24 AS build".into(), 2),
                ("RUN".into(), "a && b".into(), 3),
                ("COPY".into(), "x y".into(), 6),
            ]
        );
    }

    fn check_images(text: &str, expect: &[&str]) {
        assert_eq!(base_images(text), expect, "{text}");
    }

    #[test]
    fn base_images_skip_stages_and_scratch() {
        check_images(
            "FROM node:24-slim AS build\nFROM build AS test\nFROM gcr.io/distroless/cc AS runtime\nCOPY --from=build /a /b\n",
            &["node:24-slim", "gcr.io/distroless/cc"],
        );
        check_images("FROM scratch\nCOPY x /x\n", &[]);
    }

    #[test]
    fn base_images_include_copy_from_images_and_args() {
        check_images(
            "ARG PY=3.13\nFROM python:${PY}-slim AS build\nCOPY --from=ghcr.io/astral-sh/uv:0.9.11 /uv /bin/uv\nCOPY --from=0 /x /y\n",
            &["python:3.13-slim", "ghcr.io/astral-sh/uv:0.9.11"],
        );
        check_images("FROM --platform=$BUILDPLATFORM rust:1 AS b\n", &["rust:1"]);
    }

    fn check_ignore(rules: &str, path: &str, expect: bool) {
        assert_eq!(
            Ignore::parse(rules).excludes(path),
            expect,
            "{rules} / {path}"
        );
    }

    #[test]
    fn dockerignore_follows_docker_rules() {
        check_ignore("dist\n", "dist/index.html", true);
        check_ignore("dist\n", "app/dist", false);
        check_ignore("**/node_modules\n", "apps/api/node_modules/x", true);
        check_ignore("**/node_modules\n", "node_modules", true);
        check_ignore("**/.env.*\n!**/.env.example\n", "a/.env.example", false);
        check_ignore("**/.env.*\n!**/.env.example\n", "a/.env.local", true);
        check_ignore("/docs/\n", "docs/a.md", true);
        check_ignore("*.md\n", "README.md", true);
        check_ignore("*.md\n", "docs/README.md", false);
    }

    #[test]
    fn globs_match_one_segment() {
        assert!(glob("go.sum*", "go.sum"));
        assert!(glob("*.txt", "requirements.txt"));
        assert!(!glob("*.txt", "a/b.txt"));
        assert!(glob("file[0-9]", "file7"));
        assert!(!glob("file[!0-9]", "file7"));
        assert!(!glob("settings.gradle?", "settings.gradle"));
        assert!(glob("settings.gradle*", "settings.gradle"));
    }

    fn check_copy(dockerfile: &str, files: &[&str], ignore: &str, expect: &[&str]) {
        let paths: Vec<String> = files.iter().map(|s| s.to_string()).collect();
        assert_eq!(
            check_copies(dockerfile, &paths, &Ignore::parse(ignore), &[]),
            expect,
            "{dockerfile}"
        );
    }

    #[test]
    fn copy_check_reports_absent_and_ignored_sources() {
        let dockerfile = "FROM node\nCOPY package.json package-lock.json ./\nCOPY . .\nCOPY --from=build /app/dist /srv\n";
        check_copy(dockerfile, &["package.json", "package-lock.json"], "", &[]);
        check_copy(
            dockerfile,
            &["package.json", "pnpm-lock.yaml"],
            "",
            &["line 2: COPY package-lock.json: not in the build context"],
        );
        check_copy(
            "FROM x\nCOPY compose.yaml ./\n",
            &["compose.yaml"],
            "compose.yaml\n",
            &["line 2: COPY compose.yaml: excluded by .dockerignore"],
        );
    }

    #[test]
    fn copy_check_accepts_optional_globs_and_json_form() {
        check_copy("FROM go\nCOPY go.mod go.sum* ./\n", &["go.mod"], "", &[]);
        check_copy(
            "FROM go\nCOPY [\"settings.gradle*\", \"build.gradle*\", \"./\"]\n",
            &[],
            "",
            &[
                "line 2: COPY settings.gradle* build.gradle*: no source matches anything in the build context",
            ],
        );
        check_copy(
            "FROM x\nCOPY --chown=1000:1000 src ./src\n",
            &["src", "src/main.rs"],
            "",
            &[],
        );
    }

    #[test]
    fn copy_check_trusts_files_the_fixture_could_not_have() {
        let problems = check_copies(
            "FROM ruby\nCOPY Gemfile Gemfile.lock ./\n",
            &["Gemfile".to_owned()],
            &Ignore::default(),
            &["Gemfile.lock".to_owned()],
        );
        assert!(problems.is_empty(), "{problems:?}");
    }
}
