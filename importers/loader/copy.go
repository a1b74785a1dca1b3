package loader

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
)

// chunkRows is how many rows a TableWriter gathers before handing them to the COPY goroutine.
const chunkRows = 2048

// TableWriter streams rows into one table. It is not safe for concurrent use; one batch's writers are
// used from one goroutine.
type TableWriter struct {
	b       *Batch
	class   string
	table   pgx.Identifier
	cols    []string // as written by COPY: dataset_id, the caller's columns
	ncols   int      // len(cols)
	geomIdx int      // index of "geom" among the caller's columns, -1 if none
	cur     *chunk
	rows    int
}

// Table returns the writer for a feature class in a table. columns are the columns Add fills, in order;
// dataset_id is filled in. Asking again for the same class and table returns the same writer.
func (b *Batch) Table(class string, table pgx.Identifier, columns []string) *TableWriter {
	for _, w := range b.writers {
		if w.class == class && slices.Equal(w.table, table) {
			return w
		}
	}
	w := &TableWriter{b: b, class: class, table: table, geomIdx: slices.Index(columns, "geom")}
	w.cols = append([]string{"dataset_id"}, columns...)
	w.ncols = len(w.cols)
	b.writers = append(b.writers, w)
	return w
}

// Rows is the number of rows added so far.
func (w *TableWriter) Rows() int { return w.rows }

// Add adds one row: values for the columns given to Table, in order. The geometry ("geom") is EWKB
// with SRID 4490; a malformed geometry or one outside lon/lat is a *GeometryError, which importers
// usually turn into a Rejection. Other values follow pgx's encoding (string, int, float64, bool,
// []byte for jsonb or bytea, nil for NULL, ...). Errors from writing earlier rows surface here too.
func (w *TableWriter) Add(values ...any) error {
	if len(values) != w.ncols-1 {
		return fmt.Errorf("loader: %s: %d values for %d columns (%s)", w.table.Sanitize(), len(values), w.ncols-1,
			strings.Join(w.cols[1:], ", "))
	}
	b := w.b
	if w.geomIdx >= 0 {
		switch g := values[w.geomIdx].(type) {
		case []byte:
			box, err := ewkbBounds(g)
			if err != nil {
				return &GeometryError{Class: w.class, Err: err}
			}
			b.bbox.extend(box)
		case nil:
		default:
			return fmt.Errorf("loader: %s: geom must be EWKB []byte, not %T", w.table.Sanitize(), g)
		}
	}
	w.rows++
	b.prog.row()
	if b.copier == nil { // dry run
		return nil
	}
	if err := b.copier.failed(); err != nil {
		return err
	}
	if w.cur == nil {
		w.cur = &chunk{w: w, vals: make([]any, 0, chunkRows*w.ncols)}
	}
	w.cur.vals = append(w.cur.vals, b.id)
	w.cur.vals = append(w.cur.vals, values...)
	w.cur.n++
	if w.cur.n == chunkRows {
		w.send()
	}
	return nil
}

func (w *TableWriter) send() {
	if w.cur != nil && w.cur.n > 0 {
		w.b.copier.ch <- w.cur
	}
	w.cur = nil
}

// GeometryError is a geometry the loader cannot take.
type GeometryError struct {
	Class string
	Err   error
}

func (e *GeometryError) Error() string { return fmt.Sprintf("%s geometry: %v", e.Class, e.Err) }
func (e *GeometryError) Unwrap() error { return e.Err }

// chunk is rows for one table, flattened; a chunk with ack set is a flush marker.
type chunk struct {
	w    *TableWriter
	vals []any
	n    int
	ack  chan struct{}
}

// copier runs the COPY statements of one batch on its transaction, one at a time, in a goroutine.
// Consecutive chunks for the same table share one COPY.
type copier struct {
	ctx    context.Context
	tx     pgx.Tx
	ch     chan *chunk
	done   chan struct{}
	err    atomic.Pointer[error]
	once   sync.Once
	closed atomic.Bool // no more chunks: Commit or Rollback has begun
}

func newCopier(ctx context.Context, tx pgx.Tx) *copier {
	c := &copier{ctx: ctx, tx: tx, ch: make(chan *chunk, 8), done: make(chan struct{})}
	go c.run()
	return c
}

func (c *copier) failed() error {
	if p := c.err.Load(); p != nil {
		return *p
	}
	return nil
}

func (c *copier) run() {
	defer close(c.done)
	var pending *chunk
	for {
		next := pending
		pending = nil
		if next == nil {
			var ok bool
			if next, ok = <-c.ch; !ok {
				return
			}
		}
		if next.ack != nil {
			close(next.ack)
			continue
		}
		src := &chunkSource{cur: next, i: -1, ch: c.ch}
		_, err := c.tx.CopyFrom(c.ctx, next.w.table, next.w.cols, src)
		if err != nil {
			err = fmt.Errorf("writing %s (%s): %w", next.w.table.Sanitize(), next.w.class, err)
			c.err.Store(&err)
			for ch := range c.ch { // keep producers unblocked until the batch closes
				if ch.ack != nil {
					close(ch.ack)
				}
			}
			if src.next != nil && src.next.ack != nil {
				close(src.next.ack)
			}
			return
		}
		if src.closed {
			return
		}
		pending = src.next
	}
}

// flush waits until every chunk sent so far is written and no COPY is open, so the transaction can run
// other statements.
func (b *Batch) flushWriters() {
	for _, w := range b.writers {
		w.send()
	}
}

func (c *copier) flush(b *Batch) error {
	if c.closed.Load() {
		return c.failed()
	}
	b.flushWriters()
	ack := make(chan struct{})
	select {
	case c.ch <- &chunk{ack: ack}:
	case <-c.done:
		return c.failed()
	}
	select {
	case <-ack:
	case <-c.done:
	}
	return c.failed()
}

// close writes what is left and ends the goroutine; it returns the first write error.
func (c *copier) close(b *Batch) error {
	c.once.Do(func() {
		if c.failed() == nil {
			b.flushWriters()
		}
		c.closed.Store(true)
		close(c.ch)
	})
	<-c.done
	return c.failed()
}

// abort ends the goroutine without writing what the writers still hold.
func (c *copier) abort() {
	c.once.Do(func() {
		c.closed.Store(true)
		close(c.ch)
	})
	<-c.done
}

// chunkSource feeds one COPY: the rows of its chunk, then of the following chunks for the same
// table. A chunk for another table (or a flush marker) ends this COPY and is left in next.
type chunkSource struct {
	cur    *chunk
	i      int
	ch     <-chan *chunk
	next   *chunk
	closed bool
}

func (s *chunkSource) Next() bool {
	s.i++
	if s.i < s.cur.n {
		return true
	}
	c, ok := <-s.ch
	if !ok {
		s.closed = true
		return false
	}
	if c.ack != nil || c.w != s.cur.w {
		s.next = c
		return false
	}
	s.cur, s.i = c, 0
	return true
}

func (s *chunkSource) Values() ([]any, error) {
	n := s.cur.w.ncols
	return s.cur.vals[s.i*n : (s.i+1)*n], nil
}

func (s *chunkSource) Err() error { return nil }
