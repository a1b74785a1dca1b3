// Package loader is the one way survey data enters PostGIS. Every importer (DXF, Shapefile, GeoPackage,
// GeoJSON, CJJ 61 tables, EPANET, CityGML, oblique models…) parses its source and hands rows to a
// Batch; the loader does the rest:
//
//   - one transaction per import: all or nothing;
//   - rows streamed into their tables by binary COPY (pgx CopyFrom) from a background goroutine, so
//     parsing and writing overlap; a COPY stays open while consecutive rows go to the same table;
//   - a table partitioned by dataset (the basemap and pipeline tables) gets a partition of the import's
//     own, filled without indexes, indexed in bulk and attached at commit (partition.go);
//   - a catalog.dataset row with the source, its sha256, the source CRS, counts per feature class,
//     the bounding box, who imported it and the report;
//   - a re-import under the same dataset name replaces exactly what the previous one wrote (rows carry
//     dataset_id with ON DELETE CASCADE; its partitions and the tables it created are dropped); readers
//     see the previous version until the new one commits, and are not blocked meanwhile, except from
//     the tables the previous version created itself (dropped at Begin);
//   - one import at a time: Begin waits while another runs;
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
	"maps"
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

	"github.com/yitu-gis/yitu/spatial/crs"

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
	// Transformations states every coordinate operation that took the source CRS to EPSG:4490 other
	// than Yitu's own registry (PROJ's operation name and its stated accuracy).
	Transformations []string `json:"transformations,omitempty"`
	Skipped         []string `json:"skipped_files,omitempty"` // files of the folder not imported, and why
	Features        int      `json:"features"`
	// Details are a format's own description of the data (a DEM's size, CRS, height range, vertical
	// datum rule: details.dem).
	Details map[string]any `json:"details,omitempty"`
	Seconds float64        `json:"seconds"`
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
	group   *Group // nil: the batch is its own transaction
	opts    Options
	ctx     context.Context
	start   time.Time
	tx      pgx.Tx
	id      int64
	prev    previous
	done    bool
	copier  *copier
	writers []*TableWriter
	dests   map[string]pgx.Identifier // table → where its rows are COPYed (the copier goroutine's, until Commit)
	parts   []partition               // the import's own partitions, to attach at Commit
	bbox    bounds
	hash    chan hashResult
	prog    *progress

	mu              sync.Mutex // Reject and Warn may be called from several goroutines
	rejected        []Rejection
	warnings        []string
	transformations []string
	owned           []string
	counted         map[string]int // rows written through Tx (Count)
	details         map[string]any // Detail
}

// previous is the dataset an import replaces (or Delete deletes).
type previous struct {
	id     int64
	name   string
	owned  []string // tables its import created
	bbox   *[4]float64
	layers []string
}

type hashResult struct {
	sum string
	err error
}

// CheckCRS tells whether a CRS PROJ converts exists (an EPSG code must be in spatial_ref_sys), so
// that a wrong --srs is the first thing an import says; registry CRSs need no database.
func (l *Loader) CheckCRS(ctx context.Context, c crs.CRS) error {
	p, ok := c.(*crs.Proj)
	if !ok || l.pool == nil {
		return nil
	}
	_, err := p.Geographic(ctx, l.pool)
	return err
}

// Begin starts an import: it opens the transaction (waiting while another import runs), removes what
// the previous dataset of that name wrote outside the tables partitioned by dataset, and inserts the
// catalog.dataset row. The previous version's partitions and dataset row go at Commit, so readers see
// it, whole, until the new version replaces it. On a dry run it touches no database.
func (l *Loader) Begin(ctx context.Context, o Options) (*Batch, error) {
	return l.begin(ctx, o, nil)
}

