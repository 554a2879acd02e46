"""The logic of the lab's Voila dashboards (``notebooks/dashboards/*.ipynb``).

The notebooks stay thin (import, build, display); the widgets are built here from
``vidjil_kernel.client.Lab`` calls, so that they can be tested against a real API.

- ``common``: the connection, error display without tracebacks, links between dashboards;
- ``home``: the landing page (who, the server's state, links to the others);
- ``sets``: the Sets dashboard (patients, runs, generic sets; create, batch paste);
- ``set_view``: the Set dashboard (samples, uploads, launches, job states);
- ``results``: the Results dashboard (clones across samples, QC, usage, tags and names);
- ``admin``: the Admin dashboard (accounts, groups and rights, workers, queue, audit).
"""
