-- +goose Up

-- The per-dataset feature tables (every basemap table, pipeline.point and pipeline.segment) become
-- partitioned by dataset: PARTITION BY LIST (dataset_id), with the same columns (identity id,
-- generated geom_3857), PRIMARY KEY (id, dataset_id), the same indexes as partitioned indexes, the
-- same foreign keys and a DEFAULT partition (<table>_default) for rows written outside imports (OGC
-- API creates). Why: PostgreSQL maintaining GiST, GIN and btree indexes row by row was what held a
-- 1,000,000-feature base map import to ogr2ogr's rate; now the loader COPYs an import into a fresh
-- table with no index (<table>_d<dataset id>), builds its indexes in bulk and attaches it as the
-- dataset's partition at commit, and a re-import drops the old partition instead of deleting rows.
--
-- Existing rows move over, each dataset into its own partition, ids kept. Migrations that come later
-- (tiles' views, the trigram indexes of feature search) work on the partitioned tables; a database
-- migrated past them before this migration existed must be created again.

-- +goose StatementBegin
CREATE FUNCTION pg_temp.partition_by_dataset(s text, t text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    old    regclass := format('%I.%I', s, t)::regclass;
    tmp    text := t || '_by_dataset';
    cols   text;
    last   bigint;
    ds     bigint;
    r      record;
    redo   text[] := '{}';
BEGIN
    -- Indexes and constraints to make again, with their names, once the old table is gone.
    FOR r IN SELECT pg_get_indexdef(i.indexrelid) AS def FROM pg_index i
             WHERE i.indrelid = old AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
             ORDER BY i.indexrelid
    LOOP
        redo := redo || r.def;
    END LOOP;
    FOR r IN SELECT conname, CASE contype WHEN 'p' THEN 'PRIMARY KEY (id, dataset_id)' ELSE pg_get_constraintdef(oid) END AS def
             FROM pg_constraint WHERE conrelid = old AND contype IN ('p', 'u', 'f')
             ORDER BY array_position(ARRAY['p', 'u', 'f']::"char"[], contype), conname
    LOOP
        redo := redo || format('ALTER TABLE %I.%I ADD CONSTRAINT %I %s', s, t, r.conname, r.def);
    END LOOP;

    EXECUTE format('CREATE TABLE %I.%I (LIKE %s INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING IDENTITY
                    INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS) PARTITION BY LIST (dataset_id)', s, tmp, old);
    FOR ds IN EXECUTE format('SELECT DISTINCT dataset_id FROM %s ORDER BY 1', old)
    LOOP
        EXECUTE format('CREATE TABLE %I.%I PARTITION OF %I.%I FOR VALUES IN (%s)', s, t || '_d' || ds, s, tmp, ds);
    END LOOP;
    EXECUTE format('CREATE TABLE %I.%I PARTITION OF %I.%I DEFAULT', s, t || '_default', s, tmp);

    SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols FROM pg_attribute
    WHERE attrelid = old AND attnum > 0 AND NOT attisdropped AND attgenerated = '';
    EXECUTE format('INSERT INTO %I.%I (%s) OVERRIDING SYSTEM VALUE SELECT %s FROM %s', s, tmp, cols, cols, old);
    last := pg_sequence_last_value(pg_get_serial_sequence(old::text, 'id')::regclass);

    EXECUTE format('DROP TABLE %s', old);
    EXECUTE format('ALTER TABLE %I.%I RENAME TO %I', s, tmp, t);
    EXECUTE format('ALTER SEQUENCE %s RENAME TO %I', pg_get_serial_sequence(format('%I.%I', s, t), 'id'), t || '_id_seq');
    IF last IS NOT NULL THEN
        PERFORM setval(format('%I.%I', s, t || '_id_seq'), last);
    END IF;
    FOR i IN 1 .. cardinality(redo)
    LOOP
        EXECUTE redo[i];
    END LOOP;
END
$$;
-- +goose StatementEnd

SELECT pg_temp.partition_by_dataset(s, t) FROM (VALUES
    ('basemap', 'building'), ('basemap', 'road'), ('basemap', 'facility'), ('basemap', 'water'),
    ('basemap', 'vegetation'), ('basemap', 'landform'), ('basemap', 'contour'), ('basemap', 'elevation_point'),
    ('basemap', 'control_point'), ('basemap', 'pipe_facility'), ('basemap', 'boundary'), ('basemap', 'annotation'),
    ('basemap', 'other'), ('pipeline', 'point'), ('pipeline', 'segment')) AS tables (s, t);
DROP FUNCTION pg_temp.partition_by_dataset(text, text);

-- +goose Down

-- +goose StatementBegin
CREATE FUNCTION pg_temp.unpartition(s text, t text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    parent regclass := format('%I.%I', s, t)::regclass;
    tmp    text := t || '_unpartitioned';
    cols   text;
    last   bigint;
    r      record;
    redo   text[] := '{}';
BEGIN
    FOR r IN SELECT replace(pg_get_indexdef(i.indexrelid), ' ON ONLY ', ' ON ') AS def FROM pg_index i
             WHERE i.indrelid = parent AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
             ORDER BY i.indexrelid
    LOOP
        redo := redo || r.def;
    END LOOP;
    FOR r IN SELECT conname, CASE contype WHEN 'p' THEN 'PRIMARY KEY (id)' ELSE pg_get_constraintdef(oid) END AS def
             FROM pg_constraint WHERE conrelid = parent AND contype IN ('p', 'u', 'f')
             ORDER BY array_position(ARRAY['p', 'u', 'f']::"char"[], contype), conname
    LOOP
        redo := redo || format('ALTER TABLE %I.%I ADD CONSTRAINT %I %s', s, t, r.conname, r.def);
    END LOOP;

    EXECUTE format('CREATE TABLE %I.%I (LIKE %s INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING IDENTITY
                    INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS)', s, tmp, parent);
    SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols FROM pg_attribute
    WHERE attrelid = parent AND attnum > 0 AND NOT attisdropped AND attgenerated = '';
    EXECUTE format('INSERT INTO %I.%I (%s) OVERRIDING SYSTEM VALUE SELECT %s FROM %s', s, tmp, cols, cols, parent);
    last := pg_sequence_last_value(pg_get_serial_sequence(parent::text, 'id')::regclass);

    EXECUTE format('DROP TABLE %s', parent); -- and its partitions
    EXECUTE format('ALTER TABLE %I.%I RENAME TO %I', s, tmp, t);
    EXECUTE format('ALTER SEQUENCE %s RENAME TO %I', pg_get_serial_sequence(format('%I.%I', s, t), 'id'), t || '_id_seq');
    IF last IS NOT NULL THEN
        PERFORM setval(format('%I.%I', s, t || '_id_seq'), last);
    END IF;
    FOR i IN 1 .. cardinality(redo)
    LOOP
        EXECUTE redo[i];
    END LOOP;
END
$$;
-- +goose StatementEnd

SELECT pg_temp.unpartition(s, t) FROM (VALUES
    ('basemap', 'building'), ('basemap', 'road'), ('basemap', 'facility'), ('basemap', 'water'),
    ('basemap', 'vegetation'), ('basemap', 'landform'), ('basemap', 'contour'), ('basemap', 'elevation_point'),
    ('basemap', 'control_point'), ('basemap', 'pipe_facility'), ('basemap', 'boundary'), ('basemap', 'annotation'),
    ('basemap', 'other'), ('pipeline', 'point'), ('pipeline', 'segment')) AS tables (s, t);
DROP FUNCTION pg_temp.unpartition(text, text);
