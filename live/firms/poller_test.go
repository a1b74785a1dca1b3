package firms

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// syncBuffer is a log the poller's goroutine writes while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// handled is what a test's handler saw: one entry per call.
type handled struct {
	n      int
	source string
}

func receive(t *testing.T, ch <-chan handled) handled {
	t.Helper()
	select {
	case h := <-ch:
		return h
	case <-time.After(10 * time.Second):
		t.Fatal("no records handed over in 10 s")
		return handled{}
	}
}

// runPoller runs a poller of url every 20 ms; the handler fails with failFirst on its first call.
func runPoller(t *testing.T, url string, failFirst error) (ch chan handled, log *syncBuffer, stop func()) {
	t.Helper()
	ch = make(chan handled, 16)
	log = &syncBuffer{}
	var calls atomic.Int32
	handle := func(ctx context.Context, recs []Record) error {
		ch <- handled{n: len(recs), source: recs[0].Hotspot.Source}
		if calls.Add(1) == 1 && failFirst != nil {
			return failFirst
		}
		return nil
	}
	p := NewPoller(url, 20*time.Millisecond, nil, handle, slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug})))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	return ch, log, func() {
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Run returned %v, want context.Canceled", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return after cancel")
		}
	}
}

// The poller sends the validators back, hands over a file only when it changed, and logs and
// retries a handler error, an HTTP error and a bad file.
func TestPoller(t *testing.T) {
	shandong, global := readShared(t, shandongFile), readShared(t, globalFile)
	t1 := time.Date(2023, 8, 2, 6, 0, 0, 0, time.UTC)
	t2 := t1.Add(3 * time.Hour)
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := n.Add(1)
		inm, ims := r.Header.Get("If-None-Match"), r.Header.Get("If-Modified-Since")
		want := `"s1"`
		switch i {
		case 1, 2: // the handler fails on the first: the second asks again without validators
			want = ""
		}
		if i <= 6 && (inm != want || (want != "" && ims != t1.Format(http.TimeFormat))) {
			t.Errorf("request %d: If-None-Match %q, If-Modified-Since %q; want %q and %s", i, inm, ims, want, t1.Format(http.TimeFormat))
		}
		switch i {
		case 1, 2, 3: // 3 is answered 304 by ServeContent
			w.Header().Set("ETag", `"s1"`)
			http.ServeContent(w, r, "shandong.csv", t1, bytes.NewReader(shandong))
		case 4:
			http.Error(w, "Exceeding allowed transaction limit", http.StatusServiceUnavailable)
		case 5:
			_, _ = w.Write([]byte(modisHeader + strings.Replace(modisRow, "36.91435", "96.9", 1)))
		default:
			w.Header().Set("ETag", `"g1"`)
			http.ServeContent(w, r, "global.csv", t2, bytes.NewReader(global))
		}
	}))
	defer srv.Close()

	ch, log, stop := runPoller(t, srv.URL+"/api/area/csv/0123456789abcdef0123456789abcdef/MODIS_NRT/world/1", errors.New("database away"))
	for i, want := range []int{120, 120, 500} {
		if h := receive(t, ch); h.n != want || h.source != srv.URL+"/api/area/csv/xxxxx/MODIS_NRT/world/1" {
			t.Errorf("call %d: %d records from %s, want %d", i+1, h.n, h.source, want)
		}
	}
	for n.Load() < 8 { // a few 304s of the global file
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	select {
	case h := <-ch:
		t.Errorf("an unchanged file was handed over again: %d records", h.n)
	default:
	}
	out := log.String()
	for _, w := range []string{
		"database away",
		"503 Service Unavailable",
		"Exceeding allowed transaction limit",
		"/api/area/csv/xxxxx/MODIS_NRT/world/1 line 2 column 1 (latitude): 96.9 is out of range",
		"file unchanged",
		"records=500",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("log lacks %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "0123456789abcdef") {
		t.Errorf("the map key is in the log:\n%s", out)
	}
}

// A server that sends no validators: an unchanged body is not handed over again.
func TestPollerNoValidators(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := viirsCSV
		if n.Add(1) > 3 {
			body += "36.7,117.5,310.2,0.46,0.39,2023-08-02,0611,N,n,2.0NRT,290.1,2.2,D\n"
		}
		_, _ = w.Write([]byte(body))
	}))
	defer srv.Close()
	ch, _, stop := runPoller(t, srv.URL+"/viirs.csv", nil)
	if h := receive(t, ch); h.n != 6 {
		t.Errorf("first file: %d records, want 6", h.n)
	}
	if h := receive(t, ch); h.n != 7 {
		t.Errorf("second file: %d records, want 7", h.n)
	}
	if n.Load() < 4 {
		t.Errorf("%d requests before the second file", n.Load())
	}
	for n.Load() < 7 {
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	select {
	case h := <-ch:
		t.Errorf("an unchanged file was handed over again: %d records", h.n)
	default:
	}
}

func TestPollerInterval(t *testing.T) {
	p := NewPoller("http://127.0.0.1:1/x.csv", 0, nil, nil, nil)
	if err := p.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "interval") {
		t.Errorf("Run with interval 0: %v", err)
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"https://firms.modaps.eosdis.nasa.gov/api/area/csv/0123456789abcdef/VIIRS_SNPP_NRT/world/1":                     "https://firms.modaps.eosdis.nasa.gov/api/area/csv/xxxxx/VIIRS_SNPP_NRT/world/1",
		"https://firms.modaps.eosdis.nasa.gov/api/country/csv/abc/MODIS_NRT/CHN/1":                                      "https://firms.modaps.eosdis.nasa.gov/api/country/csv/xxxxx/MODIS_NRT/CHN/1",
		"https://u:secret@example.org/fire.csv?key=abc&day=1":                                                           "https://u:xxxxx@example.org/fire.csv?day=1&key=xxxxx",
		"https://nrt3.modaps.eosdis.nasa.gov/archive/FIRMS/modis-c6.1/Global/MODIS_C6_1_Global_MCD14DL_NRT_2023213.txt": "https://nrt3.modaps.eosdis.nasa.gov/archive/FIRMS/modis-c6.1/Global/MODIS_C6_1_Global_MCD14DL_NRT_2023213.txt",
		"http://[::1": "(unparsable URL)",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%s) = %s, want %s", in, got, want)
		}
	}
}

// A network error names the URL without its map key.
func TestPollerNetworkError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/api/area/csv/0123456789abcdef/VIIRS_NOAA20_NRT/world/1"
	srv.Close()
	p := NewPoller(url, time.Minute, nil, nil, nil)
	_, _, _, err := p.poll(context.Background(), version{})
	if err == nil || strings.Contains(err.Error(), "0123456789abcdef") || !strings.Contains(err.Error(), "/api/area/csv/xxxxx/") {
		t.Errorf("error %v", err)
	}
}
