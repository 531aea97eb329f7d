"""Every URL of the site for a non-member, an anonymous visitor and the roles (all computed; one
requested per distinct answer, and always the vendor).

The URL list comes from the URLconf (`get_resolver()`, walked recursively), never from a hand-kept
list, and the expected answer from each view's own declaration:

- program pages (`ProgramViewMixin`) declare `permission_action`, a key of
  `core.permissions.MATRIX`:
  allowed role -> 200 (or the view's redirect), other role -> 403, non-member -> 404,
  anonymous -> 302 to the login page;
- other pages declare `access_policy` in {"public", "authenticated", "can_create_programs"}
  (function views as a function attribute);
- API views declare `permission_actions` {viewset action: matrix action} or `access_policy`;
  anonymous callers get 401 (token authentication comes first and asks for a token);
- the admin site has its own policy: staff only, everyone else goes to the admin login.

A view that declares nothing makes the test fail with its route, so a new view cannot slip past.
"""

from __future__ import annotations

import datetime as dt
import importlib
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.views import APIView

from core import views as core_views
from core.models import AuditEntry
from core.permissions import MATRIX, Role, can_create_programs
from core.tests.factories import UserFactory
from programs import views as program_views
from programs.mixins import ProgramViewMixin
from programs.models import Workstream
from programs.tests.factories import ProgramFactory, WorkstreamFactory, member
from schedules import services as schedule_services
from schedules.models import Dependency, Holiday, Item
from schedules.views import baselines as schedule_baselines
from schedules.views import calendar as schedule_calendar
from schedules.views import grid as schedule_grid

ANONYMOUS = "anonymous"
NON_MEMBER = "non-member"
USER_KINDS = [*Role.values, NON_MEMBER, ANONYMOUS]
HTML_POLICIES = {"public", "authenticated", "can_create_programs"}
API_POLICIES = {"public", "authenticated"}
API_METHODS = ("get", "post", "put", "patch", "delete")


# --- the URLconf, walked --------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    route: str  # the full pattern, e.g. "programs/<str:code>/workstreams/<str:key>/"
    name: str | None  # "programs:workstream_detail"; None for unnamed patterns
    pieces: tuple  # the RoutePattern/RegexPattern of each level, for building a URL
    callback: Any
    app_names: tuple[str, ...]  # app_name of every enclosing include, e.g. ("admin",)

    @property
    def id(self) -> str:
        return self.name if self.name and not self.name.endswith(":None") else self.route

    @property
    def view(self) -> Any:
        """The view class (CBV, DRF view or viewset), or the function for function views."""
        cb = self.callback
        return getattr(cb, "cls", None) or getattr(cb, "view_class", None) or cb

    @property
    def is_admin(self) -> bool:
        return "admin" in self.app_names

    @property
    def is_api(self) -> bool:
        return isinstance(self.view, type) and issubclass(self.view, APIView)

    def api_methods(self) -> dict[str, str]:
        """HTTP method -> viewset action (or the method itself for a plain APIView)."""
        actions = getattr(self.callback, "actions", None)
        if actions is not None:
            return dict(actions)
        return {m: m for m in API_METHODS if hasattr(self.view, m)}


def collect_endpoints() -> list[Endpoint]:
    found: list[Endpoint] = []

    def walk(resolver: URLResolver, pieces: tuple, namespace: str, app_names: tuple) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                ns = namespace
                if entry.namespace:
                    ns = f"{namespace}{entry.namespace}:"
                apps = (*app_names, entry.app_name) if entry.app_name else app_names
                walk(entry, (*pieces, entry.pattern), ns, apps)
            elif isinstance(entry, URLPattern):
                all_pieces = (*pieces, entry.pattern)
                route = "".join(str(p) for p in all_pieces)
                name = f"{namespace}{entry.name}" if entry.name else None
                found.append(Endpoint(route, name, all_pieces, entry.callback, app_names))

    walk(get_resolver(), (), "", ())
    return found


