package kafka

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/scram"
)

// Secret is a string that never prints: every fmt verb, slog, JSON and
// text encodings show "[redacted]" (an empty Secret shows ""), so a
// password kept in a configuration struct cannot leak through a log
// line, an error message or a dump of the struct. string(s) is the value.
type Secret string

const redacted = "[redacted]"

// String returns "[redacted]", or "" for an empty Secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// Format prints String whatever the verb (%x or %q of the plain string
// would print its bytes).
func (s Secret) Format(f fmt.State, _ rune) { io.WriteString(f, s.String()) }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText implements encoding.TextMarshaler (JSON, YAML).
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Security protects and authenticates every connection to the brokers:
// Kafka's security.protocol with its TLS and SASL settings, given as names
// and files, as YAML, flags and environment variables give them. Apply
// reads the files and sets a Connection's TLS and SASL. The zero value is
// plaintext without authentication.
type Security struct {
	// Protocol is Kafka's security.protocol: plaintext, ssl,
	// sasl_plaintext or sasl_ssl (any case). sasl_plaintext with PLAIN is
	// refused: it would send the password in clear text. Default:
	// sasl_ssl when SASL.Mechanism is set, else ssl when a TLS setting
	// is, else plaintext.
	Protocol string
	TLS      TLSConfig
	SASL     SASLConfig
}

// TLSConfig is the TLS side of Security.
type TLSConfig struct {
	// CAFile is a PEM file of the certificate authorities trusted to sign
	// the brokers' certificates. Default: the system's trusted roots.
	CAFile string
	// CertFile is the client certificate (PEM, its chain may follow) for
	// brokers that authenticate clients by certificate
	// (ssl.client.auth=required); KeyFile is its unencrypted private key
	// (PEM: PKCS#8, PKCS#1 or EC). Both or neither. Default: none.
	CertFile string
	KeyFile  string
	// ServerName is the host name the brokers' certificates must be
	// valid for. Default: the host of each broker address.
	ServerName string
	// MinVersion is the oldest TLS version accepted: 1.2 or 1.3.
	// Default: 1.2.
	MinVersion string
}

// SASLConfig is the SASL side of Security.
type SASLConfig struct {
	// Mechanism is PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (any case).
	// Default: none.
	Mechanism string
	// Username is the SASL user. Required with a mechanism.
	Username string
	// Password is the user's password. Set Password or PasswordFile, not
	// both. It prints as [redacted].
	Password Secret
	// PasswordFile holds the password (one trailing newline is dropped),
	// e.g. a mounted Kubernetes secret or a systemd credential.
	PasswordFile string
}

// Security protocols (Security.Protocol, lower case).
const (
	ProtocolPlaintext     = "plaintext"
	ProtocolSSL           = "ssl"
	ProtocolSASLPlaintext = "sasl_plaintext"
	ProtocolSASLSSL       = "sasl_ssl"
)

// SecurityError is a problem with one Security field; Field is its path
// ("TLS.CAFile", "SASL.Password"). The message never holds a secret.
type SecurityError struct {
	Field string
	Err   error
}

func (e *SecurityError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *SecurityError) Unwrap() error { return e.Err }

func secErr(field, format string, args ...any) *SecurityError {
	return &SecurityError{Field: field, Err: fmt.Errorf(format, args...)}
}

// EffectiveProtocol is Protocol in lower case, or its default.
func (s Security) EffectiveProtocol() string {
	switch p := strings.ToLower(s.Protocol); {
	case p != "":
		return p
	case s.SASL.Mechanism != "":
		return ProtocolSASLSSL
	case s.TLS != TLSConfig{}:
		return ProtocolSSL
	}
	return ProtocolPlaintext
}

// Enabled reports whether s asks for anything but plaintext.
func (s Security) Enabled() bool { return s.EffectiveProtocol() != ProtocolPlaintext }