func (l *Loader) begin(ctx context.Context, o Options, g *Group) (*Batch, error) {
	if strings.TrimSpace(o.Dataset) == "" {
		return nil, spatial.Invalid("dataset", "a dataset name is required")
	}
	if o.MaxRejects < 0 {
		return nil, spatial.Invalid("max-rejects", "must be 0 or more, not %d", o.MaxRejects)
	}
	if o.Actor == "" {
		o.Actor = osUser()
	}
	b := &Batch{l: l, opts: o, ctx: ctx, start: l.now(), bbox: emptyBounds(), dests: map[string]pgx.Identifier{}}
	if g != nil && !o.DryRun {
		b.group = g
	}
	b.prog = newProgress(o.Progress, o.Dataset)
	b.hash = make(chan hashResult, 1)
	go func() {
		sum, err := hashSource(o.Source, o.Files)
		b.hash <- hashResult{sum, err}
	}()
	if o.DryRun {
		return b, nil
	}
	var tx pgx.Tx
	var err error
	if g != nil {
		tx, err = g.tx.Begin(ctx) // a savepoint of the group's transaction
	} else {
		tx, err = l.pool.Begin(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("starting the import transaction: %w", err)
	}
	b.tx = tx
	if err := b.begin(ctx); err != nil {
		_ = tx.Rollback(context.WithoutCancel(ctx))
		return nil, err
	}
	b.copier = newCopier(ctx, tx, b.destination)
	return b, nil
}

func (b *Batch) begin(ctx context.Context) error {
	// An import may take minutes: the pool's statement timeout guards requests, not this.
	if _, err := b.tx.Exec(ctx, "SET LOCAL statement_timeout = 0"); err != nil {
		return err
	}
	if err := b.l.serialize(ctx, b.tx, b.opts.Dataset); err != nil {
		return err
	}
	prev, err := lookupDataset(ctx, b.tx, b.opts.Dataset, "FOR NO KEY UPDATE")
	if err != nil {
		return err
	}
	b.prev = prev
	if err := clearPrevious(ctx, b.tx, prev); err != nil {
		return err
	}
	// The row carries a provisional name while the previous version keeps the real one: Commit renames
	// it after deleting the previous row (catalog.dataset.name stays a plain unique key, which OGC API
	// edits upsert on).
	err = b.tx.QueryRow(ctx, `
		INSERT INTO catalog.dataset (name, kind, format, source, source_hash, source_crs, imported_by)
		VALUES (format('%s · importing (transaction %s)', $1::text, pg_current_xact_id()), $2, $3, $4, '', $5, $6)
		RETURNING id`,
		b.opts.Dataset, b.opts.Kind, b.opts.Format, b.opts.Source, b.opts.SourceCRS, b.opts.Actor).Scan(&b.id)
	if err != nil {
		return fmt.Errorf("registering dataset %q: %w", b.opts.Dataset, err)
	}
	return nil
}

// Group is several imports that stand or fall together (the files of a folder): each is a Batch of its
// own dataset, in a savepoint of the group's one transaction, and nothing any of them wrote is visible
// until Group.Commit. A Batch's Commit only releases its savepoint; attaching its partitions and
// recording its dataset, which lock the parent tables, wait for Group.Commit, so readers are held up
// once, at the end, as by a single import.
type Group struct {
	l       *Loader
	tx      pgx.Tx // nil on a dry run
	dryRun  bool
	done    bool
	pending []pending // committed batches, completed at the group's commit
}

type pending struct {
	b   *Batch
	rep *Report
}

// BeginGroup opens the group's transaction (none on a dry run).
func (l *Loader) BeginGroup(ctx context.Context, dryRun bool) (*Group, error) {
	g := &Group{l: l, dryRun: dryRun}
	if dryRun {
		return g, nil
	}
	tx, err := l.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("starting the import transaction: %w", err)
	}
	g.tx = tx
	return g, nil
}

// Begin starts one import of the group (see Loader.Begin); o.DryRun follows the group.
func (g *Group) Begin(ctx context.Context, o Options) (*Batch, error) {
	if g.done {
		return nil, errors.New("loader: Begin after the group's Commit or Rollback")
	}
	o.DryRun = g.dryRun
	return g.l.begin(ctx, o, g)
}

