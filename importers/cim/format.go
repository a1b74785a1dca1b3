package cim

import (
	"bytes"
	"context"
	"regexp"

	"github.com/yitu-gis/yitu/importers/loader"
)

// CityGML is the CityGML 2.0/3.0 format of yitu import.
type CityGML struct{}

// CityJSON is the CityJSON 1.1/2.0 format of yitu import.
type CityJSON struct{}

func (CityGML) Name() string               { return "citygml" }
func (CityJSON) Name() string              { return "cityjson" }
func (CityGML) Kind(loader.Source) string  { return "cim" }
func (CityJSON) Kind(loader.Source) string { return "cim" }

// AnyEPSG: the CIM formats transform with PostGIS, so --srs takes any EPSG code.
func (CityGML) AnyEPSG()  {}
func (CityJSON) AnyEPSG() {}

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
