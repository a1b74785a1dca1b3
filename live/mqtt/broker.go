package mqtt

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// broker is where and as whom to connect, from an MQTT URL.
type broker struct {
	server   string // for paho: tcp://host:port or ssl://host:port
	addr     string // host:port, for logs and errors (never the password)
	username string
	password string
}

// parseURL reads mqtt://user:password@host:port (mqtts:// for TLS; tcp:// and ssl:// as paho spells
// them). The port defaults to 1883 (8883 with TLS).
func parseURL(raw string) (broker, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// The error would quote the URL, password and all.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return broker{}, fmt.Errorf("broker URL does not parse: %v", err)
	}
	var scheme, port string
	switch u.Scheme {
	case "mqtt", "tcp":
		scheme, port = "tcp", "1883"
	case "mqtts", "ssl", "tls":
		scheme, port = "ssl", "8883"
	default:
		return broker{}, fmt.Errorf("broker URL %s: scheme %q, want mqtt:// or mqtts://", u.Redacted(), u.Scheme)
	}
	if u.Hostname() == "" {
		return broker{}, fmt.Errorf("broker URL %s: no host", u.Redacted())
	}
	if u.Port() != "" {
		port = u.Port()
	}
	b := broker{addr: net.JoinHostPort(u.Hostname(), port)}
	b.server = scheme + "://" + b.addr
	if u.User != nil {
		b.username = u.User.Username()
		b.password, _ = u.User.Password()
	}
	return b, nil
}

// await waits for a paho token or the end of ctx.
func await(ctx context.Context, tok paho.Token) error {
	select {
	case <-tok.Done():
		return tok.Error()
	case <-ctx.Done():
		return ctx.Err()
	}
}
