package jt808

import (
	"bytes"
	"io"
	"testing"
	"time"
)

// bigBatch is a 0x0704 of n locations: 40 make a 1,123-byte body, too long for one frame.
func bigBatch(n int) LocationBatch {
	lb := LocationBatch{Type: BatchBlind}
	for i := range n {
		lb.Locations = append(lb.Locations, Location{Status: StatusFixed, Lat: 37180000 + int32(i), Lon: 119940000,
			Time: time.Date(2026, 5, 1, 0, 0, i, 0, time.UTC), Has: HasMileage, Mileage: uint32(i)})
	}
	return lb
}

// packets splits m into sub-packets and decodes them (each into its own frame, bodies copied).
func packets(t *testing.T, h Header, m Message, size int) []Frame {
	t.Helper()
	raw, n, err := AppendPackets(nil, h, m, size)
	if err != nil {
		t.Fatal(err)
	}
	fr := NewFrameReader(bytes.NewReader(raw), 4096)
	var out []Frame
	for {
		c, err := fr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var d Decoder
		f, err := d.DecodeContent(c)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, f)
	}
	if len(out) != n {
		t.Fatalf("%d frames read, %d written", len(out), n)
	}
	return out
}

func TestReassembly(t *testing.T) {
	h := Header{Phone: MustPhone("013912345678"), Serial: 100}
	lb := bigBatch(40)
	ps := packets(t, h, lb, 500)
	if len(ps) != 3 || !ps[0].Split || ps[2].Index != 3 || ps[2].Total != 3 || ps[2].Serial != 102 {
		t.Fatalf("%d packets, last %+v", len(ps), ps[len(ps)-1].Header)
	}
	t0 := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	r := NewReassembler(64<<10, 30*time.Second)
	// out of order, with a duplicate
	for i, k := range []int{1, 0, 1} {
		if _, done, err := r.Add(ps[k], t0); done || err != nil {
			t.Fatalf("packet %d (%d): done %v, %v", i, k, done, err)
		}
	}
	whole, done, err := r.Add(ps[2], t0.Add(time.Second))
	if !done || err != nil {
		t.Fatalf("last packet: done %v, %v", done, err)
	}
	if whole.Split || whole.MsgID != MsgLocationBatch || whole.Serial != 102 || whole.BodyLen != len(whole.Body) {
		t.Errorf("whole header %+v", whole.Header)
	}
	got, err := whole.LocationBatch(nil)
	if err != nil || len(got.Locations) != 40 || got.Locations[39].Mileage != 39 {
		t.Fatalf("reassembled batch: %d locations, %v", len(got.Locations), err)
	}
	if m, b := r.Pending(); m != 0 || b != 0 || r.TakeGivenUp() != 0 {
		t.Errorf("pending %d messages %d bytes after completion", m, b)
	}

	// a missing packet: given up after the timeout
	r.Add(ps[0], t0)
	r.Add(ps[1], t0)
	r.Expire(t0.Add(29 * time.Second))
	if m, _ := r.Pending(); m != 1 {
		t.Errorf("%d pending before the timeout", m)
	}
	r.Expire(t0.Add(31 * time.Second))
	if m, b := r.Pending(); m != 0 || b != 0 || r.TakeGivenUp() != 1 {
		t.Errorf("pending %d messages %d bytes after the timeout", m, b)
	}

	// a new message with another total replaces a pending one
	r.Add(ps[0], t0)
	other := packets(t, h, bigBatch(30), 300) // 4 packets
	r.Add(other[0], t0)
	if m, _ := r.Pending(); m != 1 || r.TakeGivenUp() != 1 {
		t.Errorf("pending %d after a new total", m)
	}
	r.Expire(t0.Add(time.Hour))
	r.TakeGivenUp()

	// the memory bound
	small := NewReassembler(700, time.Minute)
	if _, _, err := small.Add(ps[0], t0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := small.Add(ps[1], t0); KindOf(err) != KindReassembly {
		t.Errorf("over the bound: %v", err)
	}
	if m, b := small.Pending(); m != 0 || b != 0 || small.TakeGivenUp() != 1 {
		t.Errorf("pending %d messages %d bytes after the bound", m, b)
	}
}
