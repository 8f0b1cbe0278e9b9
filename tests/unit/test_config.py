"""Configuration: precedence, every bad-config message, the key never leaking, save_setting."""

from __future__ import annotations

import copy
import dataclasses
import os
import pickle
import stat
from pathlib import Path
from typing import Any

import pytest

from inductiva_top.config import (
    DEFAULT_API_URL,
    CliOverrides,
    Config,
    ConfigError,
    Secret,
    load_config,
    official_key_file,
    save_setting,
)

KEY = "k3y-FROM.test_suite"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    return tmp_path / "user-config"


def load(
    config_dir: Path,
    home: Path,
    overrides: CliOverrides | None = None,
    env: dict[str, str] | None = None,
) -> Config:
    return load_config(overrides or CliOverrides(), env or {}, home, config_dir=config_dir)


def write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def config_error(config_dir: Path, home: Path, **kwargs: Any) -> str:
    with pytest.raises(ConfigError) as caught:
        load(config_dir, home, **kwargs)
    message = str(caught.value)
    assert "\n" not in message
    return message


# --- precedence: flag > environment > file > default, each step for each setting ---


@dataclasses.dataclass(frozen=True)
class Case:
    """One setting as each layer gives it, and what Config ends up holding."""

    key: str  # in the YAML file
    attr: str  # on Config
    default: object
    file_value: object
    from_file: object
    env: dict[str, str]
    from_env: object
    flag: dict[str, object] = dataclasses.field(default_factory=dict)  # CliOverrides kwargs
    from_flag: object = None


CASES = [
    Case("refresh", "refresh", 2.0, 3, 3.0, {"INDUCTIVA_TOP_REFRESH": "4.5"}, 4.5,
         {"refresh": 5.0}, 5.0),
    Case("project", "project", None, "a", "a", {"INDUCTIVA_TOP_PROJECT": "b"}, "b",
         {"project": "c"}, "c"),
    Case("status", "statuses", (), ["success"], ("success",),
         {"INDUCTIVA_TOP_STATUS": "failed, killed"}, ("failed", "killed"),
         {"statuses": ("started",)}, ("started",)),
    Case("active", "active", False, True, True, {"INDUCTIVA_TOP_ACTIVE": "0"}, False,
         {"active": True}, True),
    Case("read_only", "read_only", False, True, True, {"INDUCTIVA_TOP_READ_ONLY": "no"}, False,
         {"read_only": True}, True),
    Case("theme", "theme", None, "nord", "nord", {"INDUCTIVA_TOP_THEME": "dracula"}, "dracula",
         {"theme": "gruvbox"}, "gruvbox"),
    Case("output_dir", "output_dir", Path("inductiva_output"), "f", Path("f"),
         {"INDUCTIVA_TOP_OUTPUT_DIR": "e"}, Path("e"), {"output_dir": Path("x")}, Path("x")),
    Case("columns", "columns", None, ["id", "status"], ("id", "status"),
         {"INDUCTIVA_TOP_COLUMNS": "id,name"}, ("id", "name")),
    Case("tail_lines", "tail_lines", 10_000, 50, 50, {"INDUCTIVA_TOP_TAIL_LINES": "60"}, 60),
    Case("notify", "notify", False, True, True, {"INDUCTIVA_TOP_NOTIFY": "off"}, False),
]  # fmt: skip
FLAG_CASES = [case for case in CASES if case.flag]


def _yaml_line(key: str, value: object) -> str:
    import yaml

    return yaml.safe_dump({key: value})


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.key)
def test_default_when_nothing_is_set(case: Case, config_dir: Path, home: Path) -> None:
    assert getattr(load(config_dir, home), case.attr) == case.default


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.key)
def test_file_beats_default(case: Case, config_dir: Path, home: Path) -> None:
    write(config_dir / "config.yaml", _yaml_line(case.key, case.file_value))
    assert getattr(load(config_dir, home), case.attr) == case.from_file


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.key)
def test_environment_beats_file(case: Case, config_dir: Path, home: Path) -> None:
    write(config_dir / "config.yaml", _yaml_line(case.key, case.file_value))
    assert getattr(load(config_dir, home, env=case.env), case.attr) == case.from_env


