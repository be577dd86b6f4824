"""Flask extensions as module globals, bound to an app in `create_app`.

Module level so that views can use them (e.g. `login_manager` in webapp.auth) without importing the
app.
"""

from __future__ import annotations

from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()

login_manager = LoginManager()
login_manager.login_view = "auth.sign_in"
# Off: Flask-Login's IP and user-agent check does nothing for permanent sessions (it only marks them
# "not fresh"). Sessions are checked on the server instead (webapp.auth, user_sessions), so signing
# out, timing out and "sign out everywhere" really end them.
login_manager.session_protection = None
