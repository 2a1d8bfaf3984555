package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// Exit statuses, the same for every command (README "tl", tl --help).
const (
	exitOK = 0
	// exitError: the command ran and failed: an error, bad input (a bad row,
	// an unknown journey) or a request the service refused.
	exitError = 1
	// exitUsage: the command line itself is wrong: an unknown command or
	// flag, a missing or conflicting flag, wrong arguments. Nothing ran.
	exitUsage = 2
)

const exitStatusHelp = `Exit status: 0 done; 1 an error, bad input or a request the service refused
(the message says which); 2 a usage error (unknown command or flag, a
missing or conflicting flag, wrong arguments): nothing was done.`

// usageError is a command line tl cannot run as given; a command returns
// one (usageErrorf) for a flag combination cobra cannot check for it.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// execute runs root and reports its outcome the one way every command
// does: nothing on stderr when it succeeds; otherwise each line of the
// error on stderr after "tl: ", no usage dump, and the exit status above.
// An error before a command's RunE started (flags, arguments, an unknown
// command) is a usage error.
func execute(ctx context.Context, root *cobra.Command, stderr io.Writer) int {
	var started bool
	var unknown error
	visit(root, func(c *cobra.Command) {
		if runE := c.RunE; runE != nil {
			c.RunE = func(cmd *cobra.Command, args []string) error {
				started = true
				return runE(cmd, args)
			}
		}
	})
	// cobra shows the help of a command that has subcommands and is not
	// runnable, whatever follows it: "tl tokens lst" is an error instead.
	help := root.HelpFunc()
	root.SetHelpFunc(func(c *cobra.Command, args []string) {
		if asked, _ := c.Flags().GetBool("help"); !asked && !c.Runnable() && len(c.Flags().Args()) > 0 {
			unknown = unknownCommand(c, c.Flags().Args()[0])
			return
		}
		help(c, args)
	})

	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		err = unknown
	}
	if err == nil {
		return exitOK
	}
	code := exitError
	if !started || errors.As(err, new(usageError)) {
		code = exitUsage
	}
	for _, line := range strings.Split(strings.TrimRight(err.Error(), "\n"), "\n") {
		fmt.Fprintln(stderr, "tl: "+line)
	}
	if code == exitUsage {
		if cmd.Name() == "help" && cmd.Parent() == root {
			cmd = root
		}
		fmt.Fprintf(stderr, "tl: see %q\n", cmd.CommandPath()+" --help")
	}
	return code
}

// unknownCommand is the error for a subcommand c does not have, naming the
// closest ones.
func unknownCommand(c *cobra.Command, name string) error {
	msg := fmt.Sprintf("unknown command %q for %q", name, c.CommandPath())
	// The closest first: one edit away, else two (and those it begins).
	var s []string
	for d := 1; d <= 2 && len(s) == 0; d++ {
		c.SuggestionsMinimumDistance = d
		s = c.SuggestionsFor(name)
	}
	if len(s) > 0 {
		for i := range s {
			s[i] = fmt.Sprintf("%q", c.CommandPath()+" "+s[i])
		}
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	}
	return usageError{errors.New(msg)}
}

// holdToConventions sets what every command of the tree shares, so that
// commands added later follow it too: a command with subcommands takes no
// arguments (an unknown subcommand is an error, with suggestions), help
// and completion have examples, and the root has --version.
func holdToConventions(root *cobra.Command) {
	root.SilenceErrors = true
	root.SilenceUsage = true
	root.Version = version(buildVersion, debug.ReadBuildInfo)
	root.SetVersionTemplate("tl {{.Version}}\n")
	root.Flags().Bool("version", false, "print which tl this is")
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	visit(root, func(c *cobra.Command) {
		if c.HasSubCommands() {
			c.Args = cobra.NoArgs
			c.SuggestionsMinimumDistance = 2
		}
		switch {
		case c.Name() == "help" && c.Parent() == root:
			c.Example = "  tl help tokens create"
			// cobra's answer to an unknown topic is the usage and exit 0.
			c.Run = nil
			c.RunE = func(c *cobra.Command, args []string) error {
				cmd, rest, err := root.Find(args)
				if err != nil {
					return usageError{err}
				}
				if len(rest) > 0 {
					return unknownCommand(cmd, rest[0])
				}
				return cmd.Help()
			}
		case c.Name() == "completion" && c.Parent() == root:
			c.Example = "  source <(tl completion bash)\n  tl completion zsh > \"${fpath[1]}/_tl\""
		case c.HasParent() && c.Parent().Name() == "completion" && c.Parent().Parent() == root:
			c.Example = "  tl completion " + c.Name() + " > tl-completion." + c.Name()
		}
	})
}

// visit calls fn on c and every command below it.
func visit(c *cobra.Command, fn func(*cobra.Command)) {
	fn(c)
	for _, sub := range c.Commands() {
		visit(sub, fn)
	}
}

// buildVersion is set by make install: -ldflags "-X main.buildVersion=…".
var buildVersion string

// version says which tl this is: the version make install stamped (git
// describe), else the module version Go recorded (go install
// …/cmd/tl@v1.2.3, or a build in a git clone), else the commit, else
// that the build carries none.
func version(stamped string, readBuildInfo func() (*debug.BuildInfo, bool)) string {
	platform := fmt.Sprintf("(%s %s/%s)", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if stamped != "" {
		return stamped + " " + platform
	}
	info, ok := readBuildInfo()
	if !ok {
		return "devel, built without version information " + platform
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v + " " + platform
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	if rev := settings["vcs.revision"]; rev != "" {
		v := "devel, commit " + rev
		if settings["vcs.modified"] == "true" {
			v += " with local changes"
		}
		return v + " " + platform
	}
	return "devel, built without version information " + platform
}
