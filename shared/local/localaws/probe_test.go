package localaws

import (
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestIdentify(t *testing.T) {
	// LocalStack's health endpoint, as LocalStack 4.x answers it.
	localstack := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/_localstack/health" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(`{"services": {"dynamodb": "available", "sqs": "running"}, "edition": "community", "version": "4.4.0"}`))
	}))
	defer localstack.Close()
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"services": "not LocalStack's"}`))
	}))
	defer other.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	l.Close()
	moto, err := StartMoto("127.0.0.1", 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer moto.Stop()

	for _, c := range []struct {
		endpoint string
		want     Server
	}{
		{localstack.URL, Server{Kind: ServerLocalStack, Version: "4.4.0"}},
		{moto.Endpoint + "/", Server{Kind: ServerMoto}},
		{other.URL, Server{Kind: ServerUnknown}},
		{dead, Server{Kind: ServerNone}},
	} {
		if got := Identify(c.endpoint, 5*time.Second); got != c.want {
			t.Errorf("Identify(%s) = %+v, want %+v", c.endpoint, got, c.want)
		}
	}
}