ENDPOINTS = collect_endpoints()

_ROUTE_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?:[^()\\]|\\.)*\)")


def build_url(endpoint: Endpoint, values: dict[str, str]) -> str:
    """Fill the pattern's parameters from `values` and check that the URL resolves back to it."""
    parts = []
    for piece in endpoint.pieces:
        if isinstance(piece, RoutePattern):
            parts.append(_ROUTE_PARAM.sub(lambda m: quote(str(values[m["name"]])), str(piece)))
        elif isinstance(piece, RegexPattern):
            regex = str(piece).removeprefix("^").removesuffix("$").replace("/?", "/")
            regex = _REGEX_GROUP.sub(lambda m: str(values[m["name"]]), regex)
            parts.append(regex.replace("\\.", ".").replace("\\", ""))
        else:  # LocalePrefixPattern and friends: none in this project yet
            raise AssertionError(f"{endpoint.route}: cannot build a URL for {piece!r}")
    url = "/" + "".join(parts)
    assert resolve(url).func == endpoint.callback, f"{url} does not resolve to {endpoint.id}"
    return url


# --- fixtures: one program with every role, a workstream, a member to act on ----------------


@dataclass
class Site:
    program: Any
    users: dict[str, Any]  # user kind -> user (None for anonymous)
    workstream: Workstream
    target: Any  # a membership that views with <pk>/<id> act on
    url_values: dict[str, str]
    schedule_values: dict[str, dict[str, str]] = field(default_factory=dict)
    # route segment ("raid/") -> that app's rows, from its tests/url_walk.py (see URL_WALK_APPS)
    app_values: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)

    def values_for(self, endpoint: Endpoint) -> dict[str, str]:
        """Parameters for `endpoint`: schedule routes act on schedule rows, the routes of an app
        with a url_walk module on its rows, the rest on the workstream and the membership."""
        route = endpoint.route
        rows_by_segment = {"schedule/": self.schedule_values, **self.app_values}
        for route_segment, rows in rows_by_segment.items():
            if route_segment not in route or not rows:
                continue
            values = {**self.url_values, **rows.get("item", {})}
            for segment, segment_values in rows.items():
                if f"{segment}/<int:" in route or f"{segment}/<str:" in route:
                    values.update(segment_values)
            return values
        return self.url_values


# Apps whose routes act on their own rows provide `<app>/tests/url_walk.py` with:
#   ROUTE_SEGMENT = "raid/"        routes containing it take that app's values (or ROUTE_SEGMENTS,
#                                  a tuple, when its pages and API sit under several);
#   rows(program, manager) -> {"item": default kwargs, "<segment>": kwargs for routes holding
#                              "<segment>/<int:" or "<segment>/<str:"};
#   ALLOWED_GET / ALLOWED_POST: {view class: lambda site: (status, location or None)} for what an
#                              allowed caller gets where it is not a 200 page.
# A listed app without the module yet is skipped (its routes then use the workstream's values).
URL_WALK_APPS = ("risks", "governance", "vendors", "budgets", "releases", "reporting")


def _url_walk_modules():
    modules = []
    for app in URL_WALK_APPS:
        try:
            modules.append(importlib.import_module(f"{app}.tests.url_walk"))
        except ModuleNotFoundError as error:
            if error.name != f"{app}.tests.url_walk":
                raise
    return modules


