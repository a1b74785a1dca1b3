// Package firms reads NASA FIRMS active-fire CSV files (MODIS and VIIRS, near real time and
// standard processing, the area API and the archive downloads) into hotspots, and polls a FIRMS URL
// for new ones.
//
// The file's header says what it is, not its name: a MODIS file has a brightness column (band 21/22),
// a VIIRS file bright_ti4 (band I-4). Columns may come in any order, with extra columns, a UTF-8 BOM
// and CRLF line ends. Every row is checked: a bad row is an error that names the source, the line,
// the column and what is wrong.
package firms

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yitu-gis/yitu/live"
)

// The instruments.
const (
	MODIS = "MODIS"
	VIIRS = "VIIRS"
)

// How a row was processed, from the suffix of its version (6.1NRT, 2.0URT, 6.1, 2).
const (
	ProcessingNRT = "NRT" // near real time, within about three hours of the overpass
	ProcessingURT = "URT" // ultra real time (US and Canada), within minutes
	ProcessingRT  = "RT"  // real time (US and Canada)
	ProcessingSP  = "SP"  // standard processing: the science-quality archive, which replaces NRT
)

// TypeUnknown is Record.Type when the file has no type column (the NRT files).
const TypeUnknown = -1

// Record is one FIRMS detection.
type Record struct {
	// Time is the overpass time, UTC, from acq_date and acq_time (which FIRMS gives in UTC).
	Time    time.Time
	Hotspot live.Hotspot
	// Processing is ProcessingNRT, ProcessingURT, ProcessingRT or ProcessingSP, from the version;
	// empty when the file has no version column.
	Processing string
	// Type is the archive's type column: 0 presumed vegetation fire, 1 active volcano, 2 other
	// static land source, 3 offshore; TypeUnknown when the file has none.
	Type int
	// Brightness2 is bright_t31 (MODIS band 31) or bright_ti5 (VIIRS I-5) in K; 0 when absent.
	Brightness2 float64
	// Line is the row's line in the file (the header is line 1).
	Line int
}

