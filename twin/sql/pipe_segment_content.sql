SELECT s.id, s.pipe_type, t.name_zh, t.color, s.material, s.diameter_mm::float8, s.width_mm::float8,
       s.height_mm::float8, s.start_depth::float8, s.end_depth::float8, s.start_no, s.end_no, s.burial,
       s.pressure, s.built_year, s.owner, s.road_name, ST_AsBinary(s.geom)
FROM pipeline.segment s
JOIN pipeline.type t ON t.code = s.pipe_type
WHERE s.id = ANY($1)
