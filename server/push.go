package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"net"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	fws "github.com/fasthttp/websocket"
	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"

	"github.com/yitu-gis/yitu/live"
	"github.com/yitu-gis/yitu/live/push"
	"github.com/yitu-gis/yitu/spatial"
)

// Live push: every change of the live layers to every open map, over WebSocket (/live/ws) or, where
// that is not available, Server-Sent Events (/live/sse). The fan-out is package live/push; this
// file carries its messages. A browser can set no header on either, so both take the token as the
// access_token query parameter too (and no other route does: see authenticate).

// pushPaths are the routes that take access_token.
var pushPaths = [...]string{"/live/ws", "/live/sse"}

func isPushPath(p string) bool {
	p = strings.TrimSuffix(p, "/")
	return p == pushPaths[0] || p == pushPaths[1]
}

const (
	mediaEventStream = "text/event-stream"

	pushRightsKey = "push.may" // the caller's read rights, handed from the HTTP request to the WebSocket
	// maxSubscribe bounds a message from a WebSocket client (a subscription).
	maxSubscribe = 16 << 10
)

// newWSHandler is the WebSocket upgrade of /live/ws (built once).
func (s *Server) newWSHandler() fiber.Handler {
	return websocket.New(s.serveWS, websocket.Config{
		HandshakeTimeout: 10 * time.Second,
		ReadBufferSize:   4 << 10,
		WriteBufferSize:  16 << 10,
		RecoverHandler: func(conn *websocket.Conn) {
			if e := recover(); e != nil {
				s.log.Error("panic in a live WebSocket", "panic", e)
			}
		},
	})
}

func (s *Server) pushing() (*push.Broadcaster, error) {
	if s.deps.Push == nil {
		return nil, problemf(fiber.StatusNotFound, "", "live push is not running on this server; poll /live/objects")
	}
	return s.deps.Push, nil
}

// liveWS upgrades GET /live/ws to a WebSocket. The client subscribes by sending
// {"subscribe":{"bbox":[w,s,e,n],"kinds":[…],"layers":[…]}} (again whenever its map moves); the
// server sends each message (see package push) as a WebSocket text message holding one JSON object
// with a type, a snapshot first after each subscribe.
func (s *Server) liveWS(c *fiber.Ctx) error {
	if _, err := s.pushing(); err != nil {
		return err
	}
	if !websocket.IsWebSocketUpgrade(c) {
		return problemf(fiber.StatusUpgradeRequired, "", "/live/ws is a WebSocket (send Upgrade: websocket); without one, use /live/sse (Server-Sent Events)")
	}
	c.Locals(pushRightsKey, s.liveLayers(c))
	return s.wsUpgrade(c)
}

// wsClose is how the server ends a WebSocket: a close code and a reason for people.
type wsClose struct {
	code   int
	reason string
}

