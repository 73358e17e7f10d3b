#!/usr/bin/python3
"""Renders MODEL_CARD.md from moescope-demo-metrics.json (and check_gguf.py's output).

  model_card.py [--metrics moescope-demo-metrics.json] [--check-log FILE] [-o MODEL_CARD.md]
"""
import argparse
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))

WORDNET_NOTICE = """WordNet Release 3.0. This software and database is being provided to you, the LICENSEE,
by Princeton University under the following license. By obtaining, using and/or copying
this software and database, you agree that you have read, understood, and will comply
with these terms and conditions.: Permission to use, copy, modify and distribute this
software and database and its documentation for any purpose and without fee or royalty
is hereby granted, provided that you agree to comply with the following copyright notice
and statements, including the disclaimer, and that the same appear on ALL copies of the
software, database and documentation, including modifications that you make for internal
use or for distribution. WordNet 3.0 Copyright 2006 by Princeton University. All rights
reserved. THIS SOFTWARE AND DATABASE IS PROVIDED "AS IS" AND PRINCETON UNIVERSITY MAKES NO
REPRESENTATIONS OR WARRANTIES, EXPRESS OR IMPLIED. BY WAY OF EXAMPLE, BUT NOT LIMITATION,
PRINCETON UNIVERSITY MAKES NO REPRESENTATIONS OR WARRANTIES OF MERCHANT- ABILITY OR FITNESS
FOR ANY PARTICULAR PURPOSE OR THAT THE USE OF THE LICENSED SOFTWARE, DATABASE OR
DOCUMENTATION WILL NOT INFRINGE ANY THIRD PARTY PATENTS, COPYRIGHTS, TRADEMARKS OR OTHER
RIGHTS. The name of Princeton University or Princeton may not be used in advertising or
publicity pertaining to distribution of the software and/or database. Title to copyright
in this software, database and any associated documentation shall at all times remain
with Princeton University and LICENSEE agrees to preserve same."""


def param_counts(c):
    E, V, L = c["n_embd"], c["n_vocab"], c["n_layer"]
    HD, KD = c["n_head"] * c["head_dim"], c["n_head_kv"] * c["head_dim"]
    attn = E * HD + 2 * E * KD + HD * E + HD + 2 * KD
    expert = 3 * E * c["n_ff_exp"]
    shared = 3 * E * c["n_ff_shexp"] + E
    router = c["n_expert"] * E
    norms = 2 * E
    layer_total = attn + norms + router + c["n_expert"] * expert + shared
    layer_active = attn + norms + router + c["n_expert_used"] * expert + shared
    total = V * E * 2 + E + L * layer_total
    active = V * E + E + L * layer_active          # output head + one embedding row (not the table)
    return {"total": total, "active_per_token": active + E, "active_incl_embedding_table": active + V * E,
            "per_layer_total": layer_total, "per_layer_active": layer_active, "expert": expert,
            "embedding": V * E, "output_head": V * E}


