"""JSON rendering with orjson: several times faster than the standard library on 100-row pages.

Values orjson does not know (lazy translations, Decimal, ...) go through DRF's own encoder, so
the output is what DRF's JSONRenderer would write. `orjson.Fragment` lets a serializer embed
JSON that PostgreSQL already holds as text (e.g. audit `changes`) without decoding it first.
"""

from __future__ import annotations

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_drf_default = JSONEncoder().default


class ORJSONRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        option = orjson.OPT_NON_STR_KEYS
        if self.get_indent(accepted_media_type or "", renderer_context or {}):
            option |= orjson.OPT_INDENT_2
        return orjson.dumps(data, default=_drf_default, option=option)
