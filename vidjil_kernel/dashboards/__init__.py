"""The logic of the Voila dashboards (``notebooks/dashboards/``): widgets and figures."""
