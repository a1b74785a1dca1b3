package server

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/yitu-gis/yitu/spatial"
)

// filterCount runs a filter through the API and returns how many features it selected.
func (c *city) filterCount(t *testing.T, collection, filter, lang string) int {
	t.Helper()
	q := "/collections/" + collection + "/items?limit=1000&filter=" + url.QueryEscape(filter)
	if lang != "" {
		q += "&filter-lang=" + lang
	}
	doc := c.getJSON(t, q, "application/geo+json")
	return len(featuresOf(t, doc))
}

// TestConformanceFilter: Part 3 (filter, features-filter, queryables, queryables-query-parameters)
// and each CQL2 class declared, every count checked against the same condition in SQL.
func TestConformanceFilter(t *testing.T) {
	c := newCity(t)

	t.Run("ats/queryables/get-queryables-uris,get-queryables", func(t *testing.T) {
		doc := c.getJSON(t, "/collections/basemap.building", "application/json")
		href := linkHref(doc, "http://www.opengis.net/def/rel/ogc/1.0/queryables", "application/schema+json")
		if href == "" {
			t.Fatal("collection lacks a queryables link")
		}
		q := c.getJSON(t, href, "application/schema+json")
		props, _ := q["properties"].(map[string]any)
		if q["type"] != "object" || q["$schema"] == nil || props["floors"] == nil || props["geometry"] == nil {
			t.Fatalf("queryables = %v", q)
		}
		if fl := props["floors"].(map[string]any); fl["type"] != "integer" || fl["title"] != "层数" {
			t.Errorf("floors = %v", fl)
		}
	})

	t.Run("ats/queryables-query-parameters", func(t *testing.T) {
		doc := c.getJSON(t, "/collections/basemap.building/items?structure="+url.QueryEscape("砼")+"&floors=3", "application/geo+json")
		want := c.count(t, `SELECT count(*) FROM basemap.building WHERE structure = '砼' AND floors = 3`)
		if got := len(featuresOf(t, doc)); got != want || want == 0 {
			t.Errorf("structure=砼&floors=3: %d, database %d", got, want)
		}
		if p := c.get(t, "/collections/basemap.building/items?floors=three").problem(t, 400); p.Parameter != "floors" {
			t.Errorf("%+v", p)
		}
	})

	cases := []struct {
		class, collection, filter, sql string
	}{
		{"basic-cql2", "basemap.building", "floors >= 5 AND structure = '砼'", "floors >= 5 AND structure = '砼'"},
		{"basic-cql2", "basemap.building", "NOT (floors < 3) OR name = '文化小区1号楼'", "NOT (floors < 3) OR name = '文化小区1号楼'"},
		{"basic-cql2", "basemap.building", "address IS NULL", "address IS NULL"},
		{"basic-cql2", "basemap.building", "floors <> 4", "floors <> 4"},
		{"advanced-comparison-operators", "basemap.building", "name LIKE '文化小区1%'", "name LIKE '文化小区1%'"},
		{"advanced-comparison-operators", "basemap.building", "floors BETWEEN 3 AND 6", "floors BETWEEN 3 AND 6"},
		{"advanced-comparison-operators", "basemap.building", "floors NOT IN (1, 2, 3)", "floors NOT IN (1, 2, 3)"},
		{"advanced-comparison-operators", "basemap.road", "name IN ('文化东路', '光州街')", "name IN ('文化东路', '光州街')"},
		{"case-insensitive-comparison", "basemap.building", "CASEI(code) = casei('141101')", "lower(code) = '141101'"},
		{"basic-spatial-functions", "basemap.building", "S_INTERSECTS(geometry, BBOX(119.9399, 37.1799, 119.9415, 37.1815))",
			"ST_Intersects(geom, ST_MakeEnvelope(119.9399, 37.1799, 119.9415, 37.1815, 4490))"},
		{"basic-spatial-functions-plus", "basemap.building", "S_INTERSECTS(geometry, POINT(119.9402 37.1802))",
			"ST_Intersects(geom, ST_SetSRID(ST_MakePoint(119.9402, 37.1802), 4490))"},
		{"spatial-functions", "basemap.building", "S_WITHIN(geometry, POLYGON((119.939 37.179, 119.9425 37.179, 119.9425 37.1825, 119.939 37.1825, 119.939 37.179)))",
			"ST_Within(geom, ST_GeomFromText('POLYGON((119.939 37.179, 119.9425 37.179, 119.9425 37.1825, 119.939 37.1825, 119.939 37.179))', 4490))"},
		{"spatial-functions", "basemap.road", "S_CROSSES(geometry, LINESTRING(119.939 37.1830, 119.940 37.1840))",
			"ST_Crosses(geom, ST_GeomFromText('LINESTRING(119.939 37.1830, 119.940 37.1840)', 4490))"},
		{"spatial-functions", "basemap.building", "S_DISJOINT(geometry, BBOX(119.9399, 37.1799, 119.9415, 37.1815))",
			"ST_Disjoint(geom, ST_MakeEnvelope(119.9399, 37.1799, 119.9415, 37.1815, 4490))"},
		{"spatial-functions", "basemap.building", "S_CONTAINS(geometry, POINT(119.9402 37.1802))",
			"ST_Contains(geom, ST_SetSRID(ST_MakePoint(119.9402, 37.1802), 4490))"},
		{"spatial-functions", "basemap.building", "S_TOUCHES(geometry, POINT(119.9404 37.1802))",
			"ST_Touches(geom, ST_SetSRID(ST_MakePoint(119.9404, 37.1802), 4490))"},
		{"spatial-functions", "basemap.building", "S_DWITHIN(geometry, POINT(119.9402 37.1802), 150)",
			"ST_DWithin(geom::geography, ST_SetSRID(ST_MakePoint(119.9402, 37.1802), 4490)::geography, 150)"},
		{"temporal-functions", "basemap.event", "T_AFTER(at, TIMESTAMP('2024-05-05T00:00:00Z'))", "at > '2024-05-05T00:00:00Z'"},
		{"temporal-functions", "basemap.event", "T_DURING(at, INTERVAL('2024-05-02T12:00:00Z', '2024-05-06T12:00:00Z'))",
			"at > '2024-05-02T12:00:00Z' AND at < '2024-05-06T12:00:00Z'"},
		{"temporal-functions", "basemap.event", "T_BEFORE(at, DATE('2024-05-03'))", "at < '2024-05-03'"},
		{"temporal-functions", "basemap.event", "T_INTERSECTS(at, INTERVAL('..', '2024-05-02T00:00:00Z'))", "at <= '2024-05-02T00:00:00Z'"},
		{"property-property", "basemap.building", "height > floors * 2.5", "height > floors * 2.5"},
		{"property-property", "basemap.road", "width = width", "width = width"},
		{"arithmetic", "basemap.building", "floors + 1 >= 8", "floors + 1 >= 8"},
		{"arithmetic", "basemap.building", "height / 3 = floors", "height / 3 = floors"},
	}
	for _, cs := range cases {
		t.Run("cql2/"+cs.class+"/"+cs.filter, func(t *testing.T) {
			table := strings.Replace(cs.collection, ".", `"."`, 1)
			want := c.count(t, `SELECT count(*) FROM "`+table+`" WHERE `+cs.sql)
			if got := c.filterCount(t, cs.collection, cs.filter, "cql2-text"); got != want {
				t.Errorf("%s: %d features, database %d", cs.filter, got, want)
			}
			if want == 0 && !strings.Contains(cs.class, "spatial-functions") {
				t.Errorf("%s selects nothing in the fixture: a weak test", cs.filter)
			}
		})
	}

	t.Run("cql2-json", func(t *testing.T) {
		f := `{"op":"and","args":[{"op":">=","args":[{"property":"floors"},5]},{"op":"s_intersects","args":[{"property":"geometry"},{"bbox":[119.9399,37.1799,119.9445,37.1845]}]}]}`
		want := c.count(t, `SELECT count(*) FROM basemap.building WHERE floors >= 5 AND ST_Intersects(geom, ST_MakeEnvelope(119.9399,37.1799,119.9445,37.1845,4490))`)
		if got := c.filterCount(t, "basemap.building", f, "cql2-json"); got != want || want == 0 {
			t.Errorf("JSON filter: %d, database %d", got, want)
		}
	})

	t.Run("filter-crs", func(t *testing.T) {
		f := "S_INTERSECTS(geometry, POINT(37.1802 119.9402))"
		doc := c.getJSON(t, "/collections/basemap.building/items?filter="+url.QueryEscape(f)+"&filter-crs="+url.QueryEscape("http://www.opengis.net/def/crs/EPSG/0/4490"), "application/geo+json")
		if got := len(featuresOf(t, doc)); got != 1 {
			t.Errorf("a latitude-first point in EPSG:4490 found %d buildings, want 1", got)
		}
	})

	t.Run("bad filters are 400 problems naming the fault", func(t *testing.T) {
		cases := []struct{ filter, lang, want string }{
			{"colour = 'red'", "", `unknown property "colour"`},
			{"floors >= ", "", "at character 11"},
			{"name = 'abc", "", "unterminated character literal"},
			{"floors = 'three'", "", "cannot compare a number with a character string"},
			{`{"op":"=","args":[{"property":"colour"},1]}`, "cql2-json", `unknown property "colour"`},
			{`{"op":"=","args":[`, "cql2-json", "not JSON"},
			{"floors = 1", "cql2-xml", "filter-lang"},
		}
		for _, cs := range cases {
			q := "/collections/basemap.building/items?filter=" + url.QueryEscape(cs.filter)
			if cs.lang != "" {
				q += "&filter-lang=" + cs.lang
			}
			p := c.get(t, q).problem(t, 400)
			if p.Parameter != "filter" || !strings.Contains(p.Detail, cs.want) {
				t.Errorf("%s: %+v, want detail with %q", cs.filter, p, cs.want)
			}
		}
	})

	t.Run("SQL injection reaches the database only as bound values", func(t *testing.T) {
		hostile := []string{
			"name = 'x''; DROP TABLE basemap.building; --'",
			"name = 'x'' OR ''1''=''1'",
			"name LIKE '%'' OR 1=1 --'",
		}
		for _, f := range hostile {
			r := c.get(t, "/collections/basemap.building/items?filter="+url.QueryEscape(f))
			if r.status != 200 {
				t.Errorf("%s: %d %s", f, r.status, r.body)
				continue
			}
			if n := len(featuresOf(t, r.json(t))); n != 0 {
				t.Errorf("%s selected %d features", f, n)
			}
		}
		for _, q := range []string{
			"filter=" + url.QueryEscape(`"name; DROP TABLE basemap.building" = 'x'`),
			"sortby=" + url.QueryEscape("name; DROP TABLE basemap.building"),
			"properties=" + url.QueryEscape("name,(SELECT 1)"),
			url.QueryEscape("name'; DROP TABLE basemap.building; --") + "=1",
		} {
			if r := c.get(t, "/collections/basemap.building/items?"+q); r.status != 400 {
				t.Errorf("%s: status %d", q, r.status)
			}
		}
		if n := c.count(t, `SELECT count(*) FROM basemap.building`); n != c.buildings {
			t.Errorf("basemap.building has %d rows after the attempts", n)
		}
	})
}

