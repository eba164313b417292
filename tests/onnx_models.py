"""A tiny random "ArcFace" ONNX model, made by the tests: the shapes of the real one
(N x 3 x 112 x 112 in, N x 512 out), none of its weights or licence."""

from pathlib import Path

import numpy as np


def save_tiny_arcface(path: Path, *, output_size: int = 512, input_side: int = 112) -> Path:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    cells = (input_side // 8) ** 2 * 8
    kernel = rng.normal(scale=0.1, size=(8, 3, 8, 8)).astype(np.float32)
    projection = rng.normal(scale=0.05, size=(cells, output_size)).astype(np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("Conv", ["input.1", "kernel"], ["features"], strides=[8, 8]),
            helper.make_node("Flatten", ["features"], ["flat"], axis=1),
            helper.make_node("MatMul", ["flat", "projection"], ["embedding"]),
        ],
        "tiny_arcface",
        [
            helper.make_tensor_value_info(
                "input.1", TensorProto.FLOAT, ["N", 3, input_side, input_side]
            )
        ],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["N", output_size])],
        [
            numpy_helper.from_array(kernel, "kernel"),
            numpy_helper.from_array(projection, "projection"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path
