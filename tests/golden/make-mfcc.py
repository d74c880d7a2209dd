#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Golden data for the mfcc plugin (tests/mfcc/test-mfcc.c).

Writes tests/golden/mfcc/NAME.npy (16 kHz mono float32 input in [-1, 1])
and NAME.REF.npy, the features reference implementations compute from it:

  kaldi-mfcc.torchaudio   torchaudio.compliance.kaldi.mfcc (use_energy=True,
                          energy_floor=0, dither=0: compute-mfcc-feats),
                          evaluated in float64
  kaldi-fbank.torchaudio  torchaudio.compliance.kaldi.fbank (dither=0)
  kaldi-mfcc.knf          kaldi-native-fbank OnlineMfcc (dither=0)
  kaldi-fbank.knf         kaldi-native-fbank OnlineFbank (dither=0)
  librosa-mfcc.librosa    librosa.feature.mfcc(y, sr=16000)
  librosa-fbank.librosa   librosa.power_to_db(melspectrogram(y, sr=16000))
  psf-mfcc.psf            python_speech_features.mfcc(y * 32768, 16000)
  psf-fbank.psf           python_speech_features.logfbank(y * 32768, 16000)
  htk-mfcc.htk            HTK's HCopy MFCC_0 as written in HTK's HSigP.c
                          (no Python package runs HTK; re-implemented here
                          in float64, independently of the C code)

Kaldi, HTK and python_speech_features get samples scaled to the int16 range,
as the node's presets do (sample_scale 32768).

