package dev.llada.platform.interfaces.rest;

import dev.llada.platform.application.BatchStore.Attempt;
import dev.llada.platform.application.InferenceService;
import dev.llada.platform.application.Reservation;
import dev.llada.platform.application.Tenancy;
import dev.llada.platform.domain.Caller;
import dev.llada.platform.domain.Scope;
import dev.llada.platform.interfaces.rest.OpenAiObjects.Kind;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.transaction.Transactional;
import java.io.StringReader;

/**
 * Admits one attempt of a batch's request as its endpoint would (docs/adr/0020): its creator
 * checked again, the request resolved, checked and priced ({@link CompletionRequest}), its usage
 * reserved under a lease that records no progress. In a transaction of its own: a batch runner's
 * thread has no HTTP request, and without a transaction Payara gives the catalog's look-up no
 * EntityManager (docs/adr/0008).
 */
@ApplicationScoped
@Transactional
public class BatchAdmission {

  @Inject InferenceService inference;
  @Inject ChatImages images;
  @Inject Tenancy tenancy;

  /** An admitted attempt: its request and its reservation. */
  public record Admitted(CompletionRequest request, Reservation reservation) {}

  public Admitted admit(Attempt a) {
    Caller caller = tenancy.resume(a.tenantId(), a.apiKeyId(), a.actor(), Scope.parse(a.scopes()));
    JsonObject body;
    try (var reader = Json.createReader(new StringReader(a.body()))) {
      body = reader.readObject();
    }
    Kind kind = a.endpoint().equals(Kind.CHAT.endpoint) ? Kind.CHAT : Kind.COMPLETION;
    CompletionRequest request = CompletionRequest.of(kind, body, caller, inference, images);
    Reservation reservation =
        inference.admitBatchItem(a.requestId(), caller, request.prepared(), kind.endpoint);
    return new Admitted(request, reservation);
  }
}
