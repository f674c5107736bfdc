package kafka

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"strings"
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
	// TLS enables TLS with this configuration. Default: nil (plaintext).
	TLS *tls.Config
	// SASL authenticates with this mechanism (see kafka-go's sasl/plain
	// and sasl/scram). Default: nil (none).
	SASL sasl.Mechanism
	// DialTimeout bounds opening one connection. Default: 10s.
	DialTimeout time.Duration
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
// when done with it.
func (c *Connection) transport() *kafkago.Transport {
	return &kafkago.Transport{
		ClientID:    c.ClientID,
		DialTimeout: c.DialTimeout,
		TLS:         c.TLS,
		SASL:        c.SASL,
		MetadataTTL: 5 * time.Second,
	}
}

// withClient runs fn with a client of its own and closes its connections.
func (c Connection) withClient(fn func(*kafkago.Client) error) error {
	c.setDefaults()
	t := c.transport()
	defer t.CloseIdleConnections()
	return fn(&kafkago.Client{Addr: kafkago.TCP(c.Brokers...), Transport: t, Timeout: c.DialTimeout})
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

func warnLogger(l *slog.Logger, component string) kafkago.Logger {
	return kafkago.LoggerFunc(func(format string, args ...any) {
		l.Warn(strings.TrimSpace(fmt.Sprintf(format, args...)), "component", component)
	})
}
