"""The caller's user id, carried from the gateway to every service in gRPC metadata."""

import grpc

USER_ID_METADATA_KEY = "x-user-id"


def user_metadata(user_id: str) -> tuple[tuple[str, str], ...]:
    """Metadata that makes a call act for `user_id`."""
    return ((USER_ID_METADATA_KEY, user_id),)


async def caller_id(context: grpc.aio.ServicerContext) -> str:
    """The user the call acts for; aborts with UNAUTHENTICATED when none is given."""
    for key, value in context.invocation_metadata() or ():
        if key == USER_ID_METADATA_KEY and isinstance(value, str) and value:
            return value
    await context.abort(grpc.StatusCode.UNAUTHENTICATED, "caller identity (x-user-id) is missing")
    raise AssertionError("unreachable")
