"""`python -m product_service seed` and `import` as real processes (kiwi off: tested elsewhere)."""

import asyncio
import json
import os
import sys

from product_service.catalog import count_products, fetch_products
from tftkit.postgres import connect_pool
from tftkit.testing import TEST_REDIS_URL


async def _run(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "product_service", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode, out.decode(), err.decode()


async def test_seed_and_import_commands(empty_dsn, tmp_path):
    env = {
        **os.environ,
        "PRODUCT_POSTGRES_DSN": empty_dsn,
        "PRODUCT_REDIS_URL": TEST_REDIS_URL,
        "PRODUCT_USE_KIWI": "false",
        "PRODUCT_IMAGE_WORKERS": "1",
        "OBJECT_STORE_DIR": str(tmp_path / "objects"),
        "MEDIA_BASE_URL": "http://media.test/media",
    }
    code, out, _ = await _run("seed", "--count", "50", env=env)
    assert code == 0 and json.loads(out) == {"added": 50, "updated": 0, "unchanged": 0}
    assert len(list((tmp_path / "objects" / "products").glob("*.png"))) == 50
    code, out, _ = await _run("seed", "--if-empty", env=env)
    assert code == 0 and json.loads(out) == {"skipped": True}

    catalog = tmp_path / "catalog.jsonl"
    good = {"product_id": "700001", "product_name": "남색 니트", "brand_name": "B",
            "main_category": "TOP", "sub_category": "스웨터", "color_name": "남색",
            "gender": "WOMEN", "price": 39000}  # fmt: skip
    catalog.write_text(
        json.dumps(good, ensure_ascii=False) + "\n" + '{"product_id": "x1"}\n', encoding="utf-8"
    )
    code, out, _ = await _run("import", str(catalog), env=env)
    report = json.loads(out)
    assert code == 1  # a line was rejected
    assert (report["added"], report["rejected"]) == (1, 1)
    assert {e["field"] for e in report["errors"] if e["line"] == 2} >= {"product_id", "price"}
    async with connect_pool(empty_dsn) as pool:
        assert await count_products(pool) == 51
        imported = (await fetch_products(pool, product_ids=["700001"]))["700001"]
    assert (imported.sub_category, imported.color_name) == ("니트", "네이비")

    code, _, err = await _run("import", str(tmp_path / "missing.jsonl"), env=env)
    assert code == 2 and "no such file" in err


async def test_the_service_process_serves_and_stops_on_sigterm(catalog_dsn, catalog, redis):
    import signal
    import socket

    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    from thefirsttake.product.v1 import product_pb2, product_pb2_grpc

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "PRODUCT_POSTGRES_DSN": catalog_dsn,
        "PRODUCT_REDIS_URL": TEST_REDIS_URL,
        "PRODUCT_PORT": str(port),
        "PRODUCT_METRICS_PORT": "0",
        "PRODUCT_USE_KIWI": "false",
        "PRODUCT_USE_EMBEDDINGS": "false",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "product_service", env=env, stderr=asyncio.subprocess.DEVNULL
    )
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            health = health_pb2_grpc.HealthStub(channel)
            for _ in range(300):
                try:
                    reply = await health.Check(health_pb2.HealthCheckRequest(), timeout=1)
                    if reply.status == health_pb2.HealthCheckResponse.SERVING:
                        break
                except grpc.aio.AioRpcError:
                    await asyncio.sleep(0.1)
            stub = product_pb2_grpc.ProductServiceStub(channel)
            found = await stub.GetProduct(
                product_pb2.GetProductRequest(product_id=catalog[0].product_id), timeout=5
            )
            assert found.product_name == catalog[0].product_name
    finally:
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), 30)
        # The service used the real key prefix in the shared test database: clean up.
        await redis.delete(f"product_id:{catalog[0].product_id}")
    assert code == 0
