-- stepbot schema 003: calendar import sources, per-record fingerprints, subscribed feeds.

-- One row per import source (a file or feed) and community. Meetings point back to it through
-- meetings.source = import_sources.name and meetings.community = import_sources.community.
CREATE TABLE import_sources (
    name          TEXT NOT NULL,
    community     TEXT NOT NULL DEFAULT '',      -- '' = global directory
    format        TEXT NOT NULL,                 -- ics, meeting-guide, csv, bmlt
    location      TEXT,                          -- file name or URL of the last run
    meetings      INTEGER NOT NULL DEFAULT 0,    -- meetings owned after the last change
    last_change   TEXT,                          -- ISO 8601 UTC of the last run that wrote
    PRIMARY KEY (name, community)
);

-- Fingerprint of the source record each imported meeting was built from: an identical record
-- on re-import is recognised without rebuilding the meeting.
CREATE TABLE import_records (
    meeting_id    INTEGER PRIMARY KEY REFERENCES meetings (id) ON DELETE CASCADE,
    fingerprint   TEXT NOT NULL
);

-- Calendars and meeting lists refreshed in the background (config.toml [[feeds]] or CLI/chat).
CREATE TABLE feeds (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL,               -- the import source name its meetings carry
    community       TEXT NOT NULL DEFAULT '',
    url             TEXT NOT NULL,
    format          TEXT NOT NULL DEFAULT 'auto',
    fellowship      TEXT,
    timezone        TEXT,
    refresh_minutes INTEGER NOT NULL DEFAULT 360,
    origin          TEXT NOT NULL DEFAULT 'cli', -- config, cli or chat
    etag            TEXT,
    last_modified   TEXT,
    content_hash    TEXT,
    last_checked    TEXT,
    last_success    TEXT,
    last_error      TEXT,
    failures        INTEGER NOT NULL DEFAULT 0,
    created         TEXT NOT NULL,
    UNIQUE (name, community),
    UNIQUE (url, community)
);
