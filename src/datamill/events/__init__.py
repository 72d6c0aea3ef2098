"""The event log: one JSON object per line, written by the driver only."""

from datamill.events.log import EventLog
from datamill.events.types import EventType

__all__ = ["EventLog", "EventType"]
