# The en-commands acoustic-model recipe (models/en-commands/recipe/), tiny
# configuration end to end: speech synthesis, Weft features, PyTorch
# training, export, asr.acoustic + ctc.greedy decoding. About a minute or
# two on two cores; skips without espeak-ng, flite or python3-torch.
TESTS += tests/recipe/recipe-tiny.sh
EXTRA_DIST += tests/recipe/recipe-tiny.sh
EXTRA_DIST += models/en-commands/recipe/run.sh \
	models/en-commands/recipe/configs.py models/en-commands/recipe/gen.py \
	models/en-commands/recipe/textgen.py \
	models/en-commands/recipe/features.py \
	models/en-commands/recipe/features.weft \
	models/en-commands/recipe/model.py models/en-commands/recipe/train.py \
	models/en-commands/recipe/export.py models/en-commands/recipe/parity.py \
	tests/golden/arpa.py
