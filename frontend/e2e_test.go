package frontend_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yitu-gis/yitu/demo"
	"github.com/yitu-gis/yitu/frontend"
	"github.com/yitu-gis/yitu/internal/yitubin"
	"github.com/yitu-gis/yitu/spatial/auth"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

// yituBin is the binary as `make binary` builds it, with the viewer that `make frontend` built embedded.
var yituBin string

func TestMain(m *testing.M) { yitubin.Main(m, &yituBin) }

// expectations tell the browser script what the database holds and where.
type expectations struct {
	Building struct {
		ID   int64    `json:"id"`
		Lon  float64  `json:"lon"`
		Lat  float64  `json:"lat"`
		Text []string `json:"text"` // what its attributes panel must show
	} `json:"building"`
	Road struct {
		Name string     `json:"name"`
		BBox [4]float64 `json:"bbox"` // of every segment with that name: the street the search must fly to
	} `json:"road"`
	Model struct {
		Tileset string  `json:"tileset"` // model-<name>: the oblique photography set
		Title   string  `json:"title"`   // in the layer tree and the attributes panel
		Lon     float64 `json:"lon"`     // a point in one of its buildings
		Lat     float64 `json:"lat"`
		// Heights are the base-map buildings the model shows, by id: a pick in the model finds one of
		// them (logical 单体化), whose height measured on the mesh is its surveyed height.
		Heights map[string]float64 `json:"heights"`
	} `json:"model"`
	CIM string `json:"cim"` // the CityJSON block's tileset, cim-<dataset>
	// Checks, when set (YITU_VIEWER_CHECKS=3d,events), runs only those groups of checks: for working
	// on one part of the viewer; make test runs them all.
	Checks []string `json:"checks,omitempty"`
	// Token signs the edit (a deletion through the OGC API) whose tiles the viewer must reload.
	Token string     `json:"token"`
	Live  liveExpect `json:"live"`
}

// liveExpect is what the live checks find: devices registered and fed through the HTTP API before
// the browser starts.
type liveExpect struct {
	Truck struct {
		ID    string  `json:"id"`
		Plate string  `json:"plate"`
		UN    string  `json:"un"`
		Class string  `json:"class"` // with its Chinese name, as the card shows it
		Lon   float64 `json:"lon"`
		Lat   float64 `json:"lat"`
		// Next is where the page moves it (a position it pushes with DeviceToken), and how fast.
		Next struct {
			Lon     float64 `json:"lon"`
			Lat     float64 `json:"lat"`
			Heading float64 `json:"heading"`
			Speed   float64 `json:"speed"`
		} `json:"next"`
		// Past is where it was half an hour ago (a fix of its history), for the replay.
		Past struct {
			Time string  `json:"time"`
			Lon  float64 `json:"lon"`
			Lat  float64 `json:"lat"`
		} `json:"past"`
		// Fence is a place 200 m along its street where a fence is drawn around (FenceSize degrees of
		// latitude across).
		Fence struct {
			Lon float64 `json:"lon"`
			Lat float64 `json:"lat"`
		} `json:"fence"`
		FenceSize float64 `json:"fence_size"`
	} `json:"truck"`
	Team   liveThing `json:"team"` // last heard of 10 minutes ago: stale
	Sensor liveThing `json:"sensor"`
	// DeviceToken has the role device, which may push positions.
	DeviceToken string `json:"device_token"`
}

type liveThing struct {
	ID   string  `json:"id"`
	Name string  `json:"name"`
	Lon  float64 `json:"lon"`
	Lat  float64 `json:"lat"`
}

