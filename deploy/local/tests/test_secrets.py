import stat

from tft_launcher.secrets import load_or_create_secrets

NAMES = ("AUTH_JWT_SECRET", "TFT_EMBEDDED_REDIS_PASSWORD")


def test_generated_once_private_and_reused(tmp_path):
    path = tmp_path / "var" / "secrets.env"
    first = load_or_create_secrets(path, NAMES, environ={})
    assert all(len(v) >= 32 for v in first.values())
    assert first["AUTH_JWT_SECRET"] != first["TFT_EMBEDDED_REDIS_PASSWORD"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_secrets(path, NAMES, environ={}) == first


def test_environment_wins_and_is_not_written(tmp_path):
    path = tmp_path / "secrets.env"
    given = "e" * 40
    values = load_or_create_secrets(path, NAMES, environ={"AUTH_JWT_SECRET": given})
    assert values["AUTH_JWT_SECRET"] == given
    assert given not in path.read_text()
    # Later, without the variable, a value of its own is generated once and then kept.
    later = load_or_create_secrets(path, NAMES, environ={})
    assert later["AUTH_JWT_SECRET"] != given
    assert later["TFT_EMBEDDED_REDIS_PASSWORD"] == values["TFT_EMBEDDED_REDIS_PASSWORD"]
    assert load_or_create_secrets(path, NAMES, environ={}) == later


def test_new_name_added_without_rotating_the_others(tmp_path):
    path = tmp_path / "secrets.env"
    first = load_or_create_secrets(path, ("AUTH_JWT_SECRET",), environ={})
    both = load_or_create_secrets(path, NAMES, environ={})
    assert both["AUTH_JWT_SECRET"] == first["AUTH_JWT_SECRET"]


def test_loosened_file_is_made_private_again(tmp_path):
    path = tmp_path / "secrets.env"
    load_or_create_secrets(path, NAMES, environ={})
    path.chmod(0o644)
    load_or_create_secrets(path, NAMES, environ={})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
