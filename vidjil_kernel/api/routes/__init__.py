"""The API's routes, one module per area; each module has a ``router`` (FastAPI APIRouter).

Routes get the caller from ``vidjil_kernel.api.auth`` (``CurrentUser``, or
``AdminUser`` for admin-only routes) and the service settings from
``request.app.state.config``.  A new area is a new module listed in ``AREAS``.
"""

#: modules of this package, in the order their routes appear in the OpenAPI document
AREAS = ("server", "users", "admin")
