/** Hugging Face {@code config.json} of LLaDA dense models (llada-spec §1.1), validated. */
package dev.llada.core.config;
