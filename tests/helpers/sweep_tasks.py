"""Task functions for the executor tests: importable by pool and Dask worker processes
(the tests put tests/helpers on their PYTHONPATH)."""

import os
import time


def square(x):
    return x * x


def boom(x):
    raise ValueError(f"task input {x} is not accepted")


def nap_then(x, seconds):
    time.sleep(seconds)
    return x


def pid(x, seconds=0.0):
    time.sleep(seconds)
    return x, os.getpid()