// Error is a FIRMS file or row that cannot be read.
type Error struct {
	Source string // file name or URL
	Line   int    // 1-based line in the file
	Field  int    // 1-based column number; 0 for the header or a whole row
	Column string // the column's name, when the error is about one
	Msg    string // what is wrong
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s line %d", e.Source, e.Line)
	if e.Field > 0 {
		fmt.Fprintf(&b, " column %d", e.Field)
		if e.Column != "" {
			fmt.Fprintf(&b, " (%s)", e.Column)
		}
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

const bom = "\xef\xbb\xbf"

// The columns the reader knows. A MODIS file has brightness and bright_t31, a VIIRS file
// bright_ti4 and bright_ti5; the archive files add instrument and type.
const (
	colLatitude = iota
	colLongitude
	colBrightness // brightness (MODIS) or bright_ti4 (VIIRS)
	colScan
	colTrack
	colDate
	colTime
	colSatellite
	colConfidence
	colFRP
	colVersion     // optional from here on
	colBrightness2 // bright_t31 (MODIS) or bright_ti5 (VIIRS)
	colDayNight
	colInstrument
	colType
	numCols
	numRequired = colVersion
)

// names are the columns' names by index; brightness and brightness2 have an instrument's names.
var names = [numCols]string{"latitude", "longitude", "brightness", "scan", "track", "acq_date", "acq_time",
	"satellite", "confidence", "frp", "version", "bright_t31", "daynight", "instrument", "type"}

// header is what a file's first line says: its instrument and where each column is (-1 absent).
type header struct {
	instrument string
	index      [numCols]int
	names      [numCols]string // as this file calls them
	fields     int
}

// parseHeader reads a header line's fields.
func parseHeader(fields []string) (header, string) {
	h := header{names: names, fields: len(fields)}
	for i := range h.index {
		h.index[i] = -1
	}
	for i, f := range fields {
		name := strings.ToLower(strings.TrimSpace(f))
		c := -1
		switch name {
		case "brightness", "bright_t31":
			c = colBrightness
			if name == "bright_t31" {
				c = colBrightness2
			}
			if h.instrument == VIIRS {
				return h, fmt.Sprintf("both MODIS (%s) and VIIRS (%s) brightness columns", name, h.names[colBrightness])
			}
			h.instrument = MODIS
		case "bright_ti4", "bright_ti5":
			c = colBrightness
			if name == "bright_ti5" {
				c = colBrightness2
			}
			if h.instrument == MODIS {
				return h, fmt.Sprintf("both MODIS (%s) and VIIRS (%s) brightness columns", h.names[colBrightness], name)
			}
			h.instrument = VIIRS
		default:
			for j, n := range names {
				if n == name && j != colBrightness && j != colBrightness2 {
					c = j
				}
			}
		}
		if c < 0 {
			continue // a column this reader does not use
		}
		if h.index[c] >= 0 {
			return h, fmt.Sprintf("column %q appears twice (columns %d and %d)", name, h.index[c]+1, i+1)
		}
		h.index[c] = i
		h.names[c] = name
	}
	var missing []string
	for c := range numRequired {
		if h.index[c] < 0 {
			n := names[c]
			if c == colBrightness {
				n = "brightness (MODIS) or bright_ti4 (VIIRS)"
			}
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		line := strings.Join(fields, ",")
		if len(line) > 80 {
			line = line[:80] + "…"
		}
		return h, fmt.Sprintf("not a FIRMS active-fire header: missing required column(s) %s (header: %q)", strings.Join(missing, ", "), line)
	}
	return h, ""
}

// Sniff reports whether head, the start of a file, is a FIRMS active-fire CSV that Parse reads: its
// first line is a MODIS or VIIRS header with every required column.
func Sniff(head []byte) bool {
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(head, []byte(bom))))
	r.FieldsPerRecord = -1
	fields, err := r.Read()
	if err != nil {
		return false
	}
	_, msg := parseHeader(fields)
	return msg == ""
}

// Reader reads a FIRMS CSV row by row.
type Reader struct {
	source string
	csv    *csv.Reader
	h      header
}

// NewReader reads the header of a FIRMS CSV; source names it in errors and in each hotspot.
func NewReader(r io.Reader, source string) (*Reader, error) {
	br := bufio.NewReader(r)
	if b, _ := br.Peek(len(bom)); string(b) == bom {
		_, _ = br.Discard(len(bom))
	}
	c := csv.NewReader(br)
	c.FieldsPerRecord = -1 // checked here, with a better message
	c.ReuseRecord = true
	fields, err := c.Read()
	if err == io.EOF {
		return nil, &Error{Source: source, Line: 1, Msg: "empty file: no FIRMS header"}
	}
	if err != nil {
		return nil, csvError(source, err)
	}
	line, _ := c.FieldPos(0)
	h, msg := parseHeader(fields)
	if msg != "" {
		return nil, &Error{Source: source, Line: line, Msg: msg}
	}
	return &Reader{source: source, csv: c, h: h}, nil
}

// Instrument is the file's instrument: MODIS or VIIRS.
func (r *Reader) Instrument() string { return r.h.instrument }

// Next returns the next row, or io.EOF after the last. A bad row is an *Error (or a CSV syntax
// error naming the source and line); Next may be called again to go on with the rows after it.
func (r *Reader) Next() (Record, error) {
	fields, err := r.csv.Read()
	if err != nil {
		if err == io.EOF {
			return Record{}, io.EOF
		}
		return Record{}, csvError(r.source, err)
	}
	line, _ := r.csv.FieldPos(0)
	if len(fields) != r.h.fields {
		return Record{}, &Error{Source: r.source, Line: line,
			Msg: fmt.Sprintf("%d fields, the header has %d", len(fields), r.h.fields)}
	}
	p := rowParser{r: r, fields: fields, line: line}
	return p.record()
}

// Parse reads a whole FIRMS CSV. Any bad row makes it fail: an import is all or nothing.
func Parse(r io.Reader, source string) ([]Record, error) {
	fr, err := NewReader(r, source)
	if err != nil {
		return nil, err
	}
	var recs []Record
	for {
		rec, err := fr.Next()
		if err == io.EOF {
			return recs, nil
		}
		if err != nil {
			return nil, err
		}
		recs = append(recs, rec)
	}
}

func csvError(source string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		at := fmt.Sprintf("character %d", pe.Column)
		if pe.Line != pe.StartLine {
			at = fmt.Sprintf("line %d %s", pe.Line, at)
		}
		return &Error{Source: source, Line: pe.StartLine, Msg: fmt.Sprintf("CSV syntax: %v (at %s)", pe.Err, at)}
	}
	return fmt.Errorf("%s: %w", source, err)
}

