-- stepbot schema, version 1: meetings, their search index and materialised occurrences.

CREATE TABLE meetings (
    id            INTEGER PRIMARY KEY,
    slug          TEXT NOT NULL UNIQUE,
    community     TEXT NOT NULL DEFAULT '',      -- '' = global directory
    source        TEXT NOT NULL DEFAULT 'manual',
    source_ref    TEXT,                          -- the key inside its source
    name          TEXT NOT NULL,
    fellowship    TEXT NOT NULL,
    days          INTEGER NOT NULL,              -- bit d set = meets on weekday d (Sunday = 0)
    start_min     INTEGER NOT NULL,              -- local wall time, minutes after midnight
    end_min       INTEGER NOT NULL,
    timezone      TEXT NOT NULL,                 -- canonical IANA name, never an offset
    attendance    TEXT NOT NULL,
    tags          TEXT NOT NULL,                 -- ' women online t:W f:aa ' for instr() filters
    latitude      REAL,
    longitude     REAL,
    place         TEXT NOT NULL DEFAULT '',      -- folded region/city/address text
    updated       TEXT NOT NULL,                 -- ISO 8601 UTC
    sequence      INTEGER NOT NULL DEFAULT 0,
    data          TEXT NOT NULL                  -- the whole meeting as JSON
);
CREATE UNIQUE INDEX meetings_source_ref ON meetings (source, community, source_ref)
    WHERE source_ref IS NOT NULL;
CREATE INDEX meetings_community ON meetings (community);
CREATE INDEX meetings_point ON meetings (latitude, longitude) WHERE latitude IS NOT NULL;

CREATE VIRTUAL TABLE meetings_fts USING fts5 (
    name, location, notes, region,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- Occurrences resolved per date in each meeting's zone, for the weeks someone asked about.
-- Derived data: rebuilt for a meeting whenever it changes.
CREATE TABLE occurrences (
    meeting_id    INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    start_utc     INTEGER NOT NULL,              -- epoch seconds
    end_utc       INTEGER NOT NULL,
    community     TEXT NOT NULL,
    tags          TEXT NOT NULL,
    latitude      REAL,                          -- copied from the meeting for "near" scans
    longitude     REAL,
    PRIMARY KEY (start_utc, meeting_id)          -- clustered by time: range scans are sequential
) WITHOUT ROWID;
CREATE INDEX occurrences_meeting ON occurrences (meeting_id);

CREATE TABLE occurrence_weeks (
    week          INTEGER PRIMARY KEY            -- floor((epoch - 345600) / 604800): Monday-based
);
