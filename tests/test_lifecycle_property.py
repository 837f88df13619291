"""Property-style test of lifecycle safety: random program edits interleaved with injected faults.

Each seed walks a sequence of programs over a few countries of the main account: resources are added,
removed, renamed (with and without aliases), their flags changed, and countries moved between a
``DialingPermissionCountry`` and a ``DialingPermissions`` listing. Before some runs a fault is injected (a
5xx on a write, a lost answer, a write Twilio accepts but does not apply) with a retry budget too small to
hide it. The properties, checked after every run:

- after a successful ``up``, Twilio equals the program for every flag it manages;
- after a failed one, Twilio equals the state the engine keeps for every resource it keeps (a partial
  state marked ``unverified`` excepted: it is re-read by the next run), or the error is a
  ``StateDivergedError`` listing the differences;
- after ``destroy``, every flag the stack ever managed is back to its restore point: the value before the
  stack first managed it. Where a country moved to a resource of another kind (no alias can carry that),
  the new resource may have recorded the value it found, which the old one had set: then the flag is back
  to its original value or to a value the program once gave it, never to anything else.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import pulumi
import pytest
from conftest import stack_config
from harness.engine import ProviderError
from pulumi_twilio_dialing import (
    CountryPermissionsArgs,
    DialingPermissionCountry,
    DialingPermissionCountryArgs,
    DialingPermissions,
    DialingPermissionsArgs,
)
from pulumi_twilio_dialing._permissions import FLAG_NAMES
from pulumi_twilio_dialing.emulator import Fault

COUNTRIES = ("GB", "FR", "DE", "LV", "NG")
STEPS = 12
BULK = "/v1/DialingPermissions/BulkCountryUpdates"
Key = tuple[str, str]


@dataclass
class Model:
    """The program: DialingPermissionCountry resources by name, and one DialingPermissions listing."""

    countries: dict[str, tuple[str, tuple[bool, bool, bool]]] = field(default_factory=dict)  # name -> iso, flags
    listing: dict[str, tuple[bool, bool, bool]] = field(default_factory=dict)  # iso -> flags
    listing_name: str = "bulk"
    aliases: dict[str, str] = field(default_factory=dict)  # new name -> old name, for the next run only

    def managed(self) -> dict[Key, bool]:
        wanted: dict[Key, bool] = {}
        for iso, triple in [*self.countries.values(), *self.listing.items()]:
            wanted |= {(iso, flag): value for flag, value in zip(FLAG_NAMES, triple, strict=True)}
        return wanted

    def free(self) -> list[str]:
        used = {iso for iso, _ in self.countries.values()} | set(self.listing)
        return [iso for iso in COUNTRIES if iso not in used]

    def program(self):
        countries = dict(self.countries)
        listing = dict(self.listing)
        aliases = dict(self.aliases)
        name = self.listing_name

        def run() -> None:
            for resource, (iso, triple) in sorted(countries.items()):
                opts = pulumi.ResourceOptions(
                    aliases=[pulumi.Alias(name=aliases[resource])] if resource in aliases else None
                )
                DialingPermissionCountry(resource, DialingPermissionCountryArgs(iso, *triple), opts)
            if listing:
                opts = pulumi.ResourceOptions(aliases=[pulumi.Alias(name=aliases[name])] if name in aliases else None)
                DialingPermissions(
                    name,
                    DialingPermissionsArgs(countries={iso: CountryPermissionsArgs(*t) for iso, t in listing.items()}),
                    opts,
                )

        return run


def _triple(rng: random.Random) -> tuple[bool, bool, bool]:
    return (rng.random() < 0.5, rng.random() < 0.3, rng.random() < 0.3)


def _edit(rng: random.Random, model: Model, moved: set[Key], counter: list[int]) -> str:
    """Apply one random edit to the model; returns what it did (for failure messages)."""
    model.aliases = {}
    counter[0] += 1
    choices = ["add", "flags", "remove", "rename", "rename-alias", "to-listing", "from-listing"]
    weights = [2, 5, 1, 1, 1, 1, 1]
    while True:
        [choice] = rng.choices(choices, weights)
        if choice == "add" and model.free():
            iso = rng.choice(model.free())
            model.countries[f"c{counter[0]}"] = (iso, _triple(rng))
            return f"add {iso}"
        if choice == "flags" and (model.countries or model.listing):
            if model.countries and (not model.listing or rng.random() < 0.5):
                name = rng.choice(sorted(model.countries))
                model.countries[name] = (model.countries[name][0], _triple(rng))
                return f"flags of {name}"
            iso = rng.choice(sorted(model.listing))
            model.listing[iso] = _triple(rng)
            return f"flags of {iso} in the listing"
        if choice == "remove" and model.countries:
            name = rng.choice(sorted(model.countries))
            del model.countries[name]
            return f"remove {name}"
        if choice in ("rename", "rename-alias") and model.countries:
            old = rng.choice(sorted(model.countries))
            new = f"c{counter[0]}"
            model.countries[new] = model.countries.pop(old)
            if choice == "rename-alias":
                model.aliases[new] = old
            else:
                moved.update((model.countries[new][0], flag) for flag in FLAG_NAMES)
            return f"{choice} {old} -> {new}"
        if choice == "to-listing" and model.countries:
            name = rng.choice(sorted(model.countries))
            iso, triple = model.countries.pop(name)
            model.listing[iso] = triple
            moved.update((iso, flag) for flag in FLAG_NAMES)
            return f"move {iso} into the listing"
        if choice == "from-listing" and model.listing:
            iso = rng.choice(sorted(model.listing))
            model.countries[f"c{counter[0]}"] = (iso, model.listing.pop(iso))
            moved.update((iso, flag) for flag in FLAG_NAMES)
            return f"move {iso} out of the listing"


def _fault(rng: random.Random) -> Fault | None:
    roll = rng.random()
    if roll < 0.25:
        return Fault("error", status=503, count=rng.choice([1, 1000]), after=rng.choice([0, 1]), path_prefix=BULK)
    if roll < 0.4:
        return Fault("drop", count=1, path_prefix=BULK)
    if roll < 0.55:
        return Fault("accept_not_apply", count=1, path_prefix=BULK)
    return None


def _live(backend, account: str) -> dict[Key, bool]:
    return {(iso, flag): getattr(backend.stored_flags(account, iso), flag) for iso in COUNTRIES for flag in FLAG_NAMES}


def _kept_matches_twilio(engine, live: dict[Key, bool]) -> list[str]:
    wrong = []
    for name, state in engine.state.items():
        outputs = state.outputs
        if outputs.get("unverified"):
            continue
        if "iso_code" in outputs:
            kept = {(outputs["iso_code"], f): outputs[f] for f in FLAG_NAMES}
        else:
            kept = {(iso, f): v for iso, flags in outputs["permissions"].items() for f, v in flags.items()}
        wrong += [f"{name} {k}: state {v}, Twilio {live[k]}" for k, v in kept.items() if k in live and live[k] != v]
    return wrong


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_edits_and_faults_keep_twilio_and_state_together(twilio_emulator, stack, seed):
    rng = random.Random(seed)
    backend, main = twilio_emulator.backend, twilio_emulator.main_account.sid
    for iso in COUNTRIES:  # a risky, varied starting table
        backend.set_flags(main, iso, **dict(zip(FLAG_NAMES, _triple(rng), strict=True)))
    original = _live(backend, main)
    engine = stack(config=stack_config(twilio_emulator, **{"twilio-dialing:retryTimeout": "0.001"}))
    model, moved, counter = Model(), set(), [0]
    model.countries = {f"start{i}": (iso, _triple(rng)) for i, iso in enumerate(COUNTRIES[:3])}
    ever: dict[Key, set[bool]] = {}
    history: list[str] = []

    for _ in range(STEPS):
        history.append(_edit(rng, model, moved, counter))
        fault = _fault(rng)
        if fault is not None:
            backend.faults.add(fault)
            history.append(f"  with fault {fault.kind} {fault.status} count={fault.count} after={fault.after}")
        try:
            engine.up(model.program())
        except ProviderError as error:
            history.append("  failed: " + error.details.strip().splitlines()[-1][:160])
            live = _live(backend, main)
            diverged = "StateDivergedError" in error.details
            assert diverged or not _kept_matches_twilio(engine, live), (history, _kept_matches_twilio(engine, live))
        else:
            live = _live(backend, main)
            wrong = {k: (v, live[k]) for k, v in model.managed().items() if live[k] != v}
            assert not wrong, (history, wrong)
            for key, value in model.managed().items():
                ever.setdefault(key, set()).add(value)
        finally:
            backend.faults.clear()

    backend.faults.clear()
    engine.up(model.program())  # converge anything a failure left, then tear down
    engine.destroy()
    assert engine.state == {}
    live = _live(backend, main)
    for key, value in live.items():
        if key not in ever or value == original[key]:
            continue
        assert key in moved and value in ever[key], (history, key, value, original[key])
