# SPDX-License-Identifier: LGPL-2.1-or-later
"""Readable reference of Weft's CTC decoders (plugins/ctc/decoder.c).

Greedy decoding and prefix beam search (Hannun et al. 2014) in log space,
with a lexicon trie, a word n-gram ARPA LM, a command grammar and hotwords. The C decoder must
produce the same n-best lists and the same scores (within 1e-4); the golden
files in tests/golden/ctc/ are written from this module by
make-ctc-golden.py. Plain Python; numpy only to read .npy files.

Where the C code stores a number as float32 (ARPA probabilities and backoff
weights, their sum, hotword weights) this module rounds the same way
(`f32`), so the two agree to the last bits rather than to 1e-6.

The algorithm, frame by frame:

  * candidates: tokens with log p >= token_min_logp, plus the frame's best
    (lowest index on ties), in index order;
  * for each beam (best first), with pb / pnb its blank- / non-blank-ending
    log-probabilities, and each candidate c:
        blank:          pb[p]    += (pb + pnb) + lp
        c == last(p):   pnb[p]   += pnb + lp ;  pnb[p+c] += pb + lp
        otherwise:      pnb[p+c] += (pb + pnb) + lp
    (+= is logaddexp; p+c is skipped if the lexicon forbids it);
  * score = logaddexp(pb, pnb) + ext(prefix), where ext holds the LM and
    bonus terms of the prefix; keep the `beam` best (ties: token sequence),
    and drop those more than beam_threshold below the best;
  * with a strict grammar (oog_penalty -inf): a partial word must be the
    start of a word the grammar takes next; a delimiter where no word has
    begun is absorbed into the prefix (pnb[p] += (pb + pnb) + lp); and
    besides the `beam` best, the `reserve` best prefixes that would be
    accepted if the utterance ended there are kept, threshold or not.

See decoder.c's header comment for word completion, LM, hotwords and the
end of an utterance; the functions below follow it line for line.
"""
import math
import re
import struct

NEG_INF = float("-inf")
LN10 = 2.302585092994045684


def f32(x):
    """Round to float32, as the C code stores it."""
    return struct.unpack("f", struct.pack("f", x))[0]


def lse(a, b):
    """log(exp(a) + exp(b)), the same formula as decoder.c's lse()."""
    if a == NEG_INF:
        return b
    if b == NEG_INF:
        return a
    mx, mn = (a, b) if a > b else (b, a)
    return mx + math.log1p(math.exp(mn - mx))


# --------------------------------------------------------------- vocabulary

class Vocab:
    def __init__(self, tokens, blank=0, delim="|"):
        self.tokens = list(tokens)
        self.blank = blank
        self.delim = self.tokens.index(delim) if delim else -1

    @classmethod
    def load(cls, path, blank=0, delim="|"):
        with open(path, encoding="utf-8") as f:
            return cls([l.rstrip("\r\n") for l in f], blank, delim)

    def spell(self, word):
        """Greedy longest match of @word over the tokens (ctc_spell)."""
        out, pos = [], 0
        while pos < len(word):
            best, blen = -1, 0
            for i, t in enumerate(self.tokens):
                if i in (self.blank, self.delim):
                    continue
                if len(t) > blen and word.startswith(t, pos):
                    best, blen = i, len(t)
            if best < 0:
                raise ValueError("cannot spell %r" % word)
            out.append(best)
            pos += blen
        return out


# --------------------------------------------------------------- lexicon

class Trie:
    """Token trie; node["$"] is the word ending there (first one wins)."""

    def __init__(self):
        self.root = {}

    def add(self, toks, word):
        node = self.root
        for t in toks:
            node = node.setdefault(t, {})
        node.setdefault("$", word)


def load_lexicon(path, vocab):
    trie = Trie()
    with open(path, encoding="utf-8") as f:
        for line in f:
            fields = line.split()
            if not fields or fields[0].startswith("#"):
                continue
            word, spelling = fields[0], fields[1:]
            toks = ([vocab.tokens.index(t) for t in spelling] if spelling
                    else vocab.spell(word))
            trie.add(toks, word)
    return trie


def hotword_trie(vocab, hotwords):
    """Hotwords {phrase: weight}: a trie over tokens, phrases spelled with
    the delimiter between words; each node's weight is the largest weight
    of the hotwords through it (f32, as the C code stores it)."""
    trie, weight = Trie(), {}
    for phrase, w in hotwords.items():
        toks = []
        for i, word in enumerate(phrase.split()):
            if i:
                toks.append(vocab.delim)
            toks += vocab.spell(word)
        trie.add(toks, phrase)
        node = trie.root
        for t in toks:
            node = node[t]
            weight[id(node)] = max(weight.get(id(node), NEG_INF), f32(w))
    return trie, weight


