-- CIM buildings of one tile with their attributes and, where they have thematic surfaces, those
-- (kind, geometry and appearance per surface) instead of the whole geometry.
SELECT b.id, b.gml_id, b.class, b.name, b.function, b.usage, b.roof_type, b.measured_height::float8,
       b.storeys_above, b.year_built, b.address, b.lod, d.name, b.attributes::text, b.dataset_id,
       coalesce(s.kinds, ARRAY[]::text[]),
       coalesce(s.geoms, ARRAY[ST_AsBinary(b.geom)]),
       coalesce(s.appearances, ARRAY[NULL]::text[])
FROM cim.building b
JOIN catalog.dataset d ON d.id = b.dataset_id
LEFT JOIN LATERAL (
    SELECT array_agg(kind ORDER BY id) AS kinds, array_agg(ST_AsBinary(geom) ORDER BY id) AS geoms,
           array_agg(appearance::text ORDER BY id) AS appearances
    FROM cim.surface WHERE dataset_id = b.dataset_id AND building_gml_id = b.gml_id) s ON true
WHERE b.id = ANY($1)
