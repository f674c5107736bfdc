package main

import (
	"github.com/spf13/cobra"

	"github.com/neurostream/neurostream/internal/cli"
	"github.com/neurostream/neurostream/pipeline/config"
	pkafka "github.com/neurostream/neurostream/pipeline/kafka"
)

// kafkaSecurityFlags are the TLS and SASL flags (config.SecurityFlags) of
// the commands that talk to Kafka without a pipeline file: replay, bench
// latency and throughput.
type kafkaSecurityFlags struct{ config.SecurityFlags }

func (k *kafkaSecurityFlags) register(cmd *cobra.Command) { k.RegisterFlags(cmd.Flags()) }

// security returns the environment's kafka.security under the flags
// given, checked; its errors are usage errors.
func (k *kafkaSecurityFlags) security(*cobra.Command) (pkafka.Security, error) {
	s, err := k.Security()
	return s, cli.WithCode(cli.ExitUsage, err)
}

// connection returns a connection to brokers with security applied.
func (k *kafkaSecurityFlags) connection(cmd *cobra.Command, brokers []string) (pkafka.Connection, error) {
	conn := pkafka.Connection{Brokers: brokers}
	s, err := k.security(cmd)
	if err == nil {
		err = s.Apply(&conn) // checked by security: reads the files again
	}
	return conn, err
}
