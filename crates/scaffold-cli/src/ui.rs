//! What the terminal shows: colours and how much is said.
//!
//! `--color`, `-q` and `-v` are decided once, in `main`, and every command
//! prints through this module, so the choices hold everywhere (the wizard's
//! prompts included: dialoguer draws with `console`, whose colour switch is
//! set here too). Colours follow the usual conventions: `auto` colours a
//! stream only when it is a terminal and `NO_COLOR` is unset or empty
//! (<https://no-color.org>), and `CLICOLOR_FORCE` forces them on
//! (<https://bixense.com/clicolors/>); `always` and `never` override both.
//!
//! Quiet keeps warnings, errors and what a command exists to print (a diff,
//! a JSON plan, a completion script); it drops progress and advice.

use std::io::IsTerminal as _;
use std::sync::OnceLock;

use dialoguer::console::{self, Style};

use crate::cli::Color;

/// How much to say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Warnings, errors and requested output only (`-q`).
    Quiet,
    /// The default.
    Normal,
    /// Also what was detected and why files are left alone (`-v`).
    Verbose,
}

#[derive(Debug, Clone, Copy)]
struct Settings {
    level: Level,
    stdout_color: bool,
    stderr_color: bool,
}

static SETTINGS: OnceLock<Settings> = OnceLock::new();

fn settings() -> Settings {
    *SETTINGS.get_or_init(|| Settings {
        level: Level::Normal,
        stdout_color: false,
        stderr_color: false,
    })
}

/// Whether colours are on for a stream, given `--color`, the environment and whether it is a terminal.
pub fn wants_color(choice: Color, terminal: bool, env: impl Fn(&str) -> Option<String>) -> bool {
    match choice {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            if env("NO_COLOR").is_some_and(|v| !v.is_empty()) {
                return false;
            }
            if env("CLICOLOR_FORCE").is_some_and(|v| !v.is_empty() && v != "0") {
                return true;
            }
            terminal && env("TERM").as_deref() != Some("dumb")
        }
    }
}

/// Decides colours and verbosity for the rest of the process.
pub fn init(color: Color, quiet: bool, verbose: u8) {
    let env = |name: &str| std::env::var(name).ok();
    let stdout_color = wants_color(color, std::io::stdout().is_terminal(), env);
    let stderr_color = wants_color(color, std::io::stderr().is_terminal(), env);
    console::set_colors_enabled(stdout_color);
    console::set_colors_enabled_stderr(stderr_color);
    let level = if quiet {
        Level::Quiet
    } else if verbose > 0 {
        Level::Verbose
    } else {
        Level::Normal
    };
    let _ = SETTINGS.set(Settings {
        level,
        stdout_color,
        stderr_color,
    });
}

/// The `--color` choice given on the command line, read before clap parses
/// it so that clap's own help and errors follow it too.
pub fn color_from_args(args: &[std::ffi::OsString]) -> Color {
    let mut choice = Color::Auto;
    let mut iter = args.iter().map(|a| a.to_string_lossy());
    while let Some(arg) = iter.next() {
        let value = if let Some(value) = arg.strip_prefix("--color=") {
            value.to_owned()
        } else if arg == "--color" {
            iter.next().map(|v| v.into_owned()).unwrap_or_default()
        } else if arg == "--" {
            break;
        } else {
            continue;
        };
        choice = match value.as_str() {
            "always" => Color::Always,
            "never" => Color::Never,
            _ => Color::Auto,
        };
    }
    choice
}

/// Whether `level` is said.
pub fn shows(level: Level) -> bool {
    settings().level >= level
}

/// Whether standard output is coloured.
pub fn stdout_color() -> bool {
    settings().stdout_color
}

/// Whether standard error is coloured.
pub fn stderr_color() -> bool {
    settings().stderr_color
}

/// Prints a line to standard output unless `-q`.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {
        if $crate::ui::shows($crate::ui::Level::Normal) {
            $crate::outln!($($arg)*);
        }
    };
}

/// Prints a line to standard output only with `-v`.
#[macro_export]
macro_rules! detail {
    ($($arg:tt)*) => {
        if $crate::ui::shows($crate::ui::Level::Verbose) {
            $crate::outln!($($arg)*);
        }
    };
}

/// `print!` through [`write_out`].
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::ui::write_out(format_args!($($arg)*))
    };
}

/// `println!` through [`write_out`].
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::ui::write_out(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// Whether standard output was closed by its reader, and the first other failure to write it.
static STDOUT_CLOSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
static STDOUT_FAILURE: OnceLock<String> = OnceLock::new();

/// Writes to standard output, where `print!` would panic when it cannot.
///
/// A reader that goes away (`scaffold new | head`) ends the output, not the command: what it
/// was doing is finished and its exit code stands, as a failed write in the middle of a sync
/// must not stop it between two files. Any other failure (a full disk behind a redirection)
/// ends the output too, and `main` reports it once the command is done
/// ([`stdout_failure`]).
pub fn write_out(args: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    use std::sync::atomic::Ordering;
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut stdout = std::io::stdout().lock();
    if let Err(err) = stdout.write_fmt(args) {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
        if err.kind() != std::io::ErrorKind::BrokenPipe {
            let _ = STDOUT_FAILURE.set(err.to_string());
        }
    }
}

/// Flushes standard output and returns why writing it failed, unless its reader closed it.
pub fn stdout_failure() -> Option<&'static str> {
    use std::io::Write as _;
    if !STDOUT_CLOSED.load(std::sync::atomic::Ordering::Relaxed)
        && let Err(err) = std::io::stdout().flush()
        && err.kind() != std::io::ErrorKind::BrokenPipe
    {
        let _ = STDOUT_FAILURE.set(err.to_string());
    }
    STDOUT_FAILURE.get().map(String::as_str)
}

/// `text` in `style` on standard output, when it is coloured.
pub fn paint(text: &str, style: &Style) -> String {
    paint_if(stdout_color(), text, style)
}

/// `text` in `style` on standard error, when it is coloured.
pub fn paint_err(text: &str, style: &Style) -> String {
    paint_if(stderr_color(), text, style)
}

fn paint_if(on: bool, text: &str, style: &Style) -> String {
    if on {
        style.clone().force_styling(true).apply_to(text).to_string()
    } else {
        text.to_owned()
    }
}

/// The style of a plan's action word, such as `create` or `conflict`.
pub fn action_style(label: &str) -> Style {
    match label.trim() {
        "create" => Style::new().green(),
        "update" | "merge" => Style::new().cyan(),
        "conflict" => Style::new().red().bold(),
        "delete" => Style::new().red(),
        "keep" => Style::new().yellow(),
        _ => Style::new().dim(),
    }
}

/// A unified diff with added lines green, removed lines red and hunk headers cyan, on standard output.
pub fn diff(text: &str) -> String {
    if !stdout_color() {
        return text.to_owned();
    }
    text.split_inclusive('\n')
        .map(|line| {
            let (body, end) = line
                .strip_suffix('\n')
                .map_or((line, ""), |body| (body, "\n"));
            let style = if body.starts_with("+++") || body.starts_with("---") {
                Style::new().bold()
            } else if body.starts_with('+') {
                Style::new().green()
            } else if body.starts_with('-') {
                Style::new().red()
            } else if body.starts_with("@@") {
                Style::new().cyan()
            } else {
                return line.to_owned();
            };
            format!("{}{end}", paint_if(true, body, &style))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(choice: Color, terminal: bool, env: &[(&str, &str)], expect: bool) {
        let lookup = |name: &str| {
            env.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        };
        assert_eq!(
            wants_color(choice, terminal, lookup),
            expect,
            "{choice:?} terminal={terminal} {env:?}"
        );
    }

    #[test]
    fn colour_follows_the_flag_the_environment_and_the_terminal() {
        check(Color::Auto, true, &[], true);
        check(Color::Auto, false, &[], false);
        check(Color::Auto, true, &[("NO_COLOR", "1")], false);
        check(Color::Auto, true, &[("NO_COLOR", "")], true);
        check(Color::Auto, true, &[("TERM", "dumb")], false);
        check(Color::Auto, false, &[("CLICOLOR_FORCE", "1")], true);
        check(Color::Auto, false, &[("CLICOLOR_FORCE", "0")], false);
        check(Color::Always, false, &[("NO_COLOR", "1")], true);
        check(Color::Never, true, &[("CLICOLOR_FORCE", "1")], false);
    }

    #[test]
    fn the_colour_flag_is_read_before_parsing() {
        let args = |list: &[&str]| -> Vec<std::ffi::OsString> {
            list.iter().map(std::ffi::OsString::from).collect()
        };
        assert_eq!(
            color_from_args(&args(&["scaffold", "--color=never"])),
            Color::Never
        );
        assert_eq!(
            color_from_args(&args(&["scaffold", "sync", "--color", "always"])),
            Color::Always
        );
        assert_eq!(
            color_from_args(&args(&["scaffold", "--", "--color=never"])),
            Color::Auto
        );
    }
}
