/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The asr plugin's classes and what they share. */
#ifndef WEFT_ASR_PLUGIN_H
#define WEFT_ASR_PLUGIN_H

#include <weft/plugin.h>

#include "asr.h"

extern const weft_node_class asr_acoustic_class;

/*
 * asr_model_acquire: the shared, read-only model in directory @dir, loaded
 * on first use and then shared by every node naming the same directory
 * (however it is spelled). Release with weft_shared_release. Returns 0 or
 * an error already reported with weft_node_error(). [control]
 */
int asr_model_acquire(weft_node *node, const char *dir, asr_model **out);

/*
 * asr_weights_acquire: the weights of @m (loaded from @dir) on CUDA device
 * @device ("cuda:N"), uploaded on first use and shared by every node
 * running that model on that device. Release with weft_shared_release,
 * before the model. Returns 0 or an error already reported. [control]
 */
int asr_weights_acquire(weft_node *node, const char *dir,
                        const asr_model *m, const char *device,
                        asr_weights **out);

#endif /* WEFT_ASR_PLUGIN_H */
