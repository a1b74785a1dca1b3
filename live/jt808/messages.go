package jt808

import (
	"encoding/binary"
	"errors"
	"iter"
	"strconv"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// Message ids.
const (
	MsgTerminalReply = 0x0001 // terminal general reply
	MsgHeartbeat     = 0x0002
	MsgDeregister    = 0x0003 // terminal deregistration (注销)
	MsgRegister      = 0x0100
	MsgAuth          = 0x0102 // terminal authentication (鉴权)
	MsgLocation      = 0x0200
	MsgLocationBatch = 0x0704 // batch upload of locations, normal or blind-area resend
	MsgPlatformReply = 0x8001 // platform general reply
	MsgRegisterReply = 0x8100
	MsgAlarmAck      = 0x8203 // manual acknowledgement of alarms
)

// Message is a message body this package can encode, for AppendFrame.
type Message interface {
	MsgID() uint16
	// AppendBody appends the body, laid out for the 2019 header's edition when v2019.
	AppendBody(dst []byte, v2019 bool) ([]byte, error)
}

// bodyErr is a DecodeError at offset off of f's body.
func (f *Frame) bodyErr(kind ErrorKind, off int, what string) *DecodeError {
	o := off
	if f.raw != nil {
		o = rawOffset(f.raw, f.bodyOff+off)
	}
	return &DecodeError{Kind: kind, Offset: o, What: what, Header: f.Header, HeaderOK: true}
}

func (f *Frame) short(off, need int, field string) *DecodeError {
	return f.bodyErr(KindTruncated, off, field+" needs "+strconv.Itoa(need)+" bytes, the body has "+strconv.Itoa(len(f.Body)-off))
}

// Result is the result of a general reply (0x8001 from the platform, 0x0001 from a terminal).
type Result uint8

// Results of general replies (ResultAlarmAck only from the platform).
const (
	ResultOK          Result = 0
	ResultFailure     Result = 1
	ResultBadMessage  Result = 2
	ResultUnsupported Result = 3
	ResultAlarmAck    Result = 4 // alarm handling confirmed
)

// PlatformReply is the platform general reply (0x8001) to the terminal message ReplySerial of
// ReplyID.
type PlatformReply struct {
	ReplySerial uint16
	ReplyID     uint16
	Result      Result
}

// TerminalReply is the terminal general reply (0x0001) to the platform message ReplySerial of
// ReplyID.
type TerminalReply PlatformReply

func (PlatformReply) MsgID() uint16 { return MsgPlatformReply }
func (TerminalReply) MsgID() uint16 { return MsgTerminalReply }

func (r PlatformReply) AppendBody(dst []byte, _ bool) ([]byte, error) {
	dst = binary.BigEndian.AppendUint16(dst, r.ReplySerial)
	dst = binary.BigEndian.AppendUint16(dst, r.ReplyID)
	return append(dst, byte(r.Result)), nil
}

func (r TerminalReply) AppendBody(dst []byte, v2019 bool) ([]byte, error) {
	return PlatformReply(r).AppendBody(dst, v2019)
}

func (f *Frame) generalReply() (PlatformReply, error) {
	if len(f.Body) < 5 {
		return PlatformReply{}, f.short(0, 5, "general reply")
	}
	return PlatformReply{
		ReplySerial: binary.BigEndian.Uint16(f.Body),
		ReplyID:     binary.BigEndian.Uint16(f.Body[2:]),
		Result:      Result(f.Body[4]),
	}, nil
}

// PlatformReply decodes the body of a 0x8001.
func (f *Frame) PlatformReply() (PlatformReply, error) { return f.generalReply() }

// TerminalReply decodes the body of a 0x0001.
func (f *Frame) TerminalReply() (TerminalReply, error) {
	r, err := f.generalReply()
	return TerminalReply(r), err
}

// RegisterResult is the result of a register reply.
type RegisterResult uint8

// Results of 0x8100.
const (
	RegisterOK            RegisterResult = 0
	RegisterVehicleTaken  RegisterResult = 1 // the vehicle is registered (to another terminal)
	RegisterNoVehicle     RegisterResult = 2 // no such vehicle
	RegisterTerminalTaken RegisterResult = 3 // the terminal is registered (to another vehicle)
	RegisterNoTerminal    RegisterResult = 4 // no such terminal
)

// RegisterReply is the platform's answer (0x8100) to a register message: on RegisterOK it carries the
// authentication code the terminal sends in 0x0102.
type RegisterReply struct {
	ReplySerial uint16
	Result      RegisterResult
	AuthCode    string
}

func (RegisterReply) MsgID() uint16 { return MsgRegisterReply }

func (r RegisterReply) AppendBody(dst []byte, _ bool) ([]byte, error) {
	dst = binary.BigEndian.AppendUint16(dst, r.ReplySerial)
	dst = append(dst, byte(r.Result))
	if r.Result == RegisterOK {
		dst = append(dst, r.AuthCode...)
	}
	return dst, nil
}

// RegisterReply decodes the body of a 0x8100.
func (f *Frame) RegisterReply() (RegisterReply, error) {
	if len(f.Body) < 3 {
		return RegisterReply{}, f.short(0, 3, "register reply")
	}
	r := RegisterReply{ReplySerial: binary.BigEndian.Uint16(f.Body), Result: RegisterResult(f.Body[2])}
	if r.Result == RegisterOK {
		r.AuthCode = string(f.Body[3:])
	}
	return r, nil
}

// AlarmAck is the platform's manual acknowledgement of alarms (0x8203): the serial of the alarm
// message (0 for all alarms of the types) and the alarm bits acknowledged.
type AlarmAck struct {
	Serial    uint16
	AlarmType uint32
}

func (AlarmAck) MsgID() uint16 { return MsgAlarmAck }

func (a AlarmAck) AppendBody(dst []byte, _ bool) ([]byte, error) {
	dst = binary.BigEndian.AppendUint16(dst, a.Serial)
	return binary.BigEndian.AppendUint32(dst, a.AlarmType), nil
}

// AlarmAck decodes the body of a 0x8203.
func (f *Frame) AlarmAck() (AlarmAck, error) {
	if len(f.Body) < 6 {
		return AlarmAck{}, f.short(0, 6, "alarm acknowledgement")
	}
	return AlarmAck{Serial: binary.BigEndian.Uint16(f.Body), AlarmType: binary.BigEndian.Uint32(f.Body[2:])}, nil
}

// Heartbeat (0x0002) and Deregister (0x0003) have empty bodies.
type (
	Heartbeat  struct{}
	Deregister struct{}
)

func (Heartbeat) MsgID() uint16                                 { return MsgHeartbeat }
func (Heartbeat) AppendBody(dst []byte, _ bool) ([]byte, error) { return dst, nil }

func (Deregister) MsgID() uint16                                 { return MsgDeregister }
func (Deregister) AppendBody(dst []byte, _ bool) ([]byte, error) { return dst, nil }

// Register is a terminal's register message (0x0100). Field widths differ by edition: maker id 5,
// model 20, terminal id 7 bytes under 2013; 11, 30, 30 under 2019; 5, 8, 7 under 2011 (still met
// in the field). Text fields are GBK, padded with 0x00.
type Register struct {
	// Edition is 2011, 2013 or 2019: the widths the body was read with. When encoding, a 2019 header
	// selects 2019, otherwise 2013 unless Edition is 2011.
	Edition        int
	Province, City uint16 // administrative division codes (GB/T 2260)
	Maker          string
	Model          string
	TerminalID     string
	PlateColor     uint8  // JT/T 415 colour code; 0: not plated, Plate holds the VIN
	Plate          string // licence plate (粤B88888), or the VIN when PlateColor is 0
}

func (Register) MsgID() uint16 { return MsgRegister }

type registerWidths struct{ maker, model, tid int }

func widths(edition int) registerWidths {
	switch edition {
	case 2011:
		return registerWidths{5, 8, 7}
	case 2019:
		return registerWidths{11, 30, 30}
	}
	return registerWidths{5, 20, 7}
}

func (r Register) AppendBody(dst []byte, v2019 bool) ([]byte, error) {
	ed := 2013
	if v2019 {
		ed = 2019
	} else if r.Edition == 2011 {
		ed = 2011
	}
	w := widths(ed)
	dst = binary.BigEndian.AppendUint16(dst, r.Province)
	dst = binary.BigEndian.AppendUint16(dst, r.City)
	var err error
	if dst, err = appendPadded(dst, "maker id", r.Maker, w.maker); err != nil {
		return dst, err
	}
	if dst, err = appendPadded(dst, "model", r.Model, w.model); err != nil {
		return dst, err
	}
	if dst, err = appendPadded(dst, "terminal id", r.TerminalID, w.tid); err != nil {
		return dst, err
	}
	dst = append(dst, r.PlateColor)
	plate, err := gbk(r.Plate)
	if err != nil {
		return dst, errors.New("jt808: plate " + strconv.Quote(r.Plate) + " has no GBK encoding")
	}
	return append(dst, plate...), nil
}

func appendPadded(dst []byte, field, s string, n int) ([]byte, error) {
	b, err := gbk(s)
	if err != nil {
		return dst, errors.New("jt808: " + field + " " + strconv.Quote(s) + " has no GBK encoding")
	}
	if len(b) > n {
		return dst, errors.New("jt808: " + field + " " + strconv.Quote(s) + " is longer than " + strconv.Itoa(n) + " bytes")
	}
	dst = append(dst, b...)
	for range n - len(b) {
		dst = append(dst, 0)
	}
	return dst, nil
}

func gbk(s string) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
		}
	}
	return []byte(s), nil
}

