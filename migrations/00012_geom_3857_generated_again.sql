-- +goose Up

-- Migration 00011 made geom_3857 a plain column filled by the loader (Web Mercator in Go) and kept by
-- triggers for other writers, to spare the server ST_Transform on every imported row. Measured
-- side by side it spared nothing: inserting the same 50,000 building footprints into a table with the
-- generated column and into one with a plain column given the values took the server 1517, 2106,
-- 2090 ms against 1690, 2429, 2036 ms (alternating, EXPLAIN ANALYZE, 2 shared cores): the per-row
-- cost is in the GiST indexes and the foreign-key check, and ST_Transform of a footprint is lost in
-- their noise. So geom_3857 is generated again: one mechanism, nothing any writer can get wrong.

-- +goose StatementBegin
DO $$
DECLARE t record;
BEGIN
    FOR t IN SELECT tgrelid::regclass AS tbl FROM pg_trigger WHERE tgname = 'geom_3857_on_insert' ORDER BY 1
    LOOP
        EXECUTE format('DROP TRIGGER geom_3857_on_insert ON %s', t.tbl);
        EXECUTE format('DROP TRIGGER geom_3857_on_update ON %s', t.tbl);
        EXECUTE format('ALTER TABLE %s DROP COLUMN geom_3857', t.tbl);
        EXECUTE format('ALTER TABLE %s ADD COLUMN geom_3857 geometry(Geometry, 3857) GENERATED ALWAYS AS (ST_Force2D(ST_Transform(geom, 3857))) STORED', t.tbl);
        EXECUTE format('CREATE INDEX ON %s USING gist (geom_3857)', t.tbl);
    END LOOP;
END
$$;
-- +goose StatementEnd
DROP FUNCTION catalog.track_geom_3857(regclass);
DROP FUNCTION catalog.sync_geom_3857();

-- +goose Down
-- +goose StatementBegin
CREATE FUNCTION catalog.sync_geom_3857() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.geom_3857 := ST_Force2D(ST_Transform(NEW.geom, 3857));
    RETURN NEW;
END
$$;

-- Attach the trigger to a table with geom and a plain geom_3857 column (also used for tables created
-- later, such as reference layers).
CREATE FUNCTION catalog.track_geom_3857(tbl regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format($f$CREATE TRIGGER geom_3857_on_insert BEFORE INSERT ON %s FOR EACH ROW
        WHEN (current_setting('yitu.geom_3857', true) IS DISTINCT FROM 'loader')
        EXECUTE FUNCTION catalog.sync_geom_3857()$f$, tbl);
    EXECUTE format($f$CREATE TRIGGER geom_3857_on_update BEFORE UPDATE OF geom, geom_3857 ON %s FOR EACH ROW
        EXECUTE FUNCTION catalog.sync_geom_3857()$f$, tbl);
END
$$;

DO $$
DECLARE t record;
BEGIN
    FOR t IN SELECT c.oid::regclass AS tbl FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE a.attname = 'geom_3857' AND a.attgenerated = 's' AND n.nspname IN ('basemap', 'pipeline')
             ORDER BY 1
    LOOP
        EXECUTE format('ALTER TABLE %s ALTER COLUMN geom_3857 DROP EXPRESSION', t.tbl);
        PERFORM catalog.track_geom_3857(t.tbl);
    END LOOP;
END
$$;
-- +goose StatementEnd

