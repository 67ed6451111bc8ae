"""from_torch and compare_torch against PyTorch's own autograd: every supported activation and
loss, round trips to 1e-9, and models it cannot read refused by name."""

import pytest

import symbackprop

torch = pytest.importorskip("torch")
nn = torch.nn

X = [0.5, -0.3, 0.8]


def _model(*modules, seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(*modules)


def _autograd(model, targets, loss):
    """PyTorch's gradients by name, computed here with PyTorch's own loss classes."""
    m = _copy(model).double()
    out = m(torch.tensor([X], dtype=torch.float64))
    t = torch.tensor([targets], dtype=torch.float64)
    J = {"cross_entropy": lambda: (nn.CrossEntropyLoss()(out, t) if not isinstance(m[-1],
                                                                                    nn.Softmax)
                                   else -(t * torch.log(out)).sum()),
         "mse": lambda: nn.MSELoss()(out, t), "bce": lambda: nn.BCELoss()(out, t),
         "sse": lambda: ((out - t) ** 2).sum(),
         "half_sse": lambda: 0.5 * ((out - t) ** 2).sum()}[loss]()
    J.backward()
    return J.item(), _grads_of(m)


def _copy(model):
    import copy

    return copy.deepcopy(model)


CASES = {
    "sigmoid-half_sse": (lambda: _model(nn.Linear(3, 4), nn.Sigmoid(), nn.Linear(4, 2),
                                        nn.Sigmoid()), [0.2, 0.9], "half_sse"),
    "tanh-sse": (lambda: _model(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2), nn.Tanh()),
                 [0.2, -0.5], "sse"),
    "relu-mse": (lambda: _model(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 2), seed=3),
                 [0.3, -0.2], "mse"),
    "identity-mse-no-bias": (lambda: _model(nn.Linear(3, 4, bias=False), nn.Identity(),
                                            nn.Linear(4, 2, bias=False)), [1.0, 2.0], "mse"),
    "logits-cross_entropy": (lambda: _model(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 3)),
                             [0.0, 1.0, 0.0], "cross_entropy"),
    "softmax-cross_entropy": (lambda: _model(nn.Linear(3, 4), nn.Sigmoid(), nn.Linear(4, 3),
                                             nn.Softmax(dim=-1)), [0.0, 0.0, 1.0],
                              "cross_entropy"),
    "sigmoid-bce": (lambda: _model(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 1), nn.Sigmoid(),
                                   seed=1), [1.0], "bce"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_round_trip_gradients_equal_autograd(case):
    make, targets, loss = CASES[case]
    model = make()
    result = symbackprop.derive(symbackprop.from_torch(model, X, targets, loss=loss))
    J, grads = _autograd(model, targets, loss)
    assert result.loss == pytest.approx(J, rel=1e-9)
    assert set(result.grad) == set(grads)
    for name, g in grads.items():
        assert result.grad[name] == pytest.approx(g, rel=1e-9, abs=1e-15), name


def test_weights_biases_and_bias_style_come_from_the_model():
    model = CASES["tanh-sse"][0]()
    defn = symbackprop.from_torch(model, torch.tensor(X), [0.2, -0.5], loss="sse")
    assert defn.network.layers == (3, 4, 2) and defn.network.activations == ("tanh", "tanh")
    assert defn.network.bias == "per_neuron"
    assert defn.values.weights[1][1][3] == pytest.approx(model[2].weight[1, 3].item())
    assert defn.values.biases[0][2] == pytest.approx(model[0].bias[2].item())
    bare = CASES["identity-mse-no-bias"][0]()
    assert symbackprop.from_torch(bare, X, [1.0, 2.0], loss="mse").network.bias == "none"


