"""LOG_FORMAT=json: each log line one JSON object, for log stacks (Loki, ELK, Cloud Logging).

The project logs `key=value` messages (`job=… batch=… outcome=success duration_ms=112`); this
formatter keeps the message and lifts each pair into a field of its own, with numbers as numbers,
beside the time, level and logger. A value runs to the next ` key=`, so values may hold spaces;
a repr()-quoted value (`detail='…'`) runs to its closing quote.
"""

from __future__ import annotations

import ast
import json
import logging
import re
from datetime import UTC, datetime

_PAIR = re.compile(r"""(?:^|(?<= ))([a-z_]+)=('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|.*?)(?= [a-z_]+=|$)""", re.DOTALL)
_RESERVED = {"time", "level", "logger", "message", "exception"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        entry: dict = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": message,
        }
        for key, value in _PAIR.findall(message):
            if key not in _RESERVED:
                entry[key] = _value(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def _value(text: str) -> object:
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?\d+\.\d+", text):
        return float(text)
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        try:
            return ast.literal_eval(text)  # a repr()-quoted detail
        except (ValueError, SyntaxError):
            return text
    return text
