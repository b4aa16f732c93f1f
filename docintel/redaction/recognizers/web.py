"""E-mail addresses, web addresses and IP addresses."""

from __future__ import annotations

import ipaddress

from .base import Recognizer


class EmailAddressRecognizer(Recognizer):
    entity = "EMAIL"
    patterns = ((r"\b[A-Z0-9._%+'-]+@[A-Z0-9.-]+\.[A-Z]{2,}\b", 0.95),)


class WebAddressRecognizer(Recognizer):
    entity = "URL"
    patterns = (
        (r"\b(?:https?://|www\.)[^\s<>\"'()\[\]]+[^\s<>\"'()\[\].,;:!?]", 0.9),
        (
            r"(?<![@\w.])[A-Z0-9-]+(?:\.[A-Z0-9-]+)*\.(?:com|org|net|edu|gov|io|info|biz|health|co\.uk|org\.uk|"
            r"nhs\.uk|de|fr|nl|ca|au)(?:/[^\s<>\"'()]*[^\s<>\"'().,;:!?])?(?![\w@])",
            0.6,
        ),
    )


class IpAddressRecognizer(Recognizer):
    entity = "IP_ADDRESS"
    patterns = (
        (r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)", 0.6),
        (r"(?<![\w:])(?:[0-9A-F]{0,4}:){2,7}[0-9A-F]{0,4}(?![\w:])", 0.6),
    )
    context_words = ("ip", "address", "host", "connected", "server", "login")

    def validate(self, value: str) -> bool | None:
        try:
            ipaddress.ip_address(value)
        except ValueError:
            return False
        return None if ":" not in value or value.count(":") >= 2 else False
