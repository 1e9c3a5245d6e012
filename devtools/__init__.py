"""Development tooling: what the tests, the demo, the benchmark and the local stack use and Airflow
never imports. Not part of the installed package (``pip install .`` installs ``number_inventory`` only).

- ``device_server``: AudioCodes-like devices over real HTTP (the json, mediant-cli and cursor APIs).
- ``local_db``: a PostgreSQL database for tests, the demo and benchmarks (the server on
  127.0.0.1:5432, else the embedded one), a connect helper and the list of the project's tables.
"""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The search path a subprocess of the repository's tooling needs: ``include/`` (the folder that holds
#: the package ``number_inventory``, as Airflow images put it on ``PYTHONPATH``) and the repository root
#: (``devtools``, ``tests``, ``bench``, ``scripts``). An editable install finds the package as well.
PYTHONPATH = os.pathsep.join((str(ROOT / "include"), str(ROOT)))
