//! The member's side of verifiable participation: the consent to keep a token in the
//! browser, and "change my answer" for a member who has taken part (G16, G17).

use maud::{html, Markup};

/// What a member is told when their invite has been used for this round. With a token kept
/// in this browser, the script reveals the form below it to change the answer.
pub fn already_intro(title: &str) -> Markup {
    html! {
        h1 { "You have already taken part" }
        p { "Each person answers " (title) " once. Candor keeps no record of what you answered, so it cannot show it again." }
        div #unfinished-offer hidden {
            p { "This browser started your answer earlier, but it was never sent (the connection was lost or the page was closed). "
                "Finish it now: it still counts once." }
            button #finish-answer type="button" { "Finish my answer" }
        }
        div #change-offer hidden {
            p { "This browser kept your token, so you can change your answer while the round is open. "
                strong { "Only the last answer counts" } ", and no one, you included, can show which answer was yours." }
            button #change-answer type="button" { "Change my answer" }
        }
        h2 { "You have not taken part?" }
        p { "Then someone else used your link: whoever holds it can answer in your place (they can never read what you answer). "
            "Ask the person who runs Candor for a new link sent only to you; a new link stops this one from working, for this round and every later one." }
    }
}

/// The consent to keep the token in this browser. Hidden unless the browser can blind (the
/// script shows it): the no-JavaScript route has no token to keep.
pub fn keep_field(already: bool) -> Markup {
    html! {
        div.field #keep-field hidden {
            label {
                input #keep-token type="checkbox" name="keep_token" value="1" checked[already];
                " Keep my token in this browser"
            }
            p.hint { "So that you can change your answer while the round is open (only the last answer counts) and, on your next visit after it closes, "
                "see that your answer was counted. Nothing of what you answer is kept, and the token is deleted after that check. "
                "Anyone who uses this browser could change your answer while the round is open." }
        }
    }
}
