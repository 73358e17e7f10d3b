"""Minimal GGUF v3 writer (little-endian, alignment 32) with ggml-exact Q8_0."""
import struct

import numpy as np

T_U8, T_I8, T_U16, T_I16, T_U32, T_I32, T_F32, T_BOOL, T_STR, T_ARR, T_U64, T_I64, T_F64 = range(13)
GGML_F32, GGML_F16, GGML_Q8_0 = 0, 1, 8
FILE_TYPE = {"f32": 0, "f16": 1, "q8_0": 7}          # llama_ftype (general.file_type)
QK8_0 = 32


def quant_q8_0(x):
    """ggml quantize_row_q8_0_ref: d = amax/127 (f32), id = 1/d, q = roundf(x*id), d stored f16.

    Float32 arithmetic as in C; roundf (half away from zero) is done in float64 so that
    |x*id| + 0.5 is exact."""
    b = np.ascontiguousarray(x, dtype=np.float32).reshape(-1, QK8_0)
    amax = np.abs(b).max(axis=1)
    d = (amax / np.float32(127.0)).astype(np.float32)
    with np.errstate(divide="ignore"):
        inv = np.where(d != 0, np.float32(1.0) / d, np.float32(0.0)).astype(np.float32)
    x0 = (b * inv[:, None]).astype(np.float32).astype(np.float64)
    q = (np.sign(x0) * np.floor(np.abs(x0) + 0.5)).astype(np.int8)
    out = np.empty((b.shape[0], 34), dtype=np.uint8)
    out[:, :2] = d.astype("<f2").view(np.uint8).reshape(-1, 2)
    out[:, 2:] = q.view(np.uint8)
    return out.tobytes()


def _str(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


class GGUFWriter:
    def __init__(self, alignment=32):
        self.alignment = alignment
        self.kv = []
        self.tensors = []

    def add(self, key, value, vtype=None):
        if vtype is None:
            vtype = (T_BOOL if isinstance(value, bool) else T_U32 if isinstance(value, int)
                     else T_F32 if isinstance(value, float) else T_STR)
        enc = {T_U32: "<I", T_I32: "<i", T_F32: "<f", T_BOOL: "<?", T_U64: "<Q"}
        payload = _str(value) if vtype == T_STR else struct.pack(enc[vtype], value)
        self.kv.append((key, vtype, payload))

    def add_array(self, key, values, etype):
        payload = struct.pack("<IQ", etype, len(values))
        if etype == T_STR:
            payload += b"".join(_str(v) for v in values)
        else:
            payload += np.asarray(values, dtype={T_I32: "<i4", T_U32: "<u4", T_F32: "<f4"}[etype]).tobytes()
        self.kv.append((key, T_ARR, payload))

    def add_tensor(self, name, arr, gtype):
        """arr in numpy order; ggml ne = reversed(arr.shape)."""
        arr = np.ascontiguousarray(arr, dtype=np.float32)
        data = {GGML_F32: lambda: arr.astype("<f4").tobytes(),
                GGML_F16: lambda: arr.astype("<f2").tobytes(),
                GGML_Q8_0: lambda: quant_q8_0(arr)}[gtype]()
        self.tensors.append((name, tuple(reversed(arr.shape)), gtype, data))

    def write(self, path):
        al = self.alignment
        pad = lambda n: (al - n % al) % al
        offs, off = [], 0
        for _, _, _, data in self.tensors:
            offs.append(off)
            off += len(data) + pad(len(data))
        with open(path, "wb") as f:
            f.write(b"GGUF" + struct.pack("<IQQ", 3, len(self.tensors), len(self.kv)))
            for key, t, payload in self.kv:
                f.write(_str(key) + struct.pack("<I", t) + payload)
            for (name, ne, gt, _), o in zip(self.tensors, offs):
                f.write(_str(name) + struct.pack("<I", len(ne)) + struct.pack(f"<{len(ne)}Q", *ne)
                        + struct.pack("<IQ", gt, o))
            f.write(b"\0" * pad(f.tell()))
            for _, _, _, data in self.tensors:
                f.write(data + b"\0" * pad(len(data)))


CHAT_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}"
    "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")

# norms, biases and both routers stay f32, as convert_hf_to_gguf.py writes them
F32_SUFFIXES = ("_norm.weight", ".bias", "ffn_gate_inp.weight", "ffn_gate_inp_shexp.weight")


def export(path, cfg, tensors, tokenizer, wtype, extra_kv=()):
    """tensors: [(name, float32 array)] from Model.gguf_tensors(); wtype 'f16' or 'q8_0'."""
    arch = "qwen2moe"
    w = GGUFWriter()
    w.add("general.architecture", arch)
    w.add("general.name", "MoEScope Demo MoE")
    w.add("general.license", "other")
    w.add("general.license.name", "WordNet-3.0 and public domain (KJV)")
    w.add("general.file_type", FILE_TYPE[wtype])
    w.add("general.quantization_version", 2)
    for k, v in extra_kv:
        w.add(k, v)
    w.add(f"{arch}.vocab_size", cfg.n_vocab)
    w.add(f"{arch}.context_length", cfg.n_ctx)
    w.add(f"{arch}.embedding_length", cfg.n_embd)
    w.add(f"{arch}.block_count", cfg.n_layer)
    w.add(f"{arch}.feed_forward_length", cfg.n_ff_exp)
    w.add(f"{arch}.attention.head_count", cfg.n_head)
    w.add(f"{arch}.attention.head_count_kv", cfg.n_head_kv)
    w.add(f"{arch}.attention.layer_norm_rms_epsilon", float(cfg.rms_eps))
    w.add(f"{arch}.rope.freq_base", float(cfg.rope_base))
    w.add(f"{arch}.rope.dimension_count", cfg.head_dim)
    w.add(f"{arch}.expert_count", cfg.n_expert)
    w.add(f"{arch}.expert_used_count", cfg.n_expert_used)
    w.add(f"{arch}.expert_feed_forward_length", cfg.n_ff_exp)
    w.add(f"{arch}.expert_shared_feed_forward_length", cfg.n_ff_shexp)
    tok = tokenizer
    n_special = 3
    w.add("tokenizer.ggml.model", "gpt2")
    w.add("tokenizer.ggml.pre", "qwen2")
    w.add_array("tokenizer.ggml.tokens", tok.tokens, T_STR)
    w.add_array("tokenizer.ggml.token_type", [1] * (tok.n_vocab - n_special) + [3] * n_special, T_I32)
    w.add_array("tokenizer.ggml.merges", [f"{a} {b}" for a, b in tok.merges], T_STR)
    eot = tok.special_ids["<|endoftext|>"]
    w.add("tokenizer.ggml.bos_token_id", eot)
    w.add("tokenizer.ggml.eos_token_id", eot)
    w.add("tokenizer.ggml.eot_token_id", tok.special_ids["<|im_end|>"])
    w.add("tokenizer.ggml.padding_token_id", eot)
    w.add("tokenizer.ggml.add_bos_token", False)
    w.add("tokenizer.chat_template", CHAT_TEMPLATE)
    gt = {"f16": GGML_F16, "q8_0": GGML_Q8_0}[wtype]
    for name, arr in tensors:
        f32 = arr.ndim == 1 or name.endswith(F32_SUFFIXES)
        w.add_tensor(name, arr, GGML_F32 if f32 else gt)
    w.write(path)
    return len(w.tensors)
