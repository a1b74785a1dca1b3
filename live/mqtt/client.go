// Package mqtt is Yitu's MQTT side: a client of the broker that sensors publish their readings to
// (Client), and the management of the sensors' broker accounts through Mosquitto's dynamic-security
// plugin (Admin).
//
// A sensor <id> publishes with user name <id> to
//
//	yitu/sensors/<id>/obs     readings: {"time": "2024-05-01T08:00:00+08:00", "value": 1.23, "unit": "m"}
//	yitu/sensors/<id>/state   its own state: {"battery": 87, "door": "closed"}
//
// and the broker's ACL lets it publish there only. Yitu subscribes with QoS 1 in a persistent session
// and acknowledges a reading only once the hub has accepted it, so readings published while Yitu is
// away, or while its history buffer is full, wait at the broker and are not lost.
package mqtt

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/yitu-gis/yitu/live"
	"github.com/yitu-gis/yitu/spatial"
)

// Config says where the broker is and how to follow it.
type Config struct {
	// URL of the broker with Yitu's credentials: mqtt://user:password@host:port (mqtts:// for TLS).
	URL string
	// ClientID names Yitu's persistent session at the broker: it must stay the same across restarts.
	// Two clients with one id take the session from each other, so replicas need ids of their own
	// (each then receives every reading). Default: yitu-<hostname>.
	ClientID string
	// Topic is the root of the sensors' topics; Yitu subscribes to <Topic>/+/obs and <Topic>/+/state.
	// Default: DefaultTopic (yitu/sensors).
	Topic string
	// Retry is the first wait before reconnecting after a failed or lost connection; it doubles up
	// to RetryMax. Defaults: 1 s and 30 s.
	Retry, RetryMax time.Duration
	// Pause is how long Yitu stays away after the hub said its buffer was full, before it reconnects
	// and the broker sends the unacknowledged readings again. Default: 5 s.
	Pause time.Duration
	// MaxPayload refuses larger messages (default 64 KiB).
	MaxPayload int
	// Now is the clock that stamps readings without a time (default time.Now).
	Now func() time.Time
	// SharedGroup, when set, subscribes through the shared subscription $share/<group>/…: the broker
	// hands each reading to one of the replicas in the group (the others learn it from live.outbox).
	SharedGroup string
	// Subscribed, if set, is called each time Yitu's subscriptions are in place: after the first
	// connection and after every reconnection. present says whether the broker had kept the session.
	Subscribed func(present bool)
}

// Client follows the sensors' topics and passes their readings and state reports to the hub.
type Client struct {
	cfg Config
	in  live.Ingester
	log *slog.Logger
	dec decoder

	accepted  *prometheus.CounterVec
	refused   *prometheus.CounterVec
	deferred  prometheus.Counter
	connected prometheus.Gauge
}

// New returns a client; Run connects it. log and reg may be nil (no log, no metrics exported).
func New(cfg Config, in live.Ingester, log *slog.Logger, reg prometheus.Registerer) *Client {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.ClientID == "" {
		host, _ := os.Hostname()
		cfg.ClientID = "yitu-" + host
	}
	if cfg.Topic == "" {
		cfg.Topic = DefaultTopic
	}
	if cfg.Retry <= 0 {
		cfg.Retry = time.Second
	}
	if cfg.RetryMax < cfg.Retry {
		cfg.RetryMax = max(30*time.Second, cfg.Retry)
	}
	if cfg.Pause <= 0 {
		cfg.Pause = 5 * time.Second
	}
	if cfg.MaxPayload <= 0 {
		cfg.MaxPayload = 64 << 10
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := &Client{
		cfg: cfg,
		in:  in,
		log: log,
		dec: decoder{root: cfg.Topic, maxPayload: cfg.MaxPayload, device: in.Device},
		accepted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yitu_mqtt_messages_total",
			Help: "MQTT messages accepted into the hub, by topic kind (obs, state).",
		}, []string{"topic_kind"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yitu_mqtt_messages_refused_total",
			Help: "MQTT messages refused (acknowledged and dropped), by reason.",
		}, []string{"reason"}),
		deferred: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "yitu_mqtt_messages_deferred_total",
			Help: "MQTT messages left unacknowledged because the hub could not take them (its buffer was full); the broker sends them again.",
		}),
		connected: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "yitu_mqtt_connected",
			Help: "1 while Yitu is connected to the broker and subscribed, else 0.",
		}),
	}
	for _, k := range []string{topicObs, topicState} {
		c.accepted.WithLabelValues(k)
	}
	for _, r := range reasons {
		c.refused.WithLabelValues(r)
	}
	if reg != nil {
		reg.MustRegister(c.accepted, c.refused, c.deferred, c.connected)
	}
	return c
}

