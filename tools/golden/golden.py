#!/usr/bin/env python3
"""Golden values for Engine.Tests/Golden, computed in float64 with the Python standard library only.

Nothing here uses DeepGpu: every op is written out from its definition (the book's layers and update
rules), so a mistake shared by an engine kernel and the engine's own scalar reference shows up against it.

    python3 tools/golden/golden.py            check: recompute every file's outputs from its inputs, compare
    python3 tools/golden/golden.py --write    write the files that are missing or do not reproduce

Inputs are read back from a file whose input names and shapes fit its case, so the committed values stay
the tests' values; only a new case (or one whose input shapes changed) draws inputs, from a Random seeded
with its name.
"""

import argparse
import json
import math
import os
import random
import sys

DECIMALS = 15  # what the files store; recomputed outputs must agree to within this rounding
TOLERANCE = 1e-13  # relative to max(1, |value|): float64 round-off and the 15-decimal rounding, far below float32's

# --- arrays: flat row-major lists with a shape ----------------------------------------------------------


def size(shape):
    return math.prod(shape)


def zeros(shape):
    return [0.0] * size(shape)


# --- layers: forward and backward of each, from its definition ----------------------------------------


def affine_forward(x, w, b, n, d_in, d_out):
    """y = x·W + b with W (in, out)."""
    return [math.fsum(x[i * d_in + k] * w[k * d_out + j] for k in range(d_in)) + b[j]
            for i in range(n) for j in range(d_out)]


def affine_backward(x, w, dy, n, d_in, d_out):
    dx = [math.fsum(dy[i * d_out + j] * w[k * d_out + j] for j in range(d_out))
          for i in range(n) for k in range(d_in)]
    dw = [math.fsum(x[i * d_in + k] * dy[i * d_out + j] for i in range(n))
          for k in range(d_in) for j in range(d_out)]
    db = [math.fsum(dy[i * d_out + j] for i in range(n)) for j in range(d_out)]
    return dx, dw, db


def relu_forward(x):
    return [v if v > 0 else 0.0 for v in x]


def relu_backward(x, dy):
    # The book's mask is x <= 0, so the derivative at 0 is 0.
    return [g if v > 0 else 0.0 for v, g in zip(x, dy)]


def sigmoid(x, dy):
    y = [1.0 / (1.0 + math.exp(-v)) for v in x]
    return y, [g * s * (1.0 - s) for s, g in zip(y, dy)]


def tanh(x, dy):
    y = [math.tanh(v) for v in x]
    return y, [g * (1.0 - t * t) for t, g in zip(y, dy)]


def softmax_with_loss(logits, labels, n, classes):
    """Softmax, mean cross-entropy over the batch (via log-sum-exp), dlogits = (softmax − onehot) / N."""
    p, losses, dl = [], [], []
    for i in range(n):
        row = logits[i * classes:(i + 1) * classes]
        m = max(row)
        e = [math.exp(v - m) for v in row]
        s = math.fsum(e)
        label = int(labels[i])
        probs = [v / s for v in e]
        p += probs
        losses.append(m + math.log(s) - row[label])
        dl += [(q - (1.0 if j == label else 0.0)) / n for j, q in enumerate(probs)]
    return p, math.fsum(losses) / n, dl


def sum_squared(y, t, n):
    """0.5·Σ(y − t)² / N and its gradient with respect to y."""
    return 0.5 * math.fsum((a - b) ** 2 for a, b in zip(y, t)) / n, [(a - b) / n for a, b in zip(y, t)]


def out_size(h, k, stride, pad):
    return (h + 2 * pad - k) // stride + 1


def conv_taps(xs, ws, stride, pad, ni, fi, oy, ox):
    """(x index, W index) of every tap of output (ni, fi, oy, ox) that falls inside the image."""
    _, c, h, wd = xs
    _, _, kh, kw = ws
    for ci in range(c):
        for i in range(kh):
            yy = oy * stride + i - pad
            if 0 <= yy < h:
                for j in range(kw):
                    xx = ox * stride + j - pad
                    if 0 <= xx < wd:
                        yield ((ni * c + ci) * h + yy) * wd + xx, ((fi * c + ci) * kh + i) * kw + j