// text decodes a GBK text field without its 0x00 and space padding. A field that holds control
// bytes is no text (some terminals put their BCD phone number in the terminal id): it comes back
// as the hex digits of the whole field.
func text(field []byte) string {
	b := field
	for len(b) > 0 && (b[0] == 0 || b[0] == ' ') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == 0 || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	ascii := true
	for _, c := range b {
		if c < 0x20 || c == 0x7f {
			return hexString(field)
		}
		ascii = ascii && c < 0x80
	}
	if ascii {
		return string(b)
	}
	s, err := simplifiedchinese.GBK.NewDecoder().Bytes(b)
	if err != nil {
		return hexString(field)
	}
	return string(s)
}

// Register decodes the body of a 0x0100. Under the 2013 header a body shorter than the 2013 fixed
// fields (37 bytes) is read with the 2011 widths.
func (f *Frame) Register() (Register, error) {
	r := Register{Edition: 2013}
	if f.Version2019 {
		r.Edition = 2019
	} else if len(f.Body) < 37 {
		r.Edition = 2011
	}
	w := widths(r.Edition)
	fixed := 4 + w.maker + w.model + w.tid + 1
	if len(f.Body) < fixed {
		return r, f.short(0, fixed, "register ("+strconv.Itoa(r.Edition)+")")
	}
	b := f.Body
	r.Province = binary.BigEndian.Uint16(b)
	r.City = binary.BigEndian.Uint16(b[2:])
	p := 4
	r.Maker = text(b[p : p+w.maker])
	p += w.maker
	r.Model = text(b[p : p+w.model])
	p += w.model
	r.TerminalID = text(b[p : p+w.tid])
	p += w.tid
	r.PlateColor = b[p]
	r.Plate = text(b[p+1:])
	return r, nil
}