// Apply checks s, reads its files and sets c.TLS and c.SASL (plaintext:
// nil and nil). The errors are SecurityErrors, joined; they name the
// field and the file, never a secret's value. A client certificate or a
// CA file whose certificates are all outside their validity period is an
// error here, before any broker is contacted.
func (s Security) Apply(c *Connection) error {
	return s.apply(c, time.Now())
}

func (s Security) apply(c *Connection, now time.Time) error {
	var errs []error
	add := func(e *SecurityError) { errs = append(errs, e) }
	proto := s.EffectiveProtocol()
	useTLS, useSASL := false, false
	switch proto {
	case ProtocolPlaintext:
	case ProtocolSSL:
		useTLS = true
	case ProtocolSASLPlaintext:
		useSASL = true
	case ProtocolSASLSSL:
		useTLS, useSASL = true, true
	default:
		add(secErr("Protocol", "want plaintext, ssl, sasl_plaintext or sasl_ssl, got %q", s.Protocol))
	}
	// Settings the protocol does not use are errors, not ignored: an
	// operator who gave a CA file believes the connection is encrypted.
	t := s.TLS
	if !useTLS && isProtocol(proto) {
		for _, f := range []struct{ name, v string }{
			{"TLS.CAFile", t.CAFile}, {"TLS.CertFile", t.CertFile}, {"TLS.KeyFile", t.KeyFile},
			{"TLS.ServerName", t.ServerName}, {"TLS.MinVersion", t.MinVersion},
		} {
			if f.v != "" {
				add(secErr(f.name, "set, but Protocol is %s, which does not use TLS: use ssl or sasl_ssl", proto))
			}
		}
	}
	if !useSASL && s.SASL != (SASLConfig{}) && isProtocol(proto) {
		if s.SASL.Mechanism == "" {
			add(secErr("SASL.Mechanism", "required with the other SASL settings: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512"))
		} else {
			add(secErr("SASL.Mechanism", "set, but Protocol is %s, which does not use SASL: use sasl_ssl", proto))
		}
	}
	var tc *tls.Config
	var info securityInfo
	info.protocol = proto
	if useTLS {
		tc = &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName}
		switch t.MinVersion {
		case "", "1.2":
		case "1.3":
			tc.MinVersion = tls.VersionTLS13
		default:
			add(secErr("TLS.MinVersion", "want 1.2 or 1.3, got %q", t.MinVersion))
		}
		if t.CAFile != "" {
			pool, err := readCAFile(t.CAFile, now)
			if err != nil {
				add(&SecurityError{"TLS.CAFile", err})
			}
			tc.RootCAs = pool
			info.caFile = t.CAFile
		}
		switch {
		case t.CertFile != "" && t.KeyFile != "":
			cert, err := readKeyPair(t.CertFile, t.KeyFile, now)
			if err != nil {
				add(err)
			} else {
				tc.Certificates = []tls.Certificate{cert}
				info.certFile = t.CertFile
			}
		case t.CertFile != "":
			add(secErr("TLS.KeyFile", "required with TLS.CertFile (%s): the client certificate's private key", t.CertFile))
		case t.KeyFile != "":
			add(secErr("TLS.CertFile", "required with TLS.KeyFile (%s): the client certificate", t.KeyFile))
		}
	}
	var mech sasl.Mechanism
	if useSASL {
		m, err := s.SASL.mechanism(proto)
		if err != nil {
			add(err)
		}
		mech = m
		info.mechanism, info.username = strings.ToUpper(s.SASL.Mechanism), s.SASL.Username
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	c.TLS, c.SASL, c.security = tc, mech, info
	return nil
}

func isProtocol(p string) bool {
	switch p {
	case ProtocolPlaintext, ProtocolSSL, ProtocolSASLPlaintext, ProtocolSASLSSL:
		return true
	}
	return false
}

