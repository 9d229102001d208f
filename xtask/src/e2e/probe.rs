//! Asking a service over HTTP whether it is alive, the way a Kubernetes probe does: a plain
//! `GET` of the contract's path, success on any 2xx or 3xx status.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// What one `GET` got.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// A status line, and the start of the body.
    Status(u16, String),
    /// No HTTP answer: refused, reset or timed out.
    Nothing(String),
}

impl Answer {
    /// Whether a probe would pass (200-399, as Kubernetes counts it).
    pub fn passes(&self) -> bool {
        matches!(self, Answer::Status(code, _) if (200..400).contains(code))
    }

    /// One line for a report.
    pub fn describe(&self) -> String {
        match self {
            Answer::Status(code, body) => {
                let body = body.split_whitespace().collect::<Vec<_>>().join(" ");
                let body: String = body.chars().take(120).collect();
                format!("HTTP {code} {body}").trim_end().to_owned()
            }
            Answer::Nothing(why) => why.clone(),
        }
    }
}

/// One `GET http://127.0.0.1:port{path}` with a short timeout.
pub fn get(port: u16, path: &str) -> Answer {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let timeout = Duration::from_secs(3);
    let mut stream = match TcpStream::connect_timeout(&address, timeout) {
        Ok(stream) => stream,
        Err(err) => return Answer::Nothing(format!("no answer on :{port}: {err}")),
    };
    let _ = stream.set_read_timeout(Some(timeout));
    let _ = stream.set_write_timeout(Some(timeout));
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: scaffold-e2e\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    );
    if let Err(err) = stream.write_all(request.as_bytes()) {
        return Answer::Nothing(format!("no answer on :{port}: {err}"));
    }
    let mut response = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => {
                response.extend_from_slice(&buffer[..n]);
                if response.len() > 16 * 1024 {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    parse_response(&String::from_utf8_lossy(&response))
        .unwrap_or_else(|| Answer::Nothing(format!("no HTTP answer on :{port}")))
}

/// Reads the status code and the body's start from a raw HTTP/1.x response.
pub fn parse_response(text: &str) -> Option<Answer> {
    let status_line = text.lines().next()?;
    let mut parts = status_line.split_whitespace();
    if !parts.next()?.starts_with("HTTP/") {
        return None;
    }
    let code: u16 = parts.next()?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    Some(Answer::Status(code, body.to_owned()))
}

/// Polls `path` until it passes, `alive` says the server is gone, or `timeout` ends; returns
/// the last answer. Once the server answers HTTP with a failing status, it gets 10 more
/// seconds (a route still warming up), not the whole timeout.
pub fn wait_for(port: u16, path: &str, timeout: Duration, alive: impl Fn() -> bool) -> Answer {
    let deadline = Instant::now() + timeout;
    let mut answered_at: Option<Instant> = None;
    loop {
        let answer = get(port, path);
        if matches!(answer, Answer::Status(..)) {
            answered_at.get_or_insert_with(Instant::now);
        }
        let settled = answered_at.is_some_and(|at| at.elapsed() > Duration::from_secs(10));
        if answer.passes() || settled || Instant::now() >= deadline || !alive() {
            return answer;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Waits until something accepts TCP connections on `port` (a gRPC server), as
/// [`wait_for`] does for HTTP; a connection counts as a passing answer.
pub fn wait_for_port(port: u16, timeout: Duration, alive: impl Fn() -> bool) -> Answer {
    let deadline = Instant::now() + timeout;
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    loop {
        match TcpStream::connect_timeout(&address, Duration::from_secs(2)) {
            // A published port of a container whose server is not up yet accepts and closes at
            // once; a real server keeps the connection open until the request.
            Ok(mut stream) => {
                let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
                let mut byte = [0u8; 1];
                if !matches!(stream.read(&mut byte), Ok(0)) {
                    return Answer::Status(200, "accepts connections".into());
                }
            }
            Err(_) if Instant::now() >= deadline || !alive() => {
                return Answer::Nothing(format!("nothing accepts connections on :{port}"));
            }
            Err(_) => {}
        }
        if Instant::now() >= deadline || !alive() {
            return Answer::Nothing(format!("nothing accepts connections on :{port}"));
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// A TCP port on 127.0.0.1 that nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(18080)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_status_and_body() {
        assert_eq!(
            parse_response(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"status\":\"ok\"}"
            ),
            Some(Answer::Status(200, "{\"status\":\"ok\"}".into()))
        );
        assert_eq!(parse_response("SSH-2.0-OpenSSH\r\n"), None);
        assert_eq!(parse_response(""), None);
    }

    #[test]
    fn answers_describe_themselves_on_one_line() {
        let answer = Answer::Status(
            404,
            "<html>\n  <pre>Cannot GET /health</pre>\n</html>\n".into(),
        );
        assert_eq!(
            answer.describe(),
            "HTTP 404 <html> <pre>Cannot GET /health</pre> </html>"
        );
        assert_eq!(Answer::Status(204, String::new()).describe(), "HTTP 204");
    }

    #[test]
    fn probes_pass_like_kubernetes() {
        assert!(Answer::Status(200, String::new()).passes());
        assert!(Answer::Status(302, String::new()).passes());
        assert!(!Answer::Status(404, String::new()).passes());
        assert!(!Answer::Status(503, String::new()).passes());
        assert!(!Answer::Nothing("refused".into()).passes());
    }

    #[test]
    fn gets_from_a_real_socket() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = [0u8; 1024];
            let n = stream.read(&mut request).unwrap();
            let request = String::from_utf8_lossy(&request[..n]).into_owned();
            stream
                .write_all(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\ndown")
                .unwrap();
            request
        });
        let answer = get(port, "/readyz");
        let request = server.join().unwrap();
        assert!(request.starts_with("GET /readyz HTTP/1.1\r\n"), "{request}");
        assert_eq!(answer, Answer::Status(503, "down".into()));
        assert!(!answer.passes());
    }
}
