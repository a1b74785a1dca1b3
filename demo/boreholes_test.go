package demo

import (
	"context"
	"testing"

	"github.com/yitu-gis/yitu/importers"
	"github.com/yitu-gis/yitu/importers/loader"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

// TestDemoBoreholes: the demo's borehole set imports whole, under the town centre, five strata with
// the silt pinching out.
func TestDemoBoreholes(t *testing.T) {
	f, err := Generate(t.TempDir(), Options{Seed: 1, Blocks: 6})
	if err != nil {
		t.Fatal(err)
	}
	pool := pgtest.New(t)
	ctx := context.Background()
	res, err := importers.Run(ctx, loader.New(pool, nil), importers.Formats(),
		importers.Request{Path: f.Boreholes, As: "boreholes", SRS: SourceCRS, Encoding: "gbk", Dataset: BoreholeDataset, Map: f.Strata, HomeLon: CentreLon}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil {
		t.Fatal(res[0].Err)
	}
	r := res[0].Report
	if r.Counts["borehole"] != BoreholeCount || r.Counts["stratum"] != 5 || len(r.Rejected) != 0 {
		t.Errorf("report %+v", r)
	}
	var lon, lat float64
	var without int
	pool.QueryRow(ctx, `SELECT ST_X(ST_Centroid(ST_Collect(geom))), ST_Y(ST_Centroid(ST_Collect(geom))) FROM geology.borehole`).Scan(&lon, &lat)
	pool.QueryRow(ctx, `SELECT count(*) FROM geology.borehole b WHERE NOT EXISTS (SELECT FROM geology.layer l WHERE l.hole_no = b.hole_no AND l.code = '③')`).Scan(&without)
	if lon < 119.938 || lon > 119.942 || lat < 37.178 || lat > 37.182 {
		t.Errorf("boreholes centred at %f %f, want under 119.94 37.18", lon, lat)
	}
	if without == 0 || without == BoreholeCount {
		t.Errorf("%d holes without the silt ③: it should pinch out in some", without)
	}
	// The corner holes, inclined: each layer's bottom lies cos 15° of its depth along the hole below
	// the collar, and the hole ends sin 15° of its length away from its collar.
	var inclined int
	var worst, reach float64
	pool.QueryRow(ctx, `SELECT count(DISTINCT b.hole_no), max(abs((b.collar_elev - l.bottom_elev) - l.bottom_depth * cos(radians(15)))),
		min(ST_Distance(ST_StartPoint(b.trace)::geography, ST_EndPoint(b.trace)::geography) / (b.depth * sin(radians(15))))
		FROM geology.borehole b JOIN geology.layer l USING (dataset_id, hole_no) WHERE b.inclined`).Scan(&inclined, &worst, &reach)
	if inclined != InclinedHoles || worst > 0.01 || reach < 0.99 || reach > 1.01 {
		t.Errorf("%d inclined holes (want %d), layer bottoms up to %.3f m off cos 15°, reach %.3f of sin 15°", inclined, InclinedHoles, worst, reach)
	}
}