def make_site(program, users_by_role) -> Site:
    manager = users_by_role[Role.MANAGER]
    workstream = WorkstreamFactory(program=program, name="Finance", actor=manager)
    target = member(program, Role.VIEWER, full_name="Tara Target")
    ct = ContentType.objects.get_for_model(Workstream)
    assert AuditEntry.objects.filter(content_type=ct, object_id=str(workstream.pk)).exists()
    users = {**users_by_role, NON_MEMBER: UserFactory(full_name="Nora Nonmember"), ANONYMOUS: None}
    values = {
        "code": program.code,
        "key": workstream.key,
        "pk": str(target.pk),
        "id": str(target.pk),
        "app": ct.app_label,
        "model": ct.model,
        "object_id": str(workstream.pk),
        "content_type_id": str(ct.pk),
        "app_label": "programs",
        "uidb64": urlsafe_base64_encode(force_bytes(target.user.pk)),
        "token": default_token_generator.make_token(target.user),
        "url": "no-such-admin-page/",
        "format": "json",
        "period": "2026-W48",  # reporting: a status report's ISO week (the walk's own report's)
    }
    app_values = {}
    for module in _url_walk_modules():
        rows = module.rows(program, manager)
        # an app whose pages and API sit under different segments lists them all
        for segment in getattr(module, "ROUTE_SEGMENTS", (module.ROUTE_SEGMENT,)):
            app_values[segment] = rows
    return Site(
        program, users, workstream, target, values, _schedule_rows(program, manager), app_values
    )


def _schedule_rows(program, manager) -> dict[str, dict[str, str]]:
    """A phase with a task, a milestone linked to it, a baseline and a holiday.

    Written directly and scheduled once: every test of the walk builds them, and the services
    (tested on their own) would recompute after each row.
    """
    phase = Item.objects.create(program=program, key="TSK-1", name="Build", position=0)
    task = Item.objects.create(program=program, key="TSK-2", name="Configure", parent=phase)
    milestone = Item.objects.create(
        program=program, key="TSK-3", name="Go-live", kind="milestone", duration_minutes=0,
        position=1,
    )  # fmt: skip
    dependency = Dependency.objects.create(program=program, predecessor=task, successor=milestone)
    schedule_services.renumber(program)
    schedule_services.recompute(program)
    baseline = schedule_services.baseline_create(actor=manager, program=program, name="Original")
    holiday = Holiday.objects.create(
        program=program,
        name="Bank holiday",
        start=dt.date(2026, 5, 25),
        finish=dt.date(2026, 5, 25),
    )
    feed_token = schedule_services.schedule_for(program).feed_token
    return {
        "item": {"key": milestone.key, "token": feed_token},
        "links": {"pk": str(dependency.pk), "id": str(dependency.pk)},
        "baselines": {"pk": str(baseline.pk), "id": str(baseline.pk)},
        "holidays": {"pk": str(holiday.pk), "id": str(holiday.pk)},
    }


