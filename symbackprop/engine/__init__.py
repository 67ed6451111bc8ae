"""Stage 2, the engine: the mathematics. A definition's numbers (`sample`, the only randomness)
go into a SymPy graph of every neuron's net and out and the loss J (`graph`); the chain rule is
built from one small class per calculus rule (`steps`) into derivations that share each
neuron's δ (`derivation`); every number is evaluated (`evaluate`, `exact`) and verified three
ways against an independent NumPy evaluator and finite differences (`numeric`, `verify`); the
matrix form, the machine-checked proofs of the rules, mini-batch training on a data set, and
the verified results as text and JSON (`report`).
"""
