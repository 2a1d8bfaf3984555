package localaws

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"
)

// Server kinds an AWS endpoint may turn out to be.
const (
	ServerNone       = ""            // nothing answers
	ServerMoto       = "moto_server" // answers /moto-api/ with moto's dashboard
	ServerLocalStack = "LocalStack"  // answers /_localstack/health
	ServerUnknown    = "unknown server"
)

// Server is what answers at an endpoint.
type Server struct {
	Kind    string
	Version string // when the server tells it (LocalStack does)
}

// String names the server, with its version when known.
func (s Server) String() string {
	if s.Version != "" {
		return s.Kind + " " + s.Version
	}
	return s.Kind
}

// Identify tells whether moto_server, LocalStack, something else or nothing
// answers at endpoint, each probe waiting at most timeout.
func Identify(endpoint string, timeout time.Duration) Server {
	endpoint = strings.TrimRight(endpoint, "/")
	c := http.Client{Timeout: timeout}
	get := func(path string) (int, []byte, bool) {
		resp, err := c.Get(endpoint + path)
		if err != nil {
			return 0, nil, false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return resp.StatusCode, b, true
	}
	status, body, ok := get("/_localstack/health")
	if !ok {
		return Server{Kind: ServerNone}
	}
	var health struct {
		Services map[string]any `json:"services"`
		Version  string         `json:"version"`
	}
	if status == http.StatusOK && json.Unmarshal(body, &health) == nil && health.Services != nil {
		return Server{Kind: ServerLocalStack, Version: health.Version}
	}
	if status, body, ok = get("/moto-api/"); ok && status == http.StatusOK && strings.Contains(string(body), "<title>Moto</title>") {
		return Server{Kind: ServerMoto}
	}
	return Server{Kind: ServerUnknown}
}
