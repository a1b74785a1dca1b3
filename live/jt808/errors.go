package jt808

import (
	"errors"
	"strconv"
)

// ErrorKind says what is wrong with a frame. The gateway counts bad frames by it.
type ErrorKind uint8

// The kinds of bad frames.
const (
	// KindFraming: not delimited by 0x7E, or a 0x7E inside the frame (a delimiter the sender did not
	// escape). Text frames of other protocols ("(…)") are refused with this kind.
	KindFraming ErrorKind = iota + 1
	// KindEscape: 0x7D followed by a byte other than 0x01 or 0x02, or ending the frame.
	KindEscape
	// KindTruncated: shorter than its header, or a body field runs past the end of the body.
	KindTruncated
	// KindChecksum: the XOR check code does not match the header and body.
	KindChecksum
	// KindHeader: an impossible header (a sub-packet index of 0 or beyond the packet total).
	KindHeader
	// KindLength: the body length in the header's body properties is not the body's length.
	KindLength
	// KindBody: a body field holds an impossible value (a BCD time that is no time, a latitude
	// beyond 90°, a batch count that does not match its items, …).
	KindBody
	// KindTooLarge: a frame longer than the gateway's MaxFrame.
	KindTooLarge
	// KindReassembly: sub-packets that were given up on (missing packets after the timeout, or more
	// than the reassembly memory bound).
	KindReassembly
)

// Kinds lists every error kind, for metrics that want all label values up front.
func Kinds() []ErrorKind {
	return []ErrorKind{KindFraming, KindEscape, KindTruncated, KindChecksum, KindHeader, KindLength,
		KindBody, KindTooLarge, KindReassembly}
}

func (k ErrorKind) String() string {
	switch k {
	case KindFraming:
		return "framing"
	case KindEscape:
		return "escape"
	case KindTruncated:
		return "truncated"
	case KindChecksum:
		return "checksum"
	case KindHeader:
		return "header"
	case KindLength:
		return "length"
	case KindBody:
		return "body"
	case KindTooLarge:
		return "too_large"
	case KindReassembly:
		return "reassembly"
	}
	return "kind" + strconv.Itoa(int(k))
}

// DecodeError is a frame or message body that cannot be decoded.
//
// Offset is the byte offset of the fault in the frame as it was received (escaped), counting its
// opening 0x7E as offset 0, whether or not the caller passed the delimiters.
type DecodeError struct {
	Kind   ErrorKind
	Offset int
	What   string // what is wrong, in words
	// Header is the frame's header when it could be read (HeaderOK): a frame with a bad checksum or
	// body still names its message and serial, so the gateway can answer it per protocol.
	Header   Header
	HeaderOK bool
}

func (e *DecodeError) Error() string {
	b := make([]byte, 0, 128)
	b = append(b, "jt808: "...)
	b = append(b, e.Kind.String()...)
	b = append(b, " at byte "...)
	b = strconv.AppendInt(b, int64(e.Offset), 10)
	b = append(b, ": "...)
	b = append(b, e.What...)
	if e.HeaderOK {
		b = append(b, " (message 0x"...)
		b = appendHex16(b, e.Header.MsgID)
		b = append(b, " serial "...)
		b = strconv.AppendUint(b, uint64(e.Header.Serial), 10)
		b = append(b, " from "...)
		b = e.Header.Phone.AppendTo(b)
		b = append(b, ')')
	}
	return string(b)
}

// KindOf returns the kind of a *DecodeError in err's chain, or 0.
func KindOf(err error) ErrorKind {
	var de *DecodeError
	if errors.As(err, &de) {
		return de.Kind
	}
	return 0
}

const hexDigits = "0123456789abcdef"

func appendHex16(b []byte, v uint16) []byte {
	return append(b, hexDigits[v>>12], hexDigits[v>>8&0xf], hexDigits[v>>4&0xf], hexDigits[v&0xf])
}

func appendHex8(b []byte, v byte) []byte {
	return append(b, hexDigits[v>>4], hexDigits[v&0xf])
}