// rowParser reads one row's fields; the first error is kept.
type rowParser struct {
	r      *Reader
	fields []string
	line   int
	err    *Error
}

func (p *rowParser) value(c int) (string, bool) {
	i := p.r.h.index[c]
	if i < 0 {
		return "", false
	}
	return strings.TrimSpace(p.fields[i]), true
}

func (p *rowParser) fail(c int, format string, args ...any) {
	if p.err != nil {
		return
	}
	p.err = &Error{Source: p.r.source, Line: p.line, Field: p.r.h.index[c] + 1, Column: p.r.h.names[c],
		Msg: fmt.Sprintf(format, args...)}
}

// number reads a finite number in [lo, hi]; an absent optional column is 0.
func (p *rowParser) number(c int, lo, hi float64) float64 {
	s, ok := p.value(c)
	if !ok {
		return 0
	}
	if s == "" {
		p.fail(c, "empty; a number is required")
		return 0
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		p.fail(c, "%q is not a number", clip(s))
		return 0
	}
	if v < lo || v > hi {
		p.fail(c, "%s is out of range [%g, %g]", s, lo, hi)
		return 0
	}
	return v
}

func (p *rowParser) record() (Record, error) {
	h := &p.r.h
	rec := Record{Line: p.line, Type: TypeUnknown}
	hs := &rec.Hotspot
	hs.Source = p.r.source
	hs.Instrument = h.instrument
	hs.Lat = p.number(colLatitude, -90, 90)
	hs.Lon = p.number(colLongitude, -180, 180)
	hs.Brightness = p.number(colBrightness, 0, 2000) // K; fires read 300–500 K, saturation is below 2000
	hs.Scan = p.number(colScan, 0, 100)              // pixel size, km (MODIS up to 4.8 at the swath edge)
	hs.Track = p.number(colTrack, 0, 100)
	hs.FRP = p.number(colFRP, 0, 1e6) // MW
	rec.Brightness2 = p.number(colBrightness2, 0, 2000)
	rec.Time = p.time()
	hs.Satellite = p.satellite()
	hs.Confidence = p.confidence()

	if s, ok := p.value(colInstrument); ok && !strings.EqualFold(s, h.instrument) {
		p.fail(colInstrument, "%q, but the header's %s column is %s's", clip(s), h.names[colBrightness], h.instrument)
	}
	if s, ok := p.value(colVersion); ok {
		if s == "" {
			p.fail(colVersion, "empty")
		} else if !utf8.ValidString(s) {
			p.fail(colVersion, "%q is not UTF-8", clip(s))
		}
		hs.Version = s
		rec.Processing = processing(s)
	}
	if s, ok := p.value(colDayNight); ok {
		switch strings.ToUpper(s) {
		case "D", "N":
			hs.DayNight = strings.ToUpper(s)
		default:
			p.fail(colDayNight, "%q is neither D (day) nor N (night)", clip(s))
		}
	}
	if s, ok := p.value(colType); ok {
		t, err := strconv.Atoi(s)
		if err != nil || t < 0 || t > 3 {
			p.fail(colType, "%q is not a FIRMS type (0 vegetation fire, 1 volcano, 2 static land source, 3 offshore)", clip(s))
		}
		rec.Type = t
	}
	if p.err != nil {
		return Record{}, p.err
	}
	return rec, nil
}

// time reads acq_date (YYYY-MM-DD) and acq_time (HHMM in UTC, which may come as 35, 0035 or 00:35).
func (p *rowParser) time() time.Time {
	ds, _ := p.value(colDate)
	d, err := time.Parse("2006-01-02", ds)
	if err != nil {
		p.fail(colDate, "%q is not a date (YYYY-MM-DD)", clip(ds))
		return time.Time{}
	}
	ts, _ := p.value(colTime)
	var hh, mm int
	ok := false
	if hs, ms, colon := strings.Cut(ts, ":"); colon {
		hh, mm, ok = digits(hs, 1, 2), digits(ms, 2, 2), true
	} else if n := digits(ts, 1, 4); n >= 0 {
		hh, mm, ok = n/100, n%100, true
	}
	if !ok || hh < 0 || mm < 0 || hh > 23 || mm > 59 {
		p.fail(colTime, "%q is not a UTC time of day (HHMM, HMM, MM or HH:MM)", clip(ts))
		return time.Time{}
	}
	return d.Add(time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute).UTC()
}