// errDeferred ends a connection whose messages the hub could not take.
var errDeferred = errors.New("the hub's buffer is full")

// Run connects to the broker, subscribes and passes messages to the hub until ctx ends, reconnecting
// after failures. It returns an error only for a configuration that cannot work (a bad URL).
func (c *Client) Run(ctx context.Context) error {
	b, err := parseURL(c.cfg.URL)
	if err != nil {
		return fmt.Errorf("mqtt: %w", err)
	}
	c.log.Info("mqtt connecting", "broker", b.addr, "user", b.username, "client_id", c.cfg.ClientID,
		"topics", c.cfg.Topic+"/+/{obs,state}")
	wait := c.cfg.Retry
	for {
		connected, err := c.connection(ctx, b)
		if ctx.Err() != nil {
			return nil
		}
		pause := wait
		switch {
		case errors.Is(err, errDeferred):
			pause = c.cfg.Pause
			c.log.Warn("mqtt: the hub's buffer is full; readings wait at the broker", "broker", b.addr, "reconnect_in", pause)
		case connected:
			pause = c.cfg.Retry
			wait = c.cfg.Retry
			c.log.Warn("mqtt connection lost; reconnecting", "broker", b.addr, "err", err, "in", pause)
		default:
			wait = min(2*wait, c.cfg.RetryMax)
			c.log.Warn("mqtt: cannot connect; retrying", "broker", b.addr, "err", err, "in", pause)
		}
		timer := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-timer.C:
		}
	}
}

// connection holds one connection until ctx ends, the connection is lost or the hub's buffer is full.
// connected says whether it got as far as subscribing.
func (c *Client) connection(ctx context.Context, b broker) (connected bool, err error) {
	s := &session{c: c, ctx: ctx, lost: make(chan error, 1), deferred: make(chan struct{}, 1)}
	opts := paho.NewClientOptions().
		AddBroker(b.server).
		SetClientID(c.cfg.ClientID).
		SetUsername(b.username).
		SetPassword(b.password).
		SetCleanSession(false).  // the broker keeps the subscriptions and queues QoS 1 messages while Yitu is away
		SetAutoReconnect(false). // Run reconnects, with a fresh session object per connection
		SetConnectRetry(false).
		SetOrderMatters(true).    // one message at a time, in the order the broker sends them
		SetAutoAckDisabled(true). // acknowledged by handle, once the hub has accepted it
		SetKeepAlive(30 * time.Second).
		SetConnectTimeout(10 * time.Second).
		// Messages queued for the session arrive right after CONNACK, before any subscription's own
		// handler could be in place: one default handler takes them all.
		SetDefaultPublishHandler(s.handle).
		SetConnectionLostHandler(func(_ paho.Client, err error) {
			select {
			case s.lost <- err:
			default:
			}
		})
	pc := paho.NewClient(opts)
	tok := pc.Connect()
	if err := await(ctx, tok); err != nil {
		if ctx.Err() != nil {
			<-tok.Done() // bounded by the connect timeout; then make sure nothing stays connected
		}
		pc.Disconnect(0)
		return false, fmt.Errorf("connecting to %s as %q: %w", b.addr, b.username, err)
	}
	defer func() {
		// Let the message in hand finish, so that its acknowledgement goes out before DISCONNECT;
		// messages still in paho's pipeline stay unacknowledged: the broker sends them again.
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		pc.Disconnect(250)
	}()
	present := tok.(*paho.ConnectToken).SessionPresent()
	prefix := ""
	if c.cfg.SharedGroup != "" { // replicas share the readings: the broker gives each to one of them
		prefix = "$share/" + c.cfg.SharedGroup + "/"
	}
	filters := map[string]byte{prefix + c.cfg.Topic + "/+/" + topicObs: 1, prefix + c.cfg.Topic + "/+/" + topicState: 1}
	sub := pc.SubscribeMultiple(filters, nil)
	if err := await(ctx, sub); err != nil {
		return false, fmt.Errorf("subscribing at %s: %w", b.addr, err)
	}
	for filter, qos := range sub.(*paho.SubscribeToken).Result() {
		if qos > 2 {
			return false, fmt.Errorf("%s refused the subscription to %s (0x%02x): does %q hold a role that may subscribe to it?", b.addr, filter, qos, b.username)
		}
	}
	c.log.Info("mqtt connected", "broker", b.addr, "client_id", c.cfg.ClientID, "session_present", present)
	c.connected.Set(1)
	defer c.connected.Set(0)
	if c.cfg.Subscribed != nil {
		c.cfg.Subscribed(present)
	}
	select {
	case <-ctx.Done():
		return true, nil
	case err := <-s.lost:
		return true, err
	case <-s.deferred:
		return true, errDeferred
	}
}