// TestViewerInBrowser runs the viewer in headless Chromium against a real `yitu serve` over a database
// with the demo town loaded: the page loads without console errors, failed requests or requests
// leaving the server; the layer tree has its groups, legends from the style and the 3D tilesets;
// base-map tiles render; a click on a known building shows its attributes with Chinese field names; a
// search for a street by its Chinese name flies there; the 3D view loads the buildings, pipelines and
// oblique tilesets and a pick returns the building's id; the oblique model, found through the layer
// tree, is picked by its title; a building deleted through the API vanishes from the map when /events
// reports it; live objects (a hazmat truck, a team, a water-level sensor, fed through the HTTP API)
// are in the 实时监测 group and on the map, their cards show the plate, UN number and a sensor's
// chart, a new position moves the truck within 10 s, and a pick in 3D finds it. Screenshots and
// timings go to .data/artifacts/viewer.
func TestViewerInBrowser(t *testing.T) {
	_, base, exp := liveCity(t)
	if v := os.Getenv("YITU_VIEWER_CHECKS"); v != "" {
		exp.Checks = strings.Split(v, ",")
	}
	runBrowserScript(t, "e2e/viewer.mjs", "viewer", base, exp)
}

// liveCity is what the browser tests run against: the built viewer in `yitu serve` over a database
// with the test city loaded and live objects fed.
func liveCity(t *testing.T) (*pgxpool.Pool, string, expectations) {
	t.Helper()
	if !frontend.Built(frontend.Files()) {
		t.Fatal("the viewer is not built into frontend/dist; run `make frontend` (make test does)")
	}
	pool, dbURL := pgtest.NewWithURL(t)
	exp := loadCity(t, pool)
	base := serve(t, dbURL)
	exp.Live = feedLive(t, pool, base, exp)
	return pool, base, exp
}

// runBrowserScript runs a browser script (node e2e/….mjs) against base with the expectations (given
// to it as JSON), its screenshots going to .data/artifacts/<name>, and fails the test if it fails.
func runBrowserScript(t *testing.T, script, name, base string, exp any) {
	t.Helper()
	artifacts, err := filepath.Abs(filepath.Join("..", ".data", "artifacts", name))
	if err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(artifacts)
	expJSON, _ := json.Marshal(exp)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute) // a limit, not an assertion: a loaded machine is slow
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", script)
	cmd.Env = append(os.Environ(), "YITU_URL="+base, "YITU_ARTIFACTS="+artifacts, "YITU_EXPECT="+string(expJSON))
	out, err := cmd.CombinedOutput()
	t.Logf("%s (screenshots in %s):\n%s", script, artifacts, out)
	if err != nil {
		t.Fatalf("the browser test failed: %v", err)
	}
}

