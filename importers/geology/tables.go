package geology

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/yitu-gis/yitu/importers/loader"
)

// table is one sheet or CSV file as read.
type table struct {
	file, sheet string
	header      []string
	cols        map[string]int
	rows        []row
}

type row struct {
	line   int // CSV line (the header is line 1)
	record int // spreadsheet row
	cells  []string
}

func (t *table) where() string {
	if t.sheet != "" {
		return fmt.Sprintf("%s [%s]", t.file, t.sheet)
	}
	return t.file
}

func (t *table) ref(r row) string {
	if r.line > 0 {
		return fmt.Sprintf("%s line %d", t.where(), r.line)
	}
	return fmt.Sprintf("%s row %d", t.where(), r.record)
}

func (t *table) has(key string) bool { _, ok := t.cols[key]; return ok }

func (t *table) get(r row, key string) string {
	i, ok := t.cols[key]
	if !ok || i >= len(r.cells) {
		return ""
	}
	return strings.TrimSpace(r.cells[i])
}

// isHoles: the table places holes (hole and coordinates); isLayers: it holds layers.
func (t *table) isHoles() bool {
	return t.has(cHole) && ((t.has(cNorth) && t.has(cEast)) || (t.has(cLon) && t.has(cLat)))
}

func (t *table) isLayers() bool {
	return t.has(cHole) && (t.has(cTop) || t.has(cBase)) && t.has(cCode)
}

// isSurvey: the table gives the directions of inclined holes (survey.go): a survey table, or a hole
// table (or one sheet of holes and layers) with each straight hole's azimuth and inclination or dip.
func (t *table) isSurvey() bool {
	return t.has(cHole) && t.has(cAzimuth) && (t.has(cInclination) || t.has(cDip)) &&
		(t.has(cAt) || t.has(cDepth) || t.has(cTop) || t.isHoles())
}

func (t *table) useful() bool { return (t.isHoles() && t.has(cCollar)) || t.isLayers() || t.isSurvey() }

// decodeText returns a CSV's text in UTF-8: --encoding says, else valid UTF-8 is UTF-8 and anything
// else GBK (GB18030).
func decodeText(path string, b []byte, enc string) (string, error) {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	valid := utf8.Valid(b)
	switch {
	case enc == "utf-8" && !valid:
		for i, l := range bytes.Split(b, []byte("\n")) {
			if !utf8.Valid(l) {
				return "", fmt.Errorf("%s line %d is not UTF-8 although --encoding utf-8 says so; the file is probably GBK: give --encoding gbk or leave --encoding out", path, i+1)
			}
		}
	case enc == "utf-8" || (enc == "" && valid):
		return string(b), nil
	case enc == "gbk" && valid && slices.ContainsFunc(b, func(c byte) bool { return c >= 0x80 }):
		return "", fmt.Errorf("%s is UTF-8, not GBK as --encoding gbk says; give --encoding utf-8 or leave --encoding out", path)
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b)
	if err != nil {
		return "", fmt.Errorf("%s is neither UTF-8 nor GBK: %v", path, err)
	}
	return string(out), nil
}

func readCSV(path, enc string, m *Mapping) (*table, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	text, err := decodeText(path, b, enc)
	if err != nil {
		return nil, err
	}
	return parseCSV(path, text, m, false)
}

func parseCSV(path, text string, m *Mapping, headerOnly bool) (*table, error) {
	r := loader.TableCSV(text)
	t := &table{file: path}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		line, _ := r.FieldPos(0)
		if t.header == nil {
			t.header = rec
			t.cols = m.mapHeader(rec)
			if headerOnly {
				return t, nil
			}
			continue
		}
		if slices.IndexFunc(rec, func(s string) bool { return strings.TrimSpace(s) != "" }) < 0 {
			continue
		}
		if len(rec) < len(t.header) {
			return nil, fmt.Errorf("%s line %d: %d fields where the header has %d: the row is cut short (is the file complete?)", path, line, len(rec), len(t.header))
		}
		t.rows = append(t.rows, row{line: line, cells: rec})
	}
	if t.header == nil {
		return nil, fmt.Errorf("%s is empty", path)
	}
	return t, nil
}

