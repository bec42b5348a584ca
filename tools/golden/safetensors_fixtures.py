#!/usr/bin/python3
"""Writes the safetensors golden fixtures for tests/PluginMoE.Tensors.Tests/Serialization.

Run with the Debian Python that has PyTorch (1.13):  /usr/bin/python3 tools/golden/safetensors_fixtures.py
The `safetensors` package is not used: this script writes the format itself from the raw bytes of torch
tensors, following the spec (8-byte little-endian header length, UTF-8 JSON header mapping names to
{"dtype", "shape", "data_offsets"} plus optional "__metadata__", header padded with spaces to a multiple of
8, then the little-endian row-major data). Each fixture X.safetensors gets a sidecar X.json with the
expected contents, so the C# tests need no Python:
  tensors[name] = {"dtype", "shape", "bits" (float types: the IEEE bit pattern of every element as an
                   unsigned integer, row-major), "values" (integer/bool types), "float32_bits" (float types:
                   bit patterns of torch's conversion of the tensor to float32)}
  metadata      = the __metadata__ map
  data_order    = tensor names in data-offset order
"""
import json
import os
import struct

import torch

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "PluginMoE.Tensors.Tests", "Fixtures", "safetensors")
DTYPE = {torch.float32: "F32", torch.float64: "F64", torch.float16: "F16", torch.bfloat16: "BF16",
         torch.int64: "I64", torch.int32: "I32", torch.bool: "BOOL"}
# The reference writer's layout order: larger elements first, then by name (keeps every tensor aligned).
RANK = {"BOOL": 0, "F16": 1, "BF16": 2, "I32": 3, "F32": 4, "F64": 5, "I64": 6}
BITS_VIEW = {torch.float32: (torch.int32, 1 << 32), torch.float64: (torch.int64, 1 << 64),
             torch.float16: (torch.int16, 1 << 16), torch.bfloat16: (torch.int16, 1 << 16)}


def raw_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:  # numpy has no bfloat16: reinterpret the same 16 bits
        t = t.view(torch.int16)
    return t.numpy().tobytes()  # little-endian on this (x86) machine


def bits(t):
    view, mod = BITS_VIEW[t.dtype]
    return [v % mod for v in t.contiguous().view(view).flatten().tolist()]


def expected(t):
    e = {"dtype": DTYPE[t.dtype], "shape": list(t.shape)}
    if t.dtype.is_floating_point:
        e["bits"] = bits(t)
        e["float32_bits"] = bits(t.to(torch.float32))
    else:
        e["values"] = [int(v) for v in t.flatten().tolist()]
    return e


def write(name, tensors, metadata=None, pad=True, separators=(", ", ": "), header_order=None):
    """tensors: dict name -> tensor. Data laid out in the reference order; header keys in header_order."""
    data_order = sorted(tensors, key=lambda n: (-RANK[DTYPE[tensors[n].dtype]], n))
    entries, blobs, pos = {}, [], 0
    for n in data_order:
        b = raw_bytes(tensors[n])
        entries[n] = {"dtype": DTYPE[tensors[n].dtype], "shape": list(tensors[n].shape), "data_offsets": [pos, pos + len(b)]}
        blobs.append(b)
        pos += len(b)
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    for n in (header_order or sorted(tensors)):
        header[n] = entries[n]
    h = json.dumps(header, separators=separators, ensure_ascii=False).encode("utf-8")
    if pad:
        h += b" " * ((8 - len(h) % 8) % 8)
    with open(os.path.join(OUT, name + ".safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    side = {"tensors": {n: expected(t) for n, t in tensors.items()}, "metadata": metadata or {}, "data_order": data_order}
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(side, f, indent=1, ensure_ascii=False)
        f.write("\n")


def f32_from_bits(*u):
    return torch.tensor([x - (1 << 32) if x >= 1 << 31 else x for x in u], dtype=torch.int32).view(torch.float32)


def main():
    os.makedirs(OUT, exist_ok=True)
    inf, nan = float("inf"), float("nan")
    # Every dtype, special float values (a signalling NaN with a payload, infinities, -0.0, subnormals),
    # integer extremes, a 0-dim and an empty tensor, and metadata with non-ASCII text.
    f32 = torch.cat([torch.tensor([0.0, 1.5, -2.25, inf, -inf, -0.0, 1e-45, 3.4028235e38]), f32_from_bits(0x7FA00001, 0xFFC00000)]).reshape(2, 5)
    tensors = {
        "f32": f32,
        "f64": torch.tensor([-inf, 1e-300, 3.141592653589793, -0.0, nan, 5e-324], dtype=torch.float64).reshape(3, 2),
        "f16": torch.tensor([1.0, -0.0, 65504.0, 6e-08, inf, -2.5], dtype=torch.float16).reshape(2, 3),
        "bf16": torch.tensor([1.0, -3.140625, inf, 1e38, -0.0, 2.0 ** -130], dtype=torch.bfloat16),
        "i64": torch.tensor([[0, -1], [2 ** 62, -2 ** 63]], dtype=torch.int64),
        "i32": torch.tensor([-2 ** 31, 0, 2 ** 31 - 1], dtype=torch.int32),
        "bool": torch.tensor([True, False, False, True, True]),
        "scalar": torch.tensor(42.5),
        "empty": torch.zeros(0, 3),
        # arange[i] = i / 8 for i in 0..119 (exact in float32), shape (4, 5, 6)
        "model.layers.0.arange": (torch.arange(120, dtype=torch.float32) / 8).reshape(4, 5, 6),
    }
    write("dtypes", tensors, metadata={"format": "pt", "note": "ünïcode ✓", "empty": ""})

    # torch's float32 -> bfloat16 / float16 rounding (round-to-nearest-even, incl. halfway and overflow cases),
    # to check the engine's conversions used by Save(floatDType: ...).
    g = torch.Generator().manual_seed(1234)
    src = torch.cat([torch.randn(40, generator=g) * 10.0 ** torch.randint(-6, 6, (40,), generator=g),
                     f32_from_bits(0x3F808000, 0x3F818000, 0x3F807FFF, 0x3F808001, 0x7F7FFFFF, 0x00000001, 0x80008000),
                     torch.tensor([65520.0, 65519.0, -70000.0, 6e-8, 2.9802322e-08, 0.1])])
    write("rounding", {"source": src, "bf16": src.to(torch.bfloat16), "f16": src.to(torch.float16)})

    # A header as some other writers produce it: compact JSON, no padding, no metadata, keys not in data
    # order, and an empty tensor between two others.
    write("unpadded", {"a": torch.arange(6, dtype=torch.int32).reshape(2, 3), "b": torch.zeros(2, 0, dtype=torch.int32),
                       "c": torch.tensor([7], dtype=torch.int32)},
          pad=False, separators=(",", ":"), header_order=["c", "b", "a"])


if __name__ == "__main__":
    main()
