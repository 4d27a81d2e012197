import stat

from tft_launcher.secrets import load_or_create_secrets
from tftkit.identity import load_signing_key

NAMES = ("AUTH_SIGNING_KEY", "TFT_EMBEDDED_REDIS_PASSWORD")


def test_generated_once_private_and_reused(tmp_path):
    path = tmp_path / "var" / "secrets.env"
    first = load_or_create_secrets(path, NAMES, environ={})
    assert all(len(v) >= 32 for v in first.values())
    assert first["AUTH_SIGNING_KEY"] != first["TFT_EMBEDDED_REDIS_PASSWORD"]
    # The signing key is a real Ed25519 key, as auth-service reads it.
    load_signing_key(first["AUTH_SIGNING_KEY"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_secrets(path, NAMES, environ={}) == first


def test_environment_wins_and_is_not_written(tmp_path):
    path = tmp_path / "secrets.env"
    given = "e" * 40
    values = load_or_create_secrets(path, NAMES, environ={"AUTH_SIGNING_KEY": given})
    assert values["AUTH_SIGNING_KEY"] == given
    assert given not in path.read_text()
    # Later, without the variable, a value of its own is generated once and then kept.
    later = load_or_create_secrets(path, NAMES, environ={})
    assert later["AUTH_SIGNING_KEY"] != given
    assert later["TFT_EMBEDDED_REDIS_PASSWORD"] == values["TFT_EMBEDDED_REDIS_PASSWORD"]
    assert load_or_create_secrets(path, NAMES, environ={}) == later


def test_new_name_added_without_rotating_the_others(tmp_path):
    path = tmp_path / "secrets.env"
    first = load_or_create_secrets(path, ("AUTH_SIGNING_KEY",), environ={})
    both = load_or_create_secrets(path, NAMES, environ={})
    assert both["AUTH_SIGNING_KEY"] == first["AUTH_SIGNING_KEY"]


def test_loosened_file_is_made_private_again(tmp_path):
    path = tmp_path / "secrets.env"
    load_or_create_secrets(path, NAMES, environ={})
    path.chmod(0o644)
    load_or_create_secrets(path, NAMES, environ={})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
