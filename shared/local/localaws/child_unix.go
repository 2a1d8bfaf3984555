//go:build unix

package localaws

import (
	"os/exec"
	"syscall"
	"time"
)

// ConfigureChild puts cmd in a process group of its own, so that a
// terminal's Ctrl-C reaches only this process, which then stops the child in
// order (and, on Linux, the kernel kills the child should this process die
// without cleaning up).
func ConfigureChild(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	setDeathSignal(cmd.SysProcAttr)
}

// StopChild asks cmd's process group to terminate, kills it after grace, and
// waits for done (closed when cmd.Wait returned). Safe to call again.
func StopChild(cmd *exec.Cmd, done <-chan struct{}, grace time.Duration) {
	if cmd.Process == nil {
		return
	}
	pgid := cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(grace):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-done
	}
	// Children that outlived the leader, if any.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
}
