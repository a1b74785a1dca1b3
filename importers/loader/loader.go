// Package loader is the one way survey data enters PostGIS. Every importer (DXF, Shapefile, GeoPackage,
// GeoJSON, CJJ 61 tables, EPANET, CityGML, oblique models…) parses its source and hands rows to a
// Batch; the loader does the rest:
//
//   - one transaction per import: all or nothing;
//   - rows streamed into their tables by binary COPY (pgx CopyFrom) from a background goroutine, so
//     parsing and writing overlap; a COPY stays open while consecutive rows go to the same table;
//   - a catalog.dataset row with the source, its sha256, the source CRS, counts per feature class,
//     the bounding box, who imported it and the report;
//   - a re-import under the same dataset name first deletes exactly what the previous one wrote (rows
//     carry dataset_id with ON DELETE CASCADE; tables the import created are dropped);
//   - rejections (bad features) collected with file, line or record and reason; more than
//     Options.MaxRejects refuses the whole import;
//   - spatial.NotifyChange at commit, so tile caches purge what the import touched;
//   - a progress bar on a terminal, nothing otherwise.
//
// Geometry values are EWKB ([]byte) in SRID 4490 (lon/lat CGCS2000), 2D or with Z, in the column
// named "geom"; Add checks the SRID and takes the bounding box from it. Use EWKB to build them.
//
// A typical importer:
//
//	b, err := l.Begin(ctx, loader.Options{Dataset: "莱州 1:500", Kind: "basemap", Format: "dxf", Source: path})
//	if err != nil { return err }
//	defer b.Rollback(ctx) // no-op after Commit
//	w := b.Table("building", pgx.Identifier{"basemap", "building"}, []string{"source_layer", "code", "geom"})
//	for … { if err := w.Add(layer, code, ewkb); err != nil { return err } }
//	b.Reject(loader.Rejection{File: path, Line: 120, Reason: "polyline with one vertex"})
//	rep, err := b.Commit(ctx)
package loader

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yitu-gis/yitu/spatial"
)

// Options describe one import.
type Options struct {
	Dataset    string    // dataset name; a re-import with the same name replaces exactly what it wrote
	Kind       string    // basemap, pipeline, boundary, reference, cim, oblique, tileset, ...
	Format     string    // dxf, shapefile, gpkg, geojson, csv, xlsx, epanet, citygml, cityjson, osgb, obj, 3dtiles
	Source     string    // the file or folder as given
	Files      []string  // the files whose bytes make the source hash (default: Source, or every file under it)
	SourceCRS  string    // EPSG:4528, gcj02, local:<file>, ...; an importer may set it later (SetSourceCRS)
	Actor      string    // who imports (OS user or authenticated subject)
	DryRun     bool      // parse and validate, write nothing
	MaxRejects int       // rejections tolerated before the import is refused (default 0: all or nothing)
	Progress   io.Writer // progress bar target; quiet when not a terminal
}

