"""Text widgets that never read markup: what they show comes from data, config and servers.

Textual parses a ``str`` given to ``Label``/``Static`` (and a ``DataTable`` cell, a palette prompt, a
toast) as content markup, so a context named ``[/x]``, a briefing mentioning ``[/spec/x]`` or a
server message with brackets would end the console with a MarkupError — or restyle the screen.
Every text widget in the console is one of these; styled text is built as ``rich.text.Text``.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Label, Static


class PlainLabel(Label):
    def __init__(self, content: Any = "", **kwargs: Any) -> None:  # Textual's own keywords (id, classes…)
        kwargs.setdefault("markup", False)
        super().__init__(content, **kwargs)


class PlainStatic(Static):
    def __init__(self, content: Any = "", **kwargs: Any) -> None:  # Textual's own keywords (id, classes…)
        kwargs.setdefault("markup", False)
        super().__init__(content, **kwargs)


def plain(value: str | Text) -> Text:
    """A table cell as literal text: ``DataTable`` reads a ``str`` cell as markup."""
    return Text(value) if isinstance(value, str) else value
