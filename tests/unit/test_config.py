"""Configuration comes from the environment, and .env.example documents all of it."""

from __future__ import annotations

import re
from pathlib import Path

from marketplace.config import load_config

ROOT = Path(__file__).resolve().parents[2]


def test_env_example_lists_every_variable_the_code_reads() -> None:
    source = (ROOT / "marketplace" / "config.py").read_text()
    read = set(re.findall(r'env(?:\.get\(|\[)"([A-Z_]+)"', source))
    read |= set(re.findall(r'_flag\(env, "([A-Z_]+)"', source))
    documented = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert read, "the pattern no longer finds the variables"
    assert read - documented == set()


def test_defaults_are_embedded(tmp_path: Path) -> None:
    """With no variable set: SQLite in the instance folder, a generated secret, memory limits."""
    config = load_config(str(tmp_path), env={})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'marketplace.db'}"
    assert len(config["SECRET_KEY"]) == 64
    assert load_config(str(tmp_path), env={})["SECRET_KEY"] == config["SECRET_KEY"]
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert config["MAIL_SERVER"] == ""


def test_postgres_urls_use_psycopg(tmp_path: Path) -> None:
    config = load_config(
        str(tmp_path), env={"DATABASE_URL": "postgres://u@h/db", "SECRET_KEY": "s"}
    )
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"


def test_evidence_files_default_to_the_instance_folder_outside_the_static_one(
    tmp_path: Path,
) -> None:
    folder = Path(load_config(str(tmp_path), env={})["EVIDENCE_FOLDER"])
    assert folder == tmp_path / "evidence"
    assert not folder.resolve().is_relative_to((ROOT / "marketplace" / "static").resolve())
    custom = load_config(str(tmp_path), env={"EVIDENCE_FOLDER": "/srv/evidence"})
    assert custom["EVIDENCE_FOLDER"] == "/srv/evidence"
