package pipeline

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/yitu-gis/yitu/importers/loader"
	"github.com/yitu-gis/yitu/importers/vector"
)

// table is one CJJ 61 table as read: a CSV file, a spreadsheet sheet or a shapefile's records.
type table struct {
	file   string // path, for rejections
	sheet  string // spreadsheet sheet name
	kind   string // point or segment
	cols   map[string]int
	header []string
	rows   []row
	typeOf string // pipe type from the file or sheet name, "" if none
}

type row struct {
	line   int // CSV line (1-based; the header is line 1)
	record int // spreadsheet row or shapefile record
	cells  []string
	x, y   *float64 // a shapefile point's coordinates, when it has no X/Y columns
}

func (t *table) where() string {
	if t.sheet != "" {
		return fmt.Sprintf("%s [%s]", t.file, t.sheet)
	}
	return t.file
}

// get returns a row's cell for a canonical column, trimmed; "" if absent.
func (t *table) get(r row, key string) string {
	i, ok := t.cols[key]
	if !ok || i >= len(r.cells) {
		return ""
	}
	return strings.TrimSpace(r.cells[i])
}

// props are the row's cells that map to no canonical column, by their header.
func (t *table) props(r row) []byte {
	m := map[string]string{}
	for i, h := range t.header {
		if i < len(r.cells) && !slices.Contains(mappedIdx(t.cols), i) && strings.TrimSpace(r.cells[i]) != "" && h != "" {
			m[h] = strings.TrimSpace(r.cells[i])
		}
	}
	b, _ := json.Marshal(m)
	return b
}

func mappedIdx(cols map[string]int) []int {
	out := make([]int, 0, len(cols))
	for _, i := range cols {
		out = append(out, i)
	}
	return out
}

// aliases maps each canonical column to the header names surveyors write (normalized: no spaces,
// no units in brackets, lower case).
var aliases = map[string][]string{
	"point_no":    {"物探点号", "点号", "管线点号", "外业点号", "测点号", "pointno", "point_no", "点名"},
	"pipe_type":   {"管线类型", "管线类别", "管线种类", "管类", "类型", "类别", "pipetype", "pipe_type", "type"},
	"feature":     {"特征", "特征点", "特征点名称", "feature"},
	"code":        {"要素代码", "代码", "编码", "code"},
	"appendage":   {"附属物", "附属设施", "附属物名称", "appendage"},
	"x":           {"x", "x坐标", "纵坐标", "北坐标", "坐标x", "northing"},
	"y":           {"y", "y坐标", "横坐标", "东坐标", "坐标y", "easting"},
	"lon":         {"经度", "lon", "lng", "longitude"},
	"lat":         {"纬度", "lat", "latitude"},
	"ground_elev": {"地面高程", "地面高", "地面标高", "高程", "ground_elev", "groundelev"},
	"depth":       {"埋深", "管顶埋深", "管底埋深", "管内底埋深", "depth"},
	"well_depth":  {"井深", "井底深", "井底埋深", "well_depth"},
	"cover_spec":  {"井盖规格", "井盖尺寸", "井盖", "井盖材质规格"},
	"road_name":   {"道路名称", "所在道路", "道路", "路名", "road", "road_name"},
	"owner":       {"权属单位", "权属", "权属单位名称", "owner"},
	"start_no":    {"起点点号", "起点", "起点号", "起始点号", "起点物探点号", "start_no", "from"},
	"end_no":      {"终点点号", "终点", "终点号", "连接点号", "连接点", "终点物探点号", "end_no", "to"},
	"start_depth": {"起点埋深", "起点管顶埋深", "起点管底埋深", "起点管内底埋深"},
	"end_depth":   {"终点埋深", "终点管顶埋深", "终点管底埋深", "终点管内底埋深"},
	"start_elev":  {"起点高程", "起点管顶高程", "起点管底高程", "起点管内底高程", "起点管线高程"},
	"end_elev":    {"终点高程", "终点管顶高程", "终点管底高程", "终点管内底高程", "终点管线高程"},
	"diameter":    {"管径", "直径", "管径dn", "diameter", "dn"},
	"section":     {"断面尺寸", "断面", "规格", "断面规格", "宽x高", "section"},
	"material":    {"材质", "管材", "材料", "material"},
	"burial":      {"埋设方式", "埋设类型", "敷设方式", "burial"},
	"pressure":    {"压力", "电压", "压力/电压", "压力电压", "电压/压力", "pressure", "voltage"},
	"cables":      {"电缆条数", "条数", "电缆根数", "根数", "cables"},
	"holes_total": {"总孔数", "孔数", "holes_total"},
	"holes_used":  {"已用孔数", "占用孔数", "holes_used"},
	"flow_dir":    {"流向", "flow", "flow_dir"},
	"built_year":  {"建设年代", "埋设年代", "建设年份", "敷设年代", "建设日期", "埋设日期", "built_year"},
}

