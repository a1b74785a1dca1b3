package oblique

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yitu-gis/yitu/importers/loader"
	"github.com/yitu-gis/yitu/internal/shareddata"
	"github.com/yitu-gis/yitu/spatial/pgtest"
	"github.com/yitu-gis/yitu/twin/glb/glbtest"
)

// importWith runs one import through the loader, as yitu import does.
func importWith(t testing.TB, pool *pgxpool.Pool, dataset, format, path string, run func(context.Context, *loader.Batch) error) (*loader.Report, error) {
	t.Helper()
	ctx := context.Background()
	b, err := loader.New(pool, nil).Begin(ctx, loader.Options{Dataset: dataset, Kind: "oblique", Format: format, Source: path})
	if err != nil {
		return nil, err
	}
	defer b.Rollback(ctx)
	if err := run(ctx, b); err != nil {
		return nil, err
	}
	return b.Commit(ctx)
}

// rowCounts counts the rows of every table of the Yitu schemas.
func rowCounts(t testing.TB, pool *pgxpool.Pool) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	rows, err := pool.Query(ctx, `SELECT schemaname, tablename FROM pg_tables
		WHERE schemaname IN ('catalog', 'basemap', 'pipeline', 'cim', 'twin', 'live', 'ops', 'auth') ORDER BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (pgx.Identifier, error) {
		var s, n string
		err := r.Scan(&s, &n)
		return pgx.Identifier{s, n}, err
	})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, tb := range tables {
		var n int64
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM "+tb.Sanitize()).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[tb.Sanitize()] = n
	}
	return out
}

func sameCounts(t testing.TB, before, after map[string]int64) {
	t.Helper()
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s: %d rows before, %d after a refused import", k, v, after[k])
		}
	}
}

// contextCaptureFolder lays out a ContextCapture-style export around the shared tile file.
func contextCaptureFolder(t testing.TB, srs, origin string, tile []byte) string {
	t.Helper()
	dir := t.TempDir()
	tileDir := filepath.Join(dir, "Data", "Tile_+000_+000")
	if err := os.MkdirAll(tileDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tileDir, "Tile_+000_+000.osgb"), tile, 0o644); err != nil {
		t.Fatal(err)
	}
	md := fmt.Sprintf("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<ModelMetadata version=\"1\">\n\t<SRS>%s</SRS>\n\t<SRSOrigin>%s</SRSOrigin>\n\t<Texture>\n\t\t<ColorSource>Visible</ColorSource>\n\t</Texture>\n</ModelMetadata>\n", srs, origin)
	if err := os.WriteFile(filepath.Join(dir, "metadata.xml"), []byte(md), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func sharedTile(t testing.TB) []byte {
	b, err := os.ReadFile(shareddata.Path(t, "osgb/test.osgb"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type storedNode struct {
	ID, Parent     int64
	Name           string
	Volume         map[string][]float64
	GeometricError float64
	Transform      []float64
	ContentType    string
	Content        []byte
}

func storedModel(t testing.TB, pool *pgxpool.Pool, name string) (kind string, root []float64, nodes []storedNode) {
	t.Helper()
	ctx := context.Background()
	var id int64
	if err := pool.QueryRow(ctx, `SELECT id, kind, root_transform FROM twin.model WHERE name = $1`, name).Scan(&id, &kind, &root); err != nil {
		t.Fatalf("model %s: %v", name, err)
	}
	rows, err := pool.Query(ctx, `SELECT id, coalesce(parent_id, 0), name, bounding_volume, geometric_error, transform,
		coalesce(content_type, ''), content FROM twin.model_node WHERE model_id = $1 ORDER BY id`, id)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n storedNode
		var vol []byte
		if err := rows.Scan(&n.ID, &n.Parent, &n.Name, &vol, &n.GeometricError, &n.Transform, &n.ContentType, &n.Content); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(vol, &n.Volume); err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return kind, root, nodes
}

func checkGLBs(t testing.TB, nodes []storedNode) {
	t.Helper()
	glbs := map[string][]byte{}
	for _, n := range nodes {
		if n.ContentType == "glb" {
			glbs[n.Name] = n.Content
		}
	}
	if len(glbs) == 0 {
		t.Fatal("no glb content")
	}
	glbtest.CheckBytes(t, glbs)
}

func TestImportSharedTileENU(t *testing.T) {
	pool := pgtest.New(t)
	dir := contextCaptureFolder(t, "ENU:37.18,119.94", "0,0,0", sharedTile(t))
	rep, err := importWith(t, pool, "test-osgb", "osgb", dir, func(ctx context.Context, b *loader.Batch) error {
		return ImportOSGB(ctx, b, dir, Options{})
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Counts["model"] != 1 || rep.Counts["model_node"] != 2 || rep.SourceCRS != "ENU:37.18,119.94" || rep.BBox == nil {
		t.Fatalf("report: %+v", rep)
	}
	if !strings.Contains(strings.Join(rep.Warnings, "\n"), "Tile_+000_+000_L16_0.osgb is missing") {
		t.Errorf("warnings %v do not name the missing child tile", rep.Warnings)
	}
	// the footprint is around 119.94E 37.18N (the tile is some 150 m south-west of the origin)
	if b := rep.BBox; b[0] < 119.93 || b[2] > 119.95 || b[1] < 37.17 || b[3] > 37.19 {
		t.Errorf("bbox %v", b)
	}
	kind, root, nodes := storedModel(t, pool, "test-osgb")
	if kind != "oblique" || len(root) != 16 || len(nodes) != 2 {
		t.Fatalf("kind %s root %v nodes %d", kind, root, len(nodes))
	}
	// the root transform puts the frame origin at 119.94E 37.18N on the ellipsoid
	lon := math.Atan2(root[13], root[12]) * 180 / math.Pi
	if math.Abs(lon-119.94) > 1e-9 {
		t.Errorf("root transform longitude %v", lon)
	}
	tile := nodes[1]
	if nodes[0].Name != "Data" || tile.Name != "Tile_+000_+000/Tile_+000_+000" || tile.Parent != nodes[0].ID || tile.ContentType != "glb" {
		t.Fatalf("nodes: %+v / %+v", nodes[0].Name, tile.Name)
	}
	// the tile's centre is its transform; its box is around it
	if len(tile.Transform) != 16 || math.Abs(tile.Transform[12]+144) > 30 || math.Abs(tile.Transform[13]+190) > 30 {
		t.Errorf("tile transform %v", tile.Transform)
	}
	if tile.GeometricError != 0 || nodes[0].GeometricError <= 0 {
		t.Errorf("geometric errors root %v tile %v", nodes[0].GeometricError, tile.GeometricError)
	}
	checkGLBs(t, nodes)
}

func TestImportSharedTileEPSG4528(t *testing.T) {
	pool := pgtest.New(t)
	dir := contextCaptureFolder(t, "EPSG:4528", "40500000,4115000,10", sharedTile(t))
	rep, err := importWith(t, pool, "倾斜摄影", "osgb", dir, func(ctx context.Context, b *loader.Batch) error {
		return ImportOSGB(ctx, b, dir, Options{HeightOffset: 9})
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.SourceCRS != "EPSG:4528" {
		t.Fatalf("report %+v", rep)
	}
	// 40500000 is the zone's central meridian, 120°E
	if b := rep.BBox; math.Abs((b[0]+b[2])/2-120) > 0.01 {
		t.Errorf("bbox %v", b)
	}
	var id int64
	pool.QueryRow(context.Background(), `SELECT dataset_id FROM twin.model`).Scan(&id)
	_, _, nodes := storedModel(t, pool, fmt.Sprintf("m%d", id))
	checkGLBs(t, nodes)
}

func TestBadInputChangesNothing(t *testing.T) {
	pool := pgtest.New(t)
	// a model already there, which a refused re-import must leave alone
	good := contextCaptureFolder(t, "ENU:37.18,119.94", "0,0,0", sharedTile(t))
	if _, err := importWith(t, pool, "model", "osgb", good, func(ctx context.Context, b *loader.Batch) error {
		return ImportOSGB(ctx, b, good, Options{})
	}); err != nil {
		t.Fatal(err)
	}
	before := rowCounts(t, pool)
	future := sharedTile(t)
	binary.LittleEndian.PutUint32(future[12:], 250)
	cases := []struct {
		name string
		dir  string
		want []string
	}{
		{"unknown EPSG", contextCaptureFolder(t, "EPSG:999999", "0,0,0", sharedTile(t)), []string{"metadata.xml: <SRS>", "EPSG:999999", "unknown"}},
		{"unknown SRS form", contextCaptureFolder(t, "Lambert93", "0,0,0", sharedTile(t)), []string{"metadata.xml: <SRS>", "Lambert93"}},
		{"bad WKT", contextCaptureFolder(t, `PROJCS["nonsense",GEOGCS["x"]]`, "0,0,0", sharedTile(t)), []string{"metadata.xml: <SRS>", "nonsense"}},
		{"geographic", contextCaptureFolder(t, "EPSG:4490", "120,37,0", sharedTile(t)), []string{"metadata.xml: <SRS>", "geographic"}},
		{"future serializer version", contextCaptureFolder(t, "ENU:37.18,119.94", "0,0,0", future), []string{"Tile_+000_+000.osgb", "serializer version 250"}},
		{"unknown object class", contextCaptureFolder(t, "ENU:37.18,119.94", "0,0,0", []byte(strings.Replace(string(sharedTile(t)), "osg::Geode", "osg::Geodx", 1))),
			[]string{"Tile_+000_+000.osgb", "osg::PagedLOD > osg::Geodx", "not supported"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := importWith(t, pool, "model", "osgb", c.dir, func(ctx context.Context, b *loader.Batch) error {
				return ImportOSGB(ctx, b, c.dir, Options{})
			})
			if err == nil {
				t.Fatal("imported")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not say %q", err, w)
				}
			}
			sameCounts(t, before, rowCounts(t, pool))
		})
	}
}

// copyOBJ copies the shared textured box into a folder, leaving out the named file.
func copyOBJ(t testing.TB, leave string) string {
	dir := t.TempDir()
	for _, name := range []string{"box-textured.obj", "box-textured.mtl", "cesium.png"} {
		if name == leave {
			continue
		}
		b, err := os.ReadFile(shareddata.Path(t, "obj/"+name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "box-textured.obj")
}

func TestImportOBJ(t *testing.T) {
	pool := pgtest.New(t)
	path := shareddata.Path(t, "obj/box-textured.obj")
	rep, err := importWith(t, pool, "box", "obj", path, func(ctx context.Context, b *loader.Batch) error {
		return ImportOBJ(ctx, b, path, Options{SRS: "EPSG:4528", Origin: [3]float64{40500000, 4115000, 20}, HeightOffset: 9})
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Counts["model_node"] != 1 || rep.SourceCRS != "EPSG:4528" {
		t.Fatalf("report %+v", rep)
	}
	kind, _, nodes := storedModel(t, pool, "box")
	if kind != "obj" || len(nodes) != 1 || nodes[0].Name != "box-textured" {
		t.Fatalf("%s %+v", kind, nodes)
	}
	// a 2 m cube: its box has half sizes of about 1 m (the grid's scale factor and convergence aside)
	if v := nodes[0].Volume["box"]; math.Abs(v[3]-1) > 0.01 || math.Abs(v[7]-1) > 0.01 || math.Abs(v[11]-1) > 0.01 {
		t.Errorf("box %v", v)
	}
	checkGLBs(t, nodes)

	before := rowCounts(t, pool)
	for _, c := range []struct{ leave, want string }{
		{"box-textured.mtl", "box-textured.obj line 3: mtllib box-textured.mtl"},
		{"cesium.png", "box-textured.mtl line 13: material Material: map_Kd texture"},
	} {
		p := copyOBJ(t, c.leave)
		_, err := importWith(t, pool, "box", "obj", p, func(ctx context.Context, b *loader.Batch) error {
			return ImportOBJ(ctx, b, p, Options{SRS: "ENU:37.18,119.94"})
		})
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "not found") {
			t.Errorf("without %s: %v", c.leave, err)
		}
		sameCounts(t, before, rowCounts(t, pool))
	}
	// no metadata.xml and no SRS
	p := copyOBJ(t, "")
	_, err = importWith(t, pool, "box", "obj", p, func(ctx context.Context, b *loader.Batch) error {
		return ImportOBJ(ctx, b, p, Options{})
	})
	if err == nil || !strings.Contains(err.Error(), "no metadata.xml") {
		t.Errorf("without georeference: %v", err)
	}
	sameCounts(t, before, rowCounts(t, pool))
}

func TestImportTilesets(t *testing.T) {
	pool := pgtest.New(t)
	cases := []struct {
		dir      string
		nodes    int
		contents map[string]int // content type → count
		lon, lat float64
	}{
		// root → the tile of city/tileset.json → its root → 4 b3dm; building.b3dm; points.pnts
		{"3dtiles/1.0/TilesetWithRequestVolume", 9, map[string]int{"b3dm": 5, "pnts": 1}, -75.61, 40.04},
		// root → 4 tiles of 5 glb contents each: one tile per content
		{"3dtiles/1.1/MetadataGranularities", 21, map[string]int{"glb": 20}, 0, 0},
	}
	for i, c := range cases {
		t.Run(c.dir, func(t *testing.T) {
			dir := shareddata.Path(t, c.dir)
			name := fmt.Sprintf("tileset%d", i)
			rep, err := importWith(t, pool, name, "3dtiles", dir, func(ctx context.Context, b *loader.Batch) error {
				return ImportTileset(ctx, b, dir)
			})
			if err != nil {
				t.Fatal(err)
			}
			kind, root, nodes := storedModel(t, pool, name)
			if kind != "3dtiles" || root[0] != 1 || root[12] != 0 || len(nodes) != c.nodes || rep.Counts["model_node"] != c.nodes {
				t.Fatalf("kind %s root %v: %d nodes", kind, root, len(nodes))
			}
			got := map[string]int{}
			for _, n := range nodes {
				if n.ContentType == "" {
					continue
				}
				got[n.ContentType]++
				// stored byte for byte
				file := filepath.Join(dir, strings.SplitN(n.Name, " ", 2)[1])
				if _, err := os.Stat(file); err != nil {
					file = filepath.Join(dir, "city", strings.SplitN(n.Name, " ", 2)[1])
				}
				want, err := os.ReadFile(file)
				if err != nil || string(want) != string(n.Content) {
					t.Errorf("%s: content differs from %s (%v)", n.Name, file, err)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(c.contents) {
				t.Errorf("contents %v, want %v", got, c.contents)
			}
			if c.lon != 0 && (rep.BBox == nil || math.Abs((rep.BBox[0]+rep.BBox[2])/2-c.lon) > 0.05 || math.Abs((rep.BBox[1]+rep.BBox[3])/2-c.lat) > 0.05) {
				t.Errorf("bbox %v", rep.BBox)
			}
		})
	}
}

func TestParseSRS(t *testing.T) {
	wkt4528 := `PROJCS["CGCS2000 / 3-degree Gauss-Kruger zone 40",GEOGCS["China Geodetic Coordinate System 2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101,AUTHORITY["EPSG","1024"]],AUTHORITY["EPSG","1043"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4490"]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",120],PARAMETER["scale_factor",1],PARAMETER["false_easting",40500000],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AUTHORITY["EPSG","4528"]]`
	cases := []struct {
		in   string
		kind srsKind
		srid int
		err  string
	}{
		{"ENU:37.18,119.94", srsENU, 0, ""},
		{"EPSG:4528", srsEPSG, 4528, ""},
		{"EPSG:4528+5773", srsEPSG, 4528, ""},
		{wkt4528, srsWKT, 4528, ""},
		{`PROJCS["local",GEOGCS["x",DATUM["d",SPHEROID["s",6378137,298.257]]],PROJECTION["Transverse_Mercator"]]`, srsWKT, 0, ""},
		{"ENU:95,10", 0, 0, "out of range"},
		{"EPSG:abc", 0, 0, "not an EPSG code"},
		{"Lambert93", 0, 0, "not an SRS"},
	}
	for _, c := range cases {
		p, err := parseSRS(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: %v", c.in, err)
			}
			continue
		}
		if err != nil || p.kind != c.kind || p.srid != c.srid {
			t.Errorf("%s: %+v %v", clip(c.in, 30), p, err)
		}
	}
}

