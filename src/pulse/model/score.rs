//! Scoring: moments, item aggregates, eNPS, within-team agreement, and a round's aggregate
//! computed once at close. Pure: no database, no request.

use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::{Answer, Kind, Question, QuestionId};

/// Sum, sum of squares and count: enough to combine means and variances across groups.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Moments {
    pub n: i64,
    pub sum: f64,
    pub sumsq: f64,
}

impl Moments {
    pub fn add(&mut self, x: f64) {
        self.n += 1;
        self.sum += x;
        self.sumsq += x * x;
    }
    pub fn merge(&mut self, o: &Moments) {
        self.n += o.n;
        self.sum += o.sum;
        self.sumsq += o.sumsq;
    }
    pub fn mean(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum / self.n as f64)
    }
    /// Sample variance (n - 1).
    pub fn variance(&self) -> Option<f64> {
        (self.n > 1).then(|| {
            ((self.sumsq - self.sum * self.sum / self.n as f64) / (self.n - 1) as f64).max(0.0)
        })
    }
    pub fn sd(&self) -> Option<f64> {
        self.variance().map(f64::sqrt)
    }
}

/// One item's aggregate. `counts[i]` is how many answered `min + i` (scale, eNPS) or chose
/// `options[i]` (choice). Text answers are kept, shuffled, and shown only above the threshold.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ItemAggregate {
    pub question: Question,
    /// Raw values as answered.
    pub raw: Moments,
    /// After reverse scoring.
    pub scored: Moments,
    pub counts: Vec<i64>,
    pub texts: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Enps {
    pub n: i64,
    pub promoters: i64,
    pub passives: i64,
    pub detractors: i64,
}

impl Enps {
    /// Percentage of promoters (9-10) minus percentage of detractors (0-6), -100 to 100.
    pub fn score(&self) -> Option<f64> {
        (self.n > 0).then(|| 100.0 * (self.promoters - self.detractors) as f64 / self.n as f64)
    }
}

/// Everything a closed round's pages, API, exports and metrics may draw on.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Aggregate {
    pub invited: i64,
    pub answered: i64,
    /// Each respondent's mean over the psychological-safety items after reverse scoring.
    pub person_means: Moments,
    /// Within-team agreement rwg(j) over the psychological-safety items.
    pub agreement: Option<f64>,
    pub items: Vec<ItemAggregate>,
    pub enps: Option<Enps>,
    /// Shuffled at close. Stored apart from the figures (see `Texts`), so empty when only
    /// the figures were loaded; `comment_count` is always there.
    pub comments: Vec<String>,
    #[serde(default)]
    pub comment_count: i64,
}

/// The words of a closed round, stored apart from its figures.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Texts {
    pub comments: Vec<String>,
    /// Free-text answers by question id.
    pub items: std::collections::BTreeMap<QuestionId, Vec<String>>,
}

impl Aggregate {
    /// Splits the words from the figures for storage.
    pub fn split_texts(mut self) -> (Aggregate, Texts) {
        let mut texts = Texts {
            comments: std::mem::take(&mut self.comments),
            items: Default::default(),
        };
        for i in &mut self.items {
            if !i.texts.is_empty() {
                texts
                    .items
                    .insert(i.question.id.clone(), std::mem::take(&mut i.texts));
            }
        }
        (self, texts)
    }

    /// Puts the words back, for the one page that shows them.
    pub fn with_texts(mut self, texts: Texts) -> Aggregate {
        if !texts.comments.is_empty() {
            self.comments = texts.comments;
        }
        for i in &mut self.items {
            if let Some(t) = texts.items.get(&i.question.id) {
                i.texts = t.clone();
            }
        }
        self.comment_count = self.comment_count.max(self.comments.len() as i64);
        self
    }
}

/// Variance of a uniform "no agreement" answer on an A-point scale: (A^2 - 1) / 12.
pub fn uniform_variance(points: i32) -> f64 {
    let a = f64::from(points);
    (a * a - 1.0) / 12.0
}

/// James, Demaree & Wolf (1984) rwg(j): agreement among J parallel items against a uniform
/// null. 1 is full agreement, 0 no more than chance; truncated to 0 when observed variance
/// exceeds the null's.
pub fn rwg_j(item_variances: &[f64], points: i32) -> Option<f64> {
    if item_variances.is_empty() {
        return None;
    }
    let j = item_variances.len() as f64;
    let mean_var = item_variances.iter().sum::<f64>() / j;
    let ratio = mean_var / uniform_variance(points);
    if ratio >= 1.0 {
        return Some(0.0);
    }
    Some(j * (1.0 - ratio) / (j * (1.0 - ratio) + ratio))
}

/// Computes a round's aggregate from its responses; texts and comments are shuffled.
pub fn aggregate(
    questions: &[Question],
    invited: i64,
    responses: &[(Vec<Answer>, Option<String>)],
) -> Aggregate {
    let mut items: Vec<ItemAggregate> = questions
        .iter()
        .map(|q| ItemAggregate {
            question: q.clone(),
            raw: Moments::default(),
            scored: Moments::default(),
            counts: match q.kind {
                Kind::Scale | Kind::Enps => vec![0; (q.max - q.min + 1).max(0) as usize],
                Kind::Choice => vec![0; q.options.len()],
                Kind::Text => vec![],
            },
            texts: vec![],
        })
        .collect();
    let mut person_means = Moments::default();
    let mut enps: Option<Enps> = questions
        .iter()
        .any(|q| q.kind == Kind::Enps)
        .then(Enps::default);
    let mut comments = Vec::new();
    for (answers, comment) in responses {
        let mut ps = Moments::default();
        for a in answers {
            let Some(item) = items.iter_mut().find(|i| i.question.id == a.question_id) else {
                continue;
            };
            let q = &item.question;
            match q.kind {
                Kind::Scale | Kind::Enps => {
                    let Some(v) = a.value.as_i64() else { continue };
                    item.raw.add(v as f64);
                    let s = q.scored(v);
                    item.scored.add(s as f64);
                    if let Some(c) = item.counts.get_mut((v - i64::from(q.min)) as usize) {
                        *c += 1;
                    }
                    if q.is_ps() {
                        ps.add(s as f64);
                    }
                    if q.kind == Kind::Enps {
                        if let Some(e) = enps.as_mut() {
                            e.n += 1;
                            match v {
                                9.. => e.promoters += 1,
                                7..=8 => e.passives += 1,
                                _ => e.detractors += 1,
                            }
                        }
                    }
                }
                Kind::Choice => {
                    if let Some(i) = a
                        .value
                        .as_str()
                        .and_then(|s| q.options.iter().position(|o| o == s))
                    {
                        item.counts[i] += 1;
                        item.raw.n += 1;
                        item.scored.n += 1;
                    }
                }
                Kind::Text => {
                    if let Some(s) = a.value.as_str() {
                        item.texts.push(s.to_owned());
                        item.raw.n += 1;
                        item.scored.n += 1;
                    }
                }
            }
        }
        if let Some(m) = ps.mean() {
            person_means.add(m);
        }
        if let Some(c) = comment {
            comments.push(c.clone());
        }
    }
    let mut rng = rand::rng();
    comments.shuffle(&mut rng);
    for i in &mut items {
        i.texts.shuffle(&mut rng);
    }
    let ps_items: Vec<&ItemAggregate> = items.iter().filter(|i| i.question.is_ps()).collect();
    let agreement = if ps_items.is_empty() {
        None
    } else {
        let vars: Option<Vec<f64>> = ps_items.iter().map(|i| i.scored.variance()).collect();
        let points = ps_items[0].question.max - ps_items[0].question.min + 1;
        vars.and_then(|v| rwg_j(&v, points))
    };
    Aggregate {
        invited,
        answered: responses.len() as i64,
        person_means,
        agreement,
        items,
        enps,
        comment_count: comments.len() as i64,
        comments,
    }
}