@pytest.mark.parametrize("case", FLAG_CASES, ids=lambda case: case.key)
def test_flag_beats_environment(case: Case, config_dir: Path, home: Path) -> None:
    write(config_dir / "config.yaml", _yaml_line(case.key, case.file_value))
    overrides = CliOverrides(**case.flag)  # type: ignore[arg-type]
    assert getattr(load(config_dir, home, overrides, case.env), case.attr) == case.from_flag


def test_keymap_comes_from_the_file_and_is_read_only(config_dir: Path, home: Path) -> None:
    write(config_dir / "config.yaml", "keymap:\n  quit: ctrl+q\n  kill: K\n")
    config = load(config_dir, home)
    assert dict(config.keymap) == {"quit": "ctrl+q", "kill": "K"}
    with pytest.raises(TypeError):
        config.keymap["quit"] = "q"  # type: ignore[index]
    assert load(config_dir / "elsewhere", home).keymap == {}


def test_output_dir_falls_back_to_the_official_clients_variable(
    config_dir: Path, home: Path
) -> None:
    write(config_dir / "config.yaml", "output_dir: from-file\n")
    env = {"INDUCTIVA_OUTPUT_DIR": "official"}
    assert load(config_dir, home, env=env).output_dir == Path("official")
    env["INDUCTIVA_TOP_OUTPUT_DIR"] = "ours"
    assert load(config_dir, home, env=env).output_dir == Path("ours")


def test_empty_environment_variables_count_as_unset(config_dir: Path, home: Path) -> None:
    write(config_dir / "config.yaml", "refresh: 7\n")
    env = {"INDUCTIVA_TOP_REFRESH": "", "INDUCTIVA_API_URL": "", "INDUCTIVA_API_KEY": ""}
    config = load(config_dir, home, env=env)
    assert (config.refresh, config.api_url, config.api_key) == (7.0, DEFAULT_API_URL, None)


def test_empty_filters_clear_lower_layers(config_dir: Path, home: Path) -> None:
    write(config_dir / "config.yaml", "project: p\nstatus: [success]\n")
    config = load(config_dir, home, CliOverrides(project="", statuses=("",)))
    assert (config.project, config.statuses) == (None, ())


def test_empty_columns_mean_the_default_set(config_dir: Path, home: Path) -> None:
    write(config_dir / "config.yaml", "columns: []\n")
    assert load(config_dir, home).columns is None


# --- which file is read ---


def test_config_file_precedence(tmp_path: Path, config_dir: Path, home: Path) -> None:
    default = write(config_dir / "config.yaml", "refresh: 3\n")
    from_env = write(tmp_path / "env.yaml", "refresh: 4\n")
    from_flag = write(tmp_path / "flag.yaml", "refresh: 5\n")
    assert load(config_dir, home).config_path == default
    env = {"INDUCTIVA_TOP_CONFIG": str(from_env)}
    assert load(config_dir, home, env=env).refresh == 4.0
    config = load(config_dir, home, CliOverrides(config=from_flag), env=env)
    assert (config.refresh, config.config_path) == (5.0, from_flag)


def test_no_file_at_all_gives_defaults(config_dir: Path, home: Path) -> None:
    config = load(config_dir, home)
    assert config == Config(config_path=None)


# --- API URL and key ---


def test_api_url_precedence(tmp_path: Path, config_dir: Path, home: Path) -> None:
    assert load(config_dir, home).api_url == DEFAULT_API_URL
    env = {"INDUCTIVA_API_URL": "http://env.example:8000/"}
    assert load(config_dir, home, env=env).api_url == "http://env.example:8000"
    flag = CliOverrides(api_url="https://flag.example")
    assert load(config_dir, home, flag, env=env).api_url == "https://flag.example"


