package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/spatial/pgtest"
	"github.com/yitu-gis/yitu/tiles"
)

func TestLegendFromStyle(t *testing.T) {
	cases := []struct {
		name  string
		style string
		want  []LegendItem
	}{
		{"no style", ``, []LegendItem{}},
		{"one fill", `{"type":"fill","paint":{"fill-color":"#f0e0d0","fill-outline-color":"#806040"}}`,
			[]LegendItem{{Kind: "fill", Color: "#f0e0d0", Outline: "#806040", LabelZh: "房屋", LabelEn: "Buildings"}}},
		{"layers, zoom-dependent width, dashed", `{"layers":[{"type":"line","paint":{"line-color":"#333","line-width":["interpolate",["linear"],["zoom"],12,0.5,18,3],"line-dasharray":[2,1]}}]}`,
			[]LegendItem{{Kind: "line", Color: "#333", Width: 3, Dashed: true, LabelZh: "房屋", LabelEn: "Buildings"}}},
		{"match with labels and fallback", `[{"type":"line","metadata":{"yitu:legend":{"JS":{"zh":"给水","en":"Water supply"}}},
			"paint":{"line-color":["match",["get","pipe_type"],"JS","#00bfff",["YS","WS"],"#8b4513","#888888"]}},
			{"type":"symbol","metadata":{"yitu:title_zh":"名称","yitu:title_en":"Names"},"paint":{"text-color":"#222"}},
			{"type":"background","paint":{"background-color":"#fff"}}]`,
			[]LegendItem{ // the symbol layer only labels the lines: no swatch of its own
				{Kind: "line", Color: "#00bfff", LabelZh: "给水", LabelEn: "Water supply"},
				{Kind: "line", Color: "#8b4513", LabelZh: "YS、WS", LabelEn: "YS、WS"},
				{Kind: "line", Color: "#888888", LabelZh: "其他", LabelEn: "Other"},
			}},
		{"text only", `[{"type":"symbol","metadata":{"yitu:title_zh":"注记","yitu:title_en":"Notes"},"paint":{"text-color":"#333"}}]`,
			[]LegendItem{{Kind: "symbol", Color: "#333", LabelZh: "注记", LabelEn: "Notes"}}},
		{"icons and their labels", `[{"type":"symbol","paint":{"text-color":"#333"}},
			{"type":"symbol","layout":{"icon-image":"valve"},"paint":{"icon-color":"#123456","text-color":"#999"}}]`,
			[]LegendItem{{Kind: "symbol", Color: "#123456", LabelZh: "房屋", LabelEn: "Buildings"}}},
		{"default colour, step by zoom", `[{"type":"circle","paint":{"circle-stroke-color":["step",["zoom"],"#111",16,"#222"]}}]`,
			[]LegendItem{{Kind: "circle", Color: "#000000", Outline: "#222", LabelZh: "房屋", LabelEn: "Buildings"}}},
		{"not a style", `"oops"`, []LegendItem{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := &spatial.Layer{TitleZh: "房屋", TitleEn: "Buildings", Style: json.RawMessage(c.style)}
			got := (*servedStyle)(nil).legend(l)
			if !slices.Equal(got, c.want) {
				t.Errorf("legend\n got %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestCatalogLayers(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	// A restricted reference layer and one of a scenario theme, beside the migrations' base map and pipelines.
	if _, err := pool.Exec(ctx, `
		INSERT INTO catalog.layer (id, title_zh, title_en, theme, schema_name, table_name, geometry_type, read_roles, style)
		VALUES ('secret.roads', '内部道路', 'Internal roads', 'reference', 'basemap', 'road', 'LineString', '{planner}',
		        '{"type":"line","paint":{"line-color":"#ff0000"}}'),
		       ('fire.hotspot', '火点', 'Hotspots', 'fire', 'basemap', 'facility', 'Point', '{public}', NULL)`); err != nil {
		t.Fatal(err)
	}
	store, err := spatial.NewCatalogStore(ctx, pool, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	s := New(Config{}, Deps{Catalog: store})
	resp, err := s.App().Test(httptest.NewRequest("GET", "/catalog/layers", nil))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("ETag") == "" {
		t.Fatalf("GET /catalog/layers = %d, ETag %q", resp.StatusCode, resp.Header.Get("ETag"))
	}
	var tree LayerTree
	if err := json.NewDecoder(resp.Body).Decode(&tree); err != nil {
		t.Fatal(err)
	}
	var groups []string
	ids := map[string]LayerNode{}
	for _, g := range tree.Groups {
		groups = append(groups, g.ID+"="+g.TitleZh)
		for _, l := range g.Layers {
			ids[l.ID] = l
		}
	}
	// Base map and pipelines first, the scenario theme (untitled here, so under its id) last, and no
	// reference group: its only layer is restricted.
	if len(groups) < 3 || groups[0] != "basemap=基础底图" || groups[1] != "pipeline=地下管线" || groups[len(groups)-1] != "fire=fire" ||
		slices.Contains(groups, "reference=参考") {
		t.Errorf("groups %v", groups)
	}
	if _, ok := ids["secret.roads"]; ok {
		t.Error("an anonymous caller is offered a layer it may not read")
	}
	b := ids["basemap.building"]
	if b.TitleZh != "房屋" || b.GeometryType != "MultiPolygon" || b.MinZoom != 14 || b.Editable {
		t.Errorf("basemap.building: %+v", b)
	}
	if i := slices.IndexFunc(b.Properties, func(p spatial.Property) bool { return p.Name == "floors" }); i < 0 || b.Properties[i].TitleZh != "层数" {
		t.Errorf("basemap.building properties lack 层数: %+v", b.Properties)
	}

	req := httptest.NewRequest("GET", "/catalog/layers", nil)
	req.Header.Set("If-None-Match", resp.Header.Get("ETag"))
	if r2, err := s.App().Test(req); err != nil || r2.StatusCode != 304 {
		t.Errorf("revalidation: %v %v", r2.StatusCode, err)
	}
	req = httptest.NewRequest("GET", "/catalog/layers", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	if r3, err := s.App().Test(req); err != nil || r3.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("gzip: %v %q", err, r3.Header.Get("Content-Encoding"))
	}

	// A planner sees the restricted layer, with the legend from its style.
	planner := layerTree(store.Current(), spatial.Principal{Subject: "li", Roles: []string{"planner"}}, nil)
	var found *LayerNode
	for _, g := range planner.Groups {
		for i, l := range g.Layers {
			if l.ID == "secret.roads" {
				found = &g.Layers[i]
				if g.TitleZh != "参考" {
					t.Errorf("secret.roads in group %s", g.TitleZh)
				}
			}
		}
	}
	if found == nil || len(found.Legend) != 1 || found.Legend[0].Color != "#ff0000" {
		t.Errorf("planner's secret.roads: %+v", found)
	}
}

// TestLegendOfServedStyle: with the tiles service, legends come from the one-map style it serves:
// the base map's fills and lines without its label layers, pipelines by pipe type with their names.
func TestLegendOfServedStyle(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	if _, err := pool.Exec(ctx, `INSERT INTO catalog.layer (id, title_zh, title_en, theme, schema_name, table_name, geometry_type)
		VALUES ('reference.district', '街道界', 'Districts', 'reference', 'basemap', 'boundary', 'Polygon')`); err != nil {
		t.Fatal(err)
	}
	store, err := spatial.NewCatalogStore(ctx, pool, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	svc, err := tiles.New(ctx, pool, store, tiles.DefaultConfig(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	s := New(Config{}, Deps{Catalog: store, Tiles: svc})
	resp, err := s.App().Test(httptest.NewRequest("GET", "/catalog/layers", nil), -1)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tree LayerTree
	if err := json.NewDecoder(resp.Body).Decode(&tree); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /catalog/layers: %d %v", resp.StatusCode, err)
	}
	legends := map[string][]LegendItem{}
	for _, g := range tree.Groups {
		for _, l := range g.Layers {
			legends[l.ID] = l.Legend
		}
	}
	b := legends["basemap.building"]
	if len(b) != 1 || b[0].Kind != "fill" || b[0].Color == "" || b[0].Outline == "" || b[0].LabelZh != "房屋" {
		t.Errorf("basemap.building legend %+v, want one swatch: its fill with the outline", b)
	}
	// A polygon layer of the generic style: its fill, not the line and circle branches for other geometries.
	if r := legends["reference.district"]; len(r) != 1 || r[0].Kind != "fill" {
		t.Errorf("reference.district legend %+v, want its fill", r)
	}
	var water bool
	for _, it := range legends["pipeline.segment"] {
		if it.Kind == "symbol" {
			t.Errorf("pipeline.segment legend has its labels: %+v", it)
		}
		water = water || it.LabelZh == "给水" && it.Kind == "line"
	}
	if !water {
		t.Errorf("pipeline.segment legend %+v lacks 给水 (pipe type JS by name)", legends["pipeline.segment"])
	}
	if a := legends["basemap.annotation"]; len(a) != 1 || a[0].Kind != "symbol" {
		t.Errorf("basemap.annotation legend %+v, want its text", a)
	}
}
