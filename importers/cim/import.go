package cim

import (
	"context"
	"os"

	"github.com/yitu-gis/yitu/importers/loader"
)

// ImportCityGML streams a CityGML 2.0 or 3.0 file into the batch.
func ImportCityGML(ctx context.Context, b *loader.Batch, path string, opts Options) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	s := newSink(b, path, opts)
	reject := func(line int, feature, reason string) {
		b.Reject(loader.Rejection{File: path, Line: line, Feature: feature, Reason: reason})
	}
	if _, err := readCityGML(path, b.Track(f, st.Size()), opts, func(o *cityObject) error { return s.add(ctx, o) }, reject); err != nil {
		return err
	}
	if err := s.flush(ctx); err != nil {
		return err
	}
	return refineFootprints(ctx, b)
}