@pytest.fixture(scope="module", autouse=True)
def _built_site(django_db_setup, django_db_blocker):
    """The site, built once per module (and xdist worker) inside an outer transaction that is
    rolled back at the end. Each test runs in a savepoint of it (pytest-django's `db`), so
    whatever a view writes is undone and every test starts from the same rows. Autouse, so that
    the outer transaction begins before any test's own (tests ask for `site` at run time)."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            program = ProgramFactory(code="ERP", name="ERP migration")
            users = {Role.MANAGER.value: program.memberships.get(role=Role.MANAGER).user}
            for role in Role.values:
                if role != Role.MANAGER:
                    users[role] = member(program, role).user
            yield make_site(program, users)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def site(_built_site, db) -> Site:
    return _built_site


# Values that fit every converter; used to decide at collection time which cases have an exact
# answer, and for the admin, which answers before it looks anything up.
PLACEHOLDER_VALUES = {
    "code": "ERP",
    "key": "WS-1",
    "pk": "1",
    "id": "1",
    "app": "programs",
    "model": "workstream",
    "object_id": "1",
    "content_type_id": "1",
    "app_label": "programs",
    "uidb64": "MQ",
    "token": "set-password",
    "url": "no-such-admin-page/",
    "format": "json",
    "period": "2026-W48",  # reporting: a status report's ISO week
}


@dataclass
class _Stub:
    code: str = "ERP"
    is_authenticated: bool = True
    is_staff: bool = False
    is_superuser: bool = False
    can_create_programs: bool = False


STATIC_SITE = Site(
    program=_Stub(),
    users={
        **{kind: _Stub(can_create_programs=kind == Role.MANAGER) for kind in USER_KINDS},
        ANONYMOUS: None,
    },
    workstream=None,
    target=None,
    url_values=PLACEHOLDER_VALUES,
)


def site_for(request, endpoint: Endpoint, kind: str) -> Site:
    """The admin answers before it looks anything up: it needs a user, not a program."""
    if not endpoint.is_admin:
        return request.getfixturevalue("site")
    user = None if kind == ANONYMOUS else UserFactory()
    return Site(None, {kind: user}, None, None, PLACEHOLDER_VALUES)


def client_for(site: Site, kind: str) -> Client:
    client = Client()
    if kind != ANONYMOUS:
        client.force_login(site.users[kind])
    return client


# --- expected answers -----------------------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    status: int
    location: str | None = None  # for redirects: the exact Location
    why: str = ""


def login_redirect(url: str) -> Expect:
    return Expect(302, f"{reverse('login')}?next={quote(url, safe='/')}", "anonymous -> login")


def admin_login_redirect(url: str) -> Expect:
    return Expect(302, f"{reverse('admin:login')}?next={quote(url, safe='/')}", "admin login")


def _schedule_item(site: Site) -> str:
    key = site.schedule_values.get("item", {}).get("key", "TSK-1")  # TSK-1: collection time
    return reverse("schedules:item_detail", kwargs={"code": site.program.code, "key": key})


def _member_list(site: Site) -> str:
    return reverse("programs:member_list", kwargs={"code": site.program.code})


# What an allowed caller gets where it is not a 200 page: views whose GET redirects or is not
# offered, and the POST-only actions. Keyed by view class; values take the site for URLs.
ALLOWED_GET: dict[Any, Any] = {
    schedule_grid.BulkEditView: lambda s: Expect(
        302, reverse("schedules:grid", kwargs={"code": s.program.code})
    ),
    schedule_grid.ItemMoveView: lambda s: Expect(302, _schedule_item(s)),
    schedule_grid.ItemSignoffView: lambda s: Expect(302, _schedule_item(s)),
    schedule_baselines.BaselineSetCurrentView: lambda s: Expect(
        302, reverse("schedules:baseline_list", kwargs={"code": s.program.code})
    ),
    schedule_calendar.FeedTokenRotateView: lambda s: Expect(
        302, reverse("schedules:calendar", kwargs={"code": s.program.code}) + "#feed"
    ),
    program_views.HomeView: lambda s: Expect(302, reverse("programs:program_list")),
    program_views.MemberAddView: lambda s: Expect(302, _member_list(s)),
    program_views.MemberRoleView: lambda s: Expect(302, _member_list(s)),
    core_views.ApiTokenRegenerateView: lambda s: Expect(302, reverse("profile")),
    core_views.LogoutView: lambda s: Expect(405, None, "logout is POST only"),
    core_views.PasswordResetConfirmView: lambda s: Expect(
        302,
        reverse(
            "password_reset_confirm",
            kwargs={"uidb64": s.url_values["uidb64"], "token": "set-password"},
        ),
        "a valid reset link moves the token into the session",
    ),
}
ALLOWED_POST: dict[Any, Any] = {
    program_views.ProgramCreateView: lambda s: Expect(400, None, "empty form re-rendered"),
    program_views.MemberAddView: lambda s: Expect(400, None, "empty form re-rendered"),
    program_views.MemberRoleView: lambda s: Expect(302, _member_list(s)),
    program_views.MemberRemoveView: lambda s: Expect(302, _member_list(s)),
    program_views.WorkstreamDeleteView: lambda s: Expect(
        302, reverse("programs:workstream_list", kwargs={"code": s.program.code})
    ),
    core_views.ApiTokenRegenerateView: lambda s: Expect(302, reverse("profile")),
    core_views.LogoutView: lambda s: Expect(302, reverse("login")),
}


def _app_expectations(table: str) -> dict[Any, Any]:
    """The url_walk modules' (status, location) answers, as Expects."""
    merged = {}
    for module in _url_walk_modules():
        for view, answer in getattr(module, table, {}).items():
            merged[view] = lambda s, answer=answer: Expect(*answer(s))
    return merged


