# Writes random Llama-layout dense checkpoints (config.json + model.safetensors) for the merge memory measurement.
import json, struct, sys, os
OUT = sys.argv[1] if len(sys.argv) > 1 else "/tmp/merge-memory"
import numpy as np
d, f, L, V = 768, 2048, 8, 256
def tensors(seed):
    rng = np.random.default_rng(seed)
    t = {"model.embed_tokens.weight": (V, d), "model.norm.weight": (d,), "lm_head.weight": (V, d)}
    for i in range(L):
        p = f"model.layers.{i}."
        t[p+"input_layernorm.weight"] = (d,); t[p+"post_attention_layernorm.weight"] = (d,)
        for n in "qkvo": t[p+f"self_attn.{n}_proj.weight"] = (d, d)
        t[p+"mlp.gate_proj.weight"] = (f, d); t[p+"mlp.up_proj.weight"] = (f, d); t[p+"mlp.down_proj.weight"] = (d, f)
    return rng, t
for name, seed in [("seed", 1), ("e0", 2), ("e1", 3), ("e2", 4), ("e3", 5)]:
    os.makedirs(f"{OUT}/{name}", exist_ok=True)
    rng, t = tensors(seed)
    header, off, names = {}, 0, sorted(t)
    for n in names:
        size = int(np.prod(t[n])) * 4
        header[n] = {"dtype": "F32", "shape": list(t[n]), "data_offsets": [off, off + size]}; off += size
    h = json.dumps(header, separators=(",", ":")).encode(); h += b" " * ((8 - len(h) % 8) % 8)
    with open(f"{OUT}/{name}/model.safetensors", "wb") as fh:
        fh.write(struct.pack("<Q", len(h))); fh.write(h)
        for n in names: fh.write((rng.standard_normal(t[n], dtype=np.float32) * 0.02).tobytes())
    json.dump({"model_type": "llama", "vocab_size": V, "hidden_size": d, "intermediate_size": f, "num_hidden_layers": L,
               "num_attention_heads": 12, "num_key_value_heads": 12, "rms_norm_eps": 1e-5, "max_position_embeddings": 256,
               "tie_word_embeddings": False, "hidden_act": "silu"}, open(f"{OUT}/{name}/config.json", "w"))
print("ok")
