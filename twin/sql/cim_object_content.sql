SELECT o.id, o.gml_id, o.class, o.name, o.lod, o.attributes::text,
       ST_AsBinary(ST_CollectionExtract(ST_Multi(o.geom), 3))
FROM cim.city_object o
WHERE o.id = ANY($1)
