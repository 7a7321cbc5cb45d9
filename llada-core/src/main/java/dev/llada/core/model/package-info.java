/**
 * The LLaDA network (llada-spec §1.2–1.4): the tensor names of the checkpoint, the {@link
 * dev.llada.core.model.MaskPredictor} port that samplers and estimators call, and its DJL
 * implementation (f32, bidirectional attention).
 */
package dev.llada.core.model;
