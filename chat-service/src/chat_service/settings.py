"""chat-service settings (env prefix CHAT_)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from tftkit.settings import ServiceSettings


class ChatSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CHAT_", extra="ignore")

    port: int = 50052
    metrics_port: int = 9102
    postgres_dsn: str
    redis_url: str
    expert_service_addr: str = Field("127.0.0.1:50053", validation_alias="EXPERT_SERVICE_ADDR")
    # Upper bound of one whole turn (all experts), after which it is cut and stored as it is.
    turn_timeout_seconds: float = 180.0
    # Deadline of other calls to expert-service (moving a guest's memory on login).
    rpc_timeout_seconds: float = 5.0
    # Turns this process runs at once, taken from the shared turn queue. A running turn mostly
    # waits on its experts and holds no Redis connection while it does, so this is sized for
    # waiting turns.
    max_concurrent_turns: int = 256
    # Turns queued or running across every replica; more are refused with RESOURCE_EXHAUSTED.
    max_queued_turns: int = 20000
    # A worker that stops renewing its hold on a turn this long is taken for dead, and another
    # worker finishes the turn.
    turn_lease_seconds: float = 20.0
    # The Redis stream of queued turns (one per deployment).
    turn_queue_key: str = "chat:turn-queue"
    # A listener of a turn that wrote nothing for this long gets a Heartbeat event (the gateway
    # sends an SSE comment, which keeps proxies from closing the stream and shows whether the
    # browser is still there).
    stream_heartbeat_seconds: float = 15.0
    # How long a turn's events stay replayable (Last-Event-ID, polling) after it ends.
    turn_events_ttl_seconds: int = 3600
    # Turns one user may start per minute (0: no limit); more answer 429.
    turns_per_minute: int = 20
    max_input_chars: int = 2000
    max_upload_bytes: int = 10 * 1024 * 1024
    # Pictures one user may upload per minute (0: no limit); more answer 429 with Retry-After.
    uploads_per_minute: int = 20

    @property
    def max_message_bytes(self) -> int:
        """The largest request message the server takes: an upload at its limit and the rest
        of its message (every other chat request is far smaller). gRPC refuses a bigger one
        from its length prefix, without buffering it."""
        return self.max_upload_bytes + 64 * 1024
