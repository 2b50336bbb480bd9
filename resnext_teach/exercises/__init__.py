"""Check functions for the chapters' exercises: each returns ``Feedback`` (truthy when right). Every exercise is an
``Exercise`` declared in its chapter's module (see ``core``)."""

from .core import Exercise, Feedback, check_integer

__all__ = ["Exercise", "Feedback", "check_integer"]
