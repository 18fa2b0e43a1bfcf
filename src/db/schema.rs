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
        team_id -> Text,
        label -> Text,
        label_key -> Text,
        invite_nonce -> Text,
        invite_hash -> Text,
        active -> Bool,
        created_at -> Timestamp,
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
