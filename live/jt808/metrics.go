package jt808

import (
	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	frames      *prometheus.CounterVec
	bad         *prometheus.CounterVec
	positions   prometheus.Counter
	refused     *prometheus.CounterVec
	connections prometheus.Gauge

	byMsg   map[uint16]prometheus.Counter
	other   prometheus.Counter
	byKind  map[ErrorKind]prometheus.Counter
	refusal map[string]prometheus.Counter
}

// Reasons positions are refused (yitu_jt808_positions_refused_total{reason}).
const (
	refusedUnauthenticated = "unauthenticated"
	refusedBufferFull      = "buffer_full"
	refusedInvalid         = "invalid"
	refusedError           = "error"
)

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		frames: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yitu_jt808_frames_total",
			Help: "JT/T 808 frames decoded, by message id (0x0200, …; other for ids the gateway does not name).",
		}, []string{"msg"}),
		bad: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yitu_jt808_frames_bad_total",
			Help: "Malformed JT/T 808 frames, by what is wrong with them (checksum, length, escape, truncated, …).",
		}, []string{"kind"}),
		positions: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "yitu_jt808_positions_total",
			Help: "Positions from JT/T 808 terminals accepted by the ingester.",
		}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yitu_jt808_positions_refused_total",
			Help: "Positions from JT/T 808 terminals not accepted, by reason (unauthenticated, buffer_full, invalid, error).",
		}, []string{"reason"}),
		connections: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "yitu_jt808_connections",
			Help: "Open JT/T 808 terminal connections.",
		}),
		byMsg:   map[uint16]prometheus.Counter{},
		byKind:  map[ErrorKind]prometheus.Counter{},
		refusal: map[string]prometheus.Counter{},
	}
	// the message ids the gateway handles have a label of their own; the others are counted as
	// "other", so a terminal cannot blow up the label set
	for _, id := range []uint16{MsgTerminalReply, MsgHeartbeat, MsgDeregister, MsgRegister, MsgAuth, MsgLocation, MsgLocationBatch} {
		m.byMsg[id] = m.frames.WithLabelValues("0x" + string(appendHex16(nil, id)))
	}
	m.other = m.frames.WithLabelValues("other")
	for _, k := range Kinds() {
		m.byKind[k] = m.bad.WithLabelValues(k.String())
	}
	for _, r := range []string{refusedUnauthenticated, refusedBufferFull, refusedInvalid, refusedError} {
		m.refusal[r] = m.refused.WithLabelValues(r)
	}
	if reg != nil {
		reg.MustRegister(m.frames, m.bad, m.positions, m.refused, m.connections)
	}
	return m
}

func (m *metrics) frame(id uint16) {
	if c, ok := m.byMsg[id]; ok {
		c.Inc()
		return
	}
	m.other.Inc()
}

func (m *metrics) badFrame(k ErrorKind) {
	if c, ok := m.byKind[k]; ok {
		c.Inc()
	}
}
