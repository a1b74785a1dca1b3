package watch

import (
	"fmt"
	"testing"
)

// FuzzParseFenceFeature feeds arbitrary bodies of POST /live/fences through the checks PutFence
// runs before it touches the database: parse, kind, rules. None may panic, and an accepted fence has
// a name and a kind.
func FuzzParseFenceFeature(f *testing.F) {
	for _, s := range []string{
		`{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[119.9,37.1],[120,37.1],[120,37.2],[119.9,37.1]]]},"properties":{"name":"林区","rules":[{"kind":"enter","level":"orange"},{"kind":"speed","max_kmh":40}]}}`,
		`{"type":"Feature","geometry":{"type":"Point","coordinates":[119.9,37.1]},"properties":{"name":"矿口","radius_m":500,"applies_to":{"kinds":["vehicle"]}}}`,
		`{"type":"Feature","geometry":{"type":"LineString","coordinates":[[119.9,37.1],[120,37.2]]},"properties":{"name":"路线","width_m":50,"rules":[{"kind":"off_route"},{"kind":"inside","window":{"days":[1,2,3,4,5],"from":"22:00","to":"06:00"}},{"kind":"dwell","seconds":600}]}}`,
		`{"type":"Feature","geometry":null,"properties":{"name":"from a layer","source_layer":"basemap.water","source_id":"7","valid_from":"2026-01-01T00:00:00Z","valid_to":"2026-12-31T00:00:00Z"}}`,
		`{"type":"Feature","geometry":{"type":"Point","coordinates":[0,0]},"properties":{"name":"x","radius_m":-1}}`,
		`{"type":"Feature","properties":{"name":"x","speed":1}}`,
		`[]`, `{`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ff, err := ParseFenceFeature(body)
		if err != nil {
			if ff != nil {
				t.Fatalf("a fence and the error %v", err)
			}
			return
		}
		if ff.Type != "Feature" || ff.Properties.Name == "" {
			t.Fatalf("accepted %+v", ff)
		}
		kind, err := ff.kind()
		if err != nil {
			return
		}
		if kind != "polygon" && kind != "circle" && kind != "corridor" {
			t.Fatalf("kind %q", kind)
		}
		for i := range ff.Properties.Rules {
			_ = ff.Properties.Rules[i].check(fmt.Sprintf("properties.rules[%d]", i), true, kind)
		}
	})
}
