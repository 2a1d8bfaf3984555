package smoke

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/aws/aws-lambda-go/events"
	"io"
	"maps"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/targetloader/targetloader/shared/local/localaws"
	"github.com/targetloader/targetloader/shared/testsupport/testenv"
)

// functionEnv is the environment a deployed function gets from the stack
// (its tables, QUEUE_URL, the user pool) plus what points the SDK at moto.
// Nothing else of this process's environment reaches the bootstrap: not
// AWS_PROFILE, a developer's credentials or AWS_CA_BUNDLE (which this
// machine sets; it was checked not to break the plain-http endpoint).
func functionEnv(stack *testenv.Stack) map[string]string {
	env := maps.Clone(stack.Env)
	env["AWS_ENDPOINT_URL"] = testenv.Endpoint()
	env["AWS_REGION"] = "us-east-1"
	env["AWS_ACCESS_KEY_ID"] = "test"
	env["AWS_SECRET_ACCESS_KEY"] = "test"
	env["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
	return env
}

// function is one bootstrap running under its own emulator.
type function struct {
	name string
	url  string
	out  testenv.SyncBuffer // the emulator's and the bootstrap's stdout and stderr
	cmd  *exec.Cmd
	done chan struct{}
}

// startFunction runs the named function's bootstrap under the emulator on
// free loopback ports with exactly env as its environment. The emulator
// starts the bootstrap (the cold start) on the first invoke. The emulator's
// output is logged if the test fails.
func startFunction(t *testing.T, name string, env map[string]string) *function {
	t.Helper()
	ready(t)
	invokePort, err := localaws.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	apiPort, err := localaws.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	f := &function{name: name, done: make(chan struct{})}
	f.url = fmt.Sprintf("http://127.0.0.1:%d/2015-03-31/functions/function/invocations", invokePort)
	env = maps.Clone(env)
	env["AWS_LAMBDA_FUNCTION_NAME"] = name
	bootstrap := bootstraps[name]
	f.cmd = exec.Command(rieBin,
		"--runtime-interface-emulator-address", fmt.Sprintf("127.0.0.1:%d", invokePort),
		// The Runtime API the bootstrap polls; the default 127.0.0.1:9001
		// would collide between emulators.
		"--runtime-api-address", fmt.Sprintf("127.0.0.1:%d", apiPort),
		bootstrap)
	f.cmd.Dir = filepath.Dir(bootstrap)
	f.cmd.Env = environ(env)
	f.cmd.Stdout, f.cmd.Stderr = &f.out, &f.out
	localaws.ConfigureChild(f.cmd)
	if err := f.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = f.cmd.Wait(); close(f.done) }()
	t.Cleanup(func() {
		start := time.Now()
		f.stop()
		t.Logf("%s: emulator stopped in %s", name, time.Since(start).Round(time.Millisecond))
		if t.Failed() {
			t.Logf("--- %s: emulator and bootstrap output ---\n%s", name, f.out.String())
		}
	})
	// Wait until the emulator accepts connections.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", invokePort), time.Second)
		if err == nil {
			c.Close()
			return f
		}
		select {
		case <-f.done:
			t.Fatalf("%s: the emulator exited before serving: %v", name, f.cmd.ProcessState)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: the emulator did not listen within 10s: %v", name, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop asks the emulator to shut down (it resets the sandbox, which stops
// the bootstrap, a process group of its own) and kills it if it does not.
func (f *function) stop() { localaws.StopChild(f.cmd, f.done, 5*time.Second) }

func environ(env map[string]string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out = append(out, k+"="+env[k])
	}
	return out
}

// invoke posts payload to the emulator, as the Lambda Invoke API does, with
// a fresh request id, and returns the HTTP status, the body and the id.
func (f *function) invoke(t *testing.T, payload []byte) (status int, body []byte, requestID string) {
	t.Helper()
	requestID = uuid.NewString()
	req, err := http.NewRequest(http.MethodPost, f.url, bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Amzn-RequestId", requestID)
	client := &http.Client{Timeout: 30 * time.Second}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("invoke %s: %v", f.name, err)
	}
	defer resp.Body.Close()
	if body, err = io.ReadAll(resp.Body); err != nil {
		t.Fatal(err)
	}
	t.Logf("invoke %s: HTTP %d in %s", f.name, resp.StatusCode, time.Since(start).Round(time.Millisecond))
	return resp.StatusCode, body, requestID
}

// invokeOK invokes the function, requires a successful result (HTTP 200,
// no Lambda error object) and decodes it into out. It returns the request id.
func (f *function) invokeOK(t *testing.T, what string, payload []byte, out any) string {
	t.Helper()
	status, body, id := f.invoke(t, payload)
	if status != http.StatusOK {
		t.Fatalf("%s: HTTP %d: %s", what, status, body)
	}
	var fe struct {
		Type    string `json:"errorType"`
		Message string `json:"errorMessage"`
	}
	if json.Unmarshal(body, &fe) == nil && fe.Type != "" {
		t.Fatalf("%s: function error %s: %s", what, fe.Type, fe.Message)
	}
	if err := json.Unmarshal(body, out); err != nil {
		t.Fatalf("%s: %v: %s", what, err, body)
	}
	return id
}

// invokeAPI invokes an API Gateway proxy function with payload, checks the
// proxy response's status and decodes its body into out.
func (f *function) invokeAPI(t *testing.T, what string, payload []byte, status int, out any) string {
	t.Helper()
	var resp events.APIGatewayProxyResponse
	id := f.invokeOK(t, what, payload, &resp)
	if resp.StatusCode != status {
		t.Fatalf("%s: status %d, want %d: %s", what, resp.StatusCode, status, resp.Body)
	}
	if err := json.Unmarshal([]byte(resp.Body), out); err != nil {
		t.Fatalf("%s: %v: %s", what, err, resp.Body)
	}
	return id
}

// logLine is one line of the bootstrap's JSON log (AWS_LAMBDA_LOG_FORMAT=JSON).
type logLine struct {
	Level     string `json:"level"`
	Message   string `json:"message"`
	RequestID string `json:"requestId"`
	Error     string `json:"error"`
}

// waitLog waits up to 5 s for a JSON log line of the bootstrap that match
// accepts (its output is copied through pipes, so it may trail the
// response) and returns it.
func (f *function) waitLog(t *testing.T, what string, match func(logLine) bool) logLine {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		for _, line := range strings.Split(f.out.String(), "\n") {
			var l logLine
			if strings.HasPrefix(line, "{") && json.Unmarshal([]byte(line), &l) == nil && match(l) {
				return l
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no such JSON log line from the %s bootstrap", what, f.name)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// event reads a sample event from events/ with its placeholders replaced.
func event(t *testing.T, name string, replace ...string) []byte {
	t.Helper()
	return testenv.SampleEvent(t, repoRoot, name, replace...)
}
