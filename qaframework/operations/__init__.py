"""Use cases: every write checks permission, runs in one transaction and leaves an audit-trail entry.

Modules by feature noun: ``users``, ``templates``, ``cases``, ``audits``, ``actions``, ``peer``,
``settings``; read models for pages in ``dashboard``. Shared errors live in ``base``.
"""

from qaframework.operations.base import (
    FieldError,
    InvalidInput,
    NotFound,
    OperationError,
    PermissionDenied,
    StaleEdit,
    WorkflowError,
)

__all__ = ["FieldError", "InvalidInput", "NotFound", "OperationError", "PermissionDenied", "StaleEdit", "WorkflowError"]
