package features

import (
	"errors"
	"testing"
	"time"

	"github.com/yitu-gis/yitu/spatial"
)

func TestParseCRS(t *testing.T) {
	for in, want := range map[string]int{
		"http://www.opengis.net/def/crs/OGC/1.3/CRS84": 4490, "CRS84": 4490, "[OGC:CRS84]": 4490,
		"EPSG:4490": 4490, "[EPSG:4549]": 4549, "<http://www.opengis.net/def/crs/EPSG/0/4528>": 4528,
		"https://www.opengis.net/def/crs/EPSG/0/3857": 3857,
	} {
		c, err := ParseCRS("crs", in)
		if err != nil || c.SRID != want {
			t.Errorf("ParseCRS(%q) = %+v, %v; want SRID %d", in, c, err, want)
		}
	}
	var inv *spatial.InvalidError
	if _, err := ParseCRS("bbox-crs", "EPSG:4326"); !errors.As(err, &inv) || inv.Param != "bbox-crs" {
		t.Errorf("EPSG:4326: %v", err)
	}
	if c, _ := ParseCRS("crs", "EPSG:4490"); !c.Flip {
		t.Error("EPSG:4490 is latitude first")
	}
	if c, _ := ParseCRS("crs", "CRS84"); c.Flip {
		t.Error("CRS84 is longitude first")
	}
}

func TestParseDatetime(t *testing.T) {
	ts := func(s string) time.Time { v, _ := time.Parse(time.RFC3339Nano, s); return v }
	cases := []struct {
		in         string
		start, end string // "" = open
	}{
		{"2024-05-01T08:00:00Z", "2024-05-01T08:00:00Z", "2024-05-01T08:00:00Z"},
		{"2024-05-01", "2024-05-01T00:00:00Z", "2024-05-01T23:59:59.999999999Z"},
		{"2024-05-01T00:00:00Z/..", "2024-05-01T00:00:00Z", ""},
		{"../2024-05-02T00:00:00Z", "", "2024-05-02T00:00:00Z"},
		{"2024-05-01T00:00:00Z/", "2024-05-01T00:00:00Z", ""},
		{"2024-05-01/2024-05-03", "2024-05-01T00:00:00Z", "2024-05-03T23:59:59.999999999Z"},
	}
	for _, c := range cases {
		d, err := ParseDatetime(c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		if (c.start == "") != (d.Start == nil) || d.Start != nil && !d.Start.Equal(ts(c.start)) {
			t.Errorf("%s: start %v, want %s", c.in, d.Start, c.start)
		}
		if (c.end == "") != (d.End == nil) || d.End != nil && !d.End.Equal(ts(c.end)) {
			t.Errorf("%s: end %v, want %s", c.in, d.End, c.end)
		}
	}
	for _, bad := range []string{"", "yesterday", "2024-05-03/2024-05-01", "2024-13-01"} {
		if _, err := ParseDatetime(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
