package vector

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzDecodeCollection feeds arbitrary text to decodeCollection, the reader of ogr2ogr's GeoJSON
// output for every vector source (shapefile, GeoPackage, GeoJSON, KML…): never a panic; features are
// numbered in order, a geometry GeoJSON cannot hold is the feature's GeomErr, not a crash.
func FuzzDecodeCollection(f *testing.F) {
	for _, s := range []string{
		`{"type":"FeatureCollection","name":"bld","features":[{"type":"Feature","properties":{"名称":"楼","层数":6},"geometry":{"type":"Polygon","coordinates":[[[119.9,37.1],[120,37.1],[120,37.2],[119.9,37.1]]]}}]}`,
		`{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4549"}},"features":[{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[500000,4100000,3.5]}},{"type":"Feature","properties":null,"geometry":null}]}`,
		`{"features":[{"geometry":{"type":"MultiLineString","coordinates":[[[1,2],[3,4]],[[5,6]]]}},{"geometry":{"type":"GeometryCollection","geometries":[]}},{"geometry":{"type":"Nope"}}]}`,
		`{"features":[{"properties":{"a":1e999}}]}`,
		`{"features":{}}`, `[]`, `{`, ``,
	} {
		f.Add([]byte(s))
	}
	stop := errors.New("stop")
	f.Fuzz(func(t *testing.T, data []byte) {
		next := 0
		err := decodeCollection(bytes.NewReader(data), func(i int, ft Feature) error {
			if i != next && i != 0 { // 0 again: a second "features" member
				t.Fatalf("feature %d after %d", i, next-1)
			}
			next = i + 1
			if ft.Geometry != nil && ft.GeomErr != nil {
				t.Fatalf("feature %d has a geometry and the error %v", i, ft.GeomErr)
			}
			if next > 10_000 {
				return stop
			}
			return nil
		})
		_ = err
	})
}
