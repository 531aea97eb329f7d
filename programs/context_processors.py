"""The program switcher in the top bar: the user's programs, fetched only when rendered."""

from django.utils.functional import SimpleLazyObject

from .models import Program


def program_switcher(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"my_programs": []}
    return {
        "my_programs": SimpleLazyObject(
            lambda: list(
                Program.objects.filter(memberships__user=user)
                .only("code", "name", "status")
                .order_by("name")
            )
        )
    }
