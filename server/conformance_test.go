package server

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// The assertions of the OGC API – Features conformance test suite (ets-ogcapi-features10, Part 2 and
// the Part 3 filter tests) for the classes /conformance declares, ported to Go against the real server
// and database. Test names carry the abstract test ids.

func TestConformanceCore(t *testing.T) {
	c := newCity(t)

	t.Run("ats/core/root-op,root-success", func(t *testing.T) {
		doc := c.getJSON(t, "/", "application/json")
		for _, rel := range []string{"self", "service-desc", "conformance", "data"} {
			if linkHref(doc, rel, "") == "" {
				t.Errorf("landing page lacks a %s link", rel)
			}
		}
		if r := c.get(t, "/?f=html"); r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
			t.Errorf("HTML landing page: %d %s", r.status, r.header.Get("Content-Type"))
		}
	})

	t.Run("ats/core/api-definition-op,api-definition-success", func(t *testing.T) {
		doc := c.getJSON(t, "/api", "application/vnd.oai.openapi+json;version=3.0")
		if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.0") {
			t.Errorf("openapi = %v", doc["openapi"])
		}
	})

	t.Run("ats/core/conformance-op,conformance-success", func(t *testing.T) {
		doc := c.getJSON(t, "/conformance", "application/json")
		list, _ := doc["conformsTo"].([]any)
		for _, want := range []string{"ogcapi-features-1/1.0/conf/core", "ogcapi-features-1/1.0/conf/geojson", "ogcapi-features-1/1.0/conf/oas30"} {
			if !slices.ContainsFunc(list, func(v any) bool { return strings.HasSuffix(v.(string), want) }) {
				t.Errorf("conformsTo lacks %s", want)
			}
		}
	})

	t.Run("ats/core/fc-md-op,fc-md-success,fc-md-links,fc-md-items", func(t *testing.T) {
		doc := c.getJSON(t, "/collections", "application/json")
		if linkHref(doc, "self", "") == "" {
			t.Error("collections lacks a self link")
		}
		cols, _ := doc["collections"].([]any)
		var ids []string
		for _, x := range cols {
			col := x.(map[string]any)
			id := col["id"].(string)
			ids = append(ids, id)
			if linkHref(col, "items", "application/geo+json") == "" {
				t.Errorf("collection %s lacks an items link to GeoJSON", id)
			}
			if col["title"] == "" {
				t.Errorf("collection %s has no title", id)
			}
		}
		for _, want := range []string{"basemap.building", "basemap.road", "basemap.annotation", "pipeline.point", "basemap.event"} {
			if !slices.Contains(ids, want) {
				t.Errorf("collections lack %s (have %v)", want, ids)
			}
		}
		if slices.Contains(ids, "pipeline.segment") {
			t.Error("an anonymous caller sees pipeline.segment, which only planners may read")
		}
	})

	t.Run("ats/core/sfc-md-op,sfc-md-success,sfc-md-extent", func(t *testing.T) {
		doc := c.getJSON(t, "/collections/basemap.building", "application/json")
		if doc["id"] != "basemap.building" || doc["title"] != "房屋" || doc["itemType"] != "feature" {
			t.Errorf("collection = %v", doc)
		}
		ext, _ := doc["extent"].(map[string]any)
		sp, _ := ext["spatial"].(map[string]any)
		bb, _ := sp["bbox"].([]any)
		if len(bb) != 1 {
			t.Fatalf("extent = %v", ext)
		}
		box := bb[0].([]any)
		if box[0].(float64) > originLon+0.0001 || box[2].(float64) < originLon+0.005 {
			t.Errorf("extent %v does not cover the buildings", box)
		}
		if en := c.get(t, "/collections/basemap.building", "Accept-Language", "en").json(t); en["title"] != "Buildings" {
			t.Errorf("English title = %v", en["title"])
		}
		c.get(t, "/collections/basemap.nope").problem(t, 404)
	})

	t.Run("ats/core/fc-op,fc-response,fc-links,fc-timeStamp,fc-numberReturned", func(t *testing.T) {
		doc := c.getJSON(t, "/collections/basemap.building/items?limit=7", "application/geo+json")
		feats := featuresOf(t, doc)
		if len(feats) != 7 || doc["numberReturned"] != 7.0 || doc["numberMatched"] != float64(c.buildings) {
			t.Errorf("returned %d, numberReturned %v, numberMatched %v", len(feats), doc["numberReturned"], doc["numberMatched"])
		}
		if linkHref(doc, "self", "application/geo+json") == "" || linkHref(doc, "next", "") == "" || doc["timeStamp"] == nil {
			t.Errorf("links %v, timeStamp %v", doc["links"], doc["timeStamp"])
		}
		for _, f := range feats {
			g, _ := f["geometry"].(map[string]any)
			if f["type"] != "Feature" || f["id"] == nil || g["type"] != "MultiPolygon" {
				t.Errorf("feature %v", f)
			}
			props := f["properties"].(map[string]any)
			if _, ok := props["floors"]; !ok {
				t.Errorf("feature %v lacks floors", f["id"])
			}
		}
	})

	t.Run("ats/core/fc-limit-definition,fc-limit-response", func(t *testing.T) {
		for _, bad := range []string{"0", "-1", "10001", "abc"} {
			p := c.get(t, "/collections/basemap.building/items?limit="+bad).problem(t, 400)
			if p.Parameter != "limit" || !strings.Contains(p.Detail, "between 1 and 10000") {
				t.Errorf("limit=%s: %+v", bad, p)
			}
		}
	})

	t.Run("ats/core/fc-links-next: paging visits every feature once", func(t *testing.T) {
		seen := map[string]bool{}
		next := "/collections/basemap.building/items?limit=8"
		pages := 0
		for next != "" {
			doc := c.getJSON(t, next, "application/geo+json")
			for _, f := range featuresOf(t, doc) {
				id := fmt.Sprint(f["id"])
				if seen[id] {
					t.Fatalf("feature %s on two pages", id)
				}
				seen[id] = true
			}
			next = linkHref(doc, "next", "")
			if pages++; pages > 10 {
				t.Fatal("paging does not end")
			}
			if pages > 1 && linkHref(doc, "prev", "") == "" {
				t.Error("a later page has no prev link")
			}
		}
		if len(seen) != c.buildings || pages != 4 {
			t.Errorf("paging saw %d features on %d pages, want %d on 4", len(seen), pages, c.buildings)
		}
	})

	t.Run("ats/core/fc-bbox-definition,fc-bbox-response", func(t *testing.T) {
		bbox := fmt.Sprintf("%f,%f,%f,%f", originLon-0.0001, originLat-0.0001, originLon+0.0015, originLat+0.0015)
		doc := c.getJSON(t, "/collections/basemap.building/items?bbox="+bbox, "application/geo+json")
		want := c.count(t, `SELECT count(*) FROM basemap.building WHERE ST_Intersects(geom, ST_MakeEnvelope($1, $2, $3, $4, 4490))`,
			originLon-0.0001, originLat-0.0001, originLon+0.0015, originLat+0.0015)
		if got := len(featuresOf(t, doc)); got != want || want != 4 {
			t.Errorf("bbox selected %d, the database %d (want 4)", got, want)
		}
		for _, bad := range []string{"1,2,3", "a,b,c,d", "119.95,37.2,119.94,37.1"} {
			if p := c.get(t, "/collections/basemap.building/items?bbox="+bad).problem(t, 400); p.Parameter != "bbox" {
				t.Errorf("bbox=%s: %+v", bad, p)
			}
		}
	})

	t.Run("ats/core/fc-time-definition,fc-time-response", func(t *testing.T) {
		cases := map[string]int{
			"2024-05-03T00:00:00Z/..":                       8, // 8:00+08 = 00:00Z: the 3rd to the 10th
			"../2024-05-02T23:59:59Z":                       2,
			"2024-05-02T00:00:00Z/2024-05-04T00:00:00Z":     3,
			"2024-05-05T00:00:00Z":                          1,
			"2024-05-05T00:00:00Z/2024-05-05T00:00:00.001Z": 1,
		}
		for dt, want := range cases {
			doc := c.getJSON(t, "/collections/basemap.event/items?datetime="+url.QueryEscape(dt), "application/geo+json")
			if got := len(featuresOf(t, doc)); got != want {
				t.Errorf("datetime=%s: %d features, want %d", dt, got, want)
			}
		}
		c.get(t, "/collections/basemap.event/items?datetime=yesterday").problem(t, 400)
	})

	t.Run("ats/core/query-param-unknown", func(t *testing.T) {
		p := c.get(t, "/collections/basemap.building/items?colour=red").problem(t, 400)
		if p.Parameter != "colour" || !strings.Contains(p.Detail, "unknown parameter") {
			t.Errorf("%+v", p)
		}
	})

	t.Run("ats/core/f-op,f-success,f-links", func(t *testing.T) {
		id := c.count(t, `SELECT min(id) FROM basemap.building`)
		r := c.get(t, fmt.Sprintf("/collections/basemap.building/items/%d", id))
		if r.status != 200 || r.header.Get("Content-Type") != "application/geo+json" || r.header.Get("ETag") == "" {
			t.Fatalf("%d %v", r.status, r.header)
		}
		f := r.json(t)
		if f["type"] != "Feature" || f["id"] != float64(id) || linkHref(f, "self", "") == "" || linkHref(f, "collection", "") == "" {
			t.Errorf("feature %v", f)
		}
		if r2 := c.get(t, fmt.Sprintf("/collections/basemap.building/items/%d", id), "If-None-Match", r.header.Get("ETag")); r2.status != 304 {
			t.Errorf("If-None-Match with the ETag: %d", r2.status)
		}
		c.get(t, "/collections/basemap.building/items/999999").problem(t, 404)
		c.get(t, "/collections/basemap.building/items/abc").problem(t, 404)
	})

	t.Run("sortby and properties", func(t *testing.T) {
		doc := c.getJSON(t, "/collections/basemap.building/items?sortby=-floors,name&properties=name,floors&limit=5", "application/geo+json")
		last := math.Inf(1)
		for _, f := range featuresOf(t, doc) {
			p := f["properties"].(map[string]any)
			if len(p) != 2 {
				t.Errorf("properties = %v, want name and floors only", p)
			}
			fl := p["floors"].(float64)
			if fl > last {
				t.Errorf("not sorted by -floors: %v after %v", fl, last)
			}
			last = fl
		}
		c.get(t, "/collections/basemap.building/items?sortby=colour").problem(t, 400)
		c.get(t, "/collections/basemap.building/items?properties=colour").problem(t, 400)
	})

	t.Run("a page is made in full before it is sent", func(t *testing.T) {
		// Spooled from the database, then sent with its length: no connection waits on the client.
		resp, err := http.Get(c.base + "/collections/basemap.building/items?limit=30")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.ContentLength != int64(len(b)) || len(resp.TransferEncoding) != 0 || !json.Valid(b) {
			t.Errorf("Content-Length %d, Transfer-Encoding %v, %d bytes", resp.ContentLength, resp.TransferEncoding, len(b))
		}
	})

	t.Run("HTML items page", func(t *testing.T) {
		r := c.get(t, "/collections/basemap.building/items?limit=3", "Accept", "text/html,application/xhtml+xml")
		if r.status != 200 || !strings.Contains(string(r.body), "文化小区") || !strings.Contains(string(r.body), "下一页") {
			t.Errorf("HTML page %d: %.300s", r.status, r.body)
		}
	})
}

