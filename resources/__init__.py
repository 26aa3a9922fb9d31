"""Icons, the style sheet and the desktop file, installed as package data."""
