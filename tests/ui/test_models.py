"""The list models on their own, and a PySide6 regression that would crash them."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QListView

from faceorganizer.people import Person
from faceorganizer.ui.models import PeopleModel
from faceorganizer.ui.thumbnails import ThumbnailLoader


def test_scrolling_a_grid_does_not_leak_references_to_none(qtbot):
    """PySide6 6.12.0 dropped a reference to None whenever data() returned
    None; a grid of thousands of faces then crashed the app within minutes."""
    model = PeopleModel(ThumbnailLoader())
    model.set_items([Person(i, None, 3) for i in range(3000)])
    view = QListView()
    view.setViewMode(QListView.ViewMode.IconMode)
    view.setModel(model)
    qtbot.addWidget(view)
    view.resize(800, 600)
    view.show()
    qtbot.wait(50)
    before = sys.getrefcount(None)
    for step in range(40):
        view.verticalScrollBar().setValue(step * 40)
        view.viewport().repaint()
    assert sys.getrefcount(None) - before > -50


def test_set_items_keeps_the_selection_on_the_same_person(qtbot, qtmodeltester):
    model = PeopleModel(ThumbnailLoader())
    model.set_items([Person(i, None, 10 - i) for i in range(5)])
    view = QListView()
    view.setModel(model)
    qtbot.addWidget(view)
    view.setCurrentIndex(model.index(3))
    assert model.item(view.currentIndex().row()).cluster_id == 3
    # Person 3 grows to the top; person 1 goes; person 9 arrives.
    model.set_items([Person(3, "Anna", 20), Person(0, None, 10), Person(9, None, 5), Person(2, None, 8),
                     Person(4, None, 6)])
    assert model.item(view.currentIndex().row()).cluster_id == 3
    assert [model.item(r).cluster_id for r in range(model.rowCount())] == [3, 0, 9, 2, 4]
    qtmodeltester.check(model)
