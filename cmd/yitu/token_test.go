package main

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/yitu-gis/yitu/spatial/pgtest"
)

// TestTokenEndToEnd: yitu token create prints a token once; yitu serve accepts it as a bearer token
// for an edit only an admin may make, and refuses a forged one.
func TestTokenEndToEnd(t *testing.T) {
	_, dbURL := pgtest.NewWithURL(t)
	code, out := yitu(t, nil, "token", "create", "--subject", "张工", "--roles", "admin,surveyor", "--note", "测试", "--database-url", dbURL)
	if code != 0 {
		t.Fatalf("token create: exit %d\n%s", code, out)
	}
	var token string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "yitu_") {
			token = line
		}
	}
	if len(token) < 40 || !strings.Contains(out, "shown only now") {
		t.Fatalf("token create printed %q", out)
	}
	if code, out := yitu(t, nil, "token", "create", "--subject", "x", "--roles", "Bad Role", "--database-url", dbURL); code != 1 || !strings.Contains(lastLine(out), `role "Bad Role"`) {
		t.Errorf("a bad role: exit %d, %q", code, lastLine(out))
	}
	if code, _ := yitu(t, nil, "token", "create", "--roles", "a", "--database-url", dbURL); code != 2 {
		t.Errorf("no subject: exit %d, want 2", code)
	}

	base := serve(t, dbURL)
	post := func(tok string) int {
		req, _ := http.NewRequest("POST", base+"/collections/basemap.road/items", strings.NewReader(
			`{"type":"Feature","geometry":{"type":"LineString","coordinates":[[119.94,37.18],[119.95,37.18]]},"properties":{"name":"文化东路"}}`))
		req.Header.Set("Content-Type", "application/geo+json")
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := post(""); s != 401 {
		t.Errorf("anonymous POST: %d, want 401", s)
	}
	if s := post("yitu_forgedforgedforgedforgedforgedforgedfor"); s != 401 {
		t.Errorf("forged token: %d, want 401", s)
	}
	if s := post(token); s != 201 {
		t.Errorf("POST with the token: %d, want 201", s)
	}
	if code, out := yitu(t, nil, "token", "revoke", "--subject", "张工", "--database-url", dbURL); code != 0 || !strings.Contains(out, "revoked 1 token") {
		t.Errorf("revoke: exit %d %s", code, out)
	}
}