@pytest.mark.parametrize("model, loss, key, words", [
    (lambda: nn.Sequential(nn.Linear(3, 2), nn.GELU(), nn.Linear(2, 1)), "mse", "model[1]",
     "GELU is not supported"),
    (lambda: nn.Sequential(nn.Conv1d(1, 1, 2)), "mse", "model[0]", "Conv1d is not supported"),
    (lambda: nn.Sequential(nn.Linear(3, 2), nn.Softmax(dim=-1), nn.Linear(2, 2)),
     "cross_entropy", "model[1]", "must be the last"),
    (lambda: nn.Sequential(nn.Linear(3, 2), nn.Linear(3, 2)), "mse", "model[1]",
     "takes 3 inputs but model[0] gives 2"),
    (lambda: nn.Sequential(nn.Linear(3, 2), nn.Sigmoid(), nn.Linear(2, 2, bias=False)), "mse",
     "model[2]", "has no bias while other layers have one"),
    (lambda: nn.Sequential(nn.Linear(3, 2), nn.Sigmoid()), "bce", "loss", "one output"),
    (lambda: nn.Sequential(nn.Linear(3, 2), nn.Sigmoid()), "hinge", "loss", "must be one of"),
    (lambda: nn.Linear(3, 2), "mse", "model", "must be an nn.Sequential"),
])
def test_what_it_cannot_read_is_refused_by_name(model, loss, key, words):
    with pytest.raises(symbackprop.DefinitionError) as refused:
        symbackprop.from_torch(model(), X, [0.0, 1.0], loss=loss)
    assert refused.value.key == key and words in refused.value.problem


def test_targets_of_the_wrong_size_are_refused():
    with pytest.raises(symbackprop.DefinitionError, match="targets: must have 2 numbers"):
        symbackprop.from_torch(CASES["tanh-sse"][0](), X, [1.0], loss="sse")
    with pytest.raises(symbackprop.DefinitionError,
                       match=r"inputs\[0\]: must be a number, got the text 'a'"):
        symbackprop.from_torch(CASES["tanh-sse"][0](), ["a", "b", "c"], [1.0, 0.0], loss="sse")


def test_a_model_too_big_for_a_page_derives_but_prints_no_worksheet():
    big = _model(nn.Linear(40, 20), nn.Sigmoid(), nn.Linear(20, 2))
    defn = symbackprop.from_torch(big, [0.1] * 40, [0.0, 1.0], loss="mse")
    assert len(symbackprop.derive(defn).grad) == 40 * 20 + 20 + 20 * 2 + 2
    with pytest.raises(ValueError, match="too big to print"):
        symbackprop.worksheet(defn)


@pytest.mark.parametrize("case", ["sigmoid-half_sse", "logits-cross_entropy", "relu-mse"])
def test_compare_shows_each_factor_beside_autograds_own(case):
    make, targets, loss = CASES[case]
    model = make()
    shown = symbackprop.compare_torch(model, X, targets, loss=loss, weight="W[1][2][3]")
    J, grads = _autograd(model, targets, loss)
    assert shown.loss[1] == pytest.approx(J, rel=1e-12)
    assert {p: b for p, _, b in shown.gradients} == pytest.approx(grads, rel=1e-12)
    names = [n for n, _, _ in shown.chain]
    assert names[-1] == "dnet[1][2]/dW[1][2][3]"
    product = 1.0
    for name, ours, theirs in shown.chain:
        assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-15), name
        product *= theirs
    assert product == pytest.approx(grads["W[1][2][3]"], rel=1e-9)  # autograd's factors chain
    assert dict((n, b) for n, _, b in shown.chain)["dnet[1][2]/dW[1][2][3]"] == \
        pytest.approx(X[2])  # the input the weight multiplies
    assert shown.max_rel_diff < 1e-9
    assert "PyTorch autograd" in shown._repr_html_() and "dJ/dW[1][2][3]" in repr(shown)


def _grads_of(model):
    grads, layer = {}, 0
    for module in model:
        if isinstance(module, nn.Linear):
            layer += 1
            for j, row in enumerate(module.weight.grad.tolist(), start=1):
                for k, g in enumerate(row, start=1):
                    grads[f"W[{layer}][{j}][{k}]"] = g
            if module.bias is not None:
                for j, g in enumerate(module.bias.grad.tolist(), start=1):
                    grads[f"b[{layer}][{j}]"] = g
    return grads


BATCH = [[0.5, -0.3, 0.8], [-0.2, 0.9, 0.1], [0.7, 0.4, -0.6], [0.0, -0.8, 0.3]]


