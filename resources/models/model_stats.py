"""Evaluation of the demo model: perplexity, expert usage, sample chats.

Standalone: model_stats.py CHECKPOINT [--heldout FILE]  (prints the metrics JSON)."""
import argparse
import json
import math

import numpy as np
import torch

from demo_corpus import chatml, SYSTEM


@torch.no_grad()
def perplexity_llamacpp(model, ids, n_ctx):
    """llama-perplexity's method: whole file tokenized once (no BOS for this vocab), split
    into floor(n/n_ctx) chunks of n_ctx tokens; in each chunk only the second half is
    scored (tokens first+1 .. n_ctx-1 predicted from logits first .. n_ctx-2, first =
    n_ctx/2), ppl = exp(mean NLL)."""
    n_chunk = len(ids) // n_ctx
    first = n_ctx // 2
    nll, cnt = 0.0, 0
    for c in range(n_chunk):
        x = torch.tensor(ids[c * n_ctx:(c + 1) * n_ctx])[None]
        lp = model(x)[0].double().log_softmax(-1)
        tgt = x[0, first + 1:]
        nll -= lp[first:n_ctx - 1].gather(1, tgt[:, None]).sum().item()
        cnt += len(tgt)
    return {"ppl": math.exp(nll / cnt), "mean_nll": nll / cnt, "n_chunks": n_chunk, "n_scored": cnt,
            "n_tokens": len(ids), "n_ctx": n_ctx}


@torch.no_grad()
def perplexity_all(model, ids, n_ctx):
    """Every token after the first of each n_ctx chunk is scored (tail chunk included)."""
    nll, cnt = 0.0, 0
    for s in range(0, len(ids) - 1, n_ctx):
        x = torch.tensor(ids[s:s + n_ctx])[None]
        if x.shape[1] < 2:
            break
        lp = model(x)[0].double().log_softmax(-1)
        nll -= lp[:-1].gather(1, x[0, 1:, None]).sum().item()
        cnt += x.shape[1] - 1
    return {"ppl": math.exp(nll / cnt), "mean_nll": nll / cnt, "n_scored": cnt, "n_tokens": len(ids)}


@torch.no_grad()
def expert_stats(model, ids, n_ctx):
    """Per layer over the text (chunks of n_ctx): entropy in bits of the distribution of
    top-k expert picks, and the rate at which a top-k pick at token t was also picked at
    token t-1 (pairs within a chunk)."""
    c = model.c
    counts = np.zeros((c.n_layer, c.n_expert))
    reuse = np.zeros(c.n_layer)
    pairs = 0
    for s in range(0, len(ids), n_ctx):
        x = torch.tensor(ids[s:s + n_ctx])[None]
        st = []
        model(x, stats=st)
        for li, (_, sel) in enumerate(st):
            sel = sel.numpy()
            counts[li] += np.bincount(sel.reshape(-1), minlength=c.n_expert)
            same = (sel[1:, :, None] == sel[:-1, None, :]).any(-1)     # pick at t also at t-1
            reuse[li] += same.sum()
        pairs += x.shape[1] - 1
    out = []
    for li in range(c.n_layer):
        p = counts[li] / counts[li].sum()
        ent = -sum(q * math.log2(q) for q in p if q > 0)
        out.append({"layer": li, "entropy_bits": ent, "max_entropy_bits": math.log2(c.n_expert),
                    "expert_share": [round(float(q), 4) for q in p],
                    "consecutive_reuse_rate": reuse[li] / (pairs * c.n_expert_used)})
    return out


@torch.no_grad()
def greedy_chat(model, tok, user, max_new=80):
    prompt = chatml([{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}])
    prompt += "<|im_start|>assistant\n"
    ids = tok.encode(prompt)
    stop = {tok.special_ids["<|im_end|>"], tok.special_ids["<|endoftext|>"]}
    out = []
    for _ in range(max_new):
        logits = model(torch.tensor(ids + out)[None])[0, -1]
        nxt = int(torch.argmax(logits))          # ties -> lowest id
        if nxt in stop:
            break
        out.append(nxt)
    return tok.decode(out)


SAMPLE_PROMPTS = ["What is a lantern?", "What does it mean to whisper?", "What is a river?",
                  "What does \"happy\" mean?", "Define library."]


def evaluate(model, tok, heldout_text, n_ctx):
    model.eval()
    ids_plain = tok.encode(heldout_text, parse_special=False)
    ids_special = tok.encode(heldout_text, parse_special=True)
    return {
        "heldout_bytes": len(heldout_text.encode()),
        "ppl_llamacpp_style": perplexity_llamacpp(model, ids_plain, n_ctx),
        "ppl_llamacpp_style_parse_special": perplexity_llamacpp(model, ids_special, n_ctx),
        "ppl_all_tokens_parse_special": perplexity_all(model, ids_special, n_ctx),
        "expert_usage_heldout_parse_special": expert_stats(model, ids_special, n_ctx),
        "samples": [{"user": p, "assistant": greedy_chat(model, tok, p)} for p in SAMPLE_PROMPTS],
    }


def load_checkpoint(path):
    from demo_model import Config, Model
    from bpe_train import Tokenizer
    ck = torch.load(path)
    model = Model(Config(**ck["config"]))
    model.load_state_dict(ck["state"])
    model.eval()
    return model, Tokenizer([tuple(m) for m in ck["merges"]])


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint")
    ap.add_argument("--heldout", default="demo-heldout.txt")
    a = ap.parse_args()
    torch.set_num_threads(1)
    m, t = load_checkpoint(a.checkpoint)
    print(json.dumps(evaluate(m, t, open(a.heldout, encoding="utf-8").read(), m.c.n_ctx), indent=1))