var aliasIndex = loader.AliasIndex(aliases)

// mapHeader finds the canonical columns of a header row and says whether it is a point table, a
// segment table or neither. The first column claiming a key wins.
func mapHeader(header []string) (map[string]int, string) {
	cols := map[string]int{}
	for i, h := range header {
		if k, ok := aliasIndex[loader.NormHeader(h)]; ok {
			if _, dup := cols[k]; !dup {
				cols[k] = i
			}
		}
	}
	_, s := cols["start_no"]
	_, e := cols["end_no"]
	_, p := cols["point_no"]
	switch {
	case s && e:
		return cols, "segment"
	case p:
		return cols, "point"
	}
	return cols, ""
}

// typeFromName finds the pipe type a file or sheet name names (JS_点.csv, 给水管线段,
// ys-segments); "" when it names none or several (雨水及给水点).
func typeFromName(name string) string {
	found := map[string]bool{}
	for _, t := range builtinTypes {
		if strings.Contains(name, t.nameZh) {
			found[t.code] = true
		}
	}
	base := strings.ToUpper(strings.TrimSuffix(filepath.Base(name), filepath.Ext(name)))
	for _, f := range strings.FieldsFunc(base, func(r rune) bool { return !(r >= 'A' && r <= 'Z') }) {
		if _, ok := typeByCode(f); ok {
			found[f] = true
		}
	}
	if len(found) != 1 {
		return ""
	}
	for k := range found {
		return k
	}
	return ""
}

// --- reading ---

// decodeText returns the text of a CSV in UTF-8: --encoding says, else valid UTF-8 (with or without a
// BOM) is UTF-8 and anything else GBK. A declared encoding the bytes contradict is refused, naming
// the line.
func decodeText(path string, b []byte, enc string) (string, error) {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	valid := utf8.Valid(b)
	nonASCII := slices.ContainsFunc(b, func(c byte) bool { return c >= 0x80 })
	line := func(bad bool) (int, string) {
		for i, l := range bytes.Split(b, []byte("\n")) {
			if (bad && !utf8.Valid(l)) || (!bad && slices.ContainsFunc(l, func(c byte) bool { return c >= 0x80 })) {
				return i + 1, strings.TrimSpace(string(l))
			}
		}
		return 0, ""
	}
	switch {
	case enc == "utf-8" && !valid:
		n, _ := line(true)
		return "", fmt.Errorf("%s line %d is not UTF-8 although --encoding utf-8 says so; the file is probably GBK: give --encoding gbk or leave --encoding out", path, n)
	case enc == "gbk" && valid && nonASCII:
		n, l := line(false)
		return "", fmt.Errorf("%s is UTF-8 (line %d: %q), not GBK as --encoding gbk says; give --encoding utf-8 or leave --encoding out", path, n, truncate(l, 40))
	case enc == "utf-8" || (enc == "" && valid):
		return string(b), nil
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b)
	if err != nil {
		return "", fmt.Errorf("%s is neither UTF-8 nor GBK: %v", path, err)
	}
	return string(out), nil
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// readCSV reads a CSV (comma, semicolon or tab separated) as a table.
func readCSV(path, enc string) (*table, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	text, err := decodeText(path, b, enc)
	if err != nil {
		return nil, err
	}
	return parseCSV(path, text)
}

func parseCSV(path, text string) (*table, error) {
	r := loader.TableCSV(text)
	t := &table{file: path, typeOf: typeFromName(path)}
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
			t.cols, t.kind = mapHeader(rec)
			if t.kind == "" {
				return nil, fmt.Errorf("%s line %d: no CJJ 61 point table (物探点号, X, Y, …) or segment table (起点点号, 终点点号, …) header: %q",
					path, line, truncate(strings.Join(rec, ","), 80))
			}
			continue
		}
		if slices.IndexFunc(rec, func(s string) bool { return strings.TrimSpace(s) != "" }) < 0 {
			continue // blank line
		}
		if len(rec) < len(t.header) {
			// A row cut short (a file truncated in copying, a line broken by an editor): refuse the
			// file rather than import half a row or lose the rest.
			return nil, fmt.Errorf("%s line %d: %d fields where the header has %d: the row is cut short (is the file complete?)",
				path, line, len(rec), len(t.header))
		}
		t.rows = append(t.rows, row{line: line, cells: rec})
	}
	if t.header == nil {
		return nil, fmt.Errorf("%s is empty", path)
	}
	return t, nil
}

