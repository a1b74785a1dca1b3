package jt808

import (
	"bytes"
	"encoding/hex"
	"reflect"
	"strings"
	"testing"
	"time"
)

func unhex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// TestReplyBytes compares encoded platform messages with frames assembled by hand (check codes
// computed apart from this package).
func TestReplyBytes(t *testing.T) {
	h2013 := Header{Phone: MustPhone("112233445566"), Serial: 1}
	h2019 := Header{Version2019: true, ProtocolVersion: 1, Phone: MustPhone("00000000013912345678"), Serial: 2}
	for _, c := range []struct {
		name string
		h    Header
		m    Message
		want string
	}{
		{"0x8001 ok to 0x0200 serial 0x22b8", h2013, PlatformReply{ReplySerial: 0x22b8, ReplyID: 0x0200}, "7E 8001 0005 112233445566 0001 22B8 0200 00 6A 7E"},
		// serial 0x007e is escaped, the 2019 header has version 1 and 20 digits
		{"0x8100 ok with code, 2019", h2019, RegisterReply{ReplySerial: 0x7e, AuthCode: "AUTH"}, "7E 8100 4007 01 00000000013912345678 0002 007D02 00 41555448 83 7E"},
		{"0x8203", Header{Phone: MustPhone("013912345678"), Serial: 3}, AlarmAck{AlarmType: 1}, "7E 8203 0006 013912345678 0003 0000 00000001 B5 7E"},
	} {
		got, err := AppendFrame(nil, c.h, c.m)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if want := unhex(c.want); !bytes.Equal(got, want) {
			t.Errorf("%s:\n%X\nwant\n%X", c.name, got, want)
		}
	}
}

// TestMessagesRoundTrip encodes every message type under both headers and decodes it back.
func TestMessagesRoundTrip(t *testing.T) {
	at := time.Date(2026, 3, 1, 2, 3, 4, 0, time.UTC)
	loc := Location{Alarm: 1 << 15, Status: StatusACC | StatusFixed, Lat: 37182345, Lon: 119942100, Altitude: 12,
		Speed: 453, Heading: 271, Time: at, Has: HasMileage | HasFuel | HasRecorderSpeed | HasSatellites | HasSignal,
		Mileage: 123456, Fuel: 0x7e7d, RecorderSpeed: 450, Satellites: 9, Signal: 31}
	south := loc
	south.Lat, south.Lon, south.Has = -33856000, -70650000, 0
	for _, v2019 := range []bool{false, true} {
		h := Header{Phone: MustPhone("013912345678"), Serial: 0x7d7e, Version2019: v2019}
		if v2019 {
			h.ProtocolVersion, h.Phone = 1, MustPhone("01234567890123456789")
		}
		var d Decoder
		decode := func(m Message) *Frame {
			t.Helper()
			raw, err := AppendFrame(nil, h, m)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.IndexByte(raw[1:len(raw)-1], Delimiter) >= 0 {
				t.Fatalf("%X: an unescaped 0x7e", raw)
			}
			f, err := d.Decode(raw)
			if err != nil {
				t.Fatalf("%T (2019 %v): %v", m, v2019, err)
			}
			if f.MsgID != m.MsgID() || f.Phone != h.Phone || f.Serial != h.Serial || f.Version2019 != v2019 {
				t.Fatalf("%T: header %+v, want %+v", m, f.Header, h)
			}
			return &f
		}
		if l, err := decode(loc).Location(); err != nil || l.Extra == nil {
			t.Errorf("location: %v", err)
		} else {
			l.Extra = nil
			if !l.Time.Equal(loc.Time) || !reflect.DeepEqual(withoutTime(l), withoutTime(loc)) {
				t.Errorf("location\n%+v\nwant\n%+v", l, loc)
			}
		}
		if l, err := decode(south).Location(); err != nil || l.Lat != south.Lat || l.Lon != south.Lon ||
			l.Status != south.Status|StatusSouth|StatusWest {
			t.Errorf("south-west location %+v, %v", l, err)
		}
		lb := LocationBatch{Type: BatchBlind, Locations: []Location{loc, south}}
		if got, err := decode(lb).LocationBatch(nil); err != nil || len(got.Locations) != 2 || got.Type != BatchBlind ||
			got.Locations[1].Lat != south.Lat || got.Locations[0].Mileage != loc.Mileage {
			t.Errorf("batch %+v, %v", got, err)
		}
		r := Register{Edition: 2013, Province: 37, City: 683, Maker: "YT001", Model: "YT-808", TerminalID: "T000001",
			PlateColor: 2, Plate: "鲁F12345"}
		if v2019 {
			r.Edition, r.Maker, r.TerminalID = 2019, "37068300001", "TERMINAL-0000000000001"
		}
		if got, err := decode(r).Register(); err != nil || got != r {
			t.Errorf("register %+v, %v, want %+v", got, err, r)
		}
		a := Auth{Code: "c0de~}"}
		if v2019 {
			a.IMEI, a.Software = "861234567890123", "V1.0.2"
		}
		if got, err := decode(a).Auth(); err != nil || got != a {
			t.Errorf("auth %+v, %v, want %+v", got, err, a)
		}
		if got, err := decode(TerminalReply{ReplySerial: 9, ReplyID: MsgAlarmAck, Result: ResultOK}).TerminalReply(); err != nil ||
			got != (TerminalReply{ReplySerial: 9, ReplyID: MsgAlarmAck}) {
			t.Errorf("terminal reply %+v, %v", got, err)
		}
		if got, err := decode(PlatformReply{ReplySerial: 9, ReplyID: MsgLocation, Result: ResultBadMessage}).PlatformReply(); err != nil ||
			got.Result != ResultBadMessage {
			t.Errorf("platform reply %+v, %v", got, err)
		}
		if got, err := decode(RegisterReply{ReplySerial: 4, Result: RegisterNoTerminal, AuthCode: "ignored"}).RegisterReply(); err != nil ||
			got != (RegisterReply{ReplySerial: 4, Result: RegisterNoTerminal}) {
			t.Errorf("register reply %+v, %v", got, err)
		}
		if got, err := decode(AlarmAck{Serial: 7, AlarmType: 1 << 3}).AlarmAck(); err != nil || got != (AlarmAck{Serial: 7, AlarmType: 8}) {
			t.Errorf("alarm ack %+v, %v", got, err)
		}
		if f := decode(Heartbeat{}); len(f.Body) != 0 {
			t.Errorf("heartbeat body %X", f.Body)
		}
		decode(Deregister{})
	}
}

