"""The deployment: docker-compose and the same topology as local processes
(``python -m deploy.run_local_stack``); not installed into Airflow."""
