"""The stubs every image generates equal what `make protos` put in the tree: the same locked
generator (grpcio-tools from uv.lock) over the same .proto files."""

import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROTOS = ROOT / "protos"


def test_the_generator_is_the_locked_one():
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    locked = {p["name"]: p["version"] for p in lock["package"]}
    assert version("grpcio-tools") == locked["grpcio-tools"]
    assert version("protobuf") == locked["protobuf"]


def test_generating_again_gives_the_stubs_in_the_tree(tmp_path):
    sources = sorted(str(p.relative_to(PROTOS)) for p in PROTOS.rglob("*.proto"))
    subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", "-I", ".", f"--python_out={tmp_path}",
         f"--pyi_out={tmp_path}", f"--grpc_python_out={tmp_path}", *sources],
        cwd=PROTOS,
        check=True,
    )  # fmt: skip
    fresh = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*_pb2*.py*")}
    in_tree = {p.relative_to(PROTOS): p.read_bytes() for p in PROTOS.rglob("*_pb2*.py*")}
    assert fresh and fresh.keys() == in_tree.keys()
    assert [name for name in fresh if fresh[name] != in_tree[name]] == []
