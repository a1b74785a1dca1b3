package command

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

// A square of about 1 km a side south-west of the demo town: A (sw), B (se), C (ne).
const (
	lon0, lat0 = 119.90, 37.10
	dLon       = 0.0112 // ≈ 995 m at 37.1°
	dLat       = 0.009  // ≈ 999 m
)

var (
	pA = Place{lon0, lat0}
	pB = Place{lon0 + dLon, lat0}
	pC = Place{lon0 + dLon, lat0 + dLat}
)

func newNetwork(t *testing.T, roads ...string) (*Network, *pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	pool := pgtest.New(t)
	exec(t, pool, `INSERT INTO catalog.dataset (name, kind, format, source, source_hash, source_crs, imported_by)
		VALUES ('roads', 'basemap', 'geojson', 'roads.geojson', 'x', 'EPSG:4490', 'test')`)
	for _, r := range roads {
		exec(t, pool, `INSERT INTO basemap.road (dataset_id, name, grade, props, geom)
			SELECT 1, split_part($1, '|', 1), nullif(split_part($1, '|', 2), ''), coalesce(nullif(split_part($1, '|', 4), ''), '{}')::jsonb,
			ST_GeomFromText(split_part($1, '|', 3), 4490)`, r)
	}
	cat, err := spatial.NewCatalogStore(ctx, pool, nil)
	if err != nil {
		t.Fatal(err)
	}
	return NewNetwork(pool, cat, DefaultConfig(), nil), pool
}

func line(ps ...Place) string {
	s := "LINESTRING("
	for i, p := range ps {
		if i > 0 {
			s += ", "
		}
		s += num(p.Lon) + " " + num(p.Lat)
	}
	return s + ")"
}

func near(got, want, tol float64) bool { return math.Abs(got-want) <= tol }

