package dev.llada.platform.interfaces.rest.dto;

import jakarta.json.bind.annotation.JsonbPropertyOrder;
import java.util.List;

/** OpenAI's list envelope: {@code {"object": "list", "data": [...]}}. */
@JsonbPropertyOrder({"object", "data"})
public record ModelList(String object, List<ModelObject> data) {

  public static ModelList of(List<ModelObject> data) {
    return new ModelList("list", List.copyOf(data));
  }
}
