use super::*;

#[test]
fn receipts_are_160_bits_in_groups_of_four_and_survive_hand_copying() {
    let r = new_receipt();
    assert_eq!(r.len(), 32 + 7);
    assert_eq!(r.split('-').count(), 8);
    let norm = normalize_receipt(&r).unwrap();
    let sloppy = r.to_lowercase().replace('-', " ");
    assert_eq!(normalize_receipt(&sloppy).unwrap(), norm);
    assert_eq!(
        normalize_receipt("oooo-iiii-llll-0000-1111-2222-3333-4444").unwrap(),
        "00001111111100001111222233334444"
    );
    assert!(normalize_receipt("short").is_none());
    assert!(normalize_receipt("UUUU-0000-0000-0000-0000-0000-0000-0000").is_none());
    assert_ne!(new_receipt(), new_receipt());
}

#[test]
fn the_release_rule_batches_late_accounts() {
    // Held below the threshold before the deadline.
    let k = crate::teams::model::Threshold::stored(3);
    assert!(!release_due(2, 0, k, false));
    assert!(release_due(3, 0, k, false));
    // The deadline releases a first batch of any size.
    assert!(release_due(1, 0, k, true));
    // Later accounts wait for a full batch, deadline or not.
    assert!(!release_due(1, 3, k, true));
    assert!(!release_due(2, 3, k, false));
    assert!(release_due(3, 3, k, false));
    assert!(!release_due(0, 3, k, true));
}

#[test]
fn an_empty_account_and_long_fields_are_refused() {
    let empty = AccountInput {
        timeline: vec![TimelineEntry {
            time: None,
            text: "  ".into(),
        }],
        expected: Some("\n".into()),
        ..Default::default()
    };
    assert_eq!(check_account(&empty).unwrap_err()[0].field, "account");
    let long = AccountInput {
        hard: Some("x".repeat(MAX_FIELD_CHARS + 1)),
        ..Default::default()
    };
    assert_eq!(check_account(&long).unwrap_err()[0].field, "hard");
    let ok = AccountInput {
        timeline: vec![TimelineEntry {
            time: Some("9:05".into()),
            text: "paged".into(),
        }],
        ..Default::default()
    };
    assert_eq!(
        check_account(&ok).unwrap().timeline[0].time.as_deref(),
        Some("09:05")
    );
    let bad_time = AccountInput {
        timeline: vec![TimelineEntry {
            time: Some("25:00".into()),
            text: "x".into(),
        }],
        ..Default::default()
    };
    assert!(check_account(&bad_time).is_err());
}

#[test]
fn markdown_escaping_defuses_structure() {
    assert_eq!(md_escape("# Account 5"), "\\# Account 5");
    assert_eq!(md_escape("- item"), "\\- item");
    assert_eq!(md_escape("1. one"), "1\\. one");
    assert_eq!(md_escape("<b>"), "\\<b\\>");
}

#[test]
fn the_receipt_throttle_counts_per_window() {
    let now = crate::clock::Clock::system().now();
    let mut w = None;
    for _ in 0..WRONG_RECEIPT_BUDGET {
        assert!(receipt_wait(w, now).is_none());
        w = Some(after_wrong_receipt(w, now));
    }
    assert!(receipt_wait(w, now).is_some());
    let later = now + time::Duration::seconds(RECEIPT_WINDOW_SECONDS + 1);
    assert!(receipt_wait(w, later).is_none());
    assert_eq!(after_wrong_receipt(w, later).failures, 1);
}

#[test]
fn a_review_threshold_defaults_to_three_and_is_floored_and_capped_with_its_own_words() {
    assert_eq!(parse_review_threshold(None, 3).unwrap().get(), 3);
    assert_eq!(parse_review_threshold(None, 5).unwrap().get(), 5);
    assert_eq!(parse_review_threshold(Some(8), 3).unwrap().get(), 8);
    let low = parse_review_threshold(Some(4), 5).unwrap_err();
    assert_eq!(low.field, "threshold");
    assert_eq!(
        low.message,
        "The release threshold must be at least 5, so no account can be singled out by when it arrived."
    );
    // An instance floor under the absolute one is lifted to it.
    assert!(parse_review_threshold(Some(2), 1).is_err());
    let high = parse_review_threshold(Some(1_001), 3).unwrap_err();
    assert_eq!(high.message, "The release threshold must be at most 1000.");
}
