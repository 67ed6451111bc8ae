"""The optimizers step for step against torch.optim (SGD with momentum and Nesterov, RMSprop,
Adam; weight decay on every parameter or on the weights only; biases fixed), several steps on
random dense networks and networks on an image, in float64, to 1e-12."""

import numpy as np
import pytest

from symbackprop.definitions.definition import Network
from symbackprop.definitions.optimizer import Optimizer
from symbackprop.engine import descent
from symbackprop.engine.sample import instance

from .test_conv_torch import random_definition, torch_loss, torch_model
from .test_torch import NETWORKS, _random

torch = pytest.importorskip("torch")

OPTIMIZERS = [
    Optimizer("sgd"),
    Optimizer("sgd", weight_decay=0.05),
    Optimizer("momentum", momentum=0.9),
    Optimizer("momentum", momentum=0.8, nesterov=True, weight_decay=0.01),
    Optimizer("rmsprop", alpha=0.9, epsilon=1e-6),
    Optimizer("rmsprop", weight_decay=0.1, decay_biases=False),
    Optimizer("adam"),
    Optimizer("adam", beta1=0.8, beta2=0.99, epsilon=1e-4, weight_decay=0.02),
]
STEPS = 5


def torch_optimizer(opt: Optimizer, lr: float, weights, biases):
    """The same optimizer in torch.optim: a parameter group without decay for the biases when
    weight decay leaves them out."""
    if opt.decay_biases:
        groups = [{"params": weights + biases}]
    else:
        groups = [{"params": weights}, {"params": biases, "weight_decay": 0.0}]
    groups = [g for g in groups if g["params"]]
    if opt.name in ("sgd", "momentum"):
        return torch.optim.SGD(groups, lr=lr, momentum=opt.momentum, nesterov=opt.nesterov,
                               weight_decay=opt.weight_decay)
    if opt.name == "rmsprop":
        return torch.optim.RMSprop(groups, lr=lr, alpha=opt.alpha, eps=opt.epsilon,
                                   weight_decay=opt.weight_decay)
    return torch.optim.Adam(groups, lr=lr, betas=(opt.beta1, opt.beta2), eps=opt.epsilon,
                            weight_decay=opt.weight_decay)


def _close(ours: np.ndarray, theirs: np.ndarray, what: str) -> None:
    scale = np.maximum(np.abs(theirs), 1.0)
    worst = np.max(np.abs(ours - theirs) / scale)
    assert worst <= 1e-12, f"{what}: {worst:.3g}"


def _dense_torch(inst):
    """Weights and biases as torch leaves, and the loss as a function of them."""
    from .test_torch import ACT

    v, net = inst.values, inst.network
    W = [torch.tensor(m, dtype=torch.float64, requires_grad=True) for m in v.weights]
    b = [] if net.bias == "none" else [torch.tensor(x, dtype=torch.float64, requires_grad=True)
                                       for x in v.biases]
    x, t = (torch.tensor(a, dtype=torch.float64) for a in (v.inputs, v.targets))

    def loss():
        a = x
        for l, w in enumerate(W):
            z = w @ a + (b[l] if b else 0)
            a = ACT[net.activations[l]](z)
        if net.loss == "cross_entropy" and net.activations[-1] == "sigmoid":
            return -(t * torch.log(a)).sum()  # −Σ t ln y of sigmoid outputs
        return torch_loss(net.loss, a if net.activations[-1] != "softmax" else z, t)
    return W, b, loss


