"""One generic registry: recipe names -> classes, with errors that list the valid names."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from codemill import builtins

T = TypeVar("T")


class UnknownName(KeyError):
    """Raised for a name nobody registered; the message lists the valid ones."""

    def __init__(self, kind: str, name: str, valid: list[str]) -> None:
        self.kind, self.name, self.valid = kind, name, valid
        super().__init__(f"unknown {kind} {name!r}; valid {kind}s: {', '.join(valid)}")

    def __str__(self) -> str:
        return self.args[0]


class Registry(Generic[T]):
    """`builtin`: name -> module that registers it, imported the first time the name is asked for."""

    def __init__(self, kind: str, attr: str = "name", builtin: Callable[[], dict[str, str]] | None = None) -> None:
        self.kind, self.attr = kind, attr  # `attr`: class attribute that receives the registered name
        self._items: dict[str, type[T]] = {}
        self._builtin = builtin or dict

    def register(self, name: str) -> Callable[[type[T]], type[T]]:
        def deco(cls: type[T]) -> type[T]:
            if name in self._items and self._items[name] is not cls:
                raise ValueError(f"{self.kind} {name!r} registered twice")
            self._items[name] = cls
            setattr(cls, self.attr, name)
            return cls

        return deco

    def get(self, name: str) -> type[T]:
        if name not in self._items and name in self._builtin():
            importlib.import_module(self._builtin()[name])
        try:
            return self._items[name]
        except KeyError:
            raise UnknownName(self.kind, name, self.names()) from None

    def names(self) -> list[str]:
        return sorted({*self._items, *self._builtin()})

    def __iter__(self) -> Iterator[tuple[str, type[T]]]:
        builtins.load_all()
        return iter(sorted(self._items.items()))


OPS: Registry = Registry("op", builtin=lambda: builtins.OPS)
READERS: Registry = Registry("input type", attr="type_name", builtin=lambda: builtins.READERS)
