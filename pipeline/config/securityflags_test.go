package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// parseSecurityFlags registers SecurityFlags on a new flag set and parses
// args.
func parseSecurityFlags(t *testing.T, args ...string) *SecurityFlags {
	t.Helper()
	var k SecurityFlags
	f := pflag.NewFlagSet("test", pflag.ContinueOnError)
	k.RegisterFlags(f)
	if err := f.Parse(args); err != nil {
		t.Fatal(err)
	}
	return &k
}

// TestSecurityFlags: a flag given wins over its NEUROSTREAM_KAFKA_SECURITY_*
// variable, a flag not given leaves the variable's value, a password
// file given replaces a password from the environment, and the result
// is what a connection gets.
func TestSecurityFlags(t *testing.T) {
	_, caFile, pwFile := securityFiles(t)
	t.Setenv("NEUROSTREAM_KAFKA_SECURITY_PROTOCOL", "sasl_ssl")
	t.Setenv("NEUROSTREAM_KAFKA_SECURITY_TLS_CA_FILE", caFile)
	t.Setenv("NEUROSTREAM_KAFKA_SECURITY_SASL_MECHANISM", "PLAIN")
	t.Setenv("NEUROSTREAM_KAFKA_SECURITY_SASL_USERNAME", "env-user")
	t.Setenv("NEUROSTREAM_KAFKA_SECURITY_SASL_PASSWORD", secret)
	k := parseSecurityFlags(t, "--tls-server-name", "kafka.internal",
		"--sasl-mechanism", "SCRAM-SHA-256", "--sasl-password-file", pwFile)
	s, err := k.Security()
	if err != nil {
		t.Fatal(err)
	}
	if s.Protocol != "sasl_ssl" || s.TLS.CAFile != caFile || s.TLS.ServerName != "kafka.internal" || s.SASL.Mechanism != "SCRAM-SHA-256" ||
		s.SASL.Username != "env-user" || s.SASL.PasswordFile != pwFile || s.SASL.Password != "" {
		t.Errorf("security %+v", s)
	}
	conn, err := k.Connection([]string{"b:9093"})
	if err != nil {
		t.Fatal(err)
	}
	if conn.TLS == nil || conn.TLS.ServerName != "kafka.internal" || conn.SASL == nil || conn.SASL.Name() != "SCRAM-SHA-256" || conn.Brokers[0] != "b:9093" {
		t.Errorf("connection TLS %+v SASL %v", conn.TLS, conn.SASL)
	}

	// No flag: the environment as it is, password included.
	s, err = parseSecurityFlags(t).Security()
	if err != nil {
		t.Fatal(err)
	}
	if s.Protocol != "sasl_ssl" || s.TLS.ServerName != "" || s.SASL.Mechanism != "PLAIN" || string(s.SASL.Password) != secret {
		t.Errorf("environment only: %+v", s)
	}
}

// TestSecurityFlagErrors: --sasl-password is refused, unknown NEUROSTREAM_
// variables are errors, and a bad setting is named by the flag given, or
// by its flag and variable when it came from the environment, or by the
// variable for the password; no error repeats a secret.
func TestSecurityFlagErrors(t *testing.T) {
	_, caFile, _ := securityFiles(t)
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want []string
	}{
		{args: []string{"--sasl-password", secret},
			want: []string{"--sasl-password: a password on the command line is visible to every user of the machine (ps) and stays in shell history: set $NEUROSTREAM_KAFKA_SECURITY_SASL_PASSWORD or give --sasl-password-file"}},
		{env: map[string]string{"NEUROSTREAM_KAFKA_SECURITY_SASL_PASWORD": secret},
			want: []string{"NEUROSTREAM_KAFKA_SECURITY_SASL_PASWORD: environment variable matches no configuration key, so it would be ignored; did you mean NEUROSTREAM_KAFKA_SECURITY_SASL_PASSWORD or NEUROSTREAM_KAFKA_SECURITY_SASL_PASSWORD_FILE or NEUROSTREAM_KAFKA_SECURITY_SASL_USERNAME?"}},
		{args: []string{"--security-protocol", "ssl", "--sasl-mechanism", "PLAIN"},
			want: []string{"--sasl-mechanism: set, but --security-protocol is ssl, which does not use SASL"}},
		{args: []string{"--tls-cert-file", caFile},
			want: []string{"--tls-key-file ($NEUROSTREAM_KAFKA_SECURITY_TLS_KEY_FILE): required with --tls-cert-file"}},
		{args: []string{"--sasl-mechanism", "PLAIN", "--sasl-username", "u"},
			want: []string{"$NEUROSTREAM_KAFKA_SECURITY_SASL_PASSWORD: required with --sasl-mechanism PLAIN: give $NEUROSTREAM_KAFKA_SECURITY_SASL_PASSWORD or --sasl-password-file ($NEUROSTREAM_KAFKA_SECURITY_SASL_PASSWORD_FILE)"}},
		{args: []string{"--sasl-username", "u"}, env: map[string]string{"NEUROSTREAM_KAFKA_SECURITY_SASL_MECHANISM": "MD5", "NEUROSTREAM_KAFKA_SECURITY_SASL_PASSWORD": secret},
			want: []string{"--sasl-mechanism ($NEUROSTREAM_KAFKA_SECURITY_SASL_MECHANISM): "}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			_, err := parseSecurityFlags(t, tc.args...).Security()
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%v\nlacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("the error repeats the password: %v", err)
			}
			var errs Errors
			if strings.HasPrefix(tc.want[0], "--") && !strings.HasPrefix(tc.want[0], "--sasl-password:") && !errors.As(err, &errs) {
				t.Errorf("%T, want Errors", err)
			}
		})
	}
}
