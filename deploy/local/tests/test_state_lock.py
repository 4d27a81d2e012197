import os

import pytest

from tft_launcher.__main__ import lock_state_dir
from tft_launcher.processes import StartupError


def test_one_launcher_per_state_folder(tmp_path):
    first = lock_state_dir(tmp_path)
    try:
        with pytest.raises(StartupError, match=rf"another launcher \(pid {os.getpid()}\)"):
            lock_state_dir(tmp_path)
    finally:
        first.close()
    lock_state_dir(tmp_path).close()  # free again once the holder is gone
