"""The :class:`Secret` that holds the API key."""

from __future__ import annotations

import hmac
from typing import NoReturn, SupportsIndex, final


@final
class Secret:
    """A string that never shows itself: ``repr``, ``str`` and ``format`` give ``Secret('***')``.

    Copies are the same object, and pickling is refused, so a secret cannot
    leak through ``dataclasses.asdict`` or a pickle either.
    """

    __slots__ = ("_Secret__value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str) or not value:
            raise TypeError("a Secret holds a non-empty string")
        object.__setattr__(self, "_Secret__value", value)

    def reveal(self) -> str:
        """The secret itself; pass it straight to where it is needed."""
        value: str = object.__getattribute__(self, "_Secret__value")
        return value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __format__(self, format_spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self.reveal().encode(), other.reveal().encode())

    def __hash__(self) -> int:
        return hash((Secret, self.reveal()))

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError("a Secret cannot be changed")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError("a Secret cannot be changed")

    def __copy__(self) -> Secret:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> Secret:
        return self

    def __reduce_ex__(self, protocol: SupportsIndex) -> NoReturn:
        raise TypeError("a Secret cannot be pickled")
