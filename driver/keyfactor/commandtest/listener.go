package commandtest

import "net"

// countingListener counts accepted TCP connections, so tests can tell whether a client reuses
// connections.
type countingListener struct {
	net.Listener
	counters *counterSet
}

func (l *countingListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err == nil {
		l.counters.countConnection()
	}
	return conn, err
}
