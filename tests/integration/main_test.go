// Package integration drives the real handlers through real aws-sdk-go-v2
// clients against moto_server (or TL_TEST_ENDPOINT).
package integration

import (
	"os"
	"testing"

	"github.com/targetloader/targetloader/shared/testsupport/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }
