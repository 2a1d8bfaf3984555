// Package openapi holds the OpenAPI 3.1 document of the service's REST API
// (the ingest API and the management API), which the manage function serves
// at GET /openapi.json and the tests hold every exchange to.
package openapi

import (
	_ "embed"
	"encoding/json"
	"sync"
)

// Document is the OpenAPI document as written, its server the local stack's API.
//
//go:embed openapi.json
var Document []byte

var (
	parseOnce sync.Once
	members   map[string]json.RawMessage
	parseErr  error
)

// Served is Document with baseURL, the API as its caller reached it, as
// its one server, so that clients generated from it call that deployment.
func Served(baseURL string) ([]byte, error) {
	parseOnce.Do(func() { parseErr = json.Unmarshal(Document, &members) })
	if parseErr != nil {
		return nil, parseErr
	}
	servers, err := json.Marshal([]map[string]string{{"url": baseURL, "description": "This deployment"}})
	if err != nil {
		return nil, err
	}
	out := make(map[string]json.RawMessage, len(members))
	for k, v := range members {
		out[k] = v
	}
	out["servers"] = servers
	return json.Marshal(out)
}
