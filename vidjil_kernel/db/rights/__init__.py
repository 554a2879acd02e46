"""Rights of the lab: the decisions (``core``) and the listings filtered by them (``listings``).

Every other layer asks this package, never the access tables directly.
"""

from vidjil_kernel.db.rights.core import (
    SYSTEM,
    Actor,
    SystemActor,
    acting_groups,
    actor_name,
    audit,
    can_impersonate,
    has_group_right,
    has_record_right,
    has_sample_right,
    has_set_right,
    holds_right_somewhere,
    identity_filter,
    is_admin,
    record_filter,
    require_group_right,
    require_impersonation,
    require_lab_admin,
    require_record_right,
    require_right_somewhere,
    require_sample_right,
    require_set_right,
    sample_filter,
    set_filter,
)
from vidjil_kernel.db.rights.listings import (
    readable_configs,
    readable_preprocesses,
    readable_samples,
    readable_sets,
    readable_sets_query,
    set_refs,
)

__all__ = [
    "SYSTEM", "Actor", "SystemActor", "acting_groups", "actor_name", "audit",
    "can_impersonate", "has_group_right", "has_record_right", "has_sample_right",
    "has_set_right", "holds_right_somewhere", "identity_filter", "is_admin", "readable_configs",
    "readable_preprocesses", "readable_samples", "readable_sets", "readable_sets_query",
    "record_filter", "require_group_right", "require_impersonation", "require_lab_admin",
    "require_record_right", "require_right_somewhere", "require_sample_right",
    "require_set_right", "sample_filter",
    "set_filter", "set_refs",
]
