//! Teams, rosters and thresholds: the rules their inputs must meet.

use crate::error::FieldError;
use crate::secret::{b64, Keys};

crate::typed_id!(
    /// A team's id (see `crate::id`).
    TeamId
);
crate::typed_id!(
    /// A member's id: one person's credential row, on a team's roster or a review's own list.
    MemberId
);

/// A member's invite secret, derived from the instance secret and a per-member nonce. Only
/// its keyed hash is stored; deriving lets leaders download links again, and a new nonce
/// (regenerate) makes the old link worthless.
pub fn invite_secret(keys: &Keys, member_id: &MemberId, nonce: &str) -> String {
    let mac = keys.mac("invite", format!("{member_id}\0{nonce}").as_bytes());
    b64(&mac[..crate::secret::SECRET_BYTES])
}

pub fn invite_lookup_hash(keys: &Keys, secret: &str) -> String {
    keys.keyed_hash("invite-lookup", secret.trim().as_bytes())
}

pub fn invite_url(base: &str, secret: &str) -> String {
    // The secret rides in the fragment, which browsers never send to any server.
    format!("{base}/p#{secret}")
}

/// Below this many answers no figure is shown, so no single reply can be recognised; no
/// setting may go lower (THREAT-MODEL G6). `CANDOR_THRESHOLD_FLOOR` may only raise it.
pub const ABSOLUTE_THRESHOLD_FLOOR: u16 = 3;
/// Below this many answers a team's figures stay hidden unless a leader sets otherwise.
pub const DEFAULT_TEAM_THRESHOLD: u16 = 5;
pub const MAX_TEAM_NAME: usize = 100;
pub const MAX_MEMBER_LABEL: usize = 200;
/// A roster larger than this is almost certainly a paste of the wrong file.
pub const MAX_ROSTER: usize = 5_000;
/// Largest threshold anyone needs; stops a typo from hiding results for ever.
pub const MAX_THRESHOLD: u16 = 1_000;

/// A team name, trimmed, and the case-folded key that makes names unique.
pub fn parse_team_name(raw: &str) -> Result<(String, String), FieldError> {
    let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return Err(FieldError::new("name", "Give the team a name."));
    }
    if name.chars().count() > MAX_TEAM_NAME {
        return Err(FieldError::new(
            "name",
            format!("Use at most {MAX_TEAM_NAME} characters."),
        ));
    }
    let key = name.to_lowercase();
    Ok((name, key))
}

/// An anonymity threshold: no figure is shown for fewer answers than this, no review account
/// released in a batch smaller than this. A team's, frozen onto each of its rounds, and a
/// review's own. It cannot hold a value under the instance floor (itself never under 3) or
/// over `MAX_THRESHOLD`: input comes in through `parse`/`bounded` only, stored values through
/// `stored`, so every round, review, metric and notice compares counts against one checked
/// type instead of a bare integer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Threshold(u16);

impl Threshold {
    /// A team's: default 5, never under the instance floor (itself never under 3).
    pub fn parse(raw: Option<i64>, floor: u16) -> Result<Self, FieldError> {
        Self::bounded(
            raw,
            DEFAULT_TEAM_THRESHOLD,
            floor,
            MAX_THRESHOLD,
            ("The threshold", "so no answer can be singled out"),
        )
    }

    /// `raw` (or `default` when absent, lifted to the floor) between the instance `floor`
    /// and `max`; the errors name the threshold and say why the floor is there, e.g.
    /// `("The release threshold", "so no account can be singled out by when it arrived")`.
    pub fn bounded(
        raw: Option<i64>,
        default: u16,
        floor: u16,
        max: u16,
        (name, why): (&str, &str),
    ) -> Result<Self, FieldError> {
        let floor = floor.max(ABSOLUTE_THRESHOLD_FLOOR);
        let max = max.min(MAX_THRESHOLD);
        let value = raw.unwrap_or(i64::from(default.max(floor)));
        if value < i64::from(floor) {
            return Err(FieldError::new(
                "threshold",
                format!("{name} must be at least {floor}, {why}."),
            ));
        }
        if value > i64::from(max) {
            return Err(FieldError::new(
                "threshold",
                format!("{name} must be at most {max}."),
            ));
        }
        Ok(Self(value as u16))
    }

