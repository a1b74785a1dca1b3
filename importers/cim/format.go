package cim

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"

	"github.com/yitu-gis/yitu/importers/loader"
)

// CityGML is the CityGML 2.0/3.0 format of yitu import.
type CityGML struct{}

// CityJSON is the CityJSON 1.1/2.0 format of yitu import.
type CityJSON struct{}

// CityJSONSeq is a CityJSON Text Sequence (.city.jsonl): a CityJSON header line, then one
// CityJSONFeature per line. It is listed before CityJSON, whose header it starts with.
type CityJSONSeq struct{}

func (CityGML) Name() string                  { return "citygml" }
func (CityJSON) Name() string                 { return "cityjson" }
func (CityJSONSeq) Name() string              { return "cityjsonseq" }
func (CityGML) Kind(loader.Source) string     { return "cim" }
func (CityJSON) Kind(loader.Source) string    { return "cim" }
func (CityJSONSeq) Kind(loader.Source) string { return "cim" }

var (
	cityModelRE  = regexp.MustCompile(`<([A-Za-z0-9_]+:)?CityModel[\s>]`)
	cityJSONType = regexp.MustCompile(`"type"\s*:\s*"CityJSON"|^\s*\{\s*"CityObjects"\s*:`)
)

// Sniff recognises a CityGML document by its CityModel root element.
func (CityGML) Sniff(_ string, head []byte) bool {
	t := bytes.TrimLeft(head, " \t\r\n\xef\xbb\xbf")
	return len(t) > 0 && t[0] == '<' && cityModelRE.Match(head)
}

// Sniff recognises CityJSON by its type, or by CityObjects as the first member.
func (CityJSON) Sniff(_ string, head []byte) bool {
	t := bytes.TrimLeft(head, " \t\r\n\xef\xbb\xbf")
	return len(t) > 0 && t[0] == '{' && cityJSONType.Match(t)
}

// Sniff recognises a CityJSONSeq: a first line that is a whole CityJSON object, and another object
// on the next line. (One whose header line is longer than the sniffed head is still read as a
// sequence by the CityJSON format.)
func (CityJSONSeq) Sniff(_ string, head []byte) bool {
	t := bytes.TrimLeft(head, " \t\r\n\xef\xbb\xbf")
	first, rest, ok := bytes.Cut(t, []byte("\n"))
	rest = bytes.TrimLeft(rest, " \t\r\n")
	return ok && len(t) > 0 && t[0] == '{' && len(rest) > 0 && rest[0] == '{' && cityJSONType.Match(first) && json.Valid(first)
}

func sourceOptions(src loader.Source) Options {
	o := Options{SRS: src.SRS}
	if src.CRS != nil {
		o.SRS = src.CRS.Code()
	}
	return o
}

func (CityGML) Import(ctx context.Context, b *loader.Batch, src loader.Source) error {
	return ImportCityGML(ctx, b, src.Path, sourceOptions(src))
}

func (CityJSON) Import(ctx context.Context, b *loader.Batch, src loader.Source) error {
	return ImportCityJSON(ctx, b, src.Path, sourceOptions(src))
}

func (CityJSONSeq) Import(ctx context.Context, b *loader.Batch, src loader.Source) error {
	return ImportCityJSON(ctx, b, src.Path, sourceOptions(src))
}
