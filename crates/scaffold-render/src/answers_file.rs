//! Writes a commented `scaffold.toml` from answers, so a reader knows what each key does.

use scaffold_core::Answers;
use serde::Serialize;

use crate::{Engine, RenderError};

/// The template that writes `scaffold.toml`.
pub const TEMPLATE_ANSWERS: &str = "answers/scaffold.toml.tera";

/// Context of [`TEMPLATE_ANSWERS`].
#[derive(Serialize)]
struct AnswersContext<'a> {
    /// The answers to write, with every default the wizard chose made explicit.
    a: &'a Answers,
}

/// Renders `answers` as a commented `scaffold.toml`.
pub fn render(answers: &Answers, engine: &Engine) -> Result<String, RenderError> {
    engine.render(TEMPLATE_ANSWERS, &AnswersContext { a: answers })
}

#[cfg(test)]
mod tests {
    use scaffold_core::Project;
    use scaffold_core::defaults::default_answers;
    use scaffold_core::project::Facts;

    use super::*;

    #[test]
    fn written_answers_parse_back_to_the_same_project() {
        let answers = default_answers("shop");
        let text = render(&answers, &Engine::new()).unwrap();
        let reparsed = Project::from_toml(&text, &Facts::default()).unwrap();
        assert_eq!(
            reparsed,
            Project::resolve(&answers, &Facts::default()).unwrap()
        );
        assert!(text.contains("# aws | gcp | azure"), "{text}");
    }
}