    /// From a form field: blank means the default, anything else must be a whole number.
    pub fn parse_text(raw: &str, floor: u16) -> Result<Self, FieldError> {
        let raw = raw.trim();
        let number = if raw.is_empty() {
            None
        } else {
            Some(
                raw.parse()
                    .map_err(|_| FieldError::new("threshold", "Enter a whole number."))?,
            )
        };
        Self::parse(number, floor)
    }

    /// A threshold read back from the database. It was checked when written and startup lifts
    /// every stored threshold to the instance floor (`store::lift_thresholds`), so only the
    /// type's range is enforced here.
    pub fn stored(n: i32) -> Self {
        Self(n.clamp(
            i32::from(ABSOLUTE_THRESHOLD_FLOOR),
            i32::from(MAX_THRESHOLD),
        ) as u16)
    }

    pub fn get(self) -> u16 {
        self.0
    }

    /// As a number of answers or accounts, to compare with how many arrived.
    pub fn count(self) -> i64 {
        i64::from(self.0)
    }

    /// As the INTEGER column stores it.
    pub fn column(self) -> i32 {
        i32::from(self.0)
    }
}

/// Rows read a threshold column through this (`#[diesel(deserialize_as = i32)]`).
impl From<i32> for Threshold {
    fn from(n: i32) -> Self {
        Self::stored(n)
    }
}

impl std::fmt::Display for Threshold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// The key that makes two roster entries the same person: case and spacing do not count.
pub fn label_key(label: &str) -> String {
    label
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn check_label(label: &str, field: &str, position: usize) -> Result<String, FieldError> {
    let clean = label.split_whitespace().collect::<Vec<_>>().join(" ");
    if clean.chars().count() > MAX_MEMBER_LABEL {
        return Err(FieldError::new(
            field,
            format!("Entry {position} is longer than {MAX_MEMBER_LABEL} characters."),
        ));
    }
    if clean.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            format!("Entry {position} contains control characters."),
        ));
    }
    Ok(clean)
}

fn check_entries(entries: Vec<(usize, String)>, field: &str) -> Result<Vec<String>, FieldError> {
    if entries.len() > MAX_ROSTER {
        return Err(FieldError::new(
            field,
            format!("A roster holds at most {MAX_ROSTER} people."),
        ));
    }
    let mut seen = std::collections::HashMap::new();
    let mut out = Vec::with_capacity(entries.len());
    for (position, label) in entries {
        let label = check_label(&label, field, position)?;
        if let Some(first) = seen.insert(label_key(&label), position) {
            return Err(FieldError::new(
                field,
                format!("Entry {position} ({label}) repeats entry {first}: each person once."),
            ));
        }
        out.push(label);
    }
    Ok(out)
}

/// A pasted roster: one name or email a line. Blank lines between entries are skipped; an
/// empty roster or a repeated person is refused with the line at fault.
pub fn parse_roster_text(text: &str) -> Result<Vec<String>, FieldError> {
    let entries: Vec<(usize, String)> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| (i + 1, l.to_owned()))
        .collect();
    if entries.is_empty() {
        return Err(FieldError::new(
            "roster",
            "Paste at least one name or email, one a line.",
        ));
    }
    check_entries(entries, "roster")
}

/// A roster sent as a JSON list: a blank entry is an error, since a script sent it.
pub fn parse_roster_list(items: &[String]) -> Result<Vec<String>, FieldError> {
    if let Some(i) = items.iter().position(|s| s.trim().is_empty()) {
        return Err(FieldError::new(
            "roster",
            format!("Entry {} is blank.", i + 1),
        ));
    }
    check_entries(
        items
            .iter()
            .enumerate()
            .map(|(i, s)| (i + 1, s.clone()))
            .collect(),
        "roster",
    )
}

/// The custody of a link staff have seen (G13).
pub const CUSTODY_STAFF: &str = "staff";
/// The custody of a link only the member has.
pub const CUSTODY_MEMBER: &str = "member";

