-- Index of the pipelines tileset: segments (kind 0) with their section size, and wells (kind 1):
-- pipe points with a well depth, from the ground down.
SELECT 0, s.id, ST_XMin(s.geom), ST_YMin(s.geom), ST_XMax(s.geom), ST_YMax(s.geom),
       ST_ZMin(s.geom) - r.half, ST_ZMax(s.geom) + r.half, ST_Length(s.geom) * r.half
FROM pipeline.segment s,
     LATERAL (SELECT coalesce(greatest(s.diameter_mm, s.width_mm, s.height_mm), 200)::float8 / 2000 AS half) r
UNION ALL
SELECT 1, p.id, ST_X(p.geom), ST_Y(p.geom), ST_X(p.geom), ST_Y(p.geom),
       g.ground - p.well_depth, g.ground, p.well_depth * 0.001
FROM pipeline.point p,
     LATERAL (SELECT coalesce(p.ground_elev, ST_Z(p.geom) + p.depth)::float8 AS ground) g
WHERE p.well_depth > 0 AND g.ground IS NOT NULL
