"""gzip for responses over ~1 KB, when the client accepts it.

Starlette's GZipMiddleware wraps every response, also those of clients that never accept
gzip (only to add `Vary: Accept-Encoding` to them); here such requests skip it, so the
load generators and server-to-server clients that send no Accept-Encoding pay nothing.
Compressed responses still carry `Vary: Accept-Encoding`, which is what keeps a shared
cache from serving them to a client that cannot read them.
"""

from __future__ import annotations

from starlette.middleware.gzip import GZipMiddleware
from starlette.types import Receive, Scope, Send

MINIMUM_SIZE = 1024


class GZipWhenAccepted(GZipMiddleware):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _accepts_gzip(scope):
            await super().__call__(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def _accepts_gzip(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"accept-encoding":
            return b"gzip" in value
    return False