// readCAFile reads a PEM bundle of CA certificates. A bundle in which
// every certificate has expired is an error; a bundle that merely holds
// some expired ones (system bundles do) is not.
func readCAFile(path string, now time.Time) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	var n, valid int
	var latest *x509.Certificate
	for rest := b; ; {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: certificate %d: %w", path, n+1, err)
		}
		n++
		pool.AddCert(cert)
		if !now.Before(cert.NotBefore) && !now.After(cert.NotAfter) {
			valid++
		}
		if latest == nil || cert.NotAfter.After(latest.NotAfter) {
			latest = cert
		}
	}
	switch {
	case n == 0:
		return nil, fmt.Errorf("%s: no PEM certificate in it", path)
	case valid == 0:
		return nil, fmt.Errorf("%s: none of its %d certificates is valid now (%s: %s)", path, n, latest.Subject, validity(latest))
	}
	return pool, nil
}

// readKeyPair reads a client certificate and its key and checks that the
// certificate is valid now.
func readKeyPair(certFile, keyFile string, now time.Time) (tls.Certificate, *SecurityError) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return tls.Certificate{}, &SecurityError{"TLS.CertFile", err}
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return tls.Certificate{}, &SecurityError{"TLS.KeyFile", err}
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		// The messages are fixed strings: no key material.
		msg := err.Error()
		switch {
		case strings.Contains(msg, "certificate input"):
			return cert, secErr("TLS.CertFile", "%s: %v", certFile, err)
		case strings.Contains(string(keyPEM), "ENCRYPTED"):
			return cert, secErr("TLS.KeyFile", "%s: an encrypted private key, which is not supported: store it unencrypted with permissions 0600 (openssl pkey -in KEY -out PLAIN)", keyFile)
		}
		return cert, secErr("TLS.KeyFile", "%s (with %s): %v", keyFile, certFile, err)
	}
	leaf := cert.Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return cert, secErr("TLS.CertFile", "%s: %v", certFile, err)
		}
	}
	switch {
	case now.After(leaf.NotAfter):
		return cert, secErr("TLS.CertFile", "%s: the client certificate (%s) expired at %s: renew it", certFile, leaf.Subject, leaf.NotAfter.UTC().Format(time.RFC3339))
	case now.Before(leaf.NotBefore):
		return cert, secErr("TLS.CertFile", "%s: the client certificate (%s) is not valid before %s", certFile, leaf.Subject, leaf.NotBefore.UTC().Format(time.RFC3339))
	}
	return cert, nil
}

func validity(c *x509.Certificate) string {
	return fmt.Sprintf("valid from %s to %s", c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339))
}

// mechanism checks the SASL settings and returns the mechanism.
func (s SASLConfig) mechanism(proto string) (sasl.Mechanism, *SecurityError) {
	if s.Mechanism == "" {
		return nil, secErr("SASL.Mechanism", "required with Protocol %s: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", proto)
	}
	if s.Username == "" {
		return nil, secErr("SASL.Username", "required with SASL.Mechanism %s", s.Mechanism)
	}
	var pass string
	switch {
	case s.Password != "" && s.PasswordFile != "":
		return nil, secErr("SASL.PasswordFile", "set, and SASL.Password too: give the password one way")
	case s.Password != "":
		pass = string(s.Password)
	case s.PasswordFile != "":
		b, err := os.ReadFile(s.PasswordFile)
		if err != nil {
			return nil, &SecurityError{"SASL.PasswordFile", err}
		}
		pass = strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
		if pass == "" {
			return nil, secErr("SASL.PasswordFile", "%s is empty", s.PasswordFile)
		}
	default:
		return nil, secErr("SASL.Password", "required with SASL.Mechanism %s: give SASL.Password or SASL.PasswordFile", s.Mechanism)
	}
	switch m := strings.ToUpper(s.Mechanism); m {
	case "PLAIN":
		if proto == ProtocolSASLPlaintext {
			return nil, secErr("SASL.Mechanism", "PLAIN over sasl_plaintext would send the password in clear text: use sasl_ssl")
		}
		return plainMechanism{username: s.Username, password: func() string { return pass }}, nil
	case "SCRAM-SHA-256", "SCRAM-SHA-512":
		algo := scram.SHA256
		if m == "SCRAM-SHA-512" {
			algo = scram.SHA512
		}
		mech, err := scram.Mechanism(algo, s.Username, pass)
		if err != nil {
			// SASLprep's error names the offending character: not
			// repeated here.
			return nil, secErr("SASL.Password", "not usable with %s: SASLprep (RFC 4013) rejects one of its characters", m)
		}
		return mech, nil
	default:
		return nil, secErr("SASL.Mechanism", "want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512, got %q", s.Mechanism)
	}
}