@pytest.mark.parametrize("loss, make, targets, reduction", [
    ("cross_entropy", lambda: _model(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 3)),
     torch.tensor([2, 0, 1, 1]), "mean"),
    ("cross_entropy", lambda: _model(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 3)),
     torch.tensor([2, 0, 1, 1]), "sum"),
    ("mse", lambda: _model(nn.Linear(3, 4), nn.Sigmoid(), nn.Linear(4, 2), seed=2),
     torch.tensor([[0.1, 0.9], [0.5, 0.5], [0.0, 1.0], [0.3, 0.2]], dtype=torch.float64),
     "mean"),
    ("mse", lambda: _model(nn.Linear(3, 4), nn.Sigmoid(), nn.Linear(4, 2), seed=2),
     torch.tensor([[0.1, 0.9], [0.5, 0.5], [0.0, 1.0], [0.3, 0.2]], dtype=torch.float64),
     "sum"),
    ("bce", lambda: _model(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 1), nn.Sigmoid(), seed=1),
     torch.tensor([[1.0], [0.0], [1.0], [0.0]]), "mean"),
])
def test_a_batch_with_pytorchs_reduction_equals_autograd(loss, make, targets, reduction):
    """Inputs of shape (E, n) are a batch; J is PyTorch's mean (its default) or sum, and every
    gradient equals autograd's through PyTorch's own loss classes."""
    model = make()
    # float64 inputs: float32 ones would be read as the float32 numbers they are
    defn = symbackprop.from_torch(model, torch.tensor(BATCH, dtype=torch.float64), targets,
                                  loss=loss, reduction=reduction)
    assert len(defn.values.examples) == 4 and defn.batch_loss == reduction
    result = symbackprop.derive(defn)
    m = _copy(model).double()
    out = m(torch.tensor(BATCH, dtype=torch.float64))
    criterion = {"cross_entropy": nn.CrossEntropyLoss, "mse": nn.MSELoss,
                 "bce": nn.BCELoss}[loss](reduction=reduction)
    J = criterion(out, targets if loss == "cross_entropy" else targets.double())
    J.backward()
    assert result.loss == pytest.approx(J.item(), rel=1e-9)
    grads = _grads_of(m)
    assert set(result.grad) == set(grads)
    for name, g in grads.items():
        assert result.grad[name] == pytest.approx(g, rel=1e-9, abs=1e-15), name


def test_a_class_index_is_made_one_hot():
    """CrossEntropyLoss takes the class index: torch.tensor(1), or a plain 1."""
    model = CASES["logits-cross_entropy"][0]()
    for target in (torch.tensor(1), 1):
        defn = symbackprop.from_torch(model, X, target, loss="cross_entropy")
        assert defn.values.targets == (0.0, 1.0, 0.0)
    m = _copy(model).double()
    J = nn.CrossEntropyLoss()(m(torch.tensor([X], dtype=torch.float64)), torch.tensor([1]))
    J.backward()
    result = symbackprop.derive(symbackprop.from_torch(model, X, torch.tensor(1)))
    assert result.loss == pytest.approx(J.item(), rel=1e-12)
    for name, g in _grads_of(m).items():
        assert result.grad[name] == pytest.approx(g, rel=1e-9, abs=1e-15), name
    shown = symbackprop.compare_torch(model, X, torch.tensor(1), loss="cross_entropy")
    assert shown.max_rel_diff < 1e-9


@pytest.mark.parametrize("inputs, targets, reduction, words", [
    (X, torch.tensor(3), "mean", "class index 3 is not one of the 3 classes"),
    (BATCH, torch.tensor([0, 1]), "mean", "one class index for each of the 4 examples, got 2"),
    (X, torch.tensor(1), "avg", "reduction: must be mean or sum"),
])
def test_bad_class_indices_and_reductions_are_refused(inputs, targets, reduction, words):
    model = CASES["logits-cross_entropy"][0]()
    with pytest.raises(symbackprop.DefinitionError, match=words):
        symbackprop.from_torch(model, torch.tensor(inputs), targets, reduction=reduction)
    if reduction == "mean" and targets.dim() == 0:
        with pytest.raises(symbackprop.DefinitionError, match="compare_torch puts one"):
            symbackprop.compare_torch(model, torch.tensor(BATCH), torch.tensor([0, 1, 2, 0]))
