"""Workspace-wide pytest setup.

The `gateway/` folder has the same name as the package inside it (`gateway/src/gateway`).
In importlib mode pytest imports a test's parent folders as modules, which would make
`gateway` a namespace package of the folder and hide the real one; importing the real
package first keeps it in place.
"""

import gateway  # noqa: F401
