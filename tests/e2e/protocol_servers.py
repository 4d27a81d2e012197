"""The local servers that speak third parties' protocols, kept beside the tests of the service
that talks to them and shared with the end-to-end tests from there."""

import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
for folder in ("auth-service/tests", "fitting-service/tests"):
    if str(_ROOT / folder) not in sys.path:
        sys.path.insert(0, str(_ROOT / folder))

from kakao_server import KakaoServer, callback_params  # noqa: E402
from tryon_pictures import astronaut, encoded, nobody  # noqa: E402

__all__ = ["KakaoServer", "astronaut", "callback_params", "encoded", "nobody"]
