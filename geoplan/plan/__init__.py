"""The action plan as data: read a plan document and return its task register.

:func:`parse_plan` reads a Chinese action plan (text in any common encoding) and returns a
:class:`Plan`: metadata, goals, sections, and numbered tasks with their responsible units
and dated, quantified targets. ``_model`` holds the dataclasses, ``_parse`` the parser,
``_numbers`` the quantity and date grammar, ``_read`` the document readers (``_docx``,
``_pdf``, ``_html``; :func:`read_plan_text` shows what they read), ``_register`` the
register as CSV and Excel.
"""

from __future__ import annotations

from ._model import Plan, PlanMeta, Quantity, Section, Target, Task
from ._parse import parse_plan
from ._read import read_plan_text

__all__ = [
    "Plan",
    "PlanMeta",
    "Quantity",
    "Section",
    "Target",
    "Task",
    "parse_plan",
    "read_plan_text",
]
