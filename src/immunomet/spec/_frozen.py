"""Read-only mappings inside frozen dataclasses, and pickling them (models go to worker processes)."""
from __future__ import annotations

from dataclasses import fields
from types import MappingProxyType


def frozen_mapping(mapping) -> MappingProxyType:
    """A read-only view of a copy of ``mapping`` (for fields of frozen dataclasses)."""
    return MappingProxyType(dict(mapping))


def reduce_frozen(obj) -> tuple:
    """``__reduce__`` for frozen dataclasses holding read-only mappings, which cannot be pickled
    as they are: rebuild from plain dicts (so models travel to worker processes)."""
    values = (getattr(obj, f.name) for f in fields(obj))
    return type(obj), tuple(dict(v) if isinstance(v, MappingProxyType) else v for v in values)