// Commit commits every import of the group whose Batch was committed.
func (g *Group) Commit(ctx context.Context) error {
	if g.done {
		return errors.New("loader: Commit after the group's Commit or Rollback")
	}
	if g.tx == nil {
		g.done = true
		return nil
	}
	for _, p := range g.pending {
		if err := p.b.complete(ctx, p.rep); err != nil {
			g.Rollback(ctx)
			return fmt.Errorf("importing %q: %w", p.rep.Dataset, err)
		}
	}
	g.done = true
	if err := g.tx.Commit(ctx); err != nil {
		return fmt.Errorf("committing the imports: %w", err)
	}
	for _, p := range g.pending {
		p.b.logImported(p.rep)
	}
	return nil
}

// Rollback abandons every import of the group. It is a no-op after Commit.
func (g *Group) Rollback(ctx context.Context) {
	if g.done {
		return
	}
	g.done = true
	if g.tx != nil {
		_ = g.tx.Rollback(context.WithoutCancel(ctx))
	}
}

// importLockKey is the transaction-level advisory lock that serializes imports and deletions of
// datasets. An import holds ROW EXCLUSIVE on catalog.dataset from Begin (its row) to the end, and its
// final step adds foreign keys to catalog.dataset, which needs SHARE ROW EXCLUSIVE: two imports in
// flight at once would each wait for the other at commit.
const importLockKey int64 = 0x7969_7475_6c6f_6164 // "yituload"

// serialize waits for the import lock, saying so when another import holds it.
func (l *Loader) serialize(ctx context.Context, tx pgx.Tx, dataset string) error {
	var got bool
	if err := tx.QueryRow(ctx, "SELECT pg_try_advisory_xact_lock($1)", importLockKey).Scan(&got); err != nil {
		return fmt.Errorf("taking the import lock: %w", err)
	}
	if got {
		return nil
	}
	l.log.Info("another import or dataset deletion is running; waiting for it to finish", "dataset", dataset)
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", importLockKey); err != nil {
		return fmt.Errorf("waiting for the import lock: %w", err)
	}
	return nil
}

// Delete removes a dataset and everything its import wrote, in one transaction, and announces the
// change. It returns spatial.ErrNotFound when there is no dataset of that name.
func (l *Loader) Delete(ctx context.Context, name string) error {
	return pgx.BeginFunc(ctx, l.pool, func(tx pgx.Tx) error {
		if err := l.serialize(ctx, tx, name); err != nil {
			return err
		}
		prev, err := lookupDataset(ctx, tx, name, "FOR UPDATE")
		if err != nil {
			return err
		}
		if prev.id == 0 {
			return spatial.NotFound("dataset %q", name)
		}
		if err := dropOwned(ctx, tx, prev); err != nil {
			return err
		}
		parts, err := previousPartitions(ctx, tx, prev.id)
		if err != nil {
			return err
		}
		parents := make([]pgx.Identifier, len(parts))
		for i, p := range parts {
			parents[i] = p.parent
		}
		if err := lockExclusive(ctx, tx, parents, l.log); err != nil {
			return err
		}
		if err := dropPartitions(ctx, tx, parts); err != nil {
			return err
		}
		if err := deleteDatasetRow(ctx, tx, prev); err != nil {
			return err
		}
		return spatial.NotifyChange(ctx, tx, spatial.Change{Layers: prev.layers, BBox: prev.bbox, Dataset: prev.id, Reason: "delete"})
	})
}

// lookupDataset finds the dataset of that name and locks its row (lock: FOR UPDATE, FOR NO KEY
// UPDATE). It returns a zero previous when there is none.
func lookupDataset(ctx context.Context, tx pgx.Tx, name, lock string) (previous, error) {
	var p previous
	var box []float64
	err := tx.QueryRow(ctx, `
		SELECT id, owned_tables, layers,
		       CASE WHEN bbox IS NULL THEN NULL ELSE ARRAY[ST_XMin(bbox), ST_YMin(bbox), ST_XMax(bbox), ST_YMax(bbox)] END
		FROM catalog.dataset WHERE name = $1 `+lock, name).Scan(&p.id, &p.owned, &p.layers, &box)
	if errors.Is(err, pgx.ErrNoRows) {
		return previous{}, nil
	}
	if err != nil {
		return p, fmt.Errorf("looking up the previous import of %q: %w", name, err)
	}
	p.name = name
	if len(box) == 4 {
		p.bbox = &[4]float64{box[0], box[1], box[2], box[3]}
	}
	return p, nil
}

