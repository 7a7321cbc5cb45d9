/**
 * Image input for LLaDA-V (llada-spec §8, issue #20): decoding PNG and JPEG through ImageIO (with
 * TwelveMonkeys' JPEG plugin for CMYK/YCCK files and EXIF), limits checked on the header before any
 * pixel is decoded, and the preprocessing of a model's {@code preprocessor_config.json} (resize,
 * rescale, normalise) into the vision tower's input.
 */
package dev.llada.core.vision;
