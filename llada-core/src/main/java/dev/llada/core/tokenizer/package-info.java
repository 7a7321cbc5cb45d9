/**
 * Tokenization through DJL's Hugging Face tokenizer (truncation and padding off, special tokens
 * from the model's files), LLaDA's Instruct chat template (llada-spec §1.5) and chat.py's
 * multi-turn history (§4.1), plus a writer for byte-level tokenizers in the same file layout.
 */
package dev.llada.core.tokenizer;
