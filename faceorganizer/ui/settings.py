"""The user's settings: declared once (faceorganizer.config.Settings for the
core, plus where the library is), stored per user with QSettings, and edited
in a dialog."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
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

from faceorganizer.clustering import DEFAULT_THRESHOLD
from faceorganizer.config import Settings, default_library_dir


@dataclass
class AppSettings:
    """Everything the settings dialog edits."""

    core: Settings = field(default_factory=Settings)
    library_dir: str = ""  # "" means the default folder
    qdrant_url: str = ""

    def save(self) -> None:
        stored = QSettings()
        stored.setValue("library/folder", self.library_dir)
        stored.setValue("library/qdrant_url", self.qdrant_url)
        threshold = self.core.cluster_threshold
        stored.setValue("people/threshold", "" if threshold is None else threshold)
        stored.setValue("people/min_faces", self.core.min_faces)
        stored.setValue("faces/min_size", self.core.min_face_size)


def load_settings() -> AppSettings:
    stored = QSettings()
    defaults = Settings()
    threshold = stored.value("people/threshold", "")
    core = replace(
        defaults,
        cluster_threshold=float(threshold) if threshold not in ("", None) else None,
        min_faces=int(stored.value("people/min_faces", defaults.min_faces)),
        min_face_size=int(stored.value("faces/min_size", defaults.min_face_size)),
    )
    return AppSettings(core, str(stored.value("library/folder", "")), str(stored.value("library/qdrant_url", "")))


class SettingsDialog(QDialog):
    """Shows the values in use (`shown`: this run's library, the library's
    threshold) and changes only what the user edits: `result_settings()` is
    `settings` with the edited values."""

    def __init__(self, settings: AppSettings, shown: AppSettings, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.settings = settings
        self.shown = shown
        help_ = Settings.describe()
        form = QFormLayout(self)

        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(0.20, 0.90)
        self.threshold.setSingleStep(0.005)
        self.threshold.setDecimals(3)
        self.threshold.setValue(shown.core.cluster_threshold or DEFAULT_THRESHOLD)
        self.threshold.setToolTip(help_["cluster_threshold"])
        form.addRow("Similarity threshold:", self.threshold)
        form.addRow("", _note("Higher: fewer wrong merges, more people to merge by hand. "
                              "Re-cluster to apply it to the faces already grouped."))

        self.min_faces = QSpinBox()
        self.min_faces.setRange(1, 50)
        self.min_faces.setValue(shown.core.min_faces)
        self.min_faces.setToolTip(help_["min_faces"])
        form.addRow("Minimum faces per person:", self.min_faces)

        self.min_size = QSpinBox()
        self.min_size.setRange(8, 400)
        self.min_size.setSuffix(" px")
        self.min_size.setValue(shown.core.min_face_size)
        self.min_size.setToolTip(help_["min_face_size"])
        form.addRow("Minimum face size:", self.min_size)

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

        self._initial = self._values()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Library folder", self.library.text())
        if folder:
            self.library.setText(folder)

    def _values(self) -> dict:
        return {
            "cluster_threshold": round(self.threshold.value(), 3),
            "min_faces": self.min_faces.value(),
            "min_face_size": self.min_size.value(),
            "library_dir": self.library.text().strip(),
            "qdrant_url": self.qdrant_url.text().strip(),
        }

    def result_settings(self) -> AppSettings:
        edited = {name: value for name, value in self._values().items() if value != self._initial[name]}
        core = replace(self.settings.core, **{k: v for k, v in edited.items() if hasattr(self.settings.core, k)})
        return replace(self.settings, core=core, **{k: v for k, v in edited.items() if hasattr(self.settings, k)})


def _note(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setObjectName("paneSubtitle")
    return label
