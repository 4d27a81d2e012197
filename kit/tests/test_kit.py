"""The shared kit: migrations, object store, gRPC bootstrap."""

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tftkit.grpc_server import GrpcServer
from tftkit.object_store import LocalObjectStore, safe_key
from tftkit.postgres import apply_migrations, connect_pool
from tftkit.testing import scratch_database
from thefirsttake.product.v1 import product_pb2, product_pb2_grpc


async def test_migrations_apply_in_order_once(tmp_path):
    (tmp_path / "0001_a.sql").write_text("CREATE TABLE a (x int);")
    (tmp_path / "0002_b.sql").write_text("INSERT INTO a VALUES (1);")
    async with scratch_database("kit_test") as dsn, connect_pool(dsn) as pool:
        assert await apply_migrations(pool, tmp_path) == ["0001_a", "0002_b"]
        assert await apply_migrations(pool, tmp_path) == []
        (tmp_path / "0003_c.sql").write_text("INSERT INTO a VALUES (2);")
        assert await apply_migrations(pool, tmp_path) == ["0003_c"]
        assert await pool.fetchval("SELECT sum(x) FROM a") == 3


async def test_a_failing_migration_leaves_nothing_behind(tmp_path):
    (tmp_path / "0001_bad.sql").write_text("CREATE TABLE b (x int); SELECT no_such_function();")
    async with scratch_database("kit_test") as dsn, connect_pool(dsn) as pool:
        with pytest.raises(Exception, match="no_such_function"):
            await apply_migrations(pool, tmp_path)
        assert await pool.fetchval("SELECT to_regclass('b')") is None
        assert await pool.fetchval("SELECT count(*) FROM schema_migrations") == 0


async def test_local_object_store_round_trip_and_key_safety(tmp_path):
    store = LocalObjectStore(tmp_path, "http://h/media/")
    await store.put("products/1.png", b"png", "image/png")
    assert await store.get("products/1.png") == b"png"
    assert await store.exists("products/1.png")
    assert await store.get("products/2.png") is None
    assert store.url_for("products/1.png") == "http://h/media/products/1.png"
    for bad in ("../etc/passwd", "/abs", "a/../../b", ""):
        with pytest.raises(ValueError):
            safe_key(bad)


class _Exploding(product_pb2_grpc.ProductServiceServicer):
    async def GetProduct(self, request, context):
        raise RuntimeError("secret detail at 10.0.0.7")


async def test_server_hides_unexpected_errors_and_reports_health():
    server = GrpcServer(host="127.0.0.1", port=0, grace_seconds=0.1)
    name = "thefirsttake.product.v1.ProductService"
    server.add(product_pb2_grpc.add_ProductServiceServicer_to_server, _Exploding(), name)
    await server.start()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await product_pb2_grpc.ProductServiceStub(channel).GetProduct(
                product_pb2.GetProductRequest(product_id="1"), timeout=2
            )
        assert caught.value.code() == grpc.StatusCode.INTERNAL
        assert "secret" not in (caught.value.details() or "")
        health = health_pb2_grpc.HealthStub(channel)
        reply = await health.Check(health_pb2.HealthCheckRequest(service=name), timeout=2)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
        await server._health.enter_graceful_shutdown()
        reply = await health.Check(health_pb2.HealthCheckRequest(service=name), timeout=2)
        assert reply.status == health_pb2.HealthCheckResponse.NOT_SERVING
    await server.stop()


async def test_reflection_lists_the_service_health_and_reflection():
    from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

    server = GrpcServer(host="127.0.0.1", port=0, grace_seconds=0.1)
    name = "thefirsttake.product.v1.ProductService"
    server.add(product_pb2_grpc.add_ProductServiceServicer_to_server, _Exploding(), name)
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            stub = reflection_pb2_grpc.ServerReflectionStub(channel)
            request = reflection_pb2.ServerReflectionRequest(list_services="")
            replies = [r async for r in stub.ServerReflectionInfo(iter([request]), timeout=2)]
    finally:
        await server.stop()
    listed = {s.name for s in replies[0].list_services_response.service}
    assert listed == {name, "grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection"}
