package oblique

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzReadMetadata feeds arbitrary metadata.xml files (delivered with an oblique model set) to
// ReadMetadata and the SRS it states to parseSRS: never a panic, and what is accepted is usable.
func FuzzReadMetadata(f *testing.F) {
	for _, s := range []string{
		"<ModelMetadata version=\"1\"><SRS>EPSG:4528</SRS><SRSOrigin>40500000,4100000,0</SRSOrigin></ModelMetadata>",
		"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<ModelMetadata version=\"1\">\n<SRS>ENU:37.18,119.94</SRS>\n<SRSOrigin>0,0,0</SRSOrigin>\n</ModelMetadata>",
		`<ModelMetadata><SRS>EPSG:4549+5737</SRS><SRSOrigin>500000;4100000</SRSOrigin></ModelMetadata>`,
		`<ModelMetadata><SRS>PROJCS["CGCS2000 / 3-degree Gauss-Kruger CM 120E",GEOGCS["China Geodetic Coordinate System 2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101]]],PROJECTION["Transverse_Mercator"],PARAMETER["central_meridian",120],AUTHORITY["EPSG","4549"]]</SRS></ModelMetadata>`,
		`<ModelMetadata><SRS>PROJCRS["x",BASEGEOGCRS["y",DATUM["z",ELLIPSOID["e",6378137,298.257]]],CONVERSION["c",METHOD["Transverse Mercator"]],ID["EPSG",4549]]</SRS></ModelMetadata>`,
		`<ModelMetadata><SRS></SRS></ModelMetadata>`,
		`<ModelMetadata><SRS>ENU:91,0</SRS></ModelMetadata>`,
		`<Other/>`, ``,
	} {
		f.Add([]byte(s))
	}
	path := filepath.Join(f.TempDir(), "metadata.xml")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		m, err := ReadMetadata(path)
		if err != nil {
			if m != nil {
				t.Fatalf("metadata and the error %v", err)
			}
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("the error %q does not name the file", err)
			}
			return
		}
		if m.SRS == "" || m.File != path {
			t.Fatalf("accepted %+v", m)
		}
		s, err := parseSRS(m.SRS)
		if err != nil {
			return
		}
		switch s.kind {
		case srsENU:
			if s.lat < -90 || s.lat > 90 || s.lon < -180 || s.lon > 180 {
				t.Fatalf("ENU %+v", s)
			}
		case srsEPSG:
			if s.srid <= 0 {
				t.Fatalf("EPSG %+v", s)
			}
		case srsWKT:
			if s.srid < 0 || s.proj == "" {
				t.Fatalf("WKT %+v", s)
			}
		}
	})
}

// FuzzReadTileset feeds arbitrary tileset.json files to readTileset: never a panic, and an accepted
// tileset has a version Yitu reads, a root and a geometric error.
func FuzzReadTileset(f *testing.F) {
	for _, s := range []string{
		`{"asset":{"version":"1.1"},"geometricError":100,"root":{"boundingVolume":{"box":[0,0,0,10,0,0,0,10,0,0,0,10]},"geometricError":10,"refine":"REPLACE","content":{"uri":"a.glb"},"children":[{"boundingVolume":{"sphere":[0,0,0,5]},"geometricError":0,"content":{"uri":"b.b3dm"}}]}}`,
		`{"asset":{"version":"1.0"},"geometricError":1,"root":{"transform":[1,0,0,0,0,1,0,0,0,0,1,0,1,2,3,1],"boundingVolume":{"region":[2.09,0.64,2.1,0.65,0,100]},"geometricError":0}}`,
		`{"asset":{"version":"2.0"},"geometricError":1,"root":{}}`,
		`{"asset":{},"root":{}}`,
		`{"asset":{"version":"1.1"},"root":{}}`,
		`[]`, `{`, ``,
	} {
		f.Add([]byte(s))
	}
	path := filepath.Join(f.TempDir(), "tileset.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		doc, err := readTileset(path)
		if err != nil {
			if doc != nil {
				t.Fatalf("a tileset and the error %v", err)
			}
			return
		}
		if doc.Root == nil || doc.GeometricError == nil || doc.Asset.Version == "" {
			t.Fatalf("accepted %+v", doc)
		}
	})
}

// FuzzSubtree feeds arbitrary subtree files (binary .subtree or JSON) of an implicit quadtree with
// two subtree levels and one content template to the subtree reader: never a panic, an error names
// the file, and every availability bit of what is accepted can be read.
func FuzzSubtree(f *testing.F) {
	for _, s := range []string{
		`{"tileAvailability":{"constant":1},"contentAvailability":[{"constant":0}],"childSubtreeAvailability":{"constant":0}}`,
		`{"buffers":[{"uri":"b.bin","byteLength":2}],"bufferViews":[{"buffer":0,"byteOffset":0,"byteLength":1},{"buffer":0,"byteOffset":1,"byteLength":1}],"tileAvailability":{"bitstream":0},"contentAvailability":[{"bitstream":1}]}`,
		`{"tileAvailability":{"bufferView":0},"contentAvailability":{"constant":1}}`,
		"subt\x01\x00\x00\x00\x50\x00\x00\x00\x00\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00" +
			`{"buffers":[{"byteLength":8}],"bufferViews":[{"buffer":0,"byteOffset":0,"byteLength":2}],"tileAvailability":{"bitstream":0},"contentAvailability":[{"bitstream":0}],"childSubtreeAvailability":{"bitstream":0}}` +
			"\x1f\xff\x00\x00\x00\x00\x00\x00",
		"subt", "", "{}",
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "b.bin"), []byte{0xff, 0x01}, 0o644); err != nil {
		f.Fatal(err)
	}
	path := filepath.Join(dir, "0.0.0.subtree")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		iw := &implicitWalk{file: filepath.Join(dir, "tileset.json"), at: "tileset.json: root", dims: 2, levels: 2, available: 3,
			subtrees: "{level}.{x}.{y}.subtree", contents: []string{"{level}/{x}/{y}.glb"}, noted: true}
		st, err := iw.subtree(0, [3]int{})
		if err != nil {
			if st != nil || !strings.Contains(err.Error(), path) {
				t.Fatalf("subtree %v and the error %q", st, err)
			}
			return
		}
		for i := range 5 {
			st.tile.get(i)
			st.content[0].get(i)
		}
		for i := range 16 {
			st.child.get(i)
		}
	})
}
