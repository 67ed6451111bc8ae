"""A lesson's options (seed 000's other pages): its image, its starts, its probabilities, its
data set and training, each bounded to seconds of work."""

from __future__ import annotations

import sys
from pathlib import Path

from . import costexpr, optimizer, yamlfile
from .errors import DefinitionError
from .reader import Reader
from .records import (
    LESSON_ACTIVATIONS,
    LESSONS,
    MAX_LESSON_EPOCHS,
    MAX_LESSON_TRAINING,
    MAX_SEED,
    SQUARED_ERRORS,
    Lesson,
)
from .yamlfile import Unreadable, read_text
from .yamlfile import quoted as _show


class LessonReader(Reader):
    def lesson(self, data) -> Lesson:
        top = self.mapping(data, "", ("kind", "title", "decimals", "seed", "lesson",
                                      "language"), required=("title", "lesson"))
        language = self.language(top)
        kind = self.choice(top["kind"], "kind", ("backprop",) + LESSONS)
        common = {"source": self.source, "title": self.title(top["title"]), "kind": kind,
                  "decimals": self.whole(top.get("decimals", 4), "decimals", 0, 12),
                  "seed": self.whole(top.get("seed", 2026), "seed", 0, MAX_SEED),
                  "language": language}
        options = {
            "forward_matrix": ("image", "digit", "hidden", "activation"),
            "gradient_descent": ("starts", "learning_rate", "steps", "cost"),
            "loss_comparison": ("probabilities",),
            "digits_classifier": ("data", "hidden", "epochs", "batch_size", "learning_rate",
                                  "test_fraction", "squared_error", "grid", "misclassified",
                                  "compare_optimizer"),
        }[kind]
        required = () if kind == "digits_classifier" else options[:1]  # it has defaults
        opts = self.mapping(top["lesson"], "lesson", options, required=required)
        return Lesson(**common, **getattr(self, f"_{kind}")(opts))

    def _forward_matrix(self, opts) -> dict:
        digit = self.whole(opts.get("digit", 4), "lesson.digit", 0, 9)
        path = opts["image"]
        if not isinstance(path, str):
            self.fail("lesson.image", f"must be a file name, got {_show(path)}")
        full = Path(self.source).parent / path
        try:
            lines = yamlfile.lines_of(read_text(full, yamlfile.MAX_IMAGE_BYTES))
        except Unreadable as exc:
            self.fail("lesson.image", f"cannot read {full} ({exc})")
        rows = [line.split(",") for line in lines if line.strip() and not line.startswith("#")]
        match = [r for r in rows if r[0].strip() == str(digit)]
        if not match or len(match[0]) != 65:
            self.fail("lesson.image", f"{full} has no line for digit {digit} with 64 pixels")
        try:
            pixels = tuple(int(v) for v in match[0][1:])
        except ValueError:
            self.fail("lesson.image", f"{full}: pixels must be whole numbers 0..16")
        if any(not 0 <= v <= 16 for v in pixels):
            self.fail("lesson.image", f"{full}: pixels must be whole numbers 0..16")
        return {"image": pixels, "digit": digit,
                "hidden": self.whole(opts.get("hidden", 8), "lesson.hidden", 1, 16),
                "activation": self.choice(opts.get("activation", "sigmoid"), "lesson.activation",
                                          LESSON_ACTIVATIONS)}

    def _gradient_descent(self, opts) -> dict:
        text = opts.get("cost", Lesson.cost)
        try:
            poly = costexpr.read(text)
        except costexpr.CostError as exc:
            self.fail("lesson.cost", str(exc))
        if costexpr.degree(poly) < 2 or costexpr.degree(poly) % 2 or poly[-1] < 0:
            self.fail("lesson.cost", f"{text} has no lowest point: its highest power of w must "
                      "be even (2, 4, 6 or 8) with a positive number before it")
        starts = opts["starts"]
        if not isinstance(starts, list) or not 1 <= len(starts) <= 4:
            self.fail("lesson.starts", "must be a list of 1 to 4 starting points")
        starts = tuple(self.number(v, f"lesson.starts[{i}]") for i, v in enumerate(starts))
        if any(abs(v) > 10 for v in starts):
            self.fail("lesson.starts", "starting points must lie in [-10, 10]")
        rate = self.number(opts.get("learning_rate", 0.05), "lesson.learning_rate")
        if not 0 < rate <= 1:
            self.fail("lesson.learning_rate", f"must be in (0, 1], got {rate:g}")
        slope = costexpr.derivative(poly)
        steps = self.whole(opts.get("steps", 5), "lesson.steps", 1, 12)
        for i, w in enumerate(starts):
            if abs(costexpr.value(slope, w)) < 1e-9:
                self.fail(f"lesson.starts[{i}]", f"C′({w:g}) = 0 for {text}: a walk from there "
                          "never moves; start beside it")
            self._walk(poly, text, rate, starts[i], steps)
        return {"starts": starts, "learning_rate": rate, "cost": text,
                "steps": steps}

    def _walk(self, poly, text: str, rate: float, start: float, steps: int) -> None:
        """The sheet's walk from start settles in a valley within 5,000 steps, and each step it
        prints has a slope the sheet can check against finite differences; else refused."""
        slope, w, flips, last = costexpr.derivative(poly), start, 0, 0.0
        for k in range(5000):
            if k <= steps and not costexpr.checked_slope(poly, w)[2]:
                self.fail("lesson.cost", f"the slope of {text} at w = {w:g} (step {k} from "
                          f"{start:g}) cannot be checked in floating point: its numbers are too "
                          "far apart in size; use other numbers or another rate")
            step = rate * costexpr.value(slope, w)
            before, w = w, w - step
            flips += (w - before) * last < 0
            last = w - before
            if not abs(w) < 100:
                break
        if abs(w) < 100 and abs(costexpr.value(slope, w)) <= 1e-9:
            if not costexpr.checked_slope(poly, w)[2]:
                self.fail("lesson.cost", f"the slope of {text} where the walk from {start:g} "
                          "settles cannot be checked in floating point; use other numbers")
            return
        if abs(w) < 100 and flips == 0:
            self.fail("lesson.cost", f"{text} is too flat at its bottom: the walk from "
                      f"{start:g} creeps toward it without settling in 5,000 steps (its slope "
                      "is still past 10^-9), and a smaller rate only creeps slower; give the "
                      "cost a w^2 term at its lowest point, or a larger rate")
        self.fail("lesson.learning_rate", f"{rate:g} is too large for {text}: the walk from "
                  f"{start:g} does not settle in a valley; take a smaller one")

    def _loss_comparison(self, opts) -> dict:
        probs = opts["probabilities"]
        if not isinstance(probs, list) or not 1 <= len(probs) <= 8:
            self.fail("lesson.probabilities", "must be a list of 1 to 8 probabilities")
        probs = tuple(self.number(v, f"lesson.probabilities[{i}]") for i, v in enumerate(probs))
        if any(not 0 < p < 1 for p in probs):
            self.fail("lesson.probabilities", "each must lie strictly between 0 and 1")
        tiny = next((p for p in probs if p < sys.float_info.min), None)
        if tiny is not None:  # a subnormal: its slopes overflow before a word of the sheet
            self.fail("lesson.probabilities", f"{_show(tiny)} is nearer 0 than a number is "
                      f"worked to here ({sys.float_info.min:.3g}); the sheet's gradients "
                      "there would round to 0: give one further from 0")
        named: dict[str, float] = {}  # each probability asks four blanks named by it: SE(0.5)
        for p in probs:
            name = f"{p:g}"
            if name in named and named[name] == p:
                self.fail("lesson.probabilities", f"{_show(p)} is given twice; give each once")
            if name in named:
                self.fail("lesson.probabilities", f"{_show(named[name])} and {_show(p)} are one "
                          f"probability to the 6 digits its blanks are named by ({name}); give "
                          "them further apart")
            named[name] = p
        return {"probabilities": probs}

    def _digits_classifier(self, opts) -> dict:
        """A 64-h-10 network trained on a digits file, twice; bounded to seconds of training."""
        from . import dataset

        path = opts.get("data", "data/uci-digits.csv.gz")
        if not isinstance(path, str) or not path.strip():
            self.fail("lesson.data", f"must be a file name, got {_show(path)}")
        full = Path(self.source).parent / path
        try:
            examples = dataset.read(full)
        except DefinitionError as exc:
            where = f" ({exc.key})" if exc.key else ""
            self.fail("lesson.data", f"{full}{where}: {exc.problem}")
        hidden = self.whole(opts.get("hidden", 16), "lesson.hidden", 1, 64)
        epochs = self.whole(opts.get("epochs", 30), "lesson.epochs", 1, MAX_LESSON_EPOCHS)
        batch = self.whole(opts.get("batch_size", 32), "lesson.batch_size", 8, 512)
        rate = self.number(opts.get("learning_rate", 0.5), "lesson.learning_rate")
        if not 0 < rate <= 10:
            self.fail("lesson.learning_rate", f"must be in (0, 10], got {rate:g}")
        fraction = self.number(opts.get("test_fraction", 0.2), "lesson.test_fraction")
        if not 0.05 <= fraction <= 0.5:
            self.fail("lesson.test_fraction", f"must be from 0.05 to 0.5, got {fraction:g}")
        test = int(round(fraction * len(examples.labels)))
        if test < 10 or len(examples.labels) - test < batch:
            self.fail("lesson.data", f"{full} has {len(examples.labels)} digits: too few for a "
                      f"test set of at least 10 and a training set of at least one batch "
                      f"({batch})")
        grid = self.mapping(opts.get("grid", {}), "lesson.grid", ("hidden", "learning_rates"))
        sizes, rates = grid.get("hidden", [8, 16, 32]), grid.get("learning_rates", [0.1, 0.5, 2])
        for key, value in (("hidden", sizes), ("learning_rates", rates)):
            if not isinstance(value, list) or not 1 <= len(value) <= 4:
                self.fail(f"lesson.grid.{key}", f"must be a list of 1 to 4 values, got "
                          f"{_show(value)}")
        sizes = tuple(self.whole(h, f"lesson.grid.hidden[{i}]", 1, 64)
                      for i, h in enumerate(sizes))
        rates = tuple(self.number(r, f"lesson.grid.learning_rates[{i}]")
                      for i, r in enumerate(rates))
        for i, r in enumerate(rates):
            if not 0 < r <= 10:
                self.fail(f"lesson.grid.learning_rates[{i}]", f"must be in (0, 10], got {r:g}")
        for key, value in (("hidden", sizes), ("learning_rates", rates)):
            if len(set(value)) != len(value):
                self.fail(f"lesson.grid.{key}", "lists a value twice")
        compare = self._compare(opts, epochs)
        main = 2 + bool(compare)
        runs = main + 2 * len(sizes) * len(rates)
        if runs * epochs > MAX_LESSON_TRAINING:
            self.fail("lesson.epochs", f"{epochs} epochs for each of {runs} training runs "
                      f"({main}, and 2 for each of the grid's {len(sizes) * len(rates)} "
                      f"settings) are "
                      f"{runs * epochs:,} epochs; at most {MAX_LESSON_TRAINING:,} are allowed "
                      "(about 15 s)")
        return {"data": str(full), "hidden": hidden, "epochs": epochs, "batch_size": batch,
                "learning_rate": rate, "test_fraction": fraction,
                "squared_error": self.choice(opts.get("squared_error", "half_sse"),
                                             "lesson.squared_error", SQUARED_ERRORS),
                "grid_hidden": sizes, "grid_rates": rates,
                "misclassified": self.whole(opts.get("misclassified", 4),
                                            "lesson.misclassified", 0, 8), **compare}

    def _compare(self, lesson: dict, epochs: int) -> dict:
        """compare_optimizer: the cross-entropy network trained again with another optimizer
        (a definition's `optimizer:`), at its own learning rate; {} when not asked for (given
        empty, it is refused as a mapping of nothing: its settings were lost)."""
        if "compare_optimizer" not in lesson:
            return {}
        key = "lesson.compare_optimizer"
        opts = self.mapping(lesson["compare_optimizer"], key,
                            ("optimizer", "learning_rate", "epochs_asked"),
                            required=("optimizer", "learning_rate"))
        chosen = optimizer.read(opts["optimizer"], None, _Within(self, key))
        if chosen.name == "sgd":
            self.fail(f"{key}.optimizer.name", "sgd is the first run's own step; name the one "
                      "to compare it with: momentum, rmsprop or adam")
        rate = self.number(opts["learning_rate"], f"{key}.learning_rate")
        if not 0 < rate <= 10:
            self.fail(f"{key}.learning_rate", f"must be in (0, 10], got {rate:g}")
        asked = opts.get("epochs_asked", sorted({1, epochs}))
        if not isinstance(asked, list) or not 1 <= len(asked) <= 3:
            self.fail(f"{key}.epochs_asked", f"must be a list of 1 to 3 epochs, got "
                      f"{_show(asked)}")
        asked = tuple(self.whole(e, f"{key}.epochs_asked[{i}]", 1, epochs)
                      for i, e in enumerate(asked))
        if list(asked) != sorted(set(asked)):
            self.fail(f"{key}.epochs_asked", "must list different epochs, smallest first")
        return {"compare": chosen, "compare_rate": rate, "compare_epochs": asked}


class _Within:
    """The reader, for optimizer.read, with each refusal's key under `prefix`."""

    def __init__(self, reader: Reader, prefix: str):
        self.reader, self.prefix = reader, prefix

    def fail(self, key: str, problem: str):
        self.reader.fail(f"{self.prefix}.{key}", problem)

    def show(self, value) -> str:
        return self.reader.show(value)
