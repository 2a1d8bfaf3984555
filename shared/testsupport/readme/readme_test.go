package readme

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestSectionAndShellBlocks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "README.md")
	doc := "# Title\n\n## One\n\ntext\n\n```sh\n# a comment, not a heading\nmake dev\n```\n\n### Sub\n\n```sh\necho sub\n```\n\n## Two\n\nother\n"
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	one := Section(t, path, "## One")
	want := "\ntext\n\n```sh\n# a comment, not a heading\nmake dev\n```\n\n### Sub\n\n```sh\necho sub\n```\n"
	if one != want {
		t.Errorf("Section = %q, want %q", one, want)
	}
	if got := ShellBlocks(one); !slices.Equal(got, []string{"# a comment, not a heading\nmake dev\n", "echo sub\n"}) {
		t.Errorf("ShellBlocks = %q", got)
	}
	if got := Section(t, path, "## Two"); got != "\nother\n" {
		t.Errorf("last section = %q", got)
	}
}
