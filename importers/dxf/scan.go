package dxf

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// binarySentinel starts every binary DXF file.
var binarySentinel = []byte("AutoCAD Binary DXF\r\n\x1a\x00")

// ErrBinary is returned for binary DXF files, which this reader does not read.
var ErrBinary = errors.New("binary DXF is not supported: save the drawing as ASCII DXF (AutoCAD SAVEAS/DXFOUT, format ASCII)")

// SyntaxError is malformed DXF: it names the file and the line.
type SyntaxError struct {
	File   string
	Line   int
	Reason string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason)
}

// tag is one group: a group code and its value. The value is raw bytes (trimmed of the line end;
// leading and trailing blanks kept for strings, as DXF strings may carry them).
type tag struct {
	code int
	val  []byte
	line int // line of the group code
}

// scanner reads group code/value pairs from an ASCII DXF stream. Value bytes are copied into an arena
// owned by the caller (see record), so the underlying buffer can move on.
type scanner struct {
	br   *bufio.Reader
	file string
	line int // lines read so far
	// one pair of look-ahead
	peeked bool
	peek   tag
	buf    []byte // value storage for peek
}

func newScanner(r io.Reader, file string) (*scanner, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	head, _ := br.Peek(len(binarySentinel))
	if bytes.Equal(head, binarySentinel) {
		return nil, fmt.Errorf("%s: %w", file, ErrBinary)
	}
	// A UTF-8 byte order mark is tolerated.
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte{0xEF, 0xBB, 0xBF}) {
		br.Discard(3)
	}
	return &scanner{br: br, file: file}, nil
}

func (s *scanner) errorf(line int, format string, args ...any) error {
	return &SyntaxError{File: s.file, Line: line, Reason: fmt.Sprintf(format, args...)}
}

// readLine returns the next line without its line end; the slice is valid until the next read.
func (s *scanner) readLine() ([]byte, error) {
	b, err := s.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		// A line longer than the buffer: assemble it (rare; long MTEXT chunks are split at 250 bytes).
		long := append([]byte(nil), b...)
		for err == bufio.ErrBufferFull {
			b, err = s.br.ReadSlice('\n')
			long = append(long, b...)
		}
		b = long
	}
	if err != nil && !(err == io.EOF && len(b) > 0) {
		if err == io.EOF {
			return nil, io.EOF
		}
		return nil, fmt.Errorf("%s:%d: %w", s.file, s.line+1, err)
	}
	s.line++
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b, nil
}

// next reads the next pair. At the end of the input it returns io.EOF; an input that stops between a
// group code and its value, or after a truncated section, is a SyntaxError. The value is valid until
// the next call.
func (s *scanner) next() (tag, error) {
	if s.peeked {
		s.peeked = false
		return s.peek, nil
	}
	codeLine, err := s.readLine()
	if err != nil {
		return tag{}, err
	}
	line := s.line
	code, ok := parseCode(codeLine)
	if !ok {
		return tag{}, s.errorf(line, "expected a group code, found %q", clip(codeLine))
	}
	val, err := s.readLine()
	if err == io.EOF {
		return tag{}, s.errorf(line, "file ends after group code %d without its value (truncated file?)", code)
	}
	if err != nil {
		return tag{}, err
	}
	return tag{code: code, val: val, line: line}, nil
}

// unread pushes t back; the next call to next returns it again. t.val is copied.
func (s *scanner) unread(t tag) {
	s.buf = append(s.buf[:0], t.val...)
	t.val = s.buf
	s.peek = t
	s.peeked = true
}

func parseCode(b []byte) (int, bool) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || len(b) > 6 {
		return 0, false
	}
	neg := false
	if b[0] == '-' { // -1, -2 ... appear in some writers' application groups
		neg = true
		b = b[1:]
		if len(b) == 0 {
			return 0, false
		}
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

func clip(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "…"
	}
	return string(b)
}

// parseFloat parses a DXF real. Blank values count as 0 (some writers leave them empty).
func parseFloat(b []byte) (float64, bool) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return 0, true
	}
	if f, ok := fastFloat(b); ok {
		return f, true
	}
	f, err := strconv.ParseFloat(string(b), 64)
	return f, err == nil
}

// fastFloat parses the plain decimal numbers that make up nearly all DXF reals ([-]digits[.digits]),
// exactly when the digits fit in 2^53 and the fraction has at most 15 digits; otherwise it reports
// false and strconv takes over.
func fastFloat(b []byte) (float64, bool) {
	i := 0
	neg := false
	if b[0] == '-' {
		neg = true
		i++
	} else if b[0] == '+' {
		i++
	}
	var mant uint64
	digits := 0
	frac := 0
	seenDot := false
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case c >= '0' && c <= '9':
			if mant == 0 && c == '0' && !seenDot {
				continue // leading zeros
			}
			mant = mant*10 + uint64(c-'0')
			digits++
			if seenDot {
				frac++
			}
			if digits > 15 {
				return 0, false
			}
		case c == '.' && !seenDot:
			seenDot = true
		default:
			return 0, false
		}
	}
	if frac > 15 {
		return 0, false
	}
	f := float64(mant) / pow10[frac]
	if neg {
		f = -f
	}
	return f, true
}

var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15}

func parseInt(b []byte) (int, bool) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return 0, true
	}
	neg := false
	if b[0] == '-' || b[0] == '+' {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		// Some writers put reals in integer groups ("1.0"): accept them.
		f, ok := parseFloat(b)
		return int(f), ok && len(b) > 0
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			f, err := strconv.ParseFloat(string(b), 64)
			if err != nil {
				return 0, false
			}
			n = int(f)
			break
		}
		n = n*10 + int(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}
