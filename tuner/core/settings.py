"""Service settings from the environment (prefix ``TUNEDRIVE_``)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    """Where tunedrive keeps its state and what it connects to.

    Every path defaults to a place inside ``home`` so one directory holds everything on the
    embedded default; each can be pointed elsewhere for a cluster.
    """

    model_config = SettingsConfigDict(env_prefix="TUNEDRIVE_", extra="ignore")

    home: Path = Field(default=Path("~/.tunedrive"), description="the service's own state")
    data_dir: Path | None = Field(
        default=None, description="input data (energy.csv); default home/data"
    )
    database_url: SecretStr | None = Field(
        default=None, description="SQLAlchemy URL (may hold a password); default SQLite in home"
    )
    ray_address: str | None = Field(
        default=None, description="existing Ray cluster; default local Ray"
    )
    ray_job_address: str | None = Field(
        default=None,
        description="Ray dashboard URL (http://head:8265): submit drivers as Ray jobs",
    )
    autoscaling: bool = Field(
        default=False,
        description="the cluster adds nodes on demand: resources are not judged by today's nodes",
    )
    resource_wait_minutes: float = Field(
        default=10.0, gt=0, description="how long an experiment waits for its first run to start"
    )
    max_concurrent_experiments: int = Field(
        default=4, gt=0, description="drivers at once; they share the Ray they run on"
    )
    storage_path: Path | None = Field(
        default=None, description="run artifacts, seen by every node; default home/runs"
    )
    cancel_poll_seconds: float = Field(
        default=1.0, gt=0, description="how often drivers poll cancel"
    )
    store_retry_seconds: float = Field(
        default=60.0,
        gt=0,
        description="how long a driver retries a store write before it journals and ends",
    )
    api_tokens: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list, description="bearer tokens the API accepts (comma-separated)"
    )
    max_body_bytes: int = Field(default=1 << 20, gt=0, description="largest request body accepted")
    max_dataset_bytes: int = Field(default=64 << 20, gt=0, description="largest data set upload")
    max_code_bytes: int = Field(
        default=64 << 20, gt=0, description="largest code snapshot, packed or unpacked"
    )
    allow_commands: bool = Field(
        default=True,
        description="accept command trials (a user's code run on the workers); false: refused",
    )

    @field_validator(
        "data_dir", "storage_path", "ray_address", "ray_job_address", "database_url", mode="before"
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # `export TUNEDRIVE_DATA_DIR=` must mean the default, not the current directory.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("api_tokens", mode="before")
    @classmethod
    def _split_tokens(cls, value: object) -> object:
        if isinstance(value, str):
            return [token.strip() for token in value.split(",") if token.strip()]
        return value

    @cached_property
    def home_dir(self) -> Path:
        return self.home.expanduser().resolve()

    @property
    def resolved_data_dir(self) -> Path:
        return (self.data_dir or self.home_dir / "data").expanduser().resolve()

    @property
    def resolved_database_url(self) -> str:
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite:///{self.home_dir / 'tunedrive.db'}"

    @property
    def resolved_storage_path(self) -> Path:
        return (self.storage_path or self.home_dir / "runs").expanduser().resolve()

    def ensure_dirs(self) -> None:
        self.home_dir.mkdir(parents=True, exist_ok=True)
        self.resolved_storage_path.mkdir(parents=True, exist_ok=True)
