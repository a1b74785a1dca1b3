package jt808

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"regexp"
	"strconv"
	"testing"
	"time"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.DateTime, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestSmallChi0200 decodes the two SmallChi frames and asserts every value that file gives.
func TestSmallChi0200(t *testing.T) {
	frames := readSmallChi(t)
	if len(frames) != 2 {
		t.Fatalf("%d frames in smallchi_jt808_0200_expected.txt, want 2", len(frames))
	}
	var d Decoder
	for _, sf := range frames {
		t.Run(sf.name, func(t *testing.T) {
			f, err := d.Decode(sf.raw)
			if err != nil {
				t.Fatal(err)
			}
			// [frame A] Test5: msg 0x0200, body length 38, terminal 112233445566, msgNum 8888, …
			for _, c := range []struct{ re, got string }{
				{`msg 0x([0-9A-Fa-f]{4})`, strconv.FormatUint(uint64(f.MsgID)|0x10000, 16)[1:]},
				{`body length (\d+)`, strconv.Itoa(f.BodyLen)},
				{`terminal (\d+)`, f.Phone.String()},
				{`msgNum (\d+)`, strconv.Itoa(int(f.Serial))},
			} {
				m := regexp.MustCompile(c.re).FindStringSubmatch(sf.title)
				if m == nil {
					t.Fatalf("no %s in %q", c.re, sf.title)
				}
				if c.got != m[1] {
					t.Errorf("%s: got %s, want %s", c.re, c.got, m[1])
				}
			}
			if f.Split || f.Encryption != 0 || f.Version2019 {
				t.Errorf("split %v encryption %d 2019 %v, want a plain 2013 frame", f.Split, f.Encryption, f.Version2019)
			}
			l, err := f.Location()
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{
				"alarm":     strconv.FormatUint(uint64(l.Alarm), 10),
				"status":    strconv.FormatUint(uint64(l.Status), 10),
				"lat":       strconv.Itoa(int(l.Lat)),
				"lng":       strconv.Itoa(int(l.Lon)),
				"altitude":  strconv.Itoa(int(l.Altitude)),
				"speed":     strconv.Itoa(int(l.Speed)),
				"direction": strconv.Itoa(int(l.Heading)),
				// the file gives the terminal's GMT+8 clock
				"time":    l.Time.Add(8 * time.Hour).Format(time.DateTime),
				"mileage": strconv.FormatUint(uint64(l.Mileage), 10),
				"oil":     strconv.Itoa(int(l.Fuel)),
			}
			if len(sf.expect) != len(got) {
				t.Errorf("the file expects %d values (%v), the test checks %d", len(sf.expect), sf.expect, len(got))
			}
			for k, want := range sf.expect {
				if got[k] != want {
					t.Errorf("%s = %s, want %s", k, got[k], want)
				}
			}
			if l.Has&(HasMileage|HasFuel) != HasMileage|HasFuel {
				t.Errorf("items %b: mileage and fuel not both read", l.Has)
			}
			if l.Time.Location() != time.UTC {
				t.Errorf("time %v is not UTC", l.Time)
			}
			roundTrip(t, &f, l, sf.raw)
		})
	}
}

// roundTrip re-encodes a decoded location under its header and wants the frame it came from.
func roundTrip(t *testing.T, f *Frame, m Message, raw []byte) {
	t.Helper()
	out, err := AppendFrame(nil, f.Header, m)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, raw) {
		t.Errorf("re-encoded\n%X\nwant\n%X", out, raw)
	}
}

type tracWant struct {
	kind  ErrorKind // refused with this kind; 0 when the frame decodes
	msg   uint16
	phone string
	check func(t *testing.T, f *Frame)
}

type locCheck func(t *testing.T, l *Location)

func checkLoc(t *testing.T, l *Location, lat, lon int32, at string, more []locCheck) {
	t.Helper()
	if l.Lat != lat || l.Lon != lon {
		t.Errorf("lat, lon %d, %d, want %d, %d", l.Lat, l.Lon, lat, lon)
	}
	if !l.Time.Equal(utc(at)) {
		t.Errorf("time %v, want %s UTC", l.Time, at)
	}
	for _, m := range more {
		m(t, l)
	}
}

