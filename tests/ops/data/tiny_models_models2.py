"""Small models for perplexity_filter, sentence_split_mapper and token_num_filter.

Shared by the reference generator (run in Data-Juicer's venv) and datamill's
tests, so both give the ops the very same files under Data-Juicer's names:

- ``{lang}.sp.model``: tiny SentencePiece models trained here, deterministically
  (one thread, fixed seed, fixed corpus). ``en`` normalises as the real models
  do (``nmt_nfkc``); ``fr`` keeps the text as it is (``identity``), so its
  pieces keep line breaks and the per-line scoring is exercised;
- ``{lang}.arpa.bin``: a bigram language model over those pieces, written as
  ARPA text (KenLM reads ARPA as well as its binary format);
- ``nltk_data/tokenizers/punkt_tab/{english,french}/``: Punkt parameters that
  nltk's own ``PunktTrainer`` learns from a fixed text, in nltk's pickle-free
  ``punkt_tab`` format;
- ``hf/tiny-neox`` and ``hf/tiny-wordpiece``: Hugging Face tokenizer folders
  (``tokenizer.json`` and its config) built here without training: a byte-level
  BPE like the GPT-NeoX tokenizer Data-Juicer defaults to, and a WordPiece one.

Needs sentencepiece and nltk; never Data-Juicer.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import random
import re
from collections import Counter
from pathlib import Path
from typing import Any

SEED = 20240611
SP_LANGS = {"en": "nmt_nfkc", "fr": "identity"}
"""The SentencePiece/KenLM languages made here, with their normalisation rule."""
PUNKT_LANGS = {"en": "english", "fr": "french"}
HF_TOKENIZERS = ("tiny-neox", "tiny-wordpiece")

_WORDS = (
    "the quick brown fox jumps over lazy dog data juicer mill text filter model language token "
    "sentence piece process table arrow python code function return value import class def self "
    "print error test case copyright license permission software warranty http https www example "
    "com running jumped quickly university international information caf\u00e9 na\u00efve \u00fcber "
    "le la les de et est une bonjour monde \u4e2d\u6587 \u6d4b\u8bd5 \u6570\u636e \u5904\u7406 "
    "Dr. Mr. Mrs. St. etc. e.g. i.e. U.S. Inc. No. vs. 3.14 42 2024"
).split()


def corpus(lang: str, lines: int = 1200) -> list[str]:
    """A fixed training text: made-up sentences from a small vocabulary."""
    rng = random.Random(f"{SEED}-{lang}")
    out = []
    for _ in range(lines):
        words = [rng.choice(_WORDS) for _ in range(rng.randint(3, 14))]
        out.append(" ".join(words).capitalize() + rng.choice([".", ".", ".", "!", "?", ""]))
    return out


# --- SentencePiece and KenLM -------------------------------------------------------------


def train_sentencepiece(lang: str) -> bytes:
    """The bytes of a tiny SentencePiece model for ``lang``, the same on every run."""
    import sentencepiece as spm

    spm.set_random_generator_seed(SEED)
    out = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus(lang)),
        model_writer=out,
        vocab_size=180,
        hard_vocab_limit=False,
        character_coverage=1.0,
        normalization_rule_name=SP_LANGS[lang],
        num_threads=1,
        minloglevel=2,
    )
    return out.getvalue()


def arpa_text(lang: str, sp_model: bytes) -> str:
    """A bigram ARPA model of the pieces of ``corpus(lang)``: absolute discounting with backoff."""
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_proto=sp_model)
    sentences = [["<s>", *sp.encode(line, out_type=str), "</s>"] for line in corpus(lang)]
    unigrams = Counter(w for s in sentences for w in s[1:])
    bigrams = Counter((a, b) for s in sentences for a, b in zip(s, s[1:], strict=False))
    vocab = sorted(set(unigrams) | {"<unk>"})
    total = sum(unigrams.values())
    p_uni = {w: (unigrams[w] + 1) / (total + len(vocab)) for w in vocab}
    history = Counter(a for a, _ in bigrams.elements())
    followers = Counter(a for a, _ in bigrams)
    discount = 0.5
    lines = ["\\data\\", f"ngram 1={len(vocab) + 1}", f"ngram 2={len(bigrams)}", "", "\\1-grams:"]
    for w in ["<s>", *vocab]:
        prob = "-99" if w == "<s>" else _log(p_uni[w])
        if w in history:
            seen = sum(p_uni[b] for (a, b) in bigrams if a == w)
            lines.append(f"{prob}\t{w}\t{_log(discount * followers[w] / history[w] / (1 - seen))}")
        else:
            lines.append(f"{prob}\t{w}")
    lines += ["", "\\2-grams:"]
    for (a, b), count in sorted(bigrams.items()):
        lines.append(f"{_log((count - discount) / history[a])}\t{a} {b}")
    return "\n".join([*lines, "", "\\end\\", ""])


def _log(p: float) -> str:
    return f"{math.log10(p):.6f}"


# --- Punkt -------------------------------------------------------------------------------


_PUNKT_WORDS = {
    "en": {
        "titles": ["Dr.", "Mr.", "Mrs.", "Prof.", "St."],
        "names": ["Smith", "Brown", "Jones", "Martin", "Garcia", "Lee"],
        "nouns": ["report", "data", "model", "river", "bridge", "market", "engine", "garden"],
        "verbs": ["read", "built", "sold", "checked", "painted", "opened", "closed"],
        "starters": ["However", "Then", "Meanwhile", "Later", "Yesterday", "Afterwards"],
        "abbrevs": ["vs.", "Inc.", "U.S.", "e.g.", "etc."],
    },
    "fr": {
        "titles": ["M.", "Mme.", "Dr.", "Pr."],
        "names": ["Dupont", "Martin", "Bernard", "Petit", "Durand"],
        "nouns": ["rapport", "pont", "march\u00e9", "jardin", "moteur", "fleuve"],
        "verbs": ["lu", "construit", "vendu", "ouvert", "ferm\u00e9"],
        "starters": ["Ensuite", "Cependant", "Hier", "Puis", "Enfin"],
        "abbrevs": ["env.", "cf.", "S.A.", "p.ex.", "etc."],
    },
}


def punkt_corpus(lang: str, sentences: int = 3000) -> str:
    """A fixed text whose sentences use titles and abbreviations, for Punkt to learn them."""
    rng = random.Random(f"{SEED}-punkt-{lang}")
    w = _PUNKT_WORDS[lang]

    def pick(kind: str) -> str:
        return rng.choice(w[kind])

    def sentence() -> str:
        kind = rng.randrange(5)
        if kind == 0:
            return f"{pick('titles')} {pick('names')} {pick('verbs')} the {pick('nouns')}."
        if kind == 1:
            return f"{pick('starters')} the {pick('nouns')} was {pick('verbs')} by {pick('titles')} {pick('names')}."
        if kind == 2:
            return f"It is {rng.randint(2, 99)} {pick('abbrevs')} {pick('abbrevs')} {pick('nouns')} {pick('abbrevs')} now."
        if kind == 3:
            return f"{pick('starters')} we {pick('verbs')} a {pick('nouns')}, {pick('abbrevs')} the {pick('nouns')}!"
        return f"{pick('names')} asked: where is the {pick('nouns')}?"

    return " ".join(sentence() for _ in range(sentences))


def punkt_params(lang: str) -> Any:
    """Punkt parameters that nltk's PunktTrainer learns from ``punkt_corpus(lang)``."""
    from nltk.tokenize.punkt import PunktTrainer

    trainer = PunktTrainer()
    trainer.INCLUDE_ALL_COLLOCS = True
    trainer.train(punkt_corpus(lang), finalize=True)
    return trainer.get_params()


