"""Where the app may send a browser back to: one check for every `next` and every referrer.

A target is accepted only as a path on this site. It is judged the way a browser will read the
Location header, not by looking at its first characters: browsers drop tabs and newlines anywhere
in a URL and strip leading spaces and control characters, and they read a backslash as a slash,
so `/\t/evil.example`, `/\\evil.example` and ` //evil.example` all lead to another site. Any such
character, a scheme or a host refuses the target; a CR or LF could also split the header.
"""

from __future__ import annotations

from urllib.parse import urlsplit

MAX_TARGET_LENGTH = 2000


def local_path(target: str | None) -> str | None:
    """`target` if it is a path on this site ("/residents?page=2"), else None."""
    if not target or len(target) > MAX_TARGET_LENGTH:
        return None
    if any(ord(char) < 0x20 or ord(char) == 0x7F or char.isspace() for char in target) or "\\" in target:
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def safe_next(target: str | None, default: str) -> str:
    """The redirect target after sign-in, re-authentication or a refused form: local paths only."""
    return local_path(target) or default


def path_of_same_site_url(url: str | None, host: str) -> str | None:
    """The local path of an absolute URL on this host (a referrer), else None."""
    if not url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unbalanced "[" in the host part
        return None
    if parts.scheme not in ("http", "https") or parts.netloc != host:
        return None
    return local_path((parts.path or "/") + (f"?{parts.query}" if parts.query else ""))


def page_on_get(page):
    """For a form's POST URL that shows its page again on an error: a GET there (a reload, a bookmark, the
    address bar after the error) is sent to the page, `page(**url arguments)`, instead of a bare 405
    (issue 17). The route must list GET among its methods."""
    from functools import wraps

    from flask import redirect, request

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if request.method == "GET":
                return redirect(page(**kwargs))
            return view(*args, **kwargs)

        wrapper.answers_get_with_its_page = True  # tests/intake/test_form_urls_answer_get.py finds them so
        return wrapper

    return decorator