// loc checks a 0x0200 frame's location.
func loc(lat, lon int32, at string, more ...locCheck) func(t *testing.T, f *Frame) {
	return func(t *testing.T, f *Frame) {
		l, err := f.Location()
		if err != nil {
			t.Fatal(err)
		}
		checkLoc(t, &l, lat, lon, at, more)
	}
}

// batch checks a 0x0704 frame: its type and size, and its first location.
func batch(typ uint8, n int, lat, lon int32, at string, more ...locCheck) func(t *testing.T, f *Frame) {
	return func(t *testing.T, f *Frame) {
		lb, err := f.LocationBatch(nil)
		if err != nil {
			t.Fatal(err)
		}
		if lb.Type != typ || len(lb.Locations) != n {
			t.Fatalf("batch type %d with %d locations, want type %d with %d", lb.Type, len(lb.Locations), typ, n)
		}
		checkLoc(t, &lb.Locations[0], lat, lon, at, more)
	}
}

func reg(want Register) func(t *testing.T, f *Frame) {
	return func(t *testing.T, f *Frame) {
		r, err := f.Register()
		if err != nil {
			t.Fatal(err)
		}
		if r != want {
			t.Errorf("register\n%+v\nwant\n%+v", r, want)
		}
	}
}

func mileage(m uint32) locCheck {
	return func(t *testing.T, l *Location) {
		if l.Has&HasMileage == 0 || l.Mileage != m {
			t.Errorf("mileage %d (has %v), want %d", l.Mileage, l.Has&HasMileage != 0, m)
		}
	}
}

func satellites(n uint8) locCheck {
	return func(t *testing.T, l *Location) {
		if l.Has&HasSatellites == 0 || l.Satellites != n {
			t.Errorf("satellites %d (has %v), want %d", l.Satellites, l.Has&HasSatellites != 0, n)
		}
	}
}

