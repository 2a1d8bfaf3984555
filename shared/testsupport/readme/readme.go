// Package readme reads the parts of the repository's Markdown documents
// that tests run or check against the code: a section, its shell blocks.
package readme

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// Section returns the body of the section of the Markdown file at path
// whose heading line begins with heading (e.g. "## Local settings"), up to
// the next heading of the same or a higher level outside code blocks. It
// fails the test when the file or the section is missing.
func Section(t testing.TB, path, heading string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	level := len(heading) - len(strings.TrimLeft(heading, "#"))
	var body []string
	in, fenced := false, false
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "```") {
			fenced = !fenced
		}
		if !fenced && !strings.HasPrefix(line, "```") {
			if in && headingLevel(line) > 0 && headingLevel(line) <= level {
				break
			}
			if !in && strings.HasPrefix(line, heading) {
				in = true
				continue
			}
		}
		if in {
			body = append(body, line)
		}
	}
	if !in {
		t.Fatalf("%s has no section %q", path, heading)
	}
	return strings.Join(body, "\n")
}

// headingLevel is the level of a Markdown heading line, 0 for other lines.
func headingLevel(line string) int {
	n := len(line) - len(strings.TrimLeft(line, "#"))
	if n == 0 || !strings.HasPrefix(line[n:], " ") {
		return 0
	}
	return n
}

// ShellBlocks returns the contents of text's ```sh blocks, in order.
func ShellBlocks(text string) []string {
	var blocks []string
	for _, m := range shellBlock.FindAllStringSubmatch(text, -1) {
		blocks = append(blocks, m[1])
	}
	return blocks
}

var shellBlock = regexp.MustCompile("(?ms)^```sh\n(.*?)^```$")
