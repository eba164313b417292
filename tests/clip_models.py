"""A tiny, randomly initialised CLIP model (both towers and a tokenizer) saved to a folder.

No CLIP weights can be downloaded here; this model exercises the real loading and
inference code (transformers' CLIPModel and CLIPProcessor) at a tiny cost. Its vectors
mean nothing, so tests compare rankings with vectors computed independently.
"""

from pathlib import Path


def byte_symbols() -> list[str]:
    """The 256 printable symbols byte-level BPE uses for bytes (as in GPT-2 and CLIP)."""
    printable = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    symbols, extra = [], 0
    for byte in range(256):
        if byte in printable:
            symbols.append(chr(byte))
        else:
            symbols.append(chr(256 + extra))
            extra += 1
    return symbols


def save_tiny_clip(folder: Path, *, projection_dim: int = 512) -> Path:
    from transformers import (
        CLIPConfig,
        CLIPImageProcessor,
        CLIPModel,
        CLIPProcessor,
        CLIPTokenizer,
    )

    symbols = byte_symbols()
    vocab = {symbol: index for index, symbol in enumerate(symbols)}
    vocab.update({symbol + "</w>": len(symbols) + i for i, symbol in enumerate(symbols)})
    vocab.update({"<|startoftext|>": len(vocab), "<|endoftext|>": len(vocab) + 1})
    tokenizer = CLIPTokenizer(vocab=vocab, merges=[])
    tiny = {"hidden_size": 32, "intermediate_size": 64, "num_attention_heads": 2}
    config = CLIPConfig(
        text_config={
            **tiny,
            "num_hidden_layers": 2,
            "vocab_size": len(vocab),
            # The text tower reads its sentence vector at the end-of-text token.
            "bos_token_id": vocab["<|startoftext|>"],
            "eos_token_id": vocab["<|endoftext|>"],
            "pad_token_id": vocab["<|endoftext|>"],
        },
        vision_config={**tiny, "num_hidden_layers": 2, "image_size": 64, "patch_size": 16},
        projection_dim=projection_dim,
    )
    CLIPModel(config).save_pretrained(folder)
    image_processor = CLIPImageProcessor(
        size={"shortest_edge": 64}, crop_size={"height": 64, "width": 64}
    )
    CLIPProcessor(image_processor=image_processor, tokenizer=tokenizer).save_pretrained(folder)
    return folder
