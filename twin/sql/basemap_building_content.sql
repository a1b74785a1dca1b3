-- Base-map buildings of one tile: footprint, attributes, height and the ground height from the
-- nearest spot height (高程点) within about 300 m. $1 ids, $2 storey height, $3 default floors,
-- $4 ground height where no spot height is near.
SELECT b.id, ST_AsBinary(ST_Force2D(b.geom)), b.name, b.code, b.address, b.structure, b.floors,
       b.height::float8, coalesce(b.height, b.floors * $2::float8, $3::int * $2::float8)::float8,
       coalesce((SELECT e.elevation FROM basemap.elevation_point e
                 WHERE e.elevation IS NOT NULL AND ST_DWithin(e.geom, b.geom, 0.003)
                 ORDER BY e.geom <-> b.geom LIMIT 1), $4::float8)::float8
FROM basemap.building b
WHERE b.id = ANY($1)
