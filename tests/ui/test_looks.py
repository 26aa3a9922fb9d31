"""What the window looks like: readable text in the light and the dark palette,
and everything in sight on a small screen."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QToolBar

from faceorganizer.protocol import UNASSIGNED, AddFolders
from faceorganizer.ui.app import apply_palette, application

from .gestures import select_person, shown_people


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
        folder = window.sidebar.library_section.child(0)
        for item in (window.sidebar.scope_items["all"], window.sidebar.scope_items[UNASSIGNED], folder):
            sidebar.setCurrentItem(item)
            assert item.isSelected()
            assert text_contrast(sidebar, item) >= 4.5, item.text(0)
        window.browser.set_scope("all")
        assert shown_people(window)
    finally:
        monkeypatch.delenv("FACEORGANIZER_THEME")
        apply_palette(application())


def fully_shown(widget) -> bool:
    """The widget is visible and as wide and tall as its text needs."""
    return widget.isVisible() and widget.width() >= widget.sizeHint().width() \
        and widget.height() >= widget.minimumSizeHint().height()


def assert_usable(qtbot, window) -> None:
    """What must be readable and reachable at the window's size."""
    qtbot.waitUntil(lambda: window.size() == window.size().expandedTo(window.minimumSizeHint()), timeout=2_000)
    sidebar = window.sidebar
    items = [window.sidebar.library_section, window.sidebar.people_section, window.sidebar.faces_section, *window.sidebar.scope_items.values()]
    for item in items:
        assert sidebar.viewport().rect().contains(sidebar.visualItemRect(item)), f"{item.text(0)} is out of sight"
        indent = sidebar.indentation() if item.parent() else 0
        needed = indent + sidebar.sizeHintForIndex(sidebar.indexFromItem(item)).width()
        assert needed <= sidebar.viewport().width(), f"{item.text(0)} is cut"
    folders = [window.sidebar.library_section.child(i) for i in range(window.sidebar.library_section.childCount())]
    assert all(item.toolTip(0) in window.sidebar_folders() for item in folders)  # the name may be shortened
    toolbar = window.findChild(QToolBar)
    for action in toolbar.actions():
        if not action.isSeparator():
            assert toolbar.widgetForAction(action).isVisible(), f"{action.iconText()} is hidden in the toolbar"
    for view in (window.people_view, window.faces_view):
        first, second = (view.visualRect(view.model().index(row)) for row in (0, 1))
        assert first.top() == second.top() and view.viewport().rect().contains(second), \
            f"{view.accessibleName()}: fewer than two tiles a row"
    labels = [window.people_pane.title, window.faces_pane.title, window.faces_pane.subtitle, window.status_message]
    if window.job_running:  # the job's counts whole; its title ("Indexing ...") takes the room left
        labels.append(window.status.progress_label)
        assert window.progress_bar.isVisible()
        assert window.status.progress_title.width() > 0, "the job's title is out of sight"
    try:  # (the status bar lays out a new message later)
        qtbot.waitUntil(lambda: all(map(fully_shown, labels)), timeout=2_000)
    except qtbot.TimeoutError:
        pass
    for label in labels:
        assert fully_shown(label), f"{label.text()!r}: {label.width()} px wide, needs {label.sizeHint().width()}"


def test_the_window_opens_on_the_screen_and_works_at_1024_by_640(qtbot, open_window, indexed_library,
                                                                 make_photos):
    window = open_window(indexed_library)
    available = window.screen().availableGeometry()
    assert available.contains(window.frameGeometry()), (available, window.frameGeometry())

    window.resize(1024, 640)
    assert window.size() == QSize(1024, 640)
    window.splitter.setSizes([1, 10_000, 10_000])  # the sidebar as narrow as it goes
    select_person(qtbot, window, 0)
    window.corrections.rename(window.browser.current_key, "Maximilian Alexander")
    qtbot.waitUntil(lambda: window.faces_pane.title.text() == "Maximilian Alexander", timeout=20_000)
    assert_usable(qtbot, window)

    # While photos are indexed, with a long progress line.
    many = make_photos("Holidays in Portugal 2019", "players", 16)[0].parent
    window.client.call(AddFolders((str(many),)))
    qtbot.waitUntil(lambda: window.progress_bar.value() > 0, timeout=60_000)
    window.resize(1024, 640)
    assert_usable(qtbot, window)
    window.cancel_button.click()
    qtbot.waitUntil(lambda: not window.job_running, timeout=60_000)


def test_a_window_saved_on_a_bigger_screen_opens_within_this_one(qtbot, open_window, indexed_library):
    window = open_window(indexed_library)
    window.resize(2400, 1500)
    window.move(1500, 900)
    window.close()
    window = open_window(indexed_library)
    assert window.screen().availableGeometry().contains(window.frameGeometry())