// loadCity imports the test city and reads back what the browser must find.
func loadCity(t testing.TB, pool *pgxpool.Pool) expectations {
	t.Helper()
	importCity(t, pool)
	var e expectations
	ctx := context.Background()
	var err error
	if e.Token, err = auth.New(pool).Create(ctx, "浏览器测试", []string{"admin"}, "viewer browser test", time.Hour); err != nil {
		t.Fatal(err)
	}
	// The oblique set, and a point in its largest building.
	err = pool.QueryRow(ctx, `SELECT 'model-' || m.name, m.title_zh, ST_X(p), ST_Y(p),
			(SELECT jsonb_object_agg(o.id, o.height) FROM basemap.building o WHERE ST_Contains(m.footprint, o.geom) AND o.height > 0)
		FROM twin.model m JOIN catalog.dataset d ON d.id = m.dataset_id, basemap.building b, ST_PointOnSurface(b.geom) p
		WHERE d.name = $1 AND ST_Contains(m.footprint, b.geom) ORDER BY ST_Area(b.geom) DESC, b.id LIMIT 1`, demo.ObliqueDataset).
		Scan(&e.Model.Tileset, &e.Model.Title, &e.Model.Lon, &e.Model.Lat, &e.Model.Heights)
	if err != nil {
		t.Fatalf("no oblique set with buildings: %v", err)
	}
	if err := pool.QueryRow(ctx, `SELECT 'cim-' || name FROM catalog.dataset WHERE kind = 'cim'`).Scan(&e.CIM); err != nil {
		t.Fatalf("no CIM dataset: %v", err)
	}
	// The largest base-map building that neither the CityJSON block nor the oblique set shows in 3D,
	// clicked at a point inside it.
	var name string
	err = pool.QueryRow(ctx, `SELECT id, ST_X(p), ST_Y(p), coalesce(name, '')
		FROM basemap.building b, ST_PointOnSurface(geom) p
		WHERE NOT EXISTS (SELECT 1 FROM cim.building c WHERE ST_Intersects(c.footprint, b.geom))
		  AND NOT EXISTS (SELECT 1 FROM twin.model m WHERE ST_Intersects(m.footprint, b.geom))
		ORDER BY ST_Area(geom) DESC, id LIMIT 1`).Scan(&e.Building.ID, &e.Building.Lon, &e.Building.Lat, &name)
	if err != nil {
		t.Fatalf("no building to click: %v", err)
	}
	e.Building.Text = []string{"房屋", "层数"} // the layer's and a field's Chinese titles, from the catalog
	if name != "" {
		e.Building.Text = append(e.Building.Text, name)
	}
	// The longest street of the town with a Chinese name (a street is several segments with one
	// name; the county roads into the hills, kilometres long, are not streets: a fly to them ends
	// below street-level zoom).
	err = pool.QueryRow(ctx, `SELECT name, ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b)
		FROM (SELECT name, ST_Extent(geom)::geometry b, sum(ST_Length(geom::geography)) len
			FROM basemap.road WHERE name ~ '^[一-龥]+$' GROUP BY name) s
		WHERE ST_Distance(ST_SetSRID(ST_MakePoint(ST_XMin(b), ST_YMin(b)), 4490)::geography,
		                  ST_SetSRID(ST_MakePoint(ST_XMax(b), ST_YMax(b)), 4490)::geography) < 1200 -- its extent's diagonal
		ORDER BY len DESC, name LIMIT 1`).Scan(&e.Road.Name, &e.Road.BBox[0], &e.Road.BBox[1], &e.Road.BBox[2], &e.Road.BBox[3])
	if err != nil {
		t.Fatalf("no named road to search for: %v", err)
	}
	return e
}

var listening = regexp.MustCompile(`msg=listening addr=(\S+)`)

// serve starts `yitu serve` on 127.0.0.1:0 and returns its base URL once it listens. It follows no
// MQTT broker: the live objects come in over HTTP.
func serve(t testing.TB, dbURL string) string {
	t.Helper()
	cmd := exec.Command(yituBin, "serve", "--addr", "127.0.0.1:0", "--jt808-addr", "127.0.0.1:0", "--database-url", dbURL)
	cmd.Env = append(os.Environ(), "YITU_MQTT_URL=") // no broker: the test does not need one
	cmd.Dir = t.TempDir()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil && !sent {
				addr <- m[1]
				sent = true
			}
			if testing.Verbose() {
				fmt.Fprintln(os.Stderr, "yitu:", sc.Text())
			}
		}
		if !sent {
			close(addr)
		}
	}()
	select {
	case a, ok := <-addr:
		if !ok {
			t.Fatal("yitu serve exited before listening")
		}
		return "http://" + a
	case <-time.After(30 * time.Second):
		t.Fatal("yitu serve did not listen within 30 s")
	}
	return ""
}

