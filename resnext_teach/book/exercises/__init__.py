"""Check functions for the chapters' exercises: each returns ``Feedback`` (truthy when right). Every exercise is an
``Exercise`` declared in its chapter's module.

The machinery: ``feedback`` (``Feedback`` and the rules every check follows), ``readers`` (how each kind of answer is
read), ``core`` (``Exercise``, the declared exercise and the order of its check). The chapters' modules:
``convolution``, ``grouped``, ``cardinality``, ``block``, ``model``, ``claims``.
"""

from .core import Exercise, check_integer
from .feedback import Feedback

__all__ = ["Exercise", "Feedback", "check_integer"]