/// Which invite links a team page shows. None by default: opening a team's page must not put
/// every member's credential in front of staff (G13). Showing is an explicit, audited act
/// that marks the links as seen by staff, which each member's page then says.
#[derive(Clone, Debug)]
pub enum Reveal {
    None,
    All,
    One(MemberId),
}

impl Reveal {
    pub fn shows(&self, member_id: &MemberId) -> bool {
        match self {
            Reveal::None => false,
            Reveal::All => true,
            Reveal::One(id) => id == member_id,
        }
    }
}

/// A team to create, checked; shared by the page and the API.
pub struct NewTeam {
    pub name: String,
    pub key: String,
    pub threshold: Threshold,
    pub roster: Vec<String>,
}

/// A team's settings as its pages and the API show them.
#[derive(Clone, Debug)]
pub struct TeamSummary {
    pub id: TeamId,
    pub name: String,
    pub threshold: Threshold,
    /// Whether facilitators may invite this team to reviews (G12).
    pub reviews_allowed: bool,
}

/// A roster entry as the page shows it: the member's invite link only when staff asked to
/// see it (G13), and whether staff have ever seen it.
pub struct MemberView {
    pub id: MemberId,
    pub label: String,
    pub url: Option<String>,
    pub staff_seen: bool,
    /// Candor mailed this link to the member (custody "member"): it is never shown to staff;
    /// a new link is the only way for staff to get one (G13).
    pub mailed: bool,
}

/// A team's page: its settings, roster and leaders.
pub struct TeamView {
    pub team: TeamSummary,
    pub members: Vec<MemberView>,
    pub leaders: Vec<String>,
    /// How many pulse rounds the team has had: none, and the page says what to do next.
    pub rounds: i64,
    /// Whether Candor can mail links (CANDOR_SMTP_URL set); the page says how to turn it on.
    pub mail_on: bool,
    /// The team's own chat webhook as shown: its host only (the path is a secret).
    pub webhook: Option<String>,
}

/// A team with its roster's ids and labels, as the API lists it.
pub struct TeamWithRoster {
    pub team: TeamSummary,
    /// (member id, label)
    pub members: Vec<(MemberId, String)>,
}

/// One member's invite link as staff may have it: `url` only for a link in staff custody;
/// a link Candor mailed to the member is listed without it (G13).
pub struct InviteLink {
    pub member_id: MemberId,
    pub label: String,
    pub url: Option<String>,
    pub custody: &'static str,
}

/// What a settings change asks for; absent fields keep their value (the API's PATCH).
pub struct TeamChanges {
    pub name: Option<String>,
    pub threshold: Option<i64>,
    pub reviews_allowed: Option<bool>,
    /// The team's chat webhook (delivery checks and stores it); `Some("")` clears it.
    pub webhook_url: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_respect_the_floor() {
        assert_eq!(Threshold::parse(None, 3).expect("valid").get(), 5);
        assert_eq!(Threshold::parse(None, 7).expect("valid").get(), 7);
        assert!(Threshold::parse(Some(2), 3).is_err());
        assert!(Threshold::parse(Some(4), 5).is_err());
        assert!(Threshold::parse(Some(1_001), 3).is_err());
        assert_eq!(Threshold::parse_text(" ", 3).expect("valid").get(), 5);
        assert!(Threshold::parse_text("five", 3).is_err());
    }

    #[test]
    fn a_stored_threshold_never_reads_back_under_the_absolute_floor() {
        let floor = ABSOLUTE_THRESHOLD_FLOOR;
        assert_eq!(Threshold::stored(0).get(), floor);
        assert_eq!(Threshold::stored(-5).get(), floor);
        assert_eq!(Threshold::stored(7).get(), 7);
        assert_eq!(Threshold::stored(i32::MAX).get(), MAX_THRESHOLD);
    }

    #[test]
    fn rosters_refuse_duplicates_and_skip_blank_lines() {
        assert_eq!(
            parse_roster_text("Ann\n\n bob \n").expect("valid"),
            vec!["Ann", "bob"]
        );
        assert!(parse_roster_text("Ann\nann").is_err());
        assert!(parse_roster_text("\n \n").is_err());
        assert!(parse_roster_list(&["a".into(), " ".into()]).is_err());
    }
}
