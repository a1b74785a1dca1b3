package frontend_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yitu-gis/yitu/frontend"
	"github.com/yitu-gis/yitu/spatial/auth"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

// yituBin is the binary as `make binary` builds it, with the viewer that `make frontend` built embedded.
var yituBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "yitu-viewer-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	yituBin = filepath.Join(dir, "yitu")
	cmd := exec.Command("make", "-s", "-C", "..", "binary", "BIN="+yituBin)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "make binary:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

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
		Tileset string `json:"tileset"` // model-<name>
		Title   string `json:"title"`   // in the layer tree and the attributes panel
	} `json:"model"`
	// Token signs the edit (a deletion through the OGC API) whose tiles the viewer must reload.
	Token string `json:"token"`
}

// TestViewerInBrowser runs the viewer in headless Chromium against a real `yitu serve` over a database
// with a city loaded: the page loads without console errors, base-map tiles render, a click on a known
// building shows its attributes, a search for a road by its Chinese name flies there, and the 3D view
// loads the buildings and pipelines tilesets and picks the building. Screenshots go to
// .data/artifacts/viewer.
func TestViewerInBrowser(t *testing.T) {
	if !frontend.Built(frontend.Files()) {
		t.Fatal("the viewer is not built into frontend/dist; run `make frontend` (make test does)")
	}
	pool, dbURL := pgtest.NewWithURL(t)
	exp := loadCity(t, pool)
	base := serve(t, dbURL)

	artifacts, err := filepath.Abs(filepath.Join("..", ".data", "artifacts", "viewer"))
	if err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(artifacts)
	expJSON, _ := json.Marshal(exp)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "e2e/viewer.mjs")
	cmd.Env = append(os.Environ(), "YITU_URL="+base, "YITU_ARTIFACTS="+artifacts, "YITU_EXPECT="+string(expJSON))
	out, err := cmd.CombinedOutput()
	t.Logf("browser test (screenshots in %s):\n%s", artifacts, out)
	if err != nil {
		t.Fatalf("the browser test failed: %v", err)
	}
}

// loadCity imports the test city and reads back what the browser must find.
func loadCity(t *testing.T, pool *pgxpool.Pool) expectations {
	t.Helper()
	var e expectations
	e.Model.Tileset, e.Model.Title = importCity(t, pool), obliqueDataset
	ctx := context.Background()
	var err error
	if e.Token, err = auth.New(pool).Create(ctx, "浏览器测试", []string{"admin"}, "viewer browser test", time.Hour); err != nil {
		t.Fatal(err)
	}
	// The largest building, clicked at a point inside it.
	var name string
	err = pool.QueryRow(ctx, `SELECT id, ST_X(p), ST_Y(p), coalesce(name, '')
		FROM basemap.building, ST_PointOnSurface(geom) p ORDER BY ST_Area(geom) DESC, id LIMIT 1`).
		Scan(&e.Building.ID, &e.Building.Lon, &e.Building.Lat, &name)
	if err != nil {
		t.Fatalf("no building to click: %v", err)
	}
	e.Building.Text = []string{"房屋", "层数"} // the layer's and a field's Chinese titles, from the catalog
	if name != "" {
		e.Building.Text = append(e.Building.Text, name)
	}
	// The longest street with a Chinese name (a street is several segments with one name).
	err = pool.QueryRow(ctx, `SELECT name, ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b)
		FROM (SELECT name, ST_Extent(geom)::geometry b, sum(ST_Length(geom::geography)) len
			FROM basemap.road WHERE name ~ '^[一-龥]+$' GROUP BY name) s
		ORDER BY len DESC, name LIMIT 1`).Scan(&e.Road.Name, &e.Road.BBox[0], &e.Road.BBox[1], &e.Road.BBox[2], &e.Road.BBox[3])
	if err != nil {
		t.Fatalf("no named road to search for: %v", err)
	}
	return e
}

var listening = regexp.MustCompile(`msg=listening addr=(\S+)`)

// serve starts `yitu serve` on 127.0.0.1:0 and returns its base URL once it listens.
func serve(t *testing.T, dbURL string) string {
	t.Helper()
	cmd := exec.Command(yituBin, "serve", "--addr", "127.0.0.1:0", "--database-url", dbURL)
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
