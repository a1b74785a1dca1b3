package tiles

import (
	"context"
	"sync"
)

// flight runs one computation per key however many callers ask at once. Unlike x/sync/singleflight,
// the computation is cancelled only when every caller waiting for it has gone, so a client that hangs
// up neither cancels the others' tile nor keeps a query running that nobody wants.
type flight struct {
	mu    sync.Mutex
	calls map[key]*call
}

type call struct {
	done    chan struct{}
	val     *entry
	err     error
	waiters int
	cancel  context.CancelFunc
}

// do returns fn's result for k, sharing one run between concurrent callers. shared reports whether
// this caller joined a run another started.
func (f *flight) do(ctx context.Context, k key, fn func(context.Context) (*entry, error)) (e *entry, shared bool, err error) {
	f.mu.Lock()
	if f.calls == nil {
		f.calls = map[key]*call{}
	}
	c, ok := f.calls[k]
	if ok {
		c.waiters++
	} else {
		cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		c = &call{done: make(chan struct{}), waiters: 1, cancel: cancel}
		f.calls[k] = c
		go func() {
			c.val, c.err = fn(cctx)
			f.mu.Lock()
			if f.calls[k] == c {
				delete(f.calls, k)
			}
			f.mu.Unlock()
			cancel()
			close(c.done)
		}()
	}
	f.mu.Unlock()
	select {
	case <-c.done:
		return c.val, ok, c.err
	case <-ctx.Done():
		f.mu.Lock()
		c.waiters--
		if c.waiters == 0 { // nobody wants it any more: stop it, and let the next caller start afresh
			c.cancel()
			if f.calls[k] == c {
				delete(f.calls, k)
			}
		}
		f.mu.Unlock()
		return nil, ok, ctx.Err()
	}
}
