package cass

import (
	"bytes"
	"context"

	"github.com/yitu-gis/yitu/importers/loader"
)

// DXF is the DXF base-map format of yitu import: CASS-style drawings (and any ASCII DXF) into the
// basemap feature classes.
type DXF struct {
	Table *Table // nil: the embedded CASS table
}

func (DXF) Name() string              { return "dxf" }
func (DXF) Kind(loader.Source) string { return "basemap" }

// Sniff recognises an ASCII DXF by its first group ("0" then SECTION, after optional 999 comments)
// and claims binary DXF too, so that its refusal says what it is.
func (DXF) Sniff(_ string, head []byte) bool {
	if bytes.HasPrefix(head, []byte("AutoCAD Binary DXF")) {
		return true
	}
	lines := bytes.Split(bytes.TrimPrefix(head, []byte{0xEF, 0xBB, 0xBF}), []byte("\n"))
	for i := 0; i+1 < len(lines); i += 2 {
		code := string(bytes.TrimSpace(lines[i]))
		val := string(bytes.TrimSpace(lines[i+1]))
		switch {
		case code == "999":
			continue
		case code == "0" && val == "SECTION":
			return true
		default:
			return false
		}
	}
	return false
}

// Import imports src.Path (see Import).
func (d DXF) Import(ctx context.Context, b *loader.Batch, src loader.Source) error {
	o := Options{Encoding: src.Encoding, HomeLon: src.HomeLon, Table: d.Table}
	if src.CRS != nil {
		o.SRS = src.CRS.Code()
	}
	if src.As == "dem" {
		return ImportDEM(ctx, b, src, o)
	}
	return Import(ctx, b, src.Path, o)
}
