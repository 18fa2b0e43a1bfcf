-- Groups of teams (departments) for culture-metric rollups. Membership is dated so a group
-- covers only rounds opened while a team belonged to it: a group can never be redefined
-- retroactively to make a difference with an older figure (THREAT-MODEL G7).
CREATE TABLE team_groups (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE group_teams (
    id TEXT PRIMARY KEY NOT NULL,
    group_id TEXT NOT NULL REFERENCES team_groups (id) ON DELETE CASCADE,
    team_id TEXT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    added_at TIMESTAMP NOT NULL,
    removed_at TIMESTAMP
);
CREATE INDEX group_teams_group ON group_teams (group_id);
