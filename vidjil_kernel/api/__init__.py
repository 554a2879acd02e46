"""vidjil-api: the lab's JSON REST API, a JupyterHub-managed service.

It is the only process given the data directory, the database URL and the
Dask scheduler (through its environment, by the hub configuration): users'
servers and dashboards reach the lab's data through it, with their own hub
token, and it checks who they are on every request.

- ``config``: what the service receives from the hub and from `vidjil up`;
- ``auth``: the authenticated user of a request (token header, or the browser's
  OAuth cookie), and the admin check;
- ``app``: the FastAPI application, assembled from ``routes`` (one module per area);
- ``__main__``: ``python -m vidjil_kernel.api``, run by the hub.
"""
