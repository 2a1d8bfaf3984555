package localaws

import (
	"os/exec"
	"syscall"
	"time"
)

// ConfigureChild starts cmd in a new process group, so that a console's
// Ctrl-C reaches only this process, which then stops the child.
func ConfigureChild(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: syscall.CREATE_NEW_PROCESS_GROUP}
}

// StopChild kills cmd (Windows has no SIGTERM to ask first) and waits for
// done (closed when cmd.Wait returned). Safe to call again.
func StopChild(cmd *exec.Cmd, done <-chan struct{}, grace time.Duration) {
	if cmd.Process == nil {
		return
	}
	_ = cmd.Process.Kill()
	select {
	case <-done:
	case <-time.After(grace):
	}
}
