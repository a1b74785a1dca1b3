package server

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestBodyLimits: a body larger than its route takes is refused with 413 from its declared length,
// before the server reads it (here: never sent); a chunked one past the limit is refused as it
// grows; bodies within the limits work as before.
func TestBodyLimits(t *testing.T) {
	c := newCity(t)
	addr := strings.TrimPrefix(c.base, "http://")
	for _, path := range []string{"/live/positions", "/live/fences", "/collections/basemap.road/items"} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		// 200 MB announced, 100 KB sent (more than the server reads ahead): an answer means it did
		// not wait for the rest.
		fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200000000\r\n\r\n%s", path, strings.Repeat(" ", 100_000))
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("POST %s with 200 MB announced: %v", path, err)
		}
		if resp.StatusCode != 413 {
			t.Errorf("POST %s with 200 MB announced: %d, want 413", path, resp.StatusCode)
		}
		conn.Close()
	}
	// A chunked body past the default limit (1 MiB) on a route with that limit.
	big := strings.Repeat(" ", 2<<20) + "{}"
	req, _ := http.NewRequest("POST", c.base+"/live/fences", &chunked{strings.NewReader(big)})
	req.Header.Set("Authorization", "Bearer "+c.editor)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 413 {
		t.Errorf("a chunked 2 MiB fence: %d, want 413", resp.StatusCode)
	}
	// Within the limits: a push of 2 MiB on a data route is read whole.
	var items []string
	for range 9000 {
		items = append(items, `{"id":"nobody","lon":119.9,"lat":37.1,"speed":30,"heading":90,"altitude":12.5}`)
	}
	body := "[" + strings.Join(items, ",") + "]"
	if len(body) < preRead*4 {
		t.Fatalf("the push is only %d bytes", len(body))
	}
	if p := c.do(t, "POST", "/live/positions", c.device, body).problem(t, 400); !strings.Contains(p.Detail, "nobody") {
		t.Errorf("a large push was not read whole: %s", p.Detail)
	}
}

// chunked hides its length, so the client sends the body chunked.
type chunked struct{ r *strings.Reader }

func (c *chunked) Read(p []byte) (int, error) { return c.r.Read(p) }