@pytest.mark.parametrize("opt", OPTIMIZERS, ids=lambda o: f"{o.name}-{o.weight_decay}")
@pytest.mark.parametrize("net", NETWORKS[:6], ids=lambda n: "-".join(map(str, n.layers)))
def test_dense_networks_step_as_torch_optim(net: Network, opt: Optimizer):
    from dataclasses import replace

    inst = replace(_random(net, 7), optimizer=opt, learning_rate=0.05)
    ours = descent.train(inst, STEPS)
    W, b, loss = _dense_torch(inst)
    optim = torch_optimizer(opt, inst.learning_rate, W, b)
    for _ in range(STEPS):
        optim.zero_grad()
        J = loss()
        J.backward()
        optim.step()
    theirs = np.concatenate([w.detach().numpy().ravel() for w in W + b])
    from symbackprop.engine import numeric

    _close(numeric.flatten(ours.params), theirs, "parameters")
    if opt.name != "sgd":
        state = optim.state
        for key, name in {"momentum_buffer": "velocity", "square_avg": "square_avg",
                          "exp_avg": "m", "exp_avg_sq": "v"}.items():
            if name in ours.states[-1]:
                buffers = np.concatenate([state[p][key].numpy().ravel() for p in W + b])
                _close(ours.states[-1][name], buffers, name)
    assert ours.history[-1] == pytest.approx(loss().item(), rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("opt", OPTIMIZERS[2::2], ids=lambda o: o.name)
@pytest.mark.parametrize("seed", [3, 9, 14])
def test_networks_on_an_image_step_as_torch_optim(seed: int, opt: Optimizer):
    from dataclasses import replace

    from symbackprop.engine import convnumeric as cn

    inst = replace(instance(random_definition(seed)), optimizer=opt, learning_rate=0.05)
    ours = descent.train(inst, STEPS)
    model = torch_model(inst)
    params = [p for p in model.parameters()]
    weights = [p for p in params if p.dim() > 1]
    biases = [p for p in params if p.dim() == 1]
    optim = torch_optimizer(opt, inst.learning_rate, weights, biases)
    x, t = torch.tensor(cn.image(inst)), torch.tensor(cn.targets(inst))
    for _ in range(STEPS):
        optim.zero_grad()
        torch_loss(inst.network.loss, model(x), t).backward()
        optim.step()
    # the graph's order: every kernel and weight layer by layer, then every bias
    theirs = np.concatenate([p.detach().numpy().ravel() for p in weights + biases])
    _close(cn.flatten(ours.params), theirs, "parameters")


@pytest.mark.parametrize("opt", OPTIMIZERS[1:], ids=lambda o: f"{o.name}-{o.weight_decay}")
def test_derived_steps_are_torch_optims_steps(opt: Optimizer):
    """derive --steps: each step's quantities worked from the rules' SymPy forms, from a
    gradient derived and verified again at every step, against torch.optim's three steps."""
    from dataclasses import replace

    from symbackprop.engine import convnumeric as cn
    from symbackprop.engine.convverify import run
    from symbackprop.engine.optimize import optimize

    defn = replace(random_definition(9), optimizer=opt, learning_rate=0.05)
    inst = replace(instance(defn), optimizer=opt, learning_rate=0.05)
    steps = optimize(defn, run(defn, inst), 3)
    model = torch_model(inst)
    params = list(model.parameters())
    weights = [p for p in params if p.dim() > 1]
    biases = [p for p in params if p.dim() == 1]
    optim = torch_optimizer(opt, inst.learning_rate, weights, biases)
    x, t = torch.tensor(cn.image(inst)), torch.tensor(cn.targets(inst))
    for _ in range(3):
        optim.zero_grad()
        torch_loss(inst.network.loss, model(x), t).backward()
        optim.step()
    names = list(steps[-1].new)
    ours = np.array([steps[-1].new[n] for n in names])
    theirs = np.concatenate([p.detach().numpy().ravel() for p in weights + biases])
    _close(ours, theirs, "parameters after 3 derived steps")
    buffers = {"momentum_buffer": "velocity", "square_avg": "square_avg", "exp_avg": "m",
               "exp_avg_sq": "v"}
    for key, name in buffers.items():
        if name in steps[-1].state:
            state = np.concatenate([optim.state[p][key].numpy().ravel() for p in weights + biases])
            _close(np.array([steps[-1].state[name][n] for n in names]), state, name)


def test_train_epochs_with_adam_takes_torch_optims_steps_on_the_same_batches():
    """train --epochs with an optimizer: one epoch of mini-batches on the digits against
    torch.optim.Adam with weight decay on the same start and batches."""
    from symbackprop.definitions import dataset
    from symbackprop.engine import training
    from symbackprop.engine.sample import generator

    from .conftest import WORKSHEETS

    net = Network((64, 8, 10), ("tanh", "softmax"), "cross_entropy", "per_neuron")
    digits = dataset.read(WORKSHEETS / "data" / "uci-digits.csv.gz")
    opt = Optimizer("adam", beta2=0.99, weight_decay=0.001)
    seed, batch, rate = 4, 64, 0.01
    run = training.train(net, digits, epochs=1, batch_size=batch, learning_rate=rate,
                         seed=seed, verify_first=False, optimizer=opt)
    train_set, _ = digits.split(0.2, seed)
    rng = generator(seed, 0)
    start = training.initial(net, rng)
    model = torch.nn.Sequential(torch.nn.Linear(64, 8), torch.nn.Tanh(),
                                torch.nn.Linear(8, 10)).double()
    with torch.no_grad():
        for layer, W, b in zip((model[0], model[2]), start.W, start.b):
            layer.weight[:] = torch.from_numpy(W)
            layer.bias[:] = torch.from_numpy(b)
    adam = torch_optimizer(opt, rate, [model[0].weight, model[2].weight],
                           [model[0].bias, model[2].bias])
    X, T = torch.from_numpy(train_set.inputs), torch.from_numpy(train_set.targets)
    order = rng.permutation(len(train_set.labels))
    for i in range(0, len(order), batch):
        rows = torch.from_numpy(order[i:i + batch])
        adam.zero_grad()
        torch.nn.functional.cross_entropy(model(X[rows]), T[rows]).backward()
        adam.step()
    for ours, layer in zip(run.params.W + run.params.b, (model[0].weight, model[2].weight,
                                                         model[0].bias, model[2].bias)):
        _close(ours.ravel(), layer.detach().numpy().ravel(), "parameters")
    assert run.steps == -(-len(order) // batch) and set(run.state) == {"m", "v"}
