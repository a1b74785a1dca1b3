package spatial

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
)

// ChangeChannel is the PostgreSQL NOTIFY channel on which data changes travel between replicas.
const ChangeChannel = "yitu_change"

// Change says that features of some layers changed inside a bounding box: an import, a feature edit,
// a live update. Tile caches purge exactly the tiles it touches and viewers reload them.
type Change struct {
	Layers  []string    `json:"layers"`            // catalog layer ids
	BBox    *[4]float64 `json:"bbox,omitempty"`    // lon/lat (EPSG:4490) minx, miny, maxx, maxy; nil = everywhere
	Dataset int64       `json:"dataset,omitempty"` // catalog.dataset id, when an import caused it
	Reason  string      `json:"reason,omitempty"`  // import, edit, delete, live, catalog
}

// Execer runs a statement: a pool, a connection or a transaction.
type Execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// NotifyChange announces a change. Inside a transaction the notification is delivered at commit and
// dropped on rollback, so listeners never see a change that did not happen.
func NotifyChange(ctx context.Context, db Execer, ch Change) error {
	b, err := json.Marshal(ch)
	if err != nil {
		return err
	}
	if len(b) > 7900 { // NOTIFY payloads are limited to 8000 bytes
		return fmt.Errorf("change notification too large (%d bytes, %d layers)", len(b), len(ch.Layers))
	}
	_, err = db.Exec(ctx, "SELECT pg_notify($1, $2)", ChangeChannel, string(b))
	return err
}

// ParseChange decodes a notification payload.
func ParseChange(payload string) (Change, error) {
	var ch Change
	err := json.Unmarshal([]byte(payload), &ch)
	return ch, err
}