// BenchmarkViewerFirstView measures the viewer's time to first view (every tile of the view drawn)
// in Chromium against `yitu serve` on localhost: at browser launch (the page opened the moment
// Chromium has started, its own start-up work still running), cold (the first visit from a running
// browser, empty cache) and warm (a reload), and
// reports the size of what the first view loads (gzip, as served) and of CesiumJS (loaded when 3D is
// first opened). Chromium draws with SwiftShader here (no GPU), whose shader compilation is reported
// on its own (ms-shaders: the warm load's time in compiling and linking WebGL programs).
func BenchmarkViewerFirstView(b *testing.B) {
	pool, dbURL := pgtest.NewWithURL(b)
	exp := loadCity(b, pool)
	base := serve(b, dbURL)
	var rounds []viewRound
	for b.Loop() {
		cmd := exec.Command("node", "e2e/firstview.mjs")
		cmd.Env = append(os.Environ(), "YITU_URL="+base, fmt.Sprintf("YITU_AT=18/%f/%f", exp.Building.Lat, exp.Building.Lon))
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			b.Fatalf("e2e/firstview.mjs: %v", err)
		}
		var got []viewRound
		if err := json.Unmarshal(out, &got); err != nil {
			b.Fatalf("e2e/firstview.mjs printed %q: %v", out, err)
		}
		rounds = append(rounds, got...)
	}
	b.StopTimer()
	median := func(f func(r viewRound) float64) float64 {
		v := make([]float64, len(rounds))
		for i, r := range rounds {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	b.ReportMetric(median(func(r viewRound) float64 { return r.Launch.Idle }), "ms-launch-view")
	b.ReportMetric(median(func(r viewRound) float64 { return r.Cold.Idle }), "ms-cold-view")
	b.ReportMetric(median(func(r viewRound) float64 { return r.Cold.Style }), "ms-cold-style")
	b.ReportMetric(median(func(r viewRound) float64 { return r.Warm.Idle }), "ms-warm-view")
	b.ReportMetric(median(func(r viewRound) float64 { return r.Warm.Shaders }), "ms-shaders")
	b.ReportMetric(median(func(r viewRound) float64 { return r.Cold.Bytes })/1024, "KB-cold-transfer")
	sizes, err := bundleSizes(frontend.Files())
	if err != nil {
		b.Fatal(err)
	}
	for _, k := range []string{"app", "maplibre", "worker", "css", "lazy", "cesium", "cockpit"} {
		b.ReportMetric(float64(sizes[k])/1024, "KB-gz-"+k)
	}
}

// viewRound is one round of e2e/firstview.mjs: a load at browser launch, a cold and a warm load,
// times in ms from navigation.
type viewRound struct{ Launch, Cold, Warm viewLoad }

type viewLoad struct {
	Wall, DCL, Style, Load, Idle float64 // to the map drawn as the script saw it; DOMContentLoaded, style and catalog in, map loaded, drawn
	Bytes                        float64 // transferred
	Shaders                      float64 // warm only: compiling and linking WebGL programs
}

// bundleSizes adds up the gzip sizes (as served) of the built viewer's parts: the app's and MapLibre's
// scripts, MapLibre's tile worker and the style sheets (the first view), the app's chunks loaded later
// and Cesium.js (3D), and the cockpit's code with ECharts.
func bundleSizes(fsys fs.FS) (map[string]int64, error) {
	sizes := map[string]int64{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".gz") {
			return err
		}
		part := ""
		name := path.Base(p)
		switch {
		case strings.HasPrefix(p, "cesium/"):
			if name == "Cesium.js.gz" {
				part = "cesium"
			}
		case strings.HasPrefix(p, "assets/") && (strings.HasPrefix(name, "cockpit-") || strings.HasPrefix(name, "echarts-")) && strings.HasSuffix(name, ".gz"):
			part = "cockpit" // the cockpit page and its charts, never loaded by the map
		case strings.HasPrefix(name, "maplibre-gl-worker-"):
			part = "worker"
		case strings.HasSuffix(name, ".css.gz") && (strings.HasPrefix(name, "index-") || strings.HasPrefix(name, "maplibre-")):
			part = "css"
		case strings.HasPrefix(name, "maplibre-"):
			part = "maplibre"
		case strings.HasPrefix(name, "index-"):
			part = "app"
		case strings.HasPrefix(p, "assets/") && (strings.HasSuffix(name, ".js.gz") || strings.HasSuffix(name, ".css.gz")):
			part = "lazy" // chunks loaded after the first view: the 3D view's code, proj4, the live cards' chart
		}
		if part == "" {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		sizes[part] += info.Size()
		return nil
	})
	return sizes, err
}
