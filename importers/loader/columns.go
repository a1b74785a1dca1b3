package loader

import (
	"encoding/csv"
	"strings"
)

// Column headers of survey tables (CJJ 61 pipe tables, borehole tables): how the importers that
// read them recognise a column whatever its spelling, and read the CSV whatever its separator.

// NormHeader is a header as it is matched: without a BOM, spaces, units in brackets or case
// ("埋深(m)" → "埋深", "X 坐标" → "x坐标").
func NormHeader(h string) string {
	h = strings.TrimPrefix(strings.TrimSpace(h), "\ufeff")
	for _, pair := range [][2]string{{"(", ")"}, {"（", "）"}, {"[", "]"}, {"【", "】"}} {
		if i := strings.Index(h, pair[0]); i > 0 {
			if j := strings.Index(h[i:], pair[1]); j > 0 {
				h = h[:i] + h[i+j+len(pair[1]):]
			}
		}
	}
	h = strings.ReplaceAll(h, " ", "")
	h = strings.ReplaceAll(h, "\u3000", "")
	return strings.ToLower(h)
}

// AliasIndex inverts a table of aliases (canonical column → the headers it goes by, written as
// NormHeader leaves them) into header → canonical column.
func AliasIndex(aliases map[string][]string) map[string]string {
	m := map[string]string{}
	for k, names := range aliases {
		for _, n := range names {
			m[n] = k
		}
	}
	return m
}

// TableCSV reads a delimited table whose separator is the one its first line holds most of: a
// tab, a semicolon or a comma. Rows may differ in length; stray quotes are taken as text.
func TableCSV(text string) *csv.Reader {
	first, _, _ := strings.Cut(text, "\n")
	sep := ','
	for _, c := range []rune{'\t', ';', ','} {
		if strings.Count(first, string(c)) > strings.Count(first, string(sep)) {
			sep = c
		}
	}
	r := csv.NewReader(strings.NewReader(text))
	r.Comma = sep
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	return r
}
