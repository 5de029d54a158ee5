"""Flask extensions, created unbound and initialised in ``create_app``."""

from __future__ import annotations

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from makerlab.db import Base

db = SQLAlchemy(model_class=Base)

import makerlab.models  # noqa: E402,F401  (register every table on the metadata)

migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