def write_punkt_tab(root: Path, lang: str) -> Path:
    """nltk's ``punkt_tab`` files for ``lang`` under ``root/tokenizers/punkt_tab/``, sorted."""
    params = punkt_params(lang)
    folder = root / "tokenizers" / "punkt_tab" / PUNKT_LANGS[lang]
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "collocations.tab": ["\t".join(pair) for pair in params.collocations],
        "sent_starters.txt": list(params.sent_starters),
        "abbrev_types.txt": list(params.abbrev_types),
        "ortho_context.tab": [f"{word}\t{flags}" for word, flags in params.ortho_context.items()],
    }
    for name, rows in files.items():
        (folder / name).write_text("\n".join(sorted(rows)), encoding="utf-8")
    return folder


# --- Hugging Face tokenizers -------------------------------------------------------------


def _byte_alphabet() -> list[str]:
    """GPT-2's printable stand-ins for the 256 byte values, in byte order."""
    printable = [*range(33, 127), *range(161, 173), *range(174, 256)]
    extra = iter(range(256, 512))
    return [chr(b) if b in printable else chr(next(extra)) for b in range(256)]


def _bpe_merges(words: Counter[str], merges: int) -> list[tuple[str, str]]:
    """Greedy BPE over byte-level words; ties broken by the pair itself, so runs agree."""
    alphabet = _byte_alphabet()
    split = {w: [alphabet[b] for b in w.encode("utf-8")] for w in words}
    learned: list[tuple[str, str]] = []
    for _ in range(merges):
        pairs: Counter[tuple[str, str]] = Counter()
        for w, symbols in split.items():
            for pair in zip(symbols, symbols[1:], strict=False):
                pairs[pair] += words[w]
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        learned.append(best)
        for w, symbols in split.items():
            i, merged = 0, []
            while i < len(symbols):
                if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == best:
                    merged.append(symbols[i] + symbols[i + 1])
                    i += 2
                else:
                    merged.append(symbols[i])
                    i += 1
            split[w] = merged
    return learned


