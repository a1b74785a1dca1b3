SELECT p.id, p.point_no, p.pipe_type, t.name_zh, t.color, p.feature, p.appendage, p.cover_spec,
       p.ground_elev::float8, p.depth::float8, p.well_depth::float8, p.owner, p.road_name,
       ST_X(p.geom), ST_Y(p.geom), coalesce(p.ground_elev, ST_Z(p.geom) + p.depth)::float8
FROM pipeline.point p
JOIN pipeline.type t ON t.code = p.pipe_type
WHERE p.id = ANY($1)
