package push

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	clients   *prometheus.GaugeVec
	sent      *prometheus.CounterVec
	coalesced prometheus.Counter
	dropped   *prometheus.CounterVec
	replays   *prometheus.CounterVec
	snapshots prometheus.Counter
	gaps      prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		clients: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "yitu_push_clients", Help: "Maps connected to live push, by transport (ws, sse).",
		}, []string{"transport"}),
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yitu_push_messages_sent_total", Help: "Messages handed to clients' connections, by transport.",
		}, []string{"transport"}),
		coalesced: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "yitu_push_messages_coalesced_total", Help: "Messages replaced by a newer one of the same object and type (or alarm) before they were sent.",
		}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yitu_push_clients_dropped_total", Help: "Clients the server closed, by reason (slow, write_timeout, bad_input).",
		}, []string{"reason"}),
		replays: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yitu_push_replays_total", Help: "Reconnects with a last event id, by where their replay came from (ring, history) or resync.",
		}, []string{"source"}),
		snapshots: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "yitu_push_snapshots_total", Help: "Snapshots sent (subscriptions, box changes, resyncs).",
		}),
		gaps: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "yitu_push_stream_gaps_total", Help: "Times the broadcaster fell behind the hub's stream and told every client to resync.",
		}),
	}
	for _, r := range []string{ReasonSlow, ReasonWriteTimeout, ReasonBadInput} {
		m.dropped.WithLabelValues(r)
	}
	if reg != nil {
		reg.MustRegister(m.clients, m.sent, m.coalesced, m.dropped, m.replays, m.snapshots, m.gaps)
	}
	return m
}
