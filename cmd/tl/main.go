// Command tl is Target Loader's command line for marketers, business admins
// and ops (PRODUCT.md §7). It talks to the local stack (`make dev`) by
// default and to AWS with --aws.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	env := Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
	if term.IsTerminal(int(os.Stdin.Fd())) {
		env.ReadSecret = readSecret
	}
	code := run(ctx, os.Args[1:], env)
	stop()
	os.Exit(code)
}

// readSecret prompts on standard error and reads a line from the terminal
// without echoing it.
func readSecret(prompt string) (string, error) {
	fmt.Fprint(os.Stderr, prompt)
	b, err := term.ReadPassword(int(os.Stdin.Fd()))
	fmt.Fprintln(os.Stderr)
	return string(b), err
}
