"""dlib's face ResNet run by PyTorch: the same weights and vectors, several times faster.

dlib-bin has no BLAS, so its ResNet takes about 0.1 s per face on a small CPU.
This backend reads the very same weights from dlib's model file, rebuilds the network
(dlib's `dnn_face_recognition_ex.cpp` architecture) in PyTorch and runs it in batches.
Landmarks and the aligned 150x150 face chips still come from dlib, so the vectors
match dlib's own to about 1e-6 (checked by the tests) and keep the same embedder name.
"""

import logging
import re
import time

import numpy as np

from ml.base import Box, Embedder, normalise_rows
from ml.embedders.dlib import DlibEmbedder, face_landmarks, load_landmark_model, model_folder

logger = logging.getLogger(__name__)

# dlib's input layer: mean subtracted per channel (R, G, B), then divided by 256.
CHANNEL_MEANS = (122.782, 117.001, 104.298)
LAYER_TOKEN = re.compile(rb"(con_4|affine_|fc_2)")


def read_dlib_tensors(path) -> list[tuple[str, np.ndarray]]:
    """(layer kind, parameters) of every con, affine and fc layer, input side first.

    dlib writes a layer as its version string, then its parameter tensor: packed
    integers (version, num_samples, k, nr, nc) and the raw float32 values.
    """
    data = open(path, "rb").read()
    layers = []
    for match in LAYER_TOKEN.finditer(data):
        position = match.end()
        if match.group() == b"fc_2":
            _, position = _packed_ints(data, position, 2)  # num_outputs, num_inputs
        numbers, position = _packed_ints(data, position, 5)
        count = numbers[1] * numbers[2] * numbers[3] * numbers[4]
        values = np.frombuffer(data, dtype="<f4", count=count, offset=position)
        layers.append((match.group().decode()[:3], values.copy()))
    return layers


def _packed_ints(data: bytes, position: int, count: int) -> tuple[list[int], int]:
    """dlib's integers: a byte giving the length (0x80: negative), then little-endian bytes."""
    numbers = []
    for _ in range(count):
        size = data[position] & 0x0F
        value = int.from_bytes(data[position + 1 : position + 1 + size], "little")
        numbers.append(-value if data[position] & 0x80 else value)
        position += 1 + size
    return numbers, position


def build_network(layers: list[tuple[str, np.ndarray]]):
    """The ResNet-29 of dlib's face recognition example, with ``layers``' weights."""
    import torch
    from torch import nn

    convs = iter([values for kind, values in layers if kind == "con"])
    affines = iter([values for kind, values in layers if kind == "aff"])
    (fc,) = [values for kind, values in layers if kind == "fc_"]

    def conv(channels_in, channels_out, size, stride):
        """A convolution and the affine layer after it, folded into one convolution
        (w * gamma, b * gamma + beta: the same numbers, one pass over the pixels fewer)."""
        weights, values = next(convs), next(affines)
        gamma, beta = values[:channels_out], values[channels_out:]
        layer = nn.Conv2d(
            channels_in, channels_out, size, stride, padding=0 if stride > 1 else size // 2
        )
        split = channels_out * channels_in * size * size
        kernel = weights[:split].reshape(channels_out, channels_in, size, size)
        layer.weight.data = torch.from_numpy(kernel * gamma[:, None, None, None])
        layer.bias.data = torch.from_numpy(weights[split:] * gamma + beta)
        return layer

    class Block(nn.Module):
        """relu(block(x) + shortcut(x)); down blocks halve the size and may add channels."""

        def __init__(self, channels_in, channels_out, down):
            super().__init__()
            stride = 2 if down else 1
            self.body = nn.Sequential(
                conv(channels_in, channels_out, 3, stride),
                nn.ReLU(),
                conv(channels_out, channels_out, 3, 1),
            )
            self.down = down

        def forward(self, x):
            y = self.body(x)
            shortcut = nn.functional.avg_pool2d(x, 2, 2) if self.down else x
            return torch.relu(_add_padded(y, shortcut))

    def level(channels_in, channels_out, blocks, down):
        made = [Block(channels_in, channels_out, down)]
        made += [Block(channels_out, channels_out, False) for _ in range(blocks - 1)]
        return made

    stem = [conv(3, 32, 7, 2), nn.ReLU(), nn.MaxPool2d(3, 2)]
    body = (
        level(32, 32, 3, False) + level(32, 64, 4, True) + level(64, 128, 3, True)
        + level(128, 256, 3, True) + level(256, 256, 1, True)
    )  # fmt: skip
    projection = nn.Linear(256, 128, bias=False)
    projection.weight.data = torch.from_numpy(fc.reshape(256, 128).T.copy())
    network = nn.Sequential(*stem, *body, nn.AdaptiveAvgPool2d(1), nn.Flatten(), projection)
    return network.eval()


