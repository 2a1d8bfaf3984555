// Package budget asserts the AWS call budget of the pipeline: every DynamoDB
// and SQS request that reaches the endpoint (moto_server, or
// TL_TEST_ENDPOINT) is counted at the SDK clients' HTTP transport by
// shared/testsupport/callcount, and the counts per request and per 500 targets are held
// to fixed bounds. It also checks that the Lambda mains make no network call
// at init. See PERFORMANCE.md.
package budget

import (
	"os"
	"testing"

	"github.com/targetloader/targetloader/shared/testsupport/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }
