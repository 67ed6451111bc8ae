"""The shipped UCI digits (seed 000's data set): read whole and right, split reproducibly, and a
broken file refused with its name."""

import gzip

import numpy as np
import pytest

from symbackprop.definitions import dataset
from symbackprop.definitions.errors import DefinitionError

from .conftest import WORKSHEETS

DIGITS = WORKSHEETS / "data" / "uci-digits.csv.gz"


def test_the_digits_are_the_1797_images_seed_000_uses():
    d = dataset.read(DIGITS)
    assert d.inputs.shape == (1797, 64) and d.targets.shape == (1797, 10)
    # the class sizes scikit-learn documents for this copy (load_digits)
    assert np.bincount(d.labels).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    assert d.inputs.min() == 0 and d.inputs.max() == 1
    assert (d.targets.argmax(axis=1) == d.labels).all() and (d.targets.sum(axis=1) == 1).all()
    sample = dataset.read(WORKSHEETS / "data" / "uci-digits-sample.csv")  # first of each class
    for digit in range(10):
        first = np.flatnonzero(d.labels == digit)[0]
        assert (d.inputs[first] == sample.inputs[digit]).all()


def test_a_split_is_the_same_for_a_seed_and_covers_every_example_once():
    d = dataset.read(DIGITS)
    (train, test), (again, _) = d.split(0.2, seed=7), d.split(0.2, seed=7)
    assert (train.labels == again.labels).all() and len(test.labels) == round(0.2 * 1797)
    both = np.vstack([train.inputs, test.inputs])
    assert sorted(map(bytes, both)) == sorted(map(bytes, d.inputs))
    other, _ = d.split(0.2, seed=8)
    assert not (other.labels == train.labels).all()


# mtime=0: a gzip header holds its time, and each xdist worker collects these cases on its own
@pytest.mark.parametrize("content, words", [
    (b"not gzip at all", "not a gzip file"),
    (gzip.compress(b"1,2,3\n", mtime=0), "a label and 64 pixels"),
    (gzip.compress(b"11," + b",".join([b"0"] * 64) + b"\n", mtime=0),
     "label must be a whole number"),
    (gzip.compress(b"1," + b",".join([b"17"] * 64) + b"\n", mtime=0),
     "pixel must be a whole number"),
    (gzip.compress(b"1,x" + b",0" * 63 + b"\n", mtime=0), "line 1: the text 'x' is not a number"),
    (gzip.compress(b"0" * (dataset.MAX_TEXT + 1), mtime=0), "unpacks to more than 16 MiB"),
])
def test_a_broken_data_file_is_refused_with_its_name(content, words, tmp_path):
    bad = tmp_path / "bad.csv.gz"
    bad.write_bytes(content)
    with pytest.raises(DefinitionError) as refused:
        dataset.read(bad)
    assert str(bad) in str(refused.value) and words in str(refused.value)