def render(m, check_log):
    c = m["config"]
    pc = param_counts(c)
    tr = m["train"]
    mb = os.path.getsize(os.path.join(HERE, m["model"])) / 1e6 if os.path.exists(os.path.join(HERE, m["model"])) else 0
    L = []
    w = L.append
    w("# MoEScope Demo MoE — model card\n")
    w(f"`resources/models/{m['model']}` ({mb:.2f} MB, GGUF v3, Q8_0) is the model MoEScope opens on first "
      "run. It is a tiny Mixture-of-Experts language model trained from scratch on CPU by "
      "`resources/models/train_demo_moe.py` on text from Debian packages (WordNet definitions as "
      "ChatML chats, King James Bible prose). It answers \"What is a …?\" questions in a dictionary "
      "style and continues Bible-like prose; its facts are often wrong. It exists to show real, "
      "non-random expert routing, not to be useful.\n")
    w("## Architecture (llama.cpp `qwen2moe`)\n")
    w("| property | value |\n|---|---|")
    rows = [("general.architecture", "qwen2moe"), ("general.name", "MoEScope Demo MoE"),
            ("vocabulary", f"{c['n_vocab']} (256 byte tokens + {c['n_vocab'] - 259} BPE merges + 3 control tokens)"),
            ("context length", c["n_ctx"]), ("n_embd", c["n_embd"]), ("layers", c["n_layer"]),
            ("attention", f"{c['n_head']} query heads, {c['n_head_kv']} KV heads (GQA), head_dim {c['head_dim']}, "
                          "q/k/v biases, no output bias"),
            ("rope", f"NeoX style (pairs i, i+head_dim/2), base {c['rope_base']:g}, all {c['head_dim']} dims"),
            ("norm", f"RMSNorm, eps {c['rms_eps']:g}"),
            ("routed experts", f"{c['n_expert']} SwiGLU experts, ffn {c['n_ff_exp']}, top-{c['n_expert_used']} "
                               "of a softmax router, weights = softmax probabilities WITHOUT renormalisation"),
            ("shared expert", f"SwiGLU ffn {c['n_ff_shexp']}, output scaled by sigmoid(ffn_gate_inp_shexp · x)"),
            ("output head", "untied (`output.weight`)"),
            ("parameters (total)", f"{pc['total']:,}"),
            ("parameters active per token", f"{pc['active_per_token']:,} (output head + one embedding row + "
             f"per layer: attention, router, shared expert, {c['n_expert_used']} of {c['n_expert']} experts); "
             f"{pc['active_incl_embedding_table']:,} if the whole embedding table is counted"),
            ("tensor types (Q8_0 file)", "Q8_0 for all matrices incl. token_embd and output; F32 for norms, "
                                        "biases, `ffn_gate_inp` and `ffn_gate_inp_shexp`"),
            ("general.file_type", "7 (MOSTLY_Q8_0); an F16 export (file_type 1) is written to build/demo-moe/")]
    for k, v in rows:
        w(f"| {k} | {v} |")
    w("\nTensor names, shapes and metadata keys follow `shared/tools/make_tiny_moe_gguf.py --arch qwen2moe` "
      "(checked by `check_gguf.py`). Extra keys: `general.license`, `general.license.name`, "
      "`general.description`.\n")
    w("## Tokenizer\n")
    w("Byte-level BPE (`tokenizer.ggml.model = gpt2`, GPT-2 byte↔unicode mapping), pre-tokenizer "
      "`tokenizer.ggml.pre = qwen2` (the Qwen2 regex, applied exactly with Debian's python3-regex, which "
      "supports `\\p{L}`/`\\p{N}`). The merges were learned by the training script from the training "
      "split (all training Bible passages + the first 20,000 chat documents). Token order: 256 byte "
      "tokens (in byte order), merges in rank order, then `<|endoftext|>` "
      f"({c['n_vocab'] - 3}, BOS/EOS/padding), `<|im_start|>` ({c['n_vocab'] - 2}), `<|im_end|>` "
      f"({c['n_vocab'] - 1}, EOT); the three are type 3 (control), all others type 1 (normal). "
      "`add_bos_token = false`. `tokenizer.chat_template` is the standard Qwen2 ChatML template "
      "(default system prompt \"You are a helpful assistant.\"), the format the chats were trained in.\n")
    w("## Training data and licences\n")
    cs = m["corpus"]
    w("| source | Debian package | licence | use |\n|---|---|---|---|")
    w(f"| WordNet 3.0 glosses and example sentences | `wordnet-base` | WordNet 3.0 licence (permissive; "
      f"notice below) | {cs['wordnet_qa_train']:,} question→answer pairs, grouped 1-3 per ChatML conversation "
      f"({cs['chat_docs']:,} conversations); lemmas tagged in SemCor ({cs['wordnet_qa_common']:,} pairs) come "
      "first in the stream |")
    w(f"| King James Version of the Bible | `bible-kjv-text` (data), `bible-kjv` (the `bible` program "
      f"that decodes it) | KJV text: public domain (copyright expired); package code GPL-2+ (not shipped) | "
      f"{cs['bible_docs']:,} passages of 4-12 verses, books Ruth and Jonah held out |")
    w("")
    w("Question templates: \"What is a lantern?\" → \"A lantern is <gloss>.\", \"What does it mean to "
      "whisper?\" → \"To whisper means to <gloss>.\", \"What does \\\"happy\\\" mean?\" → \"\\\"Happy\\\" means "
      "<gloss>.\" and variants; answers sometimes add up to three synonyms and a WordNet example sentence.\n")
    w(f"Held-out validation file: `resources/models/demo-heldout.txt` ({m['heldout_bytes']:,} bytes): the books "
      "of Ruth and Jonah and 150 WordNet chats for lemmas whose crc32 falls in the held-out bucket (1 in 40; "
      "none of their senses is trained on), as plain text with literal `<|im_start|>`/`<|im_end|>` markup.\n")
    w("WordNet licence notice (required on all copies):\n")
    w("```\n" + WORDNET_NOTICE + "\n```\n")
    w("The KJV text was read through the Bible Retrieval System data file, whose legend reads: \"This file "
      "is provided for unrestricted use provided that this legend is included on all tape media and as a "
      "part of the software program in whole or part. Users may copy, modify or distribute this file at "
      "will. -- Chip Chapin, September 4, 1989\".\n")
    w("## Training\n")
    cmd = f"./train_demo_moe.py --steps {tr['steps']}"
    if tr.get("stop_after"):
        cmd += f" --stop-after {tr['stop_after']}"
    if tr.get("anneal_from"):
        cmd += f" --anneal-from {tr['anneal_from']}"
    w("```\nsudo resources/models/train_demo_moe.py --setup     # apt-get install the Debian packages\n"
      f"cd resources/models && nice -n 19 {cmd}\n"
      "./check_gguf.py --conformance moescope-demo-q8_0.gguf ../../build/demo-moe/moescope-demo-f16.gguf \\\n"
      "    --checkpoint ../../build/demo-moe/moescope-demo.pt\n./model_card.py\n```\n")
    steps = m.get("trained_steps", tr["steps"])
    sched = (f"lr {tr['lr']:g} with {tr['warmup']} warm-up steps, then the cosine decay of a {tr['steps']}-step "
             f"schedule (to {tr['min_lr_frac']:g}× at step {tr['steps']})")
    if tr.get("anneal_from"):
        sched += (f" until step {tr['anneal_from']}, from there a linear decay to {tr['min_lr_frac']:g}× lr "
                  f"at the last step {steps} (`--stop-after {steps} --anneal-from {tr['anneal_from']}`: the "
                  "machine was busier than planned, so the run was shortened while it ran; the command above "
                  "reproduces it in one go)")
    w(f"Seed {tr['seed']}; {steps} steps × {tr['batch']} sequences × {tr['seq']} tokens = "
      f"{m['train_tokens']:,} tokens (documents packed, separated by `<|endoftext|>`; chat share "
      f"≈0.67 of the tokens); AdamW (β 0.9/0.95, weight decay {tr['wd']} on matrices), {sched}; "
      "gradient clipping 1.0; loss = "
      f"cross-entropy + {tr['aux_coef']:g} × Switch-Transformer load-balancing loss (n_expert · Σ f_e·P_e per "
      f"layer, 1.0 when balanced). PyTorch {m['torch']} (Debian python3-torch), "
      f"{tr['threads']} thread, deterministic algorithms (a run resumed from a `--save-every` checkpoint "
      "gives bit-identical weights; checked). Training wall time: "
      f"{m['train_wall_s'] / 60:.1f} min (2-core machine shared with C++ builds, nice 19; "
      "1.8 s/step when idle, up to 10 s/step under load).\n")
    w("Loss curve (training cross-entropy in nats per token, mean over the preceding logging window; aux = "
      "load-balancing loss):\n")
    w("| step | loss | aux | lr |\n|---|---|---|---|")
    curve = m["loss_curve"]
    pick = [r for r in curve if r["step"] % 100 == 0 or r["step"] in (10, 20, 50) or r is curve[-1]]
    for r in pick:
        w(f"| {r['step']} | {r['loss']:.3f} | {r['aux']:.3f} | {r['lr']:.2e} |")
    w("")
    if m.get("evals"):
        w("Held-out perplexity during training (llama-perplexity method): " + ", ".join(
            f"step {e['step']}: {e['heldout_ppl_llamacpp_style']:.2f}" for e in m["evals"]) + ".\n")
    w("## Validation perplexity\n")
    p1, p2 = m["ppl_llamacpp_style"], m["ppl_all_tokens_parse_special"]
    w(f"- PyTorch, llama-perplexity method: **{p1['ppl']:.3f}** — `demo-heldout.txt` tokenized as a whole "
      f"({p1['n_tokens']:,} tokens; special-token texts NOT parsed, no BOS, as `llama-perplexity` does), "
      f"{p1['n_chunks']} chunks of {p1['n_ctx']}, in each chunk the second half scored "
      f"({p1['n_scored']:,} predictions), ppl = exp(mean NLL).")
    p3 = m.get("ppl_llamacpp_style_parse_special")
    if p3:
        w(f"- PyTorch, same method but special-token texts parsed into control tokens ({p3['n_tokens']:,} tokens, "
          f"{p3['n_scored']:,} predictions): {p3['ppl']:.3f}. The gap to the first number is the chat markup: "
          "tokenized as plain text, each `<|im_start|>`/`<|im_end|>` becomes several byte-pair pieces the model "
          "never saw, about a quarter of the file's tokens.")
    w(f"- PyTorch, every token scored (chunks of 512, special tokens parsed, {p2['n_scored']:,} "
      f"predictions): {p2['ppl']:.3f}.")
    w("- `moescope-cli perplexity`: TODO: filled in once the engine runs it.\n")
    w("## Sample chats (PyTorch, float weights, greedy, default system prompt, stop at `<|im_end|>`, "
      "at most 80 tokens)\n")
    for s in m["samples"]:
        w(f"- **User:** {s['user']}  \n  **Assistant:** {s['assistant']}")
    w("")
    w("## Expert usage on the held-out text\n")
    w("Per layer, over all tokens of `demo-heldout.txt` (special tokens parsed; chunks of 512): entropy of the "
      "distribution of top-2 expert picks (max log2(8) = 3 bits), the share of picks per expert, and the "
      "consecutive-token reuse rate = fraction of the top-2 picks at token t that were also picked at "
      "token t-1 (2/8 = 0.25 for independent uniform routing).\n")
    w("| layer | entropy (bits) | max | reuse rate | expert shares |\n|---|---|---|---|---|")
    for r in m["expert_usage_heldout_parse_special"]:
        w(f"| {r['layer']} | {r['entropy_bits']:.3f} | {r['max_entropy_bits']:.0f} | "
          f"{r['consecutive_reuse_rate']:.3f} | {' '.join(f'{q:.3f}' for q in r['expert_share'])} |")
    w("")
    if check_log:
        w("## File check (`check_gguf.py`)\n")
        w("Own GGUF reader + numpy qwen2moe forward (float64). With `--conformance` the same code and the "
          "PyTorch model are first checked against llama.cpp's logits for the shared qwen2moe test models.\n")
        w("```\n" + check_log.strip() + "\n```\n")
    w("## Limitations\n")
    w("~10M parameters trained on about 3 million tokens in about an hour on one (shared) CPU core: the "
      "answers have the dictionary form (\"A … is a …\", \"To … means to …\") but usually name the wrong "
      "word and invent the definition; prose drifts; the model knows nothing beyond WordNet glosses and the "
      "KJV. English only. Do not rely on its output. A longer run of the same script (e.g. the full "
      "`--steps 1300` schedule, ~40 min on an idle core) should answer better.\n")
    w("Note on Q8_0: the file's blocks are ggml's `quantize_row_q8_0_ref` (round half away from zero). "
      "`shared/tools/make_tiny_moe_gguf.py` rounds with `np.round` (half to even), so its Q8_0 differs from "
      "ggml's exactly where x/d is k + 0.5: 20 of 311,296 blocks for these weights, and 6 of 139,264 blocks "
      "in `shared/conformance/models/qwen2moe-q8_0.gguf` (see the check log above).")
    return "\n".join(L) + "\n"


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--metrics", default=os.path.join(HERE, "moescope-demo-metrics.json"))
    ap.add_argument("--check-log")
    ap.add_argument("-o", "--out", default=os.path.join(HERE, "MODEL_CARD.md"))
    a = ap.parse_args()
    m = json.load(open(a.metrics))
    log = open(a.check_log).read() if a.check_log else ""
    open(a.out, "w").write(render(m, log))
    print("wrote", a.out)
