//go:build !unix

package lsl

import "syscall"

// Outside Unix the sockets keep the system's options: one outlet per
// machine can take the discovery port, and broadcast queries may fail.
func reuseAddr(_, _ string, _ syscall.RawConn) error { return nil }

func queryOpts(int) func(_, _ string, c syscall.RawConn) error {
	return func(_, _ string, _ syscall.RawConn) error { return nil }
}
