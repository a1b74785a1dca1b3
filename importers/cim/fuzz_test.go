package cim

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
)

// FuzzCityGML: the reader never panics and every polygon it emits passed the checks.
func FuzzCityGML(f *testing.F) {
	for _, p := range []string{"Block020023.gml", "v3_Building_LOD2-EPSG25832.gml"} {
		if b, err := os.ReadFile("../../../shared/data/citygml/" + p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`<CityModel><cityObjectMember><Building id="b"><lod1Solid><Solid><exterior><Polygon><exterior><LinearRing><posList>0 0 0 1 0 0 1 1 0 0 0 0</posList></LinearRing></exterior></Polygon></exterior></Solid></lod1Solid></Building></cityObjectMember></CityModel>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = readCityGML("fuzz.gml", bytes.NewReader(b), Options{}, func(o *cityObject) error {
			for _, p := range o.polys {
				if err := p.check(0.1); err != nil {
					t.Fatalf("emitted an invalid polygon: %v", err)
				}
			}
			return nil
		}, func(int, string, string) {})
	})
}

// FuzzCityJSONFlatten: boundaries of any shape are read or refused, never a panic.
func FuzzCityJSONFlatten(f *testing.F) {
	f.Add(`{"type":"Solid","lod":"2","boundaries":[[[[0,1,2,3]],[[4,5,6]]]],"semantics":{"surfaces":[{"type":"RoofSurface"}],"values":[[0,null]]}}`)
	f.Add(`{"type":"MultiSurface","lod":1,"boundaries":[[[0,1,2]]]}`)
	f.Fuzz(func(t *testing.T, s string) {
		var g cjGeometry
		if json.Unmarshal([]byte(s), &g) != nil {
			return
		}
		_, _ = flatten(&g, "")
	})
}

// FuzzCityJSONSeq: any text is read as CityJSON or a CityJSONSeq, or refused; never a panic, and
// every feature after the header is a CityJSONFeature carrying the header's transform.
func FuzzCityJSONSeq(f *testing.F) {
	f.Add([]byte(`{"type":"CityJSON","version":"2.0","transform":{"scale":[1,1,1],"translate":[0,0,0]},"CityObjects":{},"vertices":[]}
{"type":"CityJSONFeature","id":"a","CityObjects":{"a":{"type":"Building","geometry":[{"type":"MultiSurface","lod":"1","boundaries":[[[0,1,2]]]}]}},"vertices":[[0,0,0],[1,0,0],[1,1,0]]}
`))
	f.Add([]byte(`{"type":"CityJSON","version":"2.0","CityObjects":{},"vertices":[]}` + "\n" + `{"type":"Feature"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var header *cjFile
		_ = readCityJSON("fuzz.city.jsonl", bytes.NewReader(b), func(string) {}, func(doc *cjFile, line int) error {
			if line == 0 {
				header = doc
				return nil
			}
			if doc.Type != "CityJSONFeature" || doc.Transform != header.Transform {
				t.Fatalf("line %d: type %q, transform %v", line, doc.Type, doc.Transform)
			}
			for _, co := range doc.CityObjects {
				if co == nil {
					continue
				}
				for i := range co.Geometry {
					_, _ = flatten(&co.Geometry[i], "")
				}
			}
			return nil
		})
	})
}