// The expectations for traccar_jt808_frames_a.tsv, by frame number. Values were read from the bytes by
// hand; where traccar's column names a value this decoder reads (satellites, the raw video alarm
// item), it is checked too. Vendor extensions that traccar decodes (battery, power, ICCID, tyres,
// locks, …) are not claimed.
var tracWants = map[int]tracWant{
	1:  {msg: 0x0704, phone: "014450376202", check: batch(BatchBlind, 1, 33697808, 116954088, "2026-08-17 14:18:12", mileage(0x36c9), satellites(14))},
	3:  {msg: 0x0200, phone: "000000000000", check: loc(0, 0, "2026-06-15 02:57:25", mileage(100), satellites(12))},
	5:  {msg: 0x0100, phone: "00000866496077582164"},
	7:  {msg: 0x0200, phone: "794308010679", check: loc(-25269608, -57602956, "2025-11-18 03:26:11")},
	9:  {msg: 0x0200, phone: "009590068983", check: loc(10631496, -61416952, "2025-11-24 03:51:47", mileage(62))},
	11: {msg: 0x0200, phone: "009590068983", check: loc(10631496, -61416952, "2025-11-24 03:51:47")},
	13: {msg: 0x0704, phone: "4eb6fb4afd9e", check: batch(BatchBlind, 6, 32875911, 13247685, "2025-11-12 07:45:45")},
	15: {msg: 0x0200, phone: "014542655112", check: loc(10203620, -83787988, "2025-06-09 15:01:42", mileage(0x1547c), func(t *testing.T, l *Location) {
		// traccar: "videoAlarm" 4, item 0x14 (kept raw here)
		for id, v := range l.Items() {
			if id == 0x14 {
				if hex.EncodeToString(v) != "00000004" {
					t.Errorf("item 0x14 = %x, want 00000004", v)
				}
				return
			}
		}
		t.Error("no item 0x14")
	})},
	17: {msg: 0x0200, phone: "014310709432", check: loc(13728691, 100730873, "2025-04-23 04:21:40")},
	19: {kind: KindFraming}, // unescaped 0x7e in a tyre item
	21: {msg: 0x0200, phone: "012076463279", check: loc(22837943, 114426985, "2025-04-02 08:36:26")},
	23: {msg: 0x0900, phone: "018178393931"},
	25: {msg: 0x0200, phone: "014164192753", check: loc(22586145, 113907324, "2024-11-15 06:59:45")},
	27: {msg: 0x0200, phone: "413057160185", check: loc(-23404231, -46853220, "2024-08-24 15:48:50")},
	29: {msg: 0x0200, phone: "017051564189", check: loc(22609778, 114106188, "2020-11-22 03:56:39")},
	31: {msg: 0x0200, phone: "010050376964", check: loc(28961528, -81325702, "2024-05-06 19:51:52")},
	33: {kind: KindLength, msg: 0x5501, phone: "856009001017"}, // vendor lock message with a 1-byte serial
	35: {kind: KindLength, msg: 0x5502, phone: "850011000200"},
	37: {msg: 0x0200, phone: "440061018577", check: loc(-6290315, 106809488, "2023-09-07 21:13:40")},
	39: {msg: 0x0200, phone: "014501643822", check: loc(0, 0, "2023-06-15 06:39:03")},
	41: {msg: 0x0200, phone: "768061118983", check: loc(-6107478, 106918184, "2023-05-11 08:59:56")},
	43: {msg: 0x0200, phone: "017028775424", check: loc(25811947, -80373050, "2023-04-06 16:07:44")},
	45: {kind: KindFraming},
	47: {msg: 0x0200, phone: "079042262206", check: loc(52276237, 4744435, "2022-12-29 02:03:22", mileage(0x179a7))},
	49: {msg: 0x0210, phone: "010036526447"},
	51: {kind: KindEscape}, // 7d a0
	53: {msg: 0x0200, phone: "200002604323", check: loc(22591764, 113995783, "2022-05-12 02:11:38", func(t *testing.T, l *Location) {
		if l.Has&HasRecorderSpeed == 0 || l.RecorderSpeed != 0 {
			t.Errorf("recorder speed %d (has %v), want 0", l.RecorderSpeed, l.Has&HasRecorderSpeed != 0)
		}
	})},
	55: {msg: 0x0100, phone: "013345678906", check: reg(Register{Edition: 2011, Province: 0x2c, City: 0x12f,
		Maker: "70111", Model: "BSJ-M7B", TerminalID: "0000000", PlateColor: 1, Plate: "粤B88888"})},
	57: {kind: KindFraming},
	59: {msg: 0x0200, phone: "019171844754", check: loc(43953090, -79329361, "2021-11-18 15:21:12")},
	61: {msg: 0x0704, phone: "046110426684", check: batch(BatchBlind, 6, 0, 0, "2021-03-14 02:53:00")},
	63: {msg: 0x0200, phone: "202011200010", check: loc(22590208, 113852133, "2020-11-27 08:29:37")},
	65: {msg: 0x0704, phone: "079041168750", check: batch(BatchBlind, 3, 33576916, -7535516, "2020-09-02 07:23:03", func(t *testing.T, l *Location) {
		if l.Speed != 370 || l.Heading != 242 || l.Altitude != 100 {
			t.Errorf("speed %d heading %d altitude %d, want 370 242 100", l.Speed, l.Heading, l.Altitude)
		}
	})},
	67: {kind: KindFraming}, // an ASCII "(…)" frame
	69: {kind: KindLength, msg: 0x5502, phone: "740190311185"},
	71: {msg: 0x0200, phone: "032041872904", check: loc(22740109, 114373846, "2020-04-01 02:06:34")},
	73: {msg: 0x0200, phone: "086031592715", check: loc(22690842, 113799992, "2019-10-30 14:18:36")},
	75: {msg: 0x0200, phone: "030300000228", check: loc(23169716, 113450696, "2018-09-21 08:14:57", mileage(0x478))},
	77: {msg: 0x0704, phone: "013567777777", check: batch(BatchBlind, 8, 22639634, 114031952, "2016-05-27 01:06:24", func(t *testing.T, l *Location) {
		if l.Has&HasRecorderSpeed == 0 || l.Altitude != 370 {
			t.Errorf("items %b altitude %d, want a recorder speed and 370 m", l.Has, l.Altitude)
		}
	})},
	79: {msg: 0x0704, phone: "030300000245", check: batch(BatchBlind, 4, 23169734, 113450784, "2018-05-14 12:28:47")},
	81: {msg: 0x0200, phone: "001601285614", check: loc(6152695, 106720495, "2017-01-17 02:04:42", mileage(0xa900))},
	83: {msg: 0x0100, phone: "014130567872", check: reg(Register{Edition: 2013, Province: 0x2c, City: 0x12f,
		Maker: "70111", Model: "BSJ-A6-BD", TerminalID: "0567872", PlateColor: 1, Plate: "粤B88888"})},
	85: {msg: 0x0100, phone: "007089994489", check: reg(Register{Edition: 2013,
		Model: "HB-R03GBD", TerminalID: "1906751", PlateColor: 2, Plate: "ABC00000"})},
	87: {kind: KindChecksum, msg: 0x0200, phone: "013511221122"}, // and 10 body bytes short
	// 2011 widths; the terminal id holds 00 and the phone in BCD, so it reads as hex digits.
	89:  {msg: 0x0100, phone: "094027849470", check: reg(Register{Edition: 2011, TerminalID: "00094027849470"})},
	91:  {msg: 0x0200, phone: "001401249917", check: loc(-19591535, -46912186, "2015-01-01 11:42:57", mileage(0x77))},
	93:  {msg: 0x0200, phone: "413056480105", check: loc(-23404078, -46853176, "2024-06-26 08:00:21")},
	95:  {msg: 0x0200, phone: "019111110000", check: loc(45554290, 9288608, "2025-07-02 00:08:29")},
	97:  {kind: KindFraming},
	99:  {msg: 0x0210, phone: "045460002319"},
	101: {msg: 0x1007, phone: "045460002319"},
	103: {msg: 0x0200, phone: "019111110000", check: loc(45554290, 9288608, "2025-07-02 00:08:29")},
	105: {kind: KindChecksum, msg: 0x0200, phone: "4eb6fb4ad628"},
	107: {kind: KindChecksum, msg: 0x0200, phone: "4eb6fb4ad628"},
	109: {kind: KindChecksum, msg: 0x0200, phone: "045460004745"},
	111: {kind: KindLength, msg: 0x0900, phone: "413050338598"}, // 122 bytes announced, 107 sent
}

