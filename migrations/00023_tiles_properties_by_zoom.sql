-- +goose Up
-- Attributes by zoom. Below z17 the one-map style draws buildings, pipes, pipe points, annotations and
-- elevation points from a handful of attributes (pipe type and diameter, appendage, annotation text
-- and rotation, elevation); the rest (pipe numbers, depths, owners, road names, floors, addresses...)
-- is read by people through identify and the features API, and by the z17 labels. Encoding them all
-- into every overview tile cost the database most of these layers' time: a dense z16 tile's pipe
-- segments took 3.2 ms with their 15 attributes and 0.85 ms with the two the style uses. They now
-- enter the tiles at z17 (tile_min_zoom); MapLibre overzooms the z17+ tiles for the labels.
CREATE FUNCTION pg_temp.tile_min_zoom(props jsonb, keep text[], z integer) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(jsonb_agg(CASE WHEN p->>'name' = ANY (keep) THEN p - 'tile_min_zoom'
                                   ELSE p || jsonb_build_object('tile_min_zoom', z) END ORDER BY n), '[]')
    FROM jsonb_array_elements(props) WITH ORDINALITY AS e(p, n)
$$;
UPDATE catalog.layer SET properties = pg_temp.tile_min_zoom(properties, k.keep, 17)
FROM (VALUES ('basemap.building', '{code}'::text[]),
             ('basemap.annotation', '{text,rotation}'),
             ('basemap.elevation_point', '{elevation}'),
             ('pipeline.point', '{pipe_type,appendage}'),
             ('pipeline.segment', '{pipe_type,diameter_mm}')) AS k(id, keep)
WHERE catalog.layer.id = k.id;
DROP FUNCTION pg_temp.tile_min_zoom(jsonb, text[], integer);

-- +goose Down
UPDATE catalog.layer
SET properties = (SELECT jsonb_agg(p - 'tile_min_zoom' ORDER BY n) FROM jsonb_array_elements(properties) WITH ORDINALITY AS e(p, n))
WHERE id IN ('basemap.building', 'basemap.annotation', 'basemap.elevation_point', 'pipeline.point', 'pipeline.segment');
