"""Prometheus metrics of logins and tokens (one registry per process)."""

from prometheus_client import Counter, Histogram

KAKAO_LOGIN_SUCCESS = Counter("kakao_login_success_total", "Kakao logins completed")
KAKAO_LOGIN_FAILURE = Counter(
    "kakao_login_failure_total", "Kakao logins refused or failed, by reason", ["reason"]
)
LOGOUT = Counter("logout_total", "Logouts (refresh token family revoked)")
REFRESH = Counter("token_refresh_total", "Refresh attempts, by outcome", ["outcome"])
JWT_GENERATION = Histogram(
    "jwt_token_generation_duration",
    "Seconds to sign one token, by type",
    ["type"],
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05),
)
