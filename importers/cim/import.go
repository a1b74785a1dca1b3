package cim

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/yitu-gis/yitu/importers/loader"
)

// ImportCityGML streams a CityGML 2.0 or 3.0 file into the batch.
func ImportCityGML(ctx context.Context, b *loader.Batch, path string, opts Options) error {
	// References (xlink:href) are found first, so that the elements they point at are kept when the
	// document streams past them.
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	refs, err := scanRefs(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	r, closeFile, err := openTracked(b, path)
	if err != nil {
		return err
	}
	defer closeFile()
	s := newSink(b, path, opts)
	reject := func(line int, feature, reason string) {
		b.Reject(loader.Rejection{File: path, Line: line, Feature: feature, Reason: reason})
	}
	degenerate, err := readGML(path, r, refs, opts, func(o *cityObject) error { return s.add(ctx, o) }, reject)
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

// openTracked opens a source file with the batch's progress tracking.
func openTracked(b *loader.Batch, path string) (io.Reader, func() error, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return b.Track(f, st.Size()), f.Close, nil
}
