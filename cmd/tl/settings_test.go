package main

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/pflag"
	"github.com/targetloader/targetloader/shared/local/devstack"
	"github.com/targetloader/targetloader/shared/local/localaws"
	"github.com/targetloader/targetloader/shared/testsupport/readme"
)

// localSettingsRows returns the rows of README's table of local settings.
func localSettingsRows(t *testing.T) []string {
	t.Helper()
	var rows []string
	for _, line := range strings.Split(readme.Section(t, filepath.Join("..", "..", "README.md"), "## Local settings"), "\n") {
		if strings.HasPrefix(line, "| ") {
			rows = append(rows, line)
		}
	}
	return rows
}

func rowWith(rows []string, parts ...string) string {
	for _, r := range rows {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(r, p)
		}
		if all {
			return r
		}
	}
	return ""
}

// README's table names every setting of make dev and every global flag of
// tl, with its environment variable and default.
func TestREADMEListsEveryLocalSetting(t *testing.T) {
	rows := localSettingsRows(t)
	for _, s := range devstack.Settings {
		def := "`" + s.Default + "`"
		if b, err := strconv.ParseBool(s.Default); err == nil && !b {
			def = "off"
		}
		if rowWith(rows, "`--"+s.Flag+"`", "`"+s.Env, def) == "" {
			t.Errorf("README's local settings lack make dev's --%s with %s and default %s", s.Flag, s.Env, def)
		}
	}
	for _, want := range [][]string{
		{"`--endpoint`", "`TL_ENDPOINT`", "`" + defaultEndpoint + "`"},
		{"`--api-url`", "`TL_API_URL`", "`" + localaws.DefaultAPIAddr + "`"},
		{"`--stage`", "`TL_STAGE`", "`" + defaultLocalStage + "`"},
	} {
		if rowWith(rows, want...) == "" {
			t.Errorf("README's local settings lack a row with %v", want)
		}
	}
	newRootCmd(Env{}).PersistentFlags().VisitAll(func(f *pflag.Flag) {
		if rowWith(rows, "`--"+f.Name+"`") == "" {
			t.Errorf("README's local settings lack tl's global flag --%s", f.Name)
		}
	})
}

// An unreachable local stack is reported with the setting that points tl
// elsewhere.
func TestUnreachableStackNamesTheSetting(t *testing.T) {
	h := newHarness(t)
	port, err := localaws.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://127.0.0.1:" + strconv.Itoa(port)
	h.fails("cannot reach the local AWS endpoint at "+dead+": is `make dev` running? If it serves elsewhere, set TL_ENDPOINT or --endpoint (--aws talks to AWS)",
		"journeys", "list", "--endpoint", dead)
	h.fails("the local AWS endpoint \"127.0.0.1:4566\" is not an http(s) URL: set TL_ENDPOINT or --endpoint", "journeys", "list", "--endpoint", "127.0.0.1:4566")
}
