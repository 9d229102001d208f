//! The e2e stage's report: one row per case and service, one column per check, the reason for
//! every cell that is not a plain pass, and the verdict against the list of known failures.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

/// The checks, in column order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Column {
    /// `scaffold new` rendered the repository.
    Render,
    /// What scaffold detected (the contract in `scaffold.toml`) matches the fixture's truth.
    Detect,
    /// Every COPY source of the Dockerfile is in the build context.
    Static,
    /// The image builds as CI builds it.
    Build,
    /// The container starts and stays up.
    Run,
    /// The contract's liveness path answers.
    Health,
    /// The image's own HEALTHCHECK passes.
    Healthcheck,
    /// The compose stack comes up and the app answers through it.
    Compose,
    /// The generated CI lint and test commands pass.
    Ci,
}

impl Column {
    /// Every column, in order.
    pub const ALL: [Column; 9] = [
        Column::Render,
        Column::Detect,
        Column::Static,
        Column::Build,
        Column::Run,
        Column::Health,
        Column::Healthcheck,
        Column::Compose,
        Column::Ci,
    ];

    /// The header, also the key in the known-failures file.
    pub fn name(self) -> &'static str {
        match self {
            Column::Render => "render",
            Column::Detect => "detect",
            Column::Static => "static",
            Column::Build => "build",
            Column::Run => "run",
            Column::Health => "health",
            Column::Healthcheck => "hc",
            Column::Compose => "compose",
            Column::Ci => "ci",
        }
    }

    /// The column named `name`.
    pub fn from_name(name: &str) -> Option<Column> {
        Column::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Cell {
    /// Not reached, because an earlier check of the row failed.
    #[default]
    NotRun,
    /// Passed.
    Ok,
    /// Failed: why.
    Fail(String),
    /// Could not be checked on this machine: why. Never a pass.
    Skip(String),
    /// Does not apply (a worker has no health path; an image without HEALTHCHECK).
    NotApplicable(String),
}

impl Cell {
    fn symbol(&self) -> &'static str {
        match self {
            Cell::NotRun => ".",
            Cell::Ok => "ok",
            Cell::Fail(_) => "FAIL",
            Cell::Skip(_) => "skip",
            Cell::NotApplicable(_) => "-",
        }
    }

    fn reason(&self) -> Option<&str> {
        match self {
            Cell::Fail(why) | Cell::Skip(why) | Cell::NotApplicable(why) if !why.is_empty() => {
                Some(why)
            }
            _ => None,
        }
    }
}

/// One row: a case's service (or the case itself when nothing rendered).
#[derive(Debug, Clone, Default)]
pub struct Row {
    /// The fixture or starter name.
    pub case: String,
    /// The service name, `-` when the case failed before it had services.
    pub service: String,
    /// The cells, by column.
    pub cells: BTreeMap<Column, Cell>,
    /// Wall time of the case's checks, on its first row (zero on the others).
    pub time: Duration,
}

impl Row {
    /// A row with every cell not run.
    pub fn new(case: &str, service: &str) -> Row {
        Row {
            case: case.to_owned(),
            service: service.to_owned(),
            cells: BTreeMap::new(),
            time: Duration::ZERO,
        }
    }

    /// Sets a cell.
    pub fn set(&mut self, column: Column, cell: Cell) {
        self.cells.insert(column, cell);
    }

    /// A cell (not run when never set).
    pub fn get(&self, column: Column) -> &Cell {
        static NOT_RUN: Cell = Cell::NotRun;
        self.cells.get(&column).unwrap_or(&NOT_RUN)
    }
}

/// Known failures: case → column → the reason it is known to fail (and the issue fixing it).
pub type Expected = BTreeMap<String, BTreeMap<String, String>>;

/// How the rows compare with the known failures.
#[derive(Debug, Default, PartialEq)]
pub struct Verdict {
    /// Failures not in the known list: each fails the stage.
    pub unexpected: Vec<String>,
    /// Known failures that passed this time: each fails the stage until removed from the list.
    pub fixed: Vec<String>,
    /// Known failures that failed as expected.
    pub known: usize,
    /// Cells that passed.
    pub passed: usize,
    /// Cells skipped or not applicable.
    pub skipped: usize,
    /// Known failures this run could not observe although it ran their check (every row of the
    /// case skipped it, or it does not apply): the entry describes nothing this machine can see,
    /// so it is reported, without failing the stage (another machine may observe it).
    pub unverified: Vec<String>,
}

impl Verdict {
    /// Whether the stage passes.
    pub fn ok(&self) -> bool {
        self.unexpected.is_empty() && self.fixed.is_empty()
    }
}

