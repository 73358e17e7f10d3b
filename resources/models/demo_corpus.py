"""Corpus of the demo model, built only from Debian packages installed by --setup.

* wordnet-base (WordNet 3.0 licence, permissive): question -> answer chat turns from
  the glosses and example sentences, rendered with the ChatML template.
* bible-kjv + bible-kjv-text (King James Version, public domain; text read with the
  package's `bible` program): plain prose passages.

Held out (never trained on): the books of Ruth and Jonah, and every WordNet lemma whose
crc32 falls in the held-out bucket.  Everything is deterministic given the seed.
"""
import random
import re
import subprocess
import zlib

WORDNET = "/usr/share/wordnet"
SYSTEM = "You are a helpful assistant."
HELDOUT_BOOKS = ("Ruth", "Jonah")
DEMO_LEMMAS = {"lantern", "river", "whisper", "harbor", "bread", "candle", "mountain", "happy",
               "teacher", "quickly", "garden", "star", "library", "music"}

BOOKS = {
    "Ge": "Genesis", "Exo": "Exodus", "Lev": "Leviticus", "Num": "Numbers", "Deu": "Deuteronomy",
    "Josh": "Joshua", "Jdgs": "Judges", "Ruth": "Ruth", "1Sm": "1 Samuel", "2Sm": "2 Samuel",
    "1Ki": "1 Kings", "2Ki": "2 Kings", "1Chr": "1 Chronicles", "2Chr": "2 Chronicles",
    "Ezra": "Ezra", "Neh": "Nehemiah", "Est": "Esther", "Job": "Job", "Psa": "Psalms",
    "Prv": "Proverbs", "Eccl": "Ecclesiastes", "SSol": "Song of Solomon", "Isa": "Isaiah",
    "Jer": "Jeremiah", "Lam": "Lamentations", "Eze": "Ezekiel", "Dan": "Daniel", "Hos": "Hosea",
    "Joel": "Joel", "Amos": "Amos", "Obad": "Obadiah", "Jonah": "Jonah", "Mic": "Micah",
    "Nahum": "Nahum", "Hab": "Habakkuk", "Zep": "Zephaniah", "Hag": "Haggai", "Zec": "Zechariah",
    "Mal": "Malachi", "Mat": "Matthew", "Mark": "Mark", "Luke": "Luke", "John": "John",
    "Acts": "Acts", "Rom": "Romans", "1Cor": "1 Corinthians", "2Cor": "2 Corinthians",
    "Gal": "Galatians", "Eph": "Ephesians", "Phi": "Philippians", "Col": "Colossians",
    "1Th": "1 Thessalonians", "2Th": "2 Thessalonians", "1Tim": "1 Timothy", "2Tim": "2 Timothy",
    "Titus": "Titus", "Phmn": "Philemon", "Heb": "Hebrews", "Jas": "James", "1Pet": "1 Peter",
    "2Pet": "2 Peter", "1Jn": "1 John", "2Jn": "2 John", "3Jn": "3 John", "Jude": "Jude",
    "Rev": "Revelation"}


def chatml(messages):
    """Standard Qwen2 ChatML rendering (what tokenizer.chat_template produces)."""
    return "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)


# ---------------------------------------------------------------- WordNet
def _read_synsets(pos):
    syn = {}
    with open(f"{WORDNET}/data.{pos}", encoding="latin-1") as f:
        for line in f:
            if line.startswith("  "):
                continue
            head, _, gloss = line.partition(" | ")
            parts = head.split()
            n_words = int(parts[3], 16)
            words = [re.sub(r"\(.*\)$", "", parts[4 + 2 * i]).replace("_", " ") for i in range(n_words)]
            gloss = gloss.strip()
            examples = re.findall(r'"([^"]+)"', gloss)
            definition = gloss.split('; "')[0].strip().rstrip(";").strip()
            definition = re.sub(r'\s*"[^"]*"\s*', " ", definition).strip()
            syn[parts[0]] = (words, definition, examples)
    return syn


def _read_index(pos):
    """[(lemma, [synset offsets, most frequent sense first], tagged sense count)]"""
    out = []
    with open(f"{WORDNET}/index.{pos}", encoding="latin-1") as f:
        for line in f:
            if line.startswith("  "):
                continue
            p = line.split()
            n_syn, n_ptr = int(p[2]), int(p[3])
            tagsense = int(p[5 + n_ptr])
            offsets = p[6 + n_ptr:6 + n_ptr + n_syn]
            out.append((p[0].replace("_", " "), offsets, tagsense))
    return out


def _article(word):
    return "an" if word[0].lower() in "aeiou" else "a"


def _qa(pos, lemma, definition, examples, synonyms, rng):
    d = definition.rstrip(".")
    if pos == "noun":
        art = _article(lemma)
        q = rng.choice([f"What is {art} {lemma}?", f"What is {art} {lemma}?", f"What's {art} {lemma}?",
                        f"Define {lemma}.", f"What does the word \"{lemma}\" mean?",
                        f"Can you explain what {art} {lemma} is?"])
        a = f"{art.capitalize()} {lemma} is {d}."
    elif pos == "verb":
        q = rng.choice([f"What does it mean to {lemma}?", f"What does it mean to {lemma}?",
                        f"Define the verb \"{lemma}\".", f"What does \"{lemma}\" mean?"])
        a = f"To {lemma} means to {re.sub(r'^to ', '', d)}."
    else:
        kind = "adjective" if pos == "adj" else "adverb"
        q = rng.choice([f"What does \"{lemma}\" mean?", f"What does the word \"{lemma}\" mean?",
                        f"Define the {kind} \"{lemma}\"."])
        a = f"\"{lemma.capitalize()}\" means {d}."
    if synonyms and rng.random() < 0.5:
        a += " Similar words: " + ", ".join(synonyms[:3]) + "."
    if examples and rng.random() < 0.6:
        a += f" For example: \"{examples[0]}\"."
    return q, a


