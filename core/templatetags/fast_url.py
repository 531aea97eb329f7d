"""A drop-in `{% url %}` that remembers what it reversed (loaded as a template builtin).

A 100-row list reverses a few hundred URLs per page, and Django's `reverse()` costs tens of
microseconds each (URL resolver, script prefix and language look-ups). The answer depends only on
the URLconf, the script prefix, the namespace and the arguments, so it is cached per process.
"""

from __future__ import annotations

from functools import lru_cache

from django import template
from django.template import defaulttags
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

register = template.Library()


@lru_cache(maxsize=20_000)
def _cached_reverse(view_name, args, kwargs, current_app, prefix, urlconf) -> str:
    return reverse(view_name, args=list(args), kwargs=dict(kwargs), current_app=current_app)


class CachedURLNode(defaulttags.URLNode):
    def render(self, context):
        args = tuple(arg.resolve(context) for arg in self.args)
        kwargs = tuple(sorted((k, v.resolve(context)) for k, v in self.kwargs.items()))
        view_name = self.view_name.resolve(context)
        request = getattr(context, "request", None)
        current_app = getattr(request, "current_app", None)
        if current_app is None:
            current_app = getattr(getattr(request, "resolver_match", None), "namespace", None)
        url = ""
        try:
            url = _cached_reverse(
                view_name, args, kwargs, current_app, get_script_prefix(), get_urlconf()
            )
        except NoReverseMatch:
            if self.asvar is None:
                raise
        except TypeError:  # an unhashable argument: reverse it the ordinary way
            return super().render(context)
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token):
    node = defaulttags.url(parser, token)
    return CachedURLNode(node.view_name, node.args, node.kwargs, node.asvar)
