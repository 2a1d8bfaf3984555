package config_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/targetloader/targetloader/shared/config"
	"github.com/targetloader/targetloader/shared/resources"
)

// configOf is each function's config struct, by function name.
var configOf = map[string]any{
	resources.IngestFunction.Name:   config.Ingest{},
	resources.ConsumerFunction.Name: config.Consumer{},
	resources.ManageFunction.Name:   config.Manage{},
	resources.WebhooksFunction.Name: config.Webhooks{},
	resources.UploadFunction.Name:   config.Upload{},
}

func TestEnvTagsMatchFunctionDefinitions(t *testing.T) {
	for _, fn := range resources.Functions {
		// GIVEN a function of shared/resources and its config struct
		cfg, ok := configOf[fn.Name]
		if !ok {
			t.Errorf("function %s has no config struct", fn.Name)
			continue
		}
		// WHEN reading the struct's env tags
		got := envTags(t, reflect.TypeOf(cfg))
		// THEN they name exactly the variables the definition declares
		want := slices.Sorted(slices.Values(fn.Env()))
		if !slices.Equal(got, want) {
			t.Errorf("%s: env tags %v, definition %v", fn.Name, got, want)
		}
	}
}

// envTags returns the variable names of typ's env tags, sorted.
func envTags(t *testing.T, typ reflect.Type) []string {
	var names []string
	for f := range typ.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("env"), ",")
		if name == "" {
			t.Errorf("%s.%s has no env tag", typ.Name(), f.Name)
			continue
		}
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}
