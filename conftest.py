"""Root conftest: the integration fixtures (real PostgreSQL and Kafka-protocol broker) for every test."""

pytest_plugins = ["govmedia_platform.pytest_plugin"]