// clearPrevious removes, at the start of a re-import, what the previous version wrote outside the
// tables partitioned by dataset: the tables it created, and its rows in every other table that
// references catalog.dataset (per-dataset layers, 3D models, CIM objects), so that the new version can
// take the same table, layer and model names. Deleted rows stay visible to other transactions until
// commit; the dropped tables are locked until then.
func clearPrevious(ctx context.Context, tx pgx.Tx, p previous) error {
	if p.id == 0 {
		return nil
	}
	if err := dropOwned(ctx, tx, p); err != nil {
		return err
	}
	rows, err := tx.Query(ctx, `
		SELECT n.nspname, r.relname, a.attname
		FROM pg_constraint c
		JOIN pg_class r ON r.oid = c.conrelid JOIN pg_namespace n ON n.oid = r.relnamespace
		JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
		WHERE c.contype = 'f' AND c.confrelid = 'catalog.dataset'::regclass AND cardinality(c.conkey) = 1
		  AND r.relkind = 'r' AND NOT r.relispartition
		ORDER BY 1, 2, 3`)
	if err != nil {
		return err
	}
	refs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([3]string, error) {
		var ref [3]string
		err := r.Scan(&ref[0], &ref[1], &ref[2])
		return ref, err
	})
	if err != nil {
		return fmt.Errorf("listing the tables that reference catalog.dataset: %w", err)
	}
	for _, ref := range refs {
		sql := fmt.Sprintf("DELETE FROM %s WHERE %s = $1", pgx.Identifier{ref[0], ref[1]}.Sanitize(), pgx.Identifier{ref[2]}.Sanitize())
		if _, err := tx.Exec(ctx, sql, p.id); err != nil {
			return fmt.Errorf("removing the previous import of %q from %s.%s: %w", p.name, ref[0], ref[1], err)
		}
	}
	return nil
}

// dropOwned drops the tables a dataset's import created.
func dropOwned(ctx context.Context, tx pgx.Tx, p previous) error {
	for _, t := range p.owned {
		schema, table, _ := strings.Cut(t, ".")
		if _, err := tx.Exec(ctx, "DROP TABLE IF EXISTS "+pgx.Identifier{schema, table}.Sanitize()); err != nil {
			return fmt.Errorf("dropping table %s of the previous import of %q: %w", t, p.name, err)
		}
	}
	return nil
}

// deleteDatasetRow deletes a dataset's catalog.dataset row; its rows left in other tables (the
// DEFAULT partitions, tables that reference it) go by ON DELETE CASCADE.
func deleteDatasetRow(ctx context.Context, tx pgx.Tx, p previous) error {
	if _, err := tx.Exec(ctx, "DELETE FROM catalog.dataset WHERE id = $1", p.id); err != nil {
		return fmt.Errorf("deleting the previous import of %q: %w", p.name, err)
	}
	return nil
}

// DatasetID is the catalog.dataset id of this import (0 on a dry run).
func (b *Batch) DatasetID() int64 { return b.id }

// Options returns the options the batch was begun with (SourceCRS as last set).
func (b *Batch) Options() Options { return b.opts }

// Tx is the import transaction, for statements besides the COPY streams (creating a reference table,
// registering a catalog layer). It waits until every row added so far is written. Nil on a dry run
// and after Commit or Rollback. Rows for a table partitioned by dataset go through Table only: until
// Commit they are in the import's own partition, which the parent does not show yet, and a row of the
// import's dataset written into the parent would land in its DEFAULT partition and fail the commit.
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

// SetKind records what the data turned out to be, when the importer decides it from the content (a
// vector layer without --as whose polygons are buildings is base map, not reference).
func (b *Batch) SetKind(kind string) { b.opts.Kind = kind }

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

// BindCRS binds the source CRS c to data within extent (c's units) for conversion: the one CRS
// path of every importer (see crs.Proj for the datum rule). A CRS PROJ converts is sampled in the
// import's transaction and the transformation it used goes into the report; on a dry run, which has
// no transaction, such a CRS is an error.
func (b *Batch) BindCRS(ctx context.Context, c crs.CRS, extent [4]float64) (crs.CRS, error) {
	var q crs.Querier
	if tx := b.Tx(); tx != nil {
		q = tx
	}
	bound, err := crs.Bind(ctx, q, c, extent)
	if err != nil {
		return nil, err
	}
	if t, ok := bound.(*crs.Bound); ok {
		b.Transformation(t.Transformation)
	}
	return bound, nil
}

