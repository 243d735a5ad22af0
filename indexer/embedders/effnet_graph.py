"""EfficientNet-Lite2 as an ONNX graph written from its weights, no PyTorch.

The packaged checkpoint (EfficientNet-PyTorch's names, TF-Lite's network)
is read into NumPy (``torch_file.py``) and the network written with onnx's
helper API: each convolution with its batch norm folded in, ReLU6 as Clip,
TF's "same" padding as ``SAME_UPPER`` (the extra pixel after, as TF and
timm's ``Conv2dSame`` pad), a residual add where a block keeps its shape.
Checked against timm's PyTorch network on a fixed batch
(tests/indexer/test_bundled_net.py: the logits it gave are stored there).
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

BN_EPS = 1e-3  # TF's batch-norm epsilon, as timm's tf_ models
# Blocks per stage and each stage's first stride (EfficientNet-Lite2: the
# B2 stages with the first and last not repeated more).
STAGES = ((1, 1), (3, 2), (3, 2), (4, 2), (4, 1), (5, 2), (1, 1))
OPSET = 17
BUILD = 1  # bumped when the graph written here changes: part of the export's cache key


def _strides() -> list[int]:
    return [stride if i == 0 else 1 for count, stride in STAGES for i in range(count)]


class _Graph:
    def __init__(self, state: dict[str, np.ndarray]):
        self.state = state
        self.nodes, self.inits, self.n = [], [], 0

    def name(self, base: str) -> str:
        self.n += 1
        return f"{base}_{self.n}"

    def const(self, base: str, value: np.ndarray) -> str:
        from onnx import numpy_helper

        name = self.name(base)
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def node(self, op: str, inputs: list[str], **attrs) -> str:
        from onnx import helper

        out = self.name(op.lower())
        self.nodes.append(helper.make_node(op, inputs, [out], **attrs))
        return out

    def conv_bn(self, x: str, conv: str, bn: str, stride: int = 1, relu6: bool = True) -> str:
        """A bias-free convolution followed by batch norm, folded into one Conv."""
        w = self.state[f"{conv}.weight"].astype(np.float64)
        scale = self.state[f"{bn}.weight"] / np.sqrt(self.state[f"{bn}.running_var"].astype(np.float64) + BN_EPS)
        bias = self.state[f"{bn}.bias"] - self.state[f"{bn}.running_mean"] * scale
        k = w.shape[2]
        groups = w.shape[0] if w.shape[1] == 1 and w.shape[0] > 1 else 1
        pad = {"auto_pad": "SAME_UPPER"} if stride > 1 else {"pads": [k // 2] * 4}
        y = self.node("Conv", [x, self.const("w", (w * scale[:, None, None, None]).astype(np.float32)),
                               self.const("b", bias.astype(np.float32))],
                      kernel_shape=[k, k], strides=[stride, stride], group=groups, **pad)
        if not relu6:
            return y
        return self.node("Clip", [y, self.const("lo", np.array(0, np.float32)),
                                  self.const("hi", np.array(6, np.float32))])

    def block(self, x: str, i: int, stride: int) -> str:
        p = f"_blocks.{i}"
        y = x
        if f"{p}._expand_conv.weight" in self.state:
            y = self.conv_bn(y, f"{p}._expand_conv", f"{p}._bn0")
        y = self.conv_bn(y, f"{p}._depthwise_conv", f"{p}._bn1", stride)
        y = self.conv_bn(y, f"{p}._project_conv", f"{p}._bn2", relu6=False)
        expand = self.state.get(f"{p}._expand_conv.weight")
        c_in = expand.shape[1] if expand is not None else self.state[f"{p}._depthwise_conv.weight"].shape[0]
        c_out = self.state[f"{p}._project_conv.weight"].shape[0]
        return self.node("Add", [y, x]) if stride == 1 and c_in == c_out else y


def build_model(state: dict[str, np.ndarray], side: int):
    """The ONNX model: ``x`` (n, 3, side, side) in [-1, 1] -> ``y`` logits (n, 1000)."""
    from onnx import TensorProto, checker, helper

    strides = _strides()
    blocks = len({k.split(".")[1] for k in state if k.startswith("_blocks.")})
    if blocks != len(strides):
        raise ValueError(f"the checkpoint has {blocks} blocks, EfficientNet-Lite2 has {len(strides)}")
    g = _Graph(state)
    y = g.conv_bn("x", "_conv_stem", "_bn0", stride=2)
    for i, stride in enumerate(strides):
        y = g.block(y, i, stride)
    y = g.conv_bn(y, "_conv_head", "_bn1")
    y = g.node("Flatten", [g.node("GlobalAveragePool", [y])])
    g.nodes.append(helper.make_node("Gemm", [y, g.const("fc_w", state["_fc.weight"]),
                                             g.const("fc_b", state["_fc.bias"])], ["y"], transB=1))
    graph = helper.make_graph(
        g.nodes, "efficientnet_lite2",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3, side, side])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", state["_fc.weight"].shape[0]])],
        initializer=g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="mediasearch")
    model.ir_version = 8  # read by every ONNX Runtime this project allows (1.19 and later)
    checker.check_model(model)
    return model


def network_file(weights: Path, side: int, cache: Path) -> Path | bytes:
    """The network for this weights file: the ONNX file written for it before
    (named by a hash of the weights' bytes, the input side and BUILD, so a
    changed file or builder never reuses an old one), else written now and
    kept (0.7 s of a start: onnx's import, the read, the build). An unwritable
    cache gives the model's bytes instead."""
    import hashlib

    from mediasearch.store.files import write_atomically

    from .torch_file import read_legacy

    digest = hashlib.sha256(weights.read_bytes()).hexdigest()[:16]
    path = cache / f"efficientnet-lite2-{digest}-{side}px-b{BUILD}.onnx"
    if path.is_file():
        return path
    model = build_model(read_legacy(weights), side).SerializeToString()
    try:
        write_atomically(path, model)
    except OSError as e:
        log.debug("the bundled network is not kept (%s): it is written again at the next start", e)
        return model
    return path
