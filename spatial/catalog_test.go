package spatial_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

func TestLoadCatalog(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	c, err := spatial.LoadCatalog(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Problems) > 0 {
		t.Errorf("the migrated catalog has problems: %v", c.Problems)
	}
	b, ok := c.Layer("basemap.building")
	if !ok {
		t.Fatal("basemap.building missing")
	}
	if b.TitleZh != "房屋" || b.GeometryType != "MultiPolygon" || !b.IsTable() || b.MinZoom != 14 {
		t.Errorf("basemap.building = %+v", b)
	}
	if col, ok := b.Column("floors"); !ok || col.PGType != "integer" {
		t.Errorf("floors column = %+v, %v", col, ok)
	}
	if col, _ := b.Column("geom"); col.PGType != "geometry(MultiPolygon,4490)" {
		t.Errorf("geom column type = %q", col.PGType)
	}
	if _, ok := b.Column("geom_3857"); !ok {
		t.Error("no geom_3857 column")
	}
	ls := c.Layers()
	if ls[0].Theme != "basemap" || ls[len(ls)-1].Theme == "basemap" {
		t.Errorf("layers not ordered base map first: %s … %s", ls[0].ID, ls[len(ls)-1].ID)
	}

	// A layer whose table or property is missing is left out with a reason, not fatal.
	_, err = pool.Exec(ctx, `INSERT INTO catalog.layer (id, title_zh, title_en, schema_name, table_name, properties)
		VALUES ('basemap.ghost', '幽灵', 'Ghost', 'basemap', 'ghost', '[]'),
		       ('basemap.badprop', '坏', 'Bad', 'basemap', 'road', '[{"name":"nope","title_zh":"无","title_en":"No","type":"string"}]'),
		       ('basemap.badzoom', '坏', 'Bad', 'basemap', 'road', '[{"name":"name","title_zh":"名","title_en":"Name","type":"string","tile_min_zoom":30}]')`)
	if err != nil {
		t.Fatal(err)
	}
	c, err = spatial.LoadCatalog(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Layer("basemap.ghost"); ok {
		t.Error("a layer over a missing table was kept")
	}
	all := fmt.Sprint(c.Problems)
	if len(c.Problems) != 3 || !strings.Contains(all, `property "nope"`) || !strings.Contains(all, `property "name": tile_min_zoom 30 is not a zoom`) {
		t.Errorf("problems = %v", c.Problems)
	}
}

func TestLayerRoles(t *testing.T) {
	l := &spatial.Layer{ReadRoles: []string{"planner"}, WriteRoles: []string{"surveyor"}}
	planner := spatial.Principal{Subject: "li", Roles: []string{"planner"}}
	surveyor := spatial.Principal{Subject: "wang", Roles: []string{"surveyor"}}
	admin := spatial.Principal{Subject: "root", Roles: []string{"admin"}}
	if l.CanRead(spatial.Anonymous) || !l.CanRead(planner) || l.CanRead(surveyor) || !l.CanRead(admin) {
		t.Error("read roles not honoured")
	}
	if l.CanWrite(planner) || !l.CanWrite(surveyor) || !l.CanWrite(admin) || l.CanWrite(spatial.Anonymous) {
		t.Error("write roles not honoured")
	}
	public := &spatial.Layer{ReadRoles: []string{"public"}}
	if !public.CanRead(spatial.Anonymous) || public.CanWrite(planner) {
		t.Error("public layer roles wrong")
	}
}

// TestCatalogStoreReloadsOnNotify: a layer inserted by another connection appears without a restart,
// and again after a second change (the listening connection survives its idle waits).
func TestCatalogStoreReloadsOnNotify(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pool := pgtest.New(t)
	store, err := spatial.NewCatalogStore(ctx, pool, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	reloaded := make(chan *spatial.Catalog, 10)
	store.OnChange(func(c *spatial.Catalog) { reloaded <- c })
	go store.Run(ctx)
	<-reloaded // the reload Run does once it listens

	for i, id := range []string{"basemap.road_copy", "basemap.road_copy2"} {
		time.Sleep(200 * time.Millisecond) // let the listener sit idle past its coalescing window
		if _, err := pool.Exec(ctx, `INSERT INTO catalog.layer (id, title_zh, title_en, schema_name, table_name)
			VALUES ($1, '道路副本', 'Road copy', 'basemap', 'road')`, id); err != nil {
			t.Fatal(err)
		}
		select {
		case c := <-reloaded:
			if _, ok := c.Layer(id); !ok {
				t.Fatalf("change %d: reloaded catalog lacks %s", i, id)
			}
			if _, ok := store.Current().Layer(id); !ok {
				t.Fatalf("change %d: Current() lacks %s", i, id)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("change %d: no reload within 10 s of the insert", i)
		}
	}
}
