//go:build unix

package lsl

import (
	"syscall"
)

// reuseAddr lets several outlets on one machine bind the discovery port,
// as liblsl's responders do (SO_REUSEADDR).
func reuseAddr(_, _ string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1)
	})
	if err != nil {
		return err
	}
	return serr
}

// queryOpts allows broadcast queries and sets the multicast hop limit
// (ttl 0 keeps the system's default).
func queryOpts(ttl int) func(_, _ string, c syscall.RawConn) error {
	return func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_BROADCAST, 1)
			if serr == nil && ttl > 0 {
				serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, syscall.IP_MULTICAST_TTL, ttl)
			}
		})
		if err != nil {
			return err
		}
		return serr
	}
}
