package twintest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yitu-gis/yitu/importers"
	"github.com/yitu-gis/yitu/importers/loader"
	"github.com/yitu-gis/yitu/spatial/geodesy"
)

// The synthetic oblique scene for tests of splitting models into buildings: a ground grid of 10 m
// squares around an ENU origin, two boxes standing on it whose walls share the grid's vertices (so a
// split must duplicate them), and a "tree": a tall triangle outside every footprint.
var (
	SceneOrigin = [2]float64{119.94, 37.18} // lon, lat of the ENU origin
	BoxA        = SceneBox{"甲楼", -30, -10, -10, 10, 12}
	BoxB        = SceneBox{"乙楼", 10, 30, -10, 10, 20}
)

// SceneBox is a box of the scene: its name, footprint (metres east and north of the origin) and height.
type SceneBox struct {
	Name                   string
	E0, E1, N0, N1, Height float64
}

// Contains reports whether a point (east, north) lies strictly inside the footprint.
func (b SceneBox) Contains(e, n float64) bool { return e > b.E0 && e < b.E1 && n > b.N0 && n < b.N1 }

// WriteScene writes the scene as an OBJ (z up, metres from the origin) with a metadata.xml into dir:
// a grid×grid ground of 10 m squares (grid even, at least 8 for the boxes to stand on it).
func WriteScene(t testing.TB, dir string, grid int) string {
	t.Helper()
	var b strings.Builder
	half := float64(grid) * 5
	vid := func(i, j int) int { return 1 + j*(grid+1) + i }
	for j := 0; j <= grid; j++ {
		for i := 0; i <= grid; i++ {
			fmt.Fprintf(&b, "v %g %g 0\n", -half+10*float64(i), -half+10*float64(j))
		}
	}
	for j := range grid {
		for i := range grid {
			a, c, d, e := vid(i, j), vid(i+1, j), vid(i+1, j+1), vid(i, j+1)
			fmt.Fprintf(&b, "f %d %d %d\nf %d %d %d\n", a, c, d, a, d, e)
		}
	}
	next := (grid+1)*(grid+1) + 1
	for _, bx := range []SceneBox{BoxA, BoxB} {
		// footprint corners on grid points, counter-clockwise
		gi := func(e float64) int { return int((e + half) / 10) }
		ring := []int{vid(gi(bx.E0), gi(bx.N0)), vid(gi(bx.E1), gi(bx.N0)), vid(gi(bx.E1), gi(bx.N1)), vid(gi(bx.E0), gi(bx.N1))}
		corners := [][2]float64{{bx.E0, bx.N0}, {bx.E1, bx.N0}, {bx.E1, bx.N1}, {bx.E0, bx.N1}}
		top := make([]int, 4)
		for k, c := range corners {
			fmt.Fprintf(&b, "v %g %g %g\n", c[0], c[1], bx.Height)
			top[k] = next
			next++
		}
		for k := range 4 {
			p, q := ring[k], ring[(k+1)%4]
			fmt.Fprintf(&b, "f %d %d %d\nf %d %d %d\n", p, q, top[(k+1)%4], p, top[(k+1)%4], top[k])
		}
		fmt.Fprintf(&b, "f %d %d %d\nf %d %d %d\n", top[0], top[1], top[2], top[0], top[2], top[3])
	}
	fmt.Fprintf(&b, "v 0 25 0\nv 2 25 0\nv 1 25 6\nf %d %d %d\n", next, next+1, next+2)
	obj := filepath.Join(dir, "scene.obj")
	if err := os.WriteFile(obj, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	md := fmt.Sprintf("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<ModelMetadata version=\"1\">\n\t<SRS>ENU:%g,%g</SRS>\n\t<SRSOrigin>0,0,0</SRSOrigin>\n</ModelMetadata>\n", SceneOrigin[1], SceneOrigin[0])
	if err := os.WriteFile(filepath.Join(dir, "metadata.xml"), []byte(md), 0o644); err != nil {
		t.Fatal(err)
	}
	return obj
}

// SceneFootprints inserts the boxes' footprints (and one building away from the scene) into
// basemap.building and returns their ids: A, B, elsewhere.
func SceneFootprints(t testing.TB, pool *pgxpool.Pool) (a, b, far int64) {
	t.Helper()
	ds := Dataset(t, pool, "scene-basemap", "basemap")
	fr := geodesy.NewFrame(SceneOrigin[0], SceneOrigin[1], 0)
	insert := func(bx SceneBox, floors int) int64 {
		var pts []string
		for _, c := range [][2]float64{{bx.E0, bx.N0}, {bx.E1, bx.N0}, {bx.E1, bx.N1}, {bx.E0, bx.N1}, {bx.E0, bx.N0}} {
			lon, lat, _ := fr.Geodetic([3]float64{c[0], c[1], 0})
			pts = append(pts, fmt.Sprintf("%.10f %.10f", lon, lat))
		}
		var id int64
		err := pool.QueryRow(context.Background(), `INSERT INTO basemap.building (dataset_id, name, floors, structure, height, code, geom)
			VALUES ($1, $2, $3::int, '砼', $4, 'F' || $3::text, ST_GeomFromText($5, 4490)) RETURNING id`,
			ds, bx.Name, floors, bx.Height, "MULTIPOLYGON((("+strings.Join(pts, ", ")+")))").Scan(&id)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	return insert(BoxA, 4), insert(BoxB, 7), insert(SceneBox{"远楼", 500, 520, 500, 520, 9}, 3)
}

// ImportScene writes the scene and imports it through the real OBJ importer as the model dataset.
func ImportScene(t testing.TB, pool *pgxpool.Pool, dataset string, grid int) {
	t.Helper()
	obj := WriteScene(t, t.TempDir(), grid)
	res, err := importers.Run(context.Background(), loader.New(pool, nil), importers.Formats(), importers.Request{Path: obj, Dataset: dataset}, nil)
	if err != nil || len(res) != 1 || res[0].Err != nil {
		t.Fatalf("import: %v %+v", err, res)
	}
}
