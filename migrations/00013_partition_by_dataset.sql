-- +goose Up

-- The per-dataset feature tables (every basemap table, pipeline.point and pipeline.segment) become
-- partitioned by dataset: PARTITION BY LIST (dataset_id), with the same columns (identity id,
-- generated geom_3857), PRIMARY KEY (id, dataset_id), the same indexes as partitioned indexes, the
-- same foreign keys and a DEFAULT partition (<table>_default) for rows written outside imports (OGC
-- API creates). Why: PostgreSQL maintaining GiST, GIN and btree indexes row by row was what held a
-- 1,000,000-feature base map import to ogr2ogr's rate; now the loader COPYs an import into a fresh
-- table with no index (<table>_d<dataset id>), builds its indexes in bulk and attaches it as the
-- dataset's partition at commit, and a re-import drops the old partition instead of deleting rows.
-- The btree index on dataset_id alone is kept on the DEFAULT partition only: every other partition
-- holds a single dataset_id, where it would be built at every import for nothing.
--
-- Existing rows move over, each dataset into its own partition, ids kept. Migrations that come later
-- (tiles' views, the trigram indexes of feature search) work on the partitioned tables; a database
-- migrated past them before this migration existed must be created again.

-- catalog.partition_by_dataset(schema, table, partitioned) converts a table with the columns id
-- (identity) and dataset_id into one partitioned by dataset (partitioned = true) or back (false),
-- rows, ids, identity, indexes and constraints (names kept) included; an index on dataset_id alone
-- moves to the DEFAULT partition and back. A later migration that adds a per-dataset feature table
-- creates it plainly and converts it with this.
-- +goose StatementBegin
CREATE FUNCTION catalog.partition_by_dataset(s text, t text, partitioned boolean DEFAULT true) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    old  regclass := format('%I.%I', s, t)::regclass;
    tmp  text := t || '_converting';
    cols text;
    last bigint;
    ds   bigint;
    r    record;
    redo text[] := '{}';
BEGIN
    IF (SELECT relkind = 'p' FROM pg_class WHERE oid = old) = partitioned THEN
        RETURN;
    END IF;
    SELECT string_agg(DISTINCT rw.ev_class::regclass::text, ', ') INTO cols
    FROM pg_depend d JOIN pg_rewrite rw ON rw.oid = d.objid
    WHERE d.classid = 'pg_rewrite'::regclass AND d.refobjid = old AND rw.ev_class <> old;
    IF cols IS NOT NULL THEN
        RAISE EXCEPTION 'cannot partition % by dataset: views depend on it (%); a database migrated past version 20 before migration 13 existed must be created again', old, cols;
    END IF;
    -- Indexes and constraints to make again, with their names, once the old table is gone.
    FOR r IN SELECT replace(pg_get_indexdef(i.indexrelid), ' ON ONLY ', ' ON ') AS def, i.indrelid <> old AS on_default,
                    i.indnatts = 1 AND i.indexprs IS NULL AND i.indpred IS NULL
                    AND (SELECT attname FROM pg_attribute WHERE attrelid = i.indrelid AND attnum = i.indkey[0]) = 'dataset_id' AS by_dataset
             FROM pg_index i
             WHERE i.indrelid IN (old, (SELECT partdefid FROM pg_partitioned_table WHERE partrelid = old))
               AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
             ORDER BY i.indexrelid
    LOOP
        IF r.by_dataset THEN
            redo := redo || format('CREATE INDEX ON %I.%I (dataset_id)', s, CASE WHEN partitioned THEN t || '_default' ELSE t END);
        ELSIF NOT r.on_default THEN
            redo := redo || r.def;
        END IF;
    END LOOP;
    FOR r IN SELECT conname, CASE WHEN contype <> 'p' THEN pg_get_constraintdef(oid)
                                  WHEN partitioned THEN 'PRIMARY KEY (id, dataset_id)' ELSE 'PRIMARY KEY (id)' END AS def
             FROM pg_constraint WHERE conrelid = old AND contype IN ('p', 'u', 'f')
             ORDER BY array_position(ARRAY['p', 'u', 'f']::"char"[], contype), conname
    LOOP
        redo := redo || format('ALTER TABLE %I.%I ADD CONSTRAINT %I %s', s, t, r.conname, r.def);
    END LOOP;

    EXECUTE format('CREATE TABLE %I.%I (LIKE %s INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING IDENTITY
                    INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS) %s',
                   s, tmp, old, CASE WHEN partitioned THEN 'PARTITION BY LIST (dataset_id)' ELSE '' END);
    IF partitioned THEN
        FOR ds IN EXECUTE format('SELECT DISTINCT dataset_id FROM %s ORDER BY 1', old)
        LOOP
            EXECUTE format('CREATE TABLE %I.%I PARTITION OF %I.%I FOR VALUES IN (%s)', s, t || '_d' || ds, s, tmp, ds);
        END LOOP;
        EXECUTE format('CREATE TABLE %I.%I PARTITION OF %I.%I DEFAULT', s, t || '_default', s, tmp);
    END IF;

    SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols FROM pg_attribute
    WHERE attrelid = old AND attnum > 0 AND NOT attisdropped AND attgenerated = '';
    EXECUTE format('INSERT INTO %I.%I (%s) OVERRIDING SYSTEM VALUE SELECT %s FROM %s', s, tmp, cols, cols, old);
    last := pg_sequence_last_value(pg_get_serial_sequence(old::text, 'id')::regclass);

    EXECUTE format('DROP TABLE %s', old); -- with its partitions
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

SELECT catalog.partition_by_dataset(s, t) FROM (VALUES
    ('basemap', 'building'), ('basemap', 'road'), ('basemap', 'facility'), ('basemap', 'water'),
    ('basemap', 'vegetation'), ('basemap', 'landform'), ('basemap', 'contour'), ('basemap', 'elevation_point'),
    ('basemap', 'control_point'), ('basemap', 'pipe_facility'), ('basemap', 'boundary'), ('basemap', 'annotation'),
    ('basemap', 'other'), ('pipeline', 'point'), ('pipeline', 'segment')) AS tables (s, t);

-- +goose Down
SELECT catalog.partition_by_dataset(s, t, false) FROM (VALUES
    ('basemap', 'building'), ('basemap', 'road'), ('basemap', 'facility'), ('basemap', 'water'),
    ('basemap', 'vegetation'), ('basemap', 'landform'), ('basemap', 'contour'), ('basemap', 'elevation_point'),
    ('basemap', 'control_point'), ('basemap', 'pipe_facility'), ('basemap', 'boundary'), ('basemap', 'annotation'),
    ('basemap', 'other'), ('pipeline', 'point'), ('pipeline', 'segment')) AS tables (s, t);
DROP FUNCTION catalog.partition_by_dataset(text, text, boolean);
