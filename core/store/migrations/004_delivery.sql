-- stepbot schema 004: daily reflections, meeting reminders and sobriety milestones.
-- Owners and addresses are opaque platform ids only, never names.

-- One due-queue for every kind of unprompted message. A row is owned by a member
-- (platform, user_id) or by a community (platform, community), never both.
CREATE TABLE subscriptions (
    id             INTEGER PRIMARY KEY,
    kind           TEXT NOT NULL CHECK (kind IN ('reflection', 'reminder', 'milestone')),
    platform       TEXT NOT NULL,
    user_id        TEXT,
    community      TEXT,
    chat_id        TEXT NOT NULL,
    thread_id      TEXT NOT NULL DEFAULT '',          -- '' = the chat itself
    local_time     INTEGER NOT NULL,                  -- minutes after local midnight
    timezone       TEXT NOT NULL,                     -- canonical IANA name
    language       TEXT NOT NULL,
    neutral_steps  INTEGER NOT NULL DEFAULT 0,
    meeting_slug   TEXT,                              -- reminders
    minutes_before INTEGER,                           -- reminders
    anchor         TEXT,                              -- milestones: the sobriety date
    status         TEXT NOT NULL DEFAULT 'active'
                   CHECK (status IN ('active', 'paused', 'blocked', 'ended')),
    next_due_utc   INTEGER,                           -- epoch s of the next action; NULL unless active
    slot_utc       INTEGER,                           -- the nominal instant of due_key
    due_key        TEXT,                              -- local date (YYYY-MM-DD) the next message is for
    attempts       INTEGER NOT NULL DEFAULT 0,        -- failed attempts for due_key
    created_utc    INTEGER NOT NULL,
    CHECK ((user_id IS NULL) <> (community IS NULL))
);
-- Due work is found through this index only: cost O(due), not O(all).
CREATE INDEX subscriptions_due ON subscriptions (platform, next_due_utc)
    WHERE next_due_utc IS NOT NULL;
CREATE INDEX subscriptions_user ON subscriptions (platform, user_id) WHERE user_id IS NOT NULL;
CREATE INDEX subscriptions_community ON subscriptions (platform, community)
    WHERE community IS NOT NULL;
CREATE INDEX subscriptions_chat ON subscriptions (platform, chat_id);
-- At most one daily reflection per destination, one reminder per member and meeting,
-- one milestone schedule per member.
CREATE UNIQUE INDEX subscriptions_reflection_dest ON subscriptions (platform, chat_id, thread_id)
    WHERE kind = 'reflection';
CREATE UNIQUE INDEX subscriptions_reminder_owner ON subscriptions (platform, user_id, meeting_slug)
    WHERE kind = 'reminder';
CREATE UNIQUE INDEX subscriptions_milestone_owner ON subscriptions (platform, user_id)
    WHERE kind = 'milestone';

-- Exactly one message per subscription per local date: the primary key is the guarantee.
-- 'sending' is written before the platform is called, the outcome after, atomically with
-- the subscription's next due instant.
CREATE TABLE deliveries (
    subscription_id INTEGER NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    local_date      TEXT NOT NULL,
    status          TEXT NOT NULL
                    CHECK (status IN ('sending', 'sent', 'skipped', 'failed', 'blocked')),
    attempts        INTEGER NOT NULL DEFAULT 0,       -- times handed to the platform
    updated_utc     INTEGER NOT NULL,
    PRIMARY KEY (subscription_id, local_date)
) WITHOUT ROWID;

-- Opt-in, private: a member's sobriety date, counted in their own zone.
CREATE TABLE sobriety (
    platform     TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    sober_date   TEXT NOT NULL,                       -- YYYY-MM-DD
    timezone     TEXT NOT NULL,
    milestones   INTEGER NOT NULL DEFAULT 0,
    updated_utc  INTEGER NOT NULL,
    PRIMARY KEY (platform, user_id)
) WITHOUT ROWID;
