//! Port hints read from source and configuration text, without running anything.
//!
//! The patterns are the common ways a service names its port: a `PORT`
//! variable with a default (`process.env.PORT || 3000`,
//! `os.getenv("PORT", "8000")`, `PORT=4000` in an env file), a Go listen
//! address (`":8080"`), a `listen(3000)` call, or Spring's `server.port`.
//! The first match wins; a miss simply leaves the default.

/// The first port `text` names, if any.
pub fn hint(text: &str) -> Option<u16> {
    for line in text.lines() {
        let trimmed = line.trim();
        if let Some(port) = after(trimmed, "server.port")
            .or_else(|| after_key(trimmed, "PORT"))
            .or_else(|| after(trimmed, ".listen("))
            .or_else(|| go_address(trimmed))
            .or_else(|| yaml_port(trimmed))
        {
            return Some(port);
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

/// Like [`after`], but `PORT` must be a whole word (not `EXPORT` or `PORTAL`) other than in `export PORT=`.
fn after_key(line: &str, key: &str) -> Option<u16> {
    let mut search = 0;
    while let Some(found) = line[search..].find(key) {
        let start = search + found;
        let end = start + key.len();
        let before_ok = !line[..start]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric());
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

/// `port: 8081` in YAML.
fn yaml_port(line: &str) -> Option<u16> {
    line.strip_prefix("port:")
        .and_then(|rest| rest.trim().parse().ok())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expect: Option<u16>) {
        assert_eq!(hint(text), expect, "{text}");
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
        check("server:\n  port: 8082", Some(8082));
    }

    #[test]
    fn ignores_lookalikes() {
        check("EXPORT_DIR=/tmp/1234", None);
        check("const x = 1;", None);
        check("PORTAL=3", None);
    }
}
