-- +goose Up
-- Label points at z16 thinned to the largest in each 48 m cell (40 px at z16, while a building's
-- name is about 50 px wide): a town-centre z16 tile carried 466 label points, of which MapLibre places
-- only those that do not collide, and they cost the database a tenth of the tile (and the viewer the
-- placement of every one). 7,643 of the demo city's 22,059 remain; every label is back at z17.
-- Refreshed after tiles.label, which it thins (views refresh in name order).
CREATE MATERIALIZED VIEW tiles.label_z16 AS
SELECT DISTINCT ON (floor(ST_X(geom_3857) / 48), floor(ST_Y(geom_3857) / 48)) id, class, name, rank, geom_3857, geom
FROM tiles.label
ORDER BY floor(ST_X(geom_3857) / 48), floor(ST_Y(geom_3857) / 48), rank DESC, id;
CREATE UNIQUE INDEX ON tiles.label_z16 (id);
CREATE INDEX ON tiles.label_z16 USING gist (geom_3857);
CREATE INDEX ON tiles.label_z16 USING gist (geom);

INSERT INTO tiles.generalized (layer_id, min_zoom, max_zoom, schema_name, table_name)
VALUES ('basemap.label', 16, 16, 'tiles', 'label_z16');
INSERT INTO tiles.derived (view_schema, view_name, sources, layers)
VALUES ('tiles', 'label_z16', '{basemap.building,basemap.water,basemap.vegetation}', '{basemap.label}');

-- +goose Down
DELETE FROM tiles.generalized WHERE table_name = 'label_z16';
DELETE FROM tiles.derived WHERE view_name = 'label_z16';
DROP MATERIALIZED VIEW tiles.label_z16;
