package server

import (
	"context"
	"strings"
	"testing"
)

// TestDerivedLayerCarriesSourceRules: basemap.label is made from buildings, water and vegetation.
// With the water layer restricted, the label layer is as restricted (the strictest of its sources):
// an anonymous caller finds neither the layer nor the restricted name through its items or /search;
// a planner, who may read the water, reads both. Sources are found from the views themselves.
func TestDerivedLayerCarriesSourceRules(t *testing.T) {
	c := newCity(t)
	ctx := context.Background()
	mustExec(t, c.pool, `INSERT INTO basemap.water (dataset_id, name, geom)
		VALUES (1, '三号秘密水库', ST_Multi(ST_MakeEnvelope(119.950, 37.190, 119.952, 37.192, 4490)))`)
	mustExec(t, c.pool, `REFRESH MATERIALIZED VIEW tiles.label`)
	mustExec(t, c.pool, `UPDATE catalog.layer SET read_roles = '{planner}' WHERE id = 'basemap.water'`)
	if err := c.catalog.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	l, ok := c.catalog.Current().Layer("basemap.label")
	if !ok || strings.Join(l.Sources, ",") != "basemap.building,basemap.vegetation,basemap.water" {
		t.Fatalf("basemap.label's sources: %v", l)
	}

	c.get(t, "/collections/basemap.label/items?limit=1000").problem(t, 404)
	c.get(t, "/collections/basemap.label").problem(t, 404)
	if b := string(c.get(t, "/search?q=秘密水库").body); strings.Contains(b, "秘密") {
		t.Errorf("an anonymous search finds the restricted name: %s", b)
	}
	if b := string(c.get(t, "/collections").body); strings.Contains(b, `"basemap.label"`) {
		t.Errorf("the label layer is listed to an anonymous caller")
	}

	r := c.do(t, "GET", "/collections/basemap.label/items?limit=1000", c.planner, "")
	if r.status != 200 || !strings.Contains(string(r.body), "三号秘密水库") {
		t.Errorf("the planner's labels: %d %.300s", r.status, r.body)
	}
	if r := c.do(t, "GET", "/search?q=秘密水库", c.planner, ""); !strings.Contains(string(r.body), "三号秘密水库") {
		t.Errorf("the planner's search: %.300s", r.body)
	}

	// With the water public again, so are the labels.
	mustExec(t, c.pool, `UPDATE catalog.layer SET read_roles = '{public}' WHERE id = 'basemap.water'`)
	if err := c.catalog.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if r := c.get(t, "/collections/basemap.label/items?limit=1000"); r.status != 200 || !strings.Contains(string(r.body), "三号秘密水库") {
		t.Errorf("public labels: %d", r.status)
	}
}