// Auth is a terminal's authentication message (0x0102). Under 2013 the code is the whole body;
// under 2019 it is length-prefixed and followed by the IMEI (15 bytes) and software version (20).
type Auth struct {
	Code     string
	IMEI     string // 2019
	Software string // 2019
}

func (Auth) MsgID() uint16 { return MsgAuth }

func (a Auth) AppendBody(dst []byte, v2019 bool) ([]byte, error) {
	if !v2019 {
		return append(dst, a.Code...), nil
	}
	if len(a.Code) > 255 {
		return dst, errors.New("jt808: auth code longer than 255 bytes")
	}
	dst = append(dst, byte(len(a.Code)))
	dst = append(dst, a.Code...)
	var err error
	if dst, err = appendPadded(dst, "imei", a.IMEI, 15); err != nil {
		return dst, err
	}
	return appendPadded(dst, "software version", a.Software, 20)
}

// Auth decodes the body of a 0x0102.
func (f *Frame) Auth() (Auth, error) {
	b := f.Body
	if !f.Version2019 {
		for len(b) > 0 && b[len(b)-1] == 0 {
			b = b[:len(b)-1]
		}
		return Auth{Code: string(b)}, nil
	}
	if len(b) < 1 {
		return Auth{}, f.short(0, 1, "auth code length")
	}
	n := int(b[0])
	if len(b) < 1+n+35 {
		return Auth{}, f.short(0, 1+n+35, "2019 auth")
	}
	return Auth{
		Code:     string(b[1 : 1+n]),
		IMEI:     text(b[1+n : 16+n]),
		Software: text(b[16+n : 36+n]),
	}, nil
}