// TestTraccarFrames decodes each of the 57 traccar frames or refuses it with the expected kind.
func TestTraccarFrames(t *testing.T) {
	rows := readTraccar(t)
	// The data README counts 57 frames; the file holds 56 (numbered 1, 3, …, 111).
	if len(rows) != 56 {
		t.Fatalf("%d frames in traccar_jt808_frames_a.tsv, want 56", len(rows))
	}
	seen := map[int]bool{}
	var d Decoder
	for _, r := range rows {
		w, ok := tracWants[r.n]
		if !ok {
			t.Errorf("frame %d has no expectation", r.n)
			continue
		}
		seen[r.n] = true
		t.Run(strconv.Itoa(r.n), func(t *testing.T) {
			f, err := d.Decode(r.raw)
			if w.kind != 0 {
				var de *DecodeError
				if !errors.As(err, &de) {
					t.Fatalf("decoded (msg %04x, error %v), want a %s error", f.MsgID, err, w.kind)
				}
				if de.Kind != w.kind {
					t.Fatalf("%v: kind %s, want %s", err, de.Kind, w.kind)
				}
				if de.Offset < 0 || de.Offset >= len(r.raw) {
					t.Errorf("%v: offset outside the frame of %d bytes", err, len(r.raw))
				}
				if w.msg != 0 {
					if !de.HeaderOK || de.Header.MsgID != w.msg || de.Header.Phone.String() != w.phone {
						t.Errorf("%v: header read %v (msg %04x phone %s), want msg %04x phone %s", err,
							de.HeaderOK, de.Header.MsgID, de.Header.Phone, w.msg, w.phone)
					}
				} else if de.HeaderOK {
					t.Errorf("%v: a header read from a frame that has none", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if col := strconv.FormatUint(uint64(f.MsgID)|0x10000, 16)[1:]; col != r.msg {
				t.Errorf("msg %s, the file's column says %s", col, r.msg)
			}
			if f.MsgID != w.msg || f.Phone.String() != w.phone || !f.Phone.Is(w.phone) {
				t.Errorf("msg %04x phone %s, want %04x %s", f.MsgID, f.Phone, w.msg, w.phone)
			}
			switch f.MsgID {
			case MsgLocation:
				l, err := f.Location()
				if err != nil {
					t.Fatal(err)
				}
				plausible(t, &l)
				roundTrip(t, &f, l, r.raw)
			case MsgLocationBatch:
				lb, err := f.LocationBatch(nil)
				if err != nil {
					t.Fatal(err)
				}
				for i := range lb.Locations {
					plausible(t, &lb.Locations[i])
				}
				roundTrip(t, &f, lb, r.raw)
			case MsgRegister:
				if _, err := f.Register(); err != nil {
					t.Fatal(err)
				}
			}
			if w.check != nil {
				w.check(t, &f)
			}
		})
	}
	for n := range tracWants {
		if !seen[n] {
			t.Errorf("an expectation for frame %d, which the file lacks", n)
		}
	}
}

func plausible(t *testing.T, l *Location) {
	t.Helper()
	if l.Lat < -90e6 || l.Lat > 90e6 || l.Lon < -180e6 || l.Lon > 180e6 {
		t.Errorf("lat, lon %d, %d out of range", l.Lat, l.Lon)
	}
	if l.Time.Before(utc("2010-01-01 00:00:00")) || !l.Time.Before(utc("2027-01-01 00:00:00")) {
		t.Errorf("time %v outside 2010–2026", l.Time)
	}
	if l.Heading >= 360 || l.Speed > 2500 {
		t.Errorf("heading %d speed %d", l.Heading, l.Speed)
	}
}

// TestRegister2019 reads the 2019 register frame (traccar frame 5): 20-digit phone, protocol
// version 1, 2019 field widths.
func TestRegister2019(t *testing.T) {
	var raw []byte
	for _, r := range readTraccar(t) {
		if r.n == 5 {
			raw = r.raw
		}
	}
	var d Decoder
	f, err := d.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !f.Version2019 || f.ProtocolVersion != 1 || f.Phone.Digits() != 20 || f.Serial != 0x5218 {
		t.Errorf("header %+v, want 2019, version 1, 20 digits, serial 0x5218", f.Header)
	}
	r, err := f.Register()
	if err != nil {
		t.Fatal(err)
	}
	// The plate colour byte is 4 and the plate 16 bytes of 0x00.
	want := Register{Edition: 2019, Model: "MD300", TerminalID: "866496077582164", PlateColor: 4}
	if r != want {
		t.Errorf("register\n%+v\nwant\n%+v", r, want)
	}
	// Re-encoded (without the plate's padding) it reads the same.
	out, err := AppendFrame(nil, f.Header, r)
	if err != nil {
		t.Fatal(err)
	}
	f2, err := d.Decode(out)
	if err != nil {
		t.Fatal(err)
	}
	if r2, err := f2.Register(); err != nil || r2 != r || f2.Header.Phone != f.Phone || !f2.Version2019 {
		t.Errorf("re-encoded register reads %+v, %v (header %+v)", r2, err, f2.Header)
	}
}

// TestUnescapedDelimiterSplits: the frames whose senders did not escape a 0x7e split in a stream,
// and none of the pieces decodes.
func TestUnescapedDelimiterSplits(t *testing.T) {
	for _, r := range readTraccar(t) {
		if w := tracWants[r.n]; w.kind != KindFraming || r.raw[0] != Delimiter {
			continue
		}
		fr := NewFrameReader(bytes.NewReader(r.raw), 4096)
		var d Decoder
		pieces := 0
		for {
			c, err := fr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("frame %d: %v", r.n, err)
			}
			pieces++
			if f, err := d.DecodeContent(c); err == nil {
				t.Errorf("frame %d: piece %d decoded as %04x", r.n, pieces, f.MsgID)
			}
		}
		if pieces < 2 {
			t.Errorf("frame %d: %d pieces", r.n, pieces)
		}
	}
}
