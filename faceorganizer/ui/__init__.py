"""The Qt desktop application: models, views and the window over the core."""
