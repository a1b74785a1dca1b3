package live_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/yitu-gis/yitu/live"
)

// FuzzReadCSV feeds arbitrary devices CSVs (uploaded by an operator) to ReadCSV: never a panic, an
// error names the file, and every device it returns is valid, from a line after the header.
func FuzzReadCSV(f *testing.F) {
	for _, s := range []string{
		"id,kind,name,plate,plate_color,carrier,un,hazard_class\n013800000001,vehicle,危化品车1,鲁F12345,2,莱州危运,1203,3\n",
		"\ufeff编号,类型,名称,监测类型,单位,经度,纬度,password\nS-001,sensor,水位计,water_level,m,119.94,37.18,secret\n",
		"id,kind,lon,lat,view_direction\nCAM-1,camera,119.9,37.1,45\nCAM-2,camera,,,\n",
		"id,kind\n\"a\"\"b\",vehicle\nx\n",
		"id,kind,plate_color\n1,vehicle,blue\n",
		"name\nx\n",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		devs, err := live.ReadCSV(bytes.NewReader(data), "devices.csv")
		if err != nil {
			if devs != nil {
				t.Fatalf("%d devices and the error %v", len(devs), err)
			}
			if !strings.HasPrefix(err.Error(), "devices.csv") {
				t.Fatalf("the error %q does not name the file", err)
			}
			return
		}
		for _, d := range devs {
			if d.Line < 2 {
				t.Fatalf("device %q from line %d", d.Device.ID, d.Line)
			}
			if err := d.Device.Validate(); err != nil {
				t.Fatalf("device on line %d is invalid: %v", d.Line, err)
			}
		}
	})
}

// A quote left open on the last line was a panic (csv.Reader.FieldPos after the syntax error, found
// by FuzzReadCSV); now it is an error naming the line.
func TestReadCSVUnterminatedQuote(t *testing.T) {
	_, err := live.ReadCSV(strings.NewReader("id,kind\nA,vehicle\n\"B,vehicle\n"), "devices.csv")
	if err == nil || !strings.HasPrefix(err.Error(), "devices.csv line 3: ") {
		t.Fatalf("error %v", err)
	}
}
