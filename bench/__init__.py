"""The sync benchmark (``make bench``, ``make bench-small``); see ``bench/run.py``."""
