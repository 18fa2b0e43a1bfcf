//! Conversations on the demo's comments: in each team's latest round, leaders reply to a few
//! comments and one writer answers, so the results page shows what a conversation looks like.
//! The demo's writers are scripted, so their receipts are made and thrown away.

use crate::db::DbConnection;
use crate::error::AppError;
use crate::pulse::model::RoundId;
use crate::secret::Keys;
use crate::threads::actions::in_round;
use crate::threads::model::Author;
use crate::threads::store;

const STAFF_REPLIES: [&str; 3] = [
    "Thank you for saying this. We will talk it through at Thursday's retro and come back here with what we change.",
    "Agreed. I have asked for the on-call handover to get its own slot in the planning meeting.",
    "Fair point. Can you say more about what would have helped? No need for details that point at anyone.",
];

const WRITER_ANSWER: &str =
    "Mostly a written checklist for handovers, so nothing depends on who happens to be around.";

/// A thread for a demo comment, in the transaction that stores its response.
pub fn attach(
    c: &mut DbConnection,
    keys: &Keys,
    round_id: &RoundId,
    comment: Option<&str>,
) -> Result<(), AppError> {
    let receipt = comment.map(|_| in_round::new_receipt(keys));
    in_round::attach(
        c,
        keys,
        round_id,
        None,
        comment,
        receipt.as_ref().map(|r| r.hash.as_str()),
    )
}

/// Replies in a closed round: staff on the first few threads, the writer on the last of them.
/// Returns how many replies were written.
pub fn converse(
    c: &mut DbConnection,
    round_id: &RoundId,
    on: time::Date,
) -> Result<usize, AppError> {
    let threads = store::threads_of_round(c, round_id)?;
    let mut n = 0;
    for (t, text) in threads.iter().zip(STAFF_REPLIES) {
        store::insert_reply(c, &t.id, Author::Staff, text, Some(on))?;
        n += 1;
    }
    if let Some(t) = threads.get(STAFF_REPLIES.len().min(threads.len()).saturating_sub(1)) {
        store::insert_reply(c, &t.id, Author::Writer, WRITER_ANSWER, None)?;
        n += 1;
    }
    Ok(n)
}
