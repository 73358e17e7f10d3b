#!/usr/bin/python3
"""Independent check of a qwen2moe GGUF: own reader, dequantization and numpy forward pass.

  check_gguf.py --conformance                 numpy forward (and the PyTorch model of
                                              demo_model.py) vs llama.cpp's logits for the
                                              shared qwen2moe test models; tokenizer ids vs
                                              llama.cpp; Q8_0 bytes vs the shipped file
  check_gguf.py MODEL.gguf --checkpoint CK    numpy forward on MODEL.gguf vs the PyTorch
                                              checkpoint the file was exported from
Exit status 1 when a check fails.
"""
import argparse
import json
import os
import struct
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared"))
if not os.path.isdir(SHARED):
    SHARED = "/work/shared"
CONF = os.path.join(SHARED, "conformance")

GGML_F32, GGML_F16, GGML_Q8_0 = 0, 1, 8


# ---------------------------------------------------------------- reader
class Reader:
    def __init__(self, path):
        self.buf = open(path, "rb").read()
        self.off = 0
        if self._take(4) != b"GGUF":
            raise ValueError(f"{path}: not a GGUF file")
        self.version, n_t, n_kv = struct.unpack("<IQQ", self._take(20))
        self.kv, self.kv_types = {}, {}
        for _ in range(n_kv):
            k = self._str()
            t = self._u32()
            self.kv_types[k] = t
            self.kv[k] = self._val(t)
        self.alignment = self.kv.get("general.alignment", 32)
        infos = []
        for _ in range(n_t):
            name = self._str()
            nd = self._u32()
            ne = struct.unpack(f"<{nd}Q", self._take(8 * nd))
            gt, o = struct.unpack("<IQ", self._take(12))
            infos.append((name, ne, gt, o))
        base = (self.off + self.alignment - 1) // self.alignment * self.alignment
        self.tensors = {}
        self.order = []
        for name, ne, gt, o in infos:
            if (base + o) % self.alignment:
                raise ValueError(f"{name}: misaligned")
            self.tensors[name] = (ne, gt, base + o)
            self.order.append(name)

    def _take(self, n):
        b = self.buf[self.off:self.off + n]
        self.off += n
        return b

    def _u32(self):
        return struct.unpack("<I", self._take(4))[0]

    def _str(self):
        n = struct.unpack("<Q", self._take(8))[0]
        return self._take(n).decode("utf-8")

    def _val(self, t):
        fmt = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q",
               11: "<q", 12: "<d"}
        if t == 8:
            return self._str()
        if t == 9:
            et = self._u32()
            n = struct.unpack("<Q", self._take(8))[0]
            return [self._val(et) for _ in range(n)]
        return struct.unpack(fmt[t], self._take(struct.calcsize(fmt[t])))[0]

    def raw(self, name):
        ne, gt, o = self.tensors[name]
        n = int(np.prod(ne))
        size = {GGML_F32: 4 * n, GGML_F16: 2 * n, GGML_Q8_0: n // 32 * 34}[gt]
        return self.buf[o:o + size]

    def array(self, name):
        """Dequantized float64 array in numpy order (reversed ne)."""
        ne, gt, _ = self.tensors[name]
        raw = self.raw(name)
        if gt == GGML_F32:
            a = np.frombuffer(raw, "<f4").astype(np.float64)
        elif gt == GGML_F16:
            a = np.frombuffer(raw, "<f2").astype(np.float64)
        elif gt == GGML_Q8_0:
            blk = np.frombuffer(raw, np.uint8).reshape(-1, 34)
            d = blk[:, :2].copy().view("<f2").astype(np.float64)
            q = blk[:, 2:].copy().view(np.int8).astype(np.float64)
            a = (d * q).reshape(-1)
        else:
            raise ValueError(f"{name}: ggml type {gt} not supported here")
        return a.reshape(tuple(reversed(ne)))


# ---------------------------------------------------------------- numpy qwen2moe forward
def hparams(r):
    a = r.kv["general.architecture"]
    if a != "qwen2moe":
        raise ValueError(f"architecture {a}, expected qwen2moe")
    g = lambda k, d=None: r.kv.get(f"{a}.{k}", d)
    n_embd, n_head = g("embedding_length"), g("attention.head_count")
    return dict(n_layer=g("block_count"), n_embd=n_embd, n_head=n_head, n_head_kv=g("attention.head_count_kv"),
                head_dim=g("attention.key_length", n_embd // n_head), n_expert=g("expert_count"),
                n_expert_used=g("expert_used_count"), eps=g("attention.layer_norm_rms_epsilon"),
                rope_base=g("rope.freq_base"), n_rot=g("rope.dimension_count"))


def _rms(x, w, eps):
    return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * w


def _rope(x, base, n_rot):
    """x [T, H, D], NeoX: rotate (i, i + n_rot/2) for i < n_rot/2 by pos * base^(-2i/n_rot)."""
    T = x.shape[0]
    half = n_rot // 2
    theta = np.arange(T)[:, None] * base ** (-2.0 * np.arange(half) / n_rot)[None, :]
    c, s = np.cos(theta)[:, None, :], np.sin(theta)[:, None, :]
    y = x.copy()
    x0, x1 = x[..., :half], x[..., half:n_rot]
    y[..., :half] = x0 * c - x1 * s
    y[..., half:n_rot] = x1 * c + x0 * s
    return y


def _silu(x):
    return x / (1.0 + np.exp(-x))


def forward(r, ids, want_routing=False):
    hp = hparams(r)
    W = r.array
    T, H, KV, D = len(ids), hp["n_head"], hp["n_head_kv"], hp["head_dim"]
    x = W("token_embd.weight")[np.asarray(ids)]
    routing = []
    mask = np.triu(np.full((T, T), -np.inf), 1)
    for il in range(hp["n_layer"]):
        p = f"blk.{il}."
        h = _rms(x, W(p + "attn_norm.weight"), hp["eps"])
        q = (h @ W(p + "attn_q.weight").T + W(p + "attn_q.bias")).reshape(T, H, D)
        k = (h @ W(p + "attn_k.weight").T + W(p + "attn_k.bias")).reshape(T, KV, D)
        v = (h @ W(p + "attn_v.weight").T + W(p + "attn_v.bias")).reshape(T, KV, D)
        q, k = _rope(q, hp["rope_base"], hp["n_rot"]), _rope(k, hp["rope_base"], hp["n_rot"])
        out = np.empty((T, H, D))
        for hh in range(H):
            kvh = hh // (H // KV)
            s = q[:, hh] @ k[:, kvh].T / np.sqrt(D) + mask
            s = np.exp(s - s.max(-1, keepdims=True))
            out[:, hh] = (s / s.sum(-1, keepdims=True)) @ v[:, kvh]
        x = x + out.reshape(T, H * D) @ W(p + "attn_output.weight").T
        h = _rms(x, W(p + "ffn_norm.weight"), hp["eps"])
        logits = h @ W(p + "ffn_gate_inp.weight").T
        pr = np.exp(logits - logits.max(-1, keepdims=True))
        pr /= pr.sum(-1, keepdims=True)
        sel = np.argsort(-pr, axis=-1, kind="stable")[:, :hp["n_expert_used"]]
        routing.append(sel)
        ge, ue, de = W(p + "ffn_gate_exps.weight"), W(p + "ffn_up_exps.weight"), W(p + "ffn_down_exps.weight")
        moe = np.zeros_like(h)
        for t in range(T):
            for e in sel[t]:       # weights are the softmax probs, not renormalised (qwen2moe)
                y = _silu(ge[e] @ h[t]) * (ue[e] @ h[t])
                moe[t] += pr[t, e] * (de[e] @ y)
        sh = _silu(h @ W(p + "ffn_gate_shexp.weight").T) * (h @ W(p + "ffn_up_shexp.weight").T)
        sh = sh @ W(p + "ffn_down_shexp.weight").T
        gate = 1.0 / (1.0 + np.exp(-(h @ W(p + "ffn_gate_inp_shexp.weight").reshape(-1))))
        x = x + moe + sh * gate[:, None]
    out = _rms(x, W("output_norm.weight"), hp["eps"]) @ W("output.weight").T
    return (out, routing) if want_routing else out


def nmse(a, b):
    return float(((a - b) ** 2).sum() / (b ** 2).sum())


# ---------------------------------------------------------------- checks
def torch_from_gguf(r):
    import torch
    from demo_model import Config, Model
    hp = hparams(r)
    E = hp["n_embd"]
    cfg = Config(n_vocab=len(r.kv["tokenizer.ggml.tokens"]), n_embd=E, n_layer=hp["n_layer"],
                 n_head=hp["n_head"], n_head_kv=hp["n_head_kv"], head_dim=hp["head_dim"],
                 n_expert=hp["n_expert"], n_expert_used=hp["n_expert_used"],
                 n_ff_exp=r.kv["qwen2moe.expert_feed_forward_length"],
                 n_ff_shexp=r.kv["qwen2moe.expert_shared_feed_forward_length"],
                 rope_base=hp["rope_base"], rms_eps=hp["eps"])
    torch.set_default_dtype(torch.float64)
    m = Model(cfg)
    torch.set_default_dtype(torch.float32)
    m.load_gguf_tensors({n: r.array(n) for n in r.order})
    m.eval()
    return m


def check_conformance():
    import torch
    from bpe_train import Tokenizer
    ok = True
    for stem in ("qwen2moe-f32", "qwen2moe-f16", "qwen2moe-q8_0"):
        r = Reader(os.path.join(CONF, "models", stem + ".gguf"))
        tm = torch_from_gguf(r)
        tok = Tokenizer([tuple(m.split(" ")) for m in r.kv["tokenizer.ggml.merges"]])
        if tok.tokens != r.kv["tokenizer.ggml.tokens"]:
            print(f"{stem}: token list differs from merges-derived vocabulary")
            ok = False
        for pid in ("short", "chat", "unicode"):
            ref = json.load(open(os.path.join(CONF, "refs", stem, pid + ".json")))
            ids = ref["tokens"]
            ref_logits = np.fromfile(os.path.join(CONF, "refs", stem, pid + ".logits.f32"), "<f4").reshape(
                ref["n_tokens"], ref["n_vocab"]).astype(np.float64)
            ours = forward(r, ids)
            with torch.no_grad():
                tl = tm(torch.tensor(ids)[None])[0].double().numpy()
            tok_ok = tok.encode(ref["prompt"]) == ids
            e_np, e_t = nmse(ours, ref_logits), nmse(tl, ref_logits)
            lim = 1e-5 if stem != "qwen2moe-q8_0" else 1e-2
            good = tok_ok and e_np < lim and e_t < lim
            ok &= good
            print(f"{stem:14s} {pid:8s} tokens {'ok' if tok_ok else 'DIFFER'}  NMSE numpy vs llama.cpp {e_np:.2e}"
                  f"  torch vs llama.cpp {e_t:.2e}  {'ok' if good else 'FAIL'}")
    # Q8_0 bytes: our quantizer vs the shipped q8_0 file and make_tiny_moe_gguf.py's quantizer
    from gguf_export import quant_q8_0
    sys.path.insert(0, os.path.join(SHARED, "tools"))
    import make_tiny_moe_gguf as mt
    f32 = Reader(os.path.join(CONF, "models", "qwen2moe-f32.gguf"))
    q8 = Reader(os.path.join(CONF, "models", "qwen2moe-q8_0.gguf"))
    n_blk = n_diff_file = n_diff_mt = n_tie = n_not_tie = 0
    for name in q8.order:
        if q8.tensors[name][1] != GGML_Q8_0:
            continue
        x = f32.array(name).astype(np.float32)
        ours = quant_q8_0(x)
        n_blk += len(ours) // 34
        a = np.frombuffer(ours, np.uint8).reshape(-1, 34)
        b = np.frombuffer(q8.raw(name), np.uint8).reshape(-1, 34)
        c = np.frombuffer(mt.quant_q8_0(x), np.uint8).reshape(-1, 34)
        n_diff_file += int((a != b).any(1).sum())
        n_diff_mt += int((a != c).any(1).sum())
        # make_tiny_moe_gguf.py rounds with np.round (half to even); ggml's roundf rounds
        # half away from zero, so bytes may differ only where x/d is exactly k + 0.5
        blk = x.reshape(-1, 32)
        d = (np.abs(blk).max(1) / np.float32(127)).astype(np.float32)
        x0 = blk * (np.float32(1) / np.where(d > 0, d, 1)).astype(np.float32)[:, None]
        qa, qb = a[:, 2:].view(np.int8), b[:, 2:].view(np.int8)
        diff = (qa != qb)
        n_tie += int(diff.sum())
        n_not_tie += int((diff & (np.abs(x0) % 1 != 0.5)).sum()) + int((a[:, :2] != b[:, :2]).sum())
    print(f"q8_0 blocks: {n_blk}; differing from qwen2moe-q8_0.gguf: {n_diff_file}; "
          f"from make_tiny_moe_gguf.quant_q8_0: {n_diff_mt}; differing values {n_tie}, "
          f"of which not an exact .5 tie (or a differing scale): {n_not_tie}")
    ok &= n_not_tie == 0 and n_diff_file == n_diff_mt
    # round-half-away-from-zero (ggml roundf) vs numpy's half-to-even on exact ties
    tie = np.array([127.0, 0.5, 1.5, -2.5, 3.5] + [0.0] * 27, np.float32)
    q = np.frombuffer(quant_q8_0(tie), np.uint8)[2:].view(np.int8)[:5].tolist()
    print(f"tie rounding (d=1): {q} (ggml roundf: [127, 1, 2, -3, 4])")
    ok &= q == [127, 1, 2, -3, 4]
    return ok


def check_model(path, checkpoint, prompts):
    import torch
    from model_stats import load_checkpoint
    r = Reader(path)
    model, tok = load_checkpoint(checkpoint)
    if tok.tokens != r.kv["tokenizer.ggml.tokens"]:
        print("FAIL: GGUF vocabulary differs from the checkpoint's tokenizer")
        return False
    deq = torch_from_gguf(r)
    ok = True
    types = {}
    for n in r.order:
        types[r.tensors[n][1]] = types.get(r.tensors[n][1], 0) + 1
    print(f"{os.path.basename(path)}: GGUF v{r.version}, {len(r.order)} tensors, ggml types {types}, "
          f"file_type {r.kv['general.file_type']}, name {r.kv['general.name']!r}")
    ref = Reader(os.path.join(CONF, "models", "qwen2moe-f32.gguf"))
    missing = [k for k in ref.kv if k not in r.kv]
    bad_type = [k for k in ref.kv if k in r.kv and ref.kv_types[k] != r.kv_types[k]]
    ref_names = {n.replace("blk.0.", "blk.N.").replace("blk.1.", "blk.N.") for n in ref.order}
    our_names = {n.split(".", 2)[0] + ".N." + n.split(".", 2)[2] if n.startswith("blk.") else n for n in r.order}
    print(f"metadata keys missing vs conformance qwen2moe: {missing}; type mismatches: {bad_type}; "
          f"tensor-name patterns equal: {ref_names == our_names}")
    ok &= not missing and not bad_type and ref_names == our_names
    if r.kv["general.file_type"] == 7:
        ok &= check_q8_bytes(r, model)
    for p in prompts:
        ids = tok.encode(p)
        ours, routing = forward(r, ids, want_routing=True)
        with torch.no_grad():
            tl = model(torch.tensor(ids)[None])[0].double().numpy()
            dl = deq(torch.tensor(ids)[None])[0].double().numpy()
        e_float, e_deq = nmse(ours, tl), nmse(ours, dl)
        top1 = float((ours.argmax(-1) == tl.argmax(-1)).mean())
        lim = 1e-3 if r.kv["general.file_type"] == 7 else 1e-5
        good = e_float < lim and e_deq < 1e-9
        ok &= good
        print(f"  {len(ids):3d} tokens: NMSE numpy(GGUF) vs torch float {e_float:.2e} (limit {lim:g}), "
              f"vs torch on dequantized weights {e_deq:.2e}, top-1 agreement {top1:.3f}  "
              f"{'ok' if good else 'FAIL'}")
    return ok


def check_q8_bytes(r, model):
    """Every Q8_0 block of the file equals ggml's quantization of the checkpoint's floats;
    also counts where make_tiny_moe_gguf.py's quantizer (np.round) would differ."""
    from gguf_export import quant_q8_0
    sys.path.insert(0, os.path.join(SHARED, "tools"))
    import make_tiny_moe_gguf as mt
    n_blk = n_file = n_mt = n_mt_not_tie = 0
    for name, x in model.gguf_tensors():
        if r.tensors[name][1] != GGML_Q8_0:
            continue
        ours = np.frombuffer(quant_q8_0(x), np.uint8).reshape(-1, 34)
        infile = np.frombuffer(r.raw(name), np.uint8).reshape(-1, 34)
        other = np.frombuffer(mt.quant_q8_0(x), np.uint8).reshape(-1, 34)
        n_blk += len(ours)
        n_file += int((ours != infile).any(1).sum())
        n_mt += int((ours != other).any(1).sum())
        blk = x.reshape(-1, 32)
        d = (np.abs(blk).max(1) / np.float32(127)).astype(np.float32)
        x0 = blk * (np.float32(1) / np.where(d > 0, d, 1)).astype(np.float32)[:, None]
        diff = ours[:, 2:] != other[:, 2:]
        n_mt_not_tie += int((diff & (np.abs(x0) % 1 != 0.5)).sum()) + int((ours[:, :2] != other[:, :2]).sum())
    print(f"  q8_0 blocks {n_blk}: differing from ggml-rounding quantization of the checkpoint: {n_file}; "
          f"make_tiny_moe_gguf.quant_q8_0 differs in {n_mt} blocks, {n_mt_not_tie} values not at an exact .5 tie")
    return n_file == 0 and n_mt_not_tie == 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("gguf", nargs="*")
    ap.add_argument("--checkpoint")
    ap.add_argument("--conformance", action="store_true")
    a = ap.parse_args()
    sys.path.insert(0, HERE)
    ok = True
    if a.conformance:
        ok &= check_conformance()
    prompts = ["<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
               "What is a lantern?<|im_end|>\n<|im_start|>assistant\nA lantern is a light",
               "In the beginning God created the heaven and the earth. And the earth was without form"]
    for path in a.gguf:
        ok &= check_model(path, a.checkpoint, prompts)
    print("ALL OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
