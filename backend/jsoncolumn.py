"""Piccolo's ``JSON`` column, typed as the tables use it.

Piccolo types a ``JSON`` column's row value as ``str`` when read and ``str | dict`` when written, but the rows here are
read with ``output(load_json=True)`` and hold any JSON value (lists of flags, suggestions, pauses …) and lists are
written to them. For type checkers only, this module's ``JSON`` reads and writes ``Any``; at run time it is Piccolo's own
class, so tables and their migrations are unchanged."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, overload

from piccolo.columns import JSON as _PiccoloJSON

if TYPE_CHECKING:
    from typing import Self

    from piccolo.table import Table

    class JSON(_PiccoloJSON):
        @overload
        def __get__(self, obj: Table, objtype: Any = None) -> Any: ...

        @overload
        def __get__(self, obj: None, objtype: Any = None) -> Self: ...

        def __get__(self, obj: Table | None, objtype: Any = None) -> Any: ...

        def __set__(self, obj: Table, value: Any) -> None: ...

else:
    JSON = _PiccoloJSON

__all__ = ["JSON"]
