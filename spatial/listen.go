package spatial

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Listener follows a PostgreSQL notification channel (LISTEN/NOTIFY): the catalog's reloads and the
// caches' purges on every replica hang on it.
type Listener struct {
	Channel string
	// Coalesce gathers the notifications that arrive within this long of the first into one Notify
	// call (0: each on its own).
	Coalesce time.Duration
	// Connected runs each time LISTEN has taken effect, the first time and after a lost connection
	// is re-established: notifications sent meanwhile are lost, so it catches up on what they said.
	// Its context ends with the connection. An error drops the connection and retries.
	Connected func(ctx context.Context) error
	// Notify receives the payloads, in order.
	Notify func(ctx context.Context, payloads []string)
}

// Run holds a connection listening on the channel until ctx ends, re-establishing it a second after
// it is lost.
func (l Listener) Run(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) {
	for ctx.Err() == nil {
		err := l.listen(ctx, pool)
		if ctx.Err() != nil {
			return
		}
		log.Warn("listening for notifications stopped; retrying", "channel", l.Channel, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

func (l Listener) listen(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "LISTEN "+l.Channel); err != nil {
		return err
	}
	defer conn.Exec(context.WithoutCancel(ctx), "UNLISTEN "+l.Channel)
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if l.Connected != nil {
		if err := l.Connected(cctx); err != nil {
			return err
		}
	}
	for {
		n, err := conn.Conn().WaitForNotification(ctx)
		if err != nil {
			return err
		}
		payloads := []string{n.Payload}
		for l.Coalesce > 0 {
			wctx, stop := context.WithTimeout(ctx, l.Coalesce)
			n, err := conn.Conn().WaitForNotification(wctx)
			stop()
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if !errors.Is(err, context.DeadlineExceeded) {
					return err
				}
				break
			}
			payloads = append(payloads, n.Payload)
		}
		l.Notify(cctx, payloads)
	}
}
