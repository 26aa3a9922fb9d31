"""The settings dialog: the library's grouping and sidecar settings (kept in
the library, faceorganizer.config.GroupingSettings and SidecarSettings, so the
command line works alike), the face models to switch it to, and which
library the window opens (kept per user with QSettings)."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from faceorganizer.config import SIDECAR_STYLES, GroupingSettings, Settings, SidecarSettings, default_library_dir

#: Where windows before the library kept its settings were told to keep them.
_OLD_GROUPING_KEYS = {"people/threshold": "cluster_threshold", "people/min_faces": "min_faces",
                      "faces/min_size": "min_face_size"}


@dataclass
class AppSettings:
    """Which library the window opens, and whether it indexes new photos in
    the library's folders as they appear."""

    library_dir: str = ""  # "" means the default folder
    qdrant_url: str = ""
    watch_folders: bool = True

    def save(self) -> None:
        stored = QSettings()
        stored.setValue("library/folder", self.library_dir)
        stored.setValue("library/qdrant_url", self.qdrant_url)
        stored.setValue("library/watch_folders", self.watch_folders)


def load_settings() -> AppSettings:
    stored = QSettings()
    return AppSettings(str(stored.value("library/folder", "")), str(stored.value("library/qdrant_url", "")),
                       stored.value("library/watch_folders", True, type=bool))


def take_old_grouping_settings() -> dict:
    """Grouping settings an older window kept per user, for the library to
    keep from now on; they are removed from the user's settings."""
    stored = QSettings()
    found = {}
    for key, name in _OLD_GROUPING_KEYS.items():
        value = stored.value(key)
        if value not in (None, ""):
            found[name] = float(value) if name == "cluster_threshold" else int(value)
        stored.remove(key)
    return found


