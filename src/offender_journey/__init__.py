"""offender-journey: justice-system journeys as immutable event streams, and their views."""

from .events import EVENT_TYPES, Event

__all__ = ["EVENT_TYPES", "Event"]