// TestImportSRSPaths: the three ways a projected SRS is converted — Yitu's registry in Go (a
// Gauss-Krüger zone, by code or spelled out in WKT), PostGIS by SRID (an EPSG code outside the
// registry), PROJ reading a WKT text — all put the tile where the SRS says.
func TestImportSRSPaths(t *testing.T) {
	pool := pgtest.New(t)
	gk := `PROJCS["CGCS2000 GK zone 40",GEOGCS["CGCS2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",120],PARAMETER["scale_factor",1],PARAMETER["false_easting",40500000],PARAMETER["false_northing",0],UNIT["metre",1]]`
	utm := `PROJCS["UTM 50N",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",117],PARAMETER["scale_factor",0.9996],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1]]`
	cases := []struct {
		name, srs, origin string
		lon, lat          float64
	}{
		{"registry code", "EPSG:4528", "40500000,4115000,10", 120, 37.17},
		{"registry WKT", gk, "40500000,4115000,10", 120, 37.17},
		{"PostGIS SRID", "EPSG:32650", "766000,4120000,10", 120, 37.19},
		{"PROJ text", utm, "766000,4120000,10", 120, 37.19},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := contextCaptureFolder(t, c.srs, c.origin, sharedTile(t))
			rep, err := importWith(t, pool, fmt.Sprintf("srs%d", i), "osgb", dir, func(ctx context.Context, b *loader.Batch) error {
				return ImportOSGB(ctx, b, dir, Options{HeightOffset: 9})
			})
			if err != nil {
				t.Fatal(err)
			}
			if b := rep.BBox; math.Abs((b[0]+b[2])/2-c.lon) > 0.01 || math.Abs((b[1]+b[3])/2-c.lat) > 0.02 {
				t.Errorf("bbox %v, want about %v %v", b, c.lon, c.lat)
			}
		})
	}
}
