package dev.llada.vrpo;

/**
 * One preference: the prompt's tokens (the chat template applied), and the chosen and rejected
 * responses' tokens, each ending with its terminator.
 *
 * @param line the 1-based line of the dataset it came from
 */
public record PreferencePair(int line, int[] prompt, int[] chosen, int[] rejected) {}
