"""The acting user of the current request, for the services.

Services take the actor as a plain argument (they are called from pages, the API, the seed and
the tests alike) and compare it, store it and hand it on; Flask-Login's `current_user` is a proxy
that is looked up again on each use. So every page and API handler passes `current_actor()`,
the user object itself, from this one place.
"""

from __future__ import annotations

from flask_login import current_user


def current_actor():
    """The signed-in user object behind Flask-Login's `current_user` proxy (anonymous user if none)."""
    return current_user._get_current_object()
