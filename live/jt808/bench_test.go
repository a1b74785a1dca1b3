package jt808

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/yitu-gis/yitu/live"
)

// BenchmarkDecode0200 decodes SmallChi's frame B (escapes, two items): split off the stream,
// unescape, check code, header and location.
func BenchmarkDecode0200(b *testing.B) {
	raw := readSmallChi(b)[1].raw
	var d Decoder
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		f, err := d.DecodeContent(raw[1 : len(raw)-1])
		if err != nil {
			b.Fatal(err)
		}
		l, err := f.Location()
		if err != nil || l.Mileage != 100 {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
}

// countingIngester knows every terminal and counts what it accepts.
type countingIngester struct {
	devices   map[string]live.Device
	positions atomic.Int64
}

func (c *countingIngester) Accept(_ context.Context, ch []live.Change) error {
	for i := range ch {
		if ch[i].Type == live.ChangePosition {
			c.positions.Add(1)
		}
	}
	return nil
}

func (c *countingIngester) Device(id string) (live.Device, bool) {
	d, ok := c.devices[id]
	return d, ok
}

// benchTerm is a terminal of the benchmark: it logs in, then sends location frames pipelined,
// window frames in flight.
type benchTerm struct {
	nc     net.Conn
	fr     *FrameReader
	dec    Decoder
	frames []byte // window location frames, back to back
	ends   []int  // where each ends (escapes make their lengths differ)
}

func (bt *benchTerm) exchange(m Message, h Header) error {
	b, err := AppendFrame(nil, h, m)
	if err != nil {
		return err
	}
	if _, err := bt.nc.Write(b); err != nil {
		return err
	}
	content, err := bt.fr.Next()
	if err != nil {
		return err
	}
	f, err := bt.dec.DecodeContent(content)
	if err != nil {
		return err
	}
	switch f.MsgID {
	case MsgRegisterReply:
		if r, _ := f.RegisterReply(); r.Result != RegisterOK {
			return fmt.Errorf("register result %d", r.Result)
		}
	case MsgPlatformReply:
		if r, _ := f.PlatformReply(); r.Result != ResultOK {
			return fmt.Errorf("reply to %04x: result %d", r.ReplyID, r.Result)
		}
	}
	return nil
}

// run sends n location frames, at most window of them unanswered, and reads their replies.
func (bt *benchTerm) run(n, window int) error {
	sent := min(window, n)
	if _, err := bt.nc.Write(bt.frames[:bt.ends[sent-1]]); err != nil {
		return err
	}
	pending := 0
	bt.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	for got := 0; got < n; {
		content, err := bt.fr.Next()
		if err != nil {
			return fmt.Errorf("got %d sent %d pending %d buffered %d: %w", got, sent, pending, bt.fr.Buffered(), err)
		}
		got++
		// reply: 7 body bytes, the result last
		f, err := bt.dec.DecodeContent(content)
		if err != nil {
			return err
		}
		if f.MsgID != MsgPlatformReply || f.Body[4] != byte(ResultOK) {
			return fmt.Errorf("reply %04x %X", f.MsgID, f.Body)
		}
		pending++
		if bt.fr.Buffered() == 0 || pending == window {
			if k := min(pending, n-sent); k > 0 {
				if _, err := bt.nc.Write(bt.frames[:bt.ends[k-1]]); err != nil {
					return err
				}
				sent += k
			}
			pending = 0
		}
	}
	return nil
}

// BenchmarkGateway1000Terminals: 1,000 terminals on loopback, registered and authenticated, each
// sending location frames into an ingester that counts: one at a time, waiting for each reply
// (window=1), or with 4 in flight. One iteration is 20 frames from every terminal (20,000 frames).
// Gateway and terminals share the machine's cores.
func BenchmarkGateway1000Terminals(b *testing.B) {
	for _, w := range []int{1, 4} {
		b.Run(fmt.Sprintf("window=%d", w), func(b *testing.B) { benchGateway(b, 1000, w) })
	}
}

func benchGateway(b *testing.B, terminals, window int) {
	const perIter = 20
	in := &countingIngester{devices: map[string]live.Device{}}
	for i := range terminals {
		id := fmt.Sprintf("0139%08d", i)
		in.devices[id] = live.Device{ID: id, Kind: live.KindVehicle, AuthCode: "code" + id}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	g := NewGateway(Config{}, in, nil, prometheus.NewRegistry())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Serve(ctx, ln) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			b.Error(err)
		}
	}()

	terms := make([]*benchTerm, terminals)
	errs := make(chan error, terminals)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64) // dial and log in 64 at a time
	for i := range terminals {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			id := fmt.Sprintf("0139%08d", i)
			nc, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				errs <- err
				return
			}
			bt := &benchTerm{nc: nc, fr: NewFrameReader(nc, 4096)}
			h := Header{Phone: MustPhone(id)}
			if err := bt.exchange(Register{Model: "BENCH", PlateColor: 1, Plate: "鲁F00001"}, h); err != nil {
				errs <- err
				return
			}
			h.Serial = 1
			if err := bt.exchange(Auth{Code: "code" + id}, h); err != nil {
				errs <- err
				return
			}
			for k := range window {
				h.Serial = uint16(2 + k)
				l := Location{Status: StatusFixed, Lat: 37182000 + int32(i), Lon: 119942000, Speed: 600,
					Time: time.Date(2026, 12, 4, 10, 0, k, 0, time.UTC), Has: HasMileage, Mileage: 1000}
				if bt.frames, err = AppendFrame(bt.frames, h, l); err != nil {
					errs <- err
					return
				}
				bt.ends = append(bt.ends, len(bt.frames))
			}
			terms[i] = bt
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	defer func() {
		for _, bt := range terms {
			bt.nc.Close()
		}
	}()
	g.mu.Lock()
	n := len(g.byPhone)
	g.mu.Unlock()
	if n != terminals {
		b.Fatalf("%d terminals authenticated", n)
	}

	frames := 0
	for b.Loop() {
		errs := make(chan error, terminals)
		var wg sync.WaitGroup
		for _, bt := range terms {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := bt.run(perIter, window); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		if err := errors.Join(func() (all []error) {
			for e := range errs {
				all = append(all, e)
			}
			return
		}()...); err != nil {
			b.Fatal(err)
		}
		frames += terminals * perIter
	}
	if got := in.positions.Load(); got != int64(frames) {
		b.Fatalf("%d positions accepted, %d sent", got, frames)
	}
	s := b.Elapsed().Seconds()
	b.ReportMetric(float64(frames)/s, "frames/s")
	b.ReportMetric(s*1e9/float64(frames), "ns/frame")
	b.ReportMetric(float64(terminals), "terminals")
}
