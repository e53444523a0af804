-- How a unit's files name their columns (issue #11): when an office corrects the column mapping
-- of an import, the correction is kept under the unit (a team, a site or a region office) and the
-- kind of file, by the column's label as the header writes it (without spaces and notes), and
-- applied to the unit's next file with that label. `field` is a field code, or `none` for a
-- column the unit does not import.

CREATE TABLE import_mappings (
    unit       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    label      TEXT NOT NULL,
    field      TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (unit, kind, label)
);
