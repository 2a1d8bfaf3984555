package domain_test

import (
	"testing"

	"github.com/targetloader/targetloader/shared/domain"
)

func TestAddedViaAPI(t *testing.T) {
	if domain.AddedViaAPI != "API" {
		t.Errorf("AddedViaAPI = %q, want API", domain.AddedViaAPI)
	}
}