// TestETAOnASquare: from A to C a team takes the long fast road (A–B–C, 国道 at 70 km/h) rather
// than the short slow one (the diagonal, 村道 at 25 km/h): times computed by hand from the lengths;
// a faster diagonal (县道 50 km/h via the speeds table) wins, and the network is stale once a speed
// changes.
func TestETAOnASquare(t *testing.T) {
	ctx := context.Background()
	n, pool := newNetwork(t,
		"国道G206|G206|"+line(pA, pB, pC),
		"村间路|村道|"+line(pA, pC))
	st, err := n.Ensure(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Edges != 3 || st.Vertices != 3 {
		t.Errorf("network: %d edges, %d vertices, want 3 and 3 (A–B, B–C, A–C)", st.Edges, st.Vertices)
	}
	long := metres(pA, pB) + metres(pB, pC)
	diag := metres(pA, pC)
	wantLong := long / (70 / 3.6) // G206 is a 国道
	wantDiag := diag / (25 / 3.6)
	if !(wantLong < wantDiag) {
		t.Fatalf("the fixture: long %.1f s, diagonal %.1f s", wantLong, wantDiag)
	}
	rs, err := n.Routes(ctx, []Place{pA}, []Place{pC, pB}, true)
	if err != nil {
		t.Fatal(err)
	}
	r := rs[[2]int{0, 0}]
	if !near(r.Seconds, wantLong, wantLong*0.005) || !near(r.RoadM, long, long*0.005) || r.OffroadM > 0.01 {
		t.Errorf("A → C: %.1f s over %.0f m (offroad %.2f m), want %.1f s over %.0f m by A–B–C", r.Seconds, r.RoadM, r.OffroadM, wantLong, long)
	}
	if len(r.Geometry) == 0 {
		t.Error("A → C has no route line")
	}
	var nPoints int
	if err := pool.QueryRow(ctx, `SELECT ST_NPoints(ST_GeomFromGeoJSON($1))`, string(r.Geometry)).Scan(&nPoints); err != nil || nPoints != 3 {
		t.Errorf("A → C's line has %d points (%v), want 3 (A, B, C): %s", nPoints, err, r.Geometry)
	}
	if b := rs[[2]int{0, 1}]; !near(b.Seconds, metres(pA, pB)/(70/3.6), 1) {
		t.Errorf("A → B: %.1f s", b.Seconds)
	}

	// The diagonal as a county road (by its class attribute in props, English OSM values alike).
	exec(t, pool, `UPDATE basemap.road SET grade = NULL, props = '{"highway": "secondary"}' WHERE name = '村间路'`)
	if err := n.MarkStale(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	rs, err = n.Routes(ctx, []Place{pA}, []Place{pC}, false)
	if err != nil {
		t.Fatal(err)
	}
	if want := diag / (50 / 3.6); !near(rs[[2]int{0, 0}].Seconds, want, want*0.005) {
		t.Errorf("A → C with the diagonal a secondary road (50 km/h): %.1f s, want %.1f", rs[[2]int{0, 0}].Seconds, want)
	}
	// A speed changed: stale, and the next request uses it.
	exec(t, pool, `UPDATE command.road_speed SET kmh = 10 WHERE class = 'secondary'`)
	if st, _ := n.State(ctx); !st.Stale {
		t.Error("a changed speed leaves the network fresh")
	}
	if _, err := n.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	rs, _ = n.Routes(ctx, []Place{pA}, []Place{pC}, false)
	if !near(rs[[2]int{0, 0}].Seconds, wantLong, wantLong*0.005) {
		t.Errorf("A → C with the diagonal at 10 km/h: %.1f s, want the long way %.1f", rs[[2]int{0, 0}].Seconds, wantLong)
	}

	// A place off the road: the leg to the road at the off-road speed (4 km/h), metres by hand.
	mid := Place{(pA.Lon + pB.Lon) / 2, lat0 - 0.0009} // ≈ 100 m south of the middle of A–B
	rs, _ = n.Routes(ctx, []Place{mid}, []Place{pB}, false)
	off := metres(mid, Place{mid.Lon, lat0})
	want := off/(4/3.6) + metres(Place{mid.Lon, lat0}, pB)/(70/3.6)
	if r := rs[[2]int{0, 0}]; !near(r.Seconds, want, want*0.01) || !near(r.OffroadM, off, 1) {
		t.Errorf("off the road → B: %.1f s (offroad %.1f m), want %.1f s (offroad %.1f m)", r.Seconds, r.OffroadM, want, off)
	}
}

// TestNodingAndUnreachable: two roads that cross without a shared vertex are cut where they cross
// (4 edges, 5 vertices), and the way from one arm to the other turns there; ends within the snap
// tolerance (1 m) are one vertex; a road that touches none is unreachable from the others.
func TestNodingAndUnreachable(t *testing.T) {
	ctx := context.Background()
	mid := Place{lon0 + dLon/2, lat0 + dLat/2}
	far := Place{lon0 + 0.1, lat0}
	gap := Place{pC.Lon + 0.000004, pC.Lat} // 0.36 m east of C
	n, _ := newNetwork(t,
		"东西路|县道|"+line(Place{lon0, mid.Lat}, Place{lon0 + dLon, mid.Lat}),
		"南北路|县道|"+line(Place{mid.Lon, lat0}, Place{mid.Lon, lat0 + dLat}),
		"断头路|县道|"+line(Place{lon0 + dLon, mid.Lat}, pC),
		"接续路|县道|"+line(gap, Place{gap.Lon + 0.005, gap.Lat}),
		"孤路|县道|"+line(far, Place{far.Lon + 0.01, far.Lat}))
	st, err := n.Ensure(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Edges != 7 || st.Vertices != 9 {
		t.Errorf("network: %d edges, %d vertices, want 7 (the cross cut in 4, two more, the lone road) and 9", st.Edges, st.Vertices)
	}
	west, north := Place{lon0, mid.Lat}, Place{mid.Lon, lat0 + dLat}
	end := Place{gap.Lon + 0.005, gap.Lat}
	rs, err := n.Routes(ctx, []Place{west}, []Place{north, end, far}, false)
	if err != nil {
		t.Fatal(err)
	}
	want := metres(west, mid) + metres(mid, north)
	if r := rs[[2]int{0, 0}]; !near(r.RoadM, want, want*0.005) || !near(r.Seconds, want/(50/3.6), 1) {
		t.Errorf("west end → north end: %.0f m in %.1f s, want %.0f m through the crossing", r.RoadM, r.Seconds, want)
	}
	if _, ok := rs[[2]int{0, 1}]; !ok {
		t.Error("the road that starts 0.36 m from another's end is not joined to it")
	}
	if r, ok := rs[[2]int{0, 2}]; ok {
		t.Errorf("the lone road is reached: %+v", r)
	}
}

// TestNoNetwork: no road layer, or no roads in it, is ErrNoNetwork naming what is missing.
func TestNoNetwork(t *testing.T) {
	ctx := context.Background()
	n, _ := newNetwork(t)
	if _, err := n.Ensure(ctx); err == nil || !errors.Is(err, ErrNoNetwork) || !strings.Contains(err.Error(), "basemap.road holds no road lines") {
		t.Errorf("no roads: %v", err)
	}
	n.cfg.RoadLayers = []string{"reference.roads"}
	n.MarkStale(ctx)
	if _, err := n.Ensure(ctx); err == nil || !strings.Contains(err.Error(), "reference.roads is not in the catalog") {
		t.Errorf("no road layer: %v", err)
	}
}

// TestIslandSnapping: a place beside a piece of track that meets no other road (a gap in the
// survey's lines) joins the roads at the larger network 100 m away rather than being stranded; a
// road far from the rest stays apart.
func TestIslandSnapping(t *testing.T) {
	ctx := context.Background()
	midLon := lon0 + dLon/2
	n, _ := newNetwork(t,
		"国道G206|G206|"+line(pA, pB, pC),
		"林间小道|林道|"+line(Place{midLon - 0.0001, lat0 + 0.0009}, Place{midLon + 0.0001, lat0 + 0.0009}))
	st, err := n.Ensure(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Components != 2 {
		t.Errorf("%d components, want 2", st.Components)
	}
	at := Place{midLon, lat0 + 0.00095} // 5.5 m north of the track, 105 m north of G206
	rs, err := n.Routes(ctx, []Place{at}, []Place{pB}, false)
	if err != nil {
		t.Fatal(err)
	}
	off := metres(at, Place{midLon, lat0})
	want := off/(4/3.6) + metres(Place{midLon, lat0}, pB)/(70/3.6)
	if r, ok := rs[[2]int{0, 0}]; !ok || !near(r.Seconds, want, want*0.01) || !near(r.OffroadM, off, 1) {
		t.Errorf("beside the track → B: %+v (found %v), want %.1f s walking %.0f m to G206", r, ok, want, off)
	}
}

// TestNodingDiagonals: two diagonals of the square cross at a point no coordinate states exactly;
// both are cut there, and the way from A to B turns at it.
func TestNodingDiagonals(t *testing.T) {
	ctx := context.Background()
	pD := Place{lon0, lat0 + dLat}
	n, _ := newNetwork(t, "甲|乡道|"+line(pA, pC), "乙|乡道|"+line(pB, pD))
	st, err := n.Ensure(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Edges != 4 || st.Vertices != 5 {
		t.Errorf("network: %d edges, %d vertices, want 4 and 5", st.Edges, st.Vertices)
	}
	x := Place{lon0 + dLon/2, lat0 + dLat/2}
	rs, err := n.Routes(ctx, []Place{pA}, []Place{pB}, false)
	if err != nil {
		t.Fatal(err)
	}
	want := metres(pA, x) + metres(x, pB)
	if r, ok := rs[[2]int{0, 0}]; !ok || !near(r.RoadM, want, want*0.005) {
		t.Errorf("A → B: %+v (%v), want %.0f m through the crossing", r, ok, want)
	}
}
