//go:build unix && !linux

package devstack

import "syscall"

// childAttr puts a child in its own process group, so that a terminal's
// Ctrl-C reaches only devstack, which then stops the child in order.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
