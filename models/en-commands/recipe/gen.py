#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Stage `data`: synthesise and augment the recipe's utterances.

    /usr/bin/python3 gen.py --config full --work ../work [--jobs 2]
    /usr/bin/python3 gen.py --config full --work ../work --phase 2

Writes 16 kHz mono 16-bit WAVs under WORK/wav/<split>/<shard>/ and the
manifests WORK/<split>.tsv (train, dev) and WORK/test/{commands,general}.tsv
(wavs in WORK/test/wav/), one line per utterance:
id, wav path, voice, kind (command|general), text, tab-separated. Also the
decoder's text files (grammar, lexicon, ARPA LMs) in WORK/text/.

Training and dev utterances use the training voices with random
augmentation (speed, reverberation, noise, gain); test utterances use only
the held-out voices (HELD_OUT_*), without augmentation. Deterministic:
every utterance's voice, speed and augmentation come from its own seed, and
a WAV already present is kept, so a rerun only makes what is missing.

--phase 2 makes configs.py's "phase2" utterances instead: training texts
again, spoken mostly by flite and festival voices (festival's ked, kal and
HTS slt: Debian's festival, festvox-kdlpc16k, festvox-kallpc16k,
festvox-us-slt-hts) at varied pitch, augmented like phase 1's, into
WORK/wav/train2/ and WORK/train2.tsv. The voice column then names the
pitch, e.g. "awb@120Hz".
"""
import argparse
import io
import json
import math
import os
import random
import subprocess
import sys
import time
import wave
from multiprocessing import Pool

import numpy as np
from scipy.fft import next_fast_len
from scipy.signal import fftconvolve, lfilter, resample_poly

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import textgen  # noqa: E402
from configs import CONFIGS  # noqa: E402

RATE = 16000
ESPEAK_LANGS = ["en-us", "en-gb", "en-gb-scotland", "en-gb-x-gbclan",
                "en-gb-x-gbcwmd", "en-gb-x-rp", "en-029", "en-us-nyc"]
ESPEAK_VARIANTS = ["", "m1", "m2", "m3", "m4", "m6", "m7", "m8", "f1", "f2",
                   "f3", "f5", "croak", "klatt", "klatt2", "klatt3", "klatt4",
                   "whisper", "Andy", "Annie", "adam", "anika", "benjamin",
                   "david", "edward", "gustave", "iven", "john", "linda",
                   "max", "michel", "norbert", "paul", "rob", "robert",
                   "steph", "travis", "victor", "zac", "Alex", "Mike"]
FLITE_VOICES = ["kal", "kal16", "awb", "slt"]
# Phase 2 only (configs.py "phase2"): festival's voices, one of them (ked)
# a speaker no other engine has, one (slt, HTS) a second vocoder for a
# flite speaker. Festival is slower to start than flite, so phase 1, which
# the tiny configuration mirrors, does without it.
FESTIVAL_VOICES = {"ked": "voice_ked_diphone", "kal-diphone":
                   "voice_kal_diphone", "slt-hts":
                   "voice_cmu_us_slt_arctic_hts"}
# Mean f0 ranges (Hz) for phase 2's pitch variation of the non-espeak
# voices: a voice's speaker at other pitches is the cheapest new "voice".
F0_RANGE = {"kal": (75, 150), "kal16": (75, 150), "awb": (75, 150),
            "slt": (140, 260), "ked": (75, 150), "kal-diphone": (75, 150)}
# Never used for training or dev: the test set speaks only with these.
HELD_OUT_ESPEAK_VARIANTS = ["f4", "m5"]
HELD_OUT_FLITE = ["rms"]


# ------------------------------------------------------------ synthesis

def read_wav_bytes(data):
    """(samples float32 in [-1, 1], rate) from a RIFF WAV in memory; tolerates
    the bogus sizes espeak-ng writes to a pipe."""
    if data[:4] != b"RIFF":
        raise RuntimeError("not a WAV")
    pos, rate, pcm = 12, None, None
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], int.from_bytes(data[pos + 4:pos + 8],
                                                      "little")
        if cid == b"fmt ":
            rate = int.from_bytes(data[pos + 12:pos + 16], "little")
        if cid == b"data":
            pcm = data[pos + 8:]
            break
        pos += 8 + size
    x = np.frombuffer(pcm[:len(pcm) // 2 * 2], dtype="<i2")
    return x.astype(np.float32) / 32768.0, rate


def synth(engine, voice, text, speed, pitch):
    """Speech for text; pitch is espeak-ng's 0-99 scale, or for flite and
    festival a mean f0 in Hz (0: the voice's own)."""
    stdin = None
    if engine == "espeak":
        cmd = ["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch),
               "--stdout", text]
    elif engine == "flite":
        cmd = ["flite", "-voice", voice, "--setf",
               "duration_stretch=%.3f" % (170.0 / speed), "-t", text,
               "-o", "/dev/stdout"]
        if pitch:
            cmd[3:3] = ["--setf", "int_f0_target_mean=%d" % pitch]
    else:
        cmd = ["text2wave", "-eval", "(%s)" % FESTIVAL_VOICES[voice],
               "-eval", "(Parameter.set 'Duration_Stretch %.3f)" % (
                   170.0 / speed), "-o", "/dev/stdout"]
        if pitch and voice != "slt-hts":   # HTS ignores int_lr_params
            cmd[5:5] = ["-eval", "(set! int_lr_params '((target_f0_mean %d)"
                        " (target_f0_std %d) (model_f0_mean 170) "
                        "(model_f0_std 34)))" % (pitch, pitch // 7)]
        stdin = text.encode()
    out = subprocess.run(cmd, input=stdin, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, check=True).stdout
    x, rate = read_wav_bytes(out)
    if rate != RATE:
        g = math.gcd(RATE, rate)
        x = resample_poly(x, RATE // g, rate // g).astype(np.float32)
    return x


# ------------------------------------------------------------ augmentation

def colored_noise(rng, n, kind):
    w = rng.standard_normal(n).astype(np.float32)
    if kind == "white":
        return w
    if kind == "pink":   # Paul Kellet's economy filter
        return lfilter([0.049922035, -0.095993537, 0.050612699,
                        -0.004408786], [1, -2.494956002, 2.017265875,
                                        -0.522189400], w).astype(np.float32)
    if kind == "brown":
        y = lfilter([1.0], [1, -0.995], w)
        return (y - y.mean()).astype(np.float32)
    if kind == "hum":
        t = np.arange(n) / RATE
        f0 = rng.choice([50.0, 60.0])
        y = sum(rng.uniform(0.2, 1) * np.sin(2 * np.pi * f0 * k * t +
                                             rng.uniform(0, 6.3))
                for k in range(1, 6))
        return (y + 0.05 * w).astype(np.float32)
    # band: white noise through a random band-pass (fan, traffic, hiss)
    lo, hi = sorted(rng.uniform(100, 7000, 2))
    m = next_fast_len(n)
    spec = np.fft.rfft(w, m)
    f = np.fft.rfftfreq(m, 1 / RATE)
    spec[(f < lo) | (f > hi + 200)] = 0
    return np.fft.irfft(spec, m)[:n].astype(np.float32)


def reverb(rng, x):
    rt60 = rng.uniform(0.1, 0.7)
    n = int(rt60 * RATE)
    t = np.arange(n) / RATE
    ir = rng.standard_normal(n) * np.exp(-6.9 * t / rt60)
    ir[0] = 0
    ir *= rng.uniform(0.2, 0.8) / (np.sqrt(np.sum(ir ** 2)) + 1e-9)
    ir[0] = 1.0
    pre = int(rng.uniform(0.002, 0.02) * RATE)   # early-reflection gap
    ir = np.concatenate([ir[:1], np.zeros(pre), ir[1:]])
    return fftconvolve(x, ir)[:len(x) + n // 4].astype(np.float32)


def augment(rng, x):
    """Speed perturbation, silence padding, reverberation, additive noise
    at 0-30 dB SNR, gain; returns the new signal and a short description."""
    desc = []
    if rng.random() < 0.6:
        f = rng.uniform(0.9, 1.1)
        # Kaldi-style speed perturbation: resample and play at 16 kHz.
        up = int(round(1000 / f))
        x = resample_poly(x, up, 1000).astype(np.float32)
        desc.append("speed=%.2f" % f)
    pad = [int(rng.uniform(0.05, 0.4) * RATE) for _ in range(2)]
    x = np.concatenate([np.zeros(pad[0], np.float32), x,
                        np.zeros(pad[1], np.float32)])
    if rng.random() < 0.3:
        x = reverb(rng, x)
        desc.append("reverb")
    if rng.random() < 0.75:
        kind = rng.choice(["white", "pink", "pink", "brown", "hum", "band",
                           "band"])
        snr = rng.uniform(0, 30)
        n = colored_noise(rng, len(x), kind)
        ps = np.mean(x ** 2) + 1e-10
        pn = np.mean(n ** 2) + 1e-10
        x = x + n * np.sqrt(ps / pn / 10 ** (snr / 10))
        desc.append("%s@%.0fdB" % (kind, snr))
    else:
        x = x + rng.standard_normal(len(x)).astype(np.float32) * 1e-4
    g = 10 ** (rng.uniform(-20, 3) / 20)
    x = x * g
    peak = np.max(np.abs(x)) + 1e-9
    if peak > 0.99:
        x = x * (0.99 / peak)
    return x.astype(np.float32), ",".join(desc)


def write_wav(path, x):
    tmp = path + ".tmp"
    pcm = np.clip(np.round(x * 32767), -32768, 32767).astype("<i2")
    with wave.open(tmp, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm.tobytes())
    os.replace(tmp, path)


# ------------------------------------------------------------ jobs

def pick_voice(rng, held_out):
    """(engine, voice name, speed wpm, pitch) for one utterance."""
    if rng.random() < (0.33 if held_out else 0.25):
        v = rng.choice(HELD_OUT_FLITE if held_out else FLITE_VOICES)
        return "flite", v, rng.randint(140, 200), 0
    lang = rng.choice(ESPEAK_LANGS)
    var = rng.choice(HELD_OUT_ESPEAK_VARIANTS if held_out
                     else ESPEAK_VARIANTS)
    return ("espeak", lang + ("+" + var if var else ""),
            rng.randint(130, 210), rng.randint(25, 75))


def pick_voice_phase2(rng):
    """Phase 2's voices: mostly flite and festival at varied pitch, with
    enough espeak-ng that phase 1's voices are not forgotten."""
    r = rng.random()
    if r < 0.45:
        v = rng.choice(FLITE_VOICES)
        return "flite", v, rng.randint(130, 210), rng.randint(*F0_RANGE[v])
    if r < 0.75:
        v = rng.choice(sorted(FESTIVAL_VOICES))
        f0 = rng.randint(*F0_RANGE[v]) if v in F0_RANGE else 0
        return "festival", v, rng.randint(130, 210), f0
    return pick_voice(rng, False)


def make_one(job):
    uid, path, kind, text, split, seed = job
    rng = np.random.default_rng(seed)
    prng = random.Random(seed)
    if split == "train2":
        engine, voice, speed, pitch = pick_voice_phase2(prng)
        if engine != "espeak" and pitch:
            voice = "%s@%dHz" % (voice, pitch)
    else:
        engine, voice, speed, pitch = pick_voice(prng, split == "test")
    if os.path.exists(path):
        return uid, voice, 0.0
    x = synth(engine, voice.split("@")[0], text, speed, pitch)
    if split != "test" and rng.random() > 0.15:
        x, _ = augment(rng, x)
    else:
        x = np.concatenate([np.zeros(int(0.1 * RATE), np.float32), x,
                            np.zeros(int(0.1 * RATE), np.float32)])
        peak = np.max(np.abs(x)) + 1e-9
        x = x * min(1.0, 0.9 / peak)
    write_wav(path, x)
    return uid, voice, len(x) / RATE


def plan(cfg, work):
    """Every utterance: (id, wav, kind, text, split, seed)."""
    gen_tr, gen_dev, gen_te = textgen.general_split(
        n_dev=cfg["dev"], n_test=cfg["test"])
    cmd_tr, cmd_dev, cmd_te = textgen.command_split(
        cfg["commands"], n_dev=cfg["dev"], n_test=cfg["test"])
    lm_text = gen_tr if cfg.get("lm_all_general") else \
        gen_tr[:cfg["general"]]
    gen_tr = gen_tr[:cfg["general"]]
    jobs = {"train": [], "dev": [], "test": []}
    shard = cfg["shard"]

    def add(split, kind, texts, base):
        for i, t in enumerate(texts):
            uid = "%s-%s%06d" % (split, kind[0], i)
            if split == "test":
                d = os.path.join(work, "test", "wav")
            else:
                n = len(jobs[split])
                d = os.path.join(work, "wav", split, "%03d" % (n // shard))
            jobs[split].append((uid, os.path.join(d, uid + ".wav"), kind, t,
                                split, base + i))
    add("train", "command", cmd_tr, 1000000)
    add("train", "general", gen_tr, 2000000)
    add("dev", "command", cmd_dev, 3000000)
    add("dev", "general", gen_dev, 4000000)
    add("test", "command", cmd_te, 5000000)
    add("test", "general", gen_te, 6000000)
    return jobs, cmd_tr, lm_text


def plan_phase2(cfg, work):
    """Phase 2's utterances: training texts again (commands and general
    sentences in the phase's proportion), new voices, new seeds."""
    p2 = cfg["phase2"]
    gen_tr, _, _ = textgen.general_split(n_dev=cfg["dev"], n_test=cfg["test"])
    cmd_tr, _, _ = textgen.command_split(cfg["commands"], n_dev=cfg["dev"],
                                         n_test=cfg["test"])
    gen_tr = gen_tr[:cfg["general"]]
    rng = random.Random(p2["seed"])
    jobs = []
    for i in range(p2["utterances"]):
        kind = "command" if rng.random() < p2["commands"] else "general"
        text = rng.choice(cmd_tr if kind == "command" else gen_tr)
        uid = "train2-%s%06d" % (kind[0], i)
        d = os.path.join(work, "wav", "train2", "%03d" % (i // cfg["shard"]))
        jobs.append((uid, os.path.join(d, uid + ".wav"), kind, text,
                     "train2", p2["seed"] + i))
    return jobs


def manifest(path, rows, voices):
    with open(path + ".tmp", "w") as f:
        for uid, wav, kind, text, _, _ in sorted(rows):
            f.write("%s\t%s\t%s\t%s\t%s\n" % (uid, wav, voices[uid], kind,
                                              text))
    os.replace(path + ".tmp", path)


def synth_all(jobs, n_jobs, t0):
    """Make every job's WAV; {id: voice}."""
    for j in jobs:
        os.makedirs(os.path.dirname(j[1]), exist_ok=True)
    voices = {}
    with Pool(n_jobs) as pool:
        for k, (uid, voice, _) in enumerate(
                pool.imap(make_one, jobs, chunksize=16)):
            voices[uid] = voice
            if (k + 1) % 2000 == 0:
                print("gen: %d/%d utterances, %.0f s" % (
                    k + 1, len(jobs), time.time() - t0), flush=True)
    return voices


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", default="full", choices=sorted(CONFIGS))
    ap.add_argument("--work", required=True)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--phase", type=int, default=1, choices=[1, 2],
                    help="2: the extra voices of configs.py's phase2, "
                    "into WORK/train2.tsv")
    a = ap.parse_args()
    cfg = CONFIGS[a.config]
    work = os.path.abspath(a.work)
    t0 = time.time()
    if a.phase == 2:
        jobs = plan_phase2(cfg, work)
        voices = synth_all(jobs, a.jobs, t0)
        manifest(os.path.join(work, "train2.tsv"), jobs, voices)
        with open(os.path.join(work, "data2.done"), "w") as f:
            json.dump({"config": a.config, "utterances": len(jobs),
                       "seconds_made": time.time() - t0}, f)
        print("gen: phase 2, %d utterances in %.0f s" % (
            len(jobs), time.time() - t0))
        return
    jobs, cmd_tr, lm_text = plan(cfg, work)
    textgen.write_text_files(os.path.join(work, "text"), cmd_tr, lm_text)
    all_jobs = jobs["train"] + jobs["dev"] + jobs["test"]
    voices = synth_all(all_jobs, a.jobs, t0)
    os.makedirs(os.path.join(work, "test"), exist_ok=True)
    manifest(os.path.join(work, "train.tsv"), jobs["train"], voices)
    manifest(os.path.join(work, "dev.tsv"), jobs["dev"], voices)
    manifest(os.path.join(work, "test", "commands.tsv"),
             [j for j in jobs["test"] if j[2] == "command"], voices)
    manifest(os.path.join(work, "test", "general.tsv"),
             [j for j in jobs["test"] if j[2] == "general"], voices)
    with open(os.path.join(work, "data.done"), "w") as f:
        json.dump({"config": a.config, "utterances": len(all_jobs),
                   "seconds_made": time.time() - t0}, f)
    print("gen: %d utterances in %.0f s" % (len(all_jobs), time.time() - t0))


if __name__ == "__main__":
    main()
