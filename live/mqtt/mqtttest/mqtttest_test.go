package mqtttest_test

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/yitu-gis/yitu/live/mqtt/mqtttest"
)

// connect connects to addr as user and returns paho's error.
func connect(t *testing.T, addr, user, password string) (paho.Client, error) {
	t.Helper()
	pc := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + addr).
		SetClientID("mqtttest-" + strconv.Itoa(os.Getpid()) + "-" + user).
		SetUsername(user).SetPassword(password).SetAutoReconnect(false))
	tok := pc.Connect()
	tok.Wait()
	if tok.Error() == nil {
		t.Cleanup(func() { pc.Disconnect(0) })
	}
	return pc, tok.Error()
}

// reads says whether the client may subscribe to the sensors' topics (yitu-reader).
func reads(t *testing.T, pc paho.Client) bool {
	t.Helper()
	tok := pc.Subscribe("yitu/sensors/#", 1, nil)
	tok.Wait()
	if tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	return tok.(*paho.SubscribeToken).Result()["yitu/sensors/#"] == 1
}

func TestBroker(t *testing.T) {
	b := mqtttest.New(t)
	if want := "mqtt://" + b.AdminUser + ":" + b.AdminPassword + "@" + b.Addr; b.URL != want {
		t.Errorf("URL %q, want %q", b.URL, want)
	}
	pc, err := connect(t, b.Addr, b.AdminUser, b.AdminPassword)
	if err != nil {
		t.Fatalf("the admin cannot connect: %v", err)
	}
	if !reads(t, pc) {
		t.Error("the admin may not subscribe to yitu/sensors/#")
	}
	if _, err := connect(t, b.Addr, b.AdminUser, "wrong"); err == nil {
		t.Error("a wrong password connected")
	}
	if _, err := connect(t, b.Addr, "", ""); err == nil {
		t.Error("an anonymous client connected")
	}

	b.Restart(t)
	if pc.IsConnectionOpen() {
		t.Error("a connection survived the restart")
	}
	if _, err := connect(t, b.Addr, b.AdminUser, b.AdminPassword); err != nil {
		t.Fatalf("the admin cannot connect after a restart: %v", err)
	}
}

// TestScript runs scripts/mqtt, Yitu's private broker, in a folder of its own on a free port.
func TestScript(t *testing.T) {
	script, err := filepath.Abs("../../../scripts/mqtt")
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	dir := filepath.Join(t.TempDir(), "mqtt")
	run := func(arg string) (string, int) {
		t.Helper()
		cmd := exec.Command(script, arg)
		cmd.Env = append(os.Environ(), "YITU_MQTT_DIR="+dir, "YITU_MQTT_PORT="+port)
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("scripts/mqtt %s: %v", arg, err)
		}
		return strings.TrimSpace(string(out)), code
	}
	t.Cleanup(func() { run("stop") })

	url := "mqtt://yitu:yitu@127.0.0.1:" + port
	if out, code := run("url"); out != url || code != 0 {
		t.Errorf("url: %q (exit %d), want %q", out, code, url)
	}
	if out, code := run("status"); code != 3 {
		t.Errorf("status before start: %q, exit %d, want 3", out, code)
	}
	for range 2 { // idempotent
		if out, code := run("start"); code != 0 {
			t.Fatalf("start: exit %d: %s", code, out)
		}
	}
	if out, code := run("status"); code != 0 || out != "running: "+url {
		t.Errorf("status: %q, exit %d", out, code)
	}
	pc, err := connect(t, "127.0.0.1:"+port, "yitu", "yitu")
	if err != nil {
		t.Fatalf("yitu cannot connect to the script's broker: %v", err)
	}
	if !reads(t, pc) {
		t.Error("yitu may not subscribe to yitu/sensors/# at the script's broker")
	}
	if out, code := run("stop"); code != 0 {
		t.Fatalf("stop: exit %d: %s", code, out)
	}
	if out, code := run("status"); code != 3 {
		t.Errorf("status after stop: %q, exit %d, want 3", out, code)
	}
	// Started again, it keeps its dynamic-security clients (and its persistence).
	if out, code := run("start"); code != 0 {
		t.Fatalf("start again: exit %d: %s", code, out)
	}
	if _, err := connect(t, "127.0.0.1:"+port, "yitu", "yitu"); err != nil {
		t.Fatalf("yitu cannot connect after a restart: %v", err)
	}
	for _, f := range []string{"mosquitto.conf", "dynamic-security.json", "mosquitto.db"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}