// Location status bits.
const (
	StatusACC   = 1 << 0
	StatusFixed = 1 << 1 // positioned
	StatusSouth = 1 << 2
	StatusWest  = 1 << 3
)

// Items of Location.Has.
const (
	HasMileage       = 1 << iota // item 0x01
	HasFuel                      // item 0x02
	HasRecorderSpeed             // item 0x03
	HasSignal                    // item 0x30
	HasSatellites                // item 0x31
)

// Location is a location report (the body of a 0x0200, and each item of a 0x0704).
type Location struct {
	Alarm, Status uint32
	// Lat and Lon are in millionths of a degree, negative south and west (status bits 2 and 3;
	// AppendBody sets those bits for negative values).
	Lat, Lon int32
	Altitude uint16 // m
	Speed    uint16 // 0.1 km/h
	Heading  uint16 // degrees clockwise from north
	Time     time.Time
	// Additional items the standard defines, when Has says so.
	Has           uint8
	Mileage       uint32 // 0x01, 0.1 km
	Fuel          uint16 // 0x02, 0.1 L
	RecorderSpeed uint16 // 0x03, 0.1 km/h (from the driving recorder)
	Signal        uint8  // 0x30, wireless network signal strength
	Satellites    uint8  // 0x31, GNSS satellites in use
	// Extra is the additional-information region as received: every item (id, length, value),
	// the ones above included; see Items. It aliases the frame's body. When encoding, a non-nil
	// Extra is written as it is, and the items above are written from Has only when Extra is nil.
	Extra []byte
}

func (Location) MsgID() uint16 { return MsgLocation }

// LatDeg and LonDeg are the coordinates in degrees.
func (l *Location) LatDeg() float64 { return float64(l.Lat) / 1e6 }
func (l *Location) LonDeg() float64 { return float64(l.Lon) / 1e6 }

// Items yields the additional items of Extra: id and value.
func (l *Location) Items() iter.Seq2[uint8, []byte] {
	return func(yield func(uint8, []byte) bool) {
		b := l.Extra
		for len(b) >= 2 && len(b) >= 2+int(b[1]) {
			if !yield(b[0], b[2:2+int(b[1])]) {
				return
			}
			b = b[2+int(b[1]):]
		}
	}
}

