package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/spatial/auth"
)

// cmdToken creates and revokes API tokens: yitu token create --subject S --roles a,b prints a new
// token once (only its hash is stored).
func cmdToken(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || (args[0] != "create" && args[0] != "revoke") {
		return usageError{"token takes create (--subject S --roles a,b [--note N] [--ttl 720h]) or revoke (--subject S)"}
	}
	action := args[0]
	f := newFlags(e, "token "+action)
	subject := f.String("subject", "", "who the token acts as (a person or a system)")
	roles := f.String("roles", "", "comma-separated roles, e.g. planner,surveyor (admin may read and write every layer)")
	note := f.String("note", "", "what the token is for")
	ttl := f.Duration("ttl", 0, "lifetime, e.g. 720h (default: no expiry)")
	cfg, err := f.load(e, args[1:], nil)
	if err != nil {
		return err
	}
	if *subject == "" {
		return usageError{"--subject is required"}
	}
	pool, err := spatial.Open(ctx, cfg.Database)
	if err != nil {
		return err
	}
	defer pool.Close()
	tokens := auth.New(pool)
	if action == "revoke" {
		n, err := tokens.Revoke(ctx, *subject)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "revoked %d token(s) of %s\n", n, *subject)
		return nil
	}
	var rs []string
	for _, r := range strings.Split(*roles, ",") {
		if r = strings.TrimSpace(r); r != "" {
			rs = append(rs, r)
		}
	}
	token, err := tokens.Create(ctx, *subject, rs, *note, *ttl)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, token)
	expiry := "never expires"
	if *ttl > 0 {
		expiry = "expires " + time.Now().Add(*ttl).Format(time.RFC3339)
	}
	fmt.Fprintf(e.stderr, "token for %s with roles [%s], %s; it is shown only now: send it as Authorization: Bearer <token>\n",
		*subject, strings.Join(rs, ", "), expiry)
	return nil
}
