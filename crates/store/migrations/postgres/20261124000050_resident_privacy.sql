-- Resident-ID privacy (issue #8 §4): the masked ID shows only the first 3 and the last 4 characters
-- (110***********123X), and the birth date is no longer stored in clear — only the birth year. The
-- full birth date stays in the encrypted ID (id_cipher). Old audit entries of registrations are
-- redacted the same way (PostgreSQL).

ALTER TABLE volunteers ADD COLUMN birth_year BIGINT NOT NULL DEFAULT 0;
UPDATE volunteers SET birth_year = CAST(substr(birth_date, 1, 4) AS BIGINT);
UPDATE volunteers
   SET id_masked = substr(id_masked, 1, 3) || '***********' || substr(id_masked, 15, 4)
 WHERE length(id_masked) = 18 AND substr(id_masked, 4, 3) <> '***';
ALTER TABLE volunteers DROP COLUMN birth_date;

-- The audit log is append-only; this one redaction lifts the guard and puts it back in the same
-- transaction.
ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update;
UPDATE audit_log
   SET after_json = jsonb_set(
           jsonb_set(after_json::jsonb - 'birth_date', '{birth_year}',
                     to_jsonb(CAST(substr(after_json::jsonb ->> 'birth_date', 1, 4) AS BIGINT))),
           '{resident_id}',
           to_jsonb(substr(after_json::jsonb ->> 'resident_id', 1, 3) || '***********'
                    || substr(after_json::jsonb ->> 'resident_id', 15, 4)))::text
 WHERE action = 'volunteer.register'
   AND after_json IS NOT NULL
   AND (after_json::jsonb ->> 'birth_date') IS NOT NULL
   AND (after_json::jsonb ->> 'resident_id') IS NOT NULL;
ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update;
