-- stepbot schema, version 5: nothing about the directory is cached per process any more.
-- The longest meeting is asked of the database on every search; this index answers it
-- without a table scan.
CREATE INDEX IF NOT EXISTS meetings_duration ON meetings (((end_min - start_min + 1440) % 1440));
