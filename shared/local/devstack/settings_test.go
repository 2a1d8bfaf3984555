package devstack

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/targetloader/targetloader/shared/local/localaws"
)

// sam local runs against the tables and queues of make dev: every local
// section of samconfig.toml names the local stage.
func TestSamconfigLocalStage(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "samconfig.toml"))
	if err != nil {
		t.Fatal(err)
	}
	want := `parameter_overrides = "Stage=` + localaws.DefaultStage + `"`
	sections := 0
	for _, part := range strings.Split(string(b), "\n[")[1:] {
		header, body, _ := strings.Cut(part, "\n")
		if !strings.HasPrefix(header, "default.local_") {
			continue
		}
		sections++
		if !strings.Contains(body, want) {
			t.Errorf("samconfig.toml [%s lacks %s", header, want)
		}
	}
	if sections == 0 {
		t.Error("samconfig.toml has no [default.local_*] section")
	}
}

func TestHintNamesTheVariableAndTheFlag(t *testing.T) {
	if got, want := SettingAPIAddr.Hint(), "set TL_API_ADDR (or DEV_FLAGS=--api-addr)"; got != want {
		t.Errorf("Hint = %q, want %q", got, want)
	}
	if got, want := SettingNoMoto.Hint(), "set TL_NO_MOTO=1 (or DEV_FLAGS=--no-moto)"; got != want {
		t.Errorf("Hint = %q, want %q", got, want)
	}
}
