package budget

import (
	"cmp"
	"context"
	"debug/elf"
	"debug/gosym"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/targetloader/targetloader/shared/resources"
)

// maxBinaryBytes bounds each function's bootstrap (issue 14: 8.5 MB). A
// smaller binary is a faster cold start: Lambda fetches and unpacks it.
const maxBinaryBytes = 8_500_000

// TestLambdaBinarySizes runs `make build`, the one Lambda build recipe and
// what deploy ships (linux/arm64, stripped), and holds every function's
// bootstrap to maxBinaryBytes. It logs each size and the packages taking
// most of its machine code, read from the binary's pclntab (stripping
// leaves no symbol table); PERFORMANCE.md "Lambda binaries" explains them.
func TestLambdaBinarySizes(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-builds the functions")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "make", "-s", "-C", root, "build")
	out, err := build.CombinedOutput()
	if err != nil {
		t.Fatalf("make build: %v\n%s", err, out)
	}
	t.Logf("make build:\n%s", out)

	for _, fn := range resources.Functions {
		t.Run(fn.Name, func(t *testing.T) {
			path := filepath.Join(root, "dist", fn.Name, "bootstrap")
			info, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			text, groups := machineCode(t, path)
			t.Logf("%s: %d bytes (%.2f MB, limit %.2f MB), of which %.2f MB machine code; largest:",
				fn.Name, info.Size(), mb(info.Size()), mb(maxBinaryBytes), mb(text))
			for _, g := range groups[:min(12, len(groups))] {
				t.Logf("  %6.0f KB  %4.1f%%  %s", float64(g.bytes)/1000, 100*float64(g.bytes)/float64(text), g.name)
			}
			if info.Size() > maxBinaryBytes {
				t.Errorf("%s is %d bytes, over the budget of %d (the file grows in 64 KiB steps: arm64 segments are page-aligned)",
					fn.Name, info.Size(), maxBinaryBytes)
			}
		})
	}
}

type codeGroup struct {
	name  string
	bytes int64
}

// machineCode sums the size of every function in the binary by package
// group, largest first.
func machineCode(t *testing.T, path string) (total int64, groups []codeGroup) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pclntab, text := f.Section(".gopclntab"), f.Section(".text")
	if pclntab == nil || text == nil {
		t.Fatalf("%s has no .gopclntab or .text section", path)
	}
	data, err := pclntab.Data()
	if err != nil {
		t.Fatal(err)
	}
	table, err := gosym.NewTable(nil, gosym.NewLineTable(data, text.Addr))
	if err != nil {
		t.Fatalf("read the pclntab of %s: %v", path, err)
	}
	sizes := map[string]int64{}
	for _, fn := range table.Funcs {
		n := int64(fn.End - fn.Entry)
		sizes[packageGroup(fn.PackageName())] += n
		total += n
	}
	for _, name := range slices.Collect(maps.Keys(sizes)) {
		groups = append(groups, codeGroup{name, sizes[name]})
	}
	slices.SortFunc(groups, func(a, b codeGroup) int { return cmp.Compare(b.bytes, a.bytes) })
	return total, groups
}

// packageGroup names what a package belongs to: an AWS SDK service client
// or feature, the SDK's core, the Lambda runtime library, this module, or a
// standard library area.
func packageGroup(pkg string) string {
	const sdk, module = "github.com/aws/aws-sdk-go-v2/", "github.com/targetloader/targetloader/"
	switch {
	case pkg == "":
		return "(generated: type equality, wrappers)"
	case strings.HasPrefix(pkg, sdk+"service/"), strings.HasPrefix(pkg, sdk+"feature/"):
		parts := strings.SplitN(strings.TrimPrefix(pkg, sdk), "/", 3)
		return "aws-sdk-go-v2/" + parts[0] + "/" + parts[1]
	case strings.HasPrefix(pkg, sdk):
		return "aws-sdk-go-v2 core (signing, retry, middleware)"
	case strings.HasPrefix(pkg, "github.com/aws/smithy-go"):
		return "smithy-go (serialization, endpoints rules)"
	case strings.HasPrefix(pkg, "github.com/aws/aws-lambda-go"):
		return "aws-lambda-go"
	case strings.HasPrefix(pkg, module):
		return "this module (handlers, store, domain)"
	case strings.Contains(strings.Split(pkg, "/")[0], "."): // another module
		parts := strings.Split(pkg, "/")
		return strings.Join(parts[:min(3, len(parts))], "/")
	case strings.HasPrefix(pkg, "crypto/"), strings.HasPrefix(pkg, "vendor/golang.org/x/crypto/"):
		return "crypto (TLS, x509, FIPS module)"
	case pkg == "net/http" || strings.HasPrefix(pkg, "net/http/") || strings.HasPrefix(pkg, "vendor/golang.org/x/net/http"):
		return "net/http (client)"
	case strings.HasPrefix(pkg, "regexp"):
		return "regexp (SDK endpoint partitions)"
	case strings.HasPrefix(pkg, "internal/"), strings.HasPrefix(pkg, "vendor/"):
		return "other standard library internals"
	}
	if i := strings.Index(pkg, "/internal"); i > 0 {
		return pkg[:i]
	}
	return pkg
}

func mb(n int64) float64 { return float64(n) / 1e6 }
