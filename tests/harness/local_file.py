"""A tiny throwaway dynamic resource that proves the engine harness: a text file on local disk.

It is real (it writes, reads back and deletes files), so drift can be made by editing the file, and it
lives in an importable module so its provider pickles by reference, like the package's own providers.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)

INPUTS = ("path", "content", "note")


class LocalFileProvider(ResourceProvider):
    label: str | None = None

    def configure(self, req: ConfigureRequest) -> None:
        # Set after unpickling, in the server: never part of the pickled provider.
        self.label = req.config.get("label")
        self._token = req.config.get("token")

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures = []
        path = news.get("path")
        if not isinstance(path, str) or not Path(path).is_absolute():
            failures.append(CheckFailure("path", f"path must be an absolute path, got {path!r}"))
        if "content" not in news:
            failures.append(CheckFailure("content", "content is required"))
        return CheckResult({k: news[k] for k in INPUTS if k in news}, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = [k for k in INPUTS if olds.get(k) != news.get(k)]
        return DiffResult(changes=bool(changed), replaces=[k for k in changed if k == "path"])

    def _outs(self, props: dict[str, Any]) -> dict[str, Any]:
        content = Path(props["path"]).read_text()
        return {
            **{k: props[k] for k in INPUTS if k in props},
            "content": content,
            "sha256": hashlib.sha256(content.encode()).hexdigest(),
            "label": self.label,
        }

    def create(self, props: dict[str, Any]) -> CreateResult:
        Path(props["path"]).write_text(props["content"])
        return CreateResult(props["path"], self._outs(props))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        if not Path(id_).exists():
            return ReadResult("", {})
        outs = self._outs({**props, "path": id_})
        return ReadResult(id_, outs, {k: outs[k] for k in INPUTS if k in outs})

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        Path(news["path"]).write_text(news["content"])
        return UpdateResult(self._outs(news))

    def delete(self, id_: str, _props: dict[str, Any]) -> None:
        Path(id_).unlink(missing_ok=True)


class LocalFile(Resource, module="harness", name="LocalFile"):
    path: pulumi.Output[str]
    content: pulumi.Output[str]
    sha256: pulumi.Output[str]
    label: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        path: pulumi.Input[str],
        content: pulumi.Input[str],
        note: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {"path": path, "content": content, "sha256": None, "label": None}
        if note is not None:
            props["note"] = note
        super().__init__(LocalFileProvider(), name, props, opts)
