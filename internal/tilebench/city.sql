-- A generated city the size of the demo city (20,000 buildings, a street grid, seven pipeline networks)
-- in Laizhou's old town, deterministic (setseed). Parameters: none. Units: metres converted to degrees
-- at latitude 37.18 (1 m ≈ 1.1274e-5° of longitude, 9.0e-6° of latitude).
SELECT setseed(0.42);

INSERT INTO catalog.dataset (name, kind, format, source, source_hash, source_crs, imported_by, bbox)
VALUES ('bench-city', 'basemap', 'generated', 'internal/tilebench/city.sql', 'generated', 'EPSG:4490', 'tilebench',
        ST_MakeEnvelope(119.92, 37.16, 119.92 + 5300 * 1.1274e-5, 37.16 + 4400 * 9.0e-6, 4490));

CREATE TEMP TABLE g AS SELECT (SELECT id FROM catalog.dataset WHERE name = 'bench-city') AS ds,
    119.92::float8 AS lon0, 37.16::float8 AS lat0, 1.1274e-5::float8 AS mx, 9.0e-6::float8 AS my;

-- Streets: 54 north-south roads every 100 m (路), 45 east-west (街), cut into 100 m blocks; every
-- fourth is a main road.
CREATE TEMP TABLE street AS
SELECT dir, i, j, main, geom,
       CASE dir WHEN 'v' THEN (ARRAY['府前','光明','文昌','掖县','云峰','北苑','莱山','东莱','海港','鲁信','玉皇','城港','汇泉','振华'])[i / 4 + 1] || '路'
                ELSE (ARRAY['文化','文泉','莱州','掖城','西关','东关','大原','南阳','新华','永安','明珠','富强'])[j / 4 + 1] || CASE WHEN main THEN '大街' ELSE '街' END END AS name
FROM (
    SELECT 'v' AS dir, i, j, (i % 4 = 0) AS main,
           ST_SetSRID(ST_MakeLine(ST_MakePoint(lon0 + i * 100 * mx, lat0 + j * 100 * my), ST_MakePoint(lon0 + i * 100 * mx, lat0 + (j + 1) * 100 * my)), 4490) AS geom
    FROM g, generate_series(0, 53) i, generate_series(0, 43) j
    UNION ALL
    SELECT 'h', i, j, (j % 4 = 0),
           ST_SetSRID(ST_MakeLine(ST_MakePoint(lon0 + i * 100 * mx, lat0 + j * 100 * my), ST_MakePoint(lon0 + (i + 1) * 100 * mx, lat0 + j * 100 * my)), 4490)
    FROM g, generate_series(0, 52) i, generate_series(0, 44) j
) s;

INSERT INTO basemap.road (dataset_id, source_layer, code, name, grade, width, geom)
SELECT g.ds, 'DLSS', CASE WHEN main THEN '164100' ELSE '164300' END, name,
       CASE WHEN main THEN '主干路' ELSE '支路' END, CASE WHEN main THEN 24 ELSE 8 END, geom
FROM street, g;

-- Buildings: up to nine per block, 12–24 m footprints, jittered; the first 20,000.
INSERT INTO basemap.building (dataset_id, source_layer, code, name, floors, structure, height, address, geom)
SELECT ds, 'JMD', '141101', CASE WHEN n % 7 = 0 THEN '第' || n || '幢' ELSE NULL END, floors,
       (ARRAY['砼', '砖', '钢', '混'])[1 + n % 4], floors * 3.0, '莱州市' || n || '号',
       ST_Multi(ST_MakeEnvelope(x, y, x + w * mx, y + h * my, 4490))
FROM (
    SELECT row_number() OVER (ORDER BY i, j, k) AS n, g.ds,
           lon0 + (i * 100 + 14 + (k % 3) * 26 + random() * 4) * g.mx AS x,
           lat0 + (j * 100 + 14 + (k / 3) * 26 + random() * 4) * g.my AS y,
           12 + random() * 12 AS w, 12 + random() * 10 AS h, 1 + (random() * random() * 30)::int AS floors, g.mx, g.my
    FROM g, generate_series(0, 52) i, generate_series(0, 43) j, generate_series(0, 8) k
) b
WHERE n <= 20000;

-- Water: the 南阳河 crossing the town, 40 m wide; a pond.
INSERT INTO basemap.water (dataset_id, source_layer, code, name, geom)
SELECT ds, 'SXSS', '186100', '南阳河', ST_Transform(ST_Buffer(ST_Transform(ST_SetSRID(ST_MakeLine(ARRAY[
        ST_MakePoint(lon0, lat0 + 2050 * my), ST_MakePoint(lon0 + 1500 * mx, lat0 + 1900 * my),
        ST_MakePoint(lon0 + 3000 * mx, lat0 + 2250 * my), ST_MakePoint(lon0 + 5300 * mx, lat0 + 2100 * my)]), 4490), 3857), 20), 4490)
FROM g
UNION ALL
SELECT ds, 'SXSS', '186200', '人民公园湖', ST_Transform(ST_Buffer(ST_Transform(ST_SetSRID(ST_MakePoint(lon0 + 2650 * mx, lat0 + 3250 * my), 4490), 3857), 60), 4490)
FROM g;