ALLOWED_GET.update(_app_expectations("ALLOWED_GET"))
ALLOWED_POST.update(_app_expectations("ALLOWED_POST"))
API_ALLOWED_POST = {"TokenObtainView": Expect(400, None, "no credentials given")}


def policy_of(endpoint: Endpoint) -> tuple[str, Any]:
    """('program', action) | ('html', policy) | ('api-program', {action: matrix action}) |
    ('api', policy) | ('admin', None); fails the test for a view that declares nothing."""
    view = endpoint.view
    if endpoint.is_admin:
        return "admin", None
    if endpoint.is_api:
        actions = getattr(view, "permission_actions", None)
        if actions is not None:
            offered = endpoint.api_methods()
            unmapped = sorted(a for a in offered.values() if a not in actions)
            unknown = sorted(a for a in actions.values() if a not in MATRIX)
            if unmapped or unknown:
                pytest.fail(
                    f"{endpoint.route} ({view.__qualname__}): permission_actions misses "
                    f"{unmapped} or names unknown matrix actions {unknown}"
                )
            return "api-program", actions
        policy = getattr(view, "access_policy", None)
        if policy not in API_POLICIES:
            pytest.fail(
                f"{endpoint.route} ({view.__qualname__}) declares neither permission_actions "
                f"nor an access_policy in {sorted(API_POLICIES)} (got {policy!r})"
            )
        return "api", policy
    if isinstance(view, type) and issubclass(view, ProgramViewMixin):
        if view.permission_action not in MATRIX:
            pytest.fail(
                f"{endpoint.route} ({view.__qualname__}) declares permission_action "
                f"{view.permission_action!r}, which is not a key of core.permissions.MATRIX"
            )
        return "program", view.permission_action
    policy = getattr(view, "access_policy", None)
    if policy not in HTML_POLICIES:
        pytest.fail(
            f"{endpoint.route} ({getattr(view, '__qualname__', view)!r}) declares no access "
            f"policy: set permission_action (program views) or access_policy in "
            f"{sorted(HTML_POLICIES)} (got {policy!r})"
        )
    return "html", policy


def expected_answer(endpoint: Endpoint, kind: str, method: str, site: Site) -> Expect | None:
    """The exact answer for `kind` calling `method` on the endpoint; None where not tested."""
    url = build_url(endpoint, site.values_for(endpoint))
    policy, detail = policy_of(endpoint)
    user = site.users[kind]
    allowed_table = ALLOWED_GET if method == "get" else ALLOWED_POST
    allowed = allowed_table.get(endpoint.view)
    if allowed is not None:
        allowed = allowed(site)
    elif method == "get":
        allowed = Expect(200)
    elif isinstance(endpoint.view, type) and not hasattr(endpoint.view, method):
        allowed = Expect(405, None, f"{method.upper()} not offered")

    if policy == "admin":
        if method != "get":
            return None
        assert user is None or not user.is_staff
        if endpoint.name == "admin:login":
            return Expect(200, None, "the admin login form")
        if endpoint.name == "admin:logout":
            return Expect(302, reverse("admin:index"), "admin logout without a session")
        return admin_login_redirect(url)

    if policy == "program":
        if kind == ANONYMOUS:
            return login_redirect(url)
        if kind == NON_MEMBER:
            return Expect(404, None, "non-members must not learn the program exists")
        if kind not in MATRIX[detail]:
            return Expect(403, None, f"{kind} lacks {detail}")
        if endpoint.view is program_views.ProgramHomeView and kind == Role.VENDOR:
            portal = reverse("vendors:portal_home", kwargs={"code": site.program.code})
            return (
                Expect(302, portal, "vendor users go to their portal")
                if method == "get"
                else allowed
            )
        return allowed

    if policy == "html":
        if detail == "public":
            if endpoint.view is core_views.LoginView and kind != ANONYMOUS and method == "get":
                return Expect(302, reverse("programs:program_list"), "already signed in")
            return allowed
        if kind == ANONYMOUS:
            return login_redirect(url)
        if detail == "can_create_programs" and not can_create_programs(user):
            return Expect(403, None, "may not start programs")
        return allowed

    # The API. Token authentication comes first, so anonymous callers are asked for a token.
    offered = endpoint.api_methods()
    if method not in offered:
        if kind == ANONYMOUS and not (policy == "api" and detail == "public"):
            return Expect(401, None, "token required")
        if kind == NON_MEMBER and policy == "api-program":
            return Expect(404)
        return Expect(405, None, f"{method.upper()} not offered")
    if policy == "api" and detail == "public":
        if method == "get":
            return Expect(200)
        return API_ALLOWED_POST.get(endpoint.view.__name__)
    if kind == ANONYMOUS:
        return Expect(401, None, "token required")
    if policy == "api":
        return Expect(200) if method == "get" else None
    if kind == NON_MEMBER:
        return Expect(404, None, "non-members must not learn the program exists")
    matrix_action = detail[offered[method]]
    if kind not in MATRIX[matrix_action]:
        return Expect(403, None, f"{kind} lacks {matrix_action}")
    return Expect(200) if method == "get" else None


