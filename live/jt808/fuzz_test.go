package jt808

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"
)

// FuzzDecode feeds arbitrary bytes to the decoder as a whole frame, as frame content and as a
// stream: it must decode or refuse with a *DecodeError naming a byte of the input, never panic,
// and whatever location it decodes must encode and decode back to itself.
func FuzzDecode(f *testing.F) {
	for _, r := range readTraccar(f) {
		f.Add(r.raw)
	}
	for _, s := range readSmallChi(f) {
		f.Add(s.raw)
	}
	h := Header{Phone: MustPhone("013912345678"), Serial: 7}
	for _, m := range []Message{Auth{Code: "abc"}, Heartbeat{}, Register{Model: "M", Plate: "鲁F12345", PlateColor: 1}} {
		for _, v2019 := range []bool{false, true} {
			h.Version2019, h.ProtocolVersion = v2019, 1
			raw, err := AppendFrame(nil, h, m)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(raw)
		}
	}
	raw, _, err := AppendPackets(nil, Header{Phone: MustPhone("013912345678")}, bigBatch(3), 40)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw)
	f.Fuzz(func(t *testing.T, data []byte) {
		var d Decoder
		fr, err := d.Decode(data)
		checkDecodeErr(t, err, len(data))
		if err == nil {
			exercise(t, &fr)
		}
		if bytes.IndexByte(data, Delimiter) < 0 {
			fr, err := d.DecodeContent(data)
			checkDecodeErr(t, err, len(data)+2)
			if err == nil {
				exercise(t, &fr)
			}
		}
		cr := &countingReader{r: bytes.NewReader(data)}
		rd := NewFrameReader(cr, 256)
		re := NewReassembler(4096, time.Minute)
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		for {
			ready, reads := rd.Ready(), cr.n
			c, err := rd.Next()
			if ready && cr.n != reads {
				t.Fatalf("Next read the stream after Ready said a frame was there")
			}
			if err == io.EOF {
				break
			}
			var de *DecodeError
			if errors.As(err, &de) {
				continue
			}
			if err != nil {
				t.Fatalf("frame reader: %v", err)
			}
			if len(c) == 0 || len(c) > 254 || bytes.IndexByte(c, Delimiter) >= 0 {
				t.Fatalf("frame content of %d bytes: %X", len(c), c)
			}
			fr, err := d.DecodeContent(c)
			checkDecodeErr(t, err, len(c)+2)
			if err != nil {
				continue
			}
			if fr.Split {
				whole, done, err := re.Add(fr, now)
				if err != nil || !done {
					continue
				}
				fr = whole
			}
			exercise(t, &fr)
		}
	})
}

func checkDecodeErr(t *testing.T, err error, n int) {
	t.Helper()
	if err == nil {
		return
	}
	var de *DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("error %v is not a *DecodeError", err)
	}
	if de.Kind == 0 || de.Offset < 0 || de.Offset > n || de.What == "" {
		t.Fatalf("%v: kind %d offset %d of %d bytes", err, de.Kind, de.Offset, n)
	}
	_ = de.Error()
}

// exercise decodes f's body every way; what decodes must survive a round trip.
func exercise(t *testing.T, f *Frame) {
	t.Helper()
	n := f.bodyOff + len(f.Body) + 2 + len(f.raw) // bound on offsets, raw or reassembled
	if l, err := f.Location(); err == nil {
		raw, err := AppendFrame(nil, f.Header, l)
		if err == nil { // (a body too long for one frame cannot be re-encoded)
			var d Decoder
			f2, err := d.Decode(raw)
			if err != nil {
				t.Fatalf("re-encoded location: %v", err)
			}
			l2, err := f2.Location()
			if err != nil || l2.Lat != l.Lat || l2.Lon != l.Lon || !l2.Time.Equal(l.Time) || l2.Has != l.Has ||
				l2.Mileage != l.Mileage || !bytes.Equal(l2.Extra, l.Extra) || l2.Status != l.Status {
				t.Fatalf("location %+v re-encoded reads %+v, %v", l, l2, err)
			}
		}
	} else {
		checkDecodeErr(t, err, n)
	}
	if lb, err := f.LocationBatch(nil); err == nil {
		for _, l := range lb.Locations {
			if l.Lat < -90e6 || l.Lat > 90e6 || l.Lon < -180e6 || l.Lon > 180e6 {
				t.Fatalf("batch location %d, %d", l.Lat, l.Lon)
			}
		}
	} else {
		checkDecodeErr(t, err, n)
	}
	if r, err := f.Register(); err == nil {
		if raw, err := AppendFrame(nil, f.Header, r); err == nil {
			var d Decoder
			if f2, err := d.Decode(raw); err != nil {
				t.Fatalf("re-encoded register: %v", err)
			} else if _, err := f2.Register(); err != nil {
				t.Fatalf("re-encoded register: %v", err)
			}
		}
	} else {
		checkDecodeErr(t, err, n)
	}
	for _, fn := range []func() error{
		func() error { _, err := f.Auth(); return err },
		func() error { _, err := f.PlatformReply(); return err },
		func() error { _, err := f.TerminalReply(); return err },
		func() error { _, err := f.RegisterReply(); return err },
		func() error { _, err := f.AlarmAck(); return err },
	} {
		checkDecodeErr(t, fn(), n)
	}
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	c.n++
	return c.r.Read(p)
}
