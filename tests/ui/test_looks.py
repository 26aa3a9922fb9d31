"""What the window looks like: readable text in the light and the dark palette."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QImage

from faceorganizer.ui.app import apply_palette, application
from faceorganizer.ui.worker import UNASSIGNED

from .gestures import shown_people


def luminance(colour: QColor) -> float:
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(colour.redF()) + 0.7152 * linear(colour.greenF()) + 0.0722 * linear(colour.blueF())


def contrast(a: QColor, b: QColor) -> float:
    """The WCAG contrast ratio of two colours (1 to 21)."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def text_contrast(tree, item) -> float:
    """How well the text of a tree item stands out: the contrast of its
    glyphs' pixels with what is under them, from the item drawn with and
    without its text."""
    rect = tree.visualItemRect(item)

    def draw() -> QImage:
        return tree.viewport().grab(rect).toImage()

    with_text = draw()
    text = item.text(0)
    item.setText(0, "")
    without = draw()
    item.setText(0, text)
    ratios = [
        contrast(with_text.pixelColor(x, y), without.pixelColor(x, y))
        for y in range(with_text.height()) for x in range(with_text.width())
        if with_text.pixel(x, y) != without.pixel(x, y)
    ]
    assert ratios, "the item was drawn without its text"
    return max(ratios)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_selected_sidebar_entry_keeps_its_text_readable(qtbot, open_window, indexed_library, monkeypatch,
                                                            theme):
    window = open_window(indexed_library)
    monkeypatch.setenv("FACEORGANIZER_THEME", theme)
    apply_palette(application())
    try:
        sidebar = window.sidebar
        folder = window.library_section.child(0)
        for item in (window.scope_items["all"], window.scope_items[UNASSIGNED], folder):
            sidebar.setCurrentItem(item)
            assert item.isSelected()
            assert text_contrast(sidebar, item) >= 4.5, item.text(0)
        window.set_scope("all")
        assert shown_people(window)
    finally:
        monkeypatch.delenv("FACEORGANIZER_THEME")
        apply_palette(application())
