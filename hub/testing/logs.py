"""Reading every log record while a check runs, to look for leaked secrets."""

from __future__ import annotations

import contextlib
import logging
import traceback
from typing import Iterator


@contextlib.contextmanager
def capture_logs() -> Iterator[list[logging.LogRecord]]:
    """Every log record of every logger at DEBUG while the block runs (threads included)."""
    records: list[logging.LogRecord] = []

    class Collector(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Collector(logging.DEBUG)
    root = logging.getLogger()
    # SQLAlchemy's echo is the hub's database layer, not the plugin, and slow at DEBUG
    loggers = [root] + [lg for name, lg in logging.Logger.manager.loggerDict.items()
                        if isinstance(lg, logging.Logger) and not name.startswith("sqlalchemy")]
    levels = {lg: lg.level for lg in loggers}
    # handlers already on the root (a console, pytest's report) keep showing only what they showed
    shown = root.getEffectiveLevel()
    handler_levels = {hd: hd.level for hd in root.handlers}
    disabled = logging.root.manager.disable
    logging.disable(logging.NOTSET)
    for hd in root.handlers:
        hd.setLevel(max(hd.level, shown))
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
    root.addHandler(handler)
    try:
        yield records
    finally:
        root.removeHandler(handler)
        for lg, level in levels.items():
            lg.setLevel(level)
        for hd, level in handler_levels.items():
            hd.setLevel(level)
        logging.disable(disabled)


def log_text(record: logging.LogRecord) -> str:
    """A record's message with its arguments, and its traceback if any."""
    try:
        text = record.getMessage()
    except Exception:  # a broken %-format in someone's log call: still read what is there
        text = f"{record.msg} {record.args}"
    if record.exc_info and record.exc_info[1] is not None:
        text += "\n" + "".join(traceback.format_exception(*record.exc_info))
    return text
