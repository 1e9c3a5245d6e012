# The project's Airflow image: the official image at the Airflow version pinned in requirements.txt
# (tests/deploy/test_compose.py checks that they match), Python 3.11 like constraints.txt, plus the
# pinned requirements and the project installed as a package. docker-compose.yaml builds it for every
# Airflow service.
FROM apache/airflow:3.3.2-python3.11

# As the image's airflow user, with the project's constraints: every version the tests ran with. The
# runtime set only (requirements.txt): the tests' and the demo's tools (requirements-dev.txt, devtools/)
# stay out of the image; tests/test_runtime_set.py imports every DAG, the plugin and the provider with
# this set alone.
COPY --chown=airflow:0 requirements.txt constraints.txt /opt/airflow/project/
RUN pip install --no-cache-dir -r /opt/airflow/project/requirements.txt -c /opt/airflow/project/constraints.txt

# The project itself, so that the image also runs without docker-compose.yaml's bind mounts (which
# replace these folders with the working tree's).
COPY --chown=airflow:0 pyproject.toml /opt/airflow/project/
COPY --chown=airflow:0 dags /opt/airflow/project/dags
COPY --chown=airflow:0 include /opt/airflow/project/include
COPY --chown=airflow:0 plugins /opt/airflow/project/plugins
# Installed as a package (its dependencies are the requirements above): that registers its Airflow
# provider, the `audiocodes` connection type of the UI's connection form.
RUN pip install --no-cache-dir --no-deps /opt/airflow/project

# include/ (the package `number_inventory`) and the project root on PYTHONPATH, as in the tests, so
# that the bind mounts of docker-compose.yaml win over the installed copy.
ENV PYTHONPATH=/opt/airflow/project/include:/opt/airflow/project \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/airflow/project/dags \
    AIRFLOW__CORE__PLUGINS_FOLDER=/opt/airflow/project/plugins
