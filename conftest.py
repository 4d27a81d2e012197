"""Workspace-wide pytest setup.

- The end-to-end tests fork service processes from a process that also runs gRPC servers
  and clients; gRPC's fork handlers can abort such a child between fork and exec. The
  launcher turns them off for itself; here they must be off before anything imports grpc.
- The `gateway/` folder has the same name as the package inside it (`gateway/src/gateway`).
  In importlib mode pytest imports a test's parent folders as modules, which would make
  `gateway` a namespace package of the folder and hide the real one; importing the real
  package first keeps it in place.
"""

import os

os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")

import gateway  # noqa: F401
