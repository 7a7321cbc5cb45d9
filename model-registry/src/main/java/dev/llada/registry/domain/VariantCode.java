package dev.llada.registry.domain;

/** The members of the LLaDA family the platform knows how to serve (llada-spec §1, §6–§8). */
public enum VariantCode {
  /** LLaDA 8B Base, pre-trained only. */
  BASE,
  /** LLaDA 8B Instruct, after SFT; chat template. */
  INSTRUCT,
  /** LLaDA 1.5: Instruct aligned with VRPO. */
  V1_5,
  /** LLaDA-MoE 7B-A1B. */
  MOE,
  /** LLaDA-V: vision tower and projector in front of the Instruct model. */
  VISION
}
