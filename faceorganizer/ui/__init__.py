"""The Qt desktop application: models, views and the window over the core.

PySide 6.11 makes each Qt type the first time Python names it, on whichever
thread names it. A thread of the thumbnail pool making `QImageReader` while
the GUI thread ran Python crashed the window (SIGSEGV in Shiboken's
`Module::get`; about one start in 40 on a busy machine). Every type is made
as PySide loads instead, on the thread that imports it (60 ms, 6 MB): this
must be set before PySide6 is first imported, which this package is for.
"""

import os

os.environ.setdefault("PYSIDE6_OPTION_LAZY", "0")