func (s *Server) serveWS(conn *websocket.Conn) {
	ws := conn.Conn // the connection itself: conn goes back to a pool when this returns
	may, _ := conn.Locals(pushRightsKey).(func(string) bool)
	b := s.deps.Push
	cfg := b.Config()
	cl := b.Connect("ws", may, nil)
	defer cl.Close()

	// The reader: subscriptions in, pongs; a bad message ends the connection with its reason.
	pongWait := 2 * cfg.Ping
	ws.SetReadLimit(maxSubscribe)
	_ = ws.SetReadDeadline(time.Now().Add(pongWait))
	ws.SetPongHandler(func(string) error { return ws.SetReadDeadline(time.Now().Add(pongWait)) })
	refused := make(chan wsClose, 1)
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		for {
			typ, data, err := ws.ReadMessage()
			if err != nil {
				if errors.Is(err, fws.ErrReadLimit) {
					refused <- wsClose{websocket.CloseMessageTooBig, "a message is larger than 16 KB: send {\"subscribe\":{…}}"}
					cl.Drop(push.ReasonBadInput)
					return
				}
				cl.Close() // gone, closed or silent past the pong wait
				return
			}
			_ = ws.SetReadDeadline(time.Now().Add(pongWait))
			if typ != websocket.TextMessage {
				refused <- wsClose{websocket.CloseUnsupportedData, `send text messages: {"subscribe":{"bbox":[w,s,e,n],"kinds":[…],"layers":[…]}}`}
				cl.Drop(push.ReasonBadInput)
				return
			}
			f, err := parseSubscribe(data)
			if err != nil {
				refused <- wsClose{websocket.ClosePolicyViolation, err.Error()}
				cl.Drop(push.ReasonBadInput)
				return
			}
			cl.SetFilter(f)
		}
	}()

	// The writer (this goroutine): one text message per message, a ping when due.
	nextPing := time.Now().Add(cfg.Ping)
	for {
		batch, err := cl.Next(s.stopping, time.Until(nextPing))
		if err != nil {
			if s.stopping.Err() != nil {
				select { // unless the reader refused the client first
				case refused <- wsClose{websocket.CloseGoingAway, "the server is shutting down: reconnect"}:
				default:
				}
			}
			break
		}
		if len(batch) > 0 {
			_ = ws.SetWriteDeadline(time.Now().Add(cfg.WriteTimeout))
			for _, m := range batch {
				if err = ws.WriteMessage(websocket.TextMessage, m.Data); err != nil {
					break
				}
			}
			if err != nil {
				writeFailed(cl, err)
				break
			}
		}
		if !time.Now().Before(nextPing) {
			if err := ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(cfg.WriteTimeout)); err != nil {
				writeFailed(cl, err)
				break
			}
			nextPing = time.Now().Add(cfg.Ping)
		}
	}

	var end wsClose
	select {
	case end = <-refused:
	default:
		switch r := cl.Reason(); r {
		case push.ReasonSlow:
			end = wsClose{websocket.ClosePolicyViolation, "dropped: this connection could not keep up with the changes; reconnect"}
		case push.ReasonWriteTimeout:
		case "":
			end = wsClose{websocket.CloseNormalClosure, ""}
		default:
			end = wsClose{websocket.CloseGoingAway, r}
		}
	}
	if end.code != 0 {
		_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(end.code, closeReason(end.reason)), time.Now().Add(time.Second))
	}
	// End the reader (fasthttp closes a hijacked connection itself when this returns: closing ours
	// does nothing).
	_ = ws.SetReadDeadline(time.Now())
	<-readerDone
}

// writeFailed ends a client whose write failed: a drop when it timed out (the peer does not read).
func writeFailed(cl *push.Client, err error) {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		cl.Drop(push.ReasonWriteTimeout)
		return
	}
	cl.Close()
}

// closeReason fits a reason into a close frame (123 bytes), on a rune boundary.
func closeReason(s string) string {
	if len(s) <= 123 {
		return s
	}
	s = s[:120]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}

// subscribeMessage is what a WebSocket client sends.
type subscribeMessage struct {
	Subscribe *struct {
		BBox   []float64 `json:"bbox"`
		Kinds  []string  `json:"kinds"`
		Layers []string  `json:"layers"`
	} `json:"subscribe"`
}

func parseSubscribe(data []byte) (*push.Filter, error) {
	var m subscribeMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, spatial.Invalid("message", `not {"subscribe":{"bbox":[w,s,e,n],"kinds":[…],"layers":[…]}}: %v`, err)
	}
	if m.Subscribe == nil {
		return nil, spatial.Invalid("subscribe", `missing: send {"subscribe":{"bbox":[w,s,e,n],"kinds":[…],"layers":[…]}}`)
	}
	f := &push.Filter{Layers: m.Subscribe.Layers}
	if b := m.Subscribe.BBox; b != nil {
		if len(b) != 4 {
			return nil, spatial.Invalid("bbox", "four numbers west,south,east,north, got %d", len(b))
		}
		f.BBox = &[4]float64{b[0], b[1], b[2], b[3]}
	}
	for _, k := range m.Subscribe.Kinds {
		f.Kinds = append(f.Kinds, live.Kind(k))
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return f, nil
}

