package dev.llada.registry.domain;

import java.util.List;
import java.util.Optional;

/** Port: the models the platform can be asked for, by the name clients use. */
public interface ModelCatalog {

  /** Every variant, then every global alias, in a stable order. */
  List<ServedModel> listModels();

  /** The model called {@code id}, if there is one. */
  Optional<ServedModel> findModel(String id);

  /** As {@link #findModel(String)}, where an alias of the tenant hides a global one. */
  Optional<ServedModel> findModel(java.util.UUID tenantId, String tenantSlug, String id);

  /** Every variant, the global aliases, then the tenant's own aliases. */
  List<ServedModel> listModels(java.util.UUID tenantId, String tenantSlug);
}