func TestConformanceCRS(t *testing.T) {
	c := newCity(t)
	id := c.count(t, `SELECT id FROM basemap.annotation WHERE text = '莱州市人民政府'`)
	path := fmt.Sprintf("/collections/basemap.annotation/items/%d", id)

	t.Run("ats/crs/fc-md-crs-list,fc-md-storageCrs", func(t *testing.T) {
		doc := c.getJSON(t, "/collections/basemap.annotation", "application/json")
		crs, _ := doc["crs"].([]any)
		if len(crs) != 5 || crs[0] != "http://www.opengis.net/def/crs/OGC/1.3/CRS84" || doc["storageCrs"] != "http://www.opengis.net/def/crs/EPSG/0/4490" {
			t.Errorf("crs %v storageCrs %v", crs, doc["storageCrs"])
		}
	})

	t.Run("ats/crs/fc-crs-valid-value,f-crs-valid-value,Content-Crs", func(t *testing.T) {
		cases := []struct {
			crs    string
			x, y   float64
			within float64
		}{
			{"", 119.9420, 37.1820, 1e-9},
			{"http://www.opengis.net/def/crs/EPSG/0/4490", 37.1820, 119.9420, 1e-9},                // latitude first
			{"http://www.opengis.net/def/crs/EPSG/0/4549", 4116710.792, 494849.654, 0.01},          // northing first, no zone prefix
			{"http://www.opengis.net/def/crs/EPSG/0/4528", 4116710.792, 40494849.654, 0.01},        // with the zone prefix 40
			{"http://www.opengis.net/def/crs/EPSG/0/3857", 13351882.365, 4464505.693, 0.01},        // Web Mercator, x first
			{"[EPSG:4490]", 37.1820, 119.9420, 1e-9},                                               // safe CURIE
			{"http://www.opengis.net/def/crs/OGC/1.3/CRS84", 119.9420, 37.1820, 1e-9},              // explicit default
			{"https://www.opengis.net/def/crs/EPSG/0/4549", 4116710.792, 494849.654, 0.01},         // https spelling
			{"EPSG:3857", 13351882.365, 4464505.693, 0.01},                                         // plain code
			{"http://www.opengis.net/def/crs/EPSG/0/4490?x=1", 0, 0, -1},                           // not offered
			{"http://www.opengis.net/def/crs/EPSG/0/4326", 0, 0, -1},                               // not offered
			{"urn:ogc:def:crs:EPSG::4490", 0, 0, -1},                                               // not offered spelling
			{"http://www.opengis.net/def/crs/EPSG/0/32650", 0, 0, -1},                              // UTM: not offered
			{"http://www.opengis.net/def/crs/EPSG/0/4549/extra", 0, 0, -1},                         // malformed
			{"http://www.opengis.net/def/crs/OGC/1.3/CRS83", 0, 0, -1},                             // typo
			{"http://www.opengis.net/def/crs/EPSG/0/3857 ", 13351882.365, 4464505.693, 0.01},       // trailing space trimmed
			{"<http://www.opengis.net/def/crs/EPSG/0/3857>", 13351882.365, 4464505.693, 0.01},      // as in Content-Crs
			{"crs84", 119.9420, 37.1820, 1e-9},                                                     // short name
			{"OGC:CRS84", 119.9420, 37.1820, 1e-9},                                                 // CURIE of the default
			{"[OGC:CRS84]", 119.9420, 37.1820, 1e-9},                                               // safe CURIE of the default
			{"http://www.opengis.net/def/crs/EPSG/0/900913", 0, 0, -1},                             // old code: not offered
			{"http://www.opengis.net/def/crs/EPSG/0/-1", 0, 0, -1},                                 // nonsense
			{"http://www.opengis.net/def/crs/EPSG/0/", 0, 0, -1},                                   // empty code
			{"http://www.opengis.net/def/crs/EPSG/0/4490;DROP TABLE basemap.annotation", 0, 0, -1}, // hostile
			{"http://www.opengis.net/def/crs/EPSG/0/4490' OR '1'='1", 0, 0, -1},                    // hostile
		}
		for _, cs := range cases {
			q := ""
			if cs.crs != "" {
				q = "?crs=" + url.QueryEscape(cs.crs)
			}
			r := c.get(t, path+q)
			if cs.within < 0 {
				if p := r.problem(t, 400); p.Parameter != "crs" || !strings.Contains(p.Detail, "not offered") {
					t.Errorf("crs=%s: %+v", cs.crs, p)
				}
				continue
			}
			if r.status != 200 {
				t.Fatalf("crs=%s: %d %s", cs.crs, r.status, r.body)
			}
			want := "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
			if cs.crs != "" {
				want = "<" + normaliseCRS(cs.crs) + ">"
				want = strings.Trim(want, "<>")
			}
			if got := strings.Trim(r.header.Get("Content-Crs"), "<>"); got != want {
				t.Errorf("crs=%s: Content-Crs %q, want %q", cs.crs, got, want)
			}
			coords := r.json(t)["geometry"].(map[string]any)["coordinates"].([]any)
			x, y := coords[0].(float64), coords[1].(float64)
			if math.Abs(x-cs.x) > cs.within || math.Abs(y-cs.y) > cs.within {
				t.Errorf("crs=%s: coordinates %f, %f, want %f, %f (±%g)", cs.crs, x, y, cs.x, cs.y, cs.within)
			}
		}
	})

	t.Run("ats/crs/fc-bbox-crs-*", func(t *testing.T) {
		base := c.getJSON(t, "/collections/basemap.building/items?bbox=119.9399,37.1799,119.9415,37.1815", "application/geo+json")
		want := len(featuresOf(t, base))
		for _, q := range []string{
			"bbox=37.1799,119.9399,37.1815,119.9415&bbox-crs=" + url.QueryEscape("http://www.opengis.net/def/crs/EPSG/0/4490"),
			"bbox=13351648.6,4464212.3,13351826.7,4464435.8&bbox-crs=" + url.QueryEscape("http://www.opengis.net/def/crs/EPSG/0/3857"),
		} {
			doc := c.getJSON(t, "/collections/basemap.building/items?"+q, "application/geo+json")
			if got := len(featuresOf(t, doc)); got != want || want != 4 {
				t.Errorf("%s: %d features, the CRS84 bbox %d (want 4)", q, got, want)
			}
		}
		c.get(t, "/collections/basemap.building/items?bbox=1,2,3,4&bbox-crs=EPSG:4326").problem(t, 400)
	})
}

// normaliseCRS is the URI the server answers with for an accepted spelling.
func normaliseCRS(s string) string {
	s = strings.TrimSpace(strings.Trim(strings.TrimSpace(s), "<>[]"))
	switch strings.ToUpper(s) {
	case "CRS84", "OGC:CRS84":
		return "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
	}
	if code, ok := strings.CutPrefix(strings.ToUpper(s), "EPSG:"); ok {
		return "http://www.opengis.net/def/crs/EPSG/0/" + code
	}
	return strings.Replace(s, "https://", "http://", 1)
}
