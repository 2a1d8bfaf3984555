package devstack

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
)

func TestStartFailsCleanlyWhenNothingAnswers(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := fmt.Sprintf("http://%s", l.Addr())
	l.Close()
	_, err = Start(context.Background(), Options{Endpoint: dead, NoMoto: true, APIAddr: "127.0.0.1:0", LambdaAddr: "127.0.0.1:0"})
	if err == nil || !strings.Contains(err.Error(), "nothing answers") {
		t.Fatalf("Start = %v, want a 'nothing answers' error", err)
	}
}

func TestStartFailsOnBusyPort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, err = Start(context.Background(), Options{Endpoint: "http://127.0.0.1:1", NoMoto: true, APIAddr: l.Addr().String(), LambdaAddr: "127.0.0.1:0"})
	if err == nil || !strings.Contains(err.Error(), "cannot listen") {
		t.Fatalf("Start = %v, want a 'cannot listen' error", err)
	}
}
