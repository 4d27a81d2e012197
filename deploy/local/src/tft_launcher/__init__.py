"""The launcher behind `make run`."""

import os

# The launcher forks children that exec at once, while its health probes use gRPC: gRPC's fork
# handlers would only print warnings. The children get the environment they would have had.
GRPC_FORK_FLAG = "GRPC_ENABLE_FORK_SUPPORT"
SET_GRPC_FORK_FLAG = GRPC_FORK_FLAG not in os.environ
os.environ.setdefault(GRPC_FORK_FLAG, "false")
