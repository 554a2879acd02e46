"""The operations the API, the jobs layer and the CLI perform on the lab database.

Each checks the actor's rights (``PermissionDenied`` names the missing right),
changes rows, writes the audit log with its ``origin``, and returns views.
The caller owns the transaction: run them inside ``session_scope``.
"""

from vidjil_kernel.db.services.accounts import (
    add_member,
    add_user,
    create_group,
    delete_group,
    ensure_account,
    get_account,
    get_group,
    grant_right,
    group_view,
    impersonate,
    list_groups,
    list_users,
    parse_right,
    public_group,
    record_login,
    remove_member,
    revoke_right,
    set_user_active,
    set_user_admin,
    user_view,
)
from vidjil_kernel.db.services.analyses import (
    get_analysis,
    launch_analysis,
    list_fused_results,
    list_results,
    save_analysis,
)
from vidjil_kernel.db.services.configs import (
    create_config,
    create_preprocess,
    delete_config,
    delete_preprocess,
    get_config,
    get_preprocess,
    share_config,
    share_preprocess,
    unshare_config,
    unshare_preprocess,
    update_config,
    update_preprocess,
)
from vidjil_kernel.db.services.journal import (
    dismiss_notification,
    list_audit,
    list_notifications,
    post_notification,
)
from vidjil_kernel.db.services.result_access import get_fused_result, get_result
from vidjil_kernel.db.services.sets import (
    add_sample,
    create_set,
    delete_set,
    get_sample,
    get_set,
    link_sample,
    list_samples,
    list_sets,
    remove_sample,
    set_groups,
    share_set,
    unshare_set,
    update_sample,
    update_set,
)
from vidjil_kernel.db.services.tags import extract_tags, retag, tag_vocabulary

__all__ = [
    "add_member", "add_sample", "add_user", "create_config", "create_group", "create_preprocess",
    "create_set", "delete_config", "delete_group", "delete_preprocess", "delete_set",
    "dismiss_notification", "ensure_account", "extract_tags", "get_account", "get_analysis",
    "get_config", "get_fused_result", "get_group", "get_preprocess", "get_result", "get_sample",
    "get_set", "grant_right", "group_view", "impersonate", "launch_analysis", "link_sample",
    "list_audit", "list_fused_results", "list_groups", "list_notifications", "list_results",
    "list_samples", "list_sets", "list_users", "parse_right", "post_notification", "public_group",
    "record_login", "remove_member", "remove_sample", "retag", "revoke_right", "save_analysis",
    "set_groups", "set_user_active", "set_user_admin", "share_config", "share_preprocess",
    "share_set", "tag_vocabulary", "unshare_config", "unshare_preprocess", "unshare_set",
    "update_config", "update_preprocess", "update_sample", "update_set", "user_view",
]
