package dev.llada.core.tokenizer;

import static dev.llada.core.tokenizer.SpecialTokenNames.BOS;
import static dev.llada.core.tokenizer.SpecialTokenNames.END_HEADER;
import static dev.llada.core.tokenizer.SpecialTokenNames.EOT;
import static dev.llada.core.tokenizer.SpecialTokenNames.START_HEADER;

import java.util.List;

/**
 * LLaDA-8B-Instruct's chat template (llada-spec §1.5), LLaMA-3 style: BOS once, then per message
 * {@code <|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|>} with the content trimmed,
 * and always a trailing assistant header. No EOS in the prompt. Roles are free strings.
 */
public final class ChatTemplate {

  /** One turn of a conversation. */
  public record Message(String role, String content) {
    public Message {
      if (role == null || role.isBlank()) {
        throw new IllegalArgumentException("a chat message needs a role");
      }
      if (content == null) {
        throw new IllegalArgumentException("a chat message needs content");
      }
    }
  }

  /** The same template in Jinja, for {@code tokenizer_config.json} (tools other than ours). */
  public static final String JINJA =
      "{% set loop_messages = messages %}{% for message in loop_messages %}"
          + "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'"
          + " + message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}"
          + "{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
          + "{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}";

  private ChatTemplate() {}

  /** Renders {@code messages} as the prompt text. */
  public static String render(List<Message> messages) {
    if (messages.isEmpty()) {
      throw new IllegalArgumentException("a chat needs at least one message");
    }
    StringBuilder out = new StringBuilder(BOS);
    for (Message m : messages) {
      out.append(START_HEADER)
          .append(m.role())
          .append(END_HEADER)
          .append("\n\n")
          .append(m.content().strip())
          .append(EOT);
    }
    return out.append(START_HEADER)
        .append("assistant")
        .append(END_HEADER)
        .append("\n\n")
        .toString();
  }
}
