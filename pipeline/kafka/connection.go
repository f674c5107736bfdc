package kafka

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"syscall"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
)

// Connection says how to reach a Kafka cluster. Every config embeds it.
type Connection struct {
	// Brokers are bootstrap addresses, host:port. Required.
	Brokers []string
	// ClientID identifies this client in broker logs and quotas.
	// Default: "neurostream".
	ClientID string
	// TLS enables TLS with this configuration. Security.Apply sets it
	// from files. Default: nil (plaintext).
	TLS *tls.Config
	// SASL authenticates with this mechanism (see kafka-go's sasl/plain
	// and sasl/scram). Security.Apply sets it. Default: nil (none).
	SASL sasl.Mechanism
	// DialTimeout bounds opening one connection. Default: 10s.
	DialTimeout time.Duration

	// security names the user and files Security.Apply used, for the
	// errors of a failed handshake or authentication.
	security securityInfo
}

func (c *Connection) validate() error {
	if len(c.Brokers) == 0 {
		return fieldError("Brokers", "at least one broker address is required")
	}
	for i, b := range c.Brokers {
		if b == "" || !strings.Contains(b, ":") {
			return fieldError(fmt.Sprintf("Brokers[%d]", i), "%q is not host:port", b)
		}
	}
	if c.DialTimeout < 0 {
		return fmt.Errorf("DialTimeout: must not be negative, got %v", c.DialTimeout)
	}
	return nil
}

// fieldError names a config field, as Validate errors do.
func fieldError(field, format string, args ...any) error {
	return fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...))
}

func (c *Connection) setDefaults() {
	if c.ClientID == "" {
		c.ClientID = "neurostream"
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = 10 * time.Second
	}
}

func (c *Connection) dialer() *kafkago.Dialer {
	return &kafkago.Dialer{
		ClientID:      c.ClientID,
		Timeout:       c.DialTimeout,
		DualStack:     true,
		TLS:           c.TLS,
		SASLMechanism: c.SASL,
	}
}

// transport returns a new Transport; its owner calls CloseIdleConnections
// when done with it. Given topics, it caches the metadata of those only:
// kafka-go otherwise fetches and keeps every topic of the cluster at each
// refresh (MetadataTTL), which on a broker holding many topics costs both
// sides CPU, and this process a heap the garbage collector scans at every
// cycle (tens of MB with a few thousand topics). A request about another
// topic is then answered from the cache as unknown, unless it may create
// topics.
func (c *Connection) transport(topics ...string) *kafkago.Transport {
	return &kafkago.Transport{
		ClientID:       c.ClientID,
		DialTimeout:    c.DialTimeout,
		TLS:            c.TLS,
		SASL:           c.SASL,
		MetadataTTL:    5 * time.Second,
		MetadataTopics: topics,
	}
}

// withClient runs fn with a client of its own and closes its connections.
func (c Connection) withClient(fn func(*kafkago.Client) error) error {
	c.setDefaults()
	t := c.transport()
	defer t.CloseIdleConnections()
	return c.explain(fn(&kafkago.Client{Addr: kafkago.TCP(c.Brokers...), Transport: t, Timeout: c.DialTimeout}))
}

// kafka-go logs every batch at its info level: that goes to Debug, and is
// only formatted when Debug is enabled. Its error logger goes to Warn.
func debugLogger(l *slog.Logger, component string) kafkago.Logger {
	if !l.Enabled(context.Background(), slog.LevelDebug) {
		return nil
	}
	return kafkago.LoggerFunc(func(format string, args ...any) {
		l.Debug(strings.TrimSpace(fmt.Sprintf(format, args...)), "component", component)
	})
}

// warnLogger sends kafka-go's error log to Warn, at most one line per
// component every warnEvery: while a broker is down kafka-go logs every
// retry of every partition reader, producer and group member, which would
// bury everything else. The lines in between go to Debug, and the next
// Warn says how many there were.
func warnLogger(l *slog.Logger, component string) kafkago.Logger {
	var mu sync.Mutex
	var last time.Time
	var quiet int
	return kafkago.LoggerFunc(func(format string, args ...any) {
		msg := strings.TrimSpace(fmt.Sprintf(format, args...))
		mu.Lock()
		now := time.Now()
		warn := now.Sub(last) >= warnEvery
		n := quiet
		if warn {
			last, quiet = now, 0
		} else {
			quiet++
		}
		mu.Unlock()
		if !warn {
			l.Debug(msg, "component", component)
			return
		}
		if n > 0 {
			l.Warn(msg, "component", component, "debug_lines_since_last_warning", n)
			return
		}
		l.Warn(msg, "component", component)
	})
}

// warnEvery is the least time between two warnings of one kind.
const warnEvery = 30 * time.Second

// permanent reports whether a failed broker request fails again however
// often it is retried: an unknown or invalid topic, refused authorisation
// or authentication, a certificate either side does not accept, a TLS
// client at a plaintext listener. Everything else (refused or broken
// connections, timeouts, leaders and coordinators moving or still
// loading) is worth retrying.
func permanent(err error) bool {
	if isSecurityFailure(err) {
		return true
	}
	var ke kafkago.Error
	if errors.As(err, &ke) {
		switch ke {
		case kafkago.UnknownTopicOrPartition, kafkago.InvalidTopic,
			kafkago.TopicAuthorizationFailed, kafkago.GroupAuthorizationFailed, kafkago.ClusterAuthorizationFailed,
			kafkago.SASLAuthenticationFailed, kafkago.UnsupportedSASLMechanism, kafkago.IllegalSASLState:
			return true
		}
		return false
	}
	var cv *tls.CertificateVerificationError
	return errors.As(err, &cv)
}

// errorClass names the kind of a failed broker request, so a retry loop
// logs a warning when the kind changes rather than at every attempt:
// "unreachable" for network errors (refused, reset, timed out, no route),
// the Kafka error's name for an error the broker returned.
func errorClass(err error) string {
	var ke kafkago.Error
	if errors.As(err, &ke) {
		return ke.Title()
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return "unreachable"
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timeout"
	}
	return "other"
}

// retryLog logs the failures of one retry loop: a warning when the kind of
// failure changes (errorClass) and at most every warnEvery while it stays
// the same, Debug otherwise.
type retryLog struct {
	log      *slog.Logger
	class    string
	warnedAt time.Time
	since    time.Time
	failures int
}

// failed records a failure; msg says what failed and that it is retried.
func (r *retryLog) failed(msg string, err error, args ...any) {
	now := time.Now()
	if r.failures == 0 {
		r.since = now
	}
	r.failures++
	c := errorClass(err)
	if c == r.class && now.Sub(r.warnedAt) < warnEvery {
		r.log.Debug(msg, append(args, "err", err, "attempt", r.failures)...)
		return
	}
	if c == r.class {
		args = append(args, "failing_for", now.Sub(r.since).Round(time.Second))
	}
	r.class, r.warnedAt = c, now
	r.log.Warn(msg, append(args, "err", err, "attempt", r.failures)...)
}

// ok records a success and, after failures, logs the recovery.
func (r *retryLog) ok(msg string, args ...any) {
	if r.failures > 0 {
		r.log.Info(msg, append(args, "failed_attempts", r.failures, "after", time.Since(r.since).Round(time.Millisecond))...)
	}
	r.class, r.failures = "", 0
}