def _added(index: int, content: str, special: bool) -> dict[str, Any]:
    return {
        "id": index,
        "content": content,
        "single_word": False,
        "lstrip": False,
        "rstrip": False,
        "normalized": not special,
        "special": special,
    }


def neox_tokenizer() -> dict[str, Any]:
    """tokenizer.json of a byte-level BPE shaped like GPT-NeoX's (NFC, added space runs)."""
    words = Counter(w for line in corpus("en") for w in re.findall(r" ?\S+", line))
    merges = _bpe_merges(words, 160)
    vocab = {s: i for i, s in enumerate(_byte_alphabet())}
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    added = [
        _added(len(vocab), "<|endoftext|>", True),
        _added(len(vocab) + 1, "<|padding|>", True),
        _added(len(vocab) + 2, "    ", False),
        _added(len(vocab) + 3, "  ", False),
    ]
    byte_level = {"add_prefix_space": False, "trim_offsets": True, "use_regex": True}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "NFC"},
        "pre_tokenizer": {"type": "ByteLevel", **byte_level},
        "post_processor": {"type": "ByteLevel", **byte_level},
        "decoder": {"type": "ByteLevel", **byte_level},
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": None,
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": False,
            "byte_fallback": False,
            "ignore_merges": False,
            "vocab": vocab,
            "merges": [[a, b] for a, b in merges],
        },
    }


def wordpiece_tokenizer() -> dict[str, Any]:
    """tokenizer.json of a lower-casing WordPiece tokenizer (BERT's normaliser and pre-tokeniser)."""
    words = Counter(w.lower() for line in corpus("en") for w in re.findall(r"\w+|[^\w\s]", line))
    pieces = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    chars = sorted({c for w in words for c in w})
    pieces += chars + ["##" + c for c in chars]
    pieces += [w for w, _ in sorted(words.items(), key=lambda kv: (-kv[1], kv[0]))[:60] if len(w) > 1]
    pieces += ["##ing", "##ed", "##ly", "##s"]
    vocab = {p: i for i, p in enumerate(dict.fromkeys(pieces))}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [_added(i, t, True) for i, t in enumerate(pieces[:5])],
        "normalizer": {
            "type": "BertNormalizer",
            "clean_text": True,
            "handle_chinese_chars": True,
            "strip_accents": None,
            "lowercase": True,
        },
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}]
            + [{"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {
                "[CLS]": {"id": "[CLS]", "ids": [2], "tokens": ["[CLS]"]},
                "[SEP]": {"id": "[SEP]", "ids": [3], "tokens": ["[SEP]"]},
            },
        },
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {
            "type": "WordPiece",
            "unk_token": "[UNK]",
            "continuing_subword_prefix": "##",
            "max_input_chars_per_word": 100,
            "vocab": vocab,
        },
    }


_HF_CONFIGS: dict[str, dict[str, Any]] = {
    "tiny-neox": {
        "tokenizer_class": "GPTNeoXTokenizerFast",
        "bos_token": "<|endoftext|>",
        "eos_token": "<|endoftext|>",
        "unk_token": "<|endoftext|>",
        "pad_token": "<|padding|>",
        "add_prefix_space": False,
        "model_max_length": 64,
    },
    "tiny-wordpiece": {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "unk_token": "[UNK]",
        "pad_token": "[PAD]",
        "cls_token": "[CLS]",
        "sep_token": "[SEP]",
        "mask_token": "[MASK]",
        "model_max_length": 32,
    },
}


def write_hf_tokenizer(folder: Path, name: str) -> Path:
    """A Hugging Face tokenizer folder: tokenizer.json and tokenizer_config.json."""
    folder.mkdir(parents=True, exist_ok=True)
    spec = neox_tokenizer() if name == "tiny-neox" else wordpiece_tokenizer()
    (folder / "tokenizer.json").write_text(json.dumps(spec, ensure_ascii=True, indent=1), encoding="utf-8")
    config = json.dumps(_HF_CONFIGS[name], ensure_ascii=True, indent=1)
    (folder / "tokenizer_config.json").write_text(config, encoding="utf-8")
    return folder


# --- everything --------------------------------------------------------------------------


def populate(directory: Path) -> dict[str, str]:
    """Put every test model into ``directory``; the SHA-256 of each file, by relative path."""
    directory.mkdir(parents=True, exist_ok=True)
    for lang in SP_LANGS:
        blob = train_sentencepiece(lang)
        (directory / f"{lang}.sp.model").write_bytes(blob)
        (directory / f"{lang}.arpa.bin").write_text(arpa_text(lang, blob), encoding="utf-8")
    for lang in PUNKT_LANGS:
        write_punkt_tab(directory / "nltk_data", lang)
    for name in HF_TOKENIZERS:
        write_hf_tokenizer(directory / "hf" / name, name)
    return {
        str(path.relative_to(directory)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }
