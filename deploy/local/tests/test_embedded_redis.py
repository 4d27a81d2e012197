import pytest
import redis.asyncio as redis

from tft_launcher.embedded_redis import EmbeddedRedis
from tft_launcher.processes import ChildExited

PASSWORD = "r" * 40


async def test_answers_with_password_and_keeps_data(tmp_path, free_port):
    port = free_port()
    server = EmbeddedRedis(tmp_path / "redis", port=port, password=PASSWORD, log_dir=tmp_path)
    url = await server.start()
    try:
        client = redis.from_url(url.replace("/0", "/3"), socket_timeout=5)
        assert await client.ping()
        await client.set("product_id:1", "셔츠")
        await client.aclose()
        anonymous = redis.from_url(f"redis://127.0.0.1:{port}/0", socket_timeout=5)
        try:
            await anonymous.get("x")
            raise AssertionError("a client without the password was served")
        except redis.AuthenticationError:
            pass
        finally:
            await anonymous.aclose()
    finally:
        await server.stop()

    again = EmbeddedRedis(tmp_path / "redis", port=port, password=PASSWORD, log_dir=tmp_path)
    url = await again.start()
    try:
        client = redis.from_url(url.replace("/0", "/3"), socket_timeout=5)
        assert (await client.get("product_id:1")).decode() == "셔츠"
        await client.aclose()
    finally:
        await again.stop()


async def test_a_port_held_by_another_server_is_not_mistaken_for_ours(tmp_path, free_port):
    port = free_port()
    first = EmbeddedRedis(tmp_path / "a", port=port, password=PASSWORD, log_dir=tmp_path / "la")
    await first.start()
    try:
        # Same port, same password: PING would answer, but it is not our server.
        second = EmbeddedRedis(tmp_path / "b", port=port, password=PASSWORD, log_dir=tmp_path)
        with pytest.raises(ChildExited, match="redis exited"):
            await second.start(within=20)
        assert "Address already in use" in (tmp_path / "redis.log").read_text()
    finally:
        await first.stop()
