package firms

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Poller fetches a FIRMS CSV from a URL on an interval (the area API, or an NRT file) and hands
// each new version of the file to a handler.
//
// The handler gets every row of the file each time the file changes, rows it has seen before
// included (a FIRMS file is a moving window, not a feed); Key tells which rows are known.
type Poller struct {
	url    string
	source string // the URL with its map key and any password hidden: for logs and Hotspot.Source
	every  time.Duration
	client *http.Client
	handle func(context.Context, []Record) error
	log    *slog.Logger
}

// NewPoller makes a poller of url every interval. A nil client is one with a five-minute timeout;
// a nil log discards.
func NewPoller(url string, every time.Duration, client *http.Client, handle func(context.Context, []Record) error, log *slog.Logger) *Poller {
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Minute}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Poller{url: url, source: Redact(url), every: every, client: client, handle: handle, log: log}
}

// version is what the poller knows of the file the handler last took: the server's validators
// (sent back in If-None-Match and If-Modified-Since) and, for servers that send none, a hash of
// the body.
type version struct {
	etag, lastModified string
	sum                [sha256.Size]byte
}

// Run polls at once and then every interval until ctx ends, and returns ctx's error. A failed poll
// (the network, an HTTP status, a bad file, the handler's error) is logged and tried again at the
// next interval. What the poller knows of the file is updated only when the handler has taken its
// records, so a file the handler failed on is fetched and handed over again.
func (p *Poller) Run(ctx context.Context) error {
	if p.every <= 0 {
		return fmt.Errorf("firms poller of %s: interval %v must be positive", p.source, p.every)
	}
	t := time.NewTicker(p.every)
	defer t.Stop()
	var v version
	for {
		nv, n, changed, err := p.poll(ctx, v)
		switch {
		case ctx.Err() != nil:
		case err != nil:
			p.log.Warn("firms poll failed; trying again at the next interval", "source", p.source, "every", p.every, "err", err)
		case !changed:
			p.log.Debug("firms poll: file unchanged", "source", p.source)
		default:
			p.log.Info("firms poll: new file", "source", p.source, "records", n)
		}
		if err == nil {
			v = nv
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// poll fetches the file once and hands its records over if it changed since v; it returns what is
// then known of the file, how many records were handed over and whether the file had changed.
func (p *Poller) poll(ctx context.Context, v version) (version, int, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url, nil)
	if err != nil {
		return v, 0, false, fmt.Errorf("%s: %w", p.source, err)
	}
	req.Header.Set("Accept", "text/csv, text/plain;q=0.9, */*;q=0.1")
	if v.etag != "" {
		req.Header.Set("If-None-Match", v.etag)
	}
	if v.lastModified != "" {
		req.Header.Set("If-Modified-Since", v.lastModified)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		// The error quotes the URL; keep the map key out of the log.
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			ue.URL = p.source
		}
		return v, 0, false, err
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		_ = resp.Body.Close()
	}()
	switch resp.StatusCode {
	case http.StatusNotModified:
		return v, 0, false, nil
	case http.StatusOK:
	default:
		// FIRMS explains in the body ("Invalid MAP_KEY.", "Exceeding allowed transaction limit").
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		return v, 0, false, fmt.Errorf("GET %s: %s: %q", p.source, resp.Status, strings.TrimSpace(string(body)))
	}
	h := sha256.New()
	recs, err := Parse(io.TeeReader(resp.Body, h), p.source)
	if err != nil {
		return v, 0, false, err
	}
	nv := version{etag: resp.Header.Get("ETag"), lastModified: resp.Header.Get("Last-Modified")}
	h.Sum(nv.sum[:0])
	if nv.sum == v.sum {
		return nv, 0, false, nil // a server without validators sent the same file again
	}
	if len(recs) > 0 {
		if err := p.handle(ctx, recs); err != nil {
			return v, 0, false, fmt.Errorf("%s: handling %d records: %w", p.source, len(recs), err)
		}
	}
	return nv, len(recs), true, nil
}

// Redact hides the secrets a FIRMS URL can carry: the map key of the API
// (/api/area/csv/<MAP_KEY>/…), a password, and key or token query parameters.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	if parts := strings.Split(u.Path, "/"); len(parts) > 4 && parts[1] == "api" {
		for i := 2; i+1 < len(parts); i++ {
			if parts[i] == "csv" || parts[i] == "json" {
				parts[i+1] = "xxxxx"
				break
			}
		}
		u.Path, u.RawPath = strings.Join(parts, "/"), ""
	}
	if q := u.Query(); len(q) > 0 {
		for k := range q {
			switch strings.ToLower(k) {
			case "key", "map_key", "mapkey", "api_key", "apikey", "token", "access_token":
				q.Set(k, "xxxxx")
			}
		}
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}
