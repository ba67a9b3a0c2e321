"""Users, login and lockout, per-organisation role grants, building request.scope."""