// session is one connection's message handling.
type session struct {
	c        *Client
	ctx      context.Context
	lost     chan error
	deferred chan struct{}

	mu sync.Mutex // held while a message is handled, and guards:
	// deferring: the hub could not take a message; this and every later message of the connection
	// stay unacknowledged (acknowledging a later one would break the order, and the broker sends
	// them all again, in order, on the next connection).
	deferring bool
	closed    bool // the connection is being closed: take no more messages
}

// handle takes one message (paho calls it for each in turn): a reading that the hub accepts is
// acknowledged; a message Yitu refuses is acknowledged too, so that it does not come back, and
// counted; a reading the hub cannot take now is not acknowledged, and the connection ends so the
// broker sends it again on the next (MQTT 3.1.1 brokers resend unacknowledged messages only then).
func (s *session) handle(_ paho.Client, m paho.Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.deferring || s.closed {
		return
	}
	c := s.c
	ch, kind, err := c.dec.decode(m.Topic(), m.Payload(), c.cfg.Now())
	if err != nil {
		c.drop(m.Topic(), err)
		m.Ack()
		return
	}
	err = c.in.Accept(s.ctx, []live.Change{ch})
	var invalid *spatial.InvalidError
	switch {
	case err == nil:
		c.accepted.WithLabelValues(kind).Inc()
		m.Ack()
	case errors.Is(err, live.ErrUnknownDevice): // deregistered since decode looked
		c.drop(m.Topic(), refuse(reasonUnknownDevice, "%v", err))
		m.Ack()
	case errors.As(err, &invalid):
		c.drop(m.Topic(), refuse(reasonInvalid, "%v", err))
		m.Ack()
	case s.ctx.Err() != nil: // shutting down: the broker keeps it for the next start
	default: // live.ErrBufferFull, or trouble Accept did not foresee: keep the reading at the broker
		s.deferring = true
		c.deferred.Inc()
		if !errors.Is(err, live.ErrBufferFull) {
			c.log.Error("mqtt: the hub did not take a reading; it stays at the broker", "topic", m.Topic(), "err", err)
		}
		select {
		case s.deferred <- struct{}{}:
		default:
		}
	}
}

// drop counts and logs a refused message.
func (c *Client) drop(topic string, err error) {
	var r *refusal
	if !errors.As(err, &r) {
		r = &refusal{reason: reasonInvalid, detail: err.Error()}
	}
	c.refused.WithLabelValues(r.reason).Inc()
	// Debug: a broken sensor repeats itself; the counter shows it, the log says what and where.
	c.log.Debug("mqtt message refused", "topic", topic, "reason", r.reason, "detail", r.detail)
}
