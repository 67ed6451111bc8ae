"""What a sheet asks and marks, an author's own labels, and what an author claims: each
named by a canonical name the network has."""

from __future__ import annotations

import re

from .canonical import LABEL, check_layered_name, check_name, example_of, resolve
from .reader import Reader
from .records import (
    CONVENTIONS,
    MAX_CLAIMED_LAYER_STEPS,
    MAX_CLAIMED_STEPS,
    MAX_CLAIMED_WORK,
    Network,
    parameters,
    too_many_layer_steps,
)
from .yamlfile import Printed, key_text
from .yamlfile import describe as _kind
from .yamlfile import quoted as _show


class AskedReader(Reader):
    def ask(self, value, network: Network) -> tuple[str, ...]:
        if not isinstance(value, list):
            self.fail("ask", f"must be a list of canonical names, got {_kind(value)}")
        asked = []
        for i, name in enumerate(value):
            if isinstance(name, str) and len(name) > 100:
                self.fail(f"ask[{i}]", f"{_show(name)} is not a canonical name")
            if self.examples and isinstance(name, str) and "@" not in name \
                    and re.match(r"(net|out|x|t)\[|J$", name):
                self._not_asked(i, name)  # not a batch's "name its example": that won't do either
            check_name(name, network, lambda p, i=i: self.fail(f"ask[{i}]", p),
                       examples=self.examples)
            if name.startswith(("dJ/dW", "dJ/db")):  # a gradient: asked by its parameter
                name = name[4:]
            if name[0] not in "Wb" and not example_of(name)[0].startswith("dJ/dnet"):
                self._not_asked(i, name)
            asked.append(name)
        return tuple(asked)

    def _not_asked(self, i: int, name: str) -> None:
        e = "@1" if self.examples else ""
        self.fail(f"ask[{i}]", f"'{name}': a worksheet asks for a weight's or bias's gradient "
                  f"(W[2][1][1] or dJ/dW[2][1][1]) or a neuron's δ (dJ{e}/dnet[2][1]{e}); the "
                  "forward pass and J are on every sheet")

    def points(self, value, network: Network) -> tuple[tuple[str, int], ...]:
        """Marks for a blank, by canonical name; a blank not named is worth 1."""
        if not isinstance(value, dict):
            self.fail("points", f"must map canonical names to whole marks, got {_kind(value)}")
        for name, marks in value.items():
            key = f"points.{key_text(name)}"
            check_name(name, network, lambda p, key=key: self.fail(key, p), updated=True,
                       examples=self.examples)
            self.whole(marks, key, 1, 100)
        return tuple(sorted(value.items()))

    def names(self, value, network: Network) -> dict[str, str]:
        """An author's own labels (w5, Err6, O4) for canonical names."""
        return self._labels(value, "w5, Err6 or O4", lambda canonical, key: check_name(
            canonical, network, lambda p: self.fail(key, p), updated=True,
            examples=self.examples))

    def _labels(self, value, like: str, check) -> dict[str, str]:
        """names: each label one word, each canonical name as `check` reads it."""
        if not isinstance(value, dict):
            self.fail("names", f"must map an author's label to a canonical name, got "
                      f"{_kind(value)}")
        for label, canonical in value.items():
            key = f"names.{key_text(label)}"
            if label == "J":  # a label stands for a canonical name; J is one already
                self.fail(key, "J is already a canonical name (the loss), not a label: claim "
                          "the loss as J, and give this quantity a label of its own")
            if not isinstance(label, str) or not LABEL.fullmatch(label):
                self.fail(key, "a label must be one word without '/', '[', ']' or '@' (like "
                          f"{like})")
            check(canonical, key)
        return dict(value)

    def conventions(self, value) -> tuple[tuple[str, str], ...]:
        convs = self.mapping(value, "conventions", tuple(CONVENTIONS))
        return tuple((k, self.choice(v, f"conventions.{k}", CONVENTIONS[k]))
                     for k, v in convs.items())

    def claimed(self, value, network: Network, names: dict[str, str]):
        if not isinstance(value, dict):
            self.fail("claimed", f"must be a mapping of canonical name to number, got "
                      f"{_kind(value)}")
        claims, labels, after, outs, seen = [], [], [], [], {}
        for written, number in value.items():
            key = f"claimed.{key_text(written)}"
            if written in ("loss_after_steps", "outputs_after_steps"):
                if not isinstance(number, dict):
                    self.fail(key, "must map a number of steps to what the author printed")
                for steps, v in number.items():
                    k = f"{key}.{steps}"
                    steps = self.whole(steps, k, 0, MAX_CLAIMED_STEPS)
                    examples = max(1, self.examples)
                    if steps * parameters(network) * examples > MAX_CLAIMED_WORK:
                        self.fail(k, f"{steps} steps of a network of {parameters(network)} "
                                  "parameters" + (f" on {examples} examples" if self.examples
                                                  else "") + " is too long to audit: at most "
                                  f"{MAX_CLAIMED_WORK} steps × parameters"
                                  + (" × examples" if self.examples else ""))
                    if too_many_layer_steps(steps, network.depth):  # train's bound too
                        self.fail(k, f"{steps} steps of a network of {network.depth} layers is "
                                  f"too long to audit: at most {MAX_CLAIMED_LAYER_STEPS:,} "
                                  "steps × layers")
                    if written == "outputs_after_steps" and self.examples:
                        self.fail(k, "a batch's outputs after training are one list per "
                                  "example: claim its loss_after_steps instead")
                    if written == "loss_after_steps":
                        after.append((steps, self.printed(v, k)))
                    else:
                        self.vector(v, k, network.layers[-1])
                        outs.append((steps, tuple(self.printed(x, f"{k}[{i}]")
                                                  for i, x in enumerate(v))))
                continue
            name = resolve(written, names) if isinstance(written, str) else written
            check_name(name, network, lambda p, key=key: self.fail(key, p), updated=True,
                       examples=self.examples)
            if name in seen and name in (written, seen[name]):  # two labels may: as printed
                self.fail(key, f"names the same quantity ({name}) as claimed.{seen[name]}; an "
                          "author who prints it twice is claimed under two labels (names:)")
            claims.append((name, self.printed(number, key)))
            if written != name and name not in seen:
                labels.append((name, written))
            seen.setdefault(name, written)
        return tuple(claims), tuple(labels), tuple(sorted(after)), tuple(sorted(outs))

    def layered_names(self, value, network) -> dict[str, str]:
        """An author's labels for a network on an image (K11 for K[1][1][1][1][1], ...)."""
        return self._labels(value, "K11, z12 or dJdK1",
                            lambda canonical, key: self.layered_name(canonical, network, key))

    def layered_claimed(self, value, network, names: dict[str, str]):
        """What an author printed of a network on an image: its quantities (net, out, J),
        derivatives dJ/d(...), and a parameter's `new` value or `delta` after one step."""
        if not isinstance(value, dict):
            self.fail("claimed", f"must be a mapping of canonical name to number, got "
                      f"{_kind(value)}")
        claims, labels, seen = [], [], {}
        for written, number in value.items():
            key = f"claimed.{key_text(written)}"
            if written in ("loss_after_steps", "outputs_after_steps"):
                self.fail(key, "training of a network on an image is not audited yet: claim "
                          "one step's figures (new K[...], delta K[...])")
            name = resolve(written, names) if isinstance(written, str) else written
            self.layered_name(name, network, key)
            if name in seen:
                self.fail(key, f"names the same quantity ({name}) as claimed.{seen[name]}")
            claims.append((name, self.printed(number, key)))
            if written != name:
                labels.append((name, written))
            seen[name] = written
        return tuple(claims), tuple(labels)

    def layered_name(self, name, network, key: str) -> None:
        def fail(problem):
            self.fail(key, problem)

        for prefix in ("new ", "delta "):
            if isinstance(name, str) and name.startswith(prefix):
                if not re.match(r"(K|W|b)\[", name[len(prefix):]):
                    fail(f"'{name}': only parameters (K, W, b) have a '{prefix.strip()}' "
                         "value after a step")
                check_layered_name(name[len(prefix):], network, fail, derivatives=False)
                return
        check_layered_name(name, network, fail)

    def printed(self, value, key: str) -> Printed:
        """A number an author printed, with its text (and so its decimals) kept."""
        number = self.number(value, key)
        return Printed(number, getattr(value, "text", None) or str(value))
