package mqtt

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// The dynamic-security plugin's control topics.
const (
	controlTopic  = "$CONTROL/dynamic-security/v1"
	responseTopic = "$CONTROL/dynamic-security/v1/response"
)

// Admin manages the sensors' accounts at a Mosquitto broker through its dynamic-security plugin:
// JSON commands published to $CONTROL/dynamic-security/v1, answered on …/response. The connecting
// user needs the plugin's admin role. It connects on demand and again after a lost connection. Safe
// for concurrent use.
type Admin struct {
	b      broker
	prefix string // of this admin's client id and correlation data: other admins' answers arrive too

	mu     sync.Mutex // guards the fields below; held while connecting
	cur    *adminConn
	next   uint64
	closed bool
}

// adminConn is one connection of an Admin, with the commands waiting for their answers on it.
type adminConn struct {
	pc      paho.Client
	mu      sync.Mutex
	waiting map[string]chan answer
	lost    error
}

type answer struct {
	rs  []dynsecResponse
	err error
}

type dynsecCommand map[string]any

type dynsecResponse struct {
	Command         string          `json:"command"`
	Error           string          `json:"error"`
	Data            json.RawMessage `json:"data"`
	CorrelationData string          `json:"correlationData"`
}

// errLost: the connection was lost before the answer came; the commands may or may not have run.
var errLost = errors.New("connection lost")

// NewAdmin connects to the broker at url (mqtt://admin:password@host:port) and checks that the user
// may read the plugin's answers.
func NewAdmin(url string) (*Admin, error) {
	b, err := parseURL(url)
	if err != nil {
		return nil, fmt.Errorf("mqtt admin: %w", err)
	}
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, fmt.Errorf("mqtt admin: %w", err)
	}
	a := &Admin{b: b, prefix: hex.EncodeToString(rnd[:])}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if _, err := a.conn(ctx); err != nil {
		return nil, err
	}
	return a, nil
}

// Close disconnects; later commands fail.
func (a *Admin) Close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.closed = true
	if a.cur != nil {
		a.cur.pc.Disconnect(250)
		a.cur.fail(errors.New("admin closed"))
	}
}

// conn returns the connection, connecting (and subscribing to the answers) if there is none.
func (a *Admin) conn(ctx context.Context) (*adminConn, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return nil, fmt.Errorf("mqtt admin: %s: closed", a.b.addr)
	}
	if a.cur != nil && a.cur.ok() && a.cur.pc.IsConnectionOpen() {
		return a.cur, nil
	}
	if a.cur != nil {
		a.cur.pc.Disconnect(0)
		a.cur.fail(errLost)
		a.cur = nil
	}
	c := &adminConn{waiting: map[string]chan answer{}}
	c.pc = paho.NewClient(paho.NewClientOptions().
		AddBroker(a.b.server).
		SetClientID("yitu-admin-" + a.prefix).
		SetUsername(a.b.username).
		SetPassword(a.b.password).
		SetCleanSession(true).
		SetAutoReconnect(false). // conn connects again when needed
		SetConnectTimeout(10 * time.Second).
		SetKeepAlive(30 * time.Second).
		SetConnectionLostHandler(func(_ paho.Client, err error) { c.fail(fmt.Errorf("%w: %v", errLost, err)) }))
	if err := await(ctx, c.pc.Connect()); err != nil {
		c.pc.Disconnect(0)
		return nil, fmt.Errorf("mqtt admin: connecting to %s as %q: %w", a.b.addr, a.b.username, err)
	}
	sub := c.pc.Subscribe(responseTopic, 1, c.response)
	err := await(ctx, sub)
	if err == nil && sub.(*paho.SubscribeToken).Result()[responseTopic] > 2 {
		err = fmt.Errorf("the broker refused the subscription to %s: does %q hold the dynamic-security admin role?", responseTopic, a.b.username)
	}
	if err != nil {
		c.pc.Disconnect(0)
		return nil, fmt.Errorf("mqtt admin: %s: %w", a.b.addr, err)
	}
	a.cur = c
	return c, nil
}

func (c *adminConn) ok() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lost == nil
}

// fail ends the connection's waiting commands with err.
func (c *adminConn) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lost == nil {
		c.lost = err
	}
	for corr, ch := range c.waiting {
		ch <- answer{err: err}
		delete(c.waiting, corr)
	}
}

// response routes an answer to the command that waits for it.
func (c *adminConn) response(_ paho.Client, m paho.Message) {
	var msg struct {
		Responses []dynsecResponse `json:"responses"`
	}
	if err := json.Unmarshal(m.Payload(), &msg); err != nil || len(msg.Responses) == 0 {
		return
	}
	corr := msg.Responses[0].CorrelationData
	c.mu.Lock()
	defer c.mu.Unlock()
	if ch, ok := c.waiting[corr]; ok {
		ch <- answer{rs: msg.Responses}
		delete(c.waiting, corr)
	}
}

// retry runs an idempotent operation again, once, if the connection was lost under it.
func retry(op func() error) error {
	err := op()
	if errors.Is(err, errLost) {
		err = op()
	}
	return err
}

// AddDevice gives sensor id a broker account: a client with user name id and that password, holding
// the role sensor-<id>, which may publish under yitu/sensors/<id>/ (and nowhere else: the default ACL
// denies publishing). For an existing device it sets the password and makes sure of the role.
func (a *Admin) AddDevice(ctx context.Context, id, password string) error {
	if err := checkID(id); err != nil {
		return err
	}
	if password == "" {
		return fmt.Errorf("mqtt admin: device %q: empty password", id)
	}
	return retry(func() error { return a.addDevice(ctx, id, password) })
}

