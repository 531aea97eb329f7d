"""The request id of the work in progress, readable from services and log records."""

from contextvars import ContextVar

current_request_id: ContextVar[str] = ContextVar("current_request_id", default="")
