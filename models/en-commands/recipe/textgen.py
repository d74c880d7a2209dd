#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Text for the en-commands recipe: desk-assistant commands from templates,
general English sentences from the fortunes package, the command grammar
(ctc.beam syntax), the lexicon and the ARPA LMs.

Everything is normalised to the model's alphabet: lowercase a-z, the
apostrophe and single spaces, numbers spelled out as words.
"""
import os
import random
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "tests", "golden"))
from arpa import train_arpa  # noqa: E402,F401  (re-exported for the recipe)

# ------------------------------------------------------------ numbers

ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven",
        "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen",
        "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy",
        "eighty", "ninety"]
ORDINALS = {"one": "first", "two": "second", "three": "third",
            "five": "fifth", "eight": "eighth", "nine": "ninth",
            "twelve": "twelfth"}


def num2words(n):
    """Cardinal number in words, 0 <= n < 10**12."""
    if n < 20:
        return ONES[n]
    if n < 100:
        return TENS[n // 10] + ("" if n % 10 == 0 else " " + ONES[n % 10])
    if n < 1000:
        r = ONES[n // 100] + " hundred"
        return r + ("" if n % 100 == 0 else " and " + num2words(n % 100))
    for div, name in ((10**9, "billion"), (10**6, "million"),
                      (1000, "thousand")):
        if n >= div:
            r = num2words(n // div) + " " + name
            rest = n % div
            if rest == 0:
                return r
            return r + (" and " if rest < 100 else " ") + num2words(rest)
    raise ValueError(n)


def ordinal(n):
    w = num2words(n).split()
    last = w[-1]
    if last in ORDINALS:
        w[-1] = ORDINALS[last]
    elif last.endswith("y"):
        w[-1] = last[:-1] + "ieth"
    else:
        w[-1] = last + "th"
    return " ".join(w)


def year_words(y):
    if 2000 <= y < 2010:
        return num2words(y)
    hi, lo = divmod(y, 100)
    if lo == 0:
        return num2words(hi) + " hundred"
    return num2words(hi) + " " + (("oh " + ONES[lo]) if lo < 10
                                  else num2words(lo))


# ------------------------------------------------------------ normalising

_ALLOWED = re.compile(r"^[a-z' ]*$")


def normalise(line):
    """Lowercase a-z, apostrophe and space, numbers as words; None when the
    line holds anything else (symbols we cannot say reliably)."""
    s = line.strip().replace("\u2019", "'").replace("`", "'")
    if not s:
        return None
    # Drop lines with symbols whose reading is ambiguous.
    if re.search(r"[^A-Za-z0-9'\s.,;:!?\"()-]", s):
        return None
    s = re.sub(r"(\d+)(st|nd|rd|th)\b", lambda m: ordinal(int(m.group(1))), s)
    s = re.sub(r"\b(1[1-9]\d\d)\b", lambda m: year_words(int(m.group(1))), s)
    s = re.sub(r"\d+", lambda m: " " + num2words(int(m.group(0)))
               if len(m.group(0)) <= 9 else " ", s)
    s = s.lower()
    s = re.sub(r"[.,;:!?\"()]", " ", s)
    s = re.sub(r"\s-+\s|--+|-", " ", s)
    s = re.sub(r"(^| )'+|'+( |$)", " ", s)   # quotes, not apostrophes
    s = " ".join(s.split())
    if not s or not _ALLOWED.match(s):
        return None
    return s


# ------------------------------------------------------------ commands

ROOMS = ["kitchen", "bedroom", "living room", "bathroom", "office",
         "garage", "hallway", "dining room", "basement", "garden",
         "kids room", "study"]
DEVICES = ["lights", "light", "lamp", "fan", "heater", "tv", "television",
           "radio", "air conditioner", "coffee machine", "printer",
           "computer", "music", "oven", "dishwasher", "washing machine"]
ITEMS = ["milk", "eggs", "bread", "butter", "cheese", "apples", "bananas",
         "coffee", "tea", "sugar", "rice", "pasta", "tomatoes", "onions",
         "potatoes", "chicken", "fish", "orange juice", "yogurt", "flour",
         "batteries", "soap", "shampoo", "toothpaste", "paper towels",
         "dog food", "cat food", "olive oil", "salt", "pepper", "carrots",
         "lettuce", "cereal", "chocolate", "water", "beer", "wine"]
TASKS = ["call mom", "call the dentist", "pay the rent", "buy a present",
         "water the plants", "clean the kitchen", "take out the trash",
         "send the report", "book a table", "walk the dog", "fix the bike",
         "read the email", "renew my passport", "pick up the kids",
         "feed the cat", "go to the gym", "answer the letters",
         "check the car", "meet john", "finish the slides"]
LISTS = ["shopping list", "to do list", "grocery list", "todo list"]
UNITS = ["seconds", "minutes", "hours"]
DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
        "sunday", "today", "tomorrow", "tonight", "this evening",
        "next week", "the weekend"]
MONTHS = ["january", "february", "march", "april", "may", "june", "july",
          "august", "september", "october", "november", "december"]
CITIES = ["london", "paris", "new york", "tokyo", "berlin", "madrid",
          "chicago", "boston", "sydney", "dublin", "rome", "toronto"]
CONV = [("miles", "kilometers"), ("kilometers", "miles"),
        ("pounds", "kilograms"), ("kilograms", "pounds"),
        ("inches", "centimeters"), ("feet", "meters"),
        ("meters", "feet"), ("cups", "liters"), ("ounces", "grams"),
        ("gallons", "liters"), ("celsius", "fahrenheit"),
        ("fahrenheit", "celsius")]
OPS = ["plus", "minus", "times", "divided by"]
SIMPLE = ["yes", "no", "cancel", "help", "stop", "okay", "yes please",
          "no thanks", "no thank you", "cancel that", "never mind",
          "go back", "repeat that", "say that again", "what can you do",
          "help me", "pause", "resume", "next", "previous", "confirm",
          "that's right", "that's wrong", "i don't know", "start over",
          "what time is it", "what's the time", "what day is it",
          "what's the date today", "what's today's date",
          "what's the weather like", "will it rain today",
          "what's the weather tomorrow", "tell me a joke",
          "good morning", "good night", "thank you", "thanks",
          "how are you", "play some music", "stop the music",
          "next song", "skip this song", "mute", "unmute",
          "turn up the volume", "turn down the volume", "louder",
          "quieter", "what's on my calendar", "read my messages",
          "what's on my shopping list", "clear the shopping list",
          "how long is left on the timer", "cancel the timer",
          "cancel the alarm", "stop the alarm", "snooze",
          "turn off all the lights", "turn on all the lights",
          "lock the front door", "unlock the front door",
          "is the front door locked", "close the garage door",
          "open the garage door", "start a new note",
          "what's the news", "set a reminder"]


def small_number(rng):
    r = rng.random()
    if r < 0.5:
        return rng.randint(1, 20)
    if r < 0.85:
        return rng.randint(21, 99)
    return rng.choice([100, 120, 150, 200, 250, 300, 500, 1000])


def clock_time(rng):
    h = rng.randint(1, 12)
    m = rng.choice([0, 0, 5, 10, 15, 20, 30, 40, 45, 50,
                    rng.randint(1, 59)])
    ampm = rng.choice(["", "", " a m", " p m", " in the morning",
                       " in the evening", " at night"])
    if m == 0:
        t = num2words(h) + rng.choice([" o'clock", ""])
    elif m < 10:
        t = num2words(h) + " oh " + ONES[m]
    else:
        t = num2words(h) + " " + num2words(m)
    return t + ampm


def duration(rng):
    n = small_number(rng) if rng.random() < 0.7 else rng.randint(1, 10)
    unit = rng.choice(UNITS)
    if n == 1:
        unit = unit[:-1]
    s = num2words(n) + " " + unit
    if rng.random() < 0.15:
        s = rng.choice(["an hour and a half", "half an hour",
                        "a minute", "an hour", "a quarter of an hour",
                        "ninety seconds"])
    if rng.random() < 0.15:
        s += " and %s seconds" % num2words(rng.randint(2, 59))
    return s


def command(rng):
    """One random command phrase."""
    k = rng.randrange(15)
    the = rng.choice(["the ", ""])
    room = rng.choice(ROOMS)
    if k == 0:
        return rng.choice(["set a timer for ", "set timer for ",
                           "start a timer for ", "timer for ",
                           "set a ", "start a "]).replace(
            "set a ", "set a ").rstrip() + " " + duration(rng) + \
            ("" if rng.random() < 0.7 else " " + rng.choice(
                ["for the pasta", "for the oven", "for my tea",
                 "for the laundry"]))
    if k == 1:
        return rng.choice(["set an alarm for ", "wake me up at ",
                           "set the alarm for ", "set an alarm at ",
                           "remind me at "]) + clock_time(rng) + \
            ("" if rng.random() < 0.6 else " " + rng.choice(DAYS))
    if k == 2:
        return rng.choice(["turn on ", "turn off ", "switch on ",
                           "switch off "]) + the + \
            ("" if rng.random() < 0.2 else room + " ") + \
            rng.choice(DEVICES)
    if k == 3:
        return rng.choice(["turn ", "switch "]) + the + room + " " + \
            rng.choice(DEVICES) + rng.choice([" on", " off"])
    if k == 4:
        return rng.choice(["dim the ", "brighten the "]) + room + \
            " lights" + ("" if rng.random() < 0.5 else
                         " to %s percent" % num2words(
                             rng.choice(range(10, 101, 10))))
    if k == 5:
        return rng.choice(["add ", "put ", "please add "]) + \
            rng.choice(ITEMS) + \
            rng.choice([" to my ", " to the ", " on my "]) + \
            rng.choice(LISTS) if rng.random() < 0.6 else \
            rng.choice(["remove ", "take "]) + rng.choice(ITEMS) + \
            " from " + rng.choice(["my ", "the "]) + rng.choice(LISTS)
    if k == 6:
        return rng.choice(["remind me to ", "add a task to ",
                           "don't let me forget to "]) + \
            rng.choice(TASKS) + ("" if rng.random() < 0.5 else " " +
                                 rng.choice(DAYS))
    if k == 7:
        return rng.choice(["set the volume to ", "volume ",
                           "change the volume to "]) + \
            num2words(rng.randint(0, 10) if rng.random() < 0.6 else
                      rng.choice(range(10, 101, 10))) + \
            rng.choice(["", "", " percent"])
    if k == 8:
        a, b = small_number(rng), small_number(rng)
        return rng.choice(["what is ", "what's ", "calculate ", ""]) + \
            num2words(a) + " " + rng.choice(OPS) + " " + num2words(b)
    if k == 9:
        u1, u2 = rng.choice(CONV)
        return rng.choice(["convert ", "how many %s is " % u2,
                           "what is "]).replace("%s", u2) + \
            num2words(small_number(rng)) + " " + u1 + \
            ("" if rng.random() < 0.4 else " to " + u2)
    if k == 10:
        return rng.choice(SIMPLE)
    if k == 11:
        return rng.choice(["what time is it in ", "what's the weather in ",
                           "what's the time in ", "how hot is it in "]) + \
            rng.choice(CITIES)
    if k == 12:
        head = rng.choice(["what day is ", "what's the date on ",
                           "how many days until "])
        # Draws random numbers and is not used: kept so that the generated
        # data stays the shipped model's.
        rng.choice([rng.choice(DAYS[:7]) + " " if rng.random() < 0.3
                    else "", ""])
        return head + rng.choice(MONTHS) + " " + \
            ordinal(rng.randint(1, 31))
    if k == 13:
        return rng.choice(["what is the temperature in the ",
                           "how warm is it in the ",
                           "set the temperature in the "]) + room + \
            ("" if rng.random() < 0.6 else " to %s degrees" %
             num2words(rng.randint(15, 28)))
    return rng.choice(["say ", "the number is ", "call ", "dial ", ""]) + \
        " ".join(rng.choice(ONES[:10]) for _ in range(rng.randint(1, 7)))


def commands(n, seed):
    rng = random.Random(seed)
    return [" ".join(command(rng).split()) for _ in range(n)]


# ------------------------------------------------------------ grammar

SIMPLE_INTENTS = {
    "Yes": ["yes", "yes please", "okay", "confirm", "that's right"],
    "No": ["no", "no thanks", "no thank you", "that's wrong"],
    "Cancel": ["cancel", "cancel that", "never mind", "stop",
               "cancel the timer", "cancel the alarm", "stop the alarm"],
    "Help": ["help", "help me", "what can you do"],
    "Time": ["what time is it", "what's the time", "what day is it",
             "what's the date today", "what's today's date",
             "how long is left on the timer"],
    "Weather": ["what's the weather like", "will it rain today",
                "what's the weather tomorrow"],
    "Media": ["play some music", "stop the music", "next song",
              "skip this song", "pause", "resume", "mute", "unmute",
              "turn up the volume", "turn down the volume", "louder",
              "quieter"],
    "Lists": ["what's on my shopping list", "clear the shopping list"],
    "Doors": ["lock the front door", "unlock the front door",
              "is the front door locked", "close the garage door",
              "open the garage door"],
    "Lights": ["turn off all the lights", "turn on all the lights"],
}


def grammar():
    """The command grammar in ctc.beam's syntax, from the word lists and
    templates that make the command phrases (command())."""
    def alt(xs):
        return " | ".join(xs)
    numbers = [num2words(i) for i in range(0, 100)] + \
        [num2words(n) for n in (100, 120, 150, 200, 250, 300, 500, 1000)]
    seconds = [num2words(i) for i in range(2, 60)]
    simple_rest = [p for p in SIMPLE if not any(
        p in v for v in SIMPLE_INTENTS.values())]
    lines = [
        "# Desk-assistant commands (ctc.beam grammar), generated by",
        "# models/en-commands/recipe/textgen.py from the recipe's templates.",
        "list room = " + alt(ROOMS),
        "list device = " + alt(DEVICES),
        "list item = " + alt(ITEMS),
        "list listname = " + alt(LISTS),
        "list number = " + alt(numbers),
        "list seconds = " + alt(seconds),
        "list digit = " + alt(ONES[:10]),
        "list unit = " + alt(UNITS + [u[:-1] for u in UNITS]),
        "list hour = " + alt(ONES[1:13]),
        "list minute = " + alt([num2words(i) for i in range(10, 60)] +
                               ["oh " + d for d in ONES[1:10]]),
        "list ampm = a m | p m | in the morning | in the evening | at night",
        "list day = " + alt(DAYS),
        "list month = " + alt(MONTHS),
        "list dayord = " + alt([ordinal(i) for i in range(1, 32)]),
        "list city = " + alt(CITIES),
        "list op = " + alt(OPS),
        "list convunit = " + alt(sorted({u for p in CONV for u in p})),
        "list task = " + alt(TASKS),
        # duration(): the seconds may follow the set phrases too.
        "list duration = ({number} {unit} | an hour and a half"
        " | half an hour | a minute | an hour | a quarter of an hour"
        " | ninety seconds) [and {seconds} seconds]",
        # command() k == 0: "set a" and "start a" also go without "timer
        # for" ("set a ten minutes").
        "intent SetTimer = ([set | start] [a] timer for | (set | start) a)"
        " {duration} [for (the pasta | the oven | my tea | the laundry)]",
        "intent SetAlarm = (set an alarm (for | at) | wake me up at"
        " | set the alarm for | remind me at) {hour} [{minute} | o'clock]"
        " [{ampm}] [{day}]",
        "intent DeviceOn = (turn | switch) on [the] [{room}] {device}",
        "intent DeviceOff = (turn | switch) off [the] [{room}] {device}",
        "intent DeviceOn = (turn | switch) [the] {room} {device} on",
        "intent DeviceOff = (turn | switch) [the] {room} {device} off",
        "intent Dim = (dim | brighten) the {room} lights"
        " [to {number} percent]",
        "intent ListAdd = [please] (add | put) {item} (to | on) (my | the)"
        " {listname}",
        "intent ListRemove = (remove | take) {item} from (my | the)"
        " {listname}",
        "intent Remind = (remind me to | add a task to"
        " | don't let me forget to) {task} [{day}]",
        "intent Volume = (set the volume to | change the volume to | volume)"
        " {number} [percent]",
        "intent Calc = [what is | what's | calculate] {number} {op}"
        " {number}",
        "intent Convert = (convert | what is | how many {convunit} is)"
        " {number} {convunit} [to {convunit}]",
        "intent TimeIn = (what time is it in | what's the time in) {city}",
        "intent WeatherIn = (what's the weather in | how hot is it in)"
        " {city}",
        "intent Date = (what day is | what's the date on"
        " | how many days until) {month} {dayord}",
        # command() k == 13: every head may take "to N degrees".
        "intent Temperature = (what is the temperature in the"
        " | how warm is it in the) {room} [to {number} degrees]",
        "intent SetTemperature = set the temperature in the {room}"
        " [to {number} degrees]",
        "intent Digits = [say | the number is | call | dial] {digit}"
        " [{digit}] [{digit}] [{digit}] [{digit}] [{digit}] [{digit}]",
    ]
    for name, phrases in SIMPLE_INTENTS.items():
        lines.append("intent %s = %s" % (name, alt(phrases)))
    if simple_rest:
        lines.append("intent Other = " + alt(simple_rest))
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------ general text

FORTUNE_DIRS = ["/usr/share/games/fortunes"]


def fortune_sentences():
    """Sentences from the fortunes package (normalised, 3-20 words),
    in file order, deduplicated."""
    seen, out = set(), []
    for d in FORTUNE_DIRS:
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            p = os.path.join(d, name)
            if "." in name or not os.path.isfile(p) or name == "off":
                continue
            with open(p, encoding="utf-8", errors="replace") as f:
                text = f.read()
            for fortune in text.split("\n%\n"):
                lines = [ln for ln in fortune.split("\n")
                         if not re.match(r"^\s+(--|-)\s", ln)]
                body = " ".join(x.strip() for x in lines)
                body = re.sub(r"\s+", " ", body)
                for sent in re.split(r"(?<=[.!?])\s+", body):
                    s = normalise(sent)
                    if not s:
                        continue
                    n = len(s.split())
                    if 3 <= n <= 20 and s not in seen:
                        seen.add(s)
                        out.append(s)
    return out


def general_split(seed=1, n_dev=200, n_test=400):
    """(train, dev, test) general sentences: disjoint, deterministic."""
    s = fortune_sentences()
    rng = random.Random(seed)
    rng.shuffle(s)
    return s[n_dev + n_test:], s[:n_dev], s[n_dev:n_dev + n_test]


def command_split(n_train, seed=2, n_dev=200, n_test=400):
    """Command phrases: test and dev phrases never appear in training."""
    train = commands(n_train, seed)
    tr = set(train)
    extra = [c for c in commands(20 * (n_dev + n_test), seed + 1000)
             if c not in tr]
    uniq = list(dict.fromkeys(extra))
    random.Random(seed).shuffle(uniq)
    return train, uniq[:n_dev], uniq[n_dev:n_dev + n_test]


def lexicon(sentences):
    return sorted({w for s in sentences for w in s.split()})


def write_text_files(outdir, cmd_train, gen_train):
    """grammar, lexicon, LMs beside the model."""
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "commands.grammar"), "w") as f:
        f.write(grammar())
    cmd_uniq = sorted(set(cmd_train))
    with open(os.path.join(outdir, "commands.arpa"), "w") as f:
        f.write(train_arpa(cmd_uniq))
    # A bigram: the trigram of ~20k fortune sentences is three times the
    # size (9 MB) for little gain on sentences it has not seen.
    with open(os.path.join(outdir, "general.arpa"), "w") as f:
        f.write(train_arpa(gen_train + cmd_uniq, order=2))
    with open(os.path.join(outdir, "lexicon.txt"), "w") as f:
        f.write("\n".join(lexicon(cmd_uniq + gen_train)) + "\n")


if __name__ == "__main__":
    tr, dv, te = general_split()
    print(len(tr), len(dv), len(te))
    for s in tr[:10]:
        print(s)
    for c in commands(30, 5):
        print(c)
