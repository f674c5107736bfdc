package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/neurostream/neurostream/pipeline/config"
	pkafka "github.com/neurostream/neurostream/pipeline/kafka"
)

// kafkaSecurityFlags are the TLS and SASL flags of the commands that talk
// to Kafka without a pipeline file (replay, bench latency and
// throughput). Each defaults to its NEUROSTREAM_KAFKA_SECURITY_* variable,
// the kafka.security key of a pipeline file, so one environment serves
// every command; a flag given wins. The password comes from
// NEUROSTREAM_KAFKA_SECURITY_SASL_PASSWORD or --sasl-password-file: a
// password on the command line is visible to every user of the machine
// (ps) and stays in shell history.
type kafkaSecurityFlags struct {
	s pkafka.Security
	// password catches --sasl-password, which is refused.
	password string
}

// securityFlags maps each pkafka.Security field path to its flag.
var securityFlags = map[string]string{
	"Protocol":          "security-protocol",
	"TLS.CAFile":        "tls-ca-file",
	"TLS.CertFile":      "tls-cert-file",
	"TLS.KeyFile":       "tls-key-file",
	"TLS.ServerName":    "tls-server-name",
	"TLS.MinVersion":    "tls-min-version",
	"SASL.Mechanism":    "sasl-mechanism",
	"SASL.Username":     "sasl-username",
	"SASL.PasswordFile": "sasl-password-file",
}

func (k *kafkaSecurityFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	env := func(field string) string {
		return " (default $" + config.EnvName(config.SecurityKey(field)) + ")"
	}
	f.StringVar(&k.s.Protocol, "security-protocol", "", "Kafka security.protocol: plaintext, ssl, sasl_plaintext or sasl_ssl (default: sasl_ssl with --sasl-mechanism, ssl with a --tls-* flag, else plaintext; or $"+config.EnvName(config.SecurityKey("Protocol"))+")")
	f.StringVar(&k.s.TLS.CAFile, "tls-ca-file", "", "PEM `file` of the CAs that sign the brokers' certificates (default: the system's roots)"+env("TLS.CAFile"))
	f.StringVar(&k.s.TLS.CertFile, "tls-cert-file", "", "client certificate, PEM `file`, for brokers that require one"+env("TLS.CertFile"))
	f.StringVar(&k.s.TLS.KeyFile, "tls-key-file", "", "the client certificate's unencrypted private key, PEM `file`"+env("TLS.KeyFile"))
	f.StringVar(&k.s.TLS.ServerName, "tls-server-name", "", "`name` the brokers' certificates must be valid for (default: each broker's host)"+env("TLS.ServerName"))
	f.StringVar(&k.s.TLS.MinVersion, "tls-min-version", "", "oldest TLS `version` accepted, 1.2 or 1.3 (default 1.2)"+env("TLS.MinVersion"))
	f.StringVar(&k.s.SASL.Mechanism, "sasl-mechanism", "", "SASL `mechanism`: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512"+env("SASL.Mechanism"))
	f.StringVar(&k.s.SASL.Username, "sasl-username", "", "SASL `user`"+env("SASL.Username"))
	f.StringVar(&k.s.SASL.PasswordFile, "sasl-password-file", "", "`file` holding the SASL password (or set $"+config.EnvName(config.SecurityKey("SASL.Password"))+"; never a flag)"+env("SASL.PasswordFile"))
	f.StringVar(&k.password, "sasl-password", "", "refused: passwords are not taken from the command line")
	f.MarkHidden("sasl-password")
}

// connection returns a connection to brokers with security(cmd) applied.
func (k *kafkaSecurityFlags) connection(cmd *cobra.Command, brokers []string) (pkafka.Connection, error) {
	conn := pkafka.Connection{Brokers: brokers}
	s, err := k.security(cmd)
	if err == nil {
		err = s.Apply(&conn) // checked by security: reads the files again
	}
	return conn, err
}

// security returns the environment's kafka.security under the flags
// given, checked (its files read). Unknown NEUROSTREAM_ variables,
// --sasl-password and bad settings are usage errors naming the flag or
// variable, never a secret.
func (k *kafkaSecurityFlags) security(cmd *cobra.Command) (pkafka.Security, error) {
	if cmd.Flags().Changed("sasl-password") {
		return pkafka.Security{}, withCode(exitUsage, errors.New("--sasl-password: a password on the command line is visible to every user of the machine (ps) and stays in shell history: "+
			"set $"+config.EnvName(config.SecurityKey("SASL.Password"))+" or give --sasl-password-file"))
	}
	env, err := config.LoadEnv()
	if err != nil {
		return pkafka.Security{}, withCode(exitUsage, err)
	}
	s := env.Kafka.Security
	set := func(field string, dst *string, v string) {
		if cmd.Flags().Changed(securityFlags[field]) {
			*dst = v
		}
	}
	set("Protocol", &s.Protocol, k.s.Protocol)
	set("TLS.CAFile", &s.TLS.CAFile, k.s.TLS.CAFile)
	set("TLS.CertFile", &s.TLS.CertFile, k.s.TLS.CertFile)
	set("TLS.KeyFile", &s.TLS.KeyFile, k.s.TLS.KeyFile)
	set("TLS.ServerName", &s.TLS.ServerName, k.s.TLS.ServerName)
	set("TLS.MinVersion", &s.TLS.MinVersion, k.s.TLS.MinVersion)
	set("SASL.Mechanism", &s.SASL.Mechanism, k.s.SASL.Mechanism)
	set("SASL.Username", &s.SASL.Username, k.s.SASL.Username)
	if cmd.Flags().Changed("sasl-password-file") {
		// The file given on the command line replaces a password from
		// the environment rather than conflicting with it.
		s.SASL.PasswordFile, s.SASL.Password = k.s.SASL.PasswordFile, ""
	}
	if err := s.Apply(&pkafka.Connection{}); err != nil {
		return s, withCode(exitUsage, config.SecurityErrors(err, securityFlagName(cmd)))
	}
	return s, nil
}

// securityFlagName names a Security field as the user of cmd set it: the
// flag, its environment variable when the flag was not given, and the
// environment variable for the password.
func securityFlagName(cmd *cobra.Command) func(field string) string {
	return func(field string) string {
		flag, ok := securityFlags[field]
		if ok && cmd.Flags().Changed(flag) {
			return "--" + flag
		}
		name := config.EnvName(config.SecurityKey(field))
		if ok {
			return "--" + flag + " ($" + name + ")"
		}
		return "$" + name
	}
}
