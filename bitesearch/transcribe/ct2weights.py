"""Read a CTranslate2 Whisper model (`model.bin`) as named numpy arrays, and rename them for
openai-whisper.

The bundled `tiny.en` is a CTranslate2 model: a flat file of named fp16 tensors holding the same
weights OpenAI published, so openai-whisper can run it without downloading a checkpoint. The file
layout follows `ModelSpec._serialize` in CTranslate2's `python/ctranslate2/specs/model_spec.py`
(binary version 6), read here with `struct` rather than through ctranslate2's private internals.
All integers are little-endian:

    u32 binary version, string spec name, u32 spec revision, u32 variable count, then per variable:
    string name, u8 rank, u32 x rank dimensions, u8 dtype id, u32 byte count, the raw bytes;
    then u32 alias count and per alias: string alias, string name of the variable it stands for.

A string is a u16 length (counting a trailing NUL), the UTF-8 bytes and the NUL.
"""

from __future__ import annotations

import json
import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from bitesearch.errors import BitesearchError

if TYPE_CHECKING:
    import torch
    from whisper.model import Whisper

# CTranslate2's dtype ids (`_dtype_to_type_id`); bfloat16 has no numpy dtype and is not read.
DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}
FLOAT_DTYPES = (np.float32, np.float16)
# Binary version 4 added the dtype id; 6 is the newest CTranslate2 writes (4.x).
OLDEST_VERSION, NEWEST_VERSION = 4, 6
WHISPER_SPEC = "WhisperSpec"


@dataclass
class CT2Model:
    """The variables of a CTranslate2 model file, aliases resolved to the arrays they name."""

    spec: str
    revision: int
    variables: dict[str, np.ndarray]


def read_model(path: Path) -> CT2Model:
    """Every variable in a CTranslate2 `model.bin`; a file of any other kind is an error."""
    try:
        with path.open("rb") as f:
            return _read(f)
    except (struct.error, UnicodeDecodeError, ValueError, KeyError) as exc:
        raise BitesearchError(f"{path} is not a CTranslate2 model file ({exc})") from None


def _read(f: IO[bytes]) -> CT2Model:
    version = _u32(f)
    if not OLDEST_VERSION <= version <= NEWEST_VERSION:
        raise ValueError(f"binary version {version}, expected {OLDEST_VERSION} to {NEWEST_VERSION}")
    spec = _string(f)
    revision = _u32(f)
    variables = dict(_variable(f) for _ in range(_u32(f)))
    for _ in range(_u32(f)):
        alias, name = _string(f), _string(f)
        variables[alias] = variables[name]
    if f.read(1):
        raise ValueError("bytes after the last variable")
    return CT2Model(spec, revision, variables)


def _variable(f: IO[bytes]) -> tuple[str, np.ndarray]:
    name = _string(f)
    rank = _u8(f)
    shape = struct.unpack(f"<{rank}I", _exactly(f, 4 * rank))
    type_id = _u8(f)
    if type_id not in DTYPES:
        raise ValueError(f"{name} has an unknown dtype id {type_id}")
    data = _exactly(f, _u32(f))
    array = np.frombuffer(data, dtype=np.dtype(DTYPES[type_id]).newbyteorder("<"))
    return name, array.reshape(shape)


def _u8(f: IO[bytes]) -> int:
    return int(_exactly(f, 1)[0])


def _u32(f: IO[bytes]) -> int:
    return int(struct.unpack("<I", _exactly(f, 4))[0])


def _string(f: IO[bytes]) -> str:
    (length,) = struct.unpack("<H", _exactly(f, 2))
    raw = _exactly(f, length)
    if not raw.endswith(b"\0"):
        raise ValueError("a string without its closing NUL")
    return raw[:-1].decode("utf-8")


def _exactly(f: IO[bytes], size: int) -> bytes:
    data = f.read(size)
    if len(data) != size:
        raise ValueError(f"the file ends early (wanted {size} bytes, got {len(data)})")
    return data


# How CTranslate2 packs an attention block's projections: (its linear layer, the Whisper
# projections stacked along that layer's output rows).
SELF_ATTENTION = (("linear_0", ("query", "key", "value")), ("linear_1", ("out",)))
CROSS_ATTENTION = (("linear_0", ("query",)), ("linear_1", ("key", "value")), ("linear_2", ("out",)))


def load_whisper(folder: Path) -> Whisper:
    """openai-whisper's model holding the weights of the CTranslate2 Whisper model in `folder`,
    in float32 on the CPU, with the alignment heads its config names (for word timestamps)."""
    import torch
    from whisper.model import Whisper

    ct2 = read_model(folder / "model.bin")
    _check_whisper(ct2, folder)
    try:
        model = Whisper(whisper_dims(ct2.variables))
        state = whisper_state_dict(ct2.variables)
        model.load_state_dict({k: torch.from_numpy(v.astype(np.float32)) for k, v in state.items()})
    except KeyError as exc:
        raise BitesearchError(f"{folder} is not a complete Whisper model (no {exc})") from None
    except RuntimeError as exc:  # load_state_dict: a tensor of the wrong shape
        raise BitesearchError(f"{folder} is not a consistent Whisper model: {exc}") from None
    heads = _config(folder).get("alignment_heads")
    if heads:
        model.register_buffer("alignment_heads", alignment_mask(model, heads), persistent=False)
    return model.eval()


