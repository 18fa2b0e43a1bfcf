//! Anonymous conversations on pulse comments: the typed ids, who a reply is from, the limits
//! that protect people, and the shapes results show. Pure: no database, no request.

use serde::Serialize;
use time::Date;

use crate::error::FieldError;

crate::typed_id!(
    /// A comment's thread, as leaders and the results name it: random, and given afresh when
    /// the round closes, so it says nothing of when the comment was written.
    CommentId
);

/// The purpose a comment receipt is hashed under (`crate::receipt::receipt_hash`): its own,
/// so a review receipt never opens a comment and a comment receipt never an account.
pub const RECEIPT_PURPOSE: &str = "comment-receipt";

/// The purpose the token's answer locator is hashed under while a round is open, to find the
/// thread an answer replacement (G17) replaces.
pub const LOCATOR_PURPOSE: &str = "comment-locator";

/// One reply: a leader's, or the comment writer's answer. About a long paragraph, like the
/// comment itself (`pulse::model::MAX_TEXT_ANSWER`).
pub const MAX_REPLY_CHARS: usize = 2_000;

/// Replies one thread takes: a conversation, not a chat log, and a bound on what one receipt
/// holder can write.
pub const MAX_REPLIES: usize = 40;

/// Days after a round closes before its conversations (threads, receipts' hashes, replies)
/// are deleted, as review accounts are (`reviews::model::DEFAULT_RETENTION_DAYS`): long
/// enough to talk a round's results through, short enough that old words do not outlive
/// their purpose. The comments in the round's results stay, as they always did.
pub const THREAD_RETENTION_DAYS: i64 = 180;

/// The last day a round closed on `closed_on` keeps its conversations.
pub fn purge_day(closed_on: Date) -> Date {
    closed_on.saturating_add(time::Duration::days(THREAD_RETENTION_DAYS))
}

/// Who wrote a reply. Stored as its lowercase name; the API shows the same word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Author {
    /// A leader or admin of the round's team. Which one is in the audit log, not here.
    Staff,
    /// The comment's writer, through their receipt.
    Writer,
}

impl Author {
    /// Reads a stored author (the table's CHECK allows only the two words); anything else
    /// reads as staff, so only a row stored as the writer's is ever shown as theirs.
    pub fn parse(s: &str) -> Self {
        match s {
            "writer" => Self::Writer,
            _ => Self::Staff,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Staff => "staff",
            Self::Writer => "writer",
        }
    }
}

/// A reply as results and the writer's page show it.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = CommentReply)]
pub struct Reply {
    pub from: Author,
    pub text: String,
    /// `YYYY-MM-DD`, the day of a leader's reply. A writer's reply carries no day at all: the
    /// day someone wrote could point at them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on: Option<String>,
}

/// A comment with its conversation.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = CommentThread)]
pub struct Thread {
    #[schema(value_type = String)]
    pub id: CommentId,
    pub text: String,
    pub replies: Vec<Reply>,
}

/// A reply's words: trimmed, not empty, within the limit.
pub fn check_reply(raw: &str) -> Result<String, FieldError> {
    let t = raw.trim().replace("\r\n", "\n");
    if t.is_empty() {
        return Err(FieldError::new("text", "Write something first."));
    }
    let n = t.chars().count();
    if n > MAX_REPLY_CHARS {
        return Err(FieldError::new(
            "text",
            format!("This is {n} characters; the limit is {MAX_REPLY_CHARS}."),
        ));
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_is_trimmed_and_bounded() {
        assert_eq!(check_reply("  thanks \r\n").unwrap(), "thanks");
        assert!(check_reply(" \n ").is_err());
        assert!(check_reply(&"x".repeat(MAX_REPLY_CHARS)).is_ok());
        assert!(check_reply(&"x".repeat(MAX_REPLY_CHARS + 1)).is_err());
    }

    #[test]
    fn only_a_stored_writer_reads_as_the_writer() {
        assert_eq!(Author::parse("writer"), Author::Writer);
        assert_eq!(Author::parse("staff"), Author::Staff);
        assert_eq!(Author::parse("anything"), Author::Staff);
    }
}
