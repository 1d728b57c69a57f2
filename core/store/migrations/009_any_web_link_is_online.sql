-- stepbot schema, version 9: any web link makes a meeting online, not only known providers'.
-- Meetings whose attendance was derived (no explicit attendance_option) and that carry an
-- http(s) link are re-derived: inactive → online, in person → hybrid. Tags are space-padded
-- tokens read with instr(), so replacing the a: token and adding "online" is enough; the
-- materialised occurrences copy the meeting's tags.
CREATE TEMP TABLE relinked AS
    SELECT id FROM meetings
    WHERE attendance IN ('inactive', 'in_person')
      AND json_extract(data, '$.attendance_option') IS NULL
      AND (lower(json_extract(data, '$.online.url')) LIKE 'http://%'
           OR lower(json_extract(data, '$.online.url')) LIKE 'https://%');

UPDATE meetings
SET attendance = CASE attendance WHEN 'inactive' THEN 'online' ELSE 'hybrid' END,
    tags = replace(replace(tags, ' a:inactive ', ' a:online online '),
                   ' a:in_person ', ' a:hybrid online ')
WHERE id IN (SELECT id FROM relinked);

UPDATE occurrences
SET tags = (SELECT m.tags FROM meetings m WHERE m.id = occurrences.meeting_id)
WHERE meeting_id IN (SELECT id FROM relinked);

DROP TABLE relinked;
