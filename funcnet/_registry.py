"""A small name -> item registry, shared by tasks, compile presets and merge kinds."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Generic, TypeVar

from funcnet._errors import FuncnetError, shown, unknown_name

T = TypeVar("T")


class Registry(Mapping[str, T], Generic[T]):
    """A read-only mapping of names to items that users extend with `register`.

    Looking up an unknown name raises `FuncnetError` listing the known names, with a
    "did you mean" for a near miss.

    Example:
        >>> import funcnet as fn
        >>> fn.tasks["binary"].activation
        'sigmoid'
        >>> fn.tasks["binray"]
        Traceback (most recent call last):
        funcnet.FuncnetError: Unknown task "binray". Expected one of: binary, ...
        Did you mean "binary"?
    """

    def __init__(self, kind: str, item_type: type | None = None) -> None:
        self._kind = kind
        self._type = item_type
        self._items: dict[str, T] = {}

    def register(self, name: str, item: T, *, replace: bool = False) -> T:
        """Adds `item` under `name` and returns it.

        Args:
            name: The name users will pass, e.g. `task="ordinal"`.
            item: The object to register.
            replace: Allow replacing an item already registered under `name`.

        Returns:
            `item`, so that registration can be used inline.

        Raises:
            FuncnetError: `name` is taken and `replace` is False, is not a string, or
                `item` is not of the registry's type (e.g. a `fn.Task` for `fn.tasks`).
        """
        if not isinstance(name, str) or not name:
            raise FuncnetError(
                f"A {self._kind} name must be a non-empty string. Received: name={name!r}."
            )
        if self._type is not None and not isinstance(item, self._type):
            kind = self._type.__name__
            raise FuncnetError(
                f'The {self._kind} registered as "{name}" must be a fn.{kind}, e.g. '
                f'fn.{self._kind}s.register("{name}", fn.{kind}(...)). '
                f"Received: {shown(item)}."
            )
        if name in self._items and not replace:
            raise FuncnetError(
                f'A {self._kind} named "{name}" is already registered. '
                "Pass replace=True to replace it, or choose another name."
            )
        self._items[name] = item
        return item

    def unregister(self, name: str) -> T:
        """Removes and returns the item registered as `name`.

        Raises:
            FuncnetError: nothing is registered as `name`.
        """
        item = self[name]
        del self._items[name]
        return item

    def __getitem__(self, name: str) -> T:
        try:
            return self._items[name]
        except (KeyError, TypeError):
            raise unknown_name(self._kind, name, self._items) from None

    def __contains__(self, name: object) -> bool:
        # Mapping's default asks __getitem__, whose error here is not a KeyError.
        return name in self._items

    def get(self, name: str, default: Any = None) -> Any:
        """Returns the item registered as `name`, or `default`."""
        return self._items.get(name, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"<funcnet {self._kind} registry: {', '.join(self._items)}>"
