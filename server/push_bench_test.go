package server

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"

	"github.com/yitu-gis/yitu/live"
)

// BenchmarkPushLatency: ingest to browser. 500 WebSocket clients on loopback, each subscribed to the
// whole town; 1,000 vehicles report through hub.Accept at a steady 2,000 positions/s (20 every
// 10 ms, so each vehicle every 0.5 s, slower than the 250 ms coalescing interval); the latency of
// each position is from the Accept call to its arrival at each client (the position carries its
// Accept time in extra.t). Reports p50, p99 and max in ms and the messages delivered per second over
// 10 s after a 1 s warm-up (b.N is not used: the run has a fixed length). Server, database and
// clients share the machine.
func BenchmarkPushLatency(b *testing.B) {
	const (
		clients  = 500
		vehicles = 1000
		perTick  = 20
		tick     = 10 * time.Millisecond
		warmup   = time.Second
		measure  = 10 * time.Second
	)
	c := newCity(b)
	ctx := context.Background()
	reg := live.NewRegistry(c.pool)
	ids := make([]string, vehicles)
	for i := range ids {
		ids[i] = fmt.Sprintf("0139200%05d", i)
		if err := reg.Put(ctx, live.Device{ID: ids[i], Kind: live.KindVehicle, Plate: fmt.Sprintf("鲁F2%04d", i), VehicleKind: "patrol"}); err != nil {
			b.Fatal(err)
		}
	}
	if err := c.hub.ReloadDevices(ctx); err != nil {
		b.Fatal(err)
	}

	start := time.Now()
	// Positions accepted within the window (ms after start) are measured, whenever they arrive.
	var (
		window   atomic.Pointer[[2]float64]
		wg       sync.WaitGroup
		samples  = make([][]float32, clients) // ms, per client
		received atomic.Int64
	)
	conns := make([]*fws.Conn, clients)
	for i := range conns {
		conns[i] = c.dialWS(b, "", "")
		subscribe(b, conns[i], `{"bbox":[119.9,37.1,120.0,37.3]}`)
		readWS(b, conns[i], until("snapshot", ""))
		_ = conns[i].SetReadDeadline(time.Time{})
	}
	marker := []byte(`"extra":{"t":`)
	for i, conn := range conns {
		wg.Go(func() {
			lat := make([]float32, 0, int(measure/tick)*perTick+1000)
			for {
				_, data, err := conn.ReadMessage()
				if err != nil {
					samples[i] = lat
					return
				}
				now := float64(time.Since(start).Microseconds()) / 1000
				w := window.Load()
				for {
					k := bytes.Index(data, marker)
					if k < 0 {
						break
					}
					data = data[k+len(marker):]
					end := bytes.IndexByte(data, '}')
					t, err := strconv.ParseFloat(string(data[:end]), 64)
					if err == nil && w != nil && t >= w[0] && t < w[1] {
						lat = append(lat, float32(now-t))
						received.Add(1)
					}
				}
			}
		})
	}

	b.ResetTimer()
	now := time.Now()
	from := float64(now.Add(warmup).Sub(start).Microseconds()) / 1000
	window.Store(&[2]float64{from, from + float64(measure.Milliseconds())})
	next, n := now, 0
	for _, end := range []time.Time{now.Add(warmup), now.Add(warmup + measure)} {
		for time.Now().Before(end) {
			batch := make([]live.Change, perTick)
			at := time.Now()
			t := float64(at.Sub(start).Microseconds()) / 1000
			for j := range batch {
				v := n % vehicles
				n++
				batch[j] = live.Change{Type: live.ChangePosition, Object: ids[v], Time: at, Source: "bench",
					Position: &live.Position{Lon: 119.91 + float64(v%100)*0.0008, Lat: 37.11 + float64(v/100)*0.01 + float64(n%1000)*0.00001,
						Speed: 40, Heading: 90, Extra: map[string]float64{"t": t}}}
			}
			if err := c.hub.Accept(ctx, batch); err != nil {
				b.Fatal(err)
			}
			next = next.Add(tick)
			time.Sleep(time.Until(next))
		}
	}
	// Let what is in flight arrive, then close.
	time.Sleep(time.Second)
	b.StopTimer()
	for _, conn := range conns {
		conn.Close()
	}
	wg.Wait()
	var all []float32
	for _, s := range samples {
		all = append(all, s...)
	}
	if len(all) == 0 {
		b.Fatal("no message arrived")
	}
	slices.Sort(all)
	b.ReportMetric(float64(all[len(all)/2]), "ms-p50")
	b.ReportMetric(float64(all[len(all)*99/100]), "ms-p99")
	b.ReportMetric(float64(all[len(all)-1]), "ms-max")
	b.ReportMetric(float64(received.Load())/measure.Seconds(), "msgs/s")
	b.ReportMetric(float64(len(all))/float64(clients)/(measure.Seconds()*float64(perTick)/tick.Seconds()), "delivered-fraction")
}