def conv_outputs(xs, ws, stride, pad):
    """Every output position of a convolution of x (N, C, H, W) with filters (F, C, kh, kw), in order."""
    oh, ow = out_size(xs[2], ws[2], stride, pad), out_size(xs[3], ws[3], stride, pad)
    shape = (xs[0], ws[0], oh, ow)
    positions = [(ni, fi, oy, ox) for ni in range(xs[0]) for fi in range(ws[0]) for oy in range(oh) for ox in range(ow)]
    return positions, shape


def conv_forward(x, xs, w, ws, b, stride, pad):
    """Cross-correlation (as the book's im2col) plus a bias per filter."""
    positions, shape = conv_outputs(xs, ws, stride, pad)
    y = [math.fsum(x[xi] * w[wi] for xi, wi in conv_taps(xs, ws, stride, pad, *o)) + b[o[1]] for o in positions]
    return y, shape


def conv_backward(x, xs, w, ws, dy, stride, pad):
    positions, _ = conv_outputs(xs, ws, stride, pad)
    dx_terms = [[] for _ in x]
    dw_terms = [[] for _ in w]
    db_terms = [[] for _ in range(ws[0])]
    for o, g in zip(positions, dy):
        db_terms[o[1]].append(g)
        for xi, wi in conv_taps(xs, ws, stride, pad, *o):
            dx_terms[xi].append(g * w[wi])
            dw_terms[wi].append(g * x[xi])
    return [math.fsum(t) for t in dx_terms], [math.fsum(t) for t in dw_terms], [math.fsum(t) for t in db_terms]


def pool_windows(xs, k, stride):
    """The input indices of every pooling window of (N, C, H, W), no padding, in output order."""
    n, c, h, wd = xs
    oh, ow = out_size(h, k, stride, 0), out_size(wd, k, stride, 0)
    windows = [[(plane * h + oy * stride + i) * wd + ox * stride + j for i in range(k) for j in range(k)]
               for plane in range(n * c) for oy in range(oh) for ox in range(ow)]
    return windows, (n, c, oh, ow)


def pool_forward(x, xs, mode, k, stride):
    windows, shape = pool_windows(xs, k, stride)
    if mode == "max":
        return [max(x[i] for i in win) for win in windows], shape
    return [math.fsum(x[i] for i in win) / len(win) for win in windows], shape


def pool_backward(x, xs, dy, mode, k, stride):
    """Max sends each gradient to its window's maximum; average spreads it evenly."""
    windows, _ = pool_windows(xs, k, stride)
    terms = [[] for _ in x]
    for win, g in zip(windows, dy):
        if mode == "max":
            terms[max(win, key=lambda i: x[i])].append(g)
        else:
            for i in win:
                terms[i].append(g / len(win))
    return [math.fsum(t) for t in terms]


def batch_norm(x, xs, gamma, beta, dy, running_mean, running_var, eps, momentum):
    """Training mode, biased batch variance; per feature for (N, D), per channel for (N, C, H, W)."""
    n, ch = xs[0], xs[1]
    inner = size(xs[2:])
    y, dx = zeros(xs), zeros(xs)
    dgamma, dbeta, mean_after, var_after = [], [], [], []
    for c in range(ch):
        idx = [(i * ch + c) * inner + k for i in range(n) for k in range(inner)]
        m = len(idx)
        mu = math.fsum(x[i] for i in idx) / m
        var = math.fsum((x[i] - mu) ** 2 for i in idx) / m
        std = math.sqrt(var + eps)
        xhat = {i: (x[i] - mu) / std for i in idx}
        sum_dy = math.fsum(dy[i] for i in idx)
        sum_dy_xhat = math.fsum(dy[i] * xhat[i] for i in idx)
        for i in idx:
            y[i] = gamma[c] * xhat[i] + beta[c]
            dx[i] = gamma[c] / std * (dy[i] - sum_dy / m - xhat[i] * sum_dy_xhat / m)
        dgamma.append(sum_dy_xhat)
        dbeta.append(sum_dy)
        mean_after.append(momentum * running_mean[c] + (1 - momentum) * mu)
        var_after.append(momentum * running_var[c] + (1 - momentum) * var)
    return y, dx, dgamma, dbeta, mean_after, var_after