class SettingsDialog(QDialog):
    """Shows the values in use (`shown`: this run's library; `grouping`: the
    open library's, None when none is open) and changes only what the user
    edits: `window_settings()` is `settings` with the edited values,
    `grouping_changes()` the grouping values edited, `sidecar_changes()` the
    sidecar values edited (`sidecars`: the open library's), `models_folder()`
    the folder of the models chosen (`models`: the library's in words)."""

    def __init__(self, settings: AppSettings, shown: AppSettings, grouping: GroupingSettings | None,
                 parent: QWidget | None = None, *, sidecars: SidecarSettings | None = None, models: str = ""):
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.settings = settings
        help_ = Settings.describe()
        form = QFormLayout(self)
        grouping = grouping or GroupingSettings(0.0, 0, 0)

        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(0.20, 0.90)
        self.threshold.setSingleStep(0.005)
        self.threshold.setDecimals(3)
        self.threshold.setValue(grouping.cluster_threshold)
        self.threshold.setToolTip(help_["cluster_threshold"])
        form.addRow("Similarity threshold:", self.threshold)
        form.addRow("", _note("Higher: fewer wrong merges, more people to merge by hand. "
                              "Re-cluster to apply it to the faces already grouped."))

        self.min_faces = QSpinBox()
        self.min_faces.setRange(1, 50)
        self.min_faces.setValue(grouping.min_faces)
        self.min_faces.setToolTip(help_["min_faces"])
        form.addRow("Minimum faces per person:", self.min_faces)

        self.min_size = QSpinBox()
        self.min_size.setRange(8, 400)
        self.min_size.setSuffix(" px")
        self.min_size.setValue(grouping.min_face_size)
        self.min_size.setToolTip(help_["min_face_size"])
        form.addRow("Minimum face size:", self.min_size)
        form.addRow("", _note("Kept in the library, for the command line too. A new minimum size applies "
                              "to the photos indexed from now on."))

        sidecars = sidecars or SidecarSettings(Settings.sidecar_style, False)
        self.sidecar_style = QComboBox()
        self.sidecar_style.addItem("photo.jpg.xmp (digiKam, darktable)", "digikam")
        self.sidecar_style.addItem("photo.xmp (Lightroom)", "lightroom")
        self.sidecar_style.setCurrentIndex(SIDECAR_STYLES.index(sidecars.style))
        self.sidecar_style.setToolTip(help_["sidecar_style"])
        form.addRow("XMP sidecars:", self.sidecar_style)
        self.write_sidecars = QCheckBox("Write XMP sidecars after each correction")
        self.write_sidecars.setChecked(sidecars.write_after_corrections)
        self.write_sidecars.setToolTip(help_["write_sidecars"])
        form.addRow("", self.write_sidecars)
        form.addRow("", _note("Names go into a sidecar file beside each photo, where other photo tools read "
                              "them; the photos themselves are never changed."))
        self.models = QLineEdit()
        self.models.setPlaceholderText("the library's own")
        self.models.setToolTip("A folder with InsightFace's buffalo_l models (det_10g.onnx, w600k_r50.onnx)")
        choose_models = QPushButton("Choose…")
        choose_models.clicked.connect(self._browse_models)
        row = QHBoxLayout()
        row.addWidget(self.models)
        row.addWidget(choose_models)
        form.addRow("Face models:", row)
        switching = ("Another folder's models describe every face again, in the background; people, names "
                     "and corrections are kept, and the library works as before until it is done.")
        form.addRow("", _note(f"{models} {switching}" if models else switching))
        for box in (self.threshold, self.min_faces, self.min_size, self.sidecar_style, self.write_sidecars,
                    self.models, choose_models):
            box.setEnabled(grouping.min_faces > 0)  # (no library open: nothing to set)

        self.library = QLineEdit(shown.library_dir)
        self.library.setPlaceholderText(str(default_library_dir()))
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.library)
        row.addWidget(browse)
        form.addRow("Library folder:", row)

        self.qdrant_url = QLineEdit(shown.qdrant_url)
        self.qdrant_url.setPlaceholderText("none: faces are kept in the library folder")
        form.addRow("Qdrant server URL:", self.qdrant_url)

        self.watch_folders = QCheckBox("Index new and changed photos in the library's folders as they appear")
        self.watch_folders.setChecked(settings.watch_folders)
        form.addRow("Folders:", self.watch_folders)

        self._initial = self._values()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Library folder", self.library.text())
        if folder:
            self.library.setText(folder)

    def _browse_models(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Face models", self.models.text())
        if folder:
            self.models.setText(folder)

    def _values(self) -> dict:
        """What the boxes say. (Values are compared as shown: a threshold the
        boxes round, 0.4725 shown as 0.473, is kept unless edited.)"""
        return {
            "cluster_threshold": self.threshold.text(),
            "min_faces": self.min_faces.value(),
            "min_face_size": self.min_size.value(),
            "style": self.sidecar_style.currentData(),
            "write_after_corrections": self.write_sidecars.isChecked(),
            "library_dir": self.library.text().strip(),
            "qdrant_url": self.qdrant_url.text().strip(),
            "watch_folders": self.watch_folders.isChecked(),
            "models": self.models.text().strip(),
        }

    def _edited(self) -> dict:
        return {name: value for name, value in self._values().items() if value != self._initial[name]}

    def window_settings(self) -> AppSettings:
        edited = self._edited()
        return replace(self.settings, **{k: v for k, v in edited.items() if hasattr(self.settings, k)})

    def grouping_changes(self) -> dict:
        edited = self._edited()
        if "cluster_threshold" in edited:
            edited["cluster_threshold"] = round(self.threshold.value(), self.threshold.decimals())
        return {k: v for k, v in edited.items() if k in {f.name for f in fields(GroupingSettings)}}

    def models_folder(self) -> str | None:
        """The folder of the models to switch the library to, if one was chosen."""
        return self._edited().get("models") or None

    def sidecar_changes(self) -> dict:
        """ChangeSidecarSettings' fields edited."""
        return {k: v for k, v in self._edited().items() if k in ("style", "write_after_corrections")}


def _note(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setObjectName("paneSubtitle")
    return label
