"""The API's routes, one module per area; each module has a ``router`` (FastAPI APIRouter).

Routes take a ``Caller`` (``vidjil_kernel.api.context``): the authenticated hub
user, their lab account, and a transaction in which the database layer's
services check their rights.  A new area is a new module listed in ``AREAS``.
"""

#: modules of this package, in the order their routes appear in the OpenAPI document
AREAS = ("server", "users", "sets", "samples", "uploads", "files", "configs", "preprocesses",
         "jobs", "results", "analyses", "tags", "groups", "audit", "notifications", "admin")