def assert_answer(response, expect: Expect, label: str) -> None:
    got = (response.status_code, response.get("Location") if expect.location else None)
    assert got == (expect.status, expect.location), f"{label}: {expect.why}"


# --- the tests ------------------------------------------------------------------------------


# The roles whose answer is always requested; for the others, one role per distinct expected
# answer (the policy is one function of the role, so the rest of a group answers alike). The
# vendor is always walked: the vendor portal is proven by this walk.
ALWAYS_WALKED = {Role.VENDOR.value, NON_MEMBER, ANONYMOUS}


def _params(method: str) -> list:
    """The (endpoint, kind) pairs to request for `method`: every kind's answer is computed, and
    each distinct answer is requested for at least one kind (plus every ALWAYS_WALKED kind)."""
    params = []
    for endpoint in ENDPOINTS:
        answers_seen = set()
        for kind in USER_KINDS:
            try:
                expect = expected_answer(endpoint, kind, method, STATIC_SITE)
            except pytest.fail.Exception:
                expect = Expect(0, None, "undeclared")  # let the test fail with the reason
            if expect is None:
                continue
            answer = (expect.status, expect.location, expect.why)
            if kind not in ALWAYS_WALKED:
                if answer in answers_seen:
                    continue
                answers_seen.add(answer)
            label = f"{method.upper()} {endpoint.id} [{kind}]"
            params.append(pytest.param(endpoint, kind, id=label))
    return params


def test_every_view_declares_a_policy():
    missing = []
    for endpoint in ENDPOINTS:
        try:
            policy_of(endpoint)
        except pytest.fail.Exception as exc:
            missing.append(str(exc))

    assert missing == [], "\n".join(missing)


def test_the_walk_finds_every_part_of_the_site():
    names = {e.name for e in ENDPOINTS}

    assert {
        "home",
        "login",
        "password_reset_confirm",
        "healthz",
        "programs:program_list",
        "programs:object_history",
        "programs:member_role",
        "api_schema",
        "api_docs",
        "admin:index",
        "admin:core_auditentry_changelist",
    } <= names
    assert any(e.is_api and "code" in e.route for e in ENDPOINTS), "no program-scoped API route"
    assert len({e.id for e in ENDPOINTS}) == len(ENDPOINTS), "two endpoints share an id"


