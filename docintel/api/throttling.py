"""Rate limits per API token (or per signed-in user for the web UI's calls, per address otherwise).

Counted as a sliding window of two fixed-window counters (this minute's and the last minute's, the
last weighted by how much of it still lies in the window): two small cache operations per request,
whatever the rate. DRF's own throttle keeps the time of every request in the window as one list that
is read and written whole on each request, which cost more than the list page itself at high rates.
"""

from __future__ import annotations

from rest_framework.throttling import SimpleRateThrottle

from docintel.accounts.models import ApiToken


class TokenRateThrottle(SimpleRateThrottle):
    scope = "token"
    num_requests: int  # set by SimpleRateThrottle from the rate
    duration: int

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"addr-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        current, previous = f"{key}:{window}", f"{key}:{window - 1}"
        counts = self.cache.get_many([current, previous])
        remaining_share = 1 - (now % self.duration) / self.duration
        used = counts.get(previous, 0) * remaining_share + counts.get(current, 0)
        if used >= self.num_requests:
            self._wait = (window + 1) * self.duration - now  # at most until this window ends
            return False
        try:
            self.cache.incr(current)
        except ValueError:  # the first request of this window
            if not self.cache.add(current, 1, self.duration * 2):
                self.cache.incr(current)
        return True

    def wait(self):
        return getattr(self, "_wait", None)


class UploadRateThrottle(TokenRateThrottle):
    scope = "uploads"

    def allow_request(self, request, view):
        if request.method != "POST":
            return True
        return super().allow_request(request, view)
