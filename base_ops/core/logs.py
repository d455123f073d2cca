"""Personal numbers never reach the logs.

A database error's text carries the server's own DETAIL line — PostgreSQL names the duplicate key:
`Key (id_number)=(330106198503121231) already exists` — and tracebacks carry whatever a message held.
`hide_parameters` on the engine (create_app) keeps the statement's parameters out; this keeps the rest
out: every log record, whatever logger or handler it goes through (gunicorn's, Flask's, the RQ
worker's), has ID numbers and bank-account-like digit runs masked when it is made (GB/T 35273-2020
on de-identified display; docs/security.md "Audit": never a full ID number or bank number).
"""

from __future__ import annotations

import logging
import re

# 15 to 19 digits (an 18-character ID number may end in X): ID numbers old and new, bank cards.
PERSONAL_NUMBER = re.compile(r"(?<![0-9])([0-9]{4})[0-9]{9,13}([0-9][0-9Xx])(?![0-9A-Za-z])")


def mask(text: str) -> str:
    return PERSONAL_NUMBER.sub(r"\1**********\2", text)


def _mask_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: leave it to the handler to report
        return
    masked = mask(message)
    if masked != message:
        record.msg, record.args = masked, None
    if record.exc_info and record.exc_info[0] is not None:
        # Formatters use exc_text when it is set, so the traceback is written masked.
        record.exc_text = mask(logging.Formatter().formatException(record.exc_info))


def install_masking() -> None:
    """Wrap the process's log-record factory once (idempotent: create_app runs many times in tests)."""
    current = logging.getLogRecordFactory()
    if getattr(current, "masks_personal_numbers", False):
        return

    def masking_factory(*args, **kwargs) -> logging.LogRecord:
        record = current(*args, **kwargs)
        _mask_record(record)
        return record

    masking_factory.masks_personal_numbers = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(masking_factory)
