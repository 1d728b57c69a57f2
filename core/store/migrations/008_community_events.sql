-- stepbot schema, version 8: a community's meetings mirrored as the platform's own scheduled
-- events (Discord), one event per (community, meeting) for its next sitting.

-- Opt-in per community; `problem` is the last thing that stopped the mirror (e.g.
-- 'missing_permission'), `problem_told` whether the admins were told it.
CREATE TABLE community_event_settings (
    community TEXT PRIMARY KEY,
    enabled INTEGER NOT NULL DEFAULT 0,
    include_imported INTEGER NOT NULL DEFAULT 0,
    problem TEXT,
    problem_told INTEGER NOT NULL DEFAULT 0,
    updated TEXT NOT NULL
);

-- The event stepbot keeps for a meeting: its platform id and a fingerprint of what was last
-- written (to detect hand edits and to write only what changed). state: 'active', or
-- 'detached' when an admin edited or deleted it by hand (left alone until events are
-- switched on again).
CREATE TABLE community_events (
    community TEXT NOT NULL,
    meeting_slug TEXT NOT NULL,
    event_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    ends_utc INTEGER NOT NULL DEFAULT 0,  -- when the sitting it shows ends
    state TEXT NOT NULL DEFAULT 'active',
    updated TEXT NOT NULL,
    PRIMARY KEY (community, meeting_slug)
);