// xlsxMaxUnzipped and xlsxMaxCells bound what a workbook may expand to: borehole tables are far
// smaller.
const (
	xlsxMaxUnzipped = 256 << 20
	xlsxMaxCells    = 10_000_000
)

// readXLSX reads every sheet whose header (in its first five rows) has a hole column.
func readXLSX(ctx context.Context, path string, m *Mapping, headersOnly bool) ([]*table, error) {
	z, err := zip.OpenReader(path)
	if err != nil {
		return nil, fmt.Errorf("%s: not a readable XLSX workbook: %w", path, err)
	}
	var total uint64
	for _, f := range z.File {
		total += f.UncompressedSize64
	}
	z.Close()
	if total > xlsxMaxUnzipped {
		return nil, fmt.Errorf("%s: the workbook expands to more than %d MB: not a borehole table", path, xlsxMaxUnzipped>>20)
	}
	f, err := excelize.OpenFile(path, excelize.Options{UnzipSizeLimit: xlsxMaxUnzipped})
	if err != nil {
		return nil, fmt.Errorf("%s: not a readable XLSX workbook: %w", path, err)
	}
	defer f.Close()
	var out []*table
	cells := 0
	for _, sheet := range f.GetSheetList() {
		rows, err := f.Rows(sheet)
		if err != nil {
			return nil, fmt.Errorf("%s [%s]: %w", path, sheet, err)
		}
		t := &table{file: path, sheet: sheet}
		for i := 0; rows.Next(); i++ {
			if i%4096 == 0 && ctx.Err() != nil {
				rows.Close()
				return nil, ctx.Err()
			}
			rec, err := rows.Columns(excelize.Options{RawCellValue: true})
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("%s [%s] row %d: %w", path, sheet, i+1, err)
			}
			if cells += len(rec); cells > xlsxMaxCells {
				rows.Close()
				return nil, fmt.Errorf("%s [%s] row %d: more than %d cells: not a borehole table", path, sheet, i+1, xlsxMaxCells)
			}
			if t.header == nil {
				if i >= 5 {
					break
				}
				if cols := m.mapHeader(rec); hasKey(cols, cHole) {
					t.header, t.cols = rec, cols
					if headersOnly {
						break
					}
				}
				continue
			}
			if slices.IndexFunc(rec, func(s string) bool { return strings.TrimSpace(s) != "" }) < 0 {
				continue
			}
			t.rows = append(t.rows, row{record: i + 1, cells: rec})
		}
		err = rows.Error()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("%s [%s]: %w", path, sheet, err)
		}
		if t.header != nil {
			out = append(out, t)
		}
	}
	return out, nil
}

func hasKey(m map[string]int, k string) bool { _, ok := m[k]; return ok }

// sniffText reports whether a text file's first line is a borehole header (holes or layers).
func sniffText(head []byte) bool {
	if len(head) == 0 || bytes.IndexByte(head, 0) >= 0 {
		return false
	}
	text := string(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")))
	if !utf8.ValidString(text) {
		b, err := simplifiedchinese.GB18030.NewDecoder().Bytes(head)
		if err != nil {
			return false
		}
		text = string(b)
	}
	first, _, _ := strings.Cut(text, "\n")
	t, err := parseCSV("", first+"\n", &Mapping{}, true)
	return err == nil && t.useful()
}

// sniffXLSX reports whether a workbook has a borehole sheet.
func sniffXLSX(path string, head []byte) bool {
	if !bytes.HasPrefix(head, []byte("PK\x03\x04")) {
		return false
	}
	ts, err := readXLSX(context.Background(), path, &Mapping{}, true)
	return err == nil && slices.ContainsFunc(ts, (*table).useful)
}
