package live

import "github.com/prometheus/client_golang/prometheus"

type hubMetrics struct {
	accepted     *prometheus.CounterVec
	refused      *prometheus.CounterVec
	rows         *prometheus.CounterVec
	writeErrors  prometheus.Counter
	batchSeconds prometheus.Histogram
	replayed     prometheus.Counter
}

func newHubMetrics(reg prometheus.Registerer, h *Hub) *hubMetrics {
	m := &hubMetrics{
		accepted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yitu_live_changes_accepted_total", Help: "Changes accepted into the hub, by type and source.",
		}, []string{"type", "source"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yitu_live_changes_refused_total", Help: "Changes refused by the hub, by reason (unknown_device, invalid, buffer_full) and source.",
		}, []string{"reason", "source"}),
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yitu_live_history_rows_total", Help: "Rows written to the history tables.",
		}, []string{"table"}),
		writeErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "yitu_live_history_write_errors_total", Help: "Failed history batch writes (each is retried).",
		}),
		replayed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "yitu_live_outbox_replayed_total", Help: "Changes accepted by other replicas applied to this hub from live.outbox.",
		}),
		batchSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "yitu_live_history_batch_seconds", Help: "Time to write one history batch.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
	}
	if reg == nil {
		return m
	}
	reg.MustRegister(m.accepted, m.refused, m.rows, m.writeErrors, m.batchSeconds, m.replayed,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "yitu_live_history_buffered", Help: "Accepted changes waiting to be written to history (grows while the database is away).",
		}, func() float64 { return float64(h.hist.buffered()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "yitu_live_objects", Help: "Live objects in the hub's current state.",
		}, func() float64 { h.mu.RLock(); defer h.mu.RUnlock(); return float64(len(h.objects)) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "yitu_live_stream_seq", Help: "Sequence number of the newest change on the hub's stream.",
		}, func() float64 { return float64(h.stream.Last()) }),
	)
	return m
}
