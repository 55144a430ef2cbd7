"""One generic registry: recipe names -> classes, with errors that list the valid names."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class UnknownName(KeyError):
    """Raised for a name nobody registered; the message lists the valid ones."""

    def __init__(self, kind: str, name: str, valid: list[str]) -> None:
        self.kind, self.name, self.valid = kind, name, valid
        super().__init__(f"unknown {kind} {name!r}; valid {kind}s: {', '.join(valid)}")

    def __str__(self) -> str:
        return self.args[0]


class Registry(Generic[T]):
    def __init__(self, kind: str, attr: str = "name") -> None:
        self.kind, self.attr = kind, attr  # `attr`: class attribute that receives the registered name
        self._items: dict[str, type[T]] = {}

    def register(self, name: str) -> Callable[[type[T]], type[T]]:
        def deco(cls: type[T]) -> type[T]:
            if name in self._items and self._items[name] is not cls:
                raise ValueError(f"{self.kind} {name!r} registered twice")
            self._items[name] = cls
            setattr(cls, self.attr, name)
            return cls

        return deco

    def get(self, name: str) -> type[T]:
        _load_builtins()
        try:
            return self._items[name]
        except KeyError:
            raise UnknownName(self.kind, name, self.names()) from None

    def names(self) -> list[str]:
        _load_builtins()
        return sorted(self._items)

    def __iter__(self) -> Iterator[tuple[str, type[T]]]:
        _load_builtins()
        return iter(sorted(self._items.items()))


def _load_builtins() -> None:
    """Import the modules that register the built-in ops and readers (once)."""
    from codemill import builtins  # noqa: F401


OPS: Registry = Registry("op")
READERS: Registry = Registry("input type", attr="type_name")
