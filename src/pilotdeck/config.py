"""One Settings object for the whole process.

Values come, highest priority first, from: explicit keyword arguments,
``PILOTDECK_*`` environment variables, an optional ``pilotdeck.toml`` (in the
working directory, or the file named by ``PILOTDECK_CONFIG``), then the
embedded defaults under ``PILOTDECK_HOME`` (``./.pilotdeck``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


class LocalComputeConfig(BaseModel):
    """Batch work in this process (pyarrow, chunked): the default."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["local"] = "local"


class SparkComputeConfig(BaseModel):
    """Batch work on Apache Spark (``pip install 'pilotdeck[spark]'``)."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["spark"] = "spark"
    master: str = Field(default="local[*]", pattern=r"^(local(\[(\*|\d+)\])?|spark://\S+)$",
                        description="local[*], local[N] or spark://HOST:PORT")


# Typed like Feast's compute-engine configs: the ``type`` picks the class.
ComputeConfig = Annotated[LocalComputeConfig | SparkComputeConfig, Field(discriminator="type")]


def _toml_path() -> Path:
    return Path(os.environ.get("PILOTDECK_CONFIG", "pilotdeck.toml"))


class Settings(BaseSettings):
    """Process-wide configuration; build one in the app factory and pass it in."""

    model_config = SettingsConfigDict(env_prefix="PILOTDECK_", extra="forbid",
                                      env_nested_delimiter="__")

    home: Path = Field(default=Path(".pilotdeck"), description="Data directory.")
    db_url: str = Field(default="", description="SQLAlchemy URL of the metadata store.")
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    audit_key_path: Path | None = Field(
        default=None, description="Ed25519 private key (PEM) that signs audit checkpoints."
    )
    audit_origin: str = Field(default="pilotdeck", description="Name written into checkpoints.")
    maturity_model_path: Path | None = Field(
        default=None, description="YAML maturity model replacing the shipped default."
    )
    risk_questionnaire_path: Path | None = Field(
        default=None, description="YAML risk questionnaire replacing the shipped default."
    )
    governance_enforce: bool = Field(
        default=True, description="Refuse live traffic to versions whose risk controls are "
        "missing (no current risk assessment, approval, attested controls).")
    approval_valid_days: int = Field(default=180, ge=1, le=3650,
                                     description="How long an approval lasts.")
    rubric_path: Path | None = Field(
        default=None, description="YAML prioritisation rubric replacing the shipped default."
    )
    page_size_max: int = 500
    mlflow_uri: str = Field(default="", description="MLflow tracking/registry URI.")
    lakehouse_dir: Path | None = Field(default=None, description="Tables and logs (Parquet).")
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8100
    gateway_refresh_s: float = Field(default=2.0, gt=0, description="Routing poll interval.")
    gateway_evict_after_s: float = Field(default=120.0, ge=0, description="Unload a model "
                                         "version this long after it left every deployment.")
    cache_url: str = Field(default="memory://", description="memory:// or redis://host:port/db")
    cache_max_entries: int = 100_000
    cache_namespace: str = Field(default="pd", pattern=r"^[A-Za-z0-9_.-]{1,40}$",
                                 description="Key prefix, so installations sharing a Redis "
                                             "never read each other's predictions.")
    predlog_flush_s: float = Field(default=1.0, gt=0, description="Prediction-log flush period.")
    predlog_max_rows: int = Field(default=5000, ge=1, description="Flush when this many wait.")
    cost_per_cpu_second: float = Field(default=0.00005, ge=0,
                                       description="Inference cost per CPU-second (currency).")
    platform_cost_per_month: float = Field(
        default=0.0, ge=0, le=1e12, allow_inf_nan=False, description=(
            "What the platform itself costs per month (people, infrastructure, licences), "
            "in the pilots' currency; the programme report allocates it to pilots "
            "(PILOTDECK_PLATFORM_COST_PER_MONTH)."))
    platform_cost_rule: Literal["requests", "equal", "production"] = Field(
        default="requests", description=(
            "How the programme report allocates the platform cost each period: by share "
            "of requests served, equally over the pilots that existed, or equally over "
            "the pilots in production (scaling or production status)."))
    drift_min_rows: int = Field(default=30, ge=1, description="Rows each side of a drift "
                                "window needs for a verdict; fewer is 'not enough data' "
                                "(no verdict, no alert).")
    alert_rules: Path | None = Field(default=None, description="Alert rules YAML (default "
                                     "$PILOTDECK_HOME/alerts.yaml, used when it exists).")
    alert_interval_s: float = Field(default=60.0, ge=0, description="Seconds between the "
                                    "API server's rule evaluations; 0 turns the loop off.")
    rollout_webhooks_internal: bool = Field(default=False, description="Let rollout plans' "
                                            "webhooks reach loopback, private and link-local "
                                            "addresses (a receiver on this host or network).")
    rollout_interval_s: float = Field(default=15.0, ge=0, le=3600, description="Seconds "
                                      "between the rollout controller's checks in the API "
                                      "server (one replica leads); 0 turns the loop off.")
    compute: ComputeConfig = Field(default_factory=LocalComputeConfig, description=(
        "Default engine for batch scoring and profiling: PILOTDECK_COMPUTE__TYPE=spark "
        "and PILOTDECK_COMPUTE__MASTER=spark://HOST:PORT, or [compute] in pilotdeck.toml."))
    require_if_match: bool = Field(default=False, description=(
        "Refuse API writes to pilots and deployments that send no If-Match (428). "
        "Off by default: such writes are unconditional, as before."))
    api_max_body_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="Largest request body the API reads "
        "(PILOTDECK_API_MAX_BODY_BYTES); a larger one gets 413 before any other work.")
    max_body_bytes: int = Field(
        default=5 * 1024 * 1024, ge=1024, description="Largest request body the gateway "
        "reads (PILOTDECK_MAX_BODY_BYTES): batch predictions are bigger than API calls.")
    max_rows: int = 10_000
    server_paths: list[Path] = Field(default_factory=list, description=(
        "Directories whose files API requests may name (e.g. a model's reference table); "
        "anything else is refused without saying whether it exists. Default "
        "$PILOTDECK_HOME/data; PILOTDECK_SERVER_PATHS='[\"/srv/tables\"]'."))
    request_id_key_path: Path | None = Field(default=None, description=(
        "Key that signs the gateway's request ids, so feedback can be checked without a "
        "lookup; gateways sharing a lake must share it (default $PILOTDECK_HOME/keys/"
        "request-ids.key, created 0600)."))
    openlineage_url: str = Field(default="", description=(
        "OpenLineage collector (e.g. Marquez, http://host:5000) that receives every "
        "lineage run event after it is stored (PILOTDECK_OPENLINEAGE_URL); empty: "
        "stored locally only. A collector that is down never fails a job."))
    features_online: str = Field(default="sqlite", description=(
        "Online store of the feature store (PILOTDECK_FEATURES_ONLINE): sqlite (a file "
        "in the lake) or redis://HOST:PORT/DB."))
    features_project: str = Field(default="pilotdeck", pattern=r"^[A-Za-z0-9_]{1,40}$",
                                  description="Feast project name (its Redis key prefix).")
    features_timeout_ms: float = Field(default=100.0, gt=0, le=60_000, description=(
        "The gateway's budget for one online feature lookup; past it the request "
        "gets 504."))
    admin_token_path: Path | None = Field(default=None, description=(
        "Where the first-run admin token is written, owner-only (default "
        "$PILOTDECK_HOME/admin-token)."))
    readiness_blocks: dict[str, str] = Field(default_factory=dict, description=(
        "Which readiness items block which rollout stage, over the defaults "
        "(PILOTDECK_READINESS_BLOCKS='{\"runbook\": \"live\", \"team-trained\": \"none\"}'): "
        "live (any live traffic waits), full (100 % waits) or none."))

    @field_validator("readiness_blocks")
    @classmethod
    def _known_blocks(cls, v: dict[str, str]) -> dict[str, str]:
        from pilotdeck.domain.readiness import parse_blocks

        parse_blocks(v)  # ValueError naming each unknown item or stage
        return v

    @model_validator(mode="after")
    def _fill_defaults(self) -> Settings:
        if not self.db_url:
            self.db_url = f"sqlite:///{(self.home / 'pilotdeck.db').resolve()}"
        if self.audit_key_path is None:
            self.audit_key_path = self.home / "keys" / "audit-ed25519.pem"
        if not self.mlflow_uri:
            self.mlflow_uri = f"sqlite:///{(self.home / 'mlflow' / 'mlflow.db').resolve()}"
        if self.lakehouse_dir is None:
            self.lakehouse_dir = self.home / "lakehouse"
        if self.alert_rules is None:
            self.alert_rules = self.home / "alerts.yaml"
        if not self.server_paths:
            self.server_paths = [self.home / "data"]
        if self.request_id_key_path is None:
            self.request_id_key_path = self.home / "keys" / "request-ids.key"
        if self.admin_token_path is None:
            self.admin_token_path = self.home / "admin-token"
        return self

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = _toml_path()
        if path.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)


def load_settings(**overrides: Any) -> Settings:
    """Build settings from the environment, the TOML file and ``overrides``; a bad
    value is a ValidationFailed naming the variable (one line each in the CLI)."""
    from pilotdeck.domain.errors import FieldError, ValidationFailed

    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ValidationFailed("invalid configuration", [FieldError(
            "PILOTDECK_" + "__".join(str(p) for p in e["loc"][:2]).upper(),
            e["msg"].removeprefix("Value error, ")) for e in exc.errors()]) from None


def read_yaml_config(path: Path | None, default: str) -> tuple[Any, str]:
    """A YAML configuration file (rubric, maturity model, questionnaire), or the one
    shipped in ``pilotdeck.data``; returns the data and where it came from."""
    from importlib import resources

    import yaml

    from pilotdeck.domain.errors import FieldError, ValidationFailed, describe

    if path is None:
        text = resources.files("pilotdeck.data").joinpath(default).read_text(encoding="utf-8")
        return yaml.safe_load(text), f"(shipped) {default}"
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")), str(path)
    except (OSError, yaml.YAMLError) as exc:
        raise ValidationFailed("cannot read configuration file",
                               [FieldError("", describe(exc), str(path))]) from None
