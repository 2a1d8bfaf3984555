//go:build unix && !linux

package localaws

import "syscall"

// Only Linux has a parent-death signal; elsewhere StopChild is the only stop.
func setDeathSignal(*syscall.SysProcAttr) {}