/// Which kinds of check this run performed at all (`--no-images`, no engine, `--no-ci` turn them
/// off), so that a skip can be told apart from a check the run never attempted.
#[derive(Debug, Clone, Copy)]
pub struct Checked {
    /// Images were built, run and probed (an engine worked and `--no-images` was not given).
    pub images: bool,
    /// The generated CI commands were run.
    pub ci: bool,
}

impl Checked {
    /// Whether this run attempted `column`'s check.
    fn attempted(self, column: Column) -> bool {
        match column {
            Column::Render | Column::Detect | Column::Static => true,
            Column::Build
            | Column::Run
            | Column::Health
            | Column::Healthcheck
            | Column::Compose => self.images,
            Column::Ci => self.ci,
        }
    }
}

/// Compares `rows` with `expected`. A known failure counts as fixed only when every row of its
/// case passed that column; skipped or unreached cells prove nothing either way (a known
/// failure that the run attempted but could only skip is listed as unverified).
pub fn verdict(rows: &[Row], expected: &Expected, checked: Checked) -> Verdict {
    let mut verdict = Verdict::default();
    for row in rows {
        for column in Column::ALL {
            let known = expected.get(&row.case).and_then(|c| c.get(column.name()));
            match row.get(column) {
                Cell::Ok => verdict.passed += 1,
                Cell::Fail(why) => match known {
                    Some(_) => verdict.known += 1,
                    None => verdict.unexpected.push(format!(
                        "{} {} {}: {why}",
                        row.case,
                        row.service,
                        column.name()
                    )),
                },
                Cell::Skip(_) | Cell::NotApplicable(_) => verdict.skipped += 1,
                Cell::NotRun => {}
            }
        }
    }
    for (case, columns) in expected {
        let case_rows: Vec<&Row> = rows.iter().filter(|r| &r.case == case).collect();
        if case_rows.is_empty() {
            continue; // not selected in this run
        }
        for (column, reason) in columns {
            let Some(column) = Column::from_name(column) else {
                verdict.unexpected.push(format!(
                    "known-failures entry {case}.{column} names no column"
                ));
                continue;
            };
            if case_rows.iter().all(|r| r.get(column) == &Cell::Ok) {
                verdict.fixed.push(format!(
                    "{case} {}: passes now; remove it from the known failures ({reason})",
                    column.name()
                ));
            } else if checked.attempted(column)
                && case_rows
                    .iter()
                    .all(|r| matches!(r.get(column), Cell::Skip(_) | Cell::NotApplicable(_)))
            {
                let why = case_rows
                    .iter()
                    .find_map(|r| r.get(column).reason())
                    .unwrap_or("skipped");
                verdict.unverified.push(format!(
                    "{case} {}: listed as a known failure ({reason}), but this run could not check it: {why}",
                    column.name()
                ));
            }
        }
    }
    verdict
}

