-- Resident-ID privacy (issue #8 §4): the masked ID shows only the first 3 and the last 4 characters
-- (110***********123X), and the birth date is no longer stored in clear — only the birth year. The
-- full birth date stays in the encrypted ID (id_cipher). Old audit entries of registrations are
-- redacted the same way (SQLite).

ALTER TABLE volunteers ADD COLUMN birth_year BIGINT NOT NULL DEFAULT 0;
UPDATE volunteers SET birth_year = CAST(substr(birth_date, 1, 4) AS INTEGER);
UPDATE volunteers
   SET id_masked = substr(id_masked, 1, 3) || '***********' || substr(id_masked, 15, 4)
 WHERE length(id_masked) = 18 AND substr(id_masked, 4, 3) <> '***';
-- Not indexed, constrained or referenced by a trigger or view, so SQLite (≥ 3.35) can drop it.
ALTER TABLE volunteers DROP COLUMN birth_date;

-- The audit log is append-only; this one redaction lifts the guard and puts it back in the same
-- transaction.
DROP TRIGGER audit_log_no_update;
UPDATE audit_log
   SET after_json = json_set(
           json_remove(after_json, '$.birth_date'),
           '$.birth_year', CAST(substr(json_extract(after_json, '$.birth_date'), 1, 4) AS INTEGER),
           '$.resident_id', substr(json_extract(after_json, '$.resident_id'), 1, 3) || '***********'
                            || substr(json_extract(after_json, '$.resident_id'), 15, 4))
 WHERE action = 'volunteer.register'
   AND json_valid(after_json)
   AND json_extract(after_json, '$.birth_date') IS NOT NULL
   AND json_extract(after_json, '$.resident_id') IS NOT NULL;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
