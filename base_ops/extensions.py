"""Bare extension objects, bound to the app in create_app."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from base_ops.core.bounds import page_number
from base_ops.core.db import Model


class BaseOpsSQLAlchemy(SQLAlchemy):
    def paginate(self, select, *, page=None, **kwargs):
        """Every list's page number is read the one way, core.bounds.page_number: Flask-SQLAlchemy's own
        takes any integer, and a 20-digit one made the OFFSET overflow in the database (a 500)."""
        return super().paginate(select, page=page_number() if page is None else page, **kwargs)


db = BaseOpsSQLAlchemy(model_class=Model)
migrate = Migrate(compare_type=True, render_as_batch=True)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
