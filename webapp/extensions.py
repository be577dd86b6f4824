"""Flask extensions as module globals, bound to an app in `create_app`.

Module level so that views can decorate routes (e.g. `@limiter.limit(...)` on sign-in) without
importing the app.
"""

from __future__ import annotations

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()

# No default limits: throttling is applied deliberately where guessing is possible (sign-in).
# Behind a proxy, set PROXY_FIX_COUNT so the remote address is the client's, not the proxy's.
limiter = Limiter(key_func=get_remote_address, default_limits=[])

login_manager = LoginManager()
login_manager.login_view = "auth.sign_in"
# Off: Flask-Login's IP and user-agent check does nothing for permanent sessions (it only marks them
# "not fresh"). Sessions are checked on the server instead (webapp.auth, user_sessions), so signing
# out, timing out and "sign out everywhere" really end them.
login_manager.session_protection = None
