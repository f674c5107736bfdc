package kafka_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	nskafka "github.com/neurostream/neurostream/pipeline/kafka"
	"github.com/neurostream/neurostream/pipeline/kafka/kafkatest"
)

const testSecret = "hunter2-Sup3r-s3cret"

// TestSecretNeverPrints: a Secret, alone or inside a struct, prints as
// [redacted] through every fmt verb, slog handler and JSON.
func TestSecretNeverPrints(t *testing.T) {
	s := nskafka.Security{SASL: nskafka.SASLConfig{Mechanism: "PLAIN", Username: "u", Password: testSecret}}
	var out bytes.Buffer
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		fmt.Fprintf(&out, verb+"\n", s.SASL.Password)
		fmt.Fprintf(&out, verb+"\n", s)
		fmt.Fprintf(&out, verb+"\n", &s)
	}
	fmt.Fprintln(&out, s, fmt.Errorf("wrapped: %v", s))
	slog.New(slog.NewTextHandler(&out, nil)).Info("t", "security", s, "password", s.SASL.Password)
	slog.New(slog.NewJSONHandler(&out, nil)).Info("t", "security", s, "password", s.SASL.Password)
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	out.Write(b)
	if strings.Contains(out.String(), testSecret) || strings.Contains(out.String(), fmt.Sprintf("%x", testSecret)) {
		t.Fatalf("the secret printed:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "[redacted]") {
		t.Errorf("no [redacted] in\n%s", out.String())
	}
	if got := fmt.Sprint(nskafka.Secret("")); got != "" {
		t.Errorf("empty Secret prints %q", got)
	}
}

// pki is a CA with certificates in a temporary folder.
type pki struct {
	dir string
	ca  *kafkatest.CA
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	now := time.Now()
	ca, err := kafkatest.NewCA("test CA", now.Add(-time.Hour), now.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	p := &pki{dir: t.TempDir(), ca: ca}
	p.write("ca.pem", ca.PEM)
	return p
}

func (p *pki) write(name string, b []byte) string {
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		panic(err)
	}
	return path
}

// issue writes a certificate and key valid from → to and returns their
// paths and the tls.Certificate.
func (p *pki) issue(t *testing.T, name string, hosts []string, from, to time.Time) (certFile, keyFile string, cert tls.Certificate) {
	t.Helper()
	c, k, err := p.ca.Issue(name, hosts, from, to)
	if err != nil {
		t.Fatal(err)
	}
	cert, err = tls.X509KeyPair(c, k)
	if err != nil {
		t.Fatal(err)
	}
	return p.write(name+".pem", c), p.write(name+"-key.pem", k), cert
}