/// The table, then one note per cell that needs a reason.
pub fn format(rows: &[Row]) -> String {
    let case_width = rows.iter().map(|r| r.case.len()).max().unwrap_or(4).max(4);
    let service_width = rows
        .iter()
        .map(|r| r.service.len())
        .max()
        .unwrap_or(7)
        .max(7);
    let mut out = String::new();
    let _ = write!(out, "{:case_width$}  {:service_width$}", "case", "service");
    for column in Column::ALL {
        let _ = write!(out, "  {:>7}", column.name());
    }
    out.push_str("     time\n");
    for row in rows {
        let _ = write!(
            out,
            "{:case_width$}  {:service_width$}",
            row.case, row.service
        );
        for column in Column::ALL {
            let _ = write!(out, "  {:>7}", row.get(column).symbol());
        }
        if row.time.is_zero() {
            out.push('\n');
        } else {
            let _ = writeln!(out, "  {:>6}s", row.time.as_secs());
        }
    }
    out.push_str("\nok passed · FAIL failed · skip could not be checked here (never a pass) · - does not apply · . not reached\n");
    let mut notes = String::new();
    for row in rows {
        for column in Column::ALL {
            let cell = row.get(column);
            if let Some(why) = cell.reason() {
                let _ = writeln!(
                    notes,
                    "  {} {} {} {}: {why}",
                    row.case,
                    row.service,
                    column.name(),
                    cell.symbol()
                );
            }
        }
    }
    if !notes.is_empty() {
        out.push_str("\nwhy:\n");
        out.push_str(&notes);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(case: &str, cells: &[(Column, Cell)]) -> Row {
        let mut row = Row::new(case, "svc");
        for (column, cell) in cells {
            row.set(*column, cell.clone());
        }
        row
    }

    fn expected(entries: &[(&str, &str)]) -> Expected {
        let mut out = Expected::new();
        for (case, column) in entries {
            out.entry(case.to_string())
                .or_default()
                .insert(column.to_string(), "issue #15".into());
        }
        out
    }

    #[test]
    fn table_has_a_column_per_check_and_notes_for_reasons() {
        let rows = [
            row(
                "node-express",
                &[
                    (Column::Render, Cell::Ok),
                    (
                        Column::Build,
                        Cell::Fail("line 3: COPY package-lock.json".into()),
                    ),
                ],
            ),
            row(
                "go-service",
                &[(Column::Build, Cell::Skip("no Go image".into()))],
            ),
        ];
        let text = format(&rows);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "case          service   render   detect   static    build      run   health       hc  compose       ci     time"
        );
        assert_eq!(
            lines[1],
            "node-express  svc           ok        .        .     FAIL        .        .        .        .        ."
        );
        assert!(lines[2].starts_with("go-service    svc            .        .        .     skip"));
        assert!(text.contains("  node-express svc build FAIL: line 3: COPY package-lock.json\n"));
        assert!(text.contains("  go-service svc build skip: no Go image\n"));
    }

    const ALL: Checked = Checked {
        images: true,
        ci: true,
    };

    #[test]
    fn unknown_failures_fail_the_stage() {
        let rows = [row(
            "a",
            &[
                (Column::Build, Cell::Fail("boom".into())),
                (Column::Render, Cell::Ok),
            ],
        )];
        let v = verdict(&rows, &Expected::new(), ALL);
        assert_eq!(v.unexpected, ["a svc build: boom"]);
        assert_eq!(v.passed, 1);
        assert!(!v.ok());
    }

    #[test]
    fn known_failures_pass_and_fixed_ones_must_be_removed() {
        let rows = [row(
            "a",
            &[
                (Column::Build, Cell::Fail("boom".into())),
                (Column::Ci, Cell::Ok),
            ],
        )];
        let v = verdict(&rows, &expected(&[("a", "build")]), ALL);
        assert!(v.ok(), "{v:?}");
        assert_eq!(v.known, 1);

        let v = verdict(&rows, &expected(&[("a", "ci")]), ALL);
        assert_eq!(v.fixed.len(), 1);
        assert!(v.fixed[0].starts_with("a ci: passes now"), "{v:?}");
        assert_eq!(v.unexpected, ["a svc build: boom"]);
    }

    #[test]
    fn skipped_cells_prove_nothing() {
        let rows = [row("a", &[(Column::Build, Cell::Skip("no engine".into()))])];
        let nothing = Checked {
            images: false,
            ci: false,
        };
        let v = verdict(&rows, &expected(&[("a", "build"), ("b", "ci")]), nothing);
        assert!(v.ok(), "{v:?}");
        assert_eq!(v.skipped, 1);
        assert!(v.unverified.is_empty(), "{v:?}");
    }

    #[test]
    fn a_known_failure_the_run_could_only_skip_is_unverified() {
        let rows = [row(
            "a",
            &[
                (Column::Build, Cell::Skip("no .NET image".into())),
                (Column::Ci, Cell::Skip("--no-ci".into())),
            ],
        )];
        let images_only = Checked {
            images: true,
            ci: false,
        };
        let v = verdict(
            &rows,
            &expected(&[("a", "build"), ("a", "ci")]),
            images_only,
        );
        assert!(v.ok(), "{v:?}");
        assert_eq!(v.unverified.len(), 1, "{v:?}");
        assert!(v.unverified[0].starts_with("a build:"), "{v:?}");
        assert!(
            v.unverified[0].ends_with("could not check it: no .NET image"),
            "{v:?}"
        );
    }

    #[test]
    fn a_known_failure_needs_every_row_of_its_case_to_pass() {
        let rows = [
            row("a", &[(Column::Health, Cell::Ok)]),
            row("a", &[(Column::Health, Cell::Fail("404".into()))]),
        ];
        let v = verdict(&rows, &expected(&[("a", "health")]), ALL);
        assert!(v.ok(), "{v:?}");
    }

    #[test]
    fn misspelt_columns_are_reported() {
        let rows = [row("a", &[])];
        let v = verdict(&rows, &expected(&[("a", "helth")]), ALL);
        assert_eq!(
            v.unexpected,
            ["known-failures entry a.helth names no column"]
        );
    }
}
