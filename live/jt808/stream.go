package jt808

import (
	"bufio"
	"bytes"
	"io"
	"strconv"
)

// FrameReader splits a byte stream into frames at 0x7E delimiters. A frame's closing delimiter may
// also open the next one.
type FrameReader struct {
	br      *bufio.Reader
	max     int
	started bool // a delimiter has been read
}

// NewFrameReader reads frames of at most maxFrame bytes (delimiters included) from r.
func NewFrameReader(r io.Reader, maxFrame int) *FrameReader {
	return &FrameReader{br: bufio.NewReaderSize(r, max(maxFrame-1, 16)), max: maxFrame}
}

// Next returns the content of the next frame: the bytes between two delimiters, never empty,
// valid until the next call. Bytes before the stream's first delimiter come back as a KindFraming
// error, a frame longer than maxFrame as a KindTooLarge error (its bytes are skipped up to the next
// delimiter); the reader goes on after either. Other errors are the underlying reader's.
func (fr *FrameReader) Next() ([]byte, error) {
	for {
		seg, err := fr.br.ReadSlice(Delimiter)
		if err == bufio.ErrBufferFull {
			for err == bufio.ErrBufferFull {
				_, err = fr.br.ReadSlice(Delimiter)
			}
			if err != nil {
				return nil, err
			}
			fr.started = true
			return nil, &DecodeError{Kind: KindTooLarge, Offset: fr.max,
				What: "frame longer than " + strconv.Itoa(fr.max) + " bytes"}
		}
		if err != nil {
			if err == io.EOF && fr.started && len(seg) > 0 {
				// The connection ended inside a frame: what was sent of it is lost, and counted.
				return nil, &DecodeError{Kind: KindTruncated, Offset: len(seg),
					What: "the connection ended " + strconv.Itoa(len(seg)) + " bytes into a frame"}
			}
			return nil, err
		}
		content := seg[:len(seg)-1]
		if !fr.started {
			fr.started = true
			if len(content) > 0 {
				return nil, &DecodeError{Kind: KindFraming, Offset: 0,
					What: strconv.Itoa(len(content)) + " bytes before the first 0x7e"}
			}
			continue
		}
		if len(content) > 0 {
			return content, nil
		}
	}
}

// Buffered is the number of bytes read from the stream and not yet returned.
func (fr *FrameReader) Buffered() int { return fr.br.Buffered() }

// Ready reports whether Next can return without reading the stream: the bytes read hold a whole
// frame (or something Next reports as an error).
func (fr *FrameReader) Ready() bool {
	b, _ := fr.br.Peek(fr.br.Buffered())
	for {
		i := bytes.IndexByte(b, Delimiter)
		switch {
		case i < 0:
			return false
		case i > 0:
			return true // a frame, or bytes before the first delimiter
		}
		b = b[1:] // a delimiter with nothing before it: Next skips it
	}
}
