package mqtt_test

import (
	"context"
	"strings"
	"testing"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/yitu-gis/yitu/live/mqtt"
	"github.com/yitu-gis/yitu/live/mqtt/mqtttest"
)

func TestAdmin(t *testing.T) {
	b := mqtttest.New(t)
	a := newAdmin(t, b)
	ctx := context.Background()

	for range 2 { // idempotent
		addDevice(t, a, "wl-01", "first")
	}
	mustSensorClient(t, b, "wl-01", "first")

	// Adding it again changes its password.
	addDevice(t, a, "wl-01", "second")
	if _, err := sensorClient(t, b, "wl-01", "first"); err == nil {
		t.Error("the old password still connects")
	}
	lost := make(chan error, 1)
	pc := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + b.Addr).SetClientID("wl-01-watch").
		SetUsername("wl-01").SetPassword("second").SetAutoReconnect(false).
		SetConnectionLostHandler(func(_ paho.Client, err error) { lost <- err }))
	if tok := pc.Connect(); tok.Wait() && tok.Error() != nil {
		t.Fatalf("the new password does not connect: %v", tok.Error())
	}
	defer pc.Disconnect(0)

	// Removing it disconnects it and closes its account; removing it again is no error.
	for range 2 {
		if err := a.RemoveDevice(ctx, "wl-01"); err != nil {
			t.Fatal(err)
		}
	}
	<-lost
	if _, err := sensorClient(t, b, "wl-01", "second"); err == nil {
		t.Error("a removed device connects")
	}
	// And it can come back.
	addDevice(t, a, "wl-01", "third")
	mustSensorClient(t, b, "wl-01", "third")

	for _, id := range []string{"", "a/b", "wl+", "#", "x\n"} {
		if err := a.AddDevice(ctx, id, "pw"); err == nil || !strings.Contains(err.Error(), "device id") {
			t.Errorf("AddDevice(%q): %v, want the id refused", id, err)
		}
	}
	if err := a.AddDevice(ctx, "wl-02", ""); err == nil {
		t.Error("AddDevice with an empty password: no error")
	}
}

func TestAdminCredentials(t *testing.T) {
	b := mqtttest.New(t)
	addDevice(t, newAdmin(t, b), "wl-01", "pw")
	if _, err := mqtt.NewAdmin("mqtt://wl-01:pw@" + b.Addr); err == nil || !strings.Contains(err.Error(), "admin role") {
		t.Errorf("NewAdmin as a sensor: %v, want it refused for lack of the admin role", err)
	}
	if _, err := mqtt.NewAdmin("mqtt://" + b.AdminUser + ":wrong@" + b.Addr); err == nil || strings.Contains(err.Error(), "wrong") {
		t.Errorf("NewAdmin with a wrong password: %v, want an error without the password", err)
	}
}
