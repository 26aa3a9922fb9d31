"""The main window's panes: the sidebar, the people grid, the faces of one
person, and the status bar."""