func (a *Admin) addDevice(ctx context.Context, id, password string) error {
	role := "sensor-" + id
	acl := dynsecCommand{"acltype": "publishClientSend", "topic": DefaultTopic + "/" + id + "/#", "allow": true}
	for attempt := 0; ; attempt++ {
		rs, err := a.do(ctx,
			dynsecCommand{"command": "createRole", "rolename": role, "acls": []any{acl},
				"textdescription": "Yitu sensor " + id + ": publishes its readings"},
			dynsecCommand{"command": "addRoleACL", "rolename": role, "acltype": acl["acltype"], "topic": acl["topic"], "allow": true},
			dynsecCommand{"command": "getClient", "username": id},
		)
		if err != nil {
			return err
		}
		if err := check(rs[0], role, "Role already exists"); err != nil {
			return err
		}
		if err := check(rs[1], role, "ACL with this topic already exists"); err != nil {
			return err
		}
		if rs[2].Error == "Client not found" {
			rs, err := a.do(ctx, dynsecCommand{"command": "createClient", "username": id, "password": password,
				"roles": []any{map[string]any{"rolename": role}}})
			if err != nil {
				return err
			}
			if rs[0].Error == "Client already exists" && attempt == 0 { // added meanwhile: update it
				continue
			}
			return check(rs[0], id)
		}
		if err := check(rs[2], id); err != nil {
			return err
		}
		var got struct {
			Client struct {
				Roles []struct {
					Rolename string `json:"rolename"`
				} `json:"roles"`
			} `json:"client"`
		}
		if err := json.Unmarshal(rs[2].Data, &got); err != nil {
			return fmt.Errorf("mqtt admin: %s: getClient %s: %v", a.b.addr, id, err)
		}
		cmds := []dynsecCommand{{"command": "setClientPassword", "username": id, "password": password}}
		has := false
		for _, r := range got.Client.Roles {
			has = has || r.Rolename == role
		}
		if !has {
			cmds = append(cmds, dynsecCommand{"command": "addClientRole", "username": id, "rolename": role})
		}
		rs, err = a.do(ctx, cmds...)
		if err != nil {
			return err
		}
		for _, r := range rs {
			if err := check(r, id); err != nil {
				return err
			}
		}
		return nil
	}
}

// RemoveDevice deletes sensor id's client (the broker disconnects it) and its role. Removing a device
// without an account is not an error.
func (a *Admin) RemoveDevice(ctx context.Context, id string) error {
	if err := checkID(id); err != nil {
		return err
	}
	return retry(func() error {
		rs, err := a.do(ctx,
			dynsecCommand{"command": "deleteClient", "username": id},
			dynsecCommand{"command": "deleteRole", "rolename": "sensor-" + id},
		)
		if err != nil {
			return err
		}
		if err := check(rs[0], id, "Client not found"); err != nil {
			return err
		}
		return check(rs[1], "sensor-"+id, "Role not found")
	})
}

// checkID refuses ids that cannot be an MQTT user name and a topic level.
func checkID(id string) error {
	if id == "" || len(id) > 128 || strings.ContainsAny(id, "/+#") ||
		strings.ContainsFunc(id, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return fmt.Errorf("mqtt admin: device id %q: want 1–128 characters without /, +, # or control characters", id)
	}
	return nil
}

// check turns a command's response into an error naming the command, its subject and the broker's
// message, unless the message is one of ok.
func check(r dynsecResponse, subject string, ok ...string) error {
	if r.Error == "" {
		return nil
	}
	for _, o := range ok {
		if r.Error == o {
			return nil
		}
	}
	return fmt.Errorf("mqtt admin: %s %s: %s", r.Command, subject, r.Error)
}

// do sends commands in one message and returns their responses, in order.
func (a *Admin) do(ctx context.Context, cmds ...dynsecCommand) ([]dynsecResponse, error) {
	names := make([]string, len(cmds))
	for i, c := range cmds {
		names[i], _ = c["command"].(string)
	}
	what := strings.Join(names, ", ")
	c, err := a.conn(ctx)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	a.next++
	corr := a.prefix + "-" + strconv.FormatUint(a.next, 10)
	a.mu.Unlock()
	for _, cmd := range cmds {
		cmd["correlationData"] = corr
	}
	payload, err := json.Marshal(map[string]any{"commands": cmds})
	if err != nil {
		return nil, fmt.Errorf("mqtt admin: %v", err)
	}
	ch := make(chan answer, 1)
	c.mu.Lock()
	lost := c.lost
	if lost == nil {
		c.waiting[corr] = ch
	}
	c.mu.Unlock()
	if lost != nil {
		return nil, fmt.Errorf("mqtt admin: %s: %s: %w", a.b.addr, what, lost)
	}
	defer func() {
		c.mu.Lock()
		delete(c.waiting, corr)
		c.mu.Unlock()
	}()
	if err := await(ctx, c.pc.Publish(controlTopic, 1, false, payload)); err != nil {
		return nil, fmt.Errorf("mqtt admin: %s: sending %s: %w", a.b.addr, what, err)
	}
	select {
	case ans := <-ch:
		if ans.err != nil {
			return nil, fmt.Errorf("mqtt admin: %s: %s: %w", a.b.addr, what, ans.err)
		}
		if len(ans.rs) != len(cmds) {
			return nil, fmt.Errorf("mqtt admin: %s: %d responses to %d commands (%s)", a.b.addr, len(ans.rs), len(cmds), what)
		}
		return ans.rs, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("mqtt admin: %s: waiting for the answer to %s: %w", a.b.addr, what, ctx.Err())
	}
}
