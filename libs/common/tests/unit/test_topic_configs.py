"""Production topics keep an acknowledged event when a broker is lost; a single embedded broker gets none."""

from govmedia_common.kafka import production_topic_configs


def test_replicated_topics_require_two_in_sync_replicas_and_no_unclean_election() -> None:
    assert production_topic_configs(3) == {
        "min.insync.replicas": "2",
        "unclean.leader.election.enable": "false",
    }


def test_a_single_broker_gets_no_replication_settings() -> None:
    assert production_topic_configs(1) == {}