// plainMechanism is SASL PLAIN (RFC 4616). kafka-go's plain.Mechanism
// keeps the password in an exported field, which %+v of a Connection
// would print; here it is behind a function.
type plainMechanism struct {
	username string
	password func() string
}

func (plainMechanism) Name() string { return "PLAIN" }

func (m plainMechanism) Start(context.Context) (sasl.StateMachine, []byte, error) {
	return m, []byte("\x00" + m.username + "\x00" + m.password()), nil
}

// Next: the broker answers a rejected PLAIN exchange with an error, so a
// challenge means success.
func (plainMechanism) Next(context.Context, []byte) (bool, []byte, error) { return true, nil, nil }

// securityInfo describes a Connection's security for error messages.
type securityInfo struct {
	protocol, mechanism, username string
	caFile, certFile              string
}

// SecurityFailure is a failed TLS handshake or SASL exchange with the
// brokers, with its cause in words that say what to check.
type SecurityFailure struct {
	// Cause says what went wrong ("SASL authentication of user "x" with
	// SCRAM-SHA-512 failed: …").
	Cause string
	Err   error
}

func (e *SecurityFailure) Error() string { return e.Cause + ": " + e.Err.Error() }
func (e *SecurityFailure) Unwrap() error { return e.Err }

// explain wraps err in a SecurityFailure when it is one; other errors are
// returned as they are.
func (c *Connection) explain(err error) error {
	if err == nil {
		return nil
	}
	var sf *SecurityFailure
	if errors.As(err, &sf) {
		return err
	}
	if cause := securityCause(err, c.security, c.Brokers); cause != "" {
		return &SecurityFailure{Cause: cause, Err: err}
	}
	return err
}

// Explain returns err as a SecurityFailure naming its cause when it is a
// failed TLS handshake or SASL exchange with c's brokers, else err.
func (c Connection) Explain(err error) error { return c.explain(err) }

