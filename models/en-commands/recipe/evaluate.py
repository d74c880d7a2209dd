#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Stage `evaluate`: word and character error rates of the model, decoded
by Weft graphs, written to models/en-commands/EVAL.md.

    /usr/bin/python3 models/en-commands/recipe/evaluate.py \
        [--build build] [--model models/en-commands/model] \
        [--work models/en-commands/work] [--out models/en-commands/EVAL.md]

Test sets:
  commands   WORK/test/commands.tsv: command phrases of the test split
             (never in training), spoken by the held-out voices only
  general    WORK/test/general.tsv: general sentences of the test split,
             held-out voices
  real       the real human recordings of Debian's pocketsphinx-testdata
             (/usr/share/pocketsphinx/test/data) that come with a
             transcription in the package: cards/ (cards.transcription),
             librivox/ (transcription), goforward.raw (goforward.gram's
             public <move> rule, "go forward ten meters") and
             tidigits/dhd.2934z.raw (TIDIGITS' file names spell their
             digits: 2 9 3 4 z). numbers.raw and something.raw have none
             in the package and are left out rather than guessed.

Every condition is one `weft run` of a graph over a folder of the set's
audio (links named by position, so audio.dir's name order is the
manifest's): graphs/transcribe-dir.weft with the model's lexicon and the
general LM (the graph's default), with the commands LM and its own words
as the lexicon (the model's commands.words, which export.py writes from
the LM's unigrams; with the full lexicon as well, for comparison), or
with the command grammar alone
(grammar_mode=strict: only its phrases), and for greedy decoding the same
pipeline with ctc.greedy (a graph written next to the
links, its fbank options taken from the model's config.json). Nothing is
decoded in Python and nothing is tuned on these sets: the decoder settings
are the graphs' defaults.

WER is the word-level Levenshtein distance over the reference word count,
summed over the set, after normalising both sides to lowercase words of
a-z and the apostrophe (anything else is a space); CER is the same over
characters, spaces included.
"""
import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import wave

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
PSDATA = "/usr/share/pocketsphinx/test/data"


# ------------------------------------------------------------ scoring

def normalise(text):
    return " ".join(re.sub(r"[^a-z']+", " ", text.lower()).split())


def edits(r, h):
    """Levenshtein distance between sequences r and h."""
    d = list(range(len(h) + 1))
    for i in range(1, len(r) + 1):
        prev, d[0] = d[0], i
        for j in range(1, len(h) + 1):
            cur = min(d[j] + 1, d[j - 1] + 1, prev + (r[i - 1] != h[j - 1]))
            prev, d[j] = d[j], cur
    return d[len(h)]


def error_rates(refs, hyps):
    """(WER %, CER %, word errors, reference words, sentences wrong)."""
    we = wn = ce = cn = wrong = 0
    for r, h in zip(refs, hyps):
        r, h = normalise(r), normalise(h)
        e = edits(r.split(), h.split())
        we += e
        wn += len(r.split())
        ce += edits(r, h)
        cn += len(r)
        wrong += e > 0
    return (100.0 * we / max(wn, 1), 100.0 * ce / max(cn, 1), we, wn, wrong)


def grammar_matcher(path):
    """A function telling whether a sentence is one of the phrases of a
    ctc.beam command grammar (list/intent lines; (a | b), [optional],
    {list}), through one regular expression over space-terminated words."""
    lists, intents = {}, []

    def conv(body):
        out = []
        for tok in re.findall(r"\{\w+\}|[()\[\]|]|[^\s()\[\]|{}]+", body):
            if tok.startswith("{"):
                out.append("(?:%s)" % lists[tok[1:-1]])
            elif tok in "([":
                out.append("(?:")
            elif tok == ")":
                out.append(")")
            elif tok == "]":
                out.append(")?")
            elif tok == "|":
                out.append("|")
            else:
                out.append(re.escape(tok) + " ")
        return "".join(out)
    for line in open(path):
        line = line.split("#", 1)[0].strip()
        m = re.match(r"(list|intent)\s+(\S+)\s*=\s*(.*)$", line)
        if not m:
            continue
        if m.group(1) == "list":
            lists[m.group(2)] = conv(m.group(3))
        else:
            intents.append("(?:%s)" % conv(m.group(3)))
    rx = re.compile("(?:%s)" % "|".join(intents))
    return lambda text: rx.fullmatch(normalise(text) + " ") is not None


# ------------------------------------------------------------ test sets

def read_manifest(path):
    rows = []
    with open(path) as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) >= 5:
                rows.append({"id": p[0], "wav": p[1], "voice": p[2],
                             "kind": p[3], "text": p[4]})
    return rows


def write_wav16(path, pcm_bytes):
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(pcm_bytes)


def transcription_lines(path):
    """{id: text} from a Sphinx transcription file: `<s> text </s> (id)`."""
    out = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"\s*(.*?)\s*\(([^()]*)\)\s*$", line)
            if not m:
                continue
            text = re.sub(r"</?s>", " ", m.group(1))
            out[m.group(2)] = " ".join(text.split())
    return out


def real_set(tmp):
    """The pocketsphinx-testdata recordings with a transcription; raw
    files are wrapped in WAV headers (16 kHz s16le mono)."""
    if not os.path.isdir(PSDATA):
        return []
    rows = []
    cards = transcription_lines(os.path.join(PSDATA, "cards",
                                             "cards.transcription"))
    for uid in sorted(cards):
        rows.append({"id": "cards/" + uid, "voice": "human (cards)",
                     "wav": os.path.join(PSDATA, "cards", uid + ".wav"),
                     "text": cards[uid], "kind": "real"})
    libri = transcription_lines(os.path.join(PSDATA, "librivox",
                                             "transcription"))
    for uid in sorted(libri):
        rows.append({"id": "librivox/" + uid[-4:],
                     "voice": "human (librivox)",
                     "wav": os.path.join(PSDATA, "librivox", uid + ".wav"),
                     "text": libri[uid], "kind": "real"})
    gram = open(os.path.join(PSDATA, "goforward.gram")).read()
    move = re.search(r"public\s+<move>\s*=\s*([^;]*);", gram).group(1)
    digits = {"z": "zero", "o": "oh", "1": "one", "2": "two", "3": "three",
              "4": "four", "5": "five", "6": "six", "7": "seven",
              "8": "eight", "9": "nine"}
    raws = [("goforward.raw", "goforward", " ".join(move.split()),
             "human (goforward)")]
    name = "dhd.2934z"
    raws.append(("tidigits/%s.raw" % name, "tidigits/" + name,
                 " ".join(digits[c] for c in name.split(".")[1]),
                 "human (tidigits)"))
    for rel, uid, text, voice in raws:
        src = os.path.join(PSDATA, rel)
        if not os.path.exists(src):
            continue
        dst = os.path.join(tmp, uid.replace("/", "-") + ".wav")
        with open(src, "rb") as f:
            write_wav16(dst, f.read())
        rows.append({"id": uid, "voice": voice, "wav": dst, "text": text,
                     "kind": "real"})
    return rows


def duration(path):
    with wave.open(path) as w:
        return w.getnframes() / float(w.getframerate())


# ------------------------------------------------------------ running

GREEDY_GRAPH = """weft 1
# evaluate.py's greedy condition: transcribe-dir.weft's pipeline with
# ctc.greedy; the fbank options are the model's config.json features.
param dir
param model
node src  = audio.dir    {{ path = $dir, rate = {rate}, channels = 1, chunk = 0.5s }}
node feat = {ftype} {{ {fopts}, rate = {rate} }}
node am   = asr.acoustic {{ model = $model }}
node dec  = ctc.greedy   {{ tokens = "${{model}}/tokens.txt" }}
node out  = text.print   {{ meta = "file" }}
src -> feat -> am -> dec -> out
"""


def greedy_graph(model, path):
    with open(os.path.join(model, "config.json")) as f:
        feats = json.load(f)["features"]
    opts = []
    for k, v in feats.get("options", {}).items():
        if isinstance(v, bool):
            v = "true" if v else "false"
        elif isinstance(v, str):
            v = json.dumps(v)
        opts.append("%s = %s" % (k, v))
    text = GREEDY_GRAPH.format(rate=feats.get("rate", 16000),
                               ftype=feats["type"], fopts=", ".join(opts))
    with open(path, "w") as f:
        f.write(text)
    return path


class Weft:
    def __init__(self, build, plugins=None, threads=0):
        self.exe = os.path.join(os.path.abspath(build), "core", "cli", "weft")
        self.env = dict(os.environ)
        if plugins is None:
            plugins = os.environ.get("WEFT_PLUGIN_PATH") or os.path.join(
                os.path.abspath(build), "plugins", ".libs")
        self.env["WEFT_PLUGIN_PATH"] = plugins
        self.env.setdefault("OPENBLAS_NUM_THREADS", "1")
        self.threads = threads

    def run_dir(self, graph, folder, n, params, prefix=()):
        """Run a dir graph over @folder; returns (texts by position in
        audio.dir's name order, wall seconds). Lines are
        `FILE: text[<TAB>words]` (text.print's meta = "file")."""
        cmd = list(prefix) + [self.exe, "run"]
        if self.threads:
            cmd += ["--threads", str(self.threads)]
        cmd += [graph, "dir=" + folder]
        cmd += ["%s=%s" % kv for kv in params.items()]
        t0 = time.perf_counter()
        p = subprocess.run(cmd, env=self.env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        wall = time.perf_counter() - t0
        if p.returncode != 0:
            raise RuntimeError("%s failed (%d):\n%s" % (
                " ".join(cmd), p.returncode, p.stderr[-3000:]))
        # audio.dir's order: bytewise, which sorting the UTF-8 bytes gives.
        names = sorted(os.listdir(folder), key=os.fsencode)
        pos = {name: i for i, name in enumerate(names) if i < n}
        texts = [None] * n
        for line in p.stdout.splitlines():
            name, sep, rest = line.partition(": ")
            if sep and name in pos:
                texts[pos[name]] = rest.split("\t", 1)[0].strip()
        missing = [i for i, t in enumerate(texts) if t is None]
        if missing:
            raise RuntimeError("%s: no result for %d of %d files (first: "
                               "%s)" % (" ".join(cmd), len(missing), n,
                                        names[missing[0]]))
        return texts, wall


def link_folder(rows, folder):
    """Links 00000.wav, 00001.wav, ... to the set's audio, in order."""
    os.makedirs(folder, exist_ok=True)
    for i, r in enumerate(rows):
        os.symlink(os.path.abspath(r["wav"]),
                   os.path.join(folder, "%05d.wav" % i))
    return folder


def commands_words(model):
    """The model's commands.words: the commands LM's own words, one a line
    (export.py writes it from commands.arpa's unigrams)."""
    path = os.path.join(model, "commands.words")
    if not os.path.exists(path):
        sys.exit("evaluate: %s is missing: rerun the recipe's export stage "
                 "(or export.py --out %s --words-only)" % (path, model))
    return path


def read_words(path):
    """The words of a word list (one a line; a lexicon's first field)."""
    with open(path) as f:
        return [ln.split()[0] for ln in f if ln.strip()]


def conditions(model):
    """name -> (graph, params) for each decoding condition."""
    g = os.path.join(TOP, "graphs", "transcribe-dir.weft")
    base = {"model": model, "words": "false"}
    arpa = os.path.join(model, "commands.arpa")
    words = commands_words(model)
    return {
        "beam + commands LM": (g, dict(base, lm=arpa, lexicon=words)),
        "beam + commands LM, full lexicon": (g, dict(base, lm=arpa)),
        "beam + general LM": (g, dict(base, lm=os.path.join(
            model, "general.arpa"))),
        "grammar (strict)": (g, dict(base, lm="", lexicon="",
                                     grammar_mode="strict",
                                     grammar=os.path.join(
                                         model, "commands.grammar"))),
        "grammar (strict), beam 64": (g, dict(base, lm="", lexicon="",
                                              beam="64",
                                              grammar_mode="strict",
                                              grammar=os.path.join(
                                                  model,
                                                  "commands.grammar"))),
        "grammar (reject) + commands LM": (g, dict(
            base, lm=arpa, lexicon=words,
            grammar_mode="reject",
            grammar=os.path.join(model, "commands.grammar"))),
    }


# ------------------------------------------------------------ report

def voice_group(v):
    if v.startswith("human"):
        return v
    if "+" in v:
        return "espeak-ng +" + v.split("+")[1]
    return "flite " + v


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(TOP, "build"))
    ap.add_argument("--plugins", default=None,
                    help="WEFT_PLUGIN_PATH (default: BUILD/plugins/.libs)")
    ap.add_argument("--model", default=os.path.join(TOP, "models",
                                                    "en-commands", "model"))
    ap.add_argument("--work", default=os.path.join(TOP, "models",
                                                   "en-commands", "work"))
    ap.add_argument("--out", default=os.path.join(TOP, "models",
                                                  "en-commands", "EVAL.md"))
    ap.add_argument("--limit", type=int, default=0,
                    help="only the first N utterances of each synthetic set")
    ap.add_argument("--threads", type=int, default=0,
                    help="weft run --threads (default: the scheduler's)")
    a = ap.parse_args()
    model = os.path.abspath(a.model)
    weft = Weft(a.build, a.plugins, a.threads)
    t_start = time.time()

    tmp = tempfile.mkdtemp(prefix="weft-eval-")
    try:
        sets = collections.OrderedDict()
        for name in ("commands", "general"):
            rows = read_manifest(os.path.join(a.work, "test", name + ".tsv"))
            if a.limit:
                rows = rows[:a.limit]
            sets[name] = rows
        sets["real"] = real_set(tmp)
        greedy = greedy_graph(model, os.path.join(tmp, "greedy.weft"))
        cond = conditions(model)
        plan = {
            "commands": ["greedy", "beam + general LM", "beam + commands LM",
                         "beam + commands LM, full lexicon",
                         "grammar (strict)", "grammar (strict), beam 64",
                         "grammar (reject) + commands LM"],
            "general": ["greedy", "beam + general LM"],
            "real": ["greedy", "beam + general LM"],
        }
        results = []    # (set, condition, rows, hyps, wall, audio seconds)
        for sname, rows in sets.items():
            if not rows:
                print("evaluate: set %s is empty, skipped" % sname,
                      file=sys.stderr)
                continue
            folder = link_folder(rows, os.path.join(tmp, sname))
            secs = sum(duration(r["wav"]) for r in rows)
            for cname in plan[sname]:
                if cname == "greedy":
                    graph, params = greedy, {"model": model}
                else:
                    graph, params = cond[cname]
                print("evaluate: %s, %s: %d utterances, %.0f s of audio" % (
                    sname, cname, len(rows), secs), file=sys.stderr,
                    flush=True)
                hyps, wall = weft.run_dir(graph, folder, len(rows), params)
                results.append((sname, cname, rows, hyps, wall, secs))
        write_report(a, model, sets, results, time.time() - t_start)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def git_describe():
    try:
        return subprocess.run(["git", "-C", TOP, "describe", "--always",
                               "--dirty"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def write_report(a, model, sets, results, elapsed):
    rel = os.path.relpath
    cfg = json.load(open(os.path.join(model, "config.json")))
    L = []
    L.append("# en-commands: evaluation")
    L.append("")
    L.append("Generated by `models/en-commands/recipe/evaluate.py`; do not "
             "edit. To regenerate (from the top of the source tree, after "
             "`./quickstart build` and the recipe's data stage):")
    L.append("")
    L.append("```")
    cmd = "/usr/bin/python3 models/en-commands/recipe/evaluate.py"
    if os.path.abspath(a.build) != os.path.join(TOP, "build"):
        cmd += " --build " + rel(os.path.abspath(a.build), TOP)
    if a.limit:
        cmd += " --limit %d" % a.limit
    L.append(cmd)
    L.append("```")
    L.append("")
    L.append("Model: `%s` (%s features, %d tokens, %d layers), tree %s, "
             "%s. Decoding: Weft graphs run with `weft run` "
             "(graphs/transcribe-dir.weft with its default beam 16, alpha "
             "0.5, beta 1.0; greedy: the same pipeline with ctc.greedy). "
             "Nothing was tuned on these sets." % (
                 rel(model, TOP) if model.startswith(TOP + os.sep)
                 else model, cfg["features"]["type"],
                 sum(1 for _ in open(os.path.join(model, "tokens.txt"))),
                 len(cfg.get("layers", [])), git_describe(),
                 time.strftime("%Y-%m-%d")))
    L.append("")
    L.append("WER: word-level Levenshtein distance / reference words, over "
             "the whole set, after normalising to lowercase words of a-z and "
             "the apostrophe. CER: the same over characters (spaces "
             "included). SER: sentences with at least one word error. "
             "xRT: wall time of the whole `weft run` (model loading "
             "included) / audio duration, on a shared 2-core machine with "
             "other jobs running; see doc/performance.md for measured "
             "speed.")
    L.append("")
    names = {"commands": "commands (held-out voices)",
             "general": "general sentences (held-out voices)",
             "real": "real recordings (pocketsphinx-testdata)"}
    L.append("| test set | utterances | words | decoding | WER % | CER % "
             "| SER % | xRT |")
    L.append("|---|---:|---:|---|---:|---:|---:|---:|")
    for sname, cname, rows, hyps, wall, secs in results:
        refs = [r["text"] for r in rows]
        w, c, we, wn, wrong = error_rates(refs, hyps)
        L.append("| %s | %d | %d | %s | %.1f | %.1f | %.1f | %.3f |" % (
            names[sname], len(rows), wn, cname, w, c,
            100.0 * wrong / len(rows), wall / secs))
    L.append("")
    cmd = [x for x in results if x[0] == "commands"]
    gpath = os.path.join(model, "commands.grammar")
    inside = None
    if cmd and os.path.exists(gpath):
        ing = grammar_matcher(gpath)
        rows = cmd[0][2]
        inside = [i for i, r in enumerate(rows) if ing(r["text"])]
        if len(inside) == len(rows):
            L.append("The command grammar (`commands.grammar`) covers all "
                     "%d test command phrases." % len(rows))
            L.append("")
            inside = None
    if inside is not None:
        L.append("The command grammar (`commands.grammar`) covers %d of the "
                 "%d test command phrases (%.0f%%); the others come from "
                 "templates it lacks, so strict grammar decoding cannot get "
                 "them right. On the %d it covers:" % (
                     len(inside), len(rows), 100.0 * len(inside) / len(rows),
                     len(inside)))
        L.append("")
        L.append("| decoding | WER % | CER % | SER % |")
        L.append("|---|---:|---:|---:|")
        for _, cname, rows, hyps, _, _ in cmd:
            w, c, _, _, wrong = error_rates(
                [rows[i]["text"] for i in inside], [hyps[i] for i in inside])
            L.append("| %s | %.1f | %.1f | %.1f |" % (
                cname, w, c, 100.0 * wrong / max(len(inside), 1)))
        L.append("")
    # Per voice, for the best LM condition of each synthetic set.
    L.append("## By voice")
    L.append("")
    L.append("| test set | decoding | voice | utterances | WER % | CER % |")
    L.append("|---|---|---|---:|---:|---:|")
    for sname, cname, rows, hyps, wall, secs in results:
        if cname == "greedy":
            continue
        groups = collections.OrderedDict()
        for r, h in sorted(zip(rows, hyps), key=lambda x:
                           voice_group(x[0]["voice"])):
            groups.setdefault(voice_group(r["voice"]), []).append((r, h))
        for g, items in groups.items():
            w, c, _, _, _ = error_rates([r["text"] for r, _ in items],
                                        [h for _, h in items])
            L.append("| %s | %s | %s | %d | %.1f | %.1f |" % (
                sname, cname, g, len(items), w, c))
    L.append("")
    real = [x for x in results if x[0] == "real"]
    if real:
        L.append("## Real recordings, each")
        L.append("")
        L.append("Reference, then each condition's output.")
        L.append("")
        rows = real[0][2]
        for i, r in enumerate(rows):
            L.append("- `%s`: *%s*" % (r["id"], normalise(r["text"])))
            for sname, cname, _, hyps, _, _ in real:
                L.append("  - %s: %s" % (cname, hyps[i] or "(nothing)"))
        L.append("")
    L.append("## Examples of errors")
    L.append("")
    for sname, cname, rows, hyps, wall, secs in results:
        if sname == "real" or cname == "greedy":
            continue
        bad = [(r, h) for r, h in zip(rows, hyps)
               if normalise(r["text"]) != normalise(h)][:5]
        if not bad:
            continue
        L.append("%s, %s:" % (sname, cname))
        L.append("")
        for r, h in bad:
            L.append("- ref: %s  \n  hyp: %s  (%s)" % (
                normalise(r["text"]), normalise(h) or "(nothing)",
                r["voice"]))
        L.append("")
    L.append("Evaluation took %.0f s." % elapsed)
    with open(a.out + ".tmp", "w") as f:
        f.write("\n".join(L) + "\n")
    os.replace(a.out + ".tmp", a.out)
    print("\n".join(L))


if __name__ == "__main__":
    main()
