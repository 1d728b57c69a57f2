-- stepbot schema 002: member and community settings, and button state.

CREATE TABLE user_settings (
    platform      TEXT NOT NULL,
    user_id       TEXT NOT NULL,                 -- opaque platform id; never a name
    timezone      TEXT,
    language      TEXT,
    fellowship    TEXT,
    updated       TEXT NOT NULL,
    PRIMARY KEY (platform, user_id)
);

CREATE TABLE community_settings (
    community     TEXT PRIMARY KEY,              -- 'telegram:-100…' / 'discord:…'
    timezone      TEXT,
    language      TEXT,
    fellowships   TEXT,                          -- JSON list; NULL = all
    helplines     TEXT,                          -- JSON list of lines; NULL = the default
    updated       TEXT NOT NULL
);

-- State behind a button (a search's filters for "more"), so tokens stay ≤ 64 bytes.
CREATE TABLE action_state (
    id            TEXT PRIMARY KEY,
    platform      TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    payload       TEXT NOT NULL,
    created       INTEGER NOT NULL               -- epoch seconds
);
CREATE INDEX action_state_user ON action_state (platform, user_id);
CREATE INDEX action_state_created ON action_state (created);
