package firms

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

// FuzzParse feeds arbitrary bytes to Parse: it must return records or an error, never panic, and
// every record it returns must be a well-formed hotspot; a file it reads, Sniff recognises.
func FuzzParse(f *testing.F) {
	for _, rel := range []string{shandongFile, globalFile} {
		lines := bytes.SplitAfter(readShared(f, rel), []byte("\n"))
		f.Add(bytes.Join(lines[:min(len(lines), 6)], nil))
	}
	f.Add([]byte(viirsCSV))
	f.Add([]byte(modisArchiveCSV))
	f.Add([]byte(bom + strings.ReplaceAll(modisHeader+modisRow, "\n", "\r\n")))
	f.Add([]byte(modisHeader + strings.Replace(modisRow, "0256", "2:56", 1)))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := Parse(bytes.NewReader(data), "fuzz.csv")
		if err != nil {
			if recs != nil {
				t.Fatalf("%d records with error %v", len(recs), err)
			}
			var fe *Error
			if errors.As(err, &fe) && (fe.Line < 1 || fe.Source != "fuzz.csv") {
				t.Fatalf("error %q names line %d of %q", err, fe.Line, fe.Source)
			}
			return
		}
		if !Sniff(data) {
			t.Fatalf("Parse reads the file but Sniff does not recognise it")
		}
		prev := 1
		for _, r := range recs {
			h := r.Hotspot
			if math.Abs(h.Lat) > 90 || math.Abs(h.Lon) > 180 || math.IsNaN(h.Lat+h.Lon+h.Brightness+h.FRP+h.Scan+h.Track) {
				t.Fatalf("line %d: bad numbers %+v", r.Line, h)
			}
			if h.Instrument != MODIS && h.Instrument != VIIRS || h.Satellite == "" || h.Confidence == "" {
				t.Fatalf("line %d: %+v", r.Line, h)
			}
			if r.Time.Location() != time.UTC || r.Time.Second() != 0 || r.Time.Nanosecond() != 0 {
				t.Fatalf("line %d: time %v", r.Line, r.Time)
			}
			if r.Line <= prev {
				t.Fatalf("line %d after line %d", r.Line, prev)
			}
			prev = r.Line
			if Key(r) == "" {
				t.Fatal("empty key")
			}
		}
	})
}