// pushFilter reads a subscription from the query: bbox, kinds (or kind, as /live/objects) and layers.
func pushFilter(c *fiber.Ctx) (*push.Filter, error) {
	f := &push.Filter{}
	if v := c.Query("bbox"); v != "" {
		b, err := parseNumbers("bbox", v, 4, 4)
		if err != nil {
			return nil, err
		}
		f.BBox = &[4]float64{b[0], b[1], b[2], b[3]}
	}
	kinds := c.Query("kinds", c.Query("kind"))
	for _, k := range strings.Split(kinds, ",") {
		if k = strings.TrimSpace(k); k != "" {
			f.Kinds = append(f.Kinds, live.Kind(k))
		}
	}
	for _, l := range strings.Split(c.Query("layers"), ",") {
		if l = strings.TrimSpace(l); l != "" {
			f.Layers = append(f.Layers, l)
		}
	}
	return f, f.Validate()
}

// liveSSE streams the changes a subscription selects as Server-Sent Events: "event: <type>",
// "id: <event id>", "data: <message>" (see package push), a snapshot first. The event id is the
// newest acceptance time delivered, in unix nanoseconds; a client reconnecting with it (the
// Last-Event-ID header EventSource sends, or last_event_id) is replayed what it missed instead of
// the snapshot (push.Client.Replay).
func (s *Server) liveSSE(c *fiber.Ctx) error {
	b, err := s.pushing()
	if err != nil {
		return err
	}
	f, err := pushFilter(c)
	if err != nil {
		return err
	}
	param, last := "Last-Event-ID", c.Get("Last-Event-ID")
	if last == "" {
		param, last = "last_event_id", c.Query("last_event_id")
	}
	var since int64
	if last != "" {
		if since, err = strconv.ParseInt(last, 10, 64); err != nil || since <= 0 {
			return spatial.Invalid(param, "%q is not an event id of this stream (unix nanoseconds)", last)
		}
	}
	cl := b.Connect("sse", s.liveLayers(c), f)
	if since > 0 {
		cl.Replay(c.UserContext(), time.Unix(0, since))
	}
	cfg := b.Config()
	conn := c.Context().Conn()
	c.Set(fiber.HeaderContentType, mediaEventStream)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("X-Accel-Buffering", "no")
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		defer cl.Close()
		id := since
		var num []byte
		_, _ = w.WriteString("retry: 2000\n\n")
		for {
			_ = conn.SetWriteDeadline(time.Now().Add(cfg.WriteTimeout))
			if err := w.Flush(); err != nil {
				writeFailed(cl, err)
				return
			}
			batch, err := cl.Next(s.stopping, cfg.Ping)
			if err != nil {
				r := cl.Reason()
				if s.stopping.Err() != nil {
					r = "the server is shutting down: reconnect"
				}
				if r != "" && r != push.ReasonWriteTimeout {
					_, _ = w.WriteString("event: close\ndata: " + strconv.Quote(r) + "\n\n")
					_ = conn.SetWriteDeadline(time.Now().Add(time.Second))
					_ = w.Flush()
				}
				return
			}
			if len(batch) == 0 {
				_, _ = w.WriteString(": keepalive\n\n")
			}
			_ = conn.SetWriteDeadline(time.Now().Add(cfg.WriteTimeout)) // the buffer may fill while writing
			for _, m := range batch {
				id = max(id, m.Received)
				if id > 0 {
					num = strconv.AppendInt(append(num[:0], "id: "...), id, 10)
					_, _ = w.Write(append(num, '\n'))
				}
				_, _ = w.WriteString("event: ")
				_, _ = w.WriteString(m.Type)
				_, _ = w.WriteString("\ndata: ")
				_, _ = w.Write(m.Data)
				if _, err := w.WriteString("\n\n"); err != nil {
					writeFailed(cl, err)
					return
				}
			}
		}
	})
	return nil
}
