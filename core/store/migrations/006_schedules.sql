-- stepbot schema, version 6: schedules beyond "every week" (core.recurrence).
-- NULL = every week on `days`, forever, with no changed sittings: what every meeting was
-- before, so existing meetings keep their slugs, UIDs and times unchanged.
ALTER TABLE meetings ADD COLUMN schedule TEXT;
