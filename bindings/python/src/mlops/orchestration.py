"""`mlops.orchestration`: Producer, Consumer and Admin (messageapi.mlops) over Kafka."""

from messageapi.mlops import Admin, Consumer, Producer

__all__ = ["Admin", "Consumer", "Producer"]
