//! What may be shown: the one place that decides, for pages, the API and every export
//! (THREAT-MODEL G6, G7). Everything here reads stored aggregates, never raw answers.

use serde::Serialize;

use crate::pulse::model::{Aggregate, Kind, QuestionId};
use crate::teams::model::Threshold;

/// A figure over fewer answers than the threshold is never shown.
pub fn may_show(n: i64, threshold: i64) -> bool {
    n >= threshold && n > 0
}

#[derive(Clone, Debug, Serialize, PartialEq, utoipa::ToSchema)]
pub struct ShownItem {
    #[schema(value_type = String)]
    pub question_id: QuestionId,
    pub text: String,
    pub kind: Kind,
    pub reverse: bool,
    pub n: i64,
    /// Mean as answered (scale, eNPS); `None` when suppressed or not numeric.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    /// After reverse scoring, so higher is always better.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scored_mean: Option<f64>,
    /// Counts from `min` upward (scale, eNPS) or per option (choice).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distribution: Option<Vec<i64>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    pub min: i32,
    pub max: i32,
    /// Free-text answers, shuffled, only when at least the threshold wrote one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub texts: Option<Vec<String>>,
    pub suppressed: bool,
    /// Favourable, neutral and unfavourable shares of a shown scale item, higher is safer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shares: Option<Shares>,
}

#[derive(Clone, Debug, Serialize, PartialEq, utoipa::ToSchema)]
pub struct ShownEnps {
    pub n: i64,
    pub score: f64,
    pub promoters: i64,
    pub passives: i64,
    pub detractors: i64,
}

/// The results of one round as the viewer may see them.
#[derive(Clone, Debug, Serialize, PartialEq, utoipa::ToSchema)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum RoundResults {
    /// Not closed: only participation.
    Open {
        invited: i64,
        answered: i64,
    },
    /// Closed with fewer answers than the threshold.
    Suppressed {
        invited: i64,
        answered: i64,
        needed: i64,
    },
    Shown(Box<Shown>),
}

#[derive(Clone, Debug, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Shown {
    pub invited: i64,
    pub answered: i64,
    pub threshold: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spread: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agreement: Option<f64>,
    pub items: Vec<ShownItem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enps: Option<ShownEnps>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comments: Option<Vec<String>>,
    /// How many comments were written, always shown; their text needs the threshold.
    pub comment_count: i64,
    /// The comments again, each with its id and conversation (leaders' replies, the writer's
    /// answers): present exactly when `comments` is, in an order of random ids. Filled by the
    /// pulse action that reads a round's results; `None` from here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment_threads: Option<Vec<crate::threads::model::Thread>>,
}

/// Applies the threshold to a round: nothing before close, nothing under k, and inside a
/// shown round nothing over fewer than k answers (an optional item, the comments).
pub fn round_results(
    closed: bool,
    invited: i64,
    answered_now: i64,
    threshold: Threshold,
    agg: Option<&Aggregate>,
) -> RoundResults {
    let threshold = threshold.count();
    let (true, Some(agg)) = (closed, agg) else {
        return RoundResults::Open {
            invited,
            answered: answered_now,
        };
    };
    if !may_show(agg.answered, threshold) {
        return RoundResults::Suppressed {
            invited: agg.invited,
            answered: agg.answered,
            needed: threshold - agg.answered,
        };
    }
    let show_score = may_show(agg.person_means.n, threshold);
    let items = agg
        .items
        .iter()
        .map(|i| {
            let q = &i.question;
            let ok = may_show(i.raw.n, threshold);
            let numeric = matches!(q.kind, Kind::Scale | Kind::Enps);
            let distribution = (ok && q.kind != Kind::Text).then(|| i.counts.clone());
            ShownItem {
                shares: shares::shares(q.kind, q.reverse, q.min, q.max, distribution.as_deref()),
                question_id: q.id.clone(),
                text: q.text.clone(),
                kind: q.kind,
                reverse: q.reverse,
                n: i.raw.n,
                mean: (ok && numeric).then(|| i.raw.mean()).flatten(),
                scored_mean: (ok && numeric).then(|| i.scored.mean()).flatten(),
                distribution,
                options: q.options.clone(),
                min: q.min,
                max: q.max,
                texts: (ok && q.kind == Kind::Text).then(|| i.texts.clone()),
                suppressed: !ok,
            }
        })
        .collect();
    let enps = agg
        .enps
        .as_ref()
        .filter(|e| may_show(e.n, threshold))
        .and_then(|e| {
            e.score().map(|score| ShownEnps {
                n: e.n,
                score,
                promoters: e.promoters,
                passives: e.passives,
                detractors: e.detractors,
            })
        });
    let comment_count = agg.comment_count.max(agg.comments.len() as i64);
    RoundResults::Shown(Box::new(Shown {
        invited: agg.invited,
        answered: agg.answered,
        threshold,
        score: show_score.then(|| agg.person_means.mean()).flatten(),
        spread: show_score.then(|| agg.person_means.sd()).flatten(),
        agreement: show_score.then_some(agg.agreement).flatten(),
        items,
        enps,
        comments: may_show(comment_count, threshold).then(|| agg.comments.clone()),
        comment_count,
        comment_threads: None,
    }))
}

impl RoundResults {
    pub fn score(&self) -> Option<f64> {
        match self {
            Self::Shown(s) => s.score,
            _ => None,
        }
    }
    pub fn status(&self) -> &'static str {
        match self {
            Self::Open { .. } => "open",
            Self::Suppressed { .. } => "suppressed",
            Self::Shown(_) => "shown",
        }
    }
}

mod exact;
mod protect;
pub mod shares;

pub use shares::Shares;

pub use protect::{protect, protect_with, Cell, SEARCH_BUDGET};