def test_api_key_found_as_the_official_client_does(config_dir: Path, home: Path) -> None:
    assert load(config_dir, home).api_key is None
    key_file = write(official_key_file(home), "from-file-key\n")
    assert key_file == home / ".inductiva" / "api_key"
    config = load(config_dir, home)
    assert config.api_key == Secret("from-file-key")
    assert config.api_key_source == "file ~/.inductiva/api_key"
    config = load(config_dir, home, env={"INDUCTIVA_API_KEY": KEY})
    assert config.api_key == Secret(KEY)
    assert config.api_key_source == "environment variable INDUCTIVA_API_KEY"


PROFILES = """\
profiles:
  lab:
    api_url: http://lab.example:8000/
    api_key: lab-key
  local:
    api_url: http://127.0.0.1:9000
    api_key_file: keys/local
  open:
    api_url: http://open.example
"""


def test_profile_by_flag_beats_environment_and_key_file(tmp_path: Path, home: Path) -> None:
    path = write(tmp_path / "c.yaml", PROFILES)
    write(official_key_file(home), "file-key")
    env = {"INDUCTIVA_API_URL": "http://env.example", "INDUCTIVA_API_KEY": KEY}
    config = load(tmp_path, home, CliOverrides(config=path, profile="lab"), env)
    assert (config.api_url, config.api_key, config.profile) == (
        "http://lab.example:8000",
        Secret("lab-key"),
        "lab",
    )
    assert config.api_key_source == f"profile 'lab' in {path}"


def test_profile_flag_beats_profile_variable(tmp_path: Path, home: Path) -> None:
    path = write(tmp_path / "c.yaml", PROFILES)
    write(tmp_path / "keys" / "local", "local-key\n")
    env = {"INDUCTIVA_TOP_CONFIG": str(path), "INDUCTIVA_TOP_PROFILE": "lab"}
    assert load(tmp_path, home, env=env).profile == "lab"
    config = load(tmp_path, home, CliOverrides(profile="local"), env)
    assert (config.profile, config.api_key) == ("local", Secret("local-key"))
    key_file = tmp_path / "keys" / "local"
    assert config.api_key_source == f"profile 'local' in {path} (key_file {key_file})"


def test_api_url_flag_beats_profile(tmp_path: Path, home: Path) -> None:
    path = write(tmp_path / "c.yaml", PROFILES)
    overrides = CliOverrides(config=path, profile="lab", api_url="http://flag.example")
    config = load(tmp_path, home, overrides)
    assert (config.api_url, config.api_key) == ("http://flag.example", Secret("lab-key"))


def test_profile_without_key_never_borrows_the_default_key(tmp_path: Path, home: Path) -> None:
    path = write(tmp_path / "c.yaml", PROFILES)
    write(official_key_file(home), "file-key")
    config = load(
        tmp_path, home, CliOverrides(config=path, profile="open"), {"INDUCTIVA_API_KEY": KEY}
    )
    assert (config.api_url, config.api_key, config.api_key_source) == (
        "http://open.example",
        None,
        "",
    )


# --- permissions ---


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_key_file_readable_by_others_warns_with_the_fix(config_dir: Path, home: Path) -> None:
    key_file = write(official_key_file(home), "file-key", mode=0o644)
    config = load(config_dir, home)
    assert config.api_key == Secret("file-key")
    (warning,) = config.warnings
    assert f"chmod 600 {key_file}" in warning
    key_file.chmod(0o600)
    assert load(config_dir, home).warnings == ()


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_config_file_holding_a_key_readable_by_others_warns(tmp_path: Path, home: Path) -> None:
    path = write(tmp_path / "c.yaml", PROFILES, mode=0o640)
    config = load(tmp_path, home, CliOverrides(config=path, profile="lab"))
    (warning,) = config.warnings
    assert f"chmod 600 {path}" in warning


