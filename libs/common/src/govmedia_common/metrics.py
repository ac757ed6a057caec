"""Prometheus metrics with standard names, shared by every service.

Metric names are a public contract (the Grafana dashboards in ``deploy/`` query them).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "govmedia_http_requests_total",
    "HTTP requests handled, by service, method, route template and status code.",
    ["service", "method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "govmedia_http_request_duration_seconds",
    "HTTP request latency by service, method and route template.",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
AUDIT_REFUSALS_UNWRITTEN = Counter(
    "govmedia_audit_refusals_unwritten_total",
    "Refused accesses over a source's audit budget: counted, and told by the source's next audit entry.",
    ["service"],
)
OUTBOX_PUBLISHED = Counter(
    "govmedia_outbox_published_total", "Outbox rows published to Kafka.", ["service", "topic"]
)
OUTBOX_PUBLISH_ERRORS = Counter(
    "govmedia_outbox_publish_errors_total", "Failed outbox publish attempts.", ["service"]
)
OUTBOX_BACKLOG = Gauge(
    "govmedia_outbox_backlog",
    "Outbox events not yet published (a row of several records counts each).",
    ["service"],
)
OUTBOX_OLDEST_AGE = Gauge(
    "govmedia_outbox_oldest_age_seconds", "Age of the oldest unpublished outbox row.", ["service"]
)
CONSUMER_MESSAGES = Counter(
    "govmedia_consumer_messages_total",
    "Messages handled by consumers, by outcome (handled, duplicate, skipped, dead_lettered).",
    ["service", "group", "topic", "outcome"],
)
CONSUMER_DURATION = Histogram(
    "govmedia_consumer_handle_duration_seconds",
    "Time to handle one message including its database transaction.",
    ["service", "group", "topic"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30),
)
CONSUMER_RETRIES = Counter(
    "govmedia_consumer_retries_total", "Handler retries after an error.", ["service", "group", "topic"]
)
CONSUMER_DEAD_LETTERS = Counter(
    "govmedia_consumer_dead_letters_total",
    "Messages sent to <topic>.dlt.",
    ["service", "group", "topic"],
)
CONSUMER_LAG = Gauge(
    "govmedia_consumer_lag", "Messages behind the partition end.", ["service", "group", "topic", "partition"]
)
SERVICE_INFO = Gauge(
    "govmedia_service_info", "Constant 1, labelled with service and version.", ["service", "version"]
)
OUTBOX_DEAD = Counter(
    "govmedia_outbox_dead_total",
    "Outbox rows set aside because the broker refuses them for good (too large, invalid).",
    ["service", "topic"],
)
OUTBOX_SET_ASIDE = Gauge(
    "govmedia_outbox_set_aside",
    "Outbox rows currently set aside (their aggregate's later rows wait).",
    ["service"],
)
OUTBOX_REPUBLISHED = Counter(
    "govmedia_outbox_republished_total",
    "Outbox rows queued again because a new, empty broker answered.",
    ["service"],
)
SERVICE_READY = Gauge(
    "govmedia_service_ready", "1 when the service reaches its database and the broker, else 0.", ["service"]
)
