-- Team pulse: each team's questionnaire, rounds with their frozen questions, anonymous
-- responses, and the aggregates computed once at close.
CREATE TABLE team_questions (
    id TEXT PRIMARY KEY NOT NULL,
    team_id TEXT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    -- 'scale' (agreement), 'enps' (0-10), 'choice' or 'text'.
    kind TEXT NOT NULL CHECK (kind IN ('scale', 'enps', 'choice', 'text')),
    text TEXT NOT NULL,
    scale_points INTEGER NOT NULL,
    options TEXT NOT NULL,
    reverse BOOLEAN NOT NULL,
    required BOOLEAN NOT NULL,
    -- One of the seven team psychological-safety items ('ps1'..'ps7'), 'enps', or NULL.
    builtin TEXT,
    active BOOLEAN NOT NULL
);
CREATE INDEX team_questions_team ON team_questions (team_id, position);

CREATE TABLE rounds (
    id TEXT PRIMARY KEY NOT NULL,
    team_id TEXT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('scheduled', 'open', 'closed')),
    opens_at TIMESTAMP NOT NULL,
    closes_at TIMESTAMP,
    -- Only the day: results carry no finer time (G1).
    closed_on DATE,
    -- Frozen at open (G9).
    threshold INTEGER NOT NULL,
    invited INTEGER NOT NULL,
    -- Filled at close: how many answered and how many tokens had been issued.
    answered INTEGER,
    issued INTEGER,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX rounds_team ON rounds (team_id, opens_at);
CREATE INDEX rounds_status ON rounds (status);

CREATE TABLE round_questions (
    round_id TEXT NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    position INTEGER NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    min_value INTEGER NOT NULL,
    max_value INTEGER NOT NULL,
    options TEXT NOT NULL,
    reverse BOOLEAN NOT NULL,
    required BOOLEAN NOT NULL,
    builtin TEXT,
    PRIMARY KEY (round_id, id)
);

-- One anonymous response: a random id, the round, the answers and the optional comment.
-- No member, no time, no sequence (G1); rewritten in random order at close.
CREATE TABLE responses (
    id TEXT PRIMARY KEY NOT NULL,
    round_id TEXT NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    answers TEXT NOT NULL,
    comment TEXT
) WITHOUT ROWID;
CREATE INDEX responses_round ON responses (round_id);

-- The aggregates of a closed round, computed once; results pages never read responses.
CREATE TABLE round_results (
    round_id TEXT PRIMARY KEY NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    aggregate TEXT NOT NULL
);
