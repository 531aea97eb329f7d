"""Every API view declares who may call it; one permission class enforces the declaration.

A view declares either

- `permission_actions = {"list": "workstream.view", ...}`: program-scoped. The view provides
  `get_access()` (see `programs.api.views.ProgramScopedMixin`), which answers 404 to non-members;
  then the role must allow the matrix action of the viewset action (403 otherwise). Actions
  missing from the mapping (a method the view does not offer) still need membership and then
  end in 405 from the handler; or
- `access_policy = AUTHENTICATED` (any signed-in user; the view scopes its data to the user) or
  `access_policy = PUBLIC` (no sign-in, e.g. obtaining a token or reading the schema).

A view that declares neither is refused (fail closed), so a forgotten declaration cannot leak.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from rest_framework.permissions import BasePermission

from core.permissions import MATRIX

AUTHENTICATED = "authenticated"
PUBLIC = "public"
ACCESS_POLICIES = (AUTHENTICATED, PUBLIC)


def view_action(request, view) -> str:
    """The viewset action (`list`, `partial_update`...), or the lower-case method for APIViews."""
    return getattr(view, "action", None) or request.method.lower()


class DeclaredAccess(BasePermission):
    def has_permission(self, request, view) -> bool:
        actions = getattr(view, "permission_actions", None)
        if actions is not None:
            if not (request.user and request.user.is_authenticated):
                return False
            access = view.get_access()  # Http404 for non-members and unknown programs
            matrix_action = actions.get(view_action(request, view))
            if matrix_action is None:
                return True  # not an action of this view: the handler answers 405
            if matrix_action not in MATRIX:
                raise ImproperlyConfigured(
                    f"{type(view).__name__}.permission_actions names unknown action "
                    f"{matrix_action!r}: add it to core.permissions.MATRIX"
                )
            access.require(matrix_action)  # PermissionDenied -> 403 with the reason
            return True
        policy = getattr(view, "access_policy", None)
        if policy == PUBLIC:
            return True
        if policy == AUTHENTICATED:
            return bool(request.user and request.user.is_authenticated)
        raise ImproperlyConfigured(
            f"{type(view).__name__} declares neither permission_actions nor access_policy"
        )
