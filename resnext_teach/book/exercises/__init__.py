"""Check functions for the chapters' exercises: each returns ``Feedback`` (truthy when right). Every exercise is an
``Exercise`` declared in its chapter's module.

The machinery: ``feedback`` (``Feedback`` and the rules every check follows), ``readers`` (how each kind of answer is
read), ``core`` (``Exercise``, the declared exercise and the order of its check). The chapters' modules:
``convolution``, ``grouped``, ``cardinality``, ``block``, ``model``, ``claims``. The public names are the
chapters' modules' ``check_*`` functions; the machinery is imported here for the grader and the tests, not exported.
"""

from .core import Exercise, check_integer  # noqa: F401 - the machinery, for the grader and the tests
from .feedback import Feedback  # noqa: F401
