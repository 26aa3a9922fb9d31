"""faceorganizer: find the faces in a photo library and group them into people."""

__version__ = "0.1.0"
