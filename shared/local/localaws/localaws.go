// Package localaws is what every local run of the service needs to reach an
// AWS-compatible endpoint without an AWS account: starting moto_server, the
// SDK configuration with dummy credentials, and child processes that stop
// with their parent on every OS. The local stack (make dev), the tests and
// the load harness all use it.
package localaws

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/targetloader/targetloader/shared/awsclient"
)

// Defaults of the local stack (PRODUCT.md §7): `make dev` serves there and
// tl talks to them unless told otherwise.
const (
	DefaultEndpoint   = "http://127.0.0.1:4566"
	DefaultAPIAddr    = "127.0.0.1:3000"
	DefaultLambdaAddr = "127.0.0.1:3001"
	DefaultStage      = "local"
	// DefaultRegion is the region of local endpoints unless AWS_REGION says otherwise.
	DefaultRegion = "us-east-1"
	// CognitoRegion is the region of the local user pool whatever
	// AWS_REGION says: sign-in calls (InitiateAuth) are unsigned, so they
	// name no region, and moto serves them from us-east-1.
	CognitoRegion = "us-east-1"
)

// The users `make dev` creates in the local user pool (PRODUCT.md §8), and
// their password unless TL_DEV_PASSWORD sets another.
const (
	LocalMarketer      = "marketer@example.com"
	LocalAdmin         = "admin@example.com"
	DefaultDevPassword = "Local-dev-pass-1"
	// EnvDevPassword names the variable that sets the local users' password.
	EnvDevPassword = "TL_DEV_PASSWORD"
)

// DevPassword is the local users' password: TL_DEV_PASSWORD from getenv
// (os.Getenv when nil), else DefaultDevPassword.
func DevPassword(getenv func(string) string) string {
	if getenv == nil {
		getenv = os.Getenv
	}
	if p := getenv(EnvDevPassword); p != "" {
		return p
	}
	return DefaultDevPassword
}

// Config is the SDK configuration the functions would get (awsclient.Load),
// pointed at endpoint when it is not empty, with DynamoDB's atomic writes
// made atomic against moto too (AtomicWrites). Region and credentials come from
// getenv (AWS_REGION or AWS_DEFAULT_REGION; AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY) when set, else us-east-1 and dummy credentials,
// which is all moto and LocalStack want. getenv nil means os.Getenv.
func Config(ctx context.Context, endpoint string, getenv func(string) string, opts ...func(*config.LoadOptions) error) (aws.Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	region := getenv("AWS_REGION")
	if region == "" {
		region = getenv("AWS_DEFAULT_REGION")
	}
	if region == "" {
		region = DefaultRegion
	}
	key, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
	if key == "" || secret == "" {
		key, secret = "test", "test"
	}
	base := []func(*config.LoadOptions) error{
		config.WithRegion(region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(key, secret, "")),
	}
	if endpoint != "" {
		base = append(base, config.WithBaseEndpoint(endpoint))
	}
	cfg, err := awsclient.Load(ctx, append(base, opts...)...)
	if err != nil {
		return cfg, err
	}
	cfg.HTTPClient = AtomicWrites(cfg.HTTPClient)
	return cfg, nil
}

// IgnoreEnv is a getenv for Config that ignores the process environment:
// tests and the load harness always use us-east-1 and dummy credentials.
func IgnoreEnv(string) string { return "" }

// ErrNoMoto says that moto_server is missing, and how to install it.
var ErrNoMoto = errors.New("moto_server is not on PATH: make dev and make test install it into .venv/ (make tools), or pip install 'moto[server]==5.2.*'")

// Moto is a moto_server this process started.
type Moto struct {
	Endpoint string
	cmd      *exec.Cmd
	done     chan struct{}
}

// StartMoto starts moto_server on host:port (port 0 picks a free one), sends
// its output to out (discarded when nil) and waits until it answers.
func StartMoto(host string, port int, out io.Writer) (*Moto, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, ErrNoMoto
	}
	if port == 0 {
		if port, err = FreePort(); err != nil {
			return nil, err
		}
	}
	if out == nil {
		out = io.Discard
	}
	cmd := exec.Command(bin, "-H", host, "-p", fmt.Sprint(port))
	cmd.Stdout, cmd.Stderr = out, out
	ConfigureChild(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start moto_server: %w", err)
	}
	m := &Moto{Endpoint: fmt.Sprintf("http://%s", net.JoinHostPort(host, fmt.Sprint(port))), cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(m.done)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for !Answers(m.Endpoint, time.Second) {
		select {
		case <-m.done:
			return nil, fmt.Errorf("moto_server exited before answering at %s (is the port taken?)", m.Endpoint)
		default:
		}
		if time.Now().After(deadline) {
			m.Stop()
			return nil, fmt.Errorf("moto_server did not answer at %s within 30s", m.Endpoint)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return m, nil
}

// Pid is moto_server's process id.
func (m *Moto) Pid() int { return m.cmd.Process.Pid }

// Stop stops moto_server and its children. It is safe to call more than once.
func (m *Moto) Stop() { StopChild(m.cmd, m.done, 5*time.Second) }

// Answers tells whether an HTTP server answers at endpoint within timeout.
func Answers(endpoint string, timeout time.Duration) bool {
	c := http.Client{Timeout: timeout}
	resp, err := c.Get(endpoint)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return true
}

// FreePort asks the kernel for a free loopback TCP port.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// IsLoopback reports whether host is localhost or a loopback address.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
