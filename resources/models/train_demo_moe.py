#!/usr/bin/python3
"""Train MoEScope's bundled demo model (qwen2moe, ~10M parameters) and export it as GGUF.

Reproducible: fixed seeds, one thread, deterministic algorithms; the corpus comes only
from Debian packages (see demo_corpus.py and MODEL_CARD.md).

  sudo ./train_demo_moe.py --setup          # apt-get install the packages it needs
  nice -n 19 ./train_demo_moe.py            # corpus -> BPE -> train -> GGUF -> metrics
  ./train_demo_moe.py --smoke               # a few steps end to end, outputs in the work dir

Outputs: moescope-demo-q8_0.gguf, moescope-demo-metrics.json and demo-heldout.txt next to
this script; the F16 GGUF, the checkpoint and the merges cache in --work-dir.
"""
import argparse
import collections
import json
import math
import os
import random
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
APT_PACKAGES = ["python3-torch", "python3-numpy", "python3-regex", "libopenblas0-serial",
                "wordnet-base", "bible-kjv", "bible-kjv-text"]


def setup():
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "--no-install-recommends"] + APT_PACKAGES, check=True, env=env)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--setup", action="store_true", help="apt-get install the required Debian packages and exit")
    ap.add_argument("--smoke", action="store_true", help="tiny end-to-end run; writes only into --work-dir")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--steps", type=int, default=1300)
    ap.add_argument("--batch", type=int, default=8, help="sequences per step")
    ap.add_argument("--seq", type=int, default=512)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--min-lr-frac", type=float, default=0.1)
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--wd", type=float, default=0.1)
    ap.add_argument("--aux-coef", type=float, default=0.01, help="load-balancing loss weight")
    ap.add_argument("--chat-frac", type=float, default=0.82,
                    help="probability that the next document is a chat (about 0.65 of the tokens)")
    ap.add_argument("--vocab", type=int, default=4096)
    ap.add_argument("--log-every", type=int, default=10)
    ap.add_argument("--eval-every", type=int, default=0, help="validation ppl every N steps (0: end only)")
    ap.add_argument("--stop-after", type=int, default=0,
                    help="stop after N optimizer steps of the --steps schedule (0: run all --steps)")
    ap.add_argument("--anneal-from", type=int, default=0,
                    help="from this step on, decay the lr linearly to min-lr-frac*lr at the --stop-after step")
    ap.add_argument("--save-every", type=int, default=25, help="checkpoint (model + AdamW) every N steps")
    ap.add_argument("--resume", help="continue from a checkpoint written by --save-every")
    ap.add_argument("--from-checkpoint", help="skip training: export + evaluate this checkpoint")
    ap.add_argument("--loss-log", help="with --from-checkpoint: training log to take the loss curve from")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--work-dir", default=os.path.join(HERE, "..", "..", "build", "demo-moe"))
    ap.add_argument("--out-dir", default=HERE)
    a = ap.parse_args()
    if a.setup:
        setup()
        return

    import numpy as np
    import torch
    from bpe_train import Tokenizer, pretokenize, train_bpe, SPECIALS
    from demo_corpus import build
    from demo_model import Config, Model, aux_load_balance
    from gguf_export import export
    import model_stats
    from model_card import param_counts

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    torch.use_deterministic_algorithms(True)
    if a.smoke:
        a.steps, a.batch, a.seq, a.log_every, a.warmup = min(a.steps, 6), 2, 128, 1, 2
        a.out_dir = a.work_dir
    os.makedirs(a.work_dir, exist_ok=True)
    t_start = time.time()
    log = lambda *s: print(f"[{time.time() - t_start:7.1f}s]", *s, flush=True)

    # ---------------------------------------------------------------- corpus
    corpus = build(a.seed)
    log("corpus", corpus["stats"])
    heldout_path = os.path.join(a.out_dir, "demo-heldout.txt")
    with open(heldout_path, "w", encoding="utf-8") as f:
        f.write(corpus["heldout_text"])

    # ---------------------------------------------------------------- tokenizer
    n_merges = a.vocab - 256 - len(SPECIALS)
    bpe_docs = corpus["train_bible"] + corpus["train_chat"][:20000]
    merges_path = os.path.join(a.work_dir, f"merges-{a.seed}-{n_merges}.json")
    if os.path.exists(merges_path):
        merges = [tuple(m) for m in json.load(open(merges_path))]
    else:
        counts = collections.Counter()
        for d in bpe_docs:
            for part in d.replace("<|im_start|>", "\n").replace("<|im_end|>", "\n").split("\n"):
                counts.update(pretokenize(part + "\n"))
        merges = train_bpe(counts, n_merges)
        json.dump(merges, open(merges_path, "w"))
    tok = Tokenizer(merges)
    log(f"tokenizer: {tok.n_vocab} tokens, {len(merges)} merges")

    # ---------------------------------------------------------------- token stream
    rng = random.Random(a.seed)
    need = a.steps * a.batch * a.seq + a.seq + 1
    chat, bible = list(corpus["train_chat"]), list(corpus["train_bible"])
    bible_rng = random.Random(a.seed + 10)
    bible_rng.shuffle(bible)
    stream, ci, bi, n_chat_tok = [], 0, 0, 0
    eot = tok.special_ids["<|endoftext|>"]
    while len(stream) < need:
        if rng.random() < a.chat_frac:
            ids = tok.encode(chat[ci % len(chat)])
            ci += 1
            n_chat_tok += len(ids)
        else:
            ids = tok.encode(bible[bi % len(bible)])
            bi += 1
        stream += ids + [eot]
    log(f"stream: {len(stream)} tokens ({ci} chat docs, {bi} bible passages, chat share "
        f"{n_chat_tok / len(stream):.2f}); epochs: chat {ci / len(chat):.2f}, bible {bi / len(bible):.2f}")
    data = torch.tensor(stream, dtype=torch.long)
    n_win = (len(stream) - 1) // a.seq
    order = torch.randperm(n_win, generator=torch.Generator().manual_seed(a.seed))

    # ---------------------------------------------------------------- model
    cfg = Config(n_vocab=tok.n_vocab, n_ctx=512)
    model = Model(cfg)
    n_params = sum(p.numel() for p in model.parameters())
    pc = param_counts(cfg.dict())
    assert pc["total"] == n_params, (pc["total"], n_params)
    log(f"model: {n_params / 1e6:.3f}M parameters, {pc['active_per_token'] / 1e6:.3f}M active per token")
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": a.wd},
                             {"params": no_decay, "weight_decay": 0.0}], lr=a.lr, betas=(0.9, 0.95), eps=1e-8)

    last = min(a.steps, a.stop_after or a.steps)

    def lr_at(s):
        if a.anneal_from and s >= a.anneal_from:
            lr0 = cosine_lr(a.anneal_from)
            return lr0 + (a.lr * a.min_lr_frac - lr0) * (s - a.anneal_from + 1) / (last - a.anneal_from)
        return cosine_lr(s)

    def cosine_lr(s):
        if s < a.warmup:
            return a.lr * (s + 1) / a.warmup
        t = (s - a.warmup) / max(1, a.steps - a.warmup)
        return a.lr * (a.min_lr_frac + (1 - a.min_lr_frac) * 0.5 * (1 + math.cos(math.pi * t)))

    heldout_ids = tok.encode(corpus["heldout_text"], parse_special=False)
    curve, evals, first_step, train_s_before = [], [], 0, 0.0
    src = a.resume or a.from_checkpoint
    if src:
        ck = torch.load(src)
        model.load_state_dict(ck["state"])
        first_step = ck["step"]
        curve, evals, train_s_before = ck.get("curve", []), ck.get("evals", []), ck.get("train_s", 0.0)
        if a.resume:
            opt.load_state_dict(ck["optimizer"])
        log(f"loaded {src} (step {first_step})")
    if a.loss_log:
        # lines logged by the training loop: '[  t s] {"step": ...}'
        curve = [json.loads(line.split("] ", 1)[1]) for line in open(a.loss_log)
                 if line.count('{"step"') == 1 and line.startswith("[")]
        curve = [r for r in curve if r["step"] <= first_step]
        if curve:
            train_s_before = curve[-1]["elapsed_s"]
    if a.from_checkpoint and first_step < a.steps:
        a.stop_after = first_step
    t_train = time.time()
    acc_loss, acc_aux, acc_n = 0.0, 0.0, 0
    for step in range(first_step, last if not a.from_checkpoint else first_step):
        model.train()
        idx = order[(step * a.batch + torch.arange(a.batch)) % n_win]
        starts = idx * a.seq
        xy = torch.stack([data[s:s + a.seq + 1] for s in starts.tolist()])
        x, y = xy[:, :-1], xy[:, 1:]
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        st = []
        logits = model(x, stats=st)
        ce = torch.nn.functional.cross_entropy(logits.reshape(-1, cfg.n_vocab), y.reshape(-1))
        aux = aux_load_balance(st, cfg.n_expert, cfg.n_expert_used)
        loss = ce + a.aux_coef * aux
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        acc_loss += ce.item()
        acc_aux += aux.item()
        acc_n += 1
        if (step + 1) % a.log_every == 0 or step + 1 == last:
            el = time.time() - t_train
            rec = {"step": step + 1, "loss": acc_loss / acc_n, "aux": acc_aux / acc_n, "lr": lr_at(step),
                   "elapsed_s": round(train_s_before + el, 1),
                   "tok_per_s": round((step + 1 - first_step) * a.batch * a.seq / el, 1)}
            curve.append(rec)
            log(json.dumps(rec))
            acc_loss, acc_aux, acc_n = 0.0, 0.0, 0
        if a.eval_every and (step + 1) % a.eval_every == 0 and step + 1 < a.steps:
            model.eval()
            r = model_stats.perplexity_llamacpp(model, heldout_ids, cfg.n_ctx)
            evals.append({"step": step + 1, "heldout_ppl_llamacpp_style": r["ppl"]})
            log("eval", evals[-1])
        if a.save_every and (step + 1) % a.save_every == 0:
            path = os.path.join(a.work_dir, f"ckpt-step{step + 1:04d}.pt")
            torch.save({"config": cfg.dict(), "state": model.state_dict(), "optimizer": opt.state_dict(),
                        "step": step + 1, "curve": curve, "evals": evals,
                        "train_s": train_s_before + time.time() - t_train}, path + ".tmp")
            os.replace(path + ".tmp", path)
            old = os.path.join(a.work_dir, f"ckpt-step{step + 1 - 2 * a.save_every:04d}.pt")
            if os.path.exists(old):
                os.remove(old)
    trained_steps = last if not a.from_checkpoint else first_step
    train_s = train_s_before + time.time() - t_train

    # ---------------------------------------------------------------- save + export
    model.eval()
    ck_path = os.path.join(a.work_dir, "moescope-demo.pt")
    torch.save({"config": cfg.dict(), "state": model.state_dict(), "merges": merges}, ck_path)
    tensors = model.gguf_tensors()
    extra = [("general.description", "Tiny qwen2moe demo model bundled with MoEScope, trained by "
              "resources/models/train_demo_moe.py on WordNet chats and KJV prose")]
    f16_path = os.path.join(a.work_dir, "moescope-demo-f16.gguf")
    q8_path = os.path.join(a.out_dir, "moescope-demo-q8_0.gguf")
    export(f16_path, cfg, tensors, tok, "f16", extra)
    n_t = export(q8_path, cfg, tensors, tok, "q8_0", extra)
    log(f"wrote {q8_path} ({os.path.getsize(q8_path) / 1e6:.2f} MB, {n_t} tensors), "
        f"{f16_path} ({os.path.getsize(f16_path) / 1e6:.2f} MB)")

    # ---------------------------------------------------------------- metrics
    ev = model_stats.evaluate(model, tok, corpus["heldout_text"], cfg.n_ctx)
    metrics = {
        "model": os.path.basename(q8_path), "config": cfg.dict(),
        "params": pc,
        "train": {k: v for k, v in vars(a).items()
                  if k not in ("work_dir", "out_dir", "setup", "resume", "from_checkpoint", "loss_log")},
        "trained_steps": trained_steps,
        "train_tokens": trained_steps * a.batch * a.seq, "train_wall_s": round(train_s, 1),
        "torch": torch.__version__, "corpus": corpus["stats"], "loss_curve": curve, "evals": evals,
        **ev, "ppl_moescope_cli": "TODO: filled in once the engine runs it",
    }
    mpath = os.path.join(a.out_dir, "moescope-demo-metrics.json")
    json.dump(metrics, open(mpath, "w"), indent=1)
    log(f"heldout ppl (llama-perplexity style) {ev['ppl_llamacpp_style']['ppl']:.3f}, "
        f"same with special tokens parsed {ev['ppl_llamacpp_style_parse_special']['ppl']:.3f}, "
        f"all tokens {ev['ppl_all_tokens_parse_special']['ppl']:.3f}")
    for s in ev["samples"]:
        log("sample", json.dumps(s))
    log(f"done; metrics in {mpath}")


if __name__ == "__main__":
    sys.path.insert(0, HERE)
    main()
