package devstack

import (
	"fmt"

	"github.com/targetloader/targetloader/shared/local/localaws"
)

// Setting is one setting of the local stack: a flag of `make dev` (through
// DEV_FLAGS) and the environment variable that gives its default. Errors
// that a setting fixes name it.
type Setting struct {
	Flag    string
	Env     string
	Default string
	Usage   string
}

// The settings of the local stack; README's table of local settings lists them.
var (
	SettingEndpoint = Setting{"endpoint", "TL_ENDPOINT", localaws.DefaultEndpoint,
		"AWS endpoint for DynamoDB and SQS; moto_server is started there unless moto_server or LocalStack answers"}
	SettingAPIAddr    = Setting{"api-addr", "TL_API_ADDR", localaws.DefaultAPIAddr, "address of the REST API"}
	SettingLambdaAddr = Setting{"lambda-addr", "TL_LAMBDA_ADDR", localaws.DefaultLambdaAddr, "address of the Lambda Invoke API"}
	SettingStage      = Setting{"stage", "TL_STAGE", localaws.DefaultStage, "stage whose tables and queues are used"}
	SettingNoMoto     = Setting{"no-moto", "TL_NO_MOTO", "false", "never start moto_server; fail when nothing answers at the endpoint"}
	SettingAllowAny   = Setting{"allow-any-endpoint", "TL_ALLOW_ANY_ENDPOINT", "false",
		"use an endpoint that is not on a loopback address, or that answers as neither moto_server nor LocalStack"}
)

// Settings lists every setting of the local stack.
var Settings = []Setting{SettingEndpoint, SettingAPIAddr, SettingLambdaAddr, SettingStage, SettingNoMoto, SettingAllowAny}

// Hint tells how to change the setting when running `make dev`.
func (s Setting) Hint() string {
	if s.Default == "false" {
		return fmt.Sprintf("set %s=1 (or DEV_FLAGS=--%s)", s.Env, s.Flag)
	}
	return fmt.Sprintf("set %s (or DEV_FLAGS=--%s)", s.Env, s.Flag)
}
