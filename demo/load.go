package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/yitu-gis/yitu/importers"
	"github.com/yitu-gis/yitu/importers/cass"
	"github.com/yitu-gis/yitu/importers/loader"
)

// Dataset names of the demo city.
const (
	BaseMapDataset  = "莱州演示城区 1:500 地形图"
	PipelineDataset = "莱州演示城区 地下管线"
	DistrictDataset = "莱州演示城区 文昌路街道界"
	ObliqueDataset  = "莱州演示城区 倾斜摄影"
	DEMDataset      = "莱州演示城区 数字高程模型"
)

// Load imports the generated files through the importers, as `yitu import` would: the base map with
// --srs EPSG:4528 (CASS drawings carry no CRS), the pipe tables as one pipeline dataset, the boundary
// as a boundary, the DEM into the terrain. It returns the reports of the imports that succeeded and the errors of the others.
func Load(ctx context.Context, l *loader.Loader, f *Files, progress io.Writer, log *slog.Logger) ([]*loader.Report, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// The pipe tables go in as one dataset: a folder holding the point and the segment table.
	pipes := filepath.Join(f.Dir, "pipelines")
	if err := os.MkdirAll(pipes, 0o755); err != nil {
		return nil, err
	}
	for _, p := range []string{f.PipePoints, f.PipeSegments} {
		dst := filepath.Join(pipes, filepath.Base(p))
		if err := os.Rename(p, dst); err != nil {
			return nil, err
		}
	}
	f.PipePoints, f.PipeSegments = filepath.Join(pipes, PipePointsFile), filepath.Join(pipes, PipeSegmentsFile)
	reqs := []importers.Request{
		{Path: f.BaseMap, As: "basemap", SRS: SourceCRS, Dataset: BaseMapDataset},
		{Path: pipes, As: "pipeline", SRS: SourceCRS, Encoding: "gbk", Dataset: PipelineDataset},
		{Path: f.Boundary, As: "boundary", Dataset: DistrictDataset},
		{Path: f.Oblique, Dataset: ObliqueDataset, HeightOffset: f.HeightOffset}, // georeferenced by its metadata.xml
		{Path: f.CityJSON, Dataset: CIMDataset},                                  // CRS from the file (EPSG:4528)
		{Path: f.DEM, As: "dem", Dataset: DEMDataset},                            // the ground, CRS from the GeoTIFF
		{Path: f.Boreholes, As: "boreholes", SRS: SourceCRS, Encoding: "gbk", Dataset: BoreholeDataset, Map: f.Strata},
	}
	for _, ff := range f.Forest { // lon/lat, taken as CGCS2000
		reqs = append(reqs, importers.Request{Path: ff.Path, As: ff.As, Dataset: ff.Dataset})
	}
	var reports []*loader.Report
	var errs []error
	for _, r := range reqs {
		r.Actor, r.Progress, r.HomeLon = "yitu demo", progress, cass.HomeLon
		results, err := importers.Run(ctx, l, importers.Formats(), r, log)
		if err != nil {
			errs = append(errs, fmt.Errorf("importing %s: %w", r.Path, err))
			continue
		}
		for _, res := range results {
			if res.Report != nil {
				reports = append(reports, res.Report)
			}
			if res.Err != nil {
				errs = append(errs, fmt.Errorf("importing %s: %w", res.Path, res.Err))
			}
		}
	}
	return reports, errors.Join(errs...)
}
