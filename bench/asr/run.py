#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""bench/asr: Weft's transcription graph vs pocketsphinx, same audio, same
LM, same command phrases, one thread each, one invocation.

    /usr/bin/python3 bench/asr/run.py --build build [--utts 100] [--repeat 3]

Input: the first --utts utterances of the en-commands test set
(models/en-commands/work/test/commands.tsv: command phrases of the test
split spoken by the recipe's held-out voices, 16 kHz WAV). Both sides run
pinned to one core (taskset -c 0), with OPENBLAS_NUM_THREADS=1:

  weft LM        weft run --threads 1 graphs/transcribe-dir.weft with
                 commands.arpa and a lexicon of its words (beam 16)
  weft grammar   the same with lm="" lexicon="" grammar=commands.grammar
                 grammar_mode=strict beam=64 (the graphs' advice for strict
                 grammars)
  ps LM          pocketsphinx_batch (Debian's pocketsphinx 5prealpha, the
                 en-us acoustic model) with the same commands.arpa and
                 cmudict-en-us.dict restricted to the LM's words, the
                 same vocabulary (LM words missing from cmudict are
                 reported; one made of two cmudict words, such as
                 unmute = un + mute, is added)
  ps JSGF        pocketsphinx_batch with a JSGF grammar converted from
                 commands.grammar (the same phrases; words missing from
                 cmudict as above)

and prints WER and real-time factor for each (process wall time, start-up
and model loading included, / audio duration: lower is better; median of
--repeat runs for Weft, --peer-repeat for pocketsphinx), pocketsphinx's own
decode-only xRT from its log, and Weft's ratios. Then the whole-graph RTF
of Weft on one core: graphs/transcribe.weft (FFmpeg decode of an MP3 at
44.1 kHz + resample to 16 kHz + fbank + model + beam search) on the same
utterances concatenated into one MP3, against the target of 0.05.
"""
import argparse
import importlib.util
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import wave

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PSMODEL = "/usr/share/pocketsphinx/model/en-us"
ENV1 = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}


def load_evaluate():
    path = os.path.join(TOP, "models", "en-commands", "recipe", "evaluate.py")
    spec = importlib.util.spec_from_file_location("evaluate", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


ev = load_evaluate()


def pin():
    return ["taskset", "-c", "0"] if shutil.which("taskset") else []


# ------------------------------------------------------------ pocketsphinx

def read_dict(path):
    d = {}
    with open(path, encoding="latin-1") as f:
        for line in f:
            p = line.split()
            if p:
                d.setdefault(re.sub(r"\(\d+\)$", "", p[0]), []).append(line)
    return d


def grammar_to_jsgf(src):
    """ctc.beam's command grammar (list/intent lines) as a JSGF grammar with
    one public rule; returns (text, words)."""
    lists, intents, words = [], [], set()
    for line in open(src):
        line = line.split("#", 1)[0].strip()
        m = re.match(r"(list|intent)\s+(\S+)\s*=\s*(.*)$", line)
        if not m:
            continue
        body = re.sub(r"\{(\w+)\}", r"<\1>", m.group(3))
        words |= set(re.findall(r"[a-z']+", re.sub(r"<\w+>", " ", body)))
        if m.group(1) == "list":
            lists.append("<%s> = %s;" % (m.group(2), body))
        else:
            intents.append("<i%d> = %s;" % (len(intents), body))
    top = "public <command> = %s;" % " | ".join(
        "<i%d>" % i for i in range(len(intents)))
    return "#JSGF V1.0;\ngrammar commands;\n%s\n%s\n%s\n" % (
        top, "\n".join(intents), "\n".join(lists)), words


def compound(cmudict, w):
    """A pronunciation for a word missing from cmudict made of two words it
    has (unmute = un + mute), or None."""
    for i in range(2, len(w) - 1):
        a, b = w[:i], w[i:]
        if a in cmudict and b in cmudict:
            pa = cmudict[a][0].split()[1:]
            pb = cmudict[b][0].split()[1:]
            return "%s %s\n" % (w, " ".join(pa + pb))
    return None


def write_dict(path, cmudict, words):
    """The dictionary entries of @words; returns (words in cmudict, words
    given a compound pronunciation, words left out)."""
    have = sorted(w for w in words if w in cmudict)
    made, left = [], []
    with open(path, "w", encoding="latin-1") as f:
        for w in have:
            f.writelines(cmudict[w])
        for w in sorted(w for w in words if w not in cmudict):
            line = compound(cmudict, w)
            if line:
                f.write(line)
                made.append(line.strip())
            else:
                left.append(w)
    return len(have), made, left


def run_ps(folder, n, mode_args, dic, repeat):
    """pocketsphinx_batch over raw files 00000.raw ...; returns (hyps,
    median wall, its own decode-only CPU xRT)."""
    ctl = os.path.join(folder, "ctl")
    with open(ctl, "w") as f:
        f.write("".join("%05d\n" % i for i in range(n)))
    walls, hyps, xrt = [], None, float("nan")
    for _ in range(repeat):
        hyp = os.path.join(folder, "out.hyp")
        cmd = pin() + ["pocketsphinx_batch", "-adcin", "yes", "-cepdir",
                       folder, "-cepext", ".raw", "-ctl", ctl, "-hmm",
                       os.path.join(PSMODEL, "en-us"), "-dict", dic,
                       "-hyp", hyp] + mode_args
        t0 = time.perf_counter()
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, env=dict(os.environ, **ENV1))
        walls.append(time.perf_counter() - t0)
        if p.returncode != 0:
            raise RuntimeError("pocketsphinx_batch failed:\n" +
                               p.stderr[-2000:])
        m = re.search(r"TOTAL ([\d.]+) seconds speech, ([\d.]+) seconds CPU",
                      p.stderr)
        if m:
            xrt = float(m.group(2)) / float(m.group(1))
        got = {}
        for line in open(hyp):
            m = re.match(r"(.*)\((\d+)(?: [-\d]+)?\)\s*$", line)
            if m:
                got[int(m.group(2))] = m.group(1).strip()
        hyps = [got.get(i, "") for i in range(n)]
    return hyps, statistics.median(walls), xrt


def machine():
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        ps = subprocess.run(["dpkg-query", "-W", "-f", "${Version}",
                             "pocketsphinx"], capture_output=True,
                            text=True).stdout.strip()
    except OSError:
        ps = "?"
    return ("machine: %s, %d cores, load average %.2f; pocketsphinx %s "
            "(Debian), en-us model" % (cpu, os.cpu_count(),
                                       os.getloadavg()[0], ps or "?"))


# ------------------------------------------------------------ main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(TOP, "build"))
    ap.add_argument("--plugins", default=None)
    ap.add_argument("--model", default=os.path.join(
        TOP, "models", "en-commands", "model"))
    ap.add_argument("--work", default=os.path.join(
        TOP, "models", "en-commands", "work"))
    ap.add_argument("--utts", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--peer-repeat", type=int, default=3)
    a = ap.parse_args()
    model = os.path.abspath(a.model)
    weft = ev.Weft(a.build, a.plugins, threads=1)
    weft.env.update(ENV1)

    rows = ev.read_manifest(os.path.join(a.work, "test",
                                         "commands.tsv"))[:a.utts]
    if not rows:
        sys.exit("bench/asr: no test set (run the recipe's data stage)")
    refs = [r["text"] for r in rows]
    secs = sum(ev.duration(r["wav"]) for r in rows)
    tmp = tempfile.mkdtemp(prefix="weft-bench-asr-")
    try:
        wavs = ev.link_folder(rows, os.path.join(tmp, "wav"))
        raws = os.path.join(tmp, "raw")
        os.makedirs(raws)
        for i, r in enumerate(rows):
            with wave.open(r["wav"]) as w:
                assert w.getframerate() == 16000 and w.getnchannels() == 1
                pcm = w.readframes(w.getnframes())
            with open(os.path.join(raws, "%05d.raw" % i), "wb") as f:
                f.write(pcm)
        print(machine())
        print("input: %d utterances of %s, %.1f s of audio; one core "
              "(taskset -c 0), one thread" % (len(rows), os.path.relpath(
                  os.path.join(a.work, "test", "commands.tsv"), TOP), secs))

        graph = os.path.join(TOP, "graphs", "transcribe-dir.weft")
        lm = os.path.join(model, "commands.arpa")
        gram = os.path.join(model, "commands.grammar")
        table = []

        def weft_side(name, params):
            walls, hyps = [], None
            weft.run_dir(graph, wavs, len(rows), params, prefix=pin())
            for _ in range(a.repeat):
                hyps, wall = weft.run_dir(graph, wavs, len(rows), params,
                                          prefix=pin())
                walls.append(wall)
            w = ev.error_rates(refs, hyps)
            table.append((name, w[0], w[1], statistics.median(walls) / secs,
                          min(walls) / secs, max(walls) / secs, None))

        lmlex = ev.commands_words(model)
        weft_side("weft, commands LM", {"model": model, "lm": lm,
                                        "lexicon": lmlex, "words": "false"})
        weft_side("weft, grammar (strict, beam 64)", {
            "model": model, "lm": "", "lexicon": "", "grammar": gram,
            "grammar_mode": "strict", "beam": "64", "words": "false"})

        cmudict = read_dict(os.path.join(PSMODEL, "cmudict-en-us.dict"))
        lmwords = ev.read_words(lmlex)
        dic = os.path.join(tmp, "lm.dict")
        have, made, left = write_dict(dic, cmudict, lmwords)
        print("pocketsphinx LM dictionary: %d of the LM's %d words are in "
              "cmudict-en-us.dict; made from two words: %s; left out: %s" % (
                  have, len(lmwords), ", ".join(made) or "none",
                  " ".join(left) or "none"))
        hyps, wall, xrt = run_ps(raws, len(rows), ["-lm", lm], dic,
                                 a.peer_repeat)
        w = ev.error_rates(refs, hyps)
        table.append(("pocketsphinx, commands LM", w[0], w[1], wall / secs,
                      None, None, xrt))
        jsgf, gwords = grammar_to_jsgf(gram)
        jpath = os.path.join(tmp, "commands.gram")
        with open(jpath, "w") as f:
            f.write(jsgf)
        gdic = os.path.join(tmp, "gram.dict")
        have, made, left = write_dict(gdic, cmudict, gwords)
        print("pocketsphinx JSGF dictionary: %d of the grammar's %d words "
              "are in cmudict; made from two words: %s; left out: %s" % (
                  have, len(gwords), ", ".join(made) or "none",
                  " ".join(left) or "none"))
        if left:
            sys.exit("bench/asr: JSGF words without a pronunciation: " +
                     " ".join(left))
        hyps, wall, xrt = run_ps(raws, len(rows), ["-jsgf", jpath], gdic,
                                 a.peer_repeat)
        w = ev.error_rates(refs, hyps)
        table.append(("pocketsphinx, JSGF grammar", w[0], w[1], wall / secs,
                      None, None, xrt))

        print("\n%-28s %7s %7s %9s %15s %9s" % (
            "decoder", "WER %", "CER %", "RTF", "RTF min-max", "ps xRT"))
        for name, w, c, rtf, lo, hi, xrt in table:
            print("%-28s %7.1f %7.1f %9.4f %15s %9s" % (
                name, w, c, rtf,
                "%.4f-%.4f" % (lo, hi) if lo is not None else "",
                "%.3f" % xrt if xrt is not None else ""))
        print("\nratios (RTF pocketsphinx / RTF weft; > 1: weft faster):")
        for i, j, what in ((2, 0, "commands LM"), (3, 1, "grammar")):
            print("  %-12s RTF: weft %.1fx faster;  WER: weft %.1f%%, "
                  "pocketsphinx %.1f%%" % (
                what, table[i][3] / table[j][3], table[j][1], table[i][1]))

        # Whole graph on one core: MP3 decode + resample + features +
        # model + beam search, one long file.
        mp3 = os.path.join(tmp, "all.mp3")
        lst = os.path.join(tmp, "list.txt")
        with open(lst, "w") as f:
            for r in rows:
                f.write("file '%s'\n" % os.path.abspath(r["wav"]))
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f",
                        "concat", "-safe", "0", "-i", lst, "-ar", "44100",
                        "-ac", "2", "-c:a", "libmp3lame", "-b:a", "128k",
                        mp3], check=True)
        one = os.path.join(TOP, "graphs", "transcribe.weft")
        walls, graph_walls = [], []
        for k in range(a.repeat + 1):
            cmd = pin() + [weft.exe, "run", "--threads", "1", "--stats",
                           "-q", one, "audio=" + mp3, "model=" + model,
                           "words=false"]
            t0 = time.perf_counter()
            p = subprocess.run(cmd, env=weft.env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
            wall = time.perf_counter() - t0
            if p.returncode != 0:
                raise RuntimeError("transcribe.weft failed:\n" + p.stderr)
            m = re.search(r"wall ([\d.]+) ms", p.stderr)
            if k:
                walls.append(wall)
                graph_walls.append(float(m.group(1)) / 1000 if m else wall)
            stats = p.stderr
        print("\nwhole graph, one core: graphs/transcribe.weft on one %.1f s "
              "MP3 (44.1 kHz stereo, the same utterances)" % secs)
        print("  RTF %.4f process (median of %d, %.4f-%.4f), %.4f graph "
              "run only; target <= 0.05: %s" % (
                  statistics.median(walls) / secs, len(walls),
                  min(walls) / secs, max(walls) / secs,
                  statistics.median(graph_walls) / secs,
                  "met" if statistics.median(walls) / secs <= 0.05
                  else "NOT met"))
        print("  per node (last run):")
        for line in stats.splitlines():
            if re.match(r"(node\s+class|\S+\s+[a-z][a-z.]*\s+\d+\s)", line):
                print("    " + line)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
