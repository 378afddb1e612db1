"""The progress log (台账): task records, their validation against plan and layers, joins.

A record is one piece of work a bureau logged (a greenway finished, a village plan
approved). :func:`read_records` reads a log, :func:`validate_records` checks it against
the plan register and the layers, :func:`join_records` attaches it to features.
"""

from __future__ import annotations

from ._log import RECORD_COLUMNS, join_records, read_records, validate_records

__all__ = ["RECORD_COLUMNS", "join_records", "read_records", "validate_records"]
