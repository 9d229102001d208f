//! The "next steps" `scaffold new` prints: the render crate's list
//! ([`scaffold_render::next_steps`], which the task plan also opens with),
//! numbered, with the commands indented for copying, and a `git init` first
//! when the folder is not a repository yet.

use dialoguer::console::Style;
use scaffold_core::Project;
use scaffold_render::docs::TASKS_PATH;
use scaffold_render::next_steps::{NextStep, next_steps};

use crate::ui;

/// The text to print after `new` wrote `project`'s files.
pub fn text(project: &Project, in_git: bool) -> String {
    let mut steps = Vec::new();
    if !in_git {
        steps.push(NextStep {
            title: "Make the folder a git repository".to_owned(),
            why: "`scaffold sync` keeps what it generated in git, to merge your future edits"
                .to_owned(),
            commands: vec![format!(
                "git init --initial-branch={}",
                project.default_branch
            )],
        });
    }
    steps.extend(next_steps(project));
    let bold = Style::new().bold();
    let dim = Style::new().dim();
    let mut out = format!("\n{}\n", ui::paint("Next steps", &bold));
    for (i, step) in steps.iter().enumerate() {
        out.push_str(&format!(
            "  {}. {}\n     {}\n",
            i + 1,
            ui::paint(&step.title, &bold),
            ui::paint(&format!("Why: {}.", step.why), &dim)
        ));
        for command in &step.commands {
            out.push_str(&format!("       {command}\n"));
        }
    }
    out.push_str(&format!(
        "Then work through {TASKS_PATH}: it repeats these with checks, and lists the rest (cluster add-ons, DNS, alerts).\n"
    ));
    out
}