def test_empty_key_file_is_no_key_and_a_warning(config_dir: Path, home: Path) -> None:
    write(official_key_file(home), "\n")
    config = load(config_dir, home)
    assert config.api_key is None
    assert any("empty" in warning for warning in config.warnings)


# --- every bad-config message names the file (or variable, or flag), the key and the fault ---


def test_unknown_key_suggests_the_close_one(config_dir: Path, home: Path) -> None:
    path = write(config_dir / "config.yaml", "refersh: 2\n")
    message = config_error(config_dir, home)
    assert str(path) in message
    assert "'refersh'" in message
    assert "did you mean 'refresh'?" in message


@pytest.mark.parametrize(
    ("key", "value", "fault"),
    [
        ("refresh", "'fast'", "expected a number of seconds, got str 'fast'"),
        ("refresh", "true", "expected a number of seconds, got bool"),
        ("refresh", "0.5", "0.5 is below the minimum of 1 second"),
        ("refresh", ".inf", "finite"),
        ("project", "3", "expected text, got int"),
        ("status", "{a: 1}", "expected text or a list of text"),
        ("status", "[failed, bogus]", "unknown status 'bogus'; codes: pending-input, "),
        ("active", "'maybe'", "expected true or false, got str 'maybe'"),
        ("theme", "[a]", "expected text, got list"),
        ("keymap", "[q]", "expected a mapping of binding id to key"),
        ("keymap", "{quit: 3}", "binding 'quit' must map to a key name"),
        ("read_only", "1", "expected true or false, got int"),
        ("output_dir", "[]", "expected a path"),
        ("columns", "7", "expected text or a list of text"),
        ("tail_lines", "1.5", "expected a whole number"),
        ("tail_lines", "0", "expected at least 1"),
        ("notify", "'loud'", "expected true or false"),
        ("profiles", "[lab]", "expected a mapping of profile name to settings"),
    ],
)
def test_wrong_value_in_file(
    key: str, value: str, fault: str, config_dir: Path, home: Path
) -> None:
    path = write(config_dir / "config.yaml", f"{key}: {value}\n")
    message = config_error(config_dir, home)
    assert message.startswith(f"{path}: key '{key}': ")
    assert fault in message


@pytest.mark.parametrize(
    ("variable", "text", "fault"),
    [
        ("INDUCTIVA_TOP_REFRESH", "abc", "expected a number, got 'abc'"),
        ("INDUCTIVA_TOP_REFRESH", "0.2", "below the minimum of 1 second"),
        ("INDUCTIVA_TOP_ACTIVE", "maybe", "expected one of 1/0, true/false"),
        ("INDUCTIVA_TOP_TAIL_LINES", "many", "expected a whole number"),
        ("INDUCTIVA_TOP_STATUS", "faild", "unknown status 'faild' (did you mean 'failed'?)"),
        ("INDUCTIVA_API_URL", "localhost:8000", "expected an http(s) URL"),
    ],
)
def test_wrong_value_in_environment(
    variable: str, text: str, fault: str, config_dir: Path, home: Path
) -> None:
    message = config_error(config_dir, home, env={variable: text})
    assert message.startswith(f"environment variable {variable}: ")
    assert fault in message


@pytest.mark.parametrize(
    ("overrides", "flag", "fault"),
    [
        (CliOverrides(refresh=0.5), "--refresh", "0.5 is below the minimum of 1 second"),
        (CliOverrides(api_url="ftp://x"), "--api-url", "expected an http(s) URL"),
        (CliOverrides(statuses=("bogus",)), "--status", "unknown status 'bogus'"),
        (CliOverrides(statuses=("in-queue",)), "--status", "cannot filter by status 'in-queue'"),
    ],
)
def test_wrong_value_on_command_line(
    overrides: CliOverrides, flag: str, fault: str, config_dir: Path, home: Path
) -> None:
    message = config_error(config_dir, home, overrides=overrides)
    assert message.startswith(f"option {flag}: ")
    assert fault in message


