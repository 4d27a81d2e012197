"""The launcher behind `make run`."""

import os

# The launcher forks children that exec at once; gRPC's fork handlers only add warnings.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")