// Rejection is one feature or row the importer could not take, and why.
type Rejection struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`    // line in a text file (DXF group line, CSV line)
	Record  int    `json:"record,omitempty"`  // record or row number (shapefile record, spreadsheet row, feature index)
	Feature string `json:"feature,omitempty"` // handle, point number, feature id
	Class   string `json:"class,omitempty"`   // the feature class it was meant for
	Reason  string `json:"reason"`
}

func (r Rejection) String() string {
	var b strings.Builder
	b.WriteString(r.File)
	if r.Line > 0 {
		fmt.Fprintf(&b, " line %d", r.Line)
	}
	if r.Record > 0 {
		fmt.Fprintf(&b, " record %d", r.Record)
	}
	if r.Feature != "" {
		fmt.Fprintf(&b, " (%s)", r.Feature)
	}
	b.WriteString(": ")
	b.WriteString(r.Reason)
	return b.String()
}

// Report says what an import did. It is printed, written with --report and kept in catalog.dataset.
type Report struct {
	Dataset   string         `json:"dataset"`
	DatasetID int64          `json:"dataset_id,omitempty"`
	Kind      string         `json:"kind"`
	Source    string         `json:"source"`
	SHA256    string         `json:"sha256,omitempty"`
	Format    string         `json:"format"`
	SourceCRS string         `json:"source_crs"`
	DryRun    bool           `json:"dry_run,omitempty"`
	Refused   bool           `json:"refused,omitempty"`
	Replaced  int64          `json:"replaced_dataset_id,omitempty"` // the previous import of this name, deleted
	Counts    map[string]int `json:"counts"`                        // feature class -> rows
	Layers    []string       `json:"layers,omitempty"`              // catalog layers written
	BBox      *[4]float64    `json:"bbox,omitempty"`                // lon/lat minx, miny, maxx, maxy
	Rejected  []Rejection    `json:"rejected"`
	Warnings  []string       `json:"warnings"`
	Features  int            `json:"features"`
	Seconds   float64        `json:"seconds"`
}

// RefusedError is an import refused because of its rejections (more than MaxRejects) or because the
// source cannot be read: nothing was written.
type RefusedError struct {
	Dataset string
	Reason  string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("import of %q refused, nothing written: %s", e.Dataset, e.Reason)
}

// Loader writes imports into PostGIS.
type Loader struct {
	pool *pgxpool.Pool
	log  *slog.Logger
	now  func() time.Time
}

// New returns a loader over pool.
func New(pool *pgxpool.Pool, log *slog.Logger) *Loader {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Loader{pool: pool, log: log, now: time.Now}
}

// Batch is one import in progress: one transaction (none on a dry run).
type Batch struct {
	l       *Loader
	opts    Options
	ctx     context.Context
	start   time.Time
	tx      pgx.Tx
	id      int64
	prev    previous
	done    bool
	copier  *copier
	writers []*TableWriter
	bbox    bounds
	hash    chan hashResult
	prog    *progress

	mu       sync.Mutex // Reject and Warn may be called from several goroutines
	rejected []Rejection
	warnings []string
	owned    []string
	counted  map[string]int // rows written through Tx (Count)
}

type previous struct {
	id     int64
	bbox   *[4]float64
	layers []string
}

type hashResult struct {
	sum string
	err error
}

// Begin starts an import: it opens the transaction, deletes the previous dataset of that name (rows
// and tables it wrote) and inserts the catalog.dataset row. On a dry run it touches no database.
func (l *Loader) Begin(ctx context.Context, o Options) (*Batch, error) {
	if strings.TrimSpace(o.Dataset) == "" {
		return nil, spatial.Invalid("dataset", "a dataset name is required")
	}
	if o.MaxRejects < 0 {
		return nil, spatial.Invalid("max-rejects", "must be 0 or more, not %d", o.MaxRejects)
	}
	if o.Actor == "" {
		o.Actor = osUser()
	}
	b := &Batch{l: l, opts: o, ctx: ctx, start: l.now(), bbox: emptyBounds()}
	b.prog = newProgress(o.Progress, o.Dataset)
	b.hash = make(chan hashResult, 1)
	go func() {
		sum, err := hashSource(o.Source, o.Files)
		b.hash <- hashResult{sum, err}
	}()
	if o.DryRun {
		return b, nil
	}
	tx, err := l.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("starting the import transaction: %w", err)
	}
	b.tx = tx
	if err := b.begin(ctx); err != nil {
		_ = tx.Rollback(context.WithoutCancel(ctx))
		return nil, err
	}
	b.copier = newCopier(ctx, tx)
	return b, nil
}

func (b *Batch) begin(ctx context.Context) error {
	// An import may take minutes: the pool's statement timeout guards requests, not this.
	if _, err := b.tx.Exec(ctx, "SET LOCAL statement_timeout = 0"); err != nil {
		return err
	}
	prev, err := deleteDataset(ctx, b.tx, b.opts.Dataset)
	if err != nil {
		return err
	}
	b.prev = prev
	crs := b.opts.SourceCRS
	err = b.tx.QueryRow(ctx, `
		INSERT INTO catalog.dataset (name, kind, format, source, source_hash, source_crs, imported_by)
		VALUES ($1, $2, $3, $4, '', $5, $6) RETURNING id`,
		b.opts.Dataset, b.opts.Kind, b.opts.Format, b.opts.Source, crs, b.opts.Actor).Scan(&b.id)
	if err != nil {
		return fmt.Errorf("registering dataset %q: %w", b.opts.Dataset, err)
	}
	return nil
}

// Delete removes a dataset and everything its import wrote, in one transaction, and announces the
// change. It returns spatial.ErrNotFound when there is no dataset of that name.
func (l *Loader) Delete(ctx context.Context, name string) error {
	return pgx.BeginFunc(ctx, l.pool, func(tx pgx.Tx) error {
		prev, err := deleteDataset(ctx, tx, name)
		if err != nil {
			return err
		}
		if prev.id == 0 {
			return spatial.NotFound("dataset %q", name)
		}
		return spatial.NotifyChange(ctx, tx, spatial.Change{Layers: prev.layers, BBox: prev.bbox, Dataset: prev.id, Reason: "delete"})
	})
}

// deleteDataset deletes the dataset row of that name (its rows go by ON DELETE CASCADE) and drops the
// tables it created. It returns what the deleted dataset covered, for the change notification.
func deleteDataset(ctx context.Context, tx pgx.Tx, name string) (previous, error) {
	var p previous
	var owned []string
	var box []float64
	err := tx.QueryRow(ctx, `
		SELECT id, owned_tables, layers,
		       CASE WHEN bbox IS NULL THEN NULL ELSE ARRAY[ST_XMin(bbox), ST_YMin(bbox), ST_XMax(bbox), ST_YMax(bbox)] END
		FROM catalog.dataset WHERE name = $1 FOR UPDATE`, name).Scan(&p.id, &owned, &p.layers, &box)
	if errors.Is(err, pgx.ErrNoRows) {
		return previous{}, nil
	}
	if err != nil {
		return p, fmt.Errorf("looking up the previous import of %q: %w", name, err)
	}
	if len(box) == 4 {
		p.bbox = &[4]float64{box[0], box[1], box[2], box[3]}
	}
	if _, err := tx.Exec(ctx, "DELETE FROM catalog.dataset WHERE id = $1", p.id); err != nil {
		return p, fmt.Errorf("deleting the previous import of %q: %w", name, err)
	}
	for _, t := range owned {
		schema, table, _ := strings.Cut(t, ".")
		if _, err := tx.Exec(ctx, "DROP TABLE IF EXISTS "+pgx.Identifier{schema, table}.Sanitize()); err != nil {
			return p, fmt.Errorf("dropping table %s of the previous import of %q: %w", t, name, err)
		}
	}
	return p, nil
}

// DatasetID is the catalog.dataset id of this import (0 on a dry run).
func (b *Batch) DatasetID() int64 { return b.id }

// Options returns the options the batch was begun with (SourceCRS as last set).
func (b *Batch) Options() Options { return b.opts }

// Tx is the import transaction, for statements besides the COPY streams (creating a reference table,
// registering a catalog layer). It waits until every row added so far is written. Nil on a dry run
// and after Commit or Rollback.
func (b *Batch) Tx() pgx.Tx {
	if b.tx == nil || b.done {
		return nil
	}
	_ = b.copier.flush(b) // a write error surfaces in the caller's next statement and at Commit
	return b.tx
}

// DryRun reports whether nothing is written.
func (b *Batch) DryRun() bool { return b.opts.DryRun }

// SetSourceCRS records the source CRS the importer found (a .prj, DXF GEODATA) or was told.
func (b *Batch) SetSourceCRS(code string) { b.opts.SourceCRS = code }

// Own records a table the import created, so that replacing or deleting the dataset drops it.
func (b *Batch) Own(table pgx.Identifier) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.owned = append(b.owned, strings.Join(table, "."))
}

// Reject records a feature the importer could not take.
func (b *Batch) Reject(r Rejection) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.rejected = append(b.rejected, r)
}

// Rejections is the number of rejections so far; an importer may stop early once it exceeds
// MaxRejects.
func (b *Batch) Rejections() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.rejected)
}

// Warn records something the report should say that is not a rejection.
func (b *Batch) Warn(msg string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.warnings = append(b.warnings, msg)
}

// Track wraps the source reader so the progress bar follows the bytes read (size -1 if unknown).
func (b *Batch) Track(r io.Reader, size int64) io.Reader { return b.prog.track(r, size) }

// Rollback abandons the import. It is a no-op after Commit.
func (b *Batch) Rollback(ctx context.Context) {
	if b.done {
		return
	}
	b.done = true
	b.prog.finish()
	if b.copier != nil {
		b.copier.abort()
	}
	if b.tx != nil {
		_ = b.tx.Rollback(context.WithoutCancel(ctx))
	}
}

// Commit finishes the import. It refuses it (rolls back, returns the report with Refused set and a
// *RefusedError) when there are more rejections than MaxRejects; otherwise it writes the counts,
// bounding box and report into catalog.dataset, announces the change and commits. On a dry run it
// only returns the report.
func (b *Batch) Commit(ctx context.Context) (*Report, error) {
	if b.done {
		return nil, errors.New("loader: Commit after Commit or Rollback")
	}
	rep := b.report()
	if n := len(rep.Rejected); n > b.opts.MaxRejects {
		b.Rollback(ctx)
		rep.Refused = true
		rep.DatasetID = 0
		reason := fmt.Sprintf("%d rejected, at most %d allowed (--max-rejects); first: %s", n, b.opts.MaxRejects, rep.Rejected[0])
		return rep, &RefusedError{Dataset: b.opts.Dataset, Reason: reason}
	}
	if b.opts.DryRun {
		b.done = true
		b.prog.finish()
		h := <-b.hash
		rep.SHA256 = h.sum
		rep.Seconds = b.l.now().Sub(b.start).Seconds()
		return rep, h.err
	}
	if err := b.copier.close(b); err != nil {
		b.Rollback(ctx)
		return nil, err
	}
	h := <-b.hash
	if h.err != nil {
		b.Rollback(ctx)
		return nil, h.err
	}
	rep.SHA256 = h.sum
	layers, err := b.layers(ctx)
	if err != nil {
		b.Rollback(ctx)
		return nil, err
	}
	rep.Layers = layers
	rep.Seconds = b.l.now().Sub(b.start).Seconds()
	if err := b.finish(ctx, rep); err != nil {
		b.Rollback(ctx)
		return nil, err
	}
	if err := b.tx.Commit(ctx); err != nil {
		b.done = true
		return nil, fmt.Errorf("committing the import of %q: %w", b.opts.Dataset, err)
	}
	b.done = true
	b.prog.finish()
	b.l.log.Info("imported", "dataset", rep.Dataset, "id", rep.DatasetID, "features", rep.Features,
		"rejected", len(rep.Rejected), "seconds", math.Round(rep.Seconds*100)/100)
	return rep, nil
}

// maxStoredRejections bounds the report kept in the database; the --report file has all of them.
const maxStoredRejections = 10000

func (b *Batch) finish(ctx context.Context, rep *Report) error {
	stored := *rep
	if len(stored.Rejected) > maxStoredRejections {
		stored.Rejected = stored.Rejected[:maxStoredRejections]
		stored.Warnings = append(slices.Clone(stored.Warnings),
			fmt.Sprintf("%d rejections, the first %d kept here", len(rep.Rejected), maxStoredRejections))
	}
	reportJSON, err := json.Marshal(stored)
	if err != nil {
		return err
	}
	counts, _ := json.Marshal(rep.Counts)
	var box []float64
	if rep.BBox != nil {
		box = rep.BBox[:]
	}
	b.mu.Lock()
	owned := slices.Clone(b.owned)
	b.mu.Unlock()
	_, err = b.tx.Exec(ctx, `
		UPDATE catalog.dataset SET source_hash = $2, source_crs = $3, counts = $4, rejected = $5, report = $6,
		       owned_tables = coalesce($7::text[], '{}'), layers = coalesce($8::text[], '{}'),
		       bbox = CASE WHEN $9::float8[] IS NULL THEN NULL
		                   ELSE ST_SetSRID(ST_MakeEnvelope($9[1], $9[2], $9[3], $9[4]), 4490) END
		WHERE id = $1`,
		b.id, rep.SHA256, b.opts.SourceCRS, counts, len(rep.Rejected), reportJSON, owned, rep.Layers, box)
	if err != nil {
		return fmt.Errorf("recording dataset %q: %w", b.opts.Dataset, err)
	}
	ch := spatial.Change{Layers: union(rep.Layers, b.prev.layers), BBox: unionBox(rep.BBox, b.prev.bbox),
		Dataset: b.id, Reason: "import"}
	if len(ch.Layers) > 0 {
		if err := spatial.NotifyChange(ctx, b.tx, ch); err != nil {
			return err
		}
	}
	return nil
}

// layers are the catalog layers over the tables this import wrote into (and the per-dataset layers it
// registered).
func (b *Batch) layers(ctx context.Context) ([]string, error) {
	var schemas, tables []string
	for _, w := range b.writers {
		if w.rows > 0 && len(w.table) == 2 {
			schemas = append(schemas, w.table[0])
			tables = append(tables, w.table[1])
		}
	}
	rows, err := b.tx.Query(ctx, `
		SELECT id FROM catalog.layer
		WHERE (schema_name, table_name) IN (SELECT * FROM unnest($1::text[], $2::text[])) OR dataset_id = $3
		ORDER BY id`, schemas, tables, b.id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

func (b *Batch) report() *Report {
	b.mu.Lock()
	defer b.mu.Unlock()
	rep := &Report{
		Dataset: b.opts.Dataset, DatasetID: b.id, Kind: b.opts.Kind, Source: b.opts.Source, Format: b.opts.Format,
		SourceCRS: b.opts.SourceCRS, DryRun: b.opts.DryRun, Replaced: b.prev.id, Counts: map[string]int{},
		Rejected: slices.Clone(b.rejected), Warnings: slices.Clone(b.warnings),
	}
	if rep.Rejected == nil {
		rep.Rejected = []Rejection{}
	}
	if rep.Warnings == nil {
		rep.Warnings = []string{}
	}
	for _, w := range b.writers {
		if w.rows > 0 {
			rep.Counts[w.class] += w.rows
			rep.Features += w.rows
		}
	}
	for class, n := range b.counted {
		rep.Counts[class] += n
		rep.Features += n
	}
	if !b.bbox.empty() {
		rep.BBox = &[4]float64{b.bbox.minX, b.bbox.minY, b.bbox.maxX, b.bbox.maxY}
	}
	return rep
}

func union(a, b []string) []string {
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	return slices.Compact(out)
}

func unionBox(a, b *[4]float64) *[4]float64 {
	if a == nil {
		return b
	}
	if b == nil {
		return a
	}
	return &[4]float64{min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])}
}

// hashSource is the sha256 of the source bytes: the files given, else the file, else every regular
// file under the folder in name order (each preceded by its relative path).
func hashSource(source string, files []string) (string, error) {
	if len(files) == 0 && source != "" {
		st, err := os.Stat(source)
		if err != nil {
			return "", fmt.Errorf("source %s: %w", source, err)
		}
		if !st.IsDir() {
			files = []string{source}
		} else {
			err := filepath.WalkDir(source, func(p string, d fs.DirEntry, err error) error {
				if err == nil && d.Type().IsRegular() {
					files = append(files, p)
				}
				return err
			})
			if err != nil {
				return "", err
			}
		}
	}
	sort.Strings(files)
	h := sha256.New()
	for _, p := range files {
		if len(files) > 1 {
			rel, _ := filepath.Rel(source, p)
			fmt.Fprintf(h, "%s\x00", filepath.ToSlash(rel))
		}
		f, err := os.Open(p)
		if err != nil {
			return "", fmt.Errorf("hashing the source: %w", err)
		}
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return "", fmt.Errorf("hashing %s: %w", p, err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func osUser() string {
	for _, k := range []string{"SUDO_USER", "USER", "LOGNAME"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return "unknown"
}
