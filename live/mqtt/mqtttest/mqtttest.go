// Package mqtttest starts a throwaway Mosquitto broker per test, configured as scripts/mqtt configures
// Yitu's private broker: anonymous clients refused, persistence on, and the dynamic-security plugin
// initialised with an admin client that also holds yitu-reader (subscribe to and receive
// yitu/sensors/#). Tests use it instead of a mock broker.
package mqtttest

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"text/template"
)

// Broker is a running Mosquitto that lives as long as its test.
type Broker struct {
	URL           string // mqtt://AdminUser:AdminPassword@Addr
	Addr          string // 127.0.0.1:port
	AdminUser     string // the dynamic-security admin, also allowed to subscribe to yitu/sensors/#
	AdminPassword string

	dir  string
	bin  string
	conf string

	mu   sync.Mutex
	log  []string // what the broker wrote, across restarts
	proc *process
}

type process struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed once the process has exited and its output is read
	err    error         // of Wait, set before exited closes
}

// The broker's configuration: what scripts/mqtt writes, in the foreground and logging to stderr.
var config = template.Must(template.New("mosquitto.conf").Parse(`# Written by mqtttest (the same settings as scripts/mqtt).
per_listener_settings false
allow_anonymous false
listener {{.Port}} 127.0.0.1

persistence true
persistence_location {{.Dir}}/
autosave_interval 60
max_queued_messages 100000

plugin {{.Plugin}}
plugin_opt_config_file {{.Dir}}/dynamic-security.json

log_dest stderr
log_type error
log_type warning
log_type notice
log_type information
connection_messages true

user mosquitto
`))

// New starts a broker on a free loopback port in a folder of t.TempDir(), returns once it accepts
// connections and stops it when the test ends. It fails the test if Mosquitto is not installed.
func New(t testing.TB) *Broker {
	t.Helper()
	bin := lookPath("mosquitto", "/usr/sbin/mosquitto")
	ctrl := lookPath("mosquitto_ctrl", "/usr/bin/mosquitto_ctrl")
	plugin := dynsecPlugin()
	if bin == "" || ctrl == "" || plugin == "" {
		t.Fatalf("mqtttest: Mosquitto is not installed (need mosquitto, mosquitto_ctrl and mosquitto_dynamic_security.so): run `make setup` (Debian packages mosquitto mosquitto-clients)")
	}
	b := &Broker{dir: t.TempDir(), bin: bin, AdminUser: "yitu", AdminPassword: randomHex(t, 12)}
	b.conf = filepath.Join(b.dir, "mosquitto.conf")
	if err := b.initDynsec(ctrl); err != nil {
		t.Fatalf("mqtttest: %v", err)
	}
	t.Cleanup(func() {
		b.stop()
		if t.Failed() {
			t.Logf("mqtttest: the broker's log:\n%s", b.logTail(200))
		}
	})
	// A free port can be taken between asking and binding: then try another.
	for attempt := 1; ; attempt++ {
		port := freePort(t)
		if err := b.writeConfig(port, plugin); err != nil {
			t.Fatalf("mqtttest: %v", err)
		}
		err := b.start()
		if err == nil {
			b.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
			b.URL = "mqtt://" + b.AdminUser + ":" + b.AdminPassword + "@" + b.Addr
			return b
		}
		if !strings.Contains(err.Error(), "Address already in use") || attempt == 5 {
			t.Fatalf("mqtttest: %v", err)
		}
	}
}

// Restart stops the broker (it saves its persistence file as it goes) and starts it again on the same
// port with the same folder: sessions, their queued QoS 1 messages and the dynamic-security clients
// survive, connections do not.
func (b *Broker) Restart(t testing.TB) {
	t.Helper()
	b.stop()
	if err := b.start(); err != nil {
		t.Fatalf("mqtttest: restarting: %v", err)
	}
}

