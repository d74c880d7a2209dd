# End-to-end transcription (issue 8): graphs/transcribe*.weft with the
# shipped models/en-commands model on its bundled samples (held-out voices),
# the live graph through a private PulseAudio null sink. Skips (77) without
# the model. The evaluation (models/en-commands/recipe/evaluate.py, which
# writes EVAL.md) and bench/asr/run.py are run by hand.
TESTS += tests/transcribe/transcribe.sh
EXTRA_DIST += tests/transcribe/transcribe.sh models/en-commands/samples \
	models/en-commands/recipe/evaluate.py bench/asr/run.py
EXTRA_DIST += graphs/transcribe.weft graphs/transcribe-dir.weft \
	graphs/transcribe-live.weft models/en-commands/README.md \
	models/en-commands/EVAL.md models/en-commands/TRAINING.log \
	models/en-commands/model/config.json \
	models/en-commands/model/model.safetensors \
	models/en-commands/model/tokens.txt \
	models/en-commands/model/lexicon.txt \
	models/en-commands/model/commands.arpa \
	models/en-commands/model/commands.words \
	models/en-commands/model/general.arpa \
	models/en-commands/model/commands.grammar