// Transformation records a coordinate operation the import applied, for the report (once each).
func (b *Batch) Transformation(desc string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !slices.Contains(b.transformations, desc) {
		b.transformations = append(b.transformations, desc)
	}
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
	if g := b.group; g != nil {
		// In a group, attaching the partitions, replacing the previous version and recording the
		// dataset wait for the group's commit: they lock the parent tables, which readers would then
		// wait for until the last file of the group is in.
		if err := b.tx.Commit(ctx); err != nil { // releases the savepoint
			b.Rollback(ctx)
			return nil, fmt.Errorf("importing %q: %w", b.opts.Dataset, err)
		}
		b.done = true
		b.prog.finish()
		b.tx = g.tx
		g.pending = append(g.pending, pending{b, rep})
		return rep, nil
	}
	if err := b.complete(ctx, rep); err != nil {
		b.Rollback(ctx)
		return nil, err
	}
	if err := b.tx.Commit(ctx); err != nil {
		b.done = true
		return nil, fmt.Errorf("committing the import of %q: %w", b.opts.Dataset, err)
	}
	b.done = true
	b.prog.finish()
	b.logImported(rep)
	return rep, nil
}

// complete attaches the import's partitions, replaces the previous version and records the dataset,
// filling in the report's layers and time.
func (b *Batch) complete(ctx context.Context, rep *Report) error {
	layers, err := b.layers(ctx)
	if err != nil {
		return err
	}
	rep.Layers = layers
	if err := b.replace(ctx); err != nil {
		return err
	}
	rep.Seconds = b.l.now().Sub(b.start).Seconds()
	return b.finish(ctx, rep)
}

func (b *Batch) logImported(rep *Report) {
	b.l.log.Info("imported", "dataset", rep.Dataset, "id", rep.DatasetID, "features", rep.Features,
		"rejected", len(rep.Rejected), "seconds", math.Round(rep.Seconds*100)/100)
}

// replace attaches the import's partitions and removes the previous version of the dataset: its
// partitions and its catalog.dataset row (what it wrote elsewhere went at Begin).
func (b *Batch) replace(ctx context.Context) error {
	fks, err := b.index(ctx)
	if err != nil {
		return err
	}
	var drop []partition
	if b.prev.id != 0 {
		// Wait now, not under the final locks, for anyone whose foreign-key check holds the previous row.
		if _, err := b.tx.Exec(ctx, "SELECT FROM catalog.dataset WHERE id = $1 FOR UPDATE", b.prev.id); err != nil {
			return err
		}
		if drop, err = previousPartitions(ctx, b.tx, b.prev.id); err != nil {
			return err
		}
	}
	if err := b.attach(ctx, fks, drop); err != nil {
		return err
	}
	if b.prev.id == 0 {
		return nil
	}
	return deleteDatasetRow(ctx, b.tx, b.prev)
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
		UPDATE catalog.dataset SET name = $10, kind = $11, source_hash = $2, source_crs = $3, counts = $4, rejected = $5, report = $6,
		       owned_tables = coalesce($7::text[], '{}'), layers = coalesce($8::text[], '{}'),
		       bbox = CASE WHEN $9::float8[] IS NULL THEN NULL
		                   ELSE ST_SetSRID(ST_MakeEnvelope($9[1], $9[2], $9[3], $9[4]), 4490) END
		WHERE id = $1`,
		b.id, rep.SHA256, b.opts.SourceCRS, counts, len(rep.Rejected), reportJSON, owned, rep.Layers, box, b.opts.Dataset, b.opts.Kind)
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
		Rejected: slices.Clone(b.rejected), Warnings: slices.Clone(b.warnings), Transformations: slices.Clone(b.transformations),
	}
	if len(b.details) > 0 {
		rep.Details = maps.Clone(b.details)
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