def _add_padded(a, b):
    """dlib's add_prev: sum over the larger shape, the smaller tensor padded with zeros
    (a down block's shortcut has fewer channels, and an odd side rounds differently)."""
    from torch.nn.functional import pad

    if a.shape == b.shape:
        return a + b
    height, width = max(a.shape[2], b.shape[2]), max(a.shape[3], b.shape[3])
    channels = max(a.shape[1], b.shape[1])

    def padded(t):
        return pad(t, (0, width - t.shape[3], 0, height - t.shape[2], 0, channels - t.shape[1]))

    return padded(a) + padded(b)


class DlibTorchEmbedder(Embedder):
    name = "dlib-resnet-v1"  # same weights, same vectors: interchangeable with "dlib"
    dimensions = 128
    alignment = DlibEmbedder.alignment

    def __init__(self, *, threads: int | None = None) -> None:
        self.threads = threads
        self._network = None

    def load(self) -> None:
        started = time.monotonic()
        import dlib
        import torch

        if self.threads:
            torch.set_num_threads(self.threads)
        self._dlib, self._torch = dlib, torch
        self._predictor = load_landmark_model(dlib)
        layers = read_dlib_tensors(model_folder() / "dlib_face_recognition_resnet_model_v1.dat")
        self._network = build_network(layers).to(memory_format=torch.channels_last)
        logger.info("dlib ResNet on PyTorch loaded in %.2fs", time.monotonic() - started)

    def embed(self, image: np.ndarray, boxes: list[Box]) -> np.ndarray:
        if self._network is None:
            self.load()
        if not boxes:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        return self._forward(self._chips(image, boxes))

    def embed_with_mirror(
        self, image: np.ndarray, boxes: list[Box]
    ) -> tuple[np.ndarray, np.ndarray]:
        """The aligned crops and their mirror images in one batch: a mirror image costs
        the network's pass only (landmarks and alignment are done once), where
        embedding the flipped photo again cost 15 ms more per selfie."""
        if self._network is None:
            self.load()
        if not boxes:
            empty = np.zeros((0, self.dimensions), dtype=np.float32)
            return empty, empty
        chips = self._chips(image, boxes)
        vectors = self._forward(np.concatenate([chips, chips[:, :, ::-1, :]]))
        return vectors[: len(boxes)], vectors[len(boxes) :]

    def _chips(self, image: np.ndarray, boxes: list[Box]) -> np.ndarray:
        """The faces aligned on their 68 landmarks, 150x150, as dlib crops them."""
        image = np.ascontiguousarray(image, dtype=np.uint8)
        shapes = face_landmarks(self._dlib, self._predictor, image, boxes)
        return np.stack(self._dlib.get_face_chips(image, shapes, size=150, padding=0.25))

    def _forward(self, chips: np.ndarray) -> np.ndarray:
        batch = (chips.astype(np.float32) - np.array(CHANNEL_MEANS, dtype=np.float32)) / 256.0
        tensor = self._torch.from_numpy(batch).permute(0, 3, 1, 2)
        tensor = tensor.contiguous(memory_format=self._torch.channels_last)
        with self._torch.inference_mode():
            vectors = self._network(tensor).numpy()
        return normalise_rows(vectors)