def wordnet_qa(seed, heldout_mod=40):
    """Returns (train_items, heldout_items); an item is (question, answer).

    Common lemmas (tagged in SemCor) get their most frequent sense, and other senses
    too when frequent; rare lemmas get one sense at a lower rate."""
    rng = random.Random(seed)
    train, held = [], []
    for pos, fname in (("noun", "noun"), ("verb", "verb"), ("adj", "adj"), ("adv", "adv")):
        syn = _read_synsets(fname)
        for lemma, offsets, tagsense in _read_index(fname):
            if not re.fullmatch(r"[a-z][a-z' -]*", lemma) or len(lemma) > 30:
                continue
            senses = offsets[:2] if tagsense >= 5 else offsets[:1]
            if tagsense == 0 and lemma not in DEMO_LEMMAS and rng.random() < 0.5:
                continue
            is_held = zlib.crc32(lemma.encode()) % heldout_mod == 0 and lemma not in DEMO_LEMMAS
            for off in senses:
                words, definition, examples = syn[off]
                synonyms = [w for w in words if w.lower() != lemma]
                item = _qa(pos, lemma, definition, examples, synonyms, rng) + (tagsense,)
                (held if is_held else train).append(item)
    return train, held


def chat_docs(items, rng, max_turns=3):
    """Groups Q/A items into ChatML conversations of 1..max_turns turns."""
    items = items[:]
    rng.shuffle(items)
    docs, i = [], 0
    while i < len(items):
        n = rng.randint(1, max_turns)
        msgs = [{"role": "system", "content": SYSTEM}]
        for q, a, _ in items[i:i + n]:
            msgs += [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
        docs.append(chatml(msgs))
        i += n
    return docs


# ---------------------------------------------------------------- KJV
def read_kjv():
    """[(book abbreviation, chapter, verse, text)] via the `bible` program of bible-kjv."""
    out = subprocess.run(["bible", "-f", "Gen1:1-Rev22:21"], capture_output=True, text=True,
                         check=True).stdout
    verses = []
    for line in out.splitlines():
        m = re.match(r"^(\S+?)(\d+):(\d+) (.*)$", line)
        if m:
            verses.append((m.group(1), int(m.group(2)), int(m.group(3)), m.group(4).strip()))
    if len(verses) != 31102:
        raise RuntimeError(f"bible: expected 31102 verses, got {len(verses)}")
    return verses


def kjv_passages(verses, rng, books_in=None, books_out=()):
    """Chapter chunks of 4..12 verses, as 'Genesis 1:1-8\\n<text>'."""
    docs, chunk = [], []

    def flush():
        if chunk:
            b, c, v0 = chunk[0][:3]
            v1 = chunk[-1][2]
            docs.append(f"{BOOKS[b]} {c}:{v0}-{v1}\n" + " ".join(t for *_, t in chunk) + "\n")
            chunk.clear()

    target = rng.randint(4, 12)
    for v in verses:
        name = BOOKS[v[0]]
        if name in books_out or (books_in is not None and name not in books_in):
            continue
        if chunk and (chunk[0][:2] != v[:2] or len(chunk) >= target):
            flush()
            target = rng.randint(4, 12)
        chunk.append(v)
    flush()
    return docs


def build(seed):
    """Returns dict with train_chat, train_bible (lists of documents), heldout_text, stats."""
    rng = random.Random(seed)
    train_items, held_items = wordnet_qa(seed)
    verses = read_kjv()
    # common lemmas first: a short training run sees mostly everyday words
    common = [it for it in train_items if it[2] > 0]
    rare = [it for it in train_items if it[2] == 0]
    train_chat = chat_docs(common, rng) + chat_docs(rare, rng)
    train_bible = kjv_passages(verses, rng, books_out=HELDOUT_BOOKS)
    held_bible = kjv_passages(verses, random.Random(seed + 1), books_in=HELDOUT_BOOKS)
    hrng = random.Random(seed + 2)
    held_items = sorted(held_items, key=lambda it: -it[2])[:150]   # common lemmas first
    held_chat = chat_docs(held_items, hrng)
    parts = held_bible + held_chat
    random.Random(seed + 3).shuffle(parts)
    heldout = "\n".join(parts)
    return {"train_chat": train_chat, "train_bible": train_bible, "heldout_text": heldout,
            "stats": {"wordnet_qa_train": len(train_items), "wordnet_qa_heldout_pool": len(held_items),
                      "chat_docs": len(train_chat), "wordnet_qa_common": len(common), "bible_docs": len(train_bible),
                      "heldout_bytes": len(heldout.encode())}}


if __name__ == "__main__":
    c = build(1234)
    print(c["stats"])
    print(c["train_chat"][0])
    print(c["train_chat"][1])
    print(c["train_bible"][0])
    print(sum(map(len, c["train_chat"])), sum(map(len, c["train_bible"])))
