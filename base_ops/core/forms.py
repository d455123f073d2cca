"""Forms every package shares.

The page layout's sign-out button (core.ui) and the POST buttons of every domain need a form
that carries only the CSRF token; it lives in the kernel so that the kernel imports no domain.
"""

from flask_wtf import FlaskForm


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for POST buttons."""
