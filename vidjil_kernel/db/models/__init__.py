"""Every table of the lab database (importing this registers them all on ``Base.metadata``)."""

from vidjil_kernel.db.models.accounts import (
    PUBLIC_GROUP,
    Group,
    GroupKind,
    GroupRight,
    Membership,
    Right,
    User,
)
from vidjil_kernel.db.models.configs import Config, ConfigAccess, PreProcess, PreProcessAccess
from vidjil_kernel.db.models.journal import AuditEntry, Notification, NotificationRead
from vidjil_kernel.db.models.results import (
    Analysis,
    FusedResult,
    Job,
    Result,
    RunnerLease,
    RunState,
)
from vidjil_kernel.db.models.sets import (
    SET_CLASSES,
    GenericSet,
    Patient,
    Run,
    Sample,
    SampleSet,
    SetAccess,
    SetKind,
    SetSample,
)
from vidjil_kernel.db.models.tags import SampleTag, SetTag, Tag

__all__ = [
    "PUBLIC_GROUP", "SET_CLASSES", "Analysis", "AuditEntry", "Config", "ConfigAccess",
    "FusedResult", "GenericSet", "Group", "GroupKind", "GroupRight", "Job", "Membership",
    "Notification", "NotificationRead", "Patient", "PreProcess", "PreProcessAccess", "Result",
    "Right", "Run", "RunnerLease", "RunState", "Sample", "SampleSet", "SampleTag", "SetAccess",
    "SetKind", "SetSample", "SetTag", "Tag", "User",
]