func (l Location) AppendBody(dst []byte, _ bool) ([]byte, error) {
	if l.Lat < -90e6 || l.Lat > 90e6 || l.Lon < -180e6 || l.Lon > 180e6 {
		return dst, errors.New("jt808: location " + strconv.Itoa(int(l.Lat)) + ", " + strconv.Itoa(int(l.Lon)) + " (1e-6°) out of range")
	}
	status := l.Status
	lat, lon := l.Lat, l.Lon
	if lat < 0 {
		status |= StatusSouth
		lat = -lat
	}
	if lon < 0 {
		status |= StatusWest
		lon = -lon
	}
	dst = binary.BigEndian.AppendUint32(dst, l.Alarm)
	dst = binary.BigEndian.AppendUint32(dst, status)
	dst = binary.BigEndian.AppendUint32(dst, uint32(lat))
	dst = binary.BigEndian.AppendUint32(dst, uint32(lon))
	dst = binary.BigEndian.AppendUint16(dst, l.Altitude)
	dst = binary.BigEndian.AppendUint16(dst, l.Speed)
	dst = binary.BigEndian.AppendUint16(dst, l.Heading)
	t := l.Time.UTC().Add(gmt8)
	y := t.Year() - 2000
	if y < 0 || y > 99 {
		return dst, errors.New("jt808: location time " + l.Time.Format(time.RFC3339) + " is outside 2000–2099")
	}
	for _, v := range [6]int{y, int(t.Month()), t.Day(), t.Hour(), t.Minute(), t.Second()} {
		dst = append(dst, byte(v/10<<4|v%10))
	}
	if l.Extra != nil {
		return append(dst, l.Extra...), nil
	}
	if l.Has&HasMileage != 0 {
		dst = append(dst, 0x01, 4)
		dst = binary.BigEndian.AppendUint32(dst, l.Mileage)
	}
	if l.Has&HasFuel != 0 {
		dst = append(dst, 0x02, 2)
		dst = binary.BigEndian.AppendUint16(dst, l.Fuel)
	}
	if l.Has&HasRecorderSpeed != 0 {
		dst = append(dst, 0x03, 2)
		dst = binary.BigEndian.AppendUint16(dst, l.RecorderSpeed)
	}
	if l.Has&HasSignal != 0 {
		dst = append(dst, 0x30, 1, l.Signal)
	}
	if l.Has&HasSatellites != 0 {
		dst = append(dst, 0x31, 1, l.Satellites)
	}
	return dst, nil
}

// Location decodes the body of a 0x0200.
func (f *Frame) Location() (Location, error) {
	var l Location
	return l, f.location(&l, f.Body, 0)
}

// gmt8 is the offset of the terminals' clocks (Beijing time).
const gmt8 = 8 * time.Hour

// location decodes b, which starts at offset base of f's body, into l.
func (f *Frame) location(l *Location, b []byte, base int) error {
	if len(b) < 28 {
		return f.bodyErr(KindTruncated, base+len(b), "location needs 28 bytes, has "+strconv.Itoa(len(b)))
	}
	l.Alarm = binary.BigEndian.Uint32(b)
	l.Status = binary.BigEndian.Uint32(b[4:])
	lat, lon := binary.BigEndian.Uint32(b[8:]), binary.BigEndian.Uint32(b[12:])
	if lat > 90e6 {
		return f.bodyErr(KindBody, base+8, "latitude "+strconv.FormatUint(uint64(lat), 10)+"e-6° beyond 90°")
	}
	if lon > 180e6 {
		return f.bodyErr(KindBody, base+12, "longitude "+strconv.FormatUint(uint64(lon), 10)+"e-6° beyond 180°")
	}
	l.Lat, l.Lon = int32(lat), int32(lon)
	if l.Status&StatusSouth != 0 {
		l.Lat = -l.Lat
	}
	if l.Status&StatusWest != 0 {
		l.Lon = -l.Lon
	}
	l.Altitude = binary.BigEndian.Uint16(b[16:])
	l.Speed = binary.BigEndian.Uint16(b[18:])
	l.Heading = binary.BigEndian.Uint16(b[20:])
	t, ok := bcdTime(b[22:28])
	if !ok {
		return f.bodyErr(KindBody, base+22, "time "+hexString(b[22:28])+" is no BCD YYMMDDhhmmss time")
	}
	l.Time = t
	l.Has = 0
	l.Extra = b[28:]
	for p := 28; p < len(b); {
		if p+2 > len(b) || p+2+int(b[p+1]) > len(b) {
			return f.bodyErr(KindTruncated, base+p, "additional item 0x"+hexString(b[p:p+1])+" runs past the end of the location")
		}
		id, v := b[p], b[p+2:p+2+int(b[p+1])]
		switch {
		case id == 0x01 && len(v) == 4:
			l.Mileage, l.Has = binary.BigEndian.Uint32(v), l.Has|HasMileage
		case id == 0x02 && len(v) == 2:
			l.Fuel, l.Has = binary.BigEndian.Uint16(v), l.Has|HasFuel
		case id == 0x03 && len(v) == 2:
			l.RecorderSpeed, l.Has = binary.BigEndian.Uint16(v), l.Has|HasRecorderSpeed
		case id == 0x30 && len(v) == 1:
			l.Signal, l.Has = v[0], l.Has|HasSignal
		case id == 0x31 && len(v) == 1:
			l.Satellites, l.Has = v[0], l.Has|HasSatellites
		}
		p += 2 + len(v)
	}
	return nil
}

