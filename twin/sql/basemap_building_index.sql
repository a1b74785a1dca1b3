-- Index of base-map buildings for the buildings tileset: extent, height and weight of every building
-- not covered by a CIM building. $1 storey height (m), $2 floors assumed when neither height nor
-- floors is known.
SELECT b.id,
       ST_XMin(b.geom), ST_YMin(b.geom), ST_XMax(b.geom), ST_YMax(b.geom),
       coalesce(b.height, b.floors * $1::float8, $2::int * $1::float8)::float8 AS height
FROM basemap.building b
WHERE NOT EXISTS (
    SELECT 1 FROM cim.building c
    WHERE c.footprint && b.geom AND ST_Intersects(c.footprint, ST_PointOnSurface(b.geom)))
