package dev.llada.core.cli;

import dev.llada.core.model.DjlMaskPredictor;
import dev.llada.core.sampling.Generation;
import dev.llada.core.sampling.Sampler;
import dev.llada.core.sampling.SamplingConfig;
import dev.llada.core.sampling.SpecialTokens;
import dev.llada.core.tokenizer.ChatSession;
import dev.llada.core.tokenizer.LladaTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(
    name = "chat",
    description =
        "Multi-turn chat on stdin/stdout, history kept as LLaDA's chat.py does (block length 32 unless"
            + " --block-length says otherwise); a history past the context drops its oldest turns, with"
            + " a notice. /reset starts over, /exit or end of input quits.")
final class ChatCommand implements Callable<Integer> {

  /** chat.py decodes in blocks of 32 (generate.py's own default is one block). */
  static final int CHAT_BLOCK_LENGTH = 32;

  @Mixin ModelOptions model;

  @Mixin SamplerOptions sampler;

  @Override
  public Integer call() {
    SamplingConfig config = sampler.config(CHAT_BLOCK_LENGTH); // chat.py's block_length
    var out = LladaCli.io.out;
    try (DjlMaskPredictor predictor = model.load();
        LladaTokenizer tokenizer = model.tokenizer()) {
      Sampler generator =
          sampler.sampler(predictor, SpecialTokens.of(predictor.config(), tokenizer));
      SplittableRandom random = new SplittableRandom(sampler.seed);
      ChatSession session = new ChatSession(tokenizer);
      out.println("llada chat: type a message; /reset starts over, /exit quits.");
      while (true) {
        out.print("> ");
        out.flush();
        String line = LladaCli.io.in.readLine();
        if (line == null || line.strip().equals("/exit")) {
          out.println();
          return 0;
        }
        if (line.isBlank()) {
          continue;
        }
        if (line.strip().equals("/reset")) {
          session = new ChatSession(tokenizer);
          out.println("(history cleared)");
          continue;
        }
        int room = predictor.config().maxSequenceLength() - config.genLength();
        ChatSession.Prompt next;
        try {
          next = session.prompt(line, room);
        } catch (IllegalArgumentException tooLong) {
          out.println("(not sent: " + tooLong.getMessage() + ")");
          continue;
        }
        if (next.droppedTurns() > 0) {
          out.println(
              "(history truncated: the oldest "
                  + next.droppedTurns()
                  + " turn(s) left out to fit the context of "
                  + predictor.config().maxSequenceLength()
                  + " tokens)");
        }
        int[] prompt = next.ids();
        Generation g = generator.generate(new int[][] {prompt}, null, config, random, e -> {});
        session.accept(g.sequences()[0]);
        out.println(tokenizer.decode(g.completion(0), true).strip());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
