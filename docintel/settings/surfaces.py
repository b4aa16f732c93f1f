"""Settings of the user surfaces: web UI, REST API, accounts."""

from .env import env_bool, env_float, env_int, env_list, env_str  # noqa: F401


