package terrain_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"image/png"
	"io"
	"math"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yitu-gis/yitu/importers"
	"github.com/yitu-gis/yitu/importers/dem"
	"github.com/yitu-gis/yitu/internal/shareddata"
	"github.com/yitu-gis/yitu/spatial/pgtest"
	"github.com/yitu-gis/yitu/twin/terrain"
	"github.com/yitu-gis/yitu/twin/terrain/terraintest"
)

func newService(t testing.TB, pool *pgxpool.Pool, offset float64) *terrain.Service {
	t.Helper()
	s, err := terrain.New(pool, terrain.DefaultConfig(), &offset, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// lonLat converts x, y of srid to lon/lat (EPSG:4490) in PostGIS.
func lonLat(t testing.TB, pool *pgxpool.Pool, srid int, x, y float64) (float64, float64) {
	t.Helper()
	var lon, lat float64
	err := pool.QueryRow(context.Background(), `SELECT ST_X(g), ST_Y(g) FROM ST_Transform(ST_SetSRID(ST_Point($1, $2), $3::int), 4490) g`, x, y, srid).Scan(&lon, &lat)
	if err != nil {
		t.Fatal(err)
	}
	return lon, lat
}

// toXY converts lon/lat of lonlatSRID to x, y of srid in PostGIS.
func toXY(t testing.TB, pool *pgxpool.Pool, lonlatSRID, srid int, lon, lat float64) (float64, float64) {
	t.Helper()
	var x, y float64
	err := pool.QueryRow(context.Background(), `SELECT ST_X(g), ST_Y(g) FROM ST_Transform(ST_SetSRID(ST_Point($1, $2), $3::int), $4::int) g`, lon, lat, lonlatSRID, srid).Scan(&x, &y)
	if err != nil {
		t.Fatal(err)
	}
	return x, y
}

func TestSyntheticImportAndHeights(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	p := terraintest.Laizhou()
	p.NoData = [][2]int{{10, 10}, {11, 10}}
	path := p.Write(t, t.TempDir(), "hills")
	rep := terraintest.MustImport(t, pool, path, "hills")
	sum, ok := rep.Details["dem"].(*dem.Summary)
	if !ok {
		t.Fatalf("report details %#v", rep.Details)
	}
	if sum.SRID != 4549 || sum.Width != 600 || sum.Height != 300 || sum.Blocks != 6 || sum.NoDataCells != 2 || sum.ResolutionX != 10 ||
		len(sum.Overviews) != 1 || sum.Overviews[0] != 4 {
		t.Errorf("summary %+v", sum)
	}
	wantMin, wantMax := p.Height(p.X0+5, p.Y0+5), p.Height(p.X0+p.Cell*float64(p.Cols)-5, p.Y0+p.Cell*float64(p.Rows)-5)
	if math.Abs(sum.MinHeight-wantMin) > 1e-3 || math.Abs(sum.MaxHeight-wantMax) > 1e-3 {
		t.Errorf("height range %v–%v, want %v–%v", sum.MinHeight, sum.MaxHeight, wantMin, wantMax)
	}
	if !strings.Contains(sum.VerticalRule, "normal heights") {
		t.Errorf("vertical rule %q", sum.VerticalRule)
	}
	var blocks, cells int
	if err := pool.QueryRow(ctx, `SELECT count(*), sum(ST_Count(rast)) FROM terrain.dem WHERE dataset_id = $1 AND overview = 1`, rep.DatasetID).Scan(&blocks, &cells); err != nil {
		t.Fatal(err)
	}
	if blocks != 6 || cells != 600*300-2 {
		t.Errorf("%d blocks, %d cells with heights; want 6, %d", blocks, cells, 600*300-2)
	}
	// The overview: 150×75 cells of 40 m, each the average of 4×4 (a plane's height at its centre).
	var ovBlocks int
	var ovScale, ovMin float64
	if err := pool.QueryRow(ctx, `SELECT count(*), min(ST_ScaleX(rast)), min((ST_SummaryStats(rast)).min) FROM terrain.dem WHERE dataset_id = $1 AND overview = 4`, rep.DatasetID).Scan(&ovBlocks, &ovScale, &ovMin); err != nil {
		t.Fatal(err)
	}
	if want := p.Height(p.X0+20, p.Y0+20); ovBlocks != 1 || ovScale != 40 || math.Abs(ovMin-want) > 1e-3 {
		t.Errorf("overview ×4: %d blocks of %v m cells, lowest %v (want 1, 40, %v)", ovBlocks, ovScale, ovMin, want)
	}

	s := newService(t, pool, 9)
	// Points anywhere inside (not only at cell centres, and across block edges: block columns end
	// at x = X0 + 2560 m) have the plane's height.
	for _, xy := range [][2]float64{{p.X0 + 1234.5, p.Y0 + 987.6}, {p.X0 + 2560, p.Y0 + 1500}, {p.X0 + 2555.5, p.Y0 + 440.1}, {p.X0 + 5000.3, p.Y0 + 2500.7}} {
		lon, lat := lonLat(t, pool, 4549, xy[0], xy[1])
		h, ok, err := s.HeightAt(ctx, lon, lat)
		if err != nil || !ok {
			t.Fatalf("HeightAt(%v): %v %v", xy, ok, err)
		}
		if want := p.Height(xy[0], xy[1]); math.Abs(h-want) > 2e-3 {
			t.Errorf("height at %v: %.4f, want %.4f", xy, h, want)
		}
	}
	lon, lat := lonLat(t, pool, 4549, p.X0-500, p.Y0)
	if _, ok, err := s.HeightAt(ctx, lon, lat); err != nil || ok {
		t.Errorf("outside the DEM: ok %v, err %v", ok, err)
	}
	// Nodata stays nodata: the cell at column 10, row 10 from the top has no height.
	lon, lat = lonLat(t, pool, 4549, p.X0+105, p.Y0+float64(p.Rows)*p.Cell-105)
	if h, ok, err := s.HeightAt(ctx, lon, lat); err != nil || ok {
		t.Errorf("at a nodata cell: %v %v %v", h, ok, err)
	}
}

func TestRefusals(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	dir := t.TempDir()
	p := terraintest.Laizhou()
	p.Cols, p.Rows = 20, 10
	p.WithoutPRJ = true
	noCRS := p.Write(t, dir, "nocrs")
	if _, err := terraintest.Import(t, pool, noCRS, "nocrs", importers.Request{}); err == nil || !strings.Contains(err.Error(), "no CRS") {
		t.Errorf("a DEM without CRS: %v", err)
	}
	// --srs gives it one.
	if _, err := terraintest.Import(t, pool, noCRS, "nocrs", importers.Request{SRS: "EPSG:4549"}); err != nil {
		t.Errorf("with --srs: %v", err)
	}
	p.WithoutPRJ, p.AllNoData = false, true
	empty := p.Write(t, dir, "empty")
	if _, err := terraintest.Import(t, pool, empty, "empty", importers.Request{}); err == nil || !strings.Contains(err.Error(), "no heights") {
		t.Errorf("a DEM of nodata: %v", err)
	}
	// An RGB GeoTIFF is an image.
	rgb := dir + "/rgb.tif"
	if out, err := exec.Command("gdal_create", "-of", "GTiff", "-outsize", "8", "8", "-bands", "3", "-a_srs", "EPSG:4549", "-a_ullr", "495000", "4114080", "495080", "4114000", rgb).CombinedOutput(); err != nil {
		t.Fatalf("gdal_create: %v %s", err, out)
	}
	if _, err := terraintest.Import(t, pool, rgb, "rgb", importers.Request{}); err == nil || !strings.Contains(err.Error(), "3 bands") {
		t.Errorf("an RGB image: %v", err)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM catalog.dataset WHERE name IN ('empty', 'rgb')`).Scan(&n); err != nil || n != 0 {
		t.Errorf("refused imports left %d datasets (%v)", n, err)
	}
	if err := pool.QueryRow(ctx, `SELECT count(DISTINCT dataset_id) FROM terrain.dem`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d DEMs stored, want the one imported with --srs (%v)", n, err)
	}
}

func TestTerrariumRoundTrip(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	p := terraintest.Laizhou()
	terraintest.MustImport(t, pool, p.Write(t, t.TempDir(), "hills"), "hills")
	s := newService(t, pool, 0)
	cx, cy := p.X0+3000, p.Y0+1500
	lon, lat := lonLat(t, pool, 4549, cx, cy)
	z := 14
	n := math.Exp2(float64(z))
	x := int((lon + 180) / 360 * n)
	y := int((1 - math.Log(math.Tan(lat*math.Pi/180)+1/math.Cos(lat*math.Pi/180))/math.Pi) / 2 * n)
	c, err := s.Terrarium(ctx, z, x, y)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(c.Data))
	if err != nil {
		t.Fatal(err)
	}
	const half = 20037508.342789244
	size := 2 * half / n
	checked := 0
	for _, px := range [][2]int{{0, 0}, {128, 128}, {255, 255}, {17, 200}, {250, 3}} {
		r, g, b, _ := img.At(px[0], px[1]).RGBA()
		h := terrain.DecodeTerrarium(uint8(r>>8), uint8(g>>8), uint8(b>>8))
		mx := -half + float64(x)*size + (float64(px[0])+0.5)*size/256
		my := half - float64(y)*size - (float64(px[1])+0.5)*size/256
		ex, ey := toXY(t, pool, 3857, 4549, mx, my)
		if ex < p.X0+p.Cell || ex > p.X0+float64(p.Cols-1)*p.Cell || ey < p.Y0+p.Cell || ey > p.Y0+float64(p.Rows-1)*p.Cell {
			continue
		}
		checked++
		if want := p.Height(ex, ey); math.Abs(h-want) > 1.0/256+1e-3 {
			t.Errorf("pixel %v: %.4f m, want %.4f", px, h, want)
		}
	}
	if checked < 3 {
		t.Errorf("only %d pixels fell on the DEM", checked)
	}
	if c2, err := s.Terrarium(ctx, z, x, y); err != nil || c2.ETag != c.ETag {
		t.Errorf("cached tile: %v %v", c2.ETag, err)
	}
	// The tiles over the DEM at every zoom build, the world tiles too (their grids reach far outside
	// the Gauss-Krüger zone's domain, which PostGIS refuses to transform into), and from zoom 8 (a
	// pixel of 611 m, the DEM 6 × 3 km) the pixel at the DEM's centre has one of its heights.
	for z := range 11 {
		n := math.Exp2(float64(z))
		fx := (lon + 180) / 360 * n
		fy := (1 - math.Log(math.Tan(lat*math.Pi/180)+1/math.Cos(lat*math.Pi/180))/math.Pi) / 2 * n
		c, err := s.Terrarium(ctx, z, int(fx), int(fy))
		if err != nil {
			t.Fatalf("zoom %d: %v", z, err)
		}
		img, err := png.Decode(bytes.NewReader(c.Data))
		if err != nil {
			t.Fatal(err)
		}
		r, g, b, _ := img.At(int((fx-math.Floor(fx))*256), int((fy-math.Floor(fy))*256)).RGBA()
		if h := terrain.DecodeTerrarium(uint8(r>>8), uint8(g>>8), uint8(b>>8)); z >= 8 && (h < 100 || h > 220) {
			t.Errorf("zoom %d: %.2f m at the DEM's centre, want 100–220", z, h)
		}
	}
	// Outside any DEM: 0 m.
	c, err = s.Terrarium(ctx, 3, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	img, _ = png.Decode(bytes.NewReader(c.Data))
	if r, g, b, _ := img.At(5, 5).RGBA(); terrain.DecodeTerrarium(uint8(r>>8), uint8(g>>8), uint8(b>>8)) != 0 {
		t.Errorf("outside the DEMs: not 0 m")
	}
}

// qmTile is a quantized-mesh tile as decoded here, independently of the encoder.
type qmTile struct {
	center                 [3]float64
	minH, maxH             float32
	sphere                 [4]float64
	occlusion              [3]float64
	u, v, h                []uint16
	indices                []uint32
	west, south, east, nth []uint32
	ext                    map[byte][]byte
}

func decodeQM(t *testing.T, gz []byte) *qmTile {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	r := bytes.NewReader(raw)
	le := binary.LittleEndian
	rd := func(v any) {
		if err := binary.Read(r, le, v); err != nil {
			t.Fatalf("truncated tile: %v", err)
		}
	}
	q := &qmTile{ext: map[byte][]byte{}}
	rd(&q.center)
	rd(&q.minH)
	rd(&q.maxH)
	rd(&q.sphere)
	rd(&q.occlusion)
	var n uint32
	rd(&n)
	for _, arr := range []*[]uint16{&q.u, &q.v, &q.h} {
		*arr = make([]uint16, n)
		var acc int32
		for i := range *arr {
			var zz uint16
			rd(&zz)
			acc += int32(zz>>1) ^ -int32(zz&1)
			(*arr)[i] = uint16(acc)
		}
	}
	wide := n > 65536
	pos := func() int { return len(raw) - r.Len() }
	if wide {
		for pos()%4 != 0 {
			r.ReadByte()
		}
	} else if pos()%2 != 0 {
		r.ReadByte()
	}
	idx := func() uint32 {
		if wide {
			var x uint32
			rd(&x)
			return x
		}
		var x uint16
		rd(&x)
		return uint32(x)
	}
	var tris uint32
	rd(&tris)
	highest := uint32(0)
	for range 3 * tris {
		code := idx()
		i := highest - code
		if code == 0 {
			highest++
		}
		if i >= n {
			t.Fatalf("index %d beyond %d vertices", i, n)
		}
		q.indices = append(q.indices, i)
	}
	for _, e := range []*[]uint32{&q.west, &q.south, &q.east, &q.nth} {
		var c uint32
		rd(&c)
		for range c {
			*e = append(*e, idx())
		}
	}
	for r.Len() > 0 {
		var id byte
		var l uint32
		rd(&id)
		rd(&l)
		b := make([]byte, l)
		if _, err := io.ReadFull(r, b); err != nil {
			t.Fatal(err)
		}
		q.ext[id] = b
	}
	return q
}

func TestQuantizedMesh(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	p := terraintest.Laizhou()
	terraintest.MustImport(t, pool, p.Write(t, t.TempDir(), "hills"), "hills")
	const offset = 9.2
	s := newService(t, pool, offset)
	lon, lat := lonLat(t, pool, 4549, p.X0+3000, p.Y0+1500)
	z := 14
	x, y := int((lon+180)/180*math.Exp2(float64(z))), int((lat+90)/180*math.Exp2(float64(z)))
	b := terrain.TileBounds(z, x, y)
	c, err := s.Mesh(ctx, z, x, y, []string{terrain.ExtNormals, terrain.ExtWaterMask})
	if err != nil {
		t.Fatal(err)
	}
	if c.Encoding != "gzip" || !strings.Contains(c.Type, "octvertexnormals") {
		t.Errorf("content %q %q", c.Type, c.Encoding)
	}
	q := decodeQM(t, c.Data)
	const n = 65
	if len(q.u) != n*n || len(q.indices) != 3*2*(n-1)*(n-1) {
		t.Fatalf("%d vertices, %d indices", len(q.u), len(q.indices))
	}
	if len(q.west) != n || len(q.south) != n || len(q.east) != n || len(q.nth) != n {
		t.Errorf("edges %d %d %d %d", len(q.west), len(q.south), len(q.east), len(q.nth))
	}
	for _, i := range q.west {
		if q.u[i] != 0 {
			t.Fatalf("west edge vertex %d at u %d", i, q.u[i])
		}
	}
	for _, i := range q.nth {
		if q.v[i] != 32767 {
			t.Fatalf("north edge vertex %d at v %d", i, q.v[i])
		}
	}
	if len(q.ext[1]) != 2*n*n || len(q.ext[2]) != 1 {
		t.Errorf("extensions: normals %d bytes, water mask %d", len(q.ext[1]), len(q.ext[2]))
	}
	// Every vertex has the plane's height there + the offset, within the quantization step (and
	// 2 mm for the float32 cells and the control-grid transformation).
	step := float64(q.maxH-q.minH) / 32767
	worst := 0.0
	for k := 0; k < len(q.u); k += 37 {
		vlon := b[0] + (b[2]-b[0])*float64(q.u[k])/32767
		vlat := b[1] + (b[3]-b[1])*float64(q.v[k])/32767
		h := float64(q.minH) + float64(q.h[k])*step
		ex, ey := toXY(t, pool, 4326, 4549, vlon, vlat)
		worst = max(worst, math.Abs(h-(p.Height(ex, ey)+offset)))
	}
	if worst > step+2e-3 {
		t.Errorf("heights differ from the DEM by up to %.4f m (quantization step %.4f m)", worst, step)
	}
	t.Logf("z%d tile: heights %.2f–%.2f m (ellipsoidal), worst vertex error %.4f m, step %.4f m", z, q.minH, q.maxH, worst, step)
	// Normals point up, roughly along the ellipsoid normal.
	nm := terrain.OctDecode(q.ext[1][0], q.ext[1][1])
	up := [3]float64{math.Cos(lat*math.Pi/180) * math.Cos(lon*math.Pi/180), math.Cos(lat*math.Pi/180) * math.Sin(lon*math.Pi/180), math.Sin(lat * math.Pi / 180)}
	if d := nm[0]*up[0] + nm[1]*up[1] + nm[2]*up[2]; d < 0.99 {
		t.Errorf("first normal %v is not up (%v)", nm, d)
	}
	// A tile outside every DEM is the ellipsoid.
	c, err = s.Mesh(ctx, 5, 3, 7, nil)
	if err != nil {
		t.Fatal(err)
	}
	q = decodeQM(t, c.Data)
	if len(q.u) != 17*17 || q.minH != 0 || q.maxH != 0 || len(q.ext) != 0 {
		t.Errorf("flat tile: %d vertices, heights %v–%v, %d extensions", len(q.u), q.minH, q.maxH, len(q.ext))
	}
	lj, err := s.Layer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if lj.MaxZoom != 15 || len(lj.Available) != 16 || len(lj.Available[z]) != 1 {
		t.Fatalf("layer.json: maxzoom %d, %d levels", lj.MaxZoom, len(lj.Available))
	}
	if r := lj.Available[z][0]; x < r.StartX || x > r.EndX || y < r.StartY || y > r.EndY {
		t.Errorf("tile %d/%d/%d not in available %+v", z, x, y, r)
	}
}

// TestRealDEMs imports the shared LiDAR tile (EPSG:3794) and the MERIT subset (EPSG:4326, EGM96
// heights): heights at cell centres are the cells' values as GDAL reads them.
func TestRealDEMs(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	lidar := shareddata.Path(t, "dem/TM1_564_146.tif")
	merit := shareddata.Path(t, "dem/merit_hydro_elv_stikine.tif")
	rep := terraintest.MustImport(t, pool, lidar, "lidar")
	sum := rep.Details["dem"].(*dem.Summary)
	if sum.SRID != 3794 || sum.Blocks != 16 || math.Abs(sum.MinHeight-254.97) > 0.01 || math.Abs(sum.MaxHeight-325.05) > 0.01 {
		t.Errorf("LiDAR tile: %+v", sum)
	}
	rep = terraintest.MustImport(t, pool, merit, "merit")
	sum = rep.Details["dem"].(*dem.Summary)
	if sum.SRID != 4326 || sum.Width != 1220 || sum.Height != 674 || sum.Units != "degree" {
		t.Errorf("MERIT: %+v", sum)
	}
	s := newService(t, pool, 0)
	check := func(file string, srid int, x, y, tol float64) {
		out, err := exec.Command("gdallocationinfo", "-valonly", "-geoloc", file, strconv.FormatFloat(x, 'f', -1, 64), strconv.FormatFloat(y, 'f', -1, 64)).Output()
		if err != nil {
			t.Fatal(err)
		}
		want, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
		if err != nil {
			t.Fatalf("gdallocationinfo: %q", out)
		}
		lon, lat := lonLat(t, pool, srid, x, y)
		h, ok, err := s.HeightAt(ctx, lon, lat)
		if err != nil || !ok || math.Abs(h-want) > tol {
			t.Errorf("%s at %v, %v: %.3f (%v %v), GDAL says %.3f", file, x, y, h, ok, err, want)
		}
	}
	check(lidar, 3794, 564527, 146490, 0.01)
	check(lidar, 3794, 564100, 146900, 0.01)
	check(merit, 4326, -131.126250+0.000833333333607*500.5, 56.745416667-0.000833333333828*300.5, 0.2)
	// A quantized-mesh tile over the LiDAR tile decodes and holds its heights.
	lon, lat := lonLat(t, pool, 3794, 564500, 146500)
	z := 16
	x, y := int((lon+180)/180*math.Exp2(float64(z))), int((lat+90)/180*math.Exp2(float64(z)))
	c, err := s.Mesh(ctx, z, x, y, nil)
	if err != nil {
		t.Fatal(err)
	}
	q := decodeQM(t, c.Data)
	if q.minH < 254 || q.maxH > 326 || q.maxH-q.minH < 1 {
		t.Errorf("LiDAR mesh heights %v–%v", q.minH, q.maxH)
	}
}
