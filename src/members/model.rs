//! What members see and write: what is open to them, what the transparency page publishes,
//! and spotting details that could identify someone before it is stored.

/// The name parts a member's page may carry for the name warning (G14): from every label,
/// its lowercase words of at least 3 letters; an email contributes only the words of its
/// local part (the domain says where someone works, and is the same for everyone anyway).
/// Deduplicated and sorted, so the list says nothing of roster order or of which word came
/// from which label, and is the same for every member of the team.
pub fn name_parts(labels: &[String]) -> Vec<String> {
    let mut out = std::collections::BTreeSet::new();
    for label in labels {
        for token in label.split(|c: char| c.is_whitespace() || ",;<>()[]\"'".contains(c)) {
            let text = match token.rsplit_once('@') {
                Some((local, domain)) if domain.contains('.') => local,
                _ => token,
            };
            for word in text.split(|c: char| !c.is_alphabetic()) {
                if word.chars().count() >= 3 {
                    out.insert(word.to_lowercase());
                }
            }
        }
    }
    out.into_iter().collect()
}

/// Finds emails, phone numbers, @handles and roster names in free text. What it cannot
/// spot (a role only one person holds, a writing style) the pages say plainly.
pub fn identifying_details(text: &str, names: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    for word in text.split_whitespace() {
        let w = word.trim_matches(|c: char| {
            matches!(
                c,
                ',' | '.' | ';' | ':' | '!' | '?' | '(' | ')' | '"' | '\''
            )
        });
        if w.len() > 3
            && w.contains('@')
            && !w.starts_with('@')
            && w.rsplit('@').next().is_some_and(|d| d.contains('.'))
        {
            found.push(format!("an email address ({w})"));
        } else if w.len() > 1
            && w.starts_with('@')
            && w[1..]
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '.' || c == '-')
        {
            found.push(format!("a handle ({w})"));
        }
    }
    let digits: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_digit() || c == '+' {
                c
            } else if " -().".contains(c) {
                '\u{1}'
            } else {
                ' '
            }
        })
        .collect();
    for chunk in digits.split(' ') {
        let d: String = chunk.chars().filter(|c| c.is_ascii_digit()).collect();
        if d.len() >= 7 {
            found.push("a phone number".to_owned());
            break;
        }
    }
    let lower = text.to_lowercase();
    for name in names {
        // Names match as whole words: "Al" must not flag "also".
        let n = name.trim().to_lowercase();
        let first = n
            .split(|c: char| c.is_whitespace() || c == '@')
            .next()
            .unwrap_or_default()
            .to_owned();
        for candidate in [n.clone(), first] {
            if candidate.chars().count() < 3 {
                continue;
            }
            let hit = lower.match_indices(&candidate).any(|(i, m)| {
                let before = lower[..i]
                    .chars()
                    .next_back()
                    .is_none_or(|c| !c.is_alphanumeric());
                let after = lower[i + m.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| !c.is_alphanumeric());
                before && after
            });
            if hit {
                found.push(format!("a name from the roster ({})", name.trim()));
                break;
            }
        }
    }
    found.dedup();
    found
}

/// Something open to a member: a pulse round or a review.
pub struct OpenItem {
    pub kind: &'static str,
    pub id: String,
    pub title: String,
    pub fingerprint: String,
    /// This member's invite already got its token here: the landing says they took part
    /// instead of offering a form that would only refuse them (issue 15). Only the member
    /// holding the invite sees it.
    pub taken_part: bool,
}

/// A round's or review's key as the transparency page publishes it to everyone: what it is
/// and its fingerprint, never its title.
pub struct PublishedKey {
    pub id: String,
    pub fingerprint: String,
    pub kind: &'static str,
}

pub struct Transparency {
    pub floor: u16,
    /// Every closed round and review, newest first, with where its bulletin is (G16).
    pub closed: Vec<ClosedEntry>,
    pub open_rounds: usize,
    pub open_reviews: usize,
    pub keys: Vec<PublishedKey>,
}

/// Which kind of scope a bulletin is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeKind {
    Round,
    Review,
}

impl ScopeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Round => "round",
            Self::Review => "review",
        }
    }
}

/// `GET /api/v1/{rounds,reviews}/{id}/bulletin` (API.md).
#[derive(serde::Serialize, Debug, Clone, utoipa::ToSchema)]
pub struct Bulletin {
    pub id: String,
    pub key_fingerprint: String,
    pub invited: i64,
    /// Tokens issued before close (the no-JavaScript route counts one too).
    pub issued: i64,
    /// Tokens counted: the entries below.
    pub counted: i64,
    /// Answers or accounts stored at close: `counted` plus any sent by the no-JavaScript
    /// route, which spends no token and so has no entry.
    pub answered: i64,
    /// Lowercase hex SHA-256 of each counted token message, sorted.
    pub tokens: Vec<String>,
}

/// A closed round or review as the transparency page lists it: no title (an incident's title
/// names it to anyone who looks), only counts and where its bulletin is.
#[derive(Debug, Clone)]
pub struct ClosedEntry {
    pub kind: ScopeKind,
    pub id: String,
    pub closed_on: Option<time::Date>,
    pub issued: i64,
    pub counted: i64,
    pub answered: i64,
}

impl ClosedEntry {
    /// Tokens issued that no answer used: issued minus answered (a no-JavaScript answer took
    /// an issuance but spent no token, so it is not "unused").
    pub fn unused(&self) -> i64 {
        (self.issued - self.answered).max(0)
    }

    pub fn url(&self) -> String {
        format!("/api/v1/{}s/{}/bulletin", self.kind.as_str(), self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_parts_carry_words_only_no_emails_domains_or_order() {
        let labels = vec![
            "Zoe Quinn <zoe.quinn@corp.example>".to_owned(),
            "ana_lopez@mail.example.org".to_owned(),
            "Al Bo".to_owned(),
            "Ana Lopez".to_owned(),
            "élodie-marie d'arc".to_owned(),
        ];
        let parts = name_parts(&labels);
        assert_eq!(
            parts,
            ["ana", "arc", "lopez", "marie", "quinn", "zoe", "élodie"]
        );
        let mut reversed = labels.clone();
        reversed.reverse();
        assert_eq!(name_parts(&reversed), parts, "roster order leaves no trace");
        for p in &parts {
            assert!(!p.contains('@') && !p.contains("corp") && !p.contains("mail"));
        }
        // The warning still fires on a name part, and on a name written in capitals.
        let found = identifying_details("I think ZOE saw it first.", &parts);
        assert!(found.iter().any(|f| f.contains("zoe")), "{found:?}");
        let found = identifying_details("Lopez fixed it", &parts);
        assert!(found.iter().any(|f| f.contains("lopez")), "{found:?}");
        assert!(identifying_details("Also the zoetrope broke.", &parts).is_empty());
    }

    #[test]
    fn spots_emails_phones_handles_and_roster_names() {
        let names = vec!["Alice Smith".to_owned(), "Al".to_owned()];
        let f = identifying_details(
            "Ask alice or mail bob@example.com, call +44 20 7946 0958, ping @bob. Also fine.",
            &names,
        );
        assert!(f.iter().any(|x| x.contains("email")));
        assert!(f.iter().any(|x| x.contains("phone")));
        assert!(f.iter().any(|x| x.contains("handle")));
        assert!(f.iter().any(|x| x.contains("Alice Smith")));
        assert!(
            !f.iter().any(|x| x.contains("(Al)")),
            "short names are not matched inside words"
        );
        assert!(
            identifying_details("The deploy failed at 10:42 after 3 retries.", &names).is_empty()
        );
    }
}
