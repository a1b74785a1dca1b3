package demo

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yitu-gis/yitu/command"
	"github.com/yitu-gis/yitu/importers/loader"
	"github.com/yitu-gis/yitu/live"
	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/spatial/crs"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

// loadCity generates and imports a demo city of n blocks a side (0: the full town) with fire teams
// at the foot of the hill, and returns the fire command over it and a forest fire on the hill.
func loadCity(tb testing.TB, blocks int) (*command.Fires, *pgxpool.Pool, int64) {
	tb.Helper()
	ctx := context.Background()
	f, err := Generate(tb.TempDir(), Options{Seed: 1, Blocks: blocks})
	if err != nil {
		tb.Fatal(err)
	}
	pool := pgtest.New(tb)
	if _, err := Load(ctx, loader.New(pool, nil), f, nil, nil); err != nil {
		tb.Fatal(err)
	}
	cat, err := spatial.NewCatalogStore(ctx, pool, nil)
	if err != nil {
		tb.Fatal(err)
	}
	c := newCity(Options{Seed: 1, Blocks: blocks})
	h := c.hills[0]
	reg := live.NewRegistry(pool)
	for i := range 6 { // along the town's south edge and in its centre
		lon, lat := crsLonLat(c.gx(c.n/2+i*c.n/12), c.gy(i%2*c.n/2))
		if err := reg.Put(ctx, live.Device{ID: fmt.Sprintf("01380535%04d", i), Kind: live.KindTeam, VehicleKind: "fire_team",
			Name: fmt.Sprintf("森林消防%d中队", i+1), Lon: &lon, Lat: &lat}); err != nil {
			tb.Fatal(err)
		}
	}
	lon, lat := crsLonLat(h.x-100, h.y-100)
	var id int64
	if err := pool.QueryRow(ctx, `INSERT INTO command.incident (type, title, geom, created_by)
		VALUES ('forest_fire', '福禄山林火', ST_SetSRID(ST_MakePoint($1, $2), 4490), 'test') RETURNING id`, lon, lat).Scan(&id); err != nil {
		tb.Fatal(err)
	}
	cfg := command.DefaultConfig()
	return command.NewFires(pool, cat, nil, command.NewNetwork(pool, cat, cfg, nil), cfg), pool, id
}

// TestForestLayers: the demo city brings what the fire command needs — roads into the hills with
// their classes (in the road network at their speeds), villages with population, shelters, water
// sources, depots and firebreaks as the layers command.* names by default — and every village of
// the hill gets a shelter and a team over the roads.
func TestForestLayers(t *testing.T) {
	fires, pool, id := loadCity(t, 16)
	ctx := context.Background()
	for table, want := range map[string]int{"villages": 7, "shelters": 4, "water_sources": 5, "fire_depots": 2, "firebreaks": 2} {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM reference.`+table).Scan(&n); err != nil || n != want {
			t.Errorf("reference.%s: %d features (%v), want %d", table, n, err, want)
		}
	}
	var pop int
	if err := pool.QueryRow(ctx, `SELECT sum(population) FROM reference.villages`).Scan(&pop); err != nil || pop != 4400 {
		t.Errorf("population of the villages: %d (%v)", pop, err)
	}
	st, err := fires.Network().Ensure(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var classes map[string]float32
	rows, _ := pool.Query(ctx, `SELECT coalesce(class, ''), min(kmh) FROM command.road_edge GROUP BY 1`)
	classes = map[string]float32{}
	for rows.Next() {
		var c string
		var k float32
		rows.Scan(&c, &k)
		classes[c] = k
	}
	if classes["X012"] != 50 || classes["Y005"] != 40 || classes["村道"] != 25 || classes["防火通道"] != 20 || classes[""] != 30 {
		t.Errorf("speeds by class: %v", classes)
	}
	t.Logf("network: %d edges, %d vertices, built in %.0f ms", st.Edges, st.Vertices, *st.TookMS)

	res, err := fires.Resources(ctx, id, 3000, spatial.Principal{Subject: "test", Roles: []string{"admin"}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, f := range res.Features {
		got[f.Properties["category"].(string)]++
		if f.Properties["category"] == "team" && f.Properties["eta_min"] == nil {
			t.Errorf("a team without ETA: %v", f.Properties)
		}
	}
	if got["team"] == 0 || got["route"] != got["team"] || got["water_source"] == 0 || got["depot"] == 0 || got["firebreak"] != 2 {
		t.Errorf("resources around the hill: %v (notes %v)", got, res.Notes)
	}
	ev, err := fires.Evacuation(ctx, id, 3000, spatial.Principal{Subject: "test", Roles: []string{"admin"}})
	if err != nil {
		t.Fatal(err)
	}
	villages := 0
	for _, f := range ev.Features {
		if p := f.Properties; p["category"] == "village" {
			villages++
			if p["shelter"] == nil || p["first_team"] == nil || p["population"].(float64) <= 0 {
				t.Errorf("village %v: shelter %v, first team %v", p["name"], p["shelter"], p["first_team"])
			}
		}
	}
	if villages == 0 {
		t.Errorf("no village within 3 km of the hill: %v", ev.Notes)
	}
}

// BenchmarkFireResources times one resources request (teams' ETAs and routes over the roads, the
// layers around) and one evacuation request on the full demo city, and the network's build.
func BenchmarkFireResources(b *testing.B) {
	fires, _, id := loadCity(b, 0)
	ctx := context.Background()
	start := time.Now()
	if _, err := fires.Network().Build(ctx, true); err != nil {
		b.Fatal(err)
	}
	build := time.Since(start)
	st, _ := fires.Network().State(ctx)
	admin := spatial.Principal{Subject: "bench", Roles: []string{"admin"}}
	var res, ev time.Duration
	var n int
	for b.Loop() {
		t0 := time.Now()
		if _, err := fires.Resources(ctx, id, 10000, admin); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := fires.Evacuation(ctx, id, 10000, admin); err != nil {
			b.Fatal(err)
		}
		res += t1.Sub(t0)
		ev += time.Since(t1)
		n++
	}
	ms := func(d time.Duration) float64 { return math.Round(float64(d.Microseconds())/float64(n)/10) / 100 }
	b.ReportMetric(ms(res), "resources-ms")
	b.ReportMetric(ms(ev), "evacuation-ms")
	fmt.Printf("\n| demo city | edges | vertices | build ms | resources ms | evacuation ms |\n|---|---|---|---|---|---|\n| %d blocks | %d | %d | %.0f | %.2f | %.2f |\n",
		36, st.Edges, st.Vertices, float64(build.Milliseconds()), ms(res), ms(ev))
}

func crsLonLat(x, y float64) (float64, float64) { return crs.EPSG(4528).ToLonLat(x, y) }
