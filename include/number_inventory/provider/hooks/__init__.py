"""The hooks of the project's Airflow provider."""
