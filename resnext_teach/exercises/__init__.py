"""Check functions for the chapters' exercises: each returns ``Feedback`` (truthy when right)."""

from .core import Feedback, check_integer

__all__ = ["Feedback", "check_integer"]
