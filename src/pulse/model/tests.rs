use serde_json::Value;

use super::*;

fn q(id: &str, kind: Kind, min: i32, max: i32, reverse: bool, builtin: Option<&str>) -> Question {
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
        validate(&qs, &a(3.into()), Some("  ")).unwrap().0[0].value,
        Value::from(3)
    );
}

#[test]
fn a_scale_value_must_be_a_json_number_not_a_string() {
    let qs = [
        q("a", Kind::Scale, 1, 7, false, None),
        q("e", Kind::Enps, 0, 10, false, None),
    ];
    let one = |id: &str, v: Value| {
        vec![Answer {
            question_id: id.into(),
            value: v,
        }]
    };
    assert!(validate(&qs[..1], &one("a", "3".into()), None).is_err());
    assert!(validate(&qs[1..], &one("e", "8".into()), None).is_err());
    assert!(validate(&qs[..1], &one("a", 3.5.into()), None).is_err());
    assert!(validate(&qs[1..], &one("e", 8.into()), None).is_ok());
}

#[test]
fn a_round_must_close_in_the_future_and_after_it_opens() {
    let now = time::macros::datetime!(2026-12-01 12:00);
    let r = check_round_input("  Pulse   one ", "", "2026-12-02T09:00", now).unwrap();
    assert_eq!(r.title, "Pulse one");
    assert_eq!(r.opens_at, None);
    assert_eq!(r.closes_at, Some(time::macros::datetime!(2026-12-02 09:00)));
    assert!(check_round_input("", "", "2026-11-30T09:00", now).is_err());
    assert!(check_round_input("", "2026-12-03T09:00", "2026-12-02T09:00", now).is_err());
    assert!(check_round_input("", "", "tomorrow", now).is_err());
    assert!(check_round_input(&"x".repeat(MAX_TITLE + 1), "", "", now).is_err());
    assert_eq!(
        check_round_input("", "", "2026-12-02T09:00:00Z", now)
            .unwrap()
            .title,
        "Pulse 2026-12-01"
    );
}

#[test]
fn a_custom_question_is_checked_by_kind() {
    let q = check_question("scale5", " Do   we ship? ", "", true).unwrap();
    assert_eq!(
        (q.kind, q.scale_points, q.text.as_str()),
        (Kind::Scale, 5, "Do we ship?")
    );
    assert!(check_question("choice", "Pick", "one", false).is_err());
    assert!(check_question("choice", "Pick", "a\na", false).is_err());
    assert_eq!(
        check_question("choice", "Pick", "a\nb", false)
            .unwrap()
            .options
            .len(),
        2
    );
    assert!(check_question("slider", "Pick", "", false).is_err());
    assert!(check_question("text", "", "", false).is_err());
}