def test_config_flag_naming_a_missing_file(tmp_path: Path, home: Path) -> None:
    missing = tmp_path / "nope.yaml"
    message = config_error(tmp_path, home, overrides=CliOverrides(config=missing))
    assert message == f"config file {missing} (from option --config) does not exist"


def test_config_variable_naming_a_missing_file(tmp_path: Path, home: Path) -> None:
    missing = tmp_path / "nope.yaml"
    message = config_error(tmp_path, home, env={"INDUCTIVA_TOP_CONFIG": str(missing)})
    assert str(missing) in message
    assert "INDUCTIVA_TOP_CONFIG" in message


def test_unparseable_yaml_names_line_and_column(config_dir: Path, home: Path) -> None:
    path = write(config_dir / "config.yaml", "refresh: 2\ntheme: [nord\n")
    message = config_error(config_dir, home)
    assert message.startswith(f"{path}: line ")
    assert "column" in message
    assert "not valid YAML" in message


def test_key_given_twice(config_dir: Path, home: Path) -> None:
    path = write(config_dir / "config.yaml", "refresh: 2\nrefresh: 3\n")
    assert config_error(config_dir, home) == (
        f"{path}: line 2, column 1: not valid YAML: key 'refresh' appears twice"
    )


def test_top_level_must_be_a_mapping(config_dir: Path, home: Path) -> None:
    path = write(config_dir / "config.yaml", "- refresh\n")
    assert str(path) in config_error(config_dir, home)


def test_config_file_that_is_not_text(config_dir: Path, home: Path) -> None:
    path = config_dir / "config.yaml"
    path.parent.mkdir()
    path.write_bytes(b"\xff\xfe\x00bad")
    assert str(path) in config_error(config_dir, home)


def test_unknown_profile_suggests_the_close_one(tmp_path: Path, home: Path) -> None:
    path = write(tmp_path / "c.yaml", PROFILES)
    message = config_error(tmp_path, home, overrides=CliOverrides(config=path, profile="labb"))
    assert message.startswith(f"{path}: key 'profiles' has no profile 'labb'")
    assert "did you mean 'lab'?" in message
    assert "option --profile" in message


def test_profile_without_any_config_file(config_dir: Path, home: Path) -> None:
    message = config_error(config_dir, home, env={"INDUCTIVA_TOP_PROFILE": "lab"})
    assert "profile 'lab'" in message
    assert "INDUCTIVA_TOP_PROFILE" in message
    assert str(config_dir / "config.yaml") in message


@pytest.mark.parametrize(
    ("body", "key", "fault"),
    [
        ("{api_key: x}", "profiles.p", "api_url is missing"),
        ("{api_url: 'http://x', api_key: a, api_key_file: b}", "profiles.p", "not both"),
        ("{api_url: 'http://x', api_keyfile: b}", "profiles.p", "did you mean 'api_key_file'?"),
        ("{api_url: 'x'}", "profiles.p.api_url", "expected an http(s) URL"),
        ("{api_url: 'http://x', api_key: 12345}", "profiles.p.api_key", "expected text, got int"),
        ("[]", "profiles.p", "expected a mapping with api_url"),
    ],
)
def test_bad_profile(body: str, key: str, fault: str, config_dir: Path, home: Path) -> None:
    path = write(config_dir / "config.yaml", f"profiles:\n  p: {body}\n")
    message = config_error(config_dir, home)
    assert message.startswith(f"{path}: key '{key}': ")
    assert fault in message
    assert "12345" not in message


def test_profile_key_file_missing(tmp_path: Path, home: Path) -> None:
    path = write(tmp_path / "c.yaml", PROFILES)
    message = config_error(tmp_path, home, overrides=CliOverrides(config=path, profile="local"))
    assert message.startswith(f"{path}: key 'profiles.local.api_key_file' ")
    assert str(tmp_path / "keys" / "local") in message
    assert "does not exist" in message


