// Package jt808 is the JT/T 808 front end of the live layer: a codec for the frames vehicle
// terminals and the platform exchange, and a TCP gateway that authenticates terminals and hands
// their positions to a live.Ingester.
//
// The codec is pure. FrameReader splits a byte stream at the 0x7E delimiters; Decoder unescapes a
// frame, checks its XOR check code and reads its header (the 2013 header, or the 2019 header with
// its protocol version and 20-digit phone number, detected per frame); the Frame methods decode the
// bodies the gateway understands (register, auth, location, location batch, general replies); a
// Reassembler joins sub-packets. AppendFrame and AppendPackets encode any Message, terminal
// messages too, for simulators and tests. Every decoding fault is a *DecodeError with a kind and
// the byte offset it concerns.
package jt808

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strconv"
)

// Delimiter is the byte that opens and closes every frame; Escape introduces an escaped byte.
const (
	Delimiter = 0x7e
	Escape    = 0x7d
)

// MaxBody is the largest body one frame can carry (10 bits of body length); longer messages are
// sent as sub-packets.
const MaxBody = 0x3ff

// Body property bits.
const (
	propLength     = 0x03ff
	propEncryption = 0x1c00
	propSplit      = 1 << 13
	propVersion    = 1 << 14
)

// Header is a message header. The 2013 header has a 6-byte BCD phone number; the 2019 header (body
// property bit 14) adds a protocol version byte and has a 10-byte phone number.
type Header struct {
	MsgID uint16
	// BodyLen is the body length the body properties give. It is set by Decode and ignored by
	// AppendFrame, which writes the length of the body it encodes.
	BodyLen int
	// Encryption is body property bits 10–12: 0 plain, 1 RSA.
	Encryption uint8
	// Version2019 is body property bit 14: the header has a protocol version and a 20-digit phone.
	Version2019     bool
	ProtocolVersion uint8 // 2019 only; 1 for JT/T 808-2019
	Phone           Phone
	Serial          uint16
	// Split is body property bit 13: the message is one of Total sub-packets, numbered from 1.
	Split        bool
	Total, Index uint16
}

// Len is the header's length in bytes.
func (h *Header) Len() int {
	n := 12
	if h.Version2019 {
		n = 17
	}
	if h.Split {
		n += 4
	}
	return n
}

// Reply returns the header of a platform message answering h: same header version and phone,
// msgID, and the given serial (the platform's own message serial).
func (h *Header) Reply(msgID, serial uint16) Header {
	return Header{
		MsgID:           msgID,
		Version2019:     h.Version2019,
		ProtocolVersion: h.ProtocolVersion,
		Phone:           h.Phone,
		Serial:          serial,
	}
}

// Phone is the terminal phone number field as sent: 6 BCD bytes (12 digits) under the 2013 header,
// 10 bytes (20 digits) under 2019. A terminal's id is its digits exactly as sent, leading zeros
// kept. Some terminals put nibbles above 9 in the field (a binary IMEI); they are kept as the hex
// digits a–f, so the id is still the field byte for byte.
type Phone struct {
	b [10]byte
	n uint8 // bytes used: 6 or 10
}

// ParsePhone parses a terminal id of 12 or 20 digits (a–f allowed, see Phone).
func ParsePhone(s string) (Phone, error) {
	var p Phone
	if len(s) != 12 && len(s) != 20 {
		return p, errors.New("jt808: phone " + strconv.Quote(s) + " has " + strconv.Itoa(len(s)) + " digits, want 12 (2013) or 20 (2019)")
	}
	for i := 0; i < len(s); i++ {
		v, ok := nibble(s[i])
		if !ok {
			return p, errors.New("jt808: phone " + strconv.Quote(s) + ": " + strconv.Quote(s[i:i+1]) + " at " + strconv.Itoa(i) + " is not a digit")
		}
		p.b[i/2] |= v << (4 * (1 - i%2))
	}
	p.n = uint8(len(s) / 2)
	return p, nil
}

// MustPhone is ParsePhone for constants; it panics on a bad phone.
func MustPhone(s string) Phone {
	p, err := ParsePhone(s)
	if err != nil {
		panic(err)
	}
	return p
}