Run: .venv/bin/python tests/golden/make-mfcc.py   (requirements-dev.txt)
It re-runs itself under /usr/bin/python3 for torchaudio (Debian's
python3-torchaudio; the PyPI torch wheel is gigabytes). espeak-ng and flite
make the speech; the generated audio is committed, so tests need neither.
"""
import os
import subprocess
import sys
import tempfile
import wave

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "mfcc")
SR = 16000


def read_wav(path):
    with wave.open(path, "rb") as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1
        rate = w.getframerate()
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return x.astype(np.float32) / 32768.0, rate


def speech_espeak(text, voice):
    from scipy.signal import resample_poly
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "a.wav")
        subprocess.run(["espeak-ng", "-v", voice, "-w", p, text], check=True)
        x, rate = read_wav(p)
    assert rate == 22050
    return resample_poly(x, 320, 441).astype(np.float32)


def speech_flite(text, voice):
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "a.wav")
        subprocess.run(["flite", "-voice", voice, "-t", text, "-o", p],
                       check=True)
        x, rate = read_wav(p)
    assert rate == SR, rate
    return x


def make_inputs():
    rng = np.random.default_rng(6)
    t = np.arange(SR, dtype=np.float64) / SR
    ins = {
        "espeak": speech_espeak("turn on the kitchen lights", "en-us"),
        "flite": speech_flite("what is the weather tomorrow", "slt"),
        "noise": (0.3 * rng.standard_normal(SR)).clip(-1, 1),
        "sines": 0.4 * np.sin(2 * np.pi * 440 * t) +
                 0.2 * np.sin(2 * np.pi * 3000 * t),
        "silence": np.zeros(SR // 2),
        "clipped": np.clip(2.0 * np.sin(2 * np.pi * 250 * t[:SR // 2]), -1, 1),
        "short": 0.5 * rng.standard_normal(700).clip(-1, 1),
    }
    return {k: np.asarray(v, dtype=np.float32) for k, v in ins.items()}


def htk_mfcc(x, sr=SR, wlen=400, shift=160, nfft=512, nchans=26, nceps=12,
             lifter=22.0, k=0.97):
    """HTK MFCC_0 (c1..c12, c0) following HSigP.c: per-frame pre-emphasis,
    symmetric Hamming, magnitude spectrum (USEPOWER=F), filterbank from
    loChan/loWt, melfloor 1.0, DCT with sqrt(2/N), CEPLIFTER."""
    x = x.astype(np.float64) * 32768.0
    nframes = 0 if len(x) < wlen else 1 + (len(x) - wlen) // shift
    nby2 = nfft // 2
    fres = sr / (nfft * 700.0)
    mel = lambda kk: 1127.0 * np.log(1.0 + (kk - 1) * fres)  # 1-based bin
    mlo, mhi = 0.0, mel(nby2 + 1)
    maxchan = nchans + 1
    cf = [0.0] * (maxchan + 1)
    for chan in range(1, maxchan + 1):
        cf[chan] = chan / maxchan * (mhi - mlo) + mlo
    klo, khi = 2, nby2
    lochan = [0] * (nby2 + 1)
    lowt = [0.0] * (nby2 + 1)
    chan = 1
    for kk in range(1, nby2 + 1):
        if kk < klo or kk > khi:
            lochan[kk] = -1
            continue
        m = mel(kk)
        while chan <= maxchan and cf[chan] < m:
            chan += 1
        lochan[kk] = chan - 1
    for kk in range(1, nby2 + 1):
        c = lochan[kk]
        if kk < klo or kk > khi:
            lowt[kk] = 0.0
        elif c > 0:
            lowt[kk] = (cf[c + 1] - mel(kk)) / (cf[c + 1] - cf[c])
        else:
            lowt[kk] = (cf[1] - mel(kk)) / (cf[1] - mlo)
    ham = 0.54 - 0.46 * np.cos(2 * np.pi * np.arange(wlen) / (wlen - 1))
    out = np.zeros((nframes, nceps + 1))
    for f in range(nframes):
        s = x[f * shift:f * shift + wlen].copy()
        for i in range(wlen - 1, 0, -1):
            s[i] -= s[i - 1] * k
        s[0] *= 1.0 - k
        s *= ham
        mag = np.abs(np.fft.rfft(s, nfft))
        fb = np.zeros(nchans + 2)
        for kk in range(klo, khi + 1):
            ek = mag[kk - 1]
            b = lochan[kk]
            t1 = lowt[kk] * ek
            if b > 0:
                fb[b] += t1
            if b < nchans:
                fb[b + 1] += ek - t1
        fb = np.log(np.maximum(fb[1:nchans + 1], 1.0))
        norm = np.sqrt(2.0 / nchans)
        j = np.arange(1, nchans + 1)
        c = np.array([norm * np.sum(fb * np.cos(i * np.pi / nchans * (j - 0.5)))
                      for i in range(0, nceps + 1)])
        lift = 1.0 + lifter / 2.0 * np.sin(np.pi * np.arange(nceps + 1) / lifter)
        c *= lift
        out[f, :nceps] = c[1:]
        out[f, nceps] = c[0]
    return out


def save(name, ref, feats):
    feats = np.ascontiguousarray(feats, dtype=np.float32)
    if feats.ndim != 2:
        feats = feats.reshape(0, 0)
    np.save(os.path.join(OUT, "%s.%s.npy" % (name, ref)), feats)


def run_venv():
    import kaldi_native_fbank as knf
    import librosa
    import python_speech_features as psf

    os.makedirs(OUT, exist_ok=True)
    ins = make_inputs()
    for name, x in ins.items():
        np.save(os.path.join(OUT, name + ".npy"), x)
        s = x.astype(np.float64) * 32768.0
        save(name, "librosa-mfcc.librosa",
             librosa.feature.mfcc(y=x, sr=SR).T)
        save(name, "librosa-fbank.librosa",
             librosa.power_to_db(librosa.feature.melspectrogram(y=x, sr=SR)).T)
        save(name, "psf-mfcc.psf", psf.mfcc(s, samplerate=SR))
        save(name, "psf-fbank.psf", psf.logfbank(s, samplerate=SR))
        save(name, "htk-mfcc.htk", htk_mfcc(x))
        for kind in ("fbank", "mfcc"):
            if kind == "fbank":
                o = knf.FbankOptions()
                o.mel_opts.num_bins = 23
            else:
                o = knf.MfccOptions()
                o.use_energy = True
                o.energy_floor = 0.0
            o.frame_opts.dither = 0.0
            o.frame_opts.snip_edges = True
            o.frame_opts.samp_freq = SR
            comp = knf.OnlineFbank(o) if kind == "fbank" else knf.OnlineMfcc(o)
            comp.accept_waveform(SR, (x * 32768.0).tolist())
            comp.input_finished()
            rows = [comp.get_frame(i) for i in range(comp.num_frames_ready)]
            save(name, "kaldi-%s.knf" % kind,
                 np.array(rows) if rows else np.zeros((0, 23 if kind ==
                                                      "fbank" else 13)))
    subprocess.run(["/usr/bin/python3", os.path.abspath(__file__),
                    "--torchaudio"], check=True)


def run_torchaudio():
    import torch
    import torchaudio.compliance.kaldi as tk

    # torchaudio builds its window, mel banks and DCT matrix in the default
    # dtype whatever the input's. In float32 those tables alone move C8 of
    # digital silence to -1.5e-4 and mel bins beside a pure tone by 3e-4;
    # in float64 the reference is exact to float rounding.
    torch.set_default_dtype(torch.float64)

    for fn in sorted(os.listdir(OUT)):
        if fn.count(".") != 1:
            continue
        name = fn[:-4]
        x = np.load(os.path.join(OUT, fn))
        # float64: the reference's exact result, free of float32 FFT rounding
        # (which alone exceeds 1e-4 on mel bins far below the frame's peak).
        w = torch.from_numpy(x.astype(np.float64) * 32768.0).unsqueeze(0)
        if w.shape[1] < 400:
            m = np.zeros((0, 13))
            f = np.zeros((0, 23))
        else:
            m = tk.mfcc(w, sample_frequency=SR, use_energy=True,
                        energy_floor=0.0, dither=0.0).numpy()
            f = tk.fbank(w, sample_frequency=SR, energy_floor=0.0,
                         dither=0.0).numpy()
        save(name, "kaldi-mfcc.torchaudio", m)
        save(name, "kaldi-fbank.torchaudio", f)


if __name__ == "__main__":
    if "--torchaudio" in sys.argv:
        run_torchaudio()
    else:
        run_venv()
