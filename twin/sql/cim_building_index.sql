-- Index of CIM buildings (and parts) with geometry; $1 dataset id or 0 for every dataset.
SELECT b.id, ST_XMin(b.footprint), ST_YMin(b.footprint), ST_XMax(b.footprint), ST_YMax(b.footprint),
       ST_ZMin(b.geom), ST_ZMax(b.geom)
FROM cim.building b
WHERE b.geom IS NOT NULL AND ($1 = 0 OR b.dataset_id = $1)
