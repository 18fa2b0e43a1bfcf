//! The question picker inside the open-round form: the scale (always asked), eNPS and each
//! custom question with a tick box, and a question of the leader's own to add.

use maud::{html, Markup};

use crate::error::FieldError;
use crate::html::Field;
use crate::pulse::actions::picker::is_scale_item;
use crate::pulse::model::QuestionId;
use crate::pulse::store::TeamQuestionRow;

/// `form` is what was sent, so a refused form keeps every choice; on a first visit every
/// question is ticked.
pub fn fieldset(
    questions: &[TeamQuestionRow],
    errors: &[FieldError],
    form: &[(String, String)],
) -> Markup {
    let sent = form.iter().any(|(k, _)| k == "picker");
    let kept = |id: &str| !sent || form.iter().any(|(k, v)| k == "keep" && v == id);
    let value = |k: &str| {
        form.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let scale: Vec<&TeamQuestionRow> = questions.iter().filter(|q| is_scale_item(q)).collect();
    let others: Vec<&TeamQuestionRow> = questions.iter().filter(|q| !is_scale_item(q)).collect();
    html! {
        fieldset.picker {
            legend { "Questions" }
            input type="hidden" name="picker" value="1";
            @if !scale.is_empty() {
                p { input type="checkbox" checked disabled id="pick-scale";
                    label for="pick-scale" { "The " (scale.len()) " psychological-safety items (always asked: the score needs all of them)" } }
            }
            @for q in &others {
                @let id = format!("pick-{}", q.id);
                p { input type="checkbox" name="keep" value=(q.id) id=(id) checked[kept(q.id.as_str())];
                    label for=(id) { (q.text) @if q.builtin.as_deref() == Some("enps") { " (eNPS)" } } }
            }
            (Field::new("new_text", "Add a question of your own (1 to 7, disagree to agree)").value(&value("new_text")).optional()
                .hint("Unticked questions leave the team's questionnaire for this round and the next; the new one joins it.").render(errors))
        }
    }
}

/// Above a validated scale item's wording: changing it loses what the research showed, so
/// the change needs a tick (checked again on the server).
pub fn validated_warning(question_id: &QuestionId) -> Markup {
    let id = format!("confirm-{question_id}");
    html! {
        (crate::html::notice("warn", html! { p { (crate::pulse::model::VALIDATED_WORDING) } }))
        p { input type="checkbox" name="confirm_validated" value="1" id=(id);
            label for=(id) { "I understand: change the wording anyway" } }
    }
}