// TestDecodeErrors: each kind of bad frame, and where it is.
func TestDecodeErrors(t *testing.T) {
	good, err := AppendFrame(nil, Header{Phone: MustPhone("013912345678"), Serial: 1}, Heartbeat{})
	if err != nil {
		t.Fatal(err)
	}
	// 7E 0002 0000 013912345678 0001 cs 7E: 15 bytes
	with := func(i int, b byte) []byte {
		c := bytes.Clone(good)
		c[i] = b
		return c
	}
	// a frame whose check code is 0x7e, so it is escaped: the check code error names the 0x7d
	escCS, err := AppendFrame(nil, Header{Phone: MustPhone("000000000000"), Serial: 0x7e02}, Heartbeat{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(escCS, []byte{0x7d, 0x02, 0x7e}) {
		t.Fatalf("%X: want a check code of 0x7e", escCS)
	}
	badCS := bytes.Clone(escCS)
	badCS[len(badCS)-2] = 0x01 // 0x7d 0x01: 0x7d
	cut2019 := unhex("7E 0002 4000 01 0000000000 0000 00 7E")
	cut2019[len(cut2019)-2] = xor(cut2019[1 : len(cut2019)-2])
	split := unhex("7E 0200 2000 013912345678 0001 0002 0003 00 7E")
	split[len(split)-2] = xor(split[1 : len(split)-2])
	long := unhex("7E 0002 0001 013912345678 0001 00 7E") // one body byte announced, none sent
	long[len(long)-2] = xor(long[1 : len(long)-2])
	for _, c := range []struct {
		name     string
		frame    []byte
		kind     ErrorKind
		offset   int
		headerOK bool
	}{
		{"no delimiters", good[1 : len(good)-1], KindFraming, 0, false},
		{"0x7e inside", with(5, Delimiter), KindFraming, 5, false},
		{"bad escape", with(6, Escape), KindEscape, 6, false},
		{"escape at the end", with(13, Escape), KindEscape, 13, false},
		{"truncated", unhex("7E 0002 0000 0139 7E"), KindTruncated, 7, false},
		{"checksum", with(13, good[13]^1), KindChecksum, 13, true},
		{"escaped checksum", badCS, KindChecksum, len(badCS) - 3, true},
		{"sub-packet 3 of 2", split, KindHeader, 13, true},
		{"length", long, KindLength, 13, true},
		{"2019 header cut", cut2019, KindTruncated, 13, false},
	} {
		var d Decoder
		_, err := d.Decode(c.frame)
		de, ok := err.(*DecodeError)
		if !ok {
			t.Errorf("%s: error %v, want a *DecodeError", c.name, err)
			continue
		}
		if de.Kind != c.kind || de.Offset != c.offset || de.HeaderOK != c.headerOK {
			t.Errorf("%s: %v (kind %s offset %d header %v), want %s at %d header %v", c.name, err, de.Kind, de.Offset,
				de.HeaderOK, c.kind, c.offset, c.headerOK)
		}
		if KindOf(err) != c.kind {
			t.Errorf("%s: KindOf %s", c.name, KindOf(err))
		}
	}

	// body errors name the byte of the body in the frame
	var d Decoder
	l := Location{Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Extra: []byte{0x01, 4, 0, 0}}
	raw, err := AppendFrame(nil, Header{Phone: MustPhone("013912345678")}, l)
	if err != nil {
		t.Fatal(err)
	}
	f, err := d.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Location(); KindOf(err) != KindTruncated || err.(*DecodeError).Offset != 1+12+28 {
		t.Errorf("cut item: %v, want truncated at byte %d", err, 1+12+28)
	}
	body, err := Location{Time: l.Time}.AppendBody(nil, false)
	if err != nil {
		t.Fatal(err)
	}
	body[23] = 0x13 // month 13
	if raw, err = AppendRaw(nil, Header{MsgID: MsgLocation, Phone: MustPhone("013912345678")}, body); err != nil {
		t.Fatal(err)
	}
	f, err = d.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Location(); KindOf(err) != KindBody || err.(*DecodeError).Offset != 1+12+22 {
		t.Errorf("month 13: %v, want a body error at byte %d", err, 1+12+22)
	}
}

func TestPhone(t *testing.T) {
	p := MustPhone("013912345678")
	if p.String() != "013912345678" || !p.Is("013912345678") || p.Is("013912345679") || p.Is("13912345678") {
		t.Errorf("phone %s", p)
	}
	// a 12-digit phone in a 2019 header is left-padded; the terminal id is then 20 digits
	raw, err := AppendFrame(nil, Header{Version2019: true, ProtocolVersion: 1, Phone: p}, Heartbeat{})
	if err != nil {
		t.Fatal(err)
	}
	var d Decoder
	f, err := d.Decode(raw)
	if err != nil || f.Phone.String() != "00000000013912345678" {
		t.Errorf("2019 phone %s, %v", f.Phone, err)
	}
	if _, err := AppendFrame(nil, Header{Phone: MustPhone("12345678901234567890")}, Heartbeat{}); err == nil {
		t.Error("a 20-digit phone fitted a 2013 header")
	}
	for _, bad := range []string{"", "0139123456", "01391234567x", "013912345678901"} {
		if _, err := ParsePhone(bad); err == nil {
			t.Errorf("ParsePhone(%q) accepted", bad)
		}
	}
	if p, err := ParsePhone("4EB6FB4AFD9E"); err != nil || p.String() != "4eb6fb4afd9e" {
		t.Errorf("hex phone %s, %v", p, err)
	}
}

func TestBodyTooLong(t *testing.T) {
	locs := make([]Location, 40)
	for i := range locs {
		locs[i] = Location{Time: time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC)}
	}
	if _, err := AppendFrame(nil, Header{Phone: MustPhone("013912345678")}, LocationBatch{Locations: locs}); err == nil {
		t.Error("a 1,123-byte body encoded in one frame")
	}
}

func withoutTime(l Location) Location {
	l.Time = time.Time{}
	return l
}