// Limits of a workbook, so a small file that expands to gigabytes (a "zip bomb", or a sheet of
// millions of empty-looking cells) is refused by name instead of taking the memory: survey tables
// are far below them. (Variables so that a test can show a limit at work on a small file.)
var (
	xlsxMaxUnzipped uint64 = 512 << 20  // bytes of all the workbook's parts, decompressed
	xlsxMaxCells           = 20_000_000 // cells read over all sheets
)

// readXLSX reads every sheet of a workbook that has a point or segment header in one of its first
// rows (title rows above the header are common). headersOnly stops each sheet at its header (a
// sniff). The rows are streamed, not loaded whole; ctx ends a long read.
func readXLSX(ctx context.Context, path string, headersOnly bool) ([]*table, error) {
	if err := checkZipSize(path, xlsxMaxUnzipped); err != nil {
		return nil, err
	}
	f, err := excelize.OpenFile(path, excelize.Options{UnzipSizeLimit: int64(xlsxMaxUnzipped)})
	if err != nil {
		return nil, fmt.Errorf("%s: not a readable XLSX workbook: %w", path, err)
	}
	defer f.Close()
	var out []*table
	cells := 0
	for _, sheet := range f.GetSheetList() {
		t, err := readSheet(ctx, f, path, sheet, headersOnly, &cells)
		if err != nil {
			return nil, err
		}
		if t != nil {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no sheet has a CJJ 61 point table (物探点号, X, Y, …) or segment table (起点点号, 终点点号, …) header", path)
	}
	return out, nil
}

// readSheet reads one sheet's table; nil when the sheet has no header in its first five rows.
func readSheet(ctx context.Context, f *excelize.File, path, sheet string, headersOnly bool, cells *int) (*table, error) {
	rows, err := f.Rows(sheet)
	if err != nil {
		return nil, fmt.Errorf("%s [%s]: %w", path, sheet, err)
	}
	defer rows.Close()
	t := &table{file: path, sheet: sheet, typeOf: cmpOr(typeFromName(sheet), typeFromName(path))}
	for i := 0; rows.Next(); i++ {
		if i%4096 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		rec, err := rows.Columns()
		if err != nil {
			return nil, fmt.Errorf("%s [%s] row %d: %w", path, sheet, i+1, err)
		}
		if *cells += len(rec); *cells > xlsxMaxCells {
			return nil, fmt.Errorf("%s [%s] row %d: the workbook holds more than %d cells; a pipeline survey table is far smaller (save each table as CSV, or split the workbook)",
				path, sheet, i+1, xlsxMaxCells)
		}
		if t.header == nil {
			if i >= 5 {
				return nil, rows.Error()
			}
			if cols, kind := mapHeader(rec); kind != "" {
				t.header, t.cols, t.kind = rec, cols, kind
				if headersOnly {
					return t, nil
				}
			}
			continue
		}
		if slices.IndexFunc(rec, func(s string) bool { return strings.TrimSpace(s) != "" }) < 0 {
			continue
		}
		t.rows = append(t.rows, row{record: i + 1, cells: rec})
	}
	if err := rows.Error(); err != nil {
		return nil, fmt.Errorf("%s [%s]: %w", path, sheet, err)
	}
	if t.header == nil {
		return nil, nil
	}
	return t, nil
}

// checkZipSize refuses an archive whose parts expand beyond max bytes (the sizes its directory
// declares; the zip reader refuses a part that inflates beyond its declared size).
func checkZipSize(path string, max uint64) error {
	z, err := zip.OpenReader(path)
	if err != nil {
		return fmt.Errorf("%s: not a readable XLSX workbook: %w", path, err)
	}
	defer z.Close()
	var total uint64
	for _, f := range z.File {
		if total += f.UncompressedSize64; total > max || f.UncompressedSize64 > max {
			return fmt.Errorf("%s: the workbook expands to more than %d MB (part %s): not a survey table; save the tables as CSV, or split the workbook",
				path, max>>20, f.Name)
		}
	}
	return nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// readShapefile reads a shapefile's records as a table (through GDAL, with the encoding decided as
// for any shapefile); a point shapefile without X/Y columns gives its geometry's coordinates.
func readShapefile(ctx context.Context, path, enc string) (*table, *vector.Opened, error) {
	o, err := vector.OpenShapefile(srcFor(path, enc))
	if err != nil {
		return nil, nil, err
	}
	layers, err := vector.Info(ctx, path, o.OpenOptions...)
	if err != nil {
		return nil, nil, err
	}
	if len(layers) != 1 {
		return nil, nil, fmt.Errorf("%s: %d layers", path, len(layers))
	}
	l := layers[0]
	t := &table{file: path, typeOf: typeFromName(path)}
	for _, f := range l.Fields {
		t.header = append(t.header, f.Name)
	}
	t.cols, t.kind = mapHeader(t.header)
	if t.kind == "" {
		return nil, nil, fmt.Errorf("%s: the attribute table has no CJJ 61 point (物探点号) or segment (起点点号, 终点点号) fields", path)
	}
	err = vector.Read(ctx, path, l.Name, o.OpenOptions, func(i int, f vector.Feature) error {
		r := row{record: i + 1}
		for _, h := range t.header {
			v := f.Properties[h]
			if v == nil {
				r.cells = append(r.cells, "")
			} else {
				r.cells = append(r.cells, fmt.Sprint(v))
			}
		}
		if f.Geometry != nil && len(f.Geometry.FlatCoords()) >= 2 && t.kind == "point" {
			c := f.Geometry.FlatCoords()
			x, y := c[0], c[1]
			r.x, r.y = &x, &y
		}
		t.rows = append(t.rows, r)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if len(t.rows) != l.Count {
		return nil, nil, fmt.Errorf("%s: GDAL read %d records but counts %d; the file is damaged", path, len(t.rows), l.Count)
	}
	return t, o, nil
}

func srcFor(path, enc string) loader.Source { return loader.Source{Path: path, Encoding: enc} }

// sniffCSV reports whether a text file starts with a CJJ 61 header.
func sniffCSV(head []byte) bool {
	if len(head) == 0 || bytes.IndexByte(head, 0) >= 0 {
		return false
	}
	text := string(head)
	if !utf8.Valid(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))) {
		// GBK; the cut at 4 KiB may split a character, which the decoder replaces.
		b, err := simplifiedchinese.GB18030.NewDecoder().Bytes(head)
		if err != nil {
			return false
		}
		text = string(b)
	}
	first, _, _ := strings.Cut(text, "\n")
	t, err := parseCSV("", first+"\n")
	return err == nil && t.kind != ""
}

// sniffXLSX reports whether a ZIP is a workbook with a CJJ 61 sheet.
func sniffXLSX(path string, head []byte) bool {
	if !bytes.HasPrefix(head, []byte("PK\x03\x04")) {
		return false
	}
	z, err := zip.OpenReader(path)
	if err != nil {
		return false
	}
	ok := slices.ContainsFunc(z.File, func(f *zip.File) bool { return f.Name == "xl/workbook.xml" })
	z.Close()
	if !ok {
		return false
	}
	if checkZipSize(path, xlsxMaxUnzipped) != nil {
		return true // a workbook too large to look into: the import refuses it, saying why
	}
	_, err = readXLSX(context.Background(), path, true)
	return err == nil
}

// sniffShapefile reports whether a shapefile's DBF has CJJ 61 fields.
func sniffShapefile(path string, head []byte) bool {
	if !(vector.Shapefile{}).Sniff(path, head) {
		return false
	}
	names, err := dbfFieldNames(path)
	if err != nil {
		return false
	}
	_, kind := mapHeader(names)
	return kind != ""
}

// dbfFieldNames reads the field names of a shapefile's DBF (GBK or UTF-8 names).
func dbfFieldNames(shp string) ([]string, error) {
	base := strings.TrimSuffix(shp, filepath.Ext(shp))
	var b []byte
	var err error
	for _, ext := range []string{".dbf", ".DBF"} {
		if b, err = os.ReadFile(base + ext); err == nil {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	if len(b) < 32 {
		return nil, errors.New("short DBF")
	}
	var names []string
	for p := 32; p+32 <= len(b) && b[p] != 0x0D; p += 32 {
		raw := bytes.TrimRight(b[p:p+11], "\x00 ")
		name := string(raw)
		if !utf8.Valid(raw) {
			if d, err := simplifiedchinese.GBK.NewDecoder().Bytes(raw); err == nil {
				name = string(d)
			}
		}
		names = append(names, name)
	}
	return names, nil
}
