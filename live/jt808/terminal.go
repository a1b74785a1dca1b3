package jt808

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// Terminal is the terminal side of a JT/T 808 connection: what the demo city's simulated vehicles,
// the benchmarks and the end-to-end tests speak to a platform. It sends one message at a time and
// waits for the platform's answer to it; platform-initiated messages (0x8203 and others) that arrive
// meanwhile are answered with a terminal general reply and handed to OnPlatform.
type Terminal struct {
	conn    net.Conn
	fr      *FrameReader
	dec     Decoder
	header  Header // phone and header version of every frame it sends
	serial  uint16
	timeout time.Duration
	buf     []byte

	// OnPlatform receives platform messages that are not answers (their frames are valid only during
	// the call). It runs on the goroutine that called the method being answered.
	OnPlatform func(f *Frame)

	mu sync.Mutex // one exchange at a time
}

// DialTerminal connects to a platform at addr as the terminal with the given phone number (12
// digits: the 2013 header; 20 digits: the 2019 header). timeout bounds each exchange.
func DialTerminal(ctx context.Context, addr, phone string, timeout time.Duration) (*Terminal, error) {
	p, err := ParsePhone(phone)
	if err != nil {
		return nil, err
	}
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	h := Header{Phone: p}
	if p.Digits() == 20 {
		h.Version2019, h.ProtocolVersion = true, 1
	}
	return &Terminal{conn: conn, fr: NewFrameReader(conn, 4096), header: h, timeout: timeout}, nil
}

// Close closes the connection.
func (t *Terminal) Close() error { return t.conn.Close() }

// ErrRefused is an answer whose result is not success.
var ErrRefused = errors.New("refused by the platform")

// Register sends 0x0100 and returns the authentication code of a successful 0x8100.
func (t *Terminal) Register(r Register) (string, error) {
	f, err := t.exchange(r, MsgRegisterReply)
	if err != nil {
		return "", err
	}
	rr, err := f.RegisterReply()
	if err != nil {
		return "", err
	}
	if rr.Result != RegisterOK {
		return "", fmt.Errorf("register: result %d: %w", rr.Result, ErrRefused)
	}
	return rr.AuthCode, nil
}

// Send sends a message and waits for the platform's general reply (0x8001) to it; a result other
// than success is returned with ErrRefused.
func (t *Terminal) Send(m Message) (Result, error) {
	f, err := t.exchange(m, MsgPlatformReply)
	if err != nil {
		return 0, err
	}
	r, err := f.PlatformReply()
	if err != nil {
		return 0, err
	}
	if r.Result != ResultOK {
		return r.Result, fmt.Errorf("message 0x%04x: result %d: %w", m.MsgID(), r.Result, ErrRefused)
	}
	return r.Result, nil
}

// Login registers (when code is empty) and authenticates, returning the code used.
func (t *Terminal) Login(r Register, code string) (string, error) {
	if code == "" {
		var err error
		if code, err = t.Register(r); err != nil {
			return "", err
		}
	}
	_, err := t.Send(Auth{Code: code, IMEI: "860000000000000", Software: "yitu-sim"})
	return code, err
}

// exchange sends m and reads frames until the answer (msg id want, replying to m's serial).
func (t *Terminal) exchange(m Message, want uint16) (*Frame, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	h := t.header
	h.Serial = t.serial
	t.serial++
	var err error
	if t.buf, err = AppendFrame(t.buf[:0], h, m); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(t.timeout)
	t.conn.SetDeadline(deadline)
	if _, err := t.conn.Write(t.buf); err != nil {
		return nil, err
	}
	for {
		content, err := t.fr.Next()
		if err != nil {
			return nil, err
		}
		f, err := t.dec.DecodeContent(content)
		if err != nil {
			return nil, fmt.Errorf("an answer that does not decode: %w", err)
		}
		if f.MsgID == want && len(f.Body) >= 2 && uint16(f.Body[0])<<8|uint16(f.Body[1]) == h.Serial {
			return &f, nil
		}
		if f.MsgID != MsgPlatformReply && f.MsgID != MsgRegisterReply {
			t.answer(&f)
		}
	}
}

// answer replies to a platform-initiated message and hands it on.
func (t *Terminal) answer(f *Frame) {
	if t.OnPlatform != nil {
		t.OnPlatform(f)
	}
	h := t.header
	h.Serial = t.serial
	t.serial++
	out, err := AppendFrame(nil, h, TerminalReply{ReplySerial: f.Serial, ReplyID: f.MsgID, Result: ResultOK})
	if err == nil {
		t.conn.Write(out)
	}
}

// Poll reads the platform messages that arrived while the terminal was not exchanging (waiting up
// to wait for the first), answering and handing each to OnPlatform.
func (t *Terminal) Poll(wait time.Duration) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.conn.SetReadDeadline(time.Now().Add(wait))
	for {
		content, err := t.fr.Next()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return nil
			}
			return err
		}
		f, err := t.dec.DecodeContent(content)
		if err != nil {
			return err
		}
		t.answer(&f)
		if !t.fr.Ready() {
			t.conn.SetReadDeadline(time.Now().Add(time.Millisecond))
		}
	}
}