// TestSecurityApply: every setting is checked before a broker is
// contacted, each error names its field and file, and none holds a secret.
func TestSecurityApply(t *testing.T) {
	p := newPKI(t)
	now := time.Now()
	cert, key, _ := p.issue(t, "client", nil, now.Add(-time.Hour), now.Add(time.Hour))
	oldCert, oldKey, _ := p.issue(t, "old", nil, now.Add(-48*time.Hour), now.Add(-24*time.Hour))
	newCert, newKey, _ := p.issue(t, "future", nil, now.Add(24*time.Hour), now.Add(48*time.Hour))
	_, otherKey, _ := p.issue(t, "other", nil, now.Add(-time.Hour), now.Add(time.Hour))
	oldCA, err := kafkatest.NewCA("old CA", now.Add(-48*time.Hour), now.Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	expiredCA := p.write("expired-ca.pem", oldCA.PEM)
	notPEM := p.write("not.pem", []byte("hello"))
	encrypted := p.write("enc-key.pem", []byte("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n"))
	pwFile := p.write("password", []byte(testSecret+"\n"))
	emptyPw := p.write("empty", nil)
	missing := filepath.Join(p.dir, "missing.pem")
	ca := filepath.Join(p.dir, "ca.pem")
	sasl := func(mech string) nskafka.SASLConfig {
		return nskafka.SASLConfig{Mechanism: mech, Username: "neurostream", Password: testSecret}
	}

	for _, tc := range []struct {
		name  string
		s     nskafka.Security
		proto string // on success
		tls   bool
		sasl  string
		err   []string // substrings of the error, in order
	}{
		{name: "zero", s: nskafka.Security{}, proto: "plaintext"},
		{name: "tls inferred", s: nskafka.Security{TLS: nskafka.TLSConfig{CAFile: ca}}, proto: "ssl", tls: true},
		{name: "sasl inferred", s: nskafka.Security{SASL: sasl("scram-sha-512")}, proto: "sasl_ssl", tls: true, sasl: "SCRAM-SHA-512"},
		{name: "explicit ssl", s: nskafka.Security{Protocol: "SSL"}, proto: "ssl", tls: true},
		{name: "mtls", s: nskafka.Security{TLS: nskafka.TLSConfig{CAFile: ca, CertFile: cert, KeyFile: key, MinVersion: "1.3"}}, proto: "ssl", tls: true},
		{name: "password file", s: nskafka.Security{SASL: nskafka.SASLConfig{Mechanism: "PLAIN", Username: "u", PasswordFile: pwFile}}, proto: "sasl_ssl", tls: true, sasl: "PLAIN"},
		{name: "scram over sasl_plaintext", s: nskafka.Security{Protocol: "sasl_plaintext", SASL: sasl("SCRAM-SHA-256")}, proto: "sasl_plaintext", sasl: "SCRAM-SHA-256"},

		{name: "bad protocol", s: nskafka.Security{Protocol: "tls"}, err: []string{"Protocol: want plaintext, ssl, sasl_plaintext or sasl_ssl, got \"tls\""}},
		{name: "tls key with plaintext", s: nskafka.Security{Protocol: "plaintext", TLS: nskafka.TLSConfig{CAFile: ca}}, err: []string{"TLS.CAFile: set, but Protocol is plaintext"}},
		{name: "sasl with ssl", s: nskafka.Security{Protocol: "ssl", SASL: sasl("PLAIN")}, err: []string{"SASL.Mechanism: set, but Protocol is ssl"}},
		{name: "password without mechanism", s: nskafka.Security{SASL: nskafka.SASLConfig{Password: testSecret}}, err: []string{"SASL.Mechanism: required with the other SASL settings"}},
		{name: "plain in clear", s: nskafka.Security{Protocol: "sasl_plaintext", SASL: sasl("PLAIN")}, err: []string{"SASL.Mechanism: PLAIN over sasl_plaintext would send the password in clear text"}},
		{name: "unknown mechanism", s: nskafka.Security{SASL: sasl("GSSAPI")}, err: []string{`SASL.Mechanism: want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512, got "GSSAPI"`}},
		{name: "no user", s: nskafka.Security{SASL: nskafka.SASLConfig{Mechanism: "PLAIN", Password: testSecret}}, err: []string{"SASL.Username: required"}},
		{name: "no password", s: nskafka.Security{SASL: nskafka.SASLConfig{Mechanism: "PLAIN", Username: "u"}}, err: []string{"SASL.Password: required with SASL.Mechanism PLAIN"}},
		{name: "two passwords", s: nskafka.Security{SASL: nskafka.SASLConfig{Mechanism: "PLAIN", Username: "u", Password: testSecret, PasswordFile: pwFile}}, err: []string{"SASL.PasswordFile: set, and SASL.Password too"}},
		{name: "empty password file", s: nskafka.Security{SASL: nskafka.SASLConfig{Mechanism: "PLAIN", Username: "u", PasswordFile: emptyPw}}, err: []string{"SASL.PasswordFile: " + emptyPw + " is empty"}},
		{name: "missing password file", s: nskafka.Security{SASL: nskafka.SASLConfig{Mechanism: "PLAIN", Username: "u", PasswordFile: missing}}, err: []string{"SASL.PasswordFile: open " + missing}},
		{name: "saslprep", s: nskafka.Security{SASL: nskafka.SASLConfig{Mechanism: "SCRAM-SHA-256", Username: "u", Password: "a\u0007" + testSecret}}, err: []string{"SASL.Password: not usable with SCRAM-SHA-256: SASLprep"}},
		{name: "missing CA", s: nskafka.Security{TLS: nskafka.TLSConfig{CAFile: missing}}, err: []string{"TLS.CAFile: open " + missing}},
		{name: "CA not PEM", s: nskafka.Security{TLS: nskafka.TLSConfig{CAFile: notPEM}}, err: []string{"TLS.CAFile: " + notPEM + ": no PEM certificate in it"}},
		{name: "CA expired", s: nskafka.Security{TLS: nskafka.TLSConfig{CAFile: expiredCA}}, err: []string{"TLS.CAFile: " + expiredCA + ": none of its 1 certificates is valid now (CN=old CA"}},
		{name: "cert expired", s: nskafka.Security{TLS: nskafka.TLSConfig{CertFile: oldCert, KeyFile: oldKey}}, err: []string{"TLS.CertFile: " + oldCert + ": the client certificate (CN=old", "expired at"}},
		{name: "cert not yet valid", s: nskafka.Security{TLS: nskafka.TLSConfig{CertFile: newCert, KeyFile: newKey}}, err: []string{"TLS.CertFile: " + newCert, "is not valid before"}},
		{name: "key mismatch", s: nskafka.Security{TLS: nskafka.TLSConfig{CertFile: cert, KeyFile: otherKey}}, err: []string{"TLS.KeyFile: " + otherKey + " (with " + cert + "): tls: private key does not match public key"}},
		{name: "encrypted key", s: nskafka.Security{TLS: nskafka.TLSConfig{CertFile: cert, KeyFile: encrypted}}, err: []string{"TLS.KeyFile: " + encrypted + ": an encrypted private key, which is not supported"}},
		{name: "cert without key", s: nskafka.Security{TLS: nskafka.TLSConfig{CertFile: cert}}, err: []string{"TLS.KeyFile: required with TLS.CertFile"}},
		{name: "key without cert", s: nskafka.Security{TLS: nskafka.TLSConfig{KeyFile: key}}, err: []string{"TLS.CertFile: required with TLS.KeyFile"}},
		{name: "cert not PEM", s: nskafka.Security{TLS: nskafka.TLSConfig{CertFile: notPEM, KeyFile: key}}, err: []string{"TLS.CertFile: " + notPEM}},
		{name: "min version", s: nskafka.Security{TLS: nskafka.TLSConfig{MinVersion: "1.1"}}, err: []string{`TLS.MinVersion: want 1.2 or 1.3, got "1.1"`}},
		{name: "two errors", s: nskafka.Security{TLS: nskafka.TLSConfig{CAFile: missing, MinVersion: "1.0"}}, err: []string{"TLS.MinVersion", "TLS.CAFile"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c nskafka.Connection
			err := tc.s.Apply(&c)
			if tc.err != nil {
				if err == nil {
					t.Fatalf("Apply succeeded, want an error with %q", tc.err)
				}
				msg := err.Error()
				if strings.Contains(msg, testSecret) {
					t.Fatalf("the error holds the secret: %v", err)
				}
				rest := msg
				for _, want := range tc.err {
					i := strings.Index(rest, want)
					if i < 0 {
						t.Fatalf("error %q lacks %q", msg, want)
					}
					rest = rest[i+len(want):]
				}
				var se *nskafka.SecurityError
				if !errors.As(err, &se) {
					t.Errorf("error %v is not a SecurityError", err)
				}
				if c.TLS != nil || c.SASL != nil {
					t.Errorf("a failed Apply set the connection's TLS or SASL")
				}
				return
			}
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if got := tc.s.EffectiveProtocol(); got != tc.proto {
				t.Errorf("protocol %q, want %q", got, tc.proto)
			}
			if (c.TLS != nil) != tc.tls {
				t.Errorf("TLS set %v, want %v", c.TLS != nil, tc.tls)
			}
			switch {
			case tc.sasl == "" && c.SASL != nil:
				t.Errorf("SASL %s set", c.SASL.Name())
			case tc.sasl != "" && (c.SASL == nil || c.SASL.Name() != tc.sasl):
				t.Errorf("SASL %v, want %s", c.SASL, tc.sasl)
			}
			if c.SASL != nil && c.SASL.Name() == "PLAIN" {
				// The password file's trailing newline is not part of the
				// password.
				_, ir, err := c.SASL.Start(context.Background())
				if err != nil || !bytes.HasSuffix(ir, []byte("\x00"+testSecret)) {
					t.Errorf("PLAIN initial response does not end in the password: %v", err)
				}
			}
			if s := fmt.Sprintf("%+v %#v", c, c); strings.Contains(s, testSecret) {
				t.Errorf("the connection prints the password: %s", s)
			}
		})
	}
}

// tlsBroker is a TLS server that completes handshakes and then closes
// the connection: enough for a client's certificate checks, both ways.
func tlsBroker(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				tc := tls.Server(c, cfg)
				if tc.Handshake() == nil {
					io.Copy(io.Discard, io.LimitReader(tc, 64)) // the client's first request, or the alert
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// TestSecurityFailures: real TLS handshakes against a local TLS server
// fail with one error naming the cause, at once (Connect does not retry
// them), and EnsureTopics and Connect say the same.
func TestSecurityFailures(t *testing.T) {
	p := newPKI(t)
	now := time.Now()
	_, _, good := p.issue(t, "broker", []string{"127.0.0.1"}, now.Add(-time.Hour), now.Add(time.Hour))
	_, _, expired := p.issue(t, "expired-broker", []string{"127.0.0.1"}, now.Add(-48*time.Hour), now.Add(-24*time.Hour))
	_, _, elsewhere := p.issue(t, "elsewhere", []string{"kafka.example.org"}, now.Add(-time.Hour), now.Add(time.Hour))
	ca := filepath.Join(p.dir, "ca.pem")
	other, err := kafkatest.NewCA("other CA", now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	otherCA := p.write("other-ca.pem", other.PEM)

	for _, tc := range []struct {
		name   string
		server *tls.Config
		s      nskafka.Security
		want   string
	}{
		{"untrusted CA", &tls.Config{Certificates: []tls.Certificate{good}}, nskafka.Security{TLS: nskafka.TLSConfig{CAFile: otherCA}},
			"is not signed by an authority in " + otherCA + " (untrusted CA)"},
		{"system roots", &tls.Config{Certificates: []tls.Certificate{good}}, nskafka.Security{Protocol: "ssl"},
			"is not signed by an authority in the system's trusted roots"},
		{"expired", &tls.Config{Certificates: []tls.Certificate{expired}}, nskafka.Security{TLS: nskafka.TLSConfig{CAFile: ca}},
			"has expired or is not yet valid (valid from"},
		{"wrong name", &tls.Config{Certificates: []tls.Certificate{elsewhere}}, nskafka.Security{TLS: nskafka.TLSConfig{CAFile: ca}},
			`is not valid for the name "127.0.0.1" (set the TLS server name)`},
		{"client certificate required", &tls.Config{Certificates: []tls.Certificate{good}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: p.pool(t)},
			nskafka.Security{TLS: nskafka.TLSConfig{CAFile: ca}}, "refused the connection without a client certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := tlsBroker(t, tc.server)
			conn := nskafka.Connection{Brokers: []string{addr}, DialTimeout: 2 * time.Second}
			if err := tc.s.Apply(&conn); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := nskafka.EnsureTopics(ctx, conn, []string{"t"}, 1)
			var sf *nskafka.SecurityFailure
			if !errors.As(err, &sf) || !strings.Contains(sf.Cause, tc.want) || !strings.Contains(sf.Cause, addr) {
				t.Fatalf("EnsureTopics: %v\nwant a SecurityFailure naming %s and saying %q", err, addr, tc.want)
			}
			// The source does not retry it: Connect fails at once, without
			// a ConnectTimeout.
			src, err := nskafka.NewSource(nskafka.SourceConfig{Connection: conn, Topics: []string{"t"}, GroupID: "g", Logger: logger()})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close(context.Background())
			t0 := time.Now()
			err = src.Connect(ctx)
			if !errors.As(err, &sf) || !strings.Contains(sf.Cause, tc.want) {
				t.Fatalf("Connect: %v, want a SecurityFailure saying %q", err, tc.want)
			}
			if d := time.Since(t0); d > 3*time.Second {
				t.Errorf("Connect took %v: it retried a failed handshake", d)
			}
			t.Logf("%v", err)
		})
	}
}

func (p *pki) pool(t *testing.T) *x509.CertPool {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(p.ca.Cert)
	return pool
}