// TestConformanceTransactions: Part 4 create, replace, update and delete with ETags, roles, the
// audit trail and the change notification.
func TestConformanceTransactions(t *testing.T) {
	c := newCity(t)
	ctx := context.Background()
	listen, err := pgx.Connect(ctx, c.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer listen.Close(ctx)
	if _, err := listen.Exec(ctx, "LISTEN "+spatial.ChangeChannel); err != nil {
		t.Fatal(err)
	}
	nextChange := func(t *testing.T) spatial.Change {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		n, err := listen.WaitForNotification(wctx)
		if err != nil {
			t.Fatalf("no change notification: %v", err)
		}
		ch, err := spatial.ParseChange(n.Payload)
		if err != nil {
			t.Fatal(err)
		}
		return ch
	}

	road := `{"type":"Feature","geometry":{"type":"LineString","coordinates":[[119.9500,37.1900],[119.9550,37.1900]]},
		"properties":{"name":"新华街","grade":"支路","width":12}}`

	t.Run("ats/create-replace-delete/post: roles", func(t *testing.T) {
		c.do(t, "POST", "/collections/basemap.road/items", "", road, "Content-Type", "application/geo+json").problem(t, 401)
		p := c.do(t, "POST", "/collections/basemap.road/items", c.planner, road, "Content-Type", "application/geo+json").problem(t, 403)
		if !strings.Contains(p.Detail, "surveyor") {
			t.Errorf("403 does not name the role: %+v", p)
		}
		r := c.do(t, "POST", "/collections/basemap.road/items", "yitu_forged", road, "Content-Type", "application/geo+json")
		r.problem(t, 401)
		if r.header.Get("WWW-Authenticate") == "" {
			t.Error("401 without WWW-Authenticate")
		}
		c.do(t, "POST", "/collections/basemap.building/items", c.surveyor, road, "Content-Type", "application/geo+json").problem(t, 403)
	})

	var location, etag string
	t.Run("ats/create-replace-delete/post", func(t *testing.T) {
		r := c.do(t, "POST", "/collections/basemap.road/items", c.surveyor, road, "Content-Type", "application/geo+json")
		if r.status != 201 || r.header.Get("Location") == "" || r.header.Get("ETag") == "" {
			t.Fatalf("POST: %d %v %s", r.status, r.header, r.body)
		}
		location, etag = r.header.Get("Location"), r.header.Get("ETag")
		ch := nextChange(t)
		if !slices.Equal(ch.Layers, []string{"basemap.road"}) || ch.BBox == nil || ch.BBox[0] != 119.95 || ch.Reason != "edit" {
			t.Errorf("change %+v", ch)
		}
		g := c.get(t, location)
		f := g.json(t)
		if g.header.Get("ETag") != etag || f["properties"].(map[string]any)["name"] != "新华街" {
			t.Errorf("GET %s: ETag %s (POST said %s), %v", location, g.header.Get("ETag"), etag, f)
		}
	})

	t.Run("bad bodies are 400 naming the field", func(t *testing.T) {
		for body, field := range map[string]string{
			`{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},"properties":{"colour":"red"}}`: "colour",
			`{"type":"Feature","properties":{"name":"x"}}`:                                                     "geometry",
			`{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},"properties":{"width":"wide"}}`: "",
			`not json`: "body",
		} {
			p := c.do(t, "POST", "/collections/basemap.road/items", c.surveyor, body, "Content-Type", "application/geo+json").problem(t, 400)
			if field != "" && p.Parameter != field {
				t.Errorf("%s: %+v, want parameter %s", body, p, field)
			}
		}
		c.do(t, "POST", "/collections/basemap.road/items", c.surveyor, road, "Content-Type", "text/plain").problem(t, 415)
	})

	t.Run("ats/create-replace-delete/put with If-Match", func(t *testing.T) {
		replaced := strings.Replace(road, "新华街", "新华东街", 1)
		p := c.do(t, "PUT", location, c.surveyor, replaced, "Content-Type", "application/geo+json", "If-Match", `"stale"`).problem(t, 412)
		if !strings.Contains(p.Detail, "changed since it was read") {
			t.Errorf("412 detail %q", p.Detail)
		}
		r := c.do(t, "PUT", location, c.surveyor, replaced, "Content-Type", "application/geo+json", "If-Match", etag)
		if r.status != 204 || r.header.Get("ETag") == "" || r.header.Get("ETag") == etag {
			t.Fatalf("PUT: %d, ETag %q (was %q) %s", r.status, r.header.Get("ETag"), etag, r.body)
		}
		etag = r.header.Get("ETag")
		nextChange(t)
	})

	t.Run("ats/update/patch", func(t *testing.T) {
		r := c.do(t, "PATCH", location, c.surveyor, `{"properties":{"width":14.5}}`, "Content-Type", "application/merge-patch+json", "If-Match", etag)
		if r.status != 204 {
			t.Fatalf("PATCH: %d %s", r.status, r.body)
		}
		nextChange(t)
		f := c.get(t, location).json(t)
		props := f["properties"].(map[string]any)
		if props["width"] != 14.5 || props["name"] != "新华东街" {
			t.Errorf("after PATCH: %v", props)
		}
		c.do(t, "PATCH", location, c.surveyor, `{"properties":{"width":1}}`, "Content-Type", "application/merge-patch+json", "If-Match", etag).problem(t, 412)
	})

	t.Run("ats/create-replace-delete/delete", func(t *testing.T) {
		if r := c.do(t, "DELETE", location, c.surveyor, ""); r.status != 204 {
			t.Fatalf("DELETE: %d %s", r.status, r.body)
		}
		nextChange(t)
		c.get(t, location).problem(t, 404)
		c.do(t, "DELETE", location, c.surveyor, "").problem(t, 404)
	})

	t.Run("audit rows", func(t *testing.T) {
		var actions []string
		rows, err := c.pool.Query(ctx, `SELECT action || ':' || actor || ':' || (before IS NOT NULL)::text || ':' || (after IS NOT NULL)::text
			FROM catalog.feature_audit WHERE layer_id = 'basemap.road' ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		actions, err = pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"create:wang:false:true", "replace:wang:true:true", "update:wang:true:true", "delete:wang:true:false"}
		if !slices.Equal(actions, want) {
			t.Errorf("audit = %v, want %v", actions, want)
		}
	})

	t.Run("Content-Crs of a body", func(t *testing.T) {
		body := `{"type":"Feature","geometry":{"type":"Point","coordinates":[4116710.792,494849.654]},"properties":{"name":"测试点"}}`
		c.do(t, "POST", "/collections/basemap.road/items", c.admin, body, "Content-Type", "application/geo+json", "Content-Crs", "<http://www.opengis.net/def/crs/EPSG/0/4549>")
		var lon, lat float64
		if err := c.pool.QueryRow(ctx, `SELECT ST_X(geom), ST_Y(geom) FROM basemap.road WHERE name = '测试点'`).Scan(&lon, &lat); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprintf("%.5f %.5f", lon, lat) != "119.94200 37.18200" {
			t.Errorf("stored at %f %f, want 119.942 37.182", lon, lat)
		}
	})
}

func TestReadRoles(t *testing.T) {
	c := newCity(t)
	// A collection one may not read answers as one that does not exist: no role named.
	anon := c.get(t, "/collections/pipeline.segment/items").problem(t, 404)
	other := c.do(t, "GET", "/collections/pipeline.segment/items", c.surveyor, "").problem(t, 404)
	none := c.get(t, "/collections/pipeline.nothing/items").problem(t, 404)
	for _, p := range []Problem{anon, other} {
		if strings.Contains(p.Detail, "planner") || strings.Replace(p.Detail, "segment", "nothing", 1) != none.Detail {
			t.Errorf("a restricted collection answers %q, an unknown one %q", p.Detail, none.Detail)
		}
	}
	r := c.do(t, "GET", "/collections/pipeline.segment/items", c.planner, "")
	if r.status != 200 || len(featuresOf(t, r.json(t))) != 1 {
		t.Errorf("planner: %d %s", r.status, r.body)
	}
	doc := c.do(t, "GET", "/collections", c.planner, "").json(t)
	if !strings.Contains(fmt.Sprint(doc["collections"]), "pipeline.segment") {
		t.Error("a planner does not see pipeline.segment in /collections")
	}
	f := featuresOf(t, r.json(t))[0]
	if coords := f["geometry"].(map[string]any)["coordinates"].([]any); len(coords[0].([]any)) != 3 {
		t.Errorf("a 3D pipe lost its heights: %v", coords)
	}
}

func TestSearchIdentifyNear(t *testing.T) {
	c := newCity(t)
	t.Run("search: exact, prefix, contains, similar", func(t *testing.T) {
		doc := c.getJSON(t, "/search?q="+url.QueryEscape("文化东路"), "application/geo+json")
		feats := featuresOf(t, doc)
		if len(feats) == 0 {
			t.Fatal("no hits for 文化东路")
		}
		first := feats[0]["properties"].(map[string]any)
		if first["label"] != "文化东路" || first["collection"] != "basemap.road" || first["rank"] != 3.0 {
			t.Errorf("first hit %v", first)
		}
		var addresses int
		for _, f := range feats {
			if p := f["properties"].(map[string]any); p["field"] == "address" {
				addresses++
			}
		}
		if addresses == 0 {
			t.Error("no building address among the hits for 文化东路")
		}
		doc = c.getJSON(t, "/search?q="+url.QueryEscape("莱州市人民"), "application/geo+json")
		if feats := featuresOf(t, doc); len(feats) == 0 || feats[0]["properties"].(map[string]any)["label"] != "莱州市人民政府" {
			t.Errorf("prefix search: %v", doc)
		}
		doc = c.getJSON(t, "/search?q="+url.QueryEscape("文峰路小校"), "application/geo+json") // a wrong last character
		if feats := featuresOf(t, doc); len(feats) == 0 || feats[0]["properties"].(map[string]any)["label"] != "文峰路小学" {
			t.Errorf("similarity search: %v", doc)
		}
		doc = c.getJSON(t, "/search?q="+url.QueryEscape("%_"), "application/geo+json")
		if n := len(featuresOf(t, doc)); n != 0 {
			t.Errorf("wildcards matched %d features", n)
		}
		c.get(t, "/search?q=").problem(t, 400)
	})

	t.Run("identify", func(t *testing.T) {
		doc := c.getJSON(t, "/identify?lon=119.9402&lat=37.1802&z=18", "application/geo+json")
		feats := featuresOf(t, doc)
		if len(feats) == 0 || feats[0]["collection"] != "basemap.building" || feats[0]["properties"].(map[string]any)["name"] != "文化小区1号楼" {
			t.Fatalf("identify = %v", feats)
		}
		// On the road next to the pipe point: the point comes first, then the line.
		doc = c.getJSON(t, "/identify?lon=119.9410&lat=37.1835&z=19", "application/geo+json")
		feats = featuresOf(t, doc)
		if len(feats) < 2 || feats[0]["collection"] != "pipeline.point" {
			t.Errorf("identify on a pipe point: %v", feats)
		}
		// Pipe points are not drawn below zoom 16.
		doc = c.getJSON(t, "/identify?lon=119.9410&lat=37.1835&z=12", "application/geo+json")
		for _, f := range featuresOf(t, doc) {
			if f["collection"] == "pipeline.point" {
				t.Error("a pipe point identified at zoom 12")
			}
		}
		c.get(t, "/identify?lon=abc&lat=37&z=10").problem(t, 400)
	})

	t.Run("near, nearest first", func(t *testing.T) {
		doc := c.getJSON(t, "/collections/basemap.event/items?near=119.9425,37.18&radius=200", "application/geo+json")
		feats := featuresOf(t, doc)
		want := c.count(t, `SELECT count(*) FROM basemap.event WHERE ST_DWithin(geom::geography, ST_SetSRID(ST_MakePoint(119.9425, 37.18), 4490)::geography, 200)`)
		if len(feats) != want || want < 3 {
			t.Fatalf("near: %d features, database %d", len(feats), want)
		}
		if feats[0]["properties"].(map[string]any)["name"] != "巡检5" {
			t.Errorf("nearest is %v, want 巡检5", feats[0]["properties"])
		}
		c.get(t, "/collections/basemap.event/items?near=119.9,37.1&radius=1000000").problem(t, 400)
		c.get(t, "/collections/basemap.event/items?near=119.9&radius=10").problem(t, 400)
	})
}

// TestEditGeometryValidated: geometries that would break reads for everyone are refused on write,
// naming what is wrong, and nothing is stored: an unclosed ring, a longitude of 500, a
// self-intersecting polygon, a NaN.
func TestEditGeometryValidated(t *testing.T) {
	c := newCity(t)
	before := c.count(t, `SELECT count(*) FROM basemap.building`)
	for _, bad := range []struct{ geom, want string }{
		{`{"type":"Polygon","coordinates":[[[119.94,37.18],[119.941,37.18],[119.941,37.181],[119.94,37.1811]]]}`, "not closed"},
		{`{"type":"Polygon","coordinates":[[[500,37.18],[501,37.18],[501,37.181],[500,37.18]]]}`, "not a longitude and latitude"},
		{`{"type":"Polygon","coordinates":[[[119.94,37.18],[119.941,37.181],[119.941,37.18],[119.94,37.181],[119.94,37.18]]]}`, "not valid"},
		{`{"type":"Polygon","coordinates":[[[119.94,37.18],[119.941,37.18]]]}`, "at least 4"},
	} {
		body := `{"type":"Feature","geometry":` + bad.geom + `,"properties":{"name":"坏楼"}}`
		r := c.do(t, "POST", "/collections/basemap.building/items", c.admin, body, "Content-Type", "application/geo+json")
		if p := r.problem(t, 400); p.Parameter != "geometry" || !strings.Contains(p.Detail, bad.want) {
			t.Errorf("%s: %q (%s)", bad.want, p.Detail, p.Parameter)
		}
	}
	if n := c.count(t, `SELECT count(*) FROM basemap.building`); n != before {
		t.Errorf("%d buildings after refused writes, %d before", n, before)
	}
}

// TestHead: HEAD on the feature and live routes answers as GET without a body.
func TestHead(t *testing.T) {
	c := newCity(t)
	for _, path := range []string{"/collections/basemap.building/items?limit=2", "/collections", "/live/objects"} {
		r := c.do(t, "HEAD", path, "", "")
		if r.status != 200 || len(r.body) != 0 || r.header.Get("Content-Type") == "" {
			t.Errorf("HEAD %s: %d, %d bytes, %q", path, r.status, len(r.body), r.header.Get("Content-Type"))
		}
	}
}
