-- stepbot schema, version 7: heads-ups to reminder holders when a sitting changes
-- (core.schedule_notices).

-- The meeting's schedule (core.store.codec JSON; NULL = plain weekly) when the reminder was
-- set: what the member already knew. No row yet = taken at the next scan.
CREATE TABLE reminder_baselines (
    subscription_id INTEGER PRIMARY KEY REFERENCES subscriptions (id) ON DELETE CASCADE,
    schedule TEXT
);

-- One heads-up per (reminder, scheduled local date, n): n grows when the same sitting changes
-- again, so concurrent scans in several processes write each one once (INSERT OR IGNORE).
-- `state` is what the sitting became: 'cancelled', 'moved YYYY-MM-DD HH:MM-HH:MM' or
-- 'regular' (back on as usual). status: pending | sending | sent | dropped | failed | blocked.
CREATE TABLE schedule_notices (
    subscription_id INTEGER NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    sitting_date TEXT NOT NULL,
    seq INTEGER NOT NULL,
    state TEXT NOT NULL,
    platform TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_try_utc INTEGER NOT NULL,
    created_utc INTEGER NOT NULL,
    PRIMARY KEY (subscription_id, sitting_date, seq)
);
CREATE INDEX schedule_notices_due ON schedule_notices (platform, status, next_try_utc);
