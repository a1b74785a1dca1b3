package cim

import (
	"context"
	"fmt"
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
	degenerate, err := readCityGML(path, b.Track(f, st.Size()), opts, func(o *cityObject) error { return s.add(ctx, o) }, reject)
	if err != nil {
		return err
	}
	if err := s.flush(ctx); err != nil {
		return err
	}
	warnDegenerate(b, path, degenerate)
	return refineFootprints(ctx, b)
}

func warnDegenerate(b *loader.Batch, path string, n int) {
	if n > 0 {
		b.Warn(fmt.Sprintf("%s: %d polygons without area (all points on a line) skipped", path, n))
	}
}