// digits is s as a number of lo to hi ASCII digits, or -1.
func digits(s string, lo, hi int) int {
	if len(s) < lo || len(s) > hi {
		return -1
	}
	n := 0
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// canonicalSatellite maps the names the archive files and other tools use to FIRMS's codes.
func canonicalSatellite(s string) string {
	switch strings.ToUpper(s) {
	case "T", "TERRA":
		return "T"
	case "A", "AQUA":
		return "A"
	case "N", "NPP", "SNPP", "S-NPP", "SUOMI NPP", "SUOMI-NPP":
		return "N" // Suomi NPP
	case "N20", "1", "J1", "NOAA-20", "NOAA20", "NOAA 20":
		return "N20" // NOAA-20 (JPSS-1); the VIIRS archive writes 1
	case "N21", "J2", "NOAA-21", "NOAA21", "NOAA 21":
		return "N21" // NOAA-21 (JPSS-2)
	}
	return s
}

func (p *rowParser) satellite() string {
	s, _ := p.value(colSatellite)
	c := canonicalSatellite(s)
	modis := c == "T" || c == "A"
	switch {
	case s == "":
		p.fail(colSatellite, "empty")
	case !utf8.ValidString(s):
		p.fail(colSatellite, "%q is not UTF-8", clip(s))
	case p.r.h.instrument == MODIS && !modis:
		p.fail(colSatellite, "%q is not a MODIS satellite (T Terra, A Aqua)", clip(s))
	case p.r.h.instrument == VIIRS && modis:
		p.fail(colSatellite, "%q is a MODIS satellite in a VIIRS file", clip(s))
	}
	return c
}

// confidence is MODIS's 0–100 or VIIRS's l, n or h (low, nominal, high).
func (p *rowParser) confidence() string {
	s, _ := p.value(colConfidence)
	if p.r.h.instrument == MODIS {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 100 {
			p.fail(colConfidence, "%q is not a MODIS confidence (0 to 100)", clip(s))
		}
		return strconv.Itoa(n)
	}
	switch strings.ToLower(s) {
	case "l", "low":
		return "l"
	case "n", "nominal":
		return "n"
	case "h", "high":
		return "h"
	}
	p.fail(colConfidence, "%q is not a VIIRS confidence (l, n, h or low, nominal, high)", clip(s))
	return ""
}

// processing is how a version was processed: 6.1NRT is near real time, 6.1 (or 61, 2, 1) standard.
func processing(version string) string {
	v := strings.ToUpper(version)
	switch {
	case strings.HasSuffix(v, "NRT"):
		return ProcessingNRT
	case strings.HasSuffix(v, "URT"):
		return ProcessingURT
	case strings.HasSuffix(v, "RT"):
		return ProcessingRT
	}
	return ProcessingSP
}

// clip shortens a value quoted in an error.
func clip(s string) string {
	if len(s) <= 40 {
		return s
	}
	return s[:40] + "…"
}

// Key is a detection's identity across files: instrument, satellite, overpass minute and the
// position rounded to 1e-4° (about 11 m).
//
// The position is rounded because the same detection is published more than once (the NRT file
// within hours, the area API, the standard-processing archive months later) and the copies can
// differ in their trailing digits: NRT MODIS writes five decimals, other products four, and
// reprocessing moves the last one. 1e-4° is far below the pixel (375 m VIIRS, 1 km MODIS), so two
// detections of one overpass never share a key, while copies of one detection do unless their
// positions straddle a rounding boundary (a difference in the fifth decimal at ...x5). The satellite
// is the FIRMS code (Terra in an archive file is T, NOAA-20's 1 is N20), so it matches across
// products too; the processing and version are not part of the key, so an SP row replaces its NRT one.
func Key(rec Record) string {
	h := &rec.Hotspot
	return fmt.Sprintf("%s/%s/%s/%d/%d", h.Instrument, canonicalSatellite(h.Satellite),
		rec.Time.UTC().Format("200601021504"), round4(h.Lat), round4(h.Lon))
}

func round4(v float64) int64 {
	return int64(math.Round(v * 1e4))
}

// Records turns parsed rows into what live.AddHotspots stores, keyed by Key.
func Records(recs []Record) []live.HotspotRecord {
	out := make([]live.HotspotRecord, len(recs))
	for i, r := range recs {
		out[i] = live.HotspotRecord{Key: Key(r), Time: r.Time, Hotspot: r.Hotspot}
	}
	return out
}