def test_key_file_unreadable(config_dir: Path, home: Path) -> None:
    # A directory where the key file should be: unreadable even for root.
    key_file = official_key_file(home)
    key_file.mkdir(parents=True)
    message = config_error(config_dir, home)
    assert message.startswith(f"API key file {key_file}: cannot read the file")


@pytest.mark.parametrize(
    "where",
    ["env", "file", "profile"],
)
def test_malformed_key_is_an_error_that_never_shows_the_key(
    where: str, tmp_path: Path, config_dir: Path, home: Path
) -> None:
    bad = "s3cret key!with spaces"
    env: dict[str, str] = {}
    overrides = CliOverrides()
    if where == "env":
        env["INDUCTIVA_API_KEY"] = bad
    elif where == "file":
        write(official_key_file(home), bad)
    else:
        path = write(
            tmp_path / "c.yaml", f"profiles:\n  p:\n    api_url: http://x\n    api_key: '{bad}'\n"
        )
        overrides = CliOverrides(config=path, profile="p")
    with pytest.raises(ConfigError) as caught:
        load(config_dir, home, overrides, env)
    assert "malformed API key" in str(caught.value)
    for text in (str(caught.value), repr(caught.value), str(caught.value.args)):
        assert "s3cret" not in text
    assert caught.value.__cause__ is None


# --- the key never leaks ---


def test_secret_shows_nothing_but_reveals_on_request() -> None:
    secret = Secret(KEY)
    assert secret.reveal() == KEY
    for text in (repr(secret), str(secret), f"{secret}", f"{secret:>40}", "%s" % secret):  # noqa: UP031
        assert KEY not in text
        assert "***" in text
    assert secret == Secret(KEY)
    assert secret != Secret("other")
    assert hash(secret) == hash(Secret(KEY))
    with pytest.raises(AttributeError):
        secret.value = "x"
    with pytest.raises(TypeError):
        Secret("")


def test_config_never_shows_the_key(config_dir: Path, home: Path) -> None:
    config = load(config_dir, home, env={"INDUCTIVA_API_KEY": KEY})
    assert config.api_key is not None
    assert config.api_key.reveal() == KEY
    assert KEY not in repr(config)
    assert KEY not in str(config)
    assert KEY not in f"{config}"
    assert KEY not in repr(dataclasses.asdict(config))
    assert KEY not in repr(dataclasses.astuple(config))
    assert copy.deepcopy(config) == config
    assert KEY not in repr(copy.copy(config))
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(config)