-- Vegetation: a park every 17 blocks.
INSERT INTO basemap.vegetation (dataset_id, source_layer, code, name, geom)
SELECT ds, 'ZBTZ', '211100', '街心公园' || (i * 44 + j), ST_MakeEnvelope(lon0 + (i * 100 + 10) * mx, lat0 + (j * 100 + 10) * my, lon0 + (i * 100 + 90) * mx, lat0 + (j * 100 + 90) * my, 4490)
FROM g, generate_series(0, 52) i, generate_series(0, 43) j WHERE (i * 44 + j) % 17 = 0;

-- Boundaries: the town, and the county around it (for the z10 tile).
INSERT INTO basemap.boundary (dataset_id, source_layer, code, name, geom)
SELECT ds, 'JJ', '250200', '城港路街道', ST_ExteriorRing(ST_MakeEnvelope(lon0, lat0, lon0 + 5300 * mx, lat0 + 4400 * my, 4490)) FROM g
UNION ALL
SELECT ds, 'JJ', '250100', '莱州市', ST_SetSRID(ST_MakeLine(ARRAY(
    SELECT ST_MakePoint(119.95 + 0.33 * cos(a) * (1 + 0.08 * sin(5 * a)), 37.18 + 0.22 * sin(a) * (1 + 0.08 * cos(3 * a)))
    FROM generate_series(0, 360) d, LATERAL (SELECT radians(d) AS a) r ORDER BY d)), 4490) FROM g;

-- Annotations: street names mid-block on main roads; control and spot heights.
INSERT INTO basemap.annotation (dataset_id, source_layer, code, name, text, font_height, rotation, geom)
SELECT g.ds, 'ZJ', '190000', '', s.name, 4.0, CASE WHEN s.dir = 'v' THEN 90 ELSE 0 END, ST_LineInterpolatePoint(s.geom, 0.5)
FROM street s, g WHERE s.main AND (s.i + s.j) % 2 = 0;

INSERT INTO basemap.control_point (dataset_id, source_layer, code, name, point_name, grade, elevation, geom)
SELECT ds, 'KZD', '131100', 'I' || n, 'I' || n, '一级', 10 + random() * 20,
       ST_SetSRID(ST_MakePoint(lon0 + random() * 5300 * mx, lat0 + random() * 4400 * my), 4490)
FROM g, generate_series(1, 60) n;

INSERT INTO basemap.elevation_point (dataset_id, source_layer, code, name, elevation, geom)
SELECT ds, 'GCD', '202101', '', 10 + random() * 20, ST_SetSRID(ST_MakePoint(lon0 + random() * 5300 * mx, lat0 + random() * 4400 * my), 4490)
FROM g, generate_series(1, 3000) n;

-- Pipelines: under every street, water supply, sewage and power; under main roads also storm water,
-- gas, telecom and heating; 50 m segments between surveyed points, offset from the centreline.
CREATE TEMP TABLE pipe AS
SELECT s.*, t.code AS pipe_type, t.off
FROM street s
JOIN (VALUES ('JS', -6, false), ('WS', 0, false), ('DL', 6, false), ('YS', -3, true), ('RQ', 3, true),
             ('TX', 9, true), ('RL', -9, true)) AS t(code, off, main_only) ON s.main OR NOT t.main_only;

CREATE TEMP TABLE pipe_pt AS
SELECT p.pipe_type, p.dir, p.i, p.j, k,
       p.pipe_type || p.dir || lpad(p.i::text, 2, '0') || lpad(p.j::text, 2, '0') || k AS point_no,
       ST_Translate(ST_LineInterpolatePoint(p.geom, k / 2.0),
                    CASE WHEN p.dir = 'v' THEN p.off * g.mx ELSE 0 END, CASE WHEN p.dir = 'h' THEN p.off * g.my ELSE 0 END) AS geom
FROM pipe p, g, generate_series(0, 2) k;

INSERT INTO pipeline.point (dataset_id, point_no, pipe_type, feature, appendage, ground_elev, depth, geom)
SELECT g.ds, point_no, pipe_type, '直线点', CASE WHEN k = 1 THEN '检修井' ELSE (ARRAY['阀门', '', '消防栓', ''])[1 + (i + j) % 4] END,
       12 + random() * 4, 0.8 + random() * 1.5, ST_Force3D(geom, 10 + random() * 3)
FROM pipe_pt, g WHERE k < 2;

INSERT INTO pipeline.segment (dataset_id, pipe_type, start_no, end_no, diameter_mm, material, burial, pressure, built_year, owner, road_name, geom)
SELECT g.ds, a.pipe_type, a.point_no, b.point_no,
       CASE a.pipe_type WHEN 'DL' THEN NULL WHEN 'TX' THEN NULL ELSE (ARRAY[110, 160, 200, 300, 400, 600])[1 + (a.i * 7 + a.j) % 6] END,
       (ARRAY['球墨铸铁', 'PE', '钢', '砼'])[1 + (a.i + a.j) % 4], '直埋', CASE a.pipe_type WHEN 'DL' THEN '10kV' WHEN 'RQ' THEN '中压' ELSE NULL END,
       1990 + (a.i * 13 + a.j) % 34, '莱州市' || a.pipe_type || '公司', '',
       ST_MakeLine(ST_Force3D(a.geom, 10), ST_Force3D(b.geom, 10))
FROM pipe_pt a JOIN pipe_pt b ON a.pipe_type = b.pipe_type AND a.dir = b.dir AND a.i = b.i AND a.j = b.j AND b.k = a.k + 1, g;

ANALYZE basemap.building, basemap.road, basemap.water, basemap.vegetation, basemap.boundary, basemap.annotation,
        basemap.control_point, basemap.elevation_point, pipeline.point, pipeline.segment;
