-- +goose Up
-- z14 (about 1:35,000, 4 m a pixel) was served from the full tables: a town-centre z14 tile held 5,409
-- buildings and as many label points, and cost the database 30 ms for the buildings and 10 ms for the
-- labels, a quarter of all the database time of the z12–16 tile list on a twelfth of its tiles.
-- * Buildings at z14 become blocks as topographic maps draw them at this scale (街区): buildings
--   within 5 m (a pixel) of each other merge, sharp corners kept; every building is back at z15.
-- * Label points at z14–15 are thinned to the largest in each 128 m cell (at z15 a cell is 55 px, at
--   z14 27 px, while a label is 60–100 px wide, so MapLibre would hide the others anyway); every label
--   is back at z16.
CREATE MATERIALIZED VIEW tiles.building_z14 AS
WITH clustered AS (
    SELECT geom_3857, code, ST_ClusterDBSCAN(geom_3857, eps => 5, minpoints => 1) OVER () AS cluster
    FROM basemap.building
), blocks AS (
    SELECT cluster, min(code) AS code,
           ST_SimplifyPreserveTopology(ST_Buffer(ST_Buffer(ST_Collect(geom_3857), 2.5, 'join=mitre'), -2.5, 'join=mitre'), 1.5) AS geom_3857
    FROM clustered GROUP BY cluster
)
SELECT cluster::bigint + 1 AS id, code, geom_3857, ST_Transform(geom_3857, 4490) AS geom
FROM blocks WHERE NOT ST_IsEmpty(geom_3857) AND ST_Area(geom_3857) >= 60;
CREATE UNIQUE INDEX ON tiles.building_z14 (id);
CREATE INDEX ON tiles.building_z14 USING gist (geom_3857);
CREATE INDEX ON tiles.building_z14 USING gist (geom);

CREATE MATERIALIZED VIEW tiles.label_z14 AS
SELECT DISTINCT ON (floor(ST_X(geom_3857) / 128), floor(ST_Y(geom_3857) / 128)) id, class, name, rank, geom_3857, geom
FROM tiles.label
ORDER BY floor(ST_X(geom_3857) / 128), floor(ST_Y(geom_3857) / 128), rank DESC, id;
CREATE UNIQUE INDEX ON tiles.label_z14 (id);
CREATE INDEX ON tiles.label_z14 USING gist (geom_3857);
CREATE INDEX ON tiles.label_z14 USING gist (geom);

INSERT INTO tiles.generalized (layer_id, min_zoom, max_zoom, schema_name, table_name) VALUES
    ('basemap.building', 14, 14, 'tiles', 'building_z14'),
    ('basemap.label', 14, 15, 'tiles', 'label_z14');
INSERT INTO tiles.derived (view_schema, view_name, sources, layers) VALUES
    ('tiles', 'building_z14', '{basemap.building}', '{basemap.building}'),
    ('tiles', 'label_z14', '{basemap.building,basemap.water,basemap.vegetation}', '{basemap.label}');

-- +goose Down
DELETE FROM tiles.generalized WHERE table_name IN ('building_z14', 'label_z14');
DELETE FROM tiles.derived WHERE view_name IN ('building_z14', 'label_z14');
DROP MATERIALIZED VIEW tiles.label_z14;
DROP MATERIALIZED VIEW tiles.building_z14;
