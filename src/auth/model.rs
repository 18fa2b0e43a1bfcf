//! Staff identities, roles and the rules their inputs must meet.

use serde::{Deserialize, Serialize};
use time::PrimitiveDateTime;

use crate::error::FieldError;

crate::typed_id!(
    /// A staff account's id (see `crate::id`): who leads a team, facilitates a review, holds a
    /// session or an API token.
    StaffId
);
crate::typed_id!(
    /// An API token's id: what its owner names it by to revoke it (never the token itself).
    TokenId
);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Leader,
    Facilitator,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Leader => "leader",
            Self::Facilitator => "facilitator",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "admin" => Some(Self::Admin),
            "leader" => Some(Self::Leader),
            "facilitator" => Some(Self::Facilitator),
            _ => None,
        }
    }

    pub const ALL: [Role; 3] = [Role::Admin, Role::Leader, Role::Facilitator];

    /// Leaders and admins run teams and pulse rounds.
    pub fn can_lead(self) -> bool {
        matches!(self, Self::Admin | Self::Leader)
    }
    /// Facilitators and admins run reviews.
    pub fn can_facilitate(self) -> bool {
        matches!(self, Self::Admin | Self::Facilitator)
    }
}

/// A signed-in staff member, as every staff handler sees them.
#[derive(Clone, Debug)]
pub struct StaffUser {
    pub id: StaffId,
    pub email: String,
    pub role: Role,
}

impl StaffUser {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
    pub fn can_lead(&self) -> bool {
        self.role.can_lead()
    }
    pub fn can_facilitate(&self) -> bool {
        self.role.can_facilitate()
    }
}

/// Longest email we accept (RFC 5321 path limit).
pub const MAX_EMAIL: usize = 254;
/// OWASP: at least 12 characters, no composition rules, long passphrases welcome.
pub const MIN_PASSWORD: usize = 12;
pub const MAX_PASSWORD: usize = 256;

/// A staff email, trimmed and lower-cased so one person cannot hold two accounts by case.
pub fn parse_email(raw: &str) -> Result<String, FieldError> {
    let email = raw.trim().to_lowercase();
    let valid = email.len() <= MAX_EMAIL
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if email.is_empty() {
        Err(FieldError::new("email", "Enter an email address."))
    } else if !valid {
        Err(FieldError::new(
            "email",
            "Enter a valid email address, like name@example.com.",
        ))
    } else {
        Ok(email)
    }
}

/// No password Candor accepts is longer than [`MAX_PASSWORD`]: a sign-in refuses a longer one
/// before any work, since a 200 KB guess would otherwise be hashed (argon2 is the expensive
/// part) and counted against the real user's throttle.
pub fn oversized_password(password: &str) -> Option<FieldError> {
    (password.chars().count() > MAX_PASSWORD).then(|| {
        FieldError::new(
            "password",
            format!("Passwords are at most {MAX_PASSWORD} characters."),
        )
    })
}

pub fn check_password(password: &str, confirm: Option<&str>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let len = password.chars().count();
    if len < MIN_PASSWORD {
        errors.push(FieldError::new(
            "password",
            format!("Use at least {MIN_PASSWORD} characters."),
        ));
    } else if len > MAX_PASSWORD {
        errors.push(FieldError::new(
            "password",
            format!("Use at most {MAX_PASSWORD} characters."),
        ));
    }
    if let Some(c) = confirm {
        if c != password {
            errors.push(FieldError::new("confirm", "The two passwords differ."));
        }
    }
    errors
}

/// How long a failed login locks the account: nothing for the first few tries, then doubling
/// from one second and capped at a minute, so guessing is slowed to a crawl yet an attacker
/// cannot lock a real user out for longer than that.
pub fn lockout_seconds(failures: i32) -> u64 {
    const FREE_TRIES: i32 = 5;
    const CAP_SECONDS: u64 = 60;
    if failures < FREE_TRIES {
        0
    } else {
        let exp = (failures - FREE_TRIES).min(16) as u32;
        (1u64 << exp).min(CAP_SECONDS)
    }
}

/// How long a staff session (and the sign-in form cookie) lasts.
pub const SESSION_HOURS: i64 = 12;
/// How long a one-time set-password link works.
pub const PASSWORD_LINK_DAYS: i64 = 7;
/// Longest label an API token may carry.
pub const MAX_LABEL: usize = 100;

/// An API token's label, trimmed: it must say what the token is for, briefly.
pub fn parse_token_label(raw: &str) -> Result<String, FieldError> {
    let label = raw.trim().to_owned();
    if label.is_empty() {
        Err(FieldError::new("label", "Say what the token is for."))
    } else if label.chars().count() > MAX_LABEL {
        Err(FieldError::new(
            "label",
            format!("Use at most {MAX_LABEL} characters."),
        ))
    } else {
        Ok(label)
    }
}

/// One staff account as the admin page and the API show it: never its password hash.
#[derive(Clone, Debug)]
pub struct StaffEntry {
    pub id: StaffId,
    pub email: String,
    pub role: String,
    pub active: bool,
    /// Invited but no password chosen yet.
    pub invited: bool,
}

/// One of a user's API tokens: its label and age, never the token.
#[derive(Clone, Debug)]
pub struct TokenEntry {
    pub id: TokenId,
    pub label: String,
    pub created_at: PrimitiveDateTime,
}

/// One line of the staff audit log.
#[derive(Clone, Debug)]
pub struct AuditEntry {
    pub id: String,
    pub at: PrimitiveDateTime,
    pub actor: Option<String>,
    pub action: String,
    pub detail: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockout_grows_then_caps() {
        assert_eq!(lockout_seconds(4), 0);
        assert_eq!(lockout_seconds(5), 1);
        assert_eq!(lockout_seconds(7), 4);
        assert_eq!(lockout_seconds(100), 60);
    }

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            parse_email(" A@Example.COM ").expect("valid"),
            "a@example.com"
        );
        assert!(parse_email("nobody").is_err());
        assert!(parse_email("a@b").is_err());
    }
}
