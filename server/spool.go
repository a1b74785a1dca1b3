package server

import (
	"bytes"
	"io"
	"net"
	"os"
	"time"
)

// spool holds a response made from the database before a byte of it goes to the client, so no
// database connection waits on a client that reads slowly or not at all: the first memLimit bytes
// in memory, the rest in a temporary file (as a buffering proxy does).
type spool struct {
	mem      bytes.Buffer
	memLimit int
	file     *os.File
	size     int64
}

func newSpool(memLimit int) *spool { return &spool{memLimit: memLimit} }

func (s *spool) Write(p []byte) (int, error) {
	s.size += int64(len(p))
	if s.file == nil && s.mem.Len()+len(p) <= s.memLimit {
		return s.mem.Write(p)
	}
	if s.file == nil {
		f, err := os.CreateTemp("", "yitu-response-")
		if err != nil {
			return 0, err
		}
		os.Remove(f.Name()) // unlinked: the file goes with its descriptor, whatever happens
		s.file = f
	}
	return s.file.Write(p)
}

// WriteString lets fmt and io.WriteString write without a copy.
func (s *spool) WriteString(v string) (int, error) { return s.Write([]byte(v)) }

// InMemory returns the spooled bytes when they all are in memory.
func (s *spool) InMemory() ([]byte, bool) { return s.mem.Bytes(), s.file == nil }

// Reader returns the spooled bytes and their number; closing it releases the file.
func (s *spool) Reader() (io.ReadCloser, int64, error) {
	if s.file == nil {
		return io.NopCloser(bytes.NewReader(s.mem.Bytes())), s.size, nil
	}
	if _, err := s.file.Seek(0, io.SeekStart); err != nil {
		s.file.Close()
		return nil, 0, err
	}
	return struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(s.mem.Bytes()), s.file), s.file}, s.size, nil
}

// Close releases the file when Reader was not called.
func (s *spool) Close() {
	if s.file != nil {
		s.file.Close()
	}
}

// writeDeadline bounds the next writes of a long-lived response to d from now (0: unbounded).
func writeDeadline(conn net.Conn, d time.Duration) {
	if d > 0 {
		_ = conn.SetWriteDeadline(time.Now().Add(d))
	} else {
		_ = conn.SetWriteDeadline(time.Time{})
	}
}