// initDynsec writes the plugin's JSON: mosquitto_ctrl's admin client (it salts and hashes the
// password) with the yitu-reader role added, before the first start, as scripts/mqtt does.
func (b *Broker) initDynsec(ctrl string) error {
	file := filepath.Join(b.dir, "dynamic-security.json")
	out, err := exec.Command(ctrl, "dynsec", "init", file, b.AdminUser, b.AdminPassword).CombinedOutput()
	if err != nil {
		return fmt.Errorf("mosquitto_ctrl dynsec init %s: %v: %s", file, err, out)
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var doc struct {
		Clients          []map[string]any `json:"clients"`
		Roles            []map[string]any `json:"roles"`
		DefaultACLAccess map[string]any   `json:"defaultACLAccess"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("%s: %v", file, err)
	}
	if len(doc.Clients) != 1 {
		return fmt.Errorf("%s: %d clients after mosquitto_ctrl dynsec init, want the admin alone", file, len(doc.Clients))
	}
	roles, _ := doc.Clients[0]["roles"].([]any)
	doc.Clients[0]["roles"] = append(roles, map[string]any{"rolename": "yitu-reader"})
	doc.Roles = append(doc.Roles, map[string]any{"rolename": "yitu-reader", "acls": []any{
		map[string]any{"acltype": "subscribePattern", "topic": "yitu/sensors/#", "allow": true},
		map[string]any{"acltype": "publishClientReceive", "topic": "yitu/sensors/#", "allow": true},
	}})
	raw, err = json.MarshalIndent(doc, "", "\t")
	if err != nil {
		return err
	}
	return os.WriteFile(file, raw, 0o600)
}

func (b *Broker) writeConfig(port int, plugin string) error {
	f, err := os.Create(b.conf)
	if err != nil {
		return err
	}
	err = config.Execute(f, map[string]any{"Port": port, "Dir": b.dir, "Plugin": plugin})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %v", b.conf, err)
	}
	return b.chown()
}

// chown hands the folder to the mosquitto account when the tests run as root, since mosquitto then
// drops to it (user mosquitto), and lets that account reach the folder.
func (b *Broker) chown() error {
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("mosquitto")
	if err != nil {
		return fmt.Errorf("running as root, mosquitto drops to the account mosquitto: %v (reinstall the Debian package mosquitto)", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	err = filepath.WalkDir(b.dir, func(path string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, uid, gid)
	})
	if err != nil {
		return err
	}
	for d := filepath.Dir(b.dir); ; d = filepath.Dir(d) {
		if fi, err := os.Stat(d); err == nil && fi.Mode().Perm()&0o001 == 0 {
			if err := os.Chmod(d, fi.Mode().Perm()|0o001); err != nil {
				return err
			}
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}

// start runs the broker and returns once its log says it is running (its listener is open then), or
// with the log's tail if it exits first.
func (b *Broker) start() error {
	cmd := exec.Command(b.bin, "-c", b.conf)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %v", b.bin, err)
	}
	p := &process{cmd: cmd, exited: make(chan struct{})}
	running := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		announced := false
		for sc.Scan() {
			line := sc.Text()
			b.mu.Lock()
			b.log = append(b.log, line)
			b.mu.Unlock()
			if !announced && strings.Contains(line, "mosquitto version") && strings.HasSuffix(line, " running") {
				announced = true
				close(running)
			}
		}
		p.err = cmd.Wait()
		close(p.exited)
	}()
	select {
	case <-running:
		b.mu.Lock()
		b.proc = p
		b.mu.Unlock()
		return nil
	case <-p.exited:
		return fmt.Errorf("mosquitto -c %s exited (%v) before it was running:\n%s", b.conf, p.err, b.logTail(20))
	}
}

// stop ends the broker with SIGTERM, which makes it save its persistence file, and waits for it.
func (b *Broker) stop() {
	b.mu.Lock()
	p := b.proc
	b.proc = nil
	b.mu.Unlock()
	if p == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	<-p.exited
}

func (b *Broker) logTail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	lines := b.log
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func lookPath(name, fallback string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if _, err := os.Stat(fallback); err == nil {
		return fallback
	}
	return ""
}

// dynsecPlugin finds the dynamic-security plugin (Debian installs it in the multiarch folder).
func dynsecPlugin() string {
	candidates, _ := filepath.Glob("/usr/lib/*/mosquitto_dynamic_security.so")
	candidates = append(candidates, "/usr/lib/mosquitto_dynamic_security.so", "/usr/local/lib/mosquitto_dynamic_security.so")
	for _, c := range candidates {
		if _, err := os.Stat(c); err == nil {
			return c
		}
	}
	return ""
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mqtttest: finding a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func randomHex(t testing.TB, n int) string {
	buf := make([]byte, n)
	if _, err := rand.Read(buf); err != nil {
		t.Fatalf("mqtttest: %v", err)
	}
	return hex.EncodeToString(buf)
}
