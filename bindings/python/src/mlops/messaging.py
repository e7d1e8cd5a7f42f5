"""`mlops.messaging`: MLOpsMessage, MessageType, Stages (messageapi.mlops)."""

from messageapi.mlops import MessageType, MLOpsMessage, Stages

__all__ = ["MLOpsMessage", "MessageType", "Stages"]
