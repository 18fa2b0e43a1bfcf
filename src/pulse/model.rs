//! Pulse questions, the built-in team psychological-safety template, answer validation and
//! scoring. Pure: no database, no request.

use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::FieldError;

/// Longest free-text answer or comment: a few paragraphs, enough to say what matters.
pub const MAX_TEXT_ANSWER: usize = 2_000;
pub const MAX_QUESTION_TEXT: usize = 300;
pub const MAX_CHOICE_OPTIONS: usize = 12;
pub const MAX_QUESTIONS: usize = 40;
pub const MAX_TITLE: usize = 120;

/// The seven items of the team psychological-safety scale, in our own words, each faithful
/// to one item of Edmondson (1999), "Psychological Safety and Learning Behavior in Work
/// Teams", Administrative Science Quarterly 44(2). Items 1, 3 and 5 are negatively worded
/// and reverse-scored.
pub const PSYCHOLOGICAL_SAFETY: [(&str, &str, bool); 7] = [
    (
        "ps1",
        "When someone on this team makes a mistake, it tends to be held against them.",
        true,
    ),
    (
        "ps2",
        "People on this team can raise problems and difficult issues.",
        false,
    ),
    (
        "ps3",
        "People on this team sometimes push others aside for being different.",
        true,
    ),
    ("ps4", "It feels safe to take a risk on this team.", false),
    ("ps5", "Asking others on this team for help is hard.", true),
    (
        "ps6",
        "Nobody on this team would knowingly act to undermine my work.",
        false,
    ),
    (
        "ps7",
        "Working with this team, my particular skills and talents are valued and put to use.",
        false,
    ),
];

pub const ENPS_TEXT: &str =
    "How likely are you to recommend this team as a place to work to a friend?";
pub const SOURCE_CITATION: &str = "Edmondson, A. (1999). Psychological Safety and Learning Behavior in Work Teams. Administrative Science Quarterly, 44(2), 350-383.";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Scale,
    Enps,
    Choice,
    Text,
}

impl Kind {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "scale" => Some(Self::Scale),
            "enps" => Some(Self::Enps),
            "choice" => Some(Self::Choice),
            "text" => Some(Self::Text),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scale => "scale",
            Self::Enps => "enps",
            Self::Choice => "choice",
            Self::Text => "text",
        }
    }
}

/// A question as a round froze it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Question {
    pub id: String,
    pub kind: Kind,
    pub text: String,
    pub min: i32,
    pub max: i32,
    pub options: Vec<String>,
    pub reverse: bool,
    pub required: bool,
    pub builtin: Option<String>,
}

impl Question {
    pub fn is_ps(&self) -> bool {
        self.builtin.as_deref().is_some_and(|b| b.starts_with("ps"))
    }
    /// The value after reverse scoring, on the same scale.
    pub fn scored(&self, v: i64) -> i64 {
        if self.reverse {
            i64::from(self.min + self.max) - v
        } else {
            v
        }
    }
}

/// Options of a choice question, one a line in storage.
pub fn split_options(s: &str) -> Vec<String> {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// One stored answer.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Answer {
    pub question_id: String,
    pub value: Value,
}

