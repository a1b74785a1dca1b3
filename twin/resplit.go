package twin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Split models follow the base map: a split glb carries the buildings' rows and their footprints'
// assignment, so when basemap.building changes under a split model (an import, an edit through the
// features API) the model is split again with the options it was last split with. `yitu import`
// does it after the import commits (Resplit); a server does it for the edits it makes, gathered over
// a short delay (Resplitter), so that one server, not every replica, does the work.

// BuildingLayer is the catalog layer split models are divided by.
const BuildingLayer = "basemap.building"

// ResplitDelay is how long a server gathers edits of buildings before splitting the models under
// them again.
const ResplitDelay = 2 * time.Second

// Resplit splits again every split model whose footprint meets bbox (lon/lat; nil: every split
// model), each with the options recorded at its last split. A model it cannot split is reported
// in the error, after the others are done.
func Resplit(ctx context.Context, pool *pgxpool.Pool, bbox *[4]float64) ([]*SplitReport, error) {
	q := `SELECT name, asset->'split' FROM twin.model WHERE asset ? 'split'`
	var args []any
	if bbox != nil {
		// The footprints split reads reach past the model by the margin (at most 1 km).
		q += ` AND footprint && ST_Expand(ST_MakeEnvelope($1, $2, $3, $4, 4490), 0.01)`
		args = []any{bbox[0], bbox[1], bbox[2], bbox[3]}
	}
	rows, err := pool.Query(ctx, q+` ORDER BY name`, args...)
	if err != nil {
		return nil, fmt.Errorf("finding the split models: %w", err)
	}
	type model struct {
		name string
		o    SplitOptions
	}
	var ms []model
	for rows.Next() {
		var m model
		var rec []byte
		if err := rows.Scan(&m.name, &rec); err != nil {
			rows.Close()
			return nil, err
		}
		m.o = DefaultSplitOptions()
		_ = json.Unmarshal(rec, &struct {
			Clearance *float64 `json:"clearance"`
			Margin    *float64 `json:"margin"`
			Tolerance *float64 `json:"tolerance"`
		}{&m.o.Clearance, &m.o.Margin, &m.o.Tolerance})
		ms = append(ms, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("finding the split models: %w", err)
	}
	var reps []*SplitReport
	var errs []error
	for _, m := range ms {
		rep, err := Split(ctx, pool, m.name, m.o)
		if err != nil {
			errs = append(errs, fmt.Errorf("splitting model %s again after the base map changed: %w", m.name, err))
			continue
		}
		reps = append(reps, rep)
	}
	return reps, errors.Join(errs...)
}

// Resplitter splits models again in the background after this server's edits of the base map's
// buildings: the changes of Delay are gathered into one Resplit over their union.
type Resplitter struct {
	pool  *pgxpool.Pool
	delay time.Duration
	log   *slog.Logger
	kick  chan struct{}

	mu      sync.Mutex
	pending bool
	all     bool // some change had no bbox
	box     [4]float64
	done    func([]*SplitReport, error)
}

// NewResplitter returns a resplitter; Run does the work.
func NewResplitter(pool *pgxpool.Pool, delay time.Duration, log *slog.Logger) *Resplitter {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Resplitter{pool: pool, delay: delay, log: log, kick: make(chan struct{}, 1)}
}

// OnDone calls f after each background Resplit (for tests and metrics).
func (r *Resplitter) OnDone(f func([]*SplitReport, error)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done = f
}

// Changed notes that buildings changed within bbox (nil: anywhere).
func (r *Resplitter) Changed(bbox *[4]float64) {
	r.mu.Lock()
	switch {
	case bbox == nil:
		r.all = true
	case !r.pending:
		r.box = *bbox
	default:
		r.box = [4]float64{min(r.box[0], bbox[0]), min(r.box[1], bbox[1]), max(r.box[2], bbox[2]), max(r.box[3], bbox[3])}
	}
	r.pending = true
	r.mu.Unlock()
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Run re-splits until ctx ends: Delay after the last of a burst of changes. Changes still waiting
// when ctx ends are not applied (the next change, or `yitu twin split`, applies them).
func (r *Resplitter) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.kick:
		}
		t := time.NewTimer(r.delay)
	quiet:
		for {
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-r.kick:
				t.Reset(r.delay)
			case <-t.C:
				break quiet
			}
		}
		r.mu.Lock()
		var bbox *[4]float64
		if !r.all {
			b := r.box
			bbox = &b
		}
		r.pending, r.all = false, false
		done := r.done
		r.mu.Unlock()
		reps, err := Resplit(ctx, r.pool, bbox)
		for _, rep := range reps {
			r.log.Info("model split again after a base-map edit", "model", rep.Model, "buildings", rep.Buildings, "triangles", rep.Triangles, "took", rep.Took)
		}
		if err != nil && ctx.Err() == nil {
			r.log.Error("splitting models again after a base-map edit", "err", err)
		}
		if done != nil {
			done(reps, err)
		}
	}
}
