//! Written by hand: `diesel print-schema` differs per backend, and only the types both share
//! are used (Text, Integer, BigInt, Bool, Timestamp, Date, Double, Binary).

diesel::table! {
    instance_settings (name) {
        name -> Text,
        value -> Text,
    }
}

diesel::table! {
    staff_users (id) {
        id -> Text,
        email -> Text,
        password_hash -> Nullable<Text>,
        role -> Text,
        active -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    staff_sessions (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    password_links (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> Text,
        token_hash -> Text,
        user_id -> Text,
        label -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    throttles (key_hash) {
        key_hash -> Text,
        failures -> Integer,
        locked_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Text,
        at -> Timestamp,
        actor -> Nullable<Text>,
        action -> Text,
        detail -> Text,
    }
}

diesel::table! {
    teams (id) {
        id -> Text,
        name -> Text,
        name_key -> Text,
        threshold -> Integer,
        created_at -> Timestamp,
        reviews_allowed -> Bool,
    }
}

diesel::table! {
    team_leaders (team_id, user_id) {
        team_id -> Text,
        user_id -> Text,
    }
}

diesel::table! {
    members (id) {
        id -> Text,
        team_id -> Nullable<Text>,
        label -> Text,
        label_key -> Text,
        invite_nonce -> Text,
        invite_hash -> Text,
        active -> Bool,
        created_at -> Timestamp,
        staff_seen -> Bool,
    }
}

diesel::joinable!(staff_sessions -> staff_users (user_id));
diesel::joinable!(password_links -> staff_users (user_id));
diesel::joinable!(api_tokens -> staff_users (user_id));
diesel::joinable!(team_leaders -> teams (team_id));
diesel::joinable!(team_leaders -> staff_users (user_id));
diesel::joinable!(members -> teams (team_id));

diesel::allow_tables_to_appear_in_same_query!(
    instance_settings,
    staff_users,
    staff_sessions,
    password_links,
    api_tokens,
    throttles,
    audit_log,
    teams,
    team_leaders,
    members,
);

diesel::table! {
    signing_keys (scope_id) {
        scope_id -> Text,
        public_der -> Text,
        fingerprint -> Text,
        secret_der -> Nullable<Text>,
    }
}

diesel::table! {
    eligibility (scope_id, member_id) {
        scope_id -> Text,
        member_id -> Text,
    }
}

diesel::table! {
    issuances (scope_id, member_id) {
        scope_id -> Text,
        member_id -> Text,
        blinded_hash -> Nullable<Text>,
    }
}

diesel::table! {
    spent_tokens (scope_id, token_hash) {
        scope_id -> Text,
        token_hash -> Text,
        message_sha256 -> Nullable<Text>,
    }
}

diesel::joinable!(eligibility -> members (member_id));
diesel::allow_tables_to_appear_in_same_query!(
    signing_keys,
    eligibility,
    issuances,
    spent_tokens,
    members
);

diesel::table! {
    team_questions (id) {
        id -> Text,
        team_id -> Text,
        position -> Integer,
        kind -> Text,
        text -> Text,
        scale_points -> Integer,
        options -> Text,
        reverse -> Bool,
        required -> Bool,
        builtin -> Nullable<Text>,
        active -> Bool,
    }
}

diesel::table! {
    rounds (id) {
        id -> Text,
        team_id -> Text,
        title -> Text,
        status -> Text,
        opens_at -> Timestamp,
        closes_at -> Nullable<Timestamp>,
        closed_on -> Nullable<Date>,
        threshold -> Integer,
        invited -> Integer,
        answered -> Nullable<Integer>,
        issued -> Nullable<Integer>,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    round_questions (round_id, id) {
        round_id -> Text,
        id -> Text,
        position -> Integer,
        kind -> Text,
        text -> Text,
        min_value -> Integer,
        max_value -> Integer,
        options -> Text,
        reverse -> Bool,
        required -> Bool,
        builtin -> Nullable<Text>,
    }
}

diesel::table! {
    responses (id) {
        id -> Text,
        round_id -> Text,
        answers -> Text,
        comment -> Nullable<Text>,
    }
}

diesel::table! {
    round_results (round_id) {
        round_id -> Text,
        aggregate -> Text,
        texts -> Text,
    }
}

diesel::joinable!(rounds -> teams (team_id));
diesel::allow_tables_to_appear_in_same_query!(
    rounds,
    teams,
    team_questions,
    round_questions,
    responses,
    round_results,
    signing_keys
);

diesel::table! {
    reviews (id) {
        id -> Text,
        title -> Text,
        incident_date -> Date,
        summary -> Text,
        status -> Text,
        threshold -> Integer,
        deadline -> Nullable<Timestamp>,
        retention_days -> Integer,
        invited -> Integer,
        created_by -> Text,
        created_at -> Timestamp,
        closed_on -> Nullable<Date>,
        purged_on -> Nullable<Date>,
        issued -> Nullable<Integer>,
        accounts_total -> Nullable<Integer>,
        followups_asked -> Nullable<Integer>,
        followups_answered -> Nullable<Integer>,
    }
}

diesel::table! {
    review_facilitators (review_id, user_id) {
        review_id -> Text,
        user_id -> Text,
    }
}

diesel::table! {
    accounts (id) {
        id -> Text,
        review_id -> Text,
        body -> Text,
        receipt_hash -> Text,
        released -> Bool,
        position -> Integer,
    }
}

diesel::table! {
    followups (id) {
        id -> Text,
        account_id -> Text,
        position -> Integer,
        question -> Text,
        reply -> Nullable<Text>,
    }
}

diesel::joinable!(review_facilitators -> reviews (review_id));
diesel::joinable!(review_facilitators -> staff_users (user_id));
diesel::joinable!(accounts -> reviews (review_id));
diesel::joinable!(followups -> accounts (account_id));
diesel::allow_tables_to_appear_in_same_query!(
    reviews,
    review_facilitators,
    accounts,
    followups,
    staff_users
);

diesel::table! {
    team_groups (id) {
        id -> Text,
        name -> Text,
        name_key -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    group_teams (id) {
        id -> Text,
        group_id -> Text,
        team_id -> Text,
        added_at -> Timestamp,
        removed_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(group_teams -> team_groups (group_id));
diesel::allow_tables_to_appear_in_same_query!(team_groups, group_teams, teams);

diesel::allow_tables_to_appear_in_same_query!(reviews, signing_keys);

// Delivery (issue 14): the outbox, mailed links, team webhooks and round events.
diesel::table! {
    outbox (id) {
        id -> Text,
        channel -> Text,
        purpose -> Text,
        recipient -> Text,
        subject -> Text,
        body -> Text,
        attempts -> Integer,
        due_at -> Timestamp,
        claim -> Nullable<Text>,
        claimed_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        failed_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    mailed_links (member_id) {
        member_id -> Text,
        invite_nonce -> Text,
    }
}

diesel::table! {
    team_webhooks (team_id) {
        team_id -> Text,
        url -> Text,
    }
}

diesel::table! {
    round_events (round_id, event) {
        round_id -> Text,
        event -> Text,
    }
}

diesel::table! {
    review_events (review_id, event) {
        review_id -> Text,
        event -> Text,
    }
}

diesel::table! {
    review_notices (review_id) {
        review_id -> Text,
        due_at -> Timestamp,
    }
}

diesel::joinable!(mailed_links -> members (member_id));
diesel::allow_tables_to_appear_in_same_query!(mailed_links, members);

// Closing the loop (issue 16): actions after rounds, action items from reviews.
diesel::table! {
    round_actions (id) {
        id -> Text,
        round_id -> Text,
        team_id -> Text,
        text -> Text,
        question_id -> Nullable<Text>,
        theme -> Nullable<Text>,
        owner_id -> Nullable<Text>,
        due_on -> Nullable<Date>,
        status -> Text,
        done_on -> Nullable<Date>,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    review_items (id) {
        id -> Text,
        review_id -> Text,
        text -> Text,
        owner_id -> Nullable<Text>,
        due_on -> Nullable<Date>,
        status -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    review_item_links (item_id, account_position, entry) {
        item_id -> Text,
        account_position -> Integer,
        entry -> Integer,
    }
}

diesel::joinable!(round_actions -> rounds (round_id));
diesel::joinable!(round_actions -> staff_users (owner_id));
diesel::joinable!(review_items -> reviews (review_id));
diesel::joinable!(review_items -> staff_users (owner_id));
diesel::joinable!(review_item_links -> review_items (item_id));
diesel::allow_tables_to_appear_in_same_query!(round_actions, rounds);
diesel::allow_tables_to_appear_in_same_query!(round_actions, staff_users);
diesel::allow_tables_to_appear_in_same_query!(review_items, review_item_links);
diesel::allow_tables_to_appear_in_same_query!(review_items, staff_users);

diesel::table! {
    comment_threads (id) {
        id -> Text,
        round_id -> Text,
        receipt_hash -> Text,
        body -> Text,
        locator -> Nullable<Text>,
    }
}

diesel::table! {
    comment_replies (id) {
        id -> Text,
        thread_id -> Text,
        position -> Integer,
        author -> Text,
        body -> Text,
        written_on -> Nullable<Date>,
    }
}

diesel::joinable!(comment_threads -> rounds (round_id));
diesel::joinable!(comment_replies -> comment_threads (thread_id));
diesel::allow_tables_to_appear_in_same_query!(comment_threads, comment_replies, rounds);
