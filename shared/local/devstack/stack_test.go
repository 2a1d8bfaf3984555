package devstack

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/targetloader/targetloader/shared/local/localaws"
)

func deadEndpoint(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := fmt.Sprintf("http://%s", l.Addr())
	l.Close()
	return dead
}

func TestStartFailsCleanlyWhenNothingAnswers(t *testing.T) {
	dead := deadEndpoint(t)
	_, err := Start(context.Background(), Options{Endpoint: dead, NoMoto: true, APIAddr: "127.0.0.1:0", LambdaAddr: "127.0.0.1:0"})
	if err == nil || !strings.Contains(err.Error(), "nothing answers at the AWS endpoint "+dead) ||
		!strings.Contains(err.Error(), "set TL_ENDPOINT (or DEV_FLAGS=--endpoint)") {
		t.Fatalf("Start = %v, want a 'nothing answers' error naming the setting", err)
	}
}

// A busy port is reported with the setting that moves the server elsewhere.
func TestStartFailsOnBusyPortNamingTheSetting(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	busy := l.Addr().String()
	for _, c := range []struct {
		opts Options
		want string
	}{
		{Options{APIAddr: busy, LambdaAddr: "127.0.0.1:0"}, busy + " is in use (another make dev, or another program): set TL_API_ADDR (or DEV_FLAGS=--api-addr) to another address for the API"},
		{Options{APIAddr: "127.0.0.1:0", LambdaAddr: busy}, busy + " is in use (another make dev, or another program): set TL_LAMBDA_ADDR (or DEV_FLAGS=--lambda-addr) to another address for the Invoke API"},
	} {
		c.opts.Endpoint, c.opts.NoMoto = "http://127.0.0.1:1", true
		if _, err := Start(context.Background(), c.opts); err == nil || err.Error() != c.want {
			t.Errorf("Start = %v, want %q", err, c.want)
		}
	}
}

// Something that is neither moto_server nor LocalStack answers at the
// endpoint: make dev refuses to create tables there unless allowed.
func TestStartRefusesAnUnknownServer(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("<html>a stranger's web app</html>"))
	}))
	defer other.Close()
	_, err := Start(context.Background(), Options{Endpoint: other.URL, APIAddr: "127.0.0.1:0", LambdaAddr: "127.0.0.1:0"})
	want := other.URL + " answers, but as neither moto_server nor LocalStack (another program on that port?): set TL_ENDPOINT (or DEV_FLAGS=--endpoint) to another address, or set TL_ALLOW_ANY_ENDPOINT=1 (or DEV_FLAGS=--allow-any-endpoint) to use it anyway"
	if err == nil || err.Error() != want {
		t.Fatalf("Start = %v, want %q", err, want)
	}
	// Allowed, the stack goes on and talks to it (which fails here: it is no AWS API).
	_, err = Start(context.Background(), Options{Endpoint: other.URL, AllowAnyEndpoint: true, APIAddr: "127.0.0.1:0", LambdaAddr: "127.0.0.1:0"})
	if err == nil || strings.Contains(err.Error(), "neither moto_server nor LocalStack") || !strings.Contains(err.Error(), "provision stage") {
		t.Fatalf("Start with AllowAnyEndpoint = %v, want a provisioning error", err)
	}
}

func TestCheckServer(t *testing.T) {
	moto := localaws.Server{Kind: localaws.ServerMoto}
	localstack := localaws.Server{Kind: localaws.ServerLocalStack, Version: "4.4.0"}
	unknown := localaws.Server{Kind: localaws.ServerUnknown}
	for _, c := range []struct {
		server   localaws.Server
		loopback bool
		allowAny bool
		wantErr  string
	}{
		{moto, true, false, ""},
		{localstack, true, false, ""},
		{unknown, true, false, "answers, but as neither moto_server nor LocalStack"},
		{unknown, true, true, ""},
		{localstack, false, false, "(LocalStack 4.4.0) is not on this machine, and make dev would create tables and queues there: set TL_ENDPOINT (or DEV_FLAGS=--endpoint) to a loopback address, or set TL_ALLOW_ANY_ENDPOINT=1"},
		{moto, false, true, ""},
	} {
		err := checkServer("http://host:4566", c.server, c.loopback, c.allowAny)
		if (c.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.wantErr)) {
			t.Errorf("checkServer(%v, loopback %v, allowAny %v) = %v, want %q", c.server, c.loopback, c.allowAny, err, c.wantErr)
		}
	}
}

func TestBannerSaysWhatAnswersAtTheEndpoint(t *testing.T) {
	for _, c := range []struct {
		server  localaws.Server
		started bool
		want    string
	}{
		{localaws.Server{Kind: localaws.ServerLocalStack, Version: "4.4.0"}, false, "http://127.0.0.1:4566  (LocalStack 4.4.0, already running)"},
		{localaws.Server{Kind: localaws.ServerMoto}, false, "http://127.0.0.1:4566  (moto_server, already running)"},
		{localaws.Server{Kind: localaws.ServerMoto}, true, "http://127.0.0.1:4566  (moto_server started by devstack)"},
	} {
		s := &Stack{Endpoint: "http://127.0.0.1:4566", Server: c.server, StartedMoto: c.started}
		if b := s.Banner(); !strings.Contains(b, c.want) {
			t.Errorf("banner lacks %q:\n%s", c.want, b)
		}
	}
}
