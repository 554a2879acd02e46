"""The lab database: models, sessions, migrations, rights and the services built on them.

The API and jobs layers use only this package to reach the database:

- ``new_session_factory(settings)`` / ``session_scope(factory)`` open it
  (``SchemaMismatch`` if ``vidjil db upgrade`` is needed);
- ``rights`` decides every right and lists records filtered in SQL
  (``readable_sets``, ``readable_samples``, ``readable_configs``...);
- ``services`` performs every operation, checking rights and writing the
  audit log (``create_set``, ``add_sample``, ``share_set``, ``grant_right``...);
- ``models`` are the tables (for the jobs layer's own queries on ``Job``).

Views returned by rights and services are anonymised for users without the
``anon`` right; ORM rows never leave through them.
"""

from vidjil_kernel.db.base import Base
from vidjil_kernel.db.rights import SYSTEM, Actor
from vidjil_kernel.db.session import new_session_factory, open_engine, session_scope

__all__ = ["SYSTEM", "Actor", "Base", "new_session_factory", "open_engine", "session_scope"]
