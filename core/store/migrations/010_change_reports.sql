-- stepbot schema, version 10: directory contacts shown per community, and "report a change"
-- (core.change_reports).

-- Member contacts of imported meetings are shown only where the community's admins allow it.
ALTER TABLE community_settings ADD COLUMN show_contacts INTEGER NOT NULL DEFAULT 0;
-- Where reports about the community's meetings go: a channel (chat id, thread id) the admins
-- chose; NULL = to the admins in private.
ALTER TABLE community_settings ADD COLUMN reports_chat TEXT;
ALTER TABLE community_settings ADD COLUMN reports_thread TEXT;

-- A report waiting to reach the admins. Only what delivering it needs: the meeting, what is
-- wrong, the member's line, and the member's chat id only if they chose to be contactable.
-- Once delivered the row keeps only `reporter` (a keyed hash, for the per-member rate limit)
-- and its time, and goes after a day. status: pending | sending | sent | undeliverable.
CREATE TABLE change_reports (
    id INTEGER PRIMARY KEY,
    platform TEXT NOT NULL,
    community TEXT NOT NULL,
    meeting_id INTEGER REFERENCES meetings (id) ON DELETE SET NULL,
    meeting_slug TEXT NOT NULL,
    what TEXT NOT NULL,
    note TEXT,
    contact TEXT,
    reporter TEXT NOT NULL,
    language TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_try_utc INTEGER NOT NULL,
    created_utc INTEGER NOT NULL
);
CREATE INDEX change_reports_due ON change_reports (platform, status, next_try_utc);
CREATE INDEX change_reports_reporter ON change_reports (reporter, created_utc);

-- The key of the reporter hash: random per database, so ids cannot be hashed back elsewhere.
CREATE TABLE report_salt (salt TEXT NOT NULL);
INSERT INTO report_salt SELECT lower(hex(randomblob(16)));
