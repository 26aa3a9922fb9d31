"""faceorganizer: find the faces in a photo library and group them into people."""

import os

__version__ = "0.1.0"

# numpy's OpenBLAS keeps its idle worker threads spinning for about 0.1 s
# after each matrix product (its thread timeout, 2**28 cycles), and the
# library makes one every few photos while indexing and at each correction:
# a whole core taken from the face models and from the window, at the
# window's priority (measured: 1.06 s of CPU in 1.06 s for a product every
# 0.1 s; 0.05 s with this). Read by OpenBLAS when numpy is first imported,
# which the package's entry points do after this.
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")
