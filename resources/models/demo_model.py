"""PyTorch qwen2moe model with the exact semantics of llama.cpp's qwen2moe graph.

RMSNorm (eps 1e-6), q/k/v biases, NeoX rope (pairs i and i+head_dim/2), GQA, softmax
router with top-k WITHOUT renormalisation, shared expert scaled by
sigmoid(ffn_gate_inp_shexp . x).  Parameters are stored in the GGUF layout (numpy
shapes, i.e. reversed ggml ne), so export is a plain copy.
"""
import math
from dataclasses import dataclass, asdict

import torch
import torch.nn.functional as F


@dataclass
class Config:
    n_vocab: int = 4096
    n_embd: int = 256
    n_layer: int = 4
    n_head: int = 4
    n_head_kv: int = 2
    head_dim: int = 64
    n_expert: int = 8
    n_expert_used: int = 2
    n_ff_exp: int = 256
    n_ff_shexp: int = 256
    n_ctx: int = 512
    rope_base: float = 10000.0
    rms_eps: float = 1e-6

    def dict(self):
        return asdict(self)


def rms_norm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rope_neox(x, pos, base):
    """x: [B, H, T, D]; rotates pairs (i, i + D/2) by pos * base^(-2i/D)."""
    d = x.shape[-1]
    inv = base ** (-torch.arange(0, d // 2, dtype=torch.float64) * 2.0 / d)
    ang = (pos.to(torch.float64)[:, None] * inv[None, :])
    cos, sin = ang.cos().to(x.dtype), ang.sin().to(x.dtype)
    x1, x2 = x[..., : d // 2], x[..., d // 2:]
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1)


class Layer(torch.nn.Module):
    def __init__(self, c: Config, n_layer_total: int):
        super().__init__()
        E, HD, KD, X, FE, FS = (c.n_embd, c.n_head * c.head_dim, c.n_head_kv * c.head_dim,
                                c.n_expert, c.n_ff_exp, c.n_ff_shexp)
        P = torch.nn.Parameter
        std, out_std = 0.02, 0.02 / math.sqrt(2 * n_layer_total)
        n = lambda *s, sd=std: P(torch.randn(*s) * sd)
        self.attn_norm = P(torch.ones(E))
        self.attn_q, self.attn_k, self.attn_v = n(HD, E), n(KD, E), n(KD, E)
        self.attn_q_b, self.attn_k_b, self.attn_v_b = P(torch.zeros(HD)), P(torch.zeros(KD)), P(torch.zeros(KD))
        self.attn_output = n(E, HD, sd=out_std)
        self.ffn_norm = P(torch.ones(E))
        self.ffn_gate_inp = n(X, E)
        self.ffn_gate_exps, self.ffn_up_exps = n(X, FE, E), n(X, FE, E)
        self.ffn_down_exps = n(X, E, FE, sd=out_std)
        self.ffn_gate_inp_shexp = n(E)
        self.ffn_gate_shexp, self.ffn_up_shexp = n(FS, E), n(FS, E)
        self.ffn_down_shexp = n(E, FS, sd=out_std)

    def forward(self, x, c: Config, pos, stats=None):
        B, T, E = x.shape
        h = rms_norm(x, self.attn_norm, c.rms_eps)
        q = (h @ self.attn_q.T + self.attn_q_b).view(B, T, c.n_head, c.head_dim).transpose(1, 2)
        k = (h @ self.attn_k.T + self.attn_k_b).view(B, T, c.n_head_kv, c.head_dim).transpose(1, 2)
        v = (h @ self.attn_v.T + self.attn_v_b).view(B, T, c.n_head_kv, c.head_dim).transpose(1, 2)
        q, k = rope_neox(q, pos, c.rope_base), rope_neox(k, pos, c.rope_base)
        rep = c.n_head // c.n_head_kv          # GQA: query head h uses kv head h // rep (as ggml)
        k, v = k.repeat_interleave(rep, dim=1), v.repeat_interleave(rep, dim=1)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(c.head_dim)
        mask = torch.ones(T, T, dtype=torch.bool).triu(1)
        att = att.masked_fill(mask, float("-inf")).softmax(-1)
        a = (att @ v).transpose(1, 2).reshape(B, T, -1)
        x = x + a @ self.attn_output.T

        h = rms_norm(x, self.ffn_norm, c.rms_eps).reshape(B * T, E)
        probs = (h @ self.ffn_gate_inp.T).softmax(-1)                 # [N, X]
        w, sel = probs.topk(c.n_expert_used, dim=-1)                 # no renormalisation (qwen2moe)
        out = torch.zeros_like(h)
        for e in range(c.n_expert):
            tok, slot = (sel == e).nonzero(as_tuple=True)
            if tok.numel() == 0:
                continue
            he = h[tok]
            y = F.silu(he @ self.ffn_gate_exps[e].T) * (he @ self.ffn_up_exps[e].T)
            y = y @ self.ffn_down_exps[e].T
            out.index_add_(0, tok, y * w[tok, slot][:, None])
        sh = F.silu(h @ self.ffn_gate_shexp.T) * (h @ self.ffn_up_shexp.T)
        sh = (sh @ self.ffn_down_shexp.T) * torch.sigmoid(h @ self.ffn_gate_inp_shexp)[:, None]
        x = x + (out + sh).view(B, T, E)
        if stats is not None:
            stats.append((probs, sel))
        return x


class Model(torch.nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.c = c
        self.token_embd = torch.nn.Parameter(torch.randn(c.n_vocab, c.n_embd) * 0.02)
        self.layers = torch.nn.ModuleList([Layer(c, c.n_layer) for _ in range(c.n_layer)])
        self.output_norm = torch.nn.Parameter(torch.ones(c.n_embd))
        self.output = torch.nn.Parameter(torch.randn(c.n_vocab, c.n_embd) * 0.02)

    def forward(self, ids, stats=None, start_pos=0):
        T = ids.shape[1]
        pos = torch.arange(start_pos, start_pos + T)
        x = self.token_embd[ids]
        for layer in self.layers:
            x = layer(x, self.c, pos, stats)
        return rms_norm(x, self.output_norm, self.c.rms_eps) @ self.output.T

    def gguf_tensors(self):
        """[(gguf name, float32 numpy array in numpy order = reversed ggml ne)]"""
        t = lambda p: p.detach().to(torch.float32).contiguous().numpy()
        out = [("token_embd.weight", t(self.token_embd)), ("output_norm.weight", t(self.output_norm)),
               ("output.weight", t(self.output))]
        for i, L in enumerate(self.layers):
            p = f"blk.{i}."
            out += [(p + "attn_norm.weight", t(L.attn_norm)),
                    (p + "attn_q.weight", t(L.attn_q)), (p + "attn_k.weight", t(L.attn_k)),
                    (p + "attn_v.weight", t(L.attn_v)),
                    (p + "attn_q.bias", t(L.attn_q_b)), (p + "attn_k.bias", t(L.attn_k_b)),
                    (p + "attn_v.bias", t(L.attn_v_b)),
                    (p + "attn_output.weight", t(L.attn_output)),
                    (p + "ffn_norm.weight", t(L.ffn_norm)),
                    (p + "ffn_gate_inp.weight", t(L.ffn_gate_inp)),
                    (p + "ffn_gate_exps.weight", t(L.ffn_gate_exps)),
                    (p + "ffn_up_exps.weight", t(L.ffn_up_exps)),
                    (p + "ffn_down_exps.weight", t(L.ffn_down_exps)),
                    (p + "ffn_gate_inp_shexp.weight", t(L.ffn_gate_inp_shexp)),
                    (p + "ffn_gate_shexp.weight", t(L.ffn_gate_shexp)),
                    (p + "ffn_up_shexp.weight", t(L.ffn_up_shexp)),
                    (p + "ffn_down_shexp.weight", t(L.ffn_down_shexp))]
        return out

    def load_gguf_tensors(self, named):
        """Inverse of gguf_tensors (e.g. to run the model on dequantized weights)."""
        own = dict(self._gguf_params())
        for name, arr in named.items():
            own[name].data.copy_(torch.from_numpy(arr).reshape(own[name].shape))

    def _gguf_params(self):
        m = {"token_embd.weight": self.token_embd, "output_norm.weight": self.output_norm,
             "output.weight": self.output}
        for i, L in enumerate(self.layers):
            p = f"blk.{i}."
            for gname, attr in (("attn_norm.weight", "attn_norm"), ("attn_q.weight", "attn_q"),
                                ("attn_k.weight", "attn_k"), ("attn_v.weight", "attn_v"),
                                ("attn_q.bias", "attn_q_b"), ("attn_k.bias", "attn_k_b"),
                                ("attn_v.bias", "attn_v_b"), ("attn_output.weight", "attn_output"),
                                ("ffn_norm.weight", "ffn_norm"), ("ffn_gate_inp.weight", "ffn_gate_inp"),
                                ("ffn_gate_exps.weight", "ffn_gate_exps"), ("ffn_up_exps.weight", "ffn_up_exps"),
                                ("ffn_down_exps.weight", "ffn_down_exps"),
                                ("ffn_gate_inp_shexp.weight", "ffn_gate_inp_shexp"),
                                ("ffn_gate_shexp.weight", "ffn_gate_shexp"),
                                ("ffn_up_shexp.weight", "ffn_up_shexp"),
                                ("ffn_down_shexp.weight", "ffn_down_shexp")):
                m[p + gname] = getattr(L, attr)
        return m.items()


def aux_load_balance(stats, n_expert, k):
    """Switch-Transformer balance loss per layer: X * sum_e f_e * P_e (1.0 when uniform)."""
    loss = 0.0
    for probs, sel in stats:
        f = torch.zeros(n_expert).index_add_(0, sel.reshape(-1), torch.ones(sel.numel())) / sel.numel()
        loss = loss + n_expert * (f * probs.mean(0)).sum()
    return loss / len(stats)