// securityCause explains a failed TLS handshake or SASL exchange; "" for
// other errors. info, when known, names the user and files to check.
func securityCause(err error, info securityInfo, brokers []string) string {
	at := "the brokers at " + strings.Join(brokers, ",")
	var ke kafkago.Error
	if errors.As(err, &ke) {
		switch ke {
		case kafkago.SASLAuthenticationFailed:
			if info.mechanism == "" {
				return "SASL authentication failed with " + at
			}
			return fmt.Sprintf("SASL authentication of user %q with %s failed with %s: wrong user name or password, or the brokers hold no %s credentials for this user",
				info.username, info.mechanism, at, info.mechanism)
		case kafkago.UnsupportedSASLMechanism:
			return fmt.Sprintf("%s do not enable SASL mechanism %s on this listener (sasl.enabled.mechanisms)", at, info.mechanism)
		case kafkago.IllegalSASLState:
			return fmt.Sprintf("%s refused the SASL exchange: is this a SASL listener?", at)
		}
		return ""
	}
	var cv *tls.CertificateVerificationError
	if errors.As(err, &cv) {
		trusted := "the system's trusted roots"
		if info.caFile != "" {
			trusted = info.caFile
		}
		var ua x509.UnknownAuthorityError
		var ci x509.CertificateInvalidError
		var he x509.HostnameError
		var leaf *x509.Certificate
		if len(cv.UnverifiedCertificates) > 0 {
			leaf = cv.UnverifiedCertificates[0]
		}
		switch {
		case errors.As(cv.Err, &ua):
			return fmt.Sprintf("TLS: the certificate of %s%s is not signed by an authority in %s (untrusted CA)", at, subject(leaf), trusted)
		case errors.As(cv.Err, &ci) && ci.Reason == x509.Expired:
			what := "is expired or not yet valid"
			if leaf != nil {
				what = validity(leaf)
			}
			return fmt.Sprintf("TLS: the certificate of %s%s has expired or is not yet valid (%s)", at, subject(leaf), what)
		case errors.As(cv.Err, &he):
			return fmt.Sprintf("TLS: the certificate of %s%s is not valid for the name %q (set the TLS server name)", at, subject(leaf), he.Host)
		}
		return fmt.Sprintf("TLS: the certificate of %s%s was not accepted", at, subject(leaf))
	}
	// A TLS alert from the broker: crypto/tls reports it as a net.OpError
	// "remote error" around an unexported alert type.
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "remote error" && oe.Err != nil {
		alert := oe.Err.Error()
		switch alert {
		case "tls: bad certificate", "tls: certificate required", "tls: unknown certificate authority",
			"tls: certificate expired", "tls: certificate revoked", "tls: unsupported certificate", "tls: unknown certificate":
			if info.certFile == "" {
				return fmt.Sprintf("TLS: %s refused the connection without a client certificate (alert %q): the listener requires one (TLS cert and key files)", at, alert)
			}
			return fmt.Sprintf("TLS: %s rejected the client certificate %s (alert %q): is it signed by a CA the brokers trust, and valid now?", at, info.certFile, alert)
		case "tls: protocol version not supported":
			return fmt.Sprintf("TLS: %s do not accept the TLS versions offered (TLS min version)", at)
		}
		if strings.HasPrefix(alert, "tls: ") {
			return fmt.Sprintf("TLS: %s ended the handshake (alert %q)", at, alert)
		}
	}
	// kafka-go recognises a TLS alert record read as a Kafka response.
	if errors.Is(err, io.ErrUnexpectedEOF) && strings.Contains(err.Error(), "broker appears to be expecting TLS") {
		return fmt.Sprintf("%s expect TLS, but the protocol is %s: use ssl or sasl_ssl", at, orPlaintext(info.protocol))
	}
	var rh tls.RecordHeaderError
	if errors.As(err, &rh) {
		return fmt.Sprintf("TLS: %s did not answer in TLS: is it a plaintext listener? (protocol %s)", at, info.protocol)
	}
	return ""
}

func orPlaintext(p string) string {
	if p == "" {
		return ProtocolPlaintext
	}
	return p
}

func subject(c *x509.Certificate) string {
	if c == nil {
		return ""
	}
	return fmt.Sprintf(" (%s, issued by %s)", c.Subject, c.Issuer)
}

// isSecurityFailure reports whether err is a failed TLS handshake or SASL
// exchange: retrying does not help.
func isSecurityFailure(err error) bool {
	return securityCause(err, securityInfo{}, nil) != ""
}

// NewDialer returns a kafka-go Dialer with c's client id, timeout, TLS and
// SASL, for code outside this package that needs one (readers of result
// topics, tools).
func (c Connection) NewDialer() *kafkago.Dialer {
	c.setDefaults()
	return c.dialer()
}

// NewClient returns a kafka-go Client of c's brokers with a transport of
// its own; call done when finished with it. Given topics, the transport
// caches the metadata of those only (a client that works on a few topics
// of a large cluster; requests about others see them as unknown).
func (c Connection) NewClient(topics ...string) (cl *kafkago.Client, done func()) {
	c.setDefaults()
	t := c.transport(topics...)
	return &kafkago.Client{Addr: kafkago.TCP(c.Brokers...), Transport: t, Timeout: c.DialTimeout}, t.CloseIdleConnections
}