def _check_whisper(ct2: CT2Model, folder: Path) -> None:
    if ct2.spec != WHISPER_SPEC:
        raise BitesearchError(f"{folder} holds a CTranslate2 {ct2.spec}, not a Whisper model")
    quantized = sorted(
        {str(v.dtype) for v in ct2.variables.values() if v.ndim == 2} - {"float16", "float32"}
    )
    if quantized:
        raise BitesearchError(
            f"{folder} holds {', '.join(quantized)} (quantized) weights: openai-whisper needs a "
            "float16 or float32 model (convert with --quantization float16)"
        )


def whisper_dims(v: dict[str, np.ndarray]) -> Any:
    """openai-whisper's `ModelDimensions`, read off the tensor shapes and head counts."""
    from whisper.model import ModelDimensions

    audio_ctx, audio_state = v["encoder/position_encodings/encodings"].shape
    text_ctx, text_state = v["decoder/position_encodings/encodings"].shape
    return ModelDimensions(
        n_mels=v["encoder/conv1/weight"].shape[1],
        n_audio_ctx=audio_ctx,
        n_audio_state=audio_state,
        n_audio_head=int(v["encoder/num_heads"]),
        n_audio_layer=_layer_count(v, "encoder"),
        n_vocab=v["decoder/embeddings/weight"].shape[0],
        n_text_ctx=text_ctx,
        n_text_state=text_state,
        n_text_head=int(v["decoder/num_heads"]),
        n_text_layer=_layer_count(v, "decoder"),
    )


def _layer_count(v: dict[str, np.ndarray], stack: str) -> int:
    layers = (re.fullmatch(rf"{stack}/layer_(\d+)/.*", name) for name in v)
    return len({m[1] for m in layers if m})


def whisper_state_dict(v: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The CTranslate2 variables under the names of openai-whisper's `Whisper.state_dict()`."""
    state = {
        "encoder.positional_embedding": v["encoder/position_encodings/encodings"],
        "decoder.positional_embedding": v["decoder/position_encodings/encodings"],
        "decoder.token_embedding.weight": v["decoder/embeddings/weight"],
        **_weight_and_bias(v, "encoder/conv1", "encoder.conv1"),
        **_weight_and_bias(v, "encoder/conv2", "encoder.conv2"),
        **_norm(v, "encoder/layer_norm", "encoder.ln_post"),
        **_norm(v, "decoder/layer_norm", "decoder.ln"),
    }
    for i in range(_layer_count(v, "encoder")):
        state |= _block(v, f"encoder/layer_{i}", f"encoder.blocks.{i}", cross=False)
    for i in range(_layer_count(v, "decoder")):
        state |= _block(v, f"decoder/layer_{i}", f"decoder.blocks.{i}", cross=True)
    return state


def _block(v: dict[str, np.ndarray], source: str, target: str, cross: bool) -> dict[str, Any]:
    state = _attention(v, f"{source}/self_attention", f"{target}.attn", SELF_ATTENTION)
    if cross:
        state |= _attention(v, f"{source}/attention", f"{target}.cross_attn", CROSS_ATTENTION)
    return {
        **state,
        **_weight_and_bias(v, f"{source}/ffn/linear_0", f"{target}.mlp.0"),
        **_weight_and_bias(v, f"{source}/ffn/linear_1", f"{target}.mlp.2"),
        **_norm(v, f"{source}/ffn/layer_norm", f"{target}.mlp_ln"),
    }


def _attention(
    v: dict[str, np.ndarray], source: str, target: str, layout: tuple[tuple[str, Any], ...]
) -> dict[str, np.ndarray]:
    state = _norm(v, f"{source}/layer_norm", f"{target}_ln")
    for linear, names in layout:
        weights = np.split(v[f"{source}/{linear}/weight"], len(names))
        biases = np.split(v[f"{source}/{linear}/bias"], len(names))
        for name, weight, bias in zip(names, weights, biases, strict=True):
            state[f"{target}.{name}.weight"] = weight
            # Whisper's key projection has no bias (CTranslate2 stores zeros for it); a key bias
            # would add the same amount to all of a query's scores, which softmax ignores.
            if name != "key":
                state[f"{target}.{name}.bias"] = bias
    return state


def _weight_and_bias(v: dict[str, np.ndarray], source: str, target: str) -> dict[str, np.ndarray]:
    return {f"{target}.weight": v[f"{source}/weight"], f"{target}.bias": v[f"{source}/bias"]}


def _norm(v: dict[str, np.ndarray], source: str, target: str) -> dict[str, np.ndarray]:
    return {f"{target}.weight": v[f"{source}/gamma"], f"{target}.bias": v[f"{source}/beta"]}


def alignment_mask(model: Whisper, heads: list[list[int]]) -> torch.Tensor:
    """The (layer, head) pairs whose cross-attention follows the audio, as the sparse boolean
    mask `Whisper.set_alignment_heads` builds; word timestamps read only these heads."""
    import torch

    mask = torch.zeros(model.dims.n_text_layer, model.dims.n_text_head, dtype=torch.bool)
    for layer, head in heads:
        mask[layer, head] = True
    return mask.to_sparse()


def _config(folder: Path) -> dict[str, Any]:
    path = folder / "config.json"
    if not path.is_file():
        return {}  # no config: openai-whisper's default heads (the decoder's later half)
    config: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return config
