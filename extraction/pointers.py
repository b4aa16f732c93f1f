"""JSON pointers (RFC 6901): how extraction names a field of its data, e.g. ``/parties/0/name``."""

from __future__ import annotations

from collections.abc import Iterator


def escape(key: str) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


def parts(pointer: str) -> list[str]:
    """``/parties/0/name`` -> ``["parties", "0", "name"]``, with ``~1`` and ``~0`` unescaped."""
    return [part.replace("~1", "/").replace("~0", "~") for part in pointer[1:].split("/")] if pointer else []


def fields(value, pointer: str = "") -> Iterator[tuple[str, object]]:
    """(pointer, value) of each field a reviewer sees: objects are opened, and lists of objects or lists;
    a list of plain values (allergies, say) is one field."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from fields(item, f"{pointer}/{escape(key)}")
    elif isinstance(value, list) and value and any(isinstance(item, dict | list) for item in value):
        for index, item in enumerate(value):
            yield from fields(item, f"{pointer}/{index}")
    else:
        yield pointer, value


def assign(data, pointer: str, value) -> bool:
    """Put ``value`` at ``pointer`` inside ``data``; False when there is no such place."""
    names = parts(pointer)
    if not names:
        return False
    container = data
    try:
        for name in names[:-1]:
            container = container[int(name)] if isinstance(container, list) else container[name]
        last = names[-1]
        if isinstance(container, list):
            container[int(last)] = value
        else:
            container[last] = value
    except (KeyError, IndexError, ValueError, TypeError):
        return False
    return True