func hexString(b []byte) string {
	s := make([]byte, 0, 2*len(b))
	for _, c := range b {
		s = appendHex8(s, c)
	}
	return string(s)
}

// bcdTime reads a BCD YYMMDDhhmmss time in GMT+8 and returns it in UTC.
func bcdTime(b []byte) (time.Time, bool) {
	var v [6]int
	for i := range v {
		x, ok := bcd(b[i])
		if !ok {
			return time.Time{}, false
		}
		v[i] = x
	}
	y, mo, d := 2000+v[0], v[1], v[2]
	if mo < 1 || mo > 12 || d < 1 || d > daysIn(mo, y) || v[3] > 23 || v[4] > 59 || v[5] > 59 {
		return time.Time{}, false
	}
	return time.Date(y, time.Month(mo), d, v[3], v[4], v[5], 0, time.UTC).Add(-gmt8), true
}

func daysIn(m, y int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// Batch types of 0x0704.
const (
	BatchNormal = 0
	BatchBlind  = 1 // blind-area resend: positions kept while the terminal could not report
)

// LocationBatch is a batch upload of locations (0x0704).
type LocationBatch struct {
	Type      uint8
	Locations []Location
}

func (LocationBatch) MsgID() uint16 { return MsgLocationBatch }

func (lb LocationBatch) AppendBody(dst []byte, v2019 bool) ([]byte, error) {
	if len(lb.Locations) > 0xffff {
		return dst, errors.New("jt808: more than 65535 locations in a batch")
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(lb.Locations)))
	dst = append(dst, lb.Type)
	for i := range lb.Locations {
		p := len(dst)
		dst = append(dst, 0, 0)
		var err error
		if dst, err = lb.Locations[i].AppendBody(dst, v2019); err != nil {
			return dst, err
		}
		binary.BigEndian.PutUint16(dst[p:], uint16(len(dst)-p-2))
	}
	return dst, nil
}

// LocationBatch decodes the body of a 0x0704, appending the locations to dst[:0]. The locations'
// Extra alias the frame's body.
func (f *Frame) LocationBatch(dst []Location) (LocationBatch, error) {
	b := f.Body
	if len(b) < 3 {
		return LocationBatch{}, f.short(0, 3, "location batch count and type")
	}
	n := int(binary.BigEndian.Uint16(b))
	lb := LocationBatch{Type: b[2], Locations: dst[:0]}
	p := 3
	for p < len(b) {
		if p+2 > len(b) {
			return lb, f.bodyErr(KindTruncated, p, "location length cut short")
		}
		m := int(binary.BigEndian.Uint16(b[p:]))
		if p+2+m > len(b) {
			return lb, f.bodyErr(KindTruncated, p, "location of "+strconv.Itoa(m)+" bytes runs past the end of the batch")
		}
		lb.Locations = append(lb.Locations, Location{})
		if err := f.location(&lb.Locations[len(lb.Locations)-1], b[p+2:p+2+m], p+2); err != nil {
			return lb, err
		}
		p += 2 + m
	}
	if len(lb.Locations) != n {
		return lb, f.bodyErr(KindBody, 0, "batch count says "+strconv.Itoa(n)+" locations, the body holds "+strconv.Itoa(len(lb.Locations)))
	}
	return lb, nil
}
