"""Byte-level BPE (GPT-2 byte<->unicode mapping) with the Qwen2 pre-tokenizer.

Used by train_demo_moe.py to learn the demo model's vocabulary and to tokenize its
corpus.  The pre-tokenizer is llama.cpp's LLAMA_VOCAB_PRE_TYPE_QWEN2 regex, run with
the `regex` module (Debian: python3-regex) because Python's `re` has no \\p{L}/\\p{N}.
"""
import collections
import heapq

import regex

QWEN2_PRETOK = regex.compile(
    r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])"
    r"|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]


def bytes_to_unicode():
    bs = (list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
          + list(range(ord("®"), ord("ÿ") + 1)))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


B2U = bytes_to_unicode()
U2B = {u: b for b, u in B2U.items()}


def pretokenize(text):
    return QWEN2_PRETOK.findall(text)


def train_bpe(word_counts, n_merges):
    """word_counts: {pre-token string: count}.  Returns the merges as (left, right) pairs.

    Incremental pair counting with a lazy max-heap; ties go to the lexicographically
    smallest pair so the result depends only on the counts."""
    words, freqs = [], []
    for w in sorted(word_counts):
        words.append([B2U[c] for c in w.encode("utf-8")])
        freqs.append(word_counts[w])
    pair_count = collections.Counter()
    where = collections.defaultdict(set)
    for i, (w, f) in enumerate(zip(words, freqs)):
        for p in zip(w, w[1:]):
            pair_count[p] += f
            where[p].add(i)
    heap = [(-c, p) for p, c in pair_count.items()]
    heapq.heapify(heap)
    merges = []
    while len(merges) < n_merges and heap:
        negc, best = heapq.heappop(heap)
        if pair_count.get(best, 0) != -negc or negc == 0:
            continue
        merges.append(best)
        a, b = best
        ab = a + b
        touched = set()
        for i in where.pop(best, ()):
            w, f = words[i], freqs[i]
            if len(w) < 2:
                continue
            old_pairs = list(zip(w, w[1:]))
            if best not in old_pairs:
                continue
            for p in old_pairs:
                pair_count[p] -= f
                touched.add(p)
            out, j = [], 0
            while j < len(w):
                if j + 1 < len(w) and w[j] == a and w[j + 1] == b:
                    out.append(ab)
                    j += 2
                else:
                    out.append(w[j])
                    j += 1
            words[i] = out
            for p in zip(out, out[1:]):
                pair_count[p] += f
                touched.add(p)
                where[p].add(i)
        pair_count.pop(best, None)
        for p in touched:
            c = pair_count.get(p, 0)
            if c > 0 and p != best:
                heapq.heappush(heap, (-c, p))
            elif c <= 0:
                pair_count.pop(p, None)
    return merges


class Tokenizer:
    """Vocabulary = 256 byte tokens, then one token per merge, then SPECIALS."""

    def __init__(self, merges):
        self.merges = list(merges)
        self.tokens = [B2U[b] for b in range(256)] + [a + b for a, b in self.merges] + SPECIALS
        self.ids = {t: i for i, t in enumerate(self.tokens)}
        assert len(self.ids) == len(self.tokens), "duplicate token strings"
        self.rank = {p: r for r, p in enumerate(self.merges)}
        self.special_ids = {s: self.ids[s] for s in SPECIALS}
        self._split = regex.compile("(" + "|".join(regex.escape(s) for s in SPECIALS) + ")")
        self._cache = {}

    @property
    def n_vocab(self):
        return len(self.tokens)

    def _bpe(self, word):
        hit = self._cache.get(word)
        if hit is not None:
            return hit
        sym = [B2U[c] for c in word.encode("utf-8")]
        while len(sym) > 1:
            best, best_r = None, None
            for p in zip(sym, sym[1:]):
                r = self.rank.get(p)
                if r is not None and (best_r is None or r < best_r):
                    best, best_r = p, r
            if best is None:
                break
            out, j = [], 0
            while j < len(sym):
                if j + 1 < len(sym) and sym[j] == best[0] and sym[j + 1] == best[1]:
                    out.append(sym[j] + sym[j + 1])
                    j += 2
                else:
                    out.append(sym[j])
                    j += 1
            sym = out
        ids = [self.ids[s] for s in sym]
        self._cache[word] = ids
        return ids

    def encode(self, text, parse_special=True):
        out = []
        parts = self._split.split(text) if parse_special else [text]
        for part in parts:
            if not part:
                continue
            if parse_special and part in self.special_ids:
                out.append(self.special_ids[part])
                continue
            for w in pretokenize(part):
                out.extend(self._bpe(w))
        return out

    def decode(self, ids):
        bs = bytearray()
        for i in ids:
            t = self.tokens[i]
            if t in self.special_ids:
                bs += t.encode("utf-8")
            else:
                bs += bytes(U2B[c] for c in t)
        return bs.decode("utf-8", errors="replace")