def test_config_is_frozen_and_hashable() -> None:
    config = Config(keymap={"quit": "q"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.refresh = 1.0  # type: ignore[misc]
    assert hash(config) == hash(Config(keymap={"quit": "q"}))
    assert isinstance(config.keymap["quit"], str)


# --- save_setting ---


def test_save_setting_creates_the_user_file(config_dir: Path, home: Path) -> None:
    path = save_setting(None, "theme", "nord", config_dir=config_dir)
    assert path == config_dir / "config.yaml"
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load(config_dir, home).theme == "nord"


def test_save_setting_keeps_other_keys_and_comments(config_dir: Path, home: Path) -> None:
    original = (
        "# my settings\n"
        "refresh: 3  # seconds\n"
        "theme: nord\n"
        "status:\n"
        "- success\n"
        "\n"
        "# filters for the lab\n"
        "project: lab\n"
        "profiles:\n"
        "  lab:\n"
        "    api_url: http://lab.example\n"
    )
    path = write(config_dir / "config.yaml", original)
    assert save_setting(path, "theme", "dracula") == path
    assert path.read_text() == original.replace("theme: nord", "theme: dracula")
    save_setting(path, "status", ("failed", "killed"))
    text = path.read_text()
    assert "# filters for the lab\nproject: lab\n" in text
    assert text.startswith("# my settings\nrefresh: 3  # seconds\n")
    save_setting(path, "output_dir", Path("out"))
    save_setting(path, "keymap", {"quit": "ctrl+q"})
    config = load(config_dir, home, CliOverrides(config=path))
    assert (config.theme, config.statuses, config.project, config.refresh) == (
        "dracula",
        ("failed", "killed"),
        "lab",
        3.0,
    )
    assert (config.output_dir, dict(config.keymap)) == (Path("out"), {"quit": "ctrl+q"})


def test_save_setting_falls_back_to_a_rewrite_for_odd_layouts(config_dir: Path, home: Path) -> None:
    path = write(config_dir / "config.yaml", "{refresh: 3, theme: nord}\n")
    save_setting(path, "theme", "dracula")
    config = load(config_dir, home, CliOverrides(config=path))
    assert (config.refresh, config.theme) == (3.0, "dracula")


@pytest.mark.skipif(os.name != "posix", reason="symlinks and modes")
def test_save_setting_writes_through_a_symlink_and_keeps_the_mode(tmp_path: Path) -> None:
    real = write(tmp_path / "dotfiles" / "config.yaml", "theme: nord\n", mode=0o640)
    link = tmp_path / "config.yaml"
    link.symlink_to(real)
    save_setting(link, "theme", "dracula")
    assert link.is_symlink()
    assert real.read_text() == "theme: dracula\n"
    assert stat.S_IMODE(real.stat().st_mode) == 0o640


@pytest.mark.parametrize(
    ("key", "value", "fault"),
    [
        ("refresh", 0.1, "below the minimum"),
        ("thme", "nord", "did you mean 'theme'?"),
        ("profiles", {}, "unknown key 'profiles'"),
    ],
)
def test_save_setting_refuses_bad_values_and_changes_nothing(
    key: str, value: object, fault: str, config_dir: Path
) -> None:
    path = write(config_dir / "config.yaml", "theme: nord\n")
    with pytest.raises(ConfigError) as caught:
        save_setting(path, key, value)
    assert str(path) in str(caught.value)
    assert fault in str(caught.value)
    assert path.read_text() == "theme: nord\n"


def test_save_setting_leaves_an_unparseable_file_alone(config_dir: Path) -> None:
    path = write(config_dir / "config.yaml", "theme: [nord\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        save_setting(path, "theme", "dracula")
    assert path.read_text() == "theme: [nord\n"


# --- where each value came from, and the missing key ---


def test_config_remembers_where_each_value_came_from(config_dir: Path, home: Path) -> None:
    path = write(config_dir / "config.yaml", "theme: nord\nrefresh: 3\n")
    config = load_config(
        CliOverrides(statuses=("failed",)),
        env={"INDUCTIVA_TOP_REFRESH": "4"},
        home=home,
        config_dir=config_dir,
    )
    assert config.origin("theme") == f"{path}: key 'theme'"
    assert config.origin("refresh") == "environment variable INDUCTIVA_TOP_REFRESH"
    assert config.origin("statuses") == "option --status"
    assert config.origin("columns") == "config"  # a default: nobody gave it


def test_no_key_says_where_a_key_would_come_from(config_dir: Path, home: Path) -> None:
    config = load_config(CliOverrides(), env={}, home=home, config_dir=config_dir)
    assert config.api_key is None
    missing = config.key_missing
    assert missing is not None and missing.startswith("No API key found")
    for place in ("INDUCTIVA_API_KEY", "~/.inductiva/api_key", "inductiva auth login"):
        assert place in missing
    with_key = load_config(
        CliOverrides(), env={"INDUCTIVA_API_KEY": KEY}, home=home, config_dir=config_dir
    )
    assert with_key.key_missing is None


def test_a_profile_without_a_key_is_named(tmp_path: Path, home: Path) -> None:
    path = write(tmp_path / "c.yaml", "profiles:\n  lab:\n    api_url: http://lab\n")
    config = load_config(CliOverrides(config=path, profile="lab"), env={}, home=home)
    assert config.key_missing == (
        f"No API key: profile 'lab' in {path} has neither api_key nor api_key_file."
    )
