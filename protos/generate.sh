#!/usr/bin/env bash
# Regenerates the Python stubs beside each .proto (run by `make protos` / `make install`).
set -euo pipefail
cd "$(dirname "$0")"
find thefirsttake -name '*_pb2*.py*' -delete
python -m grpc_tools.protoc -I . --python_out=. --pyi_out=. --grpc_python_out=. \
  $(find thefirsttake -name '*.proto' | sort)
