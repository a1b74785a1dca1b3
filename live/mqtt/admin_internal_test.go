package mqtt

import (
	"context"
	"testing"

	"github.com/yitu-gis/yitu/live/mqtt/mqtttest"
)

// An error in the plugin's answer comes back with the plugin's message.
func TestAdminBrokerError(t *testing.T) {
	b := mqtttest.New(t)
	a, err := NewAdmin(b.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	rs, err := a.do(context.Background(), dynsecCommand{"command": "getRole", "rolename": "nope"})
	if err != nil {
		t.Fatal(err)
	}
	err = check(rs[0], "nope")
	if err == nil || err.Error() != "mqtt admin: getRole nope: Role not found" {
		t.Errorf("got %v", err)
	}
}