# --------------------------------------------------------------- grammar

class Grammar:
    """A command grammar (plugins/ctc/grammar.c's language), expanded to
    its sentences: a state is the tuple of words so far. Fine for the
    small grammars of the tests; the C code compiles a DFA instead."""

    def __init__(self, text):
        lists, self.accept, self.next_words = {}, {}, {}
        for line in text.split("\n"):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            kind, rest = line.split(None, 1)
            name, expr = (x.strip() for x in rest.split("=", 1))
            toks = re.findall(r"[()\[\]{}|]|[^\s()\[\]{}|=#]+", expr)
            alts, pos = self._alt(toks, 0, lists)
            assert pos == len(toks), line
            if kind == "list":
                lists[name] = alts
                continue
            for sent in alts:
                self.accept.setdefault(sent, name)  # first intent wins
                for i in range(len(sent)):
                    self.next_words.setdefault(sent[:i], set()).add(sent[i])

    def _alt(self, toks, pos, lists):
        """EXPR := SEQ ('|' SEQ)*; returns (list of word tuples, pos)."""
        out, cur = [], [()]
        while pos < len(toks) and toks[pos] not in ")]":
            t = toks[pos]
            if t == "|":
                out += cur
                cur, pos = [()], pos + 1
                continue
            if t in "([":
                inner, pos = self._alt(toks, pos + 1, lists)
                assert toks[pos] == (")" if t == "(" else "]")
                if t == "[":
                    inner = inner + [()]
            elif t == "{":
                inner = lists[toks[pos + 1]]
                assert toks[pos + 2] == "}"
                pos += 2
            else:
                inner = [(t,)]
            cur = [a + b for a in cur for b in inner]
            pos += 1
        return out + cur, pos

    @classmethod
    def load(cls, path):
        with open(path, encoding="utf-8") as f:
            return cls(f.read())

    def start(self):
        return ()

    def next(self, state, word):
        """The state after @word, None when no sentence goes on so."""
        ok = word in self.next_words.get(state, ())
        return state + (word,) if ok else None

    def accepts(self, state):
        """The intent of the sentence @state, None when it is not one."""
        return self.accept.get(state)

    def prefix(self, state, text):
        """Whether a word the grammar takes next starts with @text."""
        return any(w.startswith(text) for w in self.next_words.get(state, ()))


# --------------------------------------------------------------- ARPA LM

class ArpaLM:
    """Backoff n-gram model read from an ARPA file (log10 scores)."""

    def __init__(self, path):
        self.grams = {}  # order -> {tuple(words): (prob, backoff)}
        order = 0
        with open(path, encoding="utf-8") as f:
            lines = [l.strip() for l in f]
        i = lines.index("\\data\\") + 1
        while lines[i].startswith("ngram ") or not lines[i]:
            i += 1
        for line in lines[i:]:
            if not line:
                continue
            if line == "\\end\\":
                break
            if line.startswith("\\"):
                order = int(line[1:line.index("-")])
                self.grams[order] = {}
                continue
            fields = line.split()
            words = tuple(fields[1:1 + order])
            prob = f32(-100.0 if fields[0] == "-inf" else float(fields[0]))
            bo = f32(float(fields[1 + order])) if len(fields) > order + 1 else 0.0
            self.grams[order][words] = (prob, bo)
        self.order = max(self.grams)
        uni = self.grams[1]
        for w, p in (("<unk>", -100.0), ("</s>", -100.0), ("<s>", -99.0)):
            if (w,) not in uni:
                uni[(w,)] = (f32(p), 0.0)

    def word(self, w):
        return w if (w,) in self.grams[1] else "<unk>"

    def score(self, ctx, w):
        """log10 p(w | ctx), ctx oldest first (already mapped by word())."""
        n = min(len(ctx), self.order - 1)
        w = self.word(w)
        prob, match = self.grams[1][(w,)][0], 0
        for k in range(1, n + 1):
            key = tuple(ctx[len(ctx) - k:]) + (w,)
            if key not in self.grams[k + 1]:
                break
            prob, match = self.grams[k + 1][key][0], k
        bo = 0.0
        for k in range(match + 1, n + 1):
            key = tuple(ctx[len(ctx) - k:])
            if key in self.grams[k]:
                bo = f32(bo + self.grams[k][key][1])
        return f32(prob + bo)

    def sentence(self, s):
        ctx, total = ["<s>"], 0.0
        for w in s.split():
            total += self.score(ctx, w)
            ctx.append(self.word(w))
        return total + self.score(ctx, "</s>")


# --------------------------------------------------------------- greedy

