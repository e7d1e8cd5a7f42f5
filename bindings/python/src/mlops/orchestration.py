"""`mlops.orchestration`: Producer and Consumer (messageapi.mlops) over Kafka."""

from messageapi.mlops import Consumer, Producer

__all__ = ["Consumer", "Producer"]
