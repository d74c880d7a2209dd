#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Write the reference .npy files that tests/core/test-core-plugin.c reads.

They come from numpy itself, so the test checks Weft's reader against the
reference writer rather than against Weft's own writer. The values are
small exact numbers that the test repeats literally.

Run with a Python that has numpy (Debian: /usr/bin/python3 with
python3-numpy):  tests/golden/make-npy.py [OUTDIR]
"""
import os
import sys

import numpy as np


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        here, "..", "fixtures", "npy")
    os.makedirs(out, exist_ok=True)
    arrays = {
        # 0.5 steps from -2.5: exact in f32.
        "f32-3x4.npy": np.arange(12, dtype=np.float32).reshape(3, 4) * 0.5
        - 2.5,
        # Values that need all 64 bits.
        "i64-5.npy": np.array([0, -1, 2**40, -(2**62), 2**63 - 1],
                              dtype=np.int64),
        # 1, -2, 0.5 and 65504 (the largest finite f16).
        "f16-2x2.npy": np.array([[1.0, -2.0], [0.5, 65504.0]],
                                dtype=np.float16),
        "bool-3.npy": np.array([True, False, True]),
    }
    for name, a in arrays.items():
        np.save(os.path.join(out, name), a)
        print(f"{name}: {a.dtype.str} {a.shape}")


if __name__ == "__main__":
    main()
