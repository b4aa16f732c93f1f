"""Structured logs: one JSON object per line (``DOCINTEL_LOG_FORMAT=json``), for a log shipper.

docintel logs ids, codes, stage names and exception types, never document content. The one place
content could slip in is an exception's message (a library may quote what it failed to parse), so
exceptions are written as their type and the file, line and function of each frame only.
"""

from __future__ import annotations

import socket
import traceback

from pythonjsonlogger.json import JsonFormatter

HOST = socket.gethostname()


class DocintelJsonFormatter(JsonFormatter):
    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("timestamp", "time")
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        super().__init__("%(levelname)s %(name)s %(message)s %(process)d", *args, **kwargs)

    def add_fields(self, log_record, record, message_dict) -> None:
        super().add_fields(log_record, record, message_dict)
        log_record["host"] = HOST

    def formatException(self, ei) -> str:
        kind, _, tb = ei
        frames = "".join(f'  File "{f.filename}", line {f.lineno}, in {f.name}\n'
                         for f in traceback.extract_tb(tb))
        return f"{getattr(kind, '__name__', 'Exception')} (message withheld)\n{frames}"