# --- optimizers: the book's update rules (common/optimizer.py) -------------------------------------------


def optimize(op, params, p0, grads):
    """Steps from p0 with grads[t]; returns the parameter after each step, one row per step."""
    p = list(p0)
    d = len(p)
    v, h = [0.0] * d, [0.0] * d  # velocity (or Adam's first moment), squared-gradient accumulator
    lr = params["lr"]
    after = []
    for t in range(1, len(grads) // d + 1):
        g = grads[(t - 1) * d:t * d]
        for i in range(d):
            if op == "SGD":
                p[i] -= lr * g[i]
            elif op == "Momentum":
                v[i] = params["momentum"] * v[i] - lr * g[i]
                p[i] += v[i]
            elif op == "Nesterov":
                m = params["momentum"]
                v[i] = m * v[i] - lr * g[i]
                p[i] += m * m * v[i] - (1 + m) * lr * g[i]
            elif op == "AdaGrad":
                h[i] += g[i] * g[i]
                p[i] -= lr * g[i] / (math.sqrt(h[i]) + params["eps"])
            elif op == "RMSprop":
                h[i] = params["decay"] * h[i] + (1 - params["decay"]) * g[i] * g[i]
                p[i] -= lr * g[i] / (math.sqrt(h[i]) + params["eps"])
            elif op == "Adam":
                b1, b2 = params["beta1"], params["beta2"]
                lr_t = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
                v[i] += (1 - b1) * (g[i] - v[i])
                h[i] += (1 - b2) * (g[i] * g[i] - h[i])
                p[i] -= lr_t * v[i] / (math.sqrt(h[i]) + params["eps"])
            else:
                raise ValueError(f"unknown optimizer {op}")
        after += p
    return after


# --- what each case's file holds: inputs in, outputs out --------------------------------------------------
# Each run_* takes the case's params and its inputs (name -> (data, shape)) and returns the outputs in the
# order the file lists them.


def run_affine(params, inp):
    (x, xs), (w, ws), (b, _), (dy, _) = inp["x"], inp["W"], inp["b"], inp["dy"]
    n, d_in, d_out = xs[0], ws[0], ws[1]
    dx, dw, db = affine_backward(x, w, dy, n, d_in, d_out)
    return {"y": (affine_forward(x, w, b, n, d_in, d_out), [n, d_out]), "dx": (dx, xs), "dW": (dw, ws), "db": (db, [d_out])}


def run_relu(params, inp):
    (x, xs), (dy, _) = inp["x"], inp["dy"]
    return {"y": (relu_forward(x), xs), "dx": (relu_backward(x, dy), xs)}


def run_elementwise(function):
    def run(params, inp):
        (x, xs), (dy, _) = inp["x"], inp["dy"]
        y, dx = function(x, dy)
        return {"y": (y, xs), "dx": (dx, xs)}
    return run


def run_softmax_with_loss(params, inp):
    (logits, shape), (labels, _) = inp["logits"], inp["labels"]
    p, loss, dl = softmax_with_loss(logits, labels, *shape)
    return {"probabilities": (p, shape), "loss": ([loss], [1]), "dlogits": (dl, shape)}


def run_sum_squared(params, inp):
    (y, shape), (t, _) = inp["y"], inp["t"]
    loss, dy = sum_squared(y, t, shape[0])
    return {"loss": ([loss], [1]), "dy": (dy, shape)}


def run_convolution(params, inp):
    (x, xs), (w, ws), (b, bs), (dy, _) = inp["x"], inp["W"], inp["b"], inp["dy"]
    stride, pad = params["stride"], params["pad"]
    y, ys = conv_forward(x, xs, w, ws, b, stride, pad)
    dx, dw, db = conv_backward(x, xs, w, ws, dy, stride, pad)
    return {"y": (y, list(ys)), "dx": (dx, xs), "dW": (dw, ws), "db": (db, bs)}


def run_pooling(params, inp):
    (x, xs), (dy, _) = inp["x"], inp["dy"]
    mode, k, stride = params["mode"], params["size"], params["stride"]
    y, ys = pool_forward(x, xs, mode, k, stride)
    return {"y": (y, list(ys)), "dx": (pool_backward(x, xs, dy, mode, k, stride), xs)}


def run_batch_norm(params, inp):
    (x, xs), (gamma, gs) = inp["x"], inp["gamma"]
    y, dx, dgamma, dbeta, mean_after, var_after = batch_norm(
        x, xs, gamma, inp["beta"][0], inp["dy"][0], inp["running_mean"][0], inp["running_var"][0],
        params["eps"], params["momentum"])
    return {"y": (y, xs), "dx": (dx, xs), "dgamma": (dgamma, gs), "dbeta": (dbeta, gs),
            "running_mean_after": (mean_after, gs), "running_var_after": (var_after, gs)}


def run_optimizer(op):
    def run(params, inp):
        (p0, _), (grads, gs) = inp["p0"], inp["grads"]
        return {"p_after_each_step": (optimize(op, params, p0, grads), gs)}
    return run


def run_small_convnet(params, inp):
    """Convolution (stride 1, no pad), Relu, max Pooling 2/2, flatten, Affine, Relu, Affine, SoftmaxWithLoss."""
    (x, xs), (labels, _) = inp["x"], inp["labels"]
    (w1, w1s), (b1, b1s) = inp["W1"], inp["b1"]
    (w2, w2s), (b2, b2s) = inp["W2"], inp["b2"]
    (w3, w3s), (b3, b3s) = inp["W3"], inp["b3"]
    n, flat, hidden, classes = xs[0], w2s[0], w2s[1], w3s[1]
    c1, c1s = conv_forward(x, xs, w1, w1s, b1, 1, 0)
    r1 = relu_forward(c1)
    p1, _ = pool_forward(r1, c1s, "max", 2, 2)  # row-major (C, H, W) per image is reshape(N, -1)
    a2 = affine_forward(p1, w2, b2, n, flat, hidden)
    r2 = relu_forward(a2)
    a3 = affine_forward(r2, w3, b3, n, hidden, classes)
    _, loss, d3 = softmax_with_loss(a3, labels, n, classes)
    dr2, dw3, db3 = affine_backward(r2, w3, d3, n, hidden, classes)
    dp1, dw2, db2 = affine_backward(p1, w2, relu_backward(a2, dr2), n, flat, hidden)
    dc1 = relu_backward(c1, pool_backward(r1, c1s, dp1, "max", 2, 2))
    _, dw1, db1 = conv_backward(x, xs, w1, w1s, dc1, 1, 0)
    return {"loss": ([loss], [1]), "dW1": (dw1, w1s), "db1": (db1, b1s), "dW2": (dw2, w2s), "db2": (db2, b2s),
            "dW3": (dw3, w3s), "db3": (db3, b3s)}


# --- how a new case's inputs are drawn (a seeded random.Random per case, so a rewrite is repeatable) -----


def uniform(lo=-1.0, hi=1.0):
    return lambda rng, shape: [rng.uniform(lo, hi) for _ in range(size(shape))]


def normal(scale=1.0, away_from_zero=0.0):
    def draw(rng, shape):
        out = []
        while len(out) < size(shape):
            v = rng.gauss(0.0, scale)
            if abs(v) >= away_from_zero:
                out.append(v)
        return out
    return draw


def labels(classes):
    return lambda rng, shape: [float(rng.randrange(classes)) for _ in range(size(shape))]


def one_hot(rng, shape):
    n, classes = shape
    hot = [rng.randrange(classes) for _ in range(n)]
    return [1.0 if j == hot[i] else 0.0 for i in range(n) for j in range(classes)]


def softmax_rows(rng, shape):
    n, classes = shape
    logits = normal()(rng, shape)
    return softmax_with_loss(logits, [0.0] * n, n, classes)[0]


OPTIMIZER_NOTE = ("the book's update rules (common/optimizer.py); Nesterov in the book's form: "
                  "v = m*v - lr*g; p += m*m*v - (1+m)*lr*g")
BATCH_NORM_NOTE = ("running = momentum * running + (1 - momentum) * batch statistic; "
                   "batch variance is biased (divide by count)")
SMALL_CONVNET_LAYERS = ("Convolution(2,3x3,stride 1,pad 0) Relu Pooling(max 2, stride 2) Affine(18,5) Relu "
                        "Affine(5,3) SoftmaxWithLoss")


def case(name, op, params, inputs, run, note=""):
    """One golden file: inputs maps each name to (shape, how to draw it)."""
    return {"name": name, "op": op, "params": params, "inputs": inputs, "run": run, "note": note}


def convolution_case(name, x_shape, filters, kernel, stride, pad):
    n, c, h, w = x_shape
    y_shape = [n, filters, out_size(h, kernel, stride, pad), out_size(w, kernel, stride, pad)]
    return case(name, "Convolution", {"stride": stride, "pad": pad, "filters": filters, "kernel": kernel},
                {"x": (x_shape, uniform()), "W": ([filters, c, kernel, kernel], uniform(-0.5, 0.5)),
                 "b": ([filters], uniform()), "dy": (y_shape, uniform())}, run_convolution)


def pooling_case(name, mode, x_shape, k, stride):
    n, c, h, w = x_shape
    y_shape = [n, c, out_size(h, k, stride, 0), out_size(w, k, stride, 0)]
    return case(name, "Pooling", {"mode": mode, "size": k, "stride": stride, "pad": 0},
                {"x": (x_shape, uniform()), "dy": (y_shape, uniform())}, run_pooling)


def batch_norm_case(name, per, x_shape):
    c = [x_shape[1]]
    return case(name, "BatchNormalization", {"eps": 1e-06, "momentum": 0.9, "per": per},
                {"x": (x_shape, normal()), "gamma": (c, uniform(0.9, 1.3)), "beta": (c, uniform(-0.2, 0.2)),
                 "dy": (x_shape, uniform()), "running_mean": (c, uniform(-0.1, 0.1)),
                 "running_var": (c, uniform(0.9, 1.1))}, run_batch_norm, BATCH_NORM_NOTE)


def optimizer_case(name, op, params):
    return case(name, op, params, {"p0": ([6], uniform()), "grads": ([3, 6], uniform())}, run_optimizer(op),
                OPTIMIZER_NOTE)


def activation_case(name, op, run, x_draw):
    return case(name, op, {}, {"x": ([3, 7], x_draw), "dy": ([3, 7], uniform())}, run)


CASES = [
    case("affine", "Affine", {}, {"x": ([4, 5], uniform()), "W": ([5, 3], uniform()), "b": ([3], uniform()),
                                  "dy": ([4, 3], uniform())}, run_affine),
    activation_case("relu", "Relu", run_relu, normal(1.2, away_from_zero=1e-3)),  # the mask at 0 is a convention
    activation_case("sigmoid", "Sigmoid", run_elementwise(sigmoid), normal(1.5)),
    activation_case("tanh", "Tanh", run_elementwise(tanh), normal(1.5)),
    case("softmax_cross_entropy", "SoftmaxWithLoss", {"reduction": "mean over batch"},
         {"logits": ([4, 10], normal(1.5)), "labels": ([4], labels(10))}, run_softmax_with_loss,
         "dlogits = (softmax - onehot) / N"),
    case("sum_squared", "MeanSquaredError", {"reduction": "0.5 * sum / N"},
         {"y": ([4, 10], softmax_rows), "t": ([4, 10], one_hot)}, run_sum_squared),
    convolution_case("convolution_0", [2, 3, 7, 7], filters=4, kernel=3, stride=1, pad=0),
    convolution_case("convolution_1", [2, 3, 7, 7], filters=4, kernel=3, stride=2, pad=1),
    convolution_case("convolution_2", [1, 2, 8, 8], filters=3, kernel=5, stride=1, pad=2),
    convolution_case("convolution_3", [2, 1, 10, 10], filters=2, kernel=5, stride=1, pad=0),
    convolution_case("convolution_4", [1, 3, 6, 5], filters=2, kernel=3, stride=2, pad=2),
    pooling_case("pooling_max_0", "max", [2, 3, 6, 6], 2, 2),
    pooling_case("pooling_max_1", "max", [1, 2, 7, 7], 3, 2),
    pooling_case("pooling_average_2", "average", [2, 3, 6, 6], 2, 2),
    pooling_case("pooling_average_3", "average", [1, 2, 7, 7], 3, 2),
    batch_norm_case("batchnorm_0", "feature", [6, 5]),
    batch_norm_case("batchnorm_1", "channel", [3, 2, 3, 3]),
    optimizer_case("optimizer_sgd", "SGD", {"lr": 0.01}),
    optimizer_case("optimizer_momentum", "Momentum", {"lr": 0.01, "momentum": 0.9}),
    optimizer_case("optimizer_nesterov", "Nesterov", {"lr": 0.01, "momentum": 0.9}),
    optimizer_case("optimizer_adagrad", "AdaGrad", {"lr": 0.01, "eps": 1e-07}),
    optimizer_case("optimizer_rmsprop", "RMSprop", {"lr": 0.01, "decay": 0.99, "eps": 1e-07}),
    optimizer_case("optimizer_adam", "Adam", {"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-07}),
    case("network_small_convnet", "Network", {"layers": SMALL_CONVNET_LAYERS, "flatten": "NCHW order, as reshape(N, -1)"},
         {"x": ([2, 1, 8, 8], uniform()), "labels": ([2], labels(3)), "W1": ([2, 1, 3, 3], uniform(-0.5, 0.5)),
          "b1": ([2], uniform(-0.1, 0.1)), "W2": ([18, 5], uniform(-0.5, 0.5)), "b2": ([5], uniform(-0.1, 0.1)),
          "W3": ([5, 3], uniform(-0.5, 0.5)), "b3": ([3], uniform(-0.1, 0.1))}, run_small_convnet),
]


# --- files ----------------------------------------------------------------------------------------------


def tensor(data, shape):
    return {"shape": list(shape), "data": [round(float(v), DECIMALS) for v in data]}


def read(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except ValueError as e:
        sys.exit(f"golden: {path} is not valid JSON ({e})")


def kept_inputs(c, existing):
    """The file's inputs when they fit the case (same names and shapes), else None."""
    if existing is None:
        return None
    inputs = existing.get("inputs", {})
    if list(inputs) != list(c["inputs"]) or any(inputs[k]["shape"] != c["inputs"][k][0] for k in inputs):
        return None
    return {k: (v["data"], v["shape"]) for k, v in inputs.items()}


def draw_inputs(c):
    rng = random.Random(c["name"])
    # Rounded as the file stores them, so the outputs are those of the inputs a reader sees.
    return {k: ([round(v, DECIMALS) for v in draw(rng, shape)], shape) for k, (shape, draw) in c["inputs"].items()}


def render(c, inputs):
    outputs = c["run"](c["params"], inputs)
    doc = {"op": c["op"], "params": c["params"], "inputs": {k: tensor(*v) for k, v in inputs.items()},
           "outputs": {k: tensor(*v) for k, v in outputs.items()}, "note": c["note"]}
    return json.dumps(doc)


def worst_difference(expected, actual):
    """The largest difference between two files' outputs, relative to max(1, |value|), or a reason they differ."""
    if list(expected) != list(actual):
        return f"outputs {list(actual)} instead of {list(expected)}"
    worst = 0.0
    for name, e in expected.items():
        a = actual[name]
        if e["shape"] != a["shape"]:
            return f"{name} has shape {a['shape']} instead of {e['shape']}"
        for u, v in zip(e["data"], a["data"]):
            worst = max(worst, abs(u - v) / max(1.0, abs(u)))
    return worst


def compare(c, committed):
    """(largest output difference or the reason, recomputed text) for a file; (None, None) if it is not the case's."""
    inputs = kept_inputs(c, committed)
    if inputs is None or committed["op"] != c["op"] or committed["params"] != c["params"] or committed["note"] != c["note"]:
        return None, None
    text = render(c, inputs)
    return worst_difference(committed["outputs"], json.loads(text)["outputs"]), text


def check(directory):
    failures = 0
    for c in CASES:
        path = os.path.join(directory, c["name"] + ".json")
        if not os.path.exists(path):
            print(f"{c['name']}: no file {path}; run with --write to create it")
            failures += 1
            continue
        verdict, text = compare(c, read(path))
        if verdict is None:
            print(f"{c['name']}: the file's op, params, note or input shapes are not the case's; run with --write")
        elif isinstance(verdict, str) or verdict > TOLERANCE:
            print(f"{c['name']}: DIFFERS: {verdict}")
        else:
            same = "identical" if text == open(path, encoding="utf-8").read() else "equal within round-off"
            print(f"{c['name']}: ok, largest difference {verdict:.1e} ({same})")
            continue
        failures += 1
    reproduced = len(CASES) - failures
    known = {c["name"] + ".json" for c in CASES}
    for stray in sorted(f for f in os.listdir(directory) if f.endswith(".json") and f not in known):
        print(f"{stray}: no case in golden.py writes this file")
        failures += 1
    print(f"all {len(CASES)} golden files reproduced within {TOLERANCE:g}" if not failures
          else f"{reproduced} of {len(CASES)} golden files reproduced; {failures} problem(s) above")
    return 1 if failures else 0


def write(directory):
    """Writes every case whose file is missing, is not the case's, or whose outputs differ beyond round-off."""
    for c in CASES:
        path = os.path.join(directory, c["name"] + ".json")
        existing = read(path) if os.path.exists(path) else None
        if existing is not None:
            verdict, _ = compare(c, existing)
            if isinstance(verdict, float) and verdict <= TOLERANCE:
                continue
        inputs = kept_inputs(c, existing)
        how = "inputs kept"
        if inputs is None:
            inputs, how = draw_inputs(c), "new inputs"
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            f.write(render(c, inputs))
        os.replace(path + ".tmp", path)
        print(f"wrote {path} ({how})")
    return 0


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description="Check or write DeepGpu's golden values (float64, standard library only).")
    parser.add_argument("--write", action="store_true", help="write the files instead of checking them")
    parser.add_argument("--dir", default=os.path.join(here, "..", "..", "Engine.Tests", "Golden"),
                        help="the golden folder (default: Engine.Tests/Golden)")
    args = parser.parse_args()
    if not os.path.isdir(args.dir):
        print(f"golden: {args.dir} is not a folder", file=sys.stderr)
        return 2
    return write(args.dir) if args.write else check(args.dir)


if __name__ == "__main__":
    sys.exit(main())
