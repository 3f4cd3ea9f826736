"""Screenshots as SVG that keep their columns in every renderer.

Textual's SVG pads text with no-break spaces (``&#160;``). librsvg — behind ``rsvg-convert`` and
most Linux image viewers — drops those at the start of a styled span and stretches the rest over
the span's ``textLength``, so cells drawn two spaces apart ran together in the picture
(``Progressing25%``, ``Pausedblue``) while the terminal showed them apart. Plain spaces under
``xml:space="preserve"`` stay where the terminal put them, in librsvg and in browsers alike.
"""

from __future__ import annotations

NO_BREAK_SPACE = "&#160;"


def svg_keeping_spaces(svg: str) -> str:
    """Textual's exported SVG with every padding space kept by any renderer."""
    return svg.replace(NO_BREAK_SPACE, " ").replace("<svg ", '<svg xml:space="preserve" ', 1)
