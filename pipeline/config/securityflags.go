package config

import (
	"errors"

	"github.com/spf13/pflag"

	pkafka "github.com/neurostream/neurostream/pipeline/kafka"
)

// SecurityFlags are kafka.security as command-line flags, for the
// commands that talk to Kafka without a pipeline file (replay, bench
// latency and throughput). Each flag defaults to its
// NEUROSTREAM_KAFKA_SECURITY_* variable, the kafka.security key of a
// pipeline file, so one environment serves every command; a flag given
// wins. The password comes from NEUROSTREAM_KAFKA_SECURITY_SASL_PASSWORD
// or --sasl-password-file: a password on the command line is visible to
// every user of the machine (ps) and stays in shell history, so
// --sasl-password is refused.
type SecurityFlags struct {
	s pkafka.Security
	// password catches --sasl-password, which is refused.
	password string
	flags    *pflag.FlagSet
}

// securityFlags are the flags of pkafka.Security's field paths, with the
// string each sets; the password has none.
var securityFlags = []struct {
	field, flag string
	value       func(*pkafka.Security) *string
}{
	{"Protocol", "security-protocol", func(s *pkafka.Security) *string { return &s.Protocol }},
	{"TLS.CAFile", "tls-ca-file", func(s *pkafka.Security) *string { return &s.TLS.CAFile }},
	{"TLS.CertFile", "tls-cert-file", func(s *pkafka.Security) *string { return &s.TLS.CertFile }},
	{"TLS.KeyFile", "tls-key-file", func(s *pkafka.Security) *string { return &s.TLS.KeyFile }},
	{"TLS.ServerName", "tls-server-name", func(s *pkafka.Security) *string { return &s.TLS.ServerName }},
	{"TLS.MinVersion", "tls-min-version", func(s *pkafka.Security) *string { return &s.TLS.MinVersion }},
	{"SASL.Mechanism", "sasl-mechanism", func(s *pkafka.Security) *string { return &s.SASL.Mechanism }},
	{"SASL.Username", "sasl-username", func(s *pkafka.Security) *string { return &s.SASL.Username }},
	{"SASL.PasswordFile", "sasl-password-file", func(s *pkafka.Security) *string { return &s.SASL.PasswordFile }},
}

// securityEnv names the environment variable of a Security field path.
func securityEnv(field string) string { return EnvName(SecurityKey(field)) }

// RegisterFlags adds the flags to f, which Security then reads.
func (k *SecurityFlags) RegisterFlags(f *pflag.FlagSet) {
	k.flags = f
	env := func(field string) string { return " (default $" + securityEnv(field) + ")" }
	f.StringVar(&k.s.Protocol, "security-protocol", "", "Kafka security.protocol: plaintext, ssl, sasl_plaintext or sasl_ssl (default: sasl_ssl with --sasl-mechanism, ssl with a --tls-* flag, else plaintext; or $"+securityEnv("Protocol")+")")
	f.StringVar(&k.s.TLS.CAFile, "tls-ca-file", "", "PEM `file` of the CAs that sign the brokers' certificates (default: the system's roots)"+env("TLS.CAFile"))
	f.StringVar(&k.s.TLS.CertFile, "tls-cert-file", "", "client certificate, PEM `file`, for brokers that require one"+env("TLS.CertFile"))
	f.StringVar(&k.s.TLS.KeyFile, "tls-key-file", "", "the client certificate's unencrypted private key, PEM `file`"+env("TLS.KeyFile"))
	f.StringVar(&k.s.TLS.ServerName, "tls-server-name", "", "`name` the brokers' certificates must be valid for (default: each broker's host)"+env("TLS.ServerName"))
	f.StringVar(&k.s.TLS.MinVersion, "tls-min-version", "", "oldest TLS `version` accepted, 1.2 or 1.3 (default 1.2)"+env("TLS.MinVersion"))
	f.StringVar(&k.s.SASL.Mechanism, "sasl-mechanism", "", "SASL `mechanism`: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512"+env("SASL.Mechanism"))
	f.StringVar(&k.s.SASL.Username, "sasl-username", "", "SASL `user`"+env("SASL.Username"))
	f.StringVar(&k.s.SASL.PasswordFile, "sasl-password-file", "", "`file` holding the SASL password (or set $"+securityEnv("SASL.Password")+"; never a flag)"+env("SASL.PasswordFile"))
	f.StringVar(&k.password, "sasl-password", "", "refused: passwords are not taken from the command line")
	f.MarkHidden("sasl-password")
}

// changed reports whether flag was given.
func (k *SecurityFlags) changed(flag string) bool { return k.flags != nil && k.flags.Changed(flag) }

// Security returns the environment's kafka.security under the flags
// given, checked (its files read). Unknown NEUROSTREAM_ variables,
// --sasl-password and bad settings are errors naming the flag or the
// variable (Errors for the settings), never a secret.
func (k *SecurityFlags) Security() (pkafka.Security, error) {
	if k.changed("sasl-password") {
		return pkafka.Security{}, errors.New("--sasl-password: a password on the command line is visible to every user of the machine (ps) and stays in shell history: " +
			"set $" + securityEnv("SASL.Password") + " or give --sasl-password-file")
	}
	env, err := LoadEnv()
	if err != nil {
		return pkafka.Security{}, err
	}
	s := env.Kafka.Security
	for _, f := range securityFlags {
		if k.changed(f.flag) {
			*f.value(&s) = *f.value(&k.s)
		}
	}
	if k.changed("sasl-password-file") {
		// The file given on the command line replaces a password from
		// the environment rather than conflicting with it.
		s.SASL.Password = ""
	}
	if err := s.Apply(&pkafka.Connection{}); err != nil {
		return s, SecurityErrors(err, k.name)
	}
	return s, nil
}

// Connection returns a connection to brokers with Security applied.
func (k *SecurityFlags) Connection(brokers []string) (pkafka.Connection, error) {
	conn := pkafka.Connection{Brokers: brokers}
	s, err := k.Security()
	if err == nil {
		err = s.Apply(&conn) // checked by Security: reads the files again
	}
	return conn, err
}

// name names a Security field as the user set it: the flag, its
// environment variable when the flag was not given, and the environment
// variable for the password.
func (k *SecurityFlags) name(field string) string {
	for _, f := range securityFlags {
		switch {
		case f.field != field:
		case k.changed(f.flag):
			return "--" + f.flag
		default:
			return "--" + f.flag + " ($" + securityEnv(field) + ")"
		}
	}
	return "$" + securityEnv(field)
}