@pytest.mark.django_db
@pytest.mark.parametrize(("endpoint", "kind"), _params("get"))
def test_get_answers_as_declared(request, endpoint, kind):
    site = site_for(request, endpoint, kind)
    expect = expected_answer(endpoint, kind, "get", site)
    url = build_url(endpoint, site.values_for(endpoint))

    response = client_for(site, kind).get(url)

    assert_answer(response, expect, f"GET {url} as {kind}")
    if endpoint.is_api and expect.status == 401:
        assert response["WWW-Authenticate"] == "Token"


@pytest.mark.django_db
@pytest.mark.parametrize(("endpoint", "kind"), _params("post"))
def test_post_answers_as_declared(request, endpoint, kind):
    """Refusals everywhere; allowed callers only where the answer is exact (POST-only views)."""
    site = site_for(request, endpoint, kind)
    expect = expected_answer(endpoint, kind, "post", site)
    assert expect is not None
    url = build_url(endpoint, site.values_for(endpoint))
    refused = expect.status in (401, 403, 404, 405) or expect.why == "anonymous -> login"
    trail = AuditEntry.objects.count()

    response = client_for(site, kind).post(url, {})

    assert_answer(response, expect, f"POST {url} as {kind}")
    if refused:
        assert AuditEntry.objects.count() == trail, "a refused POST changed something"


# --- a few spot checks that pin the walk to reality -----------------------------------------


def test_spot_check_program_pages(site):
    viewer = client_for(site, Role.VIEWER)
    code = site.program.code

    assert viewer.get(f"/programs/{code}/workstreams/").status_code == 200
    assert viewer.get(f"/programs/{code}/workstreams/new/").status_code == 403
    assert client_for(site, NON_MEMBER).get(f"/programs/{code}/").status_code == 404
    home = client_for(site, Role.VENDOR).get(f"/programs/{code}/")
    assert (home.status_code, home["Location"]) == (302, f"/programs/{code}/vendors/portal/")
    assert client_for(site, Role.VENDOR).get(f"/programs/{code}/members/").status_code == 403
    assert client_for(site, ANONYMOUS).get("/programs/NOPE/").status_code == 302
    assert client_for(site, Role.MANAGER).get("/programs/NOPE/").status_code == 404


def test_spot_check_api_anonymous_gets_401_with_token_challenge(site):
    response = client_for(site, ANONYMOUS).get(f"/api/v1/programs/{site.program.code}/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_spot_check_schema_and_docs_are_public(site):
    """Decided by the API: the schema and its docs are public (they reveal no data)."""
    anonymous = client_for(site, ANONYMOUS)

    schema = anonymous.get(reverse("api_schema"))
    docs = anonymous.get(reverse("api_docs"))

    assert (schema.status_code, docs.status_code) == (200, 200)
    assert schema["Content-Type"].startswith("application/vnd.oai.openapi")
    assert docs["Content-Type"] == "text/html; charset=utf-8"


def test_spot_check_admin_is_for_staff(site):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)

    assert client.get("/admin/").status_code == 200
    assert client_for(site, Role.MANAGER).get("/admin/").status_code == 302


def test_a_view_without_a_declared_policy_fails_naming_its_route():
    from django.views import View

    class Forgotten(View):
        pass

    def forgotten_function(request):
        raise AssertionError("never called")

    for callback in (Forgotten.as_view(), forgotten_function):
        endpoint = Endpoint("secret/<str:code>/", "secret", (), callback, ())
        with pytest.raises(
            pytest.fail.Exception, match=r"^secret/<str:code>/ .*declares no access"
        ):
            policy_of(endpoint)


def test_an_api_view_with_an_unmapped_action_fails():
    from rest_framework.viewsets import ViewSet

    class HalfDeclared(ViewSet):
        permission_actions = {"list": "workstream.view"}

        def list(self, request):
            raise AssertionError("never called")

        def create(self, request):
            raise AssertionError("never called")

    callback = HalfDeclared.as_view({"get": "list", "post": "create"})
    endpoint = Endpoint("api/half/", "half", (), callback, ())

    with pytest.raises(pytest.fail.Exception, match=r"permission_actions misses \['create'\]"):
        policy_of(endpoint)
