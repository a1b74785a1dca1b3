-- Index of other city objects with surfaces; $1 dataset id.
SELECT o.id, ST_XMin(o.geom), ST_YMin(o.geom), ST_XMax(o.geom), ST_YMax(o.geom), ST_ZMin(o.geom), ST_ZMax(o.geom)
FROM cim.city_object o
WHERE o.dataset_id = $1 AND ST_Dimension(o.geom) >= 2