def greedy(logp, blank=0):
    """Best path: argmax per frame (lowest index on ties), collapse
    repeats, drop blanks. Returns the token ids."""
    out, prev = [], -1
    for row in logp:
        best = 0
        for c in range(1, len(row)):
            if row[c] > row[best]:
                best = c
        if best != blank and best != prev:
            out.append(best)
        prev = best
    return out


def tokens_to_text(vocab, toks):
    words, cur = [], ""
    for t in toks:
        if t == vocab.delim:
            if cur:
                words.append(cur)
            cur = ""
        else:
            cur += vocab.tokens[t]
    if cur:
        words.append(cur)
    return " ".join(words)


# --------------------------------------------------------------- beam search

OOV = "oov"


class Prefix:
    """Everything that depends only on the token sequence."""
    __slots__ = ("toks", "partial", "trie", "words", "lm_words", "hot",
                 "hot_partial", "ext", "gstate", "fin")


def default_reserve(beam):
    """decoder.c's ctc_grammar_reserve()."""
    return 1 if beam < 8 else beam // 8


class BeamSearch:
    def __init__(self, vocab, beam=16, beam_threshold=25.0,
                 token_min_logp=-10.0, lexicon=None, lm=None, alpha=0.5,
                 beta=1.0, unk_score=NEG_INF, hotwords=None, nbest=5,
                 grammar=None, oog_penalty=NEG_INF, grammar_reserve=0):
        self.v = vocab
        self.beam, self.threshold = beam, beam_threshold
        self.min_logp = token_min_logp
        self.lexicon, self.lm = lexicon, lm
        self.alpha, self.beta, self.unk = alpha, beta, unk_score
        self.hot, self.hot_w = (hotword_trie(vocab, hotwords) if hotwords
                                else (None, None))
        self.nbest = nbest
        self.grammar, self.oog = grammar, oog_penalty
        # Strict grammar: lookahead, absorbed delimiters and the reserve;
        # grammar_reserve < 0 turns them off (the search before them).
        self.strict = (grammar is not None and oog_penalty == NEG_INF
                       and grammar_reserve >= 0)
        self.reserve = ((grammar_reserve or default_reserve(beam))
                        if self.strict else 0)
        self.children = {}  # (toks, c) -> Prefix or None (forbidden)
        root = Prefix()
        root.toks, root.partial, root.words, root.lm_words = (), (), (), ()
        root.trie = lexicon.root if lexicon else None
        root.hot = self.hot.root if self.hot else None
        root.hot_partial, root.ext = 0.0, 0.0
        root.gstate = grammar.start() if grammar else None
        root.fin = bool(self.reserve and grammar.accepts(root.gstate))
        self.beams = [(root, 0.0, NEG_INF)]  # (prefix, pb, pnb)

    # -- words -------------------------------------------------------------

    def complete_word(self, p):
        """(word text, lm word, ext increment, grammar state) or None when
        forbidden."""
        text = "".join(self.v.tokens[t] for t in p.partial)
        add, lm_word, gword = 0.0, text, text
        if self.lexicon is not None:
            if p.trie is not OOV and "$" in p.trie:
                lm_word = gword = p.trie["$"]
            else:
                if p.trie is not OOV:  # a prefix, not a word: pays now
                    if self.unk == NEG_INF:
                        return None
                    add += self.unk
                lm_word = "<unk>"
        if self.lm is not None:
            lm_word = self.lm.word(lm_word)
            ctx = ["<s>"] + list(p.lm_words)
            ctx = ctx[max(0, len(ctx) - (self.lm.order - 1)):]
            add += self.alpha * LN10 * self.lm.score(ctx, lm_word)
        add += self.beta
        gs = p.gstate
        if self.grammar is not None and gs is not None:
            gs = self.grammar.next(gs, gword)
            if gs is None:
                if self.oog == NEG_INF:
                    return None
                add += self.oog
        return text, lm_word, add, gs

    def is_final(self, p):
        """Whether @p would be accepted if the utterance ended here (with a
        strict grammar)."""
        if p.gstate is None:
            return False
        if not p.partial:
            return self.grammar.accepts(p.gstate) is not None
        done = self.complete_word(p)
        return done is not None and done[3] is not None and \
            self.grammar.accepts(done[3]) is not None

    def extend(self, p, c):
        key = (p.toks, c)
        if key in self.children:
            return self.children[key]
        q = Prefix()
        q.toks = p.toks + (c,)
        q.words, q.lm_words, q.ext = p.words, p.lm_words, p.ext
        q.hot, q.hot_partial = p.hot, p.hot_partial
        q.gstate = p.gstate
        ok = True
        if c == self.v.delim:
            if p.partial:
                done = self.complete_word(p)
                if done is None:
                    ok = False
                else:
                    text, lm_word, add, q.gstate = done
                    q.words = p.words + (text,)
                    q.lm_words = p.lm_words + (lm_word,)
                    q.ext += add
            q.partial = ()
            q.trie = self.lexicon.root if self.lexicon else None
        else:
            q.partial = p.partial + (c,)
            q.trie = None
            if self.lexicon is not None:
                q.trie = p.trie.get(c, OOV) if p.trie is not OOV else OOV
                if q.trie is OOV and p.trie is not OOV:
                    # leaving the lexicon pays unk_score at once
                    if self.unk == NEG_INF:
                        ok = False
                    q.ext += self.unk
            # strict grammar: the partial word must start a word the
            # grammar takes next
            if ok and self.strict and q.gstate is not None:
                text = "".join(self.v.tokens[t] for t in q.partial)
                if not self.grammar.prefix(q.gstate, text):
                    ok = False
        if ok and self.hot is not None:
            nxt = q.hot.get(c) if q.hot is not None else None
            if nxt is not None:
                q.ext += self.hot_w[id(nxt)]
                q.hot_partial += self.hot_w[id(nxt)]
                q.hot = nxt
                if "$" in nxt:
                    q.hot_partial = 0.0
            else:
                q.ext -= q.hot_partial
                q.hot_partial = 0.0
                q.hot = self.hot.root if c == self.v.delim else None
        q.fin = bool(ok and self.reserve and self.is_final(q))
        self.children[key] = q if ok else None
        return self.children[key]

    # -- search ------------------------------------------------------------

    def step(self, lp):
        best = 0
        for c in range(1, len(lp)):
            if lp[c] > lp[best]:
                best = c
        cands = [c for c in range(len(lp))
                 if lp[c] >= self.min_logp or c == best]
        nxt = {}  # toks -> [prefix, pb, pnb]

        def acc(q, pb, pnb):
            e = nxt.setdefault(q.toks, [q, NEG_INF, NEG_INF])
            if pb != NEG_INF:
                e[1] = lse(e[1], pb)
            if pnb != NEG_INF:
                e[2] = lse(e[2], pnb)

        for p, pb, pnb in self.beams:
            tot = lse(pb, pnb)
            for c in cands:
                l = float(lp[c])
                if l == NEG_INF:
                    continue
                if c == self.v.blank:
                    acc(p, tot + l, NEG_INF)
                elif self.strict and c == self.v.delim and not p.partial:
                    # a delimiter before any word: absorbed
                    acc(p, NEG_INF, tot + l)
                elif p.toks and c == p.toks[-1]:
                    acc(p, NEG_INF, pnb + l)
                    q = self.extend(p, c)
                    if q is not None and pb != NEG_INF:
                        acc(q, NEG_INF, pb + l)
                else:
                    q = self.extend(p, c)
                    if q is not None:
                        acc(q, NEG_INF, tot + l)
        scored = sorted(((lse(pb, pnb) + q.ext, q.toks, q, pb, pnb)
                         for q, pb, pnb in nxt.values()),
                        key=lambda e: (-e[0], e[1]))
        keep = set()
        for score, toks, q, pb, pnb in scored[:self.beam]:
            if not score >= scored[0][0] - self.threshold or score == NEG_INF:
                break
            keep.add(toks)
        # strict grammar: the best `reserve` accepting prefixes too
        res = [e[1] for e in scored if e[2].fin and e[0] != NEG_INF]
        keep.update(res[:self.reserve])
        self.beams = [(q, pb, pnb) for _, toks, q, pb, pnb in scored
                      if toks in keep]

    def feed(self, logp):
        for row in logp:
            self.step(row)

    def finish(self):
        """The n-best [(score, text)], best first."""
        best = {}
        for p, pb, pnb in self.beams:
            ext, words, lm_words, gs = p.ext, p.words, p.lm_words, p.gstate
            if p.partial:
                done = self.complete_word(p)
                if done is None:
                    continue
                text, lm_word, add, gs = done
                ext += add
                words, lm_words = words + (text,), lm_words + (lm_word,)
            if self.lm is not None:
                ctx = ["<s>"] + list(lm_words)
                ctx = ctx[max(0, len(ctx) - (self.lm.order - 1)):]
                ext += self.alpha * LN10 * self.lm.score(ctx, "</s>")
            if (self.grammar is not None and gs is not None
                    and self.grammar.accepts(gs) is None):
                if self.oog == NEG_INF:
                    continue
                ext += self.oog
            ext -= p.hot_partial
            text = " ".join(words)
            score = lse(pb, pnb) + ext
            if text not in best or score > best[text]:
                best[text] = score
        ranked = sorted(best.items(), key=lambda e: (-e[1], e[0]))
        return [(s, t) for t, s in ranked[:self.nbest]]


def beam_search(logp, vocab, **kw):
    d = BeamSearch(vocab, **kw)
    d.feed(logp)
    return d.finish()