/// What a member submitted, checked against the round's frozen questions. Nothing invalid
/// gets as far as spending the member's token.
pub fn validate(
    questions: &[Question],
    answers: &[Answer],
    comment: Option<&str>,
) -> Result<(Vec<Answer>, Option<String>), Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for a in answers {
        if !seen.insert(a.question_id.as_str()) {
            errors.push(FieldError::new(
                &format!("q_{}", a.question_id),
                "This question was answered twice.",
            ));
        }
        if !questions.iter().any(|q| q.id == a.question_id) {
            errors.push(FieldError::new(
                "answers",
                format!("There is no question {} in this round.", a.question_id),
            ));
        }
    }
    for q in questions {
        let field = format!("q_{}", q.id);
        let given = answers
            .iter()
            .find(|a| a.question_id == q.id)
            .map(|a| &a.value)
            .filter(|v| !v.is_null());
        let given = given.filter(|v| v.as_str().is_none_or(|s| !s.trim().is_empty()));
        let Some(v) = given else {
            if q.required {
                errors.push(FieldError::new(&field, "Please answer this question."));
            }
            continue;
        };
        match q.kind {
            Kind::Scale | Kind::Enps => {
                let n = v
                    .as_i64()
                    .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()));
                match n {
                    Some(n) if n >= i64::from(q.min) && n <= i64::from(q.max) => out.push(Answer {
                        question_id: q.id.clone(),
                        value: Value::from(n),
                    }),
                    _ => errors.push(FieldError::new(
                        &field,
                        format!("Choose a whole number from {} to {}.", q.min, q.max),
                    )),
                }
            }
            Kind::Choice => match v.as_str().map(str::trim) {
                Some(s) if q.options.iter().any(|o| o == s) => out.push(Answer {
                    question_id: q.id.clone(),
                    value: Value::from(s),
                }),
                _ => errors.push(FieldError::new(&field, "Choose one of the options.")),
            },
            Kind::Text => match v.as_str().map(str::trim) {
                Some(s) if s.chars().count() <= MAX_TEXT_ANSWER => out.push(Answer {
                    question_id: q.id.clone(),
                    value: Value::from(s),
                }),
                Some(_) => errors.push(FieldError::new(
                    &field,
                    format!("Use at most {MAX_TEXT_ANSWER} characters."),
                )),
                None => errors.push(FieldError::new(&field, "Answer in words.")),
            },
        }
    }
    let comment = comment
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned);
    if comment
        .as_ref()
        .is_some_and(|c| c.chars().count() > MAX_TEXT_ANSWER)
    {
        errors.push(FieldError::new(
            "comment",
            format!("Use at most {MAX_TEXT_ANSWER} characters."),
        ));
    }
    if errors.is_empty() {
        Ok((out, comment))
    } else {
        Err(errors)
    }
}

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
    pub items: std::collections::BTreeMap<String, Vec<String>>,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn q(
        id: &str,
        kind: Kind,
        min: i32,
        max: i32,
        reverse: bool,
        builtin: Option<&str>,
    ) -> Question {
        Question {
            id: id.into(),
            kind,
            text: id.into(),
            min,
            max,
            options: vec![],
            reverse,
            required: true,
            builtin: builtin.map(Into::into),
        }
    }

    #[test]
    fn reverse_scoring_person_means_and_rwg_match_hand_computation() {
        let qs = vec![
            q("a", Kind::Scale, 1, 7, true, Some("ps1")),
            q("b", Kind::Scale, 1, 7, false, Some("ps2")),
        ];
        let r = |a: i64, b: i64| {
            (
                vec![
                    Answer {
                        question_id: "a".into(),
                        value: a.into(),
                    },
                    Answer {
                        question_id: "b".into(),
                        value: b.into(),
                    },
                ],
                None,
            )
        };
        // Scored: (8-2, 6) -> 6; (8-4, 4) -> 4; (8-1, 5) -> 6.
        let agg = aggregate(&qs, 5, &[r(2, 6), r(4, 4), r(1, 5)]);
        assert_eq!(agg.person_means.n, 3);
        assert!((agg.person_means.mean().unwrap() - 16.0 / 3.0).abs() < 1e-9);
        // Item a scored: 6, 4, 7 -> variance 7/3; item b: 6, 4, 5 -> variance 1.
        // mean variance 5/3; ratio 5/12; rwg(2) = 2*(7/12) / (2*(7/12) + 5/12) = 14/19.
        assert!(
            (agg.agreement.unwrap() - 14.0 / 19.0).abs() < 1e-9,
            "{:?}",
            agg.agreement
        );
        assert_eq!(agg.items[0].counts, vec![1, 1, 0, 1, 0, 0, 0]);
    }

    #[test]
    fn words_are_stored_apart_from_figures_and_come_back_whole() {
        let qs = vec![Question {
            id: "t".into(),
            kind: Kind::Text,
            text: "t".into(),
            min: 0,
            max: 0,
            options: vec![],
            reverse: false,
            required: false,
            builtin: None,
        }];
        let r = |s: &str| {
            (
                vec![Answer {
                    question_id: "t".into(),
                    value: s.into(),
                }],
                Some(format!("c {s}")),
            )
        };
        let agg = aggregate(&qs, 3, &[r("a"), r("b")]);
        let (figures, texts) = agg.clone().split_texts();
        assert!(figures.comments.is_empty() && figures.items[0].texts.is_empty());
        assert_eq!(figures.comment_count, 2, "the count stays with the figures");
        assert_eq!(texts.comments.len(), 2);
        assert_eq!(figures.with_texts(texts), agg);
    }

    #[test]
    fn enps_counts_promoters_and_detractors() {
        let qs = vec![q("e", Kind::Enps, 0, 10, false, Some("enps"))];
        let r = |v: i64| {
            (
                vec![Answer {
                    question_id: "e".into(),
                    value: v.into(),
                }],
                None,
            )
        };
        let agg = aggregate(&qs, 4, &[r(10), r(9), r(7), r(3)]);
        assert_eq!(agg.enps.as_ref().unwrap().score(), Some(25.0));
    }

    #[test]
    fn validation_refuses_out_of_scale_missing_and_unknown_answers() {
        let qs = vec![q("a", Kind::Scale, 1, 7, false, None)];
        let a = |v: Value| {
            vec![Answer {
                question_id: "a".into(),
                value: v,
            }]
        };
        assert!(validate(&qs, &a(8.into()), None).is_err());
        assert!(validate(&qs, &[], None).is_err());
        assert!(validate(
            &qs,
            &[Answer {
                question_id: "zz".into(),
                value: 1.into()
            }],
            None
        )
        .is_err());
        assert!(validate(&qs, &a(7.into()), Some(&"x".repeat(MAX_TEXT_ANSWER + 1))).is_err());
        assert_eq!(
            validate(&qs, &a("3".into()), Some("  ")).unwrap().0[0].value,
            Value::from(3)
        );
    }
}
