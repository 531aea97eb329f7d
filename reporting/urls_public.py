"""Pages reached from a briefing e-mail without logging in, under /briefings/ (names
`briefings:*`): the signed unsubscribe link."""

app_name = "briefings"

urlpatterns: list = []
