package vector

import (
	"encoding/binary"
	"strings"
	"testing"
)

// dbf builds a DBF with one character field of width w holding the given values.
func dbf(w int, ldid byte, values ...[]byte) []byte {
	header := 32 + 32 + 1
	rec := 1 + w
	b := make([]byte, header+len(values)*rec+1)
	b[0] = 3
	binary.LittleEndian.PutUint32(b[4:], uint32(len(values)))
	binary.LittleEndian.PutUint16(b[8:], uint16(header))
	binary.LittleEndian.PutUint16(b[10:], uint16(rec))
	b[29] = ldid
	copy(b[32:], "NAME")
	b[32+11] = 'C'
	b[32+16] = byte(w)
	b[64] = 0x0D
	for i, v := range values {
		r := b[header+i*rec:]
		r[0] = ' '
		copy(r[1:1+w], append(v, []byte(strings.Repeat(" ", w))...))
	}
	b[len(b)-1] = 0x1A
	return b
}

var (
	laizhouUTF8 = []byte("莱州市")
	laizhouGBK  = []byte{0xC0, 0xB3, 0xD6, 0xDD, 0xCA, 0xD0}
)

func TestDecideEncoding(t *testing.T) {
	cases := []struct {
		name            string
		file            []byte
		flag, cpg, want string
		err             string
	}{
		{"utf-8, nothing declared", dbf(10, 0, laizhouUTF8), "", "", "utf-8", ""},
		{"gbk, nothing declared", dbf(10, 0, laizhouGBK), "", "", "gbk", ""},
		{"gbk by LDID", dbf(10, 0x4D, laizhouGBK), "", "", "gbk", ""},
		{"gbk by cpg", dbf(10, 0, laizhouGBK), "", "936", "gbk", ""},
		{"utf-8 cut mid-character", dbf(8, 0, laizhouUTF8), "", "", "utf-8", ""},
		{"ascii under any flag", dbf(10, 0, []byte("Laizhou")), "gbk", "", "gbk", ""},
		{"gbk read as utf-8", dbf(10, 0, laizhouGBK), "utf-8", "", "", "not UTF-8"},
		{"utf-8 read as gbk", dbf(10, 0, laizhouUTF8), "gbk", "", "", "not GBK"},
		{"cpg says utf-8, bytes are gbk", dbf(10, 0, laizhouGBK), "", "UTF-8", "", "probably GBK"},
	}
	for _, c := range cases {
		d, err := parseDBF("x.dbf", c.file)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		enc, _, err := decideEncoding(d, c.flag, c.cpg)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: %v, want an error saying %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil || enc != c.want {
			t.Errorf("%s: %s, %v; want %s", c.name, enc, err, c.want)
		}
	}
	full := dbf(10, 0, laizhouUTF8, laizhouUTF8)
	if _, err := parseDBF("x.dbf", full[:len(full)-8]); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("truncated DBF: %v", err)
	}
}

func TestParseInfo(t *testing.T) {
	out := `INFO: Open of ` + "`a.gpkg'" + `
      using driver ` + "`GPKG'" + ` successful.

Layer name: 道路
Geometry: 3D Line String
Feature Count: 374
Extent: (114.384155, 30.500751) - (114.406128, 30.514949)
Layer SRS WKT:
GEOGCS["GCS_WGS_1984",
    DATUM["D_WGS_1984",
        SPHEROID["WGS_1984",6378137.0,298.257223563]],
    PRIMEM["Greenwich",0.0],
    UNIT["Degree",0.0174532925199433]]
Data axis to CRS axis mapping: 2,1
FID Column = fid
Geometry Column = geom
名称: String (80.0)
lanes: Integer64 (0.0)
oneway: Integer(Boolean) (1.0)
width: Real (24.15)

Layer name: empty
Geometry: None
Feature Count: 0
Layer SRS WKT:
(unknown)
`
	ls, err := parseInfo(out)
	if err != nil || len(ls) != 2 {
		t.Fatalf("%+v, %v", ls, err)
	}
	l := ls[0]
	if l.Name != "道路" || l.Count != 374 || l.Geometry != "3D Line String" || l.FID != "fid" || !strings.HasSuffix(l.WKT, `0.0174532925199433]]`) ||
		l.Extent != [4]float64{114.384155, 30.500751, 114.406128, 30.514949} {
		t.Errorf("layer %+v", l)
	}
	want := []Field{{"名称", "String", 80, 0}, {"lanes", "Integer64", 0, 0}, {"oneway", "Integer(Boolean)", 1, 0}, {"width", "Real", 24, 15}}
	if len(l.Fields) != len(want) {
		t.Fatalf("fields %+v", l.Fields)
	}
	for i := range want {
		if l.Fields[i] != want[i] {
			t.Errorf("field %d = %+v, want %+v", i, l.Fields[i], want[i])
		}
	}
	if ls[1].WKT != "" || ls[1].Count != 0 || ls[1].Extent[0] <= ls[1].Extent[2] {
		t.Errorf("empty layer %+v", ls[1])
	}
}

func TestNames(t *testing.T) {
	if s := slug("Wuhan Roads 2024"); s != "wuhan_roads_2024" {
		t.Errorf("slug %q", s)
	}
	if a, b := slug("烟台区县"), slug("烟台区县"); a != b || !strings.HasPrefix(a, "d_") {
		t.Errorf("slug of a Chinese name %q, %q", a, b)
	}
	used := map[string]bool{"id": true, "geom": true}
	if c := columnName("id", used); c != "id_src" {
		t.Errorf("id → %q", c)
	}
	if c := columnName("ID", used); c != "ID_2" {
		t.Errorf("ID → %q", c)
	}
	long := strings.Repeat("很长的属性名称", 5)
	if c := columnName(long, used); len(c) > 63 || !strings.HasPrefix(long, c) {
		t.Errorf("long name → %q (%d bytes)", c, len(c))
	}
}

func FuzzParseDBF(f *testing.F) {
	f.Add(dbf(10, 0, laizhouUTF8))
	f.Add(dbf(6, 0x4D, laizhouGBK, []byte("abc")))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := parseDBF("f.dbf", b)
		if err != nil {
			return
		}
		for _, flag := range []string{"", "gbk", "utf-8"} {
			_, _, _ = decideEncoding(d, flag, "")
		}
	})
}
