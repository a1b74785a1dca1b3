package firms

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/yitu-gis/yitu/internal/shareddata"
	"github.com/yitu-gis/yitu/live"
)

// The real files in ../shared/data/firms (see its README): MODIS C6.1 NRT, 2023-08-01/02.
const (
	shandongFile = "firms/subset_shandong_bbox_114.5_34.3_122.8_38.5.csv" // CRLF, no final line end
	globalFile   = "firms/modis_global_2023-08-01_first500.csv"           // LF
)

func readShared(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(shareddata.Path(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func parseString(t *testing.T, s, source string) []Record {
	t.Helper()
	recs, err := Parse(strings.NewReader(s), source)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func utc(s string) time.Time {
	tm, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return tm
}

func checkRecord(t *testing.T, what string, got, want Record) {
	t.Helper()
	if !got.Time.Equal(want.Time) || got.Time.Location() != time.UTC {
		t.Errorf("%s: time %v, want %v UTC", what, got.Time, want.Time)
	}
	got.Time, want.Time = time.Time{}, time.Time{}
	if got != want {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

func TestShandong(t *testing.T) {
	src := "subset_shandong_bbox_114.5_34.3_122.8_38.5.csv"
	recs, err := Parse(bytes.NewReader(readShared(t, shandongFile)), src)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 120 {
		t.Fatalf("%d records, want 120", len(recs))
	}
	// 36.91435,117.11323,313.1,1.28,1.12,2023-08-01,0256,T,36,6.1NRT,288.76,6.76,D
	checkRecord(t, "first", recs[0], Record{
		Time: utc("2023-08-01 02:56"), Processing: ProcessingNRT, Type: TypeUnknown, Brightness2: 288.76, Line: 2,
		Hotspot: live.Hotspot{Lon: 117.11323, Lat: 36.91435, Instrument: MODIS, Satellite: "T", Confidence: "36",
			Brightness: 313.1, FRP: 6.76, Scan: 1.28, Track: 1.12, DayNight: "D", Version: "6.1NRT", Source: src},
	})
	// 37.75611,115.18357,317.07,1.21,1.1,2023-08-02,0559,A,52,6.1NRT,298.57,8.51,D
	checkRecord(t, "last", recs[119], Record{
		Time: utc("2023-08-02 05:59"), Processing: ProcessingNRT, Type: TypeUnknown, Brightness2: 298.57, Line: 121,
		Hotspot: live.Hotspot{Lon: 115.18357, Lat: 37.75611, Instrument: MODIS, Satellite: "A", Confidence: "52",
			Brightness: 317.07, FRP: 8.51, Scan: 1.21, Track: 1.1, DayNight: "D", Version: "6.1NRT", Source: src},
	})
	sats := map[string]int{}
	for _, r := range recs {
		if r.Time.Location() != time.UTC {
			t.Errorf("line %d: time %v not UTC", r.Line, r.Time)
		}
		// The subset's name gives its box.
		if h := r.Hotspot; h.Lon < 114.5 || h.Lon > 122.8 || h.Lat < 34.3 || h.Lat > 38.5 {
			t.Errorf("line %d: %v,%v outside the subset's box", r.Line, h.Lon, h.Lat)
		}
		sats[r.Hotspot.Satellite]++
	}
	if sats["T"] != 97 || sats["A"] != 23 {
		t.Errorf("satellites %v, want T 97, A 23", sats)
	}
	checkUniqueKeys(t, recs)
}

func TestGlobal(t *testing.T) {
	src := "modis_global_2023-08-01_first500.csv"
	recs, err := Parse(bytes.NewReader(readShared(t, globalFile)), src)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 500 {
		t.Fatalf("%d records, want 500", len(recs))
	}
	// -8.98654,-42.46322,311.91,2.05,1.39,2023-08-01,0035,T,84,6.1NRT,293.89,27.87,N
	checkRecord(t, "first", recs[0], Record{
		Time: utc("2023-08-01 00:35"), Processing: ProcessingNRT, Type: TypeUnknown, Brightness2: 293.89, Line: 2,
		Hotspot: live.Hotspot{Lon: -42.46322, Lat: -8.98654, Instrument: MODIS, Satellite: "T", Confidence: "84",
			Brightness: 311.91, FRP: 27.87, Scan: 2.05, Track: 1.39, DayNight: "N", Version: "6.1NRT", Source: src},
	})
	// -16.06366,-61.95673,307.52,1.14,1.06,2023-08-01,0211,T,72,6.1NRT,293.36,9.28,N
	checkRecord(t, "last", recs[499], Record{
		Time: utc("2023-08-01 02:11"), Processing: ProcessingNRT, Type: TypeUnknown, Brightness2: 293.36, Line: 501,
		Hotspot: live.Hotspot{Lon: -61.95673, Lat: -16.06366, Instrument: MODIS, Satellite: "T", Confidence: "72",
			Brightness: 307.52, FRP: 9.28, Scan: 1.14, Track: 1.06, DayNight: "N", Version: "6.1NRT", Source: src},
	})
	for _, r := range recs {
		if r.Time.Location() != time.UTC || r.Time.Before(utc("2023-08-01 00:00")) || !r.Time.Before(utc("2023-08-02 00:00")) {
			t.Errorf("line %d: time %v, want on 2023-08-01 UTC", r.Line, r.Time)
		}
	}
	checkUniqueKeys(t, recs)
}

func checkUniqueKeys(t *testing.T, recs []Record) {
	t.Helper()
	seen := map[string]int{}
	for _, r := range recs {
		k := Key(r)
		if l, ok := seen[k]; ok {
			t.Errorf("lines %d and %d have one key %s", l, r.Line, k)
		}
		seen[k] = r.Line
	}
}

// A VIIRS 375 m NRT file as the FIRMS area API writes it (values in the style of real Shandong
// detections), with every way the satellite, confidence and time come.
const viirsCSV = `latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,confidence,version,bright_ti5,frp,daynight
37.18212,119.94263,336.41,0.39,0.36,2023-08-01,0512,N,n,2.0NRT,297.12,5.43,D
37.18174,119.94701,344.89,0.39,0.36,2023-08-01,0512,N,h,2.0NRT,298.6,9.87,D
36.70352,117.50944,301.26,0.46,0.39,2023-08-01,1741,N20,l,2.0NRT,288.03,0.93,N
36.70318,117.51431,299.7,0.46,0.39,2023-08-01,35,N21,nominal,2.0NRT,287.51,0.78,N
35.41029,116.58663,367.0,0.53,0.42,2023-08-02,00:35,1,high,2.0NRT,301.44,17.2,D
35.41002,116.59101,330.58,0.53,0.42,2023-08-02,5,N20,low,2.0NRT,299.9,4.1,D
`

func TestVIIRS(t *testing.T) {
	recs := parseString(t, viirsCSV, "viirs.csv")
	if len(recs) != 6 {
		t.Fatalf("%d records, want 6", len(recs))
	}
	checkRecord(t, "first", recs[0], Record{
		Time: utc("2023-08-01 05:12"), Processing: ProcessingNRT, Type: TypeUnknown, Brightness2: 297.12, Line: 2,
		Hotspot: live.Hotspot{Lon: 119.94263, Lat: 37.18212, Instrument: VIIRS, Satellite: "N", Confidence: "n",
			Brightness: 336.41, FRP: 5.43, Scan: 0.39, Track: 0.36, DayNight: "D", Version: "2.0NRT", Source: "viirs.csv"},
	})
	want := []struct{ sat, conf, time string }{
		{"N", "n", "2023-08-01 05:12"},
		{"N", "h", "2023-08-01 05:12"},
		{"N20", "l", "2023-08-01 17:41"},
		{"N21", "n", "2023-08-01 00:35"},
		{"N20", "h", "2023-08-02 00:35"},
		{"N20", "l", "2023-08-02 00:05"},
	}
	for i, r := range recs {
		h := r.Hotspot
		if h.Instrument != VIIRS || h.Satellite != want[i].sat || h.Confidence != want[i].conf ||
			!r.Time.Equal(utc(want[i].time)) || r.Time.Location() != time.UTC {
			t.Errorf("line %d: %s %s %s %v, want VIIRS %s %s %s UTC", r.Line, h.Instrument, h.Satellite, h.Confidence, r.Time,
				want[i].sat, want[i].conf, want[i].time)
		}
	}
	fr, err := NewReader(strings.NewReader(viirsCSV), "viirs.csv")
	if err != nil || fr.Instrument() != VIIRS {
		t.Fatalf("reader: %v, instrument %v", err, fr)
	}
}

// An archive (standard processing) download: instrument and type columns, the satellite's full name,
// a version without NRT, and the columns in another order.
const modisArchiveCSV = "type,daynight,frp,bright_t31,version,confidence,instrument,satellite,acq_time,acq_date,track,scan,brightness,longitude,latitude\r\n" +
	"0,D,6.8,288.8,6.03,36,MODIS,Terra,256,2023-08-01,1.12,1.28,313.1,117.1132,36.9144\r\n" +
	"2,N,12.1,290.2,6.03,80,MODIS,Aqua,1705,2023-08-01,1,1,330.5,118.0203,37.4411\r\n"

func TestArchive(t *testing.T) {
	recs := parseString(t, modisArchiveCSV, "fire_archive_M-C61.csv")
	if len(recs) != 2 {
		t.Fatalf("%d records, want 2", len(recs))
	}
	checkRecord(t, "first", recs[0], Record{
		Time: utc("2023-08-01 02:56"), Processing: ProcessingSP, Type: 0, Brightness2: 288.8, Line: 2,
		Hotspot: live.Hotspot{Lon: 117.1132, Lat: 36.9144, Instrument: MODIS, Satellite: "T", Confidence: "36",
			Brightness: 313.1, FRP: 6.8, Scan: 1.28, Track: 1.12, DayNight: "D", Version: "6.03", Source: "fire_archive_M-C61.csv"},
	})
	if r := recs[1]; r.Type != 2 || r.Hotspot.Satellite != "A" || r.Processing != ProcessingSP {
		t.Errorf("second: type %d satellite %s processing %s", r.Type, r.Hotspot.Satellite, r.Processing)
	}

	viirs := "latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,instrument,confidence,version,bright_ti5,frp,daynight,type\n" +
		"37.18212,119.94263,336.41,0.39,0.36,2023-08-01,512,1,VIIRS,n,2,297.12,5.43,D,0\n"
	r := parseString(t, viirs, "fire_archive_J1V-C2.csv")[0]
	if r.Hotspot.Instrument != VIIRS || r.Hotspot.Satellite != "N20" || r.Processing != ProcessingSP || r.Type != 0 {
		t.Errorf("VIIRS archive: %+v", r)
	}
}

// The same detection in the NRT file and in the archive (fewer digits, full satellite name) has
// one key; its neighbours do not.
func TestKey(t *testing.T) {
	nrt := parseString(t, string(readShared(t, shandongFile)), "nrt.csv")[0]
	sp := parseString(t, modisArchiveCSV, "sp.csv")[0]
	if Key(nrt) != Key(sp) {
		t.Errorf("NRT key %s, SP key %s", Key(nrt), Key(sp))
	}
	if k := Key(nrt); k != "MODIS/T/202308010256/369144/1171132" {
		t.Errorf("key %s", k)
	}
	later := nrt
	later.Time = later.Time.Add(time.Minute)
	moved := nrt
	moved.Hotspot.Lat += 0.0003
	aqua := nrt
	aqua.Hotspot.Satellite = "A"
	for _, o := range []Record{later, moved, aqua} {
		if Key(o) == Key(nrt) {
			t.Errorf("%+v has the key of %+v", o, nrt)
		}
	}
}

// A BOM and CRLF line ends change nothing.
func TestBOMCRLF(t *testing.T) {
	lf := readShared(t, globalFile)
	want, err := Parse(bytes.NewReader(lf), "f.csv")
	if err != nil {
		t.Fatal(err)
	}
	crlf := bytes.ReplaceAll(lf, []byte("\n"), []byte("\r\n"))
	for name, b := range map[string][]byte{
		"bom":      append([]byte(bom), lf...),
		"crlf":     crlf,
		"bom+crlf": append([]byte(bom), crlf...),
		"no final": bytes.TrimSuffix(lf, []byte("\n")),
	} {
		got, err := Parse(bytes.NewReader(b), "f.csv")
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(got) != len(want) {
			t.Errorf("%s: %d records, want %d", name, len(got), len(want))
			continue
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%s: record %d\n got %+v\nwant %+v", name, i, got[i], want[i])
				break
			}
		}
	}
	// The Shandong file is CRLF: no value keeps a CR.
	for _, r := range parseString(t, string(append([]byte(bom), readShared(t, shandongFile)...)), "s.csv") {
		if strings.ContainsAny(r.Hotspot.DayNight+r.Hotspot.Version, "\r\n") {
			t.Errorf("line %d keeps a line end: %+v", r.Line, r.Hotspot)
		}
	}
}

// A file with only a header (FIRMS's answer when there is no fire) is no error.
func TestHeaderOnly(t *testing.T) {
	recs, err := Parse(strings.NewReader(strings.SplitAfter(viirsCSV, "\n")[0]), "empty.csv")
	if err != nil || len(recs) != 0 {
		t.Errorf("%d records, %v", len(recs), err)
	}
}

const modisHeader = "latitude,longitude,brightness,scan,track,acq_date,acq_time,satellite,confidence,version,bright_t31,frp,daynight\n"
const modisRow = "36.91435,117.11323,313.1,1.28,1.12,2023-08-01,0256,T,36,6.1NRT,288.76,6.76,D\n"

func TestBad(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		want       []string // in the error
	}{
		{"empty", "", []string{"bad.csv line 1", "empty"}},
		{"not FIRMS", "x,y,name\n1,2,a\n", []string{"bad.csv line 1", "missing required column(s) latitude, longitude, brightness (MODIS) or bright_ti4 (VIIRS), scan, track, acq_date, acq_time, satellite, confidence, frp", `"x,y,name"`}},
		{"missing columns", strings.Replace(modisHeader, "acq_time,", "", 1), []string{"line 1", "missing required column(s) acq_time "}},
		{"missing frp and scan", "latitude,longitude,brightness,track,acq_date,acq_time,satellite,confidence\n", []string{"line 1", "missing required column(s) scan, frp "}},
		{"both instruments", "latitude,longitude,brightness,bright_ti4,scan,track,acq_date,acq_time,satellite,confidence,frp\n", []string{"line 1", "both MODIS (brightness) and VIIRS (bright_ti4)"}},
		{"duplicate column", strings.TrimSuffix(modisHeader, "\n") + ",frp\n", []string{"line 1", `"frp" appears twice (columns 12 and 14)`}},
		{"lat out of range", modisHeader + modisRow + strings.Replace(modisRow, "36.91435", "96.91435", 1), []string{"bad.csv line 3 column 1 (latitude): 96.91435 is out of range [-90, 90]"}},
		{"lon out of range", modisHeader + strings.Replace(modisRow, "117.11323", "-181", 1), []string{"line 2 column 2 (longitude): -181 is out of range"}},
		{"NaN", modisHeader + strings.Replace(modisRow, "36.91435", "NaN", 1), []string{"line 2 column 1 (latitude)", `"NaN" is not a number`}},
		{"empty frp", modisHeader + strings.Replace(modisRow, ",6.76,", ",,", 1), []string{"line 2 column 12 (frp): empty"}},
		{"bad date", modisHeader + modisRow + modisRow + strings.Replace(modisRow, "2023-08-01", "2023-02-30", 1), []string{"line 4 column 6 (acq_date)", `"2023-02-30" is not a date`}},
		{"US date", modisHeader + strings.Replace(modisRow, "2023-08-01", "08/01/2023", 1), []string{"line 2 column 6 (acq_date)"}},
		{"bad time", modisHeader + strings.Replace(modisRow, "0256", "2460", 1), []string{"line 2 column 7 (acq_time)", `"2460" is not a UTC time`}},
		{"bad minute", modisHeader + strings.Replace(modisRow, "0256", "0:61", 1), []string{"line 2 column 7 (acq_time)"}},
		{"long time", modisHeader + strings.Replace(modisRow, "0256", "00256", 1), []string{"line 2 column 7 (acq_time)"}},
		{"VIIRS satellite in MODIS", modisHeader + strings.Replace(modisRow, ",T,", ",N20,", 1), []string{"line 2 column 8 (satellite)", "not a MODIS satellite"}},
		{"MODIS satellite in VIIRS", strings.Replace(viirsCSV, ",N20,l,", ",A,l,", 1), []string{"line 4 column 8 (satellite)", "MODIS satellite in a VIIRS file"}},
		{"VIIRS confidence in MODIS", modisHeader + strings.Replace(modisRow, ",36,", ",h,", 1), []string{"line 2 column 9 (confidence)", "0 to 100"}},
		{"MODIS confidence 101", modisHeader + strings.Replace(modisRow, ",36,", ",101,", 1), []string{"line 2 column 9 (confidence)"}},
		{"MODIS confidence in VIIRS", strings.Replace(viirsCSV, ",N,h,", ",N,80,", 1), []string{"line 3 column 9 (confidence)", "l, n, h"}},
		{"daynight", modisHeader + strings.Replace(modisRow, ",D\n", ",X\n", 1), []string{"line 2 column 13 (daynight)", "neither D"}},
		{"fields", modisHeader + modisRow + "36.9,117.1,313.1\n", []string{"line 3: 3 fields, the header has 13"}},
		{"quote", modisHeader + modisRow + `36.9,117.1,"313.1,1` + "\n", []string{"line 3", "CSV syntax"}},
		{"instrument", strings.Replace(modisArchiveCSV, "MODIS,Aqua", "VIIRS,Aqua", 1), []string{"line 3 column 7 (instrument)", `"VIIRS", but the header's brightness column is MODIS's`}},
		{"type", strings.Replace(modisArchiveCSV, "\n2,N,", "\n7,N,", 1), []string{"line 3 column 1 (type)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs, err := Parse(strings.NewReader(tc.file), "bad.csv")
			if err == nil {
				t.Fatalf("no error; %d records", len(recs))
			}
			if recs != nil {
				t.Errorf("%d records with the error", len(recs))
			}
			var fe *Error
			if !errors.As(err, &fe) || fe.Source != "bad.csv" {
				t.Errorf("%T %v is not an *Error naming bad.csv", err, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// The reader goes on after a bad row, for an importer that reports rejections.
func TestReaderGoesOn(t *testing.T) {
	file := modisHeader + modisRow + strings.Replace(modisRow, "36.91435", "x", 1) + "1,2\n" + modisRow
	r, err := NewReader(strings.NewReader(file), "f.csv")
	if err != nil {
		t.Fatal(err)
	}
	var lines []int
	var bad []int
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		var fe *Error
		if errors.As(err, &fe) {
			bad = append(bad, fe.Line)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, rec.Line)
	}
	if len(lines) != 2 || lines[0] != 2 || lines[1] != 5 || len(bad) != 2 || bad[0] != 3 || bad[1] != 4 {
		t.Errorf("good lines %v, bad lines %v; want [2 5], [3 4]", lines, bad)
	}
}

func TestSniff(t *testing.T) {
	head := func(b []byte) []byte { return b[:min(len(b), 4096)] }
	for name, b := range map[string][]byte{
		"shandong":    head(readShared(t, shandongFile)),
		"global":      head(readShared(t, globalFile)),
		"VIIRS":       []byte(viirsCSV),
		"archive":     []byte(modisArchiveCSV),
		"BOM":         append([]byte(bom), modisHeader...),
		"header only": []byte(strings.TrimSuffix(modisHeader, "\n")),
		"upper case":  []byte(strings.ToUpper(modisHeader)),
	} {
		if !Sniff(b) {
			t.Errorf("%s: not recognised", name)
		}
	}
	for name, s := range map[string]string{
		"empty":     "",
		"CJJ 61":    "物探点号,X,Y,地面高程,管线类型\nJS1,40512345.1,4112345.2,12.3,JS\n",
		"DXF":       "0\nSECTION\n2\nHEADER\n",
		"landsat":   "latitude,longitude,path,row,scan,track,acq_date,acq_time,satellite,confidence,daynight\n",
		"GeoJSON":   `{"type":"FeatureCollection","features":[]}`,
		"bad quote": `"latitude,longitude`,
	} {
		if Sniff([]byte(s)) {
			t.Errorf("%s: recognised as FIRMS", name)
		}
	}
}