func nibble(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// Digits is the number of digits (12 or 20; 0 for the zero Phone).
func (p Phone) Digits() int { return int(p.n) * 2 }

// String returns the digits.
func (p Phone) String() string { return string(p.AppendTo(make([]byte, 0, 20))) }

// AppendTo appends the digits to b.
func (p Phone) AppendTo(b []byte) []byte {
	for _, c := range p.b[:p.n] {
		b = appendHex8(b, c)
	}
	return b
}

// Is reports whether s is this phone's digits (without allocating).
func (p Phone) Is(s string) bool {
	if len(s) != int(p.n)*2 {
		return false
	}
	for i, c := range p.b[:p.n] {
		if s[2*i] != hexDigits[c>>4] || s[2*i+1] != hexDigits[c&0xf] {
			return false
		}
	}
	return true
}

// field returns the phone as the n-byte header field: a 12-digit phone is left-padded with zeros
// in a 2019 header; a 20-digit phone fits a 2013 header only when its first 8 digits are zeros.
func (p Phone) field(n int) ([]byte, error) {
	switch {
	case int(p.n) == n:
		return p.b[:n], nil
	case p.n == 6 && n == 10:
		var f [10]byte
		copy(f[4:], p.b[:6])
		return f[:], nil
	case p.n == 10 && n == 6 && p.b[0]|p.b[1]|p.b[2]|p.b[3] == 0:
		return p.b[4:10], nil
	case p.n == 0:
		return nil, errors.New("jt808: header has no phone")
	}
	return nil, errors.New("jt808: phone " + p.String() + " does not fit a " + strconv.Itoa(n) + "-byte header field")
}

// Frame is one decoded frame: its header and its unescaped body. Body aliases the Decoder's buffer
// and is valid until the Decoder's next call.
type Frame struct {
	Header
	Body []byte

	raw     []byte // the frame content as received (between the delimiters), for error offsets
	bodyOff int    // the body's offset in the unescaped content
}

// Decoder decodes frames, reusing one buffer for the unescaped bytes. It is not safe for
// concurrent use; the zero value is ready.
type Decoder struct {
	buf []byte
}

// Decode decodes one whole frame, 0x7E delimiters included, as the test suites of other decoders
// write them. A 0x7E anywhere else is a KindFraming error.
func (d *Decoder) Decode(frame []byte) (Frame, error) {
	if len(frame) < 2 || frame[0] != Delimiter || frame[len(frame)-1] != Delimiter {
		off := 0
		if len(frame) > 0 && frame[0] == Delimiter {
			off = len(frame) - 1
		}
		return Frame{}, &DecodeError{Kind: KindFraming, Offset: off, What: "frame is not delimited by 0x7e"}
	}
	content := frame[1 : len(frame)-1]
	if i := bytes.IndexByte(content, Delimiter); i >= 0 {
		return Frame{}, &DecodeError{Kind: KindFraming, Offset: i + 1, What: "0x7e inside the frame (a delimiter the sender did not escape)"}
	}
	return d.DecodeContent(content)
}

// DecodeContent decodes the bytes between two 0x7E delimiters, as a stream splitter yields them
// (content holds no 0x7E).
func (d *Decoder) DecodeContent(content []byte) (Frame, error) {
	u, err := d.unescape(content)
	if err != nil {
		return Frame{}, err
	}
	f := Frame{raw: content}
	if len(u) < 13 {
		return f, &DecodeError{Kind: KindTruncated, Offset: len(content) + 1, What: strconv.Itoa(len(u)) + " bytes unescaped, shorter than a header and check code (13)"}
	}
	last := len(u) - 1
	sum := xor(u[:last])
	hdrErr := readHeader(u[:last], &f.Header)
	if sum != u[last] {
		de := &DecodeError{Kind: KindChecksum, Offset: rawOffset(content, last),
			What: "check code 0x" + string(appendHex8(nil, u[last])) + ", computed 0x" + string(appendHex8(nil, sum))}
		if hdrErr == nil {
			de.Header, de.HeaderOK = f.Header, true
		}
		return f, de
	}
	if hdrErr != nil {
		hdrErr.Offset = rawOffset(content, hdrErr.Offset)
		if hdrErr.Kind == KindHeader {
			hdrErr.Header, hdrErr.HeaderOK = f.Header, true
		}
		return f, hdrErr
	}
	f.bodyOff = f.Header.Len()
	f.Body = u[f.bodyOff:last]
	if len(f.Body) != f.BodyLen {
		return f, &DecodeError{Kind: KindLength, Offset: rawOffset(content, f.bodyOff),
			What:   "body properties say " + strconv.Itoa(f.BodyLen) + " body bytes, the frame has " + strconv.Itoa(len(f.Body)),
			Header: f.Header, HeaderOK: true}
	}
	return f, nil
}

// readHeader reads the header at the start of u (the unescaped message without its check code).
// Offsets of errors are in u.
func readHeader(u []byte, h *Header) *DecodeError {
	if len(u) < 12 {
		return &DecodeError{Kind: KindTruncated, Offset: len(u), What: "header cut short"}
	}
	h.MsgID = binary.BigEndian.Uint16(u)
	props := binary.BigEndian.Uint16(u[2:])
	h.BodyLen = int(props & propLength)
	h.Encryption = uint8(props & propEncryption >> 10)
	h.Split = props&propSplit != 0
	h.Version2019 = props&propVersion != 0
	p := 4
	if h.Version2019 {
		if len(u) < 17 {
			return &DecodeError{Kind: KindTruncated, Offset: len(u), What: "2019 header cut short"}
		}
		h.ProtocolVersion = u[4]
		copy(h.Phone.b[:], u[5:15])
		h.Phone.n = 10
		p = 15
	} else {
		copy(h.Phone.b[:], u[4:10])
		h.Phone.n = 6
		p = 10
	}
	h.Serial = binary.BigEndian.Uint16(u[p:])
	p += 2
	if h.Split {
		if len(u) < p+4 {
			return &DecodeError{Kind: KindTruncated, Offset: len(u), What: "sub-packet header cut short"}
		}
		h.Total = binary.BigEndian.Uint16(u[p:])
		h.Index = binary.BigEndian.Uint16(u[p+2:])
		if h.Total == 0 || h.Index == 0 || h.Index > h.Total {
			return &DecodeError{Kind: KindHeader, Offset: p, What: "sub-packet " + strconv.Itoa(int(h.Index)) + " of " + strconv.Itoa(int(h.Total))}
		}
	}
	return nil
}

// unescape undoes the escaping of content into d.buf in one pass.
func (d *Decoder) unescape(content []byte) ([]byte, error) {
	u := d.buf[:0]
	for i := 0; i < len(content); {
		j := bytes.IndexByte(content[i:], Escape)
		if j < 0 {
			u = append(u, content[i:]...)
			break
		}
		u = append(u, content[i:i+j]...)
		i += j
		if i+1 >= len(content) {
			d.buf = u
			return nil, &DecodeError{Kind: KindEscape, Offset: i + 1, What: "0x7d ends the frame"}
		}
		switch content[i+1] {
		case 0x02:
			u = append(u, Delimiter)
		case 0x01:
			u = append(u, Escape)
		default:
			d.buf = u
			return nil, &DecodeError{Kind: KindEscape, Offset: i + 1, What: "0x7d followed by 0x" + string(appendHex8(nil, content[i+1]))}
		}
		i += 2
	}
	d.buf = u
	return u, nil
}

// rawOffset converts an offset in the unescaped content to the offset in the frame as received,
// counting the opening delimiter as 0.
func rawOffset(content []byte, u int) int {
	i := 0
	for j := 0; j < u && i < len(content); j++ {
		if content[i] == Escape {
			i += 2
		} else {
			i++
		}
	}
	return i + 1
}

// xor is the check code: the XOR of every byte.
func xor(b []byte) byte {
	var w uint64
	for len(b) >= 8 {
		w ^= binary.LittleEndian.Uint64(b)
		b = b[8:]
	}
	w ^= w >> 32
	w ^= w >> 16
	w ^= w >> 8
	s := byte(w)
	for _, c := range b {
		s ^= c
	}
	return s
}

// AppendFrame appends m as one frame under header h (whose MsgID it sets to m's) to dst: header,
// body, check code, escaped, between delimiters. A body longer than MaxBody is an error; split it
// into sub-packets (h.Split, Total, Index) and append each with AppendRaw.
func AppendFrame(dst []byte, h Header, m Message) ([]byte, error) {
	h.MsgID = m.MsgID()
	start := len(dst)
	dst, hdr, err := appendHeader(dst, &h)
	if err != nil {
		return dst[:start], err
	}
	body := len(dst)
	dst, err = m.AppendBody(dst, h.Version2019)
	if err != nil {
		return dst[:start], err
	}
	return finishFrame(dst, start, hdr, body)
}

// AppendRaw appends a frame with header h and the given body (for sub-packets, and for frames of
// messages this package has no type for).
func AppendRaw(dst []byte, h Header, body []byte) ([]byte, error) {
	start := len(dst)
	dst, hdr, err := appendHeader(dst, &h)
	if err != nil {
		return dst[:start], err
	}
	n := len(dst)
	dst = append(dst, body...)
	return finishFrame(dst, start, hdr, n)
}

func appendHeader(dst []byte, h *Header) ([]byte, int, error) {
	phoneLen := 6
	if h.Version2019 {
		phoneLen = 10
	}
	phone, err := h.Phone.field(phoneLen)
	if err != nil {
		return dst, 0, err
	}
	if h.Encryption > 7 {
		return dst, 0, errors.New("jt808: encryption " + strconv.Itoa(int(h.Encryption)) + " does not fit 3 bits")
	}
	if h.Split && (h.Total == 0 || h.Index == 0 || h.Index > h.Total) {
		return dst, 0, errors.New("jt808: sub-packet " + strconv.Itoa(int(h.Index)) + " of " + strconv.Itoa(int(h.Total)))
	}
	dst = append(dst, Delimiter)
	hdr := len(dst)
	props := uint16(h.Encryption) << 10
	if h.Split {
		props |= propSplit
	}
	if h.Version2019 {
		props |= propVersion
	}
	dst = binary.BigEndian.AppendUint16(dst, h.MsgID)
	dst = binary.BigEndian.AppendUint16(dst, props)
	if h.Version2019 {
		dst = append(dst, h.ProtocolVersion)
	}
	dst = append(dst, phone...)
	dst = binary.BigEndian.AppendUint16(dst, h.Serial)
	if h.Split {
		dst = binary.BigEndian.AppendUint16(dst, h.Total)
		dst = binary.BigEndian.AppendUint16(dst, h.Index)
	}
	return dst, hdr, nil
}

// finishFrame patches the body length, appends the check code, escapes dst[hdr:] in place and
// closes the frame.
func finishFrame(dst []byte, start, hdr, body int) ([]byte, error) {
	n := len(dst) - body
	if n > MaxBody {
		return dst[:start], errors.New("jt808: body of " + strconv.Itoa(n) + " bytes exceeds " + strconv.Itoa(MaxBody) + "; send it as sub-packets")
	}
	props := binary.BigEndian.Uint16(dst[hdr+2:]) | uint16(n)
	binary.BigEndian.PutUint16(dst[hdr+2:], props)
	dst = append(dst, xor(dst[hdr:]))
	esc := 0
	for _, c := range dst[hdr:] {
		if c == Delimiter || c == Escape {
			esc++
		}
	}
	if esc > 0 {
		end := len(dst)
		dst = append(dst, make([]byte, esc)...)
		j := len(dst) - 1
		for i := end - 1; i >= hdr; i-- {
			switch c := dst[i]; c {
			case Delimiter, Escape:
				dst[j] = c - Escape + 1 // 0x7e → 0x02, 0x7d → 0x01
				dst[j-1] = Escape
				j -= 2
			default:
				dst[j] = c
				j--
			}
		}
	}
	return append(dst, Delimiter), nil
}

// bcd reads a BCD byte; ok is false when a nibble is above 9.
func bcd(b byte) (int, bool) {
	hi, lo := b>>4, b&0xf
	return int(hi)*10 + int(lo), hi < 10 && lo < 10
}

// AppendPackets appends m to dst as one frame when its body fits maxBody bytes (at most MaxBody),
// and otherwise as sub-packets of maxBody bytes, numbered from 1, with the serials h.Serial,
// h.Serial+1, …. It returns how many frames it appended.
func AppendPackets(dst []byte, h Header, m Message, maxBody int) ([]byte, int, error) {
	if maxBody < 1 || maxBody > MaxBody {
		maxBody = MaxBody
	}
	body, err := m.AppendBody(nil, h.Version2019)
	if err != nil {
		return dst, 0, err
	}
	h.MsgID = m.MsgID()
	if len(body) <= maxBody {
		h.Split = false
		dst, err = AppendRaw(dst, h, body)
		return dst, 1, err
	}
	total := (len(body) + maxBody - 1) / maxBody
	if total > 0xffff {
		return dst, 0, errors.New("jt808: body of " + strconv.Itoa(len(body)) + " bytes needs more than 65535 sub-packets")
	}
	start, serial := len(dst), h.Serial
	h.Split, h.Total = true, uint16(total)
	for i := range total {
		h.Index, h.Serial = uint16(i+1), serial+uint16(i)
		if dst, err = AppendRaw(dst, h, body[i*maxBody:min((i+1)*maxBody, len(body))]); err != nil {
			return dst[:start], 0, err
		}
	}
	return dst, total, nil
}
