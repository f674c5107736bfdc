package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/neurostream/neurostream/internal/cli"
	pkafka "github.com/neurostream/neurostream/pipeline/kafka"
)

func newTopicsCmd() *cobra.Command {
	var brokers []string
	cmd := &cobra.Command{
		Use:     "topics",
		Short:   "Create, list and describe Kafka topics",
		Long:    help("topics.long"),
		Example: help("topics.example"),
	}
	cmd.PersistentFlags().StringSliceVar(&brokers, "brokers", defaultBrokers(), "Kafka bootstrap brokers, host:port (the default is $NEUROSTREAM_KAFKA when set)")
	conn := func() pkafka.Connection { return pkafka.Connection{Brokers: brokers} }
	cmd.AddCommand(newTopicsCreateCmd(conn), newTopicsListCmd(conn), newTopicsDescribeCmd(conn))
	return cmd
}

func newTopicsCreateCmd(conn func() pkafka.Connection) *cobra.Command {
	var (
		spec        pkafka.TopicSpec
		configs     []string
		ifNotExists bool
	)
	cmd := &cobra.Command{
		Use:     "create TOPIC...",
		Short:   "Create topics and wait until every partition has a leader",
		Long:    help("topics-create.long"),
		Example: help("topics-create.example"),
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if spec.Partitions < 0 || spec.ReplicationFactor < 0 {
				return cli.WithCode(cli.ExitUsage, fmt.Errorf("--partitions %d, --replication-factor %d: want ≥ 1, or 0 for the broker's default", spec.Partitions, spec.ReplicationFactor))
			}
			var err error
			if spec.Configs, err = pkafka.ParseTopicConfigs(configs); err != nil {
				return cli.WithCode(cli.ExitUsage, fmt.Errorf("--config %w", err))
			}
			return pkafka.WriteCreateResults(cmd.OutOrStdout(), pkafka.CreateTopicsEach(cmd.Context(), conn(), args, spec, ifNotExists))
		},
	}
	f := cmd.Flags()
	f.IntVar(&spec.Partitions, "partitions", 0, "partitions per topic (0: the broker's num.partitions)")
	f.IntVar(&spec.ReplicationFactor, "replication-factor", 0, "replicas per partition (0: the broker's default.replication.factor)")
	f.StringArrayVar(&configs, "config", nil, "a topic setting name=value, e.g. retention.ms=86400000 (repeatable)")
	f.BoolVar(&ifNotExists, "if-not-exists", false, "leave existing topics as they are instead of failing")
	return cmd
}

func newTopicsListCmd(conn func() pkafka.Connection) *cobra.Command {
	var internal bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the cluster's topics with their partitions and replication factor",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			topics, err := pkafka.ListTopics(cmd.Context(), conn(), internal)
			if err != nil {
				return err
			}
			return pkafka.WriteTopicList(cmd.OutOrStdout(), topics)
		},
	}
	cmd.Flags().BoolVar(&internal, "internal", false, "list the broker's internal topics (__consumer_offsets) too")
	return cmd
}

func newTopicsDescribeCmd(conn func() pkafka.Connection) *cobra.Command {
	var group string
	cmd := &cobra.Command{
		Use:     "describe TOPIC...",
		Short:   "Show each partition's leader, replicas, offsets and, with --group, a consumer group's lag",
		Long:    help("topics-describe.long"),
		Example: "  neurostream topics describe neurostream.raw --group neurostream",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ds, err := pkafka.DescribeTopics(cmd.Context(), conn(), args, group)
			pkafka.WriteTopicDescriptions(cmd.OutOrStdout(), ds, group) // the topics found, when others are not
			return err
		},
	}
	cmd.Flags().StringVar(&group, "group", "", "consumer group whose committed offsets and lag to show")
	return cmd
}
