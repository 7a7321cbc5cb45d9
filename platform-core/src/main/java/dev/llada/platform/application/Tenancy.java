package dev.llada.platform.application;

import dev.llada.platform.domain.Caller;
import dev.llada.platform.domain.Limits;
import dev.llada.platform.domain.Scope;
import dev.llada.registry.domain.VariantCode;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/** Port: tenants, their entitlements and limits, and their API keys. */
public interface Tenancy {

  /** Creates a tenant; 409 if the slug is taken. */
  TenantView createTenant(
      String slug,
      String displayName,
      Limits limits,
      Set<VariantCode> allowed,
      Integer queueWeight);

  List<TenantView> listTenants();

  /** 404 if there is none. */
  TenantView tenant(String slug);

  /**
   * The tenant, its row locked for the rest of the caller's transaction, so that no deletion runs
   * until it ends; 404 if there is none, 409 {@code tenant_deleted} for a tombstone.
   */
  TenantView lockLive(String slug);

  /**
   * Replaces limits, status, body storage, entitlements and queue weight (null leaves one as it
   * is).
   */
  TenantView updateTenant(
      String slug,
      Limits limits,
      String status,
      Boolean storeBodies,
      Set<VariantCode> allowed,
      Integer queueWeight);

  /** Sets the ceilings of the limits its tenant-admins may set (a platform admin's change). */
  TenantView limitCeilings(String slug, Limits ceilings);

  /**
   * A tenant-admin's change of its tenant's limits: each up to its ceiling, or where there is none
   * only lowered (403 {@code limit_above_ceiling} otherwise).
   */
  TenantView limitsWithinCeilings(String slug, Limits limits);

  /** A new key; the returned view carries the secret, the only time it is ever shown. */
  KeyView createKey(
      String slug,
      String name,
      Set<Scope> scopes,
      Limits limits,
      Instant expiresAt,
      UUID createdBy);

  List<KeyView> keys(String slug);

  /**
   * Rotates a key: a new key (new secret, shown in the returned view only) with the old one's name,
   * scopes, limits and expiry; the old key keeps working for {@code grace} (0 to 30 days), then
   * expires. 404 for an unknown key, 400 for a revoked or expired one.
   */
  KeyView rotateKey(String slug, UUID keyId, java.time.Duration grace);

  /** Revokes a key (idempotent); 404 if the tenant has no such key. */
  KeyView revokeKey(String slug, UUID keyId);

  /** The caller a key secret stands for; 401 if it is unknown, revoked or expired. */
  Caller authenticate(String secret);

  /**
   * The caller a signed-in member of tenant {@code slug} stands for, with the scopes its roles
   * grant; 403 when the tenant is unknown, deleted or suspended.
   */
  Caller member(String slug, Set<Scope> scopes, String label);

  /**
   * The caller a batch's requests run as, checked again as each one starts: its creator's key
   * {@code apiKeyId} as it is now (401 once revoked or expired), or for a batch a signed-in user
   * created (no key) the tenant's member {@code label} with {@code scopes}; 403 once the tenant is
   * suspended.
   */
  Caller resume(UUID tenantId, UUID apiKeyId, String label, Set<Scope> scopes);

  /** Maps an identity provider subject to the tenant; 409 if it belongs to a tenant already. */
  UserView addUser(String slug, String issuer, String subject, String email, String role);

  List<UserView> users(String slug);

  /** Removes a user from the tenant (their keys stay, without a creator); 404 if unknown. */
  void removeUser(String slug, UUID userId);

  /** The tenant user an identity provider subject maps to, if any. */
  java.util.Optional<UserView> userBySubject(String issuer, String subject);

  /**
   * Turns the tenant into a tombstone (docs/adr/0007): status DELETED, every key revoked, its users
   * and entitlements removed; the row stays, as do its ledger and counters. Idempotent. Deleting
   * what other owners keep for the tenant (aliases, request log, idempotency) is the caller's.
   */
  TenantView deleteTenant(String slug);

  /** The ids of the deleted tenants (tombstones). */
  List<UUID> deletedTenants();

  /** Whether the tenant may call models of {@code variant}. */
  boolean entitled(UUID tenantId, VariantCode variant);
}
