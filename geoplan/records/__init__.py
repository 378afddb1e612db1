"""The progress log (台账): task records, their validation against plan and layers, joins.

A record is one piece of work a bureau logged (a greenway finished, a village plan
approved). :func:`read_records` reads a log, :func:`validate_records` checks it against
the plan register and the layers, :func:`join_records` attaches it to features.
"""

from __future__ import annotations

from ._log import (
    LEDGER_COLUMNS,
    RECORD_COLUMNS,
    issues_frame,
    join_records,
    read_records,
    validate_records,
)
from ._template import write_template
from ._units import convert_quantity

__all__ = [
    "LEDGER_COLUMNS",
    "RECORD_COLUMNS",
    "convert_quantity",
    "issues_frame",
    "join_records",
    "read_records",
    "validate_records",
    "write_template",
]
