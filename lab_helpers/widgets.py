"""The setup form: account ids, Region and backend, validated as the attendee types.

A kernel cannot wait for a click, so the form is pre-filled from the notebook's
parameters (a headless run uses them as they are) and validates on every change: a bad
id gets a red border and a message saying what is wrong. The next cell reads the form.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from .config import BACKENDS, ConfigError, LabConfig, make_config, normalise_account_id
from .validate import lab_regions

#: The Regions offering every service the lab uses (botocore's endpoint data, as make_config checks).
REGIONS = lab_regions()
_OK_BORDER = "1px solid #8c959f"
_BAD_BORDER = "2px solid #cf222e"


class LabForm:
    """ipywidgets form for the lab's settings."""

    def __init__(self, **params: Any):
        self.params = dict(params)
        style = {"description_width": "170px"}
        layout = {"width": "420px"}
        self.producer = w.Text(value=str(params.get("producer_account_id") or ""), description="Producer account id",
                               placeholder="12 digits", style=style, layout=dict(layout))
        self.consumer = w.Text(value=str(params.get("consumer_account_id") or ""), description="Consumer account id",
                               placeholder="12 digits", style=style, layout=dict(layout))
        region = params.get("region") or "us-east-1"
        self.region = w.Dropdown(options=sorted(set(REGIONS) | {region}), value=region, description="Region",
                                 style=style, layout=dict(layout))
        self.backend = w.Dropdown(options=list(BACKENDS), value=params.get("backend") or "offline",
                                  description="Backend", style=style, layout=dict(layout))
        self.message = w.HTML(value="")
        self.message.add_class("lab-form-message")
        for field in (self.producer, self.consumer, self.region, self.backend):
            field.observe(lambda _change: self.validate(), names="value")
        self.box = w.VBox([w.HTML("<b>Lab settings</b>"), self.producer, self.consumer, self.region, self.backend, self.message])
        self.box.add_class("lab-form")
        self.validate()

    def values(self) -> dict[str, Any]:
        """The parameters with the form's current values on top."""
        return {**self.params, "producer_account_id": self.producer.value.strip(),
                "consumer_account_id": self.consumer.value.strip(), "region": self.region.value,
                "backend": self.backend.value}

    def errors(self) -> dict[str, str]:
        """Field name → message for every invalid field (empty when the form is valid)."""
        found: dict[str, str] = {}
        ids = {}
        for name, field in (("producer_account_id", self.producer), ("consumer_account_id", self.consumer)):
            try:
                ids[name] = normalise_account_id(field.value, name)
            except ConfigError as exc:
                found[name] = str(exc)
        if len(ids) == 2 and ids["producer_account_id"] == ids["consumer_account_id"]:
            found["consumer_account_id"] = "the consumer account must differ from the producer account"
        if not found:
            try:
                make_config(**self.values())
            except ConfigError as exc:
                found["form"] = str(exc)
        return found

    def validate(self) -> bool:
        """Mark invalid fields red with a message; returns whether the form is valid."""
        errors = self.errors()
        for name, field in (("producer_account_id", self.producer), ("consumer_account_id", self.consumer)):
            field.layout.border = _BAD_BORDER if name in errors else _OK_BORDER
        if errors:
            items = "".join(f"<li>{msg}</li>" for msg in errors.values())
            self.message.value = f'<div class="lab-form-error" style="color:#cf222e"><ul>{items}</ul></div>'
        else:
            self.message.value = '<div class="lab-form-ok" style="color:#1a7f37">Settings look valid.</div>'
        return not errors

    def config(self) -> LabConfig:
        """The validated settings; raises :class:`ConfigError` naming the field to fix."""
        errors = self.errors()
        if errors:
            raise ConfigError("; ".join(errors.values()) + " (fix the form above, then run this cell again)")
        return make_config(**self.values())

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.box)


def lab_form(**params: Any) -> LabForm:
    """Build the settings form pre-filled from ``params``."""
    return LabForm(**params)
